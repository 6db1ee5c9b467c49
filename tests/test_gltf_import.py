"""glTF reader: edits made in the file come back into the Scene; hostile files raise FormatError."""
from __future__ import annotations

import base64
import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _gltf_scenes as scenes  # noqa: E402

import exporters  # noqa: E402
from exporters import gltf  # noqa: E402
from scenegraph.errors import FormatError  # noqa: E402


@pytest.fixture()
def written(tmp_path):
    """The demo scene as .gltf + .bin; returns (scene, path, json doc)."""
    scene = scenes.demo_scene()
    path = tmp_path / "s.gltf"
    gltf.write(scene, path, timeline=scenes.timeline_for(scene))
    return scene, path, json.loads(path.read_text())


def _save(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc))


def _index(doc: dict, name: str) -> int:
    return [n.get("name") for n in doc["nodes"]].index(name)


def test_renamed_node_renames_entity(written):
    scene, path, doc = written
    doc["nodes"][_index(doc, "Car")]["name"] = "Red Car"
    _save(path, doc)
    back = gltf.read(path)
    assert back.entity("car_1").name == "Red Car"
    assert back.trajectory_of("car_1") == scene.trajectory("traj_car")  # motion untouched


def test_changed_base_colour_changes_material(written):
    scene, path, doc = written
    doc["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"] = [0.1, 0.2, 0.9, 1.0]
    _save(path, doc)
    back = gltf.read(path)
    assert back.material("mat_red").base_color.tolist() == [0.1, 0.2, 0.9]
    assert back.material_of("car_1").id == "mat_red" and back.material("mat_red").metallic == 0.3


def test_moved_static_node_moves_entity(written):
    scene, path, doc = written
    doc["nodes"][_index(doc, "Person")]["translation"] = [5.0, 0.0, -2.0]
    _save(path, doc)
    back = gltf.read(path)
    assert back.entity("person_1").transform.translation.tolist() == [5.0, 0.0, -2.0]
    assert back.entity("car_1") == scene.entity("car_1")


def _move_car_key(path: Path, doc: dict) -> None:
    """Set the car's translation key 1 (t = 2 s) to (10, 0, -5) in the .bin."""
    anim = doc["animations"][0]
    car = _index(doc, "Car")
    ch = [c for c in anim["channels"] if c["target"] == {"node": car, "path": "translation"}][0]
    acc = doc["accessors"][anim["samplers"][ch["sampler"]]["output"]]
    view = doc["bufferViews"][acc["bufferView"]]
    bin_path = path.parent / doc["buffers"][0]["uri"]
    raw = bytearray(bin_path.read_bytes())
    offset = view["byteOffset"] + acc.get("byteOffset", 0) + 12
    raw[offset:offset + 12] = struct.pack("<3f", 10.0, 0.0, -5.0)
    bin_path.write_bytes(bytes(raw))


def test_untouched_motion_is_known_from_the_digest(written, monkeypatch):
    """Our own untouched file: the scene's motion digest matches, so nothing is simulated to compare;
    after one key changes it no longer matches, and only the edited entity gets a new trajectory."""
    import exporters._gltf_rebuild as rebuild

    scene, path, doc = written
    assert len(doc["scenes"][0]["extras"]["scenegraph"]["motion"]) == 24
    simulated = []
    real = rebuild._Rebuild.timeline
    monkeypatch.setattr(rebuild._Rebuild, "timeline", lambda self: simulated.append(1) or real(self))
    assert gltf.read(path) == scene
    assert simulated == []
    _move_car_key(path, doc)
    back = gltf.read(path)
    assert simulated
    assert back.trajectory_of("car_1").positions[1].tolist() == [10.0, 0.0, -5.0]
    for eid in ("cam_1", "ball_1"):
        assert back.trajectory_of(eid) == scene.trajectory_of(eid)


def test_per_node_digests_of_older_files_are_honoured(written, monkeypatch):
    """Files written before the scene-level digest carry one per node; an untouched node is known from it."""
    import exporters._gltf_rebuild as rebuild
    from exporters._gltf_common import motion_digest
    from exporters._gltf_container import open_container
    from exporters.gltf_read import Reader

    scene, path, doc = written
    r = Reader(open_container(path))
    chans = r.channels()
    for i, node in enumerate(doc["nodes"]):
        node["extras"]["scenegraph"]["digest"] = motion_digest(r.rest(i), chans.get(i, {}))
    del doc["scenes"][0]["extras"]["scenegraph"]["motion"]
    _save(path, doc)
    simulated = []
    real = rebuild._Rebuild.timeline
    monkeypatch.setattr(rebuild._Rebuild, "timeline", lambda self: simulated.append(1) or real(self))
    assert gltf.read(path) == scene
    assert simulated == []


def test_changed_keyframe_becomes_keyframe_trajectory(written):
    scene, path, doc = written
    _move_car_key(path, doc)
    back = gltf.read(path)
    traj = back.trajectory_of("car_1")
    assert traj.id == "traj_car"  # the car's own trajectory keeps its id
    assert traj.times.tolist() == [0.0, 2.0, 4.0]
    assert traj.positions[1].tolist() == [10.0, 0.0, -5.0]
    assert back.entity("car_1").dynamics is None
    assert [e.id for e in back.entities()] == [e.id for e in scene.entities()]


def _add_buffer(doc: dict, arrays: list[np.ndarray]) -> list[int]:
    """Append float32 arrays as a data: URI buffer; returns their new accessor indices."""
    blob = b"".join(np.ascontiguousarray(a, np.float32).tobytes() for a in arrays)
    doc["buffers"].append({"byteLength": len(blob), "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode()})
    out, offset = [], 0
    for a in arrays:
        doc["bufferViews"].append({"buffer": len(doc["buffers"]) - 1, "byteOffset": offset, "byteLength": a.nbytes})
        acc = {"bufferView": len(doc["bufferViews"]) - 1, "componentType": 5126, "count": a.shape[0],
               "type": "SCALAR" if a.ndim == 1 else f"VEC{a.shape[1]}"}
        if a.ndim == 1:
            acc["min"], acc["max"] = [float(a.min())], [float(a.max())]
        doc["accessors"].append(acc)
        out.append(len(doc["accessors"]) - 1)
        offset += a.nbytes
    return out


def test_resampled_but_unchanged_motion_keeps_trajectory(written):
    """A tool that writes one key per frame (as Blender does) has not edited the motion."""
    from scenegraph.world import simulate

    scene, path, doc = written
    tl = simulate(scene)
    car = _index(doc, "Car")
    anim = doc["animations"][0]
    ch = [c for c in anim["channels"] if c["target"] == {"node": car, "path": "translation"}][0]
    t_acc, v_acc = _add_buffer(doc, [tl.time.astype(np.float32), tl.position[:, tl.index("car_1")]])
    anim["samplers"][ch["sampler"]] = {"input": t_acc, "output": v_acc, "interpolation": "LINEAR"}
    _save(path, doc)
    back = gltf.read(path)
    assert back == scene


def test_deleted_nodes_drop_entities_and_relations(written):
    scene, path, doc = written
    roots = doc["scenes"][0]["nodes"]
    roots.remove(_index(doc, "Person"))  # the person and its child spot light leave the scene
    _save(path, doc)
    back = gltf.read(path)
    assert "person_1" not in back and "spot_1" not in back
    assert back.relations() == []
    assert {e.id for e in back.entities()} == {"car_1", "wheel_1", "ball_1", "cam_1", "sun"}


def test_added_nodes_become_new_entities(written):
    scene, path, doc = written
    doc["nodes"].append({"name": "Lamp post", "translation": [3, 0, 3], "mesh": doc["nodes"][_index(doc, "Ball")]["mesh"]})
    doc["nodes"].append({"name": "Cam 2", "camera": 0, "translation": [0, 1.5, 8]})
    doc["nodes"][_index(doc, "Car")]["children"].append(len(doc["nodes"]) - 1)
    doc["scenes"][0]["nodes"].append(len(doc["nodes"]) - 2)
    _save(path, doc)
    back = gltf.read(path)
    lamp = back.entity("Lamp_post")
    assert (lamp.name, lamp.kind, lamp.cls) == ("Lamp post", "object", "thing")
    assert lamp.transform.translation.tolist() == [3, 0, 3]
    assert back.material_of("Lamp_post").id == "mat_red"
    assert np.allclose(lamp.bounds, scene.entity("ball_1").bounds)
    cam = back.entity("Cam_2")
    assert cam.kind == "camera" and back.parent_of("Cam_2").id == "car_1"
    assert abs(cam.camera.yfov - 0.8) < 1e-9
    assert back.entity("car_1") == scene.entity("car_1")


def test_reparented_node_changes_parent(written):
    scene, path, doc = written
    car, wheel, ball = _index(doc, "Car"), _index(doc, "Wheel"), _index(doc, "Ball")
    doc["nodes"][car]["children"].remove(wheel)
    doc["nodes"][ball]["children"] = [wheel]
    _save(path, doc)
    assert gltf.read(path).parent_of("wheel_1").id == "ball_1"


def _minimal_gltf(tmp_path: Path, *, uri: str | None = None, extra: dict | None = None) -> Path:
    """A foreign file: one animated triangle node, one camera node, data in a data: URI."""
    pos = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    times = np.array([0, 1, 2], np.float32)
    trans = np.array([[0, 0, 0], [2, 0, 0], [2, 0, 2]], np.float32)
    blob = pos.tobytes() + times.tobytes() + trans.tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0, 1]}],
        "nodes": [{"name": "Tri", "mesh": 0}, {"name": "Eye", "camera": 0, "translation": [0, 1, 5]}],
        "cameras": [{"type": "perspective", "perspective": {"yfov": 0.7, "znear": 0.05}}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"byteLength": len(blob), "uri": uri or "data:application/octet-stream;base64," + base64.b64encode(blob).decode()}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 12},
                        {"buffer": 0, "byteOffset": 48, "byteLength": 36}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
                      {"bufferView": 1, "componentType": 5126, "count": 3, "type": "SCALAR", "min": [0], "max": [2]},
                      {"bufferView": 2, "componentType": 5126, "count": 3, "type": "VEC3"}],
        "animations": [{"channels": [{"sampler": 0, "target": {"node": 0, "path": "translation"}}],
                        "samplers": [{"input": 1, "output": 2}]}],
    }
    if extra:
        doc.update(extra)
    p = tmp_path / "foreign.gltf"
    p.write_text(json.dumps(doc))
    return p


def test_foreign_file_becomes_a_scene(tmp_path):
    s = exporters.load(_minimal_gltf(tmp_path))
    assert [(e.id, e.kind, e.cls) for e in s.entities()] == [("Tri", "object", "thing"), ("Eye", "camera", "thing")]
    traj = s.trajectory_of("Tri")
    assert traj.times.tolist() == [0.0, 1.0, 2.0] and traj.positions[2].tolist() == [2.0, 0.0, 2.0]
    assert s.duration == 2.0
    assert s.entity("Tri").bounds.tolist() == [[0, 0, 0], [1, 1, 0]]
    assert s.entity("Eye").camera.znear == pytest.approx(0.05)


def test_data_uri_buffer_reads_back_exactly(tmp_path, written):
    scene, path, doc = written
    bin_path = path.parent / doc["buffers"][0]["uri"]
    blob = bin_path.read_bytes()
    doc["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    bin_path.unlink()
    _save(path, doc)
    assert gltf.read(path) == scene


# ---------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def glb_bytes(tmp_path_factory):
    scene = scenes.demo_scene()
    p = tmp_path_factory.mktemp("glb") / "s.glb"
    gltf.write(scene, p, timeline=scenes.timeline_for(scene))
    return p.read_bytes()


def _glb(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "bad.glb"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("cut", [5, 30, 200, -7])
def test_truncated_glb_raises(tmp_path, glb_bytes, cut):
    with pytest.raises(FormatError, match="truncated|past the end"):
        gltf.read(_glb(tmp_path, glb_bytes[:cut]))


def test_wrong_magic_and_version_raise(tmp_path, glb_bytes):
    with pytest.raises(FormatError, match="magic"):
        gltf.read(_glb(tmp_path, b"gLTF" + glb_bytes[4:]))
    with pytest.raises(FormatError, match="version 1"):
        gltf.read(_glb(tmp_path, glb_bytes[:4] + struct.pack("<I", 1) + glb_bytes[8:]))


def test_chunk_length_past_end_raises(tmp_path, glb_bytes):
    bad = glb_bytes[:12] + struct.pack("<I", len(glb_bytes)) + glb_bytes[16:]
    with pytest.raises(FormatError, match="chunk 0 length .* past the end"):
        gltf.read(_glb(tmp_path, bad))


def test_invalid_json_raises(tmp_path):
    p = tmp_path / "bad.gltf"
    p.write_text('{"asset": {"version": "2.0"}, "nodes": [')
    with pytest.raises(FormatError, match="invalid JSON"):
        gltf.read(p)
    p.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(FormatError, match="invalid JSON|top level"):
        gltf.read(p)
    p.write_text('{"asset": {"version": "1.0"}}')
    with pytest.raises(FormatError, match="2.x"):
        gltf.read(p)


def test_accessor_and_buffer_view_out_of_bounds_raise(tmp_path):
    p = _minimal_gltf(tmp_path)
    doc = json.loads(p.read_text())
    doc["accessors"][2]["count"] = 10**6
    p.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"accessors\[2\].*out of bounds"):
        gltf.read(p)
    doc = json.loads(p.read_text())
    doc["accessors"][2]["count"] = 3
    doc["bufferViews"][2]["byteLength"] = 10**9
    p.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"bufferViews\[2\].*out of bounds"):
        gltf.read(p)


def test_huge_counts_do_not_allocate(tmp_path):
    p = _minimal_gltf(tmp_path)
    doc = json.loads(p.read_text())
    doc["accessors"][1] = {"componentType": 5126, "count": 4 * 10**9, "type": "SCALAR"}  # no bufferView: zeros
    p.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="too many"):
        gltf.read(p)


def test_node_cycle_raises(tmp_path):
    p = _minimal_gltf(tmp_path)
    doc = json.loads(p.read_text())
    doc["nodes"][0]["children"] = [1]
    doc["nodes"][1]["children"] = [0]
    p.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="more than one parent|reached twice"):
        gltf.read(p)


@pytest.mark.parametrize("uri,why", [
    ("/etc/hostname", "absolute or remote"),
    ("http://127.0.0.1:9/x.bin", "absolute or remote"),
    ("file:///etc/hostname", "absolute or remote"),
    ("../outside.bin", "escapes"),
    ("sub/../../outside.bin", "escapes"),
])
def test_unsafe_uris_raise_and_read_nothing_outside(tmp_path, uri, why):
    inside = tmp_path / "in"
    inside.mkdir()
    (tmp_path / "outside.bin").write_bytes(bytes(200))
    with pytest.raises(FormatError, match=why):
        gltf.read(_minimal_gltf(inside, uri=uri))


def test_symlink_out_of_the_folder_is_refused(tmp_path):
    inside = tmp_path / "in"
    inside.mkdir()
    (tmp_path / "outside.bin").write_bytes(bytes(200))
    (inside / "link.bin").symlink_to(tmp_path / "outside.bin")
    with pytest.raises(FormatError, match="escapes"):
        gltf.read(_minimal_gltf(inside, uri="link.bin"))


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        exporters.load(tmp_path / "none.glb")
    (tmp_path / "x.glb").write_text('{"asset": {"version": "2.0"}}')
    with pytest.raises(FormatError, match="magic"):
        gltf.read(tmp_path / "x.glb")


def _mutate(rng, node, depth=0):
    """Replace one value somewhere inside ``node`` (a dict or list) with junk."""
    keys = sorted(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
    if not keys:
        return
    key = rng.choice(list(keys))
    if rng.random() < 0.3 or depth > 6:
        node[key] = rng.choice([None, -1, 10**12, "x", [], {}, 1.5, True, [1, 2, 3]])
    else:
        _mutate(rng, node[key], depth + 1)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_mangled_files_raise_format_error_or_load(tmp_path, glb_bytes):
    """Random byte flips and JSON mutations: the reader answers with a Scene or FormatError, nothing else."""
    import random

    rng = random.Random(4)
    p = tmp_path / "fuzz.glb"
    json_len = struct.unpack_from("<I", glb_bytes, 12)[0]
    doc = json.loads(glb_bytes[20:20 + json_len])
    tail = glb_bytes[20 + json_len:]
    outcomes = {"scene": 0, "error": 0}
    for i in range(240):
        if i % 2:
            data = bytearray(glb_bytes)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            d = json.loads(json.dumps(doc))
            for _ in range(rng.randint(1, 3)):
                _mutate(rng, d)
            js = json.dumps(d).encode()
            js += b" " * ((-len(js)) % 4)
            data = struct.pack("<III", 0x46546C67, 2, 20 + len(js) + len(tail)) + struct.pack("<II", len(js), 0x4E4F534A) + js + tail
        p.write_bytes(bytes(data))
        try:
            gltf.read(p)
            outcomes["scene"] += 1
        except FormatError:
            outcomes["error"] += 1
    assert outcomes["error"] > 50 and outcomes["scene"] > 0
