"""Director + build speed; prints one JSON object.

- median_build_ms: rules director + build (layout, motion, camera) of a prompt with about ten
  entities, median of REPEAT runs (target <= 50 ms)
- prompts_ms: median per prompt over samples/prompts.txt (direct + build)
- layout_200_s: scenegraph.world.layout.solve_layout on 200 entities with relations (target <= 2 s)

usage: python benchmarks/director.py [--repeat 30]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from scenegraph.world.builder import build_scene
from scenegraph.director import direct
from scenegraph.world.layout import LayoutItem, solve_layout

ROOT = Path(__file__).resolve().parents[1]
TEN = ("A red car drives from left to right while a man walks to the bench. A woman sits on the bench, "
       "a dog runs around the tree, two chairs stand next to the table and a mug is on the table. "
       "A ball rolls towards the camera and a bicycle stands behind the house.")


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0


def build_ms(prompt: str, repeat: int) -> float:
    def once():
        spec, _ = direct(prompt)
        build_scene(spec, prompt=prompt)

    once()  # warm imports
    return statistics.median(_ms(once) for _ in range(repeat))


def layout_200(seed: int = 0) -> tuple[float, int]:
    """200 boxes: 40 tables, 40 mugs on them, 40 chairs near them, 40 crates left of them, 40 free lamps."""
    items, rels = [], []
    for k in range(40):
        items += [LayoutItem(f"table_{k}", (1.6, 0.75, 0.9), anchor=True), LayoutItem(f"mug_{k}", (0.09, 0.1, 0.09)),
                  LayoutItem(f"chair_{k}", (0.5, 0.9, 0.5)), LayoutItem(f"box_{k}", (0.5, 0.4, 0.5)),
                  LayoutItem(f"lamp_{k}", (0.35, 0.5, 0.35))]
        rels += [(f"mug_{k}", "on", f"table_{k}"), (f"chair_{k}", "near", f"table_{k}"), (f"box_{k}", "left_of", f"table_{k}")]
    t0 = time.perf_counter()
    out = solve_layout(items, rels, seed=seed, time_budget_s=5.0)
    return time.perf_counter() - t0, len(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    spec, _ = direct(TEN)
    n_entities = sum(e.count for e in spec.entities)
    prompts = [p for p in (ROOT / "samples" / "prompts.txt").read_text().splitlines() if p.strip()]
    per_prompt = [build_ms(p, 3) for p in prompts]
    secs, placed = layout_200()
    print(json.dumps({
        "median_build_ms": round(build_ms(TEN, args.repeat), 2),
        "build_entities": n_entities,
        "prompts": len(prompts),
        "prompts_median_ms": round(statistics.median(per_prompt), 2),
        "prompts_max_ms": round(max(per_prompt), 2),
        "layout_200_s": round(secs, 3),
        "layout_200_placed": placed,
    }, indent=2))


if __name__ == "__main__":
    main()
