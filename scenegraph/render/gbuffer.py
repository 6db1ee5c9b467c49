"""The lit renderer's G-buffer (:mod:`scenegraph.render.lit`), with the static part kept while the camera stays.

One z-buffer over every entity's posed mesh gives, per drawn pixel, the source vertices of
its triangle, its depth and perspective-correct weights.  A camera that holds still over
several frames (an establishing shot, a preview scrubbed frame by frame) sees the same
static geometry every frame: :class:`GBufferCache` keeps that part (z-buffer keys and the
resolved pixels) for the last view, and each frame draws only the entities that move over
it and resolves the pixels they win.  The static part is drawn first whether or not it was
kept (a static and a moving triangle at exactly the same depth: the static one wins), so a
frame's pixels do not depend on which frames were drawn before it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenegraph.appearance.raster_mesh import EMPTY, clip_project, raster, resolve

__all__ = ["GBufferCache", "gbuffer"]

_MOVER = 1 << 30  # movers' triangle ids start here in the z-buffer keys (low 32 bits)


class GBufferCache:
    """The static geometry's resolved G-buffer for the last view (``static``)."""

    def __init__(self) -> None:
        self.static: tuple | None = None  # (view key, keys (N,), pix, src (H*W, 3), depth (H*W,), wts (H*W, 3))


def _project(batch: Any, tris: np.ndarray, cam: Any) -> Any:
    return clip_project(batch.positions, tris, cam.world_to_camera, (cam.fx, cam.fy, cam.cx, cam.cy),
                        znear=cam.znear, zfar=cam.zfar)


def gbuffer(batch: Any, cam: Any, static_items: np.ndarray | None = None,
            cache: GBufferCache | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pix (P,) pixel indices, src (P, 3) batch vertices of each pixel's triangle, depth (P,), wts (P, 3)).

    ``static_items`` (I,) bool marks the batch's items that never move; with ``cache`` their part is
    drawn once per view and reused while the view stays."""
    w, h = cam.width, cam.height
    tri_item = batch.vert_item[batch.indices[:, 0]] if len(batch.indices) else np.zeros(0, np.int64)
    if cache is None or static_items is None or not static_items.any():
        proj = _project(batch, batch.indices, cam)
        pix, tri, depth, wts = resolve(raster(proj.screen, proj.z, w, h), proj, w)
        return pix, proj.src[tri], depth, wts
    still = static_items[tri_item]
    view = (cam.world_to_camera.tobytes(), cam.fx, cam.fy, cam.cx, cam.cy, w, h, cam.znear, cam.zfar,
            len(batch.positions), batch.item_entity[static_items].tobytes())
    if cache.static is None or cache.static[0] != view:  # drawn the same way cold or warm: the same pixels
        proj = _project(batch, batch.indices[still], cam)
        key_s = raster(proj.screen, proj.z, w, h)
        pix, tri, depth, wts = resolve(key_s, proj, w)
        src_f = np.zeros((h * w, 3), np.int64)
        depth_f = np.zeros(h * w)
        wts_f = np.zeros((h * w, 3))
        src_f[pix], depth_f[pix], wts_f[pix] = proj.src[tri], depth, wts
        cache.static = (view, key_s, pix, src_f, depth_f, wts_f)
    _, key_s, pix_s, src_f, depth_f, wts_f = cache.static
    moving = ~still
    if not moving.any():
        return pix_s, src_f[pix_s], depth_f[pix_s], wts_f[pix_s]
    proj_m = _project(batch, batch.indices[moving], cam)
    key = raster(proj_m.screen, proj_m.z, w, h, key=key_s.copy(), offset=_MOVER)
    pix = np.nonzero(key != EMPTY)[0]
    src, depth, wts = src_f[pix], depth_f[pix], wts_f[pix]
    won = (key[pix] & 0xFFFFFFFF) >= _MOVER
    if won.any():
        km = np.full(h * w, EMPTY, np.int64)
        km[pix[won]] = key[pix[won]] - _MOVER
        _, tri_m, depth_m, wts_m = resolve(km, proj_m, w)
        src[won], depth[won], wts[won] = proj_m.src[tri_m], depth_m, wts_m
    return pix, src, depth, wts
