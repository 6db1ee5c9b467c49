"""USD export speed against Blender's own exporter on the same scene; prints JSON.

    python benchmarks/usd_export.py [--entities 1000] [--frames 240] [--gaussians 1000000]

Two cases: ``animated`` (``--entities`` objects on curved, turning paths over
``--frames`` frames, so no time sample can be dropped) and ``animated+gaussians``
(the same plus one entity carrying ``--gaussians`` degree-0 splats).  For each:
our ``.usdc`` export is timed (Timeline given, so the simulator is not timed), and
``ours_per_column_export_s`` the same with each entity's kept samples searched one column at a
time (the writer before whole-array planning; same bytes);
then, in a separate process (bpy and usd-core each bring their own USD
libraries), Blender imports that file with ``bpy.ops.wm.usd_import`` and
``bpy.ops.wm.usd_export`` writes it back out, timed.
``speedup_vs_blender`` = Blender's export seconds / ours (> 1: we are faster).
``ours_read_s`` is our reader on the same file, for reference.
Blender does not import ParticleField prims, so in the second case Blender
writes less data than we do.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from exporters import usd
from scenegraph.model.gaussians import Gaussians
from scenegraph.model import Entity, Material, Scene, Transform, quat_from_yaw
from scenegraph.world import Timeline

_BLENDER = """
import bpy, json, sys, time
src, dst = sys.argv[1], sys.argv[2]
bpy.ops.wm.read_factory_settings(use_empty=True)
t0 = time.perf_counter()
bpy.ops.wm.usd_import(filepath=src)
t1 = time.perf_counter()
bpy.ops.wm.usd_export(filepath=dst, export_animation=True)
t2 = time.perf_counter()
print("BENCH" + json.dumps({"import_s": t1 - t0, "export_s": t2 - t1, "objects": len(bpy.data.objects)}))
"""


def build(entities: int, frames: int, gaussians: int, seed: int = 0) -> tuple[Scene, Timeline]:
    """A scene of moving boxes and its Timeline (curved paths: every sample is needed)."""
    rng = np.random.default_rng(seed)
    fps = 24.0
    scene = Scene(fps=fps, duration=(frames - 1) / fps, seed=seed)
    classes = ("car", "person", "bus", "dog", "bench")
    for i, c in enumerate(("red", "grey", "blue")):
        scene.add_material(Material(f"mat_{c}", base_color=rng.uniform(0, 1, 3)))
    for i in range(entities):
        scene.add_entity(Entity(f"e{i}", cls=classes[i % len(classes)]), material=f"mat_{('red', 'grey', 'blue')[i % 3]}")
    if gaussians:
        g = Gaussians(rng.normal(size=(gaussians, 3)), rng.normal(size=(gaussians, 4)),
                      rng.uniform(0.005, 0.05, (gaussians, 3)), rng.uniform(0, 1, gaussians), rng.normal(size=(gaussians, 1, 3)))
        scene.add_entity(Entity("splats", cls="statue", gaussians=g, transform=Transform((0, 0, 5))))
    ids = tuple(e.id for e in scene.entities())
    t = np.arange(frames) / fps
    e = len(ids)
    centre = rng.uniform(-50, 50, (e, 3)) * (1, 0, 1)
    radius = rng.uniform(1, 5, e)
    omega = rng.uniform(0.2, 1.0, e)
    phase = omega[None] * t[:, None]
    pos = centre[None] + np.stack([radius * np.cos(phase), 0.1 * np.sin(3 * phase), radius * np.sin(phase)], axis=-1)
    rot = quat_from_yaw(phase + 0.3 * np.sin(2 * phase))
    if gaussians:
        pos[:, -1] = (0, 0, 5)
        rot[:, -1] = (0, 0, 0, 1)
    pos, rot = pos.astype(np.float32), rot.astype(np.float32)
    tl = Timeline(fps=fps, time=t, ids=ids, position=pos, rotation=rot, scale=np.ones_like(pos),
                  velocity=np.zeros_like(pos), parents=(-1,) * e)
    return scene, tl


def run_case(name: str, entities: int, frames: int, gaussians: int, folder: str) -> dict:
    scene, tl = build(entities, frames, gaussians)
    ours = os.path.join(folder, f"{name}.usdc")
    t0 = time.perf_counter()
    usd.write(scene, ours, timeline=tl)
    ours_s = time.perf_counter() - t0
    from exporters import usd_write

    plan, usd_write._plan = usd_write._plan, (lambda timeline: None)  # the per-column search (before bulk planning)
    try:
        t0 = time.perf_counter()
        usd.write(scene, ours, timeline=tl)
        per_column_s = time.perf_counter() - t0
    finally:
        usd_write._plan = plan
    usd.write(scene, ours, timeline=tl)
    t0 = time.perf_counter()
    usd.read(ours)
    read_s = time.perf_counter() - t0
    proc = subprocess.run([sys.executable, "-c", _BLENDER, ours, os.path.join(folder, f"{name}_blender.usdc")],
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"Blender failed on {name}: {proc.stderr[-2000:]}")
    blender = json.loads(lines[-1][5:])
    return {
        "case": name,
        "entities": entities,
        "frames": frames,
        "gaussians": gaussians,
        "ours_export_s": round(ours_s, 3),
        "ours_per_column_export_s": round(per_column_s, 3),
        "ours_file_mb": round(os.path.getsize(ours) / 1e6, 2),
        "ours_read_s": round(read_s, 3),
        "blender_import_s": round(blender["import_s"], 3),
        "blender_export_s": round(blender["export_s"], 3),
        "blender_objects": blender["objects"],
        "speedup_vs_blender": round(blender["export_s"] / ours_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--gaussians", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        warm_scene, warm_tl = build(5, 5, 10)  # load usd-core's plugins before timing (bpy's start-up is not timed either)
        usd.write(warm_scene, os.path.join(folder, "warm.usdc"), timeline=warm_tl)
        results = [
            run_case("animated", args.entities, args.frames, 0, folder),
            run_case("animated+gaussians", args.entities, args.frames, args.gaussians, folder),
        ]
    print(json.dumps({"benchmark": "usd_export", "results": results}, indent=2))


if __name__ == "__main__":
    main()
