"""Blender (bpy, in a subprocess per test) imports our .usdc: objects, hierarchy, motion, cameras, lights."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("pxr")

from exporters import usd  # noqa: E402
from scenegraph.model import quat_rotate  # noqa: E402
from tests.test_usd import car_scene, car_timeline  # noqa: E402

pytestmark = pytest.mark.blender

FRAMES = (0, 7, 12, 24, 31, 48)
_IMPORT = """
import bpy, json, sys
path, frames = sys.argv[1], [int(f) for f in sys.argv[2].split(",")]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.usd_import(filepath=path)
sc = bpy.context.scene
out = {"fps": sc.render.fps / sc.render.fps_base, "frame_end": sc.frame_end, "objects": {}}
for f in frames:
    sc.frame_set(f)
    for o in bpy.data.objects:
        d = out["objects"].setdefault(o.name, {"type": o.type, "parent": o.parent.name if o.parent else None, "at": {}})
        m = o.matrix_world
        d["at"][str(f)] = {"pos": list(m.translation), "forward": list((m.to_3x3() @ __import__("mathutils").Vector((0, 0, -1))).normalized())}
        if o.type == "CAMERA":
            d["lens"], d["sensor_height"], d["clip"] = o.data.lens, o.data.sensor_height, [o.data.clip_start, o.data.clip_end]
        if o.type == "LIGHT":
            d["light_type"] = o.data.type
            d["spot_size"] = getattr(o.data, "spot_size", None)
print("BLENDER_JSON" + json.dumps(out))
"""


def blender_import(path) -> dict:
    """Import ``path`` with bpy.ops.wm.usd_import in a fresh process; objects at FRAMES."""
    pytest.importorskip("bpy")
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(path), ",".join(map(str, FRAMES))],
        capture_output=True, text=True, timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BLENDER_JSON")]
    assert proc.returncode == 0 and lines, proc.stderr[-2000:]
    return json.loads(lines[-1][len("BLENDER_JSON"):])


def to_blender(v) -> np.ndarray:
    """Blender's importer turns Y-up into Z-up: (x, y, z) -> (x, -z, y)."""
    v = np.asarray(v, dtype=np.float64)
    return np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    s = car_scene()
    tl = car_timeline(s)
    path = tmp_path_factory.mktemp("blender") / "car.usdc"
    usd.write(s, path, timeline=tl)
    return s, tl, blender_import(path)


def find(objects: dict, prim: str) -> dict:
    """The Blender object of an entity prim: its own name, or its proxy mesh when Blender merged the Xform into it."""
    for name in (prim, f"{prim}_proxy"):
        if name in objects:
            return objects[name]
    raise AssertionError(f"no Blender object for {prim}: {sorted(objects)}")


@pytest.mark.slow
def test_blender_imports_every_entity_with_the_hierarchy(imported):
    s, _, out = imported
    objs = out["objects"]
    assert find(objs, "car_1")["type"] == "EMPTY"  # the car has children: an Xform of its own
    assert objs["car_1_proxy"]["type"] == "MESH" and objs["car_1_proxy"]["parent"] == "car_1"
    assert find(objs, "wheel_1")["parent"] == "car_1"
    for lamp in ("lamp_1", "lamp_2"):
        assert find(objs, lamp)["type"] == "MESH"
    assert out["fps"] == pytest.approx(24.0) and out["frame_end"] == 48


def test_blender_world_positions_match_the_timeline_within_a_millimetre(imported):
    s, tl, out = imported
    world = tl.world_position()
    prims = {"car_1": "car_1", "wheel-1": "wheel_1", "lamp_1": "lamp_1", "lamp_2": "lamp_2",
             "cam_main": "cam_main", "sun": "sun", "spot": "spot"}
    moved = 0.0
    for eid, prim in prims.items():
        obj = find(out["objects"], prim)
        for f in FRAMES:
            want = to_blender(world[f, tl.index(eid)])
            np.testing.assert_allclose(obj["at"][str(f)]["pos"], want, atol=1e-3, err_msg=f"{eid} at frame {f}")
        moved = max(moved, float(np.linalg.norm(np.subtract(obj["at"]["48"]["pos"], obj["at"]["0"]["pos"]))))
    assert moved > 5.0  # the car really drove


def test_blender_camera_keeps_field_of_view_clipping_and_view_direction(imported):
    s, tl, out = imported
    cam = out["objects"]["cam_main"]
    assert cam["type"] == "CAMERA"
    yfov = 2 * math.atan(0.5 * cam["sensor_height"] / cam["lens"])
    assert yfov == pytest.approx(s.entity("cam_main").camera.yfov, rel=1e-5)
    assert cam["clip"] == pytest.approx([0.1, 1000.0], rel=1e-5)
    np.testing.assert_allclose(cam["at"]["0"]["forward"], to_blender([0, 0, -1]), atol=1e-5)


def test_blender_lights_keep_type_direction_and_cone(imported):
    s, tl, out = imported
    sun = out["objects"]["sun"]
    assert sun["type"] == "LIGHT" and sun["light_type"] == "SUN"
    down = quat_rotate(s.entity("sun").transform.rotation, [0, 0, -1])
    np.testing.assert_allclose(sun["at"]["0"]["forward"], to_blender(down), atol=1e-5)
    spot = out["objects"]["spot"]
    assert spot["light_type"] == "SPOT"
    assert spot["spot_size"] == pytest.approx(2 * s.entity("spot").light.outer_cone_angle, rel=1e-4)


_EDIT_AND_EXPORT = """
import bpy, sys
src, dst = sys.argv[1], sys.argv[2]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.usd_import(filepath=src)
bpy.data.objects["lamp_2_proxy"].location.x += 1.0
bpy.ops.wm.usd_export(filepath=dst, export_animation=True)
"""


def test_stage_edited_and_exported_by_blender_reads_back(tmp_path):
    """Blender drops our customData, so this is the generic (foreign, Z-up) import path."""
    import exporters
    from scenegraph.world import simulate

    pytest.importorskip("bpy")
    s = car_scene()
    tl = car_timeline(s)
    src, dst = tmp_path / "car.usdc", tmp_path / "from_blender.usda"
    usd.write(s, src, timeline=tl)
    proc = subprocess.run([sys.executable, "-c", _EDIT_AND_EXPORT, str(src), str(dst)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and dst.exists(), proc.stderr[-2000:]
    back = exporters.load(dst)
    by_name = {e.name: e for e in back.entities()}
    assert by_name["cam_main"].kind == "camera"
    assert math.degrees(by_name["cam_main"].camera.yfov) == pytest.approx(50.0, abs=0.01)
    assert by_name["sun"].kind == "light" and by_name["sun"].light.type == "directional"
    assert by_name["spot"].light.type == "spot"
    assert by_name["lamp_2_proxy"].kind == "object" and by_name["lamp_2_proxy"].cls == "mesh"
    np.testing.assert_allclose(back.world_matrix(by_name["lamp_2_proxy"].id)[:3, 3], [-2.0, 0.0, -2.0], atol=1e-3)
    np.testing.assert_allclose(back.world_matrix(by_name["lamp_1_proxy"].id)[:3, 3], [3.0, 0.0, -2.0], atol=1e-3)
    tl_back = simulate(back)
    for eid, name in (("car_1", "car_1"), ("cam_main", "cam_main")):
        np.testing.assert_allclose(tl_back.world_position(by_name[name].id), tl.world_position(eid), atol=1e-3, err_msg=name)
