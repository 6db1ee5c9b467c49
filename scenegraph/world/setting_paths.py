"""After motion is planned: the kit makes way for it (see :mod:`scenegraph.world.setting`).

A vehicle that leaves the road (a car turning in from the side) gets a side
street: the kerb and sidewalk on that side open where it crosses them, a
road runs out from the junction, and the facades and street lights standing
in its way go.  Any other kit obstacle (a tree, a bench, a lamp post) that a
mover's path runs through is taken away, with its light.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenegraph.model.payloads import Entity, Transform

__all__ = ["make_way"]

_SIDE_HALF = 3.5  # half width of a side street (m)


def _path_points(actor: Any, step: float = 0.5) -> np.ndarray:
    pts = np.array([k[1] for k in actor.keys], np.float64)
    out = [pts[:1]]
    for a, b in zip(pts, pts[1:]):
        n = max(1, int(np.linalg.norm(b - a) / step))
        out.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.concatenate(out)


def _footprint(e: Any) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned world (x, z) box of an entity's bounds (turned by its yaw)."""
    lo, hi = np.asarray(e.bounds, np.float64)
    corners = np.array([[x, 0.0, z] for x in (lo[0], hi[0]) for z in (lo[2], hi[2])])
    m = e.transform.matrix()
    w = corners @ m[:3, :3].T + m[:3, 3]
    return w[:, [0, 2]].min(axis=0), w[:, [0, 2]].max(axis=0)


def _drop(scene: Any, eid: str) -> None:
    for light in [e.id for e in scene.entities("light") if e.attributes.get("lamp") == eid]:
        scene.remove(light)
    scene.remove(eid)


def make_way(scene: Any, road: Any, actors: dict) -> list[str]:
    """Open side streets for vehicles that leave the road and clear kit obstacles off every mover's path.

    Returns the ids removed.  ``actors`` maps entity ids to their planned :class:`Actor`.
    """
    removed: list[str] = []
    kit_things = [e for e in scene.entities("object") if e.attributes.get("kit") and not e.attributes.get("surface")
                  and e.cls not in ("sky", "wall", "ceiling")]
    paths = {eid: _path_points(a) for eid, a in actors.items() if a.moved and len(a.keys) > 1}
    if road is not None and "road_1" in scene:
        hw = float(np.asarray(scene.entity("road_1").bounds)[1][road.across]) - road.center
        for eid, pts in paths.items():
            info = actors[eid].info
            if info is None or info.kind != "vehicle":
                continue
            off = pts[:, road.across] - road.center
            for side in (-1, 1):
                out = pts[side * off > hw + 0.3]
                if len(out) >= 2:
                    removed += _side_street(scene, road, side, float(np.median(out[:, road.axis])), hw)
    for e in kit_things:
        if e.id not in scene:
            continue
        lo, hi = _footprint(e)
        for pts in paths.values():
            xz = pts[:, [0, 2]]
            if np.any(np.all((xz >= lo - 0.3) & (xz <= hi + 0.3), axis=1)):
                _drop(scene, e.id)
                removed.append(e.id)
                break
    return removed


def _side_street(scene: Any, road: Any, side: int, along: float, hw: float) -> list[str]:
    """A side street on ``side`` of the road centred ``along`` it: split kerb and sidewalk, a road out, clear buildings."""
    name = "left" if side < 0 else "right"
    removed = []
    a0, a1 = along - _SIDE_HALF, along + _SIDE_HALF
    for base in (f"kerb_{name}", f"sidewalk_{name}"):
        if base not in scene:
            continue
        e = scene.entity(base)
        lo, hi = np.asarray(e.bounds, np.float64)
        t = np.asarray(e.transform.translation, np.float64)
        start, end = t[road.axis] + lo[road.axis], t[road.axis] + hi[road.axis]
        mat = scene.material_of(base)
        pieces = [(start, a0), (a1, end)]
        scene.remove(base)
        for k, (p0, p1) in enumerate(pieces):
            if p1 - p0 < 0.05:
                continue
            nlo, nhi = lo.copy(), hi.copy()
            nlo[road.axis], nhi[road.axis] = -(p1 - p0) / 2, (p1 - p0) / 2
            nt = t.copy()
            nt[road.axis] = (p0 + p1) / 2
            scene.add_entity(Entity(base if k == 0 else f"{base}_2", name=(base if k == 0 else f"{base}_2").replace("_", " "),
                                    cls=e.cls, proxy=e.proxy, bounds=(nlo, nhi), transform=Transform(nt, e.transform.rotation),
                                    attributes=dict(e.attributes)), material=mat.id if mat else None)
    rid = "road_2"
    k = 2
    while rid in scene:
        k += 1
        rid = f"road_{k}"
    length = 80.0
    main = scene.entity("road_1")
    top = float(np.asarray(main.bounds)[1][1])
    lo, hi = np.zeros(3), np.zeros(3)
    lo[1], hi[1] = -0.04, top
    lo[road.axis], hi[road.axis] = -_SIDE_HALF, _SIDE_HALF
    lo[road.across], hi[road.across] = -length / 2, length / 2
    at = np.zeros(3)
    at[road.axis] = along
    at[road.across] = road.center + side * (hw + length / 2)
    mat = scene.material_of("road_1")
    scene.add_entity(Entity(rid, name=rid.replace("_", " "), cls="road", bounds=(lo, hi), transform=Transform(at),
                            attributes={**main.attributes, "axis": "x" if road.across == 0 else "z", "side_street": True}),
                     material=mat.id if mat else None)
    for e in list(scene.entities("object")):
        if e.attributes.get("kit") and e.cls in ("building", "lamp_post") and e.id in scene:
            blo, bhi = _footprint(e)
            lo_a, hi_a = blo[0 if road.axis == 0 else 1], bhi[0 if road.axis == 0 else 1]
            lo_c, hi_c = blo[0 if road.across == 0 else 1], bhi[0 if road.across == 0 else 1]
            beyond = (lo_c - road.center) * side > 0 or (hi_c - road.center) * side > 0
            if beyond and hi_a > a0 - 0.5 and lo_a < a1 + 0.5:
                _drop(scene, e.id)
                removed.append(e.id)
    return removed
