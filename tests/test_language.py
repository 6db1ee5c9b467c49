"""Open everyday English through the rules director, checked on built and simulated scenes:
names, counts, who moves, the order of actions in time, positions relative to each other."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scenegraph.director import direct
from scenegraph.errors import SpecError
from tests import _worlds
from tests._worlds import path


def world(prompt: str):
    return _worlds.world(prompt, fps=12)


def moved(tl, eid, metres=0.5):
    p = path(tl, eid)
    return float(np.max(np.linalg.norm(p - p[0], axis=1))) > metres


def first_move(tl, eid, metres=0.05):
    p = path(tl, eid)
    k = np.flatnonzero(np.linalg.norm(p - p[0], axis=1) > metres)
    return float(tl.time[k[0]]) if len(k) else float("inf")


def test_every_named_thing_appears_with_the_word_it_was_called():
    spec, scene, tl = world("A nurse pushes a wheelchair past a vending machine while a kitten watches.")
    assert {"nurse_1", "wheelchair_1", "vending_machine_1", "kitten_1"} <= set(scene.entity_ids()) if hasattr(
        scene, "entity_ids") else {"nurse_1", "wheelchair_1", "vending_machine_1", "kitten_1"} <= {
        e.id for e in scene.entities("object")}
    assert scene.entity("kitten_1").cls == "cat" and scene.entity("kitten_1").name == "kitten"
    assert moved(tl, "nurse_1") and moved(tl, "wheelchair_1") and not moved(tl, "vending_machine_1", 0.01)
    gap = np.linalg.norm((path(tl, "nurse_1") - path(tl, "wheelchair_1"))[:, [0, 2]], axis=1)
    assert gap.max() < 2.0  # pushed in front of her all the way


def test_compound_nouns_and_a_noun_used_as_a_verb():
    spec, _ = direct("A boy plays with a toy car next to a flower bed. Two men box near the fire truck.")
    classes = {e.id: (e.cls, e.count) for e in spec.entities}
    assert classes["toy_car"] == ("toy car", 1) and classes["flower_bed"] == ("flower bed", 1)
    assert classes["fire_truck"] == ("fire truck", 1) and classes["man"] == ("man", 2)
    assert "box" not in classes and "car" not in classes and "bed" not in classes


def test_unknown_nouns_are_stand_ins_with_one_warning_and_nonsense_is_refused():
    spec, scene, _ = world("A wug walks to a glorbix on the table.")
    assert {"wug_1", "glorbix_1"} <= {e.id for e in scene.entities("object")}
    lines = [w for w in scene.metadata["warnings"] if "stand-in" in w]
    assert len(lines) == 1 and "wug" in lines[0] and "glorbix" in lines[0]
    for bad in ("florp blarg snizzle wop", "\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5", "a car\x07 drives", "a car. " * 5000,
                "the of and to"):
        with pytest.raises(SpecError) as info:
            direct(bad)
        assert "\n" not in str(info.value)


def test_too_many_objects_are_refused_with_the_limit():
    with pytest.raises(SpecError, match="at most 300"):
        direct("500 cones stand in a row.")


def test_participles_and_reduced_clauses_bind_to_their_noun():
    spec, scene, tl = world("A woman jogs along the road with a bus driving past in the background.")
    assert moved(tl, "woman_1") and moved(tl, "bus_1")
    spec, scene, tl = world("The camera follows a man riding a bicycle down a road.")
    man, bike = path(tl, "man_1"), path(tl, "bicycle_1")
    assert moved(tl, "man_1", 3.0) and np.allclose(man[:, [0, 2]], bike[:, [0, 2]], atol=1e-3)
    assert np.all(man[:, 1] > bike[:, 1] + 0.3)  # he sits on it
    shot = scene.metadata["spec"]["camera"][0]
    assert shot["type"] == "track" and shot["target"] == "man"


def test_where_clause_puts_the_people_on_the_bench():
    spec, scene, tl = world("A bus stops behind a bench where four people are sitting.")
    people = [e.id for e in scene.entities("object") if e.cls == "person"]
    assert len(people) == 4 and "bus_stop_1" not in {e.id for e in scene.entities("object")}
    bench = path(tl, "bench_1")[0]
    assert all(np.linalg.norm((path(tl, p)[0] - bench)[[0, 2]]) < 3.0 for p in people)
    assert path(tl, "bus_1")[0, 2] < bench[2]


def test_a_relation_in_a_motion_clause_is_kept_during_the_motion():
    _, _, tl = world("A dog runs to the left of a car.")
    dog, car = path(tl, "dog_1"), path(tl, "car_1")
    assert moved(tl, "dog_1", 2.0) and np.all(dog[:, 0] < car[:, 0])


def test_event_clauses_order_the_actions_in_time():
    for prompt in ("After the ball stops, the child runs to it.", "The child runs to the ball after it stops."):
        spec, scene, tl = world(prompt)
        ball = path(tl, "ball_1")
        speed = np.linalg.norm(np.diff(ball, axis=0), axis=1) * 12
        stop = tl.time[np.flatnonzero(speed > 1e-3)[-1] + 1]
        assert moved(tl, "ball_1") and first_move(tl, "child_1") >= stop - 1e-6, prompt
    _, _, tl = world("Before the bus arrives, a woman walks to the bench.")
    assert first_move(tl, "woman_1") < first_move(tl, "bus_1")


def test_then_twice_three_times_and_returns():
    _, _, tl = world("A kangaroo jumps three times, then hops to the tree and comes back.")
    y = path(tl, "kangaroo_1")[:, 1]
    assert len(np.flatnonzero(np.diff((y > 0.05).astype(int)) == 1)) >= 3
    p = path(tl, "kangaroo_1")
    assert np.linalg.norm((p[-1] - p[0])[[0, 2]]) < 0.3 and moved(tl, "kangaroo_1", 1.0)
    spec, _, tl = world("A horse gallops around the tree twice while the camera dollies in.")
    rel = path(tl, "horse_1") - path(tl, "tree_1")
    ang = np.unwrap(np.arctan2(rel[:, 0], rel[:, 2]))
    assert abs(ang[-1] - ang[0]) > 3.8 * np.pi and spec.camera[0].type == "dolly"


def test_counts_in_words_and_digits_negation_and_groups():
    spec, _ = direct("Twenty-one geese, 12 mice, a dozen eggs and no cars.")
    counts = {e.cls: e.count for e in spec.entities}
    assert counts == {"goose": 21, "mouse": 12, "egg": 12}


def test_formations_place_groups_and_a_motorbike_weaves_between_the_cones():
    spec, scene, tl = world("Six orange cones stand in a row and a motorbike weaves between them from left to right.")
    cones = np.array([path(tl, f"cone_{i}")[0] for i in range(1, 7)])
    assert np.all(np.diff(cones[:, 0]) > 0.3) and np.ptp(cones[:, 2]) < 1e-6
    bike = path(tl, "motorbike_1")
    assert bike[0, 0] < cones[0, 0] and bike[-1, 0] > cones[-1, 0]
    side = [np.sign(bike[int(np.argmin(np.abs(bike[:, 0] - c[0]))), 2] - c[2]) for c in cones]
    assert sum(a != b for a, b in zip(side, side[1:])) >= 3  # it passes them on alternating sides


def test_relative_actions_chase_overtake_meet():
    _, _, tl = world("A red car overtakes a blue truck.")
    car, truck = path(tl, "car_1"), path(tl, "truck_1")
    assert moved(tl, "truck_1") and car[0, 0] < truck[0, 0] and car[-1, 0] > truck[-1, 0]
    _, _, tl = world("A man and a woman meet.")
    d = np.linalg.norm((path(tl, "man_1") - path(tl, "woman_1"))[:, [0, 2]], axis=1)
    assert d[-1] < 1.5 and d[0] > d[-1] + 0.5
    _, _, tl = world("A dog chases a cat.")
    assert moved(tl, "cat_1") and moved(tl, "dog_1")


def test_settings_are_recorded_and_explain_prints_the_plan():
    spec, scene, _ = world("In the savannah at dusk, a lion walks past an acacia tree.")
    assert scene.metadata["environment"]["setting"] == "savannah"
    assert spec.environment.time_of_day == "dusk"
    out = subprocess.run([sys.executable, "-m", "scenegraph.cli", "build", "--explain", "--gaussians", "none",
                          "A kitten chases a ball, then sleeps on the sofa. A zorp waits. Qqxv."],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "kitten_1: kitten (cat) from 'a kitten'" in text
    assert text.index("chase") < text.index("lie") or text.index("chase") < text.index("sit")
    warn = [line for line in text.splitlines() if "not understood" in line]
    assert len(warn) == 1 and "qqxv" in warn[0]
