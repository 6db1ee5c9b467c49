"""What the USD writer and reader share: the stage layout, prim naming, unit conversions.

See :mod:`exporters.usd` for the layout and the conversions.
"""
from __future__ import annotations

import hashlib
import math
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from scenegraph.errors import FormatError
from scenegraph.model.rotations import quat_from_matrix

__all__ = ["SUFFIXES", "LIGHT_RADIUS", "check_usdz"]

SUFFIXES = (".usda", ".usdc", ".usd", ".usdz")
#: customData key on every prim we write, and the format marker on /World
KEY = "scenegraph"
MARKER = "scenegraph-usd"
VERSION = 1
ROOT = "/World"
PROTOTYPES = ROOT + "/Prototypes"
MATERIALS = ROOT + "/Materials"
OPS = ("xformOp:translate", "xformOp:orient", "xformOp:scale")
LIGHT_RADIUS = 0.05
MAX_PACKAGE_BYTES = 8 * 1024**3  # declared uncompressed size of all files in a .usdz
MAX_PACKAGE_FILES = 100_000
FILM_BACK = 0.24  # 24 mm in tenths of a metre
_NAME_RE = re.compile(r"[^A-Za-z0-9_]")


# --------------------------------------------------------------------------
# naming
# --------------------------------------------------------------------------


def prim_name(wanted: str, used: set[str]) -> str:
    """A valid USD prim name for ``wanted`` that is not in ``used`` (and is added to it)."""
    base = _NAME_RE.sub("_", wanted) or "_"
    if base[0].isdigit():
        base = "_" + base
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


# --------------------------------------------------------------------------
# transforms: digest of the authored ops (to tell an edited stage from ours)
# --------------------------------------------------------------------------


def xform_digest(ops: Iterable[tuple[str, Any, Any, Any]]) -> str:
    """Hex digest of xformOps given as (name, default (D,) or None, times (S,), values (S, D)).

    Computed by the writer from what it authors and by the reader from what it reads;
    equal digests mean the entity's motion was not edited.
    """
    h = hashlib.sha1()
    for name, default, times, values in ops:
        h.update(name.encode() + b"\0")
        h.update(b"-" if default is None else np.asarray(default, dtype="<f4").tobytes())
        h.update(np.asarray(times, dtype="<f8").tobytes())
        h.update(np.asarray(values, dtype="<f4").tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------
# cameras and lights: attribute values <-> model parameters
# --------------------------------------------------------------------------


def camera_attrs(cam: Any) -> dict[str, Any]:
    """UsdGeomCamera attribute values for CameraParams (floats; clippingRange a pair)."""
    return {
        "focalLength": 0.5 * FILM_BACK / math.tan(0.5 * cam.yfov),
        "horizontalAperture": FILM_BACK * cam.aspect,
        "verticalAperture": FILM_BACK,
        "clippingRange": (cam.znear, cam.zfar),
    }


def camera_params(attrs: dict[str, Any], width: int = 1280, height: int | None = None) -> dict[str, Any]:
    """CameraParams fields from UsdGeomCamera attribute values (inverse of :func:`camera_attrs`)."""
    f = float(attrs["focalLength"])
    h_ap = float(attrs["horizontalAperture"])
    v_ap = float(attrs["verticalAperture"])
    if not (f > 0 and h_ap > 0 and v_ap > 0):
        raise FormatError(f"camera focalLength {f} and apertures {h_ap} x {v_ap} must be positive")
    aspect = h_ap / v_ap
    near, far = (float(v) for v in attrs["clippingRange"])
    return {
        "yfov": 2.0 * math.atan(0.5 * v_ap / f),
        "aspect": aspect,
        "znear": near,
        "zfar": far,
        "width": int(width),
        "height": int(height if height is not None else max(1, round(width / aspect))),
    }


def light_attrs(light: Any) -> tuple[str, dict[str, Any]]:
    """(UsdLux type name, input values) for LightParams; see the module docstring."""
    attrs: dict[str, Any] = {"inputs:color": tuple(float(c) for c in light.color)}
    if light.type == "directional":
        attrs["inputs:intensity"] = float(light.intensity)
        return "DistantLight", attrs
    attrs["inputs:intensity"] = float(light.intensity) / (math.pi * LIGHT_RADIUS**2)
    attrs["inputs:radius"] = LIGHT_RADIUS
    attrs["treatAsPoint"] = True
    if light.type == "spot":
        outer = light.outer_cone_angle
        attrs["inputs:shaping:cone:angle"] = math.degrees(outer)
        attrs["inputs:shaping:cone:softness"] = (outer - light.inner_cone_angle) / outer
    return "SphereLight", attrs


def light_params(type_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """LightParams fields from UsdLux inputs (inverse of :func:`light_attrs`)."""
    color = np.clip(np.asarray(attrs.get("inputs:color", (1.0, 1.0, 1.0)), dtype=np.float64), 0.0, 1.0)
    intensity = float(attrs.get("inputs:intensity", 1.0)) * 2.0 ** float(attrs.get("inputs:exposure", 0.0))
    if type_name == "DistantLight":
        return {"type": "directional", "color": color.tolist(), "intensity": intensity}
    r = float(attrs.get("inputs:radius", LIGHT_RADIUS))
    out: dict[str, Any] = {"type": "point", "color": color.tolist(), "intensity": intensity * math.pi * r * r}
    angle = attrs.get("inputs:shaping:cone:angle")
    if angle is not None and float(angle) < 90.0:
        outer = max(math.radians(float(angle)), 1e-4)
        soft = min(max(float(attrs.get("inputs:shaping:cone:softness", 0.0)), 0.0), 1.0)
        out.update(type="spot", outer_cone_angle=outer, inner_cone_angle=outer * (1.0 - soft))
    return out


def material_inputs(mat: Any) -> dict[str, Any]:
    """UsdPreviewSurface input values for a Material (colour triples as tuples)."""
    return {
        "diffuseColor": tuple(float(c) for c in mat.base_color),
        "metallic": float(mat.metallic),
        "roughness": float(mat.roughness),
        "emissiveColor": tuple(float(c) for c in mat.emissive),
        "opacity": float(mat.alpha),
    }


#: UsdPreviewSurface input -> Material field
MATERIAL_FIELDS = {
    "diffuseColor": "base_color",
    "metallic": "metallic",
    "roughness": "roughness",
    "emissiveColor": "emissive",
    "opacity": "alpha",
}


def same_f32(read_value: Any, written_value: Any) -> bool:
    """True when a value read back equals what we would write, at float32 precision."""
    a = np.asarray(read_value, dtype=np.float32)
    b = np.asarray(written_value, dtype=np.float32)
    return a.shape == b.shape and bool(np.array_equal(a, b))


# --------------------------------------------------------------------------
# packages and matrices
# --------------------------------------------------------------------------


def tf_reason(exc: Exception) -> str:
    """The reason in a usd-core error (``Error in '...' at line N in file F : 'REASON'``), for a one-line message."""
    try:
        text = str(exc)
    except UnicodeDecodeError:  # usd-core quotes the file's own bytes, which need not be UTF-8
        return "the file holds text that is not UTF-8"
    reasons = re.findall(r" : '(.*?)'\s*(?:$|\n)", text)
    if reasons:
        return reasons[0].strip()[:300]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def check_usdz(path: Path) -> None:
    """Refuse a .usdz that is not a package or whose central directory declares absurd sizes.

    Checked before usd-core opens it: a zip archive, at least one file, the first a USD
    layer, entries stored uncompressed (the usdz rule) and fitting in the archive,
    relative names only.
    """
    size = path.stat().st_size
    try:
        if not zipfile.is_zipfile(path):
            raise FormatError("not a usdz package (no zip central directory)")
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a usdz package ({exc})") from None
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None
    if not infos:
        raise FormatError(f"{path}: the usdz package is empty")
    if len(infos) > MAX_PACKAGE_FILES:
        raise FormatError(f"{path}: the usdz package lists {len(infos)} files (more than {MAX_PACKAGE_FILES})")
    if Path(infos[0].filename).suffix.lower() not in (".usda", ".usdc", ".usd"):
        raise FormatError(f"{path}: the first file of a usdz package must be a USD layer, not {infos[0].filename!r}")
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts:
            raise FormatError(f"{path}: usdz entry {name!r} is not a relative path inside the package")
        if info.compress_type != zipfile.ZIP_STORED:
            raise FormatError(f"{path}: usdz entry {name!r} is compressed; usdz files must be stored uncompressed")
        if info.file_size != info.compress_size or info.file_size > size:
            raise FormatError(
                f"{path}: usdz entry {name!r} declares {info.file_size} bytes in a {size}-byte archive (absurd size)"
            )
        total += info.file_size
    if total > min(size, MAX_PACKAGE_BYTES):
        raise FormatError(f"{path}: usdz entries declare {total} bytes in a {size}-byte archive (absurd size)")


def quat_xyzw(q: Any) -> list[float]:
    im = q.GetImaginary()
    return [float(im[0]), float(im[1]), float(im[2]), float(q.GetReal())]


def gf_matrix_to_numpy(m: Any) -> np.ndarray:
    """Gf.Matrix4d (row-vector convention) as a column-vector numpy 4x4."""
    return np.array(m, dtype=np.float64).T


def decompose_trs(m: np.ndarray, what: str) -> tuple[list[float], list[float], list[float]]:
    """(translation, rotation xyzw, scale) of a column-vector TRS matrix; raises FormatError."""
    if not np.all(np.isfinite(m)):
        raise FormatError(f"{what}: transform has NaN or infinite values")
    basis = m[:3, :3]
    s = np.linalg.norm(basis, axis=0)
    if np.any(s < 1e-12):
        raise FormatError(f"{what}: transform has a zero scale")
    r = basis / s
    if np.linalg.det(r) < 0:
        raise FormatError(f"{what}: mirrored (negative-scale) transforms are not supported")
    return m[:3, 3].tolist(), quat_from_matrix(r).tolist(), s.tolist()


def finite_vec(value: Any, n: int, what: str) -> list[float]:
    """A Gf vector / tuple as n finite floats."""
    try:
        out = [float(v) for v in value]
    except (TypeError, ValueError):
        raise FormatError(f"{what}: expected {n} numbers, got {value!r}") from None
    if len(out) != n or not all(math.isfinite(v) for v in out):
        raise FormatError(f"{what}: expected {n} finite numbers, got {out}")
    return out


def time_samples(attr: Any, root_layer: Any) -> tuple[list[float], list[Any]]:
    """(times, values) of an attribute; read in one call from its spec when the root layer alone holds it."""
    from pxr import Usd

    stack = attr.GetPropertyStack(Usd.TimeCode.EarliestTime())
    if len(stack) == 1 and stack[0].layer == root_layer:
        samples = stack[0].GetInfo("timeSamples") if stack[0].HasInfo("timeSamples") else {}
        times = sorted(samples)
        return times, [samples[t] for t in times]
    query = Usd.AttributeQuery(attr)
    times = list(query.GetTimeSamples())
    return times, [query.Get(t) for t in times]


def gf_array(values: list[Any], n: int, what: str) -> np.ndarray:
    """Gf vectors (n = 3) or quaternions (n = 4, as xyzw) as a finite float64 array (S, n)."""
    from pxr import Vt

    if not values:
        return np.zeros((0, n))
    try:
        kind = type(values[0]).__name__
        array_type = {"Vec3f": Vt.Vec3fArray, "Vec3d": Vt.Vec3dArray, "Quatf": Vt.QuatfArray, "Quatd": Vt.QuatdArray}[kind]
        arr = np.asarray(array_type(values), dtype=np.float64)
    except (KeyError, TypeError):
        arr = np.array([quat_xyzw(v) if n == 4 else finite_vec(v, n, what) for v in values], dtype=np.float64)
    if arr.shape != (len(values), n):
        raise FormatError(f"{what}: expected {n} numbers per sample, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.argmax(~np.isfinite(arr).all(axis=1)))
        raise FormatError(f"{what}: sample {bad} is not finite ({arr[bad].tolist()})")
    return arr


class PayloadView:
    """Attribute access over a payload dict, for the conversion helpers in exporters.usd."""

    def __init__(self, d: dict) -> None:
        self.__dict__.update(d)


def material_value(name: str, value: Any) -> Any:
    """A PreviewSurface input as a Material field value (colours clipped to [0, 1])."""
    if name == "diffuseColor":
        return np.clip(value, 0.0, 1.0).tolist()
    if name == "emissiveColor":
        return np.clip(value, 0.0, None).tolist()
    return float(min(max(value, 0.0), 1.0))
