"""The scene model: entities, materials and trajectories in a networkx graph.

Payloads (:class:`Entity`, :class:`Material`, :class:`Trajectory`, ...) are
frozen dataclasses validated in ``__post_init__``; arrays are numpy, read-only,
float32 for geometry and float64 for time.  :class:`Scene` owns a
``networkx.DiGraph`` whose node ids are stable strings; every mutation goes
through a method that keeps the invariants (unique ids, one parent, no cycles,
edges between nodes of the right kinds) and raises :class:`ModelError` naming
the node and the field otherwise.

Conventions (DESIGN.md): metres, seconds, radians; +Y up, ground y = 0;
an entity's front faces +Z; quaternions are (x, y, z, w).
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import networkx as nx
import numpy as np

from scenegraph.errors import ModelError, NodeNotFoundError

__all__ = [
    "ENTITY_KINDS",
    "SPATIAL_RELATIONS",
    "EDGE_KINDS",
    "Transform",
    "Material",
    "CameraParams",
    "LightParams",
    "Dynamics",
    "Entity",
    "Trajectory",
    "Scene",
    "quat_normalize",
    "quat_multiply",
    "quat_rotate",
    "quat_from_axis_angle",
    "quat_to_matrix",
    "quat_from_yaw",
    "trs_matrix",
]

ENTITY_KINDS = ("object", "camera", "light")
SPATIAL_RELATIONS = (
    "on",
    "near",
    "left_of",
    "right_of",
    "in_front_of",
    "behind",
    "inside",
    "facing",
)
#: edge ``rel`` -> (source node kind, target node kind)
EDGE_KINDS: dict[str, tuple[str, str]] = {
    "material": ("entity", "material"),
    "follows": ("entity", "trajectory"),
    "parent": ("entity", "entity"),
    **{rel: ("entity", "entity") for rel in SPATIAL_RELATIONS},
}
_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$")


# --------------------------------------------------------------------------
# small numeric helpers (quaternions are x, y, z, w)
# --------------------------------------------------------------------------


def _array(value: Any, shape: tuple[int, ...], dtype: Any, what: str) -> np.ndarray:
    """A read-only copy of ``value`` as ``dtype`` with ``shape`` (-1 = any)."""
    try:
        arr = np.array(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{what}: not numeric ({exc})") from None
    if arr.shape != shape and (arr.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, arr.shape))):
        want = "x".join("N" if s == -1 else str(s) for s in shape)
        raise ModelError(f"{what}: expected shape ({want}), got {arr.shape}")
    if arr.dtype.kind == "f" and not math.isfinite(arr.sum()) and not np.isfinite(arr).all():
        raise ModelError(f"{what}: values must be finite, got {arr.tolist()!r:.200}")
    arr.setflags(write=False)
    return arr


def quat_normalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternion(s) (..., 4) xyzw; raises ModelError on a zero quaternion."""
    q = np.asarray(q, dtype=np.float64)
    n = np.sqrt(np.einsum("...i,...i->...", q, q))[..., None]
    if (n < 1e-12).any():
        raise ModelError("rotation: zero-length quaternion")
    return q / n


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a*b of xyzw quaternions, broadcasting over leading axes."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=-1,
    )


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector(s) v (..., 3) by unit quaternion(s) q (..., 4) xyzw."""
    q = np.asarray(q, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    u = q[..., :3]
    w = q[..., 3:4]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def quat_from_axis_angle(axis: Iterable[float], angle: float) -> np.ndarray:
    """Quaternion (4,) xyzw for a rotation of ``angle`` radians about ``axis``."""
    a = np.asarray(list(axis), dtype=np.float64)
    a = a / np.linalg.norm(a)
    s = math.sin(angle / 2.0)
    return np.array([a[0] * s, a[1] * s, a[2] * s, math.cos(angle / 2.0)])


def quat_from_yaw(yaw: np.ndarray | float) -> np.ndarray:
    """Quaternion(s) for rotations about +Y; yaw 0 faces +Z, pi/2 faces +X."""
    yaw = np.asarray(yaw, dtype=np.float64)
    half = yaw / 2.0
    z = np.zeros_like(half)
    return np.stack([z, np.sin(half), z, np.cos(half)], axis=-1)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix (..., 3, 3) of unit quaternion(s) (..., 4) xyzw."""
    q = np.asarray(q, dtype=np.float64)
    x, y, z, w = np.moveaxis(q, -1, 0)
    m = np.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
        ],
        axis=-1,
    )
    return m.reshape(q.shape[:-1] + (3, 3))


def trs_matrix(translation: np.ndarray, rotation: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """4x4 matrix (..., 4, 4) = T * R * S, the glTF node convention."""
    t = np.asarray(translation, dtype=np.float64)
    r = quat_to_matrix(rotation)
    s = np.asarray(scale, dtype=np.float64)
    shape = np.broadcast_shapes(t.shape[:-1], r.shape[:-2], s.shape[:-1])
    m = np.zeros(shape + (4, 4))
    m[..., :3, :3] = r * s[..., None, :]
    m[..., :3, 3] = t
    m[..., 3, 3] = 1.0
    return m


# --------------------------------------------------------------------------
# payloads
# --------------------------------------------------------------------------


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ModelError(
            f"{what}: id {value!r} is not valid (letters, digits, '_', '.', '-'; "
            "starting with a letter or '_'; at most 128 characters)"
        )
    return value


def _check_range(value: Any, lo: float, hi: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what}: expected a number, got {value!r}") from None
    if not (lo <= v <= hi):  # also false for NaN
        raise ModelError(f"{what}: {v} is outside [{lo}, {hi}]")
    return v


def _check_positive(value: Any, what: str) -> float:
    v = _check_range(value, 0.0, math.inf, what)
    if v <= 0.0 or math.isinf(v):
        raise ModelError(f"{what}: must be positive and finite, got {v}")
    return v


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, eq=False)
class Transform:
    """A rest pose relative to the parent: translation (3,), rotation (4,) xyzw, scale (3,)."""

    translation: Any = (0.0, 0.0, 0.0)
    rotation: Any = (0.0, 0.0, 0.0, 1.0)
    scale: Any = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        _set(self, "translation", _array(self.translation, (3,), np.float64, "transform.translation"))
        rot = _array(self.rotation, (4,), np.float64, "transform.rotation")
        rot = quat_normalize(rot)
        rot.setflags(write=False)
        _set(self, "rotation", rot)
        sc = _array(self.scale, (3,), np.float64, "transform.scale")
        if np.any(sc <= 0):
            raise ModelError(f"transform.scale: every component must be positive, got {sc.tolist()}")
        _set(self, "scale", sc)

    def matrix(self) -> np.ndarray:
        """4x4 float64 matrix T*R*S."""
        return trs_matrix(self.translation, self.rotation, self.scale)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Transform) and all(
            np.array_equal(getattr(self, f), getattr(other, f)) for f in ("translation", "rotation", "scale")
        )

    def to_dict(self) -> dict:
        return {
            "translation": self.translation.tolist(),
            "rotation": self.rotation.tolist(),
            "scale": self.scale.tolist(),
        }


@dataclass(frozen=True, eq=False)
class Material:
    """PBR metallic-roughness material; colours are linear RGB in [0, 1]."""

    id: str
    name: str = ""
    base_color: Any = (0.8, 0.8, 0.8)
    metallic: float = 0.0
    roughness: float = 0.5
    emissive: Any = (0.0, 0.0, 0.0)
    alpha: float = 1.0
    texture: str | None = None  # path or URI of a base-colour image, relative to the scene file

    def __post_init__(self) -> None:
        _check_id(self.id, "material")
        where = f"material {self.id!r}"
        if not self.name:
            _set(self, "name", self.id)
        for fname in ("base_color", "emissive"):
            arr = _array(getattr(self, fname), (3,), np.float64, f"{where}.{fname}")
            if np.any(arr < 0) or (fname == "base_color" and np.any(arr > 1)):
                raise ModelError(f"{where}.{fname}: components must lie in [0, 1], got {arr.tolist()}")
            _set(self, fname, arr)
        _set(self, "metallic", _check_range(self.metallic, 0, 1, f"{where}.metallic"))
        _set(self, "roughness", _check_range(self.roughness, 0, 1, f"{where}.roughness"))
        _set(self, "alpha", _check_range(self.alpha, 0, 1, f"{where}.alpha"))
        if self.texture is not None and not isinstance(self.texture, str):
            raise ModelError(f"{where}.texture: expected a path string, got {self.texture!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Material) and _payload_dict(self) == _payload_dict(other)


@dataclass(frozen=True, eq=False)
class CameraParams:
    """A perspective camera; looks down its local -Z, +Y up."""

    yfov: float = math.radians(50.0)
    aspect: float = 16.0 / 9.0
    znear: float = 0.1
    zfar: float = 1000.0
    width: int = 1280
    height: int = 720

    def __post_init__(self) -> None:
        _set(self, "yfov", _check_range(self.yfov, 1e-4, math.pi - 1e-4, "camera.yfov"))
        _set(self, "aspect", _check_positive(self.aspect, "camera.aspect"))
        _set(self, "znear", _check_positive(self.znear, "camera.znear"))
        _set(self, "zfar", _check_positive(self.zfar, "camera.zfar"))
        if self.zfar <= self.znear:
            raise ModelError(f"camera.zfar: {self.zfar} must exceed znear {self.znear}")
        for f in ("width", "height"):
            v = getattr(self, f)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ModelError(f"camera.{f}: expected a positive integer, got {v!r}")
            _set(self, f, int(v))

    def focal_px(self) -> float:
        """Focal length in pixels for ``height``."""
        return 0.5 * self.height / math.tan(0.5 * self.yfov)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CameraParams) and _payload_dict(self) == _payload_dict(other)


@dataclass(frozen=True, eq=False)
class LightParams:
    """A punctual light (KHR_lights_punctual): point, spot or directional; shines down local -Z."""

    type: Literal["point", "spot", "directional"] = "point"
    color: Any = (1.0, 1.0, 1.0)
    intensity: float = 100.0  # candela for point/spot, lux for directional
    range: float | None = None
    inner_cone_angle: float = 0.0
    outer_cone_angle: float = math.pi / 4.0

    def __post_init__(self) -> None:
        if self.type not in ("point", "spot", "directional"):
            raise ModelError(f"light.type: expected point, spot or directional, got {self.type!r}")
        col = _array(self.color, (3,), np.float64, "light.color")
        if np.any(col < 0) or np.any(col > 1):
            raise ModelError(f"light.color: components must lie in [0, 1], got {col.tolist()}")
        _set(self, "color", col)
        _set(self, "intensity", _check_range(self.intensity, 0, math.inf, "light.intensity"))
        if math.isinf(self.intensity):
            raise ModelError("light.intensity: must be finite")
        if self.range is not None:
            _set(self, "range", _check_positive(self.range, "light.range"))
        _set(self, "outer_cone_angle", _check_range(self.outer_cone_angle, 1e-4, math.pi / 2, "light.outer_cone_angle"))
        _set(self, "inner_cone_angle", _check_range(self.inner_cone_angle, 0, self.outer_cone_angle, "light.inner_cone_angle"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LightParams) and _payload_dict(self) == _payload_dict(other)


@dataclass(frozen=True, eq=False)
class Dynamics:
    """Rigid-body dynamics of a root entity.

    From ``start_time`` on the entity flies ballistically under ``gravity``
    (m/s^2, pointing -Y), starting from its state at that moment with
    ``velocity`` (m/s; ``None`` keeps the velocity it had on its trajectory),
    and bounces on the ground plane y = 0 with ``restitution`` (0..1, normal
    speed kept) and Coulomb ``friction`` (0..1) until it settles.
    """

    velocity: Any = None
    start_time: float = 0.0
    gravity: float = 9.81
    restitution: float = 0.5
    friction: float = 0.3
    mass: float = 1.0

    def __post_init__(self) -> None:
        if self.velocity is not None:
            _set(self, "velocity", _array(self.velocity, (3,), np.float64, "dynamics.velocity"))
        _set(self, "start_time", _check_range(self.start_time, 0, 1e9, "dynamics.start_time"))
        _set(self, "gravity", _check_range(self.gravity, 0, 1e4, "dynamics.gravity"))
        _set(self, "restitution", _check_range(self.restitution, 0, 1, "dynamics.restitution"))
        _set(self, "friction", _check_range(self.friction, 0, 1, "dynamics.friction"))
        _set(self, "mass", _check_positive(self.mass, "dynamics.mass"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dynamics) and _payload_dict(self) == _payload_dict(other)


@dataclass(frozen=True, eq=False)
class Entity:
    """An object, a camera or a light.

    ``cls`` is a lower-case English noun from the class catalogue (``car``,
    ``person``, ...); ``bounds`` is the local axis-aligned box (2, 3) in metres,
    origin at the bottom centre for objects; ``proxy`` names the proxy-mesh
    shape (defaults to ``cls``); ``gaussians`` is an
    :class:`scenegraph.appearance.Gaussians` in the entity's local frame.
    """

    id: str
    name: str = ""
    kind: Literal["object", "camera", "light"] = "object"
    cls: str = "thing"
    transform: Transform = field(default_factory=Transform)
    bounds: Any = ((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5))
    proxy: str | None = None
    camera: CameraParams | None = None
    light: LightParams | None = None
    dynamics: Dynamics | None = None
    gaussians: Any = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_id(self.id, "entity")
        where = f"entity {self.id!r}"
        if not self.name:
            _set(self, "name", self.id)
        if not isinstance(self.name, str):
            raise ModelError(f"{where}.name: expected a string, got {self.name!r}")
        if self.kind not in ENTITY_KINDS:
            raise ModelError(f"{where}.kind: expected one of {', '.join(ENTITY_KINDS)}, got {self.kind!r}")
        if not isinstance(self.cls, str) or not self.cls:
            raise ModelError(f"{where}.cls: expected a class noun, got {self.cls!r}")
        if isinstance(self.transform, Mapping):
            _set(self, "transform", Transform(**self.transform))
        if not isinstance(self.transform, Transform):
            raise ModelError(f"{where}.transform: expected a Transform, got {type(self.transform).__name__}")
        b = _array(self.bounds, (2, 3), np.float64, f"{where}.bounds")
        if np.any(b[1] < b[0]):
            raise ModelError(f"{where}.bounds: max {b[1].tolist()} is below min {b[0].tolist()}")
        _set(self, "bounds", b)
        if self.proxy is None:
            _set(self, "proxy", self.cls if self.kind == "object" else None)
        if self.kind == "camera":
            if self.camera is None:
                _set(self, "camera", CameraParams())
        elif self.camera is not None:
            raise ModelError(f"{where}.camera: only a camera entity has camera parameters")
        if self.kind == "light":
            if self.light is None:
                _set(self, "light", LightParams())
        elif self.light is not None:
            raise ModelError(f"{where}.light: only a light entity has light parameters")
        if self.camera is not None and not isinstance(self.camera, CameraParams):
            raise ModelError(f"{where}.camera: expected CameraParams")
        if self.light is not None and not isinstance(self.light, LightParams):
            raise ModelError(f"{where}.light: expected LightParams")
        if self.dynamics is not None and not isinstance(self.dynamics, Dynamics):
            raise ModelError(f"{where}.dynamics: expected Dynamics")
        if self.gaussians is not None:
            from scenegraph.appearance.gaussians import Gaussians

            if not isinstance(self.gaussians, Gaussians):
                raise ModelError(f"{where}.gaussians: expected Gaussians, got {type(self.gaussians).__name__}")
        if not isinstance(self.attributes, Mapping):
            raise ModelError(f"{where}.attributes: expected a mapping")
        _set(self, "attributes", dict(self.attributes))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entity) and _payload_dict(self) == _payload_dict(other)


_INTERPOLATIONS = ("linear", "smooth", "step")
_SPEED_PROFILES = ("keyframes", "constant", "ease")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Keyframed motion, in the parent's frame of the entity that follows it.

    ``times`` (K,) float64 seconds, strictly increasing; ``positions`` (K, 3);
    optional ``rotations`` (K, 4) xyzw and ``scales`` (K, 3).  Two consecutive
    keys at the same position are a pause (zero velocity).

    - ``interpolation``: ``linear``, ``smooth`` (Catmull-Rom) or ``step``.
    - ``speed``: ``keyframes`` (the key times rule), ``constant`` or ``ease``
      (each run of motion between pauses is re-timed by arc length: constant
      speed, or eased in and out, over the run's own start and end times).
    - ``heading``: ``tangent`` turns the entity (about +Y) to face along the
      path (its +Z along the velocity), ``keyframes`` uses ``rotations``,
      ``fixed`` keeps the entity's rest rotation.
    - ``loop``: repeat with period ``times[-1] - times[0]``; otherwise the first
      key holds before the start and the last after the end.
    """

    id: str
    times: Any
    positions: Any
    rotations: Any = None
    scales: Any = None
    interpolation: str = "linear"
    speed: str = "keyframes"
    heading: str = "fixed"
    loop: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_id(self.id, "trajectory")
        where = f"trajectory {self.id!r}"
        t = _array(self.times, (-1,), np.float64, f"{where}.times")
        if t.size == 0:
            raise ModelError(f"{where}.times: needs at least one keyframe")
        if np.any(np.diff(t) <= 0):
            bad = int(np.argmax(np.diff(t) <= 0)) + 1
            raise ModelError(f"{where}.times: must be strictly increasing (key {bad} at t={t[bad]} follows t={t[bad - 1]})")
        _set(self, "times", t)
        k = t.size
        _set(self, "positions", _array(self.positions, (k, 3), np.float64, f"{where}.positions"))
        if self.rotations is not None:
            r = _array(self.rotations, (k, 4), np.float64, f"{where}.rotations")
            r = quat_normalize(r)
            r.setflags(write=False)
            _set(self, "rotations", r)
        if self.scales is not None:
            s = _array(self.scales, (k, 3), np.float64, f"{where}.scales")
            if np.any(s <= 0):
                raise ModelError(f"{where}.scales: every component must be positive")
            _set(self, "scales", s)
        if self.interpolation not in _INTERPOLATIONS:
            raise ModelError(f"{where}.interpolation: expected one of {', '.join(_INTERPOLATIONS)}, got {self.interpolation!r}")
        if self.speed not in _SPEED_PROFILES:
            raise ModelError(f"{where}.speed: expected one of {', '.join(_SPEED_PROFILES)}, got {self.speed!r}")
        if self.heading not in ("tangent", "keyframes", "fixed"):
            raise ModelError(f"{where}.heading: expected tangent, keyframes or fixed, got {self.heading!r}")
        if self.heading == "keyframes" and self.rotations is None:
            raise ModelError(f"{where}.heading: 'keyframes' needs rotations")
        if not isinstance(self.loop, (bool, np.bool_)):
            raise ModelError(f"{where}.loop: expected true or false, got {self.loop!r}")
        _set(self, "loop", bool(self.loop))
        if self.loop and k < 2:
            raise ModelError(f"{where}.loop: a looping trajectory needs at least two keyframes")
        _set(self, "attributes", dict(self.attributes))

    @property
    def start(self) -> float:
        return float(self.times[0])

    @property
    def end(self) -> float:
        return float(self.times[-1])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trajectory) and _payload_dict(self) == _payload_dict(other)


def _payload_dict(obj: Any) -> dict:
    """Plain-Python dict of a payload dataclass (arrays as lists), for equality and JSON."""
    from scenegraph import serialize

    return serialize.payload_to_json(obj)


# --------------------------------------------------------------------------
# the scene
# --------------------------------------------------------------------------

_PAYLOAD_KIND = {Entity: "entity", Material: "material", Trajectory: "trajectory"}


class Scene:
    """A scene graph: entities, materials and trajectories, plus scene settings.

    >>> s = Scene(fps=24, duration=2.0)
    >>> _ = s.add_material(Material("mat_red", base_color=(0.8, 0.05, 0.05)))
    >>> _ = s.add_entity(Entity("car_1", cls="car"), material="mat_red")
    >>> s.material_of("car_1").id
    'mat_red'
    >>> [e.id for e in s.entities()]
    ['car_1']
    """

    def __init__(
        self,
        fps: float = 24.0,
        duration: float = 5.0,
        seed: int = 0,
        prompt: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._g = nx.DiGraph()
        self.fps = fps
        self.duration = duration
        self.seed = seed
        self.prompt = prompt
        self.metadata: dict[str, Any] = dict(metadata or {})

    # -- settings ----------------------------------------------------------
    @property
    def fps(self) -> float:
        return self._fps

    @fps.setter
    def fps(self, value: float) -> None:
        v = _check_range(value, 1e-3, 1e4, "scene.fps")
        self._fps = v

    @property
    def duration(self) -> float:
        return self._duration

    @duration.setter
    def duration(self, value: float) -> None:
        self._duration = _check_range(value, 0.0, 1e6, "scene.duration")

    @property
    def seed(self) -> int:
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ModelError(f"scene.seed: expected a non-negative integer, got {value!r}")
        self._seed = int(value)

    @property
    def frame_count(self) -> int:
        """Frames 0..n-1 at t = i / fps cover [0, duration]."""
        return int(math.floor(self.duration * self.fps + 1e-9)) + 1

    @property
    def graph(self) -> nx.DiGraph:
        """A read-only view of the graph (node attrs: ``kind``, ``data``; edge attr ``rel``)."""
        return self._g.copy(as_view=True)

    # -- queries -----------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def _node(self, node_id: str, kind: str | None = None) -> Any:
        if node_id not in self._g:
            want = kind or "node"
            raise NodeNotFoundError(f"no {want} with id {node_id!r} in the scene")
        attrs = self._g.nodes[node_id]
        if kind is not None and attrs["kind"] != kind:
            raise NodeNotFoundError(f"{node_id!r} is a {attrs['kind']}, not a {kind}")
        return attrs["data"]

    def node(self, node_id: str) -> Entity | Material | Trajectory:
        return self._node(node_id)

    def kind_of(self, node_id: str) -> str:
        self._node(node_id)
        return self._g.nodes[node_id]["kind"]

    def entity(self, entity_id: str) -> Entity:
        return self._node(entity_id, "entity")

    def material(self, material_id: str) -> Material:
        return self._node(material_id, "material")

    def trajectory(self, trajectory_id: str) -> Trajectory:
        return self._node(trajectory_id, "trajectory")

    def _of_kind(self, kind: str) -> list:
        return [d["data"] for _, d in self._g.nodes(data=True) if d["kind"] == kind]

    def entities(self, kind: str | None = None) -> list[Entity]:
        """Entities in insertion order, optionally only ``object``, ``camera`` or ``light``."""
        ents = self._of_kind("entity")
        return ents if kind is None else [e for e in ents if e.kind == kind]

    def materials(self) -> list[Material]:
        return self._of_kind("material")

    def trajectories(self) -> list[Trajectory]:
        return self._of_kind("trajectory")

    def cameras(self) -> list[Entity]:
        return self.entities("camera")

    def lights(self) -> list[Entity]:
        return self.entities("light")

    def _out(self, node_id: str, rel: str) -> list[str]:
        return [v for v in self._g.successors(node_id) if self._g.edges[node_id, v]["rel"] == rel]

    def material_of(self, entity_id: str) -> Material | None:
        self.entity(entity_id)
        ids = self._out(entity_id, "material")
        return self.material(ids[0]) if ids else None

    def trajectory_of(self, entity_id: str) -> Trajectory | None:
        self.entity(entity_id)
        ids = self._out(entity_id, "follows")
        return self.trajectory(ids[0]) if ids else None

    def parent_of(self, entity_id: str) -> Entity | None:
        self.entity(entity_id)
        for u in self._g.predecessors(entity_id):
            if self._g.edges[u, entity_id]["rel"] == "parent":
                return self.entity(u)
        return None

    def children_of(self, entity_id: str) -> list[Entity]:
        self.entity(entity_id)
        return [self.entity(v) for v in self._out(entity_id, "parent")]

    def users_of(self, node_id: str) -> list[Entity]:
        """Entities whose material or trajectory is ``node_id``."""
        self._node(node_id)
        return [self.entity(u) for u in self._g.predecessors(node_id) if self._g.edges[u, node_id]["rel"] in ("material", "follows")]

    def relations(self) -> list[tuple[str, str, str]]:
        """Spatial relations as (subject, rel, object), in insertion order."""
        return [(u, d["rel"], v) for u, v, d in self._g.edges(data=True) if d["rel"] in SPATIAL_RELATIONS]

    def topological_entities(self) -> list[Entity]:
        """Entities with every parent before its children (insertion order otherwise)."""
        order: list[Entity] = []
        seen: set[str] = set()

        def visit(e: Entity) -> None:
            if e.id in seen:
                return
            p = self.parent_of(e.id)
            if p is not None:
                visit(p)
            seen.add(e.id)
            order.append(e)

        for e in self.entities():
            visit(e)
        return order

    def world_matrix(self, entity_id: str) -> np.ndarray:
        """The rest-pose world matrix (4, 4) of an entity (parents' transforms applied)."""
        m = self.entity(entity_id).transform.matrix()
        p = self.parent_of(entity_id)
        while p is not None:
            m = p.transform.matrix() @ m
            p = self.parent_of(p.id)
        return m

    # -- mutations ---------------------------------------------------------
    def _add(self, payload: Any) -> None:
        kind = _PAYLOAD_KIND.get(type(payload))
        if kind is None:
            raise ModelError(f"cannot add a {type(payload).__name__} to a scene")
        if payload.id in self._g:
            raise ModelError(f"{kind} id {payload.id!r} is already used by a {self._g.nodes[payload.id]['kind']}")
        self._g.add_node(payload.id, kind=kind, data=payload)

    def add_material(self, material: Material) -> Material:
        self._add(material)
        return material

    def add_trajectory(self, trajectory: Trajectory) -> Trajectory:
        self._add(trajectory)
        return trajectory

    def add_entity(
        self,
        entity: Entity,
        *,
        material: str | None = None,
        parent: str | None = None,
        trajectory: str | None = None,
    ) -> Entity:
        """Add an entity and, optionally, its material, parent and trajectory edges.

        Raises ModelError if the id is taken or an edge is invalid; on error the
        scene is left unchanged.
        """
        if not isinstance(entity, Entity):
            raise ModelError(f"add_entity expects an Entity, got {type(entity).__name__}")
        for ref, kind in ((material, "material"), (parent, "entity"), (trajectory, "trajectory")):
            if ref is not None:
                self._node(ref, kind)
        self._add(entity)
        try:
            if material is not None:
                self.set_material(entity.id, material)
            if parent is not None:
                self.set_parent(entity.id, parent)
            if trajectory is not None:
                self.set_trajectory(entity.id, trajectory)
        except Exception:
            self._g.remove_node(entity.id)
            raise
        return entity

    def _replace_out_edge(self, entity_id: str, target: str | None, rel: str) -> None:
        self.entity(entity_id)
        if target is not None:
            self._node(target, EDGE_KINDS[rel][1])
        for v in self._out(entity_id, rel):
            self._g.remove_edge(entity_id, v)
        if target is not None:
            self._g.add_edge(entity_id, target, rel=rel)

    def set_material(self, entity_id: str, material_id: str | None) -> None:
        if material_id is not None and self.entity(entity_id).kind != "object":
            raise ModelError(f"entity {entity_id!r}.material: only objects have materials")
        self._replace_out_edge(entity_id, material_id, "material")

    def set_trajectory(self, entity_id: str, trajectory_id: str | None) -> None:
        self._replace_out_edge(entity_id, trajectory_id, "follows")

    def set_parent(self, entity_id: str, parent_id: str | None) -> None:
        """Make ``parent_id`` the parent of ``entity_id`` (None detaches); refuses cycles."""
        child = self.entity(entity_id)
        if parent_id is not None:
            self.entity(parent_id)
            if parent_id == entity_id:
                raise ModelError(f"entity {entity_id!r}.parent: an entity cannot be its own parent")
            p: Entity | None = self.entity(parent_id)
            while p is not None:
                if p.id == entity_id:
                    raise ModelError(f"entity {entity_id!r}.parent: {parent_id!r} is its descendant (cycle)")
                p = self.parent_of(p.id)
            if child.dynamics is not None:
                raise ModelError(f"entity {entity_id!r}.parent: an entity with dynamics must be a root")
        old = self.parent_of(entity_id)
        if old is not None:
            self._g.remove_edge(old.id, entity_id)
        if parent_id is not None:
            self._g.add_edge(parent_id, entity_id, rel="parent")

    def add_relation(self, subject: str, rel: str, obj: str) -> None:
        """Add a spatial relation edge ``subject --rel--> obj`` between two entities."""
        if rel not in SPATIAL_RELATIONS:
            raise ModelError(f"relation {rel!r}: expected one of {', '.join(SPATIAL_RELATIONS)}")
        self.entity(subject)
        self.entity(obj)
        if subject == obj:
            raise ModelError(f"relation {rel!r}: {subject!r} cannot relate to itself")
        if self._g.has_edge(subject, obj):
            old = self._g.edges[subject, obj]["rel"]
            raise ModelError(f"relation {subject!r} {rel} {obj!r}: an edge {old!r} already links them")
        self._g.add_edge(subject, obj, rel=rel)

    def remove_relation(self, subject: str, rel: str, obj: str) -> None:
        if not self._g.has_edge(subject, obj) or self._g.edges[subject, obj]["rel"] != rel:
            raise NodeNotFoundError(f"no relation {subject!r} {rel} {obj!r}")
        self._g.remove_edge(subject, obj)

    def update(self, node_id: str, **changes: Any) -> Any:
        """Replace fields of a node's payload (validated); returns the new payload.

        >>> s = Scene(); _ = s.add_entity(Entity("box"))
        >>> s.update("box", transform=Transform((1, 0, 0))).transform.translation.tolist()
        [1.0, 0.0, 0.0]
        """
        old = self._node(node_id)
        if "id" in changes and changes["id"] != node_id:
            raise ModelError(f"{node_id!r}.id: ids are stable and cannot be changed")
        unknown = set(changes) - {f.name for f in dataclasses.fields(old)}
        if unknown:
            raise ModelError(f"{node_id!r}: unknown field(s) {', '.join(sorted(unknown))}")
        new = dataclasses.replace(old, **changes)
        if isinstance(new, Entity):
            if new.dynamics is not None and self.parent_of(node_id) is not None:
                raise ModelError(f"entity {node_id!r}.dynamics: an entity with dynamics must be a root")
            if new.kind != "object" and self._out(node_id, "material"):
                raise ModelError(f"entity {node_id!r}.kind: a {new.kind} cannot keep a material")
        self._g.nodes[node_id]["data"] = new
        return new

    def remove(self, node_id: str, *, recursive: bool = False) -> None:
        """Remove a node and its edges.

        An entity with children needs ``recursive=True`` (children go too); a
        material or trajectory still used by an entity is refused.
        """
        kind = self.kind_of(node_id)
        if kind == "entity":
            kids = self.children_of(node_id)
            if kids and not recursive:
                raise ModelError(
                    f"entity {node_id!r} has children ({', '.join(k.id for k in kids)}); "
                    "remove them first or pass recursive=True"
                )
            for k in kids:
                self.remove(k.id, recursive=True)
        else:
            users = self.users_of(node_id)
            if users:
                raise ModelError(f"{kind} {node_id!r} is used by {', '.join(u.id for u in users)}")
        self._g.remove_node(node_id)

    # -- comparison and serialisation -------------------------------------
    def to_dict(self) -> dict:
        """The canonical JSON-ready dict (see :mod:`scenegraph.serialize`)."""
        from scenegraph import serialize

        return serialize.scene_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scene":
        from scenegraph import serialize

        return serialize.scene_from_dict(data)

    def save(self, path: Any) -> None:
        """Write ``scene.json`` atomically."""
        from scenegraph import serialize

        serialize.save_json(self, path)

    @classmethod
    def load(cls, path: Any) -> "Scene":
        from scenegraph import serialize

        return serialize.load_json(path)

    def copy(self) -> "Scene":
        return Scene.from_dict(self.to_dict())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scene) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        n = {k: 0 for k in ("entity", "material", "trajectory")}
        for _, d in self._g.nodes(data=True):
            n[d["kind"]] += 1
        return (
            f"<Scene {n['entity']} entities, {n['material']} materials, {n['trajectory']} trajectories, "
            f"{self.duration:g} s at {self.fps:g} fps>"
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._g.nodes)
