"""A small numpy mesh renderer: posed views of proxy meshes for fitting and tests.

A z-buffer rasteriser with perspective-correct barycentric interpolation and
Lambert + ambient shading under one directional light fixed in the world (so
every view of a surface point agrees, as view-independent Gaussians need).
Pixel (row i, column j) samples the image point (j + 0.5, i + 0.5), the
convention of :class:`~scenegraph.world.views.PinholeCamera` (cx = W/2 is
the image centre).  No anti-aliasing: alpha is 0 or 1.  Work is vectorised
over (triangle, pixel-in-bounding-box) pairs, processed in bounded chunks.

>>> from scenegraph.appearance.shapes import box_mesh
>>> views = render_proxy_views(box_mesh((-0.5, 0, -0.5), (0.5, 1, 0.5)), (0.8, 0.1, 0.1), n_views=2, size=32)
>>> [v.image.shape for v in views], bool(views[0].alpha.any())
([(32, 32, 3), (32, 32, 3)], True)
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from scenegraph.appearance.shapes import Mesh
from scenegraph.world.views import GL_TO_CV, PinholeCamera, PosedView, look_at
from scenegraph.errors import ModelError

__all__ = ["render_mesh", "render_proxy_views", "orbit_cameras", "DEFAULT_LIGHT_DIR", "DEFAULT_AMBIENT"]

#: direction towards the light (world frame): above, a little right and in front
DEFAULT_LIGHT_DIR = (0.4, 1.0, 0.6)
DEFAULT_AMBIENT = 0.35
_CHUNK_PAIRS = 1 << 20  # (triangle, pixel) candidates per vectorised batch


def _shade(normals: np.ndarray, light_dir: Sequence[float], ambient: float) -> np.ndarray:
    light = np.asarray(light_dir, dtype=np.float64)
    light = light / np.linalg.norm(light)
    return ambient + (1.0 - ambient) * np.clip(normals @ light, 0.0, None)


def _clip_near(tri: np.ndarray, zt: np.ndarray, znear: float) -> tuple[np.ndarray, np.ndarray]:
    """Clip triangles (T, 3) with corner depths ``zt`` (T, 3) against the plane z = znear.

    Returns the source triangles (T', 3) and weights (T', 3, 3): new corner j
    is sum_k weights[j, k] * corner k.  A triangle with one corner in front
    becomes one triangle, with two corners in front two; winding is kept.
    """
    front = zt > znear
    n_front = front.sum(axis=1)
    out_tri = [tri[n_front == 3]]
    out_w = [np.broadcast_to(np.eye(3), (int((n_front == 3).sum()), 3, 3))]
    for count in (1, 2):
        sel = np.nonzero(n_front == count)[0]
        if len(sel) == 0:
            continue
        # roll corners so the odd one out (the front one, or the one behind) is corner 0
        odd = front[sel] if count == 1 else ~front[sel]
        shift = np.argmax(odd, axis=1)
        order = (shift[:, None] + np.arange(3)) % 3
        t = np.take_along_axis(tri[sel], order, axis=1)
        z = np.take_along_axis(zt[sel], order, axis=1)
        a01 = (znear - z[:, 0]) / (z[:, 1] - z[:, 0])  # where edge 0->1 meets the plane
        a02 = (znear - z[:, 0]) / (z[:, 2] - z[:, 0])
        k = len(sel)
        v0, v1, v2 = (np.broadcast_to(np.eye(3)[i], (k, 3)) for i in range(3))
        p01 = v0 * (1 - a01)[:, None] + v1 * a01[:, None]
        p02 = v0 * (1 - a02)[:, None] + v2 * a02[:, None]
        if count == 1:
            out_tri.append(t)
            out_w.append(np.stack([v0, p01, p02], axis=1))
        else:
            out_tri += [t, t]
            out_w += [np.stack([p01, v1, v2], axis=1), np.stack([p01, v2, p02], axis=1)]
    return np.concatenate(out_tri), np.concatenate(out_w).astype(np.float64)


def render_mesh(
    mesh: Mesh,
    camera: PinholeCamera,
    base_color: Sequence[float],
    *,
    vertex_colors: Any = None,
    light_dir: Sequence[float] = DEFAULT_LIGHT_DIR,
    ambient: float = DEFAULT_AMBIENT,
    background: Sequence[float] = (0.0, 0.0, 0.0),
    cull_backfaces: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render ``mesh`` (world frame) through ``camera``.

    Colour = base_color (3,) x vertex_colors (V, 3, optional tint factors) x
    (ambient + (1 - ambient) max(0, n . light)), clipped to [0, 1].  Returns
    rgb (H, W, 3), alpha (H, W) and depth (H, W), all float32; depth is the
    camera-space z (metres along the optical axis), 0 where nothing is drawn.
    Triangles are clipped at ``camera.znear``; those wholly beyond ``zfar``
    are dropped.  Raises ModelError on mismatched colour shapes.
    """
    h, w = camera.height, camera.width
    base = np.asarray(base_color, dtype=np.float64).reshape(3)
    tints = None
    if vertex_colors is not None:
        tints = np.asarray(vertex_colors, dtype=np.float64)
        if tints.shape != (len(mesh), 3):
            raise ModelError(f"render_mesh: vertex_colors must be ({len(mesh)}, 3), got {tints.shape}")
    bg = np.asarray(background, dtype=np.float32).reshape(3)
    rgb = np.broadcast_to(bg, (h, w, 3)).copy()
    alpha = np.zeros((h, w), np.float32)
    depth = np.zeros((h, w), np.float32)
    if len(mesh.indices) == 0:
        return rgb, alpha, depth

    m = camera.world_to_camera
    pc = mesh.positions.astype(np.float64) @ m[:3, :3].T + m[:3, 3]
    tri = mesh.indices.astype(np.int64)
    zt = pc[:, 2][tri]
    keep = np.any(zt > camera.znear, axis=1) & np.any(zt < camera.zfar, axis=1)
    if cull_backfaces:
        p = pc[tri]
        n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        keep &= np.einsum("ij,ij->i", n, p[:, 0]) < 0.0
    tri, weights = _clip_near(tri[keep], zt[keep], camera.znear)
    if len(tri) == 0:
        return rgb, alpha, depth
    cp = np.einsum("tjk,tkc->tjc", weights, pc[tri])  # (T, 3, 3) camera-space corners after clipping
    zc = np.maximum(cp[..., 2], 1e-12)
    s = np.stack([camera.fx * cp[..., 0] / zc + camera.cx, camera.fy * cp[..., 1] / zc + camera.cy], axis=-1)  # (T, 3, 2)
    area = (s[:, 1, 0] - s[:, 0, 0]) * (s[:, 2, 1] - s[:, 0, 1]) - (s[:, 1, 1] - s[:, 0, 1]) * (s[:, 2, 0] - s[:, 0, 0])
    x0 = np.clip(np.ceil(s[..., 0].min(axis=1) - 0.5), 0, w).astype(np.int64)
    x1 = np.clip(np.floor(s[..., 0].max(axis=1) - 0.5), -1, w - 1).astype(np.int64)
    y0 = np.clip(np.ceil(s[..., 1].min(axis=1) - 0.5), 0, h).astype(np.int64)
    y1 = np.clip(np.floor(s[..., 1].max(axis=1) - 0.5), -1, h - 1).astype(np.int64)
    bw, bh = x1 - x0 + 1, y1 - y0 + 1
    ok = (bw > 0) & (bh > 0) & (np.abs(area) > 1e-12)
    tri, weights, zc, s, area, x0, y0, bw, bh = tri[ok], weights[ok], zc[ok], s[ok], area[ok], x0[ok], y0[ok], bw[ok], bh[ok]
    counts = bw * bh

    zbuf = np.full(h * w, np.inf)
    win_tri = np.full(h * w, -1, np.int64)
    win_bary = np.zeros((h * w, 3))
    ends = np.cumsum(counts)
    for start in range(0, int(ends[-1]) if len(ends) else 0, _CHUNK_PAIRS):
        # candidates [start, start + chunk) of the (triangle, pixel-in-its-box) list: memory stays bounded
        pair = np.arange(start, min(start + _CHUNK_PAIRS, int(ends[-1])))
        local = np.searchsorted(ends, pair, side="right")
        k = pair - (ends[local] - counts[local])
        px = x0[local] + k % bw[local]
        py = y0[local] + k // bw[local]
        fx, fy = px + 0.5, py + 0.5
        a, b, c = s[local, 0], s[local, 1], s[local, 2]
        wb = ((fx - a[:, 0]) * (c[:, 1] - a[:, 1]) - (fy - a[:, 1]) * (c[:, 0] - a[:, 0])) / area[local]
        wc = ((b[:, 0] - a[:, 0]) * (fy - a[:, 1]) - (b[:, 1] - a[:, 1]) * (fx - a[:, 0])) / area[local]
        wa = 1.0 - wb - wc
        inside = (wa >= 0) & (wb >= 0) & (wc >= 0)
        local, px, py = local[inside], px[inside], py[inside]
        bary = np.stack([wa[inside], wb[inside], wc[inside]], axis=1) / zc[local]
        inv_z = bary.sum(axis=1)
        cand_z = 1.0 / inv_z
        bary /= inv_z[:, None]  # perspective-correct weights
        pix = py * w + px
        order = np.lexsort((cand_z, pix))  # nearest first per pixel; stable, so ties keep triangle order
        pix, cand_z, local, bary = pix[order], cand_z[order], local[order], bary[order]
        first = np.ones(len(pix), bool)
        first[1:] = pix[1:] != pix[:-1]
        pix, cand_z, local, bary = pix[first], cand_z[first], local[first], bary[first]
        better = cand_z < zbuf[pix]
        pix = pix[better]
        zbuf[pix] = cand_z[better]
        win_tri[pix] = local[better]
        win_bary[pix] = bary[better]

    hit = np.nonzero(win_tri >= 0)[0]
    if len(hit) == 0:
        return rgb, alpha, depth
    corners = tri[win_tri[hit]]  # (P, 3) vertex ids of the source triangles
    wts = np.einsum("pj,pjk->pk", win_bary[hit], weights[win_tri[hit]])[:, :, None]  # weights on those vertices
    nrm = (mesh.normals.astype(np.float64)[corners] * wts).sum(axis=1)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    color = np.broadcast_to(base, (len(hit), 3))
    if tints is not None:
        color = color * (tints[corners] * wts).sum(axis=1)
    shaded = np.clip(color * _shade(nrm, light_dir, ambient)[:, None], 0.0, 1.0)
    rgb.reshape(-1, 3)[hit] = shaded
    alpha.reshape(-1)[hit] = 1.0
    depth.reshape(-1)[hit] = zbuf[hit]
    return rgb, alpha, depth


def orbit_cameras(
    center: Sequence[float],
    radius: float,
    *,
    n_views: int = 16,
    size: int = 128,
    seed: int = 0,
    radius_factor: float = 3.2,
    elevation: tuple[float, float] = (-20.0, 75.0),
) -> list[PinholeCamera]:
    """Square cameras on a sphere of ``radius_factor * radius`` about ``center``, all looking at it.

    Directions follow a Fibonacci spiral between the ``elevation`` limits
    (degrees), turned by a seeded azimuth; the field of view just holds the
    bounding sphere of ``radius``.
    """
    if n_views < 1 or size < 1:
        raise ModelError(f"orbit_cameras: need n_views >= 1 and size >= 1, got {n_views}, {size}")
    if radius <= 0 or radius_factor <= 1.0:
        raise ModelError(f"orbit_cameras: need radius > 0 and radius_factor > 1, got {radius}, {radius_factor}")
    c = np.asarray(center, dtype=np.float64)
    dist = radius_factor * radius
    half_fov = math.asin(min(1.0, 1.05 / radius_factor))
    focal = 0.5 * size / math.tan(half_fov)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0.0, 2.0 * math.pi)
    s0, s1 = (math.sin(math.radians(e)) for e in elevation)
    golden = math.pi * (3.0 - math.sqrt(5.0))
    cams = []
    for i in range(n_views):
        sin_el = s0 + (s1 - s0) * (i + 0.5) / n_views
        cos_el = math.sqrt(max(0.0, 1.0 - sin_el * sin_el))
        az = phase + golden * i
        eye = c + dist * np.array([cos_el * math.sin(az), sin_el, cos_el * math.cos(az)])
        w2c = GL_TO_CV @ np.linalg.inv(look_at(eye, c))
        cams.append(PinholeCamera(size, size, focal, focal, size / 2.0, size / 2.0, w2c, znear=max(1e-4, dist - 2.0 * radius), zfar=dist + 2.0 * radius))
    return cams


def render_proxy_views(
    mesh: Mesh,
    base_color: Sequence[float],
    *,
    vertex_colors: Any = None,
    n_views: int = 16,
    size: int = 128,
    seed: int = 0,
    radius_factor: float = 3.2,
    background: Sequence[float] = (0.0, 0.0, 0.0),
    light_dir: Sequence[float] = DEFAULT_LIGHT_DIR,
    ambient: float = DEFAULT_AMBIENT,
) -> list[PosedView]:
    """``n_views`` posed renders (size x size) of ``mesh`` from cameras orbiting its bounding box centre.

    See :func:`orbit_cameras` for the poses and :func:`render_mesh` for the
    shading; each view carries its alpha mask and is named ``view_000``....
    """
    lo, hi = mesh.bounds.astype(np.float64)
    radius = max(0.5 * float(np.linalg.norm(hi - lo)), 1e-6)
    cams = orbit_cameras(0.5 * (lo + hi), radius, n_views=n_views, size=size, seed=seed, radius_factor=radius_factor)
    views = []
    for i, cam in enumerate(cams):
        rgb, alpha, _ = render_mesh(mesh, cam, base_color, vertex_colors=vertex_colors, light_dir=light_dir, ambient=ambient, background=background)
        views.append(PosedView(rgb, cam, alpha=alpha, name=f"view_{i:03d}"))
    return views
