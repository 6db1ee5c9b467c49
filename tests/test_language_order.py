"""Round two of the rules director's English, checked on built and simulated scenes: sentences that open
with a place, pronoun objects, 'until', groups that keep their formation while they move, sizes from
context, people on the pavement.  (tests/test_language.py holds round one.)"""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.director import direct
from tests import _worlds
from tests._worlds import path


def world(prompt: str):
    return _worlds.world(prompt, fps=12)


def box(scene, tl, eid, f=0):
    b = np.asarray(scene.entity(eid).bounds)
    return path(tl, eid)[f] + b[0], path(tl, eid)[f] + b[1]


def rels(spec):
    return {(r.subject, r.relation, r.object) for r in spec.relations}


@pytest.mark.parametrize("prompt, rel", [
    ("Behind the house stands a tall oak tree.", ("oak_tree", "behind", "house")),
    ("On the shelf there are three books.", ("book", "on", "shelf")),
    ("High above the house, a kite is flying.", ("kite", "above", "house")),
    ("To the left of the bed is a wooden chair.", ("chair", "left_of", "bed")),
    ("A plate with an apple on it is on the counter.", ("apple", "on", "plate")),
])
def test_a_sentence_may_open_with_where_its_subject_is(prompt, rel):
    spec, _ = direct(prompt)
    assert rel in rels(spec)
    assert not any(r.subject == rel[2] for r in spec.relations if r.object == rel[0])  # not the other way round


@pytest.mark.parametrize("prompt, left, right", [
    ("On the left there is a fountain, and on the right a statue.", "fountain_1", "statue_1"),
    ("On the right is a lamp; on the left is a sofa.", "sofa_1", "lamp_1"),
    ("In the background a bus drives past, and in the foreground a woman waves.", None, None),
])
def test_a_side_named_before_its_noun_belongs_to_that_noun(prompt, left, right):
    spec, scene, tl = world(prompt)
    if left is None:  # the bus far away, behind the woman, and not driving to her
        assert path(tl, "bus_1")[0, 2] < path(tl, "woman_1")[0, 2]
        assert all(a.to is None for a in spec.actions if a.actor == "bus")
        return
    assert path(tl, left)[0, 0] < path(tl, right)[0, 0]


def test_a_fronted_place_with_a_motion_verb_is_the_way_it_goes():
    spec, _ = direct("Past the old church walks a priest.")
    (act,) = spec.actions
    assert (act.actor, act.verb, act.via) == ("priest", "walk", "church")
    spec, _ = direct("Behind the fence, a dog runs from left to right.")
    (act,) = spec.actions
    assert (act.relation, act.relative_to, act.direction) == ("behind", "fence", "left_to_right")


def test_between_them_names_the_group_before_and_the_teapot_stands_between_the_cups():
    spec, scene, tl = world("Two cups are on the table and a teapot stands between them.")
    x = {e: path(tl, e)[0, 0] for e in ("cup_1", "cup_2", "teapot_1")}
    assert min(x["cup_1"], x["cup_2"]) < x["teapot_1"] < max(x["cup_1"], x["cup_2"])


def test_until_another_actor_ends_the_action_when_that_one_stops():
    spec, scene, tl = world("A man walks along the street until the car stops.")
    walk = next(a for a in spec.actions if a.actor == "man")
    assert walk.until is not None and walk.while_ is not None
    car, man = path(tl, "car_1"), path(tl, "man_1")

    def stop(p):
        step = np.linalg.norm(np.diff(p, axis=0), axis=1)
        return float(tl.time[np.flatnonzero(step > 0.01)[-1] + 1])

    assert abs(stop(man) - stop(car)) < 1.0 and np.ptp(man[:, 0]) > 2.0


def test_until_it_reaches_is_the_destination():
    spec, scene, tl = world("The dog runs until it reaches the tree.")
    (act,) = spec.actions
    assert act.to == "tree" and act.until is None
    d = np.linalg.norm((path(tl, "dog_1") - path(tl, "tree_1"))[:, [0, 2]], axis=1)
    reach = float(np.asarray(scene.entity("tree_1").bounds)[1][0])  # the tree's half width
    assert d[-1] < reach + 1.5 and d[0] > d[-1] + 1.0


def test_waits_until_then_the_main_clause_goes_on():
    spec, _ = direct("A girl waits until the bus arrives, then gets on it.")
    girl = [a for a in spec.actions if a.actor == "girl"]
    assert [a.verb for a in girl] == ["wait", "move"] and girl[1].to == "bus" and girl[0].until is not None


@pytest.mark.parametrize("prompt, n", [("Two horses gallop side by side.", 2), ("Two dogs run side by side across the field.", 2)])
def test_a_group_side_by_side_stays_side_by_side_while_it_moves(prompt, n):
    spec, scene, tl = world(prompt)
    word = spec.entities[0].cls
    ids = [f"{word}_{i}" for i in range(1, n + 1)]
    gaps = np.linalg.norm(path(tl, ids[0]) - path(tl, ids[1]), axis=1)
    assert all(np.ptp(path(tl, i)[:, [0, 2]], axis=0).max() > 2.0 for i in ids)
    assert gaps.max() < 3.0


def test_a_group_in_a_line_walks_in_single_file_every_member_as_far_as_the_first():
    spec, scene, tl = world("Three ducks walk in a line to the pond.")
    lengths = [float(np.linalg.norm(np.diff(path(tl, f"duck_{i}"), axis=0), axis=1).sum()) for i in (1, 2, 3)]
    assert min(lengths) > 0.8 * max(lengths) and min(lengths) > 1.0


def test_a_thing_inside_a_box_under_a_table_is_made_small_enough_to_fit():
    spec, scene, tl = world("A small robot is inside a box under a table between two chairs.")
    rlo, rhi = box(scene, tl, "robot_1")
    blo, bhi = box(scene, tl, "box_1")
    tlo, thi = box(scene, tl, "table_1")
    assert np.all(rlo >= blo - 0.05) and np.all(rhi <= bhi + 0.05)  # inside the box
    assert bhi[1] <= thi[1] and blo[0] < thi[0] and bhi[0] > tlo[0]  # the box is under the table


def test_someone_jogging_along_the_road_uses_the_pavement_and_the_bus_passes_behind():
    spec, scene, tl = world("A woman jogs along the road with a bus driving past in the background.")
    woman, bus = path(tl, "woman_1"), path(tl, "bus_1")
    road = np.asarray(scene.entity("road_1").bounds)
    assert np.all(np.abs(woman[:, 2]) > road[1][2])  # off the carriageway
    assert np.all(bus[:, 2] < woman[:, 2]) and np.ptp(bus[:, 0]) > 5.0


def test_plural_synonyms_count_and_among_is_near():
    spec, scene, tl = world("A red ball lies among the flowers.")
    assert [(e.cls, e.count) for e in spec.entities if e.id.startswith("flower")] == [("plant", 2)]
    assert ("ball", "near", "flower") in rels(spec)


@pytest.mark.parametrize("prompt, actor, verb, target", [
    ("The truck is overtaken by a motorbike.", "motorbike", "overtake", "truck"),
    ("The horse that the girl is riding trots across the meadow.", "girl", "ride", "horse"),
    ("A girl on a scooter rolls past the bakery.", "girl", "ride", "scooter"),
    ("A dog trails behind its owner.", "dog", "follow", "owner"),
])
def test_who_does_it_in_passives_object_clauses_and_riders(prompt, actor, verb, target):
    spec, _ = direct(prompt)
    assert any(a.actor == actor and a.verb == verb and a.target == target for a in spec.actions)
    assert not any(a.actor == target and a.verb == verb for a in spec.actions)


def test_a_companion_named_after_the_verb_goes_along():
    spec, scene, tl = world("A mother and her daughter walk along the beach with their dog.")
    assert all(np.ptp(path(tl, e)[:, [0, 2]], axis=0).max() > 1.0 for e in ("mother_1", "daughter_1", "dog_1"))


@pytest.mark.parametrize("prompt, word, n", [("There are 14 candles on the cake.", "candle", 14),
                                             ("A flock of 11 birds sits on the power line.", "bird", 11),
                                             ("There are no people in the street, just four parked cars.", "car", 4),
                                             ("The children stand in a circle around the tree.", "child", 5)])
def test_counts_that_must_fit_are_built(prompt, word, n):
    spec, scene, tl = world(prompt)
    ids = [e.id for e in scene.entities() if e.id.rsplit("_", 1)[0] == word and not e.attributes.get("kit")]
    assert len(ids) == n


def test_a_group_around_something_stands_in_a_circle_centred_on_it():
    spec, scene, tl = world("Four chairs stand around the table.")
    table = path(tl, "table_1")[0]
    d = [float(np.linalg.norm((path(tl, f"chair_{i}")[0] - table)[[0, 2]])) for i in range(1, 5)]
    assert np.ptp(d) < 0.05 and min(d) > 0.5


def test_knocked_off_things_fall_and_a_new_word_of_a_known_class_is_a_new_thing():
    spec, scene, tl = world("The cat knocks a glass off the kitchen counter.")
    assert path(tl, "glass_1")[-1, 1] < path(tl, "glass_1")[0, 1] - 0.3
    spec, _ = direct("First the boy jumps, then the girl jumps.")
    assert [a.actor for a in spec.actions] == ["boy", "girl"]


def test_a_static_shot_and_a_pan_to_the_right():
    spec, _ = direct("A static shot of a cat sleeping on a windowsill.")
    assert [s.type for s in spec.camera] == ["static"] and [e.cls for e in spec.entities] == ["cat", "windowsill"]
    spec, _ = direct("The camera slowly pans to the right over a row of houses.")
    assert spec.camera[0].type == "pan" and spec.camera[0].direction == "right"


def test_a_swimmer_crosses_the_water_and_a_flyer_leaves_upwards():
    spec, scene, tl = world("A duck swims across the pond and back again.")
    duck = path(tl, "duck_1")
    assert np.ptp(duck[:, 0]) > 1.5 and np.linalg.norm(duck[-1] - duck[0]) < 1.0
    spec, scene, tl = world("A bird lands on the fence, waits for a moment and flies away again.")
    bird = path(tl, "bird_1")
    assert bird[-1, 1] > bird[:, 1].min() + 0.5


def test_a_group_near_a_group_shares_it_out_and_the_middle_of_a_table_is_on_it():
    spec, scene, tl = world("Twelve sheep are among the trees.")
    assert len([e for e in scene.entities() if e.id.startswith("sheep_")]) == 12
    spec, _ = direct("There is a red apple in the middle of the table.")
    assert ("apple", "on", "table") in rels(spec)


def test_a_rider_named_with_on_rides_what_it_is_on_and_a_bell_rings_in_place():
    spec, _ = direct("A boy on a bicycle rides to the school.")
    (act,) = spec.actions
    assert (act.verb, act.target, act.to) == ("ride", "bicycle", "school")
    spec, _ = direct("The children play until the bell rings.")
    play = next(a for a in spec.actions if a.actor == "child")
    bell = next(a for a in spec.actions if a.actor == "bell")
    assert play.until == bell.id and bell.verb == "wave"


@pytest.mark.parametrize("prompt, actor, other", [
    ("A van drives along the street while a cyclist rides behind it.", "cyclist", "van"),
    ("A bus drives down the road and a cyclist rides next to it.", "cyclist", "bus"),
])
def test_a_pronoun_after_a_relation_of_a_motion_is_kept_during_it(prompt, actor, other):
    spec, _ = direct(prompt)  # used to fail: the ridden-thing rule took the vehicle's drive as the ride
    acts = {a.actor: a for a in spec.actions}
    assert acts[other].verb == "drive"
    assert acts[actor].relative_to == other and acts[actor].target is None
