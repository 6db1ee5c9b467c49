"""The CUDA backend: the same images as :mod:`raster_torch`, computed by ``gsplat.rasterization``."""
from __future__ import annotations

from typing import Any

from scenegraph.appearance.raster_torch import RenderResult
from scenegraph.errors import BackendError

__all__ = ["render_gsplat"]


def render_gsplat(params: dict, viewmat: Any, intrinsics: tuple[float, float, float, float], width: int, height: int,
                  background: Any, sh_degree: int, near: float = 0.01, far: float = 1e10, *, tile: int = 16) -> RenderResult:
    """Rasterize ``params`` (see :func:`render_torch`) with gsplat on the tensors' CUDA device.

    gsplat takes wxyz quaternions; classic (non-antialiased) mode, 0.3 px low-pass,
    "RGB+ED" so depth is the alpha-normalised expected depth.  ``info`` is gsplat's
    meta dict (what gsplat's densification strategies consume).  Raises BackendError
    if gsplat is missing or the tensors are not on a CUDA device.
    """
    import torch

    try:
        from gsplat import rasterization
    except ImportError as exc:
        raise BackendError(f"gsplat backend: gsplat is not importable ({exc})") from None
    means = params["means"]
    if means.device.type != "cuda":
        raise BackendError(f"gsplat backend: tensors must be on a CUDA device, got {means.device}")
    quats = params["quats"][:, [3, 0, 1, 2]]
    ks = torch.tensor([[intrinsics[0], 0.0, intrinsics[2]], [0.0, intrinsics[1], intrinsics[3]], [0.0, 0.0, 1.0]],
                      dtype=means.dtype, device=means.device)  # fmt: skip
    k = (sh_degree + 1) ** 2
    colors, alphas, meta = rasterization(
        means, quats, params["scales"], params["opacities"], params["sh"][:, :k], viewmat[None], ks[None],
        width, height, near_plane=near, far_plane=far, eps2d=0.3, sh_degree=sh_degree, packed=False,
        backgrounds=background[None], render_mode="RGB+ED", rasterize_mode="classic", tile_size=tile,
    )  # fmt: skip
    alpha = alphas[0, ..., 0]
    return RenderResult(colors[0, ..., :3], alpha, colors[0, ..., 3], meta)
