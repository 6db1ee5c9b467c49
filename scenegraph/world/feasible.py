"""The nearest feasible world: relations that cannot hold are relaxed, with a warning that names them.

A build never fails because the words ask for the impossible.  Before the
layout, :func:`relax_relations` checks each relation against the sizes:

- ``inside``: the subject must fit in the holder at any heading.  A holder
  may be made bigger to hold it, but only up to :data:`GROW` times its own
  size (a box can be a big box; a cup cannot be a garage), and what goes in
  may be made down to :data:`SHRINK` of its size.  Beyond that
  the relation is relaxed to ``near`` ("a car inside a cup": the car stands
  by the cup).
- ``on``: the support must carry the subject: the subject's footprint at
  most :data:`FOOTPRINT` times the support's top, and its volume at most
  :data:`BULK` times the support's ("an elephant on a chair": beside the
  chair).  What stands on the ground-sized things (buildings, vehicles,
  platforms) is never relaxed.

Each relaxation appends ``relaxed 'S REL O' to 'S near O': <why>`` to the
build's warnings (the relation's own words, so a user sees which one).

A course that things race or run around (a track, a circuit, a ring) is sized
for the loop its movers drive (:func:`size_courses`): flat, with one lane
per mover.
"""
from __future__ import annotations

import numpy as np

__all__ = ["relax_relations", "size_courses", "COURSES", "GROW", "SHRINK", "FOOTPRINT", "BULK", "is_course", "is_course_word", "course_radius"]

#: a holder may grow to at most this many times its own size (per axis) to hold what is put in it
GROW = {"container": 2.0, "furniture": 1.5, "prop": 2.0, "building": 1.5, "car": 1.4, "truck": 1.3, "bus": 1.3,
        "boat": 1.5, "train": 1.3, "aircraft": 1.3}
#: ... and what is put in it may be made as small as this share of its size (a toy robot in a box)
SHRINK = 0.65
#: what stands on a support covers at most this many times its top ...
FOOTPRINT = 2.5
#: ... and is at most this many times as bulky
BULK = 8.0
_NEVER_RELAX_ON = ("building", "car", "truck", "bus", "boat", "train", "aircraft", "rock")
#: words for a course that movers go round on (a loop they drive, run or ride along)
COURSES = ("track", "racetrack", "race track", "circuit", "racecourse", "race course", "running track", "ring",
           "oval", "loop", "velodrome", "speedway")
_COURSE_LANE = 1.0  # metres between movers' lanes beyond their width


def _fmt(size) -> str:
    return " x ".join(f"{v:.2g}" for v in size) + " m"


def relax_relations(rels: list[tuple[str, str, str]], size: dict, info: dict, warnings: list[str],
                    grow) -> list[tuple[str, str, str]]:
    """``rels`` with each infeasible ``inside`` / ``on`` relaxed to ``near`` (see the module docstring).

    ``size``: id -> (w, h, d) array; ``info``: id -> catalogue ClassInfo; ``grow(id, new_size)`` is called
    for a holder made bigger to hold its contents."""
    out = []
    for s, r, o in rels:
        why = None
        if r == "inside":
            foot = max(size[s][0], size[s][2]) * 1.5  # the layout fits it at any heading (x sqrt 2)
            need = np.array([foot, size[s][1] * 1.05, foot])
            if np.any(need > size[o]):
                arch = getattr(info[o], "archetype", None) or "prop"
                limit = GROW.get(arch, 1.0)
                if np.all(need <= size[o] * limit):
                    new = np.maximum(size[o], need)
                    grow(o, new)
                    warnings.append(f"{o} is made {_fmt(new)} to hold {s}")
                elif np.all(need * SHRINK <= size[o] * limit):
                    pass  # the layout grows the holder where there is room and makes the contents smaller
                else:
                    why = f"{s} ({_fmt(size[s])}) does not fit in {o} ({_fmt(size[o])})"
        elif r == "on":
            arch = getattr(info[o], "archetype", None) or "prop"
            area_s, area_o = size[s][0] * size[s][2], size[o][0] * size[o][2]
            vol_s, vol_o = float(np.prod(size[s])), float(np.prod(size[o]))
            if arch not in _NEVER_RELAX_ON and (area_s > FOOTPRINT * area_o or vol_s > BULK * vol_o):
                why = f"{o} ({_fmt(size[o])}) cannot carry {s} ({_fmt(size[s])})"
        if why is None:
            out.append((s, r, o))
            continue
        warnings.append(f"relaxed '{s} {r} {o}' to '{s} near {o}': {why}")
        out.append((s, "near", o))
    return out


def is_course(info) -> bool:
    """Whether a catalogue class (or stand-in) is a course that movers go round on (a track, a circuit ...)."""
    name = (getattr(info, "name", "") or "").lower()
    return name in COURSES or any(name.endswith(" " + w) for w in COURSES)


def is_course_word(word: str | None) -> bool:
    """Whether a setting word names a course ('racetrack', 'race track', 'circuit' ...)."""
    w = (word or "").lower().replace("_", " ")
    return bool(w) and (w in COURSES or any(w.endswith(" " + c) for c in COURSES))


def course_radius(mover_limits, mover_size) -> float:
    """The radius (m) of the inner lane of a course for a mover: a few times its turning circle and length."""
    return float(max(8.0, 2.5 * mover_limits.turn_radius, 3.0 * max(mover_size[0], mover_size[2])))


def size_courses(spec, members, size: dict, info: dict, limits_of, grow) -> dict[str, tuple[float, float]]:
    """Courses that actions go round, made flat and big enough for one lane per mover.

    Returns course id -> (inner lane radius, lane width); calls ``grow(id, new_size)`` for each."""
    out: dict[str, tuple[float, float]] = {}
    for a in spec.actions:
        if not (a.verb in ("orbit", "circle") or a.direction == "around"):
            continue
        ref = a.target or a.via or a.to
        for o in (members(ref) if ref else []):
            if not is_course(info.get(o)):
                continue
            movers = members(a.actor)
            if not movers:
                continue
            m = movers[0]
            lane = max(size[m][0], 0.5) + _COURSE_LANE
            r0 = course_radius(limits_of(m), size[m])
            outer = r0 + lane * (len(movers) - 0.5) + 1.0
            new = np.array([2 * outer, 0.02, 2 * outer])
            grow(o, new)
            r_old, lane_old = out.get(o, (0.0, 0.0))
            out[o] = (max(r0, r_old), max(lane, lane_old))
    return out
