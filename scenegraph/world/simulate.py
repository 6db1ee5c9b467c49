"""World simulation: a deterministic, fixed-step state update s_{t+1} = f(s_t, a_t).

:func:`simulate` gives every entity a state at every frame, seen or not, and
each camera a visibility record.  Entity state never depends on visibility:
cameras are only read after every entity's state is final.

- Rest pose: an entity without a trajectory keeps its ``transform``.
- Trajectories (:mod:`scenegraph.world.trajectory`): the sampled position replaces
  the rest translation (both are in the parent frame).  ``heading="tangent"``
  replaces the rest rotation's yaw (its twist about +Y) by the path yaw and
  keeps its tilt: ``rotation = yaw(heading) * twist(rest)^-1 * rest``;
  ``"keyframes"`` rotations replace the rest rotation; ``"fixed"`` keeps it.
  Trajectory scales, when given, replace the rest scale.
- Dynamics (root entities with :class:`~scenegraph.model.Dynamics`): from
  ``start_time`` the entity flies ballistically from its state at that moment,
  with a fixed internal substep (at most :data:`MAX_SUBSTEP`) whose update is
  the exact closed-form arc, so the only error is rounding.  Ground contact
  puts the lowest corner of the entity's bounds (rotated and scaled as at
  release) on y = 0, at the exact contact time inside a substep; a bounce keeps
  ``restitution`` of the normal speed and loses ``friction`` times the normal
  impulse of tangential speed (Coulomb); see :mod:`scenegraph.world.dynamics`.
  Rotation and scale stay as they were at release (no angular dynamics).
- ``seed`` is accepted for the API contract; nothing here is random yet.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.errors import SimulationError
from scenegraph.world.dynamics import MAX_SUBSTEP, RESTING, Bodies, release_state, step
from scenegraph.world.timeline import Timeline

__all__ = ["simulate", "MAX_TIMELINE_BYTES"]  # the package re-exports these with the Timeline types

#: the Timeline (plus visibility) may not need more than this many bytes
MAX_TIMELINE_BYTES = 8 * 1024**3
#: trajectory samples are computed in chunks of about this many entity-frames
CHUNK_ENTITY_FRAMES = 1 << 17


# --------------------------------------------------------------------------
# simulate
# --------------------------------------------------------------------------


def _check_settings(scene, fps, duration, seed) -> tuple[float, float, int]:
    fps = scene.fps if fps is None else fps
    duration = scene.duration if duration is None else duration
    try:
        fps, duration = float(fps), float(duration)
    except (TypeError, ValueError):
        raise SimulationError(f"simulate: fps and duration must be numbers, got fps={fps!r}, duration={duration!r}") from None
    if not (math.isfinite(fps) and fps > 0):
        raise SimulationError(f"simulate: fps must be a positive finite number, got {fps}")
    if not (math.isfinite(duration) and duration >= 0):
        raise SimulationError(f"simulate: duration must be a non-negative finite number of seconds, got {duration}")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
        raise SimulationError(f"simulate: seed must be a non-negative integer, got {seed!r}")
    frames = math.floor(duration * fps + 1e-9) + 1
    return fps, duration, frames


def _check_memory(frames: int, entities: int, cameras: int, fps: float, duration: float) -> None:
    need = frames * (8 + entities * (13 * 4 + cameras * 6))
    if need > MAX_TIMELINE_BYTES:
        raise SimulationError(
            f"simulate: {frames} frames ({duration:g} s at {fps:g} fps) x {entities} entities x {cameras} cameras "
            f"would need {need / 2**30:.1f} GiB of arrays, over the {MAX_TIMELINE_BYTES / 2**30:.0f} GiB limit; "
            "lower fps or duration"
        )


def _remove_yaw(q: np.ndarray) -> np.ndarray:
    """twist(q)^-1 * q for xyzw quaternions (n, 4): q without its rotation about +Y."""
    tw = np.zeros_like(q)
    tw[:, 1], tw[:, 3] = q[:, 1], q[:, 3]
    n = np.linalg.norm(tw, axis=1, keepdims=True)
    tw = np.where(n > 1e-12, tw / np.where(n > 1e-12, n, 1.0), np.array([0.0, 0.0, 0.0, 1.0]))
    tw[:, 1] = -tw[:, 1]  # conjugate
    from scenegraph.model.rotations import quat_multiply

    return quat_multiply(tw, q)


def _heading_quat(heading: np.ndarray, tilt: np.ndarray) -> tuple:
    """Components x, y, z, w (F, n) of yaw_quat * tilt, for half-angle yaws (2, F, n) =
    (sin(yaw/2), cos(yaw/2)) and tilts (n, 4)."""
    sy, cy = heading[0], heading[1]
    if np.all(tilt == (0.0, 0.0, 0.0, 1.0)):  # the scalar zeros are skipped by the writer
        return 0.0, sy, 0.0, cy
    bx, by, bz, bw = (tilt[:, i].astype(np.float32) for i in range(4))
    return cy * bx + sy * bz, cy * by + sy * bw, cy * bz - sy * bx, cy * bw - sy * by


def _columns(cols: np.ndarray) -> slice | np.ndarray:
    """A slice when ``cols`` is a contiguous increasing range (cheaper writes)."""
    if cols.size and cols[-1] - cols[0] + 1 == cols.size and np.all(np.diff(cols) == 1):
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def _write_samples(tl_arrays, samples, rows, cols, rest_rot) -> None:
    """Write trajectory samples (C, F, G) of trajectories ``rows`` into entity columns ``cols``."""
    position, rotation, scale, velocity = tl_arrays
    sel = _columns(cols)
    same = rows.size == samples.position.shape[2] and np.array_equal(rows, np.arange(rows.size))

    def pick(a: np.ndarray) -> np.ndarray:
        return a if same else a[..., rows]

    def put(dst: np.ndarray, comps, keep_zero: bool = False) -> None:
        for i, c in enumerate(comps):  # one component at a time: long inner loops
            if not (keep_zero and isinstance(c, float)):
                dst[:, sel, i] = c

    put(position, pick(samples.position))
    put(velocity, pick(samples.velocity))
    if samples.heading is not None:
        tilt = _remove_yaw(rest_rot[cols])
        # with no tilt the rest rotation is a pure yaw: its x and z are already 0
        put(rotation, _heading_quat(pick(samples.heading), tilt), keep_zero=True)
    elif samples.rotation is not None:
        put(rotation, pick(samples.rotation))
    if samples.scale is not None:
        put(scale, pick(samples.scale))


def _edges(scene, rel: str) -> dict[str, str]:
    """source -> target of every ``rel`` edge, in one pass over the graph."""
    return {u: v for u, v, r in scene.edges() if r == rel}


def _sample_groups(scene, ents, follows, t, arrays, rest_rot) -> None:
    """Sample every trajectory (``follows``: entity id -> trajectory id), batched by structure."""
    from scenegraph.world.trajectory import sample_trajectories, structure_key

    followers: dict[str, list[int]] = {}
    trajs: dict[str, object] = {}
    for i, e in enumerate(ents):  # entity order, so groups and columns are deterministic
        tid = follows.get(e.id)
        if tid is not None:
            followers.setdefault(tid, []).append(i)
            trajs[tid] = scene.trajectory(tid)
    groups: dict[tuple, list[str]] = {}
    for tid, tr in trajs.items():  # insertion order: deterministic
        groups.setdefault(structure_key(tr), []).append(tid)
    chunk = max(1, CHUNK_ENTITY_FRAMES // max(1, t.size))
    for tids in groups.values():
        for c in range(0, len(tids), chunk):
            part = tids[c : c + chunk]
            samples = sample_trajectories([trajs[tid] for tid in part], t)
            counts = [len(followers[tid]) for tid in part]
            rows = np.repeat(np.arange(len(part)), counts)
            cols = np.concatenate([followers[tid] for tid in part]).astype(np.int64)
            _write_samples(arrays, samples, rows, cols, rest_rot)


def _pose_at(scene, entity, time: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Position, velocity, rotation, scale of one entity at ``time`` (float64)."""
    from scenegraph.world.trajectory import sample_trajectories

    pos = entity.transform.translation.astype(np.float64)
    vel = np.zeros(3)
    rot = entity.transform.rotation.astype(np.float64)
    scl = entity.transform.scale.astype(np.float64)
    tr = scene.trajectory_of(entity.id)
    if tr is not None:
        arrays = (np.empty((1, 1, 3)), np.empty((1, 1, 4)), np.empty((1, 1, 3)), np.empty((1, 1, 3)))
        arrays[0][:], arrays[1][:], arrays[2][:] = pos, rot, scl
        s = sample_trajectories([tr], np.array([time]))
        _write_samples(arrays, s, np.array([0]), np.array([0]), rot[None])
        pos, rot, scl, vel = (a[0, 0] for a in arrays)
    return pos, vel, rot, scl


def _simulate_dynamics(scene, ents, t, fps, arrays) -> None:
    """Overwrite dynamic entities' frames from their start time with the ballistic state."""
    from scenegraph.model.rotations import quat_rotate

    position, rotation, scale, velocity = arrays
    dyn = [(i, e) for i, e in enumerate(ents) if e.dynamics is not None and e.dynamics.start_time <= t[-1]]
    if not dyn:
        return
    idx = np.array([i for i, _ in dyn])
    release = np.array([e.dynamics.start_time for _, e in dyn])
    poses = [_pose_at(scene, e, float(tr)) for (_, e), tr in zip(dyn, release)]
    p0 = np.array([p[0] for p in poses])
    v0 = np.array([e.dynamics.velocity if e.dynamics.velocity is not None else p[1] for (_, e), p in zip(dyn, poses)], dtype=np.float64)
    rot0 = np.array([p[2] for p in poses])
    scl0 = np.array([p[3] for p in poses])
    ground = np.empty(len(dyn))
    for k, (_, e) in enumerate(dyn):
        corners = np.array(np.meshgrid(*e.bounds.T, indexing="ij")).reshape(3, -1).T  # (8, 3)
        ground[k] = -np.min(quat_rotate(rot0[k], corners * scl0[k])[:, 1])
    bodies = Bodies(
        gravity=np.array([e.dynamics.gravity for _, e in dyn]),
        restitution=np.array([e.dynamics.restitution for _, e in dyn]),
        friction=np.array([e.dynamics.friction for _, e in dyn]),
        ground=ground,
    )
    state = release_state(p0, v0, bodies)
    now = release.copy()
    substeps = max(1, math.ceil((1.0 / fps) / MAX_SUBSTEP - 1e-9))
    first = int(np.searchsorted(t, release.min(), side="left"))
    for f in range(first, t.size):
        started = t[f] >= release
        if not started.any():
            continue
        h = np.where(started, t[f] - now, 0.0) / substeps
        for _ in range(substeps):
            state = step(state, bodies, h)
        now = np.where(started, t[f], now)
        cols = idx[started]
        position[f, cols] = state.position[started]
        velocity[f, cols] = state.velocity[started]
        rotation[f, cols] = rot0[started]
        scale[f, cols] = scl0[started]
        if started.all() and np.all(state.mode == RESTING):
            position[f + 1 :, idx] = state.position
            velocity[f + 1 :, idx] = 0.0
            rotation[f + 1 :, idx] = rot0
            scale[f + 1 :, idx] = scl0
            break


def simulate(scene, fps: float | None = None, duration: float | None = None, *, seed: int | None = None,
             visibility: bool = True) -> Timeline:
    """Simulate ``scene`` at ``fps`` over [0, duration] (defaults: the scene's).

    Frames are t = i / fps for i = 0..floor(duration * fps); arrays are
    float32 (F, E, ...) in ``scene.entities()`` order, local to each parent.
    Cameras get a :class:`Visibility` each (see :mod:`scenegraph.world.visibility`); ``visibility=False``
    leaves ``Timeline.visibility`` empty (the file writers never read it).
    Raises SimulationError for a bad fps, duration or seed, or a timeline too
    large for memory (:data:`MAX_TIMELINE_BYTES`).

    >>> from scenegraph.model import Scene, Entity, Trajectory
    >>> s = Scene(fps=4, duration=1.0)
    >>> _ = s.add_trajectory(Trajectory("go", times=[0, 1], positions=[[0, 0, 0], [2, 0, 0]]))
    >>> _ = s.add_entity(Entity("box"), trajectory="go")
    >>> tl = simulate(s)
    >>> tl.position[:, 0, 0].tolist(), tl.velocity[2, 0].tolist()
    ([0.0, 0.5, 1.0, 1.5, 2.0], [2.0, 0.0, 0.0])
    """
    from scenegraph.world.visibility import compute_visibility

    fps, duration, frames = _check_settings(scene, fps, duration, seed)
    ents = scene.entities()
    cams = [i for i, e in enumerate(ents) if e.kind == "camera"]
    _check_memory(frames, len(ents), len(cams), fps, duration)
    t = np.arange(frames, dtype=np.float64) / fps
    n = len(ents)
    index = {e.id: i for i, e in enumerate(ents)}
    parent_of = {v: u for u, v, r in scene.edges() if r == "parent"}
    parents = [index[parent_of[e.id]] if e.id in parent_of else -1 for e in ents]
    rest_t = np.array([e.transform.translation for e in ents], dtype=np.float64).reshape(n, 3)
    rest_r = np.array([e.transform.rotation for e in ents], dtype=np.float64).reshape(n, 4)
    rest_s = np.array([e.transform.scale for e in ents], dtype=np.float64).reshape(n, 3)
    position = np.empty((frames, n, 3), dtype=np.float32)
    rotation = np.empty((frames, n, 4), dtype=np.float32)
    scale = np.empty((frames, n, 3), dtype=np.float32)
    velocity = np.empty((frames, n, 3), dtype=np.float32)
    # touch every page in order first: the column-wise writes below would fault them in at random
    velocity.fill(0.0)
    position.fill(0.0)
    follows = _edges(scene, "follows")
    # trajectories overwrite every frame of their followers' positions: fill only the others
    still = np.array([e.id not in follows for e in ents], dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[False], still, [False]]).astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2]):
        position[:, a:b] = rest_t[a:b]
    rotation[:] = rest_r
    scale[:] = rest_s
    arrays = (position, rotation, scale, velocity)
    _sample_groups(scene, ents, follows, t, arrays, rest_r)
    _simulate_dynamics(scene, ents, t, fps, arrays)
    timeline = Timeline(
        fps=fps,
        time=t,
        ids=tuple(e.id for e in ents),
        position=position,
        rotation=rotation,
        scale=scale,
        velocity=velocity,
        parents=tuple(parents),
    )
    if not visibility:
        return timeline
    # visibility reads the finished entity state and never writes it
    bounds = np.array([e.bounds for e in ents], dtype=np.float64).reshape(n, 2, 3)
    objects = np.array([e.kind == "object" for e in ents], dtype=bool)
    from scenegraph.model.lens import lens_keys, yfov_at

    lenses = {i: yfov_at(ents[i], timeline.time) for i in cams if lens_keys(ents[i]) is not None}  # zooms
    timeline.visibility = compute_visibility(timeline, [(i, ents[i].camera) for i in cams], bounds, objects, lenses)
    return timeline
