"""SceneSpec: the structured plan a director produces from a prompt.

A director (the offline rules parser, a local model, an OpenAI-compatible
server) turns text into a :class:`SceneSpec`; :func:`scenegraph.world.builder.build_scene`
turns the spec into a :class:`~scenegraph.model.Scene`.  Every model forbids
extra keys, so a model reply with stray fields is refused; enums are
``Literal`` and nothing is recursive, so the JSON Schema suits constrained
decoding.

>>> spec = SceneSpec.model_validate_json(
...     '{"entities": [{"id": "car", "class": "car", "color": "red"}],'
...     ' "actions": [{"actor": "car", "verb": "drive", "direction": "left_to_right"}]}')
>>> spec.entities[0].cls, spec.actions[0].verb
('car', 'drive')

Entity references (``subject``, ``object``, ``actor``, ``target``, places)
name an entity by its ``id``, else its ``name``, else its ``class`` when only
one entity has it.  An entity with ``count`` > 1 is a group: a reference to it
means every member.

Places (``from`` / ``to`` / ``via``) are an entity reference or one of
:data:`PLACES` (camera-relative: ``left`` is the left of the image).
"""
from __future__ import annotations

import copy
import math
from typing import Any

from scenegraph.errors import SpecError
from scenegraph.model import spec_fields as _F
from scenegraph.model.spec_rules import (DIRECTIONS, FORMATIONS, PLACES, RELATIONS, SIZES, VERBS, check_references,
                                         resolve)

__all__ = [
    "VERBS",
    "RELATIONS",
    "FORMATIONS",
    "PLACES",
    "DIRECTIONS",
    "SIZES",
    "EntitySpec",
    "RelationSpec",
    "ActionSpec",
    "ShotSpec",
    "LightSpec",
    "EnvironmentSpec",
    "SceneSpec",
    "SYSTEM_PROMPT",
    "parse_spec_json",
]


class _Refused(Exception):
    """The light check cannot vouch for a value: pydantic decides (and names the problem)."""


def _schema(name: str) -> Any:
    from scenegraph.model import spec_schema

    return getattr(spec_schema, name)


class _Spec:
    """What the spec classes share: pydantic's ``model_*`` API over plain attributes.

    ``model_validate`` checks the common case itself (the exact types, words and bounds
    :mod:`scenegraph.model.spec_schema` declares, as the rules director writes them) and hands any
    other input to the pydantic twin, which coerces it as pydantic does or raises its
    ``ValidationError``; the JSON Schema and JSON text come from the twin as well.
    """

    _FIELDS: tuple = ()
    _KEYS: dict = {}

    def __init_subclass__(cls) -> None:
        cls._FIELDS = _F.FIELDS[cls.__name__]
        cls._KEYS = {}
        for row in cls._FIELDS:
            cls._KEYS[row[1] or row[0]] = row
            cls._KEYS.setdefault(row[0], row)
        cls.__doc__ = _F.DOCS[cls.__name__]

    def __init__(self, **data: Any) -> None:
        self.__dict__.update(type(self).model_validate(data).__dict__)

    # -- validation ------------------------------------------------------
    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Any:
        if not options:
            try:
                return cls._checked(obj)
            except _Refused:
                pass
        return _light(_schema(cls.__name__).model_validate(_plain(obj), **options))

    @classmethod
    def model_validate_json(cls, data: Any, **options: Any) -> Any:
        return _light(_schema(cls.__name__).model_validate_json(data, **options))

    @classmethod
    def model_construct(spec_cls, **values: Any) -> Any:  # noqa: N805 - 'cls' may be a field's name
        out = object.__new__(spec_cls)
        for name, alias, _kind, _opt, _choices, default, _b in spec_cls._FIELDS:
            out.__dict__[name] = values[alias] if alias in values else values[name] if name in values else _default(default)
        return out

    @classmethod
    def _checked(cls, obj: Any) -> Any:
        if type(obj) is cls:
            return obj
        if type(obj) is not dict:
            raise _Refused
        keys = cls._KEYS
        values: dict = {}
        for key, value in obj.items():
            row = keys.get(key)
            if row is None or row[0] in values or (key == row[0] and row[1] is not None and row[1] in obj):
                raise _Refused  # extra key, or a field given twice
            values[row[0]] = _value(row, value)
        out = object.__new__(cls)
        d = out.__dict__
        for row in cls._FIELDS:
            name = row[0]
            if name in values:
                d[name] = values[name]
            elif row[5] is None:
                raise _Refused  # required
            else:
                d[name] = _default(row[5])
        if cls.__name__ == "SceneSpec":
            try:
                check_references(out)
            except ValueError:
                raise _Refused from None
        return out

    # -- output ----------------------------------------------------------
    def model_dump(self, *, mode: str = "python", by_alias: bool = False, exclude_none: bool = False,
                   **options: Any) -> dict:
        if options or mode not in ("python", "json"):
            return self._twin().model_dump(mode=mode, by_alias=by_alias, exclude_none=exclude_none, **options)
        try:
            return _dump(self, mode == "json", by_alias, exclude_none)
        except _Refused:  # a non-finite float in JSON mode: pydantic's rule
            return self._twin().model_dump(mode=mode, by_alias=by_alias, exclude_none=exclude_none)

    def model_dump_json(self, **options: Any) -> str:
        return self._twin().model_dump_json(**options)

    @classmethod
    def model_json_schema(cls, *args: Any, **options: Any) -> dict:
        return _schema(cls.__name__).model_json_schema(*args, **options)

    def model_copy(self, *, update: dict | None = None, deep: bool = False) -> Any:
        out = object.__new__(type(self))
        out.__dict__.update(copy.deepcopy(self.__dict__) if deep else self.__dict__)
        if update:
            out.__dict__.update(update)
        return out

    def _twin(self) -> Any:
        """The pydantic model with these values (unchecked, as ``model_construct`` makes it)."""
        aliases = {row[0]: row[1] or row[0] for row in self._FIELDS}
        return _schema(type(self).__name__).model_construct(**{aliases.get(k, k): _twin_value(v) for k, v in self.__dict__.items()})

    # -- plain object ----------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr_args(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__repr_args()})"

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.__dict__.items())


def _default(default: tuple) -> Any:
    how, what = default
    if how == "value":
        return what
    return [] if what == "list" else _CLASSES[what]()


def _scalar(kind: str, value: Any, row: tuple) -> Any:
    t = type(value)
    if kind == "str":
        if t is not str or (row[4] and value not in row[4]):
            raise _Refused
    elif kind == "float":
        if t is int:
            value = float(value)
        elif t is not float or not math.isfinite(value):
            raise _Refused
    elif kind == "int":
        if t is not int:
            raise _Refused
    elif kind == "bool":
        if t is not bool:
            raise _Refused
    else:  # a model
        return _CLASSES[kind]._checked(value)
    return value


def _value(row: tuple, value: Any) -> Any:
    _name, _alias, kind, optional, _choices, _default, bounds = row
    if value is None:
        if not optional:
            raise _Refused
        return None
    if kind.startswith("list:"):
        if type(value) is not list:
            raise _Refused
        inner = kind[5:]
        value = [_scalar(inner, v, row) for v in value]
    else:
        value = _scalar(kind, value, row)
    for key, limit in bounds.items():
        if not _BOUND[key](value, limit):
            raise _Refused
    return value


_BOUND = {
    "ge": lambda v, b: v >= b,
    "gt": lambda v, b: v > b,
    "le": lambda v, b: v <= b,
    "lt": lambda v, b: v < b,
    "min_length": lambda v, b: len(v) >= b,
    "max_length": lambda v, b: len(v) <= b,
}


def _dump(spec: _Spec, json_mode: bool, by_alias: bool, exclude_none: bool) -> dict:
    out = {}
    for name, alias, *_ in spec._FIELDS:
        if name not in spec.__dict__:
            continue
        v = _dump_value(spec.__dict__[name], json_mode, by_alias, exclude_none)
        if v is None and exclude_none:
            continue
        out[alias if by_alias and alias else name] = v
    return out


def _dump_value(v: Any, json_mode: bool, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(v, _Spec):
        return _dump(v, json_mode, by_alias, exclude_none)
    if type(v) is list:
        return [_dump_value(x, json_mode, by_alias, exclude_none) for x in v]
    if json_mode and type(v) is float and not math.isfinite(v):
        raise _Refused
    if v is None or type(v) in (str, int, float, bool):
        return v
    raise _Refused


def _plain(obj: Any) -> Any:
    """``obj`` with light spec objects turned into dicts (for the pydantic twin)."""
    if isinstance(obj, _Spec):
        return {k: _plain(v) for k, v in obj.__dict__.items()}
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def _twin_value(v: Any) -> Any:
    if isinstance(v, _Spec):
        return v._twin()
    if type(v) is list:
        return [_twin_value(x) for x in v]
    return v


def _light(model: Any) -> Any:
    """The light spec object with a pydantic model's values."""
    if type(model).__name__ not in _CLASSES or not hasattr(type(model), "model_fields"):
        return model
    out = object.__new__(_CLASSES[type(model).__name__])
    for k, v in model.__dict__.items():
        out.__dict__[k] = [_light(x) for x in v] if type(v) is list else _light(v)
    return out


class EntitySpec(_Spec):
    pass


class RelationSpec(_Spec):
    pass


class ActionSpec(_Spec):
    pass


class ShotSpec(_Spec):
    pass


class LightSpec(_Spec):
    pass


class EnvironmentSpec(_Spec):
    pass


class SceneSpec(_Spec):
    def resolve(self, ref: str) -> int | None:
        """Index of the entity ``ref`` names (id, then name, then unique class), or None."""
        return resolve(self, ref)

    def is_place(self, ref: str) -> bool:
        return ref in PLACES


_CLASSES = {c.__name__: c for c in (EntitySpec, RelationSpec, ActionSpec, ShotSpec, LightSpec, EnvironmentSpec, SceneSpec)}


def parse_spec_json(text: str | bytes, *, source: str = "spec") -> SceneSpec:
    """Validate a JSON reply as a SceneSpec; raises SpecError naming each bad field."""
    from pydantic import ValidationError

    try:
        return SceneSpec.model_validate_json(text)
    except ValidationError as exc:
        raise SpecError(f"{source}: not a valid SceneSpec: {format_validation_error(exc)}") from None


def format_validation_error(exc: Any, limit: int = 8) -> str:
    """A compact one-line summary of a pydantic ValidationError (location: message)."""
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg', '')}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


SYSTEM_PROMPT = """\
You are the director of a 3D scene generator. Read the user's description of a
scene and reply with ONE JSON object that follows the given JSON Schema
(SceneSpec), nothing else.

- entities: EVERY thing the description names, also unusual ones, with
  "class" a lower-case singular English noun for its category (person, dog,
  car, fire truck, vending machine, ...), "word" the noun the description used
  when it differs ("kitten" for class "cat"), "count" for plurals (0 things:
  leave it out), "color" and "material" words, "size" (tiny, small, big, huge,
  tall, ...), "formation" for a group (row, line, column, circle, side_by_side,
  pairs), and a short unique "id" other parts refer to (e.g. "car", "man").
- relations: where things stand relative to each other, as seen by the camera:
  on, near, left_of, right_of, in_front_of (closer to the camera), behind,
  inside, facing, under, above, between (with "object2", or a group of two as
  "object"), far_from, around (a group standing round it, in formation circle).
- actions: who does what. verb is one of move, walk, drive, run, cross, pause,
  wait, turn, follow, throw, drop, roll, orbit, look_at, jump, climb, descend,
  fly, fall, land, take_off, sit, stand, lie, swim, ride, push, carry, chase,
  overtake, meet, approach, lead, pass, return, weave, circle, wave. The actor
  is the one who does it: in "a man riding a bicycle" the man rides (target:
  the bicycle). "from" / "to" / "via" are an entity id or a place: left,
  right, center, front, back, offscreen_left, offscreen_right, offscreen_back,
  offscreen_front, near_kerb, far_kerb, road, camera, water (the shore of
  the setting's lake, river or sea). direction is one of
  left, right, left_to_right, right_to_left, forward, backward,
  towards_camera, away_from_camera, into_scene, out_of_scene, across, around,
  up, down. "target" is the other actor of follow, chase, overtake, meet,
  approach, lead, pass, weave, circle, ride, push, carry, look_at, throw.
  "repeat" counts repetitions (twice = 2), "back_and_forth": true goes there
  and back, "returns": true comes back to the start. A place kept during a
  motion ("runs on the left of the car") is "relation" + "relative_to", not
  "to". "duration" in seconds for pauses, waits and "for N seconds". Timing:
  "start" in seconds, or "after" / "while" naming another action's "id"
  ("after the ball stops, the boy runs": the run is "after" the ball's
  action), or "then": true to start when the previous action ends;
  "until" names the action that ends this one ("a man walks until the car
  stops": the walk is "while" the car's drive and "until" its stop). An actor's
  actions run one after another by default; different actors start together.
- camera: shots (static, pan, tilt, track, follow, dolly, orbit,
  look_away_and_back, truck = sideways, crane = up/down) with a "target"
  entity id where one is named; "direction", "angle" (degrees), "pace"
  (slow/fast); "start" in seconds or "after" an action's "id" when the shot
  waits for it. "pans left, then back" is two pans (left, then right).
  Vantage and size words ("from above", "low angle", "close-up", "wide
  shot") are "elevation" / "framing" on a "static" shot when nothing moves
  the camera, else on its first shot.
- environment: setting (any word: street, kitchen, forest, beach, moon, ...),
  ground material, road (true for streets), sky, time_of_day, lights.
- duration: total seconds, only if the description says it.
Use only what the description says; do not invent objects.

Example. "A pedestrian crosses the street from left to right, pauses at the
kerb for two seconds, then continues while a red car turns into the scene" ->
{"entities": [{"id": "pedestrian", "class": "person", "word": "pedestrian", "count_guessed": true},
  {"id": "car", "class": "car", "color": "red", "count_guessed": true}],
 "actions": [{"id": "a1", "actor": "pedestrian", "verb": "cross", "to": "near_kerb", "direction": "left_to_right"},
  {"id": "a2", "actor": "pedestrian", "verb": "pause", "duration": 2.0},
  {"id": "a3", "actor": "pedestrian", "verb": "cross", "direction": "left_to_right", "then": true},
  {"id": "a4", "actor": "car", "verb": "turn", "direction": "into_scene", "while": "a3"}],
 "environment": {"setting": "street", "road": true}}

Example. "Six orange cones stand in a row and a motorbike weaves between them
twice, then a man riding a bicycle overtakes it" ->
{"entities": [{"id": "cone", "class": "cone", "count": 6, "color": "orange", "formation": "row"},
  {"id": "motorbike", "class": "motorbike"}, {"id": "man", "class": "man"}, {"id": "bicycle", "class": "bicycle"}],
 "actions": [{"id": "a1", "actor": "motorbike", "verb": "weave", "target": "cone", "direction": "left_to_right", "repeat": 2},
  {"id": "a2", "actor": "man", "verb": "ride", "target": "bicycle", "after": "a1"},
  {"id": "a3", "actor": "bicycle", "verb": "overtake", "target": "motorbike", "while": "a2"}]}

Example. "In the kitchen, a kitten sits under the table; after the ball stops
rolling, it runs to the left of the sofa and comes back" ->
{"entities": [{"id": "kitten", "class": "cat", "word": "kitten"}, {"id": "table", "class": "table"},
  {"id": "ball", "class": "ball"}, {"id": "sofa", "class": "sofa"}],
 "relations": [{"subject": "kitten", "relation": "under", "object": "table"}],
 "actions": [{"id": "a1", "actor": "ball", "verb": "roll"},
  {"id": "a2", "actor": "kitten", "verb": "run", "relation": "left_of", "relative_to": "sofa", "returns": true, "after": "a1"}],
 "environment": {"setting": "kitchen"}}
"""
