"""Colour and material words -> PBR materials (linear RGB base colour, metallic, roughness).

Colour words are defined in sRGB and converted to linear RGB (DESIGN.md: material
colours are linear).  Entities with the same look share one material whose id
is stable, e.g. ``mat_red_paint`` or ``mat_dark_blue_metal``.

>>> m = material_for("dark blue", "metal")
>>> m.id, m.metallic
('mat_dark_blue_metal', 1.0)
>>> round(float(srgb_to_linear(0.5)), 4)
0.214
"""
from __future__ import annotations

import functools
import re

import numpy as np

from scenegraph.errors import SpecError
from scenegraph.model.payloads import Material

__all__ = ["COLORS", "MATERIALS", "srgb_to_linear", "color_rgb", "material_for", "is_color_word", "is_material_word"]

#: sRGB colours (0..255) of plain colour words
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 30), "green": (40, 160, 60), "blue": (30, 70, 200), "yellow": (240, 210, 40),
    "orange": (240, 130, 30), "purple": (130, 50, 160), "violet": (140, 80, 200), "pink": (240, 140, 180),
    "brown": (120, 75, 40), "black": (20, 20, 20), "white": (235, 235, 235), "grey": (128, 128, 128),
    "gray": (128, 128, 128), "silver": (192, 192, 196), "gold": (212, 175, 55), "golden": (212, 175, 55),
    "beige": (220, 200, 160), "cyan": (40, 200, 220), "teal": (30, 128, 128), "turquoise": (64, 210, 200),
    "magenta": (210, 40, 160), "navy": (20, 30, 100), "maroon": (120, 20, 30), "olive": (110, 110, 40),
    "lime": (150, 220, 50), "tan": (200, 165, 120), "cream": (245, 235, 205), "crimson": (190, 20, 50),
    "scarlet": (230, 40, 20), "indigo": (70, 40, 130), "khaki": (190, 180, 130), "bronze": (180, 120, 60),
    "copper": (184, 115, 51), "ivory": (245, 240, 225), "charcoal": (54, 60, 66), "ochre": (204, 119, 34),
    "blond": (230, 205, 140), "blonde": (230, 205, 140),
}

#: tone words that modify a colour (applied in sRGB)
_TONES = {"dark": 0.55, "deep": 0.6, "light": None, "pale": None, "bright": 1.15, "pastel": None}

#: material word -> (metallic, roughness, default sRGB colour or None)
MATERIALS: dict[str, tuple[float, float, tuple[int, int, int] | None]] = {
    "paint": (0.0, 0.35, None), "metal": (1.0, 0.35, (180, 180, 185)), "steel": (1.0, 0.3, (170, 172, 178)),
    "chrome": (1.0, 0.08, (220, 220, 225)), "aluminium": (1.0, 0.3, (200, 200, 205)), "iron": (1.0, 0.6, (90, 90, 95)),
    "wood": (0.0, 0.7, (150, 105, 60)), "glass": (0.0, 0.05, (220, 235, 240)), "fabric": (0.0, 0.9, None),
    "cloth": (0.0, 0.9, None), "cotton": (0.0, 0.9, None), "wool": (0.0, 0.95, None), "denim": (0.0, 0.9, (60, 80, 130)),
    "skin": (0.0, 0.6, None), "fur": (0.0, 0.95, None), "feather": (0.0, 0.9, None), "leaf": (0.0, 0.8, (60, 130, 50)),
    "asphalt": (0.0, 0.95, (60, 60, 62)), "grass": (0.0, 0.95, (70, 130, 50)), "plastic": (0.0, 0.45, None),
    "stone": (0.0, 0.85, (140, 138, 130)), "concrete": (0.0, 0.9, (160, 160, 155)), "brick": (0.0, 0.85, (160, 70, 50)),
    "rubber": (0.0, 0.85, (30, 30, 30)), "leather": (0.0, 0.55, (110, 60, 30)), "ceramic": (0.0, 0.2, None),
    "porcelain": (0.0, 0.15, (240, 240, 240)), "paper": (0.0, 0.8, None), "cardboard": (0.0, 0.9, (170, 130, 85)),
    "marble": (0.0, 0.25, (230, 230, 225)), "sand": (0.0, 1.0, (210, 190, 140)), "dirt": (0.0, 1.0, (110, 85, 60)),
    "snow": (0.0, 0.7, (245, 248, 250)), "water": (0.0, 0.05, (40, 90, 120)), "tile": (0.0, 0.3, (200, 200, 195)),
    "carpet": (0.0, 1.0, (140, 60, 50)), "wax": (0.0, 0.5, None), "gold": (1.0, 0.25, (212, 175, 55)),
    "silver": (1.0, 0.2, (200, 200, 205)), "bronze": (1.0, 0.4, (180, 120, 60)), "copper": (1.0, 0.35, (184, 115, 51)),
}
_MATERIAL_ALIASES = {"metallic": "metal", "wooden": "wood", "glassy": "glass", "plastics": "plastic", "stony": "stone",
                     "brick": "brick", "leathern": "leather", "rubbery": "rubber", "painted": "paint", "woollen": "wool",
                     "steely": "steel", "marble": "marble", "golden": "gold", "concrete": "concrete", "grassy": "grass",
                     "sandy": "sand", "muddy": "dirt", "mud": "dirt", "earth": "dirt", "pavement": "concrete",
                     "floor": "wood", "parquet": "wood", "tiles": "tile", "tiled": "tile", "cardboard": "cardboard",
                     "furry": "fur", "ceramics": "ceramic", "road": "asphalt", "tarmac": "asphalt", "lawn": "grass"}
_DEFAULT_SRGB = (180, 180, 180)


def srgb_to_linear(c: np.ndarray | float) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear (IEC 61966-2-1)."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _words(text: str | None) -> list[str]:
    return re.findall(r"[a-z]+", (text or "").lower())


def is_color_word(word: str) -> bool:
    return word.lower() in COLORS or word.lower() in _TONES


def is_material_word(word: str) -> bool:
    w = word.lower()
    return w in MATERIALS or w in _MATERIAL_ALIASES


def material_word(word: str) -> str | None:
    """The canonical material for a word (``wooden`` -> ``wood``), or None."""
    w = word.lower()
    w = _MATERIAL_ALIASES.get(w, w)
    return w if w in MATERIALS else None


def color_rgb(text: str) -> np.ndarray:
    """Linear RGB (3,) of a colour phrase such as ``red``, ``dark blue``, ``light green``, ``blue-green``.

    Raises SpecError when no colour word is found.
    """
    words = _words(text)
    hues = [w for w in words if w in COLORS]
    if not hues:
        raise SpecError(f"colour {text!r}: no known colour word (known: {', '.join(sorted(COLORS))})")
    srgb = np.mean([COLORS[h] for h in hues], axis=0) / 255.0
    for w in words:
        if w in ("dark", "deep"):
            srgb = srgb * _TONES[w]
        elif w in ("light", "pale", "pastel"):
            srgb = srgb + (1.0 - srgb) * 0.45
        elif w == "bright":
            srgb = np.clip(srgb * 1.15, 0, 1)
    return srgb_to_linear(srgb)


def canonical_color(text: str | None) -> str | None:
    """The colour phrase reduced to its known words (``Dark-Blue`` -> ``dark blue``), or None."""
    words = [w for w in _words(text) if w in COLORS or w in _TONES]
    return " ".join(words) if any(w in COLORS for w in words) else None


def material_for(color: str | None, material: str | None, *, default_color: str | None = None,
                 default_material: str = "plastic") -> Material:
    """The shared PBR material for a colour phrase and a material word.

    ``color`` falls back to ``default_color`` then to the material's own colour;
    the id is ``mat_<colour words>_<material>`` (``mat_<material>`` without a colour).
    Raises SpecError for an unknown material word or colour phrase.
    Materials are frozen, so one is made once per set of words and shared.
    """
    try:
        return _material(color, material, default_color, default_material)
    except TypeError:  # not hashable (not words): made afresh, and it says what is wrong with it
        return _material.__wrapped__(color, material, default_color, default_material)


@functools.lru_cache(maxsize=1024)
def _material(color: str | None, material: str | None, default_color: str | None, default_material: str) -> Material:
    mat = default_material
    if material:
        mat = material_word(material) or ""
        if not mat:
            raise SpecError(f"material {material!r}: unknown (known: {', '.join(sorted(MATERIALS))})")
    metallic, roughness, own = MATERIALS[mat]
    col = canonical_color(color) if color else None
    if color and col is None:
        raise SpecError(f"colour {color!r}: no known colour word (known: {', '.join(sorted(COLORS))})")
    if col is None and own is None and default_color:
        col = canonical_color(default_color)
    if col is not None:
        rgb = color_rgb(col)
        key = col.replace(" ", "_") + "_" + mat
    else:
        rgb = srgb_to_linear(np.asarray(own or _DEFAULT_SRGB) / 255.0)
        key = mat
    alpha = 0.35 if mat == "glass" else 1.0
    return Material(f"mat_{key}", name=key.replace("_", " "), base_color=np.round(rgb, 6),
                    metallic=metallic, roughness=roughness, alpha=alpha)
