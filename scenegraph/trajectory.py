"""Keyframe sampling of :class:`~scenegraph.model.Trajectory`, vectorised over frames and trajectories.

Trajectories that share a structure (:func:`structure_key`: key count,
interpolation, speed profile, heading, loop, optional rotations and scales)
are sampled together as (G, F) arrays; nothing loops over frames in Python.

Semantics (the model's Trajectory docstring, made precise):

- The curve has a global parameter ``g`` in [0, K-1]; segment i (keys i, i+1)
  covers [i, i+1].  ``linear`` segments are straight; ``smooth`` segments are
  *centripetal* Catmull-Rom (knot spacing |dP|^0.5, no cusps or
  self-intersections), written as cubic Hermite pieces; ``step`` holds key i
  until key i+1's time (velocity 0: a step is a cut, not a motion).
- A segment whose two keys sit at the same position is a *pause*: the position
  is constant and the velocity exactly zero.  Pauses split the keys into
  *runs*; a smooth run's end tangents use a reflected phantom point, so the
  spline never overshoots into a pause.
- ``speed``: ``keyframes`` maps key times linearly to ``g`` per segment;
  ``constant`` and ``ease`` re-time each run by arc length over the run's own
  start and end times (ease = smoothstep 3x^2 - 2x^3, zero speed at both
  ends).  Smooth arc lengths come from a 16-chord-per-segment table, so
  "constant" speed on a curve is constant to the table's accuracy.  ``speed``
  does not apply to ``step``.
- ``heading``: ``tangent`` gives a yaw about +Y that turns +Z along the
  horizontal tangent of the path; while the entity does not move horizontally
  (pauses, before the first key, after the last, vertical motion) it keeps the
  yaw of its last motion (before any motion: the yaw of its first motion).
  ``keyframes`` slerps ``rotations`` (step: holds them).
- ``loop``: from ``times[0]`` on, local time wraps with period
  ``times[-1] - times[0]``; before ``times[0]`` the first key holds (loop or
  not) and without loop the last key holds after ``times[-1]``.
- Velocity is analytic, in the same (parent) frame as the positions.

>>> import numpy as np
>>> from scenegraph.model import Trajectory
>>> tr = Trajectory("walk", times=[0, 1, 2, 3], positions=[[0, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 2]])
>>> s = sample_trajectory(tr, np.array([0.5, 1.5, 2.5]))
>>> s.position.round(3).tolist()
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
ARC_TABLE_CHORDS = 16
#: tangents shorter than this (metres per unit of g) count as "not moving" for heading
_TANGENT_EPS = 1e-9


@dataclass
class TrajectorySamples:
    """Samples of G trajectories at F times (float64).

    ``position``/``velocity`` (G, F, 3) in the parent frame (m, m/s);
    ``yaw`` (G, F) radians when heading is ``tangent``; ``rotation`` (G, F, 4)
    xyzw when heading is ``keyframes``; ``scale`` (G, F, 3) when the
    trajectories carry scales; otherwise None.
    """

    position: np.ndarray
    velocity: np.ndarray
    yaw: np.ndarray | None = None
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
    """Sample one trajectory at times ``t`` (F,); arrays lose the leading G axis."""
    s = sample_trajectories([traj], t)
    return TrajectorySamples(*(None if a is None else a[0] for a in (s.position, s.velocity, s.yaw, s.rotation, s.scale)))


def slerp(q0: np.ndarray, q1: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Shortest-arc spherical interpolation of xyzw quaternions (..., 4) at u (...)."""
    dot = np.sum(q0 * q1, axis=-1)
    q1 = np.where((dot < 0)[..., None], -q1, q1)
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_t = np.sin(theta)
    small = sin_t < 1e-6
    safe = np.where(small, 1.0, sin_t)
    w0 = np.where(small, 1.0 - u, np.sin((1.0 - u) * theta) / safe)
    w1 = np.where(small, u, np.sin(u * theta) / safe)
    q = w0[..., None] * q0 + w1[..., None] * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


# --------------------------------------------------------------------------
# batched helpers
# --------------------------------------------------------------------------


def _rowwise_count_le(xp: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each row r: how many of ``xp[r]`` (sorted) are <= each ``x[r, f]``; (G, F) int64.

    One ``np.searchsorted`` over all rows: each row is mapped into its own
    interval [2r, 2r + 1] by an order-preserving affine map.
    """
    g, m = xp.shape
    lo = np.minimum(xp[:, :1], x.min(axis=1, keepdims=True))
    span = np.maximum(xp[:, -1:], x.max(axis=1, keepdims=True)) - lo
    span[span <= 0] = 1.0
    off = 2.0 * np.arange(g, dtype=np.float64)[:, None]
    a = (xp - lo) / span + off
    b = (x - lo) / span + off
    idx = np.searchsorted(a.ravel(), b.ravel(), side="right").reshape(x.shape)
    idx -= (m * np.arange(g, dtype=np.int64))[:, None]
    return idx


def _time_segments(times: np.ndarray, tau: np.ndarray, shared: np.ndarray | None) -> np.ndarray:
    """Index of the last key with time <= tau, in [-1, K-1]; (G, F)."""
    if shared is not None:  # every row samples the same sorted times: search keys into frames
        g, k = times.shape
        first = np.searchsorted(shared, times, side="left")  # (G, K) first frame at/after each key
        counts = np.zeros((g, shared.size + 1), dtype=np.int32)
        np.add.at(counts, (np.repeat(np.arange(g), k), first.ravel()), 1)
        return np.cumsum(counts[:, :-1], axis=1, dtype=np.int32) - 1
    return _rowwise_count_le(times, tau) - 1


def _runs(moving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run start and end keys (G, K-1) of each segment; a pause segment is its own run."""
    g, s = moving.shape
    idx = np.arange(s)
    # a segment starts a new run unless it and the previous one both move
    starts_run = np.ones_like(moving)
    starts_run[:, 1:] = ~(moving[:, 1:] & moving[:, :-1])
    a = np.maximum.accumulate(np.where(starts_run, idx, 0), axis=1)
    ends_run = np.ones_like(moving)
    ends_run[:, :-1] = ~(moving[:, :-1] & moving[:, 1:])
    b = np.minimum.accumulate(np.where(ends_run, idx, s)[:, ::-1], axis=1)[:, ::-1] + 1
    return a, b


def _smooth_coefficients(p: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """Cubic coefficients (G, K-1, 4, 3) of centripetal Catmull-Rom segments, run-aware."""
    p1, p2 = p[:, :-1], p[:, 1:]
    has_prev = np.zeros_like(moving)
    has_prev[:, 1:] = moving[:, :-1]
    has_next = np.zeros_like(moving)
    has_next[:, :-1] = moving[:, 1:]
    prev = np.empty_like(p1)
    prev[:, 1:] = p[:, :-2]
    prev[:, 0] = 0.0
    nxt = np.empty_like(p2)
    nxt[:, :-1] = p[:, 2:]
    nxt[:, -1] = 0.0
    p0 = np.where(has_prev[..., None], prev, 2.0 * p1 - p2)
    p3 = np.where(has_next[..., None], nxt, 2.0 * p2 - p1)

    def knot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(np.sqrt(np.linalg.norm(b - a, axis=-1)), 1e-12)[..., None]

    d01, d12, d23 = knot(p0, p1), knot(p1, p2), knot(p2, p3)
    m1 = ((p1 - p0) / d01 - (p2 - p0) / (d01 + d12) + (p2 - p1) / d12) * d12
    m2 = ((p2 - p1) / d12 - (p3 - p1) / (d12 + d23) + (p3 - p2) / d23) * d12
    still = ~moving[..., None]
    m1 = np.where(still, 0.0, m1)
    m2 = np.where(still, 0.0, m2)
    c2 = -3.0 * p1 - 2.0 * m1 + 3.0 * p2 - m2
    c3 = 2.0 * p1 + m1 - 2.0 * p2 + m2
    return np.stack([p1, m1, c2, c3], axis=2)


def _eval(coef: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position and d/du of gathered cubic coefficients (G, F, 4, 3) at u (G, F)."""
    c0, c1, c2, c3 = coef[..., 0, :], coef[..., 1, :], coef[..., 2, :], coef[..., 3, :]
    uu = u[..., None]
    pos = ((c3 * uu + c2) * uu + c1) * uu + c0
    der = (3.0 * c3 * uu + 2.0 * c2) * uu + c1
    return pos, der


def _yaw(vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw (radians) turning +Z along the horizontal part of ``vec`` (..., 3), and validity."""
    valid = np.hypot(vec[..., 0], vec[..., 2]) > _TANGENT_EPS
    return np.arctan2(vec[..., 0], vec[..., 2]), valid


def _held_yaw(coef: np.ndarray, step: bool) -> np.ndarray:
    """Yaw to hold at rest, (G, K+1), indexed by time segment + 1 (index 0: before the first key).

    Segment i holds the exit yaw of the last segment before i that moved
    horizontally; before any motion, the entry yaw of the first one.
    """
    g, s = coef.shape[:2]
    if step:
        jump = coef[:, :, 1, :]  # the jump P[i+1] - P[i] arrives at the end of segment i
        entry, exit_ = jump, jump
    else:
        entry = coef[:, :, 1, :]
        exit_ = coef[:, :, 1, :] + 2.0 * coef[:, :, 2, :] + 3.0 * coef[:, :, 3, :]
    yaw_in, ok_in = _yaw(entry)
    yaw_out, ok_out = _yaw(exit_)
    idx = np.arange(s)
    first = np.argmax(ok_in, axis=1)
    first_yaw = np.where(ok_in.any(axis=1), yaw_in[np.arange(g), first], 0.0)
    last = np.maximum.accumulate(np.where(ok_out, idx, -1), axis=1)  # last valid exit <= i
    held = np.empty((g, s + 2))
    held[:, 0] = first_yaw
    held[:, 1] = first_yaw
    prev = last  # segment i+1 holds the last valid exit <= i
    held[:, 2:] = np.where(prev >= 0, np.take_along_axis(yaw_out, np.maximum(prev, 0), axis=1), first_yaw[:, None])
    return held


# --------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------


def sample_trajectories(trajs: Sequence[Trajectory], t: np.ndarray) -> TrajectorySamples:
    """Sample trajectories of one :func:`structure_key` at times ``t`` (F,) float64 seconds.

    Returns (G, F, ...) float64 arrays; see the module docstring for the
    semantics.  Raises ValueError if the trajectories differ in structure.
    """
    keys = {structure_key(tr) for tr in trajs}
    if len(keys) != 1:
        raise ValueError(f"sample_trajectories: trajectories of different structure {sorted(map(str, keys))}")
    tr0 = trajs[0]
    k, interp, speed, heading, loop, with_rot, with_scale = structure_key(tr0)
    t = np.asarray(t, dtype=np.float64)
    g = len(trajs)
    f = t.size

    def stack(name: str) -> np.ndarray:
        arr = np.stack([getattr(tr, name) for tr in trajs]).astype(np.float64)
        if arr.shape[1] == 1:  # a single key: a one-second pause
            arr = np.concatenate([arr, arr + (1.0 if name == "times" else 0.0)], axis=1)
        return arr

    times = stack("times")
    p = stack("positions")
    rows = np.arange(g)[:, None]

    # local time and the segment it falls in
    t0 = times[:, :1]
    if loop:
        period = times[:, -1:] - t0
        tau = np.where(t < t0, t0, t0 + np.mod(t - t0, period))
        tau = np.minimum(tau, np.nextafter(times[:, -1:], -np.inf))
        seg_t = _time_segments(times, tau, None)
        seg_t = np.where(t < t0, -1, seg_t)  # the first key holds before the loop starts
    else:
        tau = np.broadcast_to(t, (g, f))
        seg_t = _time_segments(times, tau, t)
    inside = (seg_t >= 0) & (seg_t < k - 1)
    seg = np.clip(seg_t, 0, k - 2)

    diff = p[:, 1:] - p[:, :-1]
    moving = np.any(diff != 0.0, axis=-1)
    if interp == "smooth":
        coef = _smooth_coefficients(p, moving)
    else:
        coef = np.zeros(p.shape[:1] + (k - 1, 4, 3))
        coef[:, :, 0] = p[:, :-1]
        coef[:, :, 1] = diff

    t_seg0 = times[rows, seg]
    dt_seg = times[rows, seg + 1] - t_seg0
    u_t = np.clip((tau - t_seg0) / dt_seg, 0.0, 1.0)

    if interp == "step":
        key = np.clip(seg_t, 0, k - 1)
        position = p[rows, key]
        velocity = np.zeros_like(position)
        tangent = None
        seg_g, u = key, None
    elif speed == "keyframes":
        seg_g, u = seg, u_t
        position, der = _eval(coef[rows, seg], u)
        velocity = der * (inside / dt_seg)[..., None]
        tangent = der
    else:
        position, velocity, seg_g, u, tangent = _arc_length_timed(coef, times, moving, seg, tau, inside, speed == "ease")

    out = TrajectorySamples(position=position, velocity=velocity)
    if heading == "tangent":
        held = _held_yaw(coef, interp == "step")
        rest_yaw = held[rows, seg_t + 1]
        if tangent is None:
            out.yaw = rest_yaw
        else:
            yaw, valid = _yaw(tangent)
            out.yaw = np.where(valid & inside & moving[rows, seg], yaw, rest_yaw)
    if with_rot:
        r = stack("rotations")
        if u is None:
            out.rotation = r[rows, seg_g]
        else:
            out.rotation = slerp(r[rows, seg_g], r[rows, seg_g + 1], u)
    if with_scale:
        sc = stack("scales")
        if u is None:
            out.scale = sc[rows, seg_g]
        else:
            out.scale = sc[rows, seg_g] + u[..., None] * (sc[rows, seg_g + 1] - sc[rows, seg_g])
    return out


def _arc_length_timed(coef, times, moving, seg, tau, inside, ease):
    """Constant-speed or eased re-timing of each run by arc length; see the module docstring."""
    g, s = moving.shape
    rows = np.arange(g)[:, None]
    smooth = bool(np.any(coef[:, :, 2:] != 0.0))
    n = ARC_TABLE_CHORDS if smooth else 1
    # arc-length table over the global parameter g_table = j / n
    u_tab = np.arange(n + 1) / n
    if smooth:
        pts, _ = _eval(coef[:, :, None], np.broadcast_to(u_tab, (g, s, n + 1)))
        chords = np.linalg.norm(np.diff(pts, axis=2), axis=-1)  # (G, S, n)
    else:
        chords = np.linalg.norm(coef[:, :, 1], axis=-1)[..., None]
    table = np.zeros((g, s * n + 1))
    table[:, 1:] = np.cumsum(chords.reshape(g, s * n), axis=1)
    key_s = table[:, ::n]  # arc length at each key (G, K)

    a, b = _runs(moving)
    ra, rb = a[rows, seg], b[rows, seg]
    ta, tb = times[rows, ra], times[rows, rb]
    sa, sb = key_s[rows, ra], key_s[rows, rb]
    x = np.clip((tau - ta) / (tb - ta), 0.0, 1.0)
    if ease:
        prof, dprof = x * x * (3.0 - 2.0 * x), 6.0 * x * (1.0 - x)
    else:
        prof, dprof = x, np.ones_like(x)
    arc = sa + (sb - sa) * prof
    speed = np.where(inside, (sb - sa) * dprof / (tb - ta), 0.0)

    # invert the table: arc length -> global parameter, kept inside the run
    j = np.clip(_rowwise_count_le(table, arc) - 1, 0, s * n - 1)
    s0 = table[rows, j]
    ds = table[rows, j + 1] - s0
    frac = np.where(ds > 0, (arc - s0) / np.where(ds > 0, ds, 1.0), 0.0)
    gpar = np.clip((j + np.clip(frac, 0.0, 1.0)) / n, ra, rb)
    seg_g = np.minimum(gpar.astype(np.int64), s - 1)
    u = gpar - seg_g
    position, der = _eval(coef[rows, seg_g], u)
    norm = np.linalg.norm(der, axis=-1, keepdims=True)
    direction = np.where(norm > 0, der / np.where(norm > 0, norm, 1.0), 0.0)
    velocity = direction * speed[..., None]
    return position, velocity, seg_g, u, der
