"""Where a close camera can stand: occluder shapes and a clear direction to film from.

A follow camera stands a few metres from what it films, on the side the establishing camera
looked from.  Between the two there may be a wall, a shop front or a tree.  This module gives

- :func:`occluder_boxes`: the boxes that block a sight line, by archetype: a tree is a thin
  trunk under a crown (a camera at eye height sees under the crown, past the trunk), anything
  else its whole box;
- :func:`blocking`, :func:`clearance`, :func:`hidden`: what is big enough to keep a camera out, how far
  a ray goes before it meets a box, whether a sight line passes through one;
- :func:`clear_direction`: of a few headings round the given one (up to 75 degrees either side)
  and a few elevations, the view direction from which the camera has room to stand at the
  distance the shot wants, for the most of the shot (fewest frames where the camera would stand
  inside or behind an obstacle), turning no more than it must.

Pure functions; :mod:`scenegraph.world.coverage` uses them.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["occluder_boxes", "clear_direction", "blocking", "clearance", "hidden", "TRUNK_TOP", "TRUNK_WIDTH"]

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


def blocking(box: np.ndarray) -> bool:
    """Whether a still thing's world box (2, 3) is big enough to keep a camera out (a wall, a tree; not a
    lamp post or a bench)."""
    lo, hi = box
    return bool(max(hi[0] - lo[0], hi[2] - lo[2]) >= 1.0 and hi[1] - lo[1] >= 0.5)


def clearance(origins: np.ndarray, direction: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(F,) how far rays from ``origins`` (F, 3) along the unit ``direction`` (3,) go before they enter one of
    ``boxes`` (N, 2, 3) (inf where they meet none; a box round the origin does not count)."""
    if not len(boxes):
        return np.full(len(origins), np.inf)
    if len(origins) > 1:  # a still subject: one ray, not one per frame (each row is worked out on its own)
        once, back = np.unique(origins, axis=0, return_inverse=True)
        if len(once) < len(origins):
            return clearance(once, direction, boxes)[back.reshape(-1)]
    d = np.where(np.abs(direction) < 1e-12, 1e-12, direction)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (boxes[None, :, 0, :] - origins[:, None, :]) / d
        t2 = (boxes[None, :, 1, :] - origins[:, None, :]) / d
    near = np.minimum(t1, t2).max(axis=-1)
    far = np.maximum(t1, t2).min(axis=-1)
    hit = (near <= far) & (near > 0)
    return np.where(hit, near, np.inf).min(axis=1)


def hidden(eye: np.ndarray, points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(F,) whether the segment from ``eye`` (3,) to each of ``points`` (F, 3) passes through one of ``boxes``
    (N, 2, 3), or starts inside one (a box round the point does not count)."""
    d = points - eye[None]
    d = np.where(np.abs(d) < 1e-12, 1e-12, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (boxes[None, :, 0, :] - eye[None, None, :]) / d[:, None, :]
        t2 = (boxes[None, :, 1, :] - eye[None, None, :]) / d[:, None, :]
    near = np.minimum(t1, t2).max(axis=-1)
    far = np.maximum(t1, t2).min(axis=-1)
    # wholly between the two, or round the eye (a camera inside a building sees nothing)
    return np.any((near <= far) & (far > 0.0) & (far < 1.0), axis=1)
