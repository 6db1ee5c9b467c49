"""Proxy builders for things that stay put: plants, furniture, buildings, street furniture and small props.

Same conventions as :mod:`scenegraph.appearance.proxy_movers`: parts
``[(Mesh, tint), ...]`` at real-world size, +Y up, front +Z, on y = 0.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from scenegraph.appearance.proxy_movers import DARK, GLASS, TRIM, Parts, four_legs, moved, person_parts
from scenegraph.appearance.shapes import (
    box_mesh,
    cone,
    cylinder,
    ellipsoid,
    frustum,
    limb,
    prism,
    revolve,
    rod,
    rotation_to,
    side_prism,
    sphere,
    torus,
    transform_mesh,
)

__all__ = ["PROPS"]


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
    return [(box_mesh((-0.8, 0.71, -0.45), (0.8, 0.75, 0.45)), 1.0)] + four_legs(0.72, 0.37, 0.0, 0.71, 0.035, 0.8)


def _chair() -> Parts:
    return [
        (box_mesh((-0.25, 0.42, -0.25), (0.25, 0.46, 0.25)), 1.0),
        (box_mesh((-0.25, 0.46, -0.25), (0.25, 0.9, -0.21)), 1.0),
    ] + four_legs(0.22, 0.22, 0.0, 0.42, 0.02, 0.8)


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
    ] + [(box_mesh((x - 0.39, 0.4, -0.22), (x + 0.39, 0.5, 0.43)), 1.0) for x in (-0.4, 0.4)] + four_legs(0.9, 0.38, 0.0, 0.1, 0.03, DARK)


def _bed() -> Parts:
    return [
        (box_mesh((-0.8, 0.1, -1.05), (0.8, 0.3, 1.05)), TRIM),
        (box_mesh((-0.78, 0.3, -1.0), (0.78, 0.48, 1.03)), 1.0),
        (box_mesh((-0.8, 0.0, -1.05), (0.8, 0.55, -0.98)), TRIM),
        (ellipsoid((0.35, 0.05, 0.18), (0.0, 0.5, -0.75), 4, 8), 1.0),
        (box_mesh((-0.79, 0.36, -0.4), (0.79, 0.5, 1.04)), 0.85),
    ] + four_legs(0.75, 1.0, 0.0, 0.1, 0.04, DARK)


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
    roof = side_prism([(-4.8, 4.0), (4.8, 4.0), (0.0, 7.0)], -5.0, 5.0)
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
        (transform_mesh(torus(0.23, 0.015, 4, 16), translate=(0.0, 3.05, 0.65)), 1.0),
    ]


# -- props ------------------------------------------------------------------------


def _ball() -> Parts:
    return [(sphere(0.11, (0.0, 0.11, 0.0), 10, 16), 1.0)]


def _cup() -> Parts:
    return [(frustum(0.032, 0.04, 0.0, 0.1, 14), 1.0), (transform_mesh(torus(0.022, 0.006, 4, 10), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.042, 0.055, 0.0)), 1.0)]


def _mug() -> Parts:
    return [(cylinder(0.042, 0.0, 0.1, 14), 1.0), (transform_mesh(torus(0.028, 0.008, 4, 10), rotate=rotation_to((0.0, 0.0, 1.0)), translate=(0.045, 0.05, 0.0)), 1.0)]


def _bottle() -> Parts:
    body = revolve([(0.038, 0.0), (0.04, 0.01), (0.04, 0.18), (0.03, 0.22), (0.015, 0.25), (0.014, 0.28)])
    return [(body, 1.0), (cylinder(0.016, 0.28, 0.3, 10), DARK)]


def _glass() -> Parts:
    return [(frustum(0.028, 0.035, 0.0, 0.14, 14), 1.0)]


def _plate() -> Parts:
    return [(revolve([(0.08, 0.0), (0.12, 0.012), (0.13, 0.02)], 18), 1.0)]


def _bowl() -> Parts:
    return [(revolve([(0.04, 0.0), (0.07, 0.02), (0.09, 0.06), (0.09, 0.08)], 16), 1.0)]


def _vase() -> Parts:
    return [(revolve([(0.05, 0.0), (0.075, 0.08), (0.07, 0.16), (0.035, 0.24), (0.045, 0.3)], 14), 1.0)]


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
    return [(box_mesh((-0.5, 0.0, -0.5), (0.5, 0.7, 0.5)), 0.9)] + moved(person_parts(), 1.0, (0.0, 0.7, 0.0))


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



PROPS: dict[str, Callable[[], Parts]] = {
    "box": _cube, "cube": _cube, "rug": _cube,
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
