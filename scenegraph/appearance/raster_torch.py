"""Tile-based Gaussian rasterizer in plain PyTorch: the CPU backend and the reference for gsplat.

The math is 3DGS / gsplat's "classic" mode: EWA projection with the
perspective Jacobian (clamped to 1.3x the field of view), a 0.3 px^2 low-pass
added to the 2D covariance, an opacity-aware 3-sigma footprint (3.33 sigma, or
less where the opacity drops below 1/255 sooner), SH colours + 0.5 clamped at
0, and front-to-back compositing with alpha = min(0.99, o exp(-d^T S^-1 d / 2)),
alphas below 1/255 skipped and a pixel finished once its transmittance would
fall to 1e-4 (that Gaussian excluded).

Cost follows covered pixels: Gaussians are binned into 16x16 tiles by their
footprint, sorted by depth per tile, and composited block by block (a block is
the next ``block`` Gaussians of every still-unfinished tile, evaluated as one
batched matrix product: the Gaussian exponent is a quadratic form in the
pixel's tile-local coordinates).  The backward pass is written by hand and
re-walks the same blocks front to back, so memory stays O(pixels + Gaussians).

The forward keeps (tiles, Gaussians, pixels) order so every operation runs along
contiguous pixels, and masks only the pixels that finish in a block: fewer,
larger operations, each one OpenMP barrier (torch's threads sleep there, see
``OMP_WAIT_POLICY`` in :mod:`scenegraph`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["SH_C1", "SH_C2", "SH_C3", "sh_basis", "eval_sh", "project", "render_torch", "RenderResult",
           "ALPHA_MAX", "ALPHA_MIN", "T_MIN", "EPS2D", "TILE",
           "pick_tile"]

SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
SH_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
SH_C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
         -0.4570457994644658, 1.445305721320277, -0.5900435899266435)  # fmt: skip
ALPHA_MAX = 0.99  # 3DGS's clamp (gsplat uses 0.999; equal below opacity 0.99)
ALPHA_MIN = 1.0 / 255.0
T_MIN = 1e-4
EPS2D = 0.3
TILE = 16
BLOCK = 16  # Gaussians per tile composited per step
# exponents are floored here before exp (exp(-10) < ALPHA_MIN, so the alpha is cut to 0 all the same): exp of an
# exponent that underflows (far pixels, the -inf of padding) takes torch's slow path, 10-25x the time of the rest
_EXP_FLOOR = -10.0
_CHUNK_ELEMENTS = 1 << 18  # (tiles x pixels x block) per step, about 1 MB of float32


def sh_basis(x: Any, y: Any, z: Any, degree: int) -> list[Any]:
    """The (degree+1)^2 real SH basis values (3DGS order and signs) of unit directions.

    Works on numpy arrays and torch tensors alike (plain arithmetic only).
    """
    out = [SH_C0 + 0.0 * x]
    if degree >= 1:
        out += [-SH_C1 * y, SH_C1 * z, -SH_C1 * x]
    if degree >= 2:
        xx, yy, zz = x * x, y * y, z * z
        out += [SH_C2[0] * x * y, SH_C2[1] * y * z, SH_C2[2] * (2.0 * zz - xx - yy), SH_C2[3] * x * z,
                SH_C2[4] * (xx - yy)]  # fmt: skip
    if degree >= 3:
        out += [
            SH_C3[0] * y * (3.0 * xx - yy),
            SH_C3[1] * x * y * z,
            SH_C3[2] * y * (4.0 * zz - xx - yy),
            SH_C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy),
            SH_C3[4] * x * (4.0 * zz - xx - yy),
            SH_C3[5] * z * (xx - yy),
            SH_C3[6] * x * (xx - 3.0 * yy),
        ]
    return out


def eval_sh(sh: Any, dirs: Any, degree: int) -> Any:
    """RGB (N, 3) = clamp(SH(dirs) + 0.5, min 0) for coefficients (N, K, 3) and directions (N, 3)."""
    import torch

    d = dirs / dirs.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    basis = torch.stack(sh_basis(d[:, 0], d[:, 1], d[:, 2], degree), dim=1)  # (N, k)
    k = basis.shape[1]
    return (torch.einsum("nk,nkc->nc", basis, sh[:, :k]) + 0.5).clamp_min(0.0)


def quat_scale_to_covar(quats: Any, scales: Any) -> Any:
    """3D covariances (N, 3, 3) = R S S^T R^T from xyzw quats (N, 4) and linear scales (N, 3)."""
    import torch

    q = quats / quats.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    x, y, z, w = q.unbind(-1)
    r = torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    ).reshape(-1, 3, 3)  # fmt: skip
    m = r * scales[:, None, :]
    return m @ m.transpose(1, 2)


@dataclass
class Projected:
    """Screen-space Gaussians: means2d (N, 2) px, conics (N, 3) (a, b, c) of S^-1, depths (N,),
    radii (N, 2) int px footprint (0 = culled)."""

    means2d: Any
    conics: Any
    depths: Any
    radii: Any


def project(means: Any, quats: Any, scales: Any, opacities: Any, viewmat: Any, intrinsics: tuple[float, float, float, float],
            width: int, height: int, near: float = 0.01, far: float = 1e10) -> Projected:
    """EWA-project Gaussians into a pinhole camera (OpenCV convention, ``viewmat`` world->camera (4, 4))."""
    import torch

    fx, fy, cx, cy = intrinsics
    rot, trans = viewmat[:3, :3], viewmat[:3, 3]
    t = means @ rot.T + trans
    cov = rot @ quat_scale_to_covar(quats, scales) @ rot.T
    tx, ty, tz = t.unbind(-1)
    lim_x_pos = (width - cx) / fx + 0.3 * (0.5 * width / fx)
    lim_x_neg = cx / fx + 0.3 * (0.5 * width / fx)
    lim_y_pos = (height - cy) / fy + 0.3 * (0.5 * height / fy)
    lim_y_neg = cy / fy + 0.3 * (0.5 * height / fy)
    tzs = torch.where(tz.abs() > 1e-12, tz, torch.full_like(tz, 1e-12))
    ctx = tzs * (tx / tzs).clamp(-lim_x_neg, lim_x_pos)
    cty = tzs * (ty / tzs).clamp(-lim_y_neg, lim_y_pos)
    zero = torch.zeros_like(tz)
    jac = torch.stack([fx / tzs, zero, -fx * ctx / tzs**2, zero, fy / tzs, -fy * cty / tzs**2], -1).reshape(-1, 2, 3)
    cov2d = jac @ cov @ jac.transpose(1, 2) + EPS2D * torch.eye(2, dtype=t.dtype)
    det = (cov2d[:, 0, 0] * cov2d[:, 1, 1] - cov2d[:, 0, 1] * cov2d[:, 1, 0]).clamp_min(1e-10)
    conics = torch.stack([cov2d[:, 1, 1] / det, -0.5 * (cov2d[:, 0, 1] + cov2d[:, 1, 0]) / det, cov2d[:, 0, 0] / det], -1)
    means2d = torch.stack([fx * tx / tzs + cx, fy * ty / tzs + cy], -1)
    with torch.no_grad():
        o = opacities.detach()
        extend = torch.sqrt(2.0 * torch.log((o / ALPHA_MIN).clamp_min(1.0))).clamp_max(3.33)
        rx = torch.ceil(extend * cov2d[:, 0, 0].detach().sqrt())
        ry = torch.ceil(extend * cov2d[:, 1, 1].detach().sqrt())
        m2 = means2d.detach()
        ok = (tz > near) & (tz < far) & (o >= ALPHA_MIN) & ((rx > 0) | (ry > 0))
        ok &= (m2[:, 0] + rx > 0) & (m2[:, 0] - rx < width) & (m2[:, 1] + ry > 0) & (m2[:, 1] - ry < height)
        radii = torch.stack([rx, ry], -1).masked_fill(~ok[:, None], 0).to(torch.int32)
    return Projected(means2d, conics, tz, radii)


def _reaches_tile(m2: Any, conics: Any, opac: Any, tx: Any, ty: Any, tile: int) -> Any:
    """(M,) bool: can the Gaussian reach alpha >= 1/255 at some pixel centre of its tile?

    Minimises the exponent's quadratic form over the rectangle of pixel centres
    (0 when the mean is inside, else the best point of the four edges), so a
    footprint box's corner tiles that the ellipse misses are dropped exactly.
    """
    import torch

    x0, y0 = tx * tile + 0.5, ty * tile + 0.5
    x1, y1 = x0 + (tile - 1), y0 + (tile - 1)
    mx, my = m2[:, 0], m2[:, 1]
    a, b, c = conics.unbind(-1)

    def q(dx: Any, dy: Any) -> Any:
        return 0.5 * a * dx * dx + b * dx * dy + 0.5 * c * dy * dy

    best = torch.full_like(mx, math.inf)
    for x in (x0, x1):
        dx = x - mx
        best = torch.minimum(best, q(dx, torch.minimum(torch.maximum(-b * dx / c, y0 - my), y1 - my)))
    for y in (y0, y1):
        dy = y - my
        best = torch.minimum(best, q(torch.minimum(torch.maximum(-b * dy / a, x0 - mx), x1 - mx), dy))
    inside = (mx >= x0) & (mx <= x1) & (my >= y0) & (my <= y1)
    best = torch.where(inside, torch.zeros_like(best), best)
    return best <= torch.log(opac * 255.0) + 1e-3


def bin_tiles(proj: Projected, width: int, height: int, tile: int = TILE, opacities: Any = None) -> tuple[Any, Any, Any, Any, int, int]:
    """Tile intersections sorted by (tile, depth): (gaussian ids (M,), tile ids (M,), tile starts, tile counts, tiles_x, tiles_y).

    With ``opacities`` (N,), tiles of the footprint box that the Gaussian cannot reach are dropped.
    """
    import torch

    tiles_x, tiles_y = -(-width // tile), -(-height // tile)
    with torch.no_grad():
        m2 = proj.means2d.detach()
        r = proj.radii.to(m2.dtype)
        vis = torch.nonzero((proj.radii > 0).any(-1)).squeeze(1)
        vis = vis[torch.argsort(proj.depths.detach()[vis], stable=True)]
        x0 = torch.floor((m2[vis, 0] - r[vis, 0]) / tile).clamp(0, tiles_x).long()
        x1 = torch.ceil((m2[vis, 0] + r[vis, 0]) / tile).clamp(0, tiles_x).long()
        y0 = torch.floor((m2[vis, 1] - r[vis, 1]) / tile).clamp(0, tiles_y).long()
        y1 = torch.ceil((m2[vis, 1] + r[vis, 1]) / tile).clamp(0, tiles_y).long()
        w, h = x1 - x0, y1 - y0
        n = w * h
        gid = torch.repeat_interleave(vis, n)
        k = torch.arange(int(n.sum()), dtype=torch.long) - torch.repeat_interleave(torch.cumsum(n, 0) - n, n)
        wr = torch.repeat_interleave(w, n).clamp_min(1)
        tid = (torch.repeat_interleave(y0, n) + k // wr) * tiles_x + torch.repeat_interleave(x0, n) + k % wr
        if opacities is not None and gid.numel():
            keep = _reaches_tile(m2[gid], proj.conics.detach()[gid], opacities.detach()[gid], tid % tiles_x,
                                 torch.div(tid, tiles_x, rounding_mode="floor"), tile)  # fmt: skip
            gid, tid = gid[keep], tid[keep]
        tid, order = torch.sort(tid, stable=True)
        gid = gid[order]
        counts = torch.bincount(tid, minlength=tiles_x * tiles_y)
        starts = torch.cumsum(counts, 0) - counts
    return gid, tid, starts, counts, tiles_x, tiles_y


def _pixel_features(tile: int, dtype: Any) -> Any:
    """(tile^2, 6) [u^2, uv, v^2, u, v, 1] of pixel centres relative to the tile centre."""
    import torch

    c = torch.arange(tile, dtype=dtype) + 0.5 - tile / 2.0
    v, u = torch.meshgrid(c, c, indexing="ij")
    u, v = u.reshape(-1), v.reshape(-1)
    return torch.stack([u * u, u * v, v * v, u, v, torch.ones_like(u)], -1)


@dataclass
class _Block:
    """One block of the sweep: tiles ``act`` (Ta,), intersections ``idx`` (Ta, B) (``valid`` mask),
    alpha (Ta, P, B) after clamp and 1/255 cut, ``clamped`` mask (backward only), weights
    w = alpha T (0 where excluded), ``include`` (Ta, P, B; None when all are included) and
    exclusive transmittance ``t_excl``."""

    act: Any
    idx: Any
    valid: Any
    alpha: Any
    clamped: Any
    w: Any
    include: Any
    t_excl: Any


def _sweep(coef: Any, starts: Any, counts: Any, pix: Any, block: int, t_final: Any, may_clamp: bool = True,
           backward: bool = False) -> Iterator[_Block]:
    """Walk depth-sorted blocks of every tile front to back, yielding a :class:`_Block` each.

    Per-pixel transmittance of the live tiles is kept compacted; a finished pixel's
    transmittance goes to ``t_final`` (n_tiles, P), written in place (it ends as the
    image's final transmittance).  ``may_clamp`` False (no opacity above ALPHA_MAX) skips the clamp.
    """
    import torch

    nonempty = torch.nonzero(counts > 0).squeeze(1)
    chunk = max(1, _CHUNK_ELEMENTS // (pix.shape[0] * block))  # tiles per chunk: temporaries stay in cache
    for lo in range(0, nonempty.numel(), chunk):
        yield from _sweep_tiles(nonempty[lo:lo + chunk], coef, starts, counts, pix, block, t_final, may_clamp, backward)


def _sweep_tiles(act: Any, coef: Any, starts: Any, counts: Any, pix: Any, block: int, t_final: Any, may_clamp: bool,
                 backward: bool) -> Iterator[_Block]:
    import torch
    import torch.nn.functional as F

    m = coef.shape[0]
    st, cn = starts[act], counts[act]
    tc = torch.ones(act.numel(), pix.shape[0], dtype=coef.dtype)  # live T; 0 once a pixel is done
    tstop = torch.ones_like(tc)  # T where a pixel stopped
    ar = torch.arange(block)
    ncoef = -coef
    empty_row = torch.tensor([0, 0, 0, 0, 0, -math.inf], dtype=coef.dtype)
    one = torch.ones((), dtype=coef.dtype)
    b0 = 0
    while act.numel():
        pos = b0 + ar
        valid = pos[None, :] < cn[:, None]
        idx = (st[:, None] + pos[None, :]).clamp_max(max(m - 1, 0))
        cf = torch.where(valid[..., None], ncoef[idx], empty_row)
        alpha = torch.matmul(pix, cf.transpose(1, 2)).clamp_min_(_EXP_FLOOR).exp_()  # (Ta, P, B)
        clamped = alpha > ALPHA_MAX if backward and may_clamp else None
        if may_clamp:
            alpha.clamp_(max=ALPHA_MAX)
        F.threshold_(alpha, ALPHA_MIN, 0.0)
        buf = torch.empty(alpha.shape[0], alpha.shape[1], block + 1, dtype=alpha.dtype)
        buf[:, :, 0] = tc
        torch.add(one, alpha, alpha=-1.0, out=buf[:, :, 1:])
        buf.cumprod_(2)
        t_excl, t_incl = buf[:, :, :-1], buf[:, :, 1:]
        alive = t_incl[:, :, -1] > T_MIN
        w = alpha * t_excl
        if bool(alive.all()):  # no pixel finishes in this block: every Gaussian counts
            include = None
        else:
            include = t_incl > T_MIN
            w.mul_(include)
        yield _Block(act, idx, valid, alpha, clamped, w, include, t_excl)
        stopped = ~alive & (tc > 0)
        if bool(stopped.any()):
            first_out = include.sum(2, keepdim=True).clamp_max(block - 1)
            tstop = torch.where(stopped, t_excl.gather(2, first_out)[:, :, 0], tstop)
        tc = torch.where(alive, t_incl[:, :, -1], torch.zeros_like(tc))
        b0 += block
        keep = (cn > b0) & (tc > 0).any(1)
        if not bool(keep.all()):
            gone = ~keep
            t_final[act[gone]] = torch.where(tc[gone] > 0, tc[gone], tstop[gone])
            act, st, cn, tc, tstop = act[keep], st[keep], cn[keep], tc[keep], tstop[keep]


def _composite_forward(coef: Any, feat: Any, starts: Any, counts: Any, pix: Any, block: int, may_clamp: bool,
                       out: Any, t_final: Any) -> None:
    """The forward sweep (what :func:`_sweep` yields, accumulated) in fewer, larger operations: see :func:`_forward_tiles`.
    (Sharing the chunks among Python threads running torch single-threaded was tried: under load their GIL
    hand-offs made it 2-3x slower than torch's own threads.)"""
    import torch

    nonempty = torch.nonzero(counts > 0).squeeze(1)
    chunk = max(1, _CHUNK_ELEMENTS // (pix.shape[0] * block))
    # a last row past the intersections stands for "no Gaussian" (its alpha is cut to 0): one gather, no mask
    ncoef = torch.cat([-coef.detach(), coef.new_tensor([[0, 0, 0, 0, 0, 2 * _EXP_FLOOR]])])
    pix_t = pix.t().contiguous()
    feat = torch.cat([feat.detach(), feat.new_zeros(1, feat.shape[1])])
    for lo in range(0, nonempty.numel(), chunk):
        _forward_tiles(nonempty[lo:lo + chunk], ncoef, feat, starts, counts, pix_t, block, may_clamp, out, t_final)


def _forward_tiles(act: Any, ncoef: Any, feat: Any, starts: Any, counts: Any, pix_t: Any, block: int, may_clamp: bool,
                   out: Any, t_final: Any) -> None:
    """One chunk of tiles front to back, in (tiles, Gaussians, pixels) layout: the transmittance product runs
    along a middle axis with the pixels contiguous, and only pixels finishing in a block are masked.
    ``ncoef`` (M + 1, 6) and ``feat`` (M + 1, C) end with the row of no Gaussian."""
    import torch
    import torch.nn.functional as F

    none = ncoef.shape[0] - 1
    npx = pix_t.shape[1]
    st, cn = starts[act], counts[act]
    tc = torch.ones(act.numel(), npx, dtype=ncoef.dtype)
    tstop = torch.ones_like(tc)
    ar = torch.arange(block)
    acc = torch.zeros(act.numel(), feat.shape[1], npx, dtype=ncoef.dtype)  # (Ta, C, P): sum of w f
    b0 = 0
    while act.numel():
        pos = b0 + ar
        idx = torch.where(pos[None, :] < cn[:, None], st[:, None] + pos[None, :], none)
        cf = ncoef[idx]  # (Ta, B, 6)
        alpha = torch.matmul(cf, pix_t).clamp_min_(_EXP_FLOOR).exp_()  # (Ta, B, P)
        if may_clamp:
            alpha.clamp_(max=ALPHA_MAX)
        F.threshold_(alpha, ALPHA_MIN, 0.0)
        buf = torch.empty(alpha.shape[0], block + 1, npx, dtype=alpha.dtype)
        buf[:, 0] = tc
        torch.sub(1.0, alpha, out=buf[:, 1:])
        for k in range(block):  # the running product, slice by slice: each (tiles, pixels) slice vectorises
            buf[:, k + 1].mul_(buf[:, k])
        last = buf[:, block]
        alive = last > T_MIN
        w = alpha.mul_(buf[:, :block])  # alpha T_excl
        stopped = ~alive & (tc > 0)
        n_stop = int(stopped.sum())
        if n_stop:  # these pixels finish here: the Gaussian that takes T under T_MIN and those after it drop out
            if 8 * n_stop > stopped.numel():  # many: one dense mask
                inc_all = buf[:, 1:] > T_MIN
                w.mul_(inc_all)
                first_out = inc_all.sum(1, keepdim=True).clamp_max(block - 1)  # (Ta, 1, P)
                tstop = torch.where(stopped, buf[:, :block].gather(1, first_out)[:, 0], tstop)
            else:
                ti, pi = stopped.nonzero(as_tuple=True)
                inc = buf[ti, 1:, pi] > T_MIN  # (n, B)
                w[ti, :, pi] = w[ti, :, pi] * inc
                first_out = inc.sum(1, keepdim=True).clamp_max(block - 1)
                tstop[ti, pi] = buf[ti, :block, pi].gather(1, first_out)[:, 0]
        acc.baddbmm_(feat[idx].transpose(1, 2), w)  # (Ta, C, B) @ (Ta, B, P)
        tc = torch.where(alive, last, torch.zeros_like(tc))
        b0 += block
        keep = (cn > b0) & (tc > 0).any(1)
        n_keep = int(keep.sum())
        if 4 * n_keep <= 3 * keep.numel() or not n_keep:  # a quarter done: drop them (until then they add 0)
            gone = ~keep
            t_final[act[gone]] = torch.where(tc[gone] > 0, tc[gone], tstop[gone])
            out[act[gone]] = acc[gone].transpose(1, 2)  # tiles of different chunks are distinct
            act, st, cn, tc, tstop, acc = act[keep], st[keep], cn[keep], tc[keep], tstop[keep], acc[keep]


class _Composite:
    """torch.autograd.Function compositing per-intersection quadratic forms; built lazily (torch import)."""

    fn = None

    @classmethod
    def get(cls) -> Any:
        if cls.fn is not None:
            return cls.fn
        import torch

        class Composite(torch.autograd.Function):
            @staticmethod
            def forward(ctx, coef, feat, starts, counts, pix, block, may_clamp):  # noqa: ANN001
                out = torch.zeros(counts.shape[0], pix.shape[0], feat.shape[1], dtype=coef.dtype)
                t_final = torch.ones(counts.shape[0], pix.shape[0], dtype=coef.dtype)
                _composite_forward(coef, feat, starts, counts, pix, block, may_clamp, out, t_final)
                ctx.save_for_backward(coef, feat, starts, counts, pix, out, t_final)
                ctx.block, ctx.may_clamp = block, may_clamp
                return out, t_final

            @staticmethod
            def backward(ctx, g_out, g_t):  # noqa: ANN001
                coef, feat, starts, counts, pix, out, t_final = ctx.saved_tensors
                g_coef = torch.zeros_like(coef)
                g_feat = torch.zeros_like(feat)
                g_out = g_out.contiguous()
                s_total = (out * g_out).sum(-1)
                g_tt = g_t * t_final
                prefix = torch.zeros_like(s_total)
                scratch = torch.ones_like(t_final)
                for blk in _sweep(coef, starts, counts, pix, ctx.block, scratch, ctx.may_clamp, backward=True):
                    act, idx, valid, alpha = blk.act, blk.idx, blk.valid, blk.alpha
                    go = g_out[act]
                    fg = torch.matmul(go, feat[idx].transpose(1, 2))  # (Ta, P, B): f_i . dL/dF
                    pre = torch.cumsum(blk.w * fg, dim=2).add_(prefix[act][:, :, None])
                    prefix[act] = pre[:, :, -1]
                    # dL/dalpha_i = T_i f_i.g - (sum_{j>i} w_j f_j.g + g_T T_final) / (1 - alpha_i)
                    rest = pre.neg_().add_((s_total[act] + g_tt[act])[:, :, None])
                    d_alpha = (blk.t_excl * fg).sub_(rest.div_(1.0 - alpha))
                    a_live = alpha if blk.include is None else alpha * blk.include
                    if blk.clamped is not None:
                        a_live = a_live.masked_fill(blk.clamped, 0.0)
                    d_q = d_alpha.mul_(a_live)  # dL/d(-q): alpha = exp(-q)
                    gc = torch.matmul(d_q.transpose(1, 2), pix)  # (Ta, B, 6) w.r.t. -coef
                    gf = torch.matmul(blk.w.transpose(1, 2), go)  # (Ta, B, C)
                    sel = idx[valid]
                    g_coef[sel] = -gc[valid]
                    g_feat[sel] = gf[valid]
                return g_coef, g_feat, None, None, None, None, None

        cls.fn = Composite
        return Composite


@dataclass
class RenderResult:
    """rgb (H, W, 3), alpha (H, W), depth (H, W) (alpha-normalised expected camera z, 0 where empty).

    Unpacks as ``rgb, alpha, depth``; ``info`` holds per-Gaussian means2d (N, 2), radii (N, 2) and
    backend extras (used by densification).
    """

    rgb: Any
    alpha: Any
    depth: Any
    info: dict = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.rgb, self.alpha, self.depth))


_SIZED = False


def _size_threads(torch: Any) -> None:
    """Once per process: no more intra-op threads than the cores this process may use (CPU affinity,
    cgroup quota); torch counts the machine's cores, and surplus threads only wait at barriers."""
    global _SIZED
    if not _SIZED:
        from scenegraph.model.cpus import available_cores

        _SIZED = True
        if torch.get_num_threads() > available_cores():
            torch.set_num_threads(available_cores())


_TILES = (8, 16)  # the sides pick_tile chooses from
_ISECT_COST = 48  # one tile intersection (binning, sorting, gathering) costs about as much as this many pixel tests


def pick_tile(proj: Projected, width: int, height: int) -> int:
    """The tile side (8 or 16 px) with the least estimated work for these footprints: every
    intersection tests tile^2 pixels and costs about ``_ISECT_COST`` pixel tests of overhead.
    Small splats (the cloud of a fitted scene, proxy splats far away) get 8, large ones 16;
    the image does not depend on the tile, only the time does."""
    import torch

    with torch.no_grad():
        r = proj.radii.to(torch.float32)
        m2 = proj.means2d.detach().to(torch.float32)
        vis = (proj.radii > 0).any(-1)
        r, m2 = r[vis], m2[vis]
        boxes = []
        for t in _TILES:
            nx = (torch.ceil(((m2[:, 0] + r[:, 0]) / t).clamp(0, -(-width // t)))
                  - torch.floor(((m2[:, 0] - r[:, 0]) / t).clamp(0, -(-width // t))))
            ny = (torch.ceil(((m2[:, 1] + r[:, 1]) / t).clamp(0, -(-height // t)))
                  - torch.floor(((m2[:, 1] - r[:, 1]) / t).clamp(0, -(-height // t))))
            boxes.append(float((nx * ny).sum()))
    return _cheapest_tile(boxes)


def _cheapest_tile(box_tiles: Any) -> int:
    """The side in ``_TILES`` whose footprint-box tile count (one per side) costs least (the first on a tie)."""
    best, best_cost = TILE, math.inf
    for t, n in zip(_TILES, box_tiles):
        cost = float(n) * (t * t + _ISECT_COST)
        if cost < best_cost:
            best, best_cost = t, cost
    return best


def _wants_compiled(params: dict) -> bool:
    """The compiled forward serves this render: no gradient wanted, a float32 CPU cloud, numba installed."""
    import torch

    from scenegraph.appearance import raster_numba

    tensors = [params[k] for k in ("means", "quats", "scales", "opacities", "sh")]
    if torch.is_grad_enabled() and any(x.requires_grad for x in tensors):
        return False
    if any(x.dtype != torch.float32 or x.device.type != "cpu" for x in tensors):
        return False
    return raster_numba.available()


def _render_compiled(params: dict, viewmat: Any, intrinsics: tuple[float, float, float, float], width: int,
                     height: int, background: Any, sh_degree: int, near: float, far: float, tile: int | None) -> tuple:
    """(rgb, alpha, depth, intersections, tile, projected) from :mod:`raster_numba`: projection, SH colours,
    tile choice, binning, compositing and the images compiled (the no-grad forward)."""
    import numpy as np
    import torch

    from scenegraph.appearance import raster_numba

    arrays = [params[k].detach().numpy() for k in ("means", "quats", "scales", "opacities", "sh")]
    p = raster_numba.project(*arrays, sh_degree, viewmat.detach().numpy(), intrinsics, width, height, near, far,
                             (SH_C0, SH_C1, *SH_C2, *SH_C3))
    if tile is None:
        tile = _cheapest_tile(p["box_tiles"])
    opac = arrays[3]
    feat = np.concatenate([p["colors"], p["depths"][:, None]], 1)
    rgb, alpha, depth, n = raster_numba.composite(
        p["means2d"], p["conics"], p["depths"], p["radii"], opac, feat, tile, width, height,
        background.detach().to(torch.float32).numpy(), bool(opac.size) and float(opac.max()) > ALPHA_MAX, ALPHA_MAX,
        ALPHA_MIN, T_MIN, _EXP_FLOOR)
    proj = Projected(*(torch.from_numpy(p[k]) for k in ("means2d", "conics", "depths", "radii")))
    return torch.from_numpy(rgb), torch.from_numpy(alpha), torch.from_numpy(depth), n, tile, proj


def _composite_autograd(proj: Projected, colors: Any, opac: Any, tile: int, width: int, height: int,
                        block: int) -> tuple:
    """(out, t_final, intersections) of the differentiable torch binning and compositing."""
    import torch

    dtype = proj.means2d.dtype
    gid, tid, starts, counts, tiles_x, tiles_y = bin_tiles(proj, width, height, tile, opac)
    # per-intersection quadratic form of the exponent in tile-centred pixel coordinates
    ox = (tid % tiles_x).to(dtype) * tile + tile / 2.0
    oy = torch.div(tid, tiles_x, rounding_mode="floor").to(dtype) * tile + tile / 2.0
    log_o = torch.log(opac.clamp_min(1e-30))
    table = torch.cat([proj.means2d, proj.conics, log_o[:, None], colors, proj.depths[:, None]], -1)[gid]  # (M, 10)
    mu, mv = table[:, 0] - ox, table[:, 1] - oy
    a, b, c = table[:, 2], table[:, 3], table[:, 4]
    coef = torch.stack([0.5 * a, b, 0.5 * c, -a * mu - b * mv, -b * mu - c * mv,
                        0.5 * a * mu * mu + b * mu * mv + 0.5 * c * mv * mv - table[:, 5]], -1)  # fmt: skip
    feat = table[:, 6:]
    pix = _pixel_features(tile, dtype)
    may_clamp = bool(opac.numel()) and float(opac.detach().max()) > ALPHA_MAX
    out, t_final = _Composite.get().apply(coef, feat, starts, counts, pix, block, may_clamp)
    return out, t_final, int(gid.numel())


def render_torch(params: dict, viewmat: Any, intrinsics: tuple[float, float, float, float], width: int, height: int,
                 background: Any, sh_degree: int, near: float = 0.01, far: float = 1e10, *, tile: int | None = None,
                 block: int = BLOCK) -> RenderResult:
    """Rasterize ``params`` (means, quats xyzw, scales, opacities, sh as torch tensors) on the CPU.

    ``viewmat`` (4, 4) world->camera tensor, ``intrinsics`` (fx, fy, cx, cy) px, ``background`` (3,) tensor.
    ``tile`` None picks 8 or 16 by the footprints (:func:`pick_tile`); ``info["tile"]`` says which.
    Differentiable with respect to every tensor in ``params``.
    """
    import torch

    _size_threads(torch)
    means, quats, scales, opac, sh = (params[k] for k in ("means", "quats", "scales", "opacities", "sh"))
    dtype = means.dtype
    compiled = _wants_compiled(params)
    if compiled:
        rgb, alpha, depth, n_isect, tile, proj = _render_compiled(params, viewmat, intrinsics, width, height,
                                                                  background, sh_degree, near, far, tile)
    else:
        proj = project(means, quats, scales, opac, viewmat, intrinsics, width, height, near, far)
        campos = -viewmat[:3, :3].T @ viewmat[:3, 3]
        colors = eval_sh(sh, means - campos, sh_degree)
        if tile is None:
            tile = pick_tile(proj, width, height)
        out, t_final, n_isect = _composite_autograd(proj, colors, opac, tile, width, height, block)
        tiles_x, tiles_y = -(-width // tile), -(-height // tile)
        img = out.reshape(tiles_y, tiles_x, tile, tile, 4).permute(0, 2, 1, 3, 4).reshape(tiles_y * tile, tiles_x * tile,
                                                                                          4)
        t_img = t_final.reshape(tiles_y, tiles_x, tile, tile).permute(0, 2, 1, 3).reshape(tiles_y * tile,
                                                                                          tiles_x * tile)
        img, t_img = img[:height, :width], t_img[:height, :width]
        alpha = 1.0 - t_img
        rgb = img[..., :3] + t_img[..., None] * background.to(dtype)
        depth = img[..., 3] / alpha.clamp_min(1e-10)
    return RenderResult(rgb, alpha, depth, {"means2d": proj.means2d, "radii": proj.radii, "depths": proj.depths,
                                            "n_intersections": n_isect, "tile": tile,
                                            "compositor": "numba" if compiled else "torch",
                                            "width": width, "height": height, "n_cameras": 1})
