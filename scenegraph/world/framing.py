"""Where camera_1 stands at t = 0: the things in view framed from about eye height.

The main subject (the first thing the spec names) fills at least
:data:`MAIN_FILL` of the image height unless that would cut another thing that
is in view at t = 0; things much bigger than it (a tree, a house) only need
their lower middle in view; the camera rises to look over whatever hides the
main subject.  Used by :mod:`scenegraph.world.builder`.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.world.stage import PAVEMENT, ROAD_HALF_WIDTH

__all__ = ["YFOV", "ASPECT", "MAIN_FILL", "frame_points", "CameraFraming", "write_shots", "kit_boxes"]

YFOV = math.radians(50.0)
ASPECT = 16.0 / 9.0
_ELEVATION = math.radians(14.0)
MAIN_FILL = 0.16  # the main subject's height as a fraction of the image height, at least


def frame_points(points: np.ndarray, target: np.ndarray, back: np.ndarray, *, yfov: float = YFOV,
                 aspect: float = ASPECT, fill: float = 0.85) -> float:
    """Smallest distance along ``back`` (unit, from ``target``) at which every point (N, 3) is in view.

    ``fill`` < 1 leaves a margin around the points.
    """
    back = back / np.linalg.norm(back)
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    rel = np.atleast_2d(points) - target
    b, r, u = rel @ back, rel @ right, rel @ up
    tan_v = math.tan(yfov / 2) * fill
    tan_h = math.tan(yfov / 2) * aspect * fill
    need = np.maximum(b + np.abs(r) / tan_h, b + np.abs(u) / tan_v)
    return float(max(need.max(), (b + 0.5).max(), 1.0))


class CameraFraming:
    """The framing step of a build (mixed into the builder: uses its spec, sizes, stage and road)."""

    def frame_camera(self, objs: list[str], placed: dict[str, tuple[np.ndarray, float]]) -> None:
        """Aim camera_1 at the things in view at t = 0: their joint extent fills most of the frame, the main
        subject (the first one the spec names) at least :data:`MAIN_FILL` of its height, from about eye height."""
        entering = {eid for a in self.spec.actions if a.direction == "into_scene" or (a.from_ or "").startswith("offscreen")
                    for eid in self.members(a.actor)}
        self._framed = (list(objs), dict(placed))
        subjects = [e for e in objs if e not in entering and max(self.size[e][0], self.size[e][2]) < 3 * max(self.stage.half)]
        main = subjects[0] if subjects else (objs[0] if objs else None)
        tall = max(3.0 * self.size[main][1], 2.0) if main is not None else math.inf
        pts = []
        for e in subjects:  # whole boxes; of a thing much bigger than the main subject only its lower middle
            p = placed[e][0]
            w, h, d = self.size[e]
            if e != main:  # a tree's crown or a house's ends may leave the frame, never a dog
                w, h, d = min(w, tall), max(min(h + p[1], tall) - p[1], 0.0), min(d, tall)
            pts += [p + [sx * w / 2, y, sz * d / 2] for sx in (-1, 1) for sz in (-1, 1) for y in (0.0, h)]
        in_view = len(pts)  # the boxes of things in view at t = 0 must stay wholly in view
        movers = {eid for a in self.spec.actions if a.verb not in ("pause", "wait", "look_at", "throw", "drop")
                  for eid in self.members(a.actor)}
        for e in objs:  # room to move: a mover's reach either side, entering ones where they arrive
            if e in movers or e in entering:
                p, (w, h, d) = placed[e][0], self.size[e]
                reach = min(self.stage.half[0], max(2.0 * max(w, d) + 2.0, 1.5 * self.info[e].cruise_speed))
                pts += [p + [sx * reach, y, 0.0] for sx in (-1, 1) for y in (0.0, h)]
        for a in self.spec.actions:  # a run around a thing: the circle it runs
            if (a.verb == "orbit" or a.direction == "around") and a.target and self.members(a.target):
                c = self.members(a.target)[0]
                for eid in self.members(a.actor):
                    r = float(np.linalg.norm((placed[eid][0] - placed[c][0])[[0, 2]]))
                    h = self.size[eid][1] + placed[eid][0][1]
                    pts += [placed[c][0] + [sx * r, y, sz * r] for sx, sz in ((1, 0), (-1, 0), (0, 1), (0, -1))
                            for y in (0.0, h)]
        road = self.road
        for a in self.spec.actions:  # a crossing starts and ends on the pavements: keep both in view
            if a.verb == "cross" and road is not None:
                for eid in self.members(a.actor):
                    for side in (-1, 1):
                        q = placed[eid][0].copy()
                        q[road.across] = road.center + side * (ROAD_HALF_WIDTH + PAVEMENT)
                        pts += [q, q + [0.0, self.size[eid][1], 0.0]]
        center = self.stage.center
        if not objs:  # a setting alone: a wide view across it from eye height, the horizon just above the middle
            self._vista(center)
            return
        pts = np.array(pts) if pts else np.array([center, center + [0.0, 1.0, 0.0]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        top = float(hi[1])
        target = np.array([(lo[0] + hi[0]) / 2, 0.45 * top, (lo[2] + hi[2]) / 2])

        human_scale = (self.size[main][1] if main is not None else top) <= 4.0  # seen from eye height
        view = self.spec.camera[0] if self.spec.camera else None  # 'from above', 'close-up', 'a wide shot' ...
        main_fill = 0.5 if view is not None and view.framing == "close" else MAIN_FILL
        if main_fill > MAIN_FILL and main is not None:
            in_view = 8  # a close-up keeps its subject whole, not everything else

        def place_camera(elevation: float, free: bool) -> tuple[np.ndarray, float]:
            for _ in range(3):  # distance from the framing, then height from the distance
                back = np.array([0.0, math.sin(elevation), math.cos(elevation)])
                dist = frame_points(pts, target, back, fill=0.75)
                if main is not None:  # close enough for the main subject to be a good part of the picture ...
                    reach = self.size[main][1] / (2 * math.tan(YFOV / 2) * main_fill)
                    dist = min(dist, reach + float((placed[main][0] - target) @ back))
                if in_view:  # ... but never so close that a subject in view at t = 0 is cut
                    dist = max(dist, frame_points(pts[:in_view], target, back, fill=0.95))
                dist = max(dist, 0.5)
                if free:
                    break
                eye_h = (min(max(1.6 + 0.06 * dist, target[1] + 0.3), 3.0) if human_scale
                         else target[1] + dist * math.sin(_ELEVATION))
                elevation = min(max(math.asin(max(min((eye_h - target[1]) / dist, 1.0), -1.0)), math.radians(3)),
                                math.radians(35))
            return back, dist

        if view is not None and view.elevation is not None:  # the vantage the prompt asks for
            back, dist = place_camera(math.radians(max(view.elevation, 0.0)), True)
            dist *= 1.8 if view.framing == "wide" else 1.0
            eye = target + back * dist
            if view.elevation < 0:  # from below: closer, low down, looking up at it
                eye = target + back * (0.6 * dist)
                dist *= 0.6
                eye[1] = 0.25
                target = target + [0.0, min(dist * math.tan(math.radians(-view.elevation)), 0.9 * top), 0.0]
            self._aim(eye, target)
            return
        back, dist = place_camera(_ELEVATION, False)
        if view is not None and view.framing == "wide":
            dist *= 1.8
        if main is not None:  # look over whatever stands between the camera and the main subject
            for degrees in (25.0, 40.0, 55.0, 70.0):
                if not self._hidden(main, target + back * dist, {k: v for k, v in placed.items() if k not in entering or k == main}):
                    break
                back, dist = place_camera(math.radians(degrees), True)
        self._aim(target + back * dist, target, -back)

    def reframe_moved(self, far: float = 0.5) -> bool:
        """Frame camera_1 again where the setting moved something more than ``far`` metres after it was framed
        (a car parked at the kerb, a thing cleared off a path): from where everything stands at t = 0.  True if
        it did."""
        framed = self.__dict__.get("_framed")
        if framed is None:
            return False
        objs, placed = framed
        now = {}
        moved = False
        for e, (p, yaw) in placed.items():
            a = self.actors.get(e)
            p0 = np.asarray(p, float)
            if a is not None and len(a.keys) < 2 and a.dynamics is None:  # a mover starts where its motion does
                p0 = np.asarray(a.keys[0][1] if a.keys else a.position, float)
                moved = moved or (e in objs and float(np.linalg.norm(p0 - np.asarray(p, float))) > far)
            now[e] = (p0, yaw)
        if not moved:
            return False
        self.frame_camera(objs, now)
        return True

    def _vista(self, center: np.ndarray, distance: float = 8.0, height: float = 1.2) -> None:
        target = center + [0.0, height, 0.0]
        back = np.array([0.0, math.sin(math.radians(3.0)), math.cos(math.radians(3.0))])
        self._aim(target + back * distance, target)

    def _aim(self, eye: np.ndarray, target: np.ndarray, fwd: np.ndarray | None = None) -> None:
        """camera_1 at t = 0: at ``eye`` looking at ``target`` (along the unit ``fwd``, if given): the stage's view
        for left/right and off-screen."""
        self.stage.eye = eye
        self.camera_eye, self.camera_target = eye, target
        world = np.eye(4)
        if fwd is None:
            fwd = (target - eye) / np.linalg.norm(target - eye)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        world[:3, 0], world[:3, 1], world[:3, 2], world[:3, 3] = right, np.cross(right, fwd), -fwd, eye
        self.stage.world = world
        self.stage.tan_v = math.tan(YFOV / 2)
        self.stage.tan_h = self.stage.tan_v * ASPECT

    def cover(self, spans: dict) -> None:
        """After motion and the clip's length are known: when the establishing camera cannot film the plan
        (the main subject too small, an actor out of the picture while it acts), follow cameras and cuts
        take over (:mod:`scenegraph.world.coverage`).  A prompt that says how the camera moves is obeyed."""
        from scenegraph.world.coverage import plan_coverage
        from scenegraph.world.shots import look_rotation

        view = self.spec.camera[0] if self.spec.camera else None
        if "camera_1" not in self.scene or any(not _only_view(s) for s in self.spec.camera) or \
                (view is not None and view.framing == "wide"):  # a move the prompt asks for, or a wide shot
            return
        objs = [e.id for e in self.scene.entities("object") if e.id in self.size]
        main = objs[0] if objs else None
        actors = {e: a for e, a in self.actors.items() if e in self.size}
        shots = plan_coverage(self.spec, self.members, actors, self.size, spans, self.camera_eye, self.camera_target,
                              float(self.scene.duration), float(self.scene.fps), YFOV, ASPECT, main, objs,
                              look_rotation(np.asarray(self.camera_target) - self.camera_eye), kit_boxes(self.scene),
                              elevation=view.elevation if view is not None else None,
                              fill=0.5 if view is not None and view.framing == "close" else None)
        if shots:
            write_shots(self.scene, shots)

    def _hidden(self, eid: str, eye: np.ndarray, placed: dict[str, tuple[np.ndarray, float]]) -> bool:
        """True when the sight line from ``eye`` to the middle of ``eid`` passes through another object's box."""
        p = placed[eid][0] + [0.0, 0.5 * self.size[eid][1], 0.0]
        d = p - eye
        for other, (q, _) in placed.items():
            if other == eid:
                continue
            w, h, dp = self.size[other]
            r = 0.5 * max(w, dp)
            lo, hi = q + [-r, 0.0, -r], q + [r, h, r]
            with np.errstate(divide="ignore", invalid="ignore"):
                t1, t2 = (lo - eye) / d, (hi - eye) / d
            t_near = np.nanmax(np.minimum(t1, t2))
            t_far = np.nanmin(np.maximum(t1, t2))
            if t_near <= t_far and 0.0 < t_far and t_near < 0.98:
                return True
        return False


def write_shots(scene, shots: list) -> None:
    """Put coverage shots (:class:`scenegraph.world.coverage.Shot`) into ``scene``: the first on ``camera_1``,
    each further one on a camera of its own (``camera_2`` ...), and with more than one shot the cut list in
    ``scene.metadata["shots"]`` plus each camera's ``attributes["shot"]`` (its live time range)."""
    from scenegraph.model import Entity, Trajectory, Transform

    first = scene.entity("camera_1")
    cut = len(shots) > 1
    listing = []
    for k, shot in enumerate(shots):
        cid = "camera_1" if k == 0 else f"camera_{k + 1}"
        span = {"start": round(float(shot.start), 4), "end": round(float(shot.end), 4)}
        attrs = {**first.attributes, "shot": span} if cut else dict(first.attributes)
        if k == 0:
            scene.update(cid, transform=Transform(shot.positions[0], shot.rotations[0]), attributes=attrs)
        else:
            scene.add_entity(Entity(cid, name=f"camera {k + 1}", kind="camera", cls="camera", camera=first.camera,
                                    transform=Transform(shot.positions[0], shot.rotations[0]), attributes=attrs))
        if len(shot.times) > 1:
            tid = f"traj_{cid}"
            traj = Trajectory(tid, shot.times, shot.positions, rotations=shot.rotations, interpolation="linear",
                              heading="keyframes")
            if tid in scene:
                scene.update(tid, times=traj.times, positions=traj.positions, rotations=traj.rotations)
            else:
                scene.add_trajectory(traj)
                scene.set_trajectory(cid, tid)
        listing.append({"camera": cid, **span, "subjects": list(shot.subjects)})
    if cut:
        scene.metadata["shots"] = listing


def kit_boxes(scene) -> list[np.ndarray]:
    """World boxes (2, 3) (lo, hi) of the setting's standing pieces that can keep a camera out (buildings, walls,
    trees of a kit, a tree as its trunk and its crown; not the ground, road, pavements, sky or anything smaller
    than :func:`scenegraph.world.camera_clear.blocking` asks)."""
    from scenegraph.model.catalog import lookup
    from scenegraph.model.rotations import quat_rotate
    from scenegraph.world.camera_clear import blocking, occluder_boxes

    out = []
    for e in scene.entities("object"):
        if not e.attributes.get("kit") or e.attributes.get("surface") or e.cls in ("ground", "road", "sky", "sun"):
            continue
        lo, hi = np.asarray(e.bounds, dtype=np.float64)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        t = e.transform
        world = quat_rotate(np.asarray(t.rotation, dtype=np.float64), corners * np.asarray(t.scale)) + t.translation
        box = np.stack([world.min(axis=0), world.max(axis=0)])
        if blocking(box):
            info = lookup(e.cls)
            out += occluder_boxes(box, info.archetype if info is not None else None)
    return out


def _only_view(shot) -> bool:
    """A still shot that only says how the camera looks ('from above', 'close-up'), not that it holds still."""
    return (shot.type == "static" and shot.duration is None and shot.start is None and shot.after is None
            and shot.target is None and (shot.elevation is not None or shot.framing is not None))
