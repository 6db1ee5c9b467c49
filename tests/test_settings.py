"""Settings as kits, sky and light, and objects made of parts: what a user checks in the built scene."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

import scenegraph
from scenegraph.appearance.finishes import FINISHES
from scenegraph.appearance.generators import ARCHETYPES, OWN_ARCHETYPES, Blueprint
from scenegraph.appearance.proxy import canonical_shape, proxy_mesh, proxy_parts
from scenegraph.model.catalog import CATALOG, bounds_of
from scenegraph.world.setting import furnish, kit_for, surface_top
from scenegraph.world.sky import sky_for

README = ("A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, "
          "then continues while a red car turns into the scene")


@pytest.fixture(scope="module")
def street():
    return scenegraph.build(README, seed=0)


def _top(scene, eid):
    e = scene.entity(eid)
    return float(e.transform.translation[1] + np.asarray(e.bounds)[1][1])


def test_street_has_kerbs_and_sidewalks_at_15_cm_a_crossing_facades_and_lights(street):
    for side in ("left", "right"):
        assert _top(street, f"kerb_{side}") == pytest.approx(0.15, abs=1e-6)
        assert _top(street, f"sidewalk_{side}") == pytest.approx(0.15, abs=1e-6)
        assert street.entity(f"kerb_{side}").attributes["kit"] == "street"
    assert "crossing_1" in street and _top(street, "crossing_1") > _top(street, "road_1")
    buildings = [e for e in street.entities("object") if e.cls == "building"]
    lamps = [e for e in street.entities("object") if e.cls == "lamp_post"]
    assert len(buildings) >= 4 and len(lamps) >= 2
    assert all(e.attributes.get("kit") == "street" and e.attributes.get("static") for e in buildings + lamps)
    # the road carries white lane markings as a part of its own
    finishes = [f.name for _, f in proxy_parts(street.entity("road_1").proxy, street.entity("road_1").bounds) if f is not None]
    assert "marking" in finishes
    # a walker standing on the sidewalk stands 15 cm up, on the road at the road's top
    x, z = street.entity("sidewalk_left").transform.translation[[0, 2]]
    assert surface_top(street, float(x), float(z)) == pytest.approx(0.15)
    env = street.metadata["environment"]
    assert env["kit"] == "street" and env["sky"]["zenith"] and "sky" in street


def test_buildings_keep_off_the_view_of_the_action(street):
    cam = np.asarray(street.entity("camera_1").transform.translation)
    for e in street.entities("object"):
        if e.cls != "building":
            continue
        t = np.asarray(e.transform.translation)
        assert np.linalg.norm((t - cam)[[0, 2]]) > 3.0


def test_a_car_turning_in_gets_a_side_street_and_no_facade_in_its_way(street):
    car = street.trajectory_of("car_1")
    assert car is not None and "road_2" in street
    for e in street.entities("object"):
        if e.cls in ("building", "lamp_post"):
            lo, hi = np.asarray(e.bounds) + np.asarray(e.transform.translation)
            for p in np.asarray(car.positions):
                assert not (lo[0] - 0.2 < p[0] < hi[0] + 0.2 and lo[2] - 0.2 < p[2] < hi[2] + 0.2), e.id


def test_kitchen_at_night_is_a_lit_room_round_the_table():
    scene = scenegraph.build("a kitchen with a table and two chairs at night", seed=0)
    walls = [e for e in scene.entities("object") if e.cls == "wall"]
    assert len(walls) >= 3 and "ceiling_1" in scene and "counter_1" in scene
    assert all(e.attributes["kit"] == "kitchen" for e in walls)
    lights = [e for e in scene.entities("light") if e.attributes.get("lamp")]
    assert lights, "the room's lamps are lit"
    table = np.asarray(scene.entity("table_1").transform.translation)
    xs = [float(e.transform.translation[0]) for e in walls if e.attributes.get("side") in ("west", "east")]
    zs = [float(e.transform.translation[2]) for e in walls if e.attributes.get("side") in ("north", "south")]
    assert min(xs) < table[0] < max(xs) and min(zs) < table[2] < max(zs)
    assert scene.metadata["environment"]["time_of_day"] == "night"


@pytest.mark.parametrize("word,kit,piece", [("park", "park", "path_1"), ("beach", "beach", "sea_1"), ("lake", "lake", "lake_1"),
                                             ("forest", "forest", "tree_1"), ("desert", "desert", "dune_1"),
                                             ("parking lot", "parking_lot", "parking_lines_1"), ("field", "field", "fence_1")])
def test_outdoor_settings_bring_their_kits(word, kit, piece):
    assert kit_for(word) == kit
    scene = _build_in("a dog runs", word, seed=1)
    assert scene.metadata["environment"]["kit"] == kit
    assert piece in scene and scene.entity(piece).attributes["kit"] == kit


def _build_in(prompt: str, setting: str, seed: int = 0):
    """Build ``prompt`` with the setting word put straight into its spec (any word, as a director may write)."""
    import warnings

    from scenegraph.director.rules import parse
    from scenegraph.world.builder import build_scene

    spec, _ = parse(prompt)
    spec = spec.model_copy(update={"environment": spec.environment.model_copy(update={"setting": setting})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic notes the word is outside today's list when it dumps the spec
        return build_scene(spec, seed=seed, prompt=prompt)


def test_an_unknown_setting_gets_a_plain_ground_and_a_warning_naming_it():
    scene = _build_in("a dog runs", "moon base")
    kit_ids = {e.id for e in scene.entities() if e.attributes.get("kit") not in (None, "ground", "sky")}
    assert not kit_ids and any("'moon base'" in w for w in scene.metadata["warnings"])
    warnings: list[str] = []
    before = {e.id for e in scene.entities()}
    scene.remove("sky")
    from scenegraph.world.stage import Stage

    stage = Stage(center=np.zeros(3), half=np.array([3.0, 3.0]))
    added = furnish(scene, stage, SimpleNamespace(setting="moon base", time_of_day=None, sky=None), None, seed=0,
                    warnings=warnings, occupied=[])
    assert added == ["sky"] and any("moon base" in w for w in warnings)
    assert {e.id for e in scene.entities()} == before


def test_time_of_day_sets_sun_sky_and_street_lights():
    day = scenegraph.build("a car drives down the street at noon", seed=0)
    night = scenegraph.build("a car drives down the street at night", seed=0)
    assert night.entity("sun_1").light.intensity < 0.1 * day.entity("sun_1").light.intensity
    assert not [e for e in day.entities("light") if e.attributes.get("lamp")]
    street_lights = [e for e in night.entities("light") if e.attributes.get("lamp")]
    assert street_lights and all(e.light.type == "spot" for e in street_lights)
    sun_dir = lambda s: np.asarray(scenegraph.model.rotations.quat_to_matrix(s.entity("sun_1").transform.rotation))[:, 2]  # noqa: E731
    assert sun_dir(day)[1] > 0.5  # +Z of a light looking down -Z: the noon sun is high
    assert sum(night.metadata["environment"]["sky"]["zenith"]) < sum(day.metadata["environment"]["sky"]["zenith"])
    assert sky_for("sunset").sun_elevation < sky_for("noon").sun_elevation


@pytest.mark.slow
def test_rendered_sky_is_not_black_and_night_is_darker_than_day():
    from scenegraph.render.frames import render

    means = {}
    for tod in ("noon", "night"):
        scene = scenegraph.build(f"a dog runs in the park at {tod}", seed=2, duration=1.0)
        frame = render(scene, frames=[0], width=96)[0]
        top = frame.rgb[:3]
        assert (frame.instance[:3] == -1).mean() > 0.5  # sky up there
        assert top.max() > 0.003, tod
        means[tod] = float(frame.rgb.mean())
    assert means["night"] < 0.5 * means["noon"]


def test_every_catalogue_class_is_built_of_parts_not_a_box():
    for name, info in CATALOG.items():
        shape = canonical_shape(name)
        assert shape != "box" or name in ("box", "cube"), name
        mesh = proxy_mesh(name, bounds_of(info.size))
        assert len(mesh.indices) > 12 or name in ("box", "cube", "rug"), name


@pytest.mark.parametrize("arch", OWN_ARCHETYPES)
def test_each_archetype_generator_makes_several_parts_and_varies_with_the_seed(arch):
    words = {"furniture": ["wardrobe", "desk", "stool", "bookcase", "thing"], "container": ["barrel", "crate", "bucket", "jar"],
             "plant": ["cactus", "fern", "hedge"], "tree": ["oak", "palm", "spruce"], "rock": ["boulder"],
             "building": ["cottage", "office block", "church"], "street_furniture": ["bollard", "parking meter", "bench"],
             "ball": ["football", "tennis ball"], "prop": ["hammer", "guitar", "widget"], "robot": ["robot"]}[arch]
    for w in words:
        a = ARCHETYPES[arch](Blueprint(w, arch, (0.8, 1.0, 0.6), 1))
        b = ARCHETYPES[arch](Blueprint(w, arch, (0.8, 1.0, 0.6), 2))
        assert len(a) >= 2, (arch, w)
        assert all(np.all(np.isfinite(m.positions)) for m, _ in a + b)
    # a class the catalogue does not know, built straight by its archetype, is no box either
    mesh = proxy_mesh(f"{arch}/{words[0]}#3", [[-0.4, 0.0, -0.3], [0.4, 1.0, 0.3]])
    assert len(mesh.indices) > 12
    np.testing.assert_allclose(mesh.bounds, [[-0.4, 0.0, -0.3], [0.4, 1.0, 0.3]], atol=1e-5)


def test_props_have_pbr_materials_per_part():
    lamp = {f.name for _, f in proxy_parts("street light#1", bounds_of((0.3, 6.0, 0.3))) if f is not None}
    assert "lamp" in lamp and FINISHES["lamp"].emissive[0] > 1.0
    tree = [f.name for _, f in proxy_parts("oak#2", bounds_of((4.0, 7.0, 4.0))) if f is not None]
    assert "bark" in tree
    facade = {f.name for _, f in proxy_parts("facade#3", bounds_of((12.0, 16.0, 10.0))) if f is not None}
    assert {"window", "window_lit"} <= facade  # an odd variant is a facade at night: some windows lit


@pytest.mark.slow
def test_gltf_and_usd_carry_part_materials_the_sky_and_lights(street, tmp_path):
    from pxr import Usd

    from exporters import export

    night = scenegraph.build("a car drives down the street at night", seed=0, duration=1.0)
    export(night, tmp_path / "s.glb")
    export(night, tmp_path / "s.usda")
    data = (tmp_path / "s.glb").read_bytes()
    n = int.from_bytes(data[12:16], "little")
    doc = json.loads(data[20:20 + n])
    names = {m["name"] for m in doc["materials"]}
    assert {"marking", "lamp", "window", "window lit"} <= names
    road = next(nd for nd in doc["nodes"] if nd["extras"]["scenegraph"]["id"] == "road_1")
    assert len(doc["meshes"][road["mesh"]]["primitives"]) >= 2
    sky = next(m for m in doc["materials"] if m["name"] == "sky")
    assert "emissiveTexture" in sky and "baseColorTexture" in sky["pbrMetallicRoughness"]
    lights = doc["extensions"]["KHR_lights_punctual"]["lights"]
    assert sum(1 for lt in lights if lt["type"] == "spot") >= 2
    stage = Usd.Stage.Open(str(tmp_path / "s.usda"))
    types = [str(p.GetTypeName()) for p in stage.Traverse()]
    assert "DomeLight" in types and "GeomSubset" in types and types.count("SphereLight") >= 2
    back = scenegraph.pipeline.load(str(tmp_path / "s.usda"))
    assert {m.id for m in back.materials()} == {m.id for m in night.materials()}
    back = scenegraph.pipeline.load(str(tmp_path / "s.glb"))
    assert {m.id for m in back.materials()} == {m.id for m in night.materials()}
    np.testing.assert_allclose(back.entity("road_1").bounds, night.entity("road_1").bounds, atol=1e-5)


def test_a_prompt_naming_a_piece_the_room_kit_also_brings_keeps_its_own_id():
    """"a book is on the shelf" in a classroom: the prompt's shelf is shelf_1 with the book on its top;
    the room kit brings no shelf of its own (the prompt's is the one), and still its walls."""
    import scenegraph
    from scenegraph.world import simulate

    scene = scenegraph.build("In the classroom, a book is on the shelf.", seed=0)
    assert "kit" not in scene.entity("shelf_1").attributes
    assert [e.id for e in scene.entities() if e.cls == "shelf"] == ["shelf_1"]
    assert any(e.cls == "wall" and e.attributes.get("kit") for e in scene.entities())
    tl = simulate(scene)
    top = scene.entity("shelf_1").bounds[1][1] * tl.scale[0, tl.index("shelf_1"), 1] + tl.world_position("shelf_1")[0, 1]
    assert abs(tl.world_position("book_1")[0, 1] - top) < 0.02


@pytest.mark.parametrize("prompt", ["Twelve buses are in the park.", "A helicopter flies over the lake while a boat stays still."])
def test_a_wide_action_still_gets_its_kit_scattered_around_it(prompt):
    """The action can be wider than the ring a kit scatters trees and bushes in; the ring moves out."""
    import scenegraph

    scene = scenegraph.build(prompt, seed=0)
    assert any(e.attributes.get("kit") for e in scene.entities())


@pytest.mark.parametrize("prompt, word, n", [("Six trees are in the park.", "tree", 6),
                                             ("Two benches stand in the park.", "bench", 2),
                                             ("In the kitchen, a cat sits on the counter.", "counter", 1)])
def test_the_kit_adds_no_furnishing_of_a_kind_the_prompt_names(prompt, word, n):
    """A user who asks for six trees in a park counts six: the park's own trees (or benches, a kitchen's
    counter) are left out when the prompt names that kind; the rest of the kit is still there."""
    import scenegraph

    scene = scenegraph.build(prompt, seed=0)
    assert len([e for e in scene.entities() if e.id.rsplit("_", 1)[0] == word or e.cls == word]) == n
    assert any(e.attributes.get("kit") and e.cls != "ground" for e in scene.entities())


@pytest.mark.parametrize("prompt, time", [
    ("A girl reads a book in the bedroom in the morning", "morning"),
    ("A boy plays in the park in the late afternoon", "afternoon"),
    ("A dog sleeps on the sofa in the evening", "evening"),
])
def test_a_time_of_day_with_its_article_sets_the_light_and_builds_nothing(prompt, time):
    from scenegraph.director import direct

    spec, warnings = direct(prompt)
    assert spec.environment.time_of_day == time
    ids = [e.id for e in scenegraph.build(prompt, seed=0).entities("object")]
    assert not any(i.startswith(time) for i in ids), ids
    assert not any(time in w for w in warnings)


@pytest.mark.parametrize("prompt, road", [
    ("A cat walks across the kitchen", False),
    ("A man walks across the park", False),
    ("A woman walks across the street", True),
    ("A man crosses from left to right", True),
])
def test_across_a_room_or_a_park_lays_no_road(prompt, road):
    ids = [e.id for e in scenegraph.build(prompt, seed=0).entities("object")]
    assert ("road_1" in ids) is road, ids
