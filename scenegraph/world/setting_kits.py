"""The kits themselves (see :mod:`scenegraph.world.setting`): one function per kit, ``kit(Kit, road)``."""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from scenegraph.model.payloads import Transform
from scenegraph.model.rotations import quat_from_yaw
from scenegraph.world.stage import yaw_of

__all__ = ["BUILDERS", "KERB_HEIGHT", "SIDEWALK_WIDTH", "wants_parked_cars"]

KERB_HEIGHT = 0.15
ROAD_TOP = 0.01
KERB_WIDTH = 0.15
SIDEWALK_WIDTH = 3.5
POOL = (16.0, 6.0, 16.0)  # a street light is put up where it, or the pool of light under it, is in the picture
_FACADES = [(None, "brick"), ("beige", "concrete"), ("cream", "concrete"), (None, "stone"), ("white", "concrete"),
            ("khaki", "concrete"), ("tan", "stone"), ("ivory", "concrete"), ("light grey", "concrete")]


def _pt(road: Any, along: float, across: float, y: float = 0.0) -> np.ndarray:
    p = np.zeros(3)
    p[road.axis], p[road.across], p[1] = along, across, y
    return p


def _size(road: Any, along: float, across: float, h: float) -> tuple[float, float, float]:
    return (along, h, across) if road.axis == 0 else (across, h, along)


def street(kit: Any, road: Any) -> None:
    """Kerbs and sidewalks either side, a zebra crossing at the action, facades and street lights."""
    if road is None:
        return
    c = kit.action[0]
    mid = float(c[road.axis])
    hw = road.half_width
    length = 160.0
    night = kit.look.lights_on
    stone = kit.material("light grey", "stone")
    paving = kit.material("light grey", "concrete")
    top = ROAD_TOP  # the asphalt sits proud of the ground so its markings show
    rb = np.array(kit.scene.entity("road_1").bounds, np.float64)
    rb[1][1] = top
    kit.scene.update("road_1", bounds=rb, attributes={**kit.scene.entity("road_1").attributes, "top": top})
    for side, name in ((-1, "left"), (1, "right")):
        kerb_c = road.center + side * (hw + KERB_WIDTH / 2)
        kit.add(f"kerb_{name}", "kerb", _pt(road, 0.0, kerb_c), _size(road, length, KERB_WIDTH, KERB_HEIGHT), stone, surface=True)
        walk_c = road.center + side * (hw + KERB_WIDTH + SIDEWALK_WIDTH / 2)
        kit.add(f"sidewalk_{name}", "sidewalk", _pt(road, 0.0, walk_c), _size(road, length, SIDEWALK_WIDTH, KERB_HEIGHT), paving,
                surface=True)
    paint = kit.material("white", "paint")
    kit.add("crossing_1", "crossing", _pt(road, mid, road.center, top), _size(road, 4.0, 2 * hw - 0.7, 0.004), paint,
            surface=True)
    # street lights by the kerb, every 25 m, none within 5 m of the crossing
    light_mat = kit.material("dark grey", "metal")
    for side in (-1, 1):
        across = road.center + side * (hw + KERB_WIDTH + 0.5)
        for k in range(-3, 4):
            along = mid + 12.5 * (1 if side > 0 else -1) + 25.0 * k
            at = _pt(road, along, across)
            size = (0.3, 6.0, 0.3)
            if not kit.seen(at, POOL, margin=1.3):  # the post or its pool of light is in the picture
                continue
            facing = _pt(road, 0.0, -side)  # the arm reaches out over the road
            eid = kit.add(None, "lamp_post", at, size, light_mat, proxy="street light#1", yaw=yaw_of(facing), name=None)
            kit.lamp_light(eid, at + [0.0, 5.45, 0.0] + facing * 0.9, "street")  # just under the lamp head
    # facades beyond the sidewalks
    line = hw + KERB_WIDTH + SIDEWALK_WIDTH
    n = 0
    for side in (-1, 1):
        along = mid - 70.0 + float(kit.rng.uniform(0, 6))
        while along < mid + 70.0:
            width = float(kit.rng.uniform(9.0, 18.0))
            depth = float(kit.rng.uniform(10.0, 14.0))
            height = float(kit.rng.choice([7.0, 10.0, 13.0, 16.0, 19.0, 23.0]))
            at = _pt(road, along + width / 2, road.center + side * (line + depth / 2))
            size = _size(road, width, depth, height)
            if kit.seen(at, size, margin=1.4) and _off_sightline(kit, at, size):
                n += 1
                color, word = _FACADES[int(kit.rng.integers(len(_FACADES)))]
                mat = kit.material(color, word)
                facing = _pt(road, 0.0, -side)
                fsize = (width, height, depth)
                kit.add(f"building_{n}", "building", at, fsize, mat, proxy=f"facade#{2 * n + int(night)}", yaw=yaw_of(facing))
            along += width + float(kit.rng.uniform(0.0, 1.5))
    if wants_parked_cars(kit.scene.prompt):
        _kerbside_cars(kit, road, mid)


_PARKED = re.compile(r"\bparked\b|\bparking\s+(?:cars?|vehicles?|vans?)\b|\bcars?\s+(?:are\s+|were\s+)?(?:parked|parking)\b",
                     re.IGNORECASE)
_CAR_COLOURS = ("silver", "white", "black", "dark grey", "red", "dark blue", "grey", "beige", "dark green", "white")
_CAR = (1.8, 1.5, 4.5)


def wants_parked_cars(prompt: str | None) -> bool:
    """Whether the prompt asks for parked cars ("a street with parked cars", "cars parked along ...").

    >>> wants_parked_cars("A man walks along a street with parked cars"), wants_parked_cars("A car drives by")
    (True, False)
    """
    return bool(prompt) and _PARKED.search(prompt) is not None


def _prompt_cars(kit: Any) -> list[str]:
    """The prompt's own cars that nothing moves or places ("a street with parked cars"): the kit parks them
    first (their layout spots are given up)."""
    from scenegraph.model.catalog import lookup

    out = []
    for eid in kit.free:
        info = lookup(str(kit.scene.entity(eid).cls))
        if info is not None and info.archetype == "car":
            out.append(eid)
            p = kit.scene.entity(eid).transform.translation
            kit.occupied = [(c, h) for c, h in kit.occupied if np.hypot(c[0] - p[0], c[2] - p[2]) > 1e-6]
    kit.free = [e for e in kit.free if e not in out]
    return out


def _counted(kit: Any) -> bool:
    """Whether the prompt gave the number of its still cars ("4 cars are parked ..."): then the kit parks
    only the prompt's own and adds none; "a street with parked cars" leaves the number to the kit."""
    from scenegraph.model.catalog import lookup

    infos = (lookup(str(kit.scene.entity(eid).cls)) for eid in kit.counted)
    return any(info is not None and info.archetype == "car" for info in infos)


def _parked_car(kit: Any, at: np.ndarray, facing: np.ndarray, own: list[str], counted: bool = False) -> str | None:
    """A car parked at ``at`` facing ``facing``: the next of the prompt's own (``own``, popped) or, unless
    the prompt ``counted`` its cars, a kit car."""
    yaw = yaw_of(facing)
    if counted and not own:
        return None
    if not kit.clear(at, _CAR, gap=0.4, yaw=yaw, action_gap=-1e6) or not kit.seen(at, _CAR, yaw, margin=1.3):
        return None
    if own:
        eid = own.pop(0)
        e = kit.scene.entity(eid)
        kit.scene.update(eid, transform=Transform(tuple(float(v) for v in at), quat_from_yaw(yaw), e.transform.scale),
                         attributes={**e.attributes, "parked": True})
    else:
        colour = _CAR_COLOURS[int(kit.rng.integers(len(_CAR_COLOURS)))]
        eid = kit.add(None, "car", at, _CAR, kit.material(colour, "paint"), proxy="car", yaw=yaw, parked=True)
    kit.occupied.append((at.copy(), np.array([2.3, 2.3])))
    return eid


def _kerbside_cars(kit: Any, road: Any, mid: float) -> list[str]:
    """Cars parked nose to tail along both kerbs, in the direction of their side's traffic, leaving the
    crossing clear and a gap here and there (movers' paths are cleared later by ``make_way``)."""
    out = []
    own = _prompt_cars(kit)
    counted = _counted(kit)
    hw = road.half_width
    slots = []
    for side in (-1, 1):
        across = road.center + side * (hw - 1.15)
        facing = _pt(road, float(side), 0.0)
        along = mid - 60.0 + float(kit.rng.uniform(0.0, 3.0))
        while along < mid + 60.0:
            if abs(along - mid) > 5.5 and kit.rng.random() > 0.2:
                slots.append((abs(along - mid), side, along, across, facing))
            along += 6.0 + float(kit.rng.uniform(0.0, 1.5))
    for _, _, along, across, facing in sorted(slots, key=lambda s: (s[0], s[1])):  # the prompt's cars nearest the action
        eid = _parked_car(kit, _pt(road, along, across, ROAD_TOP), facing, own, counted)
        if eid:
            out.append(eid)
    return out


def _off_sightline(kit: Any, at: np.ndarray, size: Any) -> bool:
    """Whether a box stays off the line from the eye to the action's centre and does not hold the eye."""
    eye, c = kit.eye, kit.action[0]
    lo = at - [size[0] / 2, 0.0, size[2] / 2]
    hi = at + [size[0] / 2, 0.0, size[2] / 2]
    for t in np.linspace(0.0, 1.0, 41):
        p = eye + t * (c - eye)
        if lo[0] - 0.3 <= p[0] <= hi[0] + 0.3 and lo[2] - 0.3 <= p[2] <= hi[2] + 0.3:
            return False
    return True


def highway(kit: Any, road: Any) -> None:
    """A four-lane carriageway with guard rails on grass verges."""
    if road is None:
        return
    hw = 7.5
    length = 300.0
    lo, hi = [-length / 2, -0.04, -length / 2], [length / 2, 0.002, length / 2]
    lo[road.across], hi[road.across] = road.center - hw, road.center + hw
    kit.scene.update("road_1", bounds=(lo, hi), proxy="highway", attributes={**kit.scene.entity("road_1").attributes, "kit": kit.kit,
                                                                              "surface": True, "top": 0.002})
    steel = kit.material("grey", "steel")
    for side, name in ((-1, "left"), (1, "right")):
        kit.add(f"barrier_{name}", "barrier", _pt(road, 0.0, road.center + side * (hw + 0.6)), _size(road, length, 0.3, 0.8), steel, proxy="barrier")
    night = kit.look.lights_on
    mat = kit.material("grey", "metal")
    for k in range(-4, 5):
        at = _pt(road, kit.action[0][road.axis] + 40.0 * k + 20.0, road.center - hw - 1.5)
        if kit.seen(at, POOL, margin=1.3):
            facing = _pt(road, 0.0, 1.0)
            eid = kit.add(None, "lamp_post", at, (0.3, 9.0, 0.3), mat, proxy="street light#1", yaw=yaw_of(facing))
            if night:
                kit.lamp_light(eid, at + [0.0, 8.5, 0.0] + facing * 1.0, "street")
    _trees(kit, 10, 25.0, 70.0)


def _tree(kit: Any, at: np.ndarray, i: int, conifer: float = 0.2) -> None:
    pine = kit.rng.random() < conifer
    h = float(kit.rng.uniform(5.0, 9.0)) if not pine else float(kit.rng.uniform(7.0, 12.0))
    w = h * (0.6 if not pine else 0.4)
    mat = kit.material(("dark green" if pine else "green"), "leaf")
    kit.add(None, "tree", at, (w, h, w), mat, proxy=f"{'pine' if pine else 'tree'}#{1 + int(kit.rng.integers(1000))}",
            yaw=float(kit.rng.uniform(0, 2 * math.pi)))


def _trees(kit: Any, n: int, r0: float, r1: float, conifer: float = 0.2) -> int:
    return kit.scatter(n, lambda at, i: _tree(kit, at, i, conifer), r0, r1, size=(4.0, 7.0, 4.0), margin=1.2)


def _reach(kit: Any) -> float:
    return float(max(kit.action[1])) + 2.0


def park(kit: Any, road: Any) -> None:
    """A gravel path past the action, trees around it, benches by the path, bushes and two lamps."""
    c = kit.action[0]
    gravel = kit.material("tan", "stone")
    z = float(c[2] + kit.action[1][1] + 1.8)
    kit.add("path_1", "path", np.array([c[0], 0.0, z]), (120.0, 0.03, 2.5), gravel, surface=True)
    wood = kit.material("brown", "wood")
    for k, dx in enumerate((-6.5, 6.5), 1):
        at = np.array([c[0] + dx + float(kit.rng.uniform(-1, 1)), 0.0, z + 2.0])
        if kit.clear(at, (1.8, 0.85, 0.6), gap=0.3):
            kit.add(None, "bench", at, (1.8, 0.85, 0.6), wood, yaw=math.pi)
            kit.occupy(at, (1.8, 0.85, 0.6))
    _trees(kit, 10, _reach(kit) + 2.0, 30.0)
    leaf = kit.material("green", "leaf")
    kit.scatter(5, lambda at, i: kit.add(None, "bush", at, (1.6, 1.1, 1.4), leaf, proxy=f"bush#{i + 1}"), _reach(kit) + 1.0, 18.0,
                size=(1.6, 1.1, 1.4))
    metal = kit.material("black", "metal")
    for dx in (-12.0, 12.0):
        at = np.array([c[0] + dx, 0.0, z - 1.7])
        if kit.clear(at, (0.3, 4.0, 0.3), gap=0.2):
            eid = kit.add(None, "lamp_post", at, (0.3, 4.0, 0.3), metal, proxy="lamp post#2")
            kit.lamp_light(eid, at + [0.0, 3.7, 0.0], "street")


def _water(kit: Any, eid: str, cls: str, depth: float, width: float, gap: float, color: str) -> np.ndarray:
    """A water surface behind the action (seen from the camera), its near shore ``gap`` m past the action."""
    c = kit.action[0]
    away = c - kit.eye
    away[1] = 0.0
    away = away / max(float(np.linalg.norm(away)), 1e-9)
    shore = c + away * (_reach(kit) + gap)
    at = shore + away * depth / 2
    at[1] = 0.0
    kit.add(eid, cls, at, (width, 0.03, depth), kit.material(color, "water"), proxy="water", yaw=yaw_of(away), surface=True)
    kit.stage.water = (shore * [1.0, 0.0, 1.0], away)  # where 'walks to the lake' ends (Stage.place "water")
    return away


def beach(kit: Any, road: Any) -> None:
    """Sand (the ground), the sea from a shoreline behind the action to the horizon, palms, a parasol."""
    away = _water(kit, "sea_1", "water", 300.0, 600.0, 3.0, "blue")
    leaf = kit.material("green", "leaf")
    kit.scatter(3, lambda at, i: kit.add(None, "tree", at, (4.0, 8.0, 4.0), leaf, proxy=f"palm#{i + 1}"), _reach(kit) + 2.0, 20.0,
                size=(4.0, 8.0, 4.0))
    side = np.cross(away, [0.0, 1.0, 0.0])
    at = kit.action[0] + side * (_reach(kit) + 2.0)
    at[1] = 0.0
    if kit.clear(at, (2.0, 2.2, 2.0), gap=0.3):
        kit.add(None, "umbrella", at, (2.0, 2.2, 2.0), kit.material("red", "fabric"))


def lake(kit: Any, road: Any) -> None:
    """Grass, a lake behind the action, trees on its far shore and around, rocks at the water's edge."""
    away = _water(kit, "lake_1", "water", 45.0, 70.0, 4.0, "dark blue")
    c = kit.action[0]
    far = c + away * (_reach(kit) + 4.0 + 48.0)
    side = np.cross(away, [0.0, 1.0, 0.0])
    for k in range(9):
        at = far + side * (k - 4) * 8.0 + away * float(kit.rng.uniform(0, 6))
        at[1] = 0.0
        if kit.seen(at, (5.0, 8.0, 5.0), margin=1.3):
            _tree(kit, at, k, conifer=0.5)
    _trees(kit, 4, _reach(kit) + 2.0, 18.0)
    stone = kit.material("grey", "stone")
    for k in range(3):
        at = c + away * (_reach(kit) + 3.2) + side * float(kit.rng.uniform(-8, 8))
        at[1] = 0.0
        if kit.clear(at, (1.0, 0.6, 0.9), gap=0.3):
            kit.add(None, "rock", at, (1.0, 0.6, 0.9), stone, proxy=f"rock#{k + 1}")


def field(kit: Any, road: Any) -> None:
    """Open grass, a fence behind the action and a tree line in the distance."""
    c = kit.action[0]
    away = c - kit.eye
    away[1] = 0.0
    away /= max(float(np.linalg.norm(away)), 1e-9)
    at = c + away * (_reach(kit) + 8.0)
    at[1] = 0.0
    kit.add("fence_1", "fence", at, (60.0, 1.2, 0.15), kit.material("brown", "wood"), proxy="building/fence", yaw=yaw_of(away))
    side = np.cross(away, [0.0, 1.0, 0.0])
    for k in range(12):
        p = c + away * (_reach(kit) + 45.0 + float(kit.rng.uniform(0, 10))) + side * (k - 6) * 9.0
        p[1] = 0.0
        if kit.seen(p, (6.0, 9.0, 6.0), margin=1.3):
            _tree(kit, p, k, conifer=0.1)


def forest(kit: Any, road: Any) -> None:
    """Trees all round (conifers and broadleaves), bushes and rocks on a dirt floor."""
    _trees(kit, 24, _reach(kit) + 1.5, 30.0, conifer=0.55)
    leaf = kit.material("dark green", "leaf")
    kit.scatter(6, lambda at, i: kit.add(None, "bush", at, (1.4, 1.0, 1.2), leaf, proxy=f"bush#{i + 1}"), _reach(kit) + 0.8, 14.0,
                size=(1.4, 1.0, 1.2))
    stone = kit.material("grey", "stone")
    kit.scatter(4, lambda at, i: kit.add(None, "rock", at, (1.0, 0.6, 0.9), stone, proxy=f"rock#{i + 1}"), _reach(kit) + 0.8, 14.0,
                size=(1.0, 0.6, 0.9))


def desert(kit: Any, road: Any) -> None:
    """Sand, dunes on the horizon, rocks and cacti."""
    sand = kit.material(None, "sand")
    kit.scatter(6, lambda at, i: kit.add(None, "dune", at, (float(kit.rng.uniform(20, 40)), float(kit.rng.uniform(2, 5)),
                                                              float(kit.rng.uniform(12, 25))), sand, proxy=f"dune#{i + 1}",
                                         yaw=float(kit.rng.uniform(0, math.pi))), 35.0, 90.0, size=(30.0, 4.0, 20.0), margin=1.2)
    green = kit.material("green", "leaf")
    kit.scatter(5, lambda at, i: kit.add(None, "cactus", at, (0.8, 2.2, 0.8), green, proxy=f"plant/cactus#{i + 1}"), _reach(kit) + 1.5, 20.0,
                size=(0.8, 2.2, 0.8))
    stone = kit.material("tan", "stone")
    kit.scatter(4, lambda at, i: kit.add(None, "rock", at, (1.4, 0.8, 1.2), stone, proxy=f"rock#{i + 1}"), _reach(kit) + 1.0, 18.0,
                size=(1.4, 0.8, 1.2))


def parking_lot(kit: Any, road: Any) -> None:
    """Asphalt with two rows of marked bays behind the action, and lamp posts."""
    c = kit.action[0]
    at = np.array([c[0], 0.0, c[2] - kit.action[1][1] - 8.0])
    kit.add("parking_lines_1", "parking_lines", at + [0.0, 0.001, 0.0], (40.0, 0.004, 14.0), kit.material("white", "paint"),
            surface=True)
    metal = kit.material("grey", "metal")
    for dx in (-18.0, 0.0, 18.0):
        p = at + [dx, 0.0, -8.0]
        if kit.clear(p, (0.3, 7.0, 0.3), gap=0.2) and kit.seen(p, POOL, margin=1.3):
            eid = kit.add(None, "lamp_post", p, (0.3, 7.0, 0.3), metal, proxy="street light#1")
            kit.lamp_light(eid, p + [0.0, 6.6, 0.9], "street")
    if wants_parked_cars(kit.scene.prompt):  # cars in about half the bays of both rows, noses in
        own = _prompt_cars(kit)
        counted = _counted(kit)
        for row in (-1, 1):  # the bays of kit_shapes.parking_lines: 2.5 m wide, 5 m deep, an aisle of 4 m between
            for dx in np.arange(-20.0 + 1.0 + 1.31, 19.0, 2.5):
                if kit.rng.random() < 0.55:
                    _parked_car(kit, at + [dx, 0.001, row * 4.5], np.array([0.0, 0.0, float(row)]), own, counted)


def _rooms() -> dict:
    from scenegraph.world.setting_rooms import ROOM_KITS

    return ROOM_KITS


BUILDERS = {"street": street, "highway": highway, "park": park, "beach": beach, "lake": lake, "field": field,
            "forest": forest, "desert": desert, "parking_lot": parking_lot, **_rooms()}
