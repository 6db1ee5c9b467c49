"""Indoor kits (see :mod:`scenegraph.world.setting`): a room around the action and the camera.

The room's floor is the scene's ground (its material from the kit); four
walls 0.15 m thick stand round the things in it with 1.2 m to spare and the
t = 0 camera inside (at most 16 m a side: a camera farther away looks in
through the missing fourth wall); the back wall has two windows, a side wall
the door.  A ceiling (none when the camera is above 3.6 m) carries a lamp per 5 m of room each way;
the kitchen gets a counter run and a fridge along the back wall, the office a
bookshelf, the living room and bedroom a floor lamp.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["ROOM_KITS", "WALL_THICKNESS"]

WALL_THICKNESS = 0.15
_MAX_SIDE = 16.0
_LAMP_SPACING = 5.0  # metres of room per ceiling lamp, along each side (at most 3 x 3 lamps)


def _extent(kit: Any) -> tuple[np.ndarray, np.ndarray]:
    """The room's inner (min x, min z) and (max x, max z)."""
    c, h = kit.action
    lo = np.array([c[0] - h[0], c[2] - h[1]]) - 1.2
    hi = np.array([c[0] + h[0], c[2] + h[1]]) + 1.2
    for oc, oh in kit.occupied:
        lo = np.minimum(lo, [oc[0] - oh[0] - 1.2, oc[2] - oh[1] - 1.2])
        hi = np.maximum(hi, [oc[0] + oh[0] + 1.2, oc[2] + oh[1] + 1.2])
    eye = kit.eye[[0, 2]]
    lo = np.minimum(lo, eye - 0.6)
    hi = np.maximum(hi, eye + 0.6)
    for a in range(2):  # at least 4 m, at most _MAX_SIDE, about the action
        mid = 0.5 * (lo[a] + hi[a])
        half = float(np.clip(0.5 * (hi[a] - lo[a]), 2.0, _MAX_SIDE / 2))
        if hi[a] - lo[a] > _MAX_SIDE:  # keep the action's side, let the camera's go
            ca = c[0] if a == 0 else c[2]
            mid = float(np.clip(mid, ca - half + 1.5, ca + half - 1.5))
        lo[a], hi[a] = mid - half, mid + half
    return lo, hi


def room(kit: Any, road: Any) -> None:
    lo, hi = _extent(kit)
    eye = kit.eye
    height = float(np.clip(eye[1] + 0.6, 2.7, 4.0))
    center = np.array([(lo[0] + hi[0]) / 2, 0.0, (lo[1] + hi[1]) / 2])
    w, d = float(hi[0] - lo[0]), float(hi[1] - lo[1])
    t = WALL_THICKNESS
    plaster = kit.material("cream" if kit.kit != "office" else "white", "paint")
    rel = eye[[0, 2]] - center[[0, 2]]
    # the back wall faces the camera; the door goes on the side wall to the camera's left
    back = ("south" if rel[1] < 0 else "north") if abs(rel[1]) * w >= abs(rel[0]) * d else ("west" if rel[0] < 0 else "east")
    opposite = {"north": "south", "south": "north", "east": "west", "west": "east"}
    side_door = {"north": "west", "south": "east", "east": "north", "west": "south"}[back]
    walls = {"north": (np.array([center[0], 0.0, lo[1] - t / 2]), (w + 2 * t, height, t)),
             "south": (np.array([center[0], 0.0, hi[1] + t / 2]), (w + 2 * t, height, t)),
             "west": (np.array([lo[0] - t / 2, 0.0, center[2]]), (t, height, d)),
             "east": (np.array([hi[0] + t / 2, 0.0, center[2]]), (t, height, d))}
    for k, (name, (at, size)) in enumerate(sorted(walls.items()), 1):
        inside = lo[0] - 0.01 <= eye[0] <= hi[0] + 0.01 and lo[1] - 0.01 <= eye[2] <= hi[1] + 0.01
        if name == opposite[back] and not inside:
            continue  # the camera looks in from outside: no fourth wall
        variant = 2 if name == back else (1 if name == side_door else (3 if name == opposite[side_door] else 0))
        wid = kit.add(f"wall_{name}", "wall", at, size, plaster, proxy=f"room_wall#{variant}", side=name)
        _window_lights(kit, wid, at, size, variant, center)
    if eye[1] < 3.6:
        kit.add("ceiling_1", "ceiling", center + [0.0, height, 0.0], (w + 2 * t, 0.1, d + 2 * t), kit.material("white", "paint"),
                proxy="ceiling")
        lamp = kit.material("white", "metal")
        nx, nz = (int(np.clip(math.ceil(v / _LAMP_SPACING), 1, 3)) for v in (w, d))  # a lamp per cell of a big room
        k = 0
        for i in range(nx):
            for j in range(nz):
                k += 1
                at = center + [((i + 0.5) / nx - 0.5) * w, height - 0.6, ((j + 0.5) / nz - 0.5) * d]
                eid = kit.add(f"ceiling_lamp_{k}", "lamp", at, (0.5, 0.6, 0.5), lamp, proxy="ceiling_lamp")
                kit.lamp_light(eid, at + [0.0, -0.1, 0.0], "room")  # under the shade, not inside it
    _furnish_room(kit, back, walls[back][0], lo, hi)


def _window_lights(kit: Any, wid: str | None, at: np.ndarray, size: Any, variant: int, center: np.ndarray) -> None:
    """Daylight through the windows of a wall (kit_shapes.room_wall: variant 2 has two at a quarter of its
    length either side of the middle, variant 3 one at +a quarter; panes 0.9 m up to 2.2 m): a wide spot
    0.3 m inside each, aimed into the room and 35 degrees down."""
    windows = {2: (-0.5, 0.5), 3: (0.5,)}.get(variant, ())
    along_x = size[0] >= size[2]
    half = 0.5 * float(size[0] if along_x else size[2])
    inward = center - at
    inward = np.array([0.0, 0.0, math.copysign(1.0, inward[2])]) if along_x else np.array([math.copysign(1.0, inward[0]), 0.0, 0.0])
    top = min(2.2, float(size[1]) - 0.2)
    for f in windows:
        p = np.array(at, np.float64) + inward * (0.5 * WALL_THICKNESS + 0.3)
        p[0 if along_x else 2] += f * half
        p[1] = 0.5 * (0.9 + top) + 0.3
        kit.lamp_light(wid, p, "window", aim=inward - [0.0, math.tan(math.radians(35.0)), 0.0])


def _furnish_room(kit: Any, back: str, wall_at: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    inward = {"north": (0.0, 1.0), "south": (0.0, -1.0), "west": (1.0, 0.0), "east": (-1.0, 0.0)}[back]
    n = np.array([inward[0], 0.0, inward[1]])
    along = np.array([abs(inward[1]), 0.0, abs(inward[0])])
    span = float((hi - lo)[0] if back in ("north", "south") else (hi - lo)[1])
    yaw = math.atan2(n[0], n[2])
    base = wall_at + n * (WALL_THICKNESS / 2)
    if kit.kit == "kitchen":
        length = min(0.6 * span, 4.2)
        at = base + n * 0.3 - along * (span / 2 - length / 2 - 0.05)
        at[1] = 0.0
        if kit.clear(at, (length, 0.92, 0.6), gap=0.1, yaw=yaw, action_gap=-50.0):
            kit.add("counter_1", "counter", at, (length, 0.92, 0.6), kit.material("white", "paint"), proxy="counter", yaw=yaw)
            f = at + along * (length / 2 + 0.45)
            if kit.clear(f, (0.7, 1.8, 0.7), gap=0.05, yaw=yaw, action_gap=-50.0):
                kit.add("fridge_1", "fridge", f + n * 0.05, (0.7, 1.8, 0.7), kit.material("white", "metal"), yaw=yaw)
    elif kit.kit == "office":
        at = base + n * 0.2 + along * (span / 2 - 0.7)
        at[1] = 0.0
        if kit.clear(at, (1.0, 1.9, 0.35), gap=0.1, yaw=yaw, action_gap=-50.0):
            kit.add("shelf_1", "shelf", at, (1.0, 1.9, 0.35), kit.material("brown", "wood"), proxy="bookshelf#1", yaw=yaw)
    else:
        at = base + n * 0.35 - along * (span / 2 - 0.4)
        at[1] = 0.0
        if kit.clear(at, (0.4, 1.6, 0.4), gap=0.1, action_gap=-50.0):
            eid = kit.add("floor_lamp_1", "lamp", at, (0.4, 1.6, 0.4), kit.material("white", "fabric"), proxy="floor lamp#1")
            kit.lamp_light(eid, at + [0.0, 1.3, 0.0], "room")  # under the shade


ROOM_KITS = {"kitchen": room, "living_room": room, "bedroom": room, "office": room}
