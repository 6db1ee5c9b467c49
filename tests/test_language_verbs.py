"""Verbs the director has no meaning for, verbs that place their object, and chasing what was thrown."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.director import direct
from scenegraph.pipeline import build
from scenegraph.world import simulate


@pytest.mark.parametrize("prompt, actor, dx", [
    ("A tractor plows the field slowly from left to right", "tractor", 1),
    ("A lawnmower mows the lawn from right to left", "lawnmower", -1),
    ("A snowplow clears the road from left to right", "snowplow", 1),
])
def test_an_unknown_verb_with_a_direction_moves_that_way_with_a_warning(prompt, actor, dx):
    spec, warnings = direct(prompt)
    word = prompt.split()[2]
    assert any(word in w and "moves" in w for w in warnings), warnings
    scene = build(prompt, seed=0, gaussians="none")
    tl = simulate(scene)
    eid = next(e.id for e in scene.entities("object") if e.id.startswith(actor))
    p = tl.world_position(eid)
    assert dx * (p[-1, 0] - p[0, 0]) > 3.0


@pytest.mark.parametrize("prompt", ["A farmer whistles", "A fisherman sits on the pier and casts his line into the lake"])
def test_an_unknown_verb_with_nowhere_to_go_stays_put_and_is_named(prompt):
    spec, warnings = direct(prompt)
    word = next(w for w in prompt.split() if w in ("whistles", "casts"))
    assert all(a.verb not in ("move", "walk", "run") for a in spec.actions), spec.actions
    assert any("not understood" in w and word in w for w in warnings) or word == "whistles"


@pytest.mark.parametrize("prompt, thing, place", [
    ("The waiter puts a cup on the table", "cup", "table"),
    ("A woman places a vase on the shelf", "vase", "shelf"),
    ("A boy sets his backpack on the chair", "backpack", "chair"),
])
def test_a_placing_verb_puts_its_object_there_not_its_subject(prompt, thing, place):
    spec, _ = direct(prompt)
    rels = {(r.subject, r.relation, r.object) for r in spec.relations}
    assert (thing, "on", place) in rels, rels
    assert not any(r.relation == "on" and r.object == place and r.subject not in (thing,) for r in spec.relations)


def test_the_dog_runs_after_the_thrown_frisbee_once_it_is_thrown():
    spec, _ = direct("A girl throws a frisbee and her dog catches it")
    chase = next(a for a in spec.actions if a.actor == "dog")
    assert chase.verb == "chase" and chase.target == "frisbee" and chase.after == "a1"
    scene = build("A girl throws a frisbee and her dog catches it", seed=0, gaussians="none")
    tl = simulate(scene)
    dog, disc = tl.world_position("dog_1"), tl.world_position("frisbee_1")
    assert np.linalg.norm(dog[-1] - dog[0]) > 3.0  # it runs
    assert np.linalg.norm((dog[-1] - disc[-1])[[0, 2]]) < np.linalg.norm((dog[0] - disc[-1])[[0, 2]]) - 3.0  # to the disc


@pytest.mark.parametrize("prompt, who, colour", [
    ("A woman in a red coat walks to the car", "woman_1", "red"),
    ("A man wearing a blue shirt stands by the door", "man_1", "blue"),
    ("A boy in a green jacket and a girl in a yellow dress play in the park", "girl_1", "yellow"),
])
def test_clothes_a_person_is_in_colour_the_person_and_are_not_built_beside_them(prompt, who, colour):
    scene = build(prompt, seed=0, gaussians="none")
    ids = [e.id for e in scene.entities("object")]
    assert not any(i.split("_")[0] in ("coat", "shirt", "jacket", "dress") for i in ids), ids
    assert colour in scene.material_of(who).name


def test_a_coat_on_a_hook_is_still_a_coat():
    ids = [e.id for e in build("A coat hangs on the hook", seed=0, gaussians="none").entities("object")]
    assert "coat_1" in ids


@pytest.mark.parametrize("prompt, actor, ref", [
    ("A woman pushes a stroller through the park while her husband walks behind her", "husband", "woman"),
    ("A girl and a boy play, then the boy chases her", "boy", "girl"),
    ("A man walks his dog and the dog follows him", "dog", "man"),
])
def test_him_and_her_name_a_man_and_a_woman(prompt, actor, ref):
    spec, _ = direct(prompt)
    acts = [a for a in spec.actions if a.actor == actor]
    assert any(ref in (a.target, a.relative_to) for a in acts), acts


@pytest.mark.parametrize("prompt, vehicle", [("The bus pulls away from the bus stop", "bus"),
                                             ("The train pulls out of the station", "train"), ("A taxi pulls off", "taxi")])
def test_pulling_away_is_driving_off(prompt, vehicle):
    spec, _ = direct(prompt)
    assert [a.verb for a in spec.actions if a.actor == vehicle] == ["drive"]


@pytest.mark.parametrize("prompt, rel", [
    ("A chef cuts vegetables on the counter", ("vegetable", "on", "counter")),
    ("A man works on the desk", ("man", "near", "desk")),
    ("A woman sits on the bench", ("woman", "on", "bench")),
    ("A cat sits on the table", ("cat", "on", "table")),
])
def test_a_person_works_at_a_counter_and_sits_on_a_bench(prompt, rel):
    spec, _ = direct(prompt)
    assert rel in {(r.subject, r.relation, r.object) for r in spec.relations}


@pytest.mark.parametrize("prompt, n, formation", [
    ("A couple walks hand in hand along the beach", 2, "side_by_side"),
    ("The family eats dinner in the dining room", 4, None),
])
def test_a_couple_and_a_family_are_people(prompt, n, formation):
    spec, warnings = direct(prompt)
    people = [e for e in spec.entities if e.cls == "person"]
    assert len(people) == 1 and people[0].count == n
    assert formation is None or people[0].formation == formation
    assert not any("family" in w or "couple" in w for w in warnings)
