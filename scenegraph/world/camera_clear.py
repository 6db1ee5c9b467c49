"""Where a close camera can stand: occluder shapes and a clear direction to film from.

A follow camera stands a few metres from what it films, on the side the establishing camera
looked from.  Between the two there may be a wall, a shop front or a tree.  This module gives

- :func:`occluder_boxes`: the boxes that block a sight line, by archetype: a tree is a thin
  trunk under a crown (a camera at eye height sees under the crown, past the trunk), anything
  else its whole box;
- :func:`clear_direction`: of a few headings round the given one (up to 75 degrees either side)
  and a few elevations, the view direction from which the camera has room to stand at the
  distance the shot wants, for the most of the shot (fewest frames where the camera would stand
  inside or behind an obstacle), turning no more than it must.

Pure functions; :mod:`scenegraph.world.coverage` uses them.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["occluder_boxes", "clear_direction", "TRUNK_TOP", "TRUNK_WIDTH"]

TRUNK_TOP = 0.35  # a tree's trunk reaches this share of its height, its crown the rest
TRUNK_WIDTH = 0.12  # share of the tree's width its trunk takes (at least 0.2 m)
_YAWS = (0.0, 15.0, -15.0, 30.0, -30.0, 45.0, -45.0, 60.0, -60.0, 75.0, -75.0)  # degrees off the given heading
_LIFTS = (0.0, 10.0, 20.0)  # degrees more looking down


def occluder_boxes(box: np.ndarray, archetype: str | None) -> list[np.ndarray]:
    """The (2, 3) world boxes (lo, hi) that block a sight line, for a thing of ``archetype`` whose world box
    is ``box`` (2, 3)."""
    lo, hi = np.asarray(box, dtype=np.float64)
    if archetype != "tree":
        return [np.stack([lo, hi])]
    mid = (lo + hi) / 2
    half = 0.5 * max(TRUNK_WIDTH * float(min(hi[0] - lo[0], hi[2] - lo[2])), 0.2)
    split = lo[1] + TRUNK_TOP * (hi[1] - lo[1])
    trunk = np.array([[mid[0] - half, lo[1], mid[2] - half], [mid[0] + half, split, mid[2] + half]])
    crown = np.array([[lo[0], split, lo[2]], [hi[0], hi[1], hi[2]]])
    return [trunk, crown]


def _rotate(back: np.ndarray, yaw_deg: float, lift_deg: float, most: float) -> np.ndarray:
    """``back`` turned ``yaw_deg`` about +Y and tipped ``lift_deg`` further up (at most ``most`` radians)."""
    flat = math.hypot(back[0], back[2])
    elev = math.atan2(back[1], max(flat, 1e-9))
    heading = math.atan2(back[0], back[2]) + math.radians(yaw_deg)
    elev = min(elev + math.radians(lift_deg), max(most, elev))
    return np.array([math.sin(heading) * math.cos(elev), math.sin(elev), math.cos(heading) * math.cos(elev)])


def clear_direction(back: np.ndarray, centres: np.ndarray, want: np.ndarray, least: np.ndarray,
                    boxes: np.ndarray, clearance, most_elevation: float = math.radians(35.0)) -> np.ndarray:
    """The unit direction (3,) from the subject towards the camera for a shot of subject ``centres`` (F, 3)
    that wants the camera ``want`` (F,) metres away and needs it at least ``least`` (F,) metres away (nearer, the
    subject is cut); ``boxes`` (N, 2, 3) stand in the way; ``clearance(origins, direction, boxes)`` measures how
    far a ray goes before it meets one.  ``back`` (3,) itself unless another direction has room for more of
    the shot (a turn costs a little: the view should read like the establishing one)."""
    back = np.asarray(back, dtype=np.float64)
    back = back / np.linalg.norm(back)
    if not len(boxes) or not len(centres):
        return back
    best, best_cost = back, math.inf
    for lift in _LIFTS:
        for yaw in _YAWS:
            cand = _rotate(back, yaw, lift, most_elevation)
            clear = clearance(centres, cand, boxes) - 0.5
            cost = (10.0 * float(np.mean(clear < least)) + float(np.mean(clear < want))
                    + 0.004 * abs(yaw) + 0.004 * lift)
            if cost < best_cost - 1e-9:
                best, best_cost = cand, cost
    return best
