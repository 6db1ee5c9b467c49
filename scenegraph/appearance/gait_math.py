"""Small pieces the motion cycles share (:mod:`scenegraph.appearance.gait`, :mod:`~scenegraph.appearance.gait_creatures`):
quaternions about one axis, blends, eased weights of action windows.

>>> q = _qy(np.pi / 2)
>>> np.round(q, 3).tolist()
[0.0, 0.707, 0.0, 0.707]
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["_smoothstep", "_qx", "_qy", "_qz", "_nlerp", "_weight"]


def _smoothstep(e0: float, e1: float, x: Any) -> np.ndarray:
    t = np.clip((np.asarray(x, np.float64) - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


_CONST: dict[tuple[float, int], np.ndarray] = {}


def _axis_quat(a: Any, axis: int) -> np.ndarray:
    """xyzw quaternions (..., 4) turning by angles ``a`` about one axis (0 x, 1 y, 2 z); a plain number's is
    made once and shared read-only (the cycles ask for the same constant poses for every character)."""
    if isinstance(a, (float, int)):
        key = (float(a), axis)
        q = _CONST.get(key)
        if q is None:
            q = _CONST[key] = _axis_quat(np.array(float(a)), axis)
            q.flags.writeable = False
        return q
    a = np.asarray(a, np.float64) * 0.5
    q = np.zeros(a.shape + (4,))
    np.sin(a, out=q[..., axis])
    np.cos(a, out=q[..., 3])
    return q


def _qx(a: Any) -> np.ndarray:
    return _axis_quat(a, 0)


def _qy(a: Any) -> np.ndarray:
    return _axis_quat(a, 1)


def _qz(a: Any) -> np.ndarray:
    return _axis_quat(a, 2)


def _nlerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Blend rotations a -> b by w (..., ) along the shorter arc, normalised."""
    w = np.asarray(w)
    if not w.any():  # most layers (sit, jump, wave ...) are off most of the time
        return a
    b = np.where((np.sum(a * b, axis=-1) < 0)[..., None], -b, b)
    q = a + (b - a) * np.asarray(w)[..., None]
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def _weight(t: np.ndarray, spans: list[tuple[float, float]], ease: float) -> np.ndarray:
    w = np.zeros_like(t)
    for s, e in spans:
        e = max(e, s + 2 * ease)
        w = np.maximum(w, _smoothstep(s - ease, s + ease, t) * (1.0 - _smoothstep(e - ease, e + ease, t)))
    return w
