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

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scenegraph.errors import SpecError
from scenegraph.model import limits as _lim

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

Verb = Literal[
    "move", "walk", "drive", "run", "cross", "pause", "wait", "turn", "follow",
    "throw", "drop", "roll", "orbit", "look_at",
    "jump", "climb", "descend", "fly", "fall", "land", "take_off", "sit", "stand", "lie", "swim",
    "ride", "push", "carry", "chase", "overtake", "meet", "approach", "lead", "pass", "return",
    "weave", "circle", "wave",
]
VERBS: tuple[str, ...] = Verb.__args__  # type: ignore[attr-defined]

#: place words understood by ``from`` / ``to`` / ``via`` besides entity references
PLACES: tuple[str, ...] = (
    "left", "right", "center", "front", "back",          # in view: image left/right, near/far
    "offscreen_left", "offscreen_right", "offscreen_back", "offscreen_front",  # outside the frame
    "near_kerb", "far_kerb", "road", "camera",
)

Direction = Literal[
    "left", "right", "left_to_right", "right_to_left", "forward", "backward",
    "towards_camera", "away_from_camera", "into_scene", "out_of_scene",
    "across", "around", "up", "down",
]
DIRECTIONS: tuple[str, ...] = Direction.__args__  # type: ignore[attr-defined]

Size = Literal["tiny", "small", "medium", "big", "huge", "tall", "short", "long", "wide"]
SIZES: tuple[str, ...] = Size.__args__  # type: ignore[attr-defined]

Relation = Literal["on", "near", "left_of", "right_of", "in_front_of", "behind", "inside", "facing",
                   "under", "above", "between", "far_from", "around"]
RELATIONS: tuple[str, ...] = Relation.__args__  # type: ignore[attr-defined]

Formation = Literal["row", "line", "column", "circle", "side_by_side", "pairs"]
FORMATIONS: tuple[str, ...] = Formation.__args__  # type: ignore[attr-defined]

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

    # -- references ------------------------------------------------------
    def resolve(self, ref: str) -> int | None:
        """Index of the entity ``ref`` names (id, then name, then unique class), or None."""
        for key in ("id", "name"):
            for i, e in enumerate(self.entities):
                if getattr(e, key) == ref:
                    return i
        hits = [i for i, e in enumerate(self.entities) if e.cls == ref]
        return hits[0] if len(hits) == 1 else None

    def is_place(self, ref: str) -> bool:
        return ref in PLACES

    @model_validator(mode="after")
    def _check_references(self) -> "SceneSpec":
        total = sum(e.count for e in self.entities)
        if total > _lim.MAX_SPEC_INSTANCES:
            raise ValueError(f"the entities' counts add up to {total}, more than a scene may hold ({_lim.MAX_SPEC_INSTANCES})")
        ids = [e.id for e in self.entities if e.id is not None]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"entity ids must be unique: {', '.join(dup)} repeated")
        problems: list[str] = []

        def need(ref: str | None, where: str, places: bool = False) -> None:
            if ref is None or self.resolve(ref) is not None or (places and ref in PLACES):
                return
            known = ", ".join(e.id or e.name or e.cls for e in self.entities) or "none"
            same = [e.id or e.name or e.cls for e in self.entities if e.cls == ref]
            if len(same) > 1:
                problems.append(f"{where}: {ref!r} is ambiguous: give each {ref} an id ({', '.join(same)})")
                return
            extra = f" or a place ({', '.join(PLACES)})" if places else ""
            problems.append(f"{where}: {ref!r} names no entity (entities: {known}){extra}")

        for k, r in enumerate(self.relations):
            need(r.subject, f"relations[{k}].subject")
            need(r.object, f"relations[{k}].object")
            need(r.object2, f"relations[{k}].object2")
            if r.subject == r.object:
                problems.append(f"relations[{k}]: {r.subject!r} cannot be {r.relation} itself")
        action_ids = [a.id for a in self.actions if a.id is not None]
        dup = sorted({i for i in action_ids if action_ids.count(i) > 1})
        if dup:
            problems.append(f"action ids must be unique: {', '.join(dup)} repeated")
        for k, a in enumerate(self.actions):
            need(a.actor, f"actions[{k}].actor")
            need(a.target, f"actions[{k}].target", places=True)
            need(a.relative_to, f"actions[{k}].relative_to")
            for f in ("from_", "to", "via"):
                need(getattr(a, f), f"actions[{k}].{f.rstrip('_')}", places=True)
            for f in ("after", "while_", "until"):
                ref = getattr(a, f)
                if ref is not None and ref not in action_ids:
                    problems.append(f"actions[{k}].{f.rstrip('_')}: no action has id {ref!r}")
                if ref is not None and ref == a.id:
                    problems.append(f"actions[{k}].{f.rstrip('_')}: an action cannot refer to itself")
        for k, s in enumerate(self.camera):
            need(s.target, f"camera[{k}].target")
            if s.after is not None and s.after not in action_ids:
                problems.append(f"camera[{k}].after: no action has id {s.after!r}")
        for k, lt in enumerate(self.environment.lights):
            need(lt.near, f"environment.lights[{k}].near")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def parse_spec_json(text: str | bytes, *, source: str = "spec") -> SceneSpec:
    """Validate a JSON reply as a SceneSpec; raises SpecError naming each bad field."""
    try:
        return SceneSpec.model_validate_json(text)
    except ValidationError as exc:
        raise SpecError(f"{source}: not a valid SceneSpec: {format_validation_error(exc)}") from None


def format_validation_error(exc: ValidationError, limit: int = 8) -> str:
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
  offscreen_front, near_kerb, far_kerb, road, camera. direction is one of
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
