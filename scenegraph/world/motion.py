"""Semantic motion: SceneSpec actions -> keyframed paths and dynamics.

Conventions (camera-relative; the default camera stands at +Z looking down -Z,
so the words of the prompt are the directions of the image):

- ``left`` / ``right`` = -X / +X; ``towards the camera`` = +Z, ``away`` = -Z.
  The places ``left`` / ``right`` are the sides of the picture at the actor's
  depth (as the t = 0 camera sees it), no farther than its reach from the
  middle, so "from left to right" crosses the frame.
- A road is 7 m wide (kerbs 3.5 m either side of its centre line) with 1.5 m
  pavements.  It runs along X (cars drive left/right across the image) unless
  someone crosses it from left to right or right to left; then it runs along
  Z (into the depth) and the crossing goes kerb to kerb along X.  Traffic
  keeps right.
- ``near_kerb`` is the kerb on the actor's side of the road, ``far_kerb`` the
  other one.
- Pauses and waits are two keys at the same position (zero velocity for the
  stated time); turns are arcs of a class-dependent radius; ``into_scene``
  starts outside the camera's frustum, ``out_of_scene`` ends outside it.
- Members of a group (``count`` > 1) move side by side.  ``throw`` gives the
  thrown thing :class:`~scenegraph.model.Dynamics` (45 degrees, landing at the
  target), ``drop`` zero-velocity Dynamics (sliding off its support first);
  ``follow`` keys trail the leader's path a body length behind; an ``orbit``
  that is the actor's only action loops for ever.

Times: each action starts at ``start``, after / while another action, after
the previous action (``then``), or when the actor's previous action ends.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from scenegraph.errors import SpecError
from scenegraph.model import Dynamics
from scenegraph.model.spec import PLACES, ActionSpec
from scenegraph.world import feasible, formation, relative, vertical
from scenegraph.world.profiles import archetype_of, curve_speed, pace_factor, setting_speed
from scenegraph.world.stage import (PAVEMENT, ROAD_HALF_WIDTH, Actor, Road, Stage, forward_of, orbit_start,  # noqa: F401
                              right_of, yaw_of)

__all__ = ["ROAD_HALF_WIDTH", "PAVEMENT", "Road", "Stage", "Actor", "plan_motion", "yaw_of", "GRAVITY"]

GRAVITY = 9.81

# ---------------------------------------------------------------------------
# the planner
# ---------------------------------------------------------------------------


def _speed(a: ActionSpec, actor: Actor, verb: str | None = None, setting: str | None = None) -> float:
    """Cruise speed (m/s) of ``actor`` doing ``a``: the class's speed for the verb, the setting's traffic
    speed for road vehicles, scaled by the pace, never over the archetype's cap."""
    if a.speed is not None:
        return float(a.speed)
    info = actor.info
    verb = verb or a.verb
    arch = archetype_of(info)
    if info is None:
        base = 1.4
    elif verb == "run":
        base = info.run or info.cruise_speed * 1.5
    elif verb == "walk":
        base = info.walk or info.cruise_speed
    elif verb == "drive":
        base = info.drive or info.cruise_speed
    elif verb == "roll":
        base = 2.0
    else:
        base = info.cruise_speed
    if info is not None and info.drive and verb not in ("walk",):
        base = setting_speed(arch, setting, base)
    return min(base * pace_factor(a.pace, arch), 0.8 * actor.limits.speed_cap)


def _is_vehicle(actor: Actor) -> bool:
    return actor.info is not None and actor.info.kind == "vehicle"


#: verbs that leave the actor where it is ('comes back' returns to where the last motion began)
_IN_PLACE = ("return", "pause", "wait", "look_at", "wave", "sit", "stand", "lie", "turn", "throw", "drop")
_OTHERS = ("jump", "climb", "descend", "fly", "fall", "land", "take_off", "sit", "stand", "lie", "swim", "ride", "push",
           "carry", "meet", "approach", "lead", "pass", "return", "weave", "circle", "wave")
_STILL = ("pause", "wait", "look_at", "throw", "drop")
#: verbs whose actor may touch the things the action names
#: classes a swimmer moves on (the obstacle map leaves them out for 'swim')
_WATER = ("swimming pool", "water", "lake", "river", "sea", "pond")
CONTACT_VERBS = ("sit", "stand", "lie", "ride", "push", "carry", "land", "climb", "descend", "jump", "throw", "drop",
                 "fall", "take_off")
_LATERAL = {"left_to_right": ("left", "right"), "right_to_left": ("right", "left")}


class _Planner:
    """Turns the actions of a spec into actor keys; one instance per build."""

    def __init__(self, actions: list[ActionSpec], members: Callable[[str], list[str]], actors: dict[str, Actor],
                 stage: Stage, locate: Callable[[str, Actor], np.ndarray]):
        self.actions = actions
        self.members = members
        self.actors = actors
        self.stage = stage
        self.locate = locate  # entity reference or place -> a point on the ground near it, for an actor
        self.span: dict[int, tuple[float, float]] = {}
        self.by_id = {a.id: k for k, a in enumerate(actions) if a.id}
        self.warnings: list[str] = []

    def start_time(self, k: int, a: ActionSpec, actor: Actor) -> float:
        def ref(name: str) -> tuple[float, float]:
            j = self.by_id[name]
            if j not in self.span:
                raise SpecError(f"actions[{k}] ({a.verb}) refers to action {name!r}, which comes later; list it first")
            return self.span[j]

        if a.start is not None:
            t = a.start
        elif a.after is not None:
            t = ref(a.after)[1]
        elif a.while_ is not None:
            t = ref(a.while_)[0]
        elif a.then and k > 0:
            t = max(e for _, e in self.span.values()) if self.span else 0.0
        else:
            t = actor.t
        return t + a.delay

    def run(self) -> dict[int, tuple[float, float]]:
        deferred = []
        self.attached: list[tuple[str, str, str, float, int]] = []  # (child, parent, ride/push/carry, t0, action)
        for k, a in enumerate(self.actions):
            ids = self.members(a.actor)
            if a.verb in relative.DEFERRED and not (a.target and self.members(a.target)):
                self.warnings.append(f"actions[{k}] ({a.actor} {a.verb}): {a.target!r} is not an entity to {a.verb}; "
                                     + ("it goes there instead" if a.target else "it moves ahead instead"))
                a = a.model_copy(update={"verb": "move", "to": a.target, "target": None})
            if a.verb in relative.DEFERRED:
                deferred.append((k, a, ids))
                t0 = self.start_time(k, a, self.actors[ids[0]])
                self.span[k] = (t0, t0 + (a.duration or 0.0))
                continue
            if a.until is not None:
                a = self.until(k, a, self.actors[ids[0]])
            subs = relative.expand(a)
            t0s, t1s = [], []
            for m, eid in enumerate(ids):
                actor = self.actors[eid]
                t0 = self.start_time(k, a, actor)
                if t0 + 1e-6 < actor.t and a.verb != "look_at":
                    t0 = actor.t  # an actor does one thing at a time
                actor.wait_until(t0)
                self.lead = self.actors[ids[0]]
                actor.open_end = False
                actor.ignore = self._contacts(a)
                for sub in subs:
                    picks_up = sub.verb == "carry" and not (sub.to or sub.via) and (sub.distance or 1.0) <= 0.5
                    if sub.verb not in _IN_PLACE and not picks_up:  # ('picks it up' is done in place)
                        actor.origin = actor.position.copy()  # where 'comes back' goes
                    self.do(k, sub, actor, m, len(ids))
                if not actor.open_end and not self._continues(k, eid):
                    actor.stop()  # it brakes to a stop within the action
                if a.verb == "ride" and self._dismount(k, "ride", eid, planned=True) < math.inf:
                    actor.stop()
                    actor.wait_until(actor.t + 1.0)  # it stops and gets off before it goes on foot
                t0s.append(t0)
                t1s.append(max(actor.t, t0))
            self.span[k] = (min(t0s), max(t1s))
            if a.verb == "lead" and a.target and self.members(a.target):
                deferred.append((k, a.model_copy(update={"verb": "follow", "actor": a.target, "target": a.actor}),
                                 self.members(a.target)))
        for k, a, ids in deferred:
            t0 = self.span[k][0]
            ends = []
            for m, eid in enumerate(ids):
                actor, leader = self.actors[eid], self.actors[self.members(a.target)[0]]
                actor.synced = leader.moved  # its keys keep time with a moving leader's
                actor.leader = leader.id if leader.moved and a.verb == "follow" else None
                if a.verb == "overtake":
                    ends.append(relative.overtake(actor, leader, t0, m))
                elif leader.thrown_to is not None and not leader.moved:  # a thrown thing: run to where it lands
                    actor.wait_until(max(t0, actor.t))
                    actor.go(np.asarray(leader.thrown_to, dtype=np.float64) * [1, 0, 1] + [0.0, actor.position[1], 0.0],
                             _speed(a, actor, "run", self.stage.setting))
                    actor.stop()
                    ends.append(actor.t)
                elif not leader.moved:  # chasing or following something that stays put: go to it
                    actor.wait_until(max(t0, actor.t))
                    to = a.model_copy(update={"verb": "run" if a.verb == "chase" else "walk", "to": a.target,
                                              "target": None})
                    self.do(k, to, actor, m, len(ids))
                    ends.append(actor.t)
                else:
                    ends.append(self.follow(a, actor, t0, m))
            self.span[k] = (t0, max(self.span[k][1], *ends))
        for child, parent, kind, t0, k in self.attached:
            t1 = self._dismount(k, kind, parent)
            if kind == "ride":
                t0 = relative.mount_time(self.actors[parent], t0)
            relative.attach(self.actors[child], self.actors[parent], kind, t0, t1)
            self.actors[child].carrier = (parent, t0, t1)  # smoothed with its carrier, rigidly
            self.actors[parent].phases.append((kind, t0, t1, {"on": child}))
            self.actors[child].phases.append(({"carry": "carried", "push": "pushed", "ride": "ridden"}[kind], t0,
                                              t1, {"on": parent}))
        return self.span

    def _dismount(self, k: int, kind: str, rider: str, planned: bool = False) -> float:
        """When a rider gets off what it rode ('drives to the beach, then walks to the water'): the end of the
        ride (action ``k``) when a later action of the rider goes on foot; else never (inf).  ``planned``: while
        the ride is being planned (0.0 for 'it will')."""
        if kind != "ride" or not planned and k not in self.span:
            return math.inf
        ref = self.actions[k].actor
        later = [a for j, a in enumerate(self.actions) if j > k and a.actor == ref]
        if later and later[0].verb in _ON_FOOT:
            return 0.0 if planned else float(self.span[k][1])
        return math.inf

    def until(self, k: int, a: ActionSpec, actor: Actor) -> ActionSpec:
        """'walks until the car stops': the action lasts until the named action ends (a stop: starts)."""
        j = self.by_id.get(a.until)
        if j is None or j not in self.span:
            self.warnings.append(f"actions[{k}] ({a.actor} {a.verb}): 'until' {a.until!r} is not an earlier action; ignored")
            return a
        b = self.actions[j]
        t1 = self.span[j][1] - (b.duration or 2.0) if b.verb in ("pause", "wait") else self.span[j][1]  # a stop: braked
        left = max(t1 - max(self.start_time(k, a, actor), actor.t), 0.5)
        if a.verb in ("pause", "wait", "sit", "stand", "lie", "wave", "look_at", "turn"):
            return a.model_copy(update={"duration": left})
        if a.to or a.via or a.target or a.duration or a.distance:
            return a
        return a.model_copy(update={"distance": max(0.5, left * _speed(a, actor, setting=self.stage.setting))})

    def _contacts(self, a: ActionSpec) -> set[str]:
        """The things an action lets its actor touch (what it sits on, lands on, climbs, carries ...)."""
        if a.verb == "swim":  # a swimmer goes on the water, not round it
            return {e for e, o in self.actors.items() if o.info is not None and o.info.name in _WATER}
        if a.verb not in CONTACT_VERBS and a.direction != "up":
            return set()
        return {e for r in (a.target, a.to, a.via, a.from_) if r for e in self.members(r)}

    def _continues(self, k: int, eid: str) -> bool:
        """Whether ``eid``'s next action carries its motion straight on (no stop between the two)."""
        for b in self.actions[k + 1:]:
            if eid in self.members(b.actor):
                return (b.verb not in _STILL and b.start is None and b.after is None and not b.delay)
        return False

    # -- verbs -------------------------------------------------------------
    def do(self, k: int, a: ActionSpec, actor: Actor, member: int, n: int) -> None:
        self._k = k
        if a.verb in ("ride", "push", "carry"):
            a = self.take_along(a, actor)
        verb = a.verb
        where = f"actions[{k}] ({a.actor} {verb})"
        if verb in ("pause", "wait"):
            if (a.to or a.via) and not actor.moved:  # 'waits at the kerb': it is already there
                actor.teleport(self.locate(a.to or a.via, actor))
            elif a.to or a.via:
                self.go_place(a, actor, a.to or a.via, _speed(a, actor, "walk", self.stage.setting))
            actor.stop()
            actor.wait_until(actor.t + (a.duration or 2.0))
        elif verb == "cross":
            self.cross(a, actor, where)
        elif verb == "turn":
            self.turn(a, actor)
        elif verb in ("throw", "drop"):
            self.release(a, actor, where)
        elif verb == "orbit" or (a.direction == "around" and verb != "turn"):
            self.orbit(a, actor, member, n)
        elif verb == "look_at":
            self.look_at(a, actor, where)
        elif verb in _OTHERS:
            self.other(a, actor, member, n, where)
        else:  # move, walk, drive, run, roll
            self.move(a, actor, member, n, where)

    def take_along(self, a: ActionSpec, actor: Actor) -> ActionSpec:
        """ride / push / carry: the target goes with the actor from now on; the actor moves (forward unless told)."""
        target = self.members(a.target) if a.target else []
        update: dict = {"verb": "walk", "target": None}
        if target and target[0] != actor.id:
            thing = self.actors[target[0]]
            if a.verb == "ride" and relative.board(actor, thing) and a.direction != "into_scene":
                update["direction"] = "forward"  # into the driver's seat first (arriving: in it already)
            self.attached.append((thing.id, actor.id, a.verb, actor.t, self._k))
            actor.holding.append(thing)
            if a.verb == "ride" and a.speed is None and thing.info is not None:
                update["speed"] = (thing.info.drive or thing.info.run or thing.info.cruise_speed) * pace_factor(a.pace, archetype_of(thing.info))
        if not (a.to or a.via or a.from_ or a.relation) and (not a.direction or update.get("direction")):
            update["direction"] = "forward"
            if a.verb == "ride" and a.distance is None:  # a ride goes some way, not a step
                update["distance"] = max(8.0, 3.0 * float(update.get("speed") or 1.0))
        return a.model_copy(update=update)

    def other(self, a: ActionSpec, actor: Actor, member: int, n: int, where: str) -> None:
        """The verbs added for open English, each as the nearest of the planner's behaviours."""
        verb = a.verb
        target = self.members(a.target) if a.target else []
        speed = _speed(a, actor, "walk" if actor.info is None or not actor.info.drive else "drive")
        if verb in vertical.VERBS and self.vertical(a, actor, where):
            return
        if verb in ("sit", "stand", "lie", "wave"):
            if a.to or a.via:
                self.move(a.model_copy(update={"verb": "walk"}), actor, member, n, where)
            t0 = actor.t
            actor.wait_until(actor.t + (a.duration or 2.0))
            actor.phases.append((verb, t0, actor.t, {}))
        elif verb == "return":
            back = getattr(actor, "origin", None)
            if back is None:
                back = actor.home
            p = back.copy()
            actor.go(p, _speed(a, actor, "walk") if not _is_vehicle(actor) else _speed(a, actor, "drive"))
        elif verb == "jump" and not (a.to or a.via or a.direction or a.relation):
            relative.hop(actor)
        elif verb in ("fall",):
            self.release(a.model_copy(update={"verb": "drop", "target": None}), actor, where)
        elif verb in ("meet", "approach") and target:
            other = self.actors[target[0]]
            mutual = verb == "meet" and any(b.verb == "meet" and actor.id in self.members(b.target or "")
                                            and other.id in self.members(b.actor) for b in self.actions)
            relative.meet(actor, other, mutual, speed)
        elif verb == "weave" and target:
            relative.weave(actor, [self.actors[t] for t in target], a.direction, speed)
        elif verb == "circle":
            self.orbit(a.model_copy(update={"verb": "orbit"}), actor, member, n)
        else:  # jump / climb / descend / fly / land / take_off / swim / pass / lead / approach ... as a move
            d = {"climb": "up", "take_off": "up", "descend": "down", "land": "down"}.get(verb)
            update: dict = {"verb": "move"}
            if d and a.direction is None and not a.to:
                update["direction"] = d
                if d == "up":
                    update["distance"] = a.distance or max(3.0, 2.0 * actor.size[1])
                elif verb == "land":
                    update["distance"] = a.distance or max(actor.position[1] - actor.support_top, 1e-3)
            elif d == "up" and a.to and a.direction is None:
                update["direction"] = "up"
            if verb == "pass" and target and not a.via:
                update.update(via=a.target, to=a.to)
            if verb == "approach" and not a.to:
                update["to"] = a.target
            self.move(a.model_copy(update=update), actor, member, n, where)

    def vertical(self, a: ActionSpec, actor: Actor, where: str) -> bool:
        """Jumps, climbs and resting on things that the action names (:mod:`scenegraph.world.vertical`);
        False when it names none (the caller plans the verb as a plain move)."""
        roles = {"to": a.to, "from": a.from_, "via": a.via, "target": a.target}
        things = {k: self.actors[self.members(r)[0]] for k, r in roles.items()
                  if r and self.members(r) and self.members(r)[0] != actor.id}
        if not things and not (a.verb == "jump" and a.direction == "down" and actor.support is not None):
            return False
        speed = _speed(a, actor, "run" if a.verb == "jump" else "walk")
        try:
            note = vertical.plan_vertical(a, actor, things, speed, 24.0)
        except ValueError:
            return False
        if note:
            self.warnings.append(f"{where}: {note}")
        if a.verb in ("sit", "stand", "lie"):  # then rests there
            t0 = actor.t
            actor.wait_until(t0 + (a.duration or 2.0))
            seat = actor.support.id if actor.support is not None else None
            actor.phases.append((a.verb, t0, actor.t, {"on": seat} if seat else {}))
        actor.moved = True
        return True

    def go_place(self, a: ActionSpec, actor: Actor, ref: str, speed: float) -> None:
        actor.go(self.locate(ref, actor), speed)

    def _timed(self, a: ActionSpec, actor: Actor, path: list[np.ndarray], speed: float) -> None:
        """Follow ``path`` from the current position; ``duration`` (if given) sets the speed."""
        if a.duration:
            pts = [actor.position] + path
            length = sum(float(np.linalg.norm(q - p)) for p, q in zip(pts, pts[1:]))
            speed = max(length / a.duration, 1e-3)
        for p in path:
            actor.go(p, speed)

    def move(self, a: ActionSpec, actor: Actor, member: int, n: int, where: str) -> None:
        st = self.stage
        speed = _speed(a, actor, setting=self.stage.setting)
        if a.relation and a.relative_to and self.members(a.relative_to) and not a.to:
            thing = self.actors[self.members(a.relative_to)[0]]
            relative.place_during(actor, thing, a.relation, a.direction, speed, a.distance)
            return
        lateral = (member - (n - 1) / 2.0) * (max(actor.size[0], actor.size[2]) + 0.8)
        if member == 0:
            self.group_from = actor.position.copy()
        start: np.ndarray | None = None
        end: np.ndarray | None = None
        d = "left_to_right" if a.direction == "across" else a.direction
        at = self.lead.home if member and not actor.moved else None  # a group moves from its first member's place
        if a.from_:
            start = self.locate(a.from_, actor) if a.from_ not in PLACES else st.place(a.from_, actor, at)
        if a.from_ and not (a.to or a.via or d) and self.members(a.from_) and self.members(a.from_)[0] != actor.id:
            start, end = self.away_from(a, actor, start)  # 'runs away from the hunter': from beside it, on away
        through = _is_vehicle(actor) and not a.duration and not a.distance  # crosses the whole view
        if d in _LATERAL:
            fr, to = _LATERAL[d]
            if start is None and not actor.moved:
                start = st.place(("offscreen_" if through else "") + fr, actor, at)
            end = st.place(("offscreen_" if through else "") + to, actor, at) if not a.to else None
            if a.distance and not a.to:  # 'walks 5 metres to the right', 'walks until ...': that far
                here0 = start if start is not None else actor.position
                end = here0 + np.array([1.0 if to == "right" else -1.0, 0.0, 0.0]) * a.distance
        if d == "into_scene":
            side = "left" if (a.from_ or "").endswith("left") or (a.to == "left") else "right"
            if start is None or not (a.from_ or "").startswith("offscreen"):
                start = st.place("offscreen_" + side, actor, at)
            if not a.to:
                end = np.array([st.center[0] + (-1 if side == "left" else 1) * st.half[0] * 0.3, 0.0, start[2]])
        if d == "out_of_scene" and not a.to:
            side = "left" if actor.position[0] < st.center[0] else "right"
            sx = -1.0 if side == "left" else 1.0
            if actor.info is not None and actor.info.kind == "flyer" and actor.position[1] > 0.05:  # up and away
                end = st.offscreen(actor.position.copy(), np.array([sx, 0.6, -0.5]), actor.size)
            else:
                end = st.offscreen(actor.position * [1, 0, 1], np.array([sx, 0, 0]), actor.size)
        if a.to and member and self.members(a.to) and getattr(self, "group_end", None) is not None:
            end = self.group_end.copy()  # a group goes to one place: its members keep their offsets there
        elif a.to:
            end = self.locate(a.to, actor)
            if d == "up" and self.members(a.to):  # onto it: the middle of its top
                thing = self.actors[self.members(a.to)[0]]
                end = thing.position + [0.0, thing.size[1], 0.0]
        if member == 0:
            self.group_end = end.copy() if end is not None else None
        here = start if start is not None else actor.position
        via = self.locate(a.via, actor) if a.via else None
        if end is None and via is not None and d is None:  # 'walks past the statue': on beyond it, same way
            v = (via - here) * [1, 0, 1]
            n = float(np.linalg.norm(v))
            end = via + (v / n if n > 1e-6 else forward_of(actor.yaw)) * max(3.0, 0.5 * n, 2 * actor.size[2])
        if end is None:
            end = self.relative_end(a, actor) if start is None else start + (self.relative_end(a, actor) - actor.position)
        if _is_vehicle(actor) and st.road is not None:
            if start is not None:
                start = self._on_lane(start, end - start)
            end = self._on_lane(end, end - here)
            road, heading = st.road, end - here
            if n > 1 and abs(heading[road.axis]) >= abs(heading[road.across]):  # a group of vehicles on a road
                lane_w = 2 * road.half_width / n
                if lane_w >= actor.size[0] + 0.4:  # abreast, one lane each, all on the road
                    lateral = (member - (n - 1) / 2.0) * lane_w
                    for q in (start, end):
                        if q is not None:
                            q[road.across] = road.center
                else:  # one behind the other in its lane
                    lateral = 0.0
                    actor.formation = "column"
        # nothing said it stops: it goes on past the end of the plan (not towards the camera, not into a place)
        actor.open_end = (not a.to and not a.duration and not a.distance
                          and d not in ("towards_camera", "into_scene", "up", "down"))
        offset = self._offset(here, end, lateral)  # members of a group keep side by side
        if getattr(actor, "formation", None) in ("line", "column") and len(self.members(a.actor)) > 1:  # ... or one behind the other
            v = (end - here) * [1, 0, 1]
            offset = -v / max(float(np.linalg.norm(v)), 1e-9) * member * (actor.size[2] + 0.8)
        if not actor.moved and self.start_time(self._k, a, actor) <= 1e-6 and actor.support is None and (
                through or not a.from_ or a.from_.startswith("offscreen")):
            actor.flying_start = actor.moving = True  # caught under way, as a shot starts mid-action
            actor.speed = speed
        kept = formation.kept_path(self, a, actor, member, start, via, end)  # a group keeps the formation it stands in
        if kept is not None:
            self._timed(a, actor, kept, speed)
            return
        if start is not None and not actor.moved:
            actor.teleport(start + offset)
            actor.origin = actor.position.copy()  # 'and back' comes back here, where it was first seen
        elif start is not None:
            actor.go(start + offset, speed)
        if member == 0:
            self.group_path = [here.copy()] + ([via] if via is not None else []) + [end + offset]
        self._timed(a, actor, ([via] if via is not None else []) + [end + offset], speed)

    def away_from(self, a: ActionSpec, actor: Actor, start: np.ndarray | None) -> tuple:
        """(start, end) of a move away from ``a.from_`` (a thing): an actor seen first there starts beside it; one
        already under way goes on from where it is; either heads straight away from the thing's centre."""
        thing = self.actors[self.members(a.from_)[0]]
        if actor.moved or actor.t > 1e-6:
            start = None
        here = start if start is not None else actor.position
        v = (here - thing.position) * [1, 0, 1]
        n = float(np.linalg.norm(v))
        u = v / n if n > 1e-6 else forward_of(actor.yaw)
        step = float(np.linalg.norm((self.relative_end(a, actor) - actor.position) * [1, 0, 1]))
        end = here + u * step
        if actor.info is not None and actor.info.kind == "flyer" and actor.position[1] > 0.05:  # up and away
            end[1] = here[1] + 0.5 * step
        return start, end

    def _offset(self, p: np.ndarray, q: np.ndarray | None, lateral: float) -> np.ndarray:
        """Side-by-side offset for members of a group moving from ``p`` to ``q``."""
        if not lateral or q is None or np.linalg.norm(q - p) < 1e-6:
            return np.zeros(3)
        return right_of(yaw_of(q - p)) * lateral

    def _on_lane(self, p: np.ndarray, heading: np.ndarray) -> np.ndarray:
        road = self.stage.road
        p = np.array(p, dtype=np.float64)
        if abs(heading[road.axis]) >= abs(heading[road.across]) and np.linalg.norm(heading) > 1e-6:
            p[road.across] = road.lane(heading / np.linalg.norm(heading))
        return p

    def relative_end(self, a: ActionSpec, actor: Actor) -> np.ndarray:
        """End point of a move given by a direction word (or none: forward)."""
        st = self.stage
        dist = a.distance
        p = actor.position.copy()
        d = a.direction
        vec = {"left": (-1, 0, 0), "right": (1, 0, 0), "towards_camera": (0, 0, 1), "away_from_camera": (0, 0, -1),
               "up": (0, 1, 0), "down": (0, -1, 0)}.get(d or "")
        if d == "towards_camera":
            cam = np.array([st.eye[0], 0.0, st.eye[2]])
            v = cam - p * [1, 0, 1]
            room = float(np.linalg.norm(v)) - 2.0 - actor.size[2]
            return p + v / max(np.linalg.norm(v), 1e-9) * max(min(dist or room, room), 0.5)
        if d == "away_from_camera":
            v = p * [1, 0, 1] - np.array([st.eye[0], 0.0, st.eye[2]])
            return p + v / max(np.linalg.norm(v), 1e-9) * (dist or max(2 * st.half[1], 6.0))
        if d in ("up", "down"):
            h = dist or (3.0 if d == "up" else p[1] - actor.support_top)
            return p + np.array(vec, dtype=float) * h
        if vec is not None:
            return p + np.array(vec, dtype=float) * (dist or max(st.half[0], 3.0))
        yaw = actor.yaw + (math.pi if d == "backward" else 0.0)
        step = dist or max(4.0 * actor.size[2], 3.0 if actor.info is None or actor.info.kind != "vehicle" else 15.0,
                           3.0 * _speed(a, actor, setting=st.setting))  # a few seconds of its motion
        return p + forward_of(yaw) * step

    def cross(self, a: ActionSpec, actor: Actor, where: str) -> None:
        road = self.stage.need_road(where)
        ax = road.across
        speed = _speed(a, actor, "walk", self.stage.setting)
        edge = road.half_width + PAVEMENT * 0.6
        if not actor.moved:
            if a.direction in _LATERAL or a.from_ in ("left", "right"):
                side = -1.0 if (_LATERAL.get(a.direction, (a.from_,))[0] == "left") else 1.0
            elif a.direction == "away_from_camera":
                side = 1.0
            elif a.direction == "towards_camera":
                side = -1.0
            else:
                side = math.copysign(1.0, (actor.position[ax] - road.center) or 1.0)
            p = actor.position.copy()
            p[ax] = road.center + side * edge
            at = next((r for r in (a.via, a.to) if r and self.members(r)), None)
            if at is not None:  # 'crosses in front of the car': just past the thing, along the road
                thing = self.actors[self.members(at)[0]]
                p[road.axis] = thing.position[road.axis] + 0.5 * max(thing.size) + 0.5 * max(actor.size) + 0.8
            if a.from_ and a.from_ not in ("left", "right"):
                p = self.locate(a.from_, actor)
            actor.teleport(p)
        side = math.copysign(1.0, (actor.position[ax] - road.center) or 1.0)
        end = actor.position.copy()
        if a.to == "near_kerb":
            end[ax] = road.center + side * road.half_width
        elif a.to and a.to != "far_kerb" and not self.members(a.to):
            end = self.locate(a.to, actor)
        else:
            on_pavement = abs(actor.position[ax] - road.center) > road.half_width + 1e-3
            end[ax] = road.center - side * (road.half_width if a.to == "far_kerb" else edge)
            if not on_pavement and a.to != "far_kerb":
                end[ax] = road.center - side * edge
        self._timed(a, actor, [end], speed)

    def turn(self, a: ActionSpec, actor: Actor) -> None:
        st = self.stage
        vehicle = _is_vehicle(actor)
        radius = 6.0 if vehicle else 0.8
        speed = _speed(a, actor, setting=self.stage.setting) * (0.6 if vehicle else 1.0)
        angle = math.radians(a.angle if a.angle is not None else (180.0 if a.direction == "around" else 90.0))
        if a.direction == "into_scene":
            angle = math.pi / 2
            side = -1.0 if (a.from_ or "").endswith("left") else 1.0
            road = st.road
            depth = st.center[2] - max(st.half[1], 4.0)
            lane = road.lane(np.array([0.0, 0.0, -1.0])) if road is not None and road.axis == 2 else st.center[0]
            line = lane + side * radius  # the arc ends on ``lane`` heading -Z
            heading = np.array([-side, 0.0, 0.0])
            start = st.offscreen(np.array([line, 0.0, depth]), -heading, actor.size)
            if not actor.moved:
                actor.teleport(start)
                actor.yaw = yaw_of(heading)
                actor.keys[0] = (0.0, actor.position.copy(), actor.yaw)
            else:
                actor.go(start, speed)
            actor.go(np.array([line, 0.0, depth]), speed)
            # turn away from the camera (towards -Z): right when heading -X, left when heading +X
            signed = -angle if side > 0 else angle
        else:
            signed = -angle if a.direction == "right" else angle
            at = a.to or a.via
            if at and at not in ("left", "right"):  # 'turns left at the corner': on until level with it
                ahead = float((self.locate(at, actor) - actor.position) @ forward_of(actor.yaw))
                if ahead > 0.5:
                    actor.go(actor.position + forward_of(actor.yaw) * ahead, speed)
        actor.arc(signed, radius, speed)
        actor.go(actor.position + forward_of(actor.yaw) * (a.distance or (2.5 * radius if vehicle else 2.0)), speed)

    def orbit(self, a: ActionSpec, actor: Actor, member: int, n: int) -> None:
        ids = self.members(a.target) if a.target else []
        course = getattr(self.actors[ids[0]], "course", None) if ids else None
        if not ids and not a.target and feasible.is_course_word(self.stage.setting):  # 'race around the track'
            course = (feasible.course_radius(actor.limits, actor.size), max(actor.size[0], 0.5) + 1.0)
        if course is not None:  # round a course, on it: one lane each, abreast at the start line
            c = self.actors[ids[0]].position.copy() if ids else self.stage.center.copy()
            p0 = c + np.array([0.0, 0.0, course[0] + course[1] * member])  # the side towards the camera
            p0[1] = actor.position[1]
            if actor.moved:
                actor.go(p0, _speed(a, actor, setting=self.stage.setting))
            else:
                actor.teleport(p0)
            member, n = 0, 1
        elif ids:
            thing = self.actors[ids[0]]
            c = thing.position.copy()
            p0 = orbit_start(c, thing.size, actor.position, actor.size)  # close around it
            if actor.moved:
                actor.go(p0, _speed(a, actor, setting=self.stage.setting))
            else:
                actor.teleport(p0)
        else:
            c = self.locate(a.target, actor) if a.target else self.stage.center.copy()
        c = np.array([c[0], actor.position[1], c[2]])
        rel = actor.position - c
        radius = float(np.hypot(rel[0], rel[2]))
        if radius < 0.5:
            radius = 2.0 + actor.size[2]
            rel = np.array([0.0, 0.0, radius])
            actor.teleport(c + rel)
        clear = radius if course is not None else _clear_radius(actor, c, radius, set(ids))  # clear of what stands by it
        if clear != radius:
            rel = rel * (clear / max(radius, 1e-9))
            radius = clear
            if actor.moved:
                actor.go(c + rel, _speed(a, actor, setting=self.stage.setting))
            else:
                actor.teleport(c + rel)
        phase0 = math.atan2(rel[0], rel[2]) + 2 * math.pi * member / max(n, 1)
        turns = (a.angle or 360.0) / 360.0
        if not actor.moved:  # it starts facing along the circle
            actor.yaw = yaw_of(np.array([math.cos(phase0), 0.0, -math.sin(phase0)]) * math.copysign(1.0, turns))
            actor.keys[0] = (actor.keys[0][0], actor.keys[0][1], actor.yaw)
        speed = min(_speed(a, actor, setting=self.stage.setting), curve_speed(actor.limits, radius))
        total = a.duration or 2 * math.pi * radius * abs(turns) / speed
        steps = max(8, int(math.ceil(abs(turns) * 36)))
        only = sum(1 for b in self.actions if self.members(b.actor) and actor.id in self.members(b.actor)) == 1
        loop = only and actor.t <= 1e-6 and a.angle is None and a.duration is None and a.verb == "orbit"
        if loop:  # a loop has no start and no stop
            actor.moving = actor.flying_start = True
        for i in range(1, steps + 1):
            ang = phase0 + 2 * math.pi * turns * i / steps
            p = c + radius * np.array([math.sin(ang), 0.0, math.cos(ang)])
            tangent = yaw_of(np.array([math.cos(ang), 0.0, -math.sin(ang)]))
            actor._advance(p, total / steps, tangent, 2 * math.pi * radius * abs(turns) / total)
        actor.loop = loop
        actor.open_end = loop

    def look_at(self, a: ActionSpec, actor: Actor, where: str) -> None:
        if not a.target:
            self.warnings.append(f"{where}: nothing to look at was named; it faces the camera")
        p = self.locate(a.target or "camera", actor)
        actor.looks = True
        yaw = yaw_of(p - actor.position)
        actor._key(actor.t + 0.5, actor.position, yaw)
        actor.stop()
        actor.wait_until(actor.t + (a.duration or 1.0))

    def release(self, a: ActionSpec, actor: Actor, where: str) -> None:
        """Throw or drop: the object (``target``, else the actor) gets Dynamics from now on."""
        obj = actor
        if a.target and a.target not in ("left", "right") and self.members(a.target):
            obj = self.actors[self.members(a.target)[0]]
        t0 = actor.t
        if obj is not actor:
            hand = actor.position + np.array([0.0, 0.75 * actor.size[1], 0.0]) + forward_of(actor.yaw) * (0.5 * actor.size[2] + 0.15)
            if not obj.moved:
                obj.teleport(hand)
            else:
                obj.wait_until(t0)
                obj._key(t0 + 1e-3, hand, obj.yaw)
        elif a.verb == "drop" and obj.support is not None:  # slides off the nearest side edge, then falls
            sup = obj.support
            side = math.copysign(1.0, (obj.position[0] - sup.position[0]) or 1.0)
            edge = obj.position.copy()
            edge[0] = sup.position[0] + side * (0.5 * sup.size[0] + 0.5 * obj.size[0] + 0.02)
            obj.wait_until(t0)
            obj.go(edge, 0.4)  # tips over the edge
            obj.dynamics = Dynamics(velocity=(side * 0.4, 0.0, 0.0), start_time=obj.t)
            fall = math.sqrt(2 * max(obj.position[1], 0.01) / GRAVITY)
            settle = vertical.settle_time(obj.position[1], obj.dynamics.restitution)
            obj.phases += [("fall", obj.t, obj.t + fall, {"from": sup.id}), ("bounce", obj.t + fall, obj.t + settle, {})]
            actor.wait_until(obj.t + max(settle, 0.5))  # the clip holds it until it lies still
            return
        if a.verb == "drop":
            obj.dynamics = Dynamics(velocity=(0.0, 0.0, 0.0), start_time=t0)
            fall = math.sqrt(2 * max(obj.position[1], 0.01) / GRAVITY)
            settle = vertical.settle_time(obj.position[1], obj.dynamics.restitution)
            obj.phases += [("fall", t0, t0 + fall, {}), ("bounce", t0 + fall, t0 + settle, {})]
            actor.wait_until(t0 + max(settle, 0.5))
            return
        if a.to and self.members(a.to):  # thrown to someone: it lands at them, not beside them
            dest = self.actors[self.members(a.to)[0]].position * [1, 0, 1]
        elif a.to:
            dest = self.locate(a.to, actor)
        elif a.direction in _LATERAL or a.direction in ("left", "right"):
            sign = 1.0 if a.direction in ("left_to_right", "right") else -1.0
            dest = obj.position * [1, 0, 1] + np.array([sign * (a.distance or 6.0), 0.0, 0.0])
        else:
            dest = obj.position * [1, 0, 1] + forward_of(actor.yaw) * (a.distance or 6.0)
        horiz = dest - obj.position
        horiz[1] = 0.0
        dist = max(float(np.linalg.norm(horiz)), 0.5)
        if a.speed is None:  # 45 degrees from the hand's height h: d = u (u + sqrt(u^2 + 2 g h)) / g
            h = max(float(obj.position[1]), 0.0)
            vh = dist * math.sqrt(GRAVITY / (2.0 * (dist + h)))
        else:
            vh = float(a.speed) / math.sqrt(2)
        vel = horiz / dist * vh
        vel[1] = vh
        obj.dynamics = Dynamics(velocity=tuple(float(x) for x in vel), start_time=t0)
        obj.thrown_to = dest
        actor.wait_until(t0 + max(2 * vh / GRAVITY, 0.5))

    def follow(self, a: ActionSpec, actor: Actor, t0: float, member: int) -> float:
        leader = self.actors[self.members(a.target)[0]]
        gap = 0.5 * (leader.size[2] + actor.size[2]) + 1.0 + member * (actor.size[2] + 0.8)
        lt = np.array([k[0] for k in leader.keys])
        goes_on = leader.open_end and not a.duration and float(lt[-1]) > t0 + 0.5  # the leader never stops
        t_end = t0 + a.duration if a.duration else (float(lt[-1]) if goes_on else max(float(lt[-1]), t0 + 1.0))
        times = np.unique(np.concatenate([[t0, t_end], lt[(lt > t0) & (lt < t_end)], np.arange(t0, t_end, 0.25)]))
        heading = forward_of(leader.keys[0][2])
        # 'walks his dog': a follower kept in front of or beside its leader (the action's relation to it) walks
        # at its side, just ahead of it (as on a lead), the members of a group to either side in turn
        at_side = a.relation in ("in_front_of", "left_of", "right_of") and a.relative_to in (None, a.target)
        ahead = (0.5 * (leader.size[2] + actor.size[2]) + 0.3 + (member // 2) * (actor.size[2] + 0.4)
                 if a.relation == "in_front_of" else 0.0)
        side = (0.5 * (leader.size[0] + actor.size[0]) + 0.35) * (-1.0 if a.relation == "left_of" or member % 2 else 1.0)
        last = leader.position_at(t_end)
        first = True
        for t in times:
            p = leader.position_at(t)
            q = leader.position_at(t + 0.05)
            v = q - p
            v[1] = 0.0
            if np.linalg.norm(v) > 1e-6:
                heading = v / np.linalg.norm(v)
            lead = ahead if goes_on else min(ahead, float(np.linalg.norm((last - p)[[0, 2]])))  # (at its side again where the leader stops)
            target = p + (heading * lead + right_of(yaw_of(heading)) * side if at_side else -heading * gap)
            target[1] = actor.position[1]
            if first and not actor.moved:
                actor.teleport(target)
                actor.yaw = yaw_of(heading)
                actor.keys[0] = (actor.keys[0][0], actor.position.copy(), actor.yaw)
                actor.flying_start = leader.flying_start and t <= 1e-6  # caught under way with its leader
                first = False
                continue
            first = False
            actor.wait_until(t) if np.linalg.norm(target - actor.position) < 1e-6 else actor._key(max(t, actor.t + 1e-3), target, yaw_of(heading))
        actor.moved = True
        actor.open_end = goes_on  # it keeps after its leader past the end of the plan
        return actor.t


#: what a rider does next that means it got off first
_ON_FOOT = ("walk", "run", "sit", "lie", "climb", "descend", "jump", "cross", "swim", "stand", "wave")


def _clear_radius(actor: Actor, c: np.ndarray, radius: float, ignore: set) -> float:
    """The smallest radius >= ``radius`` (in 0.5 m steps, up to 8 m more) whose circle round ``c`` passes
    clear of every still thing but ``ignore`` (the circled thing); ``radius`` when none is clear."""
    m = actor.obstacles
    if m is None or not len(m):
        return radius
    pad = 0.5 * math.hypot(actor.size[0], actor.size[2]) + 0.1
    ang = np.linspace(0.0, 2 * math.pi, 49)
    ring = np.stack([np.sin(ang), np.cos(ang)], axis=1)
    for r in radius + 0.5 * np.arange(17):
        pts = c[[0, 2]] + r * ring
        y0, y1 = actor.position[1], actor.position[1] + actor.size[1]
        if all(m.first_hit(p, q, pad, y0, y1, ignore | actor.ignore) is None for p, q in zip(pts[:-1], pts[1:])):
            return float(r)
    return radius


def plan_motion(actions: list[ActionSpec], members: Callable[[str], list[str]], actors: dict[str, Actor],
                stage: Stage, locate: Callable[[str, Actor], np.ndarray],
                warnings: list[str] | None = None) -> dict[int, tuple[float, float]]:
    """Run every action on its actors (mutating their keys and dynamics); returns each action's (start, end) seconds.

    ``members(ref)`` gives the entity ids a reference means; ``locate(ref,
    actor)`` a ground point for an entity reference or a place word.
    What had to be approximated (a follow with no one to follow, a look with
    nothing to look at) is appended to ``warnings``.  Raises SpecError for an
    action that cannot be carried out (a reference to a later action, ...).
    """
    planner = _Planner(actions, members, actors, stage, locate)
    if warnings is not None:
        planner.warnings = warnings
    return planner.run()
