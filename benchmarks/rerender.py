"""Neural re-render: seconds per frame, and temporal consistency with and without our flow warping, in one run.

    python benchmarks/rerender.py --frames 0:8 --width 128 --steps 10 [--model DIR]

Without ``--model`` a tiny random ControlNet Stable Diffusion (built from
configs; no download) stands in: the seconds then measure our loop (render,
passes, ControlNet + UNet per region, VAE), not a real model.  The scene is a
red car driving past a box on a ground plane.  Prints JSON: ``seconds_per_frame``
for each mode, and ``warp_error`` (mean |O_t - warp(O_t-1)| along the exact
backward flow over pixels visible in both frames, sRGB 0-1) for
``temporal="flow"`` and ``temporal="none"`` (per-frame processing), and of the
input render itself.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="local diffusers ControlNet pipeline folder (default: a tiny random one)")
    ap.add_argument("--frames", default="0:8")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--strength", type=float, default=0.6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    from scenegraph.appearance.assign import assign_gaussians
    from scenegraph.render.rerender import rerender
    from tests.test_passes import street

    torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="bench_rerender_"))
    model = args.model
    if model is None:
        from tests._tiny_diffusers import controlnet_pipeline

        model = controlnet_pipeline(tmp / "model")
    scene = street()
    assign_gaussians(scene, seed=0)
    out = {"model": "tiny-random" if args.model is None else str(args.model), "frames": args.frames, "width": args.width,
           "steps": args.steps, "strength": args.strength, "threads": args.threads}  # fmt: skip
    for mode in ("flow", "none"):
        res = rerender(scene, tmp / mode, model=model, frames=args.frames, width=args.width, steps=args.steps,
                       strength=args.strength, temporal=mode, seed=args.seed)
        meta = json.loads((tmp / mode / "rerender.json").read_text())
        out[f"seconds_per_frame_{mode}"] = round(res.seconds_per_frame, 3)
        out[f"warp_error_{mode}"] = round(res.warp_error, 4)
        out["warp_error_input_render"] = round(meta["input_warp_error"], 4)
    out["flow_vs_none"] = round(out["warp_error_flow"] / out["warp_error_none"], 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
