"""Fit one entity's Gaussians from proxy views; prints JSON with held-out ``psnr_db`` and ``seconds``.

    python benchmarks/fit.py --views 16 --size 128 --gaussians 5000 --steps 400

The views are the default ``build`` source: :func:`render_proxy_views` of the
entity's procedural proxy (a red car in a 1.8 x 1.5 x 4.5 m box), every 8th
held out.  ``seconds`` is the whole fit (initialisation, steps, scoring) on the
torch CPU backend with ``--threads`` torch threads.  Where CUDA and gsplat are
present the same fit runs on gsplat too, and ``gsplat_seconds_to_psnr`` is the
time of the shortest gsplat fit (steps doubling from 100) reaching the CPU PSNR.
"""
from __future__ import annotations

import argparse
import json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="car")
    ap.add_argument("--views", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--gaussians", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--strategy", default="default", choices=["default", "mcmc"])
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest for 128 px frames)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-cpu", action="store_true")
    args = ap.parse_args()

    import torch

    from scenegraph.appearance.fit import fit_gaussians
    from scenegraph.appearance.mesh_render import render_proxy_views
    from scenegraph.appearance.proxy import proxy_mesh
    from scenegraph.appearance.rasterize import available_backends

    torch.set_num_threads(args.threads)
    mesh = proxy_mesh(args.shape, [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])
    views = render_proxy_views(mesh, (0.8, 0.05, 0.05), n_views=args.views, size=args.size, seed=args.seed)
    kw = dict(num_gaussians=args.gaussians, strategy=args.strategy, seed=args.seed, progress=False)
    out = {"shape": args.shape, "views": args.views, "size": args.size, "steps": args.steps, "strategy": args.strategy,
           "threads": args.threads}  # fmt: skip
    target = None
    if not args.skip_cpu:
        res = fit_gaussians(views, steps=args.steps, backend="torch", **kw)
        target = res.psnr_db
        out.update(psnr_db=round(res.psnr_db, 2), ssim=round(res.ssim, 4), seconds=round(res.seconds, 1),
                   final_gaussians=len(res.gaussians))  # fmt: skip
    if "gsplat" in available_backends():
        out["device"] = torch.cuda.get_device_name()
        res = fit_gaussians(views, steps=args.steps, backend="gsplat", **kw)
        out.update(gsplat_psnr_db=round(res.psnr_db, 2), gsplat_seconds=round(res.seconds, 2))
        steps = 100
        while target is not None and steps <= 8 * args.steps:
            res = fit_gaussians(views, steps=steps, backend="gsplat", **kw)
            if res.psnr_db >= target:
                out.update(gsplat_seconds_to_psnr=round(res.seconds, 2), gsplat_steps_to_psnr=steps)
                break
            steps *= 2
    print(json.dumps(out))


if __name__ == "__main__":
    main()
