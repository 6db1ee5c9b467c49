"""Exact ballistic flight with ground contact: the dynamics step of :mod:`scenegraph.world`.

Bodies fly under gravity along -Y on the closed-form arc; each contact with
the ground (the body's origin reaching its contact height ``ground``) is
resolved at its exact time: ``restitution`` of the normal speed is kept, the
tangential speed loses ``friction`` times the normal impulse (Coulomb, never
reversing).  A rebound slower than :data:`SETTLE_SPEED` settles the body: it
slides with deceleration ``friction * gravity`` and then rests with velocity
exactly 0.  Every update is exact, so the substep length only changes rounding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WorldState", "Bodies", "step", "release_state", "MAX_SUBSTEP", "SETTLE_SPEED", "MAX_CONTACTS"]

#: longest internal substep of the dynamics, seconds
MAX_SUBSTEP = 1.0 / 60.0
#: a bounce slower than this (m/s) settles the entity on the ground
SETTLE_SPEED = 0.05
#: contacts resolved per entity and substep before it is settled by force
MAX_CONTACTS = 64


FLYING, SLIDING, RESTING = 0, 1, 2


@dataclass
class WorldState:
    """State of D dynamic bodies: ``position`` and ``velocity`` (D, 3) float64
    in the world frame (m, m/s), ``mode`` (D,) int8 (0 flying, 1 sliding on
    the ground, 2 at rest)."""

    position: np.ndarray
    velocity: np.ndarray
    mode: np.ndarray


@dataclass(frozen=True)
class Bodies:
    """Per-body constants (D,): ``gravity`` m/s^2 along -Y, ``restitution``,
    ``friction``, and ``ground`` = the origin's height when the body touches y = 0."""

    gravity: np.ndarray
    restitution: np.ndarray
    friction: np.ndarray
    ground: np.ndarray


def _contact_time(height: np.ndarray, vy: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Time until a body ``height`` (>= 0) above its contact height hits it; inf if never."""
    with np.errstate(divide="ignore", invalid="ignore"):
        falling = (vy + np.sqrt(vy * vy + 2.0 * g * height)) / g
        drifting = np.where(vy < 0, height / -vy, np.inf)
    return np.where(g > 0, falling, drifting)


def step(state: WorldState, bodies: Bodies, dt: np.ndarray | float) -> WorldState:
    """Advance every body by ``dt`` seconds ((D,) or scalar, >= 0) exactly.

    Flight follows the closed-form arc; each ground contact inside ``dt`` is
    resolved at its exact time (restitution, Coulomb friction impulse, settle
    below :data:`SETTLE_SPEED`); sliding decelerates at ``friction * g`` and
    stops at exactly zero velocity.
    """
    p = state.position.copy()
    v = state.velocity.copy()
    mode = state.mode.copy()
    left = np.array(np.broadcast_to(dt, mode.shape), dtype=np.float64)
    for attempt in range(MAX_CONTACTS + 1):
        idx = np.nonzero((mode == FLYING) & (left > 0))[0]
        if idx.size == 0:
            break
        g = bodies.gravity[idx]
        tc = _contact_time(np.maximum(p[idx, 1] - bodies.ground[idx], 0.0), v[idx, 1], g)
        h = np.minimum(tc, left[idx])
        p[idx] += v[idx] * h[:, None]
        p[idx, 1] -= 0.5 * g * h * h
        v[idx, 1] -= g * h
        left[idx] -= h
        hit = idx[tc <= h]
        if hit.size == 0:
            break
        p[hit, 1] = bodies.ground[hit]
        vn = -np.minimum(v[hit, 1], 0.0)
        vt = v[hit][:, [0, 2]]
        st = np.linalg.norm(vt, axis=1)
        impulse = (1.0 + bodies.restitution[hit]) * vn
        keep = np.where(st > 0, np.maximum(0.0, 1.0 - bodies.friction[hit] * impulse / np.where(st > 0, st, 1.0)), 0.0)
        v[hit, 0] *= keep
        v[hit, 2] *= keep
        rebound = bodies.restitution[hit] * vn
        settle = (rebound < SETTLE_SPEED) | (attempt == MAX_CONTACTS)
        v[hit, 1] = np.where(settle, 0.0, rebound)
        mode[hit[settle]] = SLIDING
    idx = np.nonzero((mode == SLIDING) & (left > 0))[0]
    if idx.size:
        vt = v[idx][:, [0, 2]]
        speed = np.linalg.norm(vt, axis=1)
        decel = bodies.friction[idx] * bodies.gravity[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            t_stop = np.where(decel > 0, speed / decel, np.inf)
            direction = np.where(speed[:, None] > 0, vt / speed[:, None], 0.0)
        h = np.minimum(t_stop, left[idx])
        moved = vt * h[:, None] - 0.5 * (decel * h * h)[:, None] * direction
        p[idx, 0] += moved[:, 0]
        p[idx, 2] += moved[:, 1]
        stopped = (h >= t_stop) | (speed == 0)
        new_speed = np.where(stopped, 0.0, speed - decel * h)
        v[idx, 0] = direction[:, 0] * new_speed
        v[idx, 2] = direction[:, 1] * new_speed
        v[idx, 1] = 0.0
        mode[idx[stopped]] = RESTING
    return WorldState(p, v, mode)


def release_state(pos: np.ndarray, vel: np.ndarray, bodies: Bodies) -> WorldState:
    """The state at release; a body at or below its contact height starts on the ground."""
    p = pos.astype(np.float64).copy()
    v = vel.astype(np.float64).copy()
    below = p[:, 1] <= bodies.ground + 1e-9
    p[:, 1] = np.maximum(p[:, 1], bodies.ground)
    on_ground = below & (v[:, 1] <= 0)
    v[on_ground, 1] = 0.0
    mode = np.where(on_ground, SLIDING, FLYING).astype(np.int8)
    return WorldState(p, v, mode)
