"""The USD writer's prims that are no meshes: cameras (and a zoom's focal-length samples), lights, the sky's
DomeLight and Gaussian splats (``ParticleField3DGaussianSplat``).  Called from
:func:`exporters.usd_write._write_entity` inside its one ``Sdf.ChangeBlock``."""
from __future__ import annotations

from typing import Any

import numpy as np

from exporters._usd_author import Author
from exporters._usd_common import FILM_BACK, KEY, camera_attrs, light_attrs

__all__ = ["write_camera", "write_dome", "write_lens", "write_light", "write_splats"]


def write_dome(a: Author, path: str, scene: Any) -> None:
    """A DomeLight lit by the sky's lat-long image beside the layer (exporters/_usd_sky.py; write_stage writes
    the image); the reader skips it (customData role)."""
    from pxr import Gf, Sdf

    from exporters._usd_sky import sky_asset_name, sky_of

    if sky_of(scene) is None:
        return
    prim = a.prim(path, "DomeLight")
    prim.customData = {KEY: {"role": "environment"}}
    a.attr(prim, "inputs:color", a.T.Color3f, Gf.Vec3f(1.0, 1.0, 1.0))
    a.attr(prim, "inputs:intensity", a.T.Float, 1.0)
    a.attr(prim, "inputs:texture:file", a.T.Asset, Sdf.AssetPath("./" + sky_asset_name(a.layer.realPath or a.layer.identifier)))
    a.attr(prim, "inputs:texture:format", a.T.Token, "latlong")


def write_camera(a: Author, path: str, cam: Any) -> Any:
    from pxr import Gf

    prim = a.prim(path, "Camera")
    for attr_name, value in camera_attrs(cam).items():
        if attr_name == "clippingRange":
            a.attr(prim, attr_name, a.T.Float2, Gf.Vec2f(*value))
        else:
            a.attr(prim, attr_name, a.T.Float, value)
    a.attr(prim, "projection", a.T.Token, "perspective")
    return prim


def write_lens(a: Author, prim: Any, ent: Any, fps: float) -> None:
    """A zoom (:mod:`scenegraph.model.lens`): ``focalLength`` time samples at the lens keys (time codes are
    frames); the default stays the lens at t = 0."""
    from scenegraph.model.lens import focal_length_mm, lens_keys

    keys = lens_keys(ent)
    if keys is None:
        return
    spec = prim.attributes["focalLength"]
    for t, f in zip(keys[0].tolist(), focal_length_mm(keys[1], FILM_BACK).tolist()):
        a.layer.SetTimeSample(spec.path, float(t) * fps, float(f))


def write_light(a: Author, path: str, light: Any) -> Any:
    from pxr import Gf

    type_name, values = light_attrs(light)
    prim = a.prim(path, type_name)
    if light.type == "spot":
        a.api_schemas(prim, ["ShapingAPI"])
    for attr_name, value in values.items():
        if attr_name == "inputs:color":
            a.attr(prim, attr_name, a.T.Color3f, Gf.Vec3f(*value))
        elif attr_name == "treatAsPoint":
            a.attr(prim, attr_name, a.T.Bool, value)
        else:
            a.attr(prim, attr_name, a.T.Float, value)
    return prim


def write_splats(a: Author, path: str, g: Any) -> None:
    """Gaussians as a ParticleField3DGaussianSplat (SH Gaussian-major: (N * K) float3)."""
    from pxr import Gf, Vt

    T = a.T
    gprim = a.prim(path, "ParticleField3DGaussianSplat")
    gprim.customData = {KEY: {"role": "splats"}}
    a.attr(gprim, "positions", T.Point3fArray, a.once("v3", g.means, Vt.Vec3fArray.FromNumpy))
    a.attr(gprim, "orientations", T.QuatfArray, a.once("q", g.quats, Vt.QuatfArray.FromNumpy))
    a.attr(gprim, "scales", T.Float3Array, a.once("v3", g.scales, Vt.Vec3fArray.FromNumpy))
    a.attr(gprim, "opacities", T.FloatArray, a.once("f", g.opacities, Vt.FloatArray.FromNumpy))
    a.attr(gprim, "radiance:sphericalHarmonicsCoefficients", T.Float3Array,
           a.once("v3", g.sh, lambda sh: Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(sh.reshape(-1, 3)))))
    a.attr(gprim, "radiance:sphericalHarmonicsDegree", T.Int, g.sh_degree, uniform=True)
    lo, hi = a.once("extent", g, _splat_extent)
    a.attr(gprim, "extent", T.Float3Array, Vt.Vec3fArray([Gf.Vec3f(*lo), Gf.Vec3f(*hi)]))


def _splat_extent(g: Any) -> tuple[list[float], list[float]]:
    """The box holding every splat to three sigmas (its largest scale) around its mean."""
    if not len(g):
        return [0.0] * 3, [0.0] * 3
    sc, m = g.scales, g.means  # column by column: numpy's reductions across a row of 3 are ~40x slower (same values)
    reach = 3.0 * np.maximum(np.maximum(sc[:, 0], sc[:, 1]), sc[:, 2])
    lo = np.array([(m[:, k] - reach).min() for k in range(3)], np.float32)
    hi = np.array([(m[:, k] + reach).max() for k in range(3)], np.float32)
    return lo.tolist(), hi.tolist()
