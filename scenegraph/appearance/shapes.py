"""Procedural mesh primitives for proxies: boxes, prisms, surfaces of revolution.

Every primitive is closed, its triangles are counter-clockwise seen from
outside (right-handed face normal points out) and it carries per-vertex
normals and UVs.  Primitives are built about +Y and placed with
:func:`transform_mesh`, :func:`between` (a Y-built part stretched between two
points) or :func:`merge`.  Units are metres; everything is deterministic.

>>> m = cylinder(0.5, 0.0, 2.0, segments=8)
>>> m.bounds.round(3).tolist()
[[-0.5, 0.0, -0.5], [0.5, 2.0, 0.5]]
>>> round(signed_volume(m), 2)  # 8-gon prism, radius 0.5, height 2
1.41
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from scenegraph.errors import ModelError

__all__ = [
    "Mesh",
    "box_mesh",
    "lathe",
    "cylinder",
    "cone",
    "frustum",
    "sphere",
    "ellipsoid",
    "capsule",
    "torus",
    "prism",
    "centered_box",
    "side_prism",
    "plan_prism",
    "revolve",
    "merge",
    "transform_mesh",
    "between",
    "rod",
    "limb",
    "wheel",
    "rotation_to",
    "signed_volume",
    "face_normals",
    "crease_edges",
]


@dataclass(frozen=True, eq=False)
class Mesh:
    """Indexed triangles: positions (V, 3), normals (V, 3), uvs (V, 2) float32; indices (T, 3) uint32."""

    positions: Any
    normals: Any
    uvs: Any
    indices: Any

    def __post_init__(self) -> None:
        p = np.ascontiguousarray(self.positions, dtype=np.float32)
        n = np.ascontiguousarray(self.normals, dtype=np.float32)
        uv = np.ascontiguousarray(self.uvs, dtype=np.float32)
        idx = np.ascontiguousarray(self.indices, dtype=np.uint32)
        v = p.shape[0]
        if p.ndim != 2 or p.shape[1] != 3 or n.shape != p.shape or uv.shape != (v, 2):
            raise ModelError(f"mesh: inconsistent shapes positions {p.shape}, normals {n.shape}, uvs {uv.shape}")
        if idx.ndim != 2 or idx.shape[1] != 3 or (idx.size and int(idx.max()) >= v):
            raise ModelError(f"mesh: indices {idx.shape} must be (T, 3) below the vertex count {v}")
        for name, arr in (("positions", p), ("normals", n), ("uvs", uv), ("indices", idx)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def bounds(self) -> np.ndarray:
        """Axis-aligned box (2, 3): min and max corner."""
        return np.stack([self.positions.min(axis=0), self.positions.max(axis=0)])

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mesh) and all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in ("positions", "normals", "uvs", "indices")
        )


def _box_template() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The unit box's layout: for each of 24 vertices whether each coordinate is the high corner's, with the
    normals, UVs and triangles every box shares (read-only float32 / uint32, as a Mesh holds them)."""
    sel, nrm, uvs, idx = [], [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            u_ax, v_ax = (axis + 1) % 3, (axis + 2) % 3
            if sign < 0:
                u_ax, v_ax = v_ax, u_ax
            base = len(sel)
            for du, dv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                c = [False] * 3
                c[axis], c[u_ax], c[v_ax] = sign > 0, bool(du), bool(dv)
                sel.append(c)
                n = [0.0] * 3
                n[axis] = sign
                nrm.append(n)
                uvs.append((du, 1 - dv))
            idx += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    out = (np.array(sel), np.array(nrm, np.float32), np.array(uvs, np.float32), np.array(idx, np.uint32))
    for a in out:
        a.setflags(write=False)
    return out


_BOX_HIGH, _BOX_NORMALS, _BOX_UVS, _BOX_TRIANGLES = _box_template()


def box_mesh(lo: Any, hi: Any) -> Mesh:
    """An axis-aligned box with flat normals and per-face UVs (24 vertices, 12 triangles)."""
    pos = np.where(_BOX_HIGH, np.asarray(hi, dtype=np.float64), np.asarray(lo, dtype=np.float64))
    return Mesh(pos, _BOX_NORMALS, _BOX_UVS, _BOX_TRIANGLES)


# --------------------------------------------------------------------------
# surfaces of revolution about +Y
# --------------------------------------------------------------------------


def lathe(profile: Any, normals: Any, segments: int = 16) -> Mesh:
    """Revolve a profile about +Y.

    ``profile`` (P, 2) holds (radius, y) points going from the bottom up the
    outside (counter-clockwise in the (r, y) half-plane); ``normals`` (P, 2)
    the matching (n_r, n_y).  Repeating a point with a new normal makes a hard
    edge; a point with radius 0 is a pole.  The seam column is duplicated so
    UVs stay continuous.
    """
    prof = np.asarray(profile, dtype=np.float64)
    pn = np.asarray(normals, dtype=np.float64)
    if prof.ndim != 2 or prof.shape[1] != 2 or pn.shape != prof.shape or len(prof) < 2:
        raise ModelError(f"lathe: profile and normals must both be (P>=2, 2), got {prof.shape} and {pn.shape}")
    if segments < 3:
        raise ModelError(f"lathe: needs at least 3 segments, got {segments}")
    p_count, cols = len(prof), segments + 1
    theta = 2.0 * np.pi * np.arange(cols) / segments
    theta[-1] = 0.0  # the seam column repeats the first one exactly
    cos, sin = np.cos(theta), np.sin(theta)
    r, y = prof[:, :1], prof[:, 1:]
    positions = np.stack([r * cos, np.broadcast_to(y, (p_count, cols)), r * sin], axis=-1)
    nrm = np.stack([pn[:, :1] * cos, np.broadcast_to(pn[:, 1:], (p_count, cols)), pn[:, :1] * sin], axis=-1)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-12)
    seg_len = np.linalg.norm(np.diff(prof, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg_len)])
    v = arc / arc[-1] if arc[-1] > 0 else np.linspace(0.0, 1.0, p_count)
    uvs = np.stack(np.broadcast_arrays(np.arange(cols)[None, :] / segments, 1.0 - v[:, None]), axis=-1)
    tris = []
    j = np.arange(segments)
    for i in range(p_count - 1):
        if seg_len[i] < 1e-12:
            continue  # a repeated point only switches the normal
        a, b = i * cols + j, (i + 1) * cols + j
        c, d = b + 1, a + 1
        if prof[i, 0] > 1e-12:  # triangle (a, b, c) collapses when ring i+1 is a pole
            if prof[i + 1, 0] > 1e-12:
                tris.append(np.stack([a, b, c], axis=1))
            tris.append(np.stack([a, c, d], axis=1))
        elif prof[i + 1, 0] > 1e-12:  # ring i is a pole: (a, c, d) collapses
            tris.append(np.stack([a, b, c], axis=1))
    return Mesh(positions.reshape(-1, 3), nrm.reshape(-1, 3), uvs.reshape(-1, 2), np.concatenate(tris))


def frustum(r0: float, r1: float, y0: float, y1: float, segments: int = 16) -> Mesh:
    """A capped truncated cone about +Y: radius ``r0`` at ``y0``, ``r1`` at ``y1`` (either may be 0)."""
    h = y1 - y0
    slant = np.array([h, r0 - r1]) / math.hypot(h, r0 - r1)
    prof, nrm = [], []
    if r0 > 0:
        prof += [(0.0, y0), (r0, y0)]
        nrm += [(0.0, -1.0), (0.0, -1.0)]
    prof += [(r0, y0), (r1, y1)]
    nrm += [tuple(slant), tuple(slant)]
    if r1 > 0:
        prof += [(r1, y1), (0.0, y1)]
        nrm += [(0.0, 1.0), (0.0, 1.0)]
    return lathe(prof, nrm, segments)


def cylinder(radius: float, y0: float, y1: float, segments: int = 16) -> Mesh:
    """A capped cylinder about +Y from ``y0`` to ``y1``."""
    return frustum(radius, radius, y0, y1, segments)


def cone(radius: float, y0: float, y1: float, segments: int = 16) -> Mesh:
    """A cone about +Y: base of ``radius`` at ``y0``, apex at ``y1``."""
    return frustum(radius, 0.0, y0, y1, segments)


def _arc(cy: float, radius: float, a0: float, a1: float, n: int) -> tuple[list, list]:
    ang = np.linspace(a0, a1, n + 1)
    return [(radius * math.cos(a), cy + radius * math.sin(a)) for a in ang], [(math.cos(a), math.sin(a)) for a in ang]


def sphere(radius: float, center: Sequence[float] = (0.0, 0.0, 0.0), rings: int = 8, segments: int = 12) -> Mesh:
    """A UV sphere (poles on Y)."""
    prof, nrm = _arc(0.0, radius, -math.pi / 2, math.pi / 2, rings)
    prof[0], prof[-1] = (0.0, -radius), (0.0, radius)
    return transform_mesh(lathe(prof, nrm, segments), translate=center)


def ellipsoid(radii: Sequence[float], center: Sequence[float] = (0.0, 0.0, 0.0), rings: int = 8, segments: int = 12) -> Mesh:
    """An axis-aligned ellipsoid with semi-axes ``radii`` (3,)."""
    return transform_mesh(sphere(1.0, rings=rings, segments=segments), scale=radii, translate=center)


def capsule(radius: float, y0: float, y1: float, rings: int = 4, segments: int = 12) -> Mesh:
    """A capsule about +Y spanning ``y0``..``y1`` overall (hemispherical ends of ``radius``)."""
    radius = min(radius, 0.5 * (y1 - y0))
    lo_p, lo_n = _arc(y0 + radius, radius, -math.pi / 2, 0.0, rings)
    hi_p, hi_n = _arc(y1 - radius, radius, 0.0, math.pi / 2, rings)
    lo_p[0], hi_p[-1] = (0.0, y0), (0.0, y1)
    prof, nrm = lo_p + hi_p, lo_n + hi_n
    return lathe(prof, nrm, segments)


def torus(major: float, minor: float, rings: int = 8, segments: int = 16) -> Mesh:
    """A torus about +Y (ring in the XZ plane) centred at the origin."""
    prof, nrm = _arc(0.0, minor, -math.pi / 2, 3 * math.pi / 2, rings)
    prof = [(major + r, y) for r, y in prof]
    return lathe(prof, nrm, segments)


# --------------------------------------------------------------------------
# prisms
# --------------------------------------------------------------------------


def prism(polygon: Any, axis: int, lo: float, hi: float) -> Mesh:
    """A convex polygon extruded along ``axis`` (0 x, 1 y, 2 z) from ``lo`` to ``hi``; raises ModelError if concave.

    ``polygon`` (P, 2) gives coordinates on the two following axes in cyclic
    order ((y, z) for x, (z, x) for y, (x, y) for z); either winding is
    accepted.  Flat normals: 4 vertices per side, a fan per cap.
    """
    poly = np.asarray(polygon, dtype=np.float64)
    if poly.ndim != 2 or poly.shape[1] != 2 or len(poly) < 3:
        raise ModelError(f"prism: polygon must be (P>=3, 2), got {poly.shape}")
    area2 = np.sum(poly[:, 0] * np.roll(poly[:, 1], -1) - np.roll(poly[:, 0], -1) * poly[:, 1])
    if abs(area2) < 1e-12:
        raise ModelError("prism: polygon has no area")
    if area2 < 0:
        poly = poly[::-1]
    edges = np.roll(poly, -1, axis=0) - poly
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if np.any(turns < -1e-12):
        raise ModelError("prism: polygon must be convex")
    ax_a, ax_b = (axis + 1) % 3, (axis + 2) % 3

    def lift(pts: np.ndarray, h: float) -> np.ndarray:
        out = np.zeros((len(pts), 3))
        out[:, axis], out[:, ax_a], out[:, ax_b] = h, pts[:, 0], pts[:, 1]
        return out

    pos, nrm, uvs, idx = [], [], [], []
    p_count = len(poly)
    for k in range(p_count):
        p, q = poly[k], poly[(k + 1) % p_count]
        e = q - p
        if np.hypot(*e) < 1e-12:
            continue
        n2 = np.array([e[1], -e[0]]) / np.hypot(*e)
        base = len(pos)
        pos += list(lift(np.stack([p, q, q, p]), 0.0))
        for row, h in zip(range(base, base + 4), (lo, lo, hi, hi)):
            pos[row][axis] = h
        n3 = np.zeros(3)
        n3[ax_a], n3[ax_b] = n2
        nrm += [n3] * 4
        uvs += [(0, 1), (1, 1), (1, 0), (0, 0)]
        idx += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    span = np.maximum(poly.max(axis=0) - poly.min(axis=0), 1e-12)
    cap_uv = (poly - poly.min(axis=0)) / span
    for h, sign in ((hi, 1.0), (lo, -1.0)):
        base = len(pos)
        pos += list(lift(poly, h))
        n3 = np.zeros(3)
        n3[axis] = sign
        nrm += [n3] * p_count
        uvs += list(cap_uv)
        for k in range(1, p_count - 1):
            idx.append((base, base + k, base + k + 1) if sign > 0 else (base, base + k + 1, base + k))
    return Mesh(np.array(pos), np.array(nrm), np.array(uvs), np.array(idx))


def centered_box(center: Sequence[float], size: Sequence[float]) -> Mesh:
    """An axis-aligned box of ``size`` (3,) centred at ``center``."""
    c, h = np.asarray(center, dtype=np.float64), 0.5 * np.asarray(size, dtype=np.float64)
    return box_mesh(c - h, c + h)


def side_prism(zy: Any, x0: float, x1: float) -> Mesh:
    """A convex side profile given as (z, y) points (front +Z), extruded across X from ``x0`` to ``x1``."""
    return prism(np.asarray(zy, dtype=np.float64)[:, ::-1], 0, x0, x1)


def plan_prism(xz: Any, y0: float, y1: float) -> Mesh:
    """A convex plan (top view) given as (x, z) points, extruded up Y from ``y0`` to ``y1``."""
    return prism(np.asarray(xz, dtype=np.float64)[:, ::-1], 1, y0, y1)


def revolve(profile: Sequence[tuple[float, float]], segments: int = 14) -> Mesh:
    """A closed solid of revolution about +Y from (radius, y) points listed bottom to top.

    The ends are capped flat and every profile segment gets its own (flat) normal.
    """
    pts = [(0.0, profile[0][1])] + [tuple(map(float, p)) for p in profile] + [(0.0, profile[-1][1])]
    prof, nrm = [], []
    for (r0, y0), (r1, y1) in zip(pts, pts[1:]):
        n = np.array([y1 - y0, r0 - r1])
        n /= np.linalg.norm(n)
        prof += [(r0, y0), (r1, y1)]
        nrm += [tuple(n), tuple(n)]
    return lathe(prof, nrm, segments)


# --------------------------------------------------------------------------
# placing and combining
# --------------------------------------------------------------------------


def rotation_to(direction: Sequence[float], source: Sequence[float] = (0.0, 1.0, 0.0)) -> np.ndarray:
    """The shortest rotation (3, 3) taking unit ``source`` onto the direction of ``direction``."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    s = np.asarray(source, dtype=np.float64)
    s = s / np.linalg.norm(s)
    v, c = np.cross(s, d), float(np.dot(s, d))
    if c < -1.0 + 1e-12:  # opposite: half-turn about any axis perpendicular to s
        perp = np.cross(s, [1.0, 0.0, 0.0] if abs(s[0]) < 0.9 else [0.0, 0.0, 1.0])
        perp /= np.linalg.norm(perp)
        return 2.0 * np.outer(perp, perp) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def transform_mesh(
    mesh: Mesh,
    *,
    scale: Sequence[float] | float = 1.0,
    rotate: Any = None,
    translate: Sequence[float] = (0.0, 0.0, 0.0),
) -> Mesh:
    """``mesh`` scaled (per axis), then rotated (3, 3), then translated.

    Normals follow the inverse transpose; a mirroring transform flips the
    winding so triangles stay outward-facing.
    """
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (3,))
    r = np.eye(3) if rotate is None else np.asarray(rotate, dtype=np.float64)
    pos = (mesh.positions.astype(np.float64) * s) @ r.T + np.asarray(translate, dtype=np.float64)
    safe = np.where(np.abs(s) < 1e-12, 1e-12, s)
    nrm = (mesh.normals.astype(np.float64) / safe) @ r.T
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-30)
    idx = mesh.indices
    if np.prod(np.sign(s)) * np.linalg.det(r) < 0:
        idx = idx[:, [0, 2, 1]]
    return Mesh(pos, nrm, mesh.uvs, idx)


def between(part: Mesh, start: Sequence[float], end: Sequence[float]) -> Mesh:
    """A part built about +Y from y=0 to y=1 (e.g. ``cylinder(r, 0, 1)``) stretched from ``start`` to ``end``.

    Only the Y extent is stretched, so radii stay as built.
    """
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    length = float(np.linalg.norm(b - a))
    if length < 1e-12:
        raise ModelError("between: start and end coincide")
    return transform_mesh(part, scale=(1.0, length, 1.0), rotate=rotation_to(b - a), translate=a)


def _segment(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, float]:
    a = np.asarray(a, dtype=np.float64)
    length = float(np.linalg.norm(np.asarray(b, dtype=np.float64) - a))
    if length < 1e-12:
        raise ModelError("segment: start and end coincide")
    return a, length


def rod(start: Sequence[float], end: Sequence[float], radius: float, segments: int = 10) -> Mesh:
    """A capped cylinder of ``radius`` from ``start`` to ``end``."""
    a, length = _segment(start, end)
    return transform_mesh(cylinder(radius, 0.0, length, segments), rotate=rotation_to(np.subtract(end, start)), translate=a)


def limb(start: Sequence[float], end: Sequence[float], radius: float, segments: int = 10) -> Mesh:
    """A capsule of ``radius`` whose ends (cap tips) are ``start`` and ``end``."""
    a, length = _segment(start, end)
    return transform_mesh(capsule(radius, 0.0, length, 3, segments), rotate=rotation_to(np.subtract(end, start)), translate=a)


def wheel(center: Sequence[float], radius: float, width: float, segments: int = 14) -> Mesh:
    """A solid wheel: a cylinder whose axis is X, centred at ``center``."""
    c = np.asarray(center, dtype=np.float64)
    half = np.array([width / 2.0, 0.0, 0.0])
    return rod(c - half, c + half, radius, segments)


def merge(meshes: Iterable[Mesh]) -> Mesh:
    """One mesh holding all triangles of ``meshes`` (vertex order kept)."""
    meshes = list(meshes)
    if not meshes:
        raise ModelError("merge: no meshes given")
    offsets = np.cumsum([0] + [len(m) for m in meshes[:-1]])
    return Mesh(
        np.concatenate([m.positions for m in meshes]),
        np.concatenate([m.normals for m in meshes]),
        np.concatenate([m.uvs for m in meshes]),
        np.concatenate([m.indices.astype(np.int64) + o for m, o in zip(meshes, offsets)]),
    )


def face_normals(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    """Unit face normals (T, 3) from the winding and triangle areas (T,) in square metres."""
    p = mesh.positions.astype(np.float64)[mesh.indices.astype(np.int64)]
    cross = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    norm = np.linalg.norm(cross, axis=1)
    return cross / np.maximum(norm, 1e-30)[:, None], 0.5 * norm


def signed_volume(mesh: Mesh) -> float:
    """Enclosed volume (m^3) by the divergence theorem; positive for outward-facing closed meshes."""
    p = mesh.positions.astype(np.float64)[mesh.indices.astype(np.int64)]
    return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)


def crease_edges(mesh: Mesh, angle_deg: float = 30.0) -> np.ndarray:
    """Which triangle edges (T, 3) are sharp: open, or between faces bent more than ``angle_deg``.

    Edge k of a triangle runs from corner k to corner k+1; vertices are
    matched by position, so split vertices (hard edges) still join faces.
    """
    fn, _ = face_normals(mesh)
    _, key = np.unique(np.round(mesh.positions.astype(np.float64), 6), axis=0, return_inverse=True)
    tri = key.reshape(-1)[mesh.indices.astype(np.int64)]
    a, b = tri, np.roll(tri, -1, axis=1)
    pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=2).reshape(-1, 2)
    _, edge_id, counts = np.unique(pairs, axis=0, return_inverse=True, return_counts=True)
    edge_id = edge_id.reshape(-1)
    owner = np.repeat(np.arange(len(tri)), 3)
    # the smallest normal agreement among the faces sharing each edge, against the mean face
    mean_n = np.zeros((len(counts), 3))
    np.add.at(mean_n, edge_id, fn[owner])
    mean_n /= np.maximum(np.linalg.norm(mean_n, axis=1, keepdims=True), 1e-12)
    agree = np.full(len(counts), 1.0)
    np.minimum.at(agree, edge_id, np.einsum("ij,ij->i", fn[owner], mean_n[edge_id]))
    sharp = (counts < 2) | (agree < np.cos(np.radians(angle_deg) / 2.0))
    return sharp[edge_id].reshape(-1, 3)
