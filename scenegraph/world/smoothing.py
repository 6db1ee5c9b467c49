"""Planned keys -> motion a body can make: bounded acceleration and jerk, rounded corners, smooth heading.

The action planner (:mod:`scenegraph.world.motion`) writes an actor's keys as
straight segments at cruise speeds, with pauses (two keys at one place), and
accounts for the time a start from rest and a stop take (:func:`start_overhead`).
:func:`smooth_keys` turns them into dense keys (one per frame) that a
simulation can sample without any jump:

- each *run* (keys between pauses) follows its polyline with corners rounded
  to at least the body's turning radius (a car never turns on the spot);
- its speed is the planned speed per segment, every change of speed a
  half-cosine ramp bounded by the archetype's acceleration and jerk
  (:mod:`scenegraph.world.profiles`); a run starts and ends at rest unless it
  enters at speed (``flying_start``) or goes on to the end of the clip
  (``open_end``: the body coasts on at its last speed instead of parking);
- the heading follows the direction the body moves (the path's tangent where it
  barely moves) and turns at a bounded yaw rate while the body stands (a person
  turning round before walking back);
- a wheeled body (car, bus, bicycle ...) whose next run starts off its heading
  pulls ahead half a body length and drives a turning arc onto it
  (:func:`_lead_in`) instead of turning on the spot; a run back behind it
  (more than :data:`REVERSAL`) still starts with a turn where it stands.

Key times of the planned runs (start, end) are kept, so action spans and
"then" / "while" timing stay as planned.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.world.keyarrays import KeyList
from scenegraph.world.profiles import MotionLimits

__all__ = ["smooth_keys", "start_overhead", "stop_overhead", "REVERSAL"]

#: a corner sharper than this (radians) is taken by stopping, turning and starting again
REVERSAL = math.radians(100.0)
_ARC_STEP = math.radians(6.0)
_EPS = 1e-6


def start_overhead(limits: MotionLimits, v: float) -> float:
    """Extra seconds a start from rest to ``v`` m/s takes over moving at ``v`` from the first instant."""
    return 0.5 * limits.ramp(v)


def stop_overhead(limits: MotionLimits, v: float) -> float:
    """Extra seconds a stop from ``v`` m/s takes over arriving at ``v``."""
    return 0.5 * limits.ramp(v, braking=True)


def _ramp(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(math.pi * u)


def _fillet(pts: np.ndarray, speeds: np.ndarray, limits: MotionLimits) -> np.ndarray:
    """The polyline ``pts`` (N, 3) with every corner replaced by a circular arc (radius from the turning
    radius and the comfortable lateral acceleration at the slower adjacent speed)."""
    if len(pts) < 3:
        return pts
    out = [pts[0]]
    for i in range(1, len(pts) - 1):
        a, b, c = pts[i - 1], pts[i], pts[i + 1]
        u, w = b - a, c - b
        lu, lw = float(np.linalg.norm(u)), float(np.linalg.norm(w))
        if lu < _EPS or lw < _EPS:
            out.append(b)
            continue
        u, w = u / lu, w / lw
        theta = math.acos(max(-1.0, min(1.0, float(u @ w))))
        if theta < math.radians(1.0):
            out.append(b)
            continue
        v = float(min(speeds[i - 1], speeds[i]))
        radius = max(limits.turn_radius, v * v / limits.lateral, 0.05)
        d = radius * math.tan(theta / 2)
        d_max = 0.45 * min(lu, lw)
        if d > d_max:
            d = d_max
            radius = d / math.tan(theta / 2)
        p0, p1 = b - u * d, b + w * d
        n = max(2, int(math.ceil(theta / _ARC_STEP)))
        # quadratic Bezier through the corner approximates the arc closely and stays tangent at both ends
        s = np.linspace(0.0, 1.0, n + 1)[:, None]
        arc = (1 - s) ** 2 * p0 + 2 * (1 - s) * s * b + s * s * p1
        out.extend(arc)
    out.append(pts[-1])
    res = np.array(out)
    keep = np.ones(len(res), bool)
    keep[1:] = np.linalg.norm(np.diff(res, axis=0), axis=1) > 1e-9
    return _chaikin(res[keep], 3)


def _soften(pts: np.ndarray, rest_start: bool = False, rest_end: bool = False) -> np.ndarray:
    """Positions (M, 3) filtered twice with a 5-tap binomial kernel (ends held): removes the per-frame
    jitter of a path sampled off a polyline without changing where or when it goes.  An end at rest is
    mirrored (zero velocity there), an end under way is extended straight (odd reflection)."""
    if len(pts) < 7:
        return pts
    k = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    out = pts.copy()
    for _ in range(2):
        head = out[2:0:-1] if rest_start else 2 * out[:1] - out[2:0:-1]
        tail = out[-2:-4:-1] if rest_end else 2 * out[-1:] - out[-2:-4:-1]
        pad = np.vstack([head, out, tail])
        sm = sum(k[i] * pad[i:i + len(out)] for i in range(5))
        out[2:-2] = sm[2:-2]
    return out


def _chaikin(pts: np.ndarray, rounds: int) -> np.ndarray:
    """Corner cutting (Chaikin): spreads each remaining kink's turn over its neighbourhood, so curvature
    (and the sideways acceleration of a body following the path) varies gradually.  Ends are kept."""
    for _ in range(rounds):
        if len(pts) < 3:
            return pts
        a, b = pts[:-1], pts[1:]
        q = 0.75 * a + 0.25 * b
        r = 0.25 * a + 0.75 * b
        mid = np.empty((2 * len(a), 3))
        mid[0::2], mid[1::2] = q, r
        pts = np.vstack([pts[:1], mid[1:-1], pts[-1:]])
    return pts


def _speed_profile(times: np.ndarray, speeds: np.ndarray, v_start: float, v_end: float, limits: MotionLimits,
                   grid: np.ndarray) -> np.ndarray:
    """Speed (len(grid),) over a run with segment ``speeds`` between key ``times``: the planned speeds joined
    by half-cosine ramps (centred on interior keys; inside the run at its ends)."""
    t_a, t_b = float(times[0]), float(times[-1])
    v = np.full(grid.shape, float(v_start))
    first = float(speeds[0])
    if abs(first - v_start) > _EPS:
        tau = min(limits.ramp(first - v_start, braking=first < v_start), t_b - t_a)
        v += (first - v_start) * _ramp((grid - t_a) / max(tau, _EPS))
    for i in range(1, len(speeds)):
        dv = float(speeds[i] - speeds[i - 1])
        if abs(dv) < 1e-3:
            continue
        tau = limits.ramp(dv, braking=dv < 0)
        v += dv * _ramp((grid - (times[i] - tau / 2)) / max(tau, _EPS))
    last = float(speeds[-1])
    if abs(last - v_end) > _EPS:
        tau = min(limits.ramp(v_end - last, braking=v_end < last), t_b - t_a)
        v += (v_end - last) * _ramp((grid - (t_b - tau)) / max(tau, _EPS))
    return np.maximum(v, 0.0)


def _curvature_cap(geo: np.ndarray, cum: np.ndarray, limits: MotionLimits) -> np.ndarray:
    """Per vertex of ``geo`` (M, 3): the highest speed (m/s) at which the body's sideways acceleration on the
    path's curvature stays within ``limits.lateral`` (inf on straights).  Curvature is the turn at a vertex
    over the mean length of its two segments, spread over +-2 vertices (the curve, not one kink)."""
    cap = np.full(len(geo), np.inf)
    if len(geo) < 3:
        return cap
    d = np.diff(geo, axis=0)
    n = np.linalg.norm(d, axis=1)
    ok = n > 1e-9
    u = d / np.where(ok, n, 1.0)[:, None]
    turn = np.arccos(np.clip(np.einsum("ij,ij->i", u[1:], u[:-1]), -1.0, 1.0))  # in 3D: a climb levelling off bends too
    turn = np.where(ok[1:] & ok[:-1], turn, 0.0)
    span = 0.5 * (n[1:] + n[:-1])
    # the turn over a window of 5 vertices divided by the length of that window: robust to uneven sampling
    k = 2
    tpad = np.concatenate([np.zeros(k), turn, np.zeros(k)])
    spad = np.concatenate([np.zeros(k), span, np.zeros(k)])
    cs_t = np.concatenate([[0.0], np.cumsum(tpad)])
    cs_s = np.concatenate([[0.0], np.cumsum(spad)])
    win_t = cs_t[2 * k + 1:] - cs_t[: -2 * k - 1]
    win_s = cs_s[2 * k + 1:] - cs_s[: -2 * k - 1]
    kappa = np.maximum(turn / np.maximum(span, 1e-9), win_t / np.maximum(win_s, 1e-9))
    kappa = np.where(span > 1e-9, kappa, 0.0)
    with np.errstate(divide="ignore"):
        cap[1:-1] = np.where(kappa > 1e-6, np.sqrt(limits.lateral / np.maximum(kappa, 1e-12)), np.inf)
    return cap


def _curve_capped(geo: np.ndarray, cum: np.ndarray, grid: np.ndarray, s: np.ndarray, v_start: float, v_end: float,
                  limits: MotionLimits) -> tuple[np.ndarray, np.ndarray] | None:
    """A run's arc length over time with its speed capped by the path's curvature (lateral acceleration
    at most ``limits.lateral``), or None when no bend needs it.  ``grid`` (T,) times and ``s`` (T,) arc
    lengths of the planned profile; returns a new (times, arc lengths) pair starting at ``grid[0]``, the
    slower stretches joined by ramps bounded by the body's acceleration and braking."""
    cap_v = _curvature_cap(geo, cum, limits)
    if not np.isfinite(cap_v).any() or cum[-1] < 1e-6:
        return None
    v_plan = np.gradient(s, grid)
    n = int(min(max(64, math.ceil(cum[-1] / 0.05)), 20000))
    ss = np.linspace(0.0, cum[-1], n + 1)
    vp = np.interp(ss, s, v_plan)
    # the cap at each sample: the tightest vertex cap within half a body of it (vertices are dense near bends)
    vc = np.interp(ss, cum, np.where(np.isfinite(cap_v), cap_v, 1e6))
    if np.all(vp <= vc * 1.02):
        return None
    u = np.minimum(vp, 0.92 * vc)
    ds = np.diff(ss)
    acc, brk = 0.8 * limits.accel, 0.8 * limits.brake

    def bounded(u: np.ndarray) -> np.ndarray:
        """u (speeds over ``ss``) lowered so that u^2 grows by at most 2 acc ds forwards (speeding up) and
        2 brk ds backwards (braking): running minima of u^2 -/+ 2 a s, in closed form."""
        w = np.square(u)
        w[0] = min(w[0], v_start * v_start) if v_start > 0 else 0.0
        w[-1] = min(w[-1], v_end * v_end) if v_end > 0 else 0.0
        w = 2 * acc * ss + np.minimum.accumulate(w - 2 * acc * ss)
        w = -2 * brk * ss + np.minimum.accumulate((w + 2 * brk * ss)[::-1])[::-1]
        return np.sqrt(np.maximum(w, 0.0))

    cap = u.copy()
    u = bounded(cap)
    # the speed over distance, softened (corners of the trapezoid -> bounded jerk), then bounded again
    w = max(1, int(round(0.25 * max(float(u.mean()), 0.3) / max(float(ds.mean()), 1e-6))))
    if w > 1 and n > 2 * w:
        ker = np.hanning(2 * w + 1)
        ker /= ker.sum()
        pad = np.concatenate([np.full(w, u[0]), u, np.full(w, u[-1])])
        u = bounded(np.minimum(np.convolve(pad, ker, mode="valid"), cap))
    mean = 0.5 * (u[1:] + u[:-1])
    dt = ds / np.maximum(mean, 1e-3)
    tt = grid[0] + np.concatenate([[0.0], np.cumsum(dt)])
    return tt, ss


def _along(path: np.ndarray, cum: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (M, 3) at arc lengths ``s`` along ``path`` (cumulative lengths ``cum``) and the unit tangents there
    (blended between segment directions near each vertex so the heading turns smoothly)."""
    s = np.clip(s, 0.0, cum[-1])
    seg = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(path) - 2)
    ds = cum[seg + 1] - cum[seg]
    u = np.where(ds > 0, (s - cum[seg]) / np.where(ds > 0, ds, 1.0), 0.0)
    pts = path[seg] + (path[seg + 1] - path[seg]) * u[:, None]
    dirs = np.diff(path, axis=0)
    n = np.linalg.norm(dirs, axis=1, keepdims=True)
    dirs = dirs / np.where(n > 0, n, 1.0)
    # vertex tangents: mean of the adjacent segments; tangent along a segment blends its two vertex tangents
    vt = np.empty((len(path), 3))
    vt[0], vt[-1] = dirs[0], dirs[-1]
    vt[1:-1] = dirs[:-1] + dirs[1:]
    vn = np.linalg.norm(vt, axis=1, keepdims=True)
    vt = np.where(vn > 1e-9, vt / np.where(vn > 1e-9, vn, 1.0), np.vstack([dirs[:1], dirs])[: len(path)])
    tan = vt[seg] * (1 - u[:, None]) + vt[seg + 1] * u[:, None]
    return pts, tan


#: a wheeled body whose path starts more than this off its heading drives a turning arc onto it instead of
#: turning on the spot; bodies with a wider turning circle than the last (trains, aircraft) keep their tracks
_LEAD_MIN = math.radians(12.0)
_LEAD_MAX_RADIUS = 12.5


def _lead_in(p0: np.ndarray, yaw0: float, target: np.ndarray, radius: float, pull: float) -> np.ndarray | None:
    """Points (K, 3) from ``p0`` (heading ``yaw0``): a pull of ``pull`` metres straight ahead, then a forward arc
    of ``radius`` turning toward ``target`` until the body faces it: how a car pulls round onto a way that
    starts beside or behind it, its tail past whoever stands at its flank before it swings out.
    None when it already faces the way (within :data:`_LEAD_MIN`), when the way goes back behind it (more
    than :data:`REVERSAL` off: a U-turn needs room that may not be there), or when ``target`` lies inside the
    turning circle (no forward arc reaches it); the body then turns where it stands, as before."""
    to = target - p0
    d = math.remainder(math.atan2(float(to[0]), float(to[2])) - yaw0, 2 * math.pi)
    if abs(d) < _LEAD_MIN or abs(d) > REVERSAL:  # a way back behind it needs room a U-turn may not have
        return None
    heading = np.array([math.sin(yaw0), 0.0, math.cos(yaw0)])
    start = p0 + heading * pull
    sgn = 1.0 if d > 0 else -1.0
    c = start + sgn * radius * np.array([math.cos(yaw0), 0.0, -math.sin(yaw0)])
    if math.hypot(float(target[0] - c[0]), float(target[2] - c[2])) < radius * 1.05:
        return None
    pts = [p0 + heading * x for x in np.linspace(0.0, pull, max(2, int(math.ceil(pull / 0.5))) + 1)[1:]] if pull > 0 else []
    step = math.radians(3.0)
    for k in range(1, int(2 * math.pi / step) + 1):
        y = yaw0 + sgn * k * step
        q = c - sgn * radius * np.array([math.cos(y), 0.0, -math.sin(y)])  # at the start's height, as c is
        pts.append(q)
        off = math.remainder(math.atan2(float(target[0] - q[0]), float(target[2] - q[2])) - y, 2 * math.pi)
        if sgn * off <= math.radians(1.5):  # facing the target (or just past): drive straight on
            break
    return np.array(pts)


def _yaw(vec: np.ndarray, fallback: float) -> np.ndarray:
    h = np.hypot(vec[:, 0], vec[:, 2])
    yaw = np.arctan2(vec[:, 0], vec[:, 2])
    return np.where(h > 1e-6, yaw, fallback)


def smooth_keys(keys: list, limits: MotionLimits, fps: float, *, flying_start: bool = False, open_end: bool = False,
                coast_until: float | None = None, turn_on_path: bool = True, curve_cap: bool = True,
                exact: list | None = None, retimed: list | None = None, body_length: float = 0.0) -> list:
    """Dense keys ``(t, position (3,), yaw)`` for the planned ``keys`` of one actor (see the module docstring).

    ``fps``: key rate (keys fall on the frame grid t = i / fps); ``coast_until``: with ``open_end``, the
    last run goes on at its final velocity until this time.  ``turn_on_path`` False keeps the planned yaws
    (a thing pushed or carried faces where it is put).  ``curve_cap`` slows the body in bends so its sideways
    acceleration stays within ``limits.lateral`` (the run then takes longer and later keys shift); False for
    keys locked to another body's clock (a follower, an overtaker).  ``exact``: (t0, t1) spans whose keys are
    kept as planned (a ballistic jump), sampled on the frame grid.  ``retimed``, a list, receives the final
    time of every planned key (bends slowed shift what follows).  ``body_length`` (m, nose to tail): a wheeled
    body pulls straight ahead half of it (at most its turning radius) before it turns onto a way that starts
    off its heading, so its tail swings out only once it is past what stood beside its middle.
    """
    if len(keys) < 2:
        return list(keys)
    t = np.array([k[0] for k in keys], dtype=np.float64)
    p = np.array([k[1] for k in keys], dtype=np.float64)
    yaw_in = np.array([k[2] for k in keys], dtype=np.float64)
    dp = np.diff(p, axis=0)
    dist = np.linalg.norm(dp, axis=1)
    moving = dist > _EPS
    dt = np.diff(t)
    out_t: list[np.ndarray] = [t[:1]]
    out_p: list[np.ndarray] = [p[:1]]
    out_y: list[np.ndarray] = [yaw_in[:1]]
    # runs: maximal stretches of moving segments, split where the path reverses
    fixed = np.zeros(len(dt), bool)
    for e0, e1 in exact or ():
        fixed |= (t[:-1] >= e0 - 1e-6) & (t[1:] <= e1 + 1e-6)
    pieces: list[tuple[int, int]] = []  # exact stretches, kept as planned
    i = 0
    while i < len(dt):
        if fixed[i]:
            j = i
            while j + 1 < len(dt) and fixed[j + 1]:
                j += 1
            pieces.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    free = moving & ~fixed
    runs: list[tuple[int, int]] = []
    i = 0
    nseg = len(dt)
    while i < nseg:
        if not free[i]:
            i += 1
            continue
        j = i
        while j + 1 < nseg and free[j + 1]:
            a, b = dp[j], dp[j + 1]
            cos = float(a @ b) / (dist[j] * dist[j + 1])
            if math.acos(max(-1.0, min(1.0, cos))) > REVERSAL:
                break
            j += 1
        runs.append((i, j + 1))
        i = j + 1
    step = 1.0 / fps
    last_t, last_p, last_yaw = t[0], p[0], yaw_in[0]

    def emit(tt: np.ndarray, pp: np.ndarray, yy: np.ndarray) -> None:
        nonlocal last_t, last_p, last_yaw
        keep = tt > last_t + 1e-6
        if keep.any():
            out_t.append(tt[keep])
            out_p.append(pp[keep])
            out_y.append(yy[keep])
            last_t, last_p, last_yaw = float(tt[keep][-1]), pp[keep][-1], float(yy[keep][-1])

    def frames(t0: float, t1: float) -> np.ndarray:
        g = np.arange(math.floor(t0 * fps) + 1, math.ceil(t1 * fps - 1e-9)) * step
        g = g[(g > t0 + 1e-6) & (g < t1 - 1e-6)]
        return np.concatenate([g, [t1]])

    def hold_until(t1: float, yaw_target: float | None, keyed: list[tuple[float, float]]) -> None:
        """Stand still until ``t1``; planned yaw keys inside are turned at the yaw-rate limit; end facing
        ``yaw_target`` (the next run's heading)."""
        if t1 <= last_t + 1e-6:
            return
        marks = [(tk, yk) for tk, yk in keyed if last_t + 1e-6 < tk <= t1 + 1e-6]
        if yaw_target is not None:
            marks.append((t1, yaw_target))
        y = last_yaw
        t0 = last_t
        for tk, yk in marks:
            d = math.remainder(yk - y, 2 * math.pi)
            if abs(d) < 1e-4:
                continue
            need = abs(d) / limits.yaw_rate * 1.3
            start = max(t0, min(tk, t1) - need)
            end = min(start + need, t1)
            if end - start < 1e-3:
                continue
            emit(np.array([start]), last_p[None], np.array([last_yaw]))
            g = frames(start, end)
            yy = y + d * _ramp((g - start) / (end - start))
            emit(g, np.repeat(last_p[None], len(g), axis=0), yy)
            y = y + d
            t0 = end
        emit(np.array([t1]), last_p[None], np.array([last_yaw]))

    order = sorted([(a, b, False) for a, b in runs] + [(a, b, True) for a, b in pieces])
    end_vel = np.zeros(3)
    for r_i, (a, b, kept) in enumerate(order):
        if kept:  # an exact stretch (a jump's arc) sampled on the frame grid, after the stand before it
            keyed = [(float(t[k]), float(yaw_in[k])) for k in range(len(keys)) if last_t < t[k] <= t[a] + 1e-9]
            if t[a] > last_t + 1e-6 or keyed:
                hold_until(float(t[a]), float(yaw_in[a + 1]), keyed)
            g = frames(float(t[a]), float(t[b]))
            pts = np.stack([np.interp(g, t[a:b + 1], p[a:b + 1, i]) for i in range(3)], axis=1)
            emit(g, pts, np.full(len(g), float(yaw_in[b])))
            end_vel = (p[b] - p[b - 1]) / max(float(t[b] - t[b - 1]), 1e-9)
            continue
        # the stand before this run (planned yaw keys in it turn the body; it ends facing the run)
        path = p[a : b + 1]
        if turn_on_path and 0.0 < limits.turn_radius <= _LEAD_MAX_RADIUS and not (a == 0 and not r_i):
            lead = _lead_in(last_p, last_yaw, path[1], limits.turn_radius, min(0.5 * max(body_length, 0.0), limits.turn_radius))
            if lead is not None:  # a car pulls round onto its way, within the run's planned time
                path = np.vstack([path[:1], lead, path[1:]])
        speeds = dist[a:b] / dt[a:b]
        # per path vertex, for the corner radii: a lead-in's points go at the first segment's speed
        corner_speeds = np.concatenate([np.full(len(path) - (b - a + 1), speeds[0]), speeds, speeds[-1:]])
        keyed = [(float(t[k]), float(yaw_in[k])) for k in range(len(keys)) if last_t < t[k] <= t[a] + 1e-9]
        first_dir = path[1] - path[0]
        next_yaw = float(_yaw(first_dir[None], last_yaw)[0]) if turn_on_path else float(yaw_in[a])
        if t[a] > last_t + 1e-6 or keyed:
            hold_until(float(t[a]), next_yaw if r_i or a else None, keyed)
        v_start = float(speeds[0]) if (a == 0 and flying_start) else 0.0
        last_run = not moving[b:].any()
        v_end = float(speeds[-1]) if (open_end and last_run) else 0.0
        geo = _fillet(path, corner_speeds, limits)
        cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(geo, axis=0), axis=1))])
        grid = np.linspace(t[a], t[b], max(int(math.ceil((t[b] - t[a]) * fps * 8)), 16) + 1)
        v = _speed_profile(t[a : b + 1], speeds, v_start, v_end, limits, grid)
        s = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(grid))])
        scale = 1.0
        if s[-1] > _EPS:
            scale = cum[-1] / s[-1]
            s *= scale
        else:
            s = np.linspace(0.0, cum[-1], len(grid))
        warped = _curve_capped(geo, cum, grid, s, v_start, v_end, limits) if curve_cap else None
        if warped is not None:  # slower through the bends: the run (and what follows) takes longer
            grid, s = warped
            t[b:] += grid[-1] - t[b]
        g = frames(float(t[a]), float(t[b]))
        sg = np.interp(g, grid, s)
        pts, tan = _along(geo, cum, sg)
        uniform = len(g) < 2 or abs((g[-1] - g[-2]) - step) < 1e-6
        if uniform:
            pts = _soften(pts, v_start == 0.0, v_end == 0.0)
        else:  # the run's last key falls between frames: filter the frame-spaced part only
            pts = np.vstack([_soften(pts[:-1], v_start == 0.0, v_end == 0.0), pts[-1:]])
        if turn_on_path:
            if len(pts) >= 3:  # the heading of the softened positions themselves, where the body moves:
                # the polyline's own tangents kink at every vertex, and a car's nose twitched on a bend
                vel = np.gradient(np.vstack([last_p[None], pts]), axis=0)[1:]
                flat = np.hypot(vel[:, 0], vel[:, 2])  # per frame; a climb's is rounding noise, never a heading
                fast = flat > max(0.02 * float(np.max(flat)), 0.05 * step)
                tan = np.where(fast[:, None], vel, tan)
            yy = _yaw(tan, last_yaw)
            # the heading never jumps: unwrap against the current yaw
            yy = last_yaw + np.unwrap(np.concatenate([[last_yaw], yy]))[1:] - last_yaw
        else:
            yy = np.interp(g, t[a : b + 1], np.unwrap(yaw_in[a : b + 1]))
        emit(g, pts, yy)
        end_dir = tan[-1] / max(float(np.linalg.norm(tan[-1])), 1e-12)
        end_vel = end_dir * v[-1] * scale
    # after the last run: planned yaw keys (a look) and the final hold
    if retimed is not None:
        retimed.extend(float(x) for x in t)
    tail = [(float(t[k]), float(yaw_in[k])) for k in range(len(keys)) if t[k] > last_t + 1e-6]
    if runs and open_end and not moving[runs[-1][1]:].any() and coast_until is not None and coast_until > last_t:
        vel = end_vel
        g = frames(last_t, float(coast_until))
        pts = last_p + (g - last_t)[:, None] * vel
        emit(g, pts, np.full(len(g), last_yaw))
    elif tail:
        hold_until(float(t[-1]), None, tail)
    pos = np.concatenate(out_p)  # one array; each key's position is a row of it (callers replace, never edit)
    return KeyList.of(np.concatenate(out_t), pos, np.concatenate(out_y))
