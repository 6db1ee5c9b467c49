"""The SceneSpec's extended fields, built: formations, under/above/between, repeats, returns,
relative actions (overtake, meet, weave, ride), a relation kept during a motion, entity words."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.model.spec import VERBS, SceneSpec
from scenegraph.world.builder import build_scene
from scenegraph.world.simulate import simulate


def world(data: dict):
    scene = build_scene(SceneSpec.model_validate(data), seed=0)
    return scene, simulate(scene)


def pos(tl, eid):
    return tl.world_position(eid)


def test_every_verb_builds_and_the_word_names_the_entity():
    for verb in VERBS:
        data = {"entities": [{"id": "k", "class": "cat", "word": "kitten"}, {"id": "t", "class": "table"}],
                "actions": [{"actor": "k", "verb": verb, "target": "t"}]}
        scene, tl = world(data)
        assert "kitten_1" in scene and scene.entity("kitten_1").cls == "cat", verb
        assert np.isfinite(pos(tl, "kitten_1")).all(), verb


def test_formation_row_and_circle_place_the_members():
    scene, tl = world({"entities": [{"id": "c", "class": "cone", "count": 6, "formation": "row"}]})
    p = np.array([scene.entity(f"cone_{i}").transform.translation for i in range(1, 7)])
    assert np.all(np.diff(p[:, 0]) > 0.35) and np.ptp(p[:, 2]) < 1e-6  # left to right, one depth
    scene, tl = world({"entities": [{"id": "c", "class": "chair", "count": 5, "formation": "circle"}]})
    p = np.array([scene.entity(f"chair_{i}").transform.translation for i in range(1, 6)])
    r = np.linalg.norm((p - p.mean(axis=0))[:, [0, 2]], axis=1)
    assert np.ptp(r) < 1e-6 and r[0] > 0.5
    scene, tl = world({"entities": [{"id": "c", "class": "person", "count": 4, "formation": "line"}]})
    p = np.array([scene.entity(f"person_{i}").transform.translation for i in range(1, 5)])
    assert np.all(np.diff(p[:, 2]) < -0.2) and np.ptp(p[:, 0]) < 1e-6  # one behind the other


def test_under_above_between_far_from():
    scene, tl = world({"entities": [{"id": "cat", "class": "cat"}, {"id": "table", "class": "table"},
                                    {"id": "drone", "class": "drone"}, {"id": "chair", "class": "chair", "count": 2},
                                    {"id": "box", "class": "box"}, {"id": "tree", "class": "tree"}],
                       "relations": [{"subject": "cat", "relation": "under", "object": "table"},
                                     {"subject": "drone", "relation": "above", "object": "table"},
                                     {"subject": "box", "relation": "between", "object": "chair"},
                                     {"subject": "tree", "relation": "far_from", "object": "table"}]})
    t = lambda e: scene.entity(e).transform.translation  # noqa: E731
    table = scene.entity("table_1").world_bounds() if hasattr(scene.entity("table_1"), "world_bounds") else None
    del table
    assert t("cat_1")[1] == pytest.approx(0.0) and abs(t("cat_1")[0] - t("table_1")[0]) < 0.8
    assert t("drone_1")[1] > 0.75 + 0.3
    xs = sorted([t("chair_1")[0], t("chair_2")[0]])
    assert xs[0] < t("box_1")[0] < xs[1]
    assert np.linalg.norm((t("tree_1") - t("table_1"))[[0, 2]]) > 8.0


def test_repeat_hops_and_orbit_twice():
    scene, tl = world({"entities": [{"id": "k", "class": "cat"}], "actions": [{"actor": "k", "verb": "jump", "repeat": 3}]})
    y = pos(tl, "cat_1")[:, 1]
    ups = np.flatnonzero((y[1:] > 0.05) & (y[:-1] <= 0.05))
    assert len(ups) == 3
    scene, tl = world({"entities": [{"id": "h", "class": "horse"}, {"id": "t", "class": "tree"}],
                       "actions": [{"actor": "h", "verb": "run", "direction": "around", "target": "t", "repeat": 2}]})
    rel = pos(tl, "horse_1") - pos(tl, "tree_1")
    ang = np.unwrap(np.arctan2(rel[:, 0], rel[:, 2]))
    assert abs(ang[-1] - ang[0]) == pytest.approx(4 * np.pi, abs=0.3)


def test_returns_and_back_and_forth_come_back():
    for extra in ({"returns": True}, {"back_and_forth": True, "repeat": 2}):
        scene, tl = world({"entities": [{"id": "d", "class": "dog"}, {"id": "t", "class": "tree"}],
                           "actions": [{"actor": "d", "verb": "run", "to": "right", **extra}]})
        p = pos(tl, "dog_1")
        far = np.linalg.norm((p - p[0])[:, [0, 2]], axis=1)
        assert far.max() > 1.0 and far[-1] < 0.05, extra
        if extra.get("repeat") == 2:  # two round trips: two separate maxima
            peaks = np.flatnonzero((far[1:-1] > far[:-2]) & (far[1:-1] >= far[2:]) & (far[1:-1] > 0.8 * far.max()))
            assert len(peaks) >= 2


def test_overtake_ends_ahead_of_the_overtaken():
    scene, tl = world({"entities": [{"id": "car", "class": "car"}, {"id": "bike", "class": "bicycle"}],
                       "actions": [{"id": "a", "actor": "bike", "verb": "drive", "direction": "left_to_right"},
                                   {"actor": "car", "verb": "overtake", "target": "bike", "while": "a"}]})
    car, bike = pos(tl, "car_1"), pos(tl, "bicycle_1")
    moving = np.flatnonzero(np.linalg.norm(np.diff(bike, axis=0), axis=1) > 1e-6)
    f0, f1 = moving[0], moving[-1]
    assert car[f0, 0] < bike[f0, 0] and car[f1, 0] > bike[f1, 0]


def test_meet_brings_both_together_and_approach_ends_near():
    scene, tl = world({"entities": [{"id": "a", "class": "man"}, {"id": "b", "class": "woman"}],
                       "relations": [{"subject": "a", "relation": "left_of", "object": "b"}],
                       "actions": [{"actor": "a", "verb": "meet", "target": "b"},
                                   {"actor": "b", "verb": "meet", "target": "a"}]})
    a, b = pos(tl, "man_1"), pos(tl, "woman_1")
    d = np.linalg.norm((a - b)[:, [0, 2]], axis=1)
    assert d[-1] < 1.2 and d[0] > d[-1] + 0.5
    assert np.linalg.norm(a[-1] - a[0]) > 0.2 and np.linalg.norm(b[-1] - b[0]) > 0.2  # both walked


def test_weave_passes_the_cones_on_alternate_sides():
    scene, tl = world({"entities": [{"id": "c", "class": "cone", "count": 5, "formation": "row"},
                                    {"id": "m", "class": "motorbike"}],
                       "actions": [{"actor": "m", "verb": "weave", "target": "c", "direction": "left_to_right"}]})
    m = pos(tl, "motorbike_1")
    cones = [scene.entity(f"cone_{i}").transform.translation for i in range(1, 6)]
    assert m[0, 0] < cones[0][0] and m[-1, 0] > cones[-1][0]
    sides = []
    for c in cones:  # which side of the cone the bike is when it passes it
        f = int(np.argmin(np.abs(m[:, 0] - c[0])))
        sides.append(np.sign(m[f, 2] - c[2]))
    assert all(s != 0 for s in sides) and all(a != b for a, b in zip(sides, sides[1:]))


def test_ride_moves_rider_and_ridden_together():
    scene, tl = world({"entities": [{"id": "man", "class": "man"}, {"id": "bike", "class": "bicycle"}],
                       "actions": [{"actor": "man", "verb": "ride", "target": "bike", "direction": "left_to_right"}]})
    man, bike = pos(tl, "man_1"), pos(tl, "bicycle_1")
    assert man[-1, 0] - man[0, 0] > 3.0
    assert np.allclose(man[:, [0, 2]], bike[:, [0, 2]], atol=1e-3)
    assert np.all(man[:, 1] > bike[:, 1] + 0.3)


def test_relation_during_a_motion_is_kept_not_a_destination():
    scene, tl = world({"entities": [{"id": "dog", "class": "dog"}, {"id": "car", "class": "car"}],
                       "actions": [{"actor": "dog", "verb": "run", "relation": "left_of", "relative_to": "car"}]})
    dog, car = pos(tl, "dog_1"), pos(tl, "car_1")
    assert np.all(dog[:, 0] < car[:, 0] - 0.9)  # left of the car all the time
    assert np.linalg.norm(dog[-1] - dog[0]) > 3.0  # and it ran
