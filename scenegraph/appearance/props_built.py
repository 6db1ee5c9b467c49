"""Generators for buildings and street furniture (see :mod:`scenegraph.appearance.generators`).

Buildings: a house (walls, pitched roof, door, windows, chimney), a tower
block (storeys of windows, a shop front: :func:`~scenegraph.appearance.kit_shapes.facade`),
a church (nave and spired tower), a shed or barn, a fence, a bridge.
Street furniture: lamp posts with a glowing head, traffic lights, signs,
benches, bins, bollards, hydrants, post boxes, shelters, bike racks, meters.
"""
from __future__ import annotations

import numpy as np

from scenegraph.appearance.kit_shapes import facade
from scenegraph.appearance.shapes import box_mesh, cone, cylinder, ellipsoid, frustum, rod, side_prism, sphere, transform_mesh

__all__ = ["BUILT"]


def _windows_on(w: float, d: float, y0: float, y1: float, rng, front_door: bool) -> list:
    parts = []
    for side in ("front", "back", "left", "right"):
        length = w if side in ("front", "back") else d
        n = max(1, int(length // 2.6))
        for k in range(n):
            c = -length / 2 + (k + 0.5) * length / n
            if front_door and side == "front" and abs(c) < 0.9:
                continue
            hw = 0.5 * float(rng.uniform(0.8, 1.1))
            if side == "front":
                m = box_mesh((c - hw, y0, d / 2), (c + hw, y1, d / 2 + 0.04))
            elif side == "back":
                m = box_mesh((c - hw, y0, -d / 2 - 0.04), (c + hw, y1, -d / 2))
            elif side == "left":
                m = box_mesh((-w / 2 - 0.04, y0, c - hw), (-w / 2, y1, c + hw))
            else:
                m = box_mesh((w / 2, y0, c - hw), (w / 2 + 0.04, y1, c + hw))
            parts.append((m, "window"))
    return parts


def house(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    wall_h = float(rng.uniform(0.5, 0.6)) * h
    ow = 0.05 * w
    parts: list = [(box_mesh((-w / 2 + ow, 0.0, -d / 2 + ow), (w / 2 - ow, wall_h, d / 2 - ow)), 1.0)]
    roof = side_prism([(-d / 2, wall_h), (d / 2, wall_h), (0.0, h)], -w / 2, w / 2) if rng.random() < 0.7 else None
    if roof is None:  # hipped
        roof = transform_mesh(frustum(0.5, 0.12, 0.0, 1.0, 4), rotate=np.array([[np.cos(np.pi / 4), 0, np.sin(np.pi / 4)], [0, 1, 0], [-np.sin(np.pi / 4), 0, np.cos(np.pi / 4)]]),
                              scale=(1.0, 1.0, 1.0))
        lo, hi = roof.bounds
        roof = transform_mesh(roof, scale=(w / (hi[0] - lo[0]), h - wall_h, d / (hi[2] - lo[2])), translate=(0.0, wall_h, 0.0))
    parts.append((roof, "roof"))
    storeys = max(1, int(wall_h // 2.8))
    for s in range(storeys):
        y0 = s * wall_h / storeys + 0.9
        parts += _windows_on(w - 2 * ow, d - 2 * ow, y0, min(y0 + 1.2, (s + 1) * wall_h / storeys - 0.3), rng, s == 0)
    parts.append((box_mesh((-0.5, 0.0, d / 2 - ow), (0.5, min(2.1, wall_h - 0.2), d / 2 - ow + 0.06)), "wood_dark"))
    parts.append((box_mesh((-0.7, 0.0, d / 2 - ow), (0.7, 0.15, d / 2 + 0.4)), "concrete"))
    cx = float(rng.uniform(0.15, 0.35)) * w * (1 if rng.random() < 0.5 else -1)
    parts.append((box_mesh((cx - 0.35, wall_h + 0.3 * (h - wall_h), -0.25 * d - 0.35), (cx + 0.35, h * 0.98, -0.25 * d + 0.35)), "brick"))
    return parts


def church(bp) -> list:
    w, h, d = bp.size
    nave_h = 0.4 * h
    tw = 0.3 * w
    parts: list = [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.6 * nave_h, d / 2 - tw)), 1.0),
                   (side_prism([(-d / 2, 0.6 * nave_h), (d / 2 - tw, 0.6 * nave_h), (d / 2 - tw, nave_h), (-d / 2, nave_h)], -w / 2, w / 2), "roof"),
                   (box_mesh((-tw / 2, 0.0, d / 2 - tw), (tw / 2, 0.7 * h, d / 2)), 1.0),
                   (transform_mesh(cone(0.5, 0.0, 1.0, 4), rotate=np.array([[0.7071, 0, 0.7071], [0, 1, 0], [-0.7071, 0, 0.7071]]), scale=(tw * 1.4, 0.3 * h, tw * 1.4), translate=(0.0, 0.7 * h, d / 2 - tw / 2)), "roof"),
                   (box_mesh((-0.8, 0.0, d / 2), (0.8, 3.0, d / 2 + 0.05)), "wood_dark")]
    for z in np.linspace(-d / 2 + 2.0, d / 2 - tw - 2.0, 4):
        for sx in (-1, 1):
            parts.append((box_mesh((sx * w / 2 - 0.03 * (sx > 0), 1.5, z - 0.5), (sx * w / 2 + 0.03 * (sx < 0) + 0.03 * sx, 0.55 * nave_h, z + 0.5)), "window"))
    return parts


def fence(bp) -> list:
    w, h, d = bp.size
    along_x = w >= d
    length = max(w, d)
    thick = min(w, d)
    posts = np.arange(-length / 2, length / 2 + 1e-6, min(2.0, length))
    parts = []
    for a in posts:
        a = float(np.clip(a, -length / 2 + 0.05, length / 2 - 0.05))
        lo, hi = (a - 0.05, 0.0, -thick / 2), (a + 0.05, h, thick / 2)
        parts.append((box_mesh(lo, hi) if along_x else box_mesh((lo[2], lo[1], lo[0]), (hi[2], hi[1], hi[0])), 1.0))
    for y in (0.3 * h, 0.75 * h):
        lo, hi = (-length / 2, y - 0.05, -thick / 4), (length / 2, y + 0.05, thick / 4)
        parts.append((box_mesh(lo, hi) if along_x else box_mesh((lo[2], lo[1], lo[0]), (hi[2], hi[1], hi[0])), 0.9))
    return parts


def bridge(bp) -> list:
    w, h, d = bp.size
    deck = 0.15 * h
    parts: list = [(box_mesh((-w / 2, h - deck - 0.2 * h, -d / 2), (w / 2, h - 0.2 * h, d / 2)), 1.0)]
    for sx in (-1, 1):
        parts.append((box_mesh((sx * w / 2 - 0.1 * (sx > 0), h - 0.2 * h, -d / 2), (sx * w / 2 + 0.1 * (sx < 0), h, d / 2)), "steel"))
    for z in np.linspace(-d / 2 + 0.5, d / 2 - 0.5, max(2, int(d // 15) + 1)):
        parts.append((box_mesh((-0.3 * w, 0.0, z - 0.5), (0.3 * w, h - deck - 0.2 * h, z + 0.5)), "concrete"))
    return parts


def building(bp) -> list:
    """The building archetype: the form its name says, else a tower block (tall) or a house."""
    w, h, d = bp.size
    if bp.has("fence", "railing", "hedge row"):
        return fence(bp)
    if bp.has("wall") and min(w, d) < 0.6:
        return fence(bp) if bp.has("fence") else [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.95 * h, d / 2)), 1.0), (box_mesh((-w / 2 - 0.03, 0.95 * h, -d / 2 - 0.03), (w / 2 + 0.03, h, d / 2 + 0.03)), "concrete")]
    if bp.has("bridge"):
        return bridge(bp)
    if bp.has("ladder"):
        return ladder(bp)
    if bp.has("church", "chapel", "cathedral", "temple"):
        return church(bp)
    if bp.has("house", "home", "cottage", "cabin", "hut", "barn", "shed", "garage", "villa", "bungalow", "farmhouse", "kennel"):
        return house(bp)
    if h > 8.0 or bp.has("tower", "skyscraper", "office", "block", "apartment", "hotel", "shop", "store", "mall", "school", "hospital", "station"):
        return facade(np.array([w, h, d]), bp.variant * 2)
    return house(bp)


def ladder(bp) -> list:
    """Two rails and a rung every 0.3 m (a step ladder the same, leaning on nothing)."""
    w, h, d = bp.size
    r = min(0.025, 0.2 * max(d, 0.02))
    parts: list = [(rod((x, 0.0, 0.0), (x, h, 0.0), r, 6), 1.0) for x in (-w / 2 + r, w / 2 - r)]
    parts += [(rod((-w / 2 + r, y, 0.0), (w / 2 - r, y, 0.0), 0.8 * r, 6), 1.0) for y in np.arange(0.3, h - 0.05, 0.3)]
    return parts


# -- street furniture -------------------------------------------------------------


def lamp_post(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    r = 0.25 * min(w, d)
    parts: list = [(frustum(r * 1.6, r, 0.0, 0.5, 10), 1.0), (frustum(r, 0.6 * r, 0.5, h * 0.97, 10), 1.0)]
    if rng.random() < 0.5 or bp.has("street light", "streetlight"):  # an arm reaching out over the road (+Z)
        arm = max(0.6, 2.0 * d)
        parts.append((rod((0.0, 0.93 * h, 0.0), (0.0, 0.95 * h, min(arm, 1.2)), 0.5 * r, 8), 1.0))
        parts.append((transform_mesh(ellipsoid((2.0 * r, 0.6 * r, 3.0 * r), (0.0, 0.0, 0.0), 4, 10), translate=(0.0, 0.94 * h, min(arm, 1.2) - 1.5 * r)), "lamp"))
    else:  # a lantern on top
        parts.append((frustum(1.5 * r, 2.2 * r, 0.9 * h, 0.97 * h, 8), "lamp"))
        parts.append((cone(2.5 * r, 0.97 * h, h, 8), 1.0))
    return parts


def traffic_light(bp) -> list:
    w, h, d = bp.size
    r = 0.12 * min(w, d)
    head_w = 0.7 * w
    parts: list = [(cylinder(r, 0.0, 0.75 * h, 10), 1.0), (box_mesh((-head_w / 2, 0.7 * h, -0.25 * d), (head_w / 2, h, 0.25 * d)), "dark")]
    for k, fin in enumerate(("red_light", "amber_light", "green_light")):
        y = h - (k + 0.5) * 0.3 * h / 3 - 0.02 * h
        parts.append((sphere(0.3 * head_w, (0.0, y, 0.25 * d), 4, 8), fin))
    return parts


def sign(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    plate_h = min(0.6, 0.3 * h)
    parts: list = [(cylinder(0.03, 0.0, h - 0.05, 8), "steel")]
    if bp.has("stop") or rng.random() < 0.3:
        parts.append((transform_mesh(cylinder(0.5, -0.02, 0.0, 8), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), scale=(w, 1.0, plate_h), translate=(0.0, h - plate_h / 2, 0.03)), 1.0))
    else:
        parts.append((box_mesh((-w / 2, h - plate_h, 0.03), (w / 2, h, 0.05)), 1.0))
        parts.append((box_mesh((-w / 2 + 0.03, h - plate_h + 0.03, 0.05), (w / 2 - 0.03, h - 0.03, 0.055)), "marking"))
    return parts


def bench(bp) -> list:
    w, h, d = bp.size
    seat = 0.5 * h
    parts: list = [(box_mesh((-w / 2, seat - 0.04, z - d / 8), (w / 2, seat, z + d / 8 - 0.01)), 1.0) for z in (-d / 4, 0.0, d / 4)]
    parts += [(box_mesh((-w / 2, y - 0.05, -d / 2), (w / 2, y + 0.05, -d / 2 + 0.04)), 1.0) for y in (seat + 0.2 * h, seat + 0.4 * h)]
    for x in (-0.42 * w, 0.42 * w):
        parts += [(box_mesh((x - 0.03, 0.0, d / 2 - 0.12), (x + 0.03, seat - 0.04, d / 2 - 0.06)), "dark"),
                  (box_mesh((x - 0.03, 0.0, -d / 2), (x + 0.03, h, -d / 2 + 0.06)), "dark"),
                  (box_mesh((x - 0.03, seat + 0.15, -d / 2), (x + 0.03, seat + 0.2, d / 2)), "dark")]
    return parts


def bin_(bp) -> list:
    w, h, d = bp.size
    return [(transform_mesh(frustum(0.45, 0.5, 0.0, 0.9, 14), scale=(w, h, d)), 1.0), (transform_mesh(frustum(0.52, 0.48, 0.9, 1.0, 14), scale=(w, h, d)), "dark")]


def bollard(bp) -> list:
    w, h, d = bp.size
    return [(transform_mesh(cylinder(0.5, 0.0, 0.85, 12), scale=(w, h, d)), 1.0), (transform_mesh(sphere(0.5, (0, 0, 0), 4, 12), scale=(w, 0.3 * h, d), translate=(0.0, 0.85 * h, 0.0)), 1.0),
            (transform_mesh(cylinder(0.52, 0.7, 0.76, 12), scale=(w, h, d)), "marking")]


def hydrant(bp) -> list:
    w, h, d = bp.size
    s = (w / 0.4, h / 0.8, d / 0.4)
    return [(transform_mesh(m, scale=s), f) for m, f in (
        (cylinder(0.17, 0.0, 0.06, 10), 1.0), (cylinder(0.12, 0.06, 0.6, 12), 1.0), (sphere(0.13, (0.0, 0.6, 0.0), 5, 10), 1.0),
        (rod((-0.2, 0.45, 0.0), (0.2, 0.45, 0.0), 0.05, 8), "trim"), (rod((0.0, 0.45, 0.0), (0.0, 0.45, 0.2), 0.06, 8), "trim"),
        (cylinder(0.03, 0.7, 0.8, 8), "trim"))]


def shelter(bp) -> list:
    w, h, d = bp.size
    parts: list = [(box_mesh((-w / 2, h - 0.1, -d / 2), (w / 2, h, d / 2)), 1.0), (box_mesh((-w / 2 + 0.1, 0.3, -d / 2 + 0.05), (w / 2 - 0.1, h - 0.2, -d / 2 + 0.09)), "glass")]
    parts += [(rod((x, 0.0, z), (x, h - 0.1, z), 0.04, 8), "dark") for x in (-w / 2 + 0.05, w / 2 - 0.05) for z in (-d / 2 + 0.05, d / 2 - 0.05)]
    parts.append((box_mesh((-0.35 * w, 0.43, -d / 2 + 0.1), (0.35 * w, 0.47, -d / 2 + 0.45)), "trim"))
    return parts


def post_box(bp) -> list:
    w, h, d = bp.size
    return [(transform_mesh(cylinder(0.5, 0.0, 0.88, 14), scale=(w, h, d)), 1.0), (transform_mesh(sphere(0.5, (0, 0, 0), 4, 14), scale=(w, 0.24 * h, d), translate=(0.0, 0.88 * h, 0.0)), 1.0),
            (box_mesh((-0.25 * w, 0.7 * h, 0.45 * d), (0.25 * w, 0.73 * h, 0.52 * d)), "dark")]


def rack(bp) -> list:
    w, h, d = bp.size
    parts = []
    for x in np.linspace(-w / 2 + 0.1, w / 2 - 0.1, max(2, int(w // 0.6))):
        parts += [(rod((x, 0.0, -d / 2 + 0.03), (x, h - 0.05, -d / 2 + 0.03), 0.025, 6), 1.0), (rod((x, 0.0, d / 2 - 0.03), (x, h - 0.05, d / 2 - 0.03), 0.025, 6), 1.0),
                  (rod((x, h - 0.05, -d / 2 + 0.03), (x, h - 0.05, d / 2 - 0.03), 0.025, 6), 1.0)]
    return parts


def street_furniture(bp) -> list:
    """The street-furniture archetype: the form its name says, else a post (tall and thin), a bench (low
    and long) or a bollard."""
    w, h, d = bp.size
    forms = ((("lamp", "light post", "street light", "streetlight", "lantern"), lamp_post),
             (("traffic light", "signal", "stoplight"), traffic_light), (("sign", "signpost", "billboard"), sign),
             (("bench", "seat"), bench), (("bin", "trash", "litter", "garbage", "dustbin"), bin_),
             (("bollard", "post", "pillar", "cone"), bollard), (("hydrant",), hydrant), (("mailbox", "postbox", "letterbox"), post_box),
             (("shelter", "bus stop", "booth", "kiosk"), shelter), (("rack", "railing", "barrier"), rack), (("meter",), bollard))
    for words, fn in forms:
        if bp.has(*words):
            return fn(bp)
    if h > 2.0 * max(w, d) and h > 1.5:
        return sign(bp) if bp.rng().random() < 0.5 else lamp_post(bp)
    if max(w, d) > 1.5 * h:
        return bench(bp)
    return bollard(bp)


BUILT = {"building": building, "street_furniture": street_furniture}
