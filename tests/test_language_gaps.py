"""Round three of the rules director's English, checked on built and simulated scenes: up and down along
what is climbed, a second verb with a pronoun object, 'runs away', 'comes back' for a vehicle, a setting's
own furnishings beside the one the prompt names, a file of walkers that sets off one way.
(tests/test_language.py and tests/test_language_order.py hold rounds one and two.)"""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.director import direct
from scenegraph.world.builder import build_scene
from tests._worlds import path, world


def acts(spec):
    return [(a.actor, a.verb, a.to, a.direction) for a in spec.actions]


@pytest.mark.parametrize("prompt, who, thing, sign", [
    ("A boy climbs down the ladder.", "boy_1", "ladder", -1),
    ("The girl slides down the slide.", "girl_1", "slide", -1),
    ("A man goes down the stairs.", "man_1", "stairs", -1),
    ("The child climbs up the tree.", "child_1", "tree", 1),
    ("A woman walks up the stairs.", "woman_1", "stairs", 1),
])
def test_up_and_down_go_that_way_along_the_named_thing(prompt, who, thing, sign):
    spec, scene, tl = world(prompt)
    (a,) = spec.actions
    assert a.to == thing and a.direction == ("up" if sign > 0 else "down")
    y = path(tl, who)[:, 1]
    assert sign * (y[-1] - y[0]) > 0.8  # it ends that much higher (lower) than it starts


def test_a_car_drives_up_the_ramp_onto_it_and_a_walker_down_the_street_along_it():
    spec, _ = direct("A car drives up the ramp.")
    assert acts(spec) == [("car", "drive", "ramp", "up")]  # a vehicle is not a climber
    spec, _ = direct("A man walks down the street.")
    assert spec.actions[0].verb == "walk" and spec.actions[0].to is None


def test_a_second_verb_after_and_takes_a_pronoun_object():
    spec, scene, tl = world("A man walks to the bench and sits on it.")
    assert acts(spec) == [("man", "walk", "bench", None), ("man", "sit", "bench", "up")]
    man, bench = path(tl, "man_1"), path(tl, "bench_1")
    assert np.linalg.norm(man[0] - man[-1]) > 1.0 and man[-1, 1] > 0.3  # he went there and sits up on it
    assert np.linalg.norm((man[-1] - bench[-1])[[0, 2]]) < 0.5
    spec, _ = direct("The cat walks to the armchair and sits.")
    assert acts(spec)[1] == ("cat", "sit", "armchair", "up")  # a posture with no place: where it went


def test_picks_it_up_holds_it():
    spec, scene, tl = world("A girl walks to the ball and picks it up.")
    assert [(a.verb, a.target) for a in spec.actions] == [("walk", None), ("carry", "ball")]
    ball = path(tl, "ball_1")
    assert ball[-1, 1] > ball[0, 1] + 0.2  # off the ground, in her hands


def test_a_watcher_watches_what_moves_and_a_ball_rolling_off_a_table_starts_on_it():
    spec, scene, tl = world("The ball rolls off the table and the cat watches it.")
    look = next(a for a in spec.actions if a.actor == "cat")
    assert look.verb == "look_at" and look.target == "ball"
    ball = path(tl, "ball_1")
    top = scene.entity("table_1").bounds[1][1]
    assert abs(ball[0, 1] - top) < 0.05 and ball[-1, 1] < 0.1  # from the table top to the floor


@pytest.mark.parametrize("prompt, who, other", [
    ("The dog barks at the cat and the cat runs away.", "cat_1", "dog_1"),
    ("A dog walks away from the house.", "dog_1", "house_1"),
])
def test_away_goes_away_from_what_it_was_at_and_keeps_going(prompt, who, other):
    spec, scene, tl = world(prompt)
    d = np.linalg.norm((path(tl, who) - path(tl, other))[:, [0, 2]], axis=1)
    assert d[-1] > d[0] + 2.0 and d[-1] > d[len(d) // 2]
    p = path(tl, who)
    assert np.linalg.norm(p[-1] - p[-3]) > 0.1  # still under way at the end


def test_a_car_goes_to_a_big_place_and_comes_back():
    spec, scene, tl = world("A car drives to the gas station and comes back.")
    car = path(tl, "car_1")
    assert np.max(np.linalg.norm(car - car[0], axis=1)) > 2.0 and np.linalg.norm(car[-1] - car[0]) < 1.0


def test_the_tree_in_the_park_is_one_of_its_trees_and_a_number_is_exact():
    spec, scene, tl = world("A cat climbs the tree in the park.")
    trees = [e.id for e in scene.entities("object") if e.id.startswith("tree_")]
    assert len(trees) >= 3 and spec.entities[1].count_guessed  # the park keeps its own trees
    cat, tree = path(tl, "cat_1"), path(tl, "tree_1")
    assert cat[-1, 1] > cat[0, 1] + 1.0 and np.linalg.norm((cat[-1] - tree[-1])[[0, 2]]) < 1.0  # up the one named
    for prompt, n in [("There is only one tree in the park.", 1), ("Six trees are in the park.", 6)]:
        spec, _ = direct(prompt)
        scene = build_scene(spec, prompt=prompt)
        assert len([e for e in scene.entities("object") if e.id.startswith("tree_")]) == n


def test_a_file_of_walkers_all_go_the_first_ones_way():
    spec, scene, tl = world("Five soldiers march in a line.")
    ways = [path(tl, f"soldier_{k}")[-1] - path(tl, f"soldier_{k}")[0] for k in range(1, 6)]
    lead = ways[0][[0, 2]] / np.linalg.norm(ways[0][[0, 2]])
    for w in ways:
        assert np.linalg.norm(w) > 1.0 and w[[0, 2]] @ lead > 0.7 * np.linalg.norm(w[[0, 2]])


def test_a_dog_brings_the_ball_back_and_off_alone_is_away():
    spec, scene, tl = world("A dog runs to the ball and brings it back.")
    assert [a.verb for a in spec.actions] == ["run", "carry", "return"]
    dog, ball = path(tl, "dog_1"), path(tl, "ball_1")
    assert np.linalg.norm(dog[-1] - dog[0]) < 1.0 and np.linalg.norm(ball[-1] - ball[0]) > 2.0  # back, with it
    spec, _ = direct("A car drives off.")
    assert spec.actions[0].direction == "out_of_scene"
    spec, _ = direct("The cat jumps off the table.")
    assert spec.actions[0].from_ == "table"


def test_slopes_and_sledges_go_down_and_a_rider_rides_what_it_is_on():
    for prompt in ("A skier skis down the slope.", "A boy sleds down the hill."):
        spec, _ = direct(prompt)
        assert (spec.actions[0].verb, spec.actions[0].direction) == ("descend", "down")
    spec, _ = direct("Two sleds stand by the hut.")
    assert [(e.cls, e.count) for e in spec.entities][0] == ("sled", 2)  # still a noun
    spec, _ = direct("The boy rides to the shop on his bike.")
    assert (spec.actions[0].verb, spec.actions[0].target, spec.actions[0].to) == ("ride", "bike", "shop")


def test_climbing_back_down_goes_down_what_it_climbed():
    spec, scene, tl = world("A bear climbs up the tree, then climbs back down.")
    assert [(a.verb, a.to, a.direction) for a in spec.actions] == [("climb", "tree", "up"), ("descend", "tree", "down")]
    y = path(tl, "bear_1")[:, 1]
    assert y.max() > y[0] + 1.0 and y[-1] < 0.15
