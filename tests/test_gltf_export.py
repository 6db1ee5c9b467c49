"""glTF writer: exact read-back, deterministic bytes, reduced animation, cameras, lights, splats, the Khronos validator."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _gltf_scenes as scenes  # noqa: E402

import exporters  # noqa: E402
from exporters import gltf  # noqa: E402
from exporters._gltf_common import sample_keys  # noqa: E402
from exporters._gltf_container import open_container  # noqa: E402
from scenegraph.errors import FormatError  # noqa: E402
from scenegraph.model import Entity, Material, Scene, Transform  # noqa: E402

VALIDATOR = Path(__file__).parent / "gltf_validator" / "validate.mjs"


@pytest.fixture(scope="module")
def demo():
    s = scenes.demo_scene(with_splats=True)
    return s, scenes.timeline_for(s)


@pytest.fixture(scope="module")
def demo_plain():
    s = scenes.demo_scene(with_splats=False)
    return s, scenes.timeline_for(s)


def _node(doc: dict, name: str) -> tuple[int, dict]:
    for i, n in enumerate(doc["nodes"]):
        if n.get("name") == name:
            return i, n
    raise AssertionError(f"no node {name}")


def _channels(c, node: int) -> dict:
    out = {}
    for anim in c.doc.get("animations", []):
        for ch in anim["channels"]:
            if ch["target"]["node"] == node:
                s = anim["samplers"][ch["sampler"]]
                out[ch["target"]["path"]] = (s["interpolation"], c.accessor(s["input"], "t"), c.accessor(s["output"], "v"))
    return out


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_read_back_is_the_same_scene(tmp_path, demo, suffix):
    scene, tl = demo
    out = tmp_path / f"scene{suffix}"
    exporters.export(scene, out, timeline=tl)
    back = exporters.load(out)
    assert back == scene
    assert back.entity("person_1").gaussians == scene.entity("person_1").gaussians
    if suffix == ".gltf":
        uri = json.loads(out.read_text())["buffers"][0]["uri"]  # scene.<hash of its bytes>.bin
        assert re.fullmatch(r"scene\.[0-9a-f]{12}\.bin", uri) and (tmp_path / uri).is_file()
        assert sorted(p.name for p in tmp_path.iterdir()) == [uri, "scene.gltf"]  # no temp files left


def test_same_input_gives_identical_bytes(tmp_path, demo):
    scene, tl = demo
    gltf.write(scene, tmp_path / "a.glb", timeline=tl)
    gltf.write(scene.copy(), tmp_path / "b.glb", timeline=tl)
    assert (tmp_path / "a.glb").read_bytes() == (tmp_path / "b.glb").read_bytes()


def test_nodes_carry_names_hierarchy_and_ids(tmp_path, demo_plain):
    scene, tl = demo_plain
    gltf.write(scene, tmp_path / "s.glb", timeline=tl)
    doc = open_container(tmp_path / "s.glb").doc
    n = len(scene.entities())
    assert [n["name"] for n in doc["nodes"][:n]] == [e.name for e in scene.entities()]
    assert all("part" in node["extras"]["scenegraph"] for node in doc["nodes"][n:])  # parts come after the entities
    car, car_node = _node(doc, "Car")
    wheel, _ = _node(doc, "Wheel")
    assert [k for k in car_node["children"] if "part" not in doc["nodes"][k]["extras"]["scenegraph"]] == [wheel]
    assert wheel not in doc["scenes"][0]["nodes"] and car in doc["scenes"][0]["nodes"]
    sg = car_node["extras"]["scenegraph"]
    assert (sg["id"], sg["class"], sg["material"], sg["trajectory"]) == ("car_1", "car", "mat_red", "traj_car")
    assert _node(doc, "Person")[1]["extras"]["scenegraph"]["relations"] == ["near car_1"]
    meta = doc["scenes"][0]["extras"]["scenegraph"]
    assert (meta["fps"], meta["duration"], meta["seed"], meta["prompt"]) == (24.0, 4.0, 7, scene.prompt)
    assert doc["asset"]["generator"].startswith("scenegraph ")


def test_animation_keeps_only_needed_keys(tmp_path, demo_plain):
    scene, tl = demo_plain
    gltf.write(scene, tmp_path / "s.glb", timeline=tl)
    c = open_container(tmp_path / "s.glb")
    assert len(c.doc["animations"]) == 1
    car = _channels(c, _node(c.doc, "Car")[0])
    assert list(car) == ["translation"]  # rotation and scale never change
    interp, t, v = car["translation"]
    assert interp == "LINEAR" and t.dtype == np.float32
    assert t.tolist() == [0.0, 2.0, 4.0]  # two straight segments collapse to their ends
    assert np.allclose(v, [(0, 0, 0), (10, 0, 0), (10, 0, 10)])
    interp, t, v = _channels(c, _node(c.doc, "Ball")[0])["translation"]
    assert interp == "STEP" and t.tolist() == [0.0, 1.0, 3.0]
    for static in ("Person", "Sun", "Wheel"):
        assert _channels(c, _node(c.doc, static)[0]) == {}


def test_reduced_curves_reproduce_every_frame(tmp_path):
    scene, tl = scenes.crowd_scene(20, 120)
    gltf.write(scene, tmp_path / "c.glb", timeline=tl)
    c = open_container(tmp_path / "c.glb")
    total_keys = 0
    for j, e in enumerate(scene.entities()):
        ch = _channels(c, j)
        for path, arr in (("translation", tl.position), ("rotation", tl.rotation)):
            interp, t, v = ch[path]
            total_keys += len(t)
            got = sample_keys(t, v, interp, tl.time, path == "rotation")
            want = arr[:, tl.index(e.id)].astype(np.float64)
            if path == "rotation":
                got = got * np.sign(np.sum(got * want, axis=1))[:, None]
            assert np.abs(got - want).max() < 2e-5
    assert total_keys < 20 * 2 * 120  # some keys were dropped, but the curves hold


def test_proxy_mesh_is_shared_and_complete(tmp_path):
    s = Scene(duration=1.0)
    s.add_material(Material("mat_a"))
    for i in range(3):
        s.add_entity(Entity(f"crate_{i}", cls="crate", transform=Transform((i, 0, 0))), material="mat_a")
    s.add_entity(Entity("crate_big", cls="crate", bounds=((-1, 0, -1), (1, 2, 1))), material="mat_a")
    gltf.write(s, tmp_path / "m.glb", timeline=scenes.hand_timeline(s))
    doc = open_container(tmp_path / "m.glb").doc
    assert [n["mesh"] for n in doc["nodes"]] == [0, 0, 0, 1]
    prim = doc["meshes"][0]["primitives"][0]
    assert {"POSITION", "NORMAL", "TEXCOORD_0"} <= set(prim["attributes"]) and "indices" in prim and prim["material"] == 0
    pos = doc["accessors"][doc["meshes"][1]["primitives"][0]["attributes"]["POSITION"]]
    assert pos["min"] == [-1, 0, -1] and pos["max"] == [1, 2, 1]


def test_materials_cameras_and_lights(tmp_path, demo_plain):
    scene, tl = demo_plain
    gltf.write(scene, tmp_path / "s.glb", timeline=tl)
    doc = open_container(tmp_path / "s.glb").doc
    red = doc["materials"][0]
    assert red["pbrMetallicRoughness"]["baseColorFactor"] == [0.8, 0.05, 0.05, 1.0]
    assert red["pbrMetallicRoughness"]["metallicFactor"] == 0.3 and red["extras"]["scenegraph"]["id"] == "mat_red"
    glow = doc["materials"][1]
    assert glow["emissiveFactor"] == [1.0, 0.75, 0.0]
    assert glow["extensions"]["KHR_materials_emissive_strength"]["emissiveStrength"] == 2.0
    assert doc["materials"][2]["alphaMode"] == "BLEND"
    cam = doc["cameras"][_node(doc, "Camera")[1]["camera"]]["perspective"]
    assert cam == {"yfov": 0.8, "aspectRatio": 16 / 9, "znear": 0.1, "zfar": 200.0}
    lights = doc["extensions"]["KHR_lights_punctual"]["lights"]
    spot = lights[_node(doc, "Spot")[1]["extensions"]["KHR_lights_punctual"]["light"]]
    assert spot["type"] == "spot" and spot["range"] == 30.0 and spot["intensity"] == 500.0
    assert spot["spot"] == {"innerConeAngle": 0.2, "outerConeAngle": 0.5}
    sun = lights[_node(doc, "Sun")[1]["extensions"]["KHR_lights_punctual"]["light"]]
    assert sun["type"] == "directional" and "range" not in sun


def test_gaussians_follow_khr_gaussian_splatting(tmp_path, demo):
    scene, tl = demo
    gltf.write(scene, tmp_path / "s.glb", timeline=tl)
    c = open_container(tmp_path / "s.glb")
    g = scene.entity("person_1").gaussians
    mesh = c.doc["meshes"][_node(c.doc, "Person splats")[1]["mesh"]]
    assert len(mesh["primitives"]) == 1  # the splats have a node of their own, a child of the entity's
    assert _node(c.doc, "Person splats")[0] in _node(c.doc, "Person")[1]["children"]
    prim = [p for p in mesh["primitives"] if p.get("mode") == 0][0]
    assert prim["extensions"]["KHR_gaussian_splatting"] == {
        "kernel": "ellipse", "colorSpace": "srgb_rec709_display", "projection": "perspective", "sortingMethod": "cameraDistance"}
    assert "KHR_gaussian_splatting" in c.doc["extensionsUsed"]
    a = prim["attributes"]
    assert set(a) == {"POSITION", "KHR_gaussian_splatting:ROTATION", "KHR_gaussian_splatting:SCALE", "KHR_gaussian_splatting:OPACITY",
                      "KHR_gaussian_splatting:SH_DEGREE_0_COEF_0", "KHR_gaussian_splatting:SH_DEGREE_1_COEF_0",
                      "KHR_gaussian_splatting:SH_DEGREE_1_COEF_1", "KHR_gaussian_splatting:SH_DEGREE_1_COEF_2"}
    assert np.array_equal(c.accessor(a["POSITION"], "p"), g.means)
    assert np.allclose(np.exp(c.accessor(a["KHR_gaussian_splatting:SCALE"], "s")), g.scales, rtol=1e-6)  # log-space
    assert np.array_equal(c.accessor(a["KHR_gaussian_splatting:OPACITY"], "o"), g.opacities)  # linear [0, 1]
    assert np.array_equal(c.accessor(a["KHR_gaussian_splatting:ROTATION"], "r"), g.quats)  # xyzw
    assert np.array_equal(c.accessor(a["KHR_gaussian_splatting:SH_DEGREE_1_COEF_2"], "sh"), g.sh[:, 3])


def test_texture_is_embedded_in_glb_and_copied_beside_gltf(tmp_path):
    png = tmp_path / "src" / "paint.png"
    png.parent.mkdir()
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    s = Scene(duration=0.5)
    s.add_material(Material("mat_tex", texture=str(png)))
    s.add_entity(Entity("box_1"), material="mat_tex")
    tl = scenes.hand_timeline(s)
    gltf.write(s, tmp_path / "t.glb", timeline=tl)
    c = open_container(tmp_path / "t.glb")
    img = c.doc["images"][0]
    assert img["mimeType"] == "image/png"
    raw, _ = c.view_bytes(img["bufferView"])
    assert bytes(raw) == png.read_bytes()
    assert c.doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"] == {"index": 0}
    out = tmp_path / "out"
    out.mkdir()
    gltf.write(s, out / "t.gltf", timeline=tl)
    assert (out / "paint.png").read_bytes() == png.read_bytes()
    assert json.loads((out / "t.gltf").read_text())["images"] == [{"uri": "paint.png"}]
    assert gltf.read(out / "t.gltf") == s


def test_data_uri_texture_is_embedded(tmp_path):
    import base64

    uri = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(16)).decode()
    s = Scene(duration=0.5)
    s.add_material(Material("mat_tex", texture=uri))
    s.add_entity(Entity("box_1"), material="mat_tex")
    tl = scenes.hand_timeline(s)
    for name in ("d.glb", "d.gltf"):
        gltf.write(s, tmp_path / name, timeline=tl)
        assert gltf.read(tmp_path / name) == s
    assert json.loads((tmp_path / "d.gltf").read_text())["images"] == [{"uri": uri}]
    bin_uri = json.loads((tmp_path / "d.gltf").read_text())["buffers"][0]["uri"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [bin_uri, "d.glb", "d.gltf"]


def test_bad_options_and_missing_texture_write_nothing(tmp_path, demo_plain):
    scene, tl = demo_plain
    with pytest.raises(FormatError, match="unknown option"):
        gltf.write(scene, tmp_path / "a.glb", timeline=tl, draco=True)
    s = Scene(duration=0.5)
    s.add_material(Material("mat_tex", texture="nowhere.png"))
    s.add_entity(Entity("box_1"), material="mat_tex")
    with pytest.raises(FormatError, match="nowhere.png"):
        gltf.write(s, tmp_path / "b.glb", timeline=scenes.hand_timeline(s))
    assert list(tmp_path.iterdir()) == []


def test_timeline_with_nan_is_refused_and_writes_nothing(tmp_path, demo_plain):
    """A NaN in the motion names the entity and frame; no file with nulls where numbers belong."""
    import dataclasses

    scene, tl = demo_plain
    pos = np.array(tl.position)
    pos[7, tl.index("car_1"), 2] = np.nan
    bad = dataclasses.replace(tl, position=pos)
    with pytest.raises(FormatError, match=r"position of entity 'car_1' at frame 7"):
        gltf.write(scene, tmp_path / "s.glb", timeline=bad)
    odd = scene.copy()
    odd.metadata["score"] = float("nan")
    with pytest.raises(FormatError, match="scene metadata"):
        gltf.write(odd, tmp_path / "s.glb", timeline=tl)
    assert list(tmp_path.iterdir()) == []


def _validate(path: Path) -> dict:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (VALIDATOR.parent / "node_modules").is_dir():
        pytest.skip("the glTF validator's packages are not installed: (cd tests/gltf_validator && npm ci)")
    proc = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_khronos_validator_finds_no_errors_or_warnings(tmp_path, demo_plain, suffix):
    scene, tl = demo_plain
    gltf.write(scene, tmp_path / f"s{suffix}", timeline=tl)
    issues = _validate(tmp_path / f"s{suffix}")["issues"]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]


def test_khronos_validator_only_flags_splat_attribute_names(tmp_path, demo):
    scene, tl = demo
    gltf.write(scene, tmp_path / "s.glb", timeline=tl)
    report = _validate(tmp_path / "s.glb")
    errors = [m for m in report["issues"]["messages"] if m["severity"] == 0]
    assert errors, "the validator predates KHR_gaussian_splatting and should flag its attributes"
    for m in errors:
        assert m["code"] == "MESH_PRIMITIVE_INVALID_ATTRIBUTE", m
        assert m["pointer"].split("/")[-1].startswith("KHR_gaussian_splatting:"), m
    warnings = [m for m in report["issues"]["messages"] if m["severity"] == 1]
    assert all(m["code"] == "UNSUPPORTED_EXTENSION" for m in warnings), warnings


@pytest.mark.parametrize("name,data", [("big.glb", "big.glb"), ("big.gltf", "big.*.bin")])
def test_large_splat_file_reads_back_exactly(tmp_path, name, data):
    """Past 1 MiB the reader maps the file instead of copying it; the splats must still match bit for bit."""
    scene = Scene(duration=0.0)
    scene.add_entity(Entity("cloud", cls="cloud", gaussians=scenes.splats(30_000, seed=3, degree=3)))
    gltf.write(scene, tmp_path / name, timeline=scenes.hand_timeline(scene))
    assert next(tmp_path.glob(data)).stat().st_size > 1 << 20
    back = gltf.read(tmp_path / name)
    assert back == scene and back.entity("cloud").gaussians == scene.entity("cloud").gaussians
    gltf.write(back, tmp_path / name, timeline=scenes.hand_timeline(back))  # replace the file while mapped
    assert gltf.read(tmp_path / name) == scene


def test_cli_converts_json_to_glb_to_gltf_and_back(tmp_path, capsys):
    from scenegraph.cli import main

    scene = scenes.demo_scene(with_splats=True)
    scene.save(tmp_path / "scene.json")
    assert main(["export", str(tmp_path / "scene.json"), "-o", str(tmp_path / "scene.glb")]) == 0
    assert main(["export", str(tmp_path / "scene.glb"), "-o", str(tmp_path / "scene.gltf"), "-o", str(tmp_path / "back.json")]) == 0
    assert Scene.load(tmp_path / "back.json") == scene
    assert exporters.load(tmp_path / "scene.gltf") == scene
    assert oct((tmp_path / "scene.glb").stat().st_mode & 0o777) != oct(0o600)


@pytest.mark.parametrize("n", [5, 1023, 1024, 4097, 100_003])
def test_column_bounds_match_numpy(n):
    from exporters._gltf_output import column_bounds

    a = np.random.default_rng(n).normal(size=(n, 3)).astype(np.float32)
    lo, hi = column_bounds(a)
    assert lo == a.min(axis=0).tolist() and hi == a.max(axis=0).tolist()


def test_short_writes_resume_where_they_stopped(tmp_path, monkeypatch, demo):
    """os.writev may write less than asked (a signal, a nearly full disk): the writer carries on from
    the byte where it stopped, and the file is the same as one written in a single call."""
    import os

    from exporters import _gltf_output

    scene, tl = demo
    gltf.write(scene, tmp_path / "whole.glb", timeline=tl)
    real = os.writev
    calls = []

    def short(fd, buffers):
        calls.append(1)
        left, cut = 1000, []  # at most 1000 bytes a call, ending mid-buffer
        for b in buffers:
            b = memoryview(b).cast("B")[:left]
            cut.append(b)
            left -= len(b)
            if not left:
                break
        return real(fd, cut)

    monkeypatch.setattr(_gltf_output.os, "writev", short)
    gltf.write(scene, tmp_path / "short.glb", timeline=tl)
    whole = (tmp_path / "whole.glb").read_bytes()
    assert len(calls) >= len(whole) // 1000
    assert (tmp_path / "short.glb").read_bytes() == whole


def test_without_writev_the_same_bytes_are_written(tmp_path, monkeypatch, demo):
    """Where os.writev is missing (Windows) the parts are written one by one: the same file."""
    from exporters import _gltf_output

    scene, tl = demo
    gltf.write(scene, tmp_path / "whole.glb", timeline=tl)
    monkeypatch.delattr(_gltf_output.os, "writev")
    gltf.write(scene, tmp_path / "plain.glb", timeline=tl)
    assert (tmp_path / "plain.glb").read_bytes() == (tmp_path / "whole.glb").read_bytes()


def test_a_full_disk_is_reported_before_anything_is_written(tmp_path, monkeypatch, demo):
    """fallocate saying ENOSPC: an OSError naming the file, and no file or temporary left behind."""
    import errno

    from exporters import _gltf_output

    scene, tl = demo
    monkeypatch.setattr(_gltf_output, "_fallocate", lambda fd, mode, offset, n: -1)
    monkeypatch.setattr(_gltf_output.ctypes, "get_errno", lambda: errno.ENOSPC)
    with pytest.raises(OSError, match="not enough free space") as err:
        gltf.write(scene, tmp_path / "s.glb", timeline=tl)
    assert err.value.errno == errno.ENOSPC and err.value.filename.endswith("s.glb")
    assert list(tmp_path.iterdir()) == []


def test_a_gltf_names_only_its_own_bin_and_a_rewrite_removes_the_old_one(tmp_path):
    """The .bin is named by its content: two writers of one .gltf can never pair one's .gltf with the
    other's .bin, the same scene gives the same name, and replacing the .gltf removes its old .bin."""
    a = Scene(duration=0.0)
    a.add_entity(Entity("cloud", cls="cloud", gaussians=scenes.splats(50, seed=1)))
    b = Scene(duration=0.0)
    b.add_entity(Entity("cloud", cls="cloud", gaussians=scenes.splats(50, seed=2)))
    path = tmp_path / "s.gltf"
    gltf.write(a, path, timeline=scenes.hand_timeline(a))
    uri_a = json.loads(path.read_text())["buffers"][0]["uri"]
    gltf.write(b, path, timeline=scenes.hand_timeline(b))
    uri_b = json.loads(path.read_text())["buffers"][0]["uri"]
    assert uri_a != uri_b and sorted(p.name for p in tmp_path.iterdir()) == sorted([uri_b, "s.gltf"])
    assert gltf.read(path).entity("cloud").gaussians == b.entity("cloud").gaussians
    gltf.write(a, tmp_path / "t.gltf", timeline=scenes.hand_timeline(a))
    assert json.loads((tmp_path / "t.gltf").read_text())["buffers"][0]["uri"] == uri_a.replace("s.", "t.", 1)


def test_alike_cars_share_their_wheels_bytes_and_each_wheel_reads_back_whole(tmp_path):
    """Two cars of one size: every wheel primitive points at the same accessors (the geometry is in the file once),
    yet each wheel is its own mesh with its own node, whose positions read back as the wheel's."""
    from scenegraph.appearance.vehicle import vehicle_parts
    from scenegraph.model.catalog import CATALOG, bounds_of

    s = Scene(fps=12, duration=1.0)
    s.add_material(Material("paint", base_color=(0.7, 0.1, 0.1)))
    for k, x in enumerate((-3.0, 3.0)):
        s.add_entity(Entity(f"car_{k + 1}", cls="car", bounds=bounds_of(CATALOG["car"].size),
                            transform=Transform((x, 0.0, 0.0))), material="paint")
    gltf.write(s, tmp_path / "two.glb")
    c = open_container(tmp_path / "two.glb")
    doc = c.doc
    wheels = [n for n in doc["nodes"] if n.get("extras", {}).get("scenegraph", {}).get("part") == "wheel"]
    assert len(wheels) == 8
    meshes = [doc["meshes"][n["mesh"]] for n in wheels]
    assert len({n["mesh"] for n in wheels}) == 8  # a mesh (and an object in Blender) per wheel
    by_car = {}
    for n, m in zip(wheels, meshes):
        by_car.setdefault(n["extras"]["scenegraph"]["of"], []).append(json.dumps(m["primitives"][0]["attributes"], sort_keys=True))
    assert by_car["car_1"] == by_car["car_2"]  # wheel k of one car points at wheel k of the other's accessors
    assert len(set(by_car["car_1"])) == 4
    tyre = vehicle_parts(s.entity("car_1")).wheel_meshes[0][0][1]
    pos = np.asarray(c.accessor(meshes[5]["primitives"][0]["attributes"]["POSITION"], "p"), np.float32)
    assert np.array_equal(pos, np.asarray(tyre.positions, np.float32))
    used = {a for m in doc["meshes"] for p in m["primitives"] for a in list(p["attributes"].values()) + [p.get("indices")]}
    assert len(doc["accessors"]) < 60 and used <= set(range(len(doc["accessors"])))
    if shutil.which("node"):
        proc = subprocess.run(["node", str(VALIDATOR), str(tmp_path / "two.glb")], capture_output=True, text=True, timeout=120)
        issues = json.loads(proc.stdout)["issues"]
        assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]
