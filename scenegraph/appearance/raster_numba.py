"""Compiled (numba) forward compositing for the CPU rasterizer: the no-grad path of :mod:`raster_torch`.

:func:`composite` does what ``raster_torch._composite_forward`` does, pixel by pixel in one
kernel: for each depth-sorted tile list, front to back, alpha = min(0.99, exp(max(-q, -10)))
of the intersection's quadratic form q, alphas <= 1/255 cut to 0, the pixel finished (that
Gaussian excluded) once its transmittance would fall to T_MIN.  ``prange`` runs over tiles
on as many threads as the process has cores (affinity / cgroup quota).  Numba's
``workqueue`` threading layer is used: its workers sleep between kernels (no spinning beside
other processes) and it needs no OpenMP/TBB runtime.  A lock serialises launches (the
workqueue layer does not allow concurrent ones from several Python threads).

numba is optional: :func:`available` is False where it is missing (or ``SCENEGRAPH_NUMBA=0``)
and the caller keeps the torch path.  The kernel is compiled with ``cache=True`` (paid once
per machine, then loaded from ``__pycache__``).
"""
from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["available", "composite"]

_KERNEL: Any = None
_STATE: dict = {}
_LOCK = threading.Lock()


def available() -> bool:
    """True where numba imports (and ``SCENEGRAPH_NUMBA`` is not 0)."""
    if os.environ.get("SCENEGRAPH_NUMBA", "1") == "0":
        return False
    if "ok" not in _STATE:
        try:
            import numba  # noqa: F401
        except ImportError:
            _STATE["ok"] = False
        else:
            _STATE["ok"] = True
    return _STATE["ok"]


def _build() -> Any:
    global _KERNEL
    if _KERNEL is None:
        import numba

        numba.config.THREADING_LAYER = os.environ.get("NUMBA_THREADING_LAYER", "workqueue")
        from scenegraph.appearance import _numba_kernel

        _KERNEL = _numba_kernel
    return _KERNEL


def _threads() -> int:
    import numba

    from scenegraph.model.cpus import available_cores

    return max(1, min(available_cores(), numba.config.NUMBA_NUM_THREADS))


def composite(means2d: Any, conics: Any, depths: Any, radii: Any, opac: Any, feat: Any, tile: int, width: int,
              height: int, may_clamp: bool, alpha_max: float, alpha_min: float, t_min: float,
              exp_floor: float) -> tuple[Any, Any, int]:
    """Bin the visible Gaussians into ``tile`` px tiles (depth order within a tile, tiles their
    footprint cannot reach dropped) and composite them front to back.

    Inputs are per-Gaussian numpy arrays: means2d (N, 2), conics (N, 3), depths (N,), radii (N, 2)
    int (0 = culled), opacities (N,), feat (N, C) float32.  Returns ``out`` (tiles, tile^2, C) =
    sum of w f, ``t_final`` (tiles, tile^2) the final transmittance, and the intersection count.
    """
    import numba
    import numpy as np

    k = _build()
    f32 = np.float32
    means2d, conics, opac, feat = (np.ascontiguousarray(x, dtype=f32) for x in (means2d, conics, opac, feat))
    radii = np.ascontiguousarray(radii, dtype=np.int32)
    vis = np.nonzero((radii > 0).any(1))[0]
    order = vis[np.argsort(depths[vis], kind="stable")].astype(np.int64)
    tiles_x, tiles_y = -(-width // tile), -(-height // tile)
    log_o = np.log(np.maximum(opac, f32(1e-30)))
    with _LOCK:
        numba.set_num_threads(_threads())
        gid, tid, starts, counts = k.bin_tiles(order, means2d, conics, radii, opac, int(tile), tiles_x, tiles_y)
        coef = k.coefs(gid, tid, means2d, conics, log_o, tiles_x, int(tile))
        fg = feat[gid]
        out = np.zeros((tiles_x * tiles_y, tile * tile, feat.shape[1]), dtype=f32)
        t_final = np.ones((tiles_x * tiles_y, tile * tile), dtype=f32)
        tiles = np.nonzero(counts > 0)[0].astype(np.int64)
        k.composite_tiles(coef, fg, tiles, starts, counts, int(tile), bool(may_clamp), f32(alpha_max), f32(alpha_min),
                          f32(t_min), f32(exp_floor), out, t_final)
    return out, t_final, int(gid.shape[0])
