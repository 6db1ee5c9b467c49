"""Movers keep clear of each other in time: a time-space reservation over their smoothed paths.

Movers in planning order reserve their swept boxes; a later mover whose box meets a reserved one waits (a
stop inserted in its planned keys before the meeting, or a later start when the meeting comes within the
ramp of a start) until the way is clear, or, when the one it meets stands there from then on, goes round
it (:func:`_detour`).  Static detours and separated starts are :mod:`scenegraph.world.planner`'s.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.world.keyarrays import key_arrays
from scenegraph.world.planner import MARGIN, ObstacleMap

__all__ = ["yield_in_time"]


def _boxes_overlap(pa, ya, sa, pb, yb, sb, pad: float) -> np.ndarray:
    """Per sample: do two oriented footprints (positions (S, 3), yaws (S,), sizes (3,)) overlap by > pad?"""
    d = (pb - pa)[:, [0, 2]]
    axes = []
    for yaw in (ya, yb):
        axes.append(np.stack([np.cos(yaw), -np.sin(yaw)], axis=1))  # local x in (x, z)
        axes.append(np.stack([np.sin(yaw), np.cos(yaw)], axis=1))  # local z
    ax_a = (axes[0], axes[1])
    ax_b = (axes[2], axes[3])
    depth = np.full(len(d), np.inf)
    for u in axes:
        ra = sa[0] / 2 * np.abs(np.sum(ax_a[0] * u, 1)) + sa[2] / 2 * np.abs(np.sum(ax_a[1] * u, 1))
        rb = sb[0] / 2 * np.abs(np.sum(ax_b[0] * u, 1)) + sb[2] / 2 * np.abs(np.sum(ax_b[1] * u, 1))
        depth = np.minimum(depth, ra + rb - np.abs(np.sum(d * u, 1)))
    yo = np.minimum(pa[:, 1] + sa[1], pb[:, 1] + sb[1]) - np.maximum(pa[:, 1], pb[:, 1])
    return (depth > -pad) & (yo > 0.05)


def _sample(keys: list, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    kt, kp, ky = key_arrays(keys)
    ky = np.unwrap(ky)
    pos = np.stack([np.interp(t, kt, kp[:, i]) for i in range(3)], axis=1)
    return pos, np.interp(t, kt, ky)


def yield_in_time(actors: dict, order: list[str], resmooth, horizon: float, exempt: set[frozenset] = frozenset(),
                  step: float = 0.1, max_wait: float = 8.0) -> list[str]:
    """Time-space reservation: each mover in ``order`` (planning priority) keeps clear of the movers before it.

    A later mover whose box meets an earlier one's at time tc stops before tc and waits until the way is
    clear (re-planned by ``resmooth(actor)``, which must rebuild its smooth keys from ``actor.plan``).
    ``exempt`` pairs may touch.  Returns warnings for what could not be separated.
    """
    t = np.arange(0.0, horizon + 1e-9, step)
    done: list[tuple[str, np.ndarray, np.ndarray]] = []
    notes = []
    stops: dict[str, list[tuple[float, float]]] = {}  # the waits put into each mover's plan: (meeting time, wait)
    for eid in order:
        a = actors[eid]
        waited, detours = 0.0, 0
        led = stops.get(getattr(a, "leader", None) or "", [])
        if led and getattr(a, "plan", None):  # a follower waits where its leader waited ('walks his dog': at his side)
            for tc, wait in led:
                if _wait_before(a, tc, wait):
                    stops.setdefault(eid, []).append((tc, wait))
                    waited += wait
            resmooth(a)
        for attempt in range(int(max_wait / 0.5) + 1):
            pa, ya = _sample(a.keys, t)
            lo, hi = pa.min(axis=0) - max(a.size), pa.max(axis=0) + max(a.size)
            # before it sets off it stands where it was placed: a mover that only passes it there (a car going
            # by a dog at its walker's side) cannot be waited for, so such a meeting does not count
            still = np.all(np.abs(pa - pa[:1]) < 1e-6, axis=1)
            setoff = int(np.argmin(still)) if not still.all() else len(t)
            first = None
            for other, pb, yb, blo, bhi in done:
                if frozenset((eid, other)) in exempt:
                    continue
                if hi[0] < blo[0] or hi[2] < blo[2] or lo[0] > bhi[0] or lo[2] > bhi[2]:
                    continue
                b = actors[other]
                # broad phase per sample: bounding circles of the two footprints
                reach = 0.5 * (math.hypot(a.size[0], a.size[2]) + math.hypot(b.size[0], b.size[2])) + 0.1
                dxz = pa[:, [0, 2]] - pb[:, [0, 2]]
                near = np.flatnonzero(np.einsum("ij,ij->i", dxz, dxz) < reach * reach)
                if not near.size:
                    continue
                hit = _boxes_overlap(pa[near], ya[near], a.size, pb[near], yb[near], b.size, 0.1)
                if hit.any() and near[np.argmax(hit)] < setoff:
                    f = int(near[np.argmax(hit)])
                    if not np.all(np.abs(pb[f:] - pb[f]) < 1e-6):  # it passes by: count only meetings once a moves
                        hit &= near >= setoff
                if hit.any():
                    f = int(near[np.argmax(hit)])
                    if first is None or f < first[0]:
                        first = (f, other, pb, yb)
            if first is None:
                break
            f, other, pb, yb = first
            tc = float(t[f])
            if detours < 3 and np.all(np.abs(pb[f:] - pb[f]) < 1e-6) and _detour(a, actors[other], pb[f], float(yb[f])):
                detours += 1  # it stands there from now on: waiting is no use, go round it
                resmooth(a)
                continue
            if waited >= max_wait:
                notes.append(f"{eid} waited {max_wait:g} s for {other} and goes on")
                break
            wait = min(0.5 * (attempt + 1), 2.0, max_wait - waited)  # longer waits for a way that stays blocked
            if tc <= 1e-6 or not getattr(a, "plan", None) or not _wait_before(a, tc, wait):
                notes.append(f"{eid} and {other} could not be kept apart at {tc:.1f} s")
                break
            waited += wait
            stops.setdefault(eid, []).append((tc, wait))
            resmooth(a)
        else:
            notes.append(f"{eid} waited {max_wait:g} s for {first[1]} and goes on")
        pa, ya = _sample(a.keys, t)
        done.append((eid, pa, ya, pa.min(axis=0) - max(a.size), pa.max(axis=0) + max(a.size)))  # with its swept box
    return notes


def _wait_before(actor, tc: float, wait: float) -> bool:
    """Insert a stop of ``wait`` seconds into ``actor.plan`` (its planned keys) ending its motion a little
    before ``tc``; later keys shift by the wait.  False when there is nothing to shift."""
    keys = actor.plan
    kt = np.array([k[0] for k in keys])
    lead = 0.6 + actor.limits.ramp(actor.speed or 1.0, braking=True)
    ts = tc - lead
    first_move = next((i for i in range(len(keys) - 1) if np.linalg.norm(keys[i + 1][1] - keys[i][1]) > 1e-6), None)
    if first_move is None:
        return False
    if ts <= kt[first_move] + 1e-3:  # the meeting comes before it is under way: it sets off later
        ts = kt[first_move]
        new = keys[: first_move + 1] + [(k[0] + wait, k[1], k[2]) for k in keys[first_move + 1:]]
        t0, p0, y0 = keys[first_move]
        new.insert(first_move + 1, (t0 + wait, p0.copy(), y0))
        actor.plan = _dedupe(new)
        _shift_marks(actor, ts, wait)
        if getattr(actor, "flying_start", False) and first_move == 0:
            actor.flying_start = False
        return True
    i = int(np.searchsorted(kt, ts, side="right")) - 1
    if i >= len(keys) - 1:
        return False
    # a stop too soon after a start from rest (or after entering at speed) cannot brake in time: the body
    # waits where it stood (or where it came in) instead, and sets off later
    r = i
    while r > first_move and np.linalg.norm(keys[r][1] - keys[r - 1][1]) > 1e-6:
        r -= 1
    seg = np.linalg.norm(keys[i + 1][1] - keys[i][1]) / max(kt[i + 1] - kt[i], 1e-9)
    v = float(seg) or (actor.speed or 1.0)
    if ts - kt[r] < actor.limits.ramp(v) + actor.limits.ramp(v, braking=True):
        t0, p0, y0 = keys[r]
        new = keys[: r + 1] + [(t0 + wait, p0.copy(), y0)] + [(k[0] + wait, k[1], k[2]) for k in keys[r + 1:]]
        actor.plan = _dedupe(new)
        _shift_marks(actor, t0, wait)
        if getattr(actor, "flying_start", False) and r == first_move == 0:
            actor.flying_start = False
        return True
    t0, p0, y0 = keys[i]
    t1, p1, y1 = keys[i + 1]
    u = (ts - t0) / max(t1 - t0, 1e-9)
    pm = p0 + u * (p1 - p0)
    extra = wait + actor.limits.ramp(actor.speed or 1.0)  # stop, stand, start again
    new = keys[: i + 1] + [(ts, pm, y1), (ts + extra, pm.copy(), y1)] + [(k[0] + extra, k[1], k[2]) for k in keys[i + 1:]]
    actor.plan = _dedupe(new)
    _shift_marks(actor, ts, extra)
    return True


def _detour(actor, other, pos: np.ndarray, yaw: float) -> bool:
    """Re-plan ``actor.plan`` round ``other`` standing at ``pos`` (facing ``yaw``) for good: legs through its
    footprint go round it, a key inside it moves out (to the side it is reached from); later keys shift by
    the time the longer way takes.  False when nothing changes (or the plan has exact spans to keep)."""
    keys = actor.plan
    if not keys or len(keys) < 2 or getattr(actor, "exact", None):
        return False
    m = ObstacleMap.build([(other.id, np.asarray(pos, dtype=np.float64), yaw, np.asarray(other.size, dtype=np.float64))])
    radius = 0.5 * float(actor.size[0]) + MARGIN
    moved: dict[int, np.ndarray] = {}
    prev = keys[0][1][[0, 2]]
    for i, k in enumerate(keys):
        q = k[1][[0, 2]]
        out = m.outside(q, radius, -1e9, 1e9, toward=prev if np.linalg.norm(q - prev) > 1e-6 else None)
        if np.linalg.norm(out - q) > 1e-9:
            moved[i] = np.array([out[0], k[1][1], out[1]])
        if np.linalg.norm(q - prev) > 1e-6:
            prev = q
    pts = [moved.get(i, k[1]) for i, k in enumerate(keys)]
    new = [(keys[0][0], pts[0], keys[0][2])]
    shift, shifts, changed = 0.0, [], bool(moved)
    for i in range(1, len(keys)):
        t0, t1 = keys[i - 1][0], keys[i][0]
        p, q = pts[i - 1], pts[i]
        d = float(np.linalg.norm((q - p)[[0, 2]]))
        legs = m.route(p[[0, 2]], q[[0, 2]], radius, -1e9, 1e9) if d > 1e-6 else [q[[0, 2]]]
        if len(legs) > 1:  # no corner behind the start or past the end (a step back is a stop and a turn)
            u = (q - p)[[0, 2]] / max(d, 1e-9)
            legs = [w for w in legs[:-1] if 0.05 < float((w - p[[0, 2]]) @ u) < d - 0.05] + legs[-1:]
        if len(legs) > 1:
            changed = True
            speed = d / max(t1 - t0, 1e-9)
            here, walked = p[[0, 2]], 0.0
            for w in legs[:-1]:
                walked += float(np.linalg.norm(w - here))
                here = w
                frac = walked / max(d, 1e-9)
                new.append((t0 + shift + walked / speed, np.array([w[0], p[1] + (q[1] - p[1]) * min(frac, 1.0), w[1]]),
                            keys[i][2]))
            total = walked + float(np.linalg.norm(q[[0, 2]] - here))
            extra = (total - d) / speed
            shifts.append((t0, extra))
            shift += extra
        new.append((t1 + shift, q, keys[i][2]))
    if not changed:
        return False
    actor.plan = _dedupe(new)
    for ts, extra in reversed(shifts):
        _shift_marks(actor, ts, extra)
    return True


def _shift_marks(actor, ts: float, extra: float) -> None:
    """Exact spans and phases that begin after ``ts`` move later by ``extra`` seconds with the keys."""
    if getattr(actor, "exact", None):
        actor.exact = [(a + extra, b + extra) if a >= ts - 1e-9 else (a, b) for a, b in actor.exact]
    if getattr(actor, "phases", None):
        actor.phases = [(n, a + (extra if a >= ts - 1e-9 else 0.0), b + (extra if b >= ts - 1e-9 else 0.0), d)
                        for n, a, b, d in actor.phases]


def _dedupe(keys: list) -> list:
    out = [keys[0]]
    for k in keys[1:]:
        if k[0] > out[-1][0] + 1e-6:
            out.append(k)
    return out
