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

from scenegraph.model.payloads import CameraParams

__all__ = ["compute_visibility", "world_affine"]

#: frames x entities handled per chunk, and at most this many frames (bounds the occlusion cell table)
CHUNK_ENTITY_FRAMES = 1 << 16
MAX_CHUNK_FRAMES = 256
#: occlusion pairs checked per batch
PAIR_BATCH = 1 << 16
#: levels of the occlusion grid pyramid: level l has 2^l x 2^l cells over the image
GRID_LEVELS = 6

# corner k of a box is centre + s0*a0 + s1*a1 + s2*a2 with bit (4, 2, 1) of k set meaning s = -1
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
    """World linear parts (3, 3, Fc, E) and translations (3, Fc, E), float32, component-first."""
    q = timeline.rotation[frames]
    x, y, z, w = (np.ascontiguousarray(q[..., i]) for i in range(4))
    sx, sy, sz = (np.ascontiguousarray(timeline.scale[frames][..., i]) for i in range(3))
    lin = np.empty((3, 3) + x.shape, dtype=np.float32)
    lin[0, 0] = (1 - 2 * (y * y + z * z)) * sx
    lin[0, 1] = 2 * (x * y - z * w) * sy
    lin[0, 2] = 2 * (x * z + y * w) * sz
    lin[1, 0] = 2 * (x * y + z * w) * sx
    lin[1, 1] = (1 - 2 * (x * x + z * z)) * sy
    lin[1, 2] = 2 * (y * z - x * w) * sz
    lin[2, 0] = 2 * (x * z - y * w) * sx
    lin[2, 1] = 2 * (y * z + x * w) * sy
    lin[2, 2] = (1 - 2 * (x * x + y * y)) * sz
    trans = np.ascontiguousarray(np.moveaxis(timeline.position[frames], -1, 0), dtype=np.float32)
    if levels is None:
        levels = _depth_levels(timeline.parents) if timeline.parents else []
    parents = np.asarray(timeline.parents, dtype=np.int64)
    for kids in levels:
        par = parents[kids]
        lp = lin[..., par]
        trans[..., kids] = np.einsum("ijfn,jfn->ifn", lp, trans[..., kids]) + trans[..., par]
        lin[..., kids] = np.einsum("ijfn,jkfn->ikfn", lp, lin[..., kids])
    return lin, trans


def _corners(c: np.ndarray, a0: np.ndarray, a1: np.ndarray, a2: np.ndarray) -> list[np.ndarray]:
    """The 8 values c +- a0 +- a1 +- a2, in corner order (see ``_EDGES``)."""
    out = []
    for p in (c + a0, c - a0):
        for q in (p + a1, p - a1):
            out += [q + a2, q - a2]
    return out


def _reduce(fn, arrays: list[np.ndarray]) -> np.ndarray:
    acc = arrays[0].copy()
    for a in arrays[1:]:
        fn(acc, a, out=acc)
    return acc


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


def _project(lin, trans, c: int, centre, half, cam: CameraParams, objects: np.ndarray, yfov: np.ndarray | None = None):
    """Screen rectangles (u0, v0, u1, v1), depth range and frustum flags of every box for camera ``c``.

    ``lin`` (3, 3, Fc, E), ``trans`` (3, Fc, E) world affines; ``centre``,
    ``half`` (3, E) local boxes.  All outputs (Fc, E).
    """
    lc, tc = lin[..., c], trans[..., c]  # (3, 3, Fc), (3, Fc)
    rot = lc / np.sqrt(np.sum(lc * lc, axis=0, keepdims=True))  # columns: camera axes in the world
    view = [[rot[k, i][:, None] for k in range(3)] for i in range(3)]  # view[i][k] = R^T[i, k]
    rel = [trans[k] - tc[k][:, None] for k in range(3)]
    ctr, axes = [], []
    for i in range(3):
        m = [view[i][0] * lin[0, j] + view[i][1] * lin[1, j] + view[i][2] * lin[2, j] for j in range(3)]
        t = view[i][0] * rel[0] + view[i][1] * rel[1] + view[i][2] * rel[2]
        ctr.append(t + m[0] * centre[0] + m[1] * centre[1] + m[2] * centre[2])
        axes.append([m[j] * half[j] for j in range(3)])
    # depth d = -z_view; exact range of the box from its centre and half axes
    extent = np.abs(axes[2][0]) + np.abs(axes[2][1]) + np.abs(axes[2][2])
    dmin, dmax = -ctr[2] - extent, -ctr[2] + extent
    xs, ys = _corners(ctr[0], *axes[0]), _corners(ctr[1], *axes[1])
    ds = _corners(-ctr[2], *(-a for a in axes[2]))
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = [1.0 / d for d in ds]
        px = [x * i for x, i in zip(xs, inv)]
        py = [y * i for y, i in zip(ys, inv)]
    xmin, xmax = _reduce(np.minimum, px), _reduce(np.maximum, px)
    ymin, ymax = _reduce(np.minimum, py), _reduce(np.maximum, py)
    straddle = (dmax >= cam.znear) & (dmin < cam.znear)
    if straddle.any():
        fi, ei = np.nonzero(straddle)
        pick = [np.stack([v[fi, ei] for v in vals], axis=1).astype(np.float64) for vals in (xs, ys, ds)]
        for arr, val in zip((xmin, xmax, ymin, ymax), _clip_near(*pick, cam.znear)):
            arr[fi, ei] = val
    w, h = np.float32(cam.width), np.float32(cam.height)
    f = np.float32(0.5 * cam.height / np.tan(0.5 * cam.yfov))
    if yfov is not None:  # a zoom: the lens of each frame, (Fc, 1)
        f = (0.5 * cam.height / np.tan(0.5 * np.asarray(yfov, dtype=np.float64))).astype(np.float32)[:, None]
    u0, u1 = 0.5 * w + f * xmin, 0.5 * w + f * xmax
    v0, v1 = 0.5 * h - f * ymax, 0.5 * h - f * ymin
    inside = (dmax >= cam.znear) & (dmin <= cam.zfar) & (u1 > 0) & (u0 < w) & (v1 > 0) & (v0 < h) & objects
    rect = [np.clip(u0, 0, w), np.clip(v0, 0, h), np.clip(u1, 0, w), np.clip(v1, 0, h)]
    area = np.where(inside, (rect[2] - rect[0]) * (rect[3] - rect[1]), np.float32(0.0))
    return inside, area, rect, dmin, dmax


def _radix_order(keys: np.ndarray, bound: int) -> np.ndarray:
    """A permutation sorting non-negative int ``keys`` (< ``bound``): stable LSD radix sort, 16 bits a pass.

    numpy sorts 16-bit keys with a radix sort; two passes cost a quarter of sorting uint64 keys.
    """
    order = None
    for shift in range(0, max(1, int(bound - 1).bit_length()), 16):
        part = keys if order is None else keys[order]
        digit = (part >> shift).astype(np.uint16)  # the low 16 bits of the shifted key
        step = np.argsort(digit, kind="stable")
        order = step if order is None else order[step]
    return order


def _occlusion(rect: list[np.ndarray], dmin: np.ndarray, dmax: np.ndarray, cand: np.ndarray, w: int, h: int) -> np.ndarray:
    """(Fc, E) bool: a candidate's rectangle lies inside a nearer candidate's rectangle.

    Pairs are pruned with a grid pyramid: each rectangle is filed at the level
    whose cells are between a quarter and a half of its size (so it touches at
    most 5 x 5 cells; the finest level caps this for tiny rectangles).  An occluder contains the target's centre and is at least as
    large, so it is filed at the target's level or coarser, in the cell that
    holds that centre.  A target is compared with every occluder filed in that
    cell (a dense table of cell starts, no search); the comparison is exact.
    """
    out = np.zeros(cand.shape, dtype=bool)
    fi, ei = np.nonzero(cand)
    n = fi.size
    if n < 2:
        return out
    flat = fi * cand.shape[1] + ei  # 1-D gathers: cheaper than 2-D fancy indexing
    u0, v0, u1, v1 = (np.ravel(r).take(flat).astype(np.float64) for r in rect)
    near, far = np.ravel(dmin).take(flat), np.ravel(dmax).take(flat)
    frames = int(fi.max()) + 1
    fit = np.minimum(w / np.maximum(u1 - u0, 1e-9), h / np.maximum(v1 - v0, 1e-9))
    level = np.clip(np.floor(np.log2(fit)) + 2, 0, GRID_LEVELS - 1).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(frames * 4 ** np.arange(GRID_LEVELS))])

    def cell(v: np.ndarray, size: float, m) -> np.ndarray:
        return np.minimum((v * m / size).astype(np.int64), m - 1)

    m = 2**level
    x0, x1 = cell(u0, w, m), cell(u1, w, m)
    y0, y1 = cell(v0, h, m), cell(v1, h, m)
    nx, ny = x1 - x0 + 1, y1 - y0 + 1
    # every cell a rectangle touches, one (dx, dy) offset at a time: bucket = first cell + dy * m + dx
    first = offset[level] + (fi * m + y0) * m + x0
    idx = np.arange(n, dtype=np.int32)
    buckets, owners = [], []
    for dy in range(int(ny.max())):
        rows = idx[ny > dy]
        for dx in range(int(nx[rows].max())):
            sel = rows[nx[rows] > dx] if dx else rows
            buckets.append(first[sel] + (dy * m[sel] + dx if dy else dx))
            owners.append(sel)
    bucket = np.concatenate(buckets)
    occ = np.concatenate(owners)[_radix_order(bucket, int(offset[-1]))]  # occluders grouped by cell
    start_of = np.zeros(int(offset[-1]) + 1, dtype=np.int64)  # first filing of each cell
    np.cumsum(np.bincount(bucket, minlength=int(offset[-1])), out=start_of[1:])
    hidden = np.zeros(n, dtype=bool)
    cu, cv = 0.5 * (u0 + u1), 0.5 * (v0 + v1)
    filed = np.bincount(level, minlength=GRID_LEVELS)
    # containment as one comparison of packed rows: (u0, v0, -u1, -v1)_occluder <= the target's;
    # rows are gathered as single 16-byte items (complex128 view), much faster than 2-D row indexing
    packed = np.stack([u0, v0, -u1, -v1], axis=1).astype(np.float32).view(np.complex128).ravel()
    # the occluder side in filing order, so a target's candidates are one contiguous run of it
    packed_occ, far_occ = packed.take(occ), far.take(occ)
    for lvl in range(GRID_LEVELS):
        tgt = np.flatnonzero(level >= lvl).astype(np.int32)
        if tgt.size == 0 or filed[lvl] == 0:
            continue
        ml = 2**lvl
        tb = offset[lvl] + (fi[tgt] * ml + cell(cv[tgt], h, ml)) * ml + cell(cu[tgt], w, ml)
        lo = start_of[tb]
        count = start_of[tb + 1] - lo
        sel = count > 0
        tgt, lo, count = tgt[sel], lo[sel], count[sel]
        total = np.cumsum(count)
        start = 0
        while start < tgt.size:  # batches of about PAIR_BATCH pairs
            base = total[start - 1] if start else 0
            stop = max(start + 1, int(np.searchsorted(total, base + PAIR_BATCH, side="right")))
            cnt = count[start:stop]
            tg = tgt[start:stop]
            i = np.repeat(tg, cnt)
            # position of each pair's occluder in the sorted filings: lo + rank within the target's run
            jpos = np.repeat(lo[start:stop] - (total[start:stop] - cnt - base), cnt)
            jpos += np.arange(jpos.size, dtype=jpos.dtype)
            # containment: (u0, v0, -u1, -v1) of the occluder <= the target's, as 4 bytes at once; the
            # target's side is gathered once per target and repeated (a sequential copy, not a gather)
            a = packed_occ.take(jpos).view(np.float32).reshape(-1, 4)
            b = np.repeat(packed.take(tg), cnt).view(np.float32).reshape(-1, 4)
            inside = (a <= b).view(np.int32)[:, 0] == 0x01010101
            inside &= far_occ.take(jpos) < np.repeat(near.take(tg), cnt)  # entirely nearer
            hidden[i[inside]] = True
            start = stop
    out.ravel()[flat] = hidden
    return out


def compute_visibility(timeline, cameras: Sequence[tuple[int, CameraParams]], bounds: np.ndarray, objects: np.ndarray,
                       lenses: dict | None = None) -> dict:
    """Per camera entity (index into the timeline, parameters): a :class:`scenegraph.world.Visibility`.
    ``lenses`` maps a zooming camera's index to its field of view per frame (frames,).

    ``bounds`` (E, 2, 3) local boxes; ``objects`` (E,) bool marks the entities
    that can be seen (and occlude).  Reads the timeline only.
    """
    from scenegraph.world.timeline import Visibility, VisibilityEvent

    if not cameras:
        return {}
    frames, n = timeline.position.shape[:2]
    bounds = np.asarray(bounds, dtype=np.float64).reshape(n, 2, 3)
    centre = (0.5 * (bounds[:, 0] + bounds[:, 1])).T.astype(np.float32)
    half = (0.5 * (bounds[:, 1] - bounds[:, 0])).T.astype(np.float32)
    levels = _depth_levels(timeline.parents) if timeline.parents else []
    arrays = {c: (np.zeros((frames, n), bool), np.zeros((frames, n), bool), np.zeros((frames, n), np.float32)) for c, _ in cameras}
    step = min(MAX_CHUNK_FRAMES, max(1, CHUNK_ENTITY_FRAMES // max(1, n)))
    objects = np.asarray(objects, dtype=bool)
    if objects.any():
        for f0 in range(0, frames, step):
            sl = slice(f0, min(frames, f0 + step))
            lin, trans = world_affine(timeline, sl, levels)
            for c, cam in cameras:
                in_frustum, occluded, area = arrays[c]
                lens = (lenses or {}).get(c)
                inside, px, rect, dmin, dmax = _project(lin, trans, c, centre, half, cam, objects,
                                                        None if lens is None else np.asarray(lens)[sl])
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
        times, ids = timeline.time.tolist(), timeline.ids
        kinds = np.where(seen[fe, ee], "enter", "exit").tolist()
        vis.events = [
            VisibilityEvent(f, times[f], cam_id, ids[e], k) for f, e, k in zip(fe.tolist(), ee.tolist(), kinds)
        ]
        out[cam_id] = vis
    return out
