"""The SceneSpec classes as pydantic models: the JSON Schema a model director is held to, and the
validation errors a bad spec gets.  :mod:`scenegraph.model.spec` holds the light classes every build
uses (no pydantic); they accept exactly what these accept and hand anything else to these.  Their
field table, :mod:`scenegraph.model.spec_fields`, is written from these models by
``python -m scenegraph.model.spec_schema > scenegraph/model/spec_fields.py`` (a test checks it).
"""
from __future__ import annotations

import pprint
from typing import Literal, Optional, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scenegraph.model import limits as _lim
from scenegraph.model.spec_rules import PLACES, Direction, Formation, Relation, Size, Verb, check_references, resolve

__all__ = ["EntitySpec", "RelationSpec", "ActionSpec", "ShotSpec", "LightSpec", "EnvironmentSpec", "SceneSpec",
           "MODELS", "fields_source"]

_STRICT = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class EntitySpec(BaseModel):
    """One object, or ``count`` alike objects, of a catalogue class."""

    model_config = _STRICT

    id: Optional[str] = Field(None, description="reference name used by relations and actions, e.g. 'car'")
    cls: str = Field(alias="class", description="a lower-case English noun: car, person, dog, table, ...")
    name: Optional[str] = Field(None, description="a human-readable name")
    word: Optional[str] = Field(None, max_length=40, description="the noun the prompt used, e.g. 'kitten' (class 'cat'): entity ids and names come from it")
    source: Optional[str] = Field(None, max_length=120, description="the words of the prompt it came from, e.g. 'two red cars'")
    count: int = Field(1, ge=1, le=_lim.MAX_SPEC_INSTANCES)
    color: Optional[str] = Field(None, description="colour words, e.g. 'red', 'dark blue'")
    material: Optional[str] = Field(None, description="material word: paint, metal, wood, glass, fabric, plastic, ...")
    size: Optional[Size] = None
    attributes: list[str] = Field(default_factory=list, description="other adjectives, e.g. 'parked', 'old'")
    position: Optional[list[float]] = Field(None, min_length=3, max_length=3, description="explicit x, y, z in metres")
    formation: Optional[Formation] = Field(None, description="how the members of a group (count > 1) stand: in a row (left to right), line / column (one behind the other), circle, side_by_side, pairs")
    count_guessed: bool = Field(False, description="true when the prompt gave no number ('parked cars', 'the children'; or 'the tree', one thing named with an article): count is a guess or one the prompt means, and a setting may add more of the kind")


class RelationSpec(BaseModel):
    """``subject`` stands ``relation`` ``object`` (left/right/front/behind as the camera sees them).

    ``between``: between ``object`` and ``object2`` (or between the first two members of a group ``object``).
    """

    model_config = _STRICT

    subject: str
    relation: Relation
    object: str
    object2: Optional[str] = Field(None, description="the second object of 'between'")


class ActionSpec(BaseModel):
    """A semantic action: who does what, where and when.

    Timing: ``start`` (seconds) if given; else after the end of action
    ``after``, or together with action ``while``; else ``then`` starts it when
    the previous action in the list ends; else it follows the actor's own
    previous action (or starts at 0).  ``delay`` seconds are added.  An
    event-relative start ("after the ball stops, the child runs") is ``after``
    the action whose end is the event; "before" is the same link the other way.
    ``until`` names an earlier action that ends this one: at its end, or at its
    start when it is a stop (pause / wait): "walks until the car stops".

    Repetition: ``repeat`` times ("twice", "three times"; an orbit or circle
    goes round that many times); ``back_and_forth`` goes to the destination
    and back (``repeat`` round trips); ``returns`` adds a trip back to where
    the action started ("... and comes back").  The verb ``return`` alone goes
    back to where the actor's previous action started.

    Relative actions name the other actor in ``target``: follow / chase (behind
    it), lead (ahead of it), overtake (from behind to ahead of it), meet
    (where the two come together), approach (up to it), pass (by it and on),
    weave (between the members of a group), circle (around it).  ride / push /
    carry move ``target`` with the actor (on it, in front of it, held).

    A relation during a motion ("runs on the left of the car") is ``relation``
    + ``relative_to``: the path keeps that side of the thing; it is not the
    destination (``to``).
    """

    model_config = _STRICT

    id: Optional[str] = Field(None, description="a name other actions can refer to in 'after' / 'while'")
    actor: str
    verb: Verb
    from_: Optional[str] = Field(None, alias="from", description="entity reference or place word")
    to: Optional[str] = Field(None, description="entity reference or place word")
    via: Optional[str] = Field(None, description="entity reference or place word")
    direction: Optional[Direction] = Field(None, description="'up' with an entity in 'to': onto it")
    target: Optional[str] = Field(None, description="entity followed, orbited, looked at or thrown")
    speed: Optional[float] = Field(None, gt=0, le=400, description="metres per second")
    pace: Literal["slow", "normal", "fast"] = "normal"
    distance: Optional[float] = Field(None, gt=0, le=10000, description="metres")
    angle: Optional[float] = Field(None, description="degrees, for turn / orbit")
    duration: Optional[float] = Field(None, gt=0, le=_lim.MAX_SPEC_DURATION, description="seconds")
    start: Optional[float] = Field(None, ge=0, le=_lim.MAX_SPEC_DURATION, description="start time in seconds")
    after: Optional[str] = Field(None, description="id of the action this one follows")
    while_: Optional[str] = Field(None, alias="while", description="id of the action this one runs with")
    until: Optional[str] = Field(None, description="id of an earlier action whose end ends this one (a stop or wait: its start): 'walks until the car stops'")
    then: bool = Field(False, description="starts when the previous action in the list ends")
    delay: float = Field(0.0, ge=0, le=_lim.MAX_SPEC_DURATION, description="seconds added to the start")
    repeat: int = Field(1, ge=1, le=20, description="how many times ('twice' = 2)")
    back_and_forth: bool = Field(False, description="to the destination and back again (each repeat)")
    returns: bool = Field(False, description="comes back to where the action started")
    relation: Optional[Relation] = Field(None, description="a placement kept during the motion, e.g. left_of (with relative_to)")
    relative_to: Optional[str] = Field(None, description="the entity the 'relation' is relative to (ignored without one)")


class ShotSpec(BaseModel):
    """A camera move; shots run one after another unless ``start`` (seconds) or ``after`` (an action id) is given."""

    model_config = _STRICT

    type: Literal["static", "pan", "tilt", "track", "follow", "dolly", "orbit", "look_away_and_back", "truck", "crane", "zoom"]
    target: Optional[str] = Field(None, description="entity the camera frames, tracks or orbits")
    direction: Optional[Literal["left", "right", "up", "down", "in", "out"]] = None
    angle: Optional[float] = Field(None, description="degrees, for pan / tilt / orbit")
    distance: Optional[float] = Field(None, gt=0, le=10000, description="metres, for dolly / track; for zoom the magnification (2 = twice as close)")
    start: Optional[float] = Field(None, ge=0, le=_lim.MAX_SPEC_DURATION)
    after: Optional[str] = Field(None, description="id of the action after whose end the shot starts")
    duration: Optional[float] = Field(None, gt=0, le=_lim.MAX_SPEC_DURATION)
    pace: Optional[Literal["slow", "fast"]] = Field(None, description="'slowly' doubles the move's default time, 'quickly' halves it")
    elevation: Optional[float] = Field(None, ge=-60, le=89, description="degrees the camera looks down at the subject ('from above' 75, 'high angle' 40, 'eye level' 5, 'low angle' -25)")
    framing: Optional[Literal["close", "medium", "wide"]] = Field(None, description="close-up, medium or wide shot")


class LightSpec(BaseModel):
    """An extra light; a sun is added by default."""

    model_config = _STRICT

    type: Literal["sun", "point", "spot"] = "point"
    color: Optional[str] = None
    intensity: Optional[float] = Field(None, ge=0, description="lux for sun, candela otherwise")
    near: Optional[str] = Field(None, description="entity the light hangs above")


class EnvironmentSpec(BaseModel):
    """Ground, road, sky, time of day and lights."""

    model_config = _STRICT

    setting: Optional[str] = Field(None, max_length=40, description="setting word: street, room, park, kitchen, forest, desert, moon, ... (scenegraph.world.setting.KITS lists the words with a kit)")
    ground: Optional[str] = Field(None, description="ground material word: grass, asphalt, sand, wood, tile, ...")
    road: bool = False
    sky: Optional[Literal["clear", "cloudy", "overcast", "sunset", "night"]] = None
    time_of_day: Optional[Literal["dawn", "morning", "noon", "afternoon", "evening", "dusk", "night"]] = None
    lights: list[LightSpec] = Field(default_factory=list, max_length=_lim.MAX_SPEC_LIGHTS)


class SceneSpec(BaseModel):
    """The whole plan: entities, relations, actions, camera shots, environment."""

    model_config = _STRICT

    entities: list[EntitySpec] = Field(default_factory=list, max_length=_lim.MAX_SPEC_ENTITIES)
    relations: list[RelationSpec] = Field(default_factory=list, max_length=_lim.MAX_SPEC_RELATIONS)
    actions: list[ActionSpec] = Field(default_factory=list, max_length=_lim.MAX_SPEC_ACTIONS)
    camera: list[ShotSpec] = Field(default_factory=list, max_length=_lim.MAX_SPEC_SHOTS)
    environment: EnvironmentSpec = Field(default_factory=EnvironmentSpec)
    duration: Optional[float] = Field(None, gt=0, le=_lim.MAX_SPEC_DURATION, description="total seconds; default: end of the last action + 1")

    def resolve(self, ref: str) -> int | None:
        """Index of the entity ``ref`` names (id, then name, then unique class), or None."""
        return resolve(self, ref)

    def is_place(self, ref: str) -> bool:
        return ref in PLACES

    @model_validator(mode="after")
    def _check_references(self) -> "SceneSpec":
        check_references(self)
        return self


MODELS = (EntitySpec, RelationSpec, ActionSpec, ShotSpec, LightSpec, EnvironmentSpec, SceneSpec)
_NAMES = {m: m.__name__ for m in MODELS}


def _kind(annotation: object) -> tuple[str, bool, tuple]:
    """(kind, optional, choices) of a field's annotation: kind is str, int, float, bool, a model's name,
    or list:<one of those>."""
    optional = False
    if get_origin(annotation) is not None and type(None) in get_args(annotation) and get_origin(annotation) is not Literal:
        rest = [a for a in get_args(annotation) if a is not type(None)]
        assert len(rest) == 1, annotation
        annotation, optional = rest[0], True
    if get_origin(annotation) is Literal:
        return "str", optional, tuple(get_args(annotation))
    if get_origin(annotation) is list:
        inner, _, choices = _kind(get_args(annotation)[0])
        assert not choices, annotation
        return f"list:{inner}", optional, ()
    if annotation in _NAMES:
        return _NAMES[annotation], optional, ()
    assert annotation in (str, int, float, bool), annotation
    return annotation.__name__, optional, ()


def _bounds(info: object) -> dict:
    out = {}
    for m in info.metadata:
        for key in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            if getattr(m, key, None) is not None:
                out[key] = getattr(m, key)
    return out


def fields_source() -> str:
    """The text of :mod:`scenegraph.model.spec_fields`: per model, its fields in order as
    (name, alias, kind, optional, choices, default, bounds); default is ("value", v), ("new", kind) for a
    fresh empty list or model, or None when required."""
    table, docs = {}, {}
    for m in MODELS:
        rows = []
        for name, info in m.model_fields.items():
            kind, optional, choices = _kind(info.annotation)
            if info.default_factory is not None:
                made = info.default_factory()
                assert made == [] or type(made) in _NAMES, (m, name)
                default = ("new", "list" if made == [] else _NAMES[type(made)])
            elif info.is_required():
                default = None
            else:
                default = ("value", info.default)
            rows.append((name, info.alias, kind, optional, choices, default, _bounds(info)))
        table[m.__name__] = tuple(rows)
        docs[m.__name__] = m.__doc__
    return ('"""Written by ``python -m scenegraph.model.spec_schema``: do not edit (tests/test_spec_light.py checks it)."""\n'
            f"FIELDS = {pprint.pformat(table, width=120, sort_dicts=False)}\n\n"
            f"DOCS = {pprint.pformat(docs, width=120, sort_dicts=False)}\n")


if __name__ == "__main__":
    print(fields_source(), end="")
