"""``fit_gaussians``: optimise a Gaussian cloud against posed images (3DGS-style).

Adam with per-parameter learning rates (3DGS / gsplat defaults, positions
scaled by the scene size and decayed 100x), loss 0.8 L1 + 0.2 (1 - SSIM),
SH degree raised step by step, and either "default" densification (clone
small / split large Gaussians with a high view-space gradient, prune faint
ones) or "mcmc" (a fixed budget; faint Gaussians relocated onto live ones,
position noise).  On CUDA with gsplat, gsplat's own DefaultStrategy /
MCMCStrategy run instead.  Every ``holdout_every``-th view is held out and
scored by PSNR and SSIM.  Parameters live in gsplat's convention: wxyz quats,
log scales, logit opacities, ``sh0`` (N, 1, 3) and ``shN`` (N, K-1, 3).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from scenegraph.model.gaussians import Gaussians
from scenegraph.errors import ModelError

__all__ = ["FitResult", "fit_gaussians", "psnr", "ssim", "initial_points"]

LRS = {"means": 1.6e-4, "scales": 5e-3, "quats": 1e-3, "opacities": 5e-2, "sh0": 2.5e-3, "shN": 2.5e-3 / 20}


@dataclass
class FitResult:
    """The fitted cloud, mean held-out PSNR (dB) and SSIM, wall seconds, and a loss history
    (dicts with step, loss, gaussians every ``log_every`` steps)."""

    gaussians: Gaussians
    psnr_db: float
    ssim: float
    seconds: float
    history: list[dict] = field(default_factory=list)
    backend: str = "torch"
    held_out: list[str] = field(default_factory=list)


def psnr(a: Any, b: Any) -> float:
    """PSNR in dB of two images in [0, 1] (any matching shapes)."""
    mse = float(((a - b) ** 2).mean())
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))


def ssim(a: Any, b: Any, window: int = 11, sigma: float = 1.5) -> Any:
    """Mean SSIM (torch scalar, differentiable) of two (H, W, 3) images with a Gaussian window."""
    import torch
    import torch.nn.functional as F

    x = torch.arange(window, dtype=a.dtype, device=a.device) - window // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    kernel = (g[:, None] * g[None, :]).expand(3, 1, window, window)
    img1, img2 = a.permute(2, 0, 1)[None], b.permute(2, 0, 1)[None]

    def blur(t: Any) -> Any:
        return F.conv2d(t, kernel, padding=window // 2, groups=3)

    mu1, mu2 = blur(img1), blur(img2)
    s11 = blur(img1 * img1) - mu1 * mu1
    s22 = blur(img2 * img2) - mu2 * mu2
    s12 = blur(img1 * img2) - mu1 * mu2
    c1, c2 = 0.01**2, 0.03**2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2))
    return m.mean()


def _view_box(views: Sequence[Any]) -> np.ndarray:
    """Box (2, 3) the cameras look at: least-squares meeting point of their optical axes +- what they see there."""
    a = np.zeros((3, 3))
    b = np.zeros(3)
    eyes, axes = [], []
    for v in views:
        c2w = v.camera.camera_to_world
        eye, axis = c2w[:3, 3], c2w[:3, 2] / np.linalg.norm(c2w[:3, 2])
        p = np.eye(3) - np.outer(axis, axis)
        a += p
        b += p @ eye
        eyes.append(eye)
        axes.append(axis)
    centre = np.linalg.lstsq(a + 1e-9 * np.eye(3), b, rcond=None)[0]
    half = min(
        float(np.dot(centre - e, ax)) * 0.5 * max(v.camera.width / v.camera.fx, v.camera.height / v.camera.fy)
        for v, e, ax in zip(views, eyes, axes)
    )
    half = max(half, 1e-3)
    return np.stack([centre - half, centre + half])


def initial_points(views: Sequence[Any], n: int, box: Any = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded start points (n, 3) and colours (n, 3): uniform in ``box`` (default: what the views
    look at), carved to the views' alpha masks (the visual hull) where masks exist.

    A point survives carving when every masked view that sees it sees it inside
    the mask, and at least half of the masked views see it at all (a point
    outside every frustum, e.g. above a ring of cameras, is not on the object).
    """
    rng = np.random.default_rng(seed)
    box = _view_box(views) if box is None else np.asarray(box, dtype=np.float64)
    masked = sum(v.alpha is not None for v in views)
    keep_pts, keep_rgb, have = [], [], 0
    for _ in range(20):
        pts = rng.uniform(box[0], box[1], (max(4 * n, 1024), 3))
        ok = np.ones(len(pts), bool)
        rgb = np.full((len(pts), 3), 0.5)
        got = np.zeros(len(pts), bool)
        seen_by_masked = np.zeros(len(pts), np.int64)
        for v in views:
            cam = v.camera
            pc = pts @ cam.world_to_camera[:3, :3].T + cam.world_to_camera[:3, 3]
            z = np.maximum(pc[:, 2], 1e-9)
            u = np.floor(cam.fx * pc[:, 0] / z + cam.cx).astype(np.int64)
            w = np.floor(cam.fy * pc[:, 1] / z + cam.cy).astype(np.int64)
            inside = (pc[:, 2] > cam.znear) & (u >= 0) & (u < cam.width) & (w >= 0) & (w < cam.height)
            ui, wi = np.clip(u, 0, cam.width - 1), np.clip(w, 0, cam.height - 1)
            if v.alpha is not None:
                ok &= ~inside | (v.alpha[wi, ui] > 0.5)
                seen_by_masked += inside
            first = inside & ~got
            rgb[first] = v.image[wi[first], ui[first]]
            got |= inside
        if masked:
            ok &= 2 * seen_by_masked >= masked
        keep_pts.append(pts[ok])
        keep_rgb.append(rgb[ok])
        have += int(ok.sum())
        if have >= n:
            break
    pts, rgb = np.concatenate(keep_pts), np.concatenate(keep_rgb)
    if len(pts) == 0:  # masks agree on nothing: fall back to the box
        pts, rgb = rng.uniform(box[0], box[1], (n, 3)), np.full((n, 3), 0.5)
    idx = rng.choice(len(pts), size=n, replace=len(pts) < n)
    return pts[idx], rgb[idx]


def _knn_scale(pts: Any, k: int = 3) -> Any:
    """Mean distance (N,) to the k nearest other points, in chunks."""
    import torch

    out = []
    for lo in range(0, len(pts), 2048):
        d = torch.cdist(pts[lo:lo + 2048], pts)
        out.append(d.topk(k + 1, largest=False).values[:, 1:].mean(1))
    return torch.cat(out)


def _init_params(views: Sequence[Any], n: int, init: Gaussians | None, box: Any, degree: int, seed: int, device: Any) -> dict:
    import torch

    from scenegraph.model.gaussians import rgb_to_sh

    k = (degree + 1) ** 2
    if init is not None:
        sh = np.zeros((len(init), k, 3), np.float32)
        kk = min(k, init.sh.shape[1])
        sh[:, :kk] = init.sh[:, :kk]
        o = np.clip(init.opacities.astype(np.float64), 1e-4, 1 - 1e-4)
        raw = {"means": init.means, "quats": init.quats[:, [3, 0, 1, 2]], "scales": np.log(init.scales),
               "opacities": np.log(o / (1 - o)), "sh0": sh[:, :1], "shN": sh[:, 1:]}  # fmt: skip
        return {name: torch.tensor(np.asarray(v, np.float32), device=device) for name, v in raw.items()}
    pts, rgb = initial_points(views, n, box, seed)
    means = torch.tensor(pts, dtype=torch.float32, device=device)
    dist = _knn_scale(means).clamp_min(1e-7)
    sh0 = torch.tensor(rgb_to_sh(rgb), dtype=torch.float32, device=device)[:, None, :]
    return {
        "means": means,
        "quats": torch.tensor([[1.0, 0.0, 0.0, 0.0]], device=device).repeat(n, 1),
        "scales": torch.log(dist)[:, None].repeat(1, 3),
        "opacities": torch.full((n,), math.log(0.1 / 0.9), device=device),
        "sh0": sh0,
        "shN": torch.zeros(n, k - 1, 3, device=device),
    }


def _render_dict(params: dict) -> dict:
    import torch

    return {
        "means": params["means"],
        "quats": params["quats"][:, [1, 2, 3, 0]],
        "scales": torch.exp(params["scales"]),
        "opacities": torch.sigmoid(params["opacities"]),
        "sh": torch.cat([params["sh0"], params["shN"]], 1),
    }


def _to_gaussians(params: dict) -> Gaussians:
    import torch

    with torch.no_grad():
        r = _render_dict(params)
        return Gaussians(*(r[k].detach().cpu().numpy() for k in ("means", "quats", "scales", "opacities", "sh")))


def fit_gaussians(views: Sequence[Any], *, num_gaussians: int = 5000, steps: int = 400, seed: int = 0,
                  init: Gaussians | None = None, bounds: Any = None, holdout_every: int = 8,
                  strategy: str = "default", sh_degree: int = 3, background: Any = (0.0, 0.0, 0.0),
                  progress: bool = True, device: Any = None, backend: str = "auto", log_every: int = 25) -> FitResult:
    """Fit Gaussians to posed views (:class:`~scenegraph.world.views.PosedView`).

    ``num_gaussians`` is the budget (MCMC keeps exactly that many; "default" starts
    at half and densifies up to it).  ``init`` starts from a given cloud instead of
    points carved from the views' masks inside ``bounds`` (2, 3) (default: the box
    the cameras look at).  Images are compared over ``background``.  Same views,
    arguments and seed give the same cloud on the CPU.
    Raises ModelError for no views or a bad argument.
    """
    import torch

    from scenegraph.appearance.densify import make_strategy
    from scenegraph.appearance.rasterize import _cuda_ready, render_gaussians

    views = list(views)
    if not views:
        raise ModelError("fit_gaussians: no views given (an empty capture?)")
    if strategy not in ("default", "mcmc"):
        raise ModelError(f"fit_gaussians: unknown strategy {strategy!r} (default, mcmc)")
    if num_gaussians < 1 or steps < 1 or not 0 <= sh_degree <= 3:
        raise ModelError(f"fit_gaussians: need num_gaussians >= 1, steps >= 1, sh_degree 0-3 (got {num_gaussians}, {steps}, {sh_degree})")
    if backend == "auto":
        backend = "gsplat" if _cuda_ready() and device in (None, "cuda") else "torch"
    if backend not in ("gsplat", "torch"):
        raise ModelError(f"fit_gaussians: unknown backend {backend!r} (auto, gsplat, torch)")
    if backend == "torch" and device not in (None, "cpu"):
        raise ModelError(f"fit_gaussians: the torch backend runs on the CPU, not {device!r}")
    device = torch.device("cuda" if backend == "gsplat" else "cpu")
    tile = 16 if backend == "gsplat" else 8  # same pixels; 8 px tiles test fewer pixels per splat on the CPU
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    test_idx = [i for i in range(len(views)) if holdout_every > 0 and len(views) > 1 and i % holdout_every == 0]
    train = [v for i, v in enumerate(views) if i not in test_idx] or views
    test = [views[i] for i in test_idx] or views
    targets = [torch.as_tensor(v.image, device=device) for v in train]
    bg = torch.as_tensor(background, dtype=torch.float32, device=device)

    start_n = num_gaussians if (strategy == "mcmc" or init is not None) else max(1, num_gaussians // 2)
    params = _init_params(train, start_n, init, bounds, sh_degree, seed, device)
    extent = float((params["means"].amax(0) - params["means"].amin(0)).norm()) * 0.5 or 1.0
    params = torch.nn.ParameterDict({k: torch.nn.Parameter(v) for k, v in params.items()})
    lrs = dict(LRS, means=LRS["means"] * extent * 10)
    optimizers = {k: torch.optim.Adam([{"params": [params[k]], "lr": lrs[k], "name": k}], eps=1e-15) for k in params}
    decay = 0.01 ** (1.0 / steps)
    strat = make_strategy(strategy, backend, steps, num_gaussians, extent, gen)
    state = strat.initialize_state()

    from tqdm.auto import tqdm

    history: list[dict] = []
    order: list[int] = []
    bar = tqdm(range(steps), disable=not progress, desc="fit", unit="step")
    for step in bar:
        if not order:
            order = torch.randperm(len(train), generator=gen).tolist()
        i = order.pop()
        degree = min(sh_degree, step * (sh_degree + 1) // max(steps, 1))
        res = render_gaussians(_render_dict(params), train[i].camera, background=bg, backend=backend, sh_degree=degree,
                               tile_size=tile)
        strat.step_pre_backward(params, optimizers, state, step, res.info)
        rgb = res.rgb
        l1 = (rgb - targets[i]).abs().mean()
        loss = 0.8 * l1 + 0.2 * (1.0 - ssim(rgb, targets[i]))
        loss = loss + strat.regulariser(params)
        loss.backward()
        lr_means = optimizers["means"].param_groups[0]["lr"]
        for opt in optimizers.values():
            opt.step()
            opt.zero_grad(set_to_none=True)
        strat.step_post_backward(params, optimizers, state, step, res.info, lr_means)
        optimizers["means"].param_groups[0]["lr"] = lr_means * decay
        if step % log_every == 0 or step == steps - 1:
            history.append({"step": step, "loss": float(loss.detach()), "l1": float(l1.detach()), "gaussians": int(params["means"].shape[0])})
            bar.set_postfix(loss=f"{float(loss.detach()):.4f}", n=int(params["means"].shape[0]))
    bar.close()

    with torch.no_grad():
        scores = []
        for v in test:
            r = render_gaussians(_render_dict(params), v.camera, background=bg, backend=backend, sh_degree=sh_degree,
                                 tile_size=tile)
            target = torch.as_tensor(v.image, device=device)
            pred = r.rgb.clamp(0, 1)
            scores.append((psnr(pred, target), float(ssim(pred, target))))
    return FitResult(
        _to_gaussians(params),
        float(np.mean([s[0] for s in scores])),
        float(np.mean([s[1] for s in scores])),
        time.perf_counter() - t0,
        history,
        backend,
        [views[i].name for i in test_idx],
    )
