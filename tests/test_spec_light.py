"""The light SceneSpec classes (no pydantic on a build's path) against their pydantic twins."""
from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from scenegraph.model import spec as light
from scenegraph.model import spec_schema as twin

ROOT = Path(__file__).resolve().parents[1]

GOOD = {
    "entities": [{"id": "car", "class": "car", "color": "red", "count": 2, "position": [1, 0, 2.5],
                  "attributes": ["old"], "formation": "row", "count_guessed": True},
                 {"id": "man", "cls": "person", "size": "tall", "word": "man"}],
    "relations": [{"subject": "man", "relation": "left_of", "object": "car"}],
    "actions": [
        {"id": "go", "actor": "car", "verb": "drive", "from": "left", "to": "right", "speed": 5, "pace": "fast"},
        {"actor": "man", "verb": "wait", "duration": 2.5, "while": "go", "repeat": 2, "delay": 0},
    ],
    "camera": [{"type": "track", "target": "car", "elevation": -10, "framing": "wide"}],
    "environment": {"road": True, "time_of_day": "night", "setting": "street",
                    "lights": [{"type": "spot", "intensity": 300, "near": "car"}]},
    "duration": 12,
}


def _variants() -> list:
    """GOOD, and GOOD with one thing changed: each change one that pydantic coerces, refuses or accepts."""
    out = [GOOD, {}, {"entities": []}]
    edits = [
        ("entities", 0, "count", True), ("entities", 0, "count", "3"), ("entities", 0, "count", 0), ("entities", 0, "count", 2.0),
        ("entities", 0, "count", 501), ("entities", 0, "position", [1, 2]), ("entities", 0, "position", (1, 2, 3)),
        ("entities", 0, "position", [1, "2", 3]), ("entities", 0, "word", "x" * 41), ("entities", 0, "word", "x" * 40),
        ("entities", 0, "size", "enormous"), ("entities", 0, "color", 3), ("entities", 0, "attributes", ("a",)),
        ("entities", 0, "count_guessed", 1), ("entities", 0, "count_guessed", "yes"), ("entities", 0, "wheels", 4),
        ("entities", 1, "class", "dog"), ("entities", 1, "id", "car"), ("actions", 0, "speed", 0), ("actions", 0, "speed", 400),
        ("actions", 0, "speed", 400.5), ("actions", 0, "speed", float("nan")), ("actions", 0, "speed", float("inf")),
        ("actions", 0, "speed", "5"), ("actions", 0, "angle", float("inf")), ("actions", 0, "verb", "teleport"),
        ("actions", 0, "to", "narnia"), ("actions", 0, "from_", "left"), ("actions", 1, "while", "nothing"),
        ("actions", 1, "while", None), ("actions", 1, "repeat", 21), ("actions", 1, "delay", -1),
        ("actions", 0, "actor", None), ("camera", 0, "type", None), ("camera", 0, "elevation", 89.5),
        ("environment", "lights", 0, "intensity", -1), ("environment", "sky", "purple"), ("environment", "road", None),
        ("environment", "setting", "s" * 41), ("duration", 0), ("duration", 3600),
    ]
    for *path, value in edits:
        data = copy.deepcopy(GOOD)
        target = data
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value
        out.append(data)
    for key in ("entities", "actions", "camera", "environment"):
        data = copy.deepcopy(GOOD)
        data[key] = None
        out.append(data)
    out.append({**copy.deepcopy(GOOD), "entities": [{"class": "person", "count": 500}] * 2})
    return out


def _outcome(model: type, data: dict) -> tuple:
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        return "refused", str(exc).split("\n    For further")[0]
    return "ok", spec.model_dump(), spec.model_dump(mode="json", by_alias=True, exclude_none=True)


@pytest.mark.parametrize("k", range(len(_variants())))
def test_light_classes_accept_refuse_and_keep_values_as_pydantic_does(k):
    data = _variants()[k]
    got = _outcome(light.SceneSpec, copy.deepcopy(data))
    want = _outcome(twin.SceneSpec, copy.deepcopy(data))
    assert got == want
    if got[0] == "ok":
        assert json.dumps(got[2]) == json.dumps(want[2])  # the same types too (2 vs 2.0)


def test_the_field_table_is_written_from_the_pydantic_models():
    assert (ROOT / "scenegraph/model/spec_fields.py").read_text() == twin.fields_source(), \
        "regenerate: python -m scenegraph.model.spec_schema > scenegraph/model/spec_fields.py"


def test_schema_json_copy_equality_and_pickle():
    spec = light.SceneSpec.model_validate(GOOD)
    assert light.SceneSpec.model_json_schema() == twin.SceneSpec.model_json_schema()
    assert spec.model_dump_json(by_alias=True) == twin.SceneSpec.model_validate(GOOD).model_dump_json(by_alias=True)
    assert light.SceneSpec.model_validate_json(spec.model_dump_json(by_alias=True)) == spec
    moved = spec.actions[0].model_copy(update={"to": "left", "speed": 7.0})
    assert (moved.to, moved.speed, spec.actions[0].to) == ("left", 7.0, "right") and moved != spec.actions[0]
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert light.SceneSpec.model_validate({"entities": [spec.entities[0]]}).entities[0] is spec.entities[0]
    assert light.EntitySpec(cls="dog").cls == "dog" and light.EntitySpec.model_construct(cls="cat").cls == "cat"
    assert spec.resolve("man") == 1 and spec.is_place("left")
    with pytest.raises(ValidationError, match="class"):
        light.EntitySpec()


def test_a_rules_build_does_not_load_pydantic(tmp_path):
    code = ("import sys\nfrom scenegraph.cli import main\n"
            "assert main(['build', 'a red car drives to the bench', '-o', 'car.glb', '--quiet']) == 0\n"
            "print(sorted(m for m in ('pydantic', 'networkx', 'torch', 'pxr') if m in sys.modules))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
