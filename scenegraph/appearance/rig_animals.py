"""Animal bodies for :mod:`scenegraph.appearance.rig`: four-legged mammals per species, birds, fish,
insects and snakes, built from lofted tubes (one smooth skin through a row of cross-sections) instead of
strings of beads.

``loft(centres, radii)`` is the primitive: elliptic cross-sections (width, height radii) at points along
a path, joined into one closed tube.  A quadruped is a torso loft (rump, a waist, a deeper chest), a
neck loft rising to a skull with a muzzle, ears by species (pointed, floppy, long, round), eyes and a
nose, a three-joint tail, and four legs whose upper segment blends into the body (a haunch behind),
each ending in a paw or a hoof.  Proportions come from :data:`SPECIES`.

Every vertex is bound to one joint (rigid skinning, as the rest of the rig); the rings of a loft are
split between the joints along it.

>>> import numpy as np
>>> m = loft(np.array([[0, 0, 0], [0, 0, 1.0], [0, 0, 2.0]]), np.array([[0.1, 0.2], [0.3, 0.3], [0.1, 0.1]]), 8)
>>> np.round(m.bounds.astype(float), 2).tolist()
[[-0.3, -0.3, 0.0], [0.3, 0.3, 2.0]]
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from scenegraph.appearance.shapes import Mesh, ellipsoid, limb, sphere

__all__ = ["loft", "SPECIES", "species_of", "quadruped_body"]


def loft(centres: Any, radii: Any, segments: int = 12, side: Any = (1.0, 0.0, 0.0)) -> Mesh:
    """A closed tube through ``centres`` (N, 3) with elliptic sections of ``radii`` (N, 2): the first radius
    along ``side`` (projected square to the path), the second square to both; flat caps at the ends."""
    c = np.asarray(centres, np.float64)
    r = np.maximum(np.asarray(radii, np.float64), 1e-4)
    n = len(c)
    tan = np.gradient(c, axis=0) if n > 2 else np.repeat((c[1] - c[0])[None], n, axis=0)
    tan /= np.maximum(np.linalg.norm(tan, axis=1, keepdims=True), 1e-12)
    s = np.asarray(side, np.float64)
    sd = s[None] - np.einsum("ij,j->i", tan, s)[:, None] * tan
    bad = np.linalg.norm(sd, axis=1) < 1e-6
    if bad.any():
        alt = np.array([0.0, 0.0, 1.0]) if abs(s[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
        sd[bad] = alt - np.einsum("ij,j->i", tan[bad], alt)[:, None] * tan[bad]
    sd /= np.linalg.norm(sd, axis=1, keepdims=True)
    up = np.cross(tan, sd)
    th = 2 * math.pi * np.arange(segments) / segments
    cos, sin = np.cos(th), np.sin(th)
    pos = (c[:, None] + sd[:, None] * (r[:, 0:1] * cos)[..., None] + up[:, None] * (r[:, 1:2] * sin)[..., None])
    nrm = sd[:, None] * (cos / r[:, 0:1])[..., None] + up[:, None] * (sin / r[:, 1:2])[..., None]
    nrm /= np.linalg.norm(nrm, axis=2, keepdims=True)
    uv = np.stack(np.meshgrid(np.arange(segments) / segments, np.arange(n) / max(n - 1, 1)), axis=-1)
    pos, nrm, uv = pos.reshape(-1, 3), nrm.reshape(-1, 3), uv.reshape(-1, 2)
    i, k = np.meshgrid(np.arange(n - 1), np.arange(segments), indexing="ij")
    a, b = i * segments + k, i * segments + (k + 1) % segments
    tri = np.concatenate([np.stack([a, b, b + segments], -1).reshape(-1, 3), np.stack([a, b + segments, a + segments], -1).reshape(-1, 3)])
    # caps: their own vertices (flat normals), fanned about the end centres
    v0 = len(pos)
    caps_p, caps_n, caps_uv, caps_t = [], [], [], []
    for end, sign in ((0, -1.0), (n - 1, 1.0)):
        base = v0 + len(caps_p) * 1
        ring = pos[end * segments:(end + 1) * segments]
        caps_p += [c[end]] + list(ring)
        caps_n += [sign * tan[end]] * (segments + 1)
        caps_uv += [(0.5, 0.5)] + [(0.5 + 0.5 * cc, 0.5 + 0.5 * ss) for cc, ss in zip(cos, sin)]
        for kk in range(segments):
            p, q = base + 1 + kk, base + 1 + (kk + 1) % segments
            caps_t.append((base, q, p) if sign < 0 else (base, p, q))
    return Mesh(np.vstack([pos, caps_p]), np.vstack([nrm, caps_n]), np.vstack([uv, caps_uv]),
                np.vstack([tri, np.array(caps_t)]))


def _curve(points: Any, n: int) -> np.ndarray:
    """``n`` points along a Catmull-Rom curve through ``points`` (P, 3)."""
    p = np.asarray(points, np.float64)
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = []
    seg = len(p) - 3
    for u in np.linspace(0.0, seg, n):
        i = min(int(u), seg - 1)
        t = u - i
        p0, p1, p2, p3 = p[i:i + 4]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    return np.array(out)


def _loft_parts(B: Any, role: str, centres: np.ndarray, radii: np.ndarray, joints: list[str], segments: int = 12,
                side: Any = (1.0, 0.0, 0.0)) -> None:
    """A loft split into consecutive pieces bound to ``joints`` (equal shares of its rings, overlapping by
    one ring so the skin stays closed in the bind pose)."""
    n = len(centres)
    cuts = np.linspace(0, n - 1, len(joints) + 1).round().astype(int)
    for k, j in enumerate(joints):
        a, b = int(cuts[k]), int(cuts[k + 1])
        if b - a < 1:
            continue
        B.part(role, j, loft(centres[a:b + 1], radii[a:b + 1], segments, side))


# --------------------------------------------------------------------------
# four-legged mammals
# --------------------------------------------------------------------------

#: species -> proportions (fractions of the bounds' height H, length D or width W, or of the torso depth T)
#:  leg: legs' length / H; torso: torso depth / H; girth: torso width / W; waist: narrowing mid-body;
#:  neck: head raise above the back / H; head: skull radius / H; snout: muzzle length / skull radius;
#:  ears: pointed | floppy | long | round | small; tail: length / D; tail_up: its rise (radians);
#:  tail_r: thickness / T; bush: tail swelling; leg_r: thigh radius / T; hoof: hooves, not paws;
#:  horns: none | horns | antlers | tusks; mane: a mane over the neck
SPECIES: dict[str, dict[str, Any]] = {
    "dog": dict(leg=0.42, torso=0.28, girth=0.8, waist=0.8, neck=0.28, head=0.12, snout=1.0, ears="floppy", tail=0.3, tail_up=0.6, tail_r=0.1, bush=1.0, leg_r=0.22, hoof=False),
    "cat": dict(leg=0.4, torso=0.3, girth=0.8, waist=0.82, neck=0.22, head=0.15, snout=0.45, ears="pointed", tail=0.55, tail_up=1.0, tail_r=0.08, bush=1.0, leg_r=0.2, hoof=False),
    "horse": dict(leg=0.5, torso=0.28, girth=0.85, waist=0.95, neck=0.36, head=0.09, snout=2.0, neck_r=0.5, ears="pointed", tail=0.25, tail_up=-0.9, tail_r=0.12, bush=1.5, leg_r=0.16, hoof=True, mane=True),
    "cow": dict(leg=0.4, torso=0.42, girth=1.0, waist=0.98, neck=0.1, head=0.13, snout=1.2, neck_r=0.45, ears="round", tail=0.3, tail_up=-1.3, tail_r=0.05, bush=1.0, leg_r=0.17, hoof=True, horns="horns"),
    "sheep": dict(leg=0.36, torso=0.42, girth=1.0, waist=1.0, neck=0.12, head=0.11, snout=1.2, ears="round", tail=0.08, tail_up=-0.8, tail_r=0.12, bush=1.0, leg_r=0.13, hoof=True),
    "deer": dict(leg=0.55, torso=0.25, girth=0.8, waist=0.9, neck=0.32, head=0.08, snout=1.6, ears="pointed", tail=0.06, tail_up=0.4, tail_r=0.12, bush=1.0, leg_r=0.14, hoof=True, horns="antlers"),
    "goat": dict(leg=0.45, torso=0.3, girth=0.85, waist=0.9, neck=0.22, head=0.1, snout=1.3, ears="pointed", tail=0.08, tail_up=0.8, tail_r=0.1, bush=1.0, leg_r=0.15, hoof=True, horns="horns"),
    "pig": dict(leg=0.25, torso=0.5, girth=1.0, waist=1.0, neck=0.0, head=0.15, snout=1.0, ears="pointed", tail=0.08, tail_up=0.5, tail_r=0.05, bush=1.0, leg_r=0.16, hoof=True),
    "fox": dict(leg=0.4, torso=0.26, girth=0.75, waist=0.8, neck=0.26, head=0.13, snout=1.2, ears="pointed", tail=0.45, tail_up=-0.2, tail_r=0.16, bush=1.8, leg_r=0.2, hoof=False),
    "wolf": dict(leg=0.45, torso=0.28, girth=0.8, waist=0.82, neck=0.25, head=0.12, snout=1.2, ears="pointed", tail=0.35, tail_up=-0.5, tail_r=0.14, bush=1.6, leg_r=0.2, hoof=False),
    "bear": dict(leg=0.35, torso=0.45, girth=1.0, waist=0.95, neck=0.08, head=0.13, snout=0.9, ears="round", tail=0.03, tail_up=0.0, tail_r=0.12, bush=1.0, leg_r=0.26, hoof=False),
    "lion": dict(leg=0.45, torso=0.3, girth=0.85, waist=0.82, neck=0.22, head=0.13, snout=0.8, ears="round", tail=0.4, tail_up=-0.6, tail_r=0.06, bush=1.0, leg_r=0.22, hoof=False, mane=True, tuft=True),
    "tiger": dict(leg=0.42, torso=0.32, girth=0.85, waist=0.85, neck=0.18, head=0.13, snout=0.7, ears="round", tail=0.45, tail_up=-0.4, tail_r=0.07, bush=1.0, leg_r=0.22, hoof=False),
    "elephant": dict(leg=0.45, torso=0.45, girth=0.95, waist=1.0, neck=0.05, head=0.17, snout=0.6, ears="big", tail=0.15, tail_up=-1.3, tail_r=0.04, bush=1.0, leg_r=0.3, hoof=True, horns="tusks", trunk=True),
    "rabbit": dict(leg=0.25, torso=0.45, girth=0.9, waist=1.0, neck=0.1, head=0.17, snout=0.5, ears="long", tail=0.06, tail_up=0.6, tail_r=0.35, bush=1.0, leg_r=0.3, hoof=False),
    "lizard": dict(leg=0.12, torso=0.45, girth=0.6, waist=0.9, neck=0.0, head=0.3, snout=1.3, ears="none", tail=0.5, tail_up=-0.05, tail_r=0.3, bush=1.0, leg_r=0.3, hoof=False, low=True),
    "mouse": dict(leg=0.2, torso=0.5, girth=0.9, waist=1.0, neck=0.05, head=0.25, snout=0.9, ears="round", tail=0.5, tail_up=-0.1, tail_r=0.05, bush=1.0, leg_r=0.25, hoof=False),
}
_ALIASES = {"puppy": "dog", "kitten": "cat", "pony": "horse", "foal": "horse", "donkey": "horse", "zebra": "horse",
            "calf": "cow", "bull": "cow", "ox": "cow", "lamb": "sheep", "fawn": "deer", "moose": "deer", "elk": "deer",
            "piglet": "pig", "cheetah": "tiger", "leopard": "tiger", "panther": "tiger", "jaguar": "tiger",
            "bunny": "rabbit", "hare": "rabbit", "rat": "mouse", "hamster": "mouse", "squirrel": "mouse",
            "coyote": "wolf", "hyena": "wolf", "camel": "horse", "giraffe": "deer", "rhino": "elephant",
            "hippo": "pig", "crocodile": "lizard", "alligator": "lizard", "turtle": "lizard", "tortoise": "lizard", "frog": "lizard"}


def species_of(cls: str) -> dict[str, Any]:
    return SPECIES.get(cls) or SPECIES.get(_ALIASES.get(cls, ""), SPECIES["dog"])


def quadruped_body(B: Any, cls: str, b: np.ndarray) -> tuple:
    """Joints and parts of a four-legged animal in the bounds ``b`` (2, 3); returns the legs' (tag, phase)."""
    sp = species_of(cls)
    W, H, D = (b[1] - b[0]).tolist()
    y0, z0 = float(b[0, 1]), float(b[0, 2])
    x_c = float(0.5 * (b[0, 0] + b[1, 0]))
    T = sp["torso"] * H  # torso depth
    leg_top = sp["leg"] * H  # the belly's height
    yc = y0 + leg_top + 0.5 * T  # the torso's centre line
    tail_room = min(0.12, 0.3 * sp["tail"] * max(math.cos(sp["tail_up"]), 0.0) + 0.04)
    hr = sp["head"] * H
    head_reach = 0.55 * hr + sp["snout"] * hr + (0.15 * D if sp["neck"] > 0.1 else 0.02 * D)
    zr = z0 + tail_room * D + 0.05 * D  # rump
    zf = b[1, 2] - head_reach - 0.05 * D  # chest front
    if zf - zr < 0.35 * D:
        zf = zr + 0.35 * D
    L = zf - zr
    Tw = 0.5 * sp["girth"] * W
    z_hind, z_front = zr + 0.14 * L, zf - 0.12 * L
    B.joint("hips", None, (x_c, yc, z_hind))
    B.joint("spine", "hips", (x_c, yc, zr + 0.5 * L))
    B.joint("chest", "spine", (x_c, yc, z_front))
    # head and neck: the skull's centre above and ahead of the chest
    if sp.get("low"):
        head_c = np.array([x_c, yc + 0.1 * T, zf + 0.6 * hr])
    else:
        head_c = np.array([x_c, min(y0 + H - 0.9 * hr, yc + 0.5 * T + sp["neck"] * H), zf + 0.05 * D + 0.3 * hr])
    neck_base = np.array([x_c, yc + 0.2 * T, zf - 0.15 * L])
    B.joint("neck", "chest", neck_base)
    B.joint("head", "neck", head_c - (0, 0.3 * hr, 0.4 * hr))
    tail_base = np.array([x_c, yc + 0.25 * T, zr + 0.02 * L])
    B.joint("tail", "hips", tail_base)
    tl = sp["tail"] * D
    up = sp["tail_up"]
    tail_pts = [tail_base]
    for k in (1, 2, 3):
        ang = up * (0.6 + 0.2 * k) if up > 0 else up * (0.5 + 0.25 * k)  # a cat's tail curls up, a horse's hangs
        d = tail_pts[-1] + (tl / 3) * np.array([0.0, math.sin(ang), -math.cos(ang)])
        tail_pts.append(d)
    B.joint("tail_2", "tail", tail_pts[1])
    B.joint("tail_3", "tail_2", tail_pts[2])
    ankle = 0.05 * leg_top + 0.01 * H
    hip_y = yc + 0.05 * T  # upper leg joints at one height, so front and hind legs share lengths
    for front, z, par in ((True, z_front, "chest"), (False, z_hind, "hips")):
        for s, side in ((1, "L"), (-1, "R")):
            tag = f"{'front' if front else 'hind'}_{side}"
            x = x_c + s * 0.62 * Tw
            B.joint(f"upper_{tag}", par, (x, hip_y, z))
            B.joint(f"lower_{tag}", f"upper_{tag}", (x, y0 + 0.5 * (hip_y - y0) - 0.05 * leg_top, z))
            B.joint(f"foot_{tag}", f"lower_{tag}", (x, y0 + ankle, z))
    for s, side in ((1, "L"), (-1, "R")):
        B.joint(f"ear_{side}", "head", head_c + (s * 0.55 * hr, 0.6 * hr, -0.1 * hr))
    P = {n: np.array(p) for n, p in zip(B.names, B.pos)}

    # torso: rump, waist, chest (deeper below), in one tube
    t = np.array([0.0, 0.04, 0.14, 0.32, 0.5, 0.68, 0.84, 0.95, 1.0])
    wx = np.array([0.45, 0.8, 0.97, 0.95, sp["waist"], 0.95, 1.0, 0.85, 0.45])
    wy = np.array([0.45, 0.8, 0.95, 0.92, 0.88 * sp["waist"] + 0.1, 0.98, 1.02, 0.9, 0.5])
    dy = np.array([0.05, 0.04, 0.04, 0.02, 0.02, -0.02, -0.05, -0.04, 0.0]) * T
    zz = zr - 0.08 * L + t * (1.16 * L)
    cen = np.stack([np.full_like(t, x_c), yc + dy, zz], 1)
    rad = np.stack([Tw * wx, 0.5 * T * wy], 1)
    _loft_parts(B, "clothes", cen, rad, ["hips", "spine", "chest"], 14)
    # neck: from inside the chest to the back of the skull
    nk = _curve([neck_base + (0, 0, -0.05 * L), neck_base + 0.5 * (head_c - neck_base) + (0, 0.02 * H, -0.1 * hr), head_c + (0, -0.1 * hr, -0.3 * hr)], 6)
    nr = np.linspace(sp.get("neck_r", 0.36) * T, 0.62 * hr, 6)
    _loft_parts(B, "clothes", nk, np.stack([nr * min(1.0, Tw / (0.5 * T)) * 0.9, nr], 1), ["neck"], 10)
    if sp.get("mane"):
        mane = nk + (0, 0.5 * T * 0.6, -0.02 * L)
        B.part("mane", "neck", loft(mane, np.stack([0.25 * nr, 0.55 * nr], 1), 8))
        if cls == "lion":
            B.part("mane", "neck", ellipsoid((1.5 * hr, 1.5 * hr, 0.9 * hr), head_c + (0, -0.1 * hr, -0.4 * hr), 6, 12))
    # skull, muzzle, nose, eyes
    B.part("clothes", "head", ellipsoid((0.82 * hr, 0.85 * hr, 1.0 * hr), head_c, 7, 12))
    sn = sp["snout"] * hr
    muz = _curve([head_c + (0, -0.05 * hr, 0.3 * hr), head_c + (0, -0.25 * hr, 0.5 * hr + 0.5 * sn), head_c + (0, -0.35 * hr, 0.7 * hr + sn)], 5)
    mr = np.linspace(0.62 * hr, 0.36 * hr, 5)
    muzzle_role = "snout" if cls in ("cow", "sheep", "deer", "goat") else "clothes"
    B.part(muzzle_role, "head", loft(muz, np.stack([0.85 * mr, 0.8 * mr], 1), 10))
    tip = muz[-1]
    B.part("dark", "head", ellipsoid((0.22 * hr, 0.14 * hr, 0.08 * hr), tip + (0, 0.12 * hr, 0.02 * hr), 3, 8))
    if sp.get("trunk"):
        tr = _curve([tip, tip + (0, -0.6 * hr, 0.35 * hr), tip + (0, -1.7 * hr, 0.3 * hr), tip + (0, -2.6 * hr, 0.5 * hr)], 8)
        B.part("clothes", "head", loft(tr, np.stack([np.linspace(0.3, 0.12, 8) * hr] * 2, 1), 8))
    for s in (-1, 1):
        B.part("dark", "head", sphere(0.13 * hr, head_c + (s * 0.6 * hr, 0.2 * hr, 0.62 * hr), 3, 6))
    # ears by species
    ears = sp["ears"]
    for s, side in ((1, "L"), (-1, "R")):
        e = P[f"ear_{side}"]
        if ears == "pointed":
            pts = np.array([e - (0, 0.2 * hr, 0), e + (s * 0.05 * hr, 0.25 * hr, 0), e + (s * 0.1 * hr, 0.55 * hr, -0.02 * hr)])
            B.part("clothes", f"ear_{side}", loft(pts, np.array([[0.28, 0.1], [0.2, 0.07], [0.02, 0.02]]) * hr, 6, (0, 0, 1)))
        elif ears == "floppy":
            B.part("snout", f"ear_{side}", ellipsoid((0.12 * hr, 0.5 * hr, 0.3 * hr), e + (s * 0.12 * hr, -0.45 * hr, 0.0), 4, 8))
        elif ears == "long":
            pts = np.array([e - (0, 0.1 * hr, 0), e + (s * 0.05 * hr, 0.6 * hr, -0.05 * hr), e + (s * 0.1 * hr, 1.3 * hr, -0.15 * hr)])
            B.part("clothes", f"ear_{side}", loft(pts, np.array([[0.22, 0.08], [0.25, 0.07], [0.04, 0.03]]) * hr, 6, (0, 0, 1)))
        elif ears == "big":
            B.part("clothes", f"ear_{side}", ellipsoid((0.1 * hr, 0.85 * hr, 0.65 * hr), e + (s * 0.35 * hr, -0.5 * hr, -0.35 * hr), 5, 10))
        elif ears == "round":
            B.part("clothes", f"ear_{side}", ellipsoid((0.22 * hr, 0.2 * hr, 0.07 * hr), e + (s * 0.08 * hr, 0.0, 0.0), 3, 8))
    horns = sp.get("horns")
    for s in (-1, 1):
        if horns == "horns":
            root = head_c + (s * 0.45 * hr, 0.75 * hr, -0.05 * hr)
            pts = _curve([root, root + (s * 0.35 * hr, 0.25 * hr, -0.05 * hr), root + (s * 0.5 * hr, 0.6 * hr, -0.25 * hr)], 5)
            B.part("horn", "head", loft(pts, np.stack([np.linspace(0.13, 0.02, 5) * hr] * 2, 1), 6, (0, 0, 1)))
        elif horns == "antlers":
            root = head_c + (s * 0.35 * hr, 0.8 * hr, -0.1 * hr)
            beam = _curve([root, root + (s * 0.6 * hr, 1.2 * hr, -0.4 * hr), root + (s * 0.9 * hr, 2.6 * hr, 0.1 * hr)], 6)
            B.part("horn", "head", loft(beam, np.stack([np.linspace(0.12, 0.04, 6) * hr] * 2, 1), 6, (0, 0, 1)))
            for k in (2, 4):
                B.part("horn", "head", limb(beam[k], beam[k] + (s * 0.15 * hr, 0.6 * hr, 0.45 * hr), 0.05 * hr, 5))
        elif horns == "tusks":
            root = tip + (s * 0.35 * hr, -0.1 * hr, -0.5 * hr)
            pts = _curve([root, root + (s * 0.1 * hr, -0.6 * hr, 0.4 * hr), root + (s * 0.15 * hr, -0.5 * hr, 1.0 * hr)], 5)
            B.part("horn", "head", loft(pts, np.stack([np.linspace(0.12, 0.03, 5) * hr] * 2, 1), 6, (0, 0, 1)))
    # tail: three joints, thicker in the middle when bushy, a tuft at the end for a lion
    tp = _curve(tail_pts, 10)
    tr0 = sp["tail_r"] * T
    prof = np.interp(np.linspace(0, 1, 10), [0, 0.5, 1], [1.0, sp["bush"], 0.35 if sp["bush"] <= 1 else 0.5]) * tr0
    _loft_parts(B, "clothes", tp, np.stack([prof, prof], 1), ["tail", "tail_2", "tail_3"], 8)
    if sp.get("tuft"):
        B.part("mane", "tail_3", ellipsoid((2.2 * tr0, 2.2 * tr0, 3.0 * tr0), tp[-1], 4, 8))
    # legs: an upper segment growing out of the body (a haunch behind), a slimmer lower one, paw or hoof
    lr = sp["leg_r"] * T
    for tag in ("front_L", "front_R", "hind_L", "hind_R"):
        u, lo, f = P[f"upper_{tag}"], P[f"lower_{tag}"], P[f"foot_{tag}"]
        hind = tag.startswith("hind")
        top = u + (0, 0.3 * T, -0.04 * L if hind else 0.02 * L)
        up_c = _curve([top, u + 0.5 * (lo - u) + (0, 0, -0.02 * L if hind else 0.01 * L), lo + (0, 0.02 * H, 0)], 6)
        up_r = np.interp(np.linspace(0, 1, 6), [0, 0.35, 1], [(1.9 if hind else 1.5) * lr, (1.5 if hind else 1.15) * lr, 0.62 * lr])
        B.part("clothes", f"upper_{tag}", loft(up_c, np.stack([0.8 * up_r, up_r], 1), 10))
        lo_c = np.linspace(lo + (0, 0.03 * H, 0), f + (0, 0.3 * lr, 0), 4)
        lo_r = np.linspace(0.62 * lr, 0.45 * lr, 4)
        B.part("clothes", f"lower_{tag}", loft(lo_c, np.stack([lo_r, lo_r], 1), 8))
        if sp["hoof"]:
            hf = np.array([f + (0, 0.5 * lr, 0.0), f - (0, f[1] - y0, 0.0)])
            B.part("hoof", f"foot_{tag}", loft(hf, np.array([[0.5, 0.5], [0.6, 0.62]]) * lr, 8))
        else:
            B.part("clothes", f"foot_{tag}", ellipsoid((0.62 * lr, 0.42 * lr, 0.9 * lr), (f[0], y0 + 0.42 * lr, f[2] + 0.35 * lr), 4, 8))
    # a walk's footfall order: hind left, front left, hind right, front right (a lateral sequence)
    return (("front_L", 0.25), ("front_R", 0.75), ("hind_L", 0.0), ("hind_R", 0.5))


# --------------------------------------------------------------------------
# fish, snakes, insects
# --------------------------------------------------------------------------

#: fish that beat their tail up and down (a horizontal fluke): whales and dolphins
CETACEANS = ("whale", "dolphin", "orca", "porpoise")
SPINE = ("spine_1", "spine_2", "spine_3", "tail_fin")


def fish_body(B: Any, cls: str, b: np.ndarray) -> None:
    """A fish along +Z: a fusiform body loft (nose, deepest a third back, a slim tail stalk) on a chain of
    joints from the body to the tail fin, a forked tail fin (a horizontal fluke for whales and dolphins),
    a dorsal fin, two pectoral fins and eyes."""
    W, H, D = (b[1] - b[0]).tolist()
    x_c, y0, z0 = float(0.5 * (b[0, 0] + b[1, 0])), float(b[0, 1]), float(b[0, 2])
    whale = cls in CETACEANS
    yc = y0 + 0.5 * H
    body_d = 0.8 * D  # the tail fin takes the rest
    zt = z0 + 0.2 * D  # where the tail fin starts
    B.joint("body", None, (x_c, yc, zt + 0.6 * body_d))
    B.joint("head", "body", (x_c, yc, zt + 0.8 * body_d))
    B.joint("spine_1", "body", (x_c, yc, zt + 0.45 * body_d))
    B.joint("spine_2", "spine_1", (x_c, yc, zt + 0.28 * body_d))
    B.joint("spine_3", "spine_2", (x_c, yc, zt + 0.12 * body_d))
    B.joint("tail_fin", "spine_3", (x_c, yc, zt))
    B.joint("fin_L", "body", (x_c + 0.3 * W, yc - 0.15 * H, zt + 0.62 * body_d))
    B.joint("fin_R", "body", (x_c - 0.3 * W, yc - 0.15 * H, zt + 0.62 * body_d))
    u = np.linspace(0.0, 1.0, 17)  # 0 = the tail stalk, 1 = the nose
    prof = np.interp(u, [0.0, 0.12, 0.4, 0.68, 0.85, 0.95, 1.0], [0.12, 0.2, 0.62, 0.98, 0.9, 0.6, 0.15])
    cen = np.stack([np.full_like(u, x_c), yc + (0.04 * H * np.sin(math.pi * u) if not whale else 0.0 * u), zt + u * body_d], 1)
    rx, ry = (0.5 * W if not whale else 0.5 * W), (0.5 * H * (0.82 if not whale else 0.8))
    rad = np.stack([rx * prof, ry * prof], 1)
    order = ["tail_fin", "spine_3", "spine_2", "spine_1", "body", "head"]
    cuts = [0, 2, 4, 7, 9, 13, 16]
    for k, j in enumerate(order):
        B.part("clothes", j, loft(cen[cuts[k]:cuts[k + 1] + 1], rad[cuts[k]:cuts[k + 1] + 1], 12))
    tail = np.array(B.pos[B.names.index("tail_fin")])
    span = 0.5 * (W if whale else H) * 1.1
    for s in (-1, 1):  # two lobes of the tail fin, thin, swept back
        tip = tail + ((s * span, 0.0, -0.2 * D) if whale else (0.0, s * span, -0.2 * D))
        mid = 0.5 * (tail + tip) + (0, 0, 0.03 * D)
        wide, thin = 0.3 * span, 0.03 * (W if not whale else H)  # a lobe: wide in the fin's plane, thin across it
        B.part("fin", "tail_fin", loft(np.array([tail + (0, 0, 0.02 * D), mid, tip]),
                                       np.array([[wide, thin], [0.8 * wide, thin], [0.1 * wide, 0.4 * thin]]),
                                       8, (0, 1, 0) if not whale else (1, 0, 0)))
    top = yc + ry * 0.95
    fin_z = zt + 0.55 * body_d
    B.part("fin", "spine_1", loft(np.array([[x_c, top - 0.1 * H, fin_z + 0.12 * D], [x_c, top + 0.12 * H, fin_z], [x_c, top + 0.2 * H, fin_z - 0.1 * D]]),
                                  np.array([[0.03 * W, 0.12 * H], [0.025 * W, 0.08 * H], [0.005 * W, 0.01 * H]]), 6, (0, 1, 0)))
    for s, side in ((1, "L"), (-1, "R")):
        f = np.array(B.pos[B.names.index(f"fin_{side}")])
        B.part("fin", f"fin_{side}", ellipsoid((0.25 * W, 0.03 * H, 0.1 * D), f + (s * 0.2 * W, -0.05 * H, -0.06 * D), 3, 8))
        B.part("dark", "head", sphere(0.07 * H, (x_c + s * 0.38 * W, yc + 0.12 * H, zt + 0.9 * body_d), 3, 6))


def snake_body(B: Any, cls: str, b: np.ndarray, n: int = 10) -> None:
    """A snake (or worm, eel) along +Z: a chain of ``n`` joints from the head back, one tapering loft
    over them, a flattened head with eyes (none on a worm), a tongue-dark mouth line."""
    W, H, D = (b[1] - b[0]).tolist()
    x_c, y0, z0 = float(0.5 * (b[0, 0] + b[1, 0])), float(b[0, 1]), float(b[0, 2])
    r = 0.5 * min(W, H)
    yc = y0 + r
    zs = np.linspace(b[1, 2] - 0.04 * D, z0 + 0.02 * D, n)
    B.joint("head", None, (x_c, yc, zs[0]))
    for k in range(1, n):
        B.joint(f"body_{k}", "head" if k == 1 else f"body_{k - 1}", (x_c, yc, zs[k]))
    # the loft runs from the nose back to the tail tip; rings between joints k and k+1 follow joint k
    m = 4 * n + 1
    z = np.linspace(b[1, 2], z0, m)
    u = np.linspace(0.0, 1.0, m)
    worm = cls == "worm"
    prof = np.interp(u, [0.0, 0.02, 0.06, 0.1, 0.16, 0.6, 1.0], [0.35, 0.8, 1.0, 0.8, 0.95, 0.9, 0.12] if not worm
                     else [0.6, 0.9, 1.0, 1.0, 1.0, 0.95, 0.6])
    cen = np.stack([np.full(m, x_c), y0 + r * prof, z], 1)
    rad = np.stack([r * prof * (1.0 if worm else 1.15), r * prof * (1.0 if worm else 0.85)], 1)
    joint_at = np.clip(np.searchsorted(-zs, -z, side="right") - 1, 0, n - 1)
    names = ["head"] + [f"body_{k}" for k in range(1, n)]
    for k in range(n):
        idx = np.flatnonzero(joint_at == k)
        if len(idx) == 0:
            continue
        a, bb = max(int(idx[0]) - 1, 0), min(int(idx[-1]) + 1, m - 1)  # one ring's overlap: the skin stays closed
        B.part("clothes", names[k], loft(cen[a:bb + 1], rad[a:bb + 1], 10))
    if not worm:
        for s in (-1, 1):
            B.part("dark", "head", sphere(0.22 * r, (x_c + s * 0.75 * r, y0 + 1.3 * r, b[1, 2] - 0.05 * D), 3, 6))


_WINGED = ("bee", "butterfly", "fly", "wasp", "moth", "dragonfly", "mosquito", "hornet", "ladybug", "beetle")


def insect_body(B: Any, cls: str, b: np.ndarray) -> tuple:
    """An insect (a spider: eight legs, no wings or antennae) along +Z: head, thorax and abdomen, six legs of
    three joints splayed out and down to the ground (knees high), antennae, and a pair of wings for the
    kinds that fly (big and flat for a butterfly or moth).  Returns the legs' (tag, phase): a tripod gait."""
    W, H, D = (b[1] - b[0]).tolist()
    x_c, y0 = float(0.5 * (b[0, 0] + b[1, 0])), float(b[0, 1])
    spider = cls == "spider"
    flat_wings = cls in ("butterfly", "moth")
    L = D if not flat_wings else 0.5 * D  # body length (a butterfly's wings make its bounds)
    zc = 0.5 * (b[0, 2] + b[1, 2])
    yb = y0 + (0.45 if not flat_wings else 0.35) * H
    rb = 0.16 * L
    B.joint("thorax", None, (x_c, yb, zc + 0.08 * L))
    B.joint("head", "thorax", (x_c, yb + 0.02 * L, zc + 0.3 * L))
    B.joint("abdomen", "thorax", (x_c, yb, zc - 0.05 * L))
    pairs = 4 if spider else 3
    legs = []
    reach = 0.4 * min(W, 1.2 * L) if not flat_wings else 0.35 * L
    for p in range(pairs):
        zp = zc + 0.08 * L + (0.12 - 0.12 * p) * L if not spider else zc + (0.14 - 0.08 * p) * L
        for s, side in ((1, "L"), (-1, "R")):
            tag = f"{p + 1}_{side}"
            B.joint(f"upper_{tag}", "thorax", (x_c + s * 0.5 * rb, yb, zp))
            B.joint(f"lower_{tag}", f"upper_{tag}", (x_c + s * 0.5 * reach, yb + 0.15 * L, zp + (0.1 - 0.1 * p) * L))
            B.joint(f"foot_{tag}", f"lower_{tag}", (x_c + s * reach, y0, zp + (0.16 - 0.16 * p) * L * (0.6 if spider else 1.0)))
            phase = (0.0 if (p % 2 == 0) == (side == "L") else 0.5)
            legs.append((tag, phase))
    if not spider and cls in _WINGED:
        for s, side in ((1, "L"), (-1, "R")):
            B.joint(f"wing_{side}", "thorax", (x_c + s * 0.4 * rb, yb + 0.8 * rb, zc + 0.1 * L))
    P = {n: np.array(p) for n, p in zip(B.names, B.pos)}
    th = P["thorax"]
    body = "dark" if flat_wings else "clothes"  # a butterfly's colour is its wings'
    B.part(body, "thorax", ellipsoid((rb, 0.9 * rb, 1.3 * rb), th, 6, 10))
    hd = P["head"] + (0, 0, 0.05 * L)
    B.part(body, "head", ellipsoid((0.8 * rb, 0.75 * rb, 0.75 * rb), hd, 5, 8))
    for s in (-1, 1):
        B.part("dark", "head", sphere(0.35 * rb, hd + (s * 0.6 * rb, 0.15 * rb, 0.35 * rb), 3, 6))
    abd = _curve([th - (0, 0, 1.0 * rb), P["abdomen"] - (0, 0.05 * L, 0.2 * L), P["abdomen"] - (0, 0.02 * L, 0.48 * L)], 8)
    ab_r = np.interp(np.linspace(0, 1, 8), [0, 0.25, 0.6, 1.0], [0.6, 1.35, 1.25, 0.15]) * rb * (1.5 if spider else 1.0)
    if flat_wings:
        ab_r *= 0.55
    B.part(body, "abdomen", loft(abd, np.stack([ab_r, 0.9 * ab_r], 1), 10))
    if not spider:
        for s in (-1, 1):
            ant = _curve([hd + (s * 0.3 * rb, 0.5 * rb, 0.5 * rb), hd + (s * 0.9 * rb, 2.0 * rb, 1.5 * rb), hd + (s * 1.6 * rb, 2.6 * rb, 2.6 * rb)], 5)
            B.part("dark", "head", loft(ant, np.full((5, 2), 0.07 * rb), 4))
    for tag, _ in legs:
        u, lo, f = P[f"upper_{tag}"], P[f"lower_{tag}"], P[f"foot_{tag}"]
        B.part("dark", f"upper_{tag}", loft(np.array([u, lo]), np.array([[0.2, 0.2], [0.14, 0.14]]) * rb, 5))
        B.part("dark", f"lower_{tag}", loft(np.array([lo, f + (0, 0.02 * L, 0)]), np.array([[0.14, 0.14], [0.07, 0.07]]) * rb, 5))
        B.part("dark", f"foot_{tag}", sphere(0.09 * rb, f + (0, 0.02 * L, 0), 2, 4))
    for s, side in ((1, "L"), (-1, "R")):
        if f"wing_{side}" not in B.names:
            continue
        w0 = P[f"wing_{side}"]
        if flat_wings:  # a butterfly's fore and hind wings, spread flat
            B.part("clothes", f"wing_{side}", ellipsoid((0.26 * W, 0.01 * H + 1e-4, 0.32 * D), w0 + (s * 0.27 * W, 0, 0.12 * D), 3, 10))
            B.part("clothes", f"wing_{side}", ellipsoid((0.2 * W, 0.01 * H + 1e-4, 0.24 * D), w0 + (s * 0.2 * W, -0.01 * H, -0.18 * D), 3, 10))
        else:  # clear wings folded back over the abdomen at rest, spread by the gait in flight
            B.part("wing", f"wing_{side}", ellipsoid((0.9 * rb, 0.06 * rb, 2.2 * rb), w0 + (s * 0.7 * rb, 0.05 * rb, -1.6 * rb), 3, 8))
    return tuple(legs)
