"""Generators for furniture and containers (see :mod:`scenegraph.appearance.generators`).

Each takes a Blueprint and returns parts ``[(Mesh, finish), ...]`` at its
size; the class name picks the form (table, chair, sofa, bed, cabinet, shelf,
lamp, screen, appliance, rug, frame; box, crate, barrel, bucket, basket, bag,
bottle, jar), the size picks it when no word does, the seed the details
(leg style, drawer count, handle place, book colours).
"""
from __future__ import annotations

import numpy as np

from scenegraph.appearance.shapes import box_mesh, cylinder, frustum, revolve, rod, sphere, torus, transform_mesh

__all__ = ["INDOOR"]


def _legs(w: float, d: float, y1: float, r: float, rng: np.random.Generator, inset: float = 0.04, finish="wood") -> list:
    round_legs = rng.random() < 0.5
    out = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (w / 2 - inset - r), sz * (d / 2 - inset - r)
            if round_legs:
                out.append((transform_mesh(frustum(r, r * 0.7, 0.0, y1, 8), translate=(x, 0.0, z)), finish))
            else:
                out.append((box_mesh((x - r, 0.0, z - r), (x + r, y1, z + r)), finish))
    return out


def table(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    top_t = float(rng.uniform(0.03, 0.05))
    parts: list = []
    if bp.has("round", "coffee", "side table", "bistro", "cafe") and abs(w - d) < 0.3 * max(w, d):
        parts.append((transform_mesh(cylinder(0.5, h - top_t, h, 24), scale=(w, 1.0, d)), 1.0))
        parts.append((cylinder(0.05 * max(w, 0.5), 0.03, h - top_t, 10), "dark"))
        parts.append((transform_mesh(cylinder(0.5, 0.0, 0.03, 16), scale=(0.5 * w, 1.0, 0.5 * d)), "dark"))
        return parts
    parts.append((box_mesh((-w / 2, h - top_t, -d / 2), (w / 2, h, d / 2)), 1.0))
    apron = min(0.1, 0.15 * h)
    r = float(rng.uniform(0.02, 0.035)) * max(1.0, min(w, d) / 0.8)
    parts += [(box_mesh((-w / 2 + 0.05, h - top_t - apron, sz * (d / 2 - 0.06) - 0.01), (w / 2 - 0.05, h - top_t, sz * (d / 2 - 0.06) + 0.01)), 1.0) for sz in (-1, 1)]
    parts += _legs(w, d, h - top_t, r, rng, finish=1.0)
    if bp.has("desk", "workbench", "bureau"):  # a drawer pedestal on the right
        pw = min(0.45, 0.3 * w)
        parts.append((box_mesh((w / 2 - pw - 0.02, 0.0, -d / 2 + 0.03), (w / 2 - 0.02, h - top_t, d / 2 - 0.03)), 1.0))
        for k in range(3):
            y = (k + 0.5) * (h - top_t) / 3
            parts.append((box_mesh((w / 2 - pw / 2 - 0.06, y - 0.01, d / 2 - 0.03), (w / 2 - pw / 2 + 0.06, y + 0.01, d / 2)), "steel"))
    return parts


def chair(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    stool = bp.has("stool", "ottoman", "pouf")
    seat_h = h if stool else min(0.47 * h / 0.9, h * 0.55)
    seat_t = 0.05
    parts: list = [(box_mesh((-w / 2, seat_h - seat_t, -d / 2), (w / 2, seat_h, d / 2)), 1.0)]
    soft = bp.has("arm", "easy", "lounge", "recliner", "office")
    if soft:
        parts.append((box_mesh((-w / 2 + 0.04, seat_h, -d / 2 + 0.04), (w / 2 - 0.04, seat_h + 0.08, d / 2 - 0.02)), "fabric"))
    parts += _legs(w, d, seat_h - seat_t, 0.02 + 0.01 * rng.random(), rng, inset=0.02, finish=1.0 if rng.random() < 0.6 else "steel")
    if not stool:
        style = rng.integers(3)
        if style == 0:  # solid back
            parts.append((box_mesh((-w / 2, seat_h, -d / 2), (w / 2, h, -d / 2 + 0.04)), 1.0))
        else:  # two posts and slats
            parts += [(box_mesh((sx * w / 2 - 0.03 * (sx > 0), seat_h, -d / 2), (sx * w / 2 + 0.03 * (sx < 0), h, -d / 2 + 0.035)), 1.0) for sx in (-1, 1)]
            n = 2 + int(style)
            for k in range(n):
                y = seat_h + (k + 1) * (h - seat_h) / (n + 1)
                parts.append((box_mesh((-w / 2 + 0.03, y - 0.03, -d / 2 + 0.005), (w / 2 - 0.03, y + 0.03, -d / 2 + 0.03)), 1.0))
        if bp.has("arm"):
            parts += [(box_mesh((sx * w / 2 - 0.04 * (sx > 0), seat_h + 0.18, -d / 2), (sx * w / 2 + 0.04 * (sx < 0), seat_h + 0.23, d / 2)), 1.0) for sx in (-1, 1)]
    return parts


def sofa(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    seat = 0.45 * h / 0.85
    arm = float(rng.uniform(0.1, 0.2)) * min(1.0, w / 2.0)
    n = max(1, int(round((w - 2 * arm) / 0.65)))
    parts: list = [(box_mesh((-w / 2, 0.1, -d / 2), (w / 2, seat - 0.1, d / 2)), 1.0),
                   (box_mesh((-w / 2, 0.1, -d / 2), (w / 2, h, -d / 2 + 0.2)), 1.0)]
    parts += [(box_mesh((sx * w / 2 - arm * (sx > 0), 0.1, -d / 2), (sx * w / 2 + arm * (sx < 0), seat + 0.18, d / 2)), 1.0) for sx in (-1, 1)]
    cw = (w - 2 * arm) / n
    for k in range(n):
        x0 = -w / 2 + arm + k * cw
        parts.append((box_mesh((x0 + 0.01, seat - 0.1, -d / 2 + 0.2), (x0 + cw - 0.01, seat, d / 2 - 0.02)), 0.92))
        parts.append((box_mesh((x0 + 0.03, seat, -d / 2 + 0.2), (x0 + cw - 0.03, h - 0.08, -d / 2 + 0.32)), 0.95))
    parts += [(transform_mesh(cylinder(0.03, 0.0, 0.1, 8), translate=(sx * (w / 2 - 0.08), 0.0, sz * (d / 2 - 0.08))), "wood_dark") for sx in (-1, 1) for sz in (-1, 1)]
    return parts


def bed(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    frame_h = 0.3 * h / 0.55
    parts: list = [(box_mesh((-w / 2, 0.08, -d / 2), (w / 2, frame_h, d / 2)), 1.0),
                   (box_mesh((-w / 2 + 0.03, frame_h, -d / 2 + 0.08), (w / 2 - 0.03, frame_h + 0.2, d / 2 - 0.02)), "fabric"),
                   (box_mesh((-w / 2, 0.0, -d / 2), (w / 2, h + float(rng.uniform(0.2, 0.5)), -d / 2 + 0.06)), 1.0)]
    n_p = 2 if w > 1.2 else 1
    for k in range(n_p):
        cx = (k - (n_p - 1) / 2) * w / n_p
        parts.append((transform_mesh(sphere(0.5, (0, 0, 0), 5, 10), scale=(0.8 * w / n_p, 0.1, 0.35), translate=(cx, frame_h + 0.25, -d / 2 + 0.3)), "fabric"))
    parts.append((box_mesh((-w / 2 + 0.02, frame_h + 0.12, -d / 2 + 0.6), (w / 2 - 0.02, frame_h + 0.23, d / 2)), 0.85))  # the cover
    parts += [(box_mesh((sx * (w / 2 - 0.05) - 0.04, 0.0, sz * (d / 2 - 0.05) - 0.04), (sx * (w / 2 - 0.05) + 0.04, 0.08, sz * (d / 2 - 0.05) + 0.04)), "wood_dark") for sx in (-1, 1) for sz in (-1, 1)]
    return parts


def cabinet(bp) -> list:
    """A carcass with doors or drawers, handles and a plinth: wardrobe, cupboard, dresser, nightstand."""
    w, h, d = bp.size
    rng = bp.rng()
    plinth = 0.08
    parts: list = [(box_mesh((-w / 2, plinth, -d / 2), (w / 2, h - 0.03, d / 2 - 0.02)), 1.0),
                   (box_mesh((-w / 2 + 0.03, 0.0, -d / 2 + 0.03), (w / 2 - 0.03, plinth, d / 2 - 0.06)), "dark"),
                   (box_mesh((-w / 2 - 0.01, h - 0.03, -d / 2), (w / 2 + 0.01, h, d / 2 + 0.01)), 1.0)]
    drawers = bp.has("drawer", "dresser", "chest", "nightstand", "bedside") or (h < 1.2 and rng.random() < 0.5)
    front = d / 2 - 0.02
    if drawers:
        n = max(2, min(6, int(round((h - plinth) / 0.25))))
        step = (h - plinth - 0.03) / n
        for k in range(n):
            y0 = plinth + k * step
            parts.append((box_mesh((-w / 2 + 0.02, y0 + 0.01, front), (w / 2 - 0.02, y0 + step - 0.01, front + 0.02)), 0.9))
            parts.append((box_mesh((-0.08, y0 + step / 2 - 0.01, front + 0.02), (0.08, y0 + step / 2 + 0.01, front + 0.04)), "steel"))
    else:
        n = max(1, min(4, int(round(w / 0.5))))
        dw = (w - 0.04) / n
        for k in range(n):
            x0 = -w / 2 + 0.02 + k * dw
            parts.append((box_mesh((x0 + 0.005, plinth + 0.01, front), (x0 + dw - 0.005, h - 0.04, front + 0.02)), 0.9))
            hx = x0 + (dw - 0.06 if k % 2 == 0 else 0.06)
            yc = min(1.0, 0.55 * h)
            parts.append((box_mesh((hx - 0.01, yc - 0.1, front + 0.02), (hx + 0.01, yc + 0.1, front + 0.045)), "steel"))
    return parts


def shelf(bp) -> list:
    """Sides, shelves and a back, with books of seeded colours and heights on most shelves."""
    w, h, d = bp.size
    rng = bp.rng()
    t = 0.025
    parts: list = [(box_mesh((sx * w / 2 - t * (sx > 0), 0.0, -d / 2), (sx * w / 2 + t * (sx < 0), h, d / 2)), 1.0) for sx in (-1, 1)]
    parts.append((box_mesh((-w / 2 + t, 0.0, -d / 2), (w / 2 - t, h, -d / 2 + 0.01)), "wood_dark"))
    n = max(2, int(round(h / 0.38)))
    step = (h - t) / n
    for k in range(n + 1):
        y = k * step
        parts.append((box_mesh((-w / 2 + t, y, -d / 2), (w / 2 - t, y + t, d / 2)), 1.0))
        if k < n and h > 0.6 and rng.random() < 0.8:
            x = -w / 2 + t + 0.01
            end = x + float(rng.uniform(0.4, 0.9)) * (w - 2 * t)
            while x < end - 0.03:
                bw = float(rng.uniform(0.02, 0.05))
                bh = float(rng.uniform(0.6, 0.9)) * (step - t - 0.02)
                fin = ("red_book", "blue_book", "paper", "wood_dark", "leaf_dark")[int(rng.integers(5))]
                fin = {"red_book": "brick", "blue_book": "window"}.get(fin, fin)
                parts.append((box_mesh((x, y + t, -d / 2 + 0.02), (x + bw, y + t + bh, d / 2 - 0.03)), fin))
                x += bw + 0.003
    return parts


def lamp(bp) -> list:
    w, h, d = bp.size
    rng = bp.rng()
    r = 0.5 * min(w, d)
    shade_h = min(0.4 * h, 1.2 * r)
    parts: list = [(cylinder(0.6 * r, 0.0, 0.03, 14), 1.0), (rod((0.0, 0.03, 0.0), (0.0, h - 0.8 * shade_h, 0.0), 0.012 + 0.01 * (h > 1.0), 8), "steel")]
    parts.append((frustum(r, r * float(rng.uniform(0.55, 0.8)), h - shade_h, h, 16), "lamp"))
    return parts


def screen(bp) -> list:
    """A TV or monitor: a bezel, a dark glossy screen, a foot."""
    w, h, d = bp.size
    foot = 0.1 * h
    parts: list = [(box_mesh((-w / 2, foot, -d / 2), (w / 2, h, d / 2 - 0.01)), 1.0),
                   (box_mesh((-w / 2 + 0.02, foot + 0.02, d / 2 - 0.01), (w / 2 - 0.02, h - 0.02, d / 2)), "screen"),
                   (box_mesh((-0.15 * w, 0.0, -d / 2), (0.15 * w, 0.015, d / 2)), "dark"),
                   (box_mesh((-0.03, 0.0, -0.01), (0.03, foot, 0.01)), "dark")]
    return parts


def appliance(bp) -> list:
    """A fridge, oven, washing machine, dishwasher or microwave: a cabinet with a door, handle and details."""
    w, h, d = bp.size
    front = d / 2 - 0.01
    parts: list = [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, h, front)), 1.0)]
    if bp.has("wash", "dryer", "laundry"):
        parts.append((transform_mesh(torus(0.3 * w, 0.03, 4, 20), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), translate=(0.0, 0.45 * h, front + 0.03)), "trim"))
        parts.append((transform_mesh(cylinder(0.28 * w, 0.0, 0.02, 20), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), translate=(0.0, 0.45 * h, front)), "glass"))
    elif bp.has("oven", "stove", "cooker", "range", "microwave"):
        parts.append((box_mesh((-w / 2 + 0.05, 0.15 * h, front), (w / 2 - 0.05, 0.7 * h, front + 0.01)), "screen"))
        parts.append((rod((-w / 2 + 0.08, 0.75 * h, front + 0.04), (w / 2 - 0.08, 0.75 * h, front + 0.04), 0.012, 8), "steel"))
        parts += [(transform_mesh(cylinder(0.025, 0.0, 0.02, 10), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), translate=(x, 0.88 * h, front)), "dark") for x in np.linspace(-w / 3, w / 3, 4)]
        if not bp.has("microwave"):
            parts += [(transform_mesh(torus(0.09, 0.01, 3, 14), translate=(sx * w / 4, h, sz * d / 4)), "dark") for sx in (-1, 1) for sz in (-1, 1)]
    else:  # fridge-like: two doors
        split = 0.62 * h
        parts.append((box_mesh((-w / 2 + 0.01, split - 0.005, front), (w / 2 - 0.01, split + 0.005, front + 0.01)), "dark"))
        parts += [(box_mesh((w / 2 - 0.08, y0, front), (w / 2 - 0.05, y1, front + 0.04)), "steel") for y0, y1 in ((split - 0.35, split - 0.05), (split + 0.05, split + 0.35))]
    return parts


def rug(bp) -> list:
    w, h, d = bp.size
    b = 0.08 * min(w, d)
    return [(box_mesh((-w / 2 + b, 0.0, -d / 2 + b), (w / 2 - b, h, d / 2 - b)), 1.0),
            (box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.8 * h, -d / 2 + b)), 0.6), (box_mesh((-w / 2, 0.0, d / 2 - b), (w / 2, 0.8 * h, d / 2)), 0.6),
            (box_mesh((-w / 2, 0.0, -d / 2 + b), (-w / 2 + b, 0.8 * h, d / 2 - b)), 0.6), (box_mesh((w / 2 - b, 0.0, -d / 2 + b), (w / 2, 0.8 * h, d / 2 - b)), 0.6)]


def wall_frame(bp) -> list:
    """A mirror, picture, painting, clock or board: a frame around a panel."""
    w, h, d = bp.size
    b = 0.06 * min(w, h)
    fin = "glass" if bp.has("mirror") else ("paper" if bp.has("picture", "painting", "poster", "photo", "board") else "ceramic")
    return [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, b, d / 2)), 1.0), (box_mesh((-w / 2, h - b, -d / 2), (w / 2, h, d / 2)), 1.0),
            (box_mesh((-w / 2, b, -d / 2), (-w / 2 + b, h - b, d / 2)), 1.0), (box_mesh((w / 2 - b, b, -d / 2), (w / 2, h - b, d / 2)), 1.0),
            (box_mesh((-w / 2 + b, b, -d / 2), (w / 2 - b, h - b, 0.0)), fin)]


def furniture(bp) -> list:
    """The furniture archetype: the form its name says, else one its proportions suggest."""
    forms = (("table", "desk", "workbench", "counter", "bureau"), table), (("stool", "chair", "seat", "ottoman", "pouf"), chair), \
        (("sofa", "couch", "settee", "loveseat", "futon"), sofa), (("bed", "cot", "crib", "mattress", "bunk"), bed), \
        (("shelf", "shelves", "bookcase", "bookshelf", "rack"), shelf), (("lamp", "chandelier", "lantern", "light"), lamp), \
        (("tv", "television", "monitor", "screen", "computer"), screen), \
        (("fridge", "refrigerator", "freezer", "oven", "stove", "cooker", "microwave", "wash", "dryer", "dishwasher"), appliance), \
        (("rug", "carpet", "mat"), rug), (("mirror", "picture", "painting", "poster", "clock", "board", "frame"), wall_frame), \
        (("cabinet", "wardrobe", "cupboard", "dresser", "drawer", "chest", "nightstand", "sideboard", "closet", "locker"), cabinet)
    for words, fn in forms:
        if bp.has(*words):
            return fn(bp)
    w, h, d = bp.size
    if h < 0.05:
        return rug(bp)
    if h > 1.2 * max(w, d) or (h > 0.6 and h >= 0.8 * max(w, d)):
        return cabinet(bp)
    if h < 0.6 * max(w, d) and h < 1.0:
        return table(bp) if h > 0.5 else sofa(bp) if w > 1.2 else chair(bp)
    return cabinet(bp)


# -- containers -------------------------------------------------------------------


def _profile_container(bp, prof: list, rim: bool = True, fin=1.0) -> list:
    w, h, d = bp.size
    parts = [(transform_mesh(revolve(prof, 18), scale=(w, h, d)), fin)]
    if rim:
        r_top = prof[-1][0]
        parts.append((transform_mesh(torus(r_top, 0.02, 4, 18), scale=(w, h, d), translate=(0.0, h * prof[-1][1], 0.0)), 0.8))
    return parts


def container(bp) -> list:
    """Boxes, crates, barrels, buckets, baskets, bags, bottles and jars."""
    w, h, d = bp.size
    rng = bp.rng()
    if bp.has("crate", "pallet"):
        parts = [(box_mesh((-w / 2 + 0.02, 0.0, -d / 2 + 0.02), (w / 2 - 0.02, h, d / 2 - 0.02)), 0.85)]
        for y in np.linspace(0.05 * h, 0.8 * h, 3):
            parts += [(box_mesh((-w / 2, y, -d / 2), (w / 2, y + 0.15 * h, -d / 2 + 0.02)), 1.0), (box_mesh((-w / 2, y, d / 2 - 0.02), (w / 2, y + 0.15 * h, d / 2)), 1.0)]
        return parts
    if bp.has("barrel", "keg", "drum", "cask"):
        prof = [(0.42, 0.0), (0.48, 0.25), (0.5, 0.5), (0.48, 0.75), (0.42, 1.0)]
        parts = [(transform_mesh(revolve(prof, 20), scale=(w, h, d)), 1.0)]
        parts += [(transform_mesh(torus(0.48 if 0.2 < y < 0.8 else 0.43, 0.012, 3, 20), scale=(w, 1.0, d), translate=(0.0, y * h, 0.0)), "dark") for y in (0.1, 0.3, 0.7, 0.9)]
        return parts
    if bp.has("bucket", "pail", "pot", "planter", "tub", "bin", "can", "tin"):
        parts = _profile_container(bp, [(0.38, 0.0), (0.5, 1.0)])
        if bp.has("bucket", "pail"):
            parts.append((transform_mesh(torus(0.45, 0.01, 3, 16), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), scale=(w, h, 1.0), translate=(0.0, h, 0.0)), "steel"))
        return parts
    if bp.has("basket", "hamper"):
        parts = _profile_container(bp, [(0.38, 0.0), (0.5, 0.7)], fin=1.0)
        parts.append((transform_mesh(torus(0.45, 0.015, 3, 16), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), scale=(w, 0.6 * h, 1.0), translate=(0.0, 0.7 * h, 0.0)), 0.8))
        return parts
    if bp.has("bag", "sack", "backpack", "rucksack", "suitcase", "purse", "handbag", "luggage", "briefcase"):
        body = transform_mesh(sphere(0.5, (0, 0.5, 0), 6, 12), scale=(w, 0.9 * h, d))
        parts = [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, 0.75 * h, d / 2)), 1.0), (body, 1.0)]
        parts.append((transform_mesh(torus(0.2 * w, 0.015, 3, 12), rotate=np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]]), translate=(0.0, 0.9 * h, 0.0)), "dark"))
        return parts
    if bp.has("bottle", "flask", "jug", "carafe", "thermos", "decanter"):
        prof = [(0.48, 0.0), (0.5, 0.03), (0.5, 0.6), (0.35, 0.75), (0.18, 0.85), (0.17, 0.97)]
        parts = [(transform_mesh(revolve(prof, 16), scale=(w, h, d)), 1.0), (transform_mesh(cylinder(0.19, 0.95, 1.0, 12), scale=(w, h, d)), "dark")]
        return parts
    if bp.has("jar", "urn", "vase", "pitcher", "canister"):
        parts = _profile_container(bp, [(0.35, 0.0), (0.5, 0.4), (0.45, 0.8), (0.35, 0.9), (0.38, 0.95)], rim=False)
        if bp.has("jar", "canister"):  # a lid with a knob
            parts += [(transform_mesh(cylinder(0.4, 0.93, 0.98, 16), scale=(w, h, d)), "dark" if rng.random() < 0.5 else 0.8),
                      (transform_mesh(sphere(0.08, (0.0, 0.98, 0.0), 3, 8), scale=(w, h, d)), "dark")]
        return parts
    # a box: carton or chest with a lid seam and, by seed, tape or handles
    lid = 0.85 * h
    parts = [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, lid, d / 2)), 1.0), (box_mesh((-w / 2 - 0.005, lid, -d / 2 - 0.005), (w / 2 + 0.005, h, d / 2 + 0.005)), 0.9)]
    if rng.random() < 0.5:
        parts.append((box_mesh((-0.04 * w, 0.0, -d / 2 - 0.003), (0.04 * w, h + 0.002, d / 2 + 0.003)), "paper"))
    else:
        parts += [(box_mesh((sx * w / 2 - 0.01 * (sx > 0), 0.55 * h, -0.1 * d), (sx * w / 2 + 0.01 * (sx < 0) + 0.01 * sx, 0.62 * h, 0.1 * d)), "dark") for sx in (-1, 1)]
    return parts


INDOOR = {"furniture": furniture, "container": container}
