"""A camera's lens over time: a zoom is the vertical field of view keyed in seconds.

A camera entity whose ``attributes["lens"]`` is ``{"times": [t0, t1, ...], "yfov": [rad, ...]}`` zooms:
its field of view goes linearly between the keys (held before the first and after the last); its
``CameraParams.yfov`` is the view at t = 0.  Everyone who looks through a camera at a time (the built-in
renderer, the passes, the Blender job) asks :func:`camera_at`; the exporters write the keys as an
animated glTF ``yfov`` (``KHR_animation_pointer``) and USD ``focalLength`` samples.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

__all__ = ["lens_keys", "yfov_at", "camera_at", "focal_length_mm", "LENS_KEY"]

LENS_KEY = "lens"


def lens_keys(entity: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(times (K,), yfov (K,) radians) of a zooming camera, or None for a fixed lens (or malformed keys)."""
    lens = entity.attributes.get(LENS_KEY) if getattr(entity, "attributes", None) else None
    if not isinstance(lens, dict):
        return None
    try:
        t = np.asarray(lens.get("times"), dtype=np.float64).reshape(-1)
        y = np.asarray(lens.get("yfov"), dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None
    if len(t) < 2 or len(t) != len(y) or not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))) \
            or np.any(np.diff(t) <= 0) or np.any((y <= 1e-4) | (y >= math.pi - 1e-4)):
        return None
    return t, y


def yfov_at(entity: Any, times: Any) -> np.ndarray:
    """The vertical field of view (radians) of camera ``entity`` at ``times`` (seconds)."""
    t = np.asarray(times, dtype=np.float64)
    keys = lens_keys(entity)
    if keys is None:
        return np.full(t.shape, float(entity.camera.yfov))
    return np.interp(t, keys[0], keys[1])


def camera_at(entity: Any, time: float) -> Any:
    """The entity's :class:`~scenegraph.model.CameraParams` with the field of view it has at ``time``."""
    if lens_keys(entity) is None:
        return entity.camera
    return replace(entity.camera, yfov=float(yfov_at(entity, time)))


def focal_length_mm(yfov: Any, vertical_aperture_mm: float) -> Any:
    """The focal length (mm) that gives ``yfov`` (radians) on a film ``vertical_aperture_mm`` tall."""
    return vertical_aperture_mm / (2.0 * np.tan(np.asarray(yfov, dtype=np.float64) / 2.0))
