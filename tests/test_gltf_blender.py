"""Blender (bpy) imports our .glb as the Timeline says, and its edits come back through exporters.load."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _gltf_scenes as scenes  # noqa: E402

import exporters  # noqa: E402
from scenegraph.model import quat_multiply, quat_rotate  # noqa: E402

HELPER = Path(__file__).parent / "blender_helpers.py"
pytestmark = pytest.mark.blender


def _bpy(*args: str) -> str:
    pytest.importorskip("bpy")
    proc = subprocess.run([sys.executable, str(HELPER), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _to_blender(p: np.ndarray) -> np.ndarray:
    """glTF +Y up (x, y, z) -> Blender +Z up (x, -z, y)."""
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    scene = scenes.demo_scene()
    tl = scenes.timeline_for(scene)
    path = tmp_path_factory.mktemp("blender") / "demo.glb"
    exporters.export(scene, path, timeline=tl)
    return scene, tl, path


@pytest.mark.slow
def test_blender_imports_every_entity_where_the_timeline_puts_it(tmp_path, exported):
    scene, tl, path = exported
    frames = [0, 12, 24, 36, 48, 60, 72, 84, 96]
    out = tmp_path / "inspect.json"
    _bpy("inspect", str(path), str(scene.fps), ",".join(map(str, frames)), str(out))
    objs = json.loads(out.read_text())["objects"]
    by_id = {o["id"]: (name, o) for name, o in objs.items() if o["id"]}
    assert set(by_id) == {e.id for e in scene.entities()}
    world = tl.world_position()
    for e in scene.entities():
        name, o = by_id[e.id]
        assert name == e.name
        parent = scene.parent_of(e.id)
        assert o["parent"] == (parent.name if parent else None)
        want = _to_blender(world[frames, tl.index(e.id)])
        got = np.array([o["world"][str(f)] for f in frames])
        assert np.abs(got - want).max() < 1e-3, (e.id, got, want)
    for eid in ("cam_1", "sun", "spot_1"):  # cameras and lights look down their local -Z in both tools
        world_rot = scene.entity(eid).transform.rotation
        parent = scene.parent_of(eid)
        if parent is not None:
            world_rot = quat_multiply(parent.transform.rotation, world_rot)
        want = _to_blender(quat_rotate(world_rot, [0.0, 0.0, -1.0]))
        assert np.allclose(by_id[eid][1]["forward"]["0"], want, atol=1e-4), eid
    assert by_id["cam_1"][1]["type"] == "CAMERA"
    assert abs(by_id["cam_1"][1]["camera"]["angle_y"] - 0.8) < 1e-5
    assert by_id["sun"][1]["light"]["type"] == "SUN" and by_id["spot_1"][1]["light"]["type"] == "SPOT"
    ranges = [o["frame_range"] for o in objs.values() if o["frame_range"]]
    assert min(r[0] for r in ranges) == 0 and max(r[1] for r in ranges) == scene.frame_count - 1


def test_blender_imports_a_file_with_splats(tmp_path):
    scene = scenes.demo_scene(with_splats=True)
    path = tmp_path / "splats.glb"
    exporters.export(scene, path, timeline=scenes.timeline_for(scene))
    out = tmp_path / "inspect.json"
    _bpy("inspect", str(path), str(scene.fps), "0", str(out))
    objs = json.loads(out.read_text())["objects"]
    assert {o["id"] for o in objs.values() if o["id"]} == {e.id for e in scene.entities()}
    assert objs["Person splats"]["parent"] == "Person"  # the splats are a child of their own, hideable


@pytest.mark.slow
def test_splats_dropped_by_blender_are_carried_back_by_id(tmp_path):
    """Blender's exporter drops KHR_gaussian_splatting; carry_splats (and --splats-from) give each
    entity its own splats back from the file the artist started from."""
    from scenegraph import pipeline

    scene = scenes.demo_scene(with_splats=True)
    src, dst = tmp_path / "splats.glb", tmp_path / "blender.glb"
    exporters.export(scene, src, timeline=scenes.timeline_for(scene))
    _bpy("roundtrip", str(src), str(dst))
    edited = exporters.load(dst)
    assert edited.entity("person_1").gaussians is None
    assert pipeline.carry_splats(edited, src) == ["person_1"]
    assert edited.entity("person_1").gaussians == scene.entity("person_1").gaussians
    assert pipeline.carry_splats(edited, src) == []  # entities that have splats keep theirs
    out = tmp_path / "carried.json"
    proc = subprocess.run([sys.executable, "-m", "scenegraph.cli", "export", str(dst), "-o", str(out), "--splats-from", str(src)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "splats of 1 entity carried over" in proc.stderr
    assert exporters.load(out).entity("person_1").gaussians == scene.entity("person_1").gaussians


def test_edits_made_in_blender_come_back(tmp_path, exported):
    scene, tl, path = exported
    edits = [
        {"object": "Person", "location": [6.0, -3.0, 0.0]},  # glTF (6, 0, 3)
        {"object": "Car", "frame": 48, "location": [10.0, 0.0, 3.0]},  # glTF (10, 3, 0) at t = 2 s
        {"material": "red paint", "base_color": [0.1, 0.2, 0.9]},
        {"delete": "Ball"},
        {"add_cube": "Crate", "location": [2.0, -1.0, 0.5]},  # glTF (2, 0.5, 1)
    ]
    (tmp_path / "edits.json").write_text(json.dumps(edits))
    out = tmp_path / "edited.glb"
    _bpy("edit", str(path), str(out), str(tmp_path / "edits.json"))
    back = exporters.load(out)
    assert {e.id for e in back.entities()} == {e.id for e in scene.entities()} - {"ball_1"} | {"Crate"}
    crate = back.entity("Crate")
    assert (crate.kind, crate.cls) == ("object", "thing")
    assert np.allclose(crate.transform.translation, [2, 0.5, 1], atol=1e-5)
    assert np.allclose(crate.bounds, [[-0.5, -0.5, -0.5], [0.5, 0.5, 0.5]], atol=1e-5)
    assert np.allclose(back.entity("person_1").transform.translation, [6, 0, 3], atol=1e-5)
    traj = back.trajectory_of("car_1")
    k = int(np.argmin(np.abs(traj.times - 2.0)))
    assert abs(traj.times[k] - 2.0) < 1e-6 and np.allclose(traj.positions[k], [10, 3, 0], atol=1e-4)
    assert np.allclose(traj.positions[0], [0, 0, 0], atol=1e-4) and np.allclose(traj.positions[-1], [10, 0, 10], atol=1e-4)
    assert back.parent_of("wheel_1").id == "car_1" and back.parent_of("spot_1").id == "person_1"
    assert back.material_of("car_1").id == "mat_red"
    assert np.allclose(back.material("mat_red").base_color, [0.1, 0.2, 0.9], atol=1e-5)
    assert back.material("mat_glow") == scene.material("mat_glow")
    assert back.entity("cam_1").kind == "camera" and back.entity("sun").light.type == "directional"
    assert back.relations() == scene.relations()
    for untouched in ("wheel_1", "cam_1", "sun", "spot_1"):  # Blender resampled them; the motion is the same
        assert back.entity(untouched) == scene.entity(untouched)
        assert back.trajectory_of(untouched) == scene.trajectory_of(untouched)
    assert (back.fps, back.duration, back.seed, back.prompt) == (scene.fps, scene.duration, scene.seed, scene.prompt)
