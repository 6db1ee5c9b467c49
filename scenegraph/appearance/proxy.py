"""Proxy meshes: low-poly stand-ins for editing, collision and engines without splats.

``proxy_mesh(shape, bounds)`` returns a :class:`Mesh` filling the local box
``bounds`` (2, 3).  (Placeholder: a box for every shape until the per-class
procedural shapes land; the signature is the contract.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.errors import ModelError

__all__ = ["Mesh", "proxy_mesh", "box_mesh"]


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
        return np.stack([self.positions.min(axis=0), self.positions.max(axis=0)])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mesh) and all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in ("positions", "normals", "uvs", "indices")
        )


def box_mesh(lo: Any, hi: Any) -> Mesh:
    """An axis-aligned box with flat normals and per-face UVs (24 vertices, 12 triangles)."""
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    pos, nrm, uvs, idx = [], [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            u_ax, v_ax = (axis + 1) % 3, (axis + 2) % 3
            if sign < 0:
                u_ax, v_ax = v_ax, u_ax
            base = len(pos)
            for du, dv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                c = np.zeros(3)
                c[axis] = hi[axis] if sign > 0 else lo[axis]
                c[u_ax] = hi[u_ax] if du else lo[u_ax]
                c[v_ax] = hi[v_ax] if dv else lo[v_ax]
                pos.append(c)
                n = np.zeros(3)
                n[axis] = sign
                nrm.append(n)
                uvs.append((du, 1 - dv))
            idx += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return Mesh(np.array(pos), np.array(nrm), np.array(uvs), np.array(idx))


def proxy_mesh(shape: str, bounds: Any) -> Mesh:
    """The proxy mesh for a catalogue shape name, filling ``bounds`` (2, 3) metres."""
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (2, 3):
        raise ModelError(f"proxy_mesh: bounds must be (2, 3), got {b.shape}")
    return box_mesh(b[0], b[1])
