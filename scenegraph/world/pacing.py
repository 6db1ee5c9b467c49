"""The pace of a build: where the scene is (which sets traffic speeds) and the smoothing of every actor's keys.

Used by :mod:`scenegraph.world.builder` after the actions are planned.
"""
from __future__ import annotations

import math
import re

import numpy as np

from scenegraph.world.keyarrays import key_arrays
from scenegraph.world.planner import ObstacleMap, separate_starts
from scenegraph.world.profiles import SETTING_SPEED
from scenegraph.world.smoothing import smooth_keys
from scenegraph.world.yielding import yield_in_time

__all__ = ["scene_setting", "smooth_actors", "trim_trajectories", "prepare_paths", "keep_apart", "mover_order", "run_on"]

_MOVED_BY_OTHERS = ("throw", "drop", "ride", "push", "carry", "fall")
_TOGETHER = ("follow", "chase", "lead", "meet", "approach", "ride", "push", "carry", "throw", "overtake", "pass")

_WORDS = sorted(SETTING_SPEED, key=len, reverse=True)


def scene_setting(spec, prompt: str = "") -> str | None:
    """The setting word that decides traffic speeds: a speed-setting word of the prompt ("highway",
    "parking lot") when there is one, else the spec's setting."""
    text = (prompt or "").lower()
    for w in _WORDS:
        if re.search(rf"\b{re.escape(w)}s?\b", text):
            return w
    env = getattr(spec, "environment", None)
    return getattr(env, "setting", None)


def smooth_actors(actors: dict, fps: float, coast_until: float) -> None:
    """Replace each moving actor's planned keys by dense, smooth keys (:func:`smooth_keys`), in place.

    Actors handed to dynamics (thrown, dropped) keep their keys: the release velocity is theirs.
    A looping actor keeps a constant speed (no start or stop in a loop).
    """
    for actor in actors.values():
        if len(actor.keys) < 2 or actor.dynamics is not None:
            continue
        actor.plan = list(actor.keys)
        if actor.carrier is None or actor.carrier[0] not in actors:
            _smooth_one(actor, fps, coast_until)
    for actor in actors.values():
        if actor.plan is not None and actor.carrier is not None and actor.carrier[0] in actors:
            _carry(actor, actors[actor.carrier[0]], *actor.carrier[1:])


def _at(keys: list, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    kt, kp, ky = key_arrays(keys)
    ky = np.unwrap(ky)
    return np.stack([np.interp(t, kt, kp[:, i]) for i in range(3)], axis=1), np.interp(t, kt, ky)


def _carry(child, parent, t0: float, t1: float = math.inf) -> None:
    """The child's smooth keys from ``t0`` (to ``t1``, where its rider got off): held where its plan held it,
    in the carrier's own frame."""
    pre = [k for k in child.plan if k[0] < t0 - 1e-6]
    if parent.plan is None:
        return
    if math.isfinite(t1):  # the rider got off where its plan was at t1: when its smoothed way gets there
        stop, _ = _at(parent.plan, np.array([t1]))
        kt, kp, _ = key_arrays(parent.keys)
        d = np.linalg.norm((kp - stop[0])[:, [0, 2]], axis=1)
        step = np.r_[np.linalg.norm(np.diff(kp, axis=0), axis=1), 0.0]
        near = np.flatnonzero((d < 0.05) & (kt >= t0 - 1e-6) & (step < 1e-3))  # (there, and stopped)
        t1 = float(kt[near[0]] if len(near) else kt[int(np.argmin(d))])
    pk = [k for k in parent.keys if t0 - 1e-6 <= k[0] <= t1 + 1e-6]
    if not pk:
        return
    t = np.array([k[0] for k in pk])
    sp = np.array([k[1] for k in pk])
    sy = np.array([k[2] for k in pk])
    # its place in the carrier's frame (held, pushed in front, ridden on top), from the last planned key:
    # constant while carried, so a carrier's turn swings it round with the carrier and never jumps
    tl = float(child.plan[-1][0])
    cp, cy = _at(child.plan, np.array([tl]))
    pp, py = _at(parent.plan, np.array([tl]))
    rel, c0, s0 = cp[0] - pp[0], math.cos(py[0]), math.sin(py[0])
    local = np.array([rel[0] * c0 - rel[2] * s0, rel[1], rel[0] * s0 + rel[2] * c0])
    c, s = np.cos(sy), np.sin(sy)
    moved = np.stack([local[0] * c + local[2] * s, np.full(len(sy), local[1]), -local[0] * s + local[2] * c], axis=1)
    keys = pre + [(float(tt), q, float(y)) for tt, q, y in zip(t, sp + moved, sy + (cy[0] - py[0]))]
    child.keys = keys
    child.t, child.position, child.yaw = keys[-1][0], keys[-1][1].copy(), keys[-1][2]


def _smooth_one(actor, fps: float, coast_until: float) -> None:
    retimed: list[float] = []
    if actor.loop:
        keys = smooth_keys(actor.plan, actor.limits, fps, flying_start=True, open_end=True)
    else:
        keys = smooth_keys(actor.plan, actor.limits, fps, flying_start=actor.flying_start,
                           curve_cap=not getattr(actor, "synced", False), exact=actor.exact, retimed=retimed,
                           open_end=actor.open_end, coast_until=coast_until, body_length=float(actor.size[2]))
    if retimed and actor.phases:  # phases move with the keys a slowed bend shifted
        planned = np.array([k[0] for k in actor.plan])
        final = np.array(retimed)
        actor.phases_out = [(n, float(np.interp(t0, planned, final)),
                             float(np.interp(t1, planned, final)) if math.isfinite(t1) else t1, d)
                            for n, t0, t1, d in actor.phases]
    actor.keys = keys
    actor.t, actor.position, actor.yaw = keys[-1][0], keys[-1][1].copy(), keys[-1][2]


def run_on(actors: dict, until: float) -> None:
    """A mover that nothing told to stop (``open_end``) goes on the way it was going until ``until`` seconds,
    as a planned leg, so the way on is routed round what stands in it like any other leg."""
    for a in actors.values():
        if not (a.open_end and a.moving and len(a.keys) > 1) or a.loop or a.dynamics is not None or a.carrier:
            continue
        d = a.keys[-1][1] - a.keys[-2][1]
        if a.info is None or a.info.kind != "flyer":
            d[1] = 0.0
        n = float(np.linalg.norm(d))
        length = a.speed * (until - a.t)
        if n < 1e-6 or length < 0.1:
            continue
        a.go(a.position + d / n * length, a.speed)


def mover_order(spec, members) -> list[str]:
    """Entity ids that act, in the order of their first action (the planning priority)."""
    out: list[str] = []
    for a in spec.actions:
        for eid in members(a.actor):
            if eid not in out:
                out.append(eid)
    return out


def _carried(spec, members) -> set[str]:
    return {e for a in spec.actions if a.verb in _MOVED_BY_OTHERS for r in (a.target,) if r for e in members(r)}


def prepare_paths(actors: dict, spec, members, road=None) -> list[str]:
    """Before the actions are planned: movers that start inside one another are moved apart, and every
    actor gets the map of what stands still (legs are routed round it).  Returns the ids moved apart."""
    movers = [e for e in mover_order(spec, members) if e in actors and e not in _carried(spec, members)]
    groups = [members(es.id) for es in spec.entities if es.formation and es.id]  # laid out apart already
    together = {frozenset((x, y)) for ids in groups for x in ids for y in ids if x != y}
    moved = separate_starts(actors, [e for e in movers if actors[e].support is None], road, together)
    still = set(actors) - set(movers) - _carried(spec, members)
    things = [(e, actors[e].position, actors[e].yaw, actors[e].size) for e in sorted(still)
              if actors[e].size[1] > 0.1 and max(actors[e].size[0], actors[e].size[2]) < 60.0]
    m = ObstacleMap.build(things)
    for a in actors.values():
        a.obstacles = m
    moved += start_clear(actors, [e for e in movers if actors[e].support is None], m, spec, members)
    return moved


def start_clear(actors: dict, movers: list[str], m: ObstacleMap, spec, members) -> list[str]:
    """Movers whose start lies inside something that stands still step out of it to its nearest side,
    unless their actions name that thing (out of the house, from the car: they may start at or in it).
    Returns the ids moved."""
    moved = []
    for eid in movers:
        a = actors[eid]
        named = {o for act in spec.actions if eid in members(act.actor)
                 for r in (act.from_, act.to, act.via, act.target, getattr(act, "relative_to", None)) if r
                 for o in members(r)}
        radius = 0.5 * max(float(a.size[0]), float(a.size[2])) + 0.1
        y0, y1 = float(a.position[1]), float(a.position[1] + a.size[1])
        q = a.position[[0, 2]]
        out = m.outside(q, radius, y0, y1, a.ignore | named)
        if np.hypot(*(out - q)) > 1e-9:
            a.teleport(np.array([out[0], a.position[1], out[1]]))
            a.home = a.position.copy()
            moved.append(eid)
    return moved


def exempt_pairs(spec, members, actors: dict) -> set[frozenset]:
    """Pairs of movers that act together (one follows, carries, meets the other): they may come close."""
    pairs: set[frozenset] = set()
    for a in spec.actions:
        if a.verb in _TOGETHER or a.relation:
            for x in members(a.actor):
                for r in (a.target, a.to, a.via, getattr(a, "relative_to", None)):
                    for y in (members(r) if r else []):
                        if x != y:
                            pairs.add(frozenset((x, y)))
    for eid, a in actors.items():
        if a.support is not None:
            pairs.add(frozenset((eid, a.support.id)))
    for a in spec.actions:  # a group in formation keeps its own spacing (world.formation): no waits among them
        ids = [e for e in members(a.actor) if getattr(actors.get(e), "formation", None)]
        pairs |= {frozenset((x, y)) for x in ids for y in ids if x != y}
    return pairs


def keep_apart(actors: dict, spec, members, fps: float, coast_until: float, horizon: float) -> list[str]:
    """After smoothing: later movers wait for earlier ones where their paths would meet (a time-space
    reservation, :func:`scenegraph.world.yielding.yield_in_time`).  Returns warnings."""
    order = [e for e in mover_order(spec, members) if e in actors and actors[e].plan is not None
             and actors[e].dynamics is None and not actors[e].loop]
    return yield_in_time(actors, order, lambda a: _smooth_one(a, fps, coast_until), horizon,
                         exempt_pairs(spec, members, actors))


def trim_trajectories(scene, end: float) -> None:
    """Cut every non-looping trajectory that runs past ``end`` seconds (a mover coasting on past the
    clip) at ``end``, with a key interpolated there."""
    import numpy as np

    from scenegraph.world.trajectory import slerp

    for tr in scene.trajectories():
        if tr.loop or tr.times[-1] <= end + 1e-6 or tr.times[0] >= end:
            continue
        k = int(np.searchsorted(tr.times, end, side="right"))  # keys [0, k) are at or before the end
        t0, t1 = tr.times[k - 1], tr.times[k]
        u = (end - t0) / (t1 - t0)
        times = np.append(tr.times[:k], end) if end > t0 + 1e-6 else tr.times[:k]
        changes = {"times": times}
        for name in ("positions", "scales"):
            arr = getattr(tr, name)
            if arr is not None:
                changes[name] = np.vstack([arr[:k], arr[k - 1] + u * (arr[k] - arr[k - 1])])[: len(times)]
        if tr.rotations is not None:
            q = slerp(tr.rotations[k - 1][:, None], tr.rotations[k][:, None], np.array([u]))[:, 0]
            changes["rotations"] = np.vstack([tr.rotations[:k], q])[: len(times)]
        scene.update(tr.id, **changes)


def clear_altitude(eid: str, spec, members, placed: dict, size: dict, clearance: float = 1.5) -> float:
    """The height a flyer cruises at to clear the things its actions fly over, to or round (their top plus
    ``clearance``); 0 when its actions name none."""
    top = 0.0
    for a in spec.actions:
        if eid not in members(a.actor):
            continue
        for r in (a.via, a.to, a.target, getattr(a, "relative_to", None)):
            for o in (members(r) if r else []):
                if o in placed and o != eid:
                    top = max(top, float(placed[o][0][1] + size[o][1]))
    return top + clearance if top > 0 else 0.0
