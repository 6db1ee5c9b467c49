"""Score-distillation refiner: seconds per entity at given steps, and how well the refined views agree.

    python benchmarks/refine.py --steps 50 --views 8 --size 64 [--model DIR]

Without ``--model`` a tiny random Stable Diffusion (built from configs, as the
tests do; no download) stands in, so the figure measures our loop (rasterizer
forward + backward, VAE encode, UNet with guidance) rather than a real model's
cost.  Prints JSON: ``seconds_per_entity`` (one car cloud of ``--gaussians``
splats, no cache), ``multiview_error`` of 6 held-out views of the refined cloud,
of the unrefined proxy cloud, and of the same views refined one by one with the
img2img refiner (``independent_img2img_error``; needs an img2img folder: the
tiny one, or ``--img2img DIR``).  Colour units 0-1; lower agrees better.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="local diffusers text-to-image folder (default: a tiny random one)")
    ap.add_argument("--img2img", default=None, help="local img2img folder for the independent baseline (default: a tiny random one)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--gaussians", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import numpy as np
    import torch

    from scenegraph.appearance.assign import proxy_gaussians
    from scenegraph.appearance.mesh_render import orbit_cameras
    from scenegraph.appearance.proxy import proxy_mesh
    from scenegraph.appearance.rasterize import available_backends, render_gaussians
    from scenegraph.appearance.refine import refine_views
    from scenegraph.appearance.sds import multiview_error, refine_gaussians
    from scenegraph.world.views import PosedView

    torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench_refine_"))
    model, i2i = args.model, args.img2img
    if model is None or i2i is None:
        from tests._tiny_diffusers import text_to_image_pipeline
        from tests.test_refine import _tiny_pipeline

        model = model or text_to_image_pipeline(tmp / "t2i")
        i2i = i2i or _tiny_pipeline(tmp / "i2i")
    bounds = np.array([[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])
    mesh = proxy_mesh("car", bounds)
    cloud = proxy_gaussians("car", bounds, (0.8, 0.05, 0.05), n=args.gaussians, seed=args.seed)
    backend = "gsplat" if "gsplat" in available_backends() else "torch"
    t0 = time.perf_counter()
    res = refine_gaussians(cloud, "a red car, photo", model, steps=args.steps, views=args.views, size=args.size, seed=args.seed,
                           cache=False, backend=backend, lr=0.05)
    seconds = time.perf_counter() - t0
    lo, hi = mesh.bounds
    cams = orbit_cameras(0.5 * (lo + hi), 0.5 * float(np.linalg.norm(hi - lo)), n_views=6, size=96, seed=args.seed + 99)

    def renders(g):
        out = []
        for c in cams:
            rgb, a, _ = render_gaussians(g, c, background=(1.0, 1.0, 1.0), backend=backend)
            out.append((rgb.detach().cpu().numpy().clip(0, 1), a.detach().cpu().numpy()))
        return out

    before, after = renders(cloud), renders(res.gaussians)
    views = [PosedView(x, c, alpha=a) for (x, a), c in zip(before, cams)]
    independent = refine_views(views, i2i, prompt="a red car, photo", strength=0.5, steps=8, seed=args.seed)
    iou = [float(((a0 > 0.5) & (a1 > 0.5)).sum() / max(((a0 > 0.5) | (a1 > 0.5)).sum(), 1)) for (_, a0), (_, a1) in zip(before, after)]
    out = {
        "model": "tiny-random" if args.model is None else str(args.model), "backend": backend, "threads": args.threads,
        "steps": args.steps, "views": args.views, "size": args.size, "gaussians": len(cloud),
        "seconds_per_entity": round(seconds, 2),
        "multiview_error_refined": round(multiview_error([x for x, _ in after], cams, mesh), 4),
        "multiview_error_proxy": round(multiview_error([x for x, _ in before], cams, mesh), 4),
        "independent_img2img_error": round(multiview_error([v.image for v in independent], cams, mesh), 4),
        "alpha_iou_min": round(min(iou), 4),
        "mean_colour_change": round(float(np.mean([np.abs(a[0] - b[0]).mean() for a, b in zip(before, after)])), 4),
    }  # fmt: skip
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
