"""Generators for trees, plants and rocks (see :mod:`scenegraph.appearance.generators`).

Trees: a conifer (pine, fir, spruce, cedar, cypress), a palm, a birch or a
broadleaf whose crown is a seeded cluster of leaf masses on branches.  The
crown is the body (the entity's colour: "an autumn red tree"), the trunk
bark.  Plants: potted plants, flowers, cacti, bushes and hedges, grass and
reeds, mushrooms.  Rocks: a seeded, lumpy, flattened stone.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.appearance.shapes import Mesh, cone, cylinder, ellipsoid, frustum, limb, rod, sphere, transform_mesh

__all__ = ["NATURE", "lumpy"]


def lumpy(radii, center, rng: np.random.Generator, amount: float = 0.18, rings: int = 7, segments: int = 12) -> Mesh:
    """An ellipsoid with a seeded low-frequency bumpy surface (leaf masses, rocks)."""
    m = ellipsoid(radii, (0.0, 0.0, 0.0), rings, segments)
    p = m.positions.astype(np.float64)
    u = p / np.maximum(np.linalg.norm(p / np.asarray(radii), axis=1, keepdims=True), 1e-9) / np.asarray(radii)
    k = rng.normal(size=(4, 3))
    ph = rng.uniform(0, 2 * math.pi, 4)
    bump = sum(np.sin(u @ (2.5 * k[i]) + ph[i]) for i in range(4)) / 4.0
    p = p * (1.0 + amount * bump)[:, None] + np.asarray(center, np.float64)
    return Mesh(p, m.normals, m.uvs, m.indices)


def _conifer(bp, rng) -> list:
    w, h, d = bp.size
    trunk_r = 0.05 * w
    parts: list = [(cylinder(trunk_r, 0.0, 0.3 * h, 10), "bark")]
    tiers = int(rng.integers(3, 6))
    for i in range(tiers):
        f = i / tiers
        y0 = (0.15 + 0.7 * f) * h
        y1 = min(h, y0 + (0.45 - 0.2 * f) * h)
        r = (0.5 - 0.38 * f) * w
        parts.append((cone(r, y0, y1, 14), 1.0 - 0.04 * i))
    parts[-1] = (cone(parts[-1][0].bounds[1][0], float(parts[-1][0].bounds[0][1]), h, 14), 1.0)
    return parts


def _palm(bp, rng) -> list:
    w, h, d = bp.size
    lean = float(rng.uniform(0.05, 0.15)) * h
    pts = [(lean * (t ** 2), t * 0.88 * h, 0.0) for t in np.linspace(0.0, 1.0, 6)]
    parts: list = [(rod(a, b, 0.045 * w * (1.2 - 0.4 * i / 5), 8), "bark") for i, (a, b) in enumerate(zip(pts, pts[1:]))]
    top = np.array(pts[-1])
    n = int(rng.integers(6, 10))
    for k in range(n):
        ang = 2 * math.pi * k / n + float(rng.uniform(-0.2, 0.2))
        reach = 0.5 * w * float(rng.uniform(0.8, 1.0))
        tip = top + [reach * math.cos(ang), -0.12 * h * float(rng.uniform(0.5, 1.0)), reach * math.sin(ang)]
        mid = (top + tip) / 2 + [0.0, 0.08 * h, 0.0]
        rot = np.array([[math.cos(ang), 0, -math.sin(ang)], [0, 1, 0], [math.sin(ang), 0, math.cos(ang)]])
        for a, b in ((top, mid), (mid, tip)):
            c = (a + b) / 2
            length = float(np.linalg.norm(b - a))
            leaf = transform_mesh(sphere(0.5, rings=4, segments=8), scale=(length, 0.03 * h, 0.12 * w))
            tilt = math.atan2(b[1] - a[1], math.hypot(b[0] - a[0], b[2] - a[2]))
            rz = np.array([[math.cos(tilt), -math.sin(tilt), 0], [math.sin(tilt), math.cos(tilt), 0], [0, 0, 1]])
            parts.append((transform_mesh(leaf, rotate=rot @ rz, translate=c), 1.0))
    parts.append((sphere(0.06 * w, tuple(top), 4, 8), "bark"))
    return parts


def _broadleaf(bp, rng) -> list:
    w, h, d = bp.size
    birch = bp.has("birch", "aspen")
    trunk_h = float(rng.uniform(0.35, 0.5)) * h
    trunk_r = float(rng.uniform(0.05, 0.08)) * min(w, d)
    bark = "ceramic" if birch else "bark"
    parts: list = [(frustum(trunk_r * 1.3, trunk_r * 0.8, 0.0, trunk_h, 10), bark)]
    crown_c = np.array([0.0, trunk_h + 0.5 * (h - trunk_h), 0.0])
    crown_r = np.array([0.5 * w, 0.5 * (h - trunk_h), 0.5 * d])
    n = int(rng.integers(4, 7))
    for k in range(n):
        ang = 2 * math.pi * k / n + float(rng.uniform(-0.3, 0.3))
        off = np.array([math.cos(ang) * crown_r[0] * 0.45, float(rng.uniform(-0.25, 0.2)) * crown_r[1], math.sin(ang) * crown_r[2] * 0.45])
        c = crown_c + off
        parts.append((rod((0.0, trunk_h * 0.85, 0.0), tuple(c * [0.7, 1.0, 0.7] + [0, -0.1 * crown_r[1], 0]), trunk_r * 0.45, 6), bark))
        r = crown_r * float(rng.uniform(0.45, 0.6))
        parts.append((lumpy(r, c, rng, 0.15, 6, 10), float(rng.uniform(0.85, 1.0))))
    parts.append((lumpy(crown_r * [0.75, 0.8, 0.75], crown_c + [0, 0.1 * crown_r[1], 0], rng, 0.12, 7, 12), 1.0))
    return parts


def tree(bp) -> list:
    rng = bp.rng()
    if bp.has("pine", "fir", "spruce", "cedar", "cypress", "conifer", "christmas", "larch", "redwood", "sequoia"):
        return _conifer(bp, rng)
    if bp.has("palm", "coconut"):
        return _palm(bp, rng)
    return _broadleaf(bp, rng)


def plant(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    if bp.has("tree", "oak", "maple", "birch", "willow", "palm", "pine", "fir", "elm", "beech", "ash"):
        return tree(bp)
    if bp.has("cactus", "cacti", "succulent"):
        r = 0.2 * min(w, d)
        parts: list = [(frustum(r, r * 0.9, 0.0, 0.92 * h, 10), 1.0), (sphere(r * 0.9, (0.0, 0.92 * h, 0.0), 4, 10), 1.0)]
        for sx in (-1, 1):
            if rng.random() < 0.8:
                y = float(rng.uniform(0.3, 0.55)) * h
                x = sx * 0.35 * w
                parts += [(limb((0.0, y, 0.0), (x, y, 0.0), r * 0.6, 8), 1.0), (limb((x, y, 0.0), (x, y + float(rng.uniform(0.2, 0.35)) * h, 0.0), r * 0.6, 8), 1.0)]
        return parts
    if bp.has("bush", "shrub", "hedge", "hedgerow", "topiary"):
        parts = []
        n = max(3, int(round(w / max(d, 0.3) * 2)))
        for k in range(n):
            x = (k + 0.5) / n * w - w / 2
            r = np.array([0.6 * w / n + 0.25 * d, 0.5 * h, 0.5 * d]) * float(rng.uniform(0.85, 1.0))
            parts.append((lumpy(r, (x, 0.5 * h, 0.0), rng, 0.15, 6, 10), float(rng.uniform(0.85, 1.0))))
        return parts
    if bp.has("grass", "reed", "wheat", "corn", "bamboo", "tuft"):
        parts = []
        for k in range(int(rng.integers(7, 12))):
            ang = float(rng.uniform(0, 2 * math.pi))
            tip = (0.5 * w * math.cos(ang) * float(rng.random()), h * float(rng.uniform(0.6, 1.0)), 0.5 * d * math.sin(ang) * float(rng.random()))
            parts.append((limb((0.0, 0.0, 0.0), tip, 0.02 * min(w, d) + 0.002, 5), 1.0))
        return parts
    if bp.has("mushroom", "toadstool", "fungus"):
        return [(frustum(0.15 * w, 0.12 * w, 0.0, 0.6 * h, 10), "paper"), (transform_mesh(sphere(0.5, rings=5, segments=12), scale=(w, 0.8 * h, d), translate=(0.0, 0.6 * h, 0.0)), 1.0)]
    flower = bp.has("flower", "rose", "tulip", "daisy", "sunflower", "lily", "orchid", "bouquet", "lavender")
    pot_h = 0.3 * h
    parts = [(frustum(0.36 * w, 0.45 * w, 0.0, pot_h, 14), "terracotta"), (cylinder(0.42 * w, pot_h - 0.02 * h, pot_h, 14), "soil")]
    n = int(rng.integers(5, 9))
    for k in range(n):
        ang = 2 * math.pi * k / n + float(rng.uniform(-0.3, 0.3))
        reach = 0.4 * w * float(rng.uniform(0.6, 1.0))
        top = (reach * math.cos(ang), h * float(rng.uniform(0.75, 0.97)), reach * 0.8 * math.sin(ang))
        if flower:
            parts.append((rod((0.0, pot_h, 0.0), top, 0.01 * w + 0.002, 5), "leaf"))
            parts.append((sphere(0.09 * w, top, 4, 8), 1.0))
        else:
            mid = (top[0] * 0.5, pot_h + 0.5 * (top[1] - pot_h), top[2] * 0.5)
            parts.append((rod((0.0, pot_h, 0.0), mid, 0.012 * w + 0.002, 5), "leaf_dark"))
            c = np.add(mid, top) / 2
            parts.append((transform_mesh(sphere(0.5, rings=4, segments=8), scale=(0.16 * w, 0.5 * (top[1] - mid[1]) + 0.02, 0.16 * w), translate=c), 1.0))
    return parts


def rock(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    main = lumpy((0.5 * w, 0.5 * h, 0.5 * d), (0.0, 0.5 * h, 0.0), rng, 0.22, 7, 12)
    parts: list = [(main, 1.0)]
    if not bp.has("pebble"):  # a smaller stone leaning on it, or a moss patch on top
        if rng.random() < 0.5:
            parts.append((lumpy((0.35 * w, 0.12 * h, 0.3 * d), (0.0, 0.82 * h, 0.0), rng, 0.15, 4, 8), "leaf_dark"))
            return parts
        parts.append((lumpy((0.22 * w, 0.25 * h, 0.2 * d), (0.3 * w, 0.22 * h, 0.25 * d), rng, 0.2, 5, 9), 0.9))
    return parts


NATURE = {"tree": tree, "plant": plant, "rock": rock}

