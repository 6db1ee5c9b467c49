"""One generator per archetype (infinigen-style factories): a class's parts from its name, size and a seed.

A :class:`Blueprint` names the class, its archetype, its catalogue size
(w, h, d metres) and a variant number; the archetype's generator draws its
parameters from a generator seeded by (class name, variant) and returns parts
``[(Mesh, finish), ...]`` at that size (+Y up, front +Z, on y = 0), so 1,000
lexicon classes each get a recognisable, deterministic shape: a "wardrobe"
is a tall cabinet with doors and handles, a "stool" a seat on legs, a
"cactus" a ribbed column with arms.  The name picks the form within the
archetype (words like table, desk, chair, shelf, bottle, palm); the size
picks it when no word does.

>>> bp = Blueprint("wardrobe", "furniture", (1.2, 2.0, 0.6))
>>> len(ARCHETYPES["furniture"](bp)) > 4
True
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["Blueprint", "ARCHETYPES", "SIZED", "archetype_of", "OWN_ARCHETYPES"]

#: the archetypes the part generators here build (the movers' own generators live in proxy_movers)
OWN_ARCHETYPES = ("furniture", "container", "plant", "tree", "rock", "building", "street_furniture", "ball", "prop", "robot")
#: catalogue ``kind`` -> archetype, for classes that do not say their archetype
_KIND_ARCHETYPE = {"person": "biped", "animal": "quadruped", "vehicle": "car", "furniture": "furniture", "plant": "plant",
                   "building": "building", "prop": "prop", "street": "street_furniture", "flyer": "bird", "ball": "ball"}


@dataclass(frozen=True)
class Blueprint:
    """What a generator builds: class ``name``, ``archetype``, ``size`` (w, h, d) metres, ``variant``."""

    name: str
    archetype: str
    size: tuple[float, float, float]
    variant: int = 0

    def rng(self) -> np.random.Generator:
        return np.random.default_rng([zlib.crc32(self.name.encode("utf-8")), int(self.variant)])

    def has(self, *words: str) -> bool:
        """Whether the class name contains any of ``words`` (as a word or a word's start)."""
        name = " " + self.name.lower().replace("_", " ").replace("-", " ")
        return any((" " + w) in name for w in words)


def archetype_of(info: Any) -> str | None:
    """A catalogue class's archetype (its ``archetype`` field, else one from its ``kind``)."""
    if info is None:
        return None
    arch = getattr(info, "archetype", None)
    if arch:
        return str(arch)
    if info.name in ("tree",):
        return "tree"
    if info.name in ("rock",):
        return "rock"
    return _KIND_ARCHETYPE.get(getattr(info, "kind", ""), "prop")


def _registry() -> tuple[dict[str, Callable[[Blueprint], list]], dict[str, Callable[[np.ndarray, int], list]]]:
    from scenegraph.appearance.kit_shapes import KIT_SHAPES
    from scenegraph.appearance.props_built import BUILT
    from scenegraph.appearance.props_indoor import INDOOR
    from scenegraph.appearance.props_nature import NATURE
    from scenegraph.appearance.props_misc import MISC

    return {**INDOOR, **NATURE, **BUILT, **MISC}, dict(KIT_SHAPES)


ARCHETYPES, SIZED = _registry()
