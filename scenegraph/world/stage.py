"""The stage of a scene: the road, the in-view area, the t = 0 camera, and actors' keyed paths.

Geometry used by :mod:`scenegraph.world.motion` (which documents the conventions:
image left = -X, towards the camera = +Z, the road, kerbs and places).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scenegraph.model.catalog import ClassInfo
from scenegraph.errors import SpecError
from scenegraph.model import Dynamics
from scenegraph.world.planner import MARGIN
from scenegraph.world.profiles import MotionLimits, curve_speed, limits_for
from scenegraph.world.smoothing import REVERSAL, start_overhead, stop_overhead

__all__ = ["ROAD_HALF_WIDTH", "PAVEMENT", "Road", "Stage", "Actor", "yaw_of", "forward_of", "right_of", "wrap_angle",
           "orbit_start"]

ROAD_HALF_WIDTH = 3.5
PAVEMENT = 1.5
_ARC_STEP = math.radians(10.0)
CLEARANCE = 1.0  # metres a flyer keeps above what it passes over


def yaw_of(direction: np.ndarray) -> float:
    """Yaw (radians about +Y) that turns +Z to face ``direction`` (x, z used)."""
    return math.atan2(float(direction[0]), float(direction[2]))


def forward_of(yaw: float) -> np.ndarray:
    return np.array([math.sin(yaw), 0.0, math.cos(yaw)])


def right_of(yaw: float) -> np.ndarray:
    """The entity's right-hand side (forward x up)."""
    return np.array([-math.cos(yaw), 0.0, math.sin(yaw)])


@dataclass(frozen=True)
class Road:
    """A straight road through ``center`` along ``axis`` (0: X, 2: Z)."""

    axis: int
    center: float = 0.0  # coordinate of the centre line on the across axis
    half_width: float = ROAD_HALF_WIDTH

    @property
    def across(self) -> int:
        return 2 if self.axis == 0 else 0

    def lane(self, heading: np.ndarray) -> float:
        """Across-axis coordinate of the lane for travel along ``heading`` (keep right)."""
        right = np.cross(heading, [0.0, 1.0, 0.0])
        return self.center + math.copysign(self.half_width / 2, right[self.across] or 1.0)


@dataclass
class Stage:
    """Where the action happens and how the camera sees it.

    ``center`` (3,), ``half`` (x, z) half extents of the in-view area;
    ``eye`` (3,) and ``world`` (4, 4) the camera at t = 0; ``tan_h`` /
    ``tan_v`` the tangents of its half fields of view.
    """

    center: np.ndarray
    half: np.ndarray
    road: Road | None = None
    eye: np.ndarray | None = None
    world: np.ndarray | None = None
    tan_h: float = 0.83
    tan_v: float = 0.47
    setting: str | None = None  # where it is ("highway", "street", ...): sets traffic speeds
    water: tuple | None = None  # (a point on the near shore (3,), the unit way out over the water (3,)): set by the kit

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """Points (N, 3) in the t = 0 camera frame (x right, y up, -z forward)."""
        cached = self.__dict__.get("_inv")
        if cached is None or cached[0] is not self.world:  # the camera at t = 0, inverted once
            cached = self.__dict__["_inv"] = (self.world, np.linalg.inv(self.world))
        inv = cached[1]
        return pts @ inv[:3, :3].T + inv[:3, 3]

    def in_frustum(self, pts: np.ndarray, margin: float = 1.0) -> np.ndarray:
        """(N,) bool: point inside the t = 0 view (``margin`` < 1 shrinks the frustum)."""
        c = self.to_camera(np.atleast_2d(pts))
        depth = -c[:, 2]
        return (depth > 0.05) & (np.abs(c[:, 0]) <= self.tan_h * depth * margin) & (np.abs(c[:, 1]) <= self.tan_v * depth * margin)

    def offscreen(self, start: np.ndarray, direction: np.ndarray, size: np.ndarray) -> np.ndarray:
        """The first point from ``start`` along ``direction`` where a box of ``size`` is wholly out of view."""
        d = direction / max(np.linalg.norm(direction), 1e-9)
        w, h, dp = size
        r = 0.5 * math.hypot(w, dp)
        corners = np.array([[sx * r, y, sz * r] for sx in (-1, 1) for sz in (-1, 1) for y in (0.0, h)])
        p = np.array(start, dtype=np.float64)
        step = max(0.5, 0.02 * float(np.linalg.norm(p - self.eye)))  # finer near the camera, coarser far away
        ds = d * step
        done = 0
        while done < 400:  # the points p, p + ds, (p + ds) + ds, ... tested a batch at a time
            n = min(400 - done, 8 if done == 0 else 64)
            walk = np.cumsum(np.vstack([p[None], np.repeat(ds[None], n - 1, axis=0)]), axis=0)
            seen = self.in_frustum((walk[:, None, :] + corners[None]).reshape(-1, 3), margin=1.02).reshape(n, -1)
            out = np.flatnonzero(~seen.any(axis=1))
            if out.size:
                return walk[out[0]] + ds
            p = walk[-1] + ds
            done += n
        raise SpecError(f"cannot find a point outside the camera's view from {np.round(start, 2).tolist()}")

    def view_edge(self, start: np.ndarray, direction: np.ndarray, size: np.ndarray, limit: float) -> np.ndarray:
        """The farthest point from ``start`` along ``direction`` (at most ``limit`` metres) where a box of
        ``size`` is still wholly in the t = 0 view, with a small margin; ``start`` if it is not in view."""
        d = direction / max(np.linalg.norm(direction), 1e-9)
        w, h, dp = size
        r = 0.5 * max(w, dp)  # whichever way it faces
        corners = np.array([[sx * r, y, sz * r] for sx in (-1, 1) for sz in (-1, 1) for y in (0.0, h)])
        steps = np.arange(0.0, limit + 1e-9, 0.1)
        pts = start + steps[:, None] * d
        inside = self.in_frustum((pts[:, None, :] + corners[None]).reshape(-1, 3), margin=0.92).reshape(len(steps), -1).all(axis=1)
        if not inside[0]:
            return start + d * limit
        last = int(np.argmin(inside)) - 1 if not inside.all() else len(steps) - 1
        return pts[last]

    def place(self, name: str, actor: "Actor", at: np.ndarray | None = None) -> np.ndarray:
        """A named place (see :data:`scenegraph.model.spec.PLACES`) for ``actor`` (standing ``at``).

        On the ground, except for a flyer, which keeps its height.
        """
        p = self._ground_place(name, actor, at)
        if actor.info is not None and actor.info.kind == "flyer":
            p[1] = actor.position[1]
        return p

    def _ground_place(self, name: str, actor: "Actor", at: np.ndarray | None) -> np.ndarray:
        c, (hx, hz) = self.center, self.half
        pos = actor.position if at is None else at
        if name in ("near_kerb", "far_kerb", "road"):
            road = self.need_road(name)
            a = road.across
            side = math.copysign(1.0, (pos[a] - road.center) or 1.0)
            p = pos.copy()
            p[1] = 0.0
            if name == "road":
                p[a] = road.center
            else:
                p[a] = road.center + side * (road.half_width if name == "near_kerb" else -road.half_width)
            return p
        if name == "water" and self.water is not None:  # straight out to the water's edge, stopping short of it
            shore, away = self.water
            p = np.array(pos, dtype=np.float64)
            p[1] = 0.0
            out = float((np.asarray(shore) - p) @ away) - 0.5 * max(actor.size[0], actor.size[2]) - 0.4
            return p + np.asarray(away) * max(out, 0.0)
        if name == "water":
            name = "back"  # no lake, river or sea built: the far side of the view
        if name in ("left", "right") and self.world is not None:  # the side of the picture, within the stage
            start = np.array([c[0], 0.0, pos[2]])
            return self.view_edge(start, np.array([-1.0 if name == "left" else 1.0, 0.0, 0.0]), actor.size, hx)
        fixed = {"left": (-hx, None), "right": (hx, None), "center": (0.0, 0.0), "front": (None, hz), "back": (None, -hz)}
        if name in fixed:
            dx, dz = fixed[name]
            return np.array([c[0] + dx if dx is not None else pos[0], 0.0, c[2] + dz if dz is not None else pos[2]])
        if name == "camera":
            return np.array([self.eye[0], 0.0, self.eye[2]])
        if name.startswith("offscreen_"):
            side = name.split("_", 1)[1]
            d = {"left": (-1, 0, 0), "right": (1, 0, 0), "back": (0, 0, -1), "front": (0, 0, 1)}[side]
            if side == "back":  # far away along -Z: beyond the centre by the stage depth times three
                return np.array([pos[0], 0.0, c[2] - 3 * max(hz, 10.0)])
            if side == "front":  # behind the camera
                return np.array([pos[0], 0.0, self.eye[2] + 2.0])
            start = np.array([c[0], 0.0, pos[2]])
            return self.offscreen(start, np.array(d, dtype=float), actor.size)
        raise SpecError(f"unknown place {name!r}")

    def need_road(self, what: str) -> Road:
        if self.road is None:
            raise SpecError(f"{what}: the scene has no road")
        return self.road


@dataclass
class Actor:
    """An entity's motion state while its actions are planned.

    ``keys`` are (time s, position (3,), yaw rad); the first key is its rest pose.
    """

    id: str
    size: np.ndarray
    info: ClassInfo | None
    position: np.ndarray
    thrown_to: np.ndarray | None = None  # where a thrown thing comes down (set by the throw), for a chaser
    yaw: float = 0.0
    t: float = 0.0
    keys: list = field(default_factory=list)
    dynamics: Dynamics | None = None
    looks: bool = False  # a look_at needs explicit yaw keys
    loop: bool = False
    support_top: float = 0.0
    moved: bool = False
    home: np.ndarray | None = None  # where the layout put it
    support: "Actor | None" = None  # what it stands on
    moving: bool = False  # under way at the last key (a stop or a start still takes time)
    speed: float = 0.0  # planned speed of the last segment, m/s
    flying_start: bool = False  # already under way at t = 0 (entering the picture at speed)
    open_end: bool = False  # its last motion goes on past the end of the plan (nothing said it stops)
    obstacles: object = None  # a planner.ObstacleMap of what stands still: legs go round it
    ignore: set = field(default_factory=set)  # things it may touch in its current action (sits on, lands on ...)
    plan: list | None = None  # the planned keys, kept when the smooth keys replace them
    carrier: tuple | None = None  # (id, from time): ridden, pushed or carried by that actor
    holding: list = field(default_factory=list)  # the actors it rides, pushes or carries (from planning on)
    synced: bool = False  # its keys are timed by another actor's (follows, overtakes): never slowed on its own
    leader: str | None = None  # the actor a follower keeps time with (its waits for others are the follower's too)
    notes: list | None = None  # where warnings about relaxed motion go (the build's warnings)
    exact: list = field(default_factory=list)  # (t0, t1) spans of keys kept exactly by the smoother (a jump's arc)
    phases: list = field(default_factory=list)  # (name, t0, t1, data): what the body does when (world.phases)

    def __post_init__(self) -> None:
        self.position = np.array(self.position, dtype=np.float64)
        self.home = self.position.copy()
        self.keys = [(0.0, self.position.copy(), self.yaw)]

    @property
    def limits(self) -> MotionLimits:
        return limits_for(self.info)

    # -- primitives --------------------------------------------------------
    def teleport(self, p: np.ndarray) -> None:
        """Set where the actor is before it has moved (its rest pose)."""
        self.position = np.array(p, dtype=np.float64)
        self.keys = [(k[0], self.position.copy(), k[2]) for k in self.keys]

    def _key(self, t: float, p: np.ndarray, yaw: float) -> None:
        if self.moving and np.linalg.norm(np.asarray(p, dtype=np.float64) - self.position) < 1e-9:
            self.stop()
            t = max(t, self.t + 1e-3)
        if t <= self.keys[-1][0] + 1e-6:
            t = self.keys[-1][0] + 1e-3
        self.keys.append((t, np.array(p, dtype=np.float64), yaw))
        self.t, self.position, self.yaw = t, np.array(p, dtype=np.float64), yaw

    def wait_until(self, t: float) -> None:
        """Hold still until ``t`` (a zero-velocity segment); a moving actor brakes first."""
        if t > self.t + 1e-6:
            self.stop()
        if t > self.t + 1e-6:
            self._key(t, self.position, self.yaw)
        self.t = max(self.t, t)

    def stop(self) -> None:
        """Come to rest at the last key: the last segment takes the braking time longer."""
        if not self.moving:
            return
        self.moving = False
        extra = stop_overhead(self.limits, self.speed)
        if extra > 0 and len(self.keys) > 1:
            t, p, yaw = self.keys[-1]
            self.keys[-1] = (t + extra, p, yaw)
            self.t = t + extra

    def _advance(self, p: np.ndarray, dt: float, yaw: float, speed: float) -> None:
        """A moving segment of ``dt`` seconds at cruise ``speed``; a start from rest takes its overhead."""
        if not self.moving:
            dt += start_overhead(self.limits, speed)
            self.moving = True
        self.speed = speed
        self._key(self.t + dt, p, yaw)
        self.moved = True

    def go(self, target: np.ndarray, speed: float) -> None:
        """To ``target`` at ``speed`` m/s, round whatever stands in the way (over it, for a flyer)."""
        target = np.array(target, dtype=np.float64)
        m = self.obstacles
        if m is None or not len(m) or np.hypot(*(target - self.position)[[0, 2]]) < 1e-6:
            return self._straight(target, speed)
        radius = 0.5 * self.size[0] + MARGIN  # its half width passes beside things
        p, q = self.position[[0, 2]], target[[0, 2]]
        ignore = self.ignore | ({self.support.id} if self.support is not None else set())
        if self.info is not None and self.info.kind == "flyer" and self.position[1] > 0.3:
            top = m.top_along(p, q, radius, ignore)
            if top + CLEARANCE > min(self.position[1], target[1]):
                cruise = top + CLEARANCE
                if self.position[1] < cruise:  # climb at no more than ~35 degrees before what it flies over
                    hit = m.first_hit(p, q, radius, -1e9, 1e9, ignore)
                    room = float(np.linalg.norm(q - p)) * (hit[1] if hit else 1.0)
                    run = min(room, (cruise - self.position[1]) / math.tan(math.radians(35.0)))
                    d = (q - p) / max(float(np.linalg.norm(q - p)), 1e-9)
                    if run > 0.2:
                        w = p + d * run
                        self._straight(np.array([w[0], cruise, w[1]]), speed)
                    else:
                        self._straight(np.array([p[0], cruise, p[1]]), speed)
                target[1] = max(target[1], cruise)
            return self._straight(target, speed)
        y0, y1 = min(self.position[1], target[1]), max(self.position[1], target[1]) + self.size[1]
        q = m.outside(q, radius, y0, y1, ignore, toward=p)
        legs = m.route(p, q, radius, y0, y1, ignore)
        total = sum(float(np.linalg.norm(b - a)) for a, b in zip([p] + legs, legs)) or 1.0
        if len(legs) > 9 or total > 2.5 * float(np.linalg.norm(q - p)) + 2.0 or any(
                m.first_hit(a, b, radius, y0, y1, ignore) is not None for a, b in zip([p] + legs, legs)):
            grid = m.grid_route(p, q, radius, y0, y1, ignore)  # a maze: round it on a grid
            if grid is not None:
                legs = grid
            else:  # no way round at all: straight on (the motion is relaxed, and says so)
                legs = [q]
                if self.notes is not None:
                    self.notes.append(f"{self.id}: no way round what stands between it and its goal; "
                                      f"relaxed 'keeps clear of still things' for that leg")
            total = sum(float(np.linalg.norm(b - a)) for a, b in zip([p] + legs, legs)) or 1.0
        done, y_start = 0.0, self.position[1]
        here = p
        for w in legs:
            done += float(np.linalg.norm(w - here))
            here = w
            self._straight(np.array([w[0], y_start + (target[1] - y_start) * done / total, w[1]]), speed)

    def _straight(self, target: np.ndarray, speed: float) -> None:
        """Straight to ``target`` at ``speed`` m/s, facing the way it goes (a reversal stops and turns first)."""
        target = np.array(target, dtype=np.float64)
        d = target - self.position
        dist = float(np.linalg.norm(d))
        if dist < 1e-6:
            return
        yaw = yaw_of(d) if np.hypot(d[0], d[2]) > 1e-6 else self.yaw
        turn = abs(wrap_angle(yaw - self.yaw))
        if self.moving and turn > REVERSAL:
            self.stop()
        if not self.moving and turn > 1e-3 and self.moved and np.hypot(d[0], d[2]) > 1e-6:
            self._key(self.t + 1.3 * turn / self.limits.yaw_rate, self.position, self.yaw)  # time to turn round
        elif abs(wrap_angle(yaw - self.yaw)) > 1e-6 and self.looks:
            self._key(self.t + 1e-3, self.position, yaw)
        if not self.moved and len(self.keys) == 1 and np.hypot(d[0], d[2]) > 1e-6:
            self.keys[0] = (self.keys[0][0], self.keys[0][1], yaw)  # it starts facing the way it goes
        self.yaw = yaw
        self._advance(target, dist / speed, yaw, speed)

    def arc(self, angle: float, radius: float, speed: float) -> None:
        """Turn by ``angle`` radians (positive = left) along a circle of ``radius``."""
        speed = min(speed, curve_speed(self.limits, radius))  # slow enough for the bend
        side = right_of(self.yaw) * (-1.0 if angle > 0 else 1.0)
        center = self.position + radius * side
        n = max(2, int(math.ceil(abs(angle) / _ARC_STEP)))
        dt = abs(angle) * radius / speed / n
        yaw0 = self.yaw
        for i in range(1, n + 1):
            yaw = yaw0 + angle * i / n
            p = center - radius * right_of(yaw) * (-1.0 if angle > 0 else 1.0)
            p[1] = self.position[1]
            self._advance(p, dt, yaw, speed)

    def position_at(self, t: float) -> np.ndarray:
        times = np.array([k[0] for k in self.keys])
        pos = np.array([k[1] for k in self.keys])
        return np.array([np.interp(t, times, pos[:, i]) for i in range(3)])


def wrap_angle(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def orbit_start(center: np.ndarray, center_size: np.ndarray, position: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Where a circle around a thing at ``center`` (of ``center_size``) starts for something at ``position``.

    Same bearing from the centre; the radius keeps the two boxes 0.5 to 2 m apart (positions (3,), metres).
    """
    inner = 0.5 * max(center_size[0], center_size[2]) + 0.5 * max(size[0], size[2]) + 0.5
    rel = (np.asarray(position, dtype=np.float64) - center) * [1, 0, 1]
    n = float(np.linalg.norm(rel))
    bearing = rel / n if n > 1e-6 else np.array([0.0, 0.0, 1.0])
    p = center + bearing * float(np.clip(n, inner, inner + 1.5))
    p[1] = position[1]
    return p
