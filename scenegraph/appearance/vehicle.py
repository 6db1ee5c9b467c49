"""Vehicles made of parts: body, glass, trim, head- and tail lights as separate material roles, and
wheels as their own pieces that spin and steer.

``vehicle_parts(entity)`` splits the vehicle's proxy (the same builder and the
same fit to the entity's bounds as :func:`~scenegraph.appearance.proxy.proxy_mesh`)
into body meshes by role and a list of :class:`Wheel` (centre, radius, width,
whether it steers), plus one tyre and one rim mesh per wheel built about the
wheel's own centre.  ``wheel_track(scene, timeline, entity_id)`` is a pure
function of the Timeline: each wheel's rotation per frame, spin = distance
rolled / radius, front wheels yawed by the path's curvature
(steer = atan(wheelbase * curvature)).

>>> from scenegraph.model import Entity
>>> p = vehicle_parts(Entity("c", cls="car", bounds=((-0.9, 0, -2.25), (0.9, 1.5, 2.25))))
>>> sorted(r for r, _ in p.body), len(p.wheels), sum(w.steers for w in p.wheels)
(['body', 'glass', 'headlight', 'taillight'], 4, 2)
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.appearance.proxy import _BUILDERS, canonical_shape
from scenegraph.appearance.proxy_movers import DARK, GLASS, TRIM, TYRE
from scenegraph.appearance.shapes import Mesh, box_mesh, merge, rod, torus, transform_mesh, rotation_to

__all__ = ["Wheel", "VehicleParts", "PART_LOOKS", "vehicle_parts", "wheel_track", "wheel_keys", "moving_wheel_keys", "stands_still", "VEHICLES"]

#: classes whose proxy is split into parts with spinning wheels
VEHICLES = ("car", "van", "truck", "bus", "tram", "bicycle", "motorbike", "cart")
#: role -> (base colour linear RGB, metallic, roughness, emissive linear RGB); "body" is the entity's material
PART_LOOKS: dict[str, tuple[tuple, float, float, tuple]] = {
    "glass": ((0.05, 0.07, 0.09), 0.0, 0.05, (0.0, 0.0, 0.0)),
    "trim": ((0.04, 0.04, 0.045), 0.2, 0.6, (0.0, 0.0, 0.0)),
    "tyre": ((0.02, 0.02, 0.02), 0.0, 0.9, (0.0, 0.0, 0.0)),
    "rim": ((0.7, 0.7, 0.72), 1.0, 0.3, (0.0, 0.0, 0.0)),
    "headlight": ((1.0, 0.97, 0.85), 0.0, 0.1, (1.0, 0.95, 0.8)),
    "taillight": ((0.6, 0.02, 0.02), 0.0, 0.2, (1.0, 0.05, 0.03)),
}


@dataclass(frozen=True)
class Wheel:
    center: tuple[float, float, float]  # in the entity frame
    radius: float
    width: float
    steers: bool


@dataclass(frozen=True, eq=False)
class VehicleParts:
    body: tuple[tuple[str, Mesh], ...]  # (role, mesh) in the entity frame; role "body" first
    wheels: tuple[Wheel, ...]
    wheel_meshes: tuple[tuple[tuple[str, Mesh], ...], ...]  # per wheel: (tyre, rim) about its own centre


def _role(tint: Any) -> str:
    t = np.atleast_1d(np.asarray(tint, np.float64))
    if t.size == 3 and t.min() > 1.0:
        return "headlight"
    v = float(t.mean())
    if abs(v - TYRE) < 1e-6:
        return "tyre"
    if abs(v - GLASS) < 1e-6:
        return "glass"
    if abs(v - DARK) < 1e-6 or abs(v - TRIM) < 1e-6:
        return "trim"
    return "body"


def vehicle_parts(entity: Any) -> VehicleParts | None:
    """The parts of a vehicle entity (None for other classes)."""
    if entity.kind != "object":
        return None
    key = _shape(str(entity.proxy or entity.cls))
    if key not in VEHICLES:
        return None
    return _parts(key, tuple(np.asarray(entity.bounds, np.float64).ravel().tolist()))


@functools.lru_cache(maxsize=1024)
def _shape(name: str) -> str:
    return canonical_shape(name)


@functools.lru_cache(maxsize=128)
def _parts(key: str, bounds: tuple) -> VehicleParts:
    b = np.array(bounds).reshape(2, 3)
    raw = _BUILDERS[key]()
    allp = np.concatenate([m.positions for m, _ in raw]).astype(np.float64)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    scale = (b[1] - b[0]) / np.where(hi - lo > 0, hi - lo, 1.0)

    def fit(m: Mesh) -> Mesh:
        return transform_mesh(m, scale=scale, translate=b[0] - lo * scale)

    roles: dict[str, list[Mesh]] = {}
    wheels: list[Wheel] = []
    for m, tint in raw:
        role = _role(tint)
        if role == "tyre":
            mb = m.bounds.astype(np.float64)
            ext = mb[1] - mb[0]
            if ext[0] < min(ext[1], ext[2]):  # an axle along X: a wheel
                c = b[0] + ((mb[0] + mb[1]) / 2 - lo) * scale
                wheels.append(Wheel(tuple(c.tolist()), float(ext[1] / 2 * scale[1]), float(ext[0] * scale[0]), False))
                continue
        roles.setdefault(role, []).append(fit(m))
    if key in ("car", "van", "truck", "bus", "tram", "motorbike") and ("headlight" not in roles or "taillight" not in roles):
        body = merge(roles["body"]).bounds.astype(np.float64)
        w, y = body[1, 0] - body[0, 0], body[0, 1] + 0.55 * (body[1, 1] - body[0, 1]) * (0.6 if key in ("car", "van") else 0.3)
        size = (0.16 * w, 0.05 * (body[1, 1] - body[0, 1]) + 0.02, 0.03)
        for role, z in (("headlight", body[1, 2] - 0.012), ("taillight", body[0, 2] + 0.012)):
            if role not in roles:
                roles[role] = [box_mesh((sx * 0.32 * w - size[0] / 2, y - size[1] / 2, z - size[2] / 2),
                                        (sx * 0.32 * w + size[0] / 2, y + size[1] / 2, z + size[2] / 2)) for sx in (-1, 1)]
    if wheels:
        zs = [w.center[2] for w in wheels]
        front = max(zs)
        wheels = [Wheel(w.center, w.radius, w.width, abs(w.center[2] - front) < 1e-6 and len(set(np.round(zs, 6))) > 1)
                  for w in wheels]
    order = ["body"] + sorted(r for r in roles if r != "body")
    body_parts = tuple((r, merge(roles[r])) for r in order if r in roles)
    meshes = []
    for w in wheels:
        thin = key in ("bicycle", "motorbike")
        if thin:
            tyre = transform_mesh(torus(w.radius * 0.88, w.radius * 0.12, 6, 20), rotate=rotation_to((1.0, 0.0, 0.0)))
            rim = rod((-w.width * 0.2, 0, 0), (w.width * 0.2, 0, 0), w.radius * 0.18, 10)
        else:
            tyre = rod((-w.width / 2, 0, 0), (w.width / 2, 0, 0), w.radius, 20)
            rim = rod((-w.width / 2 - 0.004, 0, 0), (w.width / 2 + 0.004, 0, 0), w.radius * 0.6, 10)
        meshes.append((("tyre", tyre), ("rim", rim)))
    return VehicleParts(body_parts, tuple(wheels), tuple(meshes))


def wheel_track(scene: Any, timeline: Any, entity_id: str, parts: VehicleParts | None = None) -> np.ndarray | None:
    """Each wheel's local rotation (F, W, 4) xyzw float32 over the Timeline, or None for non-vehicles.

    Spin about the wheel's axle (+X) by distance rolled forward / radius; steering wheels also yaw by
    atan(wheelbase * curvature), curvature = yaw rate / speed, clipped to +-0.6 rad.
    """
    keys = wheel_keys(scene, timeline, entity_id, parts, max_turn=math.inf)
    return None if keys is None else keys[1]


def wheel_keys(scene: Any, timeline: Any, entity_id: str, parts: VehicleParts | None = None,
               max_turn: float = 2.5) -> tuple[np.ndarray, np.ndarray] | None:
    """Key times (K,) and wheel rotations (K, W, 4) float32: :func:`wheel_track` at every frame, with keys
    added between frames wherever a wheel turns more than ``max_turn`` radians in one (a fast car's
    wheels would otherwise interpolate the short way round, backwards)."""
    parts = parts or vehicle_parts(scene.entity(entity_id))
    if parts is None or not parts.wheels:
        return None
    # the glTF and USD writers of one build share a Timeline: the keys are worked out once per vehicle
    memo = timeline.__dict__.setdefault("_wheel_keys", {}) if hasattr(timeline, "__dict__") else {}
    key = (entity_id, float(max_turn), parts.wheels)
    if key not in memo:
        memo[key] = _wheel_keys(timeline, entity_id, parts, max_turn)
    t, out = memo[key]
    return t.copy(), out.copy()


def stands_still(timeline: Any, j: int) -> bool:
    """Whether entity column ``j`` of ``timeline`` keeps one pose at every frame, and has no parent to carry
    it: a parked car, whose wheels never turn."""
    return not (timeline.parents and timeline.parents[j] >= 0) and all(
        np.all(a[:, j] == a[:1, j]) for a in (timeline.position, timeline.rotation, timeline.scale))


def _wheel_keys(timeline: Any, entity_id: str, parts: VehicleParts, max_turn: float) -> tuple[np.ndarray, np.ndarray]:
    from scenegraph.appearance.gait import _entity_matrices, _smooth, _unit
    from scenegraph.model.rotations import quat_multiply

    j = timeline.index(entity_id)
    t = np.asarray(timeline.time, np.float64)
    if stands_still(timeline, j):  # a parked car: no roll, no steer, every wheel at rest; what the sums below give
        return t, np.broadcast_to(np.float32([0.0, 0.0, 0.0, 1.0]), (t.size, len(parts.wheels), 4)).copy()
    M = _entity_matrices(timeline, j)
    unit = _unit(M)
    fwd = M[:, :3, 2] / np.maximum(np.linalg.norm(M[:, :3, 2], axis=1, keepdims=True), 1e-12)
    step = np.diff(M[:, :3, 3], axis=0)
    ds = np.concatenate([[0.0], np.einsum("fi,fi->f", step, fwd[1:]) / unit[1:]])
    dist = np.cumsum(ds)
    yaw = np.unwrap(np.arctan2(fwd[:, 0], fwd[:, 2]))
    dyaw = np.concatenate([[0.0], np.diff(yaw)])
    n = max(1, int(round(0.2 * float(timeline.fps))))
    sds = np.abs(_smooth(ds, n))
    curv = _smooth(dyaw, n) / np.maximum(sds, 1e-3) * (sds > 1e-4)
    zs = [w.center[2] for w in parts.wheels]
    base = max(max(zs) - min(zs), 1e-6)
    steer = np.clip(np.arctan(base * curv), -0.6, 0.6)
    r_min = min(w.radius for w in parts.wheels)
    sub = int(math.ceil(np.abs(ds).max() / max(r_min, 1e-9) / max_turn)) if np.isfinite(max_turn) and t.size > 1 else 1
    if sub > 1:  # sub-frame keys, the distance and steering linear in between
        tk = np.concatenate([np.linspace(t[i], t[i + 1], sub, endpoint=False) for i in range(t.size - 1)] + [t[-1:]])
        dist, steer, t = np.interp(tk, t, dist), np.interp(tk, t, steer), tk
    out = np.empty((t.size, len(parts.wheels), 4))
    for k, w in enumerate(parts.wheels):
        a = dist / w.radius * 0.5
        spin = np.stack([np.sin(a), np.zeros_like(a), np.zeros_like(a), np.cos(a)], axis=-1)
        if w.steers:
            h = steer * 0.5
            yq = np.stack([np.zeros_like(h), np.sin(h), np.zeros_like(h), np.cos(h)], axis=-1)
            spin = quat_multiply(yq, spin)
        out[:, k] = spin
    return t, out.astype(np.float32)


def moving_wheel_keys(keys: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`wheel_keys` for the writers: None when no wheel ever turns (a parked car: its wheels keep their rest
    pose, and a file gets no hundred-odd keys that never change)."""
    if keys is None or not np.any(keys[1] != keys[1][:1]):
        return None
    return keys


def spin_rate(wheel: Wheel, speed: float) -> float:
    """Radians per second a wheel of ``wheel.radius`` turns at ``speed`` m/s."""
    return speed / wheel.radius if wheel.radius > 0 else math.inf
