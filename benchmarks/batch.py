"""Batch throughput: scenes per minute with 1 and 2 local workers and with a local Ray; prints JSON.

    python benchmarks/batch.py [--items 24] [--formats json,glb,usdc] [--no-ray]

The prompts are ``samples/prompts.txt`` (cycled to ``--items``, each line its own seed), made
into .json, .glb and .usdc by :func:`scenegraph.batch.run` into a fresh folder per mode.
``scenes_per_min`` counts from the call to its return (pool start-up included; Ray's
``ray.init`` is timed separately as ``ray_start_s`` and left out).  ``efficiency_1_to_2`` is
(rate with 2 workers) / (2 x rate with 1).  ``load_before`` is the 1-minute load average
when the run started: on a shared machine other work takes cores from the workers.

``estimate_100_nodes`` turns the measured per-item cost into a 10,000-scene estimate on a
100-node cluster: items / (nodes x cores per node x rate per worker) plus Ray's per-task
overhead (measured here as the local Ray's seconds per item beyond the 2-worker pool's) and
its start-up, assuming ``--cores-per-node`` workers per node and items spread evenly.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from scenegraph import batch
from scenegraph.model.cpus import available_cores

REPO = Path(__file__).resolve().parents[1]


def _prompts(n: int, folder: Path) -> Path:
    lines = [ln.strip() for ln in (REPO / "samples" / "prompts.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    path = folder / "prompts.txt"
    path.write_text("\n".join(lines[i % len(lines)] for i in range(n)) + "\n")
    return path


def _run(prompts: Path, out: Path, formats: list[str], **kw) -> dict:
    t0 = time.perf_counter()
    res = batch.run(prompts, out, formats=formats, progress=False, **kw)
    s = time.perf_counter() - t0
    made = len(res.done)
    item_s = [r["timings"]["total_s"] for r in res.records if r["status"] == "done"]
    return {"items": made, "failed": len(res.failed), "seconds": round(s, 3), "scenes_per_min": round(60 * made / s, 1),
            "mean_item_s": round(sum(item_s) / max(1, len(item_s)), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--formats", default="json,glb,usdc")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--cores-per-node", type=int, default=16)
    args = ap.parse_args()
    formats = args.formats.split(",")
    out: dict = {"benchmark": "batch", "items": args.items, "formats": formats, "cores": available_cores(),
                 "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prompts = _prompts(args.items, folder)
        (folder / "warm").mkdir()
        _run(_prompts(2, folder / "warm"), folder / "warm" / "out", formats, workers=0)  # imports before fork, caches
        out["workers_1"] = _run(prompts, folder / "w1", formats, workers=1)
        out["workers_2"] = _run(prompts, folder / "w2", formats, workers=2)
        out["efficiency_1_to_2"] = round(out["workers_2"]["scenes_per_min"] / (2 * out["workers_1"]["scenes_per_min"]), 3)
        if not args.no_ray:
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
                     runtime_env=batch.runner._runtime_env())
            out["ray_start_s"] = round(time.perf_counter() - t0, 2)
            try:
                out["ray_local_2"] = _run(prompts, folder / "ray", formats, ray="local", workers=2)
            finally:
                ray.shutdown()
        out["load_after"] = round(os.getloadavg()[0], 2)
    per_worker_s = 60.0 / out["workers_1"]["scenes_per_min"]
    ray_overhead = 0.0
    if "ray_local_2" in out:
        ray_overhead = max(0.0, 2 * (out["ray_local_2"]["seconds"] - out["workers_2"]["seconds"]) / args.items)
    workers = 100 * args.cores_per_node
    est = 10_000 * (per_worker_s + ray_overhead) / workers + out.get("ray_start_s", 0.0)
    out["estimate_100_nodes"] = {
        "scenes": 10_000, "nodes": 100, "cores_per_node": args.cores_per_node,
        "per_item_s": round(per_worker_s, 3), "ray_overhead_per_item_s": round(ray_overhead, 3),
        "minutes": round(est / 60, 2),
        "note": "items/(nodes*cores) x (per-item seconds of one worker + Ray's per-task overhead) + Ray start-up; "
                "assumes the per-item cost measured here per core, no shared-storage bottleneck (files return to the driver)",
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
