"""Appearance: Gaussians, proxy meshes, rasterizers, fitting and refinement.

Heavy dependencies (torch, gsplat, diffusers) are imported inside the
functions that need them.
"""
from scenegraph.model.gaussians import SH_C0, Gaussians, rgb_to_sh, sh_to_rgb

__all__ = ["Gaussians", "SH_C0", "rgb_to_sh", "sh_to_rgb"]
