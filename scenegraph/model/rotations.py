"""Rotations and transforms: unit quaternions stored (x, y, z, w) as glTF does.

USD's ``Gf.Quat*`` take (w, x, y, z); exporters convert, nothing else does.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from scenegraph.errors import ModelError

__all__ = [
    "quat_normalize",
    "quat_multiply",
    "quat_rotate",
    "quat_from_axis_angle",
    "quat_to_matrix",
    "quat_from_matrix",
    "quat_from_yaw",
    "trs_matrix",
]


def quat_normalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternion(s) (..., 4) xyzw; raises ModelError on a zero quaternion."""
    q = np.asarray(q, dtype=np.float64)
    n = np.sqrt(np.einsum("...i,...i->...", q, q))[..., None]
    if (n < 1e-12).any():
        raise ModelError("rotation: zero-length quaternion")
    return q / n


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a*b of xyzw quaternions, broadcasting over leading axes."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ax, ay, az, aw = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bx, by, bz, bw = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = aw * bx + ax * bw + ay * bz - az * by
    out[..., 1] = aw * by - ax * bz + ay * bw + az * bx
    out[..., 2] = aw * bz + ax * by - ay * bx + az * bw
    out[..., 3] = aw * bw - ax * bx - ay * by - az * bz
    return out


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector(s) v (..., 3) by unit quaternion(s) q (..., 4) xyzw."""
    q = np.asarray(q, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    u = q[..., :3]
    w = q[..., 3:4]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def quat_from_axis_angle(axis: Iterable[float], angle: float) -> np.ndarray:
    """Quaternion (4,) xyzw for a rotation of ``angle`` radians about ``axis``."""
    a = np.asarray(list(axis), dtype=np.float64)
    a = a / np.linalg.norm(a)
    s = math.sin(angle / 2.0)
    return np.array([a[0] * s, a[1] * s, a[2] * s, math.cos(angle / 2.0)])


def quat_from_yaw(yaw: np.ndarray | float) -> np.ndarray:
    """Quaternion(s) for rotations about +Y; yaw 0 faces +Z, pi/2 faces +X."""
    yaw = np.asarray(yaw, dtype=np.float64)
    half = yaw / 2.0
    z = np.zeros_like(half)
    return np.stack([z, np.sin(half), z, np.cos(half)], axis=-1)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix (..., 3, 3) of unit quaternion(s) (..., 4) xyzw."""
    q = np.asarray(q, dtype=np.float64)
    x, y, z, w = np.moveaxis(q, -1, 0)
    m = np.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
        ],
        axis=-1,
    )
    return m.reshape(q.shape[:-1] + (3, 3))


def trs_matrix(translation: np.ndarray, rotation: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """4x4 matrix (..., 4, 4) = T * R * S, the glTF node convention."""
    t = np.asarray(translation, dtype=np.float64)
    r = quat_to_matrix(rotation)
    s = np.asarray(scale, dtype=np.float64)
    shape = np.broadcast_shapes(t.shape[:-1], r.shape[:-2], s.shape[:-1])
    m = np.zeros(shape + (4, 4))
    m[..., :3, :3] = r * s[..., None, :]
    m[..., :3, 3] = t
    m[..., 3, 3] = 1.0
    return m


def quat_from_matrix(r: np.ndarray) -> np.ndarray:
    """Unit quaternion (4,) xyzw of a 3x3 rotation matrix (Shepperd's method), w >= 0."""
    r = np.asarray(r, dtype=np.float64)
    tr = float(np.trace(r))
    if tr > 0:
        k = 2.0 * math.sqrt(1.0 + tr)
        q = [(r[2, 1] - r[1, 2]) / k, (r[0, 2] - r[2, 0]) / k, (r[1, 0] - r[0, 1]) / k, 0.25 * k]
    else:
        i = int(np.argmax(np.diag(r)))
        j, l = (i + 1) % 3, (i + 2) % 3
        k = 2.0 * math.sqrt(max(1.0 + r[i, i] - r[j, j] - r[l, l], 1e-300))
        q = [0.0, 0.0, 0.0, (r[l, j] - r[j, l]) / k]
        q[i] = 0.25 * k
        q[j] = (r[j, i] + r[i, j]) / k
        q[l] = (r[l, i] + r[i, l]) / k
    q = np.asarray(q)
    q = q / np.linalg.norm(q)
    return -q if q[3] < 0 else q
