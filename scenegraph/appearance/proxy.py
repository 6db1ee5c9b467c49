"""Proxy meshes: low-poly stand-ins for editing, collision and engines without splats.

``proxy_mesh(shape, bounds)`` builds the catalogue class's shape (a car is a
body, a cabin and four wheels; a person legs, torso, arms and a head; ...)
from :mod:`~scenegraph.appearance.shapes` primitives at real-world size and
scales it to fill ``bounds`` (2, 3) exactly: origin at the bottom centre for
catalogue bounds, front along +Z.  Unknown shapes get a box.  Meshes are
closed parts with outward, counter-clockwise triangles, normals and UVs, and
the same input always gives the same arrays.

>>> m = proxy_mesh("car", [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])
>>> m.bounds.tolist()
[[-0.8999999761581421, 0.0, -2.25], [0.8999999761581421, 1.5, 2.25]]
>>> canonical_shape("Automobile"), canonical_shape("lamp post"), canonical_shape("spaceship")
('car', 'lamp_post', 'box')
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable

import numpy as np

from scenegraph.appearance.shapes import (
    Mesh,
    box_mesh,
    capsule,
    cone,
    cylinder,
    ellipsoid,
    frustum,
    lathe,
    limb,
    merge,
    prism,
    rod,
    sphere,
    torus,
    transform_mesh,
    wheel,
    rotation_to,
)
from scenegraph.errors import ModelError

__all__ = ["Mesh", "box_mesh", "proxy_mesh", "proxy_colors", "proxy_shapes", "canonical_shape"]

Parts = list  # [(Mesh, tint)], tint a scalar or (3,) factor on the material's base colour
TYRE, GLASS, DARK, TRIM = 0.12, 0.3, 0.45, 0.7


# --------------------------------------------------------------------------
# small builders (metres, +Y up, front +Z)
# --------------------------------------------------------------------------


def _cb(center: Any, size: Any) -> Mesh:
    """A box of ``size`` (3,) centred at ``center``."""
    c, h = np.asarray(center, dtype=np.float64), 0.5 * np.asarray(size, dtype=np.float64)
    return box_mesh(c - h, c + h)


def _side(zy: Any, x0: float, x1: float) -> Mesh:
    """A side profile given as (z, y) points, extruded across X."""
    return prism(np.asarray(zy, dtype=np.float64)[:, ::-1], 0, x0, x1)


def _top(xz: Any, y0: float, y1: float) -> Mesh:
    """A plan (top view) given as (x, z) points, extruded up Y."""
    return prism(np.asarray(xz, dtype=np.float64)[:, ::-1], 1, y0, y1)


def _at(mesh: Mesh, center: Any) -> Mesh:
    return transform_mesh(mesh, translate=center)


def _mirror_x(parts: Parts) -> Parts:
    return parts + [(transform_mesh(m, scale=(-1.0, 1.0, 1.0)), t) for m, t in parts]


def _moved(parts: Parts, scale: Any = 1.0, translate: Any = (0.0, 0.0, 0.0)) -> Parts:
    return [(transform_mesh(m, scale=scale, translate=translate), t) for m, t in parts]


def _legs4(x: float, z: float, y0: float, y1: float, r: float, tint: Any = 1.0, square: bool = True) -> Parts:
    out = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            if square:
                out.append((box_mesh((sx * x - r, y0, sz * z - r), (sx * x + r, y1, sz * z + r)), tint))
            else:
                out.append((rod((sx * x, y0, sz * z), (sx * x, y1, sz * z), r, 8), tint))
    return out


# -- vehicles ----------------------------------------------------------------


def _car() -> Parts:
    body = _side([(-2.25, 0.3), (2.25, 0.3), (2.25, 0.72), (1.9, 0.88), (-2.15, 0.92), (-2.25, 0.8)], -0.9, 0.9)
    cabin = _side([(-1.75, 0.88), (0.95, 0.88), (0.3, 1.5), (-1.45, 1.5)], -0.8, 0.8)
    wheels = [(wheel((sx * 0.78, 0.34, sz * 1.45), 0.34, 0.24), TYRE) for sx in (-1, 1) for sz in (-1, 1)]
    lights = [(_cb((sx * 0.6, 0.62, 2.24), (0.3, 0.1, 0.04)), (1.2, 1.2, 1.0)) for sx in (-1, 1)]
    return [(body, 1.0), (cabin, GLASS)] + wheels + lights


def _van() -> Parts:
    body = _side([(-2.5, 0.35), (2.5, 0.35), (2.5, 1.0), (1.7, 2.2), (-2.5, 2.2)], -1.0, 1.0)
    band = _side([(-2.3, 1.4), (1.85, 1.4), (1.55, 2.0), (-2.3, 2.0)], -1.01, 1.01)
    wheels = [(wheel((sx * 0.86, 0.35, sz * 1.7), 0.35, 0.26), TYRE) for sx in (-1, 1) for sz in (-1, 1)]
    return [(body, 1.0), (band, GLASS)] + wheels


def _truck() -> Parts:
    cab = _side([(2.0, 0.7), (4.0, 0.7), (4.0, 2.0), (3.6, 3.0), (2.0, 3.0)], -1.2, 1.2)
    glass = _side([(3.3, 2.1), (3.97, 2.1), (3.63, 2.9), (3.3, 2.9)], -1.1, 1.1)
    cargo = box_mesh((-1.25, 0.9, -4.0), (1.25, 3.5, 1.9))
    chassis = box_mesh((-1.0, 0.5, -3.9), (1.0, 0.9, 3.9))
    wheels = [(wheel((sx * 1.0, 0.5, z), 0.5, 0.4), TYRE) for sx in (-1, 1) for z in (3.0, -1.8, -3.0)]
    return [(cab, 1.0), (glass, GLASS), (cargo, TRIM), (chassis, DARK)] + wheels


def _bus(length: float = 12.0, height: float = 3.2, roof: bool = False) -> Parts:
    h = length / 2
    body = _side([(-h, 0.35), (h, 0.35), (h, height - 0.25), (h - 0.2, height), (-h, height)], -1.27, 1.27)
    band = box_mesh((-1.275, 0.52 * height, -h + 0.5), (1.275, 0.85 * height, h - 0.3))
    wind = box_mesh((-1.1, 0.35 * height, h - 0.05), (1.1, 0.85 * height, h + 0.005))
    wz = [h - 0.17 * length, -h + 0.17 * length]
    wheels = [(wheel((sx * 1.0, 0.5, z), 0.5, 0.3), TYRE) for sx in (-1, 1) for z in wz]
    parts = [(body, 1.0), (band, GLASS), (wind, GLASS)] + wheels
    if roof:  # a tram's pantograph
        parts.append((box_mesh((-0.5, height, -1.0), (0.5, height + 0.3, 1.0)), DARK))
    return parts


def _bicycle() -> Parts:
    r, y = 0.34, 0.36
    rear, front = np.array([0.0, y, -0.55]), np.array([0.0, y, 0.55])
    crank, seat, head = np.array([0.0, 0.3, -0.05]), np.array([0.0, 0.85, -0.2]), np.array([0.0, 0.85, 0.42])
    tubes = [(crank, seat), (seat, head), (crank, head), (rear, crank), (rear, seat), (front, head + (0, 0.12, 0))]
    parts: Parts = []
    for c in (rear, front):
        parts.append((transform_mesh(torus(r, 0.03, 6, 20), rotate=rotation_to((1.0, 0.0, 0.0)), translate=c), TYRE))
    parts += [(rod(a, b, 0.022, 6), 1.0) for a, b in tubes]
    parts.append((rod((-0.3, 0.97, 0.45), (0.3, 0.97, 0.45), 0.02, 6), DARK))
    parts.append((ellipsoid((0.08, 0.04, 0.13), (0.0, 1.0, -0.22), 4, 8), DARK))
    return parts


def _motorbike() -> Parts:
    r, y = 0.32, 0.32
    parts = []
    for z in (-0.72, 0.72):
        parts.append((transform_mesh(torus(r - 0.07, 0.07, 6, 18), rotate=rotation_to((1.0, 0.0, 0.0)), translate=(0, y, z)), TYRE))
    parts += [
        (ellipsoid((0.2, 0.22, 0.55), (0.0, 0.6, 0.0)), 1.0),
        (ellipsoid((0.18, 0.12, 0.25), (0.0, 0.85, 0.2)), 1.0),
        (box_mesh((-0.15, 0.78, -0.55), (0.15, 0.9, -0.05)), DARK),
        (rod((0.0, y, 0.72), (0.0, 1.05, 0.5), 0.03, 6), TRIM),
        (rod((-0.4, 1.08, 0.48), (0.4, 1.08, 0.48), 0.025, 6), DARK),
        (sphere(0.08, (0.0, 0.95, 0.62), 4, 8), (1.2, 1.2, 1.0)),
        (rod((0.0, y, -0.72), (0.0, 0.55, -0.2), 0.04, 6), TRIM),
    ]
    return parts


def _plane() -> Parts:
    fus = transform_mesh(capsule(2.0, -17.5, 17.5, 4, 14), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.0, 3.2, 0.0))
    wings = [(_top([(sx * 15.0, -6.0), (sx * 15.0, -4.0), (0.0, 4.0), (0.0, -2.0)], 2.4, 2.9), 1.0) for sx in (-1, 1)]
    stab = _top([(-6.0, -17.0), (-6.0, -15.5), (0.0, -11.0), (6.0, -15.5), (6.0, -17.0)], 4.4, 4.7)
    fin = _side([(-17.0, 4.5), (-11.0, 4.5), (-15.0, 10.0), (-17.0, 10.0)], -0.25, 0.25)
    engines = [(rod((sx * 6.0, 1.9, -2.0), (sx * 6.0, 1.9, 2.5), 0.9, 12), TRIM) for sx in (-1, 1)]
    gear = [(rod((x, 0.0, z), (x, 1.5, z), 0.3, 8), TYRE) for x, z in ((0.0, 12.0), (-2.5, -1.0), (2.5, -1.0))]
    windows = _cb((0.0, 4.1, 16.2), (2.2, 0.6, 1.4))
    return [(fus, 1.0), (stab, 1.0), (fin, 1.0), (windows, GLASS)] + wings + engines + gear


def _helicopter() -> Parts:
    return [
        (ellipsoid((1.2, 1.1, 2.2), (0.0, 1.5, 2.5)), 1.0),
        (ellipsoid((1.0, 0.8, 0.9), (0.0, 1.7, 3.6)), GLASS),
        (rod((0.0, 1.8, 0.5), (0.0, 2.2, -6.0), 0.25, 10), 1.0),
        (_side([(-6.0, 2.0), (-5.3, 2.0), (-5.8, 3.2), (-6.0, 3.2)], -0.08, 0.08), 1.0),
        (rod((0.0, 2.5, 2.5), (0.0, 3.2, 2.5), 0.12, 8), DARK),
        (_cb((0.0, 3.25, 2.5), (0.3, 0.08, 10.5)), DARK),
        (_cb((0.0, 3.25, 2.5), (6.0, 0.08, 0.3)), DARK),
    ] + [(rod((sx * 1.0, 0.05, -0.5), (sx * 1.0, 0.05, 4.5), 0.06, 6), DARK) for sx in (-1, 1)] + [
        (rod((sx * 0.9, 0.05, z), (sx * 0.7, 0.7, z), 0.05, 6), DARK) for sx in (-1, 1) for z in (0.5, 3.5)
    ]


def _boat() -> Parts:
    plan = [(-1.1, -3.0), (1.1, -3.0), (1.1, 1.5), (0.0, 3.0), (-1.1, 1.5)]
    keel = [(-0.6, -2.8), (0.6, -2.8), (0.6, 1.2), (0.0, 2.4), (-0.6, 1.2)]
    return [
        (_top(keel, 0.0, 0.4), 1.0),
        (_top(plan, 0.35, 0.9), 1.0),
        (box_mesh((-0.7, 0.9, -2.0), (0.7, 1.5, 0.2)), TRIM),
        (box_mesh((-0.71, 1.15, -1.8), (0.71, 1.4, 0.21)), GLASS),
    ]


def _drone() -> Parts:
    parts = [(_cb((0.0, 0.09, 0.0), (0.12, 0.05, 0.16)), 1.0), (sphere(0.02, (0.0, 0.09, 0.085), 3, 6), GLASS)]
    for sx in (-1, 1):
        for sz in (-1, 1):
            tip = (sx * 0.13, 0.1, sz * 0.13)
            parts.append((rod((0.0, 0.1, 0.0), tip, 0.01, 6), DARK))
            parts.append((_at(cylinder(0.07, 0.12, 0.13, 14), (tip[0], 0.0, tip[2])), TRIM))
            parts.append((rod((sx * 0.05, 0.0, sz * 0.05), (sx * 0.04, 0.07, sz * 0.04), 0.006, 5), DARK))
    return parts


def _skateboard() -> Parts:
    deck = _side([(-0.4, 0.09), (0.4, 0.09), (0.4, 0.12), (-0.4, 0.12)], -0.11, 0.11)
    wheels = [(wheel((sx * 0.08, 0.03, sz * 0.28), 0.03, 0.03, 8), TRIM) for sx in (-1, 1) for sz in (-1, 1)]
    trucks = [(box_mesh((-0.09, 0.03, z - 0.015), (0.09, 0.09, z + 0.015)), DARK) for z in (-0.28, 0.28)]
    return [(deck, 1.0)] + wheels + trucks


def _cart() -> Parts:
    basket = _side([(-0.4, 0.35), (0.35, 0.35), (0.5, 0.95), (-0.4, 0.95)], -0.3, 0.3)
    wheels = [(wheel((sx * 0.25, 0.1, z), 0.1, 0.05, 10), TYRE) for sx in (-1, 1) for z in (-0.35, 0.35)]
    handle = rod((-0.25, 1.0, -0.5), (0.25, 1.0, -0.5), 0.02, 6)
    posts = [(rod((sx * 0.25, 0.2, -0.35), (sx * 0.25, 1.0, -0.5), 0.015, 6), DARK) for sx in (-1, 1)]
    return [(basket, 1.0), (handle, DARK)] + wheels + posts


# -- people and animals ------------------------------------------------------


def _person() -> Parts:
    legs = [(limb((sx * 0.1, 0.06, 0.0), (sx * 0.1, 0.92, 0.0), 0.075), 0.6) for sx in (-1, 1)]
    feet = [(box_mesh((sx * 0.1 - 0.05, 0.0, -0.06), (sx * 0.1 + 0.05, 0.07, 0.15)), 0.3) for sx in (-1, 1)]
    arms = [(limb((sx * 0.215, 1.44, 0.0), (sx * 0.25, 0.8, 0.02), 0.05), 1.0) for sx in (-1, 1)]
    return legs + feet + arms + [
        (ellipsoid((0.18, 0.31, 0.11), (0.0, 1.17, 0.0)), 1.0),
        (rod((0.0, 1.42, 0.0), (0.0, 1.56, 0.0), 0.05, 8), 0.9),
        (sphere(0.11, (0.0, 1.64, 0.0)), 0.9),
        (sphere(0.02, (0.0, 1.63, 0.11), 3, 6), 0.9),
    ]


def _robot() -> Parts:
    return [(box_mesh((sx * 0.1 - 0.07, 0.0, -0.08), (sx * 0.1 + 0.07, 0.8, 0.08)), TRIM) for sx in (-1, 1)] + [
        (box_mesh((sx * 0.3 - 0.05, 0.65, -0.05), (sx * 0.3 + 0.05, 1.25, 0.05)), TRIM) for sx in (-1, 1)
    ] + [
        (box_mesh((-0.25, 0.8, -0.13), (0.25, 1.28, 0.13)), 1.0),
        (box_mesh((-0.12, 1.3, -0.12), (0.12, 1.5, 0.12)), 1.0),
        (box_mesh((-0.08, 1.38, 0.12), (0.08, 1.43, 0.14)), GLASS),
    ]


def _quadruped(w: float, h: float, d: float, leg: float, neck: float, head: float, tail: float, pointy: bool, snout: float = 0.7) -> Parts:
    """A four-legged animal of about (w, h, d): legs up to ``leg``*h, head (radius ``head``*h) raised ``neck``*h up front."""
    body_r = 0.2 * h
    body_y = leg * h + 0.8 * body_r
    hr = head * h
    parts: Parts = [(ellipsoid((0.45 * w, body_r, 0.38 * d), (0.0, body_y, 0.0)), 1.0)]
    parts += [(limb((sx * 0.25 * w, 0.0, sz * 0.27 * d), (sx * 0.25 * w, body_y, sz * 0.27 * d), 0.14 * w), 1.0) for sx in (-1, 1) for sz in (-1, 1)]
    head_c = np.array([0.0, body_y + neck * h, 0.36 * d + 0.3 * hr])
    parts.append((limb((0.0, body_y, 0.26 * d), head_c, 0.6 * hr), 1.0))
    parts.append((ellipsoid((0.85 * hr, hr, 1.1 * hr), head_c), 1.0))
    parts.append((ellipsoid((0.5 * hr, 0.45 * hr, snout * hr), head_c + (0.0, -0.3 * hr, 0.6 * hr + 0.6 * snout * hr)), 0.85))
    for sx in (-1, 1):
        if pointy:
            parts.append((transform_mesh(cone(0.35 * hr, 0.0, 0.7 * hr, 6), translate=head_c + (sx * 0.5 * hr, 0.7 * hr, -0.1 * hr)), 0.8))
        else:
            parts.append((ellipsoid((0.15 * hr, 0.55 * hr, 0.3 * hr), head_c + (sx * 0.85 * hr, -0.15 * hr, 0.0), 4, 6), 0.7))
    parts.append((limb((0.0, body_y + 0.3 * body_r, -0.34 * d), (0.0, body_y + tail * h, -0.5 * d), 0.06 * w), 0.85))
    return parts


def _bird(w: float = 0.25, h: float = 0.2, d: float = 0.25, flat_bill: bool = False) -> Parts:
    body = ellipsoid((0.3 * w, 0.28 * h, 0.32 * d), (0.0, 0.4 * h, -0.05 * d))
    head_c = (0.0, 0.78 * h, 0.26 * d)
    bill = (
        ellipsoid((0.1 * w, 0.03 * h, 0.14 * d), (0.0, 0.74 * h, 0.42 * d), 3, 6)
        if flat_bill
        else transform_mesh(cone(0.04 * w, 0.0, 0.2 * d, 6), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.0, 0.78 * h, 0.33 * d))
    )
    wings = [(ellipsoid((0.06 * w, 0.2 * h, 0.26 * d), (sx * 0.3 * w, 0.45 * h, -0.1 * d), 4, 8), 0.8) for sx in (-1, 1)]
    legs = [(rod((sx * 0.06 * w, 0.0, 0.0), (sx * 0.06 * w, 0.2 * h, 0.0), 0.012 * w + 0.003, 5), (1.0, 0.6, 0.2)) for sx in (-1, 1)]
    tail = _top([(-0.12 * w, -0.3 * d), (0.12 * w, -0.3 * d), (0.16 * w, -0.5 * d), (-0.16 * w, -0.5 * d)], 0.45 * h, 0.5 * h)
    return [(body, 1.0), (sphere(0.17 * h, head_c, 5, 8), 1.0), (bill, (1.0, 0.7, 0.2)), (tail, 0.8)] + wings + legs


# -- nature ----------------------------------------------------------------------


def _tree() -> Parts:
    return [
        (cylinder(0.28, 0.0, 3.0, 10), (0.45, 0.32, 0.2)),
        (ellipsoid((2.0, 2.2, 2.0), (0.0, 4.8, 0.0), 7, 12), 1.0),
        (ellipsoid((1.3, 1.3, 1.3), (0.9, 4.0, 0.6), 5, 9), 0.85),
        (ellipsoid((1.2, 1.2, 1.2), (-0.8, 4.2, -0.7), 5, 9), 0.9),
    ]


def _pine() -> Parts:
    parts: Parts = [(cylinder(0.25, 0.0, 1.6, 10), (0.45, 0.32, 0.2))]
    for i, (r, y0, y1) in enumerate(((2.0, 1.4, 4.2), (1.6, 2.8, 5.6), (1.1, 4.2, 7.0))):
        parts.append((cone(r, y0, y1, 12), 1.0 - 0.05 * i))
    return parts


def _bush() -> Parts:
    return [
        (ellipsoid((0.55, 0.55, 0.55), (0.0, 0.6, 0.0), 6, 10), 1.0),
        (ellipsoid((0.45, 0.45, 0.45), (0.3, 0.45, 0.25), 5, 8), 0.9),
        (ellipsoid((0.45, 0.45, 0.45), (-0.3, 0.45, -0.2), 5, 8), 0.85),
    ]


def _plant() -> Parts:
    return [
        (frustum(0.12, 0.16, 0.0, 0.25, 12), (0.7, 0.4, 0.3)),
        (ellipsoid((0.18, 0.28, 0.18), (0.0, 0.5, 0.0), 6, 10), 1.0),
        (ellipsoid((0.12, 0.18, 0.12), (0.08, 0.62, 0.06), 4, 8), 0.9),
    ]


def _rock() -> Parts:
    return [(ellipsoid((0.5, 0.35, 0.45), (0.0, 0.35, 0.0), 4, 7), 1.0)]


# -- furniture ------------------------------------------------------------------


def _table() -> Parts:
    return [(box_mesh((-0.8, 0.71, -0.45), (0.8, 0.75, 0.45)), 1.0)] + _legs4(0.72, 0.37, 0.0, 0.71, 0.035, 0.8)


def _chair() -> Parts:
    return [
        (box_mesh((-0.25, 0.42, -0.25), (0.25, 0.46, 0.25)), 1.0),
        (box_mesh((-0.25, 0.46, -0.25), (0.25, 0.9, -0.21)), 1.0),
    ] + _legs4(0.22, 0.22, 0.0, 0.42, 0.02, 0.8)


def _bench() -> Parts:
    slats = [(box_mesh((-0.9, 0.42, z - 0.08), (0.9, 0.46, z + 0.08)), 1.0) for z in (-0.12, 0.06, 0.22)]
    back = [(box_mesh((-0.9, y - 0.06, -0.3), (0.9, y + 0.06, -0.26)), 1.0) for y in (0.6, 0.78)]
    frame = [(box_mesh((x - 0.03, 0.0, -0.28), (x + 0.03, 0.85, -0.22)), DARK) for x in (-0.8, 0.8)]
    legs = [(box_mesh((x - 0.03, 0.0, 0.2), (x + 0.03, 0.42, 0.26)), DARK) for x in (-0.8, 0.8)]
    arms = [(box_mesh((x - 0.03, 0.58, -0.28), (x + 0.03, 0.62, 0.28)), DARK) for x in (-0.86, 0.86)]
    return slats + back + frame + legs + arms


def _sofa() -> Parts:
    return [
        (box_mesh((-0.9, 0.1, -0.45), (0.9, 0.4, 0.42)), 1.0),
        (box_mesh((-0.9, 0.1, -0.45), (0.9, 0.85, -0.22)), 0.9),
        (box_mesh((-1.0, 0.1, -0.45), (-0.8, 0.62, 0.45)), 0.9),
        (box_mesh((0.8, 0.1, -0.45), (1.0, 0.62, 0.45)), 0.9),
    ] + [(box_mesh((x - 0.39, 0.4, -0.22), (x + 0.39, 0.5, 0.43)), 1.0) for x in (-0.4, 0.4)] + _legs4(0.9, 0.38, 0.0, 0.1, 0.03, DARK)


def _bed() -> Parts:
    return [
        (box_mesh((-0.8, 0.1, -1.05), (0.8, 0.3, 1.05)), TRIM),
        (box_mesh((-0.78, 0.3, -1.0), (0.78, 0.48, 1.03)), 1.0),
        (box_mesh((-0.8, 0.0, -1.05), (0.8, 0.55, -0.98)), TRIM),
        (ellipsoid((0.35, 0.05, 0.18), (0.0, 0.5, -0.75), 4, 8), 1.0),
        (box_mesh((-0.79, 0.36, -0.4), (0.79, 0.5, 1.04)), 0.85),
    ] + _legs4(0.75, 1.0, 0.0, 0.1, 0.04, DARK)


def _shelf() -> Parts:
    parts = [(box_mesh((x - 0.02, 0.0, -0.175), (x + 0.02, 1.8, 0.175)), 1.0) for x in (-0.48, 0.48)]
    parts += [(box_mesh((-0.46, y, -0.175), (0.46, y + 0.03, 0.175)), 1.0) for y in (0.0, 0.45, 0.9, 1.35, 1.77)]
    return parts + [(box_mesh((-0.46, 0.0, -0.175), (0.46, 1.8, -0.16)), DARK)]


def _lamp() -> Parts:
    return [(cylinder(0.12, 0.0, 0.03, 12), 1.0), (rod((0.0, 0.03, 0.0), (0.0, 0.32, 0.0), 0.012, 6), DARK), (frustum(0.17, 0.1, 0.28, 0.5, 14), (1.1, 1.1, 0.9))]


def _tv() -> Parts:
    return [(box_mesh((-0.6, 0.0, -0.04), (0.6, 0.7, 0.02)), 1.0), (box_mesh((-0.57, 0.04, 0.02), (0.57, 0.67, 0.04)), GLASS)]


def _fridge() -> Parts:
    return [(box_mesh((-0.35, 0.0, -0.35), (0.35, 1.8, 0.33)), 1.0), (box_mesh((-0.34, 1.1, 0.33), (0.34, 1.12, 0.34)), DARK)] + [
        (box_mesh((0.27, y0, 0.33), (0.3, y1, 0.35)), DARK) for y0, y1 in ((0.7, 1.0), (1.2, 1.5))
    ]


def _door() -> Parts:
    return [(box_mesh((-0.45, 0.0, -0.02), (0.45, 2.1, 0.02)), 1.0), (sphere(0.025, (0.36, 1.0, 0.025), 3, 6), (1.2, 1.1, 0.6))]


def _window() -> Parts:
    frame = [(box_mesh((-0.6, y, -0.025), (0.6, y + 0.06, 0.025)), 1.0) for y in (0.0, 0.57, 1.14)]
    frame += [(box_mesh((x - 0.03, 0.0, -0.025), (x + 0.03, 1.2, 0.025)), 1.0) for x in (-0.57, 0.0, 0.57)]
    return frame + [(box_mesh((-0.57, 0.0, -0.01), (0.57, 1.2, 0.01)), GLASS)]


# -- buildings and street -------------------------------------------------------


def _house() -> Parts:
    roof = _side([(-4.8, 4.0), (4.8, 4.0), (0.0, 7.0)], -5.0, 5.0)
    parts = [(box_mesh((-4.6, 0.0, -4.3), (4.6, 4.0, 4.3)), 1.0), (roof, (0.6, 0.3, 0.25)), (box_mesh((2.2, 5.0, -1.5), (3.0, 6.8, -0.7)), DARK)]
    parts.append((box_mesh((-0.5, 0.0, 4.3), (0.5, 2.1, 4.4)), (0.5, 0.35, 0.25)))
    parts += [(box_mesh((x - 0.7, 1.3, 4.3), (x + 0.7, 2.6, 4.35)), GLASS) for x in (-2.8, 2.8)]
    return parts


def _building() -> Parts:
    parts: Parts = [(box_mesh((-10.0, 0.0, -7.5), (10.0, 23.0, 7.5)), 1.0), (box_mesh((-4.0, 23.0, -3.0), (4.0, 24.0, 3.0)), TRIM)]
    parts += [(box_mesh((-10.05, y, -7.55), (10.05, y + 1.6, 7.55)), GLASS) for y in np.arange(1.2, 22.0, 3.2)]
    parts.append((box_mesh((-1.5, 0.0, 7.5), (1.5, 3.0, 7.6)), DARK))
    return parts


def _wall() -> Parts:
    return [(box_mesh((-3.0, 0.0, -0.15), (3.0, 2.4, 0.15)), 1.0), (box_mesh((-3.0, 2.4, -0.15), (3.0, 2.5, 0.15)), TRIM)]


def _tent() -> Parts:
    return [(prism([(-1.25, 0.0), (1.25, 0.0), (0.0, 1.5)], 2, -1.25, 1.25), 1.0), (prism([(-0.4, 0.0), (0.4, 0.0), (0.0, 0.9)], 2, 1.25, 1.27), DARK)]


def _lamp_post() -> Parts:
    return [
        (frustum(0.14, 0.08, 0.0, 0.4, 10), 1.0),
        (cylinder(0.06, 0.4, 4.55, 10), 1.0),
        (frustum(0.08, 0.15, 4.5, 4.62, 10), 1.0),
        (frustum(0.12, 0.1, 4.62, 4.9, 10), (2.0, 2.0, 1.6)),
        (cone(0.15, 4.9, 5.0, 10), 1.0),
    ]


def _traffic_light() -> Parts:
    parts = [(cylinder(0.06, 0.0, 2.5, 10), 1.0), (box_mesh((-0.15, 2.4, -0.12), (0.15, 3.5, 0.12)), 1.0)]
    for y, tint in ((3.25, (4.0, 0.5, 0.5)), (2.95, (4.0, 3.0, 0.5)), (2.65, (0.5, 4.0, 0.8))):
        parts.append((ellipsoid((0.09, 0.09, 0.05), (0.0, y, 0.12), 4, 8), tint))
        parts.append((box_mesh((-0.11, y + 0.09, 0.12), (0.11, y + 0.11, 0.2)), 1.0))
    return parts


def _sign() -> Parts:
    return [(cylinder(0.04, 0.0, 2.5, 8), TRIM), (box_mesh((-0.3, 1.9, 0.04), (0.3, 2.5, 0.06)), 1.0), (box_mesh((-0.26, 1.94, 0.06), (0.26, 2.46, 0.065)), DARK)]


def _bin() -> Parts:
    return [(frustum(0.26, 0.3, 0.0, 0.92, 12), 1.0), (frustum(0.31, 0.28, 0.92, 1.0, 12), DARK)]


def _hydrant() -> Parts:
    return [
        (cylinder(0.17, 0.0, 0.06, 10), 1.0),
        (cylinder(0.12, 0.06, 0.6, 12), 1.0),
        (sphere(0.13, (0.0, 0.6, 0.0), 5, 10), 1.0),
        (rod((-0.2, 0.45, 0.0), (0.2, 0.45, 0.0), 0.05, 8), TRIM),
        (rod((0.0, 0.45, 0.0), (0.0, 0.45, 0.2), 0.06, 8), TRIM),
        (cylinder(0.03, 0.7, 0.8, 8), TRIM),
    ]


def _mailbox() -> Parts:
    return [
        (box_mesh((-0.25, 0.0, -0.25), (0.25, 1.0, 0.25)), 1.0),
        (transform_mesh(cylinder(0.25, -0.25, 0.25, 12), rotate=rotation_to((0.0, 0.0, 1.0)), scale=(1.0, 1.0, 0.8), translate=(0.0, 1.0, 0.0)), 1.0),
        (box_mesh((-0.12, 0.75, 0.25), (0.12, 0.79, 0.27)), DARK),
    ]


def _bus_stop() -> Parts:
    parts = [(box_mesh((-1.5, 2.5, -0.75), (1.5, 2.6, 0.75)), 1.0), (box_mesh((-1.4, 0.3, -0.7), (1.4, 2.4, -0.66)), GLASS)]
    parts += [(box_mesh((x - 0.02, 0.3, -0.7), (x + 0.02, 2.4, 0.1)), GLASS) for x in (-1.42, 1.42)]
    parts += [(rod((x, 0.0, z), (x, 2.5, z), 0.04, 8), DARK) for x in (-1.45, 1.45) for z in (-0.7, 0.7)]
    return parts + [(box_mesh((-1.0, 0.43, -0.62), (1.0, 0.47, -0.3)), TRIM)]


def _goal() -> Parts:
    r, w, h, d = 0.06, 3.6, 2.44, 2.0
    posts = [rod((x, 0.0, d / 2), (x, h, d / 2), r, 8) for x in (-w, w)]
    frame = [rod((-w, h, d / 2), (w, h, d / 2), r, 8), rod((-w, 0.0, -d / 2), (w, 0.0, -d / 2), r / 2, 6)]
    frame += [rod((x, h, d / 2), (x, 0.0, -d / 2), r / 2, 6) for x in (-w, w)]
    return [(m, 1.0) for m in posts + frame] + [(box_mesh((-w, 0.0, -d / 2), (w, h * 0.95, -d / 2 + 0.01)), 0.9)]


def _hoop() -> Parts:
    return [
        (cylinder(0.08, 0.0, 3.3, 10), DARK),
        (rod((0.0, 3.2, 0.0), (0.0, 3.2, 0.35), 0.05, 6), DARK),
        (box_mesh((-0.9, 2.9, 0.35), (0.9, 3.95, 0.4)), (1.5, 1.5, 1.5)),
        (_at(torus(0.23, 0.015, 4, 16), (0.0, 3.05, 0.65)), 1.0),
    ]


# -- props ------------------------------------------------------------------------


def _ball() -> Parts:
    return [(sphere(0.11, (0.0, 0.11, 0.0), 10, 16), 1.0)]


def _cup() -> Parts:
    return [(frustum(0.032, 0.04, 0.0, 0.1, 14), 1.0), (transform_mesh(torus(0.022, 0.006, 4, 10), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.042, 0.055, 0.0)), 1.0)]


def _mug() -> Parts:
    return [(cylinder(0.042, 0.0, 0.1, 14), 1.0), (transform_mesh(torus(0.028, 0.008, 4, 10), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.045, 0.05, 0.0)), 1.0)]


def _revolve(profile: list[tuple[float, float]], segments: int = 14, tint: Any = 1.0) -> Parts:
    """A closed solid of revolution from (radius, y) points listed bottom to top (no poles needed)."""
    pts = [(0.0, profile[0][1])] + list(profile) + [(0.0, profile[-1][1])]
    prof, nrm = [], []
    for i in range(len(pts) - 1):
        (r0, y0), (r1, y1) = pts[i], pts[i + 1]
        n = np.array([y1 - y0, r0 - r1])
        n /= np.linalg.norm(n)
        prof += [(r0, y0), (r1, y1)]
        nrm += [tuple(n), tuple(n)]
    return [(lathe(prof, nrm, segments), tint)]


def _bottle() -> Parts:
    body = _revolve([(0.038, 0.0), (0.04, 0.01), (0.04, 0.18), (0.03, 0.22), (0.015, 0.25), (0.014, 0.28)])
    return body + [(cylinder(0.016, 0.28, 0.3, 10), DARK)]


def _glass() -> Parts:
    return [(frustum(0.028, 0.035, 0.0, 0.14, 14), 1.0)]


def _plate() -> Parts:
    return _revolve([(0.08, 0.0), (0.12, 0.012), (0.13, 0.02)], 18)


def _bowl() -> Parts:
    return _revolve([(0.04, 0.0), (0.07, 0.02), (0.09, 0.06), (0.09, 0.08)], 16)


def _vase() -> Parts:
    return _revolve([(0.05, 0.0), (0.075, 0.08), (0.07, 0.16), (0.035, 0.24), (0.045, 0.3)], 14)


def _candle() -> Parts:
    return [(cylinder(0.025, 0.0, 0.13, 12), 1.0), (cone(0.008, 0.13, 0.15, 6), (1.5, 1.2, 0.4))]


def _teapot() -> Parts:
    return [
        (ellipsoid((0.09, 0.075, 0.08), (0.0, 0.075, 0.0), 6, 12), 1.0),
        (cone(0.035, 0.14, 0.18, 10), 1.0),
        (limb((0.07, 0.06, 0.0), (0.125, 0.14, 0.0), 0.012, 6), 1.0),
        (transform_mesh(torus(0.04, 0.01, 4, 10), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(-0.085, 0.085, 0.0)), 1.0),
    ]


def _book() -> Parts:
    return [
        (box_mesh((-0.08, 0.0, -0.12), (0.08, 0.004, 0.12)), 1.0),
        (box_mesh((-0.08, 0.026, -0.12), (0.08, 0.03, 0.12)), 1.0),
        (box_mesh((-0.08, 0.0, -0.12), (-0.076, 0.03, 0.12)), 1.0),
        (box_mesh((-0.076, 0.004, -0.117), (0.077, 0.026, 0.117)), (1.3, 1.3, 1.25)),
    ]


def _laptop() -> Parts:
    return [(box_mesh((-0.17, 0.0, -0.12), (0.17, 0.011, 0.12)), TRIM), (box_mesh((-0.17, 0.012, -0.12), (0.17, 0.02, 0.12)), 1.0), (box_mesh((-0.05, 0.0, 0.118), (0.05, 0.005, 0.121)), DARK)]


def _phone() -> Parts:
    return [(box_mesh((-0.0375, 0.0, -0.075), (0.0375, 0.008, 0.075)), 1.0), (box_mesh((-0.034, 0.008, -0.071), (0.034, 0.01, 0.071)), GLASS)]


def _apple() -> Parts:
    return [(sphere(0.04, (0.0, 0.038, 0.0), 7, 12), 1.0), (cylinder(0.004, 0.07, 0.08, 5), (0.5, 0.35, 0.2))]


def _banana() -> Parts:
    pts = [(-0.1, 0.03), (-0.04, 0.012), (0.04, 0.012), (0.1, 0.03)]
    return [(limb((x0, y0, 0.0), (x1, y1, 0.0), 0.018, 8), 1.0) for (x0, y0), (x1, y1) in zip(pts, pts[1:])]


def _umbrella() -> Parts:
    return [(rod((0.0, 0.0, 0.0), (0.0, 1.9, 0.0), 0.015, 6), DARK), (frustum(0.5, 0.05, 1.45, 1.85, 16), 1.0), (limb((0.0, 0.0, 0.0), (0.06, 0.12, 0.0), 0.02, 6), DARK)]


def _traffic_cone() -> Parts:
    return [(box_mesh((-0.175, 0.0, -0.175), (0.175, 0.04, 0.175)), DARK), (cone(0.14, 0.04, 0.7, 14), 1.0), (frustum(0.095, 0.075, 0.32, 0.42, 14), (1.6, 1.6, 1.6))]


def _backpack() -> Parts:
    return [
        (box_mesh((-0.15, 0.0, -0.1), (0.15, 0.4, 0.08)), 1.0),
        (ellipsoid((0.15, 0.06, 0.1), (0.0, 0.39, -0.01), 4, 8), 1.0),
        (box_mesh((-0.11, 0.05, 0.08), (0.11, 0.22, 0.1)), 0.85),
    ]


def _toy() -> Parts:
    return [
        (ellipsoid((0.06, 0.07, 0.05), (0.0, 0.07, 0.0), 6, 10), 1.0),
        (sphere(0.045, (0.0, 0.16, 0.0), 6, 10), 1.0),
        (ellipsoid((0.02, 0.015, 0.02), (0.0, 0.15, 0.045), 3, 6), 0.7),
    ] + [(sphere(0.018, (sx * 0.035, 0.195, 0.0), 3, 6), 0.8) for sx in (-1, 1)] + [
        (limb((sx * 0.04, 0.1, 0.0), (sx * 0.09, 0.05, 0.02), 0.018, 6), 1.0) for sx in (-1, 1)
    ] + [(limb((sx * 0.035, 0.03, 0.0), (sx * 0.04, 0.01, 0.07), 0.02, 6), 1.0) for sx in (-1, 1)]


def _snowman() -> Parts:
    return [
        (sphere(0.4, (0.0, 0.4, 0.0), 7, 12), 1.0),
        (sphere(0.28, (0.0, 0.98, 0.0), 6, 12), 1.0),
        (sphere(0.19, (0.0, 1.4, 0.0), 6, 10), 1.0),
        (transform_mesh(cone(0.03, 0.0, 0.15, 6), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.0, 1.4, 0.17)), (1.0, 0.45, 0.1)),
        (cylinder(0.14, 1.55, 1.6, 10), 0.1),
    ]


def _statue() -> Parts:
    return [(box_mesh((-0.5, 0.0, -0.5), (0.5, 0.7, 0.5)), 0.9)] + _moved(_person(), 1.0, (0.0, 0.7, 0.0))


def _fountain() -> Parts:
    return [
        (frustum(1.5, 1.45, 0.0, 0.5, 20), 1.0),
        (cylinder(1.35, 0.5, 0.52, 20), (0.4, 0.6, 1.0)),
        (cylinder(0.15, 0.5, 1.2, 10), 1.0),
        (frustum(0.2, 0.6, 1.1, 1.3, 14), 1.0),
        (cone(0.08, 1.3, 1.5, 8), 1.0),
    ]


def _cube() -> Parts:
    return [(box_mesh((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5)), 1.0)]


_BUILDERS: dict[str, Callable[[], Parts]] = {
    "box": _cube, "cube": _cube, "rug": _cube,
    "car": _car, "van": _van, "truck": _truck, "bus": _bus,
    "tram": functools.partial(_bus, 20.0, 3.4, True), "train": functools.partial(_bus, 25.0, 4.0),
    "bicycle": _bicycle, "motorbike": _motorbike, "plane": _plane, "helicopter": _helicopter,
    "boat": _boat, "drone": _drone, "skateboard": _skateboard, "cart": _cart,
    "person": _person, "robot": _robot,
    "dog": functools.partial(_quadruped, 0.3, 0.6, 0.9, 0.42, 0.17, 0.14, 0.25, False),
    "cat": functools.partial(_quadruped, 0.2, 0.3, 0.5, 0.38, 0.15, 0.18, 0.6, True, 0.4),
    "horse": functools.partial(_quadruped, 0.6, 1.6, 2.4, 0.5, 0.3, 0.1, 0.05, True, 1.1),
    "cow": functools.partial(_quadruped, 0.8, 1.5, 2.4, 0.4, 0.12, 0.12, 0.05, True, 0.8),
    "sheep": functools.partial(_quadruped, 0.5, 0.9, 1.2, 0.35, 0.12, 0.13, 0.05, False, 0.6),
    "bird": _bird, "duck": functools.partial(_bird, 0.2, 0.35, 0.4, True),
    "tree": _tree, "pine": _pine, "bush": _bush, "plant": _plant, "rock": _rock,
    "table": _table, "chair": _chair, "bench": _bench, "sofa": _sofa, "bed": _bed, "shelf": _shelf,
    "lamp": _lamp, "tv": _tv, "fridge": _fridge, "door": _door, "window": _window,
    "house": _house, "building": _building, "wall": _wall, "tent": _tent,
    "lamp_post": _lamp_post, "traffic_light": _traffic_light, "sign": _sign, "bin": _bin,
    "hydrant": _hydrant, "mailbox": _mailbox, "bus_stop": _bus_stop, "goal": _goal, "hoop": _hoop,
    "ball": _ball, "tennis_ball": _ball, "orange": _ball, "apple": _apple, "banana": _banana,
    "cup": _cup, "mug": _mug, "glass": _glass, "bottle": _bottle, "plate": _plate, "bowl": _bowl,
    "vase": _vase, "candle": _candle, "teapot": _teapot, "book": _book, "laptop": _laptop, "phone": _phone,
    "umbrella": _umbrella, "cone": _traffic_cone, "backpack": _backpack, "toy": _toy,
    "snowman": _snowman, "statue": _statue, "fountain": _fountain,
}
_ALIASES = {
    "pedestrian": "person", "man": "person", "woman": "person", "child": "person", "human": "person",
    "motorcycle": "motorbike", "bike": "bicycle", "airplane": "plane", "aeroplane": "plane", "ship": "boat",
    "couch": "sofa", "lamppost": "lamp_post", "streetlight": "lamp_post", "street_light": "lamp_post",
    "traffic_lights": "traffic_light", "crate": "box", "conifer": "pine", "fir": "pine", "spruce": "pine",
    "ground": "box", "road": "box", "floor": "box",
}


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def canonical_shape(shape: str) -> str:
    """The proxy builder a shape or class name uses: a built-in name, an alias, a catalogue synonym, else ``box``."""
    key = _normalise(shape)
    key = _ALIASES.get(key, key)
    if key in _BUILDERS:
        return key
    from scenegraph.catalog import lookup

    info = lookup(str(shape))
    if info is not None:
        key = _normalise(info.name)
        key = _ALIASES.get(key, key)
        if key in _BUILDERS:
            return key
    return "box"


def proxy_shapes() -> list[str]:
    """Names with a dedicated proxy (aliases and catalogue synonyms resolve onto these)."""
    return sorted(_BUILDERS)


@functools.lru_cache(maxsize=None)
def _canonical(key: str) -> tuple[Mesh, np.ndarray]:
    """The merged canonical mesh of a builder and its per-vertex tints (V, 3)."""
    parts = _BUILDERS[key]()
    mesh = merge(m for m, _ in parts)
    tints = np.concatenate([np.broadcast_to(np.asarray(t, dtype=np.float32), (len(m), 3)) for m, t in parts])
    tints = np.ascontiguousarray(tints)
    tints.setflags(write=False)
    return mesh, tints


def proxy_mesh(shape: str, bounds: Any) -> Mesh:
    """The proxy mesh for a catalogue shape name, scaled to fill ``bounds`` (2, 3) metres exactly.

    Raises ModelError if ``bounds`` is not (2, 3), finite, with max >= min.
    """
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (2, 3):
        raise ModelError(f"proxy_mesh: bounds must be (2, 3), got {b.shape}")
    if not np.all(np.isfinite(b)) or np.any(b[1] < b[0]):
        raise ModelError(f"proxy_mesh({shape!r}): bounds must be finite with max >= min, got {b.tolist()}")
    mesh, _ = _canonical(canonical_shape(shape))
    p = mesh.positions.astype(np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    t = (p - lo) / (hi - lo)
    extent = b[1] - b[0]
    pos = b[0] + t * extent
    pos = np.where(t == 1.0, b[1], pos)  # the far faces land exactly on the bounds
    scale = extent / (hi - lo)
    nrm = mesh.normals.astype(np.float64) / np.maximum(scale, 1e-12)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-30)
    return Mesh(pos, nrm, mesh.uvs, mesh.indices)


def proxy_colors(shape: str, mesh: Mesh) -> np.ndarray:
    """Per-vertex tint factors (V, 3) float32 for ``proxy_mesh(shape, ...)``: multiply by the base colour.

    Wheels, windows and trims are darker; 1 elsewhere.  Raises ModelError if
    ``mesh`` does not have the vertex count of that shape's proxy.
    """
    _, tints = _canonical(canonical_shape(shape))
    if len(mesh) != len(tints):
        raise ModelError(f"proxy_colors({shape!r}): mesh has {len(mesh)} vertices, the proxy has {len(tints)}")
    return tints
