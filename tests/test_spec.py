"""SceneSpec: the schema a director's reply must satisfy."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from scenegraph.errors import SpecError
from scenegraph.model.spec import SYSTEM_PROMPT, VERBS, SceneSpec, parse_spec_json

GOOD = {
    "entities": [{"id": "car", "class": "car", "color": "red"}, {"id": "man", "class": "person"}],
    "relations": [{"subject": "man", "relation": "left_of", "object": "car"}],
    "actions": [
        {"id": "go", "actor": "car", "verb": "drive", "from": "left", "to": "right"},
        {"actor": "man", "verb": "wait", "duration": 2, "while": "go"},
    ],
    "camera": [{"type": "track", "target": "car"}],
    "environment": {"road": True, "time_of_day": "night"},
}


def test_valid_spec_reads_aliases_and_round_trips():
    spec = SceneSpec.model_validate(GOOD)
    assert spec.entities[0].cls == "car" and spec.actions[0].from_ == "left" and spec.actions[1].while_ == "go"
    again = SceneSpec.model_validate_json(spec.model_dump_json(by_alias=True))
    assert again == spec


def test_stray_keys_are_refused_at_every_level():
    for path in (["wheels"], ["entities", 0, "wheels"], ["actions", 0, "wheels"], ["environment", "wheels"]):
        data = json.loads(json.dumps(GOOD))
        target = data
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = 4
        with pytest.raises(ValidationError, match="wheels"):
            SceneSpec.model_validate(data)


def test_unknown_verb_and_relation_are_refused():
    data = json.loads(json.dumps(GOOD))
    data["actions"][0]["verb"] = "teleport"
    with pytest.raises(ValidationError, match="verb"):
        SceneSpec.model_validate(data)
    data = json.loads(json.dumps(GOOD))
    data["relations"][0]["relation"] = "hovering_over"
    with pytest.raises(ValidationError, match="relation"):
        SceneSpec.model_validate(data)


def test_references_must_name_entities_places_or_earlier_actions():
    data = json.loads(json.dumps(GOOD))
    data["actions"][0]["actor"] = "bus"
    data["actions"][0]["to"] = "narnia"
    data["actions"][1]["while"] = "nothing"
    with pytest.raises(ValidationError) as info:
        SceneSpec.model_validate(data)
    text = str(info.value)
    assert "'bus' names no entity" in text and "'narnia'" in text and "no action has id 'nothing'" in text


def test_parse_spec_json_raises_spec_error_naming_the_field():
    with pytest.raises(SpecError, match=r"entities\.0\.count"):
        parse_spec_json('{"entities": [{"class": "car", "count": 0}]}', source="model reply")
    with pytest.raises(SpecError, match="model reply"):
        parse_spec_json("{not json", source="model reply")


def test_schema_is_flat_enough_for_constrained_decoding():
    schema = SceneSpec.model_json_schema()
    text = json.dumps(schema)
    for name, sub in schema["$defs"].items():  # no definition refers to itself or to the root
        assert f'"#/$defs/{name}"' not in json.dumps(sub), name
    assert "#\"" not in text and '"$ref": "#"' not in text
    verb_enum = schema["$defs"]["ActionSpec"]["properties"]["verb"]["enum"]
    assert set(verb_enum) == set(VERBS)
    assert schema["additionalProperties"] is False
    assert all(d.get("additionalProperties") is False for d in schema["$defs"].values())


def test_schema_command_prints_the_schema(capsys):
    from scenegraph.cli import main

    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == SceneSpec.model_json_schema()


def test_system_prompt_names_every_verb():
    for verb in VERBS:
        assert verb in SYSTEM_PROMPT


def test_system_prompt_example_is_a_valid_spec_the_rules_director_agrees_with():
    from scenegraph.director import direct

    start = SYSTEM_PROMPT.index("{", SYSTEM_PROMPT.index('" ->'))
    text = SYSTEM_PROMPT[start:SYSTEM_PROMPT.index("\n\n", start)]
    example = parse_spec_json(text, source="SYSTEM_PROMPT example")
    prompt = " ".join(SYSTEM_PROMPT[SYSTEM_PROMPT.index('Example. "') + 10:SYSTEM_PROMPT.index('" ->')].split())
    no_source = {"entities": {"__all__": {"source"}}}  # the rules director also says which words each came from
    assert direct(prompt)[0].model_dump(exclude=no_source) == example.model_dump(exclude=no_source)


def test_a_class_shared_by_two_entities_is_an_ambiguous_reference():
    data = {"entities": [{"class": "car"}, {"class": "car", "color": "red"}],
            "actions": [{"actor": "car", "verb": "drive"}]}
    with pytest.raises(ValidationError, match="'car' is ambiguous"):
        SceneSpec.model_validate(data)


def test_extended_fields_validate_and_the_system_prompt_examples_are_valid_specs():
    import re

    data = json.loads(json.dumps(GOOD))
    data["entities"].append({"id": "cones", "class": "cone", "count": 5, "formation": "row", "word": "pylon"})
    data["relations"].append({"subject": "man", "relation": "between", "object": "cones"})
    data["actions"].append({"actor": "man", "verb": "weave", "target": "cones", "repeat": 2, "back_and_forth": True,
                            "returns": True, "relation": "left_of", "relative_to": "car"})
    data["environment"]["setting"] = "savannah"
    spec = SceneSpec.model_validate(data)
    assert spec.entities[-1].formation == "row" and spec.actions[-1].repeat == 2
    assert spec.environment.setting == "savannah"
    for bad in ({"repeat": 21}, {"repeat": 0}, {"relative_to": "nobody"}):
        broken = json.loads(json.dumps(data))
        broken["actions"][-1].update(bad)
        with pytest.raises(ValidationError):
            SceneSpec.model_validate(broken)
    broken = json.loads(json.dumps(data))
    broken["entities"][-1]["formation"] = "pyramid"
    with pytest.raises(ValidationError, match="formation"):
        SceneSpec.model_validate(broken)
    examples = re.findall(r"-> *\n(\{.*?\n)(?:\n|$)", SYSTEM_PROMPT, re.S)
    assert len(examples) == 3
    for ex in examples:
        SceneSpec.model_validate_json(ex)
