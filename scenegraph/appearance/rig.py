"""Skeletons and skinned meshes for characters: humans (adult, child), four-legged animals, birds, fish,
snakes and insects (the animal bodies are built in :mod:`scenegraph.appearance.rig_animals`).

``rig_for(entity, seed)`` gives a :class:`Rig` (or None for things without a
skeleton): named joints in a tree, each joint's rest offset from its parent
(rest rotations are identity, so a joint's axes are the entity's: +Y up, +Z
forward, +X the character's left), and the mesh split by material role
(``clothes`` takes the entity's own material; ``skin``, ``trousers``,
``hair``, ``shoes`` ... get colours picked from the seed and the prompt's
words), every vertex bound to one joint.  Everything is in the entity's local
frame and metres, origin at the feet, so the bind pose stands in the
entity's bounds.  Same entity and seed -> same arrays.

>>> from scenegraph.model import Entity
>>> r = rig_for(Entity("p", cls="person", bounds=((-0.25, 0, -0.15), (0.25, 1.75, 0.15))))
>>> len(r.names) >= 15, r.names[0], round(float(r.bind_world()[r.index("head")][1]), 1)
(True, 'hips', 1.5)
"""
from __future__ import annotations

import dataclasses
import functools
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.appearance.shapes import Mesh, box_mesh, ellipsoid, limb, merge, sphere, transform_mesh

__all__ = ["Rig", "Leg", "rig_for", "rig_kind", "QUADRUPED_SPECIES"]

_CHILD_WORDS = {"child", "kid", "boy", "girl", "toddler", "baby", "children", "kids"}
_BIRDS = {"bird", "duck", "pigeon", "seagull", "sparrow", "crow", "goose", "swan", "eagle", "owl", "parrot", "chicken", "hen"}
_HUMAN_CLASSES = {"person", "man", "woman", "child", "pedestrian", "human", "jogger", "runner"}
_FISH = {"fish", "goldfish", "shark", "salmon", "trout", "carp", "tuna", "whale", "dolphin", "orca", "porpoise", "clownfish"}
_SNAKES = {"snake", "worm", "eel", "serpent", "python", "cobra", "viper", "earthworm"}
_INSECTS = {"insect", "bug", "ant", "bee", "butterfly", "fly", "wasp", "moth", "dragonfly", "mosquito", "hornet", "ladybug",
            "beetle", "spider", "cricket", "grasshopper", "cockroach", "caterpillar"}
#: species -> (leg fraction of height, neck rise, head radius, tail rise, ears pointy, snout length)
QUADRUPED_SPECIES: dict[str, tuple[float, float, float, float, bool, float]] = {
    "dog": (0.42, 0.17, 0.14, 0.25, False, 0.7),
    "cat": (0.38, 0.15, 0.18, 0.6, True, 0.4),
    "horse": (0.5, 0.3, 0.1, 0.05, True, 1.1),
    "cow": (0.4, 0.12, 0.12, 0.05, True, 0.8),
    "sheep": (0.35, 0.12, 0.13, 0.05, False, 0.6),
    "deer": (0.55, 0.3, 0.11, 0.1, True, 0.8),
    "goat": (0.45, 0.2, 0.12, 0.2, True, 0.7),
    "pig": (0.3, 0.05, 0.15, 0.1, True, 0.6),
    "fox": (0.4, 0.15, 0.14, 0.2, True, 0.8),
    "wolf": (0.45, 0.15, 0.13, 0.2, True, 0.8),
    "bear": (0.35, 0.1, 0.13, 0.05, False, 0.6),
    "lion": (0.45, 0.15, 0.14, 0.3, False, 0.6),
    "tiger": (0.4, 0.12, 0.14, 0.3, False, 0.6),
    "elephant": (0.5, 0.05, 0.18, 0.1, False, 1.6),
    "rabbit": (0.25, 0.2, 0.2, 0.2, True, 0.4),
}
_SKIN = [(0.93, 0.76, 0.64), (0.84, 0.64, 0.5), (0.72, 0.52, 0.38), (0.55, 0.38, 0.26), (0.38, 0.25, 0.17)]
_HAIR = [(0.08, 0.06, 0.05), (0.25, 0.16, 0.09), (0.55, 0.4, 0.22), (0.8, 0.68, 0.45), (0.45, 0.45, 0.45)]
_TROUSERS = [(0.1, 0.14, 0.3), (0.15, 0.15, 0.15), (0.35, 0.3, 0.22), (0.25, 0.3, 0.35), (0.5, 0.45, 0.38)]
_SHOES = [(0.06, 0.05, 0.05), (0.35, 0.2, 0.1), (0.85, 0.85, 0.85)]


@dataclass(frozen=True)
class Leg:
    """A leg's joints (upper, lower, foot) as rig indices, its gait phase offset (cycles) and knee sign
    (+1: the foot swings back when the knee bends, as a human knee; -1: a hind leg's hock)."""

    upper: int
    lower: int
    foot: int
    phase: float
    knee: float


@dataclass(frozen=True, eq=False)
class Rig:
    """A skeleton and its skinned mesh, in the entity's local frame."""

    kind: str  # "human" | "quadruped" | "bird" | "fish" | "snake" | "insect"
    names: tuple[str, ...]
    parents: tuple[int, ...]  # -1 for the root joint (a child of the entity's node)
    offsets: np.ndarray  # (J, 3) rest translation from the parent joint (the entity origin for the root)
    parts: tuple[tuple[str, Mesh, np.ndarray], ...]  # (material role, mesh, joint of each vertex (V,))
    colors: dict  # material role -> linear RGB; "clothes" is left to the entity's material
    legs: tuple[Leg, ...]
    height: float
    child: bool = False

    def index(self, name: str) -> int:
        return self.names.index(name)

    def bind_world(self) -> np.ndarray:
        """Each joint's rest position (J, 3) in the entity frame."""
        out = np.zeros((len(self.names), 3))
        for j, p in enumerate(self.parents):
            out[j] = self.offsets[j] + (out[p] if p >= 0 else 0.0)
        return out


def _h(word: str, seed: int) -> int:
    return zlib.crc32(f"{word}|{seed}".encode())


def rig_kind(entity: Any) -> str | None:
    """'human', 'quadruped', 'bird', 'fish', 'snake', 'insect' or None: which skeleton an entity's class gets (from the catalogue's
    archetype where it has one, else from the class name)."""
    if entity.kind != "object":
        return None
    return _kind_of(str(entity.cls).lower(), str(entity.proxy or "").lower())


@functools.lru_cache(maxsize=1024)
def _kind_of(cls: str, proxy: str) -> str | None:
    from scenegraph.model.catalog import lookup

    info = lookup(cls)
    arche = getattr(info, "archetype", None) if info is not None else None
    if info is not None:
        cls = info.name
    if proxy and proxy not in (cls, "person") and proxy not in QUADRUPED_SPECIES and proxy not in _BIRDS | _FISH | _SNAKES | _INSECTS:
        return None  # the artist chose another shape
    if arche == "biped" or cls in _HUMAN_CLASSES:
        return "human"
    if cls in _SNAKES or (arche == "snake" and cls not in _FISH):
        return "snake"
    if cls in _INSECTS or arche == "insect":
        return "insect"
    if cls in _FISH or arche == "fish":
        return "fish"
    if arche == "quadruped" or cls in QUADRUPED_SPECIES:
        return "quadruped"
    if arche == "bird" or cls in _BIRDS:
        return "bird"
    return None


def rig_for(entity: Any, seed: int = 0) -> Rig | None:
    """The rig of an entity (None when its class has no skeleton); cached by what shapes it."""
    kind = rig_kind(entity)
    if kind is None:
        return None
    b = np.asarray(entity.bounds, np.float64)
    words = tuple(sorted(str(w).lower() for w in (entity.attributes.get("words") or ()) if isinstance(w, str)))
    key = (kind, str(entity.cls).lower(), tuple(np.round(b.ravel(), 6).tolist()), words, _h(entity.id, seed))
    return _build(*key)


@functools.lru_cache(maxsize=256)
def _build(kind: str, cls: str, bounds: tuple, words: tuple, h: int) -> Rig:
    b = np.array(bounds).reshape(2, 3)
    if kind == "human":
        return _human(cls, b, words, h)
    if kind == "bird":
        return _bird(cls, b, h)
    if kind in ("fish", "snake", "insect"):
        return _creature(kind, cls, b, h)
    return _quadruped(cls, b, h)


def _creature(kind: str, cls: str, b: np.ndarray, h: int) -> Rig:
    k = float(_rng(h).uniform(0.7, 1.0))
    colors = {"dark": (0.02, 0.018, 0.015), "fin": (0.5 * k, 0.45 * k, 0.4 * k), "wing": (0.8, 0.82, 0.85)}
    return dataclasses.replace(_creature_body(kind, cls, tuple(b.ravel().tolist())), colors=colors)


@functools.lru_cache(maxsize=256)
def _creature_body(kind: str, cls: str, bounds: tuple) -> Rig:
    from scenegraph.appearance import rig_animals as ra

    b = np.array(bounds).reshape(2, 3)
    B = _Builder()
    legs: tuple = ()
    if kind == "fish":
        ra.fish_body(B, cls, b)
    elif kind == "snake":
        ra.snake_body(B, cls, b)
    else:
        n = B.names
        order = ra.insect_body(B, cls, b)
        legs = tuple(Leg(n.index(f"upper_{t}"), n.index(f"lower_{t}"), n.index(f"foot_{t}"), ph, 1.0) for t, ph in order)
    return B.finish(kind, {}, legs, float(b[1, 1] - b[0, 1]), bounds=b if kind != "insect" or cls not in ("butterfly", "moth") else None)


def _rng(h: int) -> np.random.Generator:
    return np.random.default_rng(h)


class _Builder:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.parents: list[int] = []
        self.pos: list[np.ndarray] = []
        self.parts: dict[str, list[tuple[Mesh, int]]] = {}

    def joint(self, name: str, parent: str | None, at: Any) -> int:
        self.names.append(name)
        self.parents.append(self.names.index(parent) if parent else -1)
        self.pos.append(np.asarray(at, np.float64))
        return len(self.names) - 1

    def part(self, role: str, joint: str, mesh: Mesh) -> None:
        self.parts.setdefault(role, []).append((mesh, self.names.index(joint)))

    def finish(self, kind: str, colors: dict, legs: tuple, height: float, child: bool = False, bounds: Any = None) -> Rig:
        pos = np.array(self.pos)
        if bounds is not None:  # shrink about the feet's centre where the body pokes out of the entity's bounds
            b = np.asarray(bounds, np.float64)
            allp = np.concatenate([m.positions for parts in self.parts.values() for m, _ in parts]).astype(np.float64)
            lo, hi = allp.min(axis=0), allp.max(axis=0)
            c = np.array([(b[0, 0] + b[1, 0]) / 2, b[0, 1], (b[0, 2] + b[1, 2]) / 2])
            with np.errstate(divide="ignore", invalid="ignore"):
                k = np.nanmin(np.stack([np.ones(3), np.where(hi > c, (b[1] - c) / (hi - c), 1.0),
                                        np.where(lo < c - 1e-6, (c - b[0]) / (c - lo), 1.0)]), axis=0)
                k[1] = min(1.0, (b[1, 1] - c[1]) / (hi[1] - c[1])) if hi[1] > c[1] else 1.0  # only the top squeezes the height
            k = np.clip(k, 0.05, 1.0) * (1.0 - 1e-6)
            if np.any(k < 1.0 - 1e-6):
                pos = c + (pos - c) * k
                self.parts = {r: [(transform_mesh(m, scale=k, translate=c - c * k), j) for m, j in parts] for r, parts in self.parts.items()}
        offsets = np.array([p - (pos[q] if q >= 0 else 0.0) for p, q in zip(pos, self.parents)])
        offsets.setflags(write=False)
        parts = []
        for role in sorted(self.parts, key=lambda r: (r != "clothes", r)):
            meshes = [m for m, _ in self.parts[role]]
            joints = np.concatenate([np.full(len(m), j, np.uint8) for m, j in self.parts[role]])
            joints.setflags(write=False)
            parts.append((role, merge(meshes), joints))
        return Rig(kind, tuple(self.names), tuple(self.parents), offsets, tuple(parts), colors, legs, height, child)


def _human(cls: str, b: np.ndarray, words: tuple, h: int) -> Rig:
    """A person: the build, leg length and sleeves (a few levels, so bodies are shared) and the colours from the seed."""
    rng = _rng(h)
    shape = (int(rng.integers(4)), int(rng.integers(3)), bool(rng.random() < 0.5))
    colors = {
        "skin": _SKIN[int(rng.integers(len(_SKIN)))],
        "hair": _HAIR[int(rng.integers(len(_HAIR)))],
        "trousers": _TROUSERS[int(rng.integers(len(_TROUSERS)))],
        "shoes": _SHOES[int(rng.integers(len(_SHOES)))],
    }
    return dataclasses.replace(_human_body(cls, tuple(b.ravel().tolist()), words, *shape), colors=colors)


@functools.lru_cache(maxsize=256)
def _human_body(cls: str, bounds: tuple, words: tuple, build_level: int, leg_level: int, sleeves: bool) -> Rig:
    b = np.array(bounds).reshape(2, 3)
    H = float(b[1, 1] - b[0, 1]) or 1.75
    child = cls == "child" or bool(_CHILD_WORDS & set(words)) or H < 1.35
    build = 0.9 + 0.22 * build_level / 3
    if {"fat", "large", "heavy", "stocky", "big"} & set(words):
        build *= 1.25
    if {"thin", "slim", "skinny", "slender"} & set(words):
        build *= 0.85
    leg = 0.47 if child else 0.51 + 0.015 * leg_level
    head = 0.17 if child else 0.13
    w = build
    y0 = float(b[0, 1])
    ankle = 0.045 * H
    hip = leg * H
    knee = ankle + 0.5 * (hip - ankle) + 0.01 * H
    neck = H * (1.0 - head) - 0.03 * H
    chest = hip + 0.55 * (neck - hip)
    spine = hip + 0.2 * (neck - hip)
    sh_y = neck - 0.02 * H
    span = w ** 0.25  # build thickens the torso and limbs more than it widens the frame
    sh_x = (0.115 if not child else 0.105) * H * span
    arm = (0.34 if not child else 0.31) * H
    elbow, wrist = sh_y - 0.55 * arm, sh_y - arm
    hip_x = 0.055 * H * span
    B = _Builder()
    B.joint("hips", None, (0, y0 + hip, 0))
    B.joint("spine", "hips", (0, y0 + spine, 0))
    B.joint("chest", "spine", (0, y0 + chest, 0))
    B.joint("neck", "chest", (0, y0 + neck, 0))
    B.joint("head", "neck", (0, y0 + neck + 0.04 * H, 0))
    for s, side in ((1, "L"), (-1, "R")):
        B.joint(f"shoulder_{side}", "chest", (s * 0.03 * H, y0 + sh_y, 0))
        B.joint(f"upper_arm_{side}", f"shoulder_{side}", (s * sh_x, y0 + sh_y, 0))
        B.joint(f"lower_arm_{side}", f"upper_arm_{side}", (s * (sh_x + 0.01 * H), y0 + elbow, 0))
        B.joint(f"hand_{side}", f"lower_arm_{side}", (s * (sh_x + 0.015 * H), y0 + wrist, 0))
    for s, side in ((1, "L"), (-1, "R")):
        B.joint(f"upper_leg_{side}", "hips", (s * hip_x, y0 + hip, 0))
        B.joint(f"lower_leg_{side}", f"upper_leg_{side}", (s * hip_x, y0 + knee, 0))
        B.joint(f"foot_{side}", f"lower_leg_{side}", (s * hip_x, y0 + ankle, 0))
    P = {n: p for n, p in zip(B.names, B.pos)}
    r_limb = 0.034 * H * w
    B.part("trousers", "hips", ellipsoid((0.1 * H * w, 0.07 * H, 0.065 * H * w), P["hips"] + (0, -0.005 * H, 0), 6, 12))
    B.part("clothes", "spine", ellipsoid((0.095 * H * w, 0.1 * H, 0.06 * H * w), P["spine"] + (0, 0.06 * H, 0), 6, 12))
    B.part("clothes", "chest", ellipsoid((0.12 * H * w, 0.1 * H, 0.07 * H * w), P["chest"] + (0, 0.05 * H, 0), 6, 12))
    B.part("skin", "neck", limb(P["neck"] - (0, 0.02 * H, 0), P["head"] + (0, 0.02 * H, 0), 0.028 * H, 8))
    hc = np.array([0.0, y0 + H - 0.5 * head * H, 0.0])
    hr = 0.5 * head * H
    B.part("skin", "head", ellipsoid((0.8 * hr, hr, 0.9 * hr), hc, 8, 12))
    B.part("skin", "head", sphere(0.12 * hr, hc + (0, -0.1 * hr, 0.9 * hr), 3, 6))
    B.part("hair", "head", ellipsoid((0.86 * hr, 0.62 * hr, 0.95 * hr), hc + (0, 0.45 * hr, -0.08 * hr), 5, 12))
    for s, side in ((1, "L"), (-1, "R")):
        ua, la, ha = P[f"upper_arm_{side}"], P[f"lower_arm_{side}"], P[f"hand_{side}"]
        B.part("clothes", f"shoulder_{side}", ellipsoid((0.05 * H * w, 0.035 * H, 0.045 * H * w), ua + (-s * 0.01 * H, -0.005 * H, 0), 4, 8))
        B.part("clothes", f"upper_arm_{side}", limb(ua + (0, 0.01 * H, 0), la - (0, 0.01 * H, 0), 0.9 * r_limb, 8))
        B.part("clothes" if sleeves else "skin", f"lower_arm_{side}", limb(la + (0, 0.01 * H, 0), ha, 0.75 * r_limb, 8))
        B.part("skin", f"hand_{side}", ellipsoid((0.018 * H, 0.045 * H, 0.03 * H), ha + (0, -0.04 * H, 0), 4, 8))
        ul, ll, ft = P[f"upper_leg_{side}"], P[f"lower_leg_{side}"], P[f"foot_{side}"]
        B.part("trousers", f"upper_leg_{side}", limb(ul + (0, 0.03 * H, 0), ll - (0, 0.01 * H, 0), 1.3 * r_limb, 8))
        B.part("trousers", f"lower_leg_{side}", limb(ll + (0, 0.01 * H, 0), ft, 1.0 * r_limb, 8))
        fw = 0.03 * H
        B.part("shoes", f"foot_{side}", box_mesh((ft[0] - fw, y0, -0.035 * H), (ft[0] + fw, y0 + ankle + 0.01 * H, 0.105 * H)))
    colors: dict = {}
    names = B.names
    legs = tuple(Leg(names.index(f"upper_leg_{s}"), names.index(f"lower_leg_{s}"), names.index(f"foot_{s}"), ph, 1.0)
                 for s, ph in (("L", 0.0), ("R", 0.5)))
    return B.finish("human", colors, legs, H, child, b)


def _quadruped(cls: str, b: np.ndarray, h: int) -> Rig:
    k = float(_rng(h).uniform(0.55, 0.8))
    colors = {"snout": (k * 0.8, k * 0.65, k * 0.55), "hoof": (0.08, 0.07, 0.06), "dark": (0.02, 0.018, 0.015),
              "horn": (0.75, 0.68, 0.55), "mane": (k * 0.35, k * 0.25, k * 0.15)}
    return dataclasses.replace(_quadruped_body(cls, tuple(b.ravel().tolist())), colors=colors)


@functools.lru_cache(maxsize=256)
def _quadruped_body(cls: str, bounds: tuple) -> Rig:
    from scenegraph.appearance.rig_animals import quadruped_body

    b = np.array(bounds).reshape(2, 3)
    B = _Builder()
    order = quadruped_body(B, cls, b)
    n = B.names
    legs = tuple(Leg(n.index(f"upper_{t}"), n.index(f"lower_{t}"), n.index(f"foot_{t}"), ph, 1.0 if t.startswith("front") else -1.0)
                 for t, ph in order)
    return B.finish("quadruped", {}, legs, float(b[1, 1] - b[0, 1]), bounds=b)


def _bird(cls: str, b: np.ndarray, h: int) -> Rig:
    """A bird standing on two legs, wings spread in the bind pose (the gait folds or flaps them)."""
    k = float(_rng(h).uniform(0.7, 1.0))
    colors = {"beak": (0.95, 0.6, 0.15), "wing": (0.45 * k, 0.45 * k, 0.48 * k)}
    return dataclasses.replace(_bird_body(cls, tuple(b.ravel().tolist())), colors=colors)


@functools.lru_cache(maxsize=256)
def _bird_body(cls: str, bounds: tuple) -> Rig:
    b = np.array(bounds).reshape(2, 3)
    w, hh, d = (b[1] - b[0]).tolist()
    y0, zc = float(b[0, 1]), float(0.5 * (b[0, 2] + b[1, 2]))
    span = 1.1 * max(d, w * 2)  # half the wingspan
    B = _Builder()
    B.joint("hips", None, (0, y0 + 0.42 * hh, zc - 0.05 * d))
    B.joint("neck", "hips", (0, y0 + 0.55 * hh, zc + 0.15 * d))
    B.joint("head", "neck", (0, y0 + 0.72 * hh, zc + 0.24 * d))
    B.joint("tail", "hips", (0, y0 + 0.45 * hh, zc - 0.3 * d))
    for s, side in ((1, "L"), (-1, "R")):
        B.joint(f"wing_{side}", "hips", (s * 0.2 * w, y0 + 0.55 * hh, zc))
        B.joint(f"wing_tip_{side}", f"wing_{side}", (s * (0.2 * w + 0.5 * span), y0 + 0.55 * hh, zc - 0.03 * d))
    for s, side in ((1, "L"), (-1, "R")):
        B.joint(f"thigh_{side}", "hips", (s * 0.07 * w, y0 + 0.3 * hh, zc))
        B.joint(f"shin_{side}", f"thigh_{side}", (s * 0.07 * w, y0 + 0.16 * hh, zc))
        B.joint(f"foot_{side}", f"shin_{side}", (s * 0.07 * w, y0 + 0.02 * hh, zc))
    P = {n: p for n, p in zip(B.names, B.pos)}
    B.part("clothes", "hips", ellipsoid((0.3 * w, 0.26 * hh, 0.32 * d), P["hips"], 6, 10))
    B.part("clothes", "neck", ellipsoid((0.16 * w, 0.14 * hh, 0.14 * d), P["neck"] + (0, 0.02 * hh, 0), 4, 8))
    B.part("clothes", "head", sphere(0.17 * hh, P["head"] + (0, 0.04 * hh, 0.02 * d), 5, 8))
    flat = cls in ("duck", "goose", "swan")
    bill = ellipsoid((0.1 * w, 0.03 * hh, 0.14 * d), P["head"] + (0, 0.02 * hh, 0.2 * d), 3, 6) if flat else \
        ellipsoid((0.04 * w, 0.03 * hh, 0.1 * d), P["head"] + (0, 0.04 * hh, 0.18 * d), 3, 6)
    B.part("beak", "head", bill)
    B.part("clothes", "tail", ellipsoid((0.14 * w, 0.03 * hh, 0.16 * d), P["tail"] + (0, 0, -0.08 * d), 3, 8))
    for s, side in ((1, "L"), (-1, "R")):
        a, t = P[f"wing_{side}"], P[f"wing_tip_{side}"]
        B.part("wing", f"wing_{side}", ellipsoid((0.27 * span, 0.02 * hh + 0.004, 0.2 * d), (a + t) / 2, 3, 10))
        B.part("wing", f"wing_tip_{side}", ellipsoid((0.3 * span, 0.015 * hh + 0.003, 0.13 * d), t + (s * 0.25 * span, 0, -0.04 * d), 3, 10))
        B.part("beak", f"shin_{side}", limb(P[f"shin_{side}"], P[f"foot_{side}"], 0.012 * hh + 0.002, 5))
        B.part("beak", f"thigh_{side}", limb(P[f"thigh_{side}"], P[f"shin_{side}"], 0.016 * hh + 0.002, 5))
        f = P[f"foot_{side}"]
        B.part("beak", f"foot_{side}", box_mesh((f[0] - 0.04 * w, y0, f[2] - 0.02 * d), (f[0] + 0.04 * w, y0 + 0.02 * hh, f[2] + 0.12 * d)))
    colors: dict = {}
    n = B.names
    legs = tuple(Leg(n.index(f"thigh_{s}"), n.index(f"shin_{s}"), n.index(f"foot_{s}"), ph, -1.0) for s, ph in (("L", 0.0), ("R", 0.5)))
    return B.finish("bird", colors, legs, hh)  # spread wings reach past the folded bird's bounds
