"""Densification strategies for :func:`~scenegraph.appearance.fit.fit_gaussians`.

Both follow gsplat's strategy interface (``initialize_state``,
``step_pre_backward``, ``step_post_backward``) over a ``ParameterDict`` of
means, quats (wxyz), log scales, logit opacities, sh0, shN and one Adam per
parameter, so on CUDA gsplat's own ``DefaultStrategy`` / ``MCMCStrategy`` drop in.
The CPU versions here are compact re-statements of the same rules.
"""
from __future__ import annotations

import math
from typing import Any, Callable

__all__ = ["make_strategy", "DefaultDensify", "MCMCDensify"]


def _edit(params: Any, optimizers: dict, keep: Any, extra: dict) -> None:
    """Rows ``keep`` (bool mask or index) of every parameter, then ``extra[name]`` appended; Adam moments follow
    (zeros for appended rows)."""
    import torch

    for name in list(params.keys()):
        old = params[name]
        add = extra.get(name)
        new = old.data[keep] if add is None else torch.cat([old.data[keep], add.to(old.dtype)])
        p = torch.nn.Parameter(new)
        opt = optimizers[name]
        st = opt.state.pop(old, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in st:
                kept = st[key][keep]
                st[key] = kept if add is None else torch.cat([kept, torch.zeros_like(add)])
        opt.param_groups[0]["params"] = [p]
        if st:
            opt.state[p] = st
        params[name] = p


def _reset_rows(params: Any, optimizers: dict, rows: Any) -> None:
    """Zero the Adam moments of ``rows`` (relocated Gaussians start fresh)."""
    for name in params.keys():
        st = optimizers[name].state.get(params[name], {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in st:
                st[key][rows] = 0


def _rotmats(quats: Any) -> Any:
    import torch

    w, x, y, z = torch.nn.functional.normalize(quats, dim=-1).unbind(-1)
    return torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1).reshape(-1, 3, 3)  # fmt: skip


class DefaultDensify:
    """3DGS adaptive density control: clone small / split large Gaussians whose mean view-space gradient
    (NDC units) exceeds ``grow_grad2d``, up to ``cap`` Gaussians; prune opacities below ``prune_opa``."""

    def __init__(self, steps: int, cap: int, extent: float, gen: Any, *, grow_grad2d: float = 2e-4,
                 grow_scale3d: float = 0.01, prune_opa: float = 0.005, refine_every: int = 100) -> None:
        self.cap, self.extent, self.gen = cap, extent, gen
        self.grow_grad2d, self.grow_scale3d, self.prune_opa = grow_grad2d, grow_scale3d, prune_opa
        self.refine_every = refine_every
        self.refine_start = min(500, steps // 10)
        self.refine_stop = int(0.6 * steps)
        self.reset_every = 3000

    def initialize_state(self) -> dict:
        return {"grad2d": None, "count": None}

    def regulariser(self, params: Any) -> Any:
        return 0.0

    def step_pre_backward(self, params: Any, optimizers: dict, state: dict, step: int, info: dict) -> None:
        if info["means2d"].requires_grad:
            info["means2d"].retain_grad()

    def step_post_backward(self, params: Any, optimizers: dict, state: dict, step: int, info: dict, lr: float) -> None:
        import torch

        if step >= self.refine_stop:
            return
        n = params["means"].shape[0]
        if state["grad2d"] is None or state["grad2d"].shape[0] != n:
            state["grad2d"] = torch.zeros(n)
            state["count"] = torch.zeros(n)
        g = info["means2d"].grad
        if g is not None:
            h, w = info.get("height"), info.get("width")
            g = g.detach() * torch.tensor([0.5 * w, 0.5 * h])
            vis = (info["radii"] > 0).any(-1)
            state["grad2d"][vis] += g[vis].norm(dim=-1)
            state["count"][vis] += 1
        if step > self.refine_start and step % self.refine_every == 0:
            self._refine(params, optimizers, state)
        if step > 0 and step % self.reset_every == 0:
            with torch.no_grad():
                params["opacities"].data.clamp_(max=math.log(0.01 / 0.99))
            _reset_rows(params, optimizers, slice(None))

    def _refine(self, params: Any, optimizers: dict, state: dict) -> None:
        import torch

        with torch.no_grad():
            avg = state["grad2d"] / state["count"].clamp_min(1)
            keep = torch.sigmoid(params["opacities"]) >= self.prune_opa
            avg = torch.where(keep, avg, torch.zeros_like(avg))
            room = self.cap - int(keep.sum())
            cand = torch.nonzero(avg > self.grow_grad2d).squeeze(1)
            if room > 0 and cand.numel():
                cand = cand[torch.argsort(avg[cand], descending=True)][:room]
                scales = torch.exp(params["scales"][cand])
                small = scales.amax(-1) <= self.grow_scale3d * self.extent
                split = cand[~small]
                extra = {k: params[k].data[cand] for k in params.keys()}
                # a split Gaussian's two children: jittered by its covariance, shrunk 1.6x (the original is dropped)
                if split.numel():
                    s = torch.exp(params["scales"][split])
                    offs = (_rotmats(params["quats"][split]) @ (s * torch.randn(s.shape, generator=self.gen))[..., None])[..., 0]
                    rows = ~small
                    extra["means"][rows] = params["means"][split] + offs
                    extra["scales"][rows] = torch.log(s / 1.6)
                    keep[split] = False
                    extra = {k: torch.cat([v, v[rows]]) for k, v in extra.items()}
                    offs2 = (_rotmats(params["quats"][split]) @ (s * torch.randn(s.shape, generator=self.gen))[..., None])[..., 0]
                    extra["means"][-split.numel():] = params["means"][split] + offs2
                _edit(params, optimizers, keep, extra)
            else:
                _edit(params, optimizers, keep, {})
        state["grad2d"] = None


class MCMCDensify:
    """3DGS-as-MCMC: a fixed budget ``cap``; faint Gaussians jump onto live ones sampled by opacity
    (both sharing the opacity), others are added by the same rule up to the cap; position noise scaled
    by each Gaussian's covariance keeps exploring."""

    def __init__(self, steps: int, cap: int, extent: float, gen: Any, *, min_opacity: float = 0.005,
                 refine_every: int = 100, noise_lr: float = 5e5) -> None:
        self.cap, self.gen, self.min_opacity, self.noise_lr = cap, gen, min_opacity, noise_lr
        self.refine_every = refine_every
        self.refine_start = min(500, steps // 10)
        self.refine_stop = int(0.8 * steps)

    def initialize_state(self) -> dict:
        return {}

    def regulariser(self, params: Any) -> Any:
        import torch

        return 0.01 * torch.sigmoid(params["opacities"]).mean() + 0.01 * torch.exp(params["scales"]).mean()

    def step_pre_backward(self, params: Any, optimizers: dict, state: dict, step: int, info: dict) -> None:
        return None

    def _sample(self, params: Any, n: int, among: Any) -> Any:
        import torch

        probs = torch.sigmoid(params["opacities"].detach())[among]
        return among[torch.multinomial(probs, n, replacement=True, generator=self.gen)]

    def step_post_backward(self, params: Any, optimizers: dict, state: dict, step: int, info: dict, lr: float) -> None:
        import torch

        with torch.no_grad():
            if self.refine_start < step < self.refine_stop and step % self.refine_every == 0:
                opac = torch.sigmoid(params["opacities"])
                dead = torch.nonzero(opac <= self.min_opacity).squeeze(1)
                alive = torch.nonzero(opac > self.min_opacity).squeeze(1)
                if dead.numel() and alive.numel():
                    src = self._sample(params, dead.numel(), alive)
                    shared = 1.0 - (1.0 - opac[src]).clamp_min(1e-6).sqrt()
                    logit = torch.log(shared.clamp(1e-6, 1 - 1e-6) / (1 - shared.clamp(1e-6, 1 - 1e-6)))
                    for k in params.keys():
                        params[k].data[dead] = params[k].data[src]
                    params["opacities"].data[dead] = logit
                    params["opacities"].data[src] = logit
                    _reset_rows(params, optimizers, torch.cat([dead, src]))
                n = params["means"].shape[0]
                grow = min(self.cap - n, max(0, int(0.05 * n)))
                if grow > 0:
                    src = self._sample(params, grow, torch.arange(n))
                    extra = {k: params[k].data[src].clone() for k in params.keys()}
                    _edit(params, optimizers, torch.ones(n, dtype=torch.bool), extra)
            opac = torch.sigmoid(params["opacities"])
            covs = _rotmats(params["quats"]) * torch.exp(params["scales"])[:, None, :]
            covs = covs @ covs.transpose(1, 2)
            k = 1.0 / (1.0 + torch.exp(-100.0 * ((1.0 - opac) - 0.995)))
            noise = torch.randn(params["means"].shape, generator=self.gen) * (k * self.noise_lr * lr)[:, None]
            params["means"].data += (covs @ noise[..., None])[..., 0]


class _Gsplat:
    """gsplat's DefaultStrategy / MCMCStrategy behind the same calls (CUDA)."""

    def __init__(self, kind: str, steps: int, cap: int, extent: float) -> None:
        from gsplat.strategy import DefaultStrategy, MCMCStrategy

        start, every = min(500, steps // 10), 100
        self.kind, self.extent = kind, extent
        if kind == "mcmc":
            self.s = MCMCStrategy(cap_max=cap, refine_start_iter=start, refine_stop_iter=int(0.8 * steps), refine_every=every)
        else:
            self.s = DefaultStrategy(refine_start_iter=start, refine_stop_iter=int(0.6 * steps), refine_every=every,
                                     reset_every=3000, verbose=False)  # fmt: skip

    def initialize_state(self) -> dict:
        return self.s.initialize_state() if self.kind == "mcmc" else self.s.initialize_state(scene_scale=self.extent)

    def regulariser(self, params: Any) -> Any:
        import torch

        if self.kind != "mcmc":
            return 0.0
        return 0.01 * torch.sigmoid(params["opacities"]).mean() + 0.01 * torch.exp(params["scales"]).mean()

    def step_pre_backward(self, params: Any, optimizers: dict, state: dict, step: int, info: dict) -> None:
        self.s.step_pre_backward(params, optimizers, state, step, info)

    def step_post_backward(self, params: Any, optimizers: dict, state: dict, step: int, info: dict, lr: float) -> None:
        if self.kind == "mcmc":
            self.s.step_post_backward(params, optimizers, state, step, info, lr=lr)
        else:
            self.s.step_post_backward(params, optimizers, state, step, info, packed=False)


def make_strategy(kind: str, backend: str, steps: int, cap: int, extent: float, gen: Any) -> Any:
    """The densification strategy for ``kind`` ("default" | "mcmc"): gsplat's on the gsplat backend."""
    if backend == "gsplat":
        return _Gsplat(kind, steps, cap, extent)
    cls: Callable[..., Any] = MCMCDensify if kind == "mcmc" else DefaultDensify
    return cls(steps, cap, extent, gen)
