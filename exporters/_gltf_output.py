"""Binary layout and file output for :mod:`exporters.gltf_write`.

:class:`Buffer` lays numpy arrays out as 4-byte aligned buffer views and
accessors without concatenating them; :func:`write_glb` and
:func:`write_gltf` stream them to temporary files beside the target and
rename them into place, so a failed write leaves nothing behind.
"""
from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from exporters._gltf_common import CHUNK_BIN, CHUNK_JSON, DTYPE_COMPONENTS, GLB_MAGIC, GLB_VERSION, SIZE_TYPES
from scenegraph.errors import FormatError

__all__ = ["Buffer", "write_glb", "write_gltf"]

#: arrays this big are written with ndarray.tofile (a few syscalls of setup, then faster than fh.write)
_TOFILE_BYTES = 1 << 20


# --------------------------------------------------------------------------
# binary buffer
# --------------------------------------------------------------------------


class Buffer:
    """Buffer views and accessors over numpy arrays, laid out 4-byte aligned, written lazily."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []
        self.views: list[dict] = []
        self.accessors: list[dict] = []
        self.length = 0

    def view(self, data: Any, target: int | None = None, stride: int | None = None) -> int:
        nbytes = data.nbytes if isinstance(data, np.ndarray) else len(data)
        pad = (-self.length) % 4
        if pad:
            self.chunks.append(b"\0" * pad)
            self.length += pad
        v: dict[str, Any] = {"buffer": 0, "byteOffset": self.length, "byteLength": nbytes}
        if target is not None:
            v["target"] = target
        if stride is not None:
            v["byteStride"] = stride
        self.chunks.append(data)
        self.length += nbytes
        self.views.append(v)
        return len(self.views) - 1

    def accessor(self, arr: np.ndarray, *, target: int | None = None, minmax: bool = False,
                 view: int | None = None, offset: int = 0, count: int | None = None) -> int:
        """An accessor over ``arr`` (N,) or (N, C); a new view unless ``view`` is given."""
        arr = np.asarray(arr)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        width = 1 if arr.ndim == 1 else arr.shape[-1]
        if view is None:
            view = self.view(np.ascontiguousarray(arr), target)
        acc: dict[str, Any] = {
            "bufferView": view,
            "componentType": DTYPE_COMPONENTS[arr.dtype.str],
            "count": int(arr.shape[0]) if count is None else count,
            "type": SIZE_TYPES[width],
        }
        if offset:
            acc["byteOffset"] = offset
        if minmax:
            flat = arr.reshape(arr.shape[0], -1)
            # one column at a time: numpy reduces a strided column far faster than axis=0 of (N, 3)
            acc["min"] = [_num(flat[:, c].min()) for c in range(flat.shape[1])]
            acc["max"] = [_num(flat[:, c].max()) for c in range(flat.shape[1])]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def write_to(self, fh: BinaryIO) -> None:
        for c in self.chunks:
            if isinstance(c, np.ndarray) and c.nbytes >= _TOFILE_BYTES:
                fh.flush()
                np.ascontiguousarray(c).tofile(fh)  # measured ~30% faster than fh.write for 100 MB
            else:
                fh.write(np.ascontiguousarray(c) if isinstance(c, np.ndarray) else c)
        pad = (-self.length) % 4
        if pad:
            fh.write(b"\0" * pad)


def _num(x: Any) -> float | int:
    return int(x) if isinstance(x, (np.integer, int)) else float(x)


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def _temp(path: Path) -> tuple[BinaryIO, str]:
    """A temporary file beside ``path`` with the mode a plain open() would give (mkstemp's is 0600)."""
    from scenegraph.serialize import default_file_mode

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, default_file_mode())
    return os.fdopen(fd, "wb"), tmp


def _json_bytes(doc: dict, indent: bool = False) -> bytes:
    """The document as UTF-8 JSON, keys sorted (same document -> same bytes).

    orjson writes the ~1 MB document of a big scene ~5x faster than the json module. It writes NaN as
    null where json would refuse it; the writer's inputs are checked finite before they get here
    (payloads at construction, the Timeline and the splats by the writer), so none reaches the document.
    """
    try:
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0))
    except TypeError as exc:  # a value JSON cannot hold (a bad metadata type, a non-string key)
        raise FormatError(f"glTF document: {exc}") from None


def write_glb(path: Path, doc: dict, buf: Buffer) -> None:
    js = _json_bytes(doc)
    js += b" " * ((-len(js)) % 4)
    bin_len = buf.length + (-buf.length) % 4
    total = 12 + 8 + len(js) + (8 + bin_len if buf.length else 0)
    if total >= 2**32:
        raise FormatError(f"{path}: {total} bytes is more than a GLB can hold (4 GiB); write .gltf instead")
    fh, tmp = _temp(path)
    try:
        with fh:
            fh.write(struct.pack("<III", GLB_MAGIC, GLB_VERSION, total))
            fh.write(struct.pack("<II", len(js), CHUNK_JSON))
            fh.write(js)
            if buf.length:
                fh.write(struct.pack("<II", bin_len, CHUNK_BIN))
                buf.write_to(fh)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def write_gltf(path: Path, doc: dict, buf: Buffer, copies: list[tuple[Path, str]]) -> None:
    temps: list[tuple[str, Path]] = []
    try:
        if buf.length:
            bin_path = path.with_suffix(".bin")
            doc["buffers"][0]["uri"] = bin_path.name
            fh, tmp = _temp(bin_path)
            temps.append((tmp, bin_path))
            with fh:
                buf.write_to(fh)
        for src, name in copies:
            dest = path.parent / name
            if dest.exists() and os.path.samefile(src, dest):
                continue
            fh, tmp = _temp(dest)
            temps.append((tmp, dest))
            with fh, open(src, "rb") as fin:
                shutil.copyfileobj(fin, fh)
        fh, tmp = _temp(path)
        temps.append((tmp, path))
        with fh:
            fh.write(_json_bytes(doc, indent=True))
            fh.write(b"\n")
        for tmp, dest in temps:  # the .gltf itself last
            os.replace(tmp, dest)
    except BaseException:
        for tmp, _ in temps:
            _unlink(tmp)
        raise


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass
