"""Gaussians: the splat representation of an entity's look, in its local frame.

Shapes (N Gaussians, K = (degree + 1)^2 SH coefficients per channel):
``means`` (N, 3), ``quats`` (N, 4) xyzw unit, ``scales`` (N, 3) linear metres,
``opacities`` (N,) in [0, 1], ``sh`` (N, K, 3).  All float32.  DC colour is
``rgb = 0.5 + SH_C0 * sh[:, 0]``.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from scenegraph.errors import ModelError

__all__ = ["Gaussians", "SH_C0", "SharedArrays", "rgb_to_sh", "sh_to_rgb", "sh_degree_for"]

SH_C0 = 0.28209479177387814


def rgb_to_sh(rgb: np.ndarray) -> np.ndarray:
    """DC SH coefficient(s) (..., 3) for linear RGB (..., 3)."""
    return ((np.asarray(rgb, dtype=np.float64) - 0.5) / SH_C0).astype(np.float32)


def sh_to_rgb(sh_dc: np.ndarray) -> np.ndarray:
    """Linear RGB (..., 3) of DC coefficient(s) (..., 3)."""
    return (0.5 + SH_C0 * np.asarray(sh_dc, dtype=np.float64)).astype(np.float32)


def sh_degree_for(k: int) -> int:
    """SH degree for K coefficients per channel; raises ModelError if K is not (d+1)^2, d <= 3."""
    for d in range(4):
        if (d + 1) ** 2 == k:
            return d
    raise ModelError(f"gaussians.sh: {k} coefficients per channel is not (degree+1)^2 for degree 0-3")


def _f32(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(value, dtype=np.float32))
    if arr.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, arr.shape)):
        raise ModelError(f"gaussians.{what}: expected shape {tuple('N' if s == -1 else s for s in shape)}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.argmax(~np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1))) if arr.size else 0
        raise ModelError(f"gaussians.{what}: NaN or infinite value (first at Gaussian {bad})")
    return arr


@dataclass(frozen=True, eq=False)
class Gaussians:
    """A cloud of 3D Gaussians (see module docstring for shapes and units)."""

    means: Any
    quats: Any
    scales: Any
    opacities: Any
    sh: Any

    def __post_init__(self) -> None:
        means = _f32(self.means, (-1, 3), "means")
        n = means.shape[0]
        quats = _f32(self.quats, (n, 4), "quats")
        norm = np.linalg.norm(quats, axis=1, keepdims=True)
        if np.any(norm < 1e-12):
            raise ModelError(f"gaussians.quats: zero-length quaternion at Gaussian {int(np.argmax(norm[:, 0] < 1e-12))}")
        if not np.allclose(norm, 1.0, atol=1e-6):
            quats = (quats / norm).astype(np.float32)
        scales = _f32(self.scales, (n, 3), "scales")
        if np.any(scales <= 0):
            raise ModelError(f"gaussians.scales: must be positive (first bad at Gaussian {int(np.argmax(np.any(scales <= 0, axis=1)))})")
        opac = _f32(self.opacities, (n,), "opacities")
        if np.any(opac < 0) or np.any(opac > 1):
            raise ModelError("gaussians.opacities: must lie in [0, 1]")
        sh = _f32(self.sh, (n, -1, 3), "sh")
        sh_degree_for(sh.shape[1])
        for name, arr in (("means", means), ("quats", quats), ("scales", scales), ("opacities", opac), ("sh", sh)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @classmethod
    def trusted(cls, means: np.ndarray, quats: np.ndarray, scales: np.ndarray, opacities: np.ndarray,
                sh: np.ndarray) -> "Gaussians":
        """A cloud of arrays a sampler has just made valid: C-contiguous float32 of the documented shapes, unit
        quaternions, positive scales, opacities in [0, 1], finite.  Not checked (a hundred parked cars'
        clouds are built in a blink); they are made read-only, as the checked constructor makes them."""
        self = object.__new__(cls)
        for name, arr in (("means", means), ("quats", quats), ("scales", scales), ("opacities", opacities), ("sh", sh)):
            if arr.dtype != np.float32 or not arr.flags.c_contiguous:
                raise ModelError(f"Gaussians.trusted: {name} must be C-contiguous float32, got {arr.dtype}")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        return self

    def __len__(self) -> int:
        return int(self.means.shape[0])

    @property
    def sh_degree(self) -> int:
        return sh_degree_for(self.sh.shape[1])

    @property
    def colors(self) -> np.ndarray:
        """Linear RGB (N, 3) of the DC term, clipped to [0, 1]."""
        return np.clip(sh_to_rgb(self.sh[:, 0]), 0.0, 1.0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Gaussians) and all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in ("means", "quats", "scales", "opacities", "sh")
        )


class SharedArrays:
    """What a writer made of each array it has stored (an accessor, the entity that holds the bytes), found
    again for an array with the same bits: by identity at once (alike entities share one cloud), else by
    content (a scene read back from a file holds equal copies), so the output depends on the values only.

    >>> seen = SharedArrays(); a = np.arange(6, dtype=np.float32)
    >>> seen.once("means", a, lambda: "car_1"), seen.once("means", a.copy(), lambda: "car_2")
    (('car_1', True), ('car_1', False))
    """

    def __init__(self) -> None:
        self._by_id: dict[tuple[str, int], tuple[np.ndarray, Any]] = {}
        self._by_bits: dict[tuple, list[tuple[np.ndarray, Any]]] = {}

    def once(self, role: str, arr: np.ndarray, make: Callable[[], Any]) -> tuple[Any, bool]:
        """``(value, True)`` with ``value = make()`` the first time an array of these bits is seen in this
        ``role``, else ``(the first one's value, False)``.  Arrays are kept, so their ids are not reused."""
        hit = self._by_id.get((role, id(arr)))
        if hit is not None and hit[0] is arr:
            return hit[1], False
        flat = np.ascontiguousarray(arr)
        key = (role, flat.dtype.str, flat.shape, zlib.crc32(flat.view(np.uint8).reshape(-1)))
        for other, value in self._by_bits.get(key, ()):
            if np.array_equal(other.view(np.uint8), flat.view(np.uint8)):  # bit for bit: -0.0 is not 0.0
                self._by_id[(role, id(arr))] = (arr, value)
                return value, False
        value = make()
        self._by_id[(role, id(arr))] = (arr, value)
        self._by_bits.setdefault(key, []).append((flat, value))
        return value, True
