"""Compiled (numba) no-grad forward of the CPU rasterizer: the fast path of :mod:`raster_torch`.

:func:`project` is raster_torch's ``project`` and ``eval_sh`` op for op (same footprints and screen
positions); :func:`composite` bins the Gaussians into tiles and does what
``raster_torch._composite_forward`` does: for each depth-sorted tile list, front to back,
alpha = min(0.99, exp(max(-q, -10))) of the intersection's quadratic form q, alphas <= 1/255 cut to 0,
the pixel finished (that Gaussian excluded) once its transmittance would fall to T_MIN, and writes the
finished images.  A pixel row is composited branch-free, so its loop vectorises.

Threads: the kernels are single-threaded and release the GIL; the work is cut into slices (ranges
of Gaussians for projection and binning, of tiles for compositing, about 8 per thread) that the threads of a small
pool take one after another, as many threads as the process may use (affinity / cgroup quota,
:func:`scenegraph.model.cpus.available_cores`).  So a thread that the OS preempts (another process
busy on the machine) holds back only the slice it is on, and an idle thread sleeps on a lock: no
spinning, no second OpenMP-style runtime beside torch's.  The output does not depend on how the
slices were shared out (each tile and count is written by one slice).

numba is optional: :func:`available` is False where it is missing (or ``SCENEGRAPH_NUMBA=0``)
and the caller keeps the torch path.  The kernels are compiled with ``cache=True`` (paid once
per machine, then loaded from ``__pycache__``).
"""
from __future__ import annotations

import itertools
import os
import threading
from typing import Any, Callable

__all__ = ["available", "composite", "project", "run_slices"]

_KERNEL: Any = None
_STATE: dict = {}
_POOL: dict = {}
_LOCK = threading.Lock()
_SLICES_PER_THREAD = 8


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
        from scenegraph.appearance import _numba_kernel

        _KERNEL = _numba_kernel
    return _KERNEL


def _executor(workers: int) -> Any:
    """A thread pool of ``workers`` threads, made again in a forked child (threads do not survive a fork)."""
    from concurrent.futures import ThreadPoolExecutor

    key = (os.getpid(), workers)
    if _POOL.get("key") != key:
        _POOL["key"], _POOL["pool"] = key, ThreadPoolExecutor(workers, thread_name_prefix="scenegraph-raster")
    return _POOL["pool"]


def run_slices(fn: Callable[[int], None], n: int, threads: int) -> None:
    """Call ``fn(i)`` for i in 0..n-1 on ``threads`` threads (this one and threads - 1 pooled ones), each
    thread taking the next unclaimed i when it is done with its last.  Re-raises the first error."""
    threads = max(1, min(threads, n))
    if threads == 1:
        for i in range(n):
            fn(i)
        return
    claim = itertools.count()  # next() on it is atomic under the GIL

    def drain() -> None:
        for i in claim:
            if i >= n:
                return
            fn(i)

    futures = [_executor(threads - 1).submit(drain) for _ in range(threads - 1)]
    try:
        drain()
    finally:
        for f in futures:
            f.exception()  # wait for every thread before the caller touches the outputs
    for f in futures:
        f.result()


def _threads() -> int:
    from scenegraph.model.cpus import available_cores

    return available_cores()


def _cuts(weights: Any, parts: int) -> Any:
    """Boundaries (parts + 1,) splitting a sequence into ``parts`` contiguous ranges of about equal total weight."""
    import numpy as np

    cum = np.cumsum(weights, dtype=np.float64)
    total = cum[-1] if cum.size else 0.0
    cuts = np.searchsorted(cum, total * np.arange(1, parts) / parts, side="right")
    return np.unique(np.concatenate([[0], cuts, [len(weights)]]))


def project(means: Any, quats: Any, scales: Any, opac: Any, sh: Any, degree: int, viewmat: Any,
            intrinsics: tuple[float, float, float, float], width: int, height: int, near: float,
            far: float, sh_constants: Any) -> dict:
    """raster_torch.project and eval_sh compiled, for float32 numpy arrays: means (N, 3), quats xyzw (N, 4),
    scales (N, 3), opacities (N,), sh (N, K, 3), ``viewmat`` (4, 4) world->camera, ``sh_constants`` the 14
    real-SH factors (C0, C1, C2[5], C3[7]) of raster_torch.sh_basis.  Returns a dict of
    means2d (N, 2), conics (N, 3), depths (N,), radii (N, 2) int32 (0 = culled), colors (N, 3), and
    ``box_tiles`` (2,): footprint-box tile counts of the visible Gaussians for 8 and 16 px tiles."""
    import numpy as np

    k = _build()
    f32 = np.float32
    means, quats, scales, opac, sh = (np.ascontiguousarray(x, dtype=f32) for x in (means, quats, scales, opac, sh))
    view = np.ascontiguousarray(viewmat, dtype=f32)
    sh_c = np.asarray(sh_constants, dtype=f32)
    n = means.shape[0]
    out = {"means2d": np.empty((n, 2), f32), "conics": np.empty((n, 3), f32), "depths": np.empty(n, f32),
           "radii": np.empty((n, 2), np.int32), "colors": np.empty((n, 3), f32)}
    threads = _threads()
    n_s = max(1, min(threads * 2, n // 4096)) if threads > 1 else 1
    bounds = np.linspace(0, n, n_s + 1).astype(np.int64)
    cost = np.zeros((n_s, 2), dtype=np.float64)
    fx, fy, cx, cy = (float(v) for v in intrinsics)
    with _LOCK:
        run_slices(lambda s: k.project(bounds[s], bounds[s + 1], means, quats, scales, opac, sh, int(degree), view, fx, fy,
                                       cx, cy, int(width), int(height), float(near), float(far), sh_c, out["means2d"],
                                       out["conics"], out["depths"], out["radii"], out["colors"], cost[s]), n_s, threads)
    out["box_tiles"] = cost.sum(0)
    return out


def composite(means2d: Any, conics: Any, depths: Any, radii: Any, opac: Any, feat: Any, tile: int, width: int,
              height: int, background: Any, may_clamp: bool, alpha_max: float, alpha_min: float, t_min: float,
              exp_floor: float) -> tuple[Any, Any, Any, int]:
    """Bin the visible Gaussians into ``tile`` px tiles (depth order within a tile, tiles their
    footprint cannot reach dropped) and composite them front to back.

    Inputs are per-Gaussian numpy arrays: means2d (N, 2), conics (N, 3), depths (N,), radii (N, 2)
    int (0 = culled), opacities (N,), feat (N, 4) float32 (rgb, depth), ``background`` (3,).  Returns
    rgb (H, W, 3) = sum of w rgb + T background, alpha (H, W) = 1 - T, depth (H, W) = sum of w z / alpha
    (T the final transmittance), and the intersection count.
    """
    import numpy as np

    k = _build()
    f32 = np.float32
    means2d, conics, opac, feat = (np.ascontiguousarray(x, dtype=f32) for x in (means2d, conics, opac, feat))
    if feat.shape[1] != 4:
        raise ValueError(f"raster_numba.composite: feat has {feat.shape[1]} channels, expected 4 (rgb, depth)")
    radii = np.ascontiguousarray(radii, dtype=np.int32)
    vis = np.flatnonzero((radii > 0).any(1))
    # visible depths are > near > 0, where float32 order is the order of their bit patterns
    key = np.ascontiguousarray(depths[vis], dtype=f32).view(np.int32)
    order = vis[np.argsort(key, kind="stable")].astype(np.int64)
    tiles_x, tiles_y = -(-width // tile), -(-height // tile)
    n_t = tiles_x * tiles_y
    log_o = np.log(np.maximum(opac, f32(1e-30)))
    threads = _threads()
    tile = int(tile)
    with _LOCK:
        # binning: a counting sort by tile, the depth-ordered Gaussians cut into slices counted and
        # filled in parallel; slice s writes after the slices before it, so order within a tile holds
        n_s = max(1, min(threads * 2, order.shape[0] // 2048)) if threads > 1 else 1
        bounds = np.linspace(0, order.shape[0], n_s + 1).astype(np.int64)
        slots = np.zeros((n_s, n_t), dtype=np.int64)
        found: list = [None] * n_s
        args = (means2d, conics, radii, opac, tile, tiles_x, tiles_y)

        def count(s: int) -> None:
            found[s] = k.bin_count(order, bounds[s], bounds[s + 1], *args, slots[s])

        run_slices(count, n_s, threads)
        counts = slots.sum(0)
        starts = np.cumsum(counts) - counts
        slots = np.cumsum(slots, 0) - slots + starts
        gid = np.empty(int(counts.sum()), dtype=np.int64)
        run_slices(lambda s: k.bin_fill(found[s][0], found[s][1], slots[s], gid), n_s, threads)
        # compositing: tiles cut into slices of about equal intersection counts
        bg = np.asarray(background, dtype=f32).reshape(3)
        rgb = np.empty((height, width, 3), dtype=f32)
        rgb[:] = bg  # pixels of tiles nothing reaches: T = 1
        alpha = np.zeros((height, width), dtype=f32)
        depth = np.zeros((height, width), dtype=f32)
        tiles = np.flatnonzero(counts > 0)
        cuts = _cuts(counts[tiles] + 4, threads * _SLICES_PER_THREAD) if threads > 1 else np.array([0, len(tiles)])
        q_cut = f32(min(-exp_floor, float(-np.log(f32(alpha_min))) + 1e-3))
        rest = (means2d, conics, log_o, feat, tiles_x, tile, bool(may_clamp), f32(alpha_max), f32(alpha_min),
                f32(t_min), q_cut, bg, rgb, alpha, depth)
        run_slices(lambda s: k.composite_tiles(gid, starts, counts, tiles, cuts[s], cuts[s + 1], *rest),
                   len(cuts) - 1, threads)
    return rgb, alpha, depth, int(gid.shape[0])
