"""Shared glTF 2.0 pieces for :mod:`exporters.gltf_write` and :mod:`exporters.gltf_read`.

GLB container constants, accessor type tables, the motion digest that lets the
reader tell an untouched node from an edited one, and keyframe sampling
(LINEAR with slerp for rotations, STEP, CUBICSPLINE values).
"""
from __future__ import annotations

import hashlib
from typing import Iterable

import numpy as np

GLB_MAGIC = 0x46546C67  # b"glTF"
GLB_VERSION = 2
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
MODE_POINTS = 0
MODE_TRIANGLES = 4

EXT_LIGHTS = "KHR_lights_punctual"
EXT_SPLATS = "KHR_gaussian_splatting"
EXT_EMISSIVE_STRENGTH = "KHR_materials_emissive_strength"
SPLAT_PREFIX = EXT_SPLATS + ":"

#: componentType -> numpy little-endian dtype
COMPONENT_DTYPES = {
    5120: np.dtype("i1"),
    5121: np.dtype("u1"),
    5122: np.dtype("<i2"),
    5123: np.dtype("<u2"),
    5125: np.dtype("<u4"),
    5126: np.dtype("<f4"),
}
DTYPE_COMPONENTS = {np.dtype(v).str: k for k, v in COMPONENT_DTYPES.items()}
#: accessor type -> number of components
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
SIZE_TYPES = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}

_EPS32 = float(np.finfo(np.float32).eps)
PATH_WIDTH = {"translation": 3, "rotation": 4, "scale": 3}
IDENTITY = {
    "translation": np.zeros(3, np.float32),
    "rotation": np.array([0, 0, 0, 1], np.float32),
    "scale": np.ones(3, np.float32),
}


def motion_digest(rest: dict[str, np.ndarray], channels: dict[str, tuple[str, np.ndarray, np.ndarray]]) -> str:
    """The per-node motion digest that files written before :func:`scene_motion_digest` carry in each
    node's extras (``digest``): a node's rest TRS and its channels' keys, as float32 bytes.

    ``rest`` maps translation/rotation/scale to values; ``channels`` maps a path to (interpolation,
    times (K,), values (K, C)).  The reader still honours it.
    """
    h = hashlib.blake2b(b"".join(np.ascontiguousarray(rest[p], dtype="<f4").tobytes() for p in PATH_WIDTH), digest_size=12)
    for path in PATH_WIDTH:
        if path in channels:
            interpolation, times, values = channels[path]
            h.update(f"|{path}:{interpolation}|".encode())
            h.update(np.ascontiguousarray(times, dtype="<f4"))
            h.update(np.ascontiguousarray(values, dtype="<f4"))
    return h.hexdigest()


def scene_motion_digest(rests: np.ndarray, parts: Iterable[bytes]) -> str:
    """A short hash of every node's rest TRS and every animation key, as the writer laid them out.

    ``rests`` (N, 10) are the nodes' translation, rotation and scale (float32 bytes); ``parts`` are the
    :func:`channels_digest` of translation, rotation and scale, in that order, for those any node animates.
    The writer stores it in the scene's extras (``motion``); the reader recomputes it from the file
    (:func:`file_motion_digest`) to see whether anyone touched any motion since.  Whole arrays, so that
    writing a thousand animated nodes costs a few hash calls, not thousands.
    """
    h = hashlib.sha256(b"scenegraph motion 2|")
    h.update(np.ascontiguousarray(rests, "<f4"))
    for part in parts:
        h.update(part)
    return h.hexdigest()[:24]


def channels_digest(path: str, nodes: np.ndarray, step: np.ndarray, counts: np.ndarray, key_set_of: np.ndarray,
                    key_times: np.ndarray, values: np.ndarray) -> bytes:
    """The hash of one path's channels: the animated nodes in ascending order, whether each channel is
    STEP, its key count, which distinct set of key times it uses (numbered in order of first use), the
    times of those sets one after another, then all key values one channel after another."""
    h = hashlib.sha256(f"|{path}|".encode())
    for arr, dtype in ((nodes, "<i4"), (step, "u1"), (counts, "<i4"), (key_set_of, "<i4"), (key_times, "<f4"), (values, "<f4")):
        h.update(np.ascontiguousarray(arr, dtype))
    return h.digest()


def file_motion_digest(rests: list[dict[str, np.ndarray]], channels: dict[int, dict[str, tuple]]) -> str:
    """:func:`scene_motion_digest` of a parsed file: each node's rest (path -> values) in node order, and
    its channels (node -> path -> (interpolation, times, values))."""
    flat = np.array([np.concatenate([np.asarray(r[p], "<f4").reshape(-1) for p in PATH_WIDTH]) for r in rests], "<f4")
    parts = []
    for path, width in PATH_WIDTH.items():
        nodes = sorted(i for i, per in channels.items() if path in per)
        if not nodes:
            continue
        chans = [channels[i][path] for i in nodes]
        sets: dict[bytes, int] = {}
        set_of = []
        for c in chans:
            key = np.asarray(c[1], "<f4").tobytes()
            set_of.append(sets.setdefault(key, len(sets)))
        parts.append(channels_digest(path, np.array(nodes), np.array([c[0] == "STEP" for c in chans]),
                                     np.array([len(c[1]) for c in chans]), np.array(set_of),
                                     np.frombuffer(b"".join(sets), "<f4"),
                                     np.concatenate([np.asarray(c[2], "<f4").reshape(-1, width) for c in chans])))
    return scene_motion_digest(flat.reshape(len(rests), 10), parts)


def slerp(a: np.ndarray, b: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Shortest-path spherical interpolation of xyzw quaternions a, b (..., 4) at fractions u (...,)."""
    from scenegraph.world.trajectory import slerp as slerp_first

    q = slerp_first(np.moveaxis(np.asarray(a, np.float64), -1, 0), np.moveaxis(np.asarray(b, np.float64), -1, 0),
                    np.asarray(u, np.float64))
    return np.moveaxis(q, 0, -1)


def sample_keys(times: np.ndarray, values: np.ndarray, interpolation: str, at: Iterable[float], rotation: bool) -> np.ndarray:
    """Evaluate a glTF sampler at times ``at``: (M,) -> (M, C) float64.

    ``values`` (K, C) are key values (for CUBICSPLINE only the value part is
    passed); before the first key the first value holds, after the last the last.
    """
    t = np.asarray(times, np.float64)
    v = np.asarray(values, np.float64)
    at = np.asarray(at, np.float64)
    if t.size == 1:
        return np.repeat(v[:1], at.size, axis=0)
    hi = np.clip(np.searchsorted(t, at, side="right"), 1, t.size - 1)
    lo = hi - 1
    if interpolation == "STEP":
        idx = np.clip(np.searchsorted(t, at, side="right") - 1, 0, t.size - 1)
        return v[idx]
    u = np.clip((at - t[lo]) / (t[hi] - t[lo]), 0.0, 1.0)
    if rotation:
        return slerp(v[lo], v[hi], u)
    return v[lo] + (v[hi] - v[lo]) * u[:, None]


def any_last(b: np.ndarray) -> np.ndarray:
    """``b.any(axis=-1)`` for a short last axis (3 or 4), as column ORs: numpy's reduce over a short
    inner axis is many times slower."""
    out = b[..., 0].copy()
    for c in range(1, b.shape[-1]):
        out |= b[..., c]
    return out


def _max_last(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=-1)`` for a short last axis, as column maxima (see :func:`any_last`)."""
    out = x[..., 0].copy()
    for c in range(1, x.shape[-1]):
        np.maximum(out, x[..., c], out=out)
    return out


def tolerance(v: np.ndarray) -> np.ndarray:
    """Per-value tolerance: 1e-6, or a few float32 steps for large values (same dtype as ``v``)."""
    out = np.abs(v)  # in place from here: fresh (F, E, C) temporaries cost page faults
    out *= 4.0 * _EPS32
    out += 1e-6
    return out


def _interpolate(t: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray, rotation: bool) -> np.ndarray:
    """Values (F, E, C) that keys ``lo``/``hi`` (F, E) give by glTF LINEAR interpolation at frame times ``t``."""
    cols = np.arange(v.shape[1])[None, :]
    ta, tb = t[lo], t[hi]
    den = tb - ta
    u = np.where(den > 0, (t[:, None] - ta) / np.where(den > 0, den, 1.0), 0.0)
    a, b = v[lo, cols], v[hi, cols]
    if rotation:
        return slerp(a, b, u)
    return a + (b - a) * u[..., None]


def linear_keys(t: np.ndarray, v: np.ndarray, tol: np.ndarray, rotation: bool) -> np.ndarray:
    """Keys (F, E) bool to keep so that LINEAR interpolation (slerp for rotations) of ``v`` (F, E, C)
    at times ``t`` (F,) reproduces every frame within ``tol`` (F, E, C); first and last always kept.

    Rotations about +Y alone (headings) are planned on their unwrapped angle,
    where slerp is linear, with no segment turning by pi or more.
    """
    f_count, e_count, _ = v.shape
    keep = np.zeros((f_count, e_count), bool)
    keep[0] = keep[-1] = True
    if f_count <= 2 or e_count == 0:
        return keep
    if rotation:
        yaw = yaw_only(v)
        if yaw.any():
            keep[:, yaw] = yaw_keys(t, v[:, yaw, 1], v[:, yaw, 3])
        if not yaw.all():
            keep[:, ~yaw] = _refine(t, v[:, ~yaw], tol[:, ~yaw], True)
        return keep
    return _refine(t, v, tol, False)


def yaw_only(q: np.ndarray) -> np.ndarray:
    """Columns of xyzw quaternions ``q`` (F, E, 4) that turn about +Y alone (x and z stay 0), (E,) bool."""
    return ~(np.abs(q[..., 0]) > 1e-7).any(axis=0) & ~(np.abs(q[..., 2]) > 1e-7).any(axis=0)


def yaw_keys(t: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Keys (F, E) of headings given by the y and w components (F, E) of yaw-only quaternions: planned on
    the unwrapped angle, where slerp is linear, with no segment turning by pi or more."""
    angle = unwrap(2.0 * np.arctan2(np.asarray(y, np.float64), np.asarray(w, np.float64)), 4 * np.pi)[..., None]
    k = _refine(t, angle, np.full_like(angle, 2e-6), False)
    return _limit_turn(angle[..., 0], k)


def unwrap(a: np.ndarray, period: float) -> np.ndarray:
    """``np.unwrap(a, axis=0, period=period)`` for angles that move less than half a period a frame,
    in place: a few passes where numpy's takes a dozen (headings are planned for every entity)."""
    k = np.diff(a, axis=0)
    k *= 1.0 / period
    np.rint(k, out=k)
    if k.any():
        for f in range(1, k.shape[0]):  # a running sum down the frames, a row at a time: np.cumsum(axis=0)
            k[f] += k[f - 1]            # walks each column with a stride and is ~4x slower here
        k *= period
        a[1:] -= k
    return a


def _bounds(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every frame, the kept key at or before it and the one at or after it (F, E)."""
    f_count = keep.shape[0]
    rows = np.arange(f_count)[:, None]
    lo = np.maximum.accumulate(np.where(keep, rows, -1), axis=0)
    hi = np.minimum.accumulate(np.where(keep, rows, f_count)[::-1], axis=0)[::-1]
    return lo, hi


def _refine(t: np.ndarray, v: np.ndarray, tol: np.ndarray, rotation: bool) -> np.ndarray:
    f_count, e_count, _ = v.shape
    keep = np.zeros((f_count, e_count), bool)
    keep[0] = keep[-1] = True
    cols = np.arange(e_count)
    span = t[-1] - t[0]
    if not rotation and span > 0:
        # a column that the straight line between its ends reproduces needs no more keys (one broadcast,
        # where the rounds below gather per frame): constant-rate headings, straight moves
        line = v[-1] - v[0]
        line = line * ((t - t[0]) / span)[:, None, None]
        line += v[0]
        line -= v
        straight = ~any_last(np.abs(line, out=line) > tol).any(axis=0)
        if straight.all():
            return keep
        if straight.any():
            cols = np.nonzero(~straight)[0]
            v, tol = v[:, cols], tol[:, cols]
    sub = _refine_columns(t, v, tol, rotation)
    keep[:, cols] = sub
    return keep


def _refine_columns(t: np.ndarray, v: np.ndarray, tol: np.ndarray, rotation: bool) -> np.ndarray:
    f_count, e_count, _ = v.shape
    keep = np.zeros((f_count, e_count), bool)
    keep[0] = keep[-1] = True
    # each interior frame against the interpolation of its two neighbours
    u = ((t[1:-1] - t[:-2]) / (t[2:] - t[:-2]))[:, None]
    if rotation:
        pred = slerp(v[:-2], v[2:], np.broadcast_to(u, (f_count - 2, e_count)))
    else:
        pred = v[2:] - v[:-2]
        pred *= u[..., None]
        pred += v[:-2]
    pred -= v[1:-1]
    keep[1:-1] = any_last(np.abs(pred, out=pred) > tol[1:-1])
    cols = np.nonzero(~keep.all(axis=0))[0]  # a column keeping every key is exact already
    for _ in range(2 * int(np.log2(f_count)) + 8):
        if cols.size == 0:
            return keep
        sub = keep[:, cols]
        lo, hi = _bounds(sub)
        err = _max_last(np.abs(_interpolate(t, v[:, cols], lo, hi, rotation) - v[:, cols]) / tol[:, cols])
        bad = err > 1.0
        still = bad.any(axis=0)
        if not still.any():
            return keep
        # split every bad segment at its worst frame and at its middle: at most log2(F) rounds
        left = np.concatenate([np.full((1, sub.shape[1]), -np.inf), err[:-1]])
        right = np.concatenate([err[1:], np.full((1, sub.shape[1]), -np.inf)])
        sub |= bad & (err >= left) & (err >= right)
        f_idx, e_idx = np.nonzero(bad)
        sub[(lo[f_idx, e_idx] + hi[f_idx, e_idx]) // 2, e_idx] = True
        keep[:, cols] = sub
        cols = cols[still]
    keep[:, cols] = True
    return keep


def _limit_turn(angle: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Add a key wherever ``angle`` (F, E) enters a new quarter turn, so that no segment turns by pi
    or more (slerp would take the short way round)."""
    quarter = np.floor((angle - angle[:1]) / (np.pi / 2))
    keep[1:] |= quarter[1:] != quarter[:-1]
    return keep
