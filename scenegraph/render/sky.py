"""The light of one frame: sun, sky, exposure and the scene's own lights, read from the scene.

Sources, in order: the scene's light entities (the brightest directional light
is the sun: its direction, colour and lux; point and spot lights are kept as
they are), the environment the settings kit wrote (``scene.metadata["environment"]``:
setting, time of day, sky), else the director's plan (``metadata["spec"]["environment"]``),
else the sun's own height and brightness.  Everything here is read defensively:
a scene from an older file, or one edited in Blender, still gets a sky.

Colours are *display-linear*: the exposure (lux that map to white) is already
applied, so a white Lambert surface facing a day sun reads about 1.0.  The
exposure follows the time of day like a camera's: the day is exposed for the
sun; the night for artificial light (``NIGHT_KEY_LUX``), with moonlight capped
at ``MOON_MAX`` of a day's sun, so a night frame is much darker than a day one
while street lights and lamps still show.

>>> import numpy as np
>>> from scenegraph.model import Scene
>>> day = frame_lighting(Scene(), np.zeros((0, 4, 4)), {})
>>> day.period, bool(day.zenith.min() > 0.05)
('day', True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenegraph.world.sky import INDOOR_KEY_LUX, NIGHT_KEY_LUX  # the exposure keys the world authors its lights for

__all__ = ["Lighting", "PointLight", "frame_lighting", "time_of_day", "SKY_COLOURS", "NIGHT_KEY_LUX", "MOON_MAX",
           "is_sky_entity"]

INDOOR_AMBIENT = 0.6  # a room: walls and ceiling hide the sky; what is left stands in for the bounce light
MOON_MAX = 0.3  # moonlight at most this fraction of a day's sun
DEFAULT_SUN = (0.4, 1.0, 0.6)  # towards the sun when a scene has no directional light (as the mesh renderer's light)

#: period -> (zenith, horizon, ground bounce) display-linear colours
SKY_COLOURS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "day": ((0.09, 0.25, 0.80), (0.55, 0.68, 0.88), (0.30, 0.28, 0.25)),
    "low": ((0.14, 0.18, 0.42), (0.95, 0.55, 0.30), (0.22, 0.16, 0.12)),
    "overcast": ((0.42, 0.45, 0.49), (0.62, 0.63, 0.65), (0.22, 0.22, 0.21)),
    "night": ((0.012, 0.022, 0.075), (0.045, 0.060, 0.130), (0.010, 0.010, 0.014)),  # a dark blue, not black
}
_SUN_SCALE = {"day": 1.0, "low": 0.85, "overcast": 0.35, "night": 1.0}
_PERIOD_OF = {"dawn": "low", "dusk": "low", "evening": "low", "sunset": "low", "sunrise": "low", "golden_hour": "low",
              "night": "night", "midnight": "night", "morning": "day", "noon": "day", "afternoon": "day", "day": "day",
              "midday": "day", "clear": "day", "cloudy": "overcast", "overcast": "overcast", "rain": "overcast",
              "rainy": "overcast", "foggy": "overcast", "fog": "overcast", "storm": "overcast"}


@dataclass
class PointLight:
    """A point or spot light in the world: position, axis (spot), display-linear colour x intensity at 1 m."""

    position: np.ndarray
    axis: np.ndarray
    rgb: np.ndarray
    spot: bool = False
    cos_outer: float = 0.0
    cos_inner: float = 1.0
    range: float | None = None


@dataclass
class Lighting:
    """One frame's light: ``sun_dir`` (3,) unit towards the sun (None: no sun), ``sun_rgb`` its display-linear
    colour x strength, the sky's ``zenith``/``horizon``/``ground`` colours, ``period`` (day, low, overcast,
    night), ``exposure_lux`` and the ``points`` (point and spot lights)."""

    sun_dir: np.ndarray | None
    sun_rgb: np.ndarray
    zenith: np.ndarray
    horizon: np.ndarray
    ground: np.ndarray
    period: str
    exposure_lux: float
    points: list[PointLight] = field(default_factory=list)
    fog: float = 0.004  # per metre: distant things fade into the horizon colour
    ambient: float = 1.0  # how much of the sky's hemisphere light reaches surfaces (less in a room)

    @property
    def level(self) -> float:
        """How bright the scene is overall (an up-facing white surface in the open), for baked-in colours."""
        up = 0.0 if self.sun_dir is None else max(float(self.sun_dir[1]), 0.0)
        return float(np.mean(self.sun_rgb) * up + np.mean(0.5 * (self.zenith + self.horizon)))


def is_sky_entity(entity: Any) -> bool:
    """A sky dome or sun disc of a setting kit: drawn as the sky, never as a lit mesh."""
    cls = str(getattr(entity, "cls", "") or "").lower()
    return entity.id in ("sky", "sun", "moon", "sky_dome") or cls in ("sky", "sun", "moon", "sky_dome", "skydome")


def _env_dict(scene: Any) -> dict:
    meta = getattr(scene, "metadata", None) or {}
    env = meta.get("environment")
    out: dict = {}
    spec_env = (meta.get("spec") or {}).get("environment") if isinstance(meta.get("spec"), dict) else None
    if isinstance(spec_env, dict):
        out.update(spec_env)
    if isinstance(env, dict):
        out.update({k: v for k, v in env.items() if v is not None})
    elif isinstance(env, str):
        out["setting"] = env
    return out


def time_of_day(scene: Any) -> str | None:
    """The period (day, low, overcast, night) the scene's metadata names, or None when it names none."""
    env = _env_dict(scene)
    for key in ("time_of_day", "sky", "period", "weather"):
        v = env.get(key)
        if isinstance(v, dict):
            v = v.get("name") or v.get("kind") or v.get("type") or v.get("time_of_day")
        if isinstance(v, str) and v.lower().replace(" ", "_") in _PERIOD_OF:
            p = _PERIOD_OF[v.lower().replace(" ", "_")]
            if p != "day" or key == "time_of_day":
                return p
    return None


def _sky_override(env: dict) -> dict[str, np.ndarray]:
    """Sky colours the environment spells out (``sky: {zenith: [r, g, b], horizon: [...]}``), if any."""
    sky = env.get("sky")
    out = {}
    if isinstance(sky, dict):
        for name in ("zenith", "horizon", "ground"):
            v = sky.get(name) or sky.get(f"{name}_color") or sky.get(f"{name}_colour")
            try:
                arr = np.asarray(v, dtype=np.float64).reshape(3)
            except (TypeError, ValueError):
                continue
            if np.all(np.isfinite(arr)) and np.all(arr >= 0):
                out[name] = arr
    return out


def frame_lighting(scene: Any, world: np.ndarray, index: dict[str, int]) -> Lighting:
    """The :class:`Lighting` of one frame; ``world`` (E, 4, 4) are the Timeline's world matrices, ``index`` id -> row."""
    lights = [e for e in scene.entities("light") if e.light is not None and e.id in index] if hasattr(scene, "entities") else []
    suns = [e for e in lights if e.light.type == "directional"]
    sun = max(suns, key=lambda e: float(e.light.intensity), default=None)
    sun_dir = None
    sun_lux = 0.0
    sun_col = np.ones(3)
    if sun is not None:
        m = world[index[sun.id]]
        travel = m[:3, :3] @ np.array([0.0, 0.0, -1.0])
        n = np.linalg.norm(travel)
        sun_dir = -travel / n if n > 1e-12 else np.array(DEFAULT_SUN) / np.linalg.norm(DEFAULT_SUN)
        sun_lux = float(sun.light.intensity)
        sun_col = np.asarray(sun.light.color, dtype=np.float64)
    period = time_of_day(scene)
    if period is None:  # nothing written: judge by the sun itself
        if sun is None:
            period = "day"
        elif sun_dir[1] < -0.02 or sun_lux < 400.0:
            period = "night"
        elif sun_dir[1] < 0.25:
            period = "low"
        else:
            period = "day"
    zenith, horizon, ground = (np.array(c, dtype=np.float64) for c in SKY_COLOURS[period])
    over = _sky_override(_env_dict(scene))
    zenith, horizon, ground = over.get("zenith", zenith), over.get("horizon", horizon), over.get("ground", ground)

    indoor = _env_dict(scene).get("indoor") is True
    if sun is None:
        sun_dir = np.array(DEFAULT_SUN) / np.linalg.norm(DEFAULT_SUN)
        sun_rgb = np.full(3, _SUN_SCALE[period] * (MOON_MAX if period == "night" else 1.0))
        exposure = 1.0 if period != "night" else NIGHT_KEY_LUX
    elif period == "night":
        exposure = NIGHT_KEY_LUX
        sun_rgb = sun_col * min(sun_lux / exposure, MOON_MAX)
    elif indoor:  # a room by day is exposed for its windows and lamps: the sun through a window is a bright patch
        exposure = min(INDOOR_KEY_LUX, max(sun_lux, 1.0))
        sun_rgb = sun_col * _SUN_SCALE[period] * max(sun_lux, 1.0) / exposure
    else:
        exposure = max(sun_lux, 1.0)
        sun_rgb = sun_col * _SUN_SCALE[period]
    if sun_dir is not None and sun_dir[1] <= 0.0:  # below the horizon: no direct light
        sun_rgb = sun_rgb * 0.0
    points = []
    for e in lights:
        if e is sun or e.light.type == "directional":
            continue
        m = world[index[e.id]]
        axis = m[:3, :3] @ np.array([0.0, 0.0, -1.0])
        axis /= max(np.linalg.norm(axis), 1e-12)
        lp = e.light
        points.append(PointLight(m[:3, 3].copy(), axis, np.asarray(lp.color, dtype=np.float64) * float(lp.intensity) / exposure,
                                 spot=lp.type == "spot", cos_outer=math.cos(lp.outer_cone_angle),
                                 cos_inner=math.cos(lp.inner_cone_angle), range=lp.range))
    fog = 0.004 if period != "overcast" else 0.008
    return Lighting(sun_dir, sun_rgb, zenith, horizon, ground, period, exposure, points, fog,
                    INDOOR_AMBIENT if indoor else 1.0)


def sky_colour(lighting: Lighting, dirs: np.ndarray) -> np.ndarray:
    """Sky radiance (N, 3) display-linear along world directions ``dirs`` (N, 3) (unit): a gradient from the
    horizon to the zenith, the sun's glow and disc, a darker haze below the horizon."""
    up = dirs[:, 1]
    t = np.sqrt(np.clip(up, 0.0, 1.0))[:, None]
    sky = lighting.horizon * (1.0 - t) + lighting.zenith * t
    below = np.clip(-up, 0.0, 1.0)[:, None]
    sky = sky * (1.0 - below) + (0.6 * lighting.horizon + 0.4 * lighting.ground) * below
    if lighting.sun_dir is not None and lighting.sun_dir[1] > -0.1:
        c = np.clip(dirs @ lighting.sun_dir, 0.0, 1.0)[:, None]
        glow = 0.35 * c ** 12 + 0.25 * c ** 200
        disc = (c > 0.9995).astype(np.float64) * 4.0
        sun = np.maximum(lighting.sun_rgb, 0.0)
        sky = sky + sun * (glow + disc) * (1.0 if lighting.period != "night" else 0.5)
    return sky
