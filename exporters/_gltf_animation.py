"""Animation for :mod:`exporters.gltf_write`: which keys each channel keeps, and the keys laid out.

:func:`plan_channel` decides, for one TRS path of every entity at once, whether
it is static, STEP or LINEAR and which keys LINEAR interpolation needs;
:func:`lay_out` gathers the kept keys entity by entity into one array, finds
the distinct sets of key frames and hashes the lot for the motion digest.  Both
are numpy and hashlib alone, so the writer runs one path on a second thread
(:class:`Background`) while it plans another.
"""
from __future__ import annotations

import threading
from typing import Any, NamedTuple

import numpy as np

from exporters._gltf_common import _EPS32, any_last, channels_digest, linear_keys, tolerance, yaw_keys, yaw_only

__all__ = ["plan_channel", "lay_out", "Layout", "Background"]


def plan_channel(t: np.ndarray, values: np.ndarray, rotation: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decide, per entity, how to animate one TRS property.

    ``t`` (F,) seconds, ``values`` (F, E, C).  Returns ``static`` (E,) bool (no
    channel), ``step`` (E,) bool (piecewise constant with jumps: STEP keys where
    it changes), ``keep`` (F, E) bool (the keys to write) and the values to
    write (F, E, C) float32 (rotations made sign-continuous).  LINEAR keys are
    dropped wherever interpolating their neighbours reproduces every frame
    within ~1e-6.
    """
    f_count, e_count, _ = values.shape
    out = np.asarray(values, np.float32)
    if rotation and f_count > 1:
        dot = out[1:, :, 0] * out[:-1, :, 0]  # consecutive frames' dot products, a component at a time
        for c in range(1, 4):                  # (half the time of einsum over the short last axis)
            dot += out[1:, :, c] * out[:-1, :, c]
        flip = dot < 0
        if flip.any():
            sign = np.concatenate([np.ones((1, e_count), np.float32), np.cumprod(np.where(flip, -1, 1).astype(np.float32), axis=0)])
            out = out * sign[..., None]
    tol = tolerance(out).astype(np.float32, copy=False)
    # float32 differences of nearby float32 values are exact, so these tests need no float64
    diff = out - out[:1]
    static = ~(np.abs(diff, out=diff) > tol).reshape(f_count, -1).any(axis=0).reshape(e_count, -1).any(axis=1)
    keep = np.zeros((f_count, e_count), bool)
    keep[0] = True
    if f_count < 2:
        return static, np.zeros(e_count, bool), keep, out
    diff = np.subtract(out[1:], out[:-1], out=diff[1:])
    changed = any_last(np.abs(diff, out=diff) > tol[1:])  # (F-1, E)
    if f_count >= 3:
        step = ~static & ~(changed[1:] & changed[:-1]).any(axis=0)
    else:
        step = np.zeros(e_count, bool)
    keep[1:] = changed & step[None, :]
    lin = np.nonzero(~static & ~step)[0]
    # most columns left (a few static ones aside): test them all in place rather than copy the rest out
    every = 2 * lin.size > e_count
    if lin.size and not rotation and f_count >= 3:
        curved = _curved(t, out)[lin] if every else _curved(t, _columns(out, lin, e_count))
        keep[:, lin[curved]] = True  # what linear_keys would keep: every key
        lin = lin[~curved]
    if lin.size and rotation and f_count >= 3:
        yaw = yaw_only(out)[lin] if every else yaw_only(_columns(out, lin, e_count))
        if yaw.any():  # headings: only their y and w components go to float64
            cols = lin[yaw]
            keep[:, cols] = yaw_keys(t, _columns(out[..., 1], cols, e_count), _columns(out[..., 3], cols, e_count))
            lin = lin[~yaw]
    if lin.size:
        v = _columns(out, lin, e_count).astype(np.float64)
        keep[:, lin] = linear_keys(t, v, tolerance(v), rotation)
    return static, step, keep, out


def _columns(a: np.ndarray, idx: np.ndarray, count: int) -> np.ndarray:
    """``a[:, idx]`` (entities are axis 1), or ``a`` itself when ``idx`` is all ``count`` of them.
    np.take copies into (F, E, C) order; ``a[:, idx]`` comes out (E, F, C)-ordered and ~10x slower to use."""
    return a if idx.size == count else np.take(a, idx, axis=1)


def _curved(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Columns of ``v`` (F, E, C) float32 where no interior frame is within tolerance of the line
    through its two neighbours, (E,) bool: :func:`linear_keys` keeps every key of them.

    Tested in float32 against a bound on the float64 tolerance plus float32 rounding, both taken at the
    column's largest magnitude M (1e-6 + 4 eps M, and 24 eps M for the three values' rounding), so a
    column called curved here is curved in float64; the float64 planning is left to the rest.
    """
    u = ((t[1:-1] - t[:-2]) / (t[2:] - t[:-2])).astype(np.float32)[:, None, None]
    dev = v[2:] - v[:-2]
    dev *= u
    dev += v[:-2]
    dev -= v[1:-1]
    np.abs(dev, out=dev)
    big = np.maximum(v.max(axis=0), -v.min(axis=0))  # (E, C): reductions down the frames, no (F, E, C) temporary
    bound = big * np.float32(28 * _EPS32 * (1 + 4 * _EPS32))
    bound += np.float32(1e-6 * (1 + 4 * _EPS32))
    return any_last(dev > bound).all(axis=0)


class Background:
    """``fn(*args)`` on a thread of its own, started now; :meth:`result` waits and returns it (or raises
    what it raised).  numpy's loops and hashlib release the GIL, so planning one channel here while another
    is planned on the caller's thread keeps both cores of a small machine busy."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), name="scenegraph-gltf", daemon=True)
        self._thread.start()

    def _run(self, fn: Any, args: tuple) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class Layout(NamedTuple):
    """One TRS path of every node, planned and laid out (see :func:`lay_out`)."""

    path: str
    rest: np.ndarray  # (E, C) float32: frame 0, the nodes' TRS
    moving: np.ndarray  # (k,) the entities with a channel, ascending
    step: np.ndarray  # (k,) bool: STEP, else LINEAR
    counts: np.ndarray  # (k,) keys of each channel
    values: np.ndarray  # (sum counts, C) <f4: the kept keys, channel after channel
    key_rows: np.ndarray  # (U, F) bool: the distinct sets of key frames, in order of first use
    key_set_of: np.ndarray  # (k,) which set each channel uses
    digest: bytes  # channels_digest of the path


def lay_out(path: str, t: np.ndarray, arr: np.ndarray, cols: np.ndarray | None) -> Layout:
    """Plan one TRS path (:func:`plan_channel`) of the Timeline array ``arr`` (F, E', C), with entities
    reordered by ``cols``, and lay out its keys.  numpy and hashlib alone, so it runs on a thread beside
    the other paths."""
    values = np.asarray(arr, np.float32)
    if cols is not None:
        values = np.take(values, cols, axis=1)
    static, step, keep, out = plan_channel(t, values, path == "rotation")
    moving = np.nonzero(~static)[0]
    f_count, width = out.shape[0], out.shape[2]
    if not moving.size:
        empty = np.zeros(0, np.int64)
        return Layout(path, out[0], moving, empty.astype(bool), empty, np.zeros((0, width), "<f4"),
                       np.zeros((0, f_count), bool), empty, b"")
    kept = np.ascontiguousarray(keep.T)  # (E, F)
    kept[static] = False
    counts = kept.sum(axis=1)[moving]
    if counts.min() == f_count:
        # every key of every moving entity: a transposed copy, one component at a time (~3x faster than
        # numpy's transpose of (F, E, C) records)
        src = out[:, :moving.size] if moving[-1] == moving.size - 1 else np.take(out, moving, axis=1)
        vals = np.empty((moving.size, f_count, width), "<f4")
        for c in range(width):
            vals[:, :, c] = src[:, :, c].T
        vals = vals.reshape(-1, width)
    else:
        # (N, C), entity by entity, frames ascending: a mask on the transposed view is ~2x faster than
        # gathering by (frame, entity) index pairs
        vals = np.ascontiguousarray(out.transpose(1, 0, 2)[kept], dtype="<f4")
    rows = kept[moving]
    packed = np.packbits(rows, axis=1)
    if (packed == packed[0]).all():  # the same key frames for all (every frame, say)
        first, which = np.zeros(1, np.int64), np.zeros(moving.size, np.int64)
    else:
        _, first, which = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                                    return_index=True, return_inverse=True)
        by_use = np.argsort(first, kind="stable")  # number the sets in order of first use
        rank = np.empty_like(by_use)
        rank[by_use] = np.arange(by_use.size)
        first, which = first[by_use], rank[which.ravel()]
    sets = rows[first]
    set_times = np.broadcast_to(t.astype("<f4"), sets.shape)[sets]
    step = step[moving]
    return Layout(path, out[0], moving, step, counts, vals, sets, which,
                  channels_digest(path, moving, step, counts, which, set_times, vals))
