"""Head- and tail lights of vehicles as real lights, on when the scene's lights are (dusk, night, indoors off).

:func:`add_vehicle_lights` gives every motor vehicle of the prompt (car, van,
truck, bus, motorbike, tram/train; not the kit's parked cars) two
``spot`` headlights and two red ``spot`` tail lights as light entities
*parented to the vehicle*, so they ride along in every exporter
(KHR_lights_punctual nodes under the vehicle's node, UsdLux lights under its
prim) and in the built-in render.  Positions come from the vehicle's bounds
in its own frame (+Z forward, origin at the wheels' contact); a headlight
points forward and 5 degrees down (a dipped beam), a tail light backwards.

Intensities are photometric (KHR_lights_punctual: candela): a dipped
headlight is a few thousand candela near its axis, a tail light a few
tens, both times :data:`~scenegraph.world.sky.KEY_SCALE` for the night's
exposure key (so stock Blender at exposure 0 shows the beams).

>>> from scenegraph.model import Entity, Scene
>>> s = Scene()
>>> _ = s.add_entity(Entity("car_1", cls="car", bounds=((-0.9, 0.0, -2.2), (0.9, 1.5, 2.2))))
>>> ids = add_vehicle_lights(s)
>>> ids, [s.parent_of(i).id for i in ids] == ["car_1"] * 4
(['car_1_headlight_L', 'car_1_headlight_R', 'car_1_taillight_L', 'car_1_taillight_R'], True)
>>> s.entity(ids[0]).light.type, s.entity(ids[0]).light.intensity
('spot', 40000.0)
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from scenegraph.model.catalog import lookup
from scenegraph.model.payloads import Entity, LightParams, Transform
from scenegraph.world.sky import KEY_SCALE

__all__ = ["add_vehicle_lights", "LIGHTED", "HEADLIGHT_CD", "TAILLIGHT_CD"]

#: archetypes that drive with lights on at night
LIGHTED = ("car", "truck", "bus", "motorbike", "train")
HEADLIGHT_CD = 4000.0 * KEY_SCALE  # a photometer's few thousand cd, for the night's exposure key (world.sky)
TAILLIGHT_CD = 40.0 * KEY_SCALE
_DIP = math.radians(5.0)


def _archetype(entity: Any) -> str | None:
    info = lookup(str(entity.cls))
    return getattr(info, "archetype", None) if info is not None else None


def _quat_x(angle: float) -> np.ndarray:
    return np.array([math.sin(angle / 2), 0.0, 0.0, math.cos(angle / 2)])


def add_vehicle_lights(scene: Any) -> list[str]:
    """Add head- and tail lights to the scene's motor vehicles (not kit pieces); returns the new ids."""
    ids: list[str] = []
    for e in list(scene.entities("object")):
        arche = _archetype(e)
        if arche not in LIGHTED or e.attributes.get("kit"):
            continue
        (x0, y0, z0), (x1, y1, z1) = np.asarray(e.bounds, np.float64).tolist()
        w, h = x1 - x0, y1 - y0
        xc = 0.5 * (x0 + x1)
        y = y0 + (0.32 if arche in ("car", "motorbike") else 0.2) * h
        sides = (("L", 0.0),) if arche == "motorbike" else (("L", 0.36 * w), ("R", -0.36 * w))
        # local -Z is where a spot shines: turn it round to +Z (forward) and dip it; tail lights look back
        head_rot = np.array([0.0, 1.0, 0.0, 0.0])  # 180 degrees about Y
        head_rot = _mul(head_rot, _quat_x(-_DIP))
        tail_rot = _quat_x(-_DIP)
        for role, z, rot, lp in (
            ("headlight", z1 + 0.05, head_rot, LightParams("spot", color=(1.0, 0.95, 0.85), intensity=HEADLIGHT_CD,
                                                            range=60.0, inner_cone_angle=0.18, outer_cone_angle=0.5)),
            ("taillight", z0 - 0.05, tail_rot, LightParams("spot", color=(1.0, 0.06, 0.03), intensity=TAILLIGHT_CD,
                                                            range=8.0, inner_cone_angle=0.6, outer_cone_angle=1.3)),
        ):
            for side, x in sides:
                lid = _free(scene, f"{e.id}_{role}_{side}")
                scene.add_entity(Entity(lid, name=f"{e.name or e.id} {role} {side}", kind="light", cls="light", light=lp,
                                        transform=Transform((xc + x, y, z), tuple(float(v) for v in rot)),
                                        attributes={"vehicle_light": role}), parent=e.id)
                ids.append(lid)
    return ids


def _free(scene: Any, base: str) -> str:
    lid, k = base, 1
    while lid in scene:
        k += 1
        lid = f"{base}{k}"
    return lid


def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])
