"""The sun's shadow map for the lit renderer (:mod:`scenegraph.render.lit`), with what stays between frames.

An orthographic z-buffer of the shadow casters seen from the sun, looked up with 2x2
percentage-closer filtering and a normal-offset bias.  A preview draws one frame a call,
and most casters (buildings, trees, parked cars) never move: :class:`ShadowCache` keeps
the map of the *static* casters (world matrix constant over the clip, not skinned) and
redraws only the movers over a copy of it each frame.  The map's frame (its bounds, texel
and size) is the one a full redraw would choose, and a z-buffer keeps the nearest depth
whatever the drawing order, so a cached map gives exactly the pixels of a full redraw.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenegraph.appearance.raster_mesh import EMPTY, clip_project, raster

__all__ = ["ShadowCache", "sun_visibility", "light_frame", "SHADOW_MAX"]

SHADOW_MAX = 2048  # shadow map side, texels


class ShadowCache:
    """The last static casters' bounds and map (one of each: a preview keeps one sun and one view)."""

    def __init__(self) -> None:
        self.bounds: tuple | None = None  # (key, lo, hi) of the static casters in the light frame
        self.static_map: tuple | None = None  # (key, padded depth map (sh + 2, sw + 2) float32)


def light_frame(sun_dir: np.ndarray) -> np.ndarray:
    """Rows x, y, z of a frame whose z axis looks along the sunlight (towards the ground)."""
    f = -np.asarray(sun_dir, dtype=np.float64)
    a = np.array([0.0, 1.0, 0.0]) if abs(f[1]) < 0.99 else np.array([1.0, 0.0, 0.0])
    x = np.cross(f, a)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(f, x), f])


def _bounds(positions: np.ndarray, tris: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(tris) == 0:
        return np.full(3, np.inf), np.full(3, -np.inf)
    lv = positions[np.unique(tris)] @ rot.T
    return lv.min(axis=0), lv.max(axis=0)


def _padded(key: np.ndarray, sh: int, sw: int) -> np.ndarray:
    """The depth map (sh + 2, sw + 2) float32 of z-buffer keys, with one texel of border at inf (nothing casts
    there): every 2x2 tap of a point on the map lands inside it."""
    pad = np.full((sh + 2, sw + 2), np.inf, np.float32)
    pad[1:-1, 1:-1] = np.where(key == EMPTY, np.inf, (key >> 32).astype(np.int32).view(np.float32)).reshape(sh, sw)
    return pad


def sun_visibility(light: Any, batch: Any, pw: np.ndarray, n: np.ndarray, image_side: int,
                   static_items: np.ndarray | None = None, cache: ShadowCache | None = None) -> np.ndarray:
    """(P,) in [0, 1]: how much of the sun each surface point ``pw`` (normal ``n``) sees.

    ``static_items`` (I,) bool marks the batch's items that never move (with ``cache``, their
    part of the map is drawn once and reused while they, the sun and the map's frame stay)."""
    vis = np.ones(len(pw))
    if light.sun_dir is None or not np.any(light.sun_rgb > 0) or not batch.caster_tris.any():
        return vis
    rot = light_frame(light.sun_dir)
    tri_item = batch.vert_item[batch.indices[:, 0]]
    if cache is None or static_items is None:
        static_items = np.zeros(len(batch.item_entity), bool)
    still = batch.caster_tris & static_items[tri_item]
    moving = batch.caster_tris & ~still
    rows = np.unique(batch.item_entity[tri_item[still]])
    skey = (rot.tobytes(), rows.tobytes())
    if cache is not None and cache.bounds is not None and cache.bounds[0] == skey:
        slo, shi = cache.bounds[1], cache.bounds[2]
    else:
        slo, shi = _bounds(batch.positions, batch.indices[still], rot)
        if cache is not None:
            cache.bounds = (skey, slo, shi)
    mlo, mhi = _bounds(batch.positions, batch.indices[moving], rot)
    lo, hi = np.minimum(slo, mlo) - 0.05, np.maximum(shi, mhi) + 0.05
    extent = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    side = int(min(SHADOW_MAX, max(256, 2 * image_side)))
    texel = max(extent / side, 0.005)
    sw = int(np.ceil((hi[0] - lo[0]) / texel)) + 1
    sh = int(np.ceil((hi[1] - lo[1]) / texel)) + 1
    w2l = np.eye(4)
    w2l[:3, :3] = rot
    w2l[2, 3] = 1.0 - lo[2]  # depths from 1 up: positive float bits keep their order
    intr = (1.0 / texel, 1.0 / texel, -lo[0] / texel, -lo[1] / texel)

    def draw(tris: np.ndarray, key: np.ndarray | None = None) -> np.ndarray:
        proj = clip_project(batch.positions, tris, w2l, intr, znear=-np.inf, perspective=False, cull_backfaces=True)
        return raster(proj.screen, proj.z, sw, sh, perspective=False, key=key)

    mkey = skey + (lo.tobytes(), hi.tobytes(), texel, sw, sh)
    if cache is not None and still.any():
        if cache.static_map is None or cache.static_map[0] != mkey:
            cache.static_map = (mkey, _padded(draw(batch.indices[still]), sh, sw))
        pad = cache.static_map[1]
        x0 = y0 = x1 = y1 = 0
        if moving.any():
            x0 = max(int(np.floor((mlo[0] - lo[0]) / texel)) - 1, 0)
            y0 = max(int(np.floor((mlo[1] - lo[1]) / texel)) - 1, 0)
            x1 = min(int(np.ceil((mhi[0] - lo[0]) / texel)) + 2, sw)
            y1 = min(int(np.ceil((mhi[1] - lo[1]) / texel)) + 2, sh)
        if x1 > x0 and y1 > y0:  # the movers over a copy, drawn only in the texels their bounds cover
            proj = clip_project(batch.positions, batch.indices[moving], w2l,
                                (intr[0], intr[1], intr[2] - x0, intr[3] - y0), znear=-np.inf, perspective=False)
            sub = _padded(raster(proj.screen, proj.z, x1 - x0, y1 - y0, perspective=False), y1 - y0, x1 - x0)[1:-1, 1:-1]
            pad = pad.copy()
            np.minimum(pad[1 + y0:1 + y1, 1 + x0:1 + x1], sub, out=pad[1 + y0:1 + y1, 1 + x0:1 + x1])
    else:
        pad = _padded(draw(batch.indices[batch.caster_tris]), sh, sw)
    facing = n @ light.sun_dir
    look = np.nonzero(facing > 0)[0]
    vis[facing <= 0] = 0.0
    if len(look) == 0:
        return vis
    p = pw[look] + n[look] * (1.5 * texel)  # normal offset: no acne on lit faces
    q = p @ rot.T
    u = (q[:, 0] - lo[0]) / texel - 0.5
    v = (q[:, 1] - lo[1]) / texel - 0.5
    z = q[:, 2] + 1.0 - lo[2] - 1.0 * texel
    u0, v0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    fu, fv = u - u0, v - v0
    uu = np.clip(u0 + 1, 0, sw)
    vv = np.clip(v0 + 1, 0, sh)
    flat = pad.reshape(-1)
    base = vv * (sw + 2) + uu
    out = (u0 < -1) | (u0 >= sw) | (v0 < -1) | (v0 >= sh)  # the whole 2x2 footprint off the map: lit
    acc = np.zeros(len(look))
    for off, wgt in ((0, (1 - fu) * (1 - fv)), (1, fu * (1 - fv)), (sw + 2, (1 - fu) * fv), (sw + 3, fu * fv)):
        acc += wgt * (z <= flat[base + off])
    acc[out] = 1.0
    vis[look] = acc
    return vis
