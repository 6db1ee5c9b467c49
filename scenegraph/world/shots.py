"""Camera shots -> camera keyframes (position, rotation) for ``camera_1``.

Shots run one after another (or at ``start``); each starts from the pose the
previous one left.  Pan left turns the view towards -X (a positive yaw), tilt
up raises it; ``track`` / ``follow`` keep the target framed from the camera's
direction, smoothly (:func:`scenegraph.world.coverage.follow_shot`: a
Gaussian-smoothed path, closer where the target would be too small);
``dolly in`` moves along the view towards the target; ``truck`` moves
sideways, ``crane`` up or down (still looking at what it looked at);
``orbit`` circles the target; ``zoom`` changes the lens (the field of
view, keyed in ``lens``), not the camera's place; ``look_away_and_back`` pans 90 degrees away,
holds, and pans back (the world goes on meanwhile).  Moves ease in and out;
``pace`` "slow" doubles a move's default time, "fast" halves it.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from scenegraph.errors import SpecError
from scenegraph.model.spec import ShotSpec
from scenegraph.world.coverage import _corners, follow_shot, look_rotation, sample_actor

__all__ = ["plan_shots", "look_rotation", "project_points", "entity_in_picture", "EASE_STEPS", "lens_attributes"]

EASE_STEPS = 8  # keys per eased move
ZOOM_FACTOR = 2.0  # a zoom in doubles the focal length (halves tan(yfov / 2)), a zoom out halves it
ZOOM_LIMITS = (math.radians(2.0), math.radians(100.0))  # the narrowest and widest lens
ZOOM_FILL = 0.9  # a zoom in on a thing stops where its box fills this much of the picture (it stays whole)
_PACE = {"slow": 2.0, "fast": 0.5}


def _angles(forward: np.ndarray) -> tuple[float, float]:
    f = forward / np.linalg.norm(forward)
    return math.atan2(-f[0], -f[2]), math.atan2(f[1], math.hypot(f[0], f[2]))


def _forward(yaw: float, pitch: float) -> np.ndarray:
    return np.array([-math.sin(yaw) * math.cos(pitch), math.sin(pitch), -math.cos(yaw) * math.cos(pitch)])


def plan_shots(shots: list[ShotSpec], eye: np.ndarray, target: np.ndarray, members: Callable[[str], list[str]],
               actors: dict, action_end: float, action_ends: dict[str, float] | None = None,
               warnings: list[str] | None = None, fps: float = 24.0, yfov: float = math.radians(50.0),
               aspect: float = 16.0 / 9.0, obstacles: list | None = None,
               lens: list | None = None) -> tuple[list[tuple[float, np.ndarray, np.ndarray]], float]:
    """Keys (time, position (3,), rotation (4,) xyzw) for the shots, and the time the last one ends.

    ``action_ends`` maps action ids to their end times (for ``after``); what
    had to be approximated is appended to ``warnings``.  A zoom appends
    (time, yfov radians) keys of the lens to ``lens`` (the camera does not move).

    No keys for no shots or only static ones.  Raises SpecError for a shot
    whose target is not an entity.
    """
    pos = np.array(eye, dtype=np.float64)
    look = np.array(target, dtype=np.float64)
    yaw, pitch = _angles(look - pos)
    keys: list[tuple[float, np.ndarray, np.ndarray]] = [(0.0, pos.copy(), look_rotation(look - pos))]
    t = 0.0

    def key(time: float, p: np.ndarray, y: float, pt: float) -> None:
        nonlocal t, pos, yaw, pitch
        if time <= 1e-9 and len(keys) == 1:  # a shot that starts at 0 sets the first pose
            keys[0] = (0.0, np.array(p, dtype=np.float64), look_rotation(_forward(y, pt)))
            t, pos, yaw, pitch = 0.0, np.array(p, dtype=np.float64), y, pt
            return
        if time <= keys[-1][0] + 1e-6:
            time = keys[-1][0] + 1e-3
        keys.append((time, np.array(p, dtype=np.float64), look_rotation(_forward(y, pt))))
        t, pos, yaw, pitch = time, np.array(p, dtype=np.float64), y, pt

    def actor_of(shot: ShotSpec, k: int):
        if shot.target is None:
            return None
        ids = members(shot.target)
        if not ids:
            raise SpecError(f"camera[{k}] ({shot.type}): target {shot.target!r} is not an entity")
        return actors[ids[0]]

    def ease(t0: float, dur: float, p1: np.ndarray, y1: float, pt1: float, aim: np.ndarray | None = None) -> None:
        """From the current pose to (p1, y1, pt1) over ``dur`` seconds, easing in and out (smoothstep); with
        ``aim`` the camera looks at that point all the way instead."""
        p0, y0, pt0 = pos.copy(), yaw, pitch
        for i in range(1, EASE_STEPS + 1):
            u = i / EASE_STEPS
            w = u * u * (3 - 2 * u)
            p = p0 + (p1 - p0) * w
            if aim is not None:
                y, pt = _angles(aim - p)
            else:
                y, pt = y0 + (y1 - y0) * w, pt0 + (pt1 - pt0) * w
            key(t0 + dur * u, p, y, pt)

    def length(shot: ShotSpec, default: float) -> float:
        return shot.duration or default * _PACE.get(shot.pace or "", 1.0)

    moved = False
    fov = [float(yfov)]  # the lens now (a zoom changes it)
    for k, shot in enumerate(shots):
        if shot.start is not None:
            start = shot.start
        elif shot.after is not None:
            start = max(t, (action_ends or {}).get(shot.after, t))
        else:
            start = t
        if start > t + 1e-6:
            key(start, pos, yaw, pitch)
        actor = actor_of(shot, k)
        if shot.type == "static":
            if shot.duration:
                key(t + shot.duration, pos, yaw, pitch)
            continue
        moved = True
        if shot.type in ("pan", "tilt"):
            default = "left" if shot.type == "pan" else "up"
            d = shot.direction or default
            ang = math.radians(shot.angle if shot.angle is not None else (30.0 if shot.type == "pan" else 15.0))
            dur = length(shot, 3.0)
            if actor is not None and shot.angle is None and shot.direction is None:  # 'pans to the tree'
                y1, pt1 = _angles(sample_actor(actor, np.array([t + dur]))[0] + [0.0, actor.size[1] / 2, 0.0] - pos)
                y1 = yaw + (y1 - yaw + math.pi) % (2 * math.pi) - math.pi
                ease(t, dur, pos, y1 if shot.type == "pan" else yaw, pt1 if shot.type == "tilt" else pitch)
            elif d in ("left", "right"):
                ease(t, dur, pos, yaw + (ang if d == "left" else -ang), pitch)
            else:
                ease(t, dur, pos, yaw, max(min(pitch + (ang if d == "up" else -ang), 1.5), -1.5))
        elif shot.type in ("truck", "crane"):
            focus = actor.position + [0.0, actor.size[1] / 2, 0.0] if actor is not None else look
            span = float(np.linalg.norm(focus - pos))
            if shot.type == "truck":  # sideways, the view kept
                fwd = _forward(yaw, 0.0)
                right = np.array([-fwd[2], 0.0, fwd[0]])
                way = -1.0 if (shot.direction or "left") == "left" else 1.0
                step = right * way * (shot.distance or max(1.5, 0.3 * span))
                ease(t, length(shot, 3.0), pos + step, yaw, pitch)
            else:  # up or down, still looking at what it looked at
                way = -1.0 if shot.direction == "down" else 1.0
                rise = way * (shot.distance or max(2.0, 0.5 * span))
                p1 = pos + [0.0, rise, 0.0]
                p1[1] = max(p1[1], 0.3)
                ease(t, length(shot, 4.0), p1, yaw, pitch, aim=focus)
        elif shot.type == "look_away_and_back":
            dur = length(shot, 3.0)
            y0 = yaw
            key(t + dur / 3, pos, y0 + math.pi / 2, pitch)
            key(t + dur / 3, pos, y0 + math.pi / 2, pitch)
            key(t + dur / 3, pos, y0, pitch)
        elif shot.type == "zoom":  # the lens, not the camera: nearer things do not grow faster than far ones
            factor = shot.distance or ZOOM_FACTOR
            f0 = fov[0]
            tan1 = math.tan(f0 / 2) / factor if shot.direction != "out" else math.tan(f0 / 2) * factor
            dur = length(shot, 3.0)
            t0 = t
            # 'zooms in on the dog' turns to the dog as it zooms; 'zooms in' to the main subject if it is in view
            subject = actor if actor is not None else next(iter(actors.values()), None)
            y1, pt1 = yaw, pitch
            if subject is not None:
                bottom, turn = sample_actor(subject, np.array([t0, t0 + dur]), with_yaw=True)
                box = _corners(bottom, subject.size, turn)  # (2, 8, 3)
                aim = bottom[1] + [0.0, subject.size[1] / 2, 0.0]
                if actor is not None or _in_view(box[0], pos, yaw, pitch, fov[0], aspect):
                    y1, pt1 = _angles(aim - pos)
                    y1 = yaw + (y1 - yaw + math.pi) % (2 * math.pi) - math.pi
                    if shot.direction != "out":  # it stays whole
                        whole = _half_extent(box[1], pos, y1, pt1, aspect) / ZOOM_FILL
                        if whole > math.tan(f0 / 2) / 1.5 and t0 <= 1e-9 and len(keys) == 1:
                            # the opening view is too close for a zoom: it opens farther back, at the same height
                            back = whole * factor / math.tan(f0 / 2)
                            p0 = aim + (pos - aim) * back
                            p0[1] = pos[1]
                            key(0.0, p0, *_angles(aim - p0))
                            y1, pt1 = yaw, pitch
                            whole = _half_extent(box[1], pos, y1, pt1, aspect) / ZOOM_FILL
                        tan1 = max(tan1, whole)
            f1 = float(np.clip(2 * math.atan(tan1), *ZOOM_LIMITS))
            if warnings is not None and abs(2 * math.atan(tan1) - f1) > 1e-6:
                warnings.append(f"camera[{k}] (zoom {shot.direction or 'in'}): the lens stops at "
                                f"{math.degrees(f1):.0f} degrees of view")
            ease(t0, dur, pos, y1, pt1)
            if lens is not None:
                if not lens or lens[-1][0] < t0 - 1e-6:
                    lens.append((t0, f0))
                steps = max(EASE_STEPS, int(math.ceil(dur * fps)))  # a key a frame: engines that interpolate the
                for i in range(1, steps + 1):  # focal length instead agree at every frame; eased in its log
                    u = i / steps
                    w = u * u * (3 - 2 * u)
                    tan_u = math.exp(math.log(math.tan(f0 / 2)) * (1 - w) + math.log(math.tan(f1 / 2)) * w)
                    lens.append((t0 + dur * u, 2 * math.atan(tan_u)))
            fov[0] = f1
        elif shot.type == "dolly":
            focus = actor.position + [0.0, actor.size[1] / 2, 0.0] if actor is not None else look
            v = focus - pos
            dist = shot.distance or 0.4 * float(np.linalg.norm(v))
            sign = -1.0 if shot.direction == "out" else 1.0
            ease(t, length(shot, 3.0), pos + sign * v / np.linalg.norm(v) * dist, yaw, pitch)
        elif shot.type in ("track", "follow"):
            if actor is None:  # track whatever moves first, if anything does
                actor = next((x for x in actors.values() if len(x.keys) > 1), None)
                if warnings is not None:
                    warnings.append(f"camera[{k}] ({shot.type}) names no target; "
                                    + (f"it tracks {actor.id}" if actor is not None else "it holds still"))
                if actor is None:
                    continue
            end = start + shot.duration if shot.duration else max(action_end, start + 1.0)
            # the last shot goes on through the second the clip runs past the actions
            last = end + (1.0 if k == len(shots) - 1 and not shot.duration else 0.0)
            times, eyes, forward = follow_shot(actor, actor.size, pos, look, start, last, fps, yfov, aspect,
                                               obstacles=obstacles)
            y, pt = _angles(forward)  # the heading the camera had: left and right stay as they were
            for tt, p in zip(times, eyes):
                key(float(tt), p, y, pt)
            t = min(t, end) if last > end else t
        elif shot.type == "orbit":
            c = actor.position + [0.0, actor.size[1] / 2, 0.0] if actor is not None else look
            rel = pos - c
            radius = float(math.hypot(rel[0], rel[2]))
            ang0 = math.atan2(rel[0], rel[2])
            close = radius
            if actor is not None:  # round a small thing closer: it stays a good part of the picture
                close = max(actor.size[1] / (2 * math.tan(yfov / 2) * 0.25), 0.5 * max(actor.size[0], actor.size[2]) + 0.5)
            close = min(close, radius)
            total = math.radians(shot.angle if shot.angle is not None else 360.0)
            if shot.direction == "right":
                total = -total
            t0 = t
            dur = length(shot, 8.0)
            # a key every frame: between keys an engine moves along the chord and turns at the key (at 10 degrees a
            # key the path is a polygon whose corners read as a jolt every few frames)
            n = max(8, int(abs(total) / math.radians(10)), int(math.ceil(dur * fps)))
            for i in range(1, n + 1):
                a = ang0 + total * i / n
                u = min(1.0, 4.0 * i / n)  # spiralling in over the first quarter
                r = radius + (close - radius) * u * u * (3 - 2 * u)
                p = c + [r * math.sin(a), rel[1] * r / max(radius, 1e-9), r * math.cos(a)]
                y, pt = _angles(c - p)
                key(t0 + dur * i / n, p, y, pt)
        else:  # pragma: no cover - the schema allows nothing else
            raise SpecError(f"camera[{k}]: unknown shot {shot.type!r}")
    return (keys if moved or len(keys) > 1 else []), t


def _view_coords(pts: np.ndarray, eye: np.ndarray, yaw: float, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """Tangents (x right, y up) of points (N, 3) off the view axis of a camera at ``eye`` (yaw, pitch); nan
    behind it."""
    f = _forward(yaw, pitch)
    right = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])
    up = np.cross(right, f)
    rel = np.asarray(pts, dtype=np.float64) - eye
    z = rel @ f
    z = np.where(z > 1e-3, z, np.nan)
    return (rel @ right) / z, (rel @ up) / z


def _in_view(pts: np.ndarray, eye: np.ndarray, yaw: float, pitch: float, yfov: float, aspect: float) -> bool:
    """Whether the middle of the points is in the picture."""
    x, y = _view_coords(np.asarray(pts).mean(axis=0, keepdims=True), eye, yaw, pitch)
    t = math.tan(yfov / 2)
    return bool(abs(x[0]) <= t * aspect and abs(y[0]) <= t)


def _half_extent(pts: np.ndarray, eye: np.ndarray, yaw: float, pitch: float, aspect: float) -> float:
    """The tan(yfov / 2) at which the points (N, 3) just fit the picture (``aspect`` wide)."""
    x, y = _view_coords(pts, eye, yaw, pitch)
    if np.isnan(x).any():
        return math.tan(ZOOM_LIMITS[1] / 2)
    return float(max(np.abs(y).max(), np.abs(x).max() / aspect))


def lens_attributes(lens: list) -> dict:
    """A camera entity's attributes for the lens keys (time, yfov) :func:`plan_shots` made (none: a fixed lens;
    :mod:`scenegraph.model.lens`)."""
    from scenegraph.model.lens import LENS_KEY

    if len(lens) < 2:
        return {}
    return {LENS_KEY: {"times": [round(float(t), 6) for t, _ in lens], "yfov": [round(float(y), 6) for _, y in lens]}}


def project_points(scene, timeline, frame: int, points: np.ndarray, camera: str = "camera_1") -> tuple[np.ndarray, np.ndarray]:
    """Pixels (N, 2) and depths (N,) in metres of world points (N, 3) seen by ``camera`` at ``frame``.

    Depth <= 0 means behind the camera; pixels are (x right, y down) in the camera's image size.
    """
    from scenegraph.world.views import PinholeCamera

    from scenegraph.model.lens import camera_at

    m = timeline.world_matrices()[frame, timeline.index(camera)]
    pin = PinholeCamera.from_scene_camera(camera_at(scene.entity(camera), float(timeline.time[frame])), m)
    pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
    cam = np.c_[pts, np.ones(len(pts))] @ pin.world_to_camera.T
    uvw = cam[:, :3] @ pin.K.T
    depth = cam[:, 2]
    return uvw[:, :2] / np.where(np.abs(uvw[:, 2:3]) < 1e-12, 1e-12, uvw[:, 2:3]), depth


def entity_in_picture(scene, timeline, entity: str, frame: int, camera: str = "camera_1") -> bool:
    """True when the whole bounding box of ``entity`` projects inside ``camera``'s image at ``frame``."""
    lo, hi = scene.entity(entity).bounds
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    m = timeline.world_matrices()[frame, timeline.index(entity)]
    uv, depth = project_points(scene, timeline, frame, corners @ m[:3, :3].T + m[:3, 3], camera)
    params = scene.entity(camera).camera
    return bool(np.all(depth > 0) and np.all((uv >= 0) & (uv <= [params.width, params.height])))
