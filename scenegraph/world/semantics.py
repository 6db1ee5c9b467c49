"""What the words of a SceneSpec mean for the layout: extended relations and group formations.

The layout solver knows eight relations (:data:`scenegraph.model.SPATIAL_RELATIONS`);
the spec's others are mapped onto them here, and what the solver cannot say is
done after it, by moving boxes:

- ``under`` -> ``inside`` when the subject fits below the object's top (a cat under a
  table), else ``near``; afterwards the subject stands on the object's floor (y of its bottom).
- ``above`` -> ``on``; afterwards it floats :data:`ABOVE_GAP` metres over the top.
- ``between`` -> ``right_of`` the first and ``left_of`` the second object (as the camera sees it).
- ``far_from`` -> ``right_of``; afterwards pushed :data:`FAR` metres farther away along x.

Formations place the members of a group around where the layout put the first one:
``row`` / ``side_by_side`` left to right, ``line`` / ``column`` one behind the other
(away from the camera), ``circle`` around the group's centre, ``pairs`` two by two.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from scenegraph.model import catalog
from scenegraph.model.spec import SceneSpec

__all__ = ["ABOVE_GAP", "FAR", "layout_relations", "fit_contents", "walks_along", "spread_stops", "after_layout",
           "formation_offsets", "box_reach"]

ABOVE_GAP = 0.6  # metres between the top of a thing and what is above it
FAR = 8.0  # metres added between 'far from' things


def layout_relations(spec: SceneSpec, members: Callable[[str], list[str]],
                     size: dict[str, np.ndarray]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(relations for the layout solver, the spec's own relations by entity id for after_layout)."""
    rels: list[tuple[str, str, str]] = []
    own: list[tuple[str, str, str]] = []
    for r in spec.relations:
        objs = members(r.object)
        if r.relation == "between":
            pair = objs[:2] if r.object2 is None else objs[:1] + members(r.object2)[:1]
            if len(pair) == 2:
                rels.append((pair[1], "right_of", pair[0]))  # the two stand apart, left and right of the gap
            for s in members(r.subject):
                if len(pair) == 2 and s not in pair:
                    rels += [(s, "right_of", pair[0]), (s, "left_of", pair[1])]
                    own.append((s, "between", pair[0]))
                elif pair and s not in pair:
                    rels.append((s, "near", pair[0]))
            continue
        for k, s in enumerate(members(r.subject)):
            # 'twelve sheep among the trees', 'three books on two shelves': each by one of them, in turn
            share = r.relation in ("near", "on", "inside", "under", "above", "around") and len(objs) > 1
            for o in ([objs[k % len(objs)]] if share else objs):
                if s == o:
                    continue
                rel = r.relation
                if rel == "under":  # inside its box when it fits (and holds nothing); else beside it, moved after
                    fits = size[s][1] < size[o][1] * 0.95 and size[s][0] <= size[o][0] and size[s][2] <= size[o][2]
                    holds = any(x.relation in ("on", "inside") and s in members(x.object) for x in spec.relations)
                    rel = "inside" if fits and not holds else "near"
                elif rel == "above":
                    rel = "on"
                elif rel == "far_from":
                    rel = "right_of"
                elif rel == "around":  # beside it for the solver; the group is centred on it afterwards
                    rel = "near"
                rels.append((s, rel, o))
                own.append((s, r.relation, o))
    return rels, own


def fit_contents(rels: list[tuple[str, str, str]], own: list[tuple[str, str, str]], size: dict[str, np.ndarray],
                 holders: set[str], warnings: list[str]) -> list[str]:
    """Sizes from context for 'inside': a container (in ``holders``) grows to hold what is in it, up to the
    room it has ('a box under a table' stays lower than the table); what still does not fit is made
    smaller ('a small robot inside a box under a table').  Changes ``size`` in place; returns the ids resized."""
    cap: dict[str, float] = {}
    for s, rel, o in own:  # under something: lower than its top
        if rel == "under" and s in size and o in size:
            cap[s] = min(cap.get(s, np.inf), 0.9 * float(size[o][1]))
    changed = []
    for s, r, o in rels:
        if r != "inside" or o not in holders:
            continue
        foot = max(size[s][0], size[s][2]) * 1.5  # the layout fits it at any heading (x sqrt 2)
        need = np.array([foot, size[s][1] * 1.05, foot])
        room = cap.get(o, np.inf)
        if need[1] > room:
            k = room / need[1]
            size[s] = size[s] * k
            need = need * k
            changed.append(s)
            warnings.append(f"{s} is made {k:.2g} times its size to fit in {o}")
        if np.any(need > size[o]):
            size[o] = np.maximum(size[o], need)
            changed.append(o)
            warnings.append(f"{o} is made {' x '.join(f'{v:.2g}' for v in size[o])} m to hold {s}")
    on: dict[str, list[str]] = {}
    for s, r, o in rels:
        if r == "on" and s in size and o in size:
            on.setdefault(o, []).append(s)
    for o, things in on.items():  # 'fourteen candles on the cake': they fit on its top
        area = float(size[o][0] * size[o][2])
        need = sum(float((size[s][0] + 0.05) * (size[s][2] + 0.05)) for s in things) / 0.45  # room to stand apart
        if len(things) < 2 or need <= area:
            continue
        if all(max(size[s]) < 0.6 for s in things):  # small things are made smaller, to at most 0.4 times
            k = max(math.sqrt(area / need), 0.4)
            need = sum(float((size[s][0] * k + 0.05) * (size[s][2] * k + 0.05)) for s in things) / 0.45
            for s in things:
                size[s] = size[s] * k
            changed += things
            warnings.append(f"{', '.join(things[:3])}{' ...' if len(things) > 3 else ''} made {k:.2g} times their size to fit on {o}")
        if need > area:  # what holds them grows: a long thing along its length, else both ways
            w, d = float(size[o][0]), float(size[o][2])
            if max(w, d) > 3 * min(w, d):
                size[o][0 if w >= d else 2] *= need / area
            else:
                size[o][[0, 2]] *= math.sqrt(need / area)
            changed.append(o)
            warnings.append(f"{o} is made {' x '.join(f'{v:.2g}' for v in size[o])} m to hold {len(things)} things")
    return list(dict.fromkeys(changed))


def walks_along(spec: SceneSpec, eid: str, members: Callable[[str], list[str]], axis: int, info) -> bool:
    """Whether ``eid`` goes on foot along a road running along ``axis`` (0: x, 2: z) in its first action:
    it uses the pavement ('a woman jogs along the road'), it does not cross or go to something."""
    if info is None or info.kind not in ("person", "animal"):
        return False
    first = next((a for a in spec.actions if eid in members(a.actor)), None)
    if first is None or first.verb not in ("walk", "run", "move") or first.to or first.relation:
        return False
    along = {0: ("left_to_right", "right_to_left", "left", "right"), 2: ("towards_camera", "away_from_camera")}
    return first.direction in along.get(axis, ())


def after_layout(own: list[tuple[str, str, str]], placed: dict[str, tuple[np.ndarray, float]],
                 size: dict[str, np.ndarray]) -> None:
    """Move boxes for what the solver's relations only approximate (in place); what stands on or in a
    moved box moves with it."""
    held: dict[str, list[str]] = {}
    for s, rel, o in own:
        if rel in ("on", "inside"):
            held.setdefault(o, []).append(s)

    def carry(eid: str, delta: np.ndarray, seen: set) -> None:
        for child in held.get(eid, []):
            if child in placed and child not in seen:
                seen.add(child)
                placed[child] = (placed[child][0] + delta, placed[child][1])
                carry(child, delta, seen)

    ring: dict[str, list[str]] = {}
    for s, rel, o in own:
        if rel == "around" and s in placed and o in placed:
            ring.setdefault(o, []).append(s)
    for o, group in ring.items():  # 'children stand in a circle around the tree': the tree in the middle
        pts = np.array([placed[s][0] for s in group])
        mid = pts.mean(axis=0) * [1, 0, 1]
        r = float(np.linalg.norm((pts - mid) * [1, 0, 1], axis=1).mean()) if len(group) > 1 else 0.0
        need = 0.5 * max(size[o][0], size[o][2]) + 0.5 * max(max(size[s][0], size[s][2]) for s in group) + 0.5
        k = need / r if r > 1e-6 and r < need else 1.0
        centre = placed[o][0] * [1, 0, 1]
        for s, p in zip(group, pts):
            q = centre + (p * [1, 0, 1] - mid) * k
            q[1] = p[1]
            delta = q - placed[s][0]
            placed[s] = (q, placed[s][1])
            carry(s, delta, {s})
    for s, rel, o in own:
        if s not in placed or o not in placed or rel == "around":
            continue
        p, yaw = placed[s]
        q = placed[o][0]
        before = p
        p = p.copy()
        if rel == "under":
            p[1] = q[1]
            if size[s][1] < size[o][1]:  # lower than its top: in the middle of its footprint
                p[0], p[2] = q[0], q[2]
        elif rel == "above":
            p[1] = q[1] + size[o][1] + ABOVE_GAP
        elif rel == "far_from":
            p[0] = max(p[0], q[0] + 0.5 * (size[o][0] + size[s][0]) + FAR)
        placed[s] = (p, yaw)
        carry(s, p - before, {s})


def formation_offsets(formation: str, n: int, size: np.ndarray) -> np.ndarray:
    """(n, 3) offsets of the members of a group from its first member, for ``formation``."""
    w, _, d = (float(v) for v in size)
    gap_x, gap_z = w + max(0.4, 0.5 * w), d + max(0.4, 0.5 * d)  # (over the planner's 0.3 m start clearance)
    out = np.zeros((n, 3))
    for i in range(n):
        if formation in ("row", "side_by_side"):
            out[i, 0] = i * gap_x
        elif formation in ("line", "column"):
            out[i, 2] = -i * gap_z
        elif formation == "pairs":
            out[i, 0] = (i % 2) * gap_x
            out[i, 2] = -(i // 2) * gap_z
        elif formation == "circle":
            radius = max(gap_x, gap_z) * n / (2 * math.pi) + 0.5 * max(w, d)
            ang = 2 * math.pi * i / n
            out[i] = [radius * math.sin(ang), 0.0, radius * (math.cos(ang) - 1.0)]
    return out


#: settings whose ground is a road: a stand-in that only 'moves' there is driven
_ROADS = ("street", "road", "highway", "motorway", "freeway", "racetrack", "runway", "parking-lot")


def standin(spec: SceneSpec, index: int, known: Callable[[str], object]) -> tuple[tuple[float, float, float], str, dict]:
    """(size, archetype, ClassInfo keywords) for an entity whose class is in no catalogue, from its context:
    what it does (drives: a car's size; walks: a person's; flies: a bird's), what it stands on or in
    (a small thing, scaled to the support), what stands on it (a table's size)."""
    es = spec.entities[index]
    refs = {r for r in (es.id, es.name, es.cls) if r}
    verbs = {a.verb for a in spec.actions if a.actor in refs}
    speeds: dict = {}
    head = catalog.vehicle_head(es.cls)  # 'milk float truck', 'dumptruck': sized and moved as the vehicle it ends in
    if head is not None:
        return head.size, head.archetype, {"kind": "vehicle", "drive": head.drive or 8.0, "verbs": head.verbs}
    if verbs & {"drive", "ride"} or ("move" in verbs and not verbs & {"walk", "run"} and (
            spec.environment.road or spec.environment.setting in _ROADS)):  # 'X moves down the road': driven
        return (1.8, 1.5, 4.5), "car", {"kind": "vehicle", "drive": 8.0}
    if verbs & {"drive", "ride"}:
        return (1.8, 1.5, 4.5), "car", {"kind": "vehicle", "drive": 8.0}
    if verbs & {"fly", "take_off", "land"}:
        return (0.4, 0.3, 0.4), "bird", {"kind": "flyer", "walk": 0.5, "drive": 6.0}
    if verbs & {"swim"}:
        return (0.3, 0.3, 0.8), "fish", {"kind": "animal", "drive": 1.5}
    if verbs - {"look_at", "pause", "wait", "drop", "fall", "roll", "turn"}:
        speeds = {"kind": "person", "walk": 1.2, "run": 3.0}
        return (0.5, 1.2, 0.4), "biped", speeds
    for r in spec.relations:
        if r.subject in refs and r.relation in ("on", "inside", "under", "above"):
            i = spec.resolve(r.object)
            other = known(spec.entities[i].cls) if i is not None else None
            if other is not None:
                w, h, d = other.size  # type: ignore[attr-defined]
                side = float(min(0.3, 0.35 * min(w, d), 0.6 * h if r.relation in ("inside", "under") else 0.3))
                return (side, side, side), "prop", {}
        if r.object in refs and r.relation in ("on", "under"):
            return (1.0, 0.75, 0.8), "furniture", {"support": True}
    return (0.5, 0.5, 0.5), "prop", {}


def spread_stops(stops: dict[str, list[str]], placed: dict[str, tuple[np.ndarray, float]], size: dict[str, np.ndarray],
                 fixed: set[str], companions: dict[str, list[str]], distance: float = 3.0) -> None:
    """A mover's later destinations stand apart from its earlier ones: each at least ``distance`` metres (box
    to box) from the one before and off the way there, else moved on beyond it, away from where the mover
    starts ('walks to the table, then runs to the window' is two walks, the window not passed on the way)."""
    for mover, dests in stops.items():
        if mover not in placed:
            continue
        prev = placed[mover][0]
        for a, b in zip(dests, dests[1:]):
            if a not in placed or b not in placed or b in fixed or b == mover or a == b:
                prev = placed[a][0] if a in placed else prev
                continue
            pa, pb = placed[a][0] * [1, 0, 1], placed[b][0] * [1, 0, 1]
            reach = 0.5 * (max(size[a][0], size[a][2]) + max(size[b][0], size[b][2]))
            seg = pa - prev * [1, 0, 1]
            n = float(np.linalg.norm(seg))
            u = seg / n if n > 1e-6 else np.array([-1.0, 0.0, 0.0])
            rel = pb - prev * [1, 0, 1]
            along = float(np.clip(rel @ u, 0.0, n))
            off_way = float(np.linalg.norm(rel - u * along)) - 0.5 * max(size[b][0], size[b][2])
            if float(np.linalg.norm(pb - pa)) - reach >= distance and (off_way >= 2.5 or rel @ u > n):
                prev = placed[a][0]
                continue
            shift = pa + u * (reach + distance) - pb
            for eid in [b, *companions.get(b, [])]:
                if eid in placed and eid not in fixed | {a, mover}:
                    placed[eid] = (placed[eid][0] + shift, placed[eid][1])
            prev = placed[a][0]


def keep_apart(pairs: list[tuple[str, str]], placed: dict[str, tuple[np.ndarray, float]], size: dict[str, np.ndarray],
               fixed: set[str], companions: dict[str, list[str]], distance: float = 3.0) -> None:
    """Move each mover of (mover, destination) at least ``distance`` metres (and 1.5 of its own lengths; box to
    box) from where it goes,
    so that 'runs to the fence' is a run; along the line between them, else to the left.  Its companions
    (what stands near it) move with it; a mover that is fixed or stands on something stays."""
    for mover, dest in pairs:
        if mover in fixed or mover not in placed or dest not in placed or dest in companions.get(mover, []):
            continue
        p, yaw = placed[mover]
        q = placed[dest][0]
        reach = 0.5 * (max(size[mover][0], size[mover][2]) + max(size[dest][0], size[dest][2]))
        need = max(distance, 1.5 * max(size[mover][0], size[mover][2]))  # a car's drive is a few lengths
        d = (p - q) * [1, 0, 1]
        n = float(np.linalg.norm(d))
        if n - reach >= need:
            continue
        u = d / n if n > 1e-6 else np.array([-1.0, 0.0, 0.0])
        shift = q * [1, 0, 1] + u * (reach + need) - p * [1, 0, 1]
        for eid in [mover, *companions.get(mover, [])]:
            if eid in placed and eid not in fixed | {dest}:
                placed[eid] = (placed[eid][0] + shift, placed[eid][1])


def box_reach(size, yaw: float, direction) -> float:
    """How far (m) the ground line from a box's centre along ``direction`` (unit, x and z used) runs inside
    the box of ``size`` (w, h, d) turned by ``yaw``: beside a long thing approached end-on is farther out
    than beside it approached side-on."""
    c, s = math.cos(yaw), math.sin(yaw)
    lx = abs(direction[0] * c - direction[2] * s)
    lz = abs(direction[0] * s + direction[2] * c)
    return min(0.5 * size[0] / max(lx, 1e-9), 0.5 * size[2] / max(lz, 1e-9))

