"""Bounds every reader and director checks before it allocates: one place, one number each.

A hostile or damaged input (a file, a server's reply) must end in a typed error in bounded time
and memory, never a ``RecursionError``, ``MemoryError`` or a hang.  The numbers are generous for
real scenes and small next to the memory their breach would take.  A few can be raised from the
environment for unusual workloads (named below); the rest are fixed.

>>> json_loads_bounded('{"a": [1, 2]}', "x.json")
{'a': [1, 2]}
>>> try:
...     json_loads_bounded("[" * 100_000 + "]" * 100_000, "deep.json")
... except ValueError as exc:
...     print(exc)
deep.json: invalid JSON (nested more than 64 levels deep)
"""
from __future__ import annotations

import json
import os
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_SCENE_ENTITIES",
    "MAX_SCENE_NODES",
    "MAX_JSON_CONTAINERS",
    "MAX_SPEC_ENTITIES",
    "MAX_SPEC_INSTANCES",
    "MAX_SPEC_RELATIONS",
    "MAX_SPEC_ACTIONS",
    "MAX_SPEC_SHOTS",
    "MAX_SPEC_LIGHTS",
    "MAX_SPEC_DURATION",
    "MAX_FRAMES",
    "check_scene_length",
    "MAX_REPLY_BYTES",
    "env_number",
    "json_depth",
    "json_loads_bounded",
    "count_containers",
]


def env_number(name: str, default: float) -> float:
    """A positive number from the environment variable ``name``, else ``default``."""
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        return default
    return value if value > 0 else default


#: JSON nesting no scenegraph format needs more of (scene.json uses 5, a glTF about 8)
MAX_JSON_DEPTH = 64
#: entities (and materials, trajectories: each kind separately) one scene file may declare
MAX_SCENE_ENTITIES = int(env_number("SCENEGRAPH_MAX_ENTITIES", 100_000))
#: relations one scene file may declare
MAX_SCENE_NODES = 4 * MAX_SCENE_ENTITIES
#: JSON objects + arrays a scene file may hold before parsing (each costs ~100-300 bytes parsed)
MAX_JSON_CONTAINERS = 40 * MAX_SCENE_ENTITIES

# What a director may ask the world to build (SceneSpec): the world lays out, animates and
# exports these in seconds; past them a build would run for minutes and gigabytes.
MAX_SPEC_ENTITIES = 64  #: entries in SceneSpec.entities
MAX_SPEC_INSTANCES = 500  #: sum of the entities' counts
MAX_SPEC_RELATIONS = 256
MAX_SPEC_ACTIONS = 256
MAX_SPEC_SHOTS = 32
MAX_SPEC_LIGHTS = 16
MAX_SPEC_DURATION = 600.0  #: seconds of animation (start, delay, duration of any action or shot, the scene)
MAX_FRAMES = 36_001  #: frames of one scene (600 s at 60 fps)
#: bytes of one reply a model server may send
MAX_REPLY_BYTES = 4 << 20


def check_scene_length(duration: float, fps: float) -> str | None:
    """What is wrong with a scene of ``duration`` seconds at ``fps`` (None when the world can build it)."""
    if duration > MAX_SPEC_DURATION:
        return f"the scene would last {duration:g} s, more than {MAX_SPEC_DURATION:g} s"
    if duration * fps + 1 > MAX_FRAMES:
        return f"{duration:g} s at {fps:g} fps is {int(duration * fps) + 1} frames, more than {MAX_FRAMES}"
    return None


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Nesting depth of a parsed JSON value (0 for a scalar), counted without recursion;
    stops counting at ``limit + 1``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            items = v.values()
        elif isinstance(v, list):
            items = v
        else:
            continue
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        stack.extend((x, d + 1) for x in items if isinstance(x, (dict, list)))
    return deepest


def count_containers(raw: bytes | str) -> int:
    """An upper bound on the JSON objects and arrays ``raw`` holds (``{`` and ``[`` anywhere, strings too)."""
    if isinstance(raw, str):
        return raw.count("{") + raw.count("[")
    return raw.count(b"{") + raw.count(b"[")


def json_loads_bounded(text: str | bytes, where: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises ValueError naming ``where`` for invalid text and for nesting deeper
    than ``max_depth`` (also when the decoder itself would exceed Python's recursion limit)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"{where}: invalid JSON (nested more than {max_depth} levels deep)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}: the JSON is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if json_depth(value, max_depth) > max_depth:
        raise ValueError(f"{where}: invalid JSON (nested more than {max_depth} levels deep)")
    return value
