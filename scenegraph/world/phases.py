"""What each body does when: the world's action phases, for character animation and for checks.

The builder writes ``scene.metadata["phases"]``: a list of dicts, one per phase,
sorted by entity and start time::

    {"entity": "cat_1", "phase": "airborne", "start": 1.21, "end": 1.62, "onto": "table_1"}

``start`` / ``end`` are seconds on the scene's clock (the Timeline's ``time``).
Optional keys: ``onto`` / ``on`` / ``from`` (the entity id of the thing landed
on, climbed or rested on, fallen from), ``height`` (metres of the resting
surface above the floor under it: a chair's seat), ``mode`` (how a thing was
climbed: ``pole``, ``face``, ``slope``, ``slide``).

Phase names (:data:`PHASES`):

- ``jump`` (the whole jump, run-up to landing), ``crouch`` (standing, about
  to take off), ``airborne`` (the ballistic flight: the root follows an exact
  parabola, so the take-off and touch-down are instants), ``land`` (absorbing
  the landing);
- ``climb`` (hands and feet on the thing, going up: the root rises at
  climbing speed against it, or along stairs and slopes), ``climb_down``,
  ``slide`` (sitting, sliding down a chute), ``step_up`` (stepping or
  sitting down onto a low seat or top);
- ``fall`` (released: under gravity until it first hits the floor),
  ``bounce`` (its bounces until it lies still), ``sit`` / ``stand`` / ``lie`` (resting; on a
  thing when ``on`` is given, the root then on its surface), ``carry`` /
  ``push`` / ``ride`` (moving with a thing held, pushed or ridden; ``on``
  names it) and ``carried`` / ``pushed`` / ``ridden`` (the thing itself; ``on``
  names who moves it).

:func:`phases_of` reads them back for one entity; :func:`phase_weight` turns
one phase into a per-frame 0..1 weight.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PHASES", "phases_of", "phase_weight", "collect"]

PHASES = ("jump", "crouch", "airborne", "land", "climb", "climb_down", "slide", "step_up", "fall", "bounce",
          "sit", "stand", "lie", "carry", "push", "ride", "carried", "pushed", "ridden")


def phases_of(scene: Any, entity_id: str, name: str | None = None) -> list[dict]:
    """The phases of ``entity_id`` (only those called ``name`` when given), in time order."""
    out = []
    for p in (getattr(scene, "metadata", None) or {}).get("phases") or []:
        if isinstance(p, dict) and p.get("entity") == entity_id and (name is None or p.get("phase") == name):
            out.append(p)
    return sorted(out, key=lambda p: float(p.get("start", 0.0)))


def phase_weight(time: np.ndarray, phases: list[dict], ease: float = 0.0) -> np.ndarray:
    """(F,) 1 inside any of ``phases`` (dicts with start / end), 0 outside, eased over ``ease`` seconds."""
    t = np.asarray(time, dtype=np.float64)
    w = np.zeros_like(t)
    for p in phases:
        s, e = float(p["start"]), float(p["end"])
        if ease <= 0:
            w = np.maximum(w, ((t >= s) & (t <= e)).astype(np.float64))
        else:
            up = np.clip((t - s + ease) / (2 * ease), 0.0, 1.0)
            down = np.clip((e + ease - t) / (2 * ease), 0.0, 1.0)
            w = np.maximum(w, np.minimum(up, down))
    return w


def collect(actors: dict, rests: list[tuple[str, str, str, float]], duration: float) -> list[dict]:
    """The phases of every actor (``Actor.phases``, retimed by smoothing) and the postures of things that rest
    on others the whole clip (``rests``: (entity, posture, thing, height)), clipped to ``duration``; sorted."""
    out = []
    for eid, a in actors.items():
        for name, t0, t1, data in (getattr(a, "phases_out", None) or a.phases):
            if t0 >= duration:
                continue
            out.append({"entity": eid, "phase": name, "start": round(float(t0), 4),
                        "end": round(float(min(t1, duration)), 4), **data})
    for eid, posture, thing, height in rests:
        if not any(p["entity"] == eid for p in out):
            out.append({"entity": eid, "phase": posture, "start": 0.0, "end": round(float(duration), 4),
                        "on": thing, "height": round(float(height), 4)})
    return sorted(out, key=lambda p: (p["entity"], p["start"], p["phase"]))
