"""Generators for balls, small props and robots, and stand-ins for the mover archetypes
(see :mod:`scenegraph.appearance.generators`).

Props: the name picks a form — tools (hammer, knife, spoon, pen, brush,
racket, bat), food (apple, cake, pizza, bread), instruments (guitar, drum),
devices (phone, laptop, camera, clock) — and, without a word for it, the
proportions do: flat things are trays, long thin ones tools with a handle,
tall ones bottles, the rest a rounded box with a lid.  Movers (biped,
quadruped, bird, fish, insect, snake, vehicles) get the body of their
archetype's built-in proxy scaled to the class, until their own generators
(the characters' work) take over.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.appearance.proxy_movers import MOVERS, person_parts
from scenegraph.appearance.shapes import box_mesh, capsule, cone, cylinder, ellipsoid, limb, revolve, rod, sphere, torus, transform_mesh, wheel

__all__ = ["MISC"]

_ROT_X = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # +Y -> +Z
_ROT_Z = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # +Y -> -X


def ball(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    r = 0.5
    parts: list = [(transform_mesh(sphere(r, (0.0, r, 0.0), 12, 20), scale=(w, h, d)), 1.0)]
    if bp.has("tennis", "baseball", "cricket"):
        seam = transform_mesh(torus(r * 1.0, 0.015, 3, 24), rotate=np.array([[1, 0, 0], [0, 0.7071, -0.7071], [0, 0.7071, 0.7071]]), translate=(0.0, r, 0.0))
        parts.append((transform_mesh(seam, scale=(w, h, d)), "marking"))
    elif bp.has("basket"):
        for rot in (np.eye(3), _ROT_X, _ROT_Z):
            parts.append((transform_mesh(transform_mesh(torus(r * 1.0, 0.012, 3, 24), rotate=rot, translate=(0.0, r, 0.0)), scale=(w, h, d)), "dark"))
    elif bp.has("beach"):
        for k in range(3):
            ang = k * math.pi / 3
            rot = np.array([[math.cos(ang), -math.sin(ang), 0], [math.sin(ang), math.cos(ang), 0], [0, 0, 1]]) @ _ROT_Z.T
            parts.append((transform_mesh(transform_mesh(torus(r * 1.0, 0.03, 3, 24), rotate=rot @ _ROT_Z, translate=(0.0, r, 0.0)), scale=(w, h, d)), "marking"))
    else:  # a football: seam rings, and dark patches placed by seed
        for rot in (np.eye(3), _ROT_X):
            parts.append((transform_mesh(transform_mesh(torus(r * 1.0, 0.01, 3, 24), rotate=rot, translate=(0.0, r, 0.0)), scale=(w, h, d)), "dark"))
        for _ in range(int(rng.integers(3, 6))):
            v = rng.normal(size=3)
            v /= np.linalg.norm(v)
            parts.append((transform_mesh(sphere(0.14, tuple(v * 0.92 * r + [0, r, 0]), 3, 6), scale=(w, h, d)), "dark"))
    return parts


def _tool(bp, w, h, d, rng) -> list:
    """A long thing lying along its longest axis: a handle and a head (hammer, knife, spoon, bat, racket, pen)."""
    dims = np.array([w, h, d])
    ax = int(np.argmax(dims))
    length = float(dims[ax])
    t = float(np.sort(dims)[1])
    handle = 0.45 if not bp.has("pen", "pencil", "stick", "rod", "pole", "bat", "wand") else 1.0
    parts: list = [(rod((0.0, 0.0, -0.5 * length), (0.0, 0.0, -0.5 * length + handle * length), 0.25 * t + 1e-3, 8), "wood" if rng.random() < 0.5 else "dark")]
    if handle < 1.0:
        head_len = (1.0 - handle) * length
        z0 = -0.5 * length + handle * length
        if bp.has("racket", "racquet", "spoon", "ladle", "shovel", "spade", "paddle", "net"):
            parts.append((transform_mesh(sphere(0.5, rings=5, segments=12), scale=(1.6 * t + 1e-3, 0.3 * t + 1e-3, head_len), translate=(0.0, 0.0, z0 + head_len / 2)), 1.0))
        elif bp.has("hammer", "axe", "mallet", "pick"):
            parts.append((rod((0.0, 0.0, z0 + 0.7 * head_len), (0.0, 0.0, 0.5 * length), 0.25 * t, 8), "steel"))
            parts.append((box_mesh((-t, -0.3 * t, z0 + 0.6 * head_len), (t, 0.3 * t, 0.5 * length)), "steel"))
        else:  # blade / fork / brush head
            parts.append((box_mesh((-0.35 * t, -0.1 * t, z0), (0.35 * t, 0.1 * t, 0.5 * length)), "steel"))
    out = []
    for m, f in parts:  # lay it along the longest axis, on the ground
        if ax == 0:
            m = transform_mesh(m, rotate=np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]))
        elif ax == 1:
            m = transform_mesh(m, rotate=np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]))
        out.append((m, f))
    lo = min(float(m.bounds[0][1]) for m, _ in out)
    return [(transform_mesh(m, translate=(0.0, -lo, 0.0)), f) for m, f in out]


def prop(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    if bp.has("guitar", "violin", "cello", "ukulele", "banjo"):
        body = transform_mesh(sphere(0.5, rings=6, segments=14), scale=(0.8 * w, 0.12 * d, 0.45 * h), rotate=_ROT_X)
        return [(transform_mesh(body, translate=(0.0, 0.25 * h, 0.0)), 1.0), (box_mesh((-0.06 * w, 0.45 * h, -0.03 * d), (0.06 * w, h, 0.03 * d)), "wood_dark"),
                (transform_mesh(cylinder(0.1 * w, 0.0, 0.01, 12), rotate=_ROT_X, translate=(0.0, 0.3 * h, 0.06 * d)), "dark")]
    if bp.has("drum"):
        return [(cylinder(0.5 * w, 0.0, 0.9 * h, 16), 1.0), (cylinder(0.48 * w, 0.9 * h, h, 16), "paper")]
    if bp.has("cake", "pie", "pizza", "tart", "cheese"):
        parts: list = [(cylinder(0.5 * w, 0.0, 0.85 * h, 18), 1.0), (cylinder(0.5 * w, 0.85 * h, h, 18), "paper" if bp.has("cake") else "terracotta")]
        return parts
    if bp.has("bread", "loaf", "sandwich", "burger", "croissant"):
        return [(transform_mesh(capsule(0.5, 0.0, 1.0 / max(min(w, h) / max(w, d, 1e-6), 0.2), 4, 12), rotate=_ROT_X, scale=(w, h, d)), 1.0)]
    if bp.has("phone", "tablet", "remote", "calculator"):
        return [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.8 * h, d / 2)), 1.0), (box_mesh((-0.45 * w, 0.8 * h, -0.45 * d), (0.45 * w, h, 0.45 * d)), "screen")]
    if bp.has("laptop", "notebook computer"):
        return [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.5 * h, d / 2)), 1.0), (box_mesh((-0.45 * w, 0.5 * h, -0.1 * d), (0.45 * w, 0.55 * h, 0.4 * d)), "dark"),
                (box_mesh((-w / 2, 0.5 * h, -d / 2), (w / 2, h, -0.45 * d)), "screen")]
    if bp.has("camera"):
        return [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.8 * h, 0.2 * d)), 1.0), (transform_mesh(cylinder(0.3 * min(w, h), 0.0, 0.8 * d, 14), rotate=_ROT_X, translate=(0.0, 0.4 * h, -0.3 * d)), "dark"),
                (box_mesh((-0.2 * w, 0.8 * h, -0.3 * d), (0.2 * w, h, 0.0)), "dark")]
    if bp.has("clock", "watch"):
        return [(transform_mesh(cylinder(0.5, 0.0, 1.0, 20), rotate=_ROT_X, scale=(w, h, d), translate=(0.0, 0.5 * h, -0.5 * d)), 1.0),
                (transform_mesh(cylinder(0.42, 0.0, 0.05, 20), rotate=_ROT_X, scale=(w, h, d), translate=(0.0, 0.5 * h, 0.5 * d)), "paper")]
    dims = np.array([w, h, d])
    if dims.max() > 3.0 * np.sort(dims)[1] or bp.has("knife", "fork", "spoon", "hammer", "axe", "pen", "pencil", "brush", "racket", "bat", "stick", "wand", "key", "screwdriver", "wrench", "shovel", "broom"):
        return _tool(bp, w, h, d, rng)
    if h < 0.3 * min(w, d):  # flat: a tray, plate, book or board with a raised rim
        rim = 0.08 * min(w, d)
        return [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.5 * h, d / 2)), 1.0)] + [
            (box_mesh((-w / 2, 0.5 * h, sz * d / 2 - rim * (sz > 0)), (w / 2, h, sz * d / 2 + rim * (sz < 0))), 0.9) for sz in (-1, 1)] + [
            (box_mesh((sx * w / 2 - rim * (sx > 0), 0.5 * h, -d / 2 + rim), (sx * w / 2 + rim * (sx < 0), h, d / 2 - rim)), 0.9) for sx in (-1, 1)]
    if h > 1.8 * max(w, d):  # tall: a bottle-like column with a cap
        prof = [(0.45, 0.0), (0.5, 0.05), (0.5, 0.65), (0.3, 0.8), (0.2, 0.92)]
        return [(transform_mesh(revolve(prof, 14), scale=(w, h, d)), 1.0), (transform_mesh(cylinder(0.22, 0.9, 1.0, 10), scale=(w, h, d)), "dark")]
    # a rounded box with a lid line and a knob
    body = transform_mesh(capsule(0.5, 0.0, 1.0, 3, 12), scale=(w, 0.85 * h, d))
    return [(body, 1.0), (transform_mesh(cylinder(0.5, 0.0, 0.08, 12), scale=(w * 0.98, h, d * 0.98), translate=(0.0, 0.82 * h, 0.0)), 0.85),
            (sphere(0.08 * min(w, d), (0.0, 0.92 * h, 0.0), 4, 8), "dark")]


def robot(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    wheeled = bp.has("vacuum", "rover", "wheeled", "cart") or (rng.random() < 0.35 and not bp.has("android", "humanoid"))
    if wheeled or h < 0.6 * max(w, d):
        body_y = 0.25 * h
        parts: list = [(box_mesh((-0.45 * w, body_y, -0.45 * d), (0.45 * w, 0.75 * h, 0.45 * d)), 1.0)]
        parts += [(wheel((sx * 0.45 * w, 0.15 * h, sz * 0.3 * d), 0.15 * h, 0.08 * w + 0.01), "rubber") for sx in (-1, 1) for sz in (-1, 1)]
        parts.append((box_mesh((-0.25 * w, 0.75 * h, -0.2 * d), (0.25 * w, h, 0.25 * d)), 0.85))
        parts += [(sphere(0.05 * w + 0.005, (sx * 0.1 * w, 0.88 * h, 0.25 * d), 3, 8), "lamp") for sx in (-1, 1)]
        return parts
    leg_h = 0.45 * h
    parts = [(box_mesh((sx * 0.15 * w - 0.1 * w, 0.0, -0.15 * d), (sx * 0.15 * w + 0.1 * w, leg_h, 0.15 * d)), "trim") for sx in (-1, 1)]
    parts += [(box_mesh((sx * 0.15 * w - 0.12 * w, 0.0, -0.2 * d), (sx * 0.15 * w + 0.12 * w, 0.05 * h, 0.3 * d)), "dark") for sx in (-1, 1)]
    parts.append((box_mesh((-0.33 * w, leg_h, -0.3 * d), (0.33 * w, 0.8 * h, 0.3 * d)), 1.0))
    parts.append((box_mesh((-0.2 * w, 0.6 * h, 0.3 * d), (0.2 * w, 0.72 * h, 0.32 * d)), "screen"))
    parts += [(limb((sx * 0.4 * w, 0.78 * h, 0.0), (sx * 0.45 * w, 0.45 * h, 0.1 * d), 0.07 * w, 8), "trim") for sx in (-1, 1)]
    parts += [(sphere(0.06 * w, (sx * 0.47 * w, 0.44 * h, 0.12 * d), 3, 8), "dark") for sx in (-1, 1)]
    parts.append((box_mesh((-0.17 * w, 0.82 * h, -0.18 * d), (0.17 * w, 0.98 * h, 0.18 * d)), 1.0))
    parts += [(sphere(0.04 * w + 0.004, (sx * 0.07 * w, 0.9 * h, 0.18 * d), 3, 8), "lamp") for sx in (-1, 1)]
    parts.append((rod((0.0, 0.98 * h, 0.0), (0.0, h, 0.0), 0.01 * w + 0.002, 6), "dark"))
    return parts


# -- stand-ins for the movers' archetypes -------------------------------------------


def _fish(bp) -> list:
    w, h, d = bp.size
    return [(ellipsoid((0.35 * w, 0.4 * h, 0.35 * d), (0.0, 0.5 * h, 0.1 * d)), 1.0),
            (transform_mesh(cone(0.5, 0.0, 1.0, 4), rotate=np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]]), scale=(0.1 * w, 0.8 * h, 0.3 * d), translate=(0.0, 0.5 * h, -0.5 * d + 0.3 * d)), 0.85),
            (sphere(0.05 * h + 0.002, (0.15 * w, 0.6 * h, 0.35 * d), 3, 6), "dark"), (sphere(0.05 * h + 0.002, (-0.15 * w, 0.6 * h, 0.35 * d), 3, 6), "dark")]


def _insect(bp) -> list:
    w, h, d = bp.size
    parts: list = [(ellipsoid((0.25 * w, 0.35 * h, 0.25 * d), (0.0, 0.5 * h, -0.2 * d)), 1.0), (sphere(0.2 * min(w, d), (0.0, 0.55 * h, 0.1 * d), 4, 8), 1.0),
                   (sphere(0.13 * min(w, d), (0.0, 0.55 * h, 0.32 * d), 4, 8), "dark")]
    for k in (-1, 0, 1):
        for sx in (-1, 1):
            parts.append((limb((sx * 0.1 * w, 0.5 * h, k * 0.12 * d + 0.1 * d), (sx * 0.5 * w, 0.0, k * 0.25 * d + 0.1 * d), 0.02 * min(w, d) + 5e-4, 5), "dark"))
    return parts


def _snake(bp) -> list:
    w, h, d = bp.size
    n = 10
    pts = [(0.35 * w * math.sin(2.2 * math.pi * i / n), 0.5 * h, -0.5 * d + d * i / n) for i in range(n + 1)]
    parts: list = [(limb(a, b, 0.5 * h, 8), 1.0) for a, b in zip(pts, pts[1:])]
    return parts


def _mover(name: str):
    def build(bp) -> list:
        return MOVERS[name]()
    return build


def _biped(bp) -> list:
    return person_parts()


MISC = {
    "ball": ball, "prop": prop, "robot": robot,
    "biped": _biped, "quadruped": _mover("dog"), "bird": _mover("bird"), "fish": _fish, "insect": _insect, "snake": _snake,
    "car": _mover("car"), "truck": _mover("truck"), "bus": _mover("bus"), "bicycle": _mover("bicycle"),
    "motorbike": _mover("motorbike"), "train": _mover("train"), "boat": _mover("boat"), "aircraft": _mover("plane"),
}
