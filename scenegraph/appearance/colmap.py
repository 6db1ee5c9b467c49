"""COLMAP models: binary readers (cameras.bin, images.bin, points3D.bin), points3D, lens undistortion.

The binary layout is COLMAP's own (``src/colmap/scene/reconstruction_io.cc``),
little-endian: cameras (id, model id, width, height, params), images (id,
qw qx qy qz, tx ty tz, camera id, NUL-terminated name, 2D points), points
(id, xyz, rgb, error, track).  Distortion of the SIMPLE_RADIAL, RADIAL and
OPENCV models is removed by :func:`undistort`, which resamples the image onto
the pinhole camera with the same intrinsics (each output pixel looks up where
the lens put it).  Every problem raises :class:`~scenegraph.errors.FormatError`
naming the file.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from scenegraph.errors import FormatError

__all__ = ["read_cameras_bin", "read_images_bin", "read_points3d", "undistort", "distort_normalized", "points_to_gaussians",
           "MODEL_IDS"]

#: COLMAP camera model id -> (name, parameter count)
MODEL_IDS = {0: ("SIMPLE_PINHOLE", 3), 1: ("PINHOLE", 4), 2: ("SIMPLE_RADIAL", 4), 3: ("RADIAL", 5), 4: ("OPENCV", 8),
             5: ("OPENCV_FISHEYE", 8), 6: ("FULL_OPENCV", 12), 7: ("FOV", 5), 8: ("SIMPLE_RADIAL_FISHEYE", 4),
             9: ("RADIAL_FISHEYE", 5), 10: ("THIN_PRISM_FISHEYE", 12)}  # fmt: skip


class _Reader:
    def __init__(self, path: Path) -> None:
        from scenegraph.model.files import regular_file

        self.path = path
        regular_file(path, "a COLMAP model file")
        try:
            self.data = path.read_bytes()
        except OSError as exc:
            raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise FormatError(f"{self.path}: truncated at byte {self.pos} (a COLMAP binary model?)")
        out = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return out

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise FormatError(f"{self.path}: truncated image name at byte {self.pos}")
        raw = self.data[self.pos:end]
        self.pos = end + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"{self.path}: an image name is not UTF-8") from None


def read_cameras_bin(path: str | Path) -> dict[int, tuple[str, int, int, list[float]]]:
    """Camera id -> (model name, width, height, params) from a COLMAP ``cameras.bin``."""
    r = _Reader(Path(path))
    (n,) = r.take("Q")
    cams = {}
    for _ in range(n):
        cam_id, model_id, w, h = r.take("iiQQ")
        if model_id not in MODEL_IDS:
            raise FormatError(f"{path}: camera {cam_id} has an unknown model id {model_id}")
        name, count = MODEL_IDS[model_id]
        cams[cam_id] = (name, int(w), int(h), list(r.take("d" * count)))
    if not cams:
        raise FormatError(f"{path}: no cameras")
    return cams


def read_images_bin(path: str | Path) -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """(name, q (w, x, y, z), t (3,), camera id) per registered image of a COLMAP ``images.bin``."""
    r = _Reader(Path(path))
    (n,) = r.take("Q")
    out = []
    for _ in range(n):
        vals = r.take("idddddddi")
        name = r.cstring()
        (npts,) = r.take("Q")
        r.take("ddq" * npts) if npts else None
        out.append((name, np.array(vals[1:5]), np.array(vals[5:8]), int(vals[8])))
    return out


def read_points3d(model_dir: str | Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(xyz (N, 3) float64, rgb (N, 3) uint8) from ``points3D.bin`` or ``points3D.txt`` in ``model_dir``; None if neither."""
    d = Path(model_dir)
    if (d / "points3D.bin").is_file():
        r = _Reader(d / "points3D.bin")
        (n,) = r.take("Q")
        xyz = np.zeros((n, 3))
        rgb = np.zeros((n, 3), np.uint8)
        for i in range(n):
            vals = r.take("QdddBBBdQ")
            xyz[i], rgb[i] = vals[1:4], vals[4:7]
            r.take("ii" * vals[8]) if vals[8] else None
        return xyz, rgb
    if (d / "points3D.txt").is_file():
        xyz_l, rgb_l = [], []
        path = d / "points3D.txt"
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            try:
                xyz_l.append([float(t) for t in tok[1:4]])
                rgb_l.append([int(t) for t in tok[4:7]])
            except (ValueError, IndexError):
                raise FormatError(f"{path}:{lineno}: expected 'POINT3D_ID X Y Z R G B ERROR TRACK...'") from None
        return np.array(xyz_l, dtype=np.float64).reshape(-1, 3), np.clip(np.array(rgb_l), 0, 255).astype(np.uint8).reshape(-1, 3)
    return None


def distort_normalized(x: np.ndarray, y: np.ndarray, model: str, extra: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Where a lens of ``model`` with distortion ``extra`` puts undistorted normalised coordinates (x, y)."""
    r2 = x * x + y * y
    if model == "SIMPLE_RADIAL":
        k = 1.0 + extra[0] * r2
        return x * k, y * k
    if model == "RADIAL":
        k = 1.0 + extra[0] * r2 + extra[1] * r2 * r2
        return x * k, y * k
    if model == "OPENCV":
        k1, k2, p1, p2 = extra
        k = 1.0 + k1 * r2 + k2 * r2 * r2
        return x * k + 2 * p1 * x * y + p2 * (r2 + 2 * x * x), y * k + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return x, y


def undistort(image: np.ndarray, intrinsics: tuple[float, float, float, float], model: str, extra: list[float]) -> np.ndarray:
    """``image`` (H, W, C) resampled onto the pinhole camera with the same (fx, fy, cx, cy): pixel (j + 0.5, i + 0.5)
    takes the colour the lens put at the distorted position (bilinear, edges clamped)."""
    from scenegraph.appearance.gbuffer import sample_bilinear

    if not any(extra):
        return image
    fx, fy, cx, cy = intrinsics
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    x = (xs + 0.5 - cx) / fx
    y = (ys + 0.5 - cy) / fy
    xd, yd = distort_normalized(x, y, model, list(extra))
    uv = np.stack([xd * fx + cx, yd * fy + cy], axis=-1)
    out = sample_bilinear(np.asarray(image, np.float64), uv)
    return out.astype(np.asarray(image).dtype)


def points_to_gaussians(xyz: np.ndarray, rgb: np.ndarray, budget: int | None = None, seed: int = 0, opacity: float = 0.1) -> Any:
    """An initial cloud on COLMAP points: means at the points, isotropic scales = mean distance to the 3
    nearest points, colours from the points (sRGB bytes), low opacity; seeded subsample down to ``budget``."""
    from scenegraph.model.gaussians import Gaussians, rgb_to_sh
    from scenegraph.model.materials import srgb_to_linear

    xyz = np.asarray(xyz, np.float64)
    if len(xyz) == 0:
        raise FormatError("points3D: no points to start from")
    idx = np.arange(len(xyz))
    if budget is not None and len(xyz) > budget:
        idx = np.sort(np.random.default_rng(seed).choice(len(xyz), size=budget, replace=False))
    pts = xyz[idx]
    k = min(3, len(pts) - 1)
    if k >= 1:
        dist = np.empty(len(pts))
        for lo in range(0, len(pts), 1024):
            d = np.linalg.norm(pts[lo:lo + 1024, None] - pts[None], axis=-1)
            dist[lo:lo + 1024] = np.sort(d, axis=1)[:, 1:k + 1].mean(axis=1)
    else:
        dist = np.full(len(pts), 0.01)
    dist = np.maximum(dist, 1e-6)
    colour = srgb_to_linear(np.asarray(rgb, np.float64)[idx] / 255.0)
    n = len(pts)
    return Gaussians(pts, np.tile([0.0, 0.0, 0.0, 1.0], (n, 1)), np.repeat(dist[:, None], 3, axis=1), np.full(n, opacity),
                     rgb_to_sh(colour)[:, None, :])
