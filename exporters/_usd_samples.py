"""Which frames of each entity's translate / orient / scale the USD writer keeps, for every entity at once.

:func:`exporters.usd_write.reduce_samples` decides one column at a time (iterating until USD's
interpolation reproduces every dropped frame).  Most columns need no iteration: constant ones keep
no samples, and in those where every inner frame leaves its neighbours' midpoint by more than the
tolerance (curved paths) every frame is kept.  This module settles both kinds with whole-array numpy
over all entities and hands only the rest to ``reduce_samples``: the same frames, hence the same file.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["plan_columns"]


def _slerp_mid(q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    from scenegraph.world.trajectory import slerp

    return np.moveaxis(slerp(np.moveaxis(q0, -1, 0), np.moveaxis(q1, -1, 0), np.full(q0.shape[:-1], 0.5)), 0, -1)


def _plan(values: np.ndarray, rotation: bool, pos_tol: float, rot_tol: float,
          reduce: Callable[[np.ndarray, bool], Any]) -> list[Any]:
    """Per column of ``values`` (F, E, D): None (constant), or the kept frames (S,)."""
    f, e = values.shape[:2]
    const = np.all(values == values[:1], axis=(0, 2))
    every = np.zeros(e, dtype=bool)
    if f > 2:
        vd = values.astype(np.float64)
        if rotation:
            mid = _slerp_mid(vd[:-2], vd[2:])
            dev = np.minimum(np.abs(vd[1:-1] - mid).max(axis=2), np.abs(vd[1:-1] + mid).max(axis=2))
            tol: Any = rot_tol
        else:
            dev = np.abs(vd[1:-1] - 0.5 * (vd[:-2] + vd[2:])).max(axis=2)
            tol = (pos_tol * np.maximum(1.0, np.abs(vd).max(axis=2)))[1:-1]
        every = np.all(dev > tol, axis=0)
    frames = np.arange(f)
    return [None if const[c] else frames if every[c] else reduce(values[:, c], rotation) for c in range(e)]


def plan_columns(timeline: Any, pos_tol: float, rot_tol: float,
                 reduce: Callable[[np.ndarray, bool], Any]) -> tuple[np.ndarray, list[tuple[Any, Any, Any]]]:
    """(unit float64 rotations (F, E, 4), per column: kept frames of translate, orient, scale)."""
    rot = np.asarray(timeline.rotation, dtype=np.float64)
    rot = rot / np.linalg.norm(rot, axis=2, keepdims=True)
    pos = np.asarray(timeline.position, dtype=np.float32)
    scl = np.asarray(timeline.scale, dtype=np.float32)
    plans = zip(_plan(pos, False, pos_tol, rot_tol, reduce), _plan(rot, True, pos_tol, rot_tol, reduce),
                _plan(scl, False, pos_tol, rot_tol, reduce))
    return rot, list(plans)
