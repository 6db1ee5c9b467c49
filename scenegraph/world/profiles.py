"""Motion limits per archetype: how fast, how hard and how tightly a kind of body can move.

A :class:`MotionLimits` holds what the motion planner plans with (comfortable
acceleration, braking, jerk, yaw rate, turning radius) and what a plausibility
check may call impossible (``speed_cap``, ``accel_cap``).  The catalogue's
``archetype`` picks the row (:data:`LIMITS`); classes without one fall back
from their ``kind`` and name.  Speeds of a verb come from the catalogue class
(walk / run / drive) scaled by the pace and the setting (:data:`SETTING_SPEED`:
a car on a highway cruises at 27 m/s, in town at the catalogue's 10 m/s).

>>> limits_for(None).archetype
'prop'
>>> round(setting_speed("car", "highway", 10.0), 1)
27.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["MotionLimits", "LIMITS", "archetype_of", "limits_for", "setting_speed", "pace_factor", "ramp_time", "curve_speed",
           "SETTING_SPEED", "VEHICLES", "FLYERS", "LIVING"]


@dataclass(frozen=True)
class MotionLimits:
    """Per-archetype limits (SI units).

    ``accel`` / ``brake`` / ``jerk``: what planned motion uses (m/s^2, m/s^2,
    m/s^3); ``yaw_rate`` rad/s at most when turning on the spot or along a
    path; ``turn_radius`` m, the tightest circle its path may take (0: may
    turn on the spot); ``speed_cap`` m/s and ``accel_cap`` m/s^2: above these
    a motion is not physical for the body (teleport / jerk checks).
    """

    archetype: str
    accel: float
    brake: float
    jerk: float
    yaw_rate: float
    turn_radius: float
    speed_cap: float
    accel_cap: float
    lateral: float = 3.0  # comfortable sideways acceleration on curves, m/s^2

    def ramp(self, dv: float, braking: bool = False) -> float:
        """Seconds of a jerk- and acceleration-bounded (half-cosine) change of speed by ``dv`` m/s."""
        return ramp_time(abs(dv), self.brake if braking else self.accel, self.jerk)


def ramp_time(dv: float, accel: float, jerk: float) -> float:
    """Duration of a half-cosine speed ramp by ``dv``: peak acceleration pi dv / 2T <= accel and peak
    jerk pi^2 dv / 2T^2 <= jerk."""
    if dv <= 0:
        return 0.0
    return max(math.pi * dv / (2.0 * accel), math.pi * math.sqrt(dv / (2.0 * jerk)))


def curve_speed(limits: MotionLimits, radius: float) -> float:
    """The fastest speed (m/s) round a bend of ``radius`` m whose sideways acceleration v^2 / r stays within
    the body's comfortable ``lateral`` (with a 15% margin): a car slows to about 5.5 m/s in a 12 m bend.

    >>> round(curve_speed(LIMITS["car"], 12.0), 1)
    5.5
    """
    return 0.85 * math.sqrt(limits.lateral * max(radius, 1e-3))


def _l(arch, accel, brake, jerk, yaw_rate, turn_radius, speed_cap, accel_cap, lateral=3.0) -> MotionLimits:
    return MotionLimits(arch, accel, brake, jerk, yaw_rate, turn_radius, speed_cap, accel_cap, lateral)


#: archetype -> limits (the contract's archetype list)
LIMITS: dict[str, MotionLimits] = {m.archetype: m for m in (
    _l("biped", 2.5, 3.0, 8.0, 3.5, 0.0, 11.0, 8.0, 4.0),
    _l("quadruped", 4.0, 5.0, 15.0, 4.0, 0.0, 20.0, 14.0, 8.0),
    _l("bird", 3.0, 3.0, 10.0, 4.0, 0.5, 30.0, 15.0, 6.0),
    _l("fish", 1.5, 1.5, 6.0, 3.0, 0.0, 10.0, 8.0, 3.0),
    _l("insect", 3.0, 3.0, 15.0, 6.0, 0.0, 10.0, 15.0, 6.0),
    _l("snake", 0.8, 1.0, 4.0, 2.0, 0.0, 5.0, 5.0, 2.0),
    _l("car", 3.0, 4.0, 3.0, 0.9, 5.5, 70.0, 10.0, 3.5),
    _l("truck", 1.2, 2.5, 1.5, 0.6, 9.0, 40.0, 7.0, 2.5),
    _l("bus", 1.2, 2.5, 1.5, 0.6, 10.0, 35.0, 7.0, 2.5),
    _l("bicycle", 1.2, 2.0, 3.0, 1.5, 2.5, 20.0, 7.0, 3.0),
    _l("motorbike", 3.0, 4.5, 4.0, 1.2, 4.0, 80.0, 11.0, 4.0),
    _l("train", 0.6, 1.0, 0.8, 0.2, 150.0, 90.0, 3.0, 1.0),
    _l("boat", 0.8, 0.8, 1.0, 0.4, 12.0, 30.0, 4.0, 1.5),
    _l("aircraft", 2.0, 2.0, 2.0, 0.4, 40.0, 300.0, 12.0, 4.0),
    _l("robot", 1.0, 1.5, 4.0, 2.0, 0.0, 6.0, 6.0, 2.0),
    _l("ball", 4.0, 4.0, 20.0, 8.0, 0.0, 40.0, 30.0, 10.0),
    _l("prop", 2.0, 2.0, 8.0, 3.0, 0.0, 30.0, 12.0, 4.0),
)}
# small or agile flyers (drones) and things that never move
LIMITS["drone"] = _l("drone", 2.5, 3.0, 8.0, 2.5, 0.0, 25.0, 12.0, 4.0)
for _arch in ("furniture", "container", "plant", "tree", "rock", "building", "street_furniture"):
    LIMITS[_arch] = LIMITS["prop"]

VEHICLES = frozenset({"car", "truck", "bus", "bicycle", "motorbike", "train", "boat", "aircraft"})
FLYERS = frozenset({"bird", "aircraft", "drone", "insect"})
LIVING = frozenset({"biped", "quadruped", "bird", "fish", "insect", "snake"})

_BY_NAME = {  # catalogue classes whose kind alone does not say their archetype
    "truck": "truck", "van": "car", "bus": "bus", "tram": "train", "train": "train", "bicycle": "bicycle",
    "motorbike": "motorbike", "boat": "boat", "plane": "aircraft", "helicopter": "aircraft", "drone": "drone",
    "skateboard": "bicycle", "cart": "prop", "robot": "robot", "bird": "bird", "duck": "bird",
}
_BY_KIND = {"person": "biped", "animal": "quadruped", "vehicle": "car", "flyer": "bird", "ball": "ball"}


def archetype_of(info) -> str:
    """The motion archetype of a catalogue class (``info.archetype`` when the catalogue gives one)."""
    if info is None:
        return "prop"
    name = getattr(info, "name", "")
    if name in ("drone", "quadcopter"):
        return "drone"
    arch = getattr(info, "archetype", None)
    if arch in LIMITS:
        return arch
    return _BY_NAME.get(name) or _BY_KIND.get(getattr(info, "kind", ""), "prop")


def limits_for(info) -> MotionLimits:
    """The :class:`MotionLimits` of a catalogue class (``None``: a generic prop)."""
    return LIMITS[archetype_of(info)]


#: setting word -> cruise speed (m/s) of a car there; other vehicles scale by their own town speed
SETTING_SPEED: dict[str, float] = {
    "highway": 27.0, "motorway": 27.0, "freeway": 27.0, "expressway": 25.0, "autobahn": 33.0, "interstate": 29.0,
    "race track": 45.0, "racetrack": 45.0, "race": 30.0, "circuit": 45.0, "country road": 20.0,
    "street": 11.0, "city": 11.0, "town": 11.0, "village": 8.0, "parking lot": 3.0, "car park": 3.0,
    "car_park": 3.0, "parking": 3.0, "driveway": 2.0, "garage": 2.0,
}
_TOWN_CAR = 10.0
_ROAD_VEHICLES = frozenset({"car", "truck", "bus", "motorbike"})


def setting_speed(archetype: str, setting: str | None, base: float) -> float:
    """Cruise speed (m/s) of a vehicle whose town speed is ``base`` in ``setting`` (None: ``base``)."""
    if archetype not in _ROAD_VEHICLES or not setting:
        return base
    car = SETTING_SPEED.get(setting.lower().replace("_", " "), SETTING_SPEED.get(setting.lower()))
    if car is None:
        return base
    return base * car / _TOWN_CAR


_PACE = {"slow": 0.55, "normal": 1.0, "fast": 1.6}
_PACE_VEHICLE = {"slow": 0.6, "normal": 1.0, "fast": 1.3}


def pace_factor(pace: str, archetype: str) -> float:
    """How much "slowly" / "quickly" scales a cruise speed (vehicles less than legs: a fast car is not 60% faster)."""
    return (_PACE_VEHICLE if archetype in VEHICLES else _PACE).get(pace, 1.0)
