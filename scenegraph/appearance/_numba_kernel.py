"""The numba kernel behind :mod:`scenegraph.appearance.raster_numba` (imports numba: load it lazily)."""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(inline="always")
def _blend(p, u, v, coef, feat, g, q_cut, may_clamp, alpha_max, alpha_min, t_min, tr, done, acc):  # pragma: no cover
    """Composite Gaussian ``g`` over pixel ``p`` at tile-centred (u, v); 1 if the pixel finishes here."""
    q = coef[g, 0] * (u * u) + coef[g, 1] * (u * v) + coef[g, 2] * (v * v) + coef[g, 3] * u + coef[g, 4] * v + coef[g, 5]
    if q > q_cut:
        return 0  # alpha = exp(-q) <= 1/255 (or under the torch path's exp floor): cut to 0
    a = np.exp(-q)
    if may_clamp and a > alpha_max:
        a = alpha_max
    if a <= alpha_min:
        return 0
    nt = tr[p] * (np.float32(1.0) - a)
    if nt <= t_min:
        done[p] = True
        return 1
    w = a * tr[p]
    for k in range(feat.shape[1]):
        acc[p, k] += w * feat[g, k]
    tr[p] = nt
    return 0


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def composite_tiles(coef, feat, tiles, starts, counts, tile, may_clamp, alpha_max, alpha_min, t_min, exp_floor,
                    out, t_final):  # pragma: no cover - compiled
    """Front-to-back compositing of each tile in ``tiles`` (see raster_numba.composite).

    Per tile the Gaussians run in depth order and each visits only the pixels inside its
    ellipse q <= q_cut (alpha > 1/255), computed from the quadratic form; a pixel whose
    transmittance would drop to t_min is finished, and a tile with no live pixel stops.
    """
    npx = tile * tile
    nf = feat.shape[1]
    half = np.float32(tile / 2.0)
    q_cut = min(-exp_floor, np.float32(-np.log(alpha_min)) + np.float32(1e-3))
    for ti in prange(tiles.shape[0]):
        t = tiles[ti]
        s = starts[t]
        e = s + counts[t]
        tr = np.ones(npx, dtype=np.float32)
        done = np.zeros(npx, dtype=np.bool_)
        acc = np.zeros((npx, nf), dtype=np.float32)
        alive = npx
        for g in range(s, e):
            ca, cb, cc, cd, ce, cf = coef[g, 0], coef[g, 1], coef[g, 2], coef[g, 3], coef[g, 4], coef[g, 5]
            # the ellipse q <= q_cut: its centre (u0, v0), rows, and each row's span of pixels
            det = ca * cc - 0.25 * cb * cb
            if det <= 1e-12 or ca <= 0.0:  # not an ellipse (never for a projected Gaussian): every pixel
                for p in range(npx):
                    if not done[p]:
                        alive -= _blend(p, np.float32(p % tile) + 0.5 - half, np.float32(p // tile) + 0.5 - half, coef,
                                        feat, g, q_cut, may_clamp, alpha_max, alpha_min, t_min, tr, done, acc)
                continue
            u0 = (cb * ce - 2.0 * cc * cd) / (4.0 * det)
            v0 = (cb * cd - 2.0 * ca * ce) / (4.0 * det)
            room = q_cut - (cf + 0.5 * (cd * u0 + ce * v0))  # q_cut - min q
            if room < 0.0:
                continue
            hv = np.sqrt(room * ca / det)
            r0 = max(0, int(np.ceil(v0 - hv + half - 0.5 - 1e-3)))
            r1 = min(tile, int(np.floor(v0 + hv + half - 0.5 + 1e-3)) + 1)
            for r in range(r0, r1):
                v = np.float32(r) + np.float32(0.5) - half
                # the row's span: ca u^2 + (cb v + cd) u + (cc v^2 + ce v + cf - q_cut) <= 0
                lin = cb * v + cd
                disc = lin * lin - 4.0 * ca * (cc * v * v + ce * v + cf - q_cut)
                if disc < 0.0:
                    continue
                sq = np.sqrt(disc)
                c0 = max(0, int(np.ceil((-lin - sq) / (2.0 * ca) + half - 0.5 - 1e-3)))
                c1 = min(tile, int(np.floor((-lin + sq) / (2.0 * ca) + half - 0.5 + 1e-3)) + 1)
                for c in range(c0, c1):
                    p = r * tile + c
                    if not done[p]:
                        alive -= _blend(p, np.float32(c) + np.float32(0.5) - half, v, coef, feat, g, q_cut, may_clamp,
                                        alpha_max, alpha_min, t_min, tr, done, acc)
            if alive == 0:
                break
        for p in range(npx):
            for k in range(nf):
                out[t, p, k] = acc[p, k]
            t_final[t, p] = tr[p]


@njit(cache=True, nogil=True)
def _reaches(mx, my, a, b, c, log255o, x0, y0, x1, y1):  # pragma: no cover - compiled
    """raster_torch._reaches_tile for one (Gaussian, tile): min of the exponent over the pixel-centre rectangle."""
    if mx >= x0 and mx <= x1 and my >= y0 and my <= y1:
        return 0.0 <= log255o + np.float32(1e-3)
    best = np.float32(np.inf)
    for x in (x0, x1):
        dx = x - mx
        dy = min(max(-b * dx / c, y0 - my), y1 - my)
        best = min(best, np.float32(0.5) * a * dx * dx + b * dx * dy + np.float32(0.5) * c * dy * dy)
    for y in (y0, y1):
        dy = y - my
        dx = min(max(-b * dy / a, x0 - mx), x1 - mx)
        best = min(best, np.float32(0.5) * a * dx * dx + b * dx * dy + np.float32(0.5) * c * dy * dy)
    return best <= log255o + np.float32(1e-3)


@njit(cache=True, nogil=True)
def bin_tiles(order, means2d, conics, radii, opac, tile, tiles_x, tiles_y):  # pragma: no cover - compiled
    """(gid, tid, starts, counts) as raster_torch.bin_tiles with opacities: ``order`` the visible
    Gaussians in depth order; a counting sort by tile keeps that order within each tile."""
    n_t = tiles_x * tiles_y
    counts = np.zeros(n_t, dtype=np.int64)
    ft = np.float32(tile)
    for pass_ in range(2):
        if pass_ == 1:
            starts = np.zeros(n_t, dtype=np.int64)
            for t in range(1, n_t):
                starts[t] = starts[t - 1] + counts[t - 1]
            total = starts[n_t - 1] + counts[n_t - 1] if n_t else 0
            gid = np.empty(total, dtype=np.int64)
            tid = np.empty(total, dtype=np.int64)
            fill = starts.copy()
        for i in range(order.shape[0]):
            g = order[i]
            mx, my = means2d[g, 0], means2d[g, 1]
            rx, ry = np.float32(radii[g, 0]), np.float32(radii[g, 1])
            tx0 = int(min(max(np.floor((mx - rx) / ft), 0.0), tiles_x))
            tx1 = int(min(max(np.ceil((mx + rx) / ft), 0.0), tiles_x))
            ty0 = int(min(max(np.floor((my - ry) / ft), 0.0), tiles_y))
            ty1 = int(min(max(np.ceil((my + ry) / ft), 0.0), tiles_y))
            a, b, c = conics[g, 0], conics[g, 1], conics[g, 2]
            lo = np.log(opac[g] * np.float32(255.0))
            for ty in range(ty0, ty1):
                for tx in range(tx0, tx1):
                    px0 = np.float32(tx * tile) + np.float32(0.5)
                    py0 = np.float32(ty * tile) + np.float32(0.5)
                    if _reaches(mx, my, a, b, c, lo, px0, py0, px0 + np.float32(tile - 1), py0 + np.float32(tile - 1)):
                        t = ty * tiles_x + tx
                        if pass_ == 0:
                            counts[t] += 1
                        else:
                            gid[fill[t]] = g
                            tid[fill[t]] = t
                            fill[t] += 1
    return gid, tid, starts, counts


@njit(cache=True, nogil=True)
def coefs(gid, tid, means2d, conics, log_o, tiles_x, tile):  # pragma: no cover - compiled
    """(M, 6) per-intersection quadratic forms in tile-centred pixel coordinates, as render_torch builds them."""
    m = gid.shape[0]
    out = np.empty((m, 6), dtype=np.float32)
    half = np.float32(tile / 2.0)
    for i in range(m):
        g, t = gid[i], tid[i]
        mu = means2d[g, 0] - (np.float32(t % tiles_x) * np.float32(tile) + half)
        mv = means2d[g, 1] - (np.float32(t // tiles_x) * np.float32(tile) + half)
        a, b, c = conics[g, 0], conics[g, 1], conics[g, 2]
        out[i, 0] = np.float32(0.5) * a
        out[i, 1] = b
        out[i, 2] = np.float32(0.5) * c
        out[i, 3] = -a * mu - b * mv
        out[i, 4] = -b * mu - c * mv
        out[i, 5] = np.float32(0.5) * a * mu * mu + b * mu * mv + np.float32(0.5) * c * mv * mv - log_o[g]
    return out
