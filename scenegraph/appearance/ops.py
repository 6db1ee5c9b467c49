"""Operations on :class:`Gaussians` clouds: transform, merge, crop, subsample, bounds, fit to a box.

All functions return new clouds (inputs are read-only) and keep float32.
A similarity transform also rotates the view-dependent SH coefficients, so a
rotated cloud looks the same from a rotated camera.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from scenegraph.model.gaussians import Gaussians
from scenegraph.errors import ModelError
from scenegraph.model.rotations import quat_from_matrix, quat_multiply

__all__ = ["transform", "merge", "select", "crop", "subsample", "bounds", "fit_to_bounds", "sh_rotation"]


def sh_rotation(rotation: np.ndarray, degree: int) -> np.ndarray:
    """Matrix D (K, K) with ``sh_rotated[:, k] = sum_j D[k, j] sh[:, j]`` for a rotation (3, 3).

    Found per band by least squares on sampled directions: f'(d) = f(R^T d)
    stays in the same band, so the fit is exact up to rounding.
    """
    from scenegraph.appearance.raster_torch import sh_basis

    k = (degree + 1) ** 2
    d = np.eye(k)
    if degree == 0:
        return d
    rng = np.random.default_rng(0)
    dirs = rng.normal(size=(64, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    rot_dirs = dirs @ np.asarray(rotation, dtype=np.float64)  # rows are R^T d
    basis = np.stack(sh_basis(dirs[:, 0], dirs[:, 1], dirs[:, 2], degree), axis=1)
    basis_r = np.stack(sh_basis(rot_dirs[:, 0], rot_dirs[:, 1], rot_dirs[:, 2], degree), axis=1)
    for band in range(1, degree + 1):
        sl = slice(band * band, (band + 1) ** 2)
        sol, *_ = np.linalg.lstsq(basis[:, sl], basis_r[:, sl], rcond=None)
        d[sl, sl] = sol
    return d


def transform(gaussians: Gaussians, matrix: Any) -> Gaussians:
    """Apply a similarity transform (4, 4): rotation, uniform scale, translation.

    Means move, quats rotate, scales multiply, higher SH bands rotate.
    Raises ModelError for a shear or non-uniform scale (a Gaussian would need a new covariance basis).
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        raise ModelError(f"transform: expected a finite 4x4 matrix, got shape {m.shape}")
    lin = m[:3, :3]
    s = np.cbrt(np.linalg.det(lin))
    if not s > 1e-12:
        raise ModelError("transform: matrix must have a positive determinant (no mirroring or collapse)")
    rot = lin / s
    if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-5):
        raise ModelError("transform: matrix is not rotation x uniform scale + translation")
    means = gaussians.means.astype(np.float64) @ lin.T + m[:3, 3]
    quats = quat_multiply(quat_from_matrix(rot)[None], gaussians.quats.astype(np.float64))
    sh = gaussians.sh
    if sh.shape[1] > 1:
        sh = np.einsum("kj,njc->nkc", sh_rotation(rot, gaussians.sh_degree), sh.astype(np.float64))
    return Gaussians(means, quats, gaussians.scales.astype(np.float64) * s, gaussians.opacities, sh)


def _pad_sh(sh: np.ndarray, k: int) -> np.ndarray:
    if sh.shape[1] == k:
        return sh
    out = np.zeros((sh.shape[0], k, 3), dtype=np.float32)
    out[:, : sh.shape[1]] = sh
    return out


def merge(clouds: Sequence[Gaussians]) -> Gaussians:
    """Concatenate clouds in order; lower SH degrees are zero-padded to the highest one."""
    clouds = list(clouds)
    if not clouds:
        raise ModelError("merge: no clouds given")
    k = max(c.sh.shape[1] for c in clouds)
    return Gaussians(
        np.concatenate([c.means for c in clouds]),
        np.concatenate([c.quats for c in clouds]),
        np.concatenate([c.scales for c in clouds]),
        np.concatenate([c.opacities for c in clouds]),
        np.concatenate([_pad_sh(c.sh, k) for c in clouds]),
    )


def select(gaussians: Gaussians, index: Any) -> Gaussians:
    """The Gaussians picked by a boolean mask (N,) or an index array."""
    g = gaussians
    return Gaussians(g.means[index], g.quats[index], g.scales[index], g.opacities[index], g.sh[index])


def crop(gaussians: Gaussians, lo: Any, hi: Any) -> Gaussians:
    """Keep the Gaussians whose means lie inside the box [lo, hi] (3,) metres (inclusive)."""
    lo = np.asarray(lo, dtype=np.float32)
    hi = np.asarray(hi, dtype=np.float32)
    if lo.shape != (3,) or hi.shape != (3,) or np.any(lo > hi):
        raise ModelError(f"crop: box must be two (3,) corners with lo <= hi, got {lo} and {hi}")
    inside = np.all((gaussians.means >= lo) & (gaussians.means <= hi), axis=1)
    return select(gaussians, inside)


def subsample(gaussians: Gaussians, n: int, *, seed: int = 0) -> Gaussians:
    """``n`` Gaussians drawn without replacement (order kept); all of them if n >= len."""
    if n < 0:
        raise ModelError(f"subsample: n must be >= 0, got {n}")
    if n >= len(gaussians):
        return gaussians
    idx = np.sort(np.random.default_rng(seed).choice(len(gaussians), size=n, replace=False))
    return select(gaussians, idx)


def bounds(gaussians: Gaussians, *, sigmas: float = 0.0, quantile: float = 0.0) -> np.ndarray:
    """Axis-aligned box (2, 3) of the means, widened by ``sigmas`` x each Gaussian's largest scale.

    ``quantile`` > 0 drops that fraction of outliers at each end per axis (floaters in captures).
    Raises ModelError for an empty cloud.
    """
    if len(gaussians) == 0:
        raise ModelError("bounds: the cloud is empty")
    if not 0.0 <= quantile < 0.5:
        raise ModelError(f"bounds: quantile must lie in [0, 0.5), got {quantile}")
    pad = sigmas * gaussians.scales.max(axis=1, keepdims=True)
    lo = gaussians.means - pad
    hi = gaussians.means + pad
    if quantile > 0:
        return np.stack([np.quantile(lo, quantile, axis=0), np.quantile(hi, 1 - quantile, axis=0)]).astype(np.float32)
    return np.stack([lo.min(axis=0), hi.max(axis=0)]).astype(np.float32)


def fit_to_bounds(gaussians: Gaussians, box: Any, *, quantile: float = 0.0) -> Gaussians:
    """Scale uniformly and translate so the cloud fits the entity's local box (2, 3).

    The limiting axis fills the box; the cloud is centred in x and z and rests on
    the box floor (min y), as entities stand on the ground.  ``quantile`` ignores
    that fraction of outliers when measuring the cloud (see :func:`bounds`).
    Raises ModelError for an empty cloud or a malformed box.
    """
    b = np.asarray(box, dtype=np.float64)
    if b.shape != (2, 3) or not np.all(np.isfinite(b)) or np.any(b[1] < b[0]):
        raise ModelError(f"fit_to_bounds: box must be (2, 3) with min <= max, got {b.tolist()}")
    cb = bounds(gaussians, quantile=quantile).astype(np.float64)
    extent = cb[1] - cb[0]
    target = b[1] - b[0]
    ratios = [target[i] / extent[i] for i in range(3) if extent[i] > 1e-12]
    s = min(ratios) if ratios else 1.0
    src = np.array([(cb[0, 0] + cb[1, 0]) / 2, cb[0, 1], (cb[0, 2] + cb[1, 2]) / 2])
    dst = np.array([(b[0, 0] + b[1, 0]) / 2, b[0, 1], (b[0, 2] + b[1, 2]) / 2])
    m = np.eye(4)
    m[:3, :3] *= s
    m[:3, 3] = dst - s * src
    return transform(gaussians, m)
