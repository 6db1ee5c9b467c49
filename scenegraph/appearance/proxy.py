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

from scenegraph.appearance.proxy_movers import MOVERS, Parts
from scenegraph.appearance.proxy_props import PROPS
from scenegraph.appearance.shapes import Mesh, box_mesh, crease_edges, merge
from scenegraph.errors import ModelError

__all__ = ["Mesh", "box_mesh", "proxy_mesh", "proxy_colors", "proxy_sharp_edges", "proxy_shapes", "canonical_shape"]

_BUILDERS: dict[str, Callable[[], Parts]] = {**MOVERS, **PROPS}
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
    from scenegraph.model.catalog import lookup

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


@functools.lru_cache(maxsize=None)
def _sharp(key: str) -> np.ndarray:
    sharp = crease_edges(_canonical(key)[0])
    sharp.setflags(write=False)
    return sharp


def proxy_sharp_edges(shape: str) -> np.ndarray:
    """Which triangle edges (T, 3) of the shape's proxy are sharp (see :func:`~scenegraph.appearance.shapes.crease_edges`).

    Judged at the built proportions; scaling to other bounds keeps these edges.
    """
    return _sharp(canonical_shape(shape))
