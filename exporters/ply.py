"""Gaussian splats in the INRIA 3DGS ``.ply`` layout, read and write.

Vertex properties, in this order: ``x y z [nx ny nz] f_dc_0..2 f_rest_0..M-1
opacity scale_0..2 rot_0..3``; ``f_rest`` is channel-major (all red rest
coefficients, then green, then blue), ``opacity`` is a logit, ``scale_*`` are
natural-log scales and ``rot_*`` an unnormalised (w, x, y, z) quaternion.
:class:`~scenegraph.model.gaussians.Gaussians` holds linear values and
xyzw unit quaternions, so reading converts; a cloud read from a file also
keeps the file's float32 columns (:class:`PlyGaussians`) and writing it back
uses them, so read -> write reproduces a canonical file bit for bit.

>>> import tempfile, os, numpy as np
>>> from scenegraph.model.gaussians import Gaussians
>>> g = Gaussians(np.zeros((1, 3)), [[0, 0, 0, 1]], [[0.1, 0.1, 0.1]], [0.5], np.zeros((1, 1, 3)))
>>> path = os.path.join(tempfile.mkdtemp(), "one.ply")
>>> write_ply(g, path)
>>> h = read_ply(path)
>>> bool(np.allclose(h.scales, g.scales, rtol=1e-6)), float(h.opacities[0])
(True, 0.5)
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scenegraph.model.gaussians import Gaussians
from scenegraph.errors import FormatError, ModelError
from scenegraph.model.files import atomic_write

__all__ = ["PlyGaussians", "read_ply", "write_ply", "ply_property_names"]

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_FORMATS = {"ascii": None, "binary_little_endian": "<", "binary_big_endian": ">"}
_MAX_HEADER = 1 << 20
_REQUIRED = ["x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
             "rot_0", "rot_1", "rot_2", "rot_3"]  # fmt: skip


@dataclass(frozen=True, eq=False)
class PlyGaussians(Gaussians):
    """Gaussians read from a ``.ply``, with the file's raw float32 columns (name -> (N,)).

    The columns are used by :func:`write_ply` only while they still decode to
    exactly this cloud's values, so a stale copy can never be written.
    """

    ply_columns: Any = field(default=None, repr=False, compare=False)


def ply_property_names(sh_degree: int, normals: bool = True) -> list[str]:
    """Vertex property names of the INRIA layout for an SH degree (0-3)."""
    k = (sh_degree + 1) ** 2
    names = ["x", "y", "z"] + (["nx", "ny", "nz"] if normals else []) + ["f_dc_0", "f_dc_1", "f_dc_2"]
    names += [f"f_rest_{i}" for i in range(3 * (k - 1))]
    return names + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]


@dataclass
class _Element:
    name: str
    count: int
    props: list[tuple[str, str]]  # (name, numpy type code); list properties are refused
    has_list: bool = False


def _parse_header(data: bytes, where: str) -> tuple[str | None, list[_Element], int]:
    """(byte order or None for ascii, elements, offset of the body); raises FormatError."""
    end = data.find(b"end_header", 0, _MAX_HEADER)
    if not data.startswith(b"ply") or end < 0:
        raise FormatError(f"{where}: not a PLY file (needs 'ply' first and 'end_header' within {_MAX_HEADER} bytes)")
    nl = data.find(b"\n", end)
    if nl < 0:
        raise FormatError(f"{where}: header ends without a newline after end_header")
    try:
        lines = data[:end].decode("ascii").replace("\r", "").split("\n")
    except UnicodeDecodeError:
        raise FormatError(f"{where}: header is not ASCII text") from None
    if lines[0].strip() != "ply":
        raise FormatError(f"{where}: first line must be 'ply', got {lines[0]!r}")
    fmt: str | None = None
    seen_format = False
    elements: list[_Element] = []
    for lineno, line in enumerate(lines[1:], start=2):
        words = line.split()
        if not words or words[0] in ("comment", "obj_info"):
            continue
        key = words[0]
        if key == "format":
            if seen_format or len(words) != 3 or words[1] not in _FORMATS or words[2] != "1.0":
                raise FormatError(f"{where}: header line {lineno}: bad format line {line!r} "
                                  f"(expected 'format ascii|binary_little_endian|binary_big_endian 1.0', once)")
            seen_format, fmt = True, _FORMATS[words[1]]
        elif key == "element":
            if len(words) != 3 or not re.fullmatch(r"\d+", words[2]):
                raise FormatError(f"{where}: header line {lineno}: bad element line {line!r}")
            elements.append(_Element(words[1], int(words[2]), []))
        elif key == "property":
            if not elements:
                raise FormatError(f"{where}: header line {lineno}: property before any element")
            el = elements[-1]
            if len(words) == 5 and words[1] == "list":
                if words[2] not in _TYPES or words[3] not in _TYPES:
                    raise FormatError(f"{where}: header line {lineno}: unknown list types in {line!r}")
                el.has_list = True
                el.props.append((words[4], "list"))
                continue
            if len(words) != 3 or words[1] not in _TYPES:
                raise FormatError(f"{where}: header line {lineno}: bad property {line!r} "
                                  f"(types: {', '.join(sorted(_TYPES))})")
            if any(p[0] == words[2] for p in el.props):
                raise FormatError(f"{where}: header line {lineno}: duplicate property {words[2]!r} in element {el.name!r}")
            el.props.append((words[2], _TYPES[words[1]]))
        else:
            raise FormatError(f"{where}: header line {lineno}: unknown keyword {key!r}")
    if not seen_format:
        raise FormatError(f"{where}: header has no format line")
    return fmt, elements, nl + 1


def _rest_count(names: set[str], where: str) -> int:
    rest = sorted(int(n[7:]) for n in names if re.fullmatch(r"f_rest_\d{1,6}", n))
    odd = sorted(n for n in names if n.startswith("f_rest_") and not re.fullmatch(r"f_rest_\d{1,6}", n))
    if odd:
        raise FormatError(f"{where}: vertex property {odd[0][:40]!r} is not f_rest_0..f_rest_44")
    if rest != list(range(len(rest))):
        missing = next(i for i, r in enumerate(rest) if r != i)  # the first index the sorted run skips
        raise FormatError(f"{where}: vertex property f_rest_{missing} is missing (f_rest_* must run 0..M-1)")
    k = 1 + len(rest) // 3
    if len(rest) % 3 or k not in (1, 4, 9, 16):
        raise FormatError(f"{where}: {len(rest)} f_rest properties is not 3 * ((degree+1)^2 - 1) for SH degree 0-3")
    return k


def _read_columns(data: bytes, where: str) -> dict[str, np.ndarray]:
    """Vertex columns (name -> (N,) float32, file order) of a PLY file's bytes; raises FormatError."""
    order, elements, offset = _parse_header(data, where)
    body = len(data) - offset
    for el in elements:
        if el.name == "vertex":
            vertex = el
            break
        if el.has_list or el.count and order is None:
            raise FormatError(f"{where}: element {el.name!r} before 'vertex' is not supported (list or ascii)")
        offset += el.count * sum(np.dtype(t).itemsize for _, t in el.props)
        body = len(data) - offset
    else:
        raise FormatError(f"{where}: no 'vertex' element in the header")
    if vertex.has_list:
        raise FormatError(f"{where}: list properties in the vertex element are not supported")
    names = [p[0] for p in vertex.props]
    for req in _REQUIRED:
        if req not in names:
            raise FormatError(f"{where}: required vertex property {req!r} is missing")
    _rest_count(set(names), where)
    n = vertex.count
    if order is None:
        # every ascii value takes at least one character and one separator
        if n * len(names) * 2 > body + 1:
            raise FormatError(f"{where}: header claims {n} vertices, more than the {body} bytes of data can hold")
        text = data[offset:].decode("ascii", errors="replace").split()
        if len(text) < n * len(names):
            raise FormatError(f"{where}: ascii body has {len(text)} values, {n} vertices x {len(names)} properties need {n * len(names)}")
        try:
            table = np.array(text[: n * len(names)], dtype=np.float64).reshape(n, len(names))
        except ValueError as exc:
            raise FormatError(f"{where}: ascii body holds a value that is not a number ({exc})") from None
        return {name: table[:, i].astype(np.float32) for i, name in enumerate(names)}
    dtype = np.dtype([(name, order + t) for name, t in vertex.props])
    if n * dtype.itemsize > body:
        raise FormatError(f"{where}: header claims {n} vertices x {dtype.itemsize} bytes, "
                          f"but only {body} bytes of data follow the header")
    records = np.frombuffer(data, dtype=dtype, count=n, offset=offset)
    return {name: records[name].astype(np.float32) for name in names}


def _decode(cols: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    """Gaussians fields from raw columns: linear opacity and scale, xyzw quats."""
    n = len(cols["x"])
    for name, col in cols.items():
        bad = ~np.isfinite(col)
        if bad.any():
            raise FormatError(f"{where}: vertex {int(np.argmax(bad))} has a NaN or infinite {name!r}")
    k = _rest_count(set(cols), where)
    sh = np.zeros((n, k, 3), dtype=np.float32)
    for c in range(3):
        sh[:, 0, c] = cols[f"f_dc_{c}"]
        for j in range(k - 1):
            sh[:, 1 + j, c] = cols[f"f_rest_{c * (k - 1) + j}"]
    logit = cols["opacity"].astype(np.float64)
    return {
        "means": np.stack([cols["x"], cols["y"], cols["z"]], axis=1),
        "quats": np.stack([cols["rot_1"], cols["rot_2"], cols["rot_3"], cols["rot_0"]], axis=1),
        "scales": np.exp(np.stack([cols[f"scale_{i}"] for i in range(3)], axis=1).astype(np.float64)).astype(np.float32),
        "opacities": (1.0 / (1.0 + np.exp(-logit))).astype(np.float32),
        "sh": sh,
    }


def read_ply(path: str | os.PathLike) -> PlyGaussians:
    """Read an INRIA-layout splat ``.ply`` (ascii or binary, either byte order, SH degree 0-3).

    Raises FormatError naming the problem: a malformed header, a missing
    property, a vertex count the file cannot hold (checked before anything is
    allocated), or a NaN / invalid parameter (with its vertex index).
    """
    from scenegraph.model.files import regular_file

    where = str(path)
    regular_file(path, "a splat .ply")  # a FIFO or a device would block or never end
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"{where}: cannot read ({exc.strerror or exc})") from None
    cols = _read_columns(data, where)
    fields = _decode(cols, where)
    for col in cols.values():
        col.setflags(write=False)
    try:
        return PlyGaussians(**fields, ply_columns=cols)
    except ModelError as exc:
        raise FormatError(f"{where}: {exc}") from None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _exact_inverse(target: np.ndarray, guess: np.ndarray, forward: Any) -> np.ndarray:
    """float32 raw values near ``guess`` whose decoding (float64 ``forward``, rounded to float32) is
    closest to ``target``: exact wherever some float32 within 3 ulps decodes exactly.

    log-scales and logits are coarser than the values they encode, so not every
    float32 scale or opacity has an exact raw value; those land on the nearest one.
    """
    target64 = target.astype(np.float64)
    best = guess.astype(np.float32)
    err = np.abs(forward(best.astype(np.float64)).astype(np.float32) - target64)
    for direction in (np.float32(np.inf), np.float32(-np.inf)):
        cand = best.copy()
        for _ in range(3):
            cand = np.nextafter(cand, direction)
            e = np.abs(forward(cand.astype(np.float64)).astype(np.float32) - target64)
            better = e < err
            best, err = np.where(better, cand, best), np.where(better, e, err)
    return best


def _encode(g: Gaussians, normals: bool) -> dict[str, np.ndarray]:
    """Raw columns of a cloud, in file order: exact float64 inverses rounded once to float32."""
    n, k = len(g), g.sh.shape[1]
    cols: dict[str, np.ndarray] = {"x": g.means[:, 0], "y": g.means[:, 1], "z": g.means[:, 2]}
    if normals:
        cols.update(nx=np.zeros(n, np.float32), ny=np.zeros(n, np.float32), nz=np.zeros(n, np.float32))
    for c in range(3):
        cols[f"f_dc_{c}"] = g.sh[:, 0, c]
    for c in range(3):
        for j in range(k - 1):
            cols[f"f_rest_{c * (k - 1) + j}"] = g.sh[:, 1 + j, c]
    o = np.clip(g.opacities.astype(np.float64), 1e-7, 1 - 1e-7)
    cols["opacity"] = _exact_inverse(g.opacities, np.log(o / (1.0 - o)), _sigmoid)
    for i in range(3):
        cols[f"scale_{i}"] = _exact_inverse(g.scales[:, i], np.log(g.scales[:, i].astype(np.float64)), np.exp)
    for i, j in enumerate((3, 0, 1, 2)):
        cols[f"rot_{i}"] = g.quats[:, j]
    return cols


def _columns_for(g: Gaussians, normals: bool) -> dict[str, np.ndarray]:
    names = ply_property_names(g.sh_degree, normals)
    raw = getattr(g, "ply_columns", None)
    if raw is not None and all(name in raw for name in names if name not in ("nx", "ny", "nz")):
        decoded = _decode(raw, "ply_columns")
        same = Gaussians(**decoded) == g
        if same:
            zeros = np.zeros(len(g), np.float32)
            return {name: raw.get(name, zeros) for name in names}
    cols = _encode(g, normals)
    return {name: cols[name] for name in names}


def write_ply(gaussians: Gaussians, path: str | os.PathLike, *, ascii: bool = False, normals: bool = True) -> None:
    """Write a cloud as an INRIA-layout ``.ply`` (binary little-endian unless ``ascii``), atomically.

    ``normals`` adds the ``nx ny nz`` columns other tools expect (zeros, or the
    file's own when the cloud came from :func:`read_ply`).  Raises FormatError
    when the folder does not exist.
    """
    if not isinstance(gaussians, Gaussians):
        raise FormatError(f"{path}: write_ply needs a Gaussians cloud, got {type(gaussians).__name__}")
    cols = _columns_for(gaussians, normals)
    n = len(gaussians)
    header = ["ply", f"format {'ascii' if ascii else 'binary_little_endian'} 1.0", f"element vertex {n}"]
    header += [f"property float {name}" for name in cols] + ["end_header", ""]
    head = "\n".join(header).encode("ascii")
    if ascii:
        buf = io.BytesIO()
        np.savetxt(buf, np.stack([c.astype(np.float64) for c in cols.values()], axis=1).reshape(n, len(cols)), fmt="%.9g")
        body = buf.getvalue()
    else:
        table = np.empty(n, dtype=np.dtype([(name, "<f4") for name in cols]))
        for name, col in cols.items():
            table[name] = col
        body = table.tobytes()
    atomic_write(path, head + body)
