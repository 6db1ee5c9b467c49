"""Pinhole cameras and posed images: what rasterizers render and fitting consumes.

Cameras here use the OpenCV convention the rasterizers share (x right, y down,
z forward); scene cameras look down -Z with +Y up (glTF), and
:meth:`PinholeCamera.from_scene_camera` converts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.errors import ModelError

__all__ = ["PinholeCamera", "PosedView", "GL_TO_CV", "look_at"]

#: flips a glTF/OpenGL camera frame (y up, looking down -z) to OpenCV (y down, looking down +z)
GL_TO_CV = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics in pixels and ``world_to_camera`` (4, 4) float64, OpenCV convention."""

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    world_to_camera: Any
    znear: float = 0.01
    zfar: float = 1000.0

    def __post_init__(self) -> None:
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise ModelError(f"camera: image size must be positive, got {self.width}x{self.height}")
        if not (self.fx > 0 and self.fy > 0):
            raise ModelError(f"camera: focal lengths must be positive, got fx={self.fx}, fy={self.fy}")
        m = np.asarray(self.world_to_camera, dtype=np.float64)
        if m.shape != (4, 4) or not np.all(np.isfinite(m)):
            raise ModelError(f"camera.world_to_camera: expected a finite 4x4 matrix, got shape {m.shape}")
        object.__setattr__(self, "world_to_camera", m)
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    @property
    def K(self) -> np.ndarray:
        """Intrinsic matrix (3, 3)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def camera_to_world(self) -> np.ndarray:
        return np.linalg.inv(self.world_to_camera)

    @classmethod
    def from_scene_camera(cls, params: Any, camera_world: np.ndarray, width: int | None = None, height: int | None = None) -> "PinholeCamera":
        """From a scene camera's :class:`~scenegraph.model.CameraParams` and its world matrix (4, 4)."""
        w = int(width or params.width)
        h = int(height or params.height)
        f = 0.5 * h / math.tan(0.5 * params.yfov)
        world_to_gl = np.linalg.inv(np.asarray(camera_world, dtype=np.float64))
        return cls(w, h, f, f, w / 2.0, h / 2.0, GL_TO_CV @ world_to_gl, params.znear, params.zfar)


def look_at(eye: Any, target: Any, up: Any = (0.0, 1.0, 0.0)) -> np.ndarray:
    """Camera-to-world matrix (4, 4) of a glTF-convention camera at ``eye`` looking at ``target``."""
    eye = np.asarray(eye, dtype=np.float64)
    fwd = np.asarray(target, dtype=np.float64) - eye
    n = np.linalg.norm(fwd)
    if n < 1e-12:
        raise ModelError("look_at: eye and target coincide")
    fwd /= n
    up = np.asarray(up, dtype=np.float64)
    right = np.cross(fwd, up)
    if np.linalg.norm(right) < 1e-9:  # looking straight up or down
        right = np.cross(fwd, np.array([0.0, 0.0, 1.0]))
    right /= np.linalg.norm(right)
    true_up = np.cross(right, fwd)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, true_up, -fwd, eye
    return m


@dataclass(frozen=True)
class PosedView:
    """An image (H, W, 3) float32 linear RGB in [0, 1], optional alpha (H, W), and its camera."""

    image: Any
    camera: PinholeCamera
    alpha: Any = None
    name: str = ""

    def __post_init__(self) -> None:
        img = np.asarray(self.image, dtype=np.float32)
        if img.shape != (self.camera.height, self.camera.width, 3):
            raise ModelError(f"view {self.name!r}: image shape {img.shape} does not match camera {self.camera.height}x{self.camera.width}x3")
        object.__setattr__(self, "image", img)
        if self.alpha is not None:
            a = np.asarray(self.alpha, dtype=np.float32)
            if a.shape != img.shape[:2]:
                raise ModelError(f"view {self.name!r}: alpha shape {a.shape} does not match image {img.shape[:2]}")
            object.__setattr__(self, "alpha", a)
