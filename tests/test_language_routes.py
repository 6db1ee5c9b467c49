"""Round four of the rules director's English, checked on built and simulated scenes: where a ride or a walk
ends when the destination is the setting itself or its water, a way and a destination together ('walks down
the hill to the lake'), walking an animal, machines at work on a road and vehicles named by their last part.
(tests/test_language_gaps.py holds round three.)"""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.director import direct
from scenegraph.model import catalog
from scenegraph.model.spec import parse_spec_json
from scenegraph.world.builder import build_scene
from scenegraph.world.simulate import simulate
from tests._worlds import path, world


def box_gap(scene, tl, eid, other, f=-1):
    """Horizontal distance (m) from ``eid``'s centre to the box of ``other`` (its bounds turned by its yaw
    ignored: used for boxes standing square to the axes)."""
    p = path(tl, eid)[f]
    b = np.asarray(scene.entity(other).bounds) + path(tl, other)[f]
    q = np.clip(p, b[0], b[1])
    return float(np.linalg.norm((p - q)[[0, 2]]))


def in_view(stage_scene, tl, eid, f):
    from scenegraph.world.shots import entity_in_picture
    return entity_in_picture(stage_scene, tl, eid, f, "camera_1")


# -- a destination that is the setting, or its water ------------------------------------------------------

@pytest.mark.parametrize("prompt, rider, ride", [
    ("A boy rides his bike to the park.", "boy_1", "bike_1"),
    ("The old man drives his car to the city.", "old_man_1", "car_1"),
    ("A girl rides to the beach.", "girl_1", "bicycle_1"),
])
def test_a_ride_to_the_setting_arrives_in_the_picture(prompt, rider, ride):
    spec, scene, tl = world(prompt)
    (a,) = spec.actions
    assert a.verb == "ride" and a.direction == "into_scene" and a.target
    last = len(tl.time) - 1
    assert not in_view(scene, tl, ride, 0) and in_view(scene, tl, ride, last)
    assert np.linalg.norm((path(tl, rider) - path(tl, ride))[:, [0, 2]], axis=1).max() < 1.0  # aboard all the way


@pytest.mark.parametrize("prompt, who", [("A dog runs to the lake.", "dog_1"), ("The fisherman walks to the river.", "fisherman_1"),
                                         ("A girl runs towards the sea.", "girl_1")])
def test_going_to_the_lake_river_or_sea_ends_at_its_shore(prompt, who):
    spec, scene, tl = world(prompt)
    assert spec.actions[0].to == "water"
    water = "sea_1" if "sea" in prompt else "lake_1"
    assert box_gap(scene, tl, who, water, 0) > 3.0
    assert box_gap(scene, tl, who, water) < 1.5
    assert path(tl, who)[-1, 1] < 0.05  # at the edge, not out on the water


def test_water_place_without_water_is_the_back_of_the_view():
    spec = parse_spec_json('{"entities": [{"id": "man", "class": "man"}], "actions": '
                           '[{"actor": "man", "verb": "walk", "to": "water"}]}')
    scene = build_scene(spec)
    tl = simulate(scene, fps=8)
    p = path(tl, "man_1")
    assert p[-1, 2] < p[0, 2] - 1.0  # away from the camera (-Z)


def test_a_drive_to_a_named_place_arrives_there_with_the_driver_aboard():
    spec, scene, tl = world("The woman drives to the supermarket.")
    (a,) = spec.actions
    assert (a.verb, a.target, a.to) == ("ride", "car", "supermarket")
    car = path(tl, "car_1")
    assert np.linalg.norm((car[-1] - car[0])[[0, 2]]) > 3.0
    assert box_gap(scene, tl, "car_1", "supermarket_1") < 2.25 + 1.0  # its nose by the shop, not a car length off
    assert np.linalg.norm((path(tl, "woman_1") - car)[:, [0, 2]], axis=1).max() < 1.0


@pytest.mark.parametrize("prompt, vehicle", [("A boy cycles to the school.", "bicycle"),
                                              ("A man drives to the gas station.", "car")])
def test_driving_or_cycling_with_no_vehicle_named_brings_one(prompt, vehicle):
    spec, _ = direct(prompt)
    assert [e.cls for e in spec.entities].count(vehicle) == 1
    assert spec.actions[0].verb == "ride" and spec.actions[0].target == vehicle


def test_skating_or_rowing_brings_no_car():
    for prompt in ("A man skates across the rink.", "A woman rows across the lake."):
        spec, _ = direct(prompt)
        assert not {"car", "bicycle"} & {e.cls for e in spec.entities}, prompt


# -- a way, then a destination ----------------------------------------------------------------------------

def test_down_the_hill_to_the_lake_goes_down_then_on_to_the_shore():
    spec, scene, tl = world("A woman walks down the hill to the lake.")
    down, on = spec.actions
    assert (down.verb, down.to, down.direction) == ("descend", "hill", "down")
    assert (on.verb, on.to, on.after) == ("walk", "water", down.id)
    p = path(tl, "woman_1")
    assert p[0, 1] > 2.0 and p[-1, 1] < 0.05
    assert box_gap(scene, tl, "woman_1", "lake_1") < 1.5


@pytest.mark.parametrize("prompt, who, way, goal, verb", [
    ("A man runs up the stairs to the door.", "man_1", "stairs_1", "door_1", "run"),
    ("A woman walks down the stairs to the car.", "woman_1", "stairs_1", "car_1", "walk"),
])
def test_up_or_down_the_stairs_to_a_thing_goes_along_them_then_to_it(prompt, who, way, goal, verb):
    spec, scene, tl = world(prompt)
    first, second = spec.actions
    assert first.to == "stairs" and second.verb == verb and second.to == goal[:-2] and second.after == first.id
    assert (goal[:-2], "near", "stairs") in [(r.subject, r.relation, r.object) for r in spec.relations]
    y = path(tl, who)[:, 1]
    assert np.ptp(y) > 1.5  # it went up or down the stairs on the way
    assert box_gap(scene, tl, who, goal) < 1.5


def test_across_a_bridge_is_no_road_crossing_and_keeps_both_way_and_destination():
    spec, scene, _ = world("A man walks across the bridge to the cafe.")
    (a,) = spec.actions
    assert (a.via, a.to) == ("bridge", "cafe")
    assert not any(e.id.startswith(("kerb", "crossing")) for e in scene.entities())


# -- walking an animal --------------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt, walker, pet", [
    ("A man walks his dog along the river.", "man_1", "dog_1"),
    ("A girl walks her dog in the park.", "girl_1", "dog_1"),
    ("The boy walks his puppy down the street.", "boy_1", "puppy_1"),
])
def test_walking_a_dog_takes_it_along_just_ahead(prompt, walker, pet):
    spec, scene, tl = world(prompt)
    led = next(a for a in spec.actions if a.actor != spec.actions[0].actor)
    assert spec.actions[0].to is None and led.verb == "follow" and led.relation == "in_front_of"
    a, b = path(tl, walker), path(tl, pet)
    assert np.linalg.norm((a[-1] - a[0])[[0, 2]]) > 2.0 and np.linalg.norm((b[-1] - b[0])[[0, 2]]) > 2.0
    v = np.gradient(a, axis=0)[:, [0, 2]]
    moving = np.linalg.norm(v, axis=1) > 1e-3
    ahead = np.einsum("ij,ij->i", (b - a)[:, [0, 2]], v) > 0
    assert ahead[moving].mean() > 0.8
    assert np.linalg.norm((b - a)[:, [0, 2]], axis=1).max() < 2.5


def test_two_dogs_walk_on_either_side_and_a_walk_to_a_dog_is_still_a_walk_to_it():
    spec, scene, tl = world("A woman is walking two dogs.")
    w, d1, d2 = path(tl, "woman_1"), path(tl, "dog_1"), path(tl, "dog_2")
    side = np.cross(np.gradient(w, axis=0)[len(w) // 2], [0.0, 1.0, 0.0])
    assert np.sign((d1[len(w) // 2] - w[len(w) // 2]) @ side) != np.sign((d2[len(w) // 2] - w[len(w) // 2]) @ side)
    spec, _ = direct("A man walks to the dog.")
    assert [(a.actor, a.verb, a.to) for a in spec.actions] == [("man", "walk", "dog")]


def test_a_walked_dog_is_beside_its_walker_where_the_walk_ends():
    spec, scene, tl = world("An old man walks his dog to the bench.")
    assert box_gap(scene, tl, "old_man_1", "bench_1") < 1.0
    d = np.linalg.norm((path(tl, "dog_1")[-1] - path(tl, "old_man_1")[-1])[[0, 2]])
    assert d < 1.5


# -- machines at work; vehicles named by their last part ----------------------------------------------------

@pytest.mark.parametrize("prompt, word", [("A snowplow clears the road.", "snowplow_1"),
                                          ("A street sweeper cleans the street.", "street_sweeper_1"),
                                          ("The tractor plows the field.", "tractor_1")])
def test_a_machine_at_work_on_a_road_or_field_drives_along_it(prompt, word):
    spec, scene, tl = world(prompt)
    (a,) = spec.actions
    assert a.verb == "drive" and a.direction == "left_to_right"
    p = path(tl, word)
    assert p[-1, 0] - p[0, 0] > 5.0
    assert np.ptp(np.asarray(scene.entity(word).bounds)[:, 2]) > 4.0  # vehicle-sized, not a person


def test_seeing_the_street_is_not_working_on_it():
    spec, _ = direct("A woman watches the street.")
    assert spec.actions[0].verb != "move"


def test_vehicle_head_names_the_vehicle_an_unknown_compound_ends_in():
    assert catalog.vehicle_head("dumptruck").name == "truck"
    assert catalog.vehicle_head("milk float truck").name == "truck"
    assert catalog.vehicle_head("hovervan").name == "van"
    for word in ("carpet", "oscar", "truck", "seahorse", "gizmo"):
        assert catalog.vehicle_head(word) is None, word


def test_unknown_vehicles_are_sized_and_moved_as_vehicles():
    spec, scene, tl = world("A dumptruck drives to the house.")
    assert spec.entities[0].cls == "truck" and spec.entities[0].word == "dumptruck"
    assert np.ptp(np.asarray(scene.entity("dumptruck_1").bounds)[:, 2]) > 6.0
    # a spec from another director names a class no catalogue has: sized by its last word, or driven on a road
    spec = parse_spec_json('{"entities": [{"id": "m", "class": "milk float truck"}, {"id": "z", "class": "zorblex"}],'
                           ' "actions": [{"actor": "m", "verb": "move", "direction": "left_to_right"},'
                           ' {"actor": "z", "verb": "move", "direction": "right_to_left"}],'
                           ' "environment": {"setting": "street"}}')
    scene = build_scene(spec)
    for eid, longer in (("milk_float_truck_1", 6.0), ("zorblex_1", 4.0)):
        assert np.ptp(np.asarray(scene.entity(eid).bounds)[:, 2]) > longer, eid


# -- taken for a walk; pulled behind; the subject's verb after its '-ing' phrase -----------------------------

def test_taking_a_dog_for_a_walk_walks_it_and_going_for_a_walk_walks():
    spec, _ = direct("A woman takes her dog for a walk in the park.")
    assert [(a.actor, a.verb, a.target) for a in spec.actions] == [("woman", "walk", None), ("dog", "follow", "woman")]
    assert not any(e.cls == "walk" for e in spec.entities)
    spec, _ = direct("A man goes for a walk in the park.")
    assert [(a.actor, a.verb) for a in spec.actions] == [("man", "walk")]


@pytest.mark.parametrize("prompt, puller, load", [("A tow truck tows a car down the street.", "tow_truck_1", "car_1"),
                                                  ("A horse pulls a cart across the field.", "horse_1", "cart_1")])
def test_what_is_towed_or_pulled_comes_along_just_behind(prompt, puller, load):
    spec, scene, tl = world(prompt)
    a, b = path(tl, puller), path(tl, load)
    v = np.gradient(a, axis=0)[:, [0, 2]]
    moving = np.linalg.norm(v, axis=1) > 1e-3
    assert moving.sum() > 4 and np.linalg.norm((b[-1] - b[0])[[0, 2]]) > 3.0
    assert (np.einsum("ij,ij->i", (b - a)[:, [0, 2]], v)[moving] < 0).all()  # behind it, along its way
    long = [float(np.ptp(np.asarray(scene.entity(e).bounds)[:, 2])) for e in (puller, load)]
    assert (np.linalg.norm((b - a)[:, [0, 2]], axis=1)[moving] < 0.5 * sum(long) + 1.5).all()


def test_pulling_a_door_moves_no_door():
    spec, _ = direct("A man pulls the door.")
    assert not any(a.actor == "door" for a in spec.actions)


@pytest.mark.parametrize("prompt, expect", [
    ("A man riding a bicycle passes the cafe.", [("man", "ride", "bicycle", None, "cafe")]),
    ("A woman carrying a box walks to the car.", [("woman", "carry", "box", "car", None)]),
    ("A boy riding his bike crosses the street.", [("boy", "ride", "bike", None, None)]),
])
def test_the_subjects_verb_after_its_ing_phrase_is_the_subjects(prompt, expect):
    spec, _ = direct(prompt)
    assert [(a.actor, a.verb, a.target, a.to, a.via) for a in spec.actions] == expect


@pytest.mark.parametrize("prompt, rider, ride", [
    ("A man drives to the beach, then walks to the water.", "man_1", "car_1"),
    ("A boy rides his horse to the barn and then walks to the fence.", "boy_1", "horse_1"),
])
def test_a_rider_who_goes_on_foot_gets_off_and_the_ride_stays(prompt, rider, ride):
    spec, scene, tl = world(prompt)
    r, v = path(tl, rider), path(tl, ride)
    assert np.linalg.norm((v[len(v) // 3] - v[0])[[0, 2]]) > 1.0  # it was ridden
    tail = v[int(len(v) * 0.7):]
    assert np.abs(tail - tail[-1]).max() < 1e-3  # then it stands where the ride ended
    assert np.linalg.norm((r[-1] - v[-1])[[0, 2]]) > 2.0 and r[-1, 1] < 0.05  # the rider walked on, on the ground
