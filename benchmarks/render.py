"""Beauty-render time per frame: the README scene at 640x360, and 10 / 100 entities, built-in and Blender; prints JSON.

    python benchmarks/render.py                       # everything (Blender where bpy is installed)
    python benchmarks/render.py --no-blender --frames 5

- ``readme_builtin_s_per_frame``: the README prompt's scene, 640x360, lit
  (sun, sky, shadow map), ground-truth passes too unless ``--no-passes`` (the
  preview target is <= 1 s a frame on 2 cores: ``readme_builtin_beauty_s_per_frame``
  is the lit frame alone, without the flow/normal/box passes);
- ``entities_N_builtin_s_per_frame`` / ``entities_N_blender_s_per_frame``: a
  grid of N catalogue objects (cars, people, trees, benches, dogs, bicycles,
  lamps ...) on a ground under a sun, seen by one camera, at ``--width``;
  Blender is Cycles with ``--samples`` samples + denoising (CPU here; the GPU
  where Cycles finds one), its one-off start-up (Blender import, glTF import)
  reported apart as ``*_blender_setup_s`` and the whole job as ``*_blender_job_s``.

Each figure is the median over ``--frames`` consecutive frames after one
warm-up frame (built-in); Blender renders ``--blender-frames`` frames in one
job: the median frame as Blender timed it, the set-up and the whole job
(with our glTF export and the passes' z-buffer) apart.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

README_PROMPT = ("A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, "
                 "then continues while a red car turns into the scene")
CLASSES = ["car", "person", "tree", "bench", "dog", "bicycle", "street lamp", "bus", "chair", "ball", "horse", "truck"]


def grid_scene(n: int, seed: int = 0):
    """``n`` objects in a grid on a 160 m ground, a day sun and a camera looking over them."""
    import scenegraph
    from scenegraph import CameraParams, Entity, LightParams, Material, Scene, Transform
    from scenegraph.appearance.assign import assign_gaussians
    from scenegraph.model import catalog
    from scenegraph.world.shots import look_rotation

    rng = np.random.default_rng(seed)
    s = Scene(fps=24, duration=2.0, seed=seed)
    s.add_material(Material("mat_concrete", base_color=(0.35, 0.35, 0.33), roughness=0.9))
    s.add_entity(Entity("ground", cls="ground", bounds=[[-80, -0.05, -80], [80, 0.0, 80]]), material="mat_concrete")
    side = int(np.ceil(np.sqrt(n)))
    spacing = 4.0
    for i in range(n):
        word = CLASSES[i % len(CLASSES)]
        info = catalog.lookup(word)
        name = info.name if info is not None else "box"
        size = np.asarray(info.size if info is not None else (1.0, 1.0, 1.0), dtype=float)
        colour = rng.uniform(0.1, 0.9, 3)
        mat = Material(f"mat_{i}", base_color=tuple(colour), roughness=float(rng.uniform(0.3, 0.9)))
        s.add_material(mat)
        x = (i % side - (side - 1) / 2) * spacing
        z = -(i // side) * spacing
        lo, hi = [-size[0] / 2, 0.0, -size[2] / 2], [size[0] / 2, size[1], size[2] / 2]
        s.add_entity(Entity(f"obj_{i}", cls=name, bounds=[lo, hi], transform=Transform((x, 0.0, z))), material=mat.id)
    s.add_entity(Entity("sun_1", kind="light", cls="light", light=LightParams("directional", intensity=2000.0),
                        transform=Transform((0, 20, 0), look_rotation(np.array([-0.4, -0.8, -0.45])))))
    depth = (side - 1) * spacing
    eye = np.array([0.0, 4.0 + 0.35 * depth, 8.0 + 0.3 * depth])
    target = np.array([0.0, 0.5, -depth / 2])
    s.add_entity(Entity("camera_1", kind="camera", camera=CameraParams(aspect=16 / 9, width=640, height=360),
                        transform=Transform(eye, look_rotation(target - eye))))
    assign_gaussians(s, mode="proxy", seed=seed)
    del scenegraph
    return s


def time_builtin(scene, width: int, frames: int, passes: bool) -> dict:
    """Median wall and CPU seconds of one frame (CPU time = this process's, all threads: on a machine
    others share, it is what the frame costs; wall = what you wait)."""
    from scenegraph.render import render
    from scenegraph.world import simulate

    tl = simulate(scene)
    render(scene, tl, frames=[0], width=width, passes=passes)  # warm-up: imports, mesh caches
    wall, cpu = [], []
    for f in range(1, 1 + frames):
        t, c = time.perf_counter(), time.process_time()
        render(scene, tl, frames=[f % tl.frame_count], width=width, passes=passes)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"wall": round(statistics.median(wall), 4), "cpu": round(statistics.median(cpu), 4)}


def put(out: dict, name: str, t: dict) -> None:
    out[f"{name}_s_per_frame"] = t["wall"]
    out[f"{name}_cpu_s_per_frame"] = t["cpu"]


def time_blender(scene, width: int, frames: int, samples: int) -> dict:
    from scenegraph import pipeline

    stats: dict = {}
    t = time.perf_counter()
    pipeline.render_frames(scene, renderer="blender", frames=list(range(frames)), width=width, samples=samples,
                           passes=False, stats=stats)
    return {"job_s": round(time.perf_counter() - t, 3), "setup_s": round(stats["setup_s"], 3),
            "s_per_frame": round(statistics.median(stats["frame_s"]), 3), "engine": stats["engine"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--blender-frames", type=int, default=3)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--no-blender", action="store_true")
    ap.add_argument("--no-passes", action="store_true", help="time the lit frame without the flow/normal/box passes")
    args = ap.parse_args()

    import scenegraph
    from scenegraph.render.blender_backend import blender_available

    out: dict = {"width": args.width, "cpu_count": os.cpu_count(), "frames": args.frames,
                 "load_average_1min": round(os.getloadavg()[0], 2)}
    readme = scenegraph.build(README_PROMPT, seed=0)
    put(out, "readme_builtin_beauty", time_builtin(readme, 640, args.frames, passes=False))
    if not args.no_passes:
        put(out, "readme_builtin_with_passes", time_builtin(readme, 640, args.frames, passes=True))
    do_blender = not args.no_blender and blender_available()
    for n in (10, 100):
        scene = grid_scene(n)
        put(out, f"entities_{n}_builtin_beauty", time_builtin(scene, args.width, args.frames, passes=False))
        if not args.no_passes:
            put(out, f"entities_{n}_builtin_with_passes", time_builtin(scene, args.width, args.frames, passes=True))
        if do_blender:
            b = time_blender(scene, args.width, args.blender_frames, args.samples)
            out[f"entities_{n}_blender_s_per_frame"] = b["s_per_frame"]
            out[f"entities_{n}_blender_setup_s"] = b["setup_s"]
            out[f"entities_{n}_blender_job_s"] = b["job_s"]
            out["blender_engine"] = b["engine"]
    if do_blender:
        out["blender_samples"] = args.samples
    elif not args.no_blender:
        out["blender"] = "bpy not installed"
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
