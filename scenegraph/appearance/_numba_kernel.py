"""The numba kernels behind :mod:`scenegraph.appearance.raster_numba` (imports numba: load it lazily).

Every kernel is single-threaded, ``nogil`` and works on one slice of its input (a range of
Gaussians or of tiles), so raster_numba's thread pool hands the slices out dynamically; no
numba threading layer is compiled or started.  Everything is float32, as the torch path.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

F32 = np.float32
_HALF = F32(0.5)
_ONE = F32(1.0)
_LOG2E = F32(1.4426950408889634)
_LN2_HI = F32(0.693359375)  # Cephes' split of ln 2: r = x - n ln2_hi - n ln2_lo is exact to ~1 ulp
_LN2_LO = F32(-2.12194440e-4)
_P0, _P1, _P2 = F32(1.9875691500e-4), F32(1.3981999507e-3), F32(8.3334519073e-3)
_P3, _P4, _P5 = F32(4.1665795894e-2), F32(1.6666665459e-1), F32(5.0000001201e-1)
_X_MIN, _X_MAX = F32(-10.0), F32(1.0)


@intrinsic
def _pow2(typingctx, n):  # pragma: no cover - compiled
    """2^n for an integer-valued float32 n in [-126, 127], built in the exponent bits: 32-bit integer
    operations only, so a loop of it vectorises 8 wide (numba's own int arithmetic would widen to 64 bits)."""
    if n != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        bits = builder.shl(builder.add(builder.fptosi(args[0], i32), ir.Constant(i32, 127)), ir.Constant(i32, 23))
        return builder.bitcast(bits, ir.FloatType())

    return types.float32(types.float32), codegen


@njit(inline="always")
def _exp(x):  # pragma: no cover - compiled
    """exp of a float32 in [-10, 1] (clamped), within ~1 ulp (Cephes expf), in plain arithmetic so
    a loop of it vectorises (a libm call would not)."""
    x = min(max(x, _X_MIN), _X_MAX)
    fx = np.floor(x * _LOG2E + _HALF)
    r = x - fx * _LN2_HI - fx * _LN2_LO
    y = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * (r * r) + r + _ONE
    return y * _pow2(fx)  # fx in [-15, 1]


@njit(inline="always")
def _tile_box(mx, my, rx, ry, ft, tiles_x, tiles_y):  # pragma: no cover - compiled
    tx0 = int(min(max(np.floor((mx - rx) / ft), 0.0), tiles_x))
    tx1 = int(min(max(np.ceil((mx + rx) / ft), 0.0), tiles_x))
    ty0 = int(min(max(np.floor((my - ry) / ft), 0.0), tiles_y))
    ty1 = int(min(max(np.ceil((my + ry) / ft), 0.0), tiles_y))
    return tx0, tx1, ty0, ty1


@njit(inline="always")
def _reaches(mx, my, a, b, c, log255o, x0, y0, x1, y1):  # pragma: no cover - compiled
    """raster_torch._reaches_tile for one (Gaussian, tile): min of the exponent over the pixel-centre rectangle."""
    if mx >= x0 and mx <= x1 and my >= y0 and my <= y1:
        return F32(0.0) <= log255o + F32(1e-3)
    best = F32(np.inf)
    for x in (x0, x1):
        dx = x - mx
        dy = min(max(-b * dx / c, y0 - my), y1 - my)
        best = min(best, _HALF * a * dx * dx + b * dx * dy + _HALF * c * dy * dy)
    for y in (y0, y1):
        dy = y - my
        dx = min(max(-b * dy / a, x0 - mx), x1 - mx)
        best = min(best, _HALF * a * dx * dx + b * dx * dy + _HALF * c * dy * dy)
    return best <= log255o + F32(1e-3)


@njit(cache=True, nogil=True)
def bin_count(order, lo, hi, means2d, conics, radii, opac, tile, tiles_x, tiles_y, counts):  # pragma: no cover
    """Tile intersections of the depth-ordered Gaussians ``order[lo:hi]`` (footprint-box tiles the
    ellipse reaches, as raster_torch.bin_tiles): counted per tile into ``counts`` (tiles,), and returned
    as (tile ids, Gaussian ids) in this order for :func:`bin_fill`."""
    ft = F32(tile)
    bound = 0
    for i in range(lo, hi):
        g = order[i]
        tx0, tx1, ty0, ty1 = _tile_box(means2d[g, 0], means2d[g, 1], F32(radii[g, 0]), F32(radii[g, 1]), ft, tiles_x,
                                       tiles_y)
        bound += max(0, tx1 - tx0) * max(0, ty1 - ty0)
    tids = np.empty(bound, dtype=np.int32)
    gids = np.empty(bound, dtype=np.int64)
    n = 0
    for i in range(lo, hi):
        g = order[i]
        mx, my = means2d[g, 0], means2d[g, 1]
        tx0, tx1, ty0, ty1 = _tile_box(mx, my, F32(radii[g, 0]), F32(radii[g, 1]), ft, tiles_x, tiles_y)
        a, b, c = conics[g, 0], conics[g, 1], conics[g, 2]
        lo255 = np.log(opac[g] * F32(255.0))
        for ty in range(ty0, ty1):
            for tx in range(tx0, tx1):
                px0 = F32(tx * tile) + _HALF
                py0 = F32(ty * tile) + _HALF
                if _reaches(mx, my, a, b, c, lo255, px0, py0, px0 + F32(tile - 1), py0 + F32(tile - 1)):
                    t = ty * tiles_x + tx
                    counts[t] += 1
                    tids[n] = t
                    gids[n] = g
                    n += 1
    return tids[:n], gids[:n]


@njit(cache=True, nogil=True)
def bin_fill(tids, gids, slots, gid):  # pragma: no cover - compiled
    """The counting sort's second pass: each recorded Gaussian id to ``gid[slots[t]]``, advancing ``slots[t]``."""
    for j in range(tids.shape[0]):
        t = tids[j]
        gid[slots[t]] = gids[j]
        slots[t] += 1


@njit(nogil=True)
def _coefs(mu, mv, a, b, c, log_o):  # pragma: no cover - compiled
    """The exponent's quadratic form in tile-centred pixel coordinates, rounded as render_torch builds it
    (compiled without fastmath: no fused multiply-adds)."""
    return (_HALF * a, b, _HALF * c, -a * mu - b * mv, -b * mu - c * mv,
            _HALF * a * mu * mu + b * mu * mv + _HALF * c * mv * mv - log_o)


_S = 1024  # pixel state stride: tiles up to 32 x 32


_FASTMATH = {"contract", "nsz", "arcp", "afn", "reassoc"}  # not nnan / ninf: a NaN input stays NaN, as in torch


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def composite_tiles(gid, starts, counts, tiles, lo, hi, means2d, conics, log_o, feat, tiles_x, tile, may_clamp,
                    alpha_max, alpha_min, t_min, q_cut, bg, rgb, alpha, depth):  # pragma: no cover - compiled
    """Front-to-back compositing of tiles ``tiles[lo:hi]`` (see raster_numba.composite) into the
    images rgb (H, W, 3) over ``bg`` (3,), alpha (H, W) and depth (H, W).

    Per intersection: the quadratic form q of the exponent in tile-centred pixel coordinates (as
    render_torch builds it), the rows its ellipse q <= q_cut touches, and along each row every pixel
    branch-free (alpha = min(alpha_max, exp(-q)), cut to 0 at alpha_min; a pixel whose transmittance
    would fall to t_min is finished, that Gaussian excluded), so the row loop vectorises.  The pixel
    state (transmittance, negative once finished; rgb + depth sums) lies in one array, a field every ``_S`` floats
    with the pixels contiguous: constant distances the vectoriser can prove apart.  A tile with no
    live pixel stops.
    """
    npx = tile * tile
    half = F32(tile / 2.0)
    ft = F32(tile)
    st = np.empty(5 * _S, dtype=np.float32)
    for ti in range(lo, hi):
        t = tiles[ti]
        for p in range(npx):
            st[p] = _ONE  # transmittance, negated once the pixel is finished
            for k in range(1, 5):
                st[k * _S + p] = F32(0.0)  # sums of w * (r, g, b, depth)
        ox = F32(t % tiles_x) * ft + half
        oy = F32(t // tiles_x) * ft + half
        alive = npx
        for i in range(starts[t], starts[t] + counts[t]):
            g = gid[i]
            ca, cb, cc, cd, ce, cf = _coefs(means2d[g, 0] - ox, means2d[g, 1] - oy, conics[g, 0], conics[g, 1],
                                            conics[g, 2], log_o[g])
            # rows the ellipse q <= q_cut touches (all rows where it is not an ellipse)
            r0, r1 = 0, tile
            det = ca * cc - F32(0.25) * cb * cb
            if det > F32(1e-12) and ca > F32(0.0):
                u0 = (cb * ce - F32(2.0) * cc * cd) / (F32(4.0) * det)
                v0 = (cb * cd - F32(2.0) * ca * ce) / (F32(4.0) * det)
                room = q_cut - (cf + _HALF * (cd * u0 + ce * v0))  # q_cut - min q
                if room < F32(0.0):
                    continue
                hv = np.sqrt(room * ca / det)
                r0 = max(0, int(np.ceil(v0 - hv + half - _HALF - F32(1e-3))))
                r1 = min(tile, int(np.floor(v0 + hv + half - _HALF + F32(1e-3))) + 1)
            f0, f1, f2, f3 = feat[g, 0], feat[g, 1], feat[g, 2], feat[g, 3]
            for r in range(r0, r1):
                v = F32(r) + _HALF - half
                # a constant row length lets the row loop vectorise without a scalar remainder
                if tile == 8:
                    alive -= _blend_row(st[r * 8:], 8, v, half, ca, cb, cc, cd, ce, cf, f0, f1, f2, f3, may_clamp,
                                        alpha_max, alpha_min, t_min)
                elif tile == 16:
                    alive -= _blend_row(st[r * 16:], 16, v, half, ca, cb, cc, cd, ce, cf, f0, f1, f2, f3, may_clamp,
                                        alpha_max, alpha_min, t_min)
                else:
                    alive -= _blend_row(st[r * tile:], tile, v, half, ca, cb, cc, cd, ce, cf, f0, f1, f2, f3,
                                        may_clamp, alpha_max, alpha_min, t_min)
            if alive <= 0:
                break
        _write_tile(st, t, tiles_x, tile, bg, rgb, alpha, depth)


@njit(nogil=True)
def _write_tile(st, t, tiles_x, tile, bg, rgb, alpha, depth):  # pragma: no cover - compiled
    """A tile's pixels into the images, as render_torch finishes them (alpha = 1 - T, rgb = sum + T bg,
    depth = sum z / alpha): compiled without fastmath, so rounded as torch rounds them."""
    y0, x0 = (t // tiles_x) * tile, (t % tiles_x) * tile
    for r in range(min(tile, rgb.shape[0] - y0)):
        for c in range(min(tile, rgb.shape[1] - x0)):
            p = r * tile + c
            tr = abs(st[p])
            a = _ONE - tr
            for k in range(3):
                rgb[y0 + r, x0 + c, k] = st[(1 + k) * _S + p] + tr * bg[k]
            alpha[y0 + r, x0 + c] = a
            depth[y0 + r, x0 + c] = st[4 * _S + p] / max(a, F32(1e-10))


@njit(inline="always")
def _blend_row(s, tile, v, half, ca, cb, cc, cd, ce, cf, f0, f1, f2, f3, may_clamp, alpha_max, alpha_min,
               t_min):  # pragma: no cover - compiled
    """One row of pixels (``s`` the pixel state from the row's first pixel on); the number of pixels it finished."""
    finished = F32(0.0)
    for c in range(tile):
        u = F32(c) + _HALF - half
        q = ca * (u * u) + cb * (u * v) + cc * (v * v) + cd * u + ce * v + cf
        al = _exp(-q)
        if may_clamp:
            al = min(al, alpha_max)
        al = al if al > alpha_min else F32(0.0)
        t0 = s[c]
        nt = t0 * (_ONE - al)  # < 0 when the pixel is finished (t0 < 0): never kept
        keep = nt > t_min
        finished += _ONE if (t0 > F32(0.0)) & (nt <= t_min) else F32(0.0)
        w = al * t0 if keep else F32(0.0)
        s[_S + c] += w * f0
        s[2 * _S + c] += w * f1
        s[3 * _S + c] += w * f2
        s[4 * _S + c] += w * f3
        s[c] = nt if keep else -abs(t0)
    return int(finished)


@njit(cache=True, nogil=True)
def project(lo, hi, means, quats, scales, opac, sh, degree, view, fx, fy, cx, cy, width, height, near, far, sh_c,
            means2d, conics, depths, radii, colors, cost):  # pragma: no cover - compiled
    """raster_torch.project and eval_sh (op for op, float32) for Gaussians lo..hi-1: means2d (N, 2),
    conics (N, 3), depths (N,), radii (N, 2) int32 (0 = culled), colors (N, 3); and into ``cost`` (2,)
    the footprint-box tile counts of the visible ones for 8 and 16 px tiles (raster_torch.pick_tile).

    ``view`` (4, 4) world->camera, ``sh_c`` the 14 SH constants (C0, C1, C2[5], C3[7]) as float32.
    """
    zero = F32(0.0)
    two = F32(2.0)
    lim_x_pos = F32((width - cx) / fx + 0.3 * (0.5 * width / fx))
    lim_x_neg = F32(cx / fx + 0.3 * (0.5 * width / fx))
    lim_y_pos = F32((height - cy) / fy + 0.3 * (0.5 * height / fy))
    lim_y_neg = F32(cy / fy + 0.3 * (0.5 * height / fy))
    fxf, fyf, cxf, cyf = F32(fx), F32(fy), F32(cx), F32(cy)
    eps2d, amin, ext_max = F32(0.3), F32(1.0 / 255.0), F32(3.33)
    nearf, farf, wf, hf = F32(near), F32(far), F32(width), F32(height)
    r00, r01, r02 = view[0, 0], view[0, 1], view[0, 2]
    r10, r11, r12 = view[1, 0], view[1, 1], view[1, 2]
    r20, r21, r22 = view[2, 0], view[2, 1], view[2, 2]
    # camera centre -R^T t, for the view directions of the SH colours
    cam0 = -(r00 * view[0, 3] + r10 * view[1, 3] + r20 * view[2, 3])
    cam1 = -(r01 * view[0, 3] + r11 * view[1, 3] + r21 * view[2, 3])
    cam2 = -(r02 * view[0, 3] + r12 * view[1, 3] + r22 * view[2, 3])
    basis = np.empty(16, dtype=np.float32)
    nk = (degree + 1) * (degree + 1)
    cost8 = 0.0
    cost16 = 0.0
    for i in range(lo, hi):
        # 3D covariance R S S^T R^T from the normalised xyzw quaternion, in the products' order of torch's matmuls
        qx, qy, qz, qw = quats[i, 0], quats[i, 1], quats[i, 2], quats[i, 3]
        qn = max(np.sqrt(qx * qx + qy * qy + qz * qz + qw * qw), F32(1e-12))
        x, y, z, w = qx / qn, qy / qn, qz / qn, qw / qn
        s0, s1, s2 = scales[i, 0], scales[i, 1], scales[i, 2]
        m00 = (_ONE - two * (y * y + z * z)) * s0
        m01 = (two * (x * y - w * z)) * s1
        m02 = (two * (x * z + w * y)) * s2
        m10 = (two * (x * y + w * z)) * s0
        m11 = (_ONE - two * (x * x + z * z)) * s1
        m12 = (two * (y * z - w * x)) * s2
        m20 = (two * (x * z - w * y)) * s0
        m21 = (two * (y * z + w * x)) * s1
        m22 = (_ONE - two * (x * x + y * y)) * s2
        k00 = m00 * m00 + m01 * m01 + m02 * m02
        k01 = m00 * m10 + m01 * m11 + m02 * m12
        k02 = m00 * m20 + m01 * m21 + m02 * m22
        k10 = m10 * m00 + m11 * m01 + m12 * m02
        k11 = m10 * m10 + m11 * m11 + m12 * m12
        k12 = m10 * m20 + m11 * m21 + m12 * m22
        k20 = m20 * m00 + m21 * m01 + m22 * m02
        k21 = m20 * m10 + m21 * m11 + m22 * m12
        k22 = m20 * m20 + m21 * m21 + m22 * m22
        rc00 = r00 * k00 + r01 * k10 + r02 * k20
        rc01 = r00 * k01 + r01 * k11 + r02 * k21
        rc02 = r00 * k02 + r01 * k12 + r02 * k22
        rc10 = r10 * k00 + r11 * k10 + r12 * k20
        rc11 = r10 * k01 + r11 * k11 + r12 * k21
        rc12 = r10 * k02 + r11 * k12 + r12 * k22
        rc20 = r20 * k00 + r21 * k10 + r22 * k20
        rc21 = r20 * k01 + r21 * k11 + r22 * k21
        rc22 = r20 * k02 + r21 * k12 + r22 * k22
        cv00 = rc00 * r00 + rc01 * r01 + rc02 * r02
        cv01 = rc00 * r10 + rc01 * r11 + rc02 * r12
        cv02 = rc00 * r20 + rc01 * r21 + rc02 * r22
        cv10 = rc10 * r00 + rc11 * r01 + rc12 * r02
        cv11 = rc10 * r10 + rc11 * r11 + rc12 * r12
        cv12 = rc10 * r20 + rc11 * r21 + rc12 * r22
        cv20 = rc20 * r00 + rc21 * r01 + rc22 * r02
        cv21 = rc20 * r10 + rc21 * r11 + rc22 * r12
        cv22 = rc20 * r20 + rc21 * r21 + rc22 * r22
        mx, my, mz = means[i, 0], means[i, 1], means[i, 2]
        tx = mx * r00 + my * r01 + mz * r02 + view[0, 3]
        ty = mx * r10 + my * r11 + mz * r12 + view[1, 3]
        tz = mx * r20 + my * r21 + mz * r22 + view[2, 3]
        tzs = tz if abs(tz) > F32(1e-12) else F32(1e-12)
        ctx = tzs * min(max(tx / tzs, -lim_x_neg), lim_x_pos)
        cty = tzs * min(max(ty / tzs, -lim_y_neg), lim_y_pos)
        # J cov J^T, J = [[fx/z, 0, -fx x/z^2], [0, fy/z, -fy y/z^2]]
        j00, j02 = fxf / tzs, -fxf * ctx / (tzs * tzs)
        j11, j12 = fyf / tzs, -fyf * cty / (tzs * tzs)
        a0 = j00 * cv00 + j02 * cv20
        a1 = j00 * cv01 + j02 * cv21
        a2 = j00 * cv02 + j02 * cv22
        b0 = j11 * cv10 + j12 * cv20
        b1 = j11 * cv11 + j12 * cv21
        b2 = j11 * cv12 + j12 * cv22
        c00 = a0 * j00 + a2 * j02 + eps2d
        c01 = a1 * j11 + a2 * j12
        c10 = b0 * j00 + b2 * j02
        c11 = b1 * j11 + b2 * j12 + eps2d
        det = max(c00 * c11 - c01 * c10, F32(1e-10))
        conics[i, 0] = c11 / det
        conics[i, 1] = F32(-0.5) * (c01 + c10) / det
        conics[i, 2] = c00 / det
        u = fxf * tx / tzs + cxf
        v = fyf * ty / tzs + cyf
        means2d[i, 0] = u
        means2d[i, 1] = v
        depths[i] = tz
        o = opac[i]
        ext = min(np.sqrt(two * np.log(max(o / amin, _ONE))), ext_max)
        rx = np.ceil(ext * np.sqrt(c00))
        ry = np.ceil(ext * np.sqrt(c11))
        ok = (tz > nearf) and (tz < farf) and (o >= amin) and (rx > zero or ry > zero)
        ok = ok and u + rx > zero and u - rx < wf and v + ry > zero and v - ry < hf
        radii[i, 0] = np.int32(rx) if ok else 0
        radii[i, 1] = np.int32(ry) if ok else 0
        if ok:
            cost8 += _box_tiles(u, v, rx, ry, 8, width, height)
            cost16 += _box_tiles(u, v, rx, ry, 16, width, height)
        # colour: SH of the unit view direction + 0.5, clamped at 0
        dx, dy, dz = mx - cam0, my - cam1, mz - cam2
        dn = max(np.sqrt(dx * dx + dy * dy + dz * dz), F32(1e-12))
        dx, dy, dz = dx / dn, dy / dn, dz / dn
        basis[0] = sh_c[0]
        if degree >= 1:
            basis[1] = -sh_c[1] * dy
            basis[2] = sh_c[1] * dz
            basis[3] = -sh_c[1] * dx
        if degree >= 2:
            xx, yy, zz = dx * dx, dy * dy, dz * dz
            basis[4] = sh_c[2] * dx * dy
            basis[5] = sh_c[3] * dy * dz
            basis[6] = sh_c[4] * (two * zz - xx - yy)
            basis[7] = sh_c[5] * dx * dz
            basis[8] = sh_c[6] * (xx - yy)
            if degree >= 3:
                basis[9] = sh_c[7] * dy * (F32(3.0) * xx - yy)
                basis[10] = sh_c[8] * dx * dy * dz
                basis[11] = sh_c[9] * dy * (F32(4.0) * zz - xx - yy)
                basis[12] = sh_c[10] * dz * (two * zz - F32(3.0) * xx - F32(3.0) * yy)
                basis[13] = sh_c[11] * dx * (F32(4.0) * zz - xx - yy)
                basis[14] = sh_c[12] * dz * (xx - yy)
                basis[15] = sh_c[13] * dx * (xx - F32(3.0) * yy)
        for ch in range(3):
            acc = zero
            for k in range(nk):
                acc += basis[k] * sh[i, k, ch]
            colors[i, ch] = max(acc + _HALF, zero)
    cost[0] = cost8
    cost[1] = cost16


@njit(inline="always")
def _box_tiles(u, v, rx, ry, tile, width, height):  # pragma: no cover - compiled
    """Tiles of a footprint box, as raster_torch.pick_tile counts them."""
    ft, zero = F32(tile), F32(0.0)
    ntx, nty = F32(-(-width // tile)), F32(-(-height // tile))
    nx = np.ceil(min(max((u + rx) / ft, zero), ntx)) - np.floor(min(max((u - rx) / ft, zero), ntx))
    ny = np.ceil(min(max((v + ry) / ft, zero), nty)) - np.floor(min(max((v - ry) / ft, zero), nty))
    return nx * ny
