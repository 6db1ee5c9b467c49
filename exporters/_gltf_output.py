"""Binary layout and file output for :mod:`exporters.gltf_write`.

:class:`Buffer` lays numpy arrays out as 4-byte aligned buffer views and
accessors without concatenating them; :func:`write_glb` and
:func:`write_gltf` write them (blocks reserved first, then writev) to
temporary files beside the target and rename them into place, so a failed
write leaves nothing behind.
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from exporters._gltf_common import CHUNK_BIN, CHUNK_JSON, DTYPE_COMPONENTS, GLB_MAGIC, GLB_VERSION, SIZE_TYPES
from scenegraph.errors import FormatError

__all__ = ["Buffer", "column_bounds", "write_glb", "write_gltf"]

#: buffers per writev call (Linux's IOV_MAX is 1024)
_IOV_BATCH = 512


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

    def accessor(self, arr: np.ndarray, *, target: int | None = None, minmax: bool | tuple = False,
                 view: int | None = None, offset: int = 0, count: int | None = None) -> int:
        """An accessor over ``arr`` (N,) or (N, C); a new view unless ``view`` is given.  ``minmax``: True to
        compute the accessor's min and max, or (min, max) lists computed already."""
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
        if isinstance(minmax, tuple):
            acc["min"], acc["max"] = minmax
        elif minmax:
            acc["min"], acc["max"] = column_bounds(arr.reshape(arr.shape[0], -1))
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def parts(self) -> list[Any]:
        """The buffer's bytes as a list of buffers (arrays and bytes, not joined), padded to 4 bytes."""
        out = [np.ascontiguousarray(c) if isinstance(c, np.ndarray) else c for c in self.chunks]
        pad = (-self.length) % 4
        if pad:
            out.append(b"\0" * pad)
        return out


def column_bounds(a: np.ndarray, block: int = 256) -> tuple[list, list]:
    """Per-column (min, max) of ``a`` (N, C) as Python numbers.

    numpy reduces axis 0 of (N, 3) with an inner loop of 3 (~40x slower than a flat reduction), so the
    rows are taken ``block`` at a time as (N / block, C * block): one fast reduction down that, a tiny one
    across the block, and the leftover rows on their own.
    """
    n, c = a.shape
    if n < 4 * block or not a.flags.c_contiguous:
        return [_num(a[:, k].min()) for k in range(c)], [_num(a[:, k].max()) for k in range(c)]
    m = n - n % block
    head = a[:m].reshape(-1, c * block)
    lo = head.min(axis=0).reshape(block, c).min(axis=0)
    hi = head.max(axis=0).reshape(block, c).max(axis=0)
    if m < n:
        lo = np.minimum(lo, a[m:].min(axis=0))
        hi = np.maximum(hi, a[m:].max(axis=0))
    return [_num(x) for x in lo], [_num(x) for x in hi]


def _num(x: Any) -> float | int:
    return int(x) if isinstance(x, (np.integer, int)) else float(x)


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def _temp(path: Path) -> tuple[BinaryIO, str]:
    """A temporary file beside ``path`` with the mode a plain open() would give (mkstemp's is 0600)."""
    from scenegraph.model.files import default_file_mode, temp_prefix

    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    os.chmod(tmp, default_file_mode())
    return os.fdopen(fd, "wb"), tmp


def _reserve(fd: int, nbytes: int, path: Path) -> None:
    """Ask the file system for ``nbytes`` of blocks up front (Linux fallocate, keeping the size), as numpy's
    tofile does: writing into reserved blocks is ~25% faster than allocating them page by page, and a
    full disk is reported before anything is written.  Elsewhere, or where the file system cannot, a no-op."""
    if _fallocate is None or nbytes <= 0:
        return
    if _fallocate(fd, 1, os.lseek(fd, 0, os.SEEK_CUR), nbytes) != 0:  # 1: FALLOC_FL_KEEP_SIZE
        if ctypes.get_errno() == errno.ENOSPC:
            raise OSError(errno.ENOSPC, f"not enough free space to write {nbytes} bytes", str(path))


def _write_all(fh: BinaryIO, parts: list[Any], path: Path) -> None:
    """Write ``parts`` (arrays and bytes) to ``fh`` in a few writev calls, with the blocks reserved first."""
    fh.flush()
    fd = fh.fileno()
    views = [v for v in (memoryview(p).cast("B") for p in parts) if len(v)]
    _reserve(fd, sum(len(v) for v in views), path)
    if not hasattr(os, "writev"):  # Windows
        for v in views:
            fh.write(v)
        return
    while views:
        batch = views[:_IOV_BATCH]
        done = os.writev(fd, batch)
        while done and views:  # drop what was written; a short write resumes mid-buffer
            if done >= len(views[0]):
                done -= len(views.pop(0))
            else:
                views[0] = views[0][done:]
                done = 0


def _libc_fallocate() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    fn.restype = ctypes.c_int
    return fn


_fallocate = _libc_fallocate()


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
            parts = [struct.pack("<III", GLB_MAGIC, GLB_VERSION, total), struct.pack("<II", len(js), CHUNK_JSON), js]
            if buf.length:
                parts.append(struct.pack("<II", bin_len, CHUNK_BIN))
                parts.extend(buf.parts())
            _write_all(fh, parts, path)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def bin_name(path: Path, parts: list[Any]) -> str:
    """The .bin beside a .gltf: ``NAME.<hash of its bytes>.bin``, so a .gltf can only ever name its own
    buffer (two writers of one .gltf at once never pair one's .gltf with the other's .bin) and the same
    scene still gives the same file names and bytes."""
    h = hashlib.blake2b(digest_size=6)
    for part in parts:
        h.update(memoryview(part).cast("B"))
    return f"{path.stem}.{h.hexdigest()}.bin"


class _OtherBins:
    """Removes the content-addressed buffers of the .gltf named ``stem`` other than ``keep``: the one it
    replaced, and any a writer racing this one published before this one's .gltf won (run under the
    folder's lock, right after the .gltf is in place, so no writer is between its .bin and its .gltf)."""

    def __init__(self, stem: str, keep: str | None) -> None:
        self.pattern = re.compile(re.escape(stem) + r"\.[0-9a-f]{12}\.bin")
        self.keep = keep

    def __call__(self, folder: Path) -> None:
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if name != self.keep and self.pattern.fullmatch(name):
                _unlink(str(folder / name))


def write_gltf(path: Path, doc: dict, buf: Buffer, copies: list[tuple[Path, str]]) -> None:
    from scenegraph.model.outputs import folder_lock, remove_when_replaced

    temps: list[tuple[str, Path]] = []
    try:
        if buf.length:
            parts = buf.parts()
            bin_path = path.with_name(bin_name(path, parts))
            doc["buffers"][0]["uri"] = bin_path.name
            fh, tmp = _temp(bin_path)
            temps.append((tmp, bin_path))
            with fh:
                _write_all(fh, parts, bin_path)
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
        with folder_lock(path.parent):  # a staging folder is private; an ordinary one may have other writers
            for tmp, dest in temps:  # the .gltf itself last
                os.replace(tmp, dest)
            # the buffers this .gltf no longer names: now, or once published (Outputs.commit)
            remove_when_replaced(path.parent, _OtherBins(path.stem, doc.get("buffers", [{}])[0].get("uri") if buf.length else None))
    except BaseException:
        for tmp, _ in temps:
            _unlink(tmp)
        raise


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass
