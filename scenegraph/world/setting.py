"""Settings as kits: the prompt's setting word brings the place around the action, as entities.

``street`` gives kerbs and 15 cm sidewalks either side of the road (whose
proxy carries the lane markings), a zebra crossing, rows of building
facades with windows and street lights; ``park`` trees, paths, benches and
bushes; ``kitchen`` / ``living room`` / ``bedroom`` / ``office`` a floor, four
walls with a door and windows, a ceiling and lamps; ``beach`` / ``lake`` sand
or grass and a water surface; ``field``, ``forest``, ``desert``,
``parking lot``, ``highway`` theirs.  Every piece is an ordinary object
entity (``kerb_left``, ``building_3``, ``tree_2`` ...) with
``attributes["kit"]`` naming the kit, ``attributes["static"] = True`` and,
for the walkable ones, ``attributes["surface"] = True`` and their top height
``attributes["top"]`` (see :func:`surface_top`), so layout, motion and
exporters treat them like any other entity.  The kit is sized to what the
t = 0 camera sees, keeps clear of the action and of the line of sight to it.
An unknown setting word gets a plain ground and a warning naming it.

The sky and sun (:mod:`scenegraph.world.sky`) are written to
``scene.metadata["environment"]``; at dusk and night street lights and lamps
get lights of their own.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from scenegraph.model.materials import material_for
from scenegraph.model.payloads import Entity, LightParams, Material, Transform
from scenegraph.model.rotations import quat_from_axis_angle, quat_from_yaw, quat_multiply
from scenegraph.world.sky import INDOOR_KEY_LUX, KEY_SCALE, SkyLook, gradient_png, sky_for
from scenegraph.world.vehicle_lights import add_vehicle_lights

__all__ = ["KITS", "kit_for", "ground_word", "furnish", "surface_top", "SKY_RADIUS", "Kit"]

SKY_RADIUS = 450.0
#: kit -> the words that name it
KITS: dict[str, tuple[str, ...]] = {
    "street": ("street", "road", "avenue", "crossroads", "intersection", "town", "city", "downtown", "sidewalk",
               "pavement", "alley", "boulevard", "crossing", "square", "village"),
    "highway": ("highway", "motorway", "freeway", "expressway", "interstate"),
    "park": ("park", "garden", "playground", "yard", "lawn", "backyard", "courtyard"),
    "kitchen": ("kitchen",),
    "living_room": ("living room", "lounge", "sitting room", "room", "apartment", "flat", "house", "home", "hall",
                    "table", "indoors", "inside"),
    "bedroom": ("bedroom", "nursery", "dorm"),
    "office": ("office", "study", "classroom", "studio", "library", "workshop"),
    "beach": ("beach", "coast", "seaside", "shore", "sea", "ocean", "seashore"),
    "lake": ("lake", "pond", "river", "riverbank", "lakeside", "canal"),
    "field": ("field", "meadow", "farm", "countryside", "pasture", "pitch", "grassland", "prairie", "hill"),
    "forest": ("forest", "woods", "wood", "woodland", "jungle", "clearing"),
    "desert": ("desert", "dunes", "dune", "savanna", "canyon"),
    "parking_lot": ("parking lot", "car park", "parking", "parking garage", "garage"),
}
_WORD_KIT = {w: k for k, words in KITS.items() for w in words}
_GROUND = {"street": "concrete", "highway": "grass", "park": "grass", "kitchen": "tile", "living_room": "wood",
           "bedroom": "wood", "office": "carpet", "beach": "sand", "lake": "grass", "field": "grass", "forest": "dirt",
           "desert": "sand", "parking_lot": "asphalt"}
ROOMS = ("kitchen", "living_room", "bedroom", "office")
#: kit pieces left out when the prompt names their kind (by class or name): the prompt's own are the ones
FURNISHINGS = frozenset(("tree", "bench", "bush", "rock", "cactus", "umbrella", "lamp_post", "floor_lamp", "shelf",
                         "counter", "fridge", "dune"))


def kit_for(word: str | None) -> str | None:
    """The kit a setting word names (``"living room"`` -> ``living_room``, ``"woods"`` -> ``forest``), or None."""
    if not word:
        return None
    w = " ".join(re.findall(r"[a-z]+", word.lower()))
    if w in _WORD_KIT:
        return _WORD_KIT[w]
    if w.endswith("s") and w[:-1] in _WORD_KIT:
        return _WORD_KIT[w[:-1]]
    last = w.rsplit(" ", 1)[-1]
    return _WORD_KIT.get(last) or _WORD_KIT.get(last.rstrip("s"))


def ground_word(kit: str | None) -> str | None:
    """The ground material word of a kit (None: the builder's default)."""
    return _GROUND.get(kit or "")


def surface_top(scene: Any, x: float, z: float) -> float:
    """The height (m) of the walkable kit surface under (x, z): a sidewalk's 0.15 m, 0 on the ground.

    Uses the entities marked ``attributes["surface"]`` (axis-aligned or turned by their yaw)."""
    best = 0.0
    for e in scene.entities("object"):
        if not e.attributes.get("surface"):
            continue
        lo, hi = np.asarray(e.bounds, np.float64)
        m = e.transform.matrix() if hasattr(e.transform, "matrix") else None
        p = np.array([x, 0.0, z])
        if m is not None:
            p = np.linalg.inv(m) @ np.append(p, 1.0)
        if lo[0] <= p[0] <= hi[0] and lo[2] <= p[2] <= hi[2]:
            best = max(best, float(e.attributes.get("top", hi[1])))
    return best


class Kit:
    """One kit being laid out: adds entities, checks view, clearance and line of sight."""

    def __init__(self, scene: Any, stage: Any, kit: str, seed: int, occupied: list, look: SkyLook) -> None:
        self.scene, self.stage, self.kit, self.look = scene, stage, kit, look
        self.rng = np.random.default_rng([int(seed), 4242])
        self.occupied = [(np.asarray(c, np.float64), np.asarray(h, np.float64)) for c, h in occupied]
        self.counts: dict[str, int] = {}
        # what the prompt names itself, by kind: how many of the kit's own furnishings of that kind it takes the place of
        self.named: dict[str, float] = {}
        self.lamps: list[tuple] = []  # (entity id, light position, kind: street | room | window, aim or None)
        self.free: list[str] = []  # the prompt's things no action or relation names
        self.counted: list[str] = []  # the prompt's still things whose number it gave: no more of their kind
        c = np.asarray(stage.center, np.float64)
        self.action = (c, np.asarray(stage.half, np.float64))  # (centre (3,), half (x, z))
        self.eye = np.asarray(stage.eye if stage.eye is not None else c + [0.0, 2.0, 10.0], np.float64)

    # -- adding ---------------------------------------------------------------
    def next_id(self, base: str) -> str:
        self.counts[base] = self.counts.get(base, 0) + 1
        eid = f"{base}_{self.counts[base]}"
        while eid in self.scene:
            self.counts[base] += 1
            eid = f"{base}_{self.counts[base]}"
        return eid

    def material(self, color: str | None, word: str) -> str:
        mat = material_for(color, word)
        if mat.id not in self.scene:
            self.scene.add_material(mat)
        return mat.id

    def add(self, eid: str | None, cls: str, at: Any, size: Any, mat: str, *, proxy: str | None = None, yaw: float = 0.0,
            surface: bool = False, name: str | None = None, **attrs: Any) -> str | None:
        """A kit entity of ``size`` (w, h, d) standing at ``at`` (its bottom centre), turned ``yaw`` about +Y.

        None (nothing added) for a furnishing (:data:`FURNISHINGS`) of a kind the prompt names itself."""
        base = eid.rsplit("_", 1)[0] if eid else cls
        kind = base if base in self.named else cls
        if base in FURNISHINGS and self.named.get(kind, 0) > 0:
            self.named[kind] -= 1  # (inf stays inf)
            return None
        if eid is None or eid in self.scene:  # a prompt's own "shelf_1" keeps its id; the kit's takes the next free one
            eid = self.next_id(eid.rsplit("_", 1)[0] if eid else cls)
        w, h, d = (float(v) for v in size)
        a = {"static": True, "kit": self.kit, **attrs}
        if surface:
            a.update(surface=True, top=round(float(at[1]) + h, 4))
        self.scene.add_entity(Entity(eid, name=name or eid.replace("_", " "), cls=cls, proxy=proxy or cls,
                                     bounds=((-w / 2, 0.0, -d / 2), (w / 2, h, d / 2)),
                                     transform=Transform(tuple(float(v) for v in at), quat_from_yaw(yaw)), attributes=a), material=mat)
        return eid

    def name_kinds(self, counted: set[str]) -> None:
        """The prompt's own things stand in for the kit's: of a kind whose number the prompt gave (``counted``:
        'six trees in the park') the kit adds none; any other thing it names takes the place of one of the kit's
        ('the tree in the park' is one of the park's trees)."""
        for e in self.scene.entities("object"):
            if e.attributes.get("kit") or e.id in ("ground",):
                continue
            for w in dict.fromkeys((e.cls, e.id.rsplit("_", 1)[0])):
                self.named[w] = math.inf if e.id in counted else self.named.get(w, 0) + 1

    # -- where things may go ----------------------------------------------------
    def footprint(self, at: np.ndarray, size: Any, yaw: float = 0.0) -> np.ndarray:
        """The four ground corners (4, 3) of a box standing at ``at``."""
        w, _, d = size
        c, s = math.cos(yaw), math.sin(yaw)
        pts = []
        for sx, sz in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            lx, lz = sx * w / 2, sz * d / 2
            pts.append([at[0] + c * lx + s * lz, at[1], at[2] - s * lx + c * lz])
        return np.array(pts)

    def seen(self, at: np.ndarray, size: Any, yaw: float = 0.0, margin: float = 1.15) -> bool:
        """Whether any corner of the box is in the t = 0 view (always True without a camera)."""
        if self.stage.world is None:
            return True
        base = self.footprint(at, size, yaw)
        pts = np.concatenate([base, base + [0.0, float(size[1]), 0.0]])
        return bool(self.stage.in_frustum(pts, margin=margin).any())

    def clear(self, at: np.ndarray, size: Any, gap: float = 0.5, yaw: float = 0.0, action_gap: float | None = None) -> bool:
        """Whether the box keeps ``gap`` from every placed thing, ``action_gap`` (default ``gap``) from the
        action area, stays off the line of sight from the camera to the action and away from the eye."""
        ext = _aabb_half(size, yaw)
        half = 0.5 * math.hypot(size[0], size[2])
        for c, h in self.occupied:
            if abs(at[0] - c[0]) < h[0] + ext[0] + gap and abs(at[2] - c[2]) < h[1] + ext[1] + gap:
                return False
        c, h = self.action
        ag = gap if action_gap is None else action_gap
        if abs(at[0] - c[0]) < h[0] + ext[0] + ag and abs(at[2] - c[2]) < h[1] + ext[1] + ag:
            return False
        if np.hypot(at[0] - self.eye[0], at[2] - self.eye[2]) < half + 1.5:
            return False
        a, b = self.eye[[0, 2]], c[[0, 2]]
        ab = b - a
        t = float(np.clip(np.dot(at[[0, 2]] - a, ab) / max(float(np.dot(ab, ab)), 1e-9), 0.0, 1.0))
        if np.linalg.norm(at[[0, 2]] - (a + t * ab)) < half + 0.6 and float(size[1]) > 0.3:
            return False
        return True

    def occupy(self, at: np.ndarray, size: Any, yaw: float = 0.0) -> None:
        self.occupied.append((np.asarray(at, np.float64), _aabb_half(size, yaw)))

    def scatter(self, n: int, make: Any, r0: float, r1: float, tries: int = 300, size: Any = (1.0, 1.0, 1.0),
                margin: float = 1.1) -> int:
        """Put up to ``n`` things ``make(at, i)`` in the view, ``r0``..``r1`` m from the action's centre."""
        c = self.action[0]
        if r1 < r0:  # a wide action (twelve buses) pushes the ring outwards instead of failing
            r1 = r0 + 6.0
        placed = 0
        for _ in range(tries):
            if placed >= n:
                break
            ang = float(self.rng.uniform(0, 2 * math.pi))
            r = float(self.rng.uniform(r0, r1))
            at = np.array([c[0] + r * math.cos(ang), 0.0, c[2] + r * math.sin(ang)])
            if self.seen(at, size, margin=margin) and self.clear(at, size, gap=0.6):
                make(at, placed)
                self.occupy(at, size)
                placed += 1
        return placed

    def lamp_light(self, eid: str | None, at: np.ndarray, kind: str, aim: Any = None) -> None:
        """A light for ``eid``: ``kind`` street (a spot down, on at dusk and night), room (a point light in a
        lamp, always on) or window (daylight through a window: a wide spot along ``aim``, by day only)."""
        if eid is not None:
            self.lamps.append((eid, np.asarray(at, np.float64), kind, None if aim is None else np.asarray(aim, np.float64)))


def _aabb_half(size: Any, yaw: float) -> np.ndarray:
    """Half extents (x, z) of the axis-aligned box round a (w, _, d) box turned by ``yaw``."""
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    return np.array([c * size[0] / 2 + s * size[2] / 2, s * size[0] / 2 + c * size[2] / 2])


def _sky(scene: Any, look: SkyLook) -> None:
    mat = Material("mat_sky", name="sky", base_color=(1.0, 1.0, 1.0), metallic=0.0, roughness=1.0,
                   emissive=(1.0, 1.0, 1.0), texture=gradient_png(look))
    if mat.id not in scene:
        scene.add_material(mat)
    r = SKY_RADIUS
    skirt = 0.0  # a skirt below the horizon would stand below the ground (the sanity checks forbid it)
    scene.add_entity(Entity("sky", name="sky", cls="sky", proxy="sky_dome", bounds=((-r, 0.0, -r), (r, r + skirt, r)),
                            transform=Transform((0.0, -skirt, 0.0)), attributes={"static": True, "kit": "sky"}), material=mat.id)


def _lights(scene: Any, kit: Kit) -> list[str]:
    """Lights for the lamps that are on: a warm spot under a street light, a point light in a room lamp, a
    wide spot of daylight inside each window of a room by day; intensities for the exposure keys of
    :mod:`scenegraph.world.sky` (a room lamp is brighter at night, when it is the room's key light)."""
    look = kit.look
    on_street = look.lights_on
    night = look.sun_lux < 0.5 * INDOOR_KEY_LUX
    ids = []
    for k, (eid, at, kind, aim) in enumerate(kit.lamps, 1):
        if (kind == "street" and not on_street) or (kind == "window" and night):
            continue
        lid = f"lamp_light_{k}"
        if kind == "street":
            lp = LightParams("spot", color=(1.0, 0.78, 0.5), intensity=1500.0 * KEY_SCALE, range=40.0, inner_cone_angle=0.5,
                             outer_cone_angle=1.1)
            rot = np.array([-math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5)])  # local -Z turned to point down
        elif kind == "window":  # skylight through the glass: the sky's share of the day, cooler than lamplight
            lp = LightParams("spot", color=tuple(float(round(c, 4)) for c in _daylight(look)), range=20.0,
                             intensity=float(round(WINDOW_CD_PER_LUX * min(look.sun_lux, 3000.0), 1)),
                             inner_cone_angle=0.35, outer_cone_angle=1.35)
            rot = _aim_rotation(aim)
        else:
            lp = LightParams("point", color=(1.0, 0.85, 0.65), intensity=(70.0 if on_street else 20.0) * KEY_SCALE, range=15.0)
            rot = np.array([0.0, 0.0, 0.0, 1.0])
        scene.add_entity(Entity(lid, name=f"{eid} light", kind="light", cls="light", light=lp,
                                transform=Transform(tuple(float(v) for v in at), tuple(float(v) for v in rot)),
                                attributes={"kit": kit.kit, "lamp": eid}))
        ids.append(lid)
    return ids


WINDOW_CD_PER_LUX = 0.6  # a window's daylight spot: candela per lux of sun (about 500 lux 2.5 m into a room by day)


def _aim_rotation(aim: np.ndarray) -> np.ndarray:
    """Quaternion (4,) xyzw turning a light's -Z along ``aim`` (yaw, then pitch)."""
    f = np.asarray(aim, np.float64) / np.linalg.norm(aim)
    yaw = math.atan2(-f[0], -f[2])
    pitch = math.atan2(f[1], math.hypot(f[0], f[2]))
    return quat_multiply(quat_from_yaw(yaw), quat_from_axis_angle((1.0, 0.0, 0.0), pitch))


def _daylight(look: SkyLook) -> np.ndarray:
    """The colour of skylight through a window: the sky's horizon and zenith blended with the sun's, brightest 1."""
    c = 0.5 * np.asarray(look.sun_color) + 0.25 * (np.asarray(look.horizon) + np.asarray(look.zenith)) / max(
        float(np.max(np.asarray(look.horizon) + np.asarray(look.zenith))) / 2.0, 1e-6)
    return c / max(float(c.max()), 1e-6)


def furnish(scene: Any, stage: Any, env: Any, road: Any, *, seed: int, warnings: list[str], occupied: list,
            free: Any = (), counted: Any = ()) -> list[str]:
    """Lay the setting's kit, the sky and the lamps' lights into ``scene``; returns the ids added.

    ``env`` is the spec's EnvironmentSpec, ``road`` the builder's Road (or None), ``occupied`` the
    (centre (3,), half (x, z)) of the things the layout placed; ``free`` the ids of those no action or
    relation names (a kit may give them a place: the prompt's parked cars go to the kerb); ``counted`` the
    still things whose number the prompt gave ("4 cars are parked"): a kit adds none of their kind.  Records the setting, kit, time of day
    and sky in ``scene.metadata["environment"]``.
    """
    from scenegraph.world.setting_kits import BUILDERS

    before = {e.id for e in scene.entities()}
    word = getattr(env, "setting", None)
    kit_name = kit_for(word)
    if kit_name is None and road is not None:
        kit_name = "street"
    if word and kit_for(word) is None:
        warnings.append(f"setting {word!r} is not one the kits know ({', '.join(sorted(KITS))}): built a plain ground")
    look = sky_for(getattr(env, "time_of_day", None), getattr(env, "sky", None))
    kit = Kit(scene, stage, kit_name or "ground", seed, occupied, look)
    kit.free = [e for e in free if e in scene]
    kit.counted = [e for e in counted if e in scene]
    kit.name_kinds(set(kit.counted))
    if look.lights_on:  # before the kit: its parked cars stay dark
        add_vehicle_lights(scene)
    if "ground" in scene:
        scene.update("ground", attributes={**scene.entity("ground").attributes, "kit": kit.kit, "surface": True, "top": 0.0})
    if kit_name in BUILDERS:
        BUILDERS[kit_name](kit, road)
    _sky(scene, look)
    _lights(scene, kit)
    scene.metadata["environment"] = {
        "setting": word, "kit": kit_name, "time_of_day": look.time_of_day, "sky": look.to_json(),
        "lights_on": bool(look.lights_on or kit_name in ROOMS), "indoor": kit_name in ROOMS,
    }
    return [e.id for e in scene.entities() if e.id not in before]
