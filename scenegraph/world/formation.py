"""How a group standing in a formation keeps it while it moves (called from :mod:`scenegraph.world.motion`).

The layout stands the members of a group in their formation (see
:func:`scenegraph.world.semantics.formation_offsets`).  When the group then moves
from where it stands:

- ``side_by_side`` / ``row`` / ``pairs`` / ``circle``: the group moves as one
  body; each member keeps its offset from the first member ("two horses gallop
  side by side" stay side by side; a row walking to the bench arrives as a row);
- ``line`` / ``column``: the members walk in single file behind the first one,
  along its path, each as far as it goes ("three ducks walk in a line to the
  pond": every duck walks, the last one too, and none passes another).

A group in single file that walks to a thing stands in file behind its first
member on the line to that thing (:func:`orient_files`), so the file sets off
straight ahead and not round a corner.

A group that starts somewhere else (from the left, into the scene) is spread
by the planner as before.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["kept_path", "trail", "orient_files"]

_RIGID = ("side_by_side", "row", "pairs", "circle")
_FILE = ("line", "column")


def kept_path(planner: Any, a: Any, actor: Any, member: int, start: np.ndarray | None, via: np.ndarray | None,
              end: np.ndarray) -> list[np.ndarray] | None:
    """Waypoints for a member (``member`` > 0) of a group in formation moving from where it stands, or None
    (the planner's own spread applies)."""
    kind = getattr(actor, "formation", None)
    if kind is None or member == 0 or start is not None or actor.moved:
        return None
    lead_from = getattr(planner, "group_from", None)
    path = getattr(planner, "group_path", None)
    if lead_from is None or path is None:
        return None
    rel = (actor.position - lead_from) * [1, 0, 1]
    if kind in _RIGID:  # side by side across the way it goes (a row walking along itself turns abreast)
        head = (path[-1] - path[0]) * [1, 0, 1]
        norm = float(np.linalg.norm(head))
        if norm > 1e-6:
            fwd = head / norm
            right = np.array([-fwd[2], 0.0, fwd[0]])
            across, along = float(rel @ right), float(rel @ fwd)
            if abs(along) > abs(across):
                rel = right * float(np.linalg.norm(rel)) * (1.0 if across >= 0 else -1.0)
        return [p + rel for p in path[1:]]
    if kind in _FILE:
        length = sum(float(np.linalg.norm(q - p)) for p, q in zip(path, path[1:]))
        return trail([actor.position.copy()] + [p.copy() for p in path], length)
    return None


def trail(points: list[np.ndarray], length: float) -> list[np.ndarray]:
    """The waypoints (after the first point) of the polyline ``points`` cut at ``length`` metres from its start."""
    out: list[np.ndarray] = []
    left = length
    for p, q in zip(points, points[1:]):
        d = float(np.linalg.norm(q - p))
        if d < 1e-9:
            continue
        if d >= left:
            out.append(p + (q - p) * (left / d))
            return out
        out.append(q)
        left -= d
    return out or [points[-1]]


def orient_files(groups: dict, ids_of: dict, placed: dict, spec: Any, members: Any) -> None:
    """Turn each single-file group (``groups``: first member -> (formation, offsets, box); ``ids_of``: first
    member -> member ids, in ``placed`` at their layout offsets behind the first, along -Z) to face the thing
    its first action goes to: the file then stands behind its first member on the way there."""
    for first, (kind, _, _) in groups.items():
        if kind not in _FILE or first not in placed:
            continue
        act = next((a for a in spec.actions if first in members(a.actor)), None)
        dest = members(act.to) if act is not None and act.to else []
        if not dest or dest[0] not in placed:
            continue
        p0 = placed[first][0]
        head = (placed[dest[0]][0] - p0) * [1, 0, 1]
        n = float(np.linalg.norm(head))
        if n < 1e-6:
            continue
        f = head / n
        r = np.array([f[2], 0.0, -f[0]])  # (+X when it heads +Z, as the offsets were laid out)
        yaw = float(np.arctan2(f[0], f[2]))
        for eid in ids_of.get(first, [first]):
            off = (placed[eid][0] - p0) * [1, 0, 1]
            placed[eid] = (p0 + f * off[2] + r * off[0] + [0.0, placed[eid][0][1] - p0[1], 0.0], yaw)

