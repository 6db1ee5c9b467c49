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
``numba_first_call_s`` is the first no-grad render of the process (JIT compile or cache load);
``numba_compile_s`` the same in a fresh process with an empty numba cache (a first install).
``preview_interleaved_*`` time the compiled no-grad forward in ``--interleave`` rounds of (quiet, then
beside the busy processes), so a load that other users put on the machine meanwhile weighs on both
alike: the medians, and the median of the rounds' loaded / quiet ratios.
``--preview-only`` times just the no-grad forward, quiet and loaded.  ``--trees A B ...`` runs
``--preview-only`` on each source tree (PYTHONPATH=tree) in turn, ``--rounds`` times, and prints
each tree's medians: before/after figures taken under the same machine load.
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


def interleaved(g, cam, repeats: int, rounds: int) -> dict:
    """Compiled no-grad forward in rounds of (quiet, loaded): medians and the median per-round ratio."""
    quiet, loaded, ratio = [], [], []
    for _ in range(rounds):
        q, _c = time_preview(g, cam, repeats, True)
        with busy_cores():
            lo, _c = time_preview(g, cam, repeats, True)
        quiet.append(q)
        loaded.append(lo)
        ratio.append(lo / q)
    return {"preview_interleaved_quiet_s": round(statistics.median(quiet), 4),
            "preview_interleaved_loaded_s": round(statistics.median(loaded), 4),
            "preview_interleaved_slowdown": round(statistics.median(ratio), 2), "interleave_rounds": rounds}


def previews(g, cam, repeats: int) -> dict:
    fast, comp = time_preview(g, cam, repeats, True)
    slow, _ = time_preview(g, cam, repeats, False)
    return {"cpu_preview_forward_s": fast, "cpu_preview_torch_forward_s": slow, "preview_compositor": comp}


def busy_cores():
    """One busy-looping process per available core (a context manager)."""
    import contextlib
    import subprocess
    import sys

    from scenegraph.model.cpus import available_cores

    @contextlib.contextmanager
    def run():
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(available_cores())]
        try:
            yield busy
        finally:
            for p in busy:
                p.kill()
                p.wait()

    return run()


def compile_time(args) -> float:
    """Seconds of the first no-grad render in a fresh process with an empty numba cache."""
    import subprocess
    import sys
    import tempfile

    code = ("import time, numpy as np, torch, scenegraph\n"
            "from scenegraph.appearance.rasterize import gaussians_to_tensors, render_gaussians\n"
            "import rasterize as b\n"
            "g, cam = b.build(1000), b.camera(%d, %d)\n"
            "t = time.perf_counter()\n"
            "with torch.no_grad():\n    render_gaussians(gaussians_to_tensors(g), cam)\n"
            "print(time.perf_counter() - t)\n") % (args.width, args.height)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.abspath(__file__)), os.environ.get("PYTHONPATH", "")]))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return round(float(out.stdout.split()[-1]), 3)


def camera(width: int, height: int):
    from scenegraph.world.views import PinholeCamera

    w2c = np.eye(4)
    w2c[2, 3] = 3.0
    f = 500.0 * width / 640
    return PinholeCamera(width, height, f, f, width / 2, height / 2, w2c)


def compare_trees(args) -> None:
    """--preview-only on each tree in turn, --rounds times; per-tree medians of each figure."""
    import subprocess
    import sys

    keys = ("cpu_preview_forward_s", "cpu_preview_forward_loaded_s", "preview_loaded_slowdown",
            "preview_interleaved_quiet_s", "preview_interleaved_loaded_s", "preview_interleaved_slowdown")
    runs: dict = {t: [] for t in args.trees}
    load = [round(os.getloadavg()[0], 2)]
    for _ in range(args.rounds):
        for tree in args.trees:
            cmd = [sys.executable, os.path.abspath(__file__), "--preview-only", "--gaussians", str(args.gaussians),
                   "--width", str(args.width), "--height", str(args.height), "--repeats", str(args.repeats),
                   "--interleave", str(args.interleave)]
            env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=os.path.abspath(tree))
            runs[tree].append(json.loads(out.stdout.strip().splitlines()[-1]))
    load.append(round(os.getloadavg()[0], 2))
    result = {"rounds": args.rounds, "load_average_1min_start_end": load}
    for tree, rs in runs.items():
        result[tree] = {k: round(statistics.median(r[k] for r in rs), 4) for k in keys if k in rs[0]}
        result[tree]["numba_first_call_s"] = round(statistics.median(r["numba_first_call_s"] for r in rs), 3)
    print(json.dumps(result))


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
    ap.add_argument("--preview-only", action="store_true", help="time only the no-grad forward, quiet and loaded")
    ap.add_argument("--no-compile", action="store_true", help="skip numba_compile_s (a fresh process, empty cache)")
    ap.add_argument("--trees", nargs="+", help="source trees to compare with --preview-only, alternately")
    ap.add_argument("--rounds", type=int, default=3, help="rounds over --trees")
    ap.add_argument("--interleave", type=int, default=5, help="rounds of (quiet, loaded) compiled forward (0: none)")
    args = ap.parse_args()
    if args.trees:
        compare_trees(args)
        return

    import torch

    from scenegraph.appearance.rasterize import available_backends

    if args.threads:
        torch.set_num_threads(args.threads)
    g = build(args.gaussians)
    cam = camera(args.width, args.height)
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
        if args.preview_only:
            with busy_cores():
                loaded = previews(g, cam, args.repeats)
            out["cpu_preview_forward_loaded_s"] = loaded["cpu_preview_forward_s"]
            out["preview_loaded_slowdown"] = round(loaded["cpu_preview_forward_s"] / out["cpu_preview_forward_s"], 2)
            if args.interleave:
                out.update(interleaved(g, cam, args.repeats, args.interleave))
            print(json.dumps(out))
            return
        out.update(time_backend(g, cam, "torch", args.repeats, args.tile or None))
        if not args.no_loaded:  # the same beside one busy process per core
            with busy_cores() as busy:
                loaded = time_backend(g, cam, "torch", args.repeats, args.tile or None)
                loaded.update(previews(g, cam, args.repeats))
            out["cpu_forward_loaded_s"] = loaded["cpu_forward_s"]
            out["cpu_backward_loaded_s"] = loaded["cpu_backward_s"]
            out["loaded_slowdown"] = round(loaded["cpu_forward_s"] / out["cpu_forward_s"], 2)
            out["cpu_preview_forward_loaded_s"] = loaded["cpu_preview_forward_s"]
            out["cpu_preview_torch_forward_loaded_s"] = loaded["cpu_preview_torch_forward_s"]
            out["preview_loaded_slowdown"] = round(loaded["cpu_preview_forward_s"] / out["cpu_preview_forward_s"], 2)
            out["busy_processes"] = len(busy)
            if args.interleave:
                out.update(interleaved(g, cam, args.repeats, args.interleave))
        if not args.no_compile:
            out["numba_compile_s"] = compile_time(args)
        out["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
    if "gsplat" in available_backends():
        out["device"] = torch.cuda.get_device_name()
        out.update(time_backend(g, cam, "gsplat", max(args.repeats, 10)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
