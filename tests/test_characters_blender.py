"""Blender (real bpy) imports our characters as armatures with their action, and no mesh with loose points."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import exporters

HELPER = Path(__file__).parent / "blender_helpers.py"
pytestmark = [pytest.mark.blender, pytest.mark.slow]


def test_blender_imports_an_armature_with_its_action_and_clean_meshes(tmp_path):
    pytest.importorskip("bpy")
    from scenegraph.pipeline import build

    scene = build("A man walks across the street while a red car drives past", seed=0)  # with proxy splats
    assert scene.entity("man_1").gaussians is not None
    path = tmp_path / "street.glb"
    exporters.export(scene, path)
    out = tmp_path / "rigs.json"
    proc = subprocess.run([sys.executable, str(HELPER), "rigs", str(path), "0,12,24", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    objs = json.loads(out.read_text())
    man = objs[scene.entity("man_1").name]
    assert man["type"] == "ARMATURE" and len(man["bones"]) >= 15 and "hips" in man["bones"]
    assert man["action"] and man["bone_curves"] >= 12  # the gait is an action on the bones
    body = objs[f"{scene.entity('man_1').name} body"]
    assert body["type"] == "MESH" and body["armature"] == scene.entity("man_1").name and body["materials"] >= 4
    feet = np.array([man["heads"][f]["foot_L"] for f in ("0", "12", "24")])
    assert np.ptp(feet, axis=0).max() > 0.1  # the foot moves along in Blender too
    meshes = {name: o for name, o in objs.items() if o["type"] == "MESH"}
    splats = {name for name in meshes if name.endswith(" splats")}
    assert splats and all(meshes[n]["parent"] for n in splats)  # splats are children of their entities
    for name, o in meshes.items():
        if name not in splats:
            assert o["loose"] == 0, (name, o)  # no proxy mesh carries loose points
    car = objs[scene.entity("car_1").name]
    assert car["type"] == "MESH" and car["materials"] >= 4
    wheels = [n for n, o in meshes.items() if o["parent"] == scene.entity("car_1").name and " wheel " in n]
    assert len(wheels) == 4
