"""Forward and backward time of :func:`render_gaussians`; prints JSON.

    python benchmarks/rasterize.py --gaussians 100000 --width 640 --height 360

The cloud fills the view: means uniform in a 3 x 1.6 x 2 m box 3 m in front of
the camera (f = 500 px), log-uniform scales 4 mm - 3 cm, opacities U(0.1, 0.9),
SH degree 3.  Each figure is the median of ``--repeats`` runs after one warm-up.
The backward is of a weighted sum of rgb, alpha and depth with respect to every
parameter.  ``cpu_*`` use the torch backend with torch's threads (``--threads``);
``cpu_*_loaded_s`` are the same run again beside one busy process per available core
(``loaded_slowdown`` = loaded / quiet forward);
``cpu_preview_*`` time the no-grad forward (previews, the splat renderer): the compiled numba
path (``cpu_preview_forward_s``, ``preview_compositor`` says which ran) beside the torch
path it replaces (``cpu_preview_torch_forward_s``, SCENEGRAPH_NUMBA=0), both quiet and loaded;
``numba_first_call_s`` is the first no-grad render of the process (JIT compile or cache load).
``gsplat_*`` appear where CUDA and gsplat are present.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

import scenegraph  # noqa: F401  (sets OMP_WAIT_POLICY before torch loads, as every scenegraph entry point does)


def build(n: int, seed: int = 0):
    from scenegraph.model.gaussians import Gaussians

    rng = np.random.default_rng(seed)
    return Gaussians(
        rng.uniform([-1.5, -0.8, -1.0], [1.5, 0.8, 1.0], (n, 3)),
        rng.normal(size=(n, 4)),
        np.exp(rng.uniform(np.log(0.004), np.log(0.03), (n, 3))),
        rng.uniform(0.1, 0.9, n),
        rng.normal(0, 0.3, (n, 16, 3)),
    )


def time_backend(g, cam, backend: str, repeats: int, tile: int | None = None) -> dict:
    import torch

    from scenegraph.appearance.rasterize import gaussians_to_tensors, render_gaussians

    device = "cuda" if backend == "gsplat" else "cpu"
    params = {k: v.requires_grad_(True) for k, v in gaussians_to_tensors(g, device=device).items()}
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    fwd, bwd, res = [], [], None
    for i in range(repeats + 1):
        sync()
        t0 = time.perf_counter()
        res = render_gaussians(params, cam, backend=backend, tile_size=tile)
        sync()
        t1 = time.perf_counter()
        (res.rgb.sum() + res.alpha.sum() + 0.01 * res.depth.sum()).backward()
        sync()
        t2 = time.perf_counter()
        for p in params.values():
            p.grad = None
        if i:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
    out = {f"{'cpu' if backend == 'torch' else backend}_forward_s": round(statistics.median(fwd), 4),
           f"{'cpu' if backend == 'torch' else backend}_backward_s": round(statistics.median(bwd), 4)}
    if backend == "torch":
        out["intersections"] = res.info["n_intersections"]
        out["mean_alpha"] = round(float(res.alpha.detach().mean()), 4)
        out["tile"] = res.info["tile"]
    return out


def time_preview(g, cam, repeats: int, numba: bool) -> tuple[float, str]:
    """Median no-grad forward (after one warm-up) with the compiled path on or off, and the compositor used."""
    import torch

    from scenegraph.appearance.rasterize import gaussians_to_tensors, render_gaussians

    params = gaussians_to_tensors(g)
    old = os.environ.get("SCENEGRAPH_NUMBA")
    os.environ["SCENEGRAPH_NUMBA"] = "1" if numba else "0"
    try:
        times, res = [], None
        for i in range(repeats + 1):
            t0 = time.perf_counter()
            with torch.no_grad():
                res = render_gaussians(params, cam)
            if i:
                times.append(time.perf_counter() - t0)
    finally:
        if old is None:
            os.environ.pop("SCENEGRAPH_NUMBA")
        else:
            os.environ["SCENEGRAPH_NUMBA"] = old
    return round(statistics.median(times), 4), res.info.get("compositor", "torch")


def previews(g, cam, repeats: int) -> dict:
    fast, comp = time_preview(g, cam, repeats, True)
    slow, _ = time_preview(g, cam, repeats, False)
    return {"cpu_preview_forward_s": fast, "cpu_preview_torch_forward_s": slow, "preview_compositor": comp}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gaussians", type=int, default=100_000)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--tile", type=int, default=0,
                    help="tile side in pixels (0: the backend's choice, 8 or 16 by footprint for torch, 16 for gsplat)")
    ap.add_argument("--skip-cpu", action="store_true")
    ap.add_argument("--no-loaded", action="store_true", help="skip the second CPU run beside busy processes")
    args = ap.parse_args()

    import torch

    from scenegraph.appearance.rasterize import available_backends
    from scenegraph.world.views import PinholeCamera

    if args.threads:
        torch.set_num_threads(args.threads)
    g = build(args.gaussians)
    w2c = np.eye(4)
    w2c[2, 3] = 3.0
    f = 500.0 * args.width / 640
    cam = PinholeCamera(args.width, args.height, f, f, args.width / 2, args.height / 2, w2c)
    out = {"gaussians": args.gaussians, "width": args.width, "height": args.height, "threads": torch.get_num_threads(),
           "load_average_1min": round(os.getloadavg()[0], 2)}  # other processes on the machine skew CPU timings
    if not args.skip_cpu:
        import torch as _t

        from scenegraph.appearance.rasterize import gaussians_to_tensors, render_gaussians

        t0 = time.perf_counter()
        with _t.no_grad():
            render_gaussians(gaussians_to_tensors(build(1000)), cam)
        out["numba_first_call_s"] = round(time.perf_counter() - t0, 3)
        out.update(previews(g, cam, args.repeats))
        out.update(time_backend(g, cam, "torch", args.repeats, args.tile or None))
        if not args.no_loaded:  # the same beside one busy process per core
            import subprocess
            import sys

            from scenegraph.model.cpus import available_cores

            busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(available_cores())]
            try:
                loaded = time_backend(g, cam, "torch", args.repeats, args.tile or None)
                loaded.update(previews(g, cam, args.repeats))
            finally:
                for p in busy:
                    p.kill()
                    p.wait()
            out["cpu_forward_loaded_s"] = loaded["cpu_forward_s"]
            out["cpu_backward_loaded_s"] = loaded["cpu_backward_s"]
            out["loaded_slowdown"] = round(loaded["cpu_forward_s"] / out["cpu_forward_s"], 2)
            out["cpu_preview_forward_loaded_s"] = loaded["cpu_preview_forward_s"]
            out["cpu_preview_torch_forward_loaded_s"] = loaded["cpu_preview_torch_forward_s"]
            out["preview_loaded_slowdown"] = round(loaded["cpu_preview_forward_s"] / out["cpu_preview_forward_s"], 2)
            out["busy_processes"] = len(busy)
        out["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
    if "gsplat" in available_backends():
        out["device"] = torch.cuda.get_device_name()
        out.update(time_backend(g, cam, "gsplat", max(args.repeats, 10)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
