"""Part finishes: the PBR material of each part of a proxy other than its body.

A proxy is made of parts; the body takes the entity's own material (its colour
and material words), every other part a *finish* from this library — glass,
rubber, chrome, bark, leaves, a lamp that glows — so a lamp post is a grey
metal pole with a glowing head, and a tree a brown trunk under green leaves,
in Blender and Unreal as in our renders.

A part says its finish as a name (``"glass"``), a :class:`Finish`, or the older
tint factor (a scalar or (3,) multiplier on the body colour; :func:`finish_of`
maps the well-known ones onto finishes).  Finish materials have fixed ids
``mat_part_<name>`` and never depend on the entity, so files share them.

>>> finish_of("glass").name, finish_of(0.12).name, finish_of(1.0) is None
('glass', 'rubber', True)
>>> part_material(finish_of("lamp")).emissive.max() > 1.0
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.errors import ModelError
from scenegraph.model.payloads import Material

__all__ = ["Finish", "FINISHES", "finish_of", "part_material", "PART_PREFIX"]

PART_PREFIX = "mat_part_"


@dataclass(frozen=True)
class Finish:
    """A part's material: linear RGB ``color``, PBR ``metallic`` / ``roughness``, ``emissive`` (linear, may exceed 1),
    ``alpha`` (< 1: blended)."""

    name: str
    color: tuple[float, float, float]
    metallic: float = 0.0
    roughness: float = 0.6
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    alpha: float = 1.0


def _f(name: str, srgb: tuple[int, int, int], metallic: float = 0.0, roughness: float = 0.6, glow: float = 0.0,
       alpha: float = 1.0) -> Finish:
    lin = tuple(float(v) for v in np.where(np.asarray(srgb) / 255.0 <= 0.04045, np.asarray(srgb) / 255.0 / 12.92,
                                           ((np.asarray(srgb) / 255.0 + 0.055) / 1.055) ** 2.4))
    emissive = tuple(round(c * glow, 6) for c in lin) if glow else (0.0, 0.0, 0.0)
    return Finish(name, tuple(round(c, 6) for c in lin), metallic, roughness, emissive, alpha)


#: the library, by name (sRGB colours written as the eye knows them, stored linear)
FINISHES: dict[str, Finish] = {f.name: f for f in (
    _f("glass", (170, 200, 215), 0.0, 0.05, alpha=0.35),
    _f("window", (60, 80, 95), 0.0, 0.08),  # a building's window pane seen from outside: dark, glossy
    _f("window_lit", (255, 214, 150), 0.0, 0.2, glow=2.5),  # a lit window at night
    _f("rubber", (22, 22, 22), 0.0, 0.9),
    _f("dark", (35, 35, 38), 0.2, 0.5),  # black plastic, painted iron
    _f("trim", (140, 140, 145), 0.8, 0.35),  # brushed metal
    _f("chrome", (225, 225, 230), 1.0, 0.08),
    _f("steel", (150, 152, 158), 1.0, 0.3),
    _f("lamp", (255, 240, 210), 0.0, 0.3, glow=6.0),  # a light source's glowing shade or bulb
    _f("red_light", (255, 40, 30), 0.0, 0.3, glow=4.0),
    _f("amber_light", (255, 170, 20), 0.0, 0.3, glow=4.0),
    _f("green_light", (40, 255, 90), 0.0, 0.3, glow=4.0),
    _f("screen", (15, 18, 25), 0.0, 0.1),
    _f("bark", (95, 70, 50), 0.0, 0.9),
    _f("leaf", (60, 120, 45), 0.0, 0.75),
    _f("leaf_dark", (40, 90, 40), 0.0, 0.75),
    _f("needle", (35, 80, 45), 0.0, 0.8),
    _f("blossom", (240, 170, 190), 0.0, 0.7),
    _f("soil", (80, 60, 42), 0.0, 1.0),
    _f("terracotta", (180, 95, 65), 0.0, 0.8),
    _f("wood", (150, 105, 60), 0.0, 0.65),
    _f("wood_dark", (90, 60, 38), 0.0, 0.6),
    _f("fabric", (200, 195, 185), 0.0, 0.95),  # cushions, sheets: light cloth
    _f("paper", (235, 232, 220), 0.0, 0.85),
    _f("ceramic", (240, 240, 236), 0.0, 0.2),
    _f("concrete", (165, 163, 158), 0.0, 0.9),
    _f("kerb", (185, 183, 176), 0.0, 0.85),
    _f("paving", (150, 148, 142), 0.0, 0.9),
    _f("brick", (150, 75, 55), 0.0, 0.85),
    _f("roof", (95, 60, 50), 0.0, 0.8),
    _f("marking", (235, 235, 225), 0.0, 0.6),  # road paint
    _f("water", (40, 85, 110), 0.0, 0.05),
    _f("stone", (130, 128, 122), 0.0, 0.85),
    _f("sand", (215, 195, 150), 0.0, 1.0),
    _f("gold", (212, 175, 55), 1.0, 0.25),
)}

#: the older scalar tints of :mod:`scenegraph.appearance.proxy_movers` (TYRE, GLASS, DARK, TRIM)
_SCALAR = {0.12: "rubber", 0.3: "glass", 0.45: "dark", 0.7: "trim"}


def finish_of(part: Any) -> Finish | None:
    """The finish a part asks for, or None for the body (the entity's own material).

    ``part``: a finish name, a :class:`Finish`, or a tint — a scalar (the
    well-known TYRE/GLASS/DARK/TRIM values map to finishes, others shade the
    body) or a (3,) colour: one at 1.9 or brighter glows, others are that colour.
    Raises ModelError for an unknown finish name.
    """
    if isinstance(part, Finish):
        return part
    if isinstance(part, str):
        try:
            return FINISHES[part]
        except KeyError:
            raise ModelError(f"unknown part finish {part!r} (known: {', '.join(sorted(FINISHES))})") from None
    t = np.asarray(part, dtype=np.float64)
    if t.ndim == 0:
        name = _SCALAR.get(round(float(t), 4))
        return FINISHES[name] if name else None
    t = t.reshape(3)
    top = float(t.max())
    if top >= 1.9:
        c = t / top
        return Finish("glow_" + _hex(c), tuple(float(v) for v in np.round(c, 6)), 0.0, 0.3,
                      tuple(float(v) for v in np.round(c * 4.0, 6)))
    c = np.clip(t, 0.0, 1.0)
    return Finish("tint_" + _hex(c), tuple(float(v) for v in np.round(c, 6)), 0.0, 0.7)


def _hex(c: np.ndarray) -> str:
    return "".join(f"{int(round(float(v) * 255)):02x}" for v in np.clip(c, 0, 1))


def part_material(finish: Finish) -> Material:
    """The Material (id ``mat_part_<name>``) of a finish."""
    return Material(PART_PREFIX + finish.name, name=finish.name.replace("_", " "), base_color=finish.color,
                    metallic=finish.metallic, roughness=finish.roughness, emissive=finish.emissive, alpha=finish.alpha)
