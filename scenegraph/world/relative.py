"""When and relative to whom: repetitions, returns, relative actions and things moved by others.

The motion planner (:mod:`scenegraph.world.motion`) calls these for the verbs
of the SceneSpec that concern time and other actors:

- :func:`expand` turns ``repeat`` / ``back_and_forth`` / ``returns`` into a
  list of plain actions run one after another (an orbit or circle repeated
  goes round that many times instead);
- :func:`overtake`, :func:`meet`, :func:`weave` plan paths that depend on
  another actor's path (overtake and chase run after the others are planned);
- :func:`hop` is a jump in place; :func:`place_during` is a motion that keeps a
  relation to a thing ("runs on the left of the car");
- :func:`attach` moves a ridden, pushed or carried thing with its actor.

How bodies move physically (gaits, acceleration, heights) is the motion
planner's; this module only decides destinations, order and partners.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from scenegraph.model.spec import ActionSpec
from scenegraph.world.stage import Actor, forward_of, right_of, yaw_of

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["DEFERRED", "expand", "overtake", "meet", "weave", "hop", "place_during", "attach", "board", "SEAT"]

#: verbs planned after every other action, because they follow another actor's whole path
DEFERRED = ("follow", "chase", "overtake")
SEAT = 0.6  # a rider sits at this fraction of the ridden thing's height
CABIN_SEAT = 0.3  # a driver's seat: this fraction of a car's, van's, truck's or bus's height
_CABINS = ("car", "truck", "bus", "van", "train", "tram")  # archetypes driven from inside


def _cabin(thing: Actor) -> bool:
    """Whether a rider sits inside ``thing`` (a car, van, truck, bus) rather than on it (a horse, a bicycle)."""
    info = thing.info
    return info is not None and info.kind == "vehicle" and getattr(info, "archetype", None) in _CABINS


def _seat_of(vehicle: Actor) -> np.ndarray:
    """The driver's seat of a car, van, truck or bus as (left, ahead) metres from its centre; zeros elsewhere."""
    if not _cabin(vehicle):
        return np.zeros(2)
    return np.array([0.22 * vehicle.size[0], 0.12 * vehicle.size[2]])  # to the left of centre, a little ahead


def _driver(yaw: float, inside: np.ndarray) -> np.ndarray:
    """The driver's seat from the vehicle's centre: ``inside`` = (left, ahead) in metres, turned by ``yaw``."""
    return -right_of(yaw) * inside[0] + forward_of(yaw) * inside[1]

_TIMING = {"start": None, "after": None, "while_": None, "then": False, "delay": 0.0, "id": None}
_PLAIN = {"repeat": 1, "back_and_forth": False, "returns": False}


def expand(a: ActionSpec) -> list[ActionSpec]:
    """The plain actions ``a`` stands for, in order (the first keeps ``a``'s timing)."""
    if a.repeat == 1 and not a.back_and_forth and not a.returns:
        return [a]
    if a.verb in ("orbit", "circle") or (a.direction == "around" and a.verb != "turn"):
        return [a.model_copy(update={**_PLAIN, "angle": (a.angle or 360.0) * a.repeat})] + (
            [_back(a)] if a.returns else [])
    one = a.model_copy(update=_PLAIN)
    again = one.model_copy(update=_TIMING)
    there = a.to is not None or a.via is not None or a.from_ is not None or a.back_and_forth or a.verb == "jump"
    out: list[ActionSpec] = []
    for i in range(a.repeat):
        out.append(one if i == 0 else again)
        if a.back_and_forth or (there and a.verb != "jump" and i < a.repeat - 1):
            out.append(_back(a))
    if a.returns and not a.back_and_forth:
        out.append(_back(a))
    return out


def _back(a: ActionSpec) -> ActionSpec:
    return a.model_copy(update={**_TIMING, **_PLAIN, "verb": "return", "to": None, "from_": None, "via": None,
                                "direction": None, "target": None, "relation": None, "relative_to": None,
                                "distance": None, "duration": a.duration})


def _at(actor: Actor, t: float) -> np.ndarray:
    """Where ``actor`` is at ``t``; past its last key, one that goes on (``open_end``) keeps its last velocity."""
    t_last = actor.keys[-1][0]
    if t <= t_last or not actor.open_end or len(actor.keys) < 2:
        return actor.position_at(t)
    prev = actor.position_at(t_last - 0.1)
    return actor.keys[-1][1] + (actor.keys[-1][1] - prev) / 0.1 * (t - t_last)


def _heading(actor: Actor, t: float) -> np.ndarray:
    v = (_at(actor, t + 0.1) - _at(actor, t)) * [1, 0, 1]
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-6 else forward_of(actor.keys[-1][2] if actor.keys else actor.yaw)


def overtake(actor: Actor, leader: Actor, t0: float, member: int) -> float:
    """From behind ``leader`` to ahead of it, passing on its left, at a steady speed difference.

    The overtaker pulls out while still behind (a lane change whose sideways acceleration stays within its
    ``lateral`` limit), passes at 30% over the leader's speed (at least 2 m/s faster) and pulls back in once
    clear ahead; past the leader's last key when the leader goes on at speed, else over the leader's motion."""
    times = np.array([k[0] for k in leader.keys])
    half = 0.5 * (leader.size[2] + actor.size[2]) + 1.0 + member * (actor.size[2] + 1.0)  # along: clear of it
    lane = 0.5 * (leader.size[0] + actor.size[0]) + 0.8
    v_lead = float(np.linalg.norm((_at(leader, t0 + 0.5) - _at(leader, t0)) * [1, 0, 1])) / 0.5
    dv = max(2.0, 0.3 * v_lead)
    tau = math.sqrt(0.5 * math.pi ** 2 * lane / actor.limits.lateral)  # a half-cosine lane change
    need = 2.0 * tau + 2.0 * half / dv
    if leader.open_end:
        t1 = t0 + need
        actor.open_end = True  # it drives on ahead
    else:
        t1 = max(float(times[-1]), t0 + need)
    dv = (2.0 * half + 2.0 * dv * tau) / (t1 - t0) if not leader.open_end else dv
    gap = half + dv * tau  # where it starts behind (and ends ahead)
    if not actor.moved and t0 <= 1e-6 and leader.flying_start:
        actor.flying_start = actor.moving = True  # both under way as the clip begins
    first = not actor.moved
    for t in np.linspace(t0, t1, max(8, int((t1 - t0) / 0.2) + 1)):
        along = -gap + dv * (t - t0)
        out = min(1.0, (along + gap) / max(gap - half, 1e-6), (gap - along) / max(gap - half, 1e-6))
        h = _heading(leader, float(t))
        side = -right_of(yaw_of(h))  # pass on its left
        p = _at(leader, float(t)) + h * along + side * lane * (0.5 - 0.5 * math.cos(math.pi * max(0.0, out)))
        p[1] = actor.position[1]
        if first:
            actor.teleport(p)
            actor.yaw = yaw_of(h)
            actor.keys[-1] = (actor.keys[-1][0], p.copy(), actor.yaw)
            first = False
            actor.wait_until(float(t))
            continue
        actor._key(max(float(t), actor.t + 1e-3), p, yaw_of(p - actor.position) if np.linalg.norm((p - actor.position)[[0, 2]]) > 1e-6 else actor.yaw)
    actor.moved = True
    return actor.t


def meet(actor: Actor, other: Actor, mutual: bool, speed: float) -> None:
    """Walk up to ``other`` (to the middle between the two when both go to meet)."""
    q = other.position_at(actor.t)
    p = actor.position
    v = (q - p) * [1, 0, 1]
    dist = float(np.linalg.norm(v))
    if dist < 1e-6:
        return
    u = v / dist
    gap = 0.5 * (max(actor.size[0], actor.size[2]) + max(other.size[0], other.size[2])) + 0.3
    end = (p + q) / 2 - u * gap / 2 if mutual else q - u * gap
    end[1] = p[1]
    if float(np.dot(end - p, u)) > 0:
        actor.go(end, speed)


def weave(actor: Actor, posts: list[Actor], direction: str | None, speed: float) -> None:
    """Slalom between ``posts`` (sorted along their longest spread), passing them on alternate sides."""
    pts = np.array([p.position for p in posts])
    if len(pts) == 0:
        return
    spread = pts.max(axis=0) - pts.min(axis=0)
    axis = 0 if spread[0] >= spread[2] else 2
    order = np.argsort(pts[:, axis])
    if direction in ("right_to_left", "left", "towards_camera"):
        order = order[::-1]
    elif direction not in ("left_to_right", "right", "away_from_camera") and len(pts) > 1:
        # no direction given: start from the end nearer the actor
        if abs(actor.position[axis] - pts[order[-1], axis]) < abs(actor.position[axis] - pts[order[0], axis]):
            order = order[::-1]
    sign = 1.0 if len(order) < 2 or pts[order[-1], axis] >= pts[order[0], axis] else -1.0
    cross = 2 if axis == 0 else 0
    lat = 0.5 * max(max(p.size[0], p.size[2]) for p in posts) + 0.5 * max(actor.size[0], actor.size[2]) + 0.4
    lead = max(actor.size) + 1.0
    path = []
    first = pts[order[0]].copy()
    first[axis] -= sign * lead
    path.append(first)
    for i, k in enumerate(order):
        p = pts[k].copy()
        p[cross] += lat * (1 if i % 2 == 0 else -1)
        path.append(p)
    last = pts[order[-1]].copy()
    last[axis] += sign * lead
    path.append(last)
    for p in path:
        p[1] = actor.position[1]
    if not actor.moved:
        actor.teleport(path[0])
        actor.yaw = yaw_of(path[1] - path[0])
        actor.keys[-1] = (actor.keys[-1][0], path[0].copy(), actor.yaw)
    else:
        actor.go(path[0], speed)
    for p in path[1:]:
        actor.go(p, speed)


def hop(actor: Actor, height: float | None = None) -> None:
    """A jump in place: up and back down (0.25 to 0.6 m, by the actor's height)."""
    h = height or float(np.clip(0.3 * actor.size[1], 0.25, 0.6))
    up = math.sqrt(2 * h / 9.81)
    p = actor.position.copy()
    actor._key(actor.t + up, p + [0.0, h, 0.0], actor.yaw)
    actor._key(actor.t + up, p, actor.yaw)
    actor.wait_until(actor.t + 0.2)  # lands before the next jump
    actor.moved = True


def place_during(actor: Actor, thing: Actor, relation: str, direction: str | None,
                 speed: float, distance: float | None) -> None:
    """A motion along ``thing`` on the side ``relation`` names, from one end to the other (camera-relative)."""
    c = thing.position
    hx = 0.5 * max(thing.size[0], thing.size[2]) + 0.5 * max(actor.size[0], actor.size[2]) + 0.5
    span = max(distance or 0.0, 2 * hx + 2.0, 4.0) / 2
    fixed = {"left_of": (0, -1), "right_of": (0, 1), "in_front_of": (2, 1), "behind": (2, -1),
             "near": (0, -1 if actor.position[0] <= c[0] else 1)}.get(relation)
    if relation in ("on", "above"):
        top = c + [0.0, thing.size[1], 0.0]
        a = top - [0.35 * thing.size[0], 0.0, 0.0]
        b = top + [0.35 * thing.size[0], 0.0, 0.0]
    elif fixed is None:  # under / inside / between ...: by it, left to right
        a, b = c + [-span, 0.0, hx], c + [span, 0.0, hx]
    else:
        axis, sign = fixed
        along = 2 if axis == 0 else 0
        side = np.zeros(3)
        side[axis] = sign * hx
        step = np.zeros(3)
        step[along] = span
        a, b = c + side - step, c + side + step
        if along == 2:  # along the depth: towards the camera unless told otherwise
            if direction in ("away_from_camera", "backward"):
                a, b = b, a
        elif direction in ("right_to_left", "left"):
            a, b = b, a
    if relation not in ("on", "above"):
        a[1] = b[1] = actor.position[1] if actor.position[1] > 0.3 else 0.0
    if not actor.moved:
        actor.teleport(a)
        actor.yaw = yaw_of(b - a)
        actor.keys[-1] = (actor.keys[-1][0], a.copy(), actor.yaw)
    else:
        actor.go(a, speed)
    actor.go(b, speed)


def board(rider: Actor, vehicle: Actor) -> bool:
    """A person who drives a car, van, truck or bus steps from where it stands into the driver's seat, turned
    the way the vehicle faces, so the vehicle sets off from where it stood, the way it faced (True: boarded)."""
    if not _cabin(vehicle):
        return False
    seat = vehicle.position + _driver(vehicle.yaw, _seat_of(vehicle))
    seat[1] = rider.position[1]
    if rider.moved or float(np.linalg.norm((rider.position - seat)[[0, 2]])) > 0.05:
        rider.go(seat, 0.8) if rider.moved else rider.teleport(seat)
        rider.stop()
    turn = abs(math.remainder(vehicle.yaw - rider.yaw, 2 * math.pi))
    if turn > 1e-3:
        if rider.moved:
            rider._key(rider.t + 0.6, rider.position, vehicle.yaw)
        else:
            rider.keys[0] = (rider.keys[0][0], rider.keys[0][1], vehicle.yaw)
        rider.keys[-1] = (rider.keys[-1][0], rider.keys[-1][1], vehicle.yaw)
        rider.yaw = vehicle.yaw
    return True


def _step_off(rider: Actor, ridden: Actor, t1: float, inside: np.ndarray) -> None:
    """The rider gets off at ``t1``: its way on starts beside what it rode (the driver's side, else its right),
    easing into the planned way over 1.5 s, on the ground."""
    at = next((k for k in rider.keys if abs(k[0] - t1) < 1e-6), None)
    if at is None:
        return
    yaw = at[2]
    out = -_driver(yaw, inside)
    out[1] = 0.0
    n = float(np.linalg.norm(out))
    side = out / n if n > 0.05 else right_of(yaw)
    side = side * (0.5 * ridden.size[0] + 0.5 * max(rider.size[0], rider.size[2]) + 0.25)
    keys = [(t, p + side * max(0.0, 1.0 - (t - t1) / 1.5) if t > t1 + 1e-6 else p, y) for t, p, y in rider.keys]
    k = next((i for i, key in enumerate(keys) if key[0] > t1 + 1e-6), None)
    if k is not None and k > 0:  # down from the seat and out to the side, easing in and out (no jolt)
        (ta, pa, ya), (tb, pb, yb) = keys[k - 1], keys[k]
        ease = [(ta + f * (tb - ta), pa + (pb - pa) * (f * f * (3 - 2 * f)), ya + (yb - ya) * f) for f in (0.25, 0.5, 0.75)]
        keys[k:k] = ease
    rider.keys = keys


def mount_time(rider: Actor, t0: float) -> float:
    """When a ride that starts at ``t0`` has its rider on what it rides: from the start (0) when the rider only
    waits for its turn before ``t0`` ('..., then a woman rides her bike past the fountain': she waits on her
    bike, not beside it, and neither jumps onto the other when her turn comes), else ``t0``."""
    if t0 <= 0.0:
        return t0
    before = [k[1] for k in rider.keys if k[0] < t0 - 1e-6]
    at_start = np.asarray(rider.keys[0][1])
    return 0.0 if all(np.allclose(p, at_start, atol=1e-6) for p in before) else t0


def attach(child: Actor, parent: Actor, kind: str, t0: float, t1: float = math.inf) -> None:
    """From ``t0`` on (until ``t1``: the rider gets off), ``child`` goes where ``parent`` goes: under it (ride),
    in front of it (push) or held (carry)."""
    keep = [k for k in child.keys if k[0] < t0 - 1e-6]
    ground = float(child.keys[0][1][1])
    inside = _seat_of(child) if kind == "ride" else np.zeros(2)
    if kind == "ride":  # the rider sits on the ridden thing, or in the driver's seat of a car, van, truck or bus
        seat = (CABIN_SEAT if _cabin(child) else SEAT) * child.size[1]
        parent.keys = [(t, p + [0.0, seat, 0.0] if t0 - 1e-6 <= t <= t1 + 1e-6 else p, y) for t, p, y in parent.keys]  # (boarded: in the seat)
        if math.isfinite(t1):
            _step_off(parent, child, t1, inside)
        parent.position = parent.keys[-1][1].copy()
    new = []
    for t, p, yaw in parent.keys:
        if t < t0 - 1e-6:
            continue
        if t > t1 + 1e-6:
            break  # got off: it stays where the ride ended
        f = forward_of(yaw)
        if kind == "ride":
            q = p - _driver(yaw, inside)
            q[1] = ground
        elif kind == "push":
            q = p + f * (0.5 * (parent.size[2] + child.size[2]) + 0.15)
            q[1] = ground
        else:  # carry: held in front at about hip height
            q = p + f * (0.5 * (parent.size[2] + child.size[2]) + 0.05)
            q[1] = p[1] + 0.45 * parent.size[1]
        new.append((t, q, yaw))
    if not new:
        return
    if not keep:
        new[0] = (0.0, new[0][1], new[0][2]) if new[0][0] > 0 else new[0]
    child.keys = keep + new
    child.position, child.yaw, child.t = new[-1][1].copy(), new[-1][2], new[-1][0]
    child.moved = True
