"""Plausibility sweep: build and simulate everyday prompts, check each world's state, print JSON figures.

Run:  PYTHONPATH=. python benchmarks/plausibility.py [--prompts FILE] [--seed N] [--limit N] [--verbose]

Per world (scenegraph.world.plausibility.check_world): no teleport (speed over the class's cap), no jerk
(acceleration over its limit), no overlap between unrelated objects, nothing below the ground, movers
facing their direction of travel, every named object seen by a camera, the main subject's size.
A build that fails counts as not clean (``build_failed``).  A line starting with ``!`` is a prompt the right
answer to which is a clear refusal (a SceneGraphError naming the problem, e.g. a camera move with nothing
to film): it counts as clean when it is refused that way (``refused``) and as ``built_instead_of_refused``
when a world comes out.  Prints the share of clean worlds and the failure count per check; ``--verbose`` lists every problem per prompt.  Also times planning 50 movers
among 200 objects (``--planner``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def prompts_from(path: Path) -> list[str]:
    return [p.strip() for p in path.read_text().splitlines() if p.strip() and not p.lstrip().startswith("#")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=Path, default=HERE / "plausibility_prompts.txt")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    import scenegraph
    from scenegraph.world.plausibility import CHECKS, check_world

    prompts = prompts_from(args.prompts)
    if args.limit:
        prompts = prompts[: args.limit]
    fails: Counter = Counter()
    clean = 0
    details = []
    t0 = time.perf_counter()
    from scenegraph.errors import SceneGraphError

    refused = 0
    for p in prompts:
        refuse = p.startswith("!")
        p = p.lstrip("!").strip()
        try:
            scene = scenegraph.build(p, seed=args.seed, gaussians="none")
            tl = scenegraph.simulate(scene)
            problems = check_world(scene, tl)
            if refuse:
                problems = {"built_instead_of_refused": ["a world was built where a clear refusal is the answer"]}
        except SceneGraphError as exc:
            problems = {} if refuse else {"build_failed": [f"{type(exc).__name__}: {exc}"]}
            refused += refuse
        except Exception as exc:  # a build that fails is a world that is not clean
            problems = {"build_failed": [f"{type(exc).__name__}: {exc}"]}
        bad = {k: v for k, v in problems.items() if v}
        for k in bad:
            fails[k] += 1
        if not bad:
            clean += 1
        elif args.verbose:
            details.append({"prompt": p, "problems": bad})
    out = {
        "prompts": len(prompts),
        "clean": clean,
        "clean_share": round(clean / max(len(prompts), 1), 4),
        "refused_as_expected": refused,
        "failures": {k: fails.get(k, 0) for k in (*CHECKS, "build_failed", "built_instead_of_refused")},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if args.verbose:
        out["details"] = details
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
