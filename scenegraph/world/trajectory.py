"""Keyframe sampling of :class:`~scenegraph.model.Trajectory`, vectorised over frames and trajectories.

Trajectories that share a structure (:func:`structure_key`: key count,
interpolation, speed profile, heading, loop, optional rotations and scales)
are sampled together as component-first (C, F, G) arrays; nothing loops over
frames in Python.

Semantics (the model's Trajectory docstring, made precise):

- The curve has a global parameter ``g`` in [0, K-1]; segment i (keys i, i+1)
  covers [i, i+1].  ``linear`` segments are straight; ``smooth`` segments are
  *centripetal* Catmull-Rom (knot spacing |dP|^0.5, no cusps or
  self-intersections) when re-timed by arc length, with the key times as
  knots under ``keyframes`` speed (so the velocity is continuous in time),
  written as cubic Hermite pieces; ``step`` holds key i
  until key i+1's time (velocity 0: a step is a cut, not a motion).
- A segment whose two keys sit at the same position is a *pause*: the position
  is constant and the velocity exactly zero.  Pauses split the keys into
  *runs*; a smooth run's end tangents use a reflected phantom point, so the
  spline never overshoots into a pause.
- ``speed``: ``keyframes`` maps key times linearly to ``g`` per segment;
  ``constant`` and ``ease`` re-time each run by arc length over the run's own
  start and end times (ease = smoothstep 3x^2 - 2x^3, zero speed at both
  ends).  Smooth arc lengths come from a 64-chord-per-segment table, so
  "constant" speed on a curve is constant to the table's accuracy.  ``speed``
  does not apply to ``step``.
- ``heading``: ``tangent`` gives a yaw about +Y that turns +Z along the
  horizontal tangent of the path; while the entity does not move horizontally
  (pauses, before the first key, after the last, vertical motion) it keeps the
  yaw of its last motion (before any motion: the yaw of its first motion).
  ``keyframes`` slerps ``rotations`` (step: holds them).  Rotations and
  scales are keyed to the curve point, so under ``constant``/``ease`` they
  follow the re-timed motion; within a pause they follow the key times (a
  turn on the spot).
- ``loop``: from ``times[0]`` on, local time wraps with period
  ``times[-1] - times[0]``; before ``times[0]`` the first key holds (loop or
  not) and without loop the last key holds after ``times[-1]``.
- Velocity is analytic, in the same (parent) frame as the positions.

>>> import numpy as np
>>> from scenegraph.model import Trajectory
>>> tr = Trajectory("walk", times=[0, 1, 2, 3], positions=[[0, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 2]])
>>> s = sample_trajectory(tr, np.array([0.5, 1.5, 2.5]))
>>> s.position.tolist()
[[0.5, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
>>> s.velocity.tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from scenegraph.model import Trajectory

__all__ = ["TrajectorySamples", "structure_key", "sample_trajectories", "sample_trajectory", "slerp"]

#: chords per smooth segment in the arc-length table
ARC_TABLE_CHORDS = 64
#: tangents shorter than this (metres per unit of g) count as "not moving" for heading
_TANGENT_EPS = 1e-9


@dataclass
class TrajectorySamples:
    """Samples of G trajectories at F times, component-first (structure of arrays).

    ``position``/``velocity`` (3, F, G) float32 in the parent frame (m, m/s);
    ``heading`` (2, F, G) float32 = (sin(yaw/2), cos(yaw/2)), the y and w of
    the yaw quaternion turning +Z along the path, when heading is ``tangent``; ``rotation`` (4, F, G)
    xyzw when heading is ``keyframes``; ``scale`` (3, F, G) when the
    trajectories carry scales; otherwise None.
    """

    position: np.ndarray
    velocity: np.ndarray
    heading: np.ndarray | None = None
    rotation: np.ndarray | None = None
    scale: np.ndarray | None = None


def structure_key(traj: Trajectory) -> tuple:
    """Trajectories with equal keys are sampled in one vectorised batch."""
    return (
        max(int(traj.times.size), 2),
        traj.interpolation,
        "keyframes" if traj.interpolation == "step" else traj.speed,
        traj.heading,
        traj.loop,
        traj.heading == "keyframes",
        traj.scales is not None,
    )


def sample_trajectory(traj: Trajectory, t: np.ndarray) -> TrajectorySamples:
    """Sample one trajectory at times ``t`` (F,); arrays are (F, C), float32."""
    s = sample_trajectories([traj], t)
    return TrajectorySamples(*(None if a is None else np.ascontiguousarray(a[:, :, 0].T) for a in (s.position, s.velocity, s.heading, s.rotation, s.scale)))


def slerp(q0: np.ndarray, q1: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Shortest-arc spherical interpolation of xyzw quaternions (4, ...) at u (...), component-first."""
    dot = np.sum(q0 * q1, axis=0)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_t = np.sin(theta)
    small = sin_t < 1e-6
    safe = np.where(small, 1.0, sin_t)
    w0 = np.where(small, 1.0 - u, np.sin((1.0 - u) * theta) / safe)
    w1 = np.where(small, u, np.sin(u * theta) / safe)
    q = w0 * q0 + w1 * q1
    return q / np.sqrt(np.sum(q * q, axis=0))


# --------------------------------------------------------------------------
# batched helpers
# --------------------------------------------------------------------------


def _rowwise_count_le(xp: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each trajectory g: how many of ``xp[g]`` (sorted) are <= each ``x[f, g]``; (F, G) int64.

    One ``np.searchsorted`` over all rows: row g is mapped into its own
    interval [2g, 2g + 1] by an order-preserving affine map.
    """
    g, m = xp.shape
    lo = np.minimum(xp[:, 0], x.min(axis=0))
    span = np.maximum(xp[:, -1], x.max(axis=0)) - lo
    span[span <= 0] = 1.0
    off = 2.0 * np.arange(g, dtype=np.float64)
    a = (xp - lo[:, None]) / span[:, None] + off[:, None]
    b = np.array(x.T, dtype=np.float64, order="C")  # a copy, row-major: sorted when rows are
    b -= lo[:, None]
    b /= span[:, None]
    b += off[:, None]
    b = b.ravel()
    idx = np.searchsorted(a.ravel(), b, side="right").reshape(g, -1)
    idx -= (m * np.arange(g, dtype=np.int64))[:, None]
    return idx.T


def _time_segments(times: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the last key with time <= t[f] (shared sorted frame times), in [-1, K-1]; (F, G)."""
    g, k = times.shape
    first = np.searchsorted(t, times, side="left")  # (G, K): first frame at/after each key
    counts = np.zeros((t.size + 1, g), dtype=np.int32)
    np.add.at(counts, (first.ravel(), np.repeat(np.arange(g), k)), 1)
    seg = np.cumsum(counts[:-1], axis=0, dtype=np.int32)
    seg -= 1
    return seg


def _runs(moving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run start and end keys (G, K-1) of each segment; a pause segment is its own run."""
    s = moving.shape[1]
    idx = np.arange(s)
    # a segment starts a new run unless it and the previous one both move
    starts_run = np.ones_like(moving)
    starts_run[:, 1:] = ~(moving[:, 1:] & moving[:, :-1])
    a = np.maximum.accumulate(np.where(starts_run, idx, 0), axis=1)
    ends_run = np.ones_like(moving)
    ends_run[:, :-1] = ~(moving[:, :-1] & moving[:, 1:])
    b = np.minimum.accumulate(np.where(ends_run, idx, s)[:, ::-1], axis=1)[:, ::-1] + 1
    return a, b


def _smooth_coefficients(p: np.ndarray, moving: np.ndarray, dt: np.ndarray | None = None) -> np.ndarray:
    """Cubic coefficients (G, K-1, 4, 3) of Catmull-Rom segments, run-aware.

    Knot spacing: the key time intervals ``dt`` (G, K-1) when given (C1 in
    time), else centripetal |dP|^0.5.
    """
    p1, p2 = p[:, :-1], p[:, 1:]
    has_prev = np.zeros_like(moving)
    has_prev[:, 1:] = moving[:, :-1]
    has_next = np.zeros_like(moving)
    has_next[:, :-1] = moving[:, 1:]
    prev = np.zeros_like(p1)
    prev[:, 1:] = p[:, :-2]
    nxt = np.zeros_like(p2)
    nxt[:, :-1] = p[:, 2:]
    p0 = np.where(has_prev[..., None], prev, 2.0 * p1 - p2)
    p3 = np.where(has_next[..., None], nxt, 2.0 * p2 - p1)

    if dt is None:

        def knot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.maximum(np.sqrt(np.linalg.norm(b - a, axis=-1)), 1e-12)[..., None]

        d01, d12, d23 = knot(p0, p1), knot(p1, p2), knot(p2, p3)
    else:  # phantom keys sit one segment's time away, like their positions
        d12 = dt[..., None]
        d01, d23 = d12.copy(), d12.copy()
        d01[:, 1:] = np.where(has_prev[:, 1:, None], dt[:, :-1, None], d12[:, 1:])
        d23[:, :-1] = np.where(has_next[:, :-1, None], dt[:, 1:, None], d12[:, :-1])
    m1 = ((p1 - p0) / d01 - (p2 - p0) / (d01 + d12) + (p2 - p1) / d12) * d12
    m2 = ((p2 - p1) / d12 - (p3 - p1) / (d12 + d23) + (p3 - p2) / d23) * d12
    still = ~moving[..., None]
    m1 = np.where(still, 0.0, m1)
    m2 = np.where(still, 0.0, m2)
    c2 = -3.0 * p1 - 2.0 * m1 + 3.0 * p2 - m2
    c3 = 2.0 * p1 + m1 - 2.0 * p2 + m2
    return np.stack([p1, m1, c2, c3], axis=2)


def _eval(coef: np.ndarray, u: np.ndarray, cubic: bool) -> tuple[np.ndarray, np.ndarray]:
    """Position and d/du (3, ...) of gathered coefficients (4, 3, ...) (linear: (2, 3, ...)) at u (...)."""
    c0, c1 = coef[0], coef[1]
    if not cubic:
        return c0 + c1 * u, c1
    c2, c3 = coef[2], coef[3]
    pos = c3 * u
    pos += c2
    pos *= u
    pos += c1
    pos *= u
    pos += c0
    der = (3.0 * c3) * u
    der += 2.0 * c2
    der *= u
    der += c1
    return pos, der


def _yaw_quat(vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-angle yaw (2, ...) = (sin(yaw/2), cos(yaw/2)) turning +Z along the horizontal part of
    ``vec`` (3, ...), and whether that part is long enough to define it.

    The quaternion from +Z to the unit direction d is (0, d_x, 0, 1 + d_z)
    normalised, i.e. (0, x, 0, h + z) / n with h = |(x, z)|: no trigonometry.
    Facing exactly -Z it is (0, 1, 0, 0).
    """
    x, z = vec[0], vec[2]
    h = np.sqrt(x * x + z * z)
    w = h + z
    n = np.sqrt(x * x + w * w)
    ok = n > 0
    inv = 1.0 / np.where(ok, n, 1.0)
    return np.stack([np.where(ok, x * inv, 1.0), w * inv]), h > _TANGENT_EPS


def _held_heading(coef: np.ndarray, step: bool) -> np.ndarray:
    """Half-angle yaw to hold at rest, (2, G, K+1), indexed by time segment + 1 (0: before the first key).

    Segment i holds the exit direction of the last segment before i that moved
    horizontally; before any motion, the entry direction of the first one; a
    trajectory that never moves horizontally faces +Z.  ``coef`` is (G, K-1, 4|2, 3).
    """
    g, s = coef.shape[:2]
    entry = np.moveaxis(coef[:, :, 1, :], -1, 0)
    if step or coef.shape[2] == 2:  # linear, or a step's jump arriving at the end of segment i
        exit_ = entry
    else:
        exit_ = np.moveaxis(coef[:, :, 1, :] + 2.0 * coef[:, :, 2, :] + 3.0 * coef[:, :, 3, :], -1, 0)
    d_in, ok_in = _yaw_quat(entry)
    d_out, ok_out = _yaw_quat(exit_)
    first = np.argmax(ok_in, axis=1)
    first_dir = np.where(ok_in.any(axis=1), d_in[:, np.arange(g), first], np.array([[0.0], [1.0]]))  # (2, G)
    last = np.maximum.accumulate(np.where(ok_out, np.arange(s), -1), axis=1)  # last valid exit <= i
    held = np.empty((2, g, s + 2))
    held[:, :, 0] = first_dir
    held[:, :, 1] = first_dir
    picked = np.take_along_axis(d_out, np.maximum(last, 0)[None], axis=2)
    held[:, :, 2:] = np.where(last >= 0, picked, first_dir[:, :, None])
    return held


def _take(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``table`` (C, N) gathered at flat indices (F, G): (C, F, G)."""
    return np.take(table, idx, axis=-1)


# --------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------


def sample_trajectories(trajs: Sequence[Trajectory], t: np.ndarray) -> TrajectorySamples:
    """Sample trajectories of one :func:`structure_key` at times ``t`` (F,) float64 seconds, sorted.

    Returns component-first (C, F, G) arrays; see the module docstring for the
    semantics.  Times are computed in float64, curves evaluated in float32.
    Raises ValueError if the trajectories differ in structure.
    """
    keys = {structure_key(tr) for tr in trajs}
    if len(keys) != 1:
        raise ValueError(f"sample_trajectories: trajectories of different structure {sorted(map(str, keys))}")
    k, interp, speed, heading, loop, with_rot, with_scale = structure_key(trajs[0])
    t = np.asarray(t, dtype=np.float64)
    g = len(trajs)
    s = k - 1

    def stack(name: str) -> np.ndarray:
        arr = np.stack([getattr(tr, name) for tr in trajs]).astype(np.float64)
        if arr.shape[1] == 1:  # a single key: a one-second pause
            arr = np.concatenate([arr, arr + (1.0 if name == "times" else 0.0)], axis=1)
        return arr

    times = stack("times")
    p = stack("positions")
    seg_base = np.arange(g) * s  # flat index of each trajectory's first segment

    # local time and the segment it falls in, (F, G)
    if loop:
        t0, t1 = times[:, 0], times[:, -1]
        before = t[:, None] < t0
        tau = np.where(before, t0, t0 + np.mod(t[:, None] - t0, t1 - t0))
        tau = np.minimum(tau, np.nextafter(t1, -np.inf))
        seg_t = _rowwise_count_le(times, tau) - 1
        seg_t[before] = -1
    else:
        tau = t[:, None]
        seg_t = _time_segments(times, t)
    inside = (seg_t >= 0) & (seg_t < s)
    flat = np.clip(seg_t, 0, s - 1) + seg_base

    diff = p[:, 1:] - p[:, :-1]
    moving = np.any(diff != 0.0, axis=-1)
    cubic = interp == "smooth"
    if cubic:
        coef = _smooth_coefficients(p, moving, np.diff(times, axis=1) if speed == "keyframes" else None)
    else:
        coef = np.stack([p[:, :-1], diff], axis=2)
    # (4|2, 3, G*S): component-first table, gathered per frame
    coef_t = np.ascontiguousarray(np.moveaxis(coef.reshape(g * s, -1, 3), 0, -1), dtype=np.float32)
    inv_dt = 1.0 / np.diff(times, axis=1)

    if interp == "step":
        key = np.clip(seg_t, 0, k - 1) + np.arange(g) * k
        position = _take(np.ascontiguousarray(p.reshape(-1, 3).T, dtype=np.float32), key)
        velocity = np.zeros_like(position)
        tangent = None
        gflat, u = key, None
    elif speed == "keyframes":
        rate = np.take(inv_dt.ravel(), flat)
        u = (tau - np.take(times[:, :-1].ravel(), flat)) * rate
        np.clip(u, 0.0, 1.0, out=u)
        u = u.astype(np.float32)
        position, der = _eval(_take(coef_t, flat), u, cubic)
        rate[~inside] = 0.0
        velocity = der * rate.astype(np.float32)
        tangent, gflat = der, flat
    else:
        position, velocity, gflat, u, tangent = _arc_length_timed(coef, coef_t, cubic, times, moving, flat, tau, inside, speed == "ease")
        if with_rot or with_scale:  # in a pause, rotations and scales still follow the key times
            pause = ~np.take(moving.ravel(), flat)
            t_u = np.clip((tau - np.take(times[:, :-1].ravel(), flat)) * np.take(inv_dt.ravel(), flat), 0.0, 1.0)
            gflat = np.where(pause, flat, gflat)
            u = np.where(pause, t_u.astype(np.float32), u)

    out = TrajectorySamples(position=position, velocity=velocity)
    if heading == "tangent":
        held = _held_heading(coef, interp == "step").reshape(2, -1).astype(np.float32)
        rest = _take(held, seg_t + 1 + np.arange(g) * (k + 1))
        if tangent is None:
            out.heading = rest
        else:
            d, valid = _yaw_quat(tangent)  # pauses have a zero tangent
            valid &= inside
            out.heading = np.where(valid, d, rest)
    if with_rot or with_scale:
        # flat index of the key starting the current segment
        kflat = gflat if u is None else gflat // s * k + gflat % s
    if with_rot:
        r = stack("rotations").reshape(-1, 4).T
        if u is None:
            out.rotation = _take(r, kflat).astype(np.float32)
        else:
            out.rotation = slerp(_take(r, kflat), _take(r, kflat + 1), u.astype(np.float64)).astype(np.float32)
    if with_scale:
        sc = np.ascontiguousarray(stack("scales").reshape(-1, 3).T, dtype=np.float32)
        if u is None:
            out.scale = _take(sc, kflat)
        else:
            s0 = _take(sc, kflat)
            out.scale = s0 + u * (_take(sc, kflat + 1) - s0)
    return out


def _arc_length_timed(coef, coef_t, cubic, times, moving, flat, tau, inside, ease):
    """Constant-speed or eased re-timing of each run by arc length; see the module docstring.

    Returns position, velocity (3, F, G), the flat segment index (F, G) and u
    of the curve point, and the curve tangent d/du (3, F, G).
    """
    g, s = moving.shape
    n = ARC_TABLE_CHORDS if cubic else 1
    # arc-length table over the global curve parameter j / n
    if cubic:
        u_tab = np.arange(n + 1) / n
        pts, _ = _eval(np.ascontiguousarray(np.moveaxis(coef, (2, 3), (0, 1)))[..., None], u_tab, True)  # (3, G, S, n+1)
        chords = np.sqrt(np.sum(np.diff(pts, axis=-1) ** 2, axis=0))  # (G, S, n)
    else:
        chords = np.linalg.norm(coef[:, :, 1], axis=-1)[..., None]
    table = np.zeros((g, s * n + 1))
    table[:, 1:] = np.cumsum(chords.reshape(g, s * n), axis=1)
    key_s = table[:, ::n]  # arc length at each key (G, K)

    # per segment: its run's start time, 1 / duration, start arc length, length, start and end keys
    a, b = _runs(moving)
    rows = np.arange(g)[:, None]
    ta, tb = times[rows, a], times[rows, b]
    sa, sb = key_s[rows, a], key_s[rows, b]
    run = np.stack([ta, 1.0 / (tb - ta), sa, sb - sa, a, b]).reshape(6, g * s)
    r = _take(run, flat)  # (6, F, G)
    x = np.clip((tau - r[0]) * r[1], 0.0, 1.0)
    if ease:
        prof, dprof = x * x * (3.0 - 2.0 * x), 6.0 * x * (1.0 - x)
    else:
        prof, dprof = x, 1.0
    arc = r[2] + r[3] * prof
    speed = np.where(inside, r[3] * r[1] * dprof, 0.0)

    # invert the table: arc length -> curve parameter, kept inside the run
    row_base = np.arange(g) * (s * n + 1)
    local = np.clip(_rowwise_count_le(table, arc) - 1, 0, s * n - 1)
    tflat = table.ravel()
    s0 = np.take(tflat, local + row_base)
    ds = np.take(tflat, local + row_base + 1) - s0
    frac = np.clip(np.where(ds > 0, (arc - s0) / np.where(ds > 0, ds, 1.0), 0.0), 0.0, 1.0)
    gpar = np.clip((local + frac) / n, r[4], r[5])
    seg_g = np.minimum(gpar.astype(np.int64), r[5].astype(np.int64) - 1)  # stay in the run's segments
    u = (gpar - seg_g).astype(np.float32)
    gflat = seg_g + np.arange(g) * s
    position, der = _eval(_take(coef_t, gflat), u, cubic)
    norm = np.sqrt(np.sum(der * der, axis=0))
    scale = np.where(norm > 0, speed / np.where(norm > 0, norm, 1.0), 0.0).astype(np.float32)
    return position, der * scale, gflat, u, der
