"""Sky and sunlight from the prompt's time of day and sky words.

:func:`sky_for` gives a :class:`SkyLook`: the sky's zenith, horizon and
ground colours (linear RGB), the sun's elevation and azimuth (degrees), colour
and illuminance (lux, KHR_lights_punctual's unit for directional lights), the
exposure a renderer without lights of its own should apply (1 = noon), and
whether artificial lights are on (dusk and night).  The builder writes it to
``scene.metadata["environment"]["sky"]``, makes the ``sun_1`` light from it
and a ``sky`` dome entity whose material carries the gradient as a texture.

>>> day, night = sky_for("noon"), sky_for("night")
>>> day.sun_lux > 10 * night.sun_lux and night.lights_on and not day.lights_on
True
>>> sum(night.zenith) < sum(day.zenith)
True
"""
from __future__ import annotations

import base64
import math
import struct
import zlib
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

__all__ = ["SkyLook", "sky_for", "sun_direction", "gradient_png", "sky_color_at", "TIMES", "NIGHT_KEY_LUX",
           "INDOOR_KEY_LUX", "KEY_SCALE",
           "moon_over_shoulder"]

#: Light levels are authored for a camera at exposure 0 (stock Blender's): the *key* illuminance, the lux
#: that reads as a well-lit white surface, is about the same in every scene.  By day outdoors it is the sun
#: (2,000-3,000 lux); in a room by day the windows and lamps (:data:`INDOOR_KEY_LUX`); at night the street
#: lights, lamps and headlights (:data:`NIGHT_KEY_LUX`).  Artificial lights are therefore brighter than a
#: photometer would read (a headlight 40,000 cd, a room lamp 1,200 cd at night) by :data:`KEY_SCALE`, so a
#: plain glTF or USD import into Blender shows a lit night, and our renderers expose for the same key.
NIGHT_KEY_LUX = 400.0
INDOOR_KEY_LUX = 500.0
KEY_SCALE = 10.0  # artificial lights' candela over what a photometer would read (exposure 0 needs it)


def _lin(srgb: tuple[int, int, int]) -> tuple[float, float, float]:
    c = np.asarray(srgb, np.float64) / 255.0
    return tuple(float(round(v, 5)) for v in np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4))


@dataclass(frozen=True)
class SkyLook:
    """The sky and sun of one time of day (colours linear RGB, angles in degrees, sun in lux)."""

    time_of_day: str
    zenith: tuple[float, float, float]
    horizon: tuple[float, float, float]
    ground: tuple[float, float, float]
    sun_elevation: float
    sun_azimuth: float  # degrees from +Z towards +X (where the sun stands, seen from the scene)
    sun_color: tuple[float, float, float]
    sun_lux: float
    exposure: float  # how bright the world looks without lights of its own: 1 at noon
    lights_on: bool

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


#: time of day -> (zenith sRGB, horizon sRGB, ground sRGB, sun elevation, azimuth, sun sRGB, lux, exposure, lights on)
_TIMES = {
    "dawn": ((70, 90, 150), (240, 170, 140), (60, 55, 55), 4.0, -70.0, (255, 170, 120), 600.0, 0.5, True),
    "morning": ((95, 150, 220), (200, 215, 230), (90, 85, 80), 25.0, -60.0, (255, 235, 210), 2000.0, 0.85, False),
    "noon": ((60, 120, 215), (185, 210, 235), (95, 92, 88), 70.0, -20.0, (255, 250, 240), 3000.0, 1.0, False),
    "afternoon": ((75, 135, 215), (195, 215, 235), (95, 90, 85), 45.0, 40.0, (255, 245, 230), 2500.0, 0.95, False),
    "evening": ((70, 95, 165), (245, 175, 120), (70, 60, 55), 10.0, 70.0, (255, 190, 130), 1000.0, 0.6, True),
    "sunset": ((60, 80, 150), (250, 140, 80), (60, 50, 45), 3.0, 75.0, (255, 150, 90), 700.0, 0.5, True),
    "dusk": ((30, 40, 90), (150, 100, 120), (35, 32, 35), -2.0, 80.0, (200, 150, 170), 150.0, 0.3, True),
    "night": ((10, 16, 40), (38, 48, 82), (12, 12, 16), 35.0, 150.0, (150, 170, 255), 120.0, 0.16, True),
}
TIMES = tuple(_TIMES)
_OVERCAST = {"cloudy": 0.75, "overcast": 0.55}


def sky_for(time_of_day: str | None, sky: str | None = None) -> SkyLook:
    """The sky for a time of day (dawn, morning, noon, afternoon, evening, sunset, dusk, night; None: afternoon)
    and a sky word (clear, cloudy, overcast, sunset, night)."""
    tod = time_of_day or ("night" if sky == "night" else "sunset" if sky == "sunset" else "afternoon")
    if sky == "night":
        tod = "night"
    elif sky == "sunset" and tod not in ("night",):
        tod = "sunset"
    zen, hor, gnd, elev, az, sun, lux, exposure, lights = _TIMES.get(tod, _TIMES["afternoon"])
    zen, hor, gnd, sun = _lin(zen), _lin(hor), _lin(gnd), _lin(sun)
    if sky in _OVERCAST:  # greyer, flatter, dimmer
        k = _OVERCAST[sky]
        grey = lambda c: tuple(float(round(0.35 * v + 0.65 * float(np.mean(c)), 5)) for v in c)  # noqa: E731
        zen, hor = grey(hor), grey(hor)
        lux, exposure = lux * k, exposure * (0.5 + 0.5 * k)
    return SkyLook(tod, zen, hor, gnd, float(elev), float(az), sun, float(lux), float(exposure), bool(lights))


def sun_direction(look: SkyLook) -> np.ndarray:
    """The direction (3,) sunlight travels (from the sun down to the scene); the moon's at night."""
    el = math.radians(max(look.sun_elevation, 2.0))
    az = math.radians(look.sun_azimuth)
    towards_sun = np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])
    return -towards_sun


def moon_over_shoulder(look: SkyLook, eye: Any, target: Any, side: float = 35.0) -> SkyLook:
    """At night, the moon put over the camera's shoulder (``side`` degrees off the line from ``target`` back
    to ``eye``), so the faces the camera sees catch its light, as a night shoot sets its key light; by day
    the sun keeps the time of day's azimuth."""
    if look.time_of_day != "night" or eye is None or target is None:
        return look
    back = np.asarray(eye, np.float64) - np.asarray(target, np.float64)
    if math.hypot(back[0], back[2]) < 1e-6:
        return look
    az = math.degrees(math.atan2(back[0], back[2])) + side
    return replace(look, sun_azimuth=float(round((az + 180.0) % 360.0 - 180.0, 3)))


def sky_color_at(look_json: dict, elevation: np.ndarray) -> np.ndarray:
    """Linear RGB (..., 3) of the sky at ``elevation`` radians (..., ): ground colour below the horizon,
    a horizon-to-zenith blend above (steeper near the horizon, as a real sky)."""
    zen, hor, gnd = (np.asarray(look_json[k], np.float64) for k in ("zenith", "horizon", "ground"))
    e = np.asarray(elevation, np.float64)[..., None]
    t = np.clip(e / (math.pi / 2), 0.0, 1.0) ** 0.5
    above = hor * (1.0 - t) + zen * t
    below = hor * np.clip(1.0 + e / 0.05, 0.0, 1.0) + gnd * (1.0 - np.clip(1.0 + e / 0.05, 0.0, 1.0))
    return np.where(e >= 0.0, above, below)


def gradient_png(look: SkyLook, height: int = 64) -> str:
    """The sky gradient as a base64 PNG ``data:`` URI, 1 x ``height`` px sRGB: the zenith at the top row,
    the horizon at the bottom (the dome's UV v runs that way)."""
    elev = (1.0 - (np.arange(height) + 0.5) / height) * (math.pi / 2)
    rgb = sky_color_at(look.to_json(), elev)
    srgb = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * np.power(np.clip(rgb, 0, None), 1 / 2.4) - 0.055)
    px = np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8)
    raw = b"".join(b"\x00" + bytes(px[y]) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
