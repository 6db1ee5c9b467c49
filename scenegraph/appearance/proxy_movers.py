"""Proxy builders for things that move: vehicles, people and animals.

Each builder returns parts ``[(Mesh, tint), ...]`` at real-world size in
metres (+Y up, front +Z, standing on y = 0); :mod:`scenegraph.appearance.proxy`
merges them and scales the result to an entity's bounds.  A tint (scalar or
(3,)) multiplies the material's base colour: tyres and glass are darker.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from scenegraph.appearance.shapes import (
    box_mesh,
    capsule,
    centered_box,
    cone,
    cylinder,
    ellipsoid,
    limb,
    plan_prism,
    rod,
    rotation_to,
    side_prism,
    sphere,
    torus,
    transform_mesh,
    wheel,
)

__all__ = ["Parts", "TYRE", "GLASS", "DARK", "TRIM", "MOVERS", "moved", "four_legs", "person_parts"]

Parts = list  # [(Mesh, tint)], tint a scalar or (3,) factor on the material's base colour
TYRE, GLASS, DARK, TRIM = 0.12, 0.3, 0.45, 0.7


def moved(parts: Parts, scale: Any = 1.0, translate: Any = (0.0, 0.0, 0.0)) -> Parts:
    """``parts`` scaled, then translated."""
    return [(transform_mesh(m, scale=scale, translate=translate), t) for m, t in parts]


def four_legs(x: float, z: float, y0: float, y1: float, r: float, tint: Any = 1.0) -> Parts:
    """Four square legs of half-width ``r`` at (+-x, +-z), from ``y0`` up to ``y1``."""
    return [(box_mesh((sx * x - r, y0, sz * z - r), (sx * x + r, y1, sz * z + r)), tint) for sx in (-1, 1) for sz in (-1, 1)]


# -- vehicles ----------------------------------------------------------------


def _car() -> Parts:
    body = side_prism([(-2.25, 0.3), (2.25, 0.3), (2.25, 0.72), (1.9, 0.88), (-2.15, 0.92), (-2.25, 0.8)], -0.9, 0.9)
    cabin = side_prism([(-1.75, 0.88), (0.95, 0.88), (0.3, 1.5), (-1.45, 1.5)], -0.8, 0.8)
    wheels = [(wheel((sx * 0.78, 0.34, sz * 1.45), 0.34, 0.24), TYRE) for sx in (-1, 1) for sz in (-1, 1)]
    lights = [(centered_box((sx * 0.6, 0.62, 2.24), (0.3, 0.1, 0.04)), (1.2, 1.2, 1.0)) for sx in (-1, 1)]
    return [(body, 1.0), (cabin, GLASS)] + wheels + lights


def _van() -> Parts:
    body = side_prism([(-2.5, 0.35), (2.5, 0.35), (2.5, 1.0), (1.7, 2.2), (-2.5, 2.2)], -1.0, 1.0)
    band = side_prism([(-2.3, 1.4), (1.85, 1.4), (1.55, 2.0), (-2.3, 2.0)], -1.01, 1.01)
    wheels = [(wheel((sx * 0.86, 0.35, sz * 1.7), 0.35, 0.26), TYRE) for sx in (-1, 1) for sz in (-1, 1)]
    return [(body, 1.0), (band, GLASS)] + wheels


def _truck() -> Parts:
    cab = side_prism([(2.0, 0.7), (4.0, 0.7), (4.0, 2.0), (3.6, 3.0), (2.0, 3.0)], -1.2, 1.2)
    glass = side_prism([(3.3, 2.1), (3.97, 2.1), (3.63, 2.9), (3.3, 2.9)], -1.1, 1.1)
    cargo = box_mesh((-1.25, 0.9, -4.0), (1.25, 3.5, 1.9))
    chassis = box_mesh((-1.0, 0.5, -3.9), (1.0, 0.9, 3.9))
    wheels = [(wheel((sx * 1.0, 0.5, z), 0.5, 0.4), TYRE) for sx in (-1, 1) for z in (3.0, -1.8, -3.0)]
    return [(cab, 1.0), (glass, GLASS), (cargo, TRIM), (chassis, DARK)] + wheels


def _bus(length: float = 12.0, height: float = 3.2, roof: bool = False) -> Parts:
    h = length / 2
    body = side_prism([(-h, 0.35), (h, 0.35), (h, height - 0.25), (h - 0.2, height), (-h, height)], -1.27, 1.27)
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
    wings = [(plan_prism([(sx * 15.0, -6.0), (sx * 15.0, -4.0), (0.0, 4.0), (0.0, -2.0)], 2.4, 2.9), 1.0) for sx in (-1, 1)]
    stab = plan_prism([(-6.0, -17.0), (-6.0, -15.5), (0.0, -11.0), (6.0, -15.5), (6.0, -17.0)], 4.4, 4.7)
    fin = side_prism([(-17.0, 4.5), (-11.0, 4.5), (-15.0, 10.0), (-17.0, 10.0)], -0.25, 0.25)
    engines = [(rod((sx * 6.0, 1.9, -2.0), (sx * 6.0, 1.9, 2.5), 0.9, 12), TRIM) for sx in (-1, 1)]
    gear = [(rod((x, 0.0, z), (x, 1.5, z), 0.3, 8), TYRE) for x, z in ((0.0, 12.0), (-2.5, -1.0), (2.5, -1.0))]
    windows = centered_box((0.0, 4.1, 16.2), (2.2, 0.6, 1.4))
    return [(fus, 1.0), (stab, 1.0), (fin, 1.0), (windows, GLASS)] + wings + engines + gear


def _helicopter() -> Parts:
    return [
        (ellipsoid((1.2, 1.1, 2.2), (0.0, 1.5, 2.5)), 1.0),
        (ellipsoid((1.0, 0.8, 0.9), (0.0, 1.7, 3.6)), GLASS),
        (rod((0.0, 1.8, 0.5), (0.0, 2.2, -6.0), 0.25, 10), 1.0),
        (side_prism([(-6.0, 2.0), (-5.3, 2.0), (-5.8, 3.2), (-6.0, 3.2)], -0.08, 0.08), 1.0),
        (rod((0.0, 2.5, 2.5), (0.0, 3.2, 2.5), 0.12, 8), DARK),
        (centered_box((0.0, 3.25, 2.5), (0.3, 0.08, 10.5)), DARK),
        (centered_box((0.0, 3.25, 2.5), (6.0, 0.08, 0.3)), DARK),
    ] + [(rod((sx * 1.0, 0.05, -0.5), (sx * 1.0, 0.05, 4.5), 0.06, 6), DARK) for sx in (-1, 1)] + [
        (rod((sx * 0.9, 0.05, z), (sx * 0.7, 0.7, z), 0.05, 6), DARK) for sx in (-1, 1) for z in (0.5, 3.5)
    ]


def _boat() -> Parts:
    plan = [(-1.1, -3.0), (1.1, -3.0), (1.1, 1.5), (0.0, 3.0), (-1.1, 1.5)]
    keel = [(-0.6, -2.8), (0.6, -2.8), (0.6, 1.2), (0.0, 2.4), (-0.6, 1.2)]
    return [
        (plan_prism(keel, 0.0, 0.4), 1.0),
        (plan_prism(plan, 0.35, 0.9), 1.0),
        (box_mesh((-0.7, 0.9, -2.0), (0.7, 1.5, 0.2)), TRIM),
        (box_mesh((-0.71, 1.15, -1.8), (0.71, 1.4, 0.21)), GLASS),
    ]


def _drone() -> Parts:
    parts = [(centered_box((0.0, 0.09, 0.0), (0.12, 0.05, 0.16)), 1.0), (sphere(0.02, (0.0, 0.09, 0.085), 3, 6), GLASS)]
    for sx in (-1, 1):
        for sz in (-1, 1):
            tip = (sx * 0.13, 0.1, sz * 0.13)
            parts.append((rod((0.0, 0.1, 0.0), tip, 0.01, 6), DARK))
            parts.append((transform_mesh(cylinder(0.07, 0.12, 0.13, 14), translate=(tip[0], 0.0, tip[2])), TRIM))
            parts.append((rod((sx * 0.05, 0.0, sz * 0.05), (sx * 0.04, 0.07, sz * 0.04), 0.006, 5), DARK))
    return parts


def _skateboard() -> Parts:
    deck = side_prism([(-0.4, 0.09), (0.4, 0.09), (0.4, 0.12), (-0.4, 0.12)], -0.11, 0.11)
    wheels = [(wheel((sx * 0.08, 0.03, sz * 0.28), 0.03, 0.03, 8), TRIM) for sx in (-1, 1) for sz in (-1, 1)]
    trucks = [(box_mesh((-0.09, 0.03, z - 0.015), (0.09, 0.09, z + 0.015)), DARK) for z in (-0.28, 0.28)]
    return [(deck, 1.0)] + wheels + trucks


def _cart() -> Parts:
    basket = side_prism([(-0.4, 0.35), (0.35, 0.35), (0.5, 0.95), (-0.4, 0.95)], -0.3, 0.3)
    wheels = [(wheel((sx * 0.25, 0.1, z), 0.1, 0.05, 10), TYRE) for sx in (-1, 1) for z in (-0.35, 0.35)]
    handle = rod((-0.25, 1.0, -0.5), (0.25, 1.0, -0.5), 0.02, 6)
    posts = [(rod((sx * 0.25, 0.2, -0.35), (sx * 0.25, 1.0, -0.5), 0.015, 6), DARK) for sx in (-1, 1)]
    return [(basket, 1.0), (handle, DARK)] + wheels + posts


# -- people and animals ------------------------------------------------------


def person_parts() -> Parts:
    """A standing person, 1.75 m: legs, feet (toes +Z), torso, arms, neck, head and nose."""
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
    tail = plan_prism([(-0.12 * w, -0.3 * d), (0.12 * w, -0.3 * d), (0.16 * w, -0.5 * d), (-0.16 * w, -0.5 * d)], 0.45 * h, 0.5 * h)
    return [(body, 1.0), (sphere(0.17 * h, head_c, 5, 8), 1.0), (bill, (1.0, 0.7, 0.2)), (tail, 0.8)] + wings + legs


MOVERS: dict[str, Callable[[], Parts]] = {
    "car": _car, "van": _van, "truck": _truck, "bus": _bus,
    "tram": functools.partial(_bus, 20.0, 3.4, True), "train": functools.partial(_bus, 25.0, 4.0),
    "bicycle": _bicycle, "motorbike": _motorbike, "plane": _plane, "helicopter": _helicopter,
    "boat": _boat, "drone": _drone, "skateboard": _skateboard, "cart": _cart,
    "person": person_parts, "robot": _robot,
    "dog": functools.partial(_quadruped, 0.3, 0.6, 0.9, 0.42, 0.17, 0.14, 0.25, False),
    "cat": functools.partial(_quadruped, 0.2, 0.3, 0.5, 0.38, 0.15, 0.18, 0.6, True, 0.4),
    "horse": functools.partial(_quadruped, 0.6, 1.6, 2.4, 0.5, 0.3, 0.1, 0.05, True, 1.1),
    "cow": functools.partial(_quadruped, 0.8, 1.5, 2.4, 0.4, 0.12, 0.12, 0.05, True, 0.8),
    "sheep": functools.partial(_quadruped, 0.5, 0.9, 1.2, 0.35, 0.12, 0.13, 0.05, False, 0.6),
    "bird": _bird, "duck": functools.partial(_bird, 0.2, 0.35, 0.4, True),
}
