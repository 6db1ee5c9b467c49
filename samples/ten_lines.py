"""A TD's ten lines: prompt -> scene -> simulate -> files, from Python.

Run: python samples/ten_lines.py [OUTPUT_FOLDER]
"""
import sys
from pathlib import Path

import scenegraph
from scenegraph import pipeline

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(parents=True, exist_ok=True)
scene = scenegraph.build("a red car drives from left to right while a person walks towards the camera", seed=1)
timeline = scenegraph.simulate(scene)
car = timeline.world_position("car_1")
print(f"car_1 moves from x={car[0, 0]:.1f} m to x={car[-1, 0]:.1f} m over {timeline.frame_count} frames")
for name in ("scene.json", "scene.glb", "scene.usdc"):
    print(pipeline.export(scene, out / name))
