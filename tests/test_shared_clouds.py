"""Alike entities share one Gaussian cloud, and every writer stores it once: scene.json (``same_as``), glTF
(shared accessors) and USD (the crate's deduplicated arrays).  What a user checks: the files are small, yet each
entity reads back with its whole cloud, where it stands, in its own colour."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from exporters import gltf
from exporters._gltf_container import open_container
from scenegraph import Entity, FormatError, Material, Scene, Transform
from scenegraph.appearance.assign import assign_gaussians
from scenegraph.model.catalog import CATALOG, bounds_of
from scenegraph.model.gaussians import sh_to_rgb
from scenegraph.model.serialize import load_json, save_json
from tests.test_gltf_export import VALIDATOR

ARRAYS = ("means", "quats", "scales", "opacities", "sh")


def _lot(n: int, colours: tuple = ("silver",)) -> Scene:
    """``n`` parked cars of one size in a row, painted in turn from ``colours``, and a crate."""
    rgb = {"silver": (0.6, 0.6, 0.62), "red": (0.8, 0.05, 0.05)}
    s = Scene(fps=12, duration=1.0, seed=5)
    for c in set(colours):
        s.add_material(Material(c, base_color=rgb[c]))
    for k in range(n):
        s.add_entity(Entity(f"car_{k + 1}", cls="car", bounds=bounds_of(CATALOG["car"].size),
                            transform=Transform((3.0 * k, 0.0, 0.0))), material=colours[k % len(colours)])
    s.add_entity(Entity("crate_1", cls="box", bounds=((-0.3, 0.0, -0.3), (0.3, 0.5, 0.3)), transform=Transform((0, 0, 6.0))),
                 material=colours[0])
    assign_gaussians(s, per_entity=600)
    return s


def test_alike_entities_get_one_cloud_and_a_new_colour_keeps_the_shape():
    s = _lot(3, ("silver", "red"))
    c1, c2, c3 = (s.entity(f"car_{k}").gaussians for k in (1, 2, 3))
    assert c1 is c3  # same model, size and paint: the very same (read-only) cloud
    assert not c1.means.flags.writeable
    for name in ("means", "quats", "scales", "opacities"):
        assert getattr(c1, name) is getattr(c2, name)  # another paint: the same discs ...
    assert not np.array_equal(c1.sh, c2.sh)  # ... in another colour
    red = sh_to_rgb(c2.sh[:, 0]).max(axis=0)
    assert red[0] > 0.5 and red[1] < 0.2
    assert s.entity("crate_1").gaussians.means.shape == (600, 3)
    assert not np.array_equal(s.entity("crate_1").gaussians.means[:10], c1.means[:10])


def test_adding_an_entity_never_changes_another_cloud():
    a = _lot(2)
    b = _lot(5)
    for eid in ("car_1", "car_2", "crate_1"):
        for name in ARRAYS:
            assert np.array_equal(getattr(a.entity(eid).gaussians, name), getattr(b.entity(eid).gaussians, name))


def test_scene_json_stores_a_shared_cloud_once_and_reads_back_shared(tmp_path):
    s = _lot(20)
    save_json(s, tmp_path / "lot.json")
    rows = json.loads((tmp_path / "lot.json").read_text())["entities"]
    by_id = {r["id"]: r for r in rows}
    assert isinstance(by_id["car_1"]["gaussians"]["means"], str)  # the first writes the bytes
    for k in range(2, 21):
        assert by_id[f"car_{k}"]["gaussians"]["means"] == {"same_as": "car_1"}
    # 20 clouds of 600 splats inline would be over 20 x 600 x 56 x 4/3 bytes of base64
    assert (tmp_path / "lot.json").stat().st_size < 2 * 600 * 56 * 4 / 3 + 30_000
    back = load_json(tmp_path / "lot.json")
    assert back == s
    g1, g9 = back.entity("car_1").gaussians, back.entity("car_9").gaussians
    assert g1 == s.entity("car_9").gaussians and g9.means is g1.means


def test_scene_json_of_format_1_with_inline_clouds_still_loads(tmp_path):
    s = _lot(2)
    save_json(s, tmp_path / "lot.json")
    data = json.loads((tmp_path / "lot.json").read_text())
    first = data["entities"][0]["gaussians"]
    for row in data["entities"][1:]:
        g = row.get("gaussians") or {}
        for name, value in list(g.items()):
            if isinstance(value, dict):
                g[name] = first[name]
    data["version"] = 1
    (tmp_path / "v1.json").write_text(json.dumps(data))
    assert load_json(tmp_path / "v1.json") == s


@pytest.mark.parametrize("ref,message", [("car_9", "same_as 'car_9' is not an entity with Gaussians written before"),
                                         ("crate_1", "same_as 'crate_1' is not an entity with Gaussians written before"),
                                         (7, "same_as 7 is not an entity")])
def test_a_bad_same_as_names_the_entity_and_array(tmp_path, ref, message):
    s = _lot(2)
    save_json(s, tmp_path / "lot.json")
    data = json.loads((tmp_path / "lot.json").read_text())
    data["entities"][1]["gaussians"]["quats"] = {"same_as": ref}
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(FormatError, match=rf"entities\[1\] \('car_2'\)\.gaussians\.quats: {message}"):
        load_json(tmp_path / "bad.json")


def test_a_same_as_of_another_size_is_refused(tmp_path):
    s = _lot(1)
    s.add_entity(Entity("van_1", cls="van", bounds=bounds_of(CATALOG["car"].size)), material="silver")
    assign_gaussians(s, per_entity=300)
    save_json(s, tmp_path / "lot.json")
    data = json.loads((tmp_path / "lot.json").read_text())
    van = next(r for r in data["entities"] if r["id"] == "van_1")
    van["gaussians"]["means"] = {"same_as": "car_1"}
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(FormatError, match=r"'van_1'\)\.gaussians\.means: same_as 'car_1' has shape \(600, 3\), expected \(300, 3\)"):
        load_json(tmp_path / "bad.json")


def test_glb_points_alike_clouds_at_one_set_of_accessors_and_reads_back_each(tmp_path):
    s = _lot(6, ("silver", "red"))
    gltf.write(s, tmp_path / "lot.glb")
    doc = open_container(tmp_path / "lot.glb").doc
    splat_nodes = [n for n in doc["nodes"] if n.get("extras", {}).get("scenegraph", {}).get("part") == "splats"]
    assert len(splat_nodes) == 7
    attrs = {n["extras"]["scenegraph"]["of"]: doc["meshes"][n["mesh"]]["primitives"][0]["attributes"] for n in splat_nodes}
    assert attrs["car_1"] == attrs["car_3"] == attrs["car_5"]  # silver: every accessor shared
    assert attrs["car_1"]["POSITION"] == attrs["car_2"]["POSITION"]  # red: the same discs ...
    colour = "KHR_gaussian_splatting:SH_DEGREE_0_COEF_0"
    assert attrs["car_1"][colour] != attrs["car_2"][colour]  # ... with colours of their own
    assert attrs["crate_1"]["POSITION"] != attrs["car_1"]["POSITION"]
    back = gltf.read(tmp_path / "lot.glb")
    assert back == s
    for k in range(1, 7):
        assert back.entity(f"car_{k}").gaussians == s.entity(f"car_{k}").gaussians
    alone = _lot(1)
    gltf.write(alone, tmp_path / "one.glb")
    # five more cars add their nodes and meshes, not five more clouds (each 600 x 56 bytes)
    assert (tmp_path / "lot.glb").stat().st_size - (tmp_path / "one.glb").stat().st_size < 600 * 56 + 12 * 600 + 8_000
    if shutil.which("node") and (VALIDATOR.parent / "node_modules").is_dir():
        proc = subprocess.run(["node", str(VALIDATOR), str(tmp_path / "lot.glb")], capture_output=True, text=True, timeout=120)
        msgs = json.loads(proc.stdout)["issues"]["messages"]
        assert all(m["code"] in ("MESH_PRIMITIVE_INVALID_ATTRIBUTE", "UNSUPPORTED_EXTENSION") for m in msgs
                   if m["severity"] <= 1), msgs


def test_usdc_of_alike_clouds_is_small_and_reads_back_each(tmp_path):
    pytest.importorskip("pxr")
    from exporters import usd

    s = _lot(12)
    usd.write(s, tmp_path / "lot.usdc")
    alone = _lot(1)
    usd.write(alone, tmp_path / "one.usdc")
    # eleven more cars cost their prims, not eleven more clouds (11 x 600 x 56 bytes)
    assert (tmp_path / "lot.usdc").stat().st_size - (tmp_path / "one.usdc").stat().st_size < 2 * 600 * 56
    back = usd.read(tmp_path / "lot.usdc")
    for k in (1, 7, 12):
        g = back.entity(f"car_{k}").gaussians
        assert g == s.entity(f"car_{k}").gaussians
        assert np.allclose(back.entity(f"car_{k}").transform.translation, (3.0 * (k - 1), 0.0, 0.0))


@pytest.mark.parametrize("case", ["built", "clash"])
def test_usd_copies_of_alike_subtrees_are_what_authoring_each_would_write(tmp_path, monkeypatch, case):
    """Alike entities' subtrees are copied from the first (Sdf.CopySpec) under their own names: the stage must read
    exactly as if each had been authored, with a car that drives away, another paint, benches, a car with a child
    entity, and an entity whose name a car's wheel would have taken."""
    pytest.importorskip("pxr")
    from pxr import Sdf

    import exporters.usd_write as usd_write
    from exporters import usd
    from scenegraph.pipeline import build

    if case == "built":
        scene = build("a parking lot with 12 silver cars, 6 cars, a red car and 3 benches, then a blue car drives away",
                      seed=2)  # the 6 cars are painted in a mix: alike by paint
        scene.add_entity(Entity("crate_on_car", cls="box", bounds=((-0.2, 0, -0.2), (0.2, 0.4, 0.2)),
                                transform=Transform((0, 1.5, 0))))
        scene.set_parent("crate_on_car", "car_4")  # car_4 has a child entity: its subtree is its own
        assign_gaussians(scene)
        own = ("/World/car_4/",)
    else:
        scene = Scene(fps=12, duration=1.0, seed=5)
        scene.add_material(Material("silver", base_color=(0.6, 0.6, 0.62)))
        scene.add_entity(Entity("car_3_wheel_1", cls="box", bounds=((-0.2, 0, -0.2), (0.2, 0.4, 0.2))))  # first
        for k in range(1, 6):
            scene.add_entity(Entity(f"car_{k}", cls="car", bounds=bounds_of(CATALOG["car"].size),
                                    transform=Transform((3.0 * k, 0.0, 0.0))), material="silver")
        assign_gaussians(scene, per_entity=300)
        own = ()
    copies = []
    real = Sdf.CopySpec
    monkeypatch.setattr(Sdf, "CopySpec", lambda *a: copies.append(str(a[3])) or real(*a))
    (tmp_path / "copied").mkdir()
    (tmp_path / "authored").mkdir()
    usd.write(scene, tmp_path / "copied" / "s.usda")
    copied = {p.rsplit("/", 1)[0] for p in copies if "xformOp" not in p}
    assert len(copied) >= (14 if case == "built" else 4)  # most parked cars (and benches) were copied
    assert not any(p.startswith(own) for p in copied) if own else True
    if case == "clash":
        assert "/World/car_3/car_3_wheel_1_2" in copies  # renamed as the authoring would have named it
    monkeypatch.setattr(usd_write, "_alike_key", lambda *a: None)
    usd.write(scene, tmp_path / "authored" / "s.usda")
    assert (tmp_path / "copied" / "s.usda").read_text() == (tmp_path / "authored" / "s.usda").read_text()
    back = usd.read(tmp_path / "copied" / "s.usda")
    assert list(back.entities()) == list(scene.entities())  # (the sky's data: URI texture stays behind in USD)
