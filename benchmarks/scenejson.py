"""scene.json save + load of N entities (issue 2 target: 10,000 entities in <= 1 s).

Usage: python benchmarks/scenejson.py [--entities 10000]
Prints JSON: entities, save_s, load_s, total_s, bytes.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from scenegraph import Entity, Material, Scene, Trajectory, Transform
from scenegraph.model.serialize import load_json, save_json


def make_scene(n: int) -> Scene:
    s = Scene(fps=24, duration=10.0)
    for k in range(8):
        s.add_material(Material(f"mat_{k}", base_color=(k / 8, 0.5, 1 - k / 8)))
    for i in range(n):
        traj = None
        if i % 2 == 0:
            traj = s.add_trajectory(Trajectory(f"traj_{i}", [0.0, 5.0, 10.0], [[i, 0, 0], [i, 0, 5], [i + 1, 0, 5]], heading="tangent")).id
        s.add_entity(Entity(f"e_{i}", cls="car", transform=Transform((i * 0.1, 0, -i * 0.1))), material=f"mat_{i % 8}", trajectory=traj)
        if i % 10 == 1:
            s.add_relation(f"e_{i}", "near", f"e_{i - 1}")
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=10_000)
    args = ap.parse_args()
    scene = make_scene(args.entities)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "scene.json"
        t0 = time.perf_counter()
        save_json(scene, path)
        t1 = time.perf_counter()
        back = load_json(path)
        t2 = time.perf_counter()
        size = path.stat().st_size
    assert len(back.entities()) == args.entities
    print(json.dumps({"entities": args.entities, "save_s": round(t1 - t0, 3), "load_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3), "bytes": size}))


if __name__ == "__main__":
    main()
