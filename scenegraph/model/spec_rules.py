"""The words a SceneSpec may use and the checks across its parts, shared by the light classes
(:mod:`scenegraph.model.spec`) and their pydantic twins (:mod:`scenegraph.model.spec_schema`).

Nothing here imports pydantic: a build with the offline rules director never loads it.
"""
from __future__ import annotations

from typing import Any, Literal

from scenegraph.model import limits as _lim

__all__ = ["VERBS", "RELATIONS", "FORMATIONS", "PLACES", "DIRECTIONS", "SIZES", "resolve", "check_references"]

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
    "water",  # the near shore of the setting's lake, river or sea (else the back of the view)
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


def resolve(spec: Any, ref: str) -> int | None:
    """Index of the entity ``ref`` names in ``spec`` (id, then name, then unique class), or None."""
    for key in ("id", "name"):
        for i, e in enumerate(spec.entities):
            if getattr(e, key) == ref:
                return i
    hits = [i for i, e in enumerate(spec.entities) if e.cls == ref]
    return hits[0] if len(hits) == 1 else None


def check_references(spec: Any) -> None:
    """Raise ValueError naming every reference of ``spec`` (a SceneSpec, either kind) that names nothing, is
    ambiguous or repeats an id, and a total count past :data:`~scenegraph.model.limits.MAX_SPEC_INSTANCES`."""
    total = sum(e.count for e in spec.entities)
    if total > _lim.MAX_SPEC_INSTANCES:
        raise ValueError(f"the entities' counts add up to {total}, more than a scene may hold ({_lim.MAX_SPEC_INSTANCES})")
    ids = [e.id for e in spec.entities if e.id is not None]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"entity ids must be unique: {', '.join(dup)} repeated")
    problems: list[str] = []

    def need(ref: str | None, where: str, places: bool = False) -> None:
        if ref is None or resolve(spec, ref) is not None or (places and ref in PLACES):
            return
        known = ", ".join(e.id or e.name or e.cls for e in spec.entities) or "none"
        same = [e.id or e.name or e.cls for e in spec.entities if e.cls == ref]
        if len(same) > 1:
            problems.append(f"{where}: {ref!r} is ambiguous: give each {ref} an id ({', '.join(same)})")
            return
        extra = f" or a place ({', '.join(PLACES)})" if places else ""
        problems.append(f"{where}: {ref!r} names no entity (entities: {known}){extra}")

    for k, r in enumerate(spec.relations):
        need(r.subject, f"relations[{k}].subject")
        need(r.object, f"relations[{k}].object")
        need(r.object2, f"relations[{k}].object2")
        if r.subject == r.object:
            problems.append(f"relations[{k}]: {r.subject!r} cannot be {r.relation} itself")
    action_ids = [a.id for a in spec.actions if a.id is not None]
    dup = sorted({i for i in action_ids if action_ids.count(i) > 1})
    if dup:
        problems.append(f"action ids must be unique: {', '.join(dup)} repeated")
    for k, a in enumerate(spec.actions):
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
    for k, s in enumerate(spec.camera):
        need(s.target, f"camera[{k}].target")
        if s.after is not None and s.after not in action_ids:
            problems.append(f"camera[{k}].after: no action has id {s.after!r}")
    for k, lt in enumerate(spec.environment.lights):
        need(lt.near, f"environment.lights[{k}].near")
    if problems:
        raise ValueError("; ".join(problems))
