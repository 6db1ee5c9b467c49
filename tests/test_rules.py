"""The rules director: English -> SceneSpec, deterministic and honest about what it skipped."""
from __future__ import annotations

import pytest

from scenegraph.director import direct
from scenegraph.errors import LayoutError, SpecError

EXAMPLE = ("A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, "
           "then continues while a red car turns into the scene")


def rels(spec):
    return {(r.subject, r.relation, r.object) for r in spec.relations}


def test_example_prompt_gives_the_planned_actions():
    spec, warnings = direct(EXAMPLE)
    assert warnings == []
    assert [(e.cls, e.color) for e in spec.entities] == [("person", None), ("car", "red")]
    verbs = [(a.actor, a.verb, a.direction) for a in spec.actions]
    assert verbs == [("pedestrian", "cross", "left_to_right"), ("pedestrian", "pause", None),
                     ("pedestrian", "cross", "left_to_right"), ("car", "turn", "into_scene")]
    assert spec.actions[0].to == "near_kerb"  # the pause happens at the kerb, before the road
    assert spec.actions[1].duration == 2.0
    assert spec.actions[3].while_ == spec.actions[2].id
    assert spec.environment.road


@pytest.mark.parametrize("prompt, cls, count", [
    ("three cars wait", "car", 3), ("a pair of dogs", "dog", 2), ("two benches in the park", "bench", 2),
    ("several people walk", "person", 3), ("5 bottles on a table", "bottle", 5), ("a single lamp post", "lamp post", 1),
])
def test_counts_and_plurals(prompt, cls, count):
    spec, _ = direct(prompt)
    assert (spec.entities[0].cls, spec.entities[0].count) == (cls, count)


def test_colours_sizes_and_materials():
    spec, _ = direct("a big dark blue van next to a small wooden box and a metal bench")
    van, box, bench = spec.entities
    assert (van.cls, van.color, van.size) == ("van", "dark blue", "big")
    assert (box.cls, box.size, box.material) == ("box", "small", "wood")
    assert (bench.cls, bench.material) == ("bench", "metal")


def test_colour_words_that_are_also_nouns():
    spec, _ = direct("an orange cat sits next to an orange")
    assert [(e.cls, e.color) for e in spec.entities] == [("cat", "orange"), ("orange", None)]


@pytest.mark.parametrize("prompt, expected", [
    ("a mug on the table", ("mug", "on", "table")),
    ("a ball left of the bench", ("ball", "left_of", "bench")),
    ("a dog to the right of the house", ("dog", "right_of", "house")),
    ("a tree behind the house", ("tree", "behind", "house")),
    ("a car in front of the house", ("car", "in_front_of", "house")),
    ("a cat next to the sofa", ("cat", "near", "sofa")),
    ("a toy inside the box", ("toy", "inside", "box")),
])
def test_spatial_relations(prompt, expected):
    spec, _ = direct(prompt)
    assert rels(spec) == {expected}


def test_chained_support_relations():
    spec, _ = direct("a white mug on a book on a wooden table")
    assert rels(spec) == {("mug", "on", "book"), ("book", "on", "table")}


@pytest.mark.parametrize("prompt, field, value", [
    ("a woman walks towards the camera", "direction", "towards_camera"),
    ("a man walks away from the camera", "direction", "away_from_camera"),
    ("a bus drives into the scene", "direction", "into_scene"),
    ("a cat runs out of the scene", "direction", "out_of_scene"),
    ("a car drives from right to left", "direction", "right_to_left"),
    ("a dog walks to the tree", "to", "tree"),
    ("a woman walks past the statue", "via", "statue"),
    ("a car drives at 50 km/h from left to right", "speed", pytest.approx(50 / 3.6)),
    ("a car drives at 20 mph", "speed", pytest.approx(20 * 0.44704)),
    ("a robot rolls forward for 3 metres", "distance", 3.0),
    ("a woman waits for 2.5 seconds", "duration", 2.5),
    ("a dog runs slowly to the tree", "pace", "slow"),
])
def test_action_fields(prompt, field, value):
    spec, _ = direct(prompt)
    assert getattr(spec.actions[0], field) == value


def test_around_names_the_target():
    spec, _ = direct("a dog runs around the tree")
    a = spec.actions[0]
    assert (a.actor, a.verb, a.direction, a.target) == ("dog", "run", "around", "tree")


def test_sequencing_then_while_and_times():
    spec, _ = direct("A man walks to the bench, then waits for 3 seconds. After 2 seconds a dog runs to the tree "
                     "while a cat walks to the left. At 6 seconds a ball drops.")
    walk, wait, run, cat, drop = spec.actions
    assert wait.then and wait.duration == 3.0
    assert run.start == 2.0 and cat.while_ == run.id
    assert drop.start == 6.0 and drop.verb == "drop"


def test_leading_while_links_the_two_clauses():
    spec, _ = direct("While a car drives from left to right, a man waits")
    car, man = spec.actions
    assert man.while_ == car.id


def test_pronouns_and_relative_clauses_keep_the_actor():
    spec, _ = direct("A black dog follows a man who walks to the bench. Then he sits.")
    follow, walk, sit = spec.actions
    assert (follow.actor, follow.verb, follow.target) == ("dog", "follow", "man")
    assert (walk.actor, walk.to) == ("man", "bench")
    assert (sit.actor, sit.verb, sit.then) == ("man", "sit", True)  # he acted before: sitting is a step


@pytest.mark.parametrize("prompt, shot", [
    ("the camera pans left", {"type": "pan", "direction": "left"}),
    ("the camera tilts up", {"type": "tilt", "direction": "up"}),
    ("a car drives away while the camera tracks the car", {"type": "track", "target": "car"}),
    ("the camera orbits around the statue", {"type": "orbit", "target": "statue"}),
    ("the camera dollies in on a vase", {"type": "dolly", "direction": "in", "target": "vase"}),
    ("a man walks, then the camera looks away and back", {"type": "look_away_and_back"}),
])
def test_camera_moves(prompt, shot):
    if "camera pans" in prompt or "tilts" in prompt:
        prompt = "a man stands in the park while " + prompt
    spec, _ = direct(prompt)
    got = spec.camera[0].model_dump(exclude_none=True)
    assert {k: got.get(k) for k in shot} == shot


def test_unknown_words_are_listed_in_one_warning():
    spec, warnings = direct("a red car drives past the flibbertigibbet near a quuxly bench, zzkrt")
    assert [e.cls for e in spec.entities] == ["car", "flibbertigibbet", "bench"]  # an unknown noun is a stand-in
    unknown = [w for w in warnings if "not understood" in w]
    assert len(unknown) == 1 and "zzkrt" in unknown[0] and "quuxly" not in unknown[0] and "flibber" not in unknown[0]


def test_stop_words_are_not_reported():
    _, warnings = direct("there is a cat and it is on the sofa in the room")
    assert warnings == []


@pytest.mark.parametrize("prompt", ["", "   ", "xyzzy plugh", "the of and to"])
def test_empty_or_nonsense_prompt_is_refused(prompt):
    with pytest.raises(SpecError) as info:
        direct(prompt)
    assert any(m in str(info.value) for m in ("empty", "names nothing", "not read as English", "no words"))
    if prompt == "xyzzy plugh":
        assert "xyzzy" in str(info.value) and "plugh" in str(info.value)


def test_contradictory_relations_raise_layout_error_naming_them():
    import scenegraph

    with pytest.raises(LayoutError) as info:
        scenegraph.build("a ball left of a box and right of the box", gaussians="none")
    assert "left_of" in str(info.value) and "right_of" in str(info.value)


def test_unknown_director_is_named():
    with pytest.raises(SpecError, match="'magic:thing'"):
        direct("a car", director="magic:thing")


def test_same_prompt_same_spec():
    a, _ = direct(EXAMPLE)
    b, _ = direct(EXAMPLE)
    assert a.model_dump_json() == b.model_dump_json()


def test_in_means_inside_only_when_it_fits():
    assert rels(direct("a toy in the box")[0]) == {("toy", "inside", "box")}
    assert rels(direct("a man in the car")[0]) == {("man", "near", "car")}


def test_with_makes_a_companion_that_follows():
    spec, _ = direct("a man with a dog walks from left to right")
    walk, follow = spec.actions
    assert (walk.actor, walk.verb) == ("man", "walk")
    assert (follow.actor, follow.verb, follow.target) == ("dog", "follow", "man")


def test_under_is_kept_and_built_below_the_table_top():
    from scenegraph.world.builder import build_scene

    spec, warnings = direct("a cat under the table")
    assert rels(spec) == {("cat", "under", "table")} and warnings == []
    scene = build_scene(spec)
    cat, table = (scene.entity(e).transform.translation for e in ("cat_1", "table_1"))
    assert cat[1] == pytest.approx(0.0) and abs(cat[0] - table[0]) < 0.8 and abs(cat[2] - table[2]) < 0.45


def test_random_word_salad_gives_a_scene_or_a_clear_error():
    import random

    from scenegraph.model import catalog
    from scenegraph.world.builder import build_scene
    from scenegraph.director import rules_lexicon as lex
    from scenegraph.errors import SceneGraphError

    words = sorted(lex.VERB_FORMS)[::3] + sorted(catalog.CATALOG) + sorted(lex.STOP_WORDS)[::4] + [
        "red", "big", "left", "right", "then", "while", "after", "2", "seconds", "three", "camera", "pans", "in",
        "street", "kerb", "from", "to", "around", "into", "scene", "on", "behind", "front", "of", "with", "it"]
    rng = random.Random(0)
    outcomes = {"built": 0, "refused": 0}
    for _ in range(250):
        prompt = " ".join(rng.choice(words) for _ in range(rng.randint(1, 16)))
        try:
            spec, _ = direct(prompt)
            build_scene(spec, prompt=prompt)
            outcomes["built"] += 1
        except SceneGraphError as exc:
            assert str(exc), prompt
            outcomes["refused"] += 1
    assert outcomes["built"] > 50  # most salads that name a thing still build


def test_sides_of_the_picture_become_relations():
    spec, _ = direct("a bench on the left, a tree in the middle and a lamp post on the right")
    assert rels(spec) >= {("bench", "left_of", "tree"), ("tree", "left_of", "lamp_post")}
    spec, _ = direct("a dog on the right of the picture and a cat")
    assert ("dog", "right_of", "cat") in rels(spec)
    _, warnings = direct("a cat on the left")
    assert any("nothing else to be left of" in w for w in warnings)


def test_across_crosses_a_street_and_otherwise_goes_left_to_right():
    spec, _ = direct("a man walks across the street")
    assert (spec.actions[0].verb, spec.actions[0].direction, spec.environment.road) == ("cross", None, True)
    spec, _ = direct("a dog runs across the field")
    assert (spec.actions[0].verb, spec.actions[0].direction) == ("run", "across")
    spec, _ = direct("a ball rolls from left to right across the floor")
    assert spec.actions[0].direction == "left_to_right"


def test_facing_is_a_pose():
    for prompt in ("a chair facing the tv", "a chair faces the tv"):
        spec, _ = direct(prompt)
        assert rels(spec) == {("chair", "facing", "tv")} and spec.actions == []


def test_words_that_are_never_verbs_are_answered_without_the_dictionary(monkeypatch):
    """Numbers, commas and closed-class words reach the verb guess where a verb could stand; they are no verb
    form in lemminflect's dictionary, so they must not cost its load (a quarter of a second) to find that out."""
    lemminflect = pytest.importorskip("lemminflect")
    from scenegraph.director import rules_lexicon as lex

    for w in sorted(lex.NEVER_VERBS):
        assert "VERB" not in lemminflect.getAllLemmas(w), w  # the shortcut answers as the dictionary would
    asked = []
    real = lex._verb_lemma
    monkeypatch.setattr(lex, "_verb_lemma", lambda w: asked.append(w) or real(w))
    spec, _ = direct("a market square with 25 people, 25 benches, 25 lamps and 25 cars", director="rules")
    assert [(e.cls, e.count) for e in spec.entities] == [("person", 25), ("bench", 25), ("lamp", 25), ("car", 25)]
    direct("A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, then continues "
           "while a red car turns into the scene", director="rules")
    assert asked == []
    assert lex.verb_lemma("plows") == "plow" and asked == ["plows"]  # a real verb form still asks
