"""A fast numpy triangle rasterizer: one z-buffer over every mesh of a frame.

Used by the lit renderer (:mod:`scenegraph.render.lit`) for its G-buffer
(depth, which triangle, perspective-correct barycentrics) and the sun's
shadow map, and by :func:`scenegraph.appearance.gbuffer.surface_buffer`.  Pixel (row i, column j) samples the image point (j + 0.5, i + 0.5),
as :func:`scenegraph.appearance.mesh_render.render_mesh` does, with the same
near-plane clipping and back-face rule, so its instance ids are the ones the
per-entity z-buffer gives.

Each (triangle, row) gets the span of pixel centres inside its three edges
(barycentric coordinates and 1/z are affine in screen space), so only covered
pixels are visited, in bounded chunks; the nearest surface per pixel is kept
with one ``np.minimum.at`` over a 64-bit key (float32 depth bits above,
triangle index below: the nearest wins, the lower triangle index on a tie).

>>> import numpy as np
>>> tri = np.array([[[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]]])
>>> key = raster(tri, np.array([[2.0, 2.0, 2.0]]), 8, 8)
>>> int((key != EMPTY).sum())   # the pixels whose centres lie inside the triangle
36
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["raster", "resolve", "clip_project", "Projected", "EMPTY"]

EMPTY = np.iinfo(np.int64).max
_CHUNK = 1 << 20  # (triangle, pixel) pairs per vectorised batch


@dataclass
class Projected:
    """Triangles ready to raster: ``src`` (T, 3) source vertex ids, ``weights`` (T, 3, 3) clipped corners as
    mixes of the source corners, ``screen`` (T, 3, 2) pixels, ``z`` (T, 3) depth along the view axis."""

    src: np.ndarray
    weights: np.ndarray
    screen: np.ndarray
    z: np.ndarray


def clip_project(positions: np.ndarray, indices: np.ndarray, world_to_view: np.ndarray, intr: tuple[float, float, float, float],
                 *, znear: float = 0.01, zfar: float = 1e10, perspective: bool = True, cull_backfaces: bool = True) -> Projected:
    """Move triangles into the view (OpenCV axes: x right, y down, z forward), cull, clip at ``znear`` and project.

    ``intr`` = (fx, fy, cx, cy): pixels per unit (per unit of x/z under perspective).
    """
    from scenegraph.appearance.mesh_render import _clip_near

    pc = positions.astype(np.float64) @ world_to_view[:3, :3].T + world_to_view[:3, 3]
    tri = indices.astype(np.int64)
    zt = pc[:, 2][tri]
    keep = np.any(zt > znear, axis=1) & np.any(zt < zfar, axis=1)
    if cull_backfaces:
        p = pc[tri]
        n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        if perspective:
            keep &= np.einsum("ij,ij->i", n, p[:, 0]) < 0.0
        else:
            keep &= n[:, 2] < 0.0
    if perspective:
        src, weights = _clip_near(tri[keep], zt[keep], znear)
    else:
        src = tri[keep]
        weights = np.broadcast_to(np.eye(3), (len(src), 3, 3))
    cp = np.einsum("tjk,tkc->tjc", weights, pc[src])
    fx, fy, cx, cy = intr
    if perspective:
        zc = np.maximum(cp[..., 2], 1e-12)
        screen = np.stack([fx * cp[..., 0] / zc + cx, fy * cp[..., 1] / zc + cy], axis=-1)
    else:
        zc = cp[..., 2]
        screen = np.stack([fx * cp[..., 0] + cx, fy * cp[..., 1] + cy], axis=-1)
    return Projected(src, weights, screen, zc)


def _coefficients(screen: np.ndarray, z: np.ndarray, perspective: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle: (T, 3, 3) affine maps (x, y, 1) -> (b1, b2, depth-term) and a validity mask."""
    a, b, c = screen[:, 0], screen[:, 1], screen[:, 2]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    ok = np.abs(area) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, area, 1.0), 0.0)
    # b1(x, y) = ((x - ax)(cy - ay) - (y - ay)(cx - ax)) / area ; b2 = ((bx - ax)(y - ay) - (by - ay)(x - ax)) / area
    b1 = np.stack([(c[:, 1] - a[:, 1]) * inv, -(c[:, 0] - a[:, 0]) * inv,
                   (-a[:, 0] * (c[:, 1] - a[:, 1]) + a[:, 1] * (c[:, 0] - a[:, 0])) * inv], axis=1)
    b2 = np.stack([-(b[:, 1] - a[:, 1]) * inv, (b[:, 0] - a[:, 0]) * inv,
                   (-(b[:, 0] - a[:, 0]) * a[:, 1] + (b[:, 1] - a[:, 1]) * a[:, 0]) * inv], axis=1)
    q = 1.0 / np.maximum(z, 1e-12) if perspective else z  # 1/z is affine in screen space; ortho depth is
    d = q[:, [0]] * (np.array([0.0, 0.0, 1.0]) - b1 - b2) + q[:, [1]] * b1 + q[:, [2]] * b2
    return np.stack([b1, b2, d], axis=1), ok


def raster(screen: np.ndarray, z: np.ndarray, width: int, height: int, *, perspective: bool = True,
           key: np.ndarray | None = None, offset: int = 0) -> np.ndarray:
    """The nearest-surface key per pixel, (H * W,) int64 (``EMPTY`` where nothing is drawn).

    ``screen`` (T, 3, 2) pixel corners, ``z`` (T, 3) depths (> 0).  The key is
    ``float32(depth).bits << 32 | (offset + triangle)``; pass ``key`` to draw
    over an earlier call's buffer.  Work goes by scanline: each (triangle, row)
    gets the span of pixel centres inside all three edges, so only covered
    pixels are visited.
    """
    if key is None:
        key = np.full(height * width, EMPTY, np.int64)
    if len(screen) == 0:
        return key
    coef, ok = _coefficients(screen, z, perspective)
    y0 = np.clip(np.ceil(screen[..., 1].min(axis=1) - 0.5), 0, height).astype(np.int64)
    y1 = np.clip(np.floor(screen[..., 1].max(axis=1) - 0.5), -1, height - 1).astype(np.int64)
    xlo = np.clip(screen[..., 0].min(axis=1), -1.0, width + 1.0)
    xhi = np.clip(screen[..., 0].max(axis=1), -1.0, width + 1.0)
    bh = y1 - y0 + 1
    live = np.nonzero(ok & (bh > 0) & (xhi >= 0.5) & (xlo <= width - 0.5))[0]
    if len(live) == 0:
        return key
    # (triangle, row) spans
    rows_per = bh[live]
    t = np.repeat(live, rows_per)
    start = np.cumsum(rows_per) - rows_per
    py = y0[t] + (np.arange(len(t)) - np.repeat(start, rows_per))
    fy = py + 0.5
    # the three edge functions along the row: e(x) = a x + c >= 0 (b1, b2 and b0 = 1 - b1 - b2)
    a1, c1 = coef[t, 0, 0], coef[t, 0, 1] * fy + coef[t, 0, 2]
    a2, c2 = coef[t, 1, 0], coef[t, 1, 1] * fy + coef[t, 1, 2]
    a0, c0 = -(a1 + a2), 1.0 - c1 - c2
    left = np.maximum(xlo[t], -1.0)
    right = np.minimum(xhi[t], width + 1.0)
    for a, c in ((a0, c0), (a1, c1), (a2, c2)):
        with np.errstate(divide="ignore", invalid="ignore"):
            root = -c / a
        left = np.where(a > 0, np.maximum(left, root), left)
        right = np.where(a < 0, np.minimum(right, root), right)
        right = np.where((a == 0) & (c < 0), -np.inf, right)
    xs = np.clip(np.ceil(left - 0.5), 0, width).astype(np.int64)
    xe = np.clip(np.floor(right - 0.5), -1, width - 1).astype(np.int64)
    n = np.maximum(xe - xs + 1, 0)
    has = n > 0
    t, py, fy, xs, n = t[has], py[has], fy[has], xs[has], n[has]
    qa = coef[t, 2, 0]
    qrow = coef[t, 2, 1] * fy + coef[t, 2, 2]
    ends = np.cumsum(n)
    s0 = 0
    while s0 < len(n):  # spans in groups of about _CHUNK pixels
        s1 = int(np.searchsorted(ends, ends[s0] - n[s0] + _CHUNK, side="right"))
        s1 = max(s1, s0 + 1)
        cnt = n[s0:s1]
        span = np.repeat(np.arange(s0, s1), cnt)
        base = np.cumsum(cnt) - cnt
        px = xs[span] + (np.arange(len(span)) - np.repeat(base, cnt))
        q = qa[span] * (px + 0.5) + qrow[span]
        depth = (1.0 / np.maximum(q, 1e-30)) if perspective else q
        bits = depth.astype(np.float32).view(np.int32).astype(np.int64)
        np.minimum.at(key, py[span] * width + px, (bits << 32) | (t[span] + offset))
        s0 = s1
    return key


def resolve(key: np.ndarray, proj: Projected, width: int, *, perspective: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per drawn pixel: (pixel index (P,), triangle (P,), depth (P,), weights on the source vertices (P, 3)).

    ``key`` is :func:`raster`'s buffer for ``proj`` (offset 0); weights are perspective-correct.
    """
    pix = np.nonzero(key != EMPTY)[0]
    tri = (key[pix] & 0xFFFFFFFF).astype(np.int64)
    depth = (key[pix] >> 32).astype(np.int32).view(np.float32).astype(np.float64)
    coef, _ = _coefficients(proj.screen[tri], proj.z[tri], perspective)
    fx = (pix % width) + 0.5
    fy = (pix // width) + 0.5
    b1 = coef[:, 0, 0] * fx + coef[:, 0, 1] * fy + coef[:, 0, 2]
    b2 = coef[:, 1, 0] * fx + coef[:, 1, 1] * fy + coef[:, 1, 2]
    bary = np.stack([1.0 - b1 - b2, b1, b2], axis=1)
    if perspective:
        bary = bary / np.maximum(proj.z[tri], 1e-12)
        bary /= np.maximum(bary.sum(axis=1, keepdims=True), 1e-30)
    wts = np.einsum("pj,pjk->pk", bary, proj.weights[tri])
    return pix, tri, depth, wts
