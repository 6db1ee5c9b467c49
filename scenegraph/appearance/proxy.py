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
>>> canonical_shape("Automobile"), canonical_shape("lamp post"), canonical_shape("flurbo")
('car', 'lamp_post', 'box')
"""
from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, Callable

import numpy as np

from scenegraph.appearance.proxy_movers import MOVERS, Parts
from scenegraph.appearance.proxy_props import PROPS
from scenegraph.appearance.finishes import Finish, finish_of
from scenegraph.appearance.shapes import Mesh, box_mesh, crease_edges, merge
from scenegraph.errors import ModelError

__all__ = ["Mesh", "box_mesh", "proxy_mesh", "proxy_colors", "proxy_parts", "proxy_face_finishes", "proxy_vertex_colors", "proxy_vertex_glow", "proxy_sharp_edges",
           "proxy_shapes", "canonical_shape"]

_BUILDERS: dict[str, Callable[[], Parts]] = {**MOVERS, **PROPS}
_ALIASES = {
    "pedestrian": "person", "man": "person", "woman": "person", "child": "person", "human": "person",
    "motorcycle": "motorbike", "bike": "bicycle", "airplane": "plane", "aeroplane": "plane", "ship": "boat",
    "couch": "sofa", "lamppost": "lamp_post", "streetlight": "lamp_post", "street_light": "lamp_post",
    "traffic_lights": "traffic_light", "crate": "box", "conifer": "pine", "fir": "pine", "spruce": "pine",
}


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _split_variant(shape: str) -> tuple[str, int]:
    """``"tree#3"`` -> ("tree", 3): a proxy name may carry a variant number (a seed for the generator)."""
    name, sep, tail = str(shape).partition("#")
    return name, (int(tail) if sep and tail.isdigit() else 0)


def _key(shape: str) -> tuple[str, str, int]:
    """(how it is built: legacy | sized | archetype | box, the builder's name, variant)."""
    from scenegraph.appearance.generators import ARCHETYPES, SIZED, archetype_of

    raw, variant = _split_variant(shape)
    if "/" in raw:  # "plant/cactus": a word built by an archetype's generator directly
        arch, _, word = raw.partition("/")
        if _normalise(arch) in ARCHETYPES and word.strip():
            return "direct", f"{_normalise(arch)}/{word.strip().lower()}", variant
    key = _normalise(raw)
    key = _ALIASES.get(key, key)
    if key in SIZED:
        return "sized", key, variant
    if key in _BUILDERS and variant == 0:
        return "legacy", key, 0
    from scenegraph.model.catalog import lookup

    info = lookup(raw)
    if info is not None:
        name = _ALIASES.get(_normalise(info.name), _normalise(info.name))
        if name in _BUILDERS and variant == 0:
            return "legacy", name, 0
        arch = archetype_of(info)
        if arch in ARCHETYPES:
            return "archetype", f"{arch}/{' '.join(raw.lower().replace('_', ' ').split())}", variant
        if name in _BUILDERS:
            return "legacy", name, 0
    if key in _BUILDERS:
        return "legacy", key, 0
    return "box", "box", 0


def canonical_shape(shape: str) -> str:
    """The proxy builder a shape or class name uses: a built-in name, an alias, a catalogue class
    (built by its archetype's generator), else ``box``; a ``#n`` variant is kept."""
    how, name, variant = _key(shape)
    if how == "box":
        return "box"
    if how == "archetype":  # named after the class (a synonym keeps its own form: "palm", "floor lamp")
        name = name.partition("/")[2]
    name = _normalise(name) if how != "direct" else name
    return f"{name}#{variant}" if variant else name


def proxy_shapes() -> list[str]:
    """Names with a dedicated proxy (aliases and catalogue synonyms resolve onto these)."""
    from scenegraph.appearance.generators import SIZED

    return sorted(set(_BUILDERS) | set(SIZED))


@dataclasses.dataclass(frozen=True, eq=False)
class _Built:
    mesh: Mesh
    tints: np.ndarray  # (V, 3) factors on the base colour (legacy meaning; a finish's own colour for finish parts)
    group: np.ndarray  # (V,) index into finishes; -1 = the body
    finishes: tuple  # Finish per group


def _parts(how: str, name: str, variant: int, extent: tuple | None) -> Parts:
    from scenegraph.appearance.generators import ARCHETYPES, SIZED, Blueprint

    if how == "sized":
        return SIZED[name](np.asarray(extent, np.float64), variant)
    if how == "archetype":  # a catalogue class (or its synonym) at the class's size
        from scenegraph.model.catalog import lookup

        arch, _, word = name.partition("/")
        return ARCHETYPES[arch](Blueprint(word, arch, tuple(lookup(word).size), variant))
    if how == "direct":  # built at the bounds' size
        arch, _, word = name.partition("/")
        return ARCHETYPES[arch](Blueprint(word, arch, tuple(float(v) for v in extent), variant))
    if how == "legacy":
        return _BUILDERS[name]()
    return [(box_mesh((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5)), 1.0)]


@functools.lru_cache(maxsize=512)
def _built(how: str, name: str, variant: int, extent: tuple | None) -> _Built:
    """The merged canonical mesh of a builder, its per-vertex tints (V, 3) and finish groups."""
    parts = _parts(how, name, variant, extent)
    mesh = merge(m for m, _ in parts)
    tints, groups, finishes = [], [], []
    index: dict[str, int] = {}
    for m, t in parts:
        fin = finish_of(t)
        if fin is None:
            tint, g = np.broadcast_to(np.asarray(t, dtype=np.float32), (3,)), -1
        else:
            tint = np.asarray(fin.color, np.float32) if isinstance(t, (str, Finish)) else np.broadcast_to(np.asarray(t, np.float32), (3,))
            if fin.name not in index:
                index[fin.name] = len(finishes)
                finishes.append(fin)
            g = index[fin.name]
        tints.append(np.broadcast_to(tint, (len(m), 3)))
        groups.append(np.full(len(m), g, np.int32))
    tint_arr = np.ascontiguousarray(np.concatenate(tints), dtype=np.float32)
    group_arr = np.concatenate(groups)
    if finishes and not np.any(group_arr < 0):  # no body: the first part takes the entity's material
        group_arr = group_arr - 1
        finishes = finishes[1:]
    for a in (tint_arr, group_arr):
        a.setflags(write=False)
    return _Built(mesh, tint_arr, group_arr, tuple(finishes))


def _for(shape: str, b: np.ndarray) -> _Built:
    how, name, variant = _key(shape)
    extent = tuple(np.round(np.maximum(b[1] - b[0], 1e-3), 4).tolist()) if how in ("sized", "direct") else None
    return _built(how, name, variant, extent)


def _check_bounds(shape: str, bounds: Any) -> np.ndarray:
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (2, 3):
        raise ModelError(f"proxy_mesh: bounds must be (2, 3), got {b.shape}")
    if not np.all(np.isfinite(b)) or np.any(b[1] < b[0]):
        raise ModelError(f"proxy_mesh({shape!r}): bounds must be finite with max >= min, got {b.tolist()}")
    return b


def proxy_mesh(shape: str, bounds: Any) -> Mesh:
    """The proxy mesh for a catalogue shape name, scaled to fill ``bounds`` (2, 3) metres exactly.

    Raises ModelError if ``bounds`` is not (2, 3), finite, with max >= min.
    """
    b = _check_bounds(shape, bounds)
    mesh = _for(shape, b).mesh
    p = mesh.positions.astype(np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    t = (p - lo) / span
    extent = b[1] - b[0]
    pos = b[0] + t * extent
    pos = np.where(t == 1.0, b[1], pos)  # the far faces land exactly on the bounds
    scale = extent / span
    nrm = mesh.normals.astype(np.float64) / np.maximum(scale, 1e-12)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-30)
    return Mesh(pos, nrm, mesh.uvs, mesh.indices)


def proxy_parts(shape: str, bounds: Any) -> list[tuple[Mesh, Any]]:
    """``proxy_mesh(shape, bounds)`` split by material: [(Mesh, Finish or None)], the body (None: the
    entity's own material) first when it has one, then one sub-mesh per part finish
    (:mod:`scenegraph.appearance.finishes`), in the order the builder made them."""
    b = _check_bounds(shape, bounds)
    built = _for(shape, b)
    mesh = proxy_mesh(shape, b)
    if not built.finishes:
        return [(mesh, None)]
    face_group = built.group[mesh.indices[:, 0].astype(np.int64)]
    out = []
    for g in range(-1, len(built.finishes)):
        faces = mesh.indices[face_group == g]
        if not len(faces):
            continue
        used, inverse = np.unique(faces.reshape(-1), return_inverse=True)
        sub = Mesh(mesh.positions[used], mesh.normals[used], mesh.uvs[used], inverse.reshape(-1, 3))
        out.append((sub, None if g < 0 else built.finishes[g]))
    return out


def proxy_face_finishes(shape: str, bounds: Any) -> tuple[np.ndarray, tuple]:
    """Per triangle of ``proxy_mesh(shape, bounds)`` (T,) int32, the index of its part finish in the
    returned tuple of Finishes, -1 for the body (the entity's own material)."""
    b = _check_bounds(shape, bounds)
    built = _for(shape, b)
    return built.group[built.mesh.indices[:, 0].astype(np.int64)], built.finishes


def proxy_colors(shape: str, mesh: Mesh) -> np.ndarray:
    """Per-vertex tint factors (V, 3) float32 for ``proxy_mesh(shape, ...)``: multiply by the base colour.

    Wheels, windows and trims are darker; 1 elsewhere; a part with a named finish
    gives that finish's colour.  Raises ModelError if ``mesh`` does not have the
    vertex count of that shape's proxy.
    """
    built = _for(shape, _mesh_bounds(mesh))
    if len(mesh) != len(built.tints):
        raise ModelError(f"proxy_colors({shape!r}): mesh has {len(mesh)} vertices, the proxy has {len(built.tints)}")
    return built.tints


def proxy_vertex_colors(shape: str, mesh: Mesh, base_color: Any) -> np.ndarray:
    """Linear RGB per vertex (V, 3) of ``proxy_mesh(shape, ...)`` with body colour ``base_color``:
    the body and tinted parts are ``base_color`` x tint, parts with a named finish that finish's colour."""
    built = _for(shape, _mesh_bounds(mesh))
    if len(mesh) != len(built.tints):
        raise ModelError(f"proxy_vertex_colors({shape!r}): mesh has {len(mesh)} vertices, the proxy has {len(built.tints)}")
    rgb = np.asarray(base_color, np.float64).reshape(1, 3) * built.tints
    if built.finishes:
        own = np.array([isinstance(f, Finish) and not f.name.startswith(("tint_", "glow_")) and f.name not in _LEGACY_NAMES
                        for f in built.finishes] + [False])
        absolute = own[built.group]
        rgb[absolute] = built.tints[absolute]
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def proxy_vertex_glow(shape: str, mesh: Mesh) -> np.ndarray | None:
    """Linear RGB emission per vertex (V, 3) of ``proxy_mesh(shape, ...)`` from its glowing finishes (a lit
    window, a lamp head), as the exporters give those parts' materials; None when no part glows."""
    built = _for(shape, _mesh_bounds(mesh))
    if len(mesh) != len(built.tints) or not built.finishes:
        return None
    glow = np.array([tuple(f.emissive) if isinstance(f, Finish) else (0.0, 0.0, 0.0) for f in built.finishes] + [(0.0, 0.0, 0.0)],
                    np.float64)
    if not glow.any():
        return None
    return glow[built.group].astype(np.float32)


_LEGACY_NAMES = frozenset({"rubber", "glass", "dark", "trim"})  # the scalar tints keep shading the body colour


def _mesh_bounds(mesh: Mesh) -> np.ndarray:
    return mesh.bounds.astype(np.float64) if len(mesh) else np.zeros((2, 3))


@functools.lru_cache(maxsize=256)
def _sharp(how: str, name: str, variant: int, extent: tuple | None) -> np.ndarray:
    sharp = crease_edges(_built(how, name, variant, extent).mesh)
    sharp.setflags(write=False)
    return sharp


def proxy_sharp_edges(shape: str, bounds: Any = None) -> np.ndarray:
    """Which triangle edges (T, 3) of the shape's proxy are sharp (see :func:`~scenegraph.appearance.shapes.crease_edges`).

    Judged at the built proportions; scaling to other bounds keeps these edges.
    """
    how, name, variant = _key(shape)
    extent = None
    if how in ("sized", "direct"):
        b = np.asarray(bounds, np.float64) if bounds is not None else np.array([[0, 0, 0], [1, 1, 1]], np.float64)
        extent = tuple(np.round(np.maximum(b[1] - b[0], 1e-3), 4).tolist())
    return _sharp(how, name, variant, extent)
