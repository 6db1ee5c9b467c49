"""What each camera sees of each entity, per frame: in frustum, occluded, pixel area, events.

Vectorised over frames and entities (frames in chunks to bound memory).  For
camera c and object entity e at frame f:

- the box is e's local ``bounds``, its 8 corners taken through e's world matrix
  (parents applied); the camera's world pose drops any scale, looks down its
  local -Z with +Y up; ``yfov`` is vertical and the horizontal extent follows
  the image's ``width / height`` (square pixels), ``znear``/``zfar`` clip depth.
- ``pixel_area``: the area, in pixels of a ``width`` x ``height`` image, of the
  screen-space bounding rectangle of the part of the box in front of the near
  plane, clipped to the image.  It is an upper bound of the silhouette's area.
- ``in_frustum``: that rectangle overlaps the image and the box reaches between
  znear and zfar.  Conservative: a box that intersects the frustum is always in;
  a box just outside a frustum corner may be counted in.
- ``occluded`` (approximation): some other in-frustum object's rectangle
  contains this one's rectangle and its box is entirely nearer (its farthest
  depth is less than this box's nearest depth).  Rectangles stand in for
  silhouettes, so this both misses occlusion by several objects together and
  may call a box hidden behind a thin occluder's empty rectangle corners.
- ``visible`` = in_frustum and not occluded and pixel_area > 0; an ``enter``
  event marks the first frame of each visible stretch (frame 0 included), an
  ``exit`` event the first frame after it.

Cameras and lights are never in a camera's view (their arrays stay False/0).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from scenegraph.model import CameraParams, quat_to_matrix

__all__ = ["compute_visibility", "world_affine"]

#: frames x entities handled per chunk
CHUNK_ENTITY_FRAMES = 1 << 16
#: occlusion pairs checked per batch
PAIR_BATCH = 1 << 22
#: the occlusion grid has GRID x GRID cells over the image
GRID = 16

# corner c of a box has bits (x, y, z) = (c >> 2 & 1, c >> 1 & 1, c & 1): 0 = min, 1 = max
_CORNER_BITS = np.array([[(c >> 2) & 1, (c >> 1) & 1, c & 1] for c in range(8)], dtype=np.float64)
_EDGES = np.array([(c, c | b) for b in (4, 2, 1) for c in range(8) if not c & b])  # (12, 2)


def _depth_levels(parents: Sequence[int]) -> list[np.ndarray]:
    """Entity indices grouped by depth in the hierarchy (level 1 = children of roots, ...)."""
    depth = np.full(len(parents), -1)

    def resolve(i: int) -> int:
        if depth[i] < 0:
            depth[i] = 0 if parents[i] < 0 else resolve(parents[i]) + 1
        return int(depth[i])

    for i in range(len(parents)):
        resolve(i)
    return [np.nonzero(depth == d)[0] for d in range(1, int(depth.max(initial=0)) + 1)]


def world_affine(timeline, frames: slice, levels: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """World linear parts (Fc, E, 3, 3) and translations (Fc, E, 3), float64, for ``frames``."""
    lin = quat_to_matrix(timeline.rotation[frames]) * timeline.scale[frames][..., None, :].astype(np.float64)
    trans = timeline.position[frames].astype(np.float64)
    if levels is None:
        levels = _depth_levels(timeline.parents) if timeline.parents else []
    for kids in levels:
        par = np.asarray(timeline.parents)[kids]
        trans[:, kids] = np.einsum("feij,fej->fei", lin[:, par], trans[:, kids]) + trans[:, par]
        lin[:, kids] = lin[:, par] @ lin[:, kids]
    return lin, trans


def _camera_frames(lin: np.ndarray, trans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World-to-view rotation (Fc, 3, 3) and camera position (Fc, 3), scale removed."""
    rot = lin / np.linalg.norm(lin, axis=-2, keepdims=True)
    return np.swapaxes(rot, -1, -2), trans


def _world_corners(lin: np.ndarray, trans: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Box corners in the world, (Fc, 3, E, 8) float32, from local corners (E, 8, 3)."""
    lin = lin.astype(np.float32)
    cl = np.ascontiguousarray(np.moveaxis(corners.astype(np.float32), -1, 0))  # (3, E, 8)
    lt = np.moveaxis(lin, 1, -1)  # (Fc, 3, 3, E)
    out = lt[:, :, 0, :, None] * cl[0] + np.moveaxis(trans.astype(np.float32), 1, -1)[..., None]
    out += lt[:, :, 1, :, None] * cl[1]
    out += lt[:, :, 2, :, None] * cl[2]
    return out


def _clip_near(x: np.ndarray, y: np.ndarray, d: np.ndarray, znear: float) -> tuple[np.ndarray, ...]:
    """Image-plane extents (x/d, y/d min and max) of boxes (n, 8) cut by the near plane."""
    front = d >= znear
    with np.errstate(divide="ignore", invalid="ignore"):
        px, py = x / d, y / d
        a, b = _EDGES[:, 0], _EDGES[:, 1]
        da, db = d[:, a], d[:, b]
        cross = (da - znear) * (db - znear) < 0
        s = (znear - da) / (db - da)
        ex = (x[:, a] + s * (x[:, b] - x[:, a])) / znear
        ey = (y[:, a] + s * (y[:, b] - y[:, a])) / znear
    allx = np.concatenate([np.where(front, px, np.nan), np.where(cross, ex, np.nan)], axis=1)
    ally = np.concatenate([np.where(front, py, np.nan), np.where(cross, ey, np.nan)], axis=1)
    return np.nanmin(allx, axis=1), np.nanmax(allx, axis=1), np.nanmin(ally, axis=1), np.nanmax(ally, axis=1)


def _project(cw: np.ndarray, rot: np.ndarray, pos: np.ndarray, cam: CameraParams, objects: np.ndarray):
    """Screen rectangles, depth range and frustum flags of every box for one camera."""
    fc, _, e, _ = cw.shape
    rel = (cw - pos.astype(np.float32)[:, :, None, None]).reshape(fc, 3, e * 8)
    pv = np.matmul(rot.astype(np.float32), rel).reshape(fc, 3, e, 8)
    x, y, d = pv[:, 0], pv[:, 1], -pv[:, 2]
    dmin, dmax = d.min(axis=-1), d.max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        px, py = x * inv, y * inv
    xmin, xmax = px.min(axis=-1), px.max(axis=-1)
    ymin, ymax = py.min(axis=-1), py.max(axis=-1)
    straddle = (dmax >= cam.znear) & (dmin < cam.znear)
    if straddle.any():
        fi, ei = np.nonzero(straddle)
        ext = _clip_near(x[fi, ei].astype(np.float64), y[fi, ei].astype(np.float64), d[fi, ei].astype(np.float64), cam.znear)
        for arr, val in zip((xmin, xmax, ymin, ymax), ext):
            arr[fi, ei] = val
    w, h = float(cam.width), float(cam.height)
    f = 0.5 * h / np.tan(0.5 * cam.yfov)
    u0, u1 = 0.5 * w + f * xmin, 0.5 * w + f * xmax
    v0, v1 = 0.5 * h - f * ymax, 0.5 * h - f * ymin
    in_frustum = (dmax >= cam.znear) & (dmin <= cam.zfar) & (u1 > 0) & (u0 < w) & (v1 > 0) & (v0 < h) & objects
    rect = np.stack([np.clip(u0, 0, w), np.clip(v0, 0, h), np.clip(u1, 0, w), np.clip(v1, 0, h)], axis=-1)
    area = np.where(in_frustum, (rect[..., 2] - rect[..., 0]) * (rect[..., 3] - rect[..., 1]), 0.0).astype(np.float32)
    return in_frustum, area, rect, dmin, dmax


def _ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts (n,): owner index and rank within owner of each of sum(counts) items."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _occlusion(rect: np.ndarray, dmin: np.ndarray, dmax: np.ndarray, cand: np.ndarray, w: int, h: int) -> np.ndarray:
    """(Fc, E) bool: a candidate's rectangle lies inside a nearer candidate's rectangle.

    A grid over the image prunes pairs: an occluder must cover the cell that
    holds the target rectangle's centre, so only those pairs are compared.
    """
    out = np.zeros(cand.shape, dtype=bool)
    fi, ei = np.nonzero(cand)
    if fi.size < 2:
        return out
    r = rect[fi, ei].astype(np.float64)
    near, far = dmin[fi, ei], dmax[fi, ei]
    cw, ch = w / GRID, h / GRID

    def cell(v: np.ndarray, size: float) -> np.ndarray:
        return np.clip((v / size).astype(np.int64), 0, GRID - 1)

    cells = GRID * GRID
    target_bucket = fi * cells + cell(0.5 * (r[:, 1] + r[:, 3]), ch) * GRID + cell(0.5 * (r[:, 0] + r[:, 2]), cw)
    order = np.argsort(target_bucket, kind="stable")
    per_bucket = np.bincount(target_bucket, minlength=(int(fi.max()) + 1) * cells)
    bucket_start = np.cumsum(per_bucket) - per_bucket
    x0, x1 = cell(r[:, 0], cw), cell(r[:, 2], cw)
    y0, y1 = cell(r[:, 1], ch), cell(r[:, 3], ch)
    nx = x1 - x0 + 1
    occ, k = _ragged(nx * (y1 - y0 + 1))
    bucket = fi[occ] * cells + (y0[occ] + k // nx[occ]) * GRID + x0[occ] + k % nx[occ]
    n_pairs = per_bucket[bucket]
    hidden = np.zeros(fi.size, dtype=bool)
    total = np.cumsum(n_pairs)
    lo = 0
    while lo < bucket.size:  # batches of at most PAIR_BATCH pairs
        hi = max(lo + 1, int(np.searchsorted(total, (total[lo - 1] if lo else 0) + PAIR_BATCH, side="right")))
        inc, rank = _ragged(n_pairs[lo:hi])
        j = occ[lo:hi][inc]
        i = order[bucket_start[bucket[lo:hi]][inc] + rank]
        ri, rj = r[i], r[j]
        ok = (far[j] < near[i]) & np.all(rj[:, :2] <= ri[:, :2], axis=1) & np.all(rj[:, 2:] >= ri[:, 2:], axis=1)
        hidden[i[ok]] = True
        lo = hi
    out[fi, ei] = hidden
    return out


def compute_visibility(timeline, cameras: Sequence[tuple[int, CameraParams]], bounds: np.ndarray, objects: np.ndarray) -> dict:
    """Per camera entity (index into the timeline, parameters): a :class:`scenegraph.world.Visibility`.

    ``bounds`` (E, 2, 3) local boxes; ``objects`` (E,) bool marks the entities
    that can be seen (and occlude).  Reads the timeline only.
    """
    from scenegraph.world import Visibility, VisibilityEvent

    if not cameras:
        return {}
    frames, n = timeline.position.shape[:2]
    corners = bounds[:, None, 0, :] + _CORNER_BITS[None] * (bounds[:, 1, :] - bounds[:, 0, :])[:, None, :]
    levels = _depth_levels(timeline.parents) if timeline.parents else []
    arrays = {
        c: (np.zeros((frames, n), bool), np.zeros((frames, n), bool), np.zeros((frames, n), np.float32))
        for c, _ in cameras
    }
    step = max(1, CHUNK_ENTITY_FRAMES // max(1, n))
    objects = np.asarray(objects, dtype=bool)
    for f0 in range(0, frames, step):
        sl = slice(f0, min(frames, f0 + step))
        lin, trans = world_affine(timeline, sl, levels)
        cw = _world_corners(lin, trans, corners) if objects.any() else None
        for c, cam in cameras:
            in_frustum, occluded, area = arrays[c]
            if cw is None:
                continue
            rot, pos = _camera_frames(lin[:, c], trans[:, c])
            inside, px, rect, dmin, dmax = _project(cw, rot, pos, cam, objects)
            in_frustum[sl] = inside
            area[sl] = px
            occluded[sl] = _occlusion(rect, dmin, dmax, inside & (px > 0), cam.width, cam.height)
    out = {}
    for c, _ in cameras:
        cam_id = timeline.ids[c]
        vis = Visibility(cam_id, *arrays[c])
        seen = vis.visible
        before = np.zeros_like(seen)
        before[1:] = seen[:-1]
        fe, ee = np.nonzero(seen != before)  # row-major: by frame, then entity
        vis.events = [
            VisibilityEvent(int(f), float(timeline.time[f]), cam_id, timeline.ids[e], "enter" if seen[f, e] else "exit")
            for f, e in zip(fe, ee)
        ]
        out[cam_id] = vis
    return out
