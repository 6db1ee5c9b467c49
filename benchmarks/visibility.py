"""Seconds to compute visibility for ``--entities`` objects x ``--cameras`` x ``--frames``; prints JSON.

    python benchmarks/visibility.py --entities 1000 --cameras 4 --frames 1000

Objects (1 m to 4 m boxes) walk straight lines across a 200 m x 200 m field;
cameras stand around it, 150 m from the centre and 20 m up, pitched down 8
degrees towards the centre; every other camera pans.
Wall and CPU (process) seconds are both reported.  Only
:func:`scenegraph.world.visibility.compute_visibility` is timed (the Timeline
is simulated first).
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from scenegraph.model import CameraParams, Entity, Scene, Trajectory, Transform, quat_from_axis_angle, quat_multiply
from scenegraph.world.visibility import compute_visibility
from scenegraph.world import simulate


def build_scene(entities: int, cameras: int, frames: int, seed: int = 0) -> Scene:
    rng = np.random.default_rng(seed)
    fps = 24.0
    scene = Scene(fps=fps, duration=(frames - 1) / fps, seed=seed)
    for c in range(cameras):
        ang = 2 * math.pi * c / max(1, cameras)
        pos = (150 * math.sin(ang), 20.0, 150 * math.cos(ang))
        # looking down -Z: yaw the camera so -Z points at the origin, then pitch down
        rot = quat_multiply(quat_from_axis_angle((0, 1, 0), ang), quat_from_axis_angle((1, 0, 0), -math.radians(8)))
        cam = Entity(f"cam{c}", kind="camera", transform=Transform(pos, rot), camera=CameraParams(width=1280, height=720))
        if c % 2:
            pan = [quat_multiply(quat_from_axis_angle((0, 1, 0), ang + d), quat_from_axis_angle((1, 0, 0), -math.radians(8))) for d in (-0.4, 0.4, -0.4)]
            scene.add_trajectory(Trajectory(f"pan{c}", [0, scene.duration / 2, scene.duration], [pos] * 3, rotations=pan, heading="keyframes"))
            scene.add_entity(cam, trajectory=f"pan{c}")
        else:
            scene.add_entity(cam)
    for i in range(entities):
        a, b = rng.uniform(-100, 100, (2, 3)) * (1, 0, 1)
        size = rng.uniform(0.5, 2.0)
        scene.add_trajectory(Trajectory(f"t{i}", [0, scene.duration], [a, b], heading="tangent"))
        scene.add_entity(Entity(f"e{i}", bounds=((-size, 0, -size), (size, 2 * size, size))), trajectory=f"t{i}")
    return scene


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=1000)
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = ap.parse_args()
    scene = build_scene(args.entities, args.cameras, args.frames)
    ents = scene.entities()
    cams = [(i, e.camera) for i, e in enumerate(ents) if e.kind == "camera"]
    bounds = np.array([e.bounds for e in ents])
    objects = np.array([e.kind == "object" for e in ents])
    tl = simulate(scene)
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        vis = compute_visibility(tl, cams, bounds, objects)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    seen = np.mean([v.visible[:, len(cams):].mean() for v in vis.values()])
    occluded = np.mean([v.occluded[:, len(cams):].mean() for v in vis.values()])
    print(json.dumps({
        "entities": args.entities,
        "cameras": len(cams),
        "frames": tl.frame_count,
        "seconds": round(best, 3),
        "cpu_seconds": round(best_cpu, 3),
        "visible_fraction": round(float(seen), 4),
        "occluded_fraction": round(float(occluded), 4),
        "events": sum(len(v.events) for v in vis.values()),
    }, indent=2))


if __name__ == "__main__":
    main()
