"""Throughput and peak memory of :func:`scenegraph.world.simulate`; prints JSON.

    python benchmarks/simulate.py --entities 10000 --frames 1000

The scene mixes what the director produces: 35% linear keyframed walks with a
pause and heading along the path, 30% smooth constant-speed paths, 20% eased
looping paths, 15% static props, plus ``--dynamic`` thrown balls (counted in
the entities).  No cameras: visibility has its own benchmark.
Wall and CPU (process) time are both reported: on a shared machine the CPU
time is the fairer figure.  Peak memory is the tracemalloc peak during simulate (numpy reports its
buffers), compared with the bytes of the Timeline's arrays.
"""
from __future__ import annotations

import argparse
import json
import time
import tracemalloc

import numpy as np

from scenegraph.model import Dynamics, Entity, Scene, Trajectory, Transform
from scenegraph.world import simulate


def build_scene(entities: int, frames: int, dynamic: int, seed: int = 0) -> Scene:
    rng = np.random.default_rng(seed)
    fps = 24.0
    scene = Scene(fps=fps, duration=(frames - 1) / fps, seed=seed)
    dur = scene.duration
    for i in range(entities):
        eid = f"e{i}"
        r = i / entities
        start = rng.uniform(-50, 50, size=3) * (1, 0, 1)
        if i < dynamic:
            scene.add_entity(
                Entity(eid, cls="ball", bounds=((-0.1, -0.1, -0.1), (0.1, 0.1, 0.1)), transform=Transform(start + (0, 1.5, 0)),
                       dynamics=Dynamics(velocity=rng.uniform(-3, 3, 3) + (0, 4, 0), start_time=rng.uniform(0, 2), restitution=0.6))
            )
            continue
        if r >= 0.85:
            scene.add_entity(Entity(eid, cls="box", transform=Transform(start)))
            continue
        times = np.sort(rng.uniform(0, dur, 6))
        times[0], times[-1] = 0.0, dur
        pos = start + np.cumsum(rng.uniform(-5, 5, (6, 3)) * (1, 0, 1), axis=0)
        if r < 0.35:
            pos[3] = pos[2]  # a pause
            tr = Trajectory(f"t{i}", times, pos, interpolation="linear", heading="tangent")
        elif r < 0.65:
            tr = Trajectory(f"t{i}", times, pos, interpolation="smooth", speed="constant", heading="tangent")
        else:
            tr = Trajectory(f"t{i}", times / 3, pos, interpolation="linear", speed="ease", loop=True)
        scene.add_trajectory(tr)
        scene.add_entity(Entity(eid, cls="person"), trajectory=tr.id)
    return scene


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=10000)
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--dynamic", type=int, default=100, help="how many of the entities are thrown balls")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = ap.parse_args()
    scene = build_scene(args.entities, args.frames, args.dynamic)
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        tl = simulate(scene)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    arrays = sum(a.nbytes for a in (tl.time, tl.position, tl.rotation, tl.scale, tl.velocity))
    del tl
    tracemalloc.start()
    tl = simulate(scene)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    frames, entities = tl.position.shape[:2]
    print(json.dumps({
        "entities": entities,
        "frames": frames,
        "dynamic": args.dynamic,
        "seconds": round(best, 3),
        "entity_frames_per_s": round(entities * frames / best),
        "cpu_seconds": round(best_cpu, 3),
        "entity_frames_per_cpu_s": round(entities * frames / best_cpu),
        "timeline_bytes": arrays,
        "peak_traced_bytes": peak,
        "peak_over_timeline": round(peak / arrays, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
