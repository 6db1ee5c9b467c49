"""Motion planning speed: 50 movers among 200 still objects (routes round them, smoothing, time-space yielding).

Run:  PYTHONPATH=. python benchmarks/planner.py [--movers 50] [--objects 200] [--repeat 3]

Builds the layout once (pinned positions on a grid), then times the motion stages of the builder
alone (action planning with routed legs, smoothing, yielding), best of ``--repeat``; prints JSON with
the seconds (wall, and CPU seconds of this process: steadier on a loaded machine) and the plausibility of
the result (overlaps left, the largest acceleration).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def spec_for(movers: int, objects: int, seed: int = 0):
    import numpy as np

    from scenegraph.model.spec import SceneSpec

    rng = np.random.default_rng(seed)
    kinds = ["bench", "tree", "bin", "box", "statue", "bush", "lamp post", "chair"]
    side = int(np.ceil(np.sqrt(objects + movers)))
    cells = rng.permutation(side * side)
    pitch = 5.0
    ents, acts = [], []
    for i in range(objects + movers):
        gx, gz = divmod(int(cells[i]), side)
        pos = [(gx - side / 2) * pitch, 0.0, (gz - side / 2) * pitch]
        if i < objects:
            ents.append({"id": f"o{i}", "class": kinds[i % len(kinds)], "position": pos})
        else:
            k = i - objects
            ents.append({"id": f"m{k}", "class": "person" if k % 3 else "dog", "position": pos})
            goal = f"o{int(rng.integers(objects))}"
            acts.append({"actor": f"m{k}", "verb": "walk" if k % 3 else "run", "to": goal})
    # more entities than a prompt's spec may hold (SceneSpec's limit): built field by field
    from scenegraph.model.spec import ActionSpec, EntitySpec, EnvironmentSpec

    return SceneSpec.model_construct(entities=[EntitySpec.model_validate(e) for e in ents],
                                     actions=[ActionSpec.model_validate(a) for a in acts], relations=[], camera=[],
                                     environment=EnvironmentSpec(), duration=None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--movers", type=int, default=50)
    ap.add_argument("--objects", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import numpy as np

    from scenegraph.world import simulate
    from scenegraph.world.builder import _Builder
    from scenegraph.world.plausibility import check_world

    spec = spec_for(args.movers, args.objects)
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        b = _Builder(spec, 0, None, None, "")
        b.entities()
        b.environment()
        rels = b.relations()
        placed = b.layout(rels)
        b.starting_poses(placed, rels)
        b.stage_and_camera(placed)
        t0, c0 = time.perf_counter(), time.process_time()
        spans = b.motion(placed, rels)
        b.commit_motion(spans)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    b.scene.duration = max(e for _, e in spans.values()) + 1.0
    tl = simulate(b.scene)
    problems = check_world(b.scene, tl)
    out = {"movers": args.movers, "objects": args.objects, "plan_seconds": round(best, 3),
           "plan_cpu_seconds": round(best_cpu, 3), "load_average_1min": round(os.getloadavg()[0], 2),
           "overlaps": len(problems["overlap"]), "jerk": len(problems["jerk"]),
           "teleport": len(problems["teleport"]), "warnings": len(b.warnings),
           "mean_keys_per_mover": round(float(np.mean([len(a.keys) for a in b.actors.values() if len(a.keys) > 1])), 1)}
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
