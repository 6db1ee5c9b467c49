"""Proxies of setting kits, built at the size they fill (a road's dashes stay 3 m long on any road).

Each builder takes the extent ``(w, h, d)`` of the entity's bounds (metres)
and a variant number and returns parts ``[(Mesh, finish), ...]`` centred on
x and z, standing on y = 0, that fill the extent exactly; the body parts
(finish 1.0) take the entity's material, the others a finish of
:mod:`scenegraph.appearance.finishes`.  A long thing runs along whichever of
x and z is longer.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from scenegraph.appearance.shapes import Mesh, box_mesh, lathe, sphere

__all__ = ["KIT_SHAPES", "sky_dome"]

Parts = list


def _box(lo, hi, along_x: bool) -> Mesh:
    """A box given in (along, y, across) coordinates, laid along x or z."""
    if along_x:
        return box_mesh((lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2]))
    return box_mesh((lo[2], lo[1], lo[0]), (hi[2], hi[1], hi[0]))


def _frame(ext: np.ndarray) -> tuple[bool, float, float, float]:
    """(runs along x, half length, height, half width)."""
    w, h, d = (float(v) for v in ext)
    along_x = w >= d
    return along_x, 0.5 * (w if along_x else d), h, 0.5 * (d if along_x else w)


def road(ext: np.ndarray, variant: int = 0) -> Parts:
    """Asphalt with white edge lines and a dashed centre line (3 m dashes, 6 m gaps); two lanes each way
    on a road wider than 10 m (dashed lane lines, a solid double centre line)."""
    ax, hl, h, hw = _frame(ext)
    paint = min(0.002, 0.5 * h)
    top = h - paint
    parts: Parts = [(_box((-hl, 0.0, -hw), (hl, top, hw), ax), 1.0)]
    if h <= 0.0 or hw < 1.0:
        return parts
    line = 0.15
    for s in (-1, 1):  # edge lines, 0.3 m in from the kerb
        c = s * (hw - 0.3)
        parts.append((_box((-hl, top, c - line / 2), (hl, h, c + line / 2), ax), "marking"))
    dashes = np.arange(-hl + 1.5, hl - 3.0, 9.0)
    if hw > 5.0:  # four lanes: solid double centre line, dashed lane lines
        for c in (-0.12, 0.12):
            parts.append((_box((-hl, top, c - 0.06), (hl, h, c + 0.06), ax), "marking"))
        for s in (-1, 1):
            c = s * hw / 2
            parts += [(_box((a, top, c - line / 2), (a + 3.0, h, c + line / 2), ax), "marking") for a in dashes]
    else:
        parts += [(_box((a, top, -line / 2), (a + 3.0, h, line / 2), ax), "marking") for a in dashes]
    return parts


def crossing(ext: np.ndarray, variant: int = 0) -> Parts:
    """A zebra crossing: 0.5 m white stripes, 0.5 m apart, across the road it lies on (stripes run along
    the shorter side, which is the walking direction)."""
    w, h, d = (float(v) for v in ext)
    stripes_along_x = w <= d  # the stripes' long side is the crossing's short side... the walkers' way
    span = d if stripes_along_x else w  # across the road (the stripes repeat along this)
    n = max(1, int(span // 1.0))
    start = -0.5 * span + 0.5 * (span - (n - 0.5) * 1.0)
    parts: Parts = []
    for i in range(n):
        a = start + i * 1.0
        if stripes_along_x:
            parts.append((box_mesh((-w / 2, 0.0, a), (w / 2, h, a + 0.5)), "marking"))
        else:
            parts.append((box_mesh((a, 0.0, -d / 2), (a + 0.5, h, d / 2)), "marking"))
    # keep the bounds exact: two hairline ends at the extremes
    parts.append((box_mesh((-w / 2, 0.0, -d / 2), (-w / 2 + 0.01, h, -d / 2 + 0.01)), "marking"))
    parts.append((box_mesh((w / 2 - 0.01, 0.0, d / 2 - 0.01), (w / 2, h, d / 2)), "marking"))
    return parts


def slab(ext: np.ndarray, variant: int = 0) -> Parts:
    """A flat slab (sidewalk, path, floor, ceiling, water): the entity's material, joints every 1.5 m
    on a sidewalk-height slab as thin darker strips."""
    w, h, d = (float(v) for v in ext)
    parts: Parts = [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, h, d / 2)), 1.0)]
    return parts


def kerb(ext: np.ndarray, variant: int = 0) -> Parts:
    """A kerb stone run: a light granite block with a chamfered road-side top edge."""
    ax, hl, h, hw = _frame(ext)
    chamfer = min(0.02, 0.3 * hw, 0.3 * h)
    return [(_box((-hl, 0.0, -hw), (hl, h - chamfer, hw), ax), 1.0),
            (_box((-hl, h - chamfer, -hw + chamfer), (hl, h, hw - chamfer), ax), 1.0)]


def facade(ext: np.ndarray, variant: int = 0) -> Parts:
    """A building block facing +Z: storeys of 3.2 m with a window grid on all four sides, a shop-front
    ground floor with a door on the front, a cornice and a roof parapet.  Odd variants light some
    windows (night)."""
    w, h, d = (float(v) for v in ext)
    rng = np.random.default_rng([variant // 2, 7])
    lit = variant % 2 == 1
    cornice = min(0.4, 0.05 * h)
    body_h = h - cornice
    parts: Parts = [(box_mesh((-w / 2 + 0.15, 0.0, -d / 2 + 0.15), (w / 2 - 0.15, body_h, d / 2 - 0.15)), 1.0),
                    (box_mesh((-w / 2, body_h, -d / 2), (w / 2, h, d / 2)), "trim")]
    storey = 3.2
    floors = max(1, int((body_h - 0.5) // storey))
    win_w = float(rng.uniform(1.0, 1.6))
    for side, length in (("front", w), ("back", w), ("left", d), ("right", d)):
        bays = max(1, int((length - 1.0) // (win_w + 1.2)))
        pitch = (length - 0.6) / bays
        for f in range(floors):
            y0 = f * storey + 1.0
            if f == 0 and side == "front":
                continue  # the shop front
            for b in range(bays):
                c = -length / 2 + 0.3 + (b + 0.5) * pitch
                fin = "window_lit" if lit and rng.random() < 0.45 else "window"
                parts.append((_pane(side, w, d, c, y0, y0 + 1.5, win_w), fin))
                parts.append((_pane(side, w, d, c, y0 - 0.12, y0, win_w + 0.2, proud=0.08), "concrete"))  # sill
    # shop front: a wide glazed band, a door and a fascia
    parts.append((box_mesh((-w / 2 + 0.5, 0.3, d / 2 - 0.15), (w / 2 - 0.5, 2.6, d / 2 - 0.05)), "window_lit" if lit else "window"))
    parts.append((box_mesh((-0.6, 0.0, d / 2 - 0.15), (0.6, 2.3, d / 2 - 0.02)), "wood_dark"))
    parts.append((box_mesh((-w / 2 + 0.15, 2.7, d / 2 - 0.15), (w / 2 - 0.15, 3.1, d / 2)), "dark"))
    return parts


def _pane(side: str, w: float, d: float, c: float, y0: float, y1: float, width: float, proud: float = 0.04) -> Mesh:
    """A window pane (or sill) on one side of a w x d block, centred ``c`` along that side."""
    hw = width / 2
    if side == "front":
        return box_mesh((c - hw, y0, d / 2 - 0.15), (c + hw, y1, d / 2 - 0.15 + proud))
    if side == "back":
        return box_mesh((c - hw, y0, -d / 2 + 0.15 - proud), (c + hw, y1, -d / 2 + 0.15))
    if side == "left":
        return box_mesh((-w / 2 + 0.15 - proud, y0, c - hw), (-w / 2 + 0.15, y1, c + hw))
    return box_mesh((w / 2 - 0.15, y0, c - hw), (w / 2 - 0.15 + proud, y1, c + hw))


def room_wall(ext: np.ndarray, variant: int = 0) -> Parts:
    """An interior wall along its long side with openings: variant 1 a door, 2 two windows, 3 a door and
    a window, 0 plain; a skirting board on the room side (+ across)."""
    ax, hl, h, hw = _frame(ext)
    door = variant in (1, 3)
    windows = {0: [], 1: [], 2: [-hl / 2, hl / 2], 3: [hl / 2]}.get(variant, [])
    holes = []  # (a0, a1, y0, y1, finish of what fills it)
    if door:
        c = -hl / 2 if variant == 3 else 0.0
        holes.append((c - 0.45, c + 0.45, 0.0, min(2.1, h - 0.2), "wood"))
    for c in windows:
        holes.append((c - 0.6, c + 0.6, 0.9, min(2.2, h - 0.2), "glass"))
    holes.sort()
    parts: Parts = []
    a = -hl
    for a0, a1, y0, y1, fin in holes:
        parts.append((_box((a, 0.0, -hw), (a0, h, hw), ax), 1.0))
        if y0 > 0:
            parts.append((_box((a0, 0.0, -hw), (a1, y0, hw), ax), 1.0))
        parts.append((_box((a0, y1, -hw), (a1, h, hw), ax), 1.0))
        parts.append((_box((a0, y0, -0.02), (a1, y1, 0.02), ax), fin))  # door leaf or pane
        parts += [(_box((a0 - 0.05, y0, -hw - 0.01), (a0, y1, hw + 0.01), ax), "wood"), (_box((a1, y0, -hw - 0.01), (a1 + 0.05, y1, hw + 0.01), ax), "wood")]
        a = a1
    parts.append((_box((a, 0.0, -hw), (hl, h, hw), ax), 1.0))
    return parts


def counter(ext: np.ndarray, variant: int = 0) -> Parts:
    """A kitchen counter run: cabinets with doors and handles under a worktop, a sink."""
    ax, hl, h, hw = _frame(ext)
    top = 0.04
    parts: Parts = [(_box((-hl, 0.1, -hw), (hl, h - top, hw - 0.02), ax), 1.0),
                    (_box((-hl, 0.0, -hw), (hl, 0.1, hw - 0.06), ax), "dark"),
                    (_box((-hl, h - top, -hw), (hl, h, hw), ax), "stone")]
    n = max(1, int(2 * hl // 0.6))
    pitch = 2 * hl / n
    for i in range(n):
        a0 = -hl + i * pitch
        parts.append((_box((a0 + 0.01, 0.12, hw - 0.02), (a0 + pitch - 0.01, h - top - 0.02, hw), ax), 1.0))
        parts.append((_box((a0 + pitch / 2 - 0.08, h - top - 0.12, hw), (a0 + pitch / 2 + 0.08, h - top - 0.1, hw + 0.0), ax), "steel"))
    parts.append((_box((-0.3, h - top + 0.0, -hw + 0.1), (0.3, h, hw - 0.1), ax), "steel"))  # sink rim
    return parts


def parking_lines(ext: np.ndarray, variant: int = 0) -> Parts:
    """Parking bay lines: 2.5 m bays with 5 m stall lines on two rows facing an aisle."""
    w, h, d = (float(v) for v in ext)
    parts: Parts = [(box_mesh((-w / 2, 0.0, -d / 2), (w / 2, h, d / 2)), 1.0)]
    paint = min(0.003, 0.5 * h)
    for row in (-1, 1):
        z0 = row * (d / 2 - 5.0) if d > 12 else row * 2.5
        for x in np.arange(-w / 2 + 1.0, w / 2 - 1.0, 2.5):
            parts.append((box_mesh((x, h - paint, min(z0, z0 + row * 5.0)), (x + 0.12, h, max(z0, z0 + row * 5.0))), "marking"))
    return parts


def barrier(ext: np.ndarray, variant: int = 0) -> Parts:
    """A steel guard rail on posts every 2 m (highway median and verges)."""
    ax, hl, h, hw = _frame(ext)
    parts: Parts = [(_box((-hl, h - 0.35, -hw), (hl, h - 0.05, hw), ax), 1.0),
                    (_box((-hl, h - 0.05, -hw), (hl, h, hw), ax), 1.0)]
    for a in np.arange(-hl, hl, 2.0):
        parts.append((_box((a, 0.0, -0.05), (a + 0.1, h - 0.35, 0.05), ax), "dark"))
    return parts


def dune(ext: np.ndarray, variant: int = 0) -> Parts:
    """A low sand dune: a flattened, slightly lopsided mound."""
    w, h, d = (float(v) for v in ext)
    return [(_mound(w, h, d, variant), 1.0)]


def _mound(w: float, h: float, d: float, variant: int) -> Mesh:
    rng = np.random.default_rng([variant, 11])
    skew = float(rng.uniform(-0.25, 0.25))
    prof = [(1.0, 0.0), (0.8, 0.25), (0.55, 0.6), (0.3, 0.88), (0.0, 1.0)]
    nrm = [(0.3, 1.0), (0.5, 1.0), (0.7, 1.0), (0.5, 1.0), (0.0, 1.0)]
    m = lathe(prof, nrm, 16)
    p = m.positions.astype(np.float64) * [w / 2, h, d / 2]
    p[:, 0] += skew * w / 2 * (p[:, 1] / h)
    p[:, 0] = np.clip(p[:, 0], -w / 2, w / 2)
    return Mesh(p, m.normals, m.uvs, m.indices)


def sky_dome(ext: np.ndarray, variant: int = 0) -> Parts:
    """A sky dome seen from inside (normals and winding inward), UV v = 0 at the zenith, 1 at and below the
    horizon (a gradient texture runs down it), with a skirt down to the bounds' floor (``ext`` y beyond the
    radius) so no void shows past the ground's edge."""
    r = 0.5 * float(min(ext[0], ext[2]))
    skirt = max(float(ext[1]) - r, 0.0)
    rings, segments = 16, 32
    angles = np.linspace(0.0, math.pi / 2, rings + 1)  # from the horizon up to the zenith
    low = -math.asin(min(skirt / max(r, 1e-9), 1.0)) if skirt > 0 else 0.0
    prof = ([(r * math.cos(low), r * math.sin(low))] if skirt > 0 else []) + [(r * math.cos(a), r * math.sin(a)) for a in angles]
    nrm = ([(-math.cos(low), -math.sin(low))] if skirt > 0 else []) + [(-math.cos(a), -math.sin(a)) for a in angles]
    m = lathe(prof, nrm, segments)
    idx = m.indices[:, [0, 2, 1]]  # inward
    p = m.positions.astype(np.float64)
    elev = np.arcsin(np.clip(p[:, 1] / max(r, 1e-9), -1.0, 1.0))
    uv = np.stack([m.uvs[:, 0], np.clip(1.0 - elev / (math.pi / 2), 0.0, 1.0)], axis=1)
    return [(Mesh(p, m.normals, uv, idx), 1.0)]


def ceiling_lamp(ext: np.ndarray, variant: int = 0) -> Parts:
    """A pendant lamp: a ceiling rose, a cord and a glowing shade at the bottom."""
    w, h, d = (float(v) for v in ext)
    from scenegraph.appearance.shapes import cylinder, frustum

    r = 0.5 * min(w, d)
    return [(cylinder(0.25 * r, h - 0.03, h, 10), 1.0), (cylinder(0.015 * r + 0.004, 0.4 * h, h - 0.03, 6), "dark"),
            (frustum(r, 0.35 * r, 0.0, 0.4 * h, 16), 1.0), (cylinder(0.3 * r, 0.0, 0.05 * h, 10), "lamp")]


def celestial(ext: np.ndarray, variant: int = 0) -> Parts:
    """A sun or moon disc (a flat sphere)."""
    return [(sphere(0.5, (0.0, 0.5, 0.0), 6, 12), "lamp")]


KIT_SHAPES: dict[str, Callable[[np.ndarray, int], Parts]] = {
    "road": road, "highway": road, "crossing": crossing, "sidewalk": slab, "path": slab, "ceiling": slab,
    "water": slab, "lake": slab, "sea": slab, "kerb": kerb, "facade": facade, "room_wall": room_wall,
    "counter": counter, "parking_lines": parking_lines, "barrier": barrier, "dune": dune, "sky_dome": sky_dome,
    "celestial": celestial, "ceiling_lamp": ceiling_lamp,
}
