"""Scene-graph payloads: frozen dataclasses validated in ``__post_init__``.

Arrays are read-only numpy, float64 for transforms and keyframes (the
Timeline and meshes are float32).  Every invalid field raises
:class:`~scenegraph.errors.ModelError` naming the payload and the field.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from scenegraph.errors import ModelError
from scenegraph.model.gaussians import Gaussians
from scenegraph.model.jsonable import payload_to_json
from scenegraph.model.rotations import quat_normalize, trs_matrix

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


def _small_vector(value: Any, n: int) -> list[float] | None:
    """``value`` as n finite Python floats when it is a plain list/tuple of them, else None.

    The fast path for the small vectors that make up most of a scene (a
    Transform is three of them); anything else takes the general numpy path.
    """
    if type(value) not in (list, tuple) or len(value) != n:
        return None
    try:
        floats = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    return floats if all(map(math.isfinite, floats)) else None


def _array(value: Any, shape: tuple[int, ...], dtype: Any, what: str) -> np.ndarray:
    """A read-only copy of ``value`` as ``dtype`` with ``shape`` (-1 = any)."""
    if dtype is np.float64 and len(shape) == 1 and shape[0] > 0:
        floats = _small_vector(value, shape[0])
        if floats is not None:
            arr = np.array(floats)
            arr.setflags(write=False)
            return arr
    if (dtype is np.float64 and len(shape) == 2 and shape[0] > 0 and shape[1] > 0 and type(value) in (list, tuple)
            and len(value) == shape[0] and type(value[0]) in (list, tuple)):
        rows = [_small_vector(row, shape[1]) for row in value]
        if all(r is not None for r in rows):
            arr = np.array(rows)
            arr.setflags(write=False)
            return arr
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
        q = _small_vector(self.rotation, 4)
        if q is not None and abs(math.fsum(c * c for c in q) - 1.0) < 1e-15:
            rot = np.array(q)  # already unit length: keep the exact values
        else:
            rot = quat_normalize(_array(self.rotation, (4,), np.float64, "transform.rotation"))
        rot.setflags(write=False)
        _set(self, "rotation", rot)
        sc = _array(self.scale, (3,), np.float64, "transform.scale")
        if min(sc.tolist()) <= 0:
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
    """A perspective camera; looks down its local -Z, +Y up.

    ``yfov`` is the vertical field of view (radians); ``width`` x ``height``
    the image in pixels; ``aspect`` defaults to width / height and, when
    given, must agree with them to within a pixel.
    """

    yfov: float = math.radians(50.0)
    aspect: float | None = None
    znear: float = 0.1
    zfar: float = 1000.0
    width: int = 1280
    height: int = 720

    def __post_init__(self) -> None:
        _set(self, "yfov", _check_range(self.yfov, 1e-4, math.pi - 1e-4, "camera.yfov"))
        _set(self, "znear", _check_positive(self.znear, "camera.znear"))
        _set(self, "zfar", _check_positive(self.zfar, "camera.zfar"))
        if self.zfar <= self.znear:
            raise ModelError(f"camera.zfar: {self.zfar} must exceed znear {self.znear}")
        for f in ("width", "height"):
            v = getattr(self, f)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ModelError(f"camera.{f}: expected a positive integer, got {v!r}")
            _set(self, f, int(v))
        if self.aspect is None:
            _set(self, "aspect", self.width / self.height)
        else:
            a = _check_positive(self.aspect, "camera.aspect")
            if abs(a * self.height - self.width) > 1.0 and abs(self.width / a - self.height) > 1.0:
                raise ModelError(
                    f"camera.aspect: {a:.4f} disagrees with the image size {self.width}x{self.height} "
                    f"({self.width / self.height:.4f}); give width and height only, or make them agree"
                )
            _set(self, "aspect", a)

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
        if (b[1] < b[0]).any():
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
    return payload_to_json(obj)
