"""Vertical motion and support: jumps onto things, climbs, falls off supports, resting on a top surface.

Every "on X" rests on X's top surface (:func:`surface_height`): the box top,
the seat of a chair, bench or sofa for a living thing that sits on it, a
street's 15 cm sidewalk under a pedestrian (:class:`Ground`).  Movement up and
down is planned as the body does it:

- **jump** (:func:`jump`): onto a thing's top (landing inside its edge), off a
  support to the floor, over a thing, or from one support to another; a run-up
  to a take-off point within jumping reach, a crouch, an exact ballistic arc
  (apex a clearance above the higher end), a landing.  The arc's keys are
  kept exactly by the smoother (``Actor.exact``).
- **climb** (:func:`climb`): up or down a ladder, tree, pole, wall, stairs,
  slide or anything else, at the archetype's climbing speed
  (:data:`CLIMB_SPEED`), the body against the climbed thing (its face, or
  the trunk of a tree or pole) or, for stairs, slopes and slides, along it;
  it ends standing on the top of what has a top one can stand on.
- **fall**: a thing on a support first slides off the nearest edge, then
  falls under gravity and bounces and settles on the floor
  (:mod:`scenegraph.world.dynamics`, planned in :mod:`scenegraph.world.motion`).

Phases are recorded on the actor (``Actor.phases``: ``(name, start, end, data)``)
and written by the builder to ``scene.metadata["phases"]``; see
:mod:`scenegraph.world.phases` for the names a character animator can use.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.world.keyarrays import KeyList, key_arrays
from scenegraph.world.profiles import archetype_of
from scenegraph.world.stage import Actor, forward_of, yaw_of

__all__ = ["VERBS", "GRAVITY", "settle_time", "CLIMB_SPEED", "SEATS", "climb_mode", "surface_height", "top_point", "jump", "climb",
           "Ground", "start_supports", "JUMP_REACH", "jump_height", "rest_on", "plan_vertical", "settle", "follow_ground"]

GRAVITY = 9.81
#: the verbs this module plans when they name a thing
VERBS = ("jump", "climb", "descend", "sit", "stand", "lie")
#: vertical climbing speed (m/s) per motion archetype (a person on a ladder ~0.5 m/s; a cat up a tree faster)
CLIMB_SPEED = {"biped": 0.5, "quadruped": 1.2, "robot": 0.3, "insect": 0.15, "snake": 0.2, "bird": 0.8}
#: seat height as a fraction of the box height for things one sits on (the proxies' seats)
SEATS = {"chair": 0.52, "bench": 0.5, "sofa": 0.53, "armchair": 0.47, "couch": 0.53}
#: how far (m) a body of each archetype jumps across, at most, per metre of its own length (and at least 1.2 m)
JUMP_REACH = {"quadruped": 3.0, "biped": 1.2, "robot": 0.6, "insect": 20.0}
_POLE = ("tree", "pole", "lamp post", "flagpole", "palm", "rope", "mast", "trunk")
_SLOPE = ("stairs", "steps", "staircase", "hill", "ramp", "escalator", "slope", "mountain", "dune")
_SLIDE = ("slide",)
_LIVING = ("person", "animal")


def settle_time(height: float, restitution: float, settle_speed: float = 0.05) -> float:
    """Seconds from a drop at ``height`` m until the bounces (each ``restitution`` of the last) die down below
    ``settle_speed`` m/s: the first fall, then two flights per bounce."""
    t = math.sqrt(2 * max(height, 1e-3) / GRAVITY)
    v = GRAVITY * t * restitution
    total = t
    while v > settle_speed and restitution > 0:
        total += 2 * v / GRAVITY
        v *= restitution
    return total


def climb_mode(info) -> str:
    """How a thing is climbed: ``pole`` (up its trunk), ``slope`` (along it), ``slide`` (its ladder up, its chute
    down) or ``face`` (up its side; onto its top when one can stand there)."""
    name = (getattr(info, "name", "") or "").lower()
    if any(w in name for w in _SLIDE):
        return "slide"
    if any(w in name for w in _SLOPE):
        return "slope"
    if any(w in name for w in _POLE) or getattr(info, "archetype", "") == "tree":
        return "pole"
    return "face"


def surface_height(thing_info, thing_size, subject_info=None) -> float:
    """Height (m, above the thing's base) of the surface something rests on when it is on the thing: the seat
    of a chair / bench / sofa for a living thing, else the top of its box."""
    name = (getattr(thing_info, "name", "") or "").lower()
    if subject_info is not None and getattr(subject_info, "kind", "") in _LIVING and name in SEATS:
        return float(SEATS[name] * thing_size[1])
    return float(thing_size[1])


def top_point(thing: Actor, toward: np.ndarray, size: np.ndarray, subject_info=None) -> np.ndarray:
    """Where a body of ``size`` lands on ``thing``'s top coming from ``toward``: its centre when the body
    covers much of the top, else inside the near edge by the body's half length and 5 cm."""
    top = thing.position + [0.0, surface_height(thing.info, thing.size, subject_info), 0.0]
    d = (np.asarray(toward, dtype=np.float64) - thing.position) * [1, 0, 1]
    n = float(np.linalg.norm(d))
    if n < 1e-6:
        return top
    d /= n
    c, s = math.cos(thing.yaw), math.sin(thing.yaw)
    lx, lz = abs(d[0] * c - d[2] * s), abs(d[0] * s + d[2] * c)
    reach = 0.5 * (thing.size[0] * lx + thing.size[2] * lz)  # centre to the edge along d
    inset = reach - (0.5 * max(size[0], size[2]) + 0.05)
    return top + d * max(inset, 0.0)


def _edge_point(thing: Actor, toward: np.ndarray, margin: float) -> np.ndarray:
    """A point on the ground outside ``thing``'s box towards ``toward``, ``margin`` m beyond its edge."""
    d = (np.asarray(toward, dtype=np.float64) - thing.position) * [1, 0, 1]
    n = float(np.linalg.norm(d))
    d = d / n if n > 1e-6 else forward_of(thing.yaw)
    c, s = math.cos(thing.yaw), math.sin(thing.yaw)
    reach = 0.5 * (thing.size[0] * abs(d[0] * c - d[2] * s) + thing.size[2] * abs(d[0] * s + d[2] * c))
    p = thing.position + d * (reach + margin)
    p[1] = thing.position[1]
    return p


def _arc(actor: Actor, p1: np.ndarray, apex: float, fps: float) -> float:
    """An exact ballistic flight from the actor's position to ``p1`` over ``apex`` (world y); returns its time."""
    p0 = actor.position.copy()
    up = max(apex - p0[1], 0.02)
    down = max(apex - p1[1], 0.02)
    t_up, t_down = math.sqrt(2 * up / GRAVITY), math.sqrt(2 * down / GRAVITY)
    total = t_up + t_down
    vy = GRAVITY * t_up
    yaw = yaw_of(p1 - p0) if np.hypot(*(p1 - p0)[[0, 2]]) > 1e-6 else actor.yaw
    t0 = actor.t
    n = max(4, int(math.ceil(total * max(fps, 24.0) * 2.5)))
    actor.moving = False
    for i in range(1, n + 1):
        tt = total * i / n
        q = p0 + (p1 - p0) * (tt / total)
        q[1] = p0[1] + vy * tt - 0.5 * GRAVITY * tt * tt
        actor._key(t0 + tt, q, yaw)
    actor.keys[-1] = (actor.keys[-1][0], np.array(p1, dtype=np.float64), yaw)
    actor.position = np.array(p1, dtype=np.float64)
    actor.exact.append((t0, actor.t))
    actor.moving = False
    actor.moved = True
    return total


def _clearance(actor: Actor) -> float:
    return float(np.clip(0.25 * actor.size[1], 0.12, 0.5))


def jump(actor: Actor, run_speed: float, fps: float, onto: Actor | None = None, over: Actor | None = None,
         to_point: np.ndarray | None = None, off: bool = False) -> None:
    """A jump: ``onto`` a thing's top, ``over`` a thing, off the actor's support to the floor (``off``), or to
    ``to_point`` on the ground.  Runs up (at ``run_speed``) to a take-off point within reach first; a jump
    from a support onto something out of reach jumps down, goes over and jumps up."""
    arch = archetype_of(actor.info)
    reach = max(1.2, JUMP_REACH.get(arch, 1.0) * max(actor.size[2], actor.size[0]))
    start = actor.t
    if onto is not None:
        land = top_point(onto, actor.position, actor.size, actor.info)
        take_off = _edge_point(onto, actor.position, 0.3 + 0.5 * actor.size[2])
        gap = float(np.linalg.norm((land - take_off)[[0, 2]]))
        if actor.support is not None and actor.support is not onto:
            # from one support to another: straight across when in reach, else down, over and up
            here = top_point(actor.support, onto.position, actor.size, actor.info)
            if float(np.linalg.norm((land - here)[[0, 2]])) <= reach:
                _walk(actor, here, run_speed)
                _leap(actor, land, max(land[1], actor.position[1]) + _clearance(actor), fps, "jump", onto)
                actor.phases.append(("jump", start, actor.t, {"onto": onto.id}))
                return
            jump(actor, run_speed, fps, off=True, to_point=_edge_point(actor.support, onto.position, 0.6 + 0.5 * actor.size[2]))
        take_off[1] = actor.position[1]
        if float(np.linalg.norm((actor.position - take_off)[[0, 2]])) > 0.05 and gap <= reach:
            actor.go(take_off, run_speed)
        _leap(actor, land, max(land[1], actor.position[1]) + _clearance(actor), fps, "jump", onto)
    elif over is not None:
        far = _edge_point(over, 2 * over.position - actor.position, 0.3 + 0.5 * actor.size[2])
        near = _edge_point(over, actor.position, 0.3 + 0.5 * actor.size[2])
        near[1] = far[1] = actor.position[1]
        actor.go(near, run_speed)
        _leap(actor, far, over.position[1] + over.size[1] + _clearance(actor), fps, "jump", None)
    else:
        sup = actor.support
        if to_point is None and sup is not None:
            to_point = _edge_point(sup, actor.position + forward_of(actor.yaw) * 0.01, 0.3 + 0.5 * actor.size[2])
        elif to_point is None:
            to_point = actor.position + forward_of(actor.yaw) * min(reach, 1.0)
        land = np.array(to_point, dtype=np.float64)
        land[1] = sup.position[1] if sup is not None else land[1]
        if sup is not None:  # to the edge of what it stands on, then down
            edge = top_point(sup, land, actor.size, actor.info)
            _walk(actor, edge, run_speed)
        _leap(actor, land, actor.position[1] + _clearance(actor), fps, "jump", None)
    actor.phases.append(("jump", start, actor.t, {"onto": onto.id} if onto is not None else {}))


def _walk(actor: Actor, p: np.ndarray, speed: float) -> None:
    if float(np.linalg.norm(p - actor.position)) > 0.05:
        actor._straight(np.asarray(p, dtype=np.float64), speed)


def _leap(actor: Actor, land: np.ndarray, apex: float, fps: float, verb: str, onto: Actor | None) -> None:
    """Crouch, fly (exact arc), land; the actor's support becomes ``onto``."""
    actor.stop()
    d = (land - actor.position) * [1, 0, 1]
    if np.linalg.norm(d) > 1e-6 and abs(math.remainder(yaw_of(d) - actor.yaw, 2 * math.pi)) > 1e-3:
        turn = abs(math.remainder(yaw_of(d) - actor.yaw, 2 * math.pi))
        actor._key(actor.t + 1.3 * turn / actor.limits.yaw_rate, actor.position, actor.yaw)  # turns to face it
        actor.yaw = yaw_of(d)
    t0 = actor.t
    actor.wait_until(t0 + 0.2)
    actor.phases.append(("crouch", t0, actor.t, {}))
    t1 = actor.t
    _arc(actor, np.asarray(land, dtype=np.float64), apex, fps)
    actor.phases.append(("airborne", t1, actor.t, {"onto": onto.id} if onto is not None else {}))
    t2 = actor.t
    actor.wait_until(t2 + 0.25)
    actor.phases.append(("land", t2, actor.t, {}))
    actor.support = onto
    actor.support_top = float(land[1])


def climb(actor: Actor, thing: Actor, up: bool, speed: float | None = None) -> None:
    """Up (or down) ``thing`` at climbing speed, the body against it; see the module docstring."""
    mode = climb_mode(thing.info)
    vz = speed or CLIMB_SPEED.get(archetype_of(actor.info), 0.4)
    start = actor.t
    top_y = thing.position[1] + thing.size[1]
    depth = 0.5 * actor.size[2]
    toward = actor.position if not np.allclose((actor.position - thing.position)[[0, 2]], 0) else \
        thing.position + forward_of(thing.yaw)
    if mode == "pole":  # up the trunk: centre + trunk radius + half its depth, to 40-60% of the height
        d = (toward - thing.position) * [1, 0, 1]
        d = d / max(float(np.linalg.norm(d)), 1e-9)
        foot = thing.position + d * (min(0.15, 0.25 * min(thing.size[0], thing.size[2])) + depth + 0.02)
        height = thing.size[1] * (0.6 if actor.size[1] < 0.5 * thing.size[1] * 0.3 else 0.4)
        height = min(height, thing.size[1] - actor.size[1] * 0.5)
        high = foot + [0.0, height, 0.0]
        stand = None
    elif mode in ("slope", "slide"):  # along its length: bottom end to the top end
        ax = forward_of(thing.yaw) * 0.5 * thing.size[2]
        ends = [thing.position + ax, thing.position - ax]
        near = min(ends, key=lambda e: float(np.linalg.norm((e - toward)[[0, 2]])))
        far = ends[1] if near is ends[0] else ends[0]
        if mode == "slide":  # its ladder stands at the high end (the far one is the chute's foot)
            near, far = far, near
        d = (near - thing.position) * [1, 0, 1]
        d = d / max(float(np.linalg.norm(d)), 1e-9)
        foot = near + d * (depth + 0.3)
        foot[1] = thing.position[1]
        high = thing.position + d * max(0.5 * thing.size[2] - depth - 0.1, 0.0) + [0.0, thing.size[1], 0.0]
        if mode == "slope":
            high = far + d * (depth + 0.1) + [0.0, thing.size[1], 0.0]
        stand = high
    else:  # a face: up the side facing the actor, onto the top
        foot = _edge_point(thing, toward, depth + 0.02)
        d = (foot - thing.position) * [1, 0, 1]
        d = d / max(float(np.linalg.norm(d)), 1e-9)
        high = foot + [0.0, top_y - foot[1], 0.0]
        stand = top_point(thing, foot, actor.size, actor.info) if thing.info is None or thing.info.support else None
        if stand is None:  # nothing to stand on (a ladder): up until its hands reach the top
            high = foot + [0.0, max(top_y - foot[1] - 0.6 * actor.size[1], 0.3), 0.0]
    walk = max(0.5, min(1.4, actor.speed or 1.0))
    if up:
        if float(np.linalg.norm((actor.position - foot)[[0, 2]])) > 0.05:
            actor.go(foot, walk)
        actor.stop()
        face = yaw_of((thing.position - foot) * [1, 0, 1]) if mode not in ("slope", "slide") else yaw_of(high - foot)
        _face(actor, face)
        t0 = actor.t
        rise = float(high[1] - actor.position[1])
        if mode == "slope":
            length = float(np.linalg.norm(high - actor.position))
            actor._straight(high, max(length / max(rise / (1.6 * vz), 0.2), 0.2))
        else:
            _vertical(actor, high, vz)
        actor.phases.append(("climb", t0, actor.t, {"on": thing.id, "mode": mode}))
        if stand is not None and float(np.linalg.norm(stand - actor.position)) > 0.05:
            actor.stop()
            actor._straight(stand, walk * 0.6)
        actor.stop()
        actor.support = thing if stand is not None else None
        actor.support_top = float(actor.position[1])
        if mode == "slide" and stand is not None:  # sits and slides down the chute to its foot
            foot_end = thing.position - d * (0.5 * thing.size[2] + depth + 0.2)
            foot_end[1] = thing.position[1]
            t2 = actor.t
            actor.wait_until(t2 + 0.4)
            t3 = actor.t
            actor._straight(foot_end, 2.5)
            actor.stop()
            actor.phases.append(("slide", t3, actor.t, {"on": thing.id}))
            actor.support, actor.support_top = None, float(foot_end[1])
            del t2
    else:  # down: from where it is (on or against the thing) to the ground beside it
        ground_y = thing.position[1]
        if mode == "slide":
            foot_end = thing.position - d * (0.5 * thing.size[2] + depth + 0.2)
            foot_end[1] = ground_y
            top = thing.position + d * max(0.5 * thing.size[2] - depth - 0.1, 0.0) + [0.0, thing.size[1], 0.0]
            if actor.position[1] < top[1] - 0.05:
                actor.teleport(top) if not actor.moved else actor._straight(top, walk)
            actor.stop()
            t0 = actor.t
            actor._straight(foot_end, 2.5)
            actor.stop()
            actor.phases.append(("slide", t0, actor.t, {"on": thing.id}))
        else:
            if actor.position[1] < ground_y + 0.3 and not actor.moved:  # it starts up there
                actor.teleport(high if mode != "face" or stand is None else stand)
            if mode == "face" and stand is not None and float(np.linalg.norm((actor.position - high)[[0, 2]])) > 0.05:
                actor._straight(high, walk * 0.6)
                actor.stop()
            _face(actor, yaw_of((thing.position - actor.position) * [1, 0, 1]) if mode != "slope"
                  else yaw_of((foot - actor.position) * [1, 0, 1]))
            t0 = actor.t
            low = foot.copy()
            low[1] = ground_y
            if mode == "slope":
                rise = float(actor.position[1] - ground_y)
                length = float(np.linalg.norm(low - actor.position))
                actor._straight(low, max(length / max(rise / (1.6 * vz), 0.2), 0.2))
            else:
                _vertical(actor, foot + [0.0, ground_y - foot[1], 0.0] if mode == "face" else low, vz)
            actor.stop()
            actor.phases.append(("climb_down", t0, actor.t, {"on": thing.id, "mode": mode}))
        actor.support, actor.support_top = None, float(ground_y)
    del start


def _face(actor: Actor, yaw: float) -> None:
    turn = abs(math.remainder(yaw - actor.yaw, 2 * math.pi))
    if turn > 1e-3:
        if actor.moved:
            actor._key(actor.t + 1.3 * turn / actor.limits.yaw_rate, actor.position, actor.yaw)
        else:
            actor.keys[0] = (actor.keys[0][0], actor.keys[0][1], yaw)
        actor.yaw = yaw
        actor.keys[-1] = (actor.keys[-1][0], actor.keys[-1][1], yaw)


def _vertical(actor: Actor, p: np.ndarray, speed: float) -> None:
    """Straight up or down to ``p`` at ``speed``, still facing the way it faces (what it climbs)."""
    yaw = actor.yaw
    actor._advance(np.asarray(p, dtype=np.float64), float(np.linalg.norm(p - actor.position)) / speed, yaw, speed)
    actor.yaw = yaw


class Ground:
    """The walkable kit surfaces of a scene (sidewalks, kerbs: ``attributes["surface"]``) as arrays, for the
    height of the ground under many points at once (0 where there is none)."""

    def __init__(self, scene) -> None:
        inv, lo, hi, top = [], [], [], []
        for e in scene.entities("object"):
            if not e.attributes.get("surface"):
                continue
            b = np.asarray(e.bounds, np.float64)
            inv.append(np.linalg.inv(e.transform.matrix()))
            lo.append(b[0])
            hi.append(b[1])
            top.append(float(e.attributes.get("top", b[1][1])))
        self.inv = np.array(inv).reshape(-1, 4, 4)
        self.lo, self.hi, self.top = np.array(lo).reshape(-1, 3), np.array(hi).reshape(-1, 3), np.array(top)

    def __bool__(self) -> bool:
        return bool(len(self.top)) and float(self.top.max(initial=0.0)) > 0.01

    def height(self, xz: np.ndarray) -> np.ndarray:
        """(N,) ground height under the points ``xz`` (N, 2)."""
        xz = np.atleast_2d(xz)
        if not len(self.top):
            return np.zeros(len(xz))
        p = np.concatenate([xz[:, :1], np.zeros((len(xz), 1)), xz[:, 1:2], np.ones((len(xz), 1))], axis=1)
        local = np.einsum("kij,nj->kni", self.inv, p)  # (K, N, 4)
        inside = ((local[..., 0] >= self.lo[:, None, 0]) & (local[..., 0] <= self.hi[:, None, 0])
                  & (local[..., 2] >= self.lo[:, None, 2]) & (local[..., 2] <= self.hi[:, None, 2]))
        return np.max(np.where(inside, self.top[:, None], 0.0), axis=0)


def start_supports(spec, members) -> list[tuple[str, str, str]]:
    """(subject, "on", thing) for actors whose first action starts on a thing: falls / drops / jumps / slides
    *from* it, or climbs / descends *down* it."""
    out = []
    seen: set[str] = set()
    for a in spec.actions:
        for eid in members(a.actor):
            if eid in seen:
                continue
            seen.add(eid)
            ref = None
            if a.verb in ("fall", "drop", "jump", "descend", "climb", "move", "walk", "run") and a.from_:
                ref = a.from_
            elif a.verb in ("descend", "climb") and a.direction == "down":
                ref = a.to or a.target or a.via
            for o in (members(ref) if ref else []):
                if o != eid:
                    out.append((eid, "on", o))
                    break
    return out


def jump_height(actor: Actor) -> float:
    """The highest top (m above its feet) a body jumps onto: ~1 m for an adult, four times its height for a
    small four-legged animal (at most 2 m), ten times for an insect; birds fly."""
    arch = archetype_of(actor.info)
    h = float(actor.size[1])
    if arch in ("bird", "drone", "aircraft"):
        return math.inf
    if arch == "quadruped":
        return float(np.clip(4.0 * h, 0.5, 2.0))
    if arch == "insect":
        return 10.0 * h + 0.2
    if arch in ("biped", "robot"):
        return float(np.clip(0.6 * h, 0.3, 1.1))
    return 0.5


def rest_on(actor: Actor, thing: Actor, posture: str, speed: float, fps: float) -> str | None:
    """Onto ``thing`` to sit / stand / lie there: a step up onto a low seat or top, a jump onto a higher one
    within reach, a climb onto one out of it (with a note naming what was relaxed)."""
    spot = top_point(thing, actor.position, actor.size, actor.info) if posture != "sit" else \
        thing.position + [0.0, surface_height(thing.info, thing.size, actor.info), 0.0]
    rise = float(spot[1] - actor.position[1])
    note = None
    if rise > jump_height(actor):
        note = (f"{actor.id} {posture} on {thing.id}: its top is {rise:.2f} m up, out of a jump's reach "
                f"({jump_height(actor):.2f} m); it climbs up instead")
        climb(actor, thing, True)
    elif rise > 0.65 * actor.size[1] or (rise > 0.3 and archetype_of(actor.info) == "quadruped"):
        jump(actor, speed, fps, onto=thing)
    else:  # walks up to it and steps (sits) onto it
        foot = _edge_point(thing, actor.position, 0.5 * actor.size[2] + 0.05)
        foot[1] = actor.position[1]
        if float(np.linalg.norm((actor.position - foot)[[0, 2]])) > 0.05:
            actor.go(foot, speed)
        actor.stop()
        t0 = actor.t
        if posture == "sit":  # turns its back to the seat, then sits down onto it
            _face(actor, yaw_of((foot - thing.position) * [1, 0, 1]))
            yaw = actor.yaw
            actor._advance(spot, 0.8, yaw, float(np.linalg.norm(spot - actor.position)) / 0.8)
            actor.yaw = yaw
        else:
            actor._straight(spot, max(0.3, float(np.linalg.norm(spot - actor.position)) / 0.8))
        actor.stop()
        actor.phases.append(("step_up", t0, actor.t, {"on": thing.id}))
    actor.support, actor.support_top = thing, float(actor.position[1])
    return note


def plan_vertical(a, actor: Actor, things: dict, speed: float, fps: float, reach_point=None) -> str | None:
    """Plan a jump / climb / descend / sit / stand / lie that names a thing (``things``: role -> Actor for
    ``to``, ``from``, ``via``, ``target``); returns a note when a relation had to be relaxed.  Raises
    ValueError when the action names nothing this module plans (the caller falls back)."""
    verb = a.verb
    onto = things.get("to") or (things.get("target") if verb not in ("jump",) else None)
    src = things.get("from")
    if verb == "jump":
        if things.get("via") is not None and onto is None:
            jump(actor, speed, fps, over=things["via"])
            return None
        if onto is not None and (a.direction in (None, "up") or src is not None):
            rise = float(onto.position[1] + surface_height(onto.info, onto.size, actor.info) - actor.position[1])
            if rise > jump_height(actor):
                note = (f"{actor.id} jump onto {onto.id}: relaxed to a climb (its top is {rise:.2f} m up, "
                        f"out of a jump's reach of {jump_height(actor):.2f} m)")
                climb(actor, onto, True)
                return note
            if rise < 0.05 and actor.support is None:  # 'jumps to the tree': lands beside it
                jump(actor, speed, fps, to_point=_edge_point(onto, actor.position, 0.3 + 0.5 * actor.size[2]))
            else:
                jump(actor, speed, fps, onto=onto)
            return None
        if src is not None or a.direction == "down":
            jump(actor, speed, fps, off=True, to_point=reach_point)
            return None
        raise ValueError("nothing to jump onto, over or off")
    if verb in ("climb", "descend"):
        thing = onto or src or things.get("via")
        if thing is None:
            raise ValueError("nothing to climb")
        up = not (verb == "descend" or a.direction == "down" or (src is not None and onto is None))
        climb(actor, thing, up, speed=a.speed)
        return None
    if verb in ("sit", "stand", "lie"):
        thing = onto or things.get("via")
        if thing is None:
            raise ValueError("nothing to rest on")
        return rest_on(actor, thing, verb, speed, fps)
    raise ValueError(f"{verb} is not a vertical motion")


def settle(placed: dict, supports: dict, on: dict, size: dict, info: dict, ground: "Ground") -> tuple[dict, dict, list]:
    """Where every placed thing rests: on the walkable ground under it (a sidewalk's top), on its support's
    surface (a seat for a living thing on a chair), carried up with what holds it.

    ``placed``: id -> (position (3,), yaw); ``supports``: id -> holder (on or inside); ``on``: id -> support
    of the 'on' relations.  Returns (new placed, id -> height of the surface it rests on, rests: (id,
    'sit', seat id, seat height) for living things on seats)."""
    lift: dict[str, float] = {}

    def lifted(e: str, depth: int = 0) -> float:
        if e in lift:
            return lift[e]
        p = placed[e][0]
        if e in supports and supports[e] in placed and depth < 16:
            v = lifted(supports[e], depth + 1)
        elif (info.get(e) is not None and info[e].kind == "flyer" and p[1] > 0.05) or p[1] > 0.05 or not ground:
            v = 0.0
        else:
            v = max(float(ground.height(np.array([[p[0], p[2]]]))[0]) - float(p[1]), 0.0)
        lift[e] = v
        return v

    out, tops, rests = {}, {}, []
    for e, (p, yaw) in placed.items():
        q = np.array(p, dtype=np.float64)
        q[1] += lifted(e)
        out[e] = (q, yaw)
    for e, (q, yaw) in out.items():
        sup = supports.get(e)
        if sup is None or sup not in out:
            tops[e] = float(q[1]) if q[1] < 0.5 else 0.0
            continue
        base = float(out[sup][0][1])
        if on.get(e) == sup:
            h = surface_height(info.get(sup), size[sup], info.get(e))
            if abs(q[1] - (base + size[sup][1])) < 0.1 or h < size[sup][1]:  # on its surface, not above it
                q[1] = base + h
            if h < size[sup][1] - 1e-6:
                rests.append((e, "sit", sup, h))
            tops[e] = base + h
        else:
            tops[e] = base + float(size[sup][1])
    return out, tops, rests


def follow_ground(actors: dict, ground: "Ground", fps: float, ease: float = 0.6) -> None:
    """Ground movers (no support, not flying, nothing vertical planned) keep their feet on the walkable ground
    under them: up the 15 cm kerb onto a sidewalk over ``ease`` metres walked (a step, not a jump)."""
    if not ground:
        return
    for a in actors.values():
        if len(a.keys) < 2 or a.dynamics is not None or a.exact or a.carrier or a.support is not None:
            continue
        if a.info is not None and a.info.kind == "flyer":
            continue
        t, p, yaws = key_arrays(a.keys)
        if np.ptp(p[:, 1]) > 0.25 or p[:, 1].max() > 0.3:  # climbs, hops: its own heights
            continue
        h = ground.height(p[:, [0, 2]])
        if not np.any(h > 0.01) and not np.any(p[:, 1] > 0.01):
            continue
        # smoothed over the distance walked (not time): standing still, the height stays put
        s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p[:, [0, 2]], axis=0), axis=1))])
        if s[-1] < 1e-6:
            y = np.full(len(t), h[0])
        else:
            su, idx = np.unique(s, return_index=True)
            step = 0.02
            grid = np.arange(0.0, s[-1] + step, step)
            hg = np.interp(grid, su, h[idx])
            n = max(1, int(round(0.5 * max(ease, 0.5 * float(max(a.size))) / step)))  # a long body: over its wheels
            ker = np.hanning(2 * n + 3)[1:-1]
            ker /= ker.sum()
            hs = np.convolve(np.concatenate([np.full(n, hg[0]), hg, np.full(n, hg[-1])]), ker, mode="valid")
            y = np.interp(s, grid, hs)
        p = p.copy()
        p[:, 1] = y
        a.keys = KeyList.of(t, p, yaws)
        a.position = a.keys[-1][1].copy()
