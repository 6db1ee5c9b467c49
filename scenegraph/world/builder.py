"""SceneSpec -> Scene: entities with catalogue sizes, shared materials, a solved
layout, planned motion, lights and a camera that frames the action.

Ids are stable and deterministic: ``<class>_<n>`` numbered per class in the
order the spec lists entities (``car_1``, ``lamp_post_1``), ``mat_<look>``
for materials, ``traj_<entity>`` for trajectories, ``camera_1``, ``sun_1``.
The spec itself is kept in ``scene.metadata["spec"]`` so the plan can be
recovered from any saved scene.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from scenegraph.model import catalog
from scenegraph.errors import SpecError
from scenegraph.model.materials import color_rgb, material_for
from scenegraph.model import CameraParams, Entity, LightParams, Scene, Trajectory, Transform, quat_from_yaw
from scenegraph.world.motion import PAVEMENT, ROAD_HALF_WIDTH, Actor, Road, Stage, plan_motion, yaw_of
from scenegraph.world import feasible, formation, semantics, vertical
from scenegraph.world.keyarrays import key_arrays
from scenegraph.world.phases import collect as collect_phases
from scenegraph.world.profiles import limits_for
from scenegraph.world.stage import orbit_start
from scenegraph.world.pacing import (clear_altitude, keep_apart, prepare_paths, run_on, scene_setting, smooth_actors,
                                     trim_trajectories)
from scenegraph.world.framing import ASPECT, YFOV, CameraFraming, kit_boxes
from scenegraph.world.setting import furnish, ground_word as ground_word_of, kit_for
from scenegraph.world.setting_paths import make_way
from scenegraph.world.sky import moon_over_shoulder, sky_for, sun_direction
from scenegraph.world.shots import lens_attributes, look_rotation, plan_shots
from scenegraph.model.spec import SceneSpec

__all__ = ["build_scene"]

_GENERIC = catalog.ClassInfo("thing", (0.5, 0.5, 0.5))
#: paints of cars on the road, about as often as surveys of new cars find them (white, black, grey and silver
#: lead): a group of cars whose colour the prompt does not say gets a mix of these, not a hundred silver cars
CAR_PAINTS = (("white", 0.25), ("black", 0.19), ("grey", 0.17), ("silver", 0.13), ("blue", 0.09), ("red", 0.08),
              ("navy", 0.04), ("beige", 0.03), ("green", 0.02))
_HOLDERS = ("container", "furniture", "prop", "building", "car", "truck", "bus", "boat", "train", "aircraft")
_WORLD = 80.0  # half size (m) of the ground and road
_DROP_HEIGHT = 2.0  # metres above the ground a dropped thing starts
_ALTITUDE = {"bird": 4.0, "drone": 2.0, "plane": 60.0, "helicopter": 25.0}  # metres, for flyers that move
_GROUND_VERBS = frozenset({"walk", "run", "jump", "swim", "sit", "lie", "sleep", "stand", "eat", "wait", "pause", "look_at"})  # a flyer stays down


class _Builder(CameraFraming):
    """One build: holds the spec, the scene under construction and lookup tables."""

    def __init__(self, spec: SceneSpec, seed: int, fps: float | None, duration: float | None, prompt: str):
        self.spec = spec
        self.seed = seed
        self.scene = Scene(fps=fps or 24.0, duration=duration or 5.0, seed=seed, prompt=prompt)
        self.user_duration = duration
        self.warnings: list[str] = []
        self.members_of: dict[int, list[str]] = {}  # spec entity index -> entity ids
        self.info: dict[str, catalog.ClassInfo] = {}
        self.size: dict[str, np.ndarray] = {}
        self.actors: dict[str, Actor] = {}
        self.road: Road | None = None

    # -- references ------------------------------------------------------
    def members(self, ref: str) -> list[str]:
        resolved = self.__dict__.setdefault("_resolved", {})  # the spec's entities never change in a build
        i = resolved[ref] if ref in resolved else resolved.setdefault(ref, self.spec.resolve(ref))
        return self.members_of.get(i, []) if i is not None else []

    def locate(self, ref: str, actor: Actor) -> np.ndarray:
        """A ground point for a place word or an entity reference (beside the entity, on the actor's side)."""
        ids = self.members(ref)
        if not ids:
            return self.stage.place(ref, actor)
        other = self.actors[ids[0]]
        if other is actor:
            return actor.position.copy()
        d = actor.position - other.position
        d[1] = 0.0
        n = float(np.linalg.norm(d))
        d = d / n if n > 1e-6 else np.array([0.0, 0.0, 1.0])
        reach = 0.5 * max(actor.size[0], actor.size[2])
        for held in actor.holding:  # what it carries, pushes or rides (in front of it or under it) stops short too
            if held is not other:
                long = max(held.size[0], held.size[2])
                aboard = float(np.linalg.norm((actor.position - held.position)[[0, 2]])) < 0.5 * long  # (rides it)
                reach = max(reach, 0.5 * long + 0.1 if aboard else 0.5 * max(actor.size[0], actor.size[2]) + long + 0.1)
        gap = semantics.box_reach(other.size, other.yaw, d) + reach + 0.3
        p = other.position + d * gap
        p[1] = actor.position[1] if actor.position[1] > 0.5 and actor.info and actor.info.kind == "flyer" else 0.0
        return p

    # -- stages ----------------------------------------------------------
    def entities(self) -> None:
        counters: dict[str, int] = {}
        standins: list[str] = []
        for i, es in enumerate(self.spec.entities):
            info = catalog.lookup(es.cls)
            if info is None:  # a stand-in, sized from what the spec says it does and where it is
                size0, arch, keys = semantics.standin(self.spec, i, catalog.lookup)
                info = catalog.ClassInfo(es.cls.lower(), size0, archetype=arch, **keys)
                standins.append(f"{es.cls} ({' x '.join(f'{v:g}' for v in size0)} m {arch})")
            size = np.array(info.size) * np.array(catalog.SIZE_FACTORS.get(es.size or "medium", (1, 1, 1)))
            mat = material_for(es.color, es.material, default_color=info.color, default_material=info.material)
            paints = self._paints(i, es, info)
            if paints is None and mat.id not in self.scene:
                self.scene.add_material(mat)
            word = (es.word or info.name).lower()
            base = "".join(ch if ch.isalnum() else "_" for ch in word)
            ids = []
            for _ in range(es.count):
                counters[base] = counters.get(base, 0) + 1
                eid = f"{base}_{counters[base]}"
                while eid in self.scene:
                    counters[base] += 1
                    eid = f"{base}_{counters[base]}"
                attrs: dict[str, Any] = {"spec_ref": es.id or es.name or es.cls}
                for key in ("color", "material", "size"):
                    if getattr(es, key):
                        attrs[key] = getattr(es, key)
                if es.attributes:
                    attrs["words"] = list(es.attributes)
                if es.word:
                    attrs["word"] = es.word
                name = es.name or (word if es.count == 1 else f"{word} {len(ids) + 1}")
                if paints is not None:
                    mat = material_for(paints[len(ids)], es.material, default_material=info.material)
                    if mat.id not in self.scene:
                        self.scene.add_material(mat)
                self.scene.add_entity(Entity(eid, name=name, cls=info.name, bounds=catalog.bounds_of(size),
                                             attributes=attrs), material=mat.id)
                self.info[eid] = info
                self.size[eid] = size
                ids.append(eid)
            self.members_of[i] = ids
        if standins:
            self.warnings.append(f"not in the catalogue, built as stand-ins: {', '.join(dict.fromkeys(standins))}")

    def _paints(self, i: int, es: Any, info: Any) -> list[str] | None:
        """Colours for a group of cars (or vans) the prompt gives no colour or material: drawn from
        :data:`CAR_PAINTS`, seeded by the scene seed and the group, so the same prompt and seed paint the same
        lot.  None for anything else (a group of chairs matches; 'taxis' and 'police cars' are their word's)."""
        if es.count < 2 or es.color or es.material or info.name not in ("car", "van") or info.material != "paint":
            return None
        if es.word and es.word.lower() not in (info.name, "car", "cars", "van", "vans", "automobile", "vehicle"):
            return None
        rng = np.random.default_rng([int(self.seed), 7919, i])
        names, weights = zip(*CAR_PAINTS)
        p = np.asarray(weights, dtype=np.float64)
        return [names[k] for k in rng.choice(len(names), size=es.count, p=p / p.sum())]

    def environment(self) -> None:
        env = self.spec.environment
        crossers = [a for a in self.spec.actions if a.verb == "cross" or a.direction == "across" and not (
            a.via and self.members(a.via))]  # ('walks across the bridge': by way of it, not over a road)
        kerbside = any(p in ("near_kerb", "far_kerb", "road") for a in self.spec.actions for p in (a.from_, a.to, a.via, a.target))
        kit = kit_for(env.setting)
        if kit not in (None, "street", "highway"):  # across a kitchen, a park or a field: not a road crossing
            crossers = []
        if env.road or crossers or kerbside or kit in ("street", "highway"):
            lateral = any(a.direction in ("left_to_right", "right_to_left") or a.from_ in ("left", "right") for a in crossers)
            self.road = Road(axis=2 if lateral else 0)
        ground_word = env.ground or ground_word_of(kit)
        if ground_word is None:  # things stand on something: a plain floor unless the prompt says what
            ground_word = "concrete"
        if ground_word is not None:
            mat = material_for(None, ground_word)
            if mat.id not in self.scene:
                self.scene.add_material(mat)
            self.scene.add_entity(Entity("ground", cls="ground", bounds=((-_WORLD, -0.05, -_WORLD), (_WORLD, 0.0, _WORLD)),
                                         attributes={"static": True}), material=mat.id)
        if self.road is not None:
            mat = material_for(None, "asphalt")
            if mat.id not in self.scene:
                self.scene.add_material(mat)
            lo = [-_WORLD, -0.04, -_WORLD]
            hi = [_WORLD, 0.002, _WORLD]
            lo[self.road.across], hi[self.road.across] = -ROAD_HALF_WIDTH, ROAD_HALF_WIDTH
            self.scene.add_entity(Entity("road_1", cls="road", bounds=(lo, hi), attributes={"static": True,
                                         "axis": "x" if self.road.axis == 0 else "z", "kit": "street", "surface": True,
                                         "top": 0.002}), material=mat.id)

    def relations(self) -> list[tuple[str, str, str]]:
        """The layout's relations by entity id (the spec's extended ones mapped, see world.semantics)."""
        rels, self.own_relations = semantics.layout_relations(self.spec, self.members, self.size)
        held = {s for s, r, _ in rels if r in ("on", "inside")}  # 'falls off the shelf': starts on the shelf
        rels += [r for r in vertical.start_supports(self.spec, self.members) if r[0] not in held and self.info[r[2]].support]
        rels = feasible.relax_relations(rels, self.size, self.info, self.warnings, self._resize)  # or the nearest feasible
        holders = {e for e in self.size if self.info[e].archetype in _HOLDERS}
        for eid in semantics.fit_contents(rels, self.own_relations, self.size, holders, self.warnings):
            self.scene.update(eid, bounds=catalog.bounds_of(self.size[eid]))  # 'a robot inside a box': sized to fit
        self.courses = feasible.size_courses(self.spec, self.members, self.size, self.info,
                                             lambda e: limits_for(self.info[e]), self._resize)
        return list(dict.fromkeys(rels))

    def _resize(self, eid: str, size: np.ndarray) -> None:
        self.size[eid] = np.asarray(size, dtype=np.float64)
        self.scene.update(eid, bounds=catalog.bounds_of(self.size[eid]))

    def formations(self) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
        """Groups that stand in a formation: first member -> (formation, member offsets, bounding size)."""
        out = {}
        for i, es in enumerate(self.spec.entities):
            ids = self.members_of[i]
            if es.formation and len(ids) > 1 and es.position is None:
                off = semantics.formation_offsets(es.formation, len(ids), self.size[ids[0]])
                half = self.size[ids[0]] / 2
                lo, hi = (off - half * [1, 0, 1]).min(axis=0), (off + half * [1, 0, 1]).max(axis=0)
                centre = (lo + hi) / 2 * [1, 0, 1]
                box = (hi - lo) * [1, 0, 1] + [0.0, self.size[ids[0]][1], 0.0]
                out[ids[0]] = (es.formation, off - centre, box)
        return out

    def layout(self, rels: list[tuple[str, str, str]]) -> dict[str, tuple[np.ndarray, float]]:
        from scenegraph.world.layout import LayoutItem, solve_layout

        moving = {eid for a in self.spec.actions for eid in self.members(a.actor)}
        groups = self.formations()  # a group in formation is one box for the solver, its first member
        lead_of = {m: ids[0] for ids in self.members_of.values() if ids and ids[0] in groups for m in ids[1:]}
        rels = list(dict.fromkeys((lead_of.get(s, s), r, lead_of.get(o, o)) for s, r, o in rels
                                  if lead_of.get(s, s) != lead_of.get(o, o)))
        subjects = {s for s, _, _ in rels}
        objects = {o for _, _, o in rels}
        items = []
        parked: list[str] = []  # vehicles standing by the kerb: placed on the road, after the layout
        for i, es in enumerate(self.spec.entities):
            for eid in self.members_of[i]:
                if (es.position is None and self.road is not None and self.info[eid].kind == "vehicle"
                        and eid not in subjects and eid not in objects and eid not in moving):
                    parked.append(eid)
                    continue
                if eid in lead_of:
                    continue
                fixed = tuple(es.position) if es.position is not None else None
                box = groups[eid][2] if eid in groups else self.size[eid]
                items.append(LayoutItem(eid, tuple(float(v) for v in box), fixed_position=fixed,
                                        anchor=eid in objects and eid not in subjects))
        if self.road is not None and any(it.fixed_position is None and it.id not in moving for it in items):
            size = [2 * _WORLD, 0.02, 2 * _WORLD]
            size[self.road.across] = 2 * ROAD_HALF_WIDTH
            items.append(LayoutItem("road_1", tuple(size), fixed_position=(0.0, 0.0, 0.0), yaw=0.0, anchor=True))
        out = solve_layout(items, rels, seed=self.seed, time_budget_s=1.0) if items else {}
        placed = {k: (np.asarray(p.position, dtype=np.float64), float(p.yaw)) for k, p in out.items() if k != "road_1"}
        for first, (_, offsets, _) in groups.items():
            if first not in placed:  # parked along the kerb below, nose to tail
                continue
            p0, yaw0 = placed[first]
            ids = [first] + [m for m, f in lead_of.items() if f == first]
            for eid, off in zip(ids, offsets):
                placed[eid] = (p0 + off, yaw0)
        semantics.after_layout(self.own_relations, placed, self.size)
        tied = {s for s, r, _ in rels if r in ("on", "inside")} | {e for i, es in enumerate(self.spec.entities)
                                                                  if es.position is not None for e in self.members_of[i]}
        companions: dict[str, list[str]] = {}
        for s, r, o in rels:  # what stands by a mover goes with it; what it stands by, too
            if r not in ("on", "inside"):
                companions.setdefault(o, []).append(s)
                companions.setdefault(s, []).append(o)
        for m, f in lead_of.items():  # a group in formation keeps it: it moves as one with its first member
            companions.setdefault(f, []).append(m)
        firsts: dict[str, str] = {}
        for a in self.spec.actions:  # a mover's first destination: not where it already stands
            for eid in self.members(a.actor):
                if a.verb == "ride" and a.target and self.members(a.target) and a.to:  # what it rides goes there
                    companions.setdefault(self.members(a.target)[0], []).append(eid)
                    eid = self.members(a.target)[0]
                if not firsts.get(eid) and a.to and self.members(a.to) and eid not in lead_of:
                    firsts[eid] = self.members(a.to)[0]
        stops: dict[str, list[str]] = {}  # 'walks to the table, then runs to the window': the window farther on
        for a in self.spec.actions:
            for eid in self.members(a.actor)[:1]:
                if a.to and self.members(a.to):
                    stops.setdefault(eid, []).append(self.members(a.to)[0])
        semantics.spread_stops(stops, placed, self.size, tied | moving, companions)
        semantics.keep_apart([(m, d) for m, d in firsts.items() if d], placed, self.size, tied, companions)
        formation.orient_files(groups, {f: [f] + [m for m, g in lead_of.items() if g == f] for f in groups},
                               placed, self.spec, self.members)
        along = 0.0
        for eid in parked:  # nose to tail by the kerb on the far side of the road, facing along it
            p = np.zeros(3)
            p[self.road.across] = self.road.center - ROAD_HALF_WIDTH + 0.5 * self.size[eid][0] + 0.3
            p[self.road.axis] = along + 0.5 * self.size[eid][2]
            along += self.size[eid][2] + 1.5
            placed[eid] = (p, math.pi / 2 if self.road.axis == 0 else 0.0)
        return placed

    def stage_and_camera(self, placed: dict[str, tuple[np.ndarray, float]]) -> None:
        objs = [e.id for e in self.scene.entities("object") if e.id in self.size]
        pos = np.array([placed[e][0] for e in objs]) if objs else np.zeros((1, 3))
        sizes = np.array([self.size[e] for e in objs]) if objs else np.ones((1, 3))
        lo = (pos - sizes / 2)[:, [0, 2]].min(axis=0)
        hi = (pos + sizes / 2)[:, [0, 2]].max(axis=0)
        center = np.array([(lo[0] + hi[0]) / 2, 0.0, (lo[1] + hi[1]) / 2])
        half = (hi - lo) / 2 + 0.1 * sizes.max() + 0.1
        movers = {eid for a in self.spec.actions if a.verb not in ("pause", "wait", "look_at") for eid in self.members(a.actor)}
        for eid in movers:
            reach = max(2.0 * max(self.size[eid][0], self.size[eid][2]) + 2.0, 1.5 * self.info[eid].cruise_speed)
            half = np.maximum(half, [reach, reach * 0.5])
        if self.road is not None:
            center[self.road.across] = self.road.center
            need = ROAD_HALF_WIDTH + PAVEMENT + 0.5
            half[0 if self.road.across == 0 else 1] = max(half[0 if self.road.across == 0 else 1], need)
        self.stage = Stage(center=center, half=half, road=self.road, setting=scene_setting(self.spec, self.scene.prompt))
        self.frame_camera(objs, placed)

    def starting_poses(self, placed: dict[str, tuple[np.ndarray, float]], rels: list[tuple[str, str, str]]) -> None:
        """Movers start as their kind does: flyers in the air, vehicles on a lane facing along the road."""
        supported = {s for s, r, _ in rels if r in ("on", "inside")}
        movers = {eid for a in self.spec.actions if a.verb not in ("throw", "drop") for eid in self.members(a.actor)}
        airborne = {eid for a in self.spec.actions if a.verb not in _GROUND_VERBS for eid in self.members(a.actor)}
        road = self.road
        for eid in movers & set(placed):
            p, yaw = placed[eid]
            p = p.copy()
            info = self.info[eid]
            if info.kind == "flyer" and eid not in supported and eid in airborne and p[1] < 0.05:
                p[1] = max(_ALTITUDE.get(info.name, 3.0), clear_altitude(eid, self.spec, self.members, placed, self.size))
            if road is not None and info.kind == "vehicle" and eid not in supported:
                along = np.zeros(3)
                along[road.axis] = 1.0
                p[road.across] = road.lane(along)
                yaw = yaw_of(along)
            elif road is not None and eid not in supported and semantics.walks_along(self.spec, eid, self.members, road.axis, info):
                side = 1.0 if p[road.across] >= road.center else -1.0  # on the pavement, not the carriageway
                p[road.across] = road.center + side * max(abs(p[road.across] - road.center), road.half_width + PAVEMENT * 0.6)
            placed[eid] = (p, yaw)
        first = {}
        for a in self.spec.actions:
            for eid in self.members(a.actor):
                first.setdefault(eid, a)
        for eid, a in first.items():  # 'runs around the tree': starts close to the tree, where the camera sees it
            around = a.verb == "orbit" or (a.direction == "around" and a.verb != "turn")
            if around and a.target and self.members(a.target) and eid not in supported:
                c = self.members(a.target)[0]
                p = orbit_start(placed[c][0], self.size[c], placed[eid][0], self.size[eid])
                placed[eid] = (p, placed[eid][1])
        for a in self.spec.actions:  # 'a ball drops': from 2 m up, unless it falls off something
            if a.verb == "drop" and a.target is None:
                for eid in self.members(a.actor):
                    if eid not in supported and placed[eid][0][1] < 0.05:
                        placed[eid] = (placed[eid][0] + [0.0, _DROP_HEIGHT, 0.0], placed[eid][1])

    def motion(self, placed: dict[str, tuple[np.ndarray, float]], rels: list[tuple[str, str, str]]) -> dict:
        supports = {s: o for s, r, o in rels if r in ("on", "inside")}
        self.ground = vertical.Ground(self.scene)  # sidewalks and kerbs: people stand on their tops
        placed, tops, self.rests = vertical.settle(placed, supports, {s: o for s, r, o in rels if r == "on"},
                                                   self.size, self.info, self.ground)
        for eid, (p, yaw) in placed.items():
            self.actors[eid] = Actor(eid, self.size[eid], self.info[eid], p, yaw=yaw, support_top=tops[eid])
        for o, course in self.courses.items():
            self.actors[o].course = course
        for eid, sup in supports.items():
            self.actors[eid].support = self.actors[sup]
        prepare_paths(self.actors, self.spec, self.members, self.road)
        for i, es in enumerate(self.spec.entities):  # how a group moves: side by side, or one behind the other
            for eid in self.members_of[i]:
                self.actors[eid].formation = es.formation
        return plan_motion(self.spec.actions, self.members, self.actors, self.stage, self.locate, self.warnings)

    def commit_motion(self, spans: dict) -> None:
        run_on(self.actors, spans_end(spans) + 1.5)
        smooth_actors(self.actors, self.scene.fps, spans_end(spans) + 30.0)
        self.warnings += keep_apart(self.actors, self.spec, self.members, self.scene.fps, spans_end(spans) + 30.0,
                                    spans_end(spans) + 1.0)
        vertical.follow_ground(self.actors, self.ground, self.scene.fps)
        for eid, actor in self.actors.items():
            ent = self.scene.entity(eid)
            first_t, first_p, first_yaw = actor.keys[0]
            changes: dict[str, Any] = {"transform": Transform(first_p, quat_from_yaw(first_yaw))}
            if actor.dynamics is not None:
                changes["dynamics"] = actor.dynamics
            self.scene.update(eid, **changes)
            if len(actor.keys) < 2:
                continue
            times, positions, yaws = key_arrays(actor.keys)
            info = self.info[eid]
            if actor.looks or (info.mobile and info.kind != "ball"):  # the smoothed heading, slerped between keys
                heading, rots = "keyframes", quat_from_yaw(yaws)
            else:
                heading, rots = "fixed", None
            traj = Trajectory(f"traj_{eid}", times, positions, rotations=rots, interpolation="linear",
                              heading=heading, loop=actor.loop and len(times) > 1)
            self.scene.add_trajectory(traj)
            self.scene.set_trajectory(eid, traj.id)
            del ent

    def setting(self, placed: dict[str, tuple[np.ndarray, float]]) -> None:
        """The setting's kit around the action (after the camera is framed, before motion plans around it)."""
        occupied = [(placed[e][0], 0.5 * self.size[e][[0, 2]]) for e in placed if e in self.size]
        named = {i for x in [*self.spec.actions, *self.spec.relations] for v in x.model_dump().values()
                 if isinstance(v, str) for i in self.members(v)}  # things the prompt moves or places
        named |= {e for i, es in enumerate(self.spec.entities) if es.formation for e in self.members_of[i]}  # a row stays one
        free = [e for e in placed if e not in named]
        actors = {m for a in self.spec.actions for m in self.members(a.actor)}
        counted = {m for i, es in enumerate(self.spec.entities) if not es.count_guessed
                   for m in self.members_of[i] if m not in actors}  # '4 cars are parked': that many, no more
        furnish(self.scene, self.stage, self.spec.environment, self.road, seed=self.seed, warnings=self.warnings,
                occupied=occupied, free=free, counted=counted)
        for eid in free:  # a kit that gave one of them a place (a parked car at the kerb): the plan starts there
            tr = self.scene.entity(eid).transform
            if self.scene.entity(eid).attributes.get("parked"):
                placed[eid] = (np.array(tr.translation, np.float64), 2.0 * math.atan2(tr.rotation[1], tr.rotation[3]))

    def lights(self) -> None:
        env = self.spec.environment
        look = moon_over_shoulder(sky_for(env.time_of_day, env.sky), self.stage.eye, self.stage.center)
        sun_dir = sun_direction(look)
        color = look.sun_color
        sun_lux = look.sun_lux
        self.scene.add_entity(Entity("sun_1", name="sun", kind="light", cls="light",
                                     transform=Transform((0.0, 20.0, 0.0), look_rotation(sun_dir)),
                                     light=LightParams("directional", color=color, intensity=sun_lux)))
        n = 0
        for lt in env.lights:
            rgb = color_rgb(lt.color) if lt.color else np.ones(3)
            rgb = rgb / max(float(rgb.max()), 1e-6)
            if lt.type == "sun":
                self.scene.update("sun_1", light=LightParams("directional", color=rgb, intensity=lt.intensity or sun_lux))
                continue
            n += 1
            where = self.stage.center + [0.0, 3.0, 0.0]
            if lt.near:
                ids = self.members(lt.near)
                where = self.actors[ids[0]].position + [0.0, self.size[ids[0]][1] + 1.0, 0.0]
            self.scene.add_entity(Entity(f"light_{n}", kind="light", cls="light",
                                         transform=Transform(where, look_rotation(np.array([0.0, -1.0, 1e-3]))),
                                         light=LightParams(lt.type, color=rgb, intensity=lt.intensity or 100.0)))

    def camera(self, spans: dict) -> float:
        self.reframe_moved()  # the setting may have moved a thing after the camera was framed (a parked car)
        params = CameraParams(yfov=YFOV, aspect=ASPECT)
        eye, target = self.camera_eye, self.camera_target
        rot0 = look_rotation(target - eye)
        ends = {a.id: spans[k][1] for k, a in enumerate(self.spec.actions) if a.id is not None and k in spans}
        lens: list = []
        keys, end = plan_shots(self.spec.camera, eye, target, self.members, self.actors, spans_end(spans), ends,
                               self.warnings, self.scene.fps, YFOV, ASPECT, obstacles=kit_boxes(self.scene), lens=lens)
        if keys:
            eye, rot0 = keys[0][1], keys[0][2]
        self.scene.add_entity(Entity("camera_1", name="camera", kind="camera", cls="camera", camera=params,
                                     transform=Transform(eye, rot0), attributes=lens_attributes(lens)))
        if keys:
            times = [k[0] for k in keys]
            traj = Trajectory("traj_camera_1", times, [k[1] for k in keys], rotations=[k[2] for k in keys],
                              interpolation="linear", heading="keyframes")
            self.scene.add_trajectory(traj)
            self.scene.set_trajectory("camera_1", traj.id)
        return end


def spans_end(spans: dict) -> float:
    return max((e for _, e in spans.values()), default=0.0)


def settled_at(actors: dict) -> float:
    """When the last mover that comes to rest has stopped (seconds): smoothing can end a run later than
    planned (a bend taken slower, a car pulling round onto its way), and the clip should show it arrive.
    Movers that go on past the plan (open-ended, looping, riding another) are not waited for."""
    end = 0.0
    for a in actors.values():
        if a.loop or a.open_end or a.carrier or len(a.keys) < 2:
            continue
        t, p, _ = key_arrays(a.keys)
        away = np.flatnonzero(np.abs(p - p[-1]).max(axis=1) > 0.01)
        if away.size:
            end = max(end, float(t[away[-1]]))
    return end


def build_scene(spec: SceneSpec, *, seed: int = 0, fps: float | None = None, duration: float | None = None,
                prompt: str = "", director: str = "rules") -> Scene:
    """Turn a SceneSpec into a Scene (entities, materials, layout, motion, lights, camera).

    ``duration`` overrides the spec's and the default (end of the last action
    or shot + 1 s; 5 s for a still scene).  Raises SpecError for a spec that
    cannot be built and LayoutError for relations that cannot all hold.
    """
    if not isinstance(spec, SceneSpec):
        raise SpecError(f"build_scene expects a SceneSpec, got {type(spec).__name__}")
    if not spec.entities and kit_for(spec.environment.setting) is None:  # a setting alone is a scene to film
        raise SpecError("the spec has no entities and no setting with a kit: nothing to build")
    b = _Builder(spec, seed, fps, duration, prompt)
    b.entities()
    b.environment()
    rels = b.relations()
    placed = b.layout(rels)
    b.starting_poses(placed, rels)
    b.stage_and_camera(placed)
    b.setting(placed)
    spans = b.motion(placed, rels)
    make_way(b.scene, b.road, b.actors)
    b.commit_motion(spans)
    for s, r, o in rels:
        try:
            b.scene.add_relation(s, r, o)
        except Exception as exc:  # a second relation between the same two entities
            b.warnings.append(f"relation {s} {r} {o} kept for layout only: {exc}")
    b.lights()
    shots_end = b.camera(spans)
    if duration is None:
        if spec.duration is not None:
            b.scene.duration = spec.duration
        elif spans or spec.camera:
            b.scene.duration = round(max(spans_end(spans), shots_end, settled_at(b.actors)) + 1.0, 3)
    trim_trajectories(b.scene, b.scene.duration)
    b.cover(spans)  # follow cameras and cuts where the still camera cannot film the plan
    b.scene.metadata.update({
        "director": re.sub(r"//[^/@]*@", "//", director),  # never keep credentials written into a URL
        "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        "warnings": list(b.warnings),
        "environment": {**{k: v for k, v in (("setting", spec.environment.setting), ("time_of_day",
                        spec.environment.time_of_day), ("sky", spec.environment.sky)) if v},
                        **b.scene.metadata.get("environment", {})},
        "actions": [{"index": k, "actor": spec.actions[k].actor, "verb": spec.actions[k].verb,
                     "start": round(s, 4), "end": round(e, 4)} for k, (s, e) in sorted(spans.items())],
        "phases": collect_phases(b.actors, b.rests, b.scene.duration),
    })
    return b.scene
