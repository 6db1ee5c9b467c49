"""Safe reading of a glTF 2.0 container: GLB chunks, JSON, buffers and accessors.

Everything a file claims is checked before it is used: GLB header and chunk
lengths against the file size, buffer views and accessors against their
buffers, URIs against the file's folder (no absolute, remote or escaping
paths; ``data:`` URIs are fine).  Each problem raises
:class:`scenegraph.errors.FormatError` naming the file and the object.
"""
from __future__ import annotations

import base64
import binascii
import json
import mmap
import os
import re
import struct
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from exporters._gltf_common import CHUNK_BIN, CHUNK_JSON, COMPONENT_DTYPES, GLB_MAGIC, GLB_VERSION, TYPE_SIZES
from scenegraph.errors import FormatError
from scenegraph.model.files import file_size

__all__ = ["Container", "open_container", "safe_uri_path"]

MAX_FILE_BYTES = 1 << 32  # a GLB cannot be larger, nor may an external buffer be
MAX_JSON_BYTES = 512 << 20  # parsing JSON takes several times its size in memory
MAX_VIRTUAL_BYTES = 256 << 20  # an accessor without a buffer view reads as zeros: cap what it may allocate
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_NORMALIZED_SCALE = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}


def _read_file(path: Path, limit: int = 1 << 32, what: str = "a glTF file") -> bytes | memoryview:
    """The bytes of ``path`` (mapped when large), refusing files over ``limit`` bytes."""
    size = file_size(path, limit, what)
    try:
        with open(path, "rb") as fh:
            if os.name == "posix" and size > (1 << 20):
                # map instead of copying: splat arrays then share the page cache (POSIX lets the
                # file be replaced while mapped; the mapping lives as long as arrays use it)
                return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))[:size]
            return fh.read(size)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def _parse_json(raw: bytes | memoryview, where: str) -> dict:
    if len(raw) > MAX_JSON_BYTES:
        raise FormatError(f"{where}: {len(raw)} bytes of JSON is more than this reader accepts ({MAX_JSON_BYTES})")
    try:
        doc = json.loads(bytes(raw).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{where}: the JSON is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{where}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise FormatError(f"{where}: invalid JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise FormatError(f"{where}: the JSON top level must be an object, got {type(doc).__name__}")
    asset = doc.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(version, str) or not version.startswith("2."):
        raise FormatError(f"{where}: asset.version must be '2.x' (glTF 2.0), got {version!r}")
    return doc


def _parse_glb(data: bytes | memoryview, path: Path) -> tuple[dict, memoryview | None]:
    if len(data) < 12:
        raise FormatError(f"{path}: truncated GLB ({len(data)} bytes, the header alone needs 12)")
    magic, version, total = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC:
        raise FormatError(f"{path}: not a GLB file (wrong magic {bytes(data[:4])!r}, expected b'glTF')")
    if version != GLB_VERSION:
        raise FormatError(f"{path}: GLB container version {version} is not supported (only 2)")
    if total > len(data):
        raise FormatError(f"{path}: truncated GLB (header says {total} bytes, the file has {len(data)})")
    view = memoryview(data)[:total]
    offset = 12
    json_chunk: memoryview | None = None
    bin_chunk: memoryview | None = None
    index = 0
    while offset < total:
        if offset + 8 > total:
            raise FormatError(f"{path}: truncated GLB chunk header at byte {offset}")
        length, ctype = struct.unpack_from("<II", data, offset)
        start = offset + 8
        if start + length > total:
            raise FormatError(f"{path}: GLB chunk {index} length {length} runs past the end of the file (byte {total})")
        if index == 0:
            if ctype != CHUNK_JSON:
                raise FormatError(f"{path}: the first GLB chunk must be JSON (type 0x{ctype:08x})")
            json_chunk = view[start:start + length]
        elif ctype == CHUNK_BIN and bin_chunk is None:
            bin_chunk = view[start:start + length]
        offset = start + length
        index += 1
    if json_chunk is None:
        raise FormatError(f"{path}: GLB has no JSON chunk")
    return _parse_json(json_chunk, str(path)), bin_chunk


def safe_uri_path(uri: str, folder: Path, where: str) -> Path:
    """The file a relative URI names inside ``folder``; raises FormatError for absolute, remote or escaping URIs."""
    if not isinstance(uri, str) or not uri:
        raise FormatError(f"{where}: uri must be a non-empty string")
    text = urllib.parse.unquote(uri)
    if _SCHEME.match(text) or text.startswith(("/", "\\")) or "\0" in text:
        raise FormatError(f"{where}: uri {uri!r} is absolute or remote; only relative paths inside the file's folder are read")
    from exporters._confine import HINT, allowed_paths, is_inside

    base = folder.resolve()
    target = (base / text).resolve()
    if not is_inside(target, (base,) + allowed_paths()):
        raise FormatError(f"{where}: uri {uri!r} escapes the file's folder ({HINT})")
    return target


class Container:
    """A parsed glTF document with bounds-checked access to its buffers and accessors."""

    def __init__(self, path: Path, doc: dict, glb_bin: memoryview | None) -> None:
        self.path = path
        self.folder = path.parent if str(path.parent) else Path(".")
        self.doc = doc
        self.glb_bin = glb_bin
        self._buffers: dict[int, memoryview | bytes] = {}
        self._accessors: dict[int, np.ndarray] = {}

    def where(self, what: str) -> str:
        return f"{self.path}: {what}"

    def items(self, key: str) -> list:
        v = self.doc.get(key, [])
        if not isinstance(v, list):
            raise FormatError(self.where(f"'{key}' must be an array"))
        return v

    def item(self, key: str, index: Any, where: str) -> dict:
        arr = self.items(key)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(arr):
            raise FormatError(self.where(f"{where}: {key} index {index!r} is out of range (0..{len(arr) - 1})"))
        obj = arr[index]
        if not isinstance(obj, dict):
            raise FormatError(self.where(f"{key}[{index}] must be an object"))
        return obj

    def buffer(self, index: int) -> memoryview | bytes:
        if index in self._buffers:
            return self._buffers[index]
        buf = self.item("buffers", index, "buffer")
        length = _uint(buf.get("byteLength"), self.where(f"buffers[{index}].byteLength"))
        uri = buf.get("uri")
        if uri is None:
            if index != 0 or self.glb_bin is None:
                raise FormatError(self.where(f"buffers[{index}] has no uri and there is no GLB binary chunk"))
            data: memoryview | bytes = self.glb_bin
        elif isinstance(uri, str) and uri.startswith("data:"):
            head, _, payload = uri.partition(",")
            if not head.endswith(";base64"):
                raise FormatError(self.where(f"buffers[{index}]: only base64 data: URIs are supported"))
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise FormatError(self.where(f"buffers[{index}]: invalid base64 in data: URI")) from None
        else:
            target = safe_uri_path(uri, self.folder, self.where(f"buffers[{index}]"))
            try:
                size = target.stat().st_size
            except OSError:
                raise FormatError(self.where(f"buffers[{index}]: {uri!r} does not exist")) from None
            if size < length:
                raise FormatError(self.where(f"buffers[{index}]: {uri!r} has {size} bytes, byteLength says {length}"))
            data = _read_file(target, MAX_FILE_BYTES, "a glTF buffer")[:length]
        if len(data) < length:
            raise FormatError(self.where(f"buffers[{index}]: byteLength {length} is past the end of its data ({len(data)} bytes)"))
        data = memoryview(data)[:length]
        self._buffers[index] = data
        return data

    def view_bytes(self, index: int) -> tuple[memoryview, int | None]:
        view = self.item("bufferViews", index, "bufferView")
        where = f"bufferViews[{index}]"
        data = self.buffer(view.get("buffer"))
        offset = _uint(view.get("byteOffset", 0), self.where(f"{where}.byteOffset"))
        length = _uint(view.get("byteLength"), self.where(f"{where}.byteLength"))
        if offset + length > len(data):
            raise FormatError(self.where(f"{where}: bytes {offset}..{offset + length} are out of bounds of buffer {view.get('buffer')} ({len(data)} bytes)"))
        stride = view.get("byteStride")
        if stride is not None:
            stride = _uint(stride, self.where(f"{where}.byteStride"))
            if not 4 <= stride <= 252:
                raise FormatError(self.where(f"{where}.byteStride {stride} is outside 4..252"))
        return data[offset:offset + length], stride

    def accessor(self, index: Any, where: str) -> np.ndarray:
        """Accessor data as (count,) or (count, C); normalized integers become float32 in [0, 1] / [-1, 1]."""
        acc = self.item("accessors", index, where)
        if index in self._accessors:
            return self._accessors[index]
        name = f"accessors[{index}]"
        ctype = acc.get("componentType")
        if ctype not in COMPONENT_DTYPES:
            raise FormatError(self.where(f"{name}.componentType {ctype!r} is not a glTF component type"))
        if acc.get("type") not in TYPE_SIZES:
            raise FormatError(self.where(f"{name}.type {acc.get('type')!r} is not a glTF accessor type"))
        if "sparse" in acc:
            raise FormatError(self.where(f"{name}: sparse accessors are not supported"))
        dtype = COMPONENT_DTYPES[ctype]
        width = TYPE_SIZES[acc["type"]]
        count = _uint(acc.get("count"), self.where(f"{name}.count"))
        elem = width * dtype.itemsize
        if "bufferView" not in acc:
            if count * elem > MAX_VIRTUAL_BYTES:
                raise FormatError(self.where(f"{name}: {count} zero elements without a bufferView is too many"))
            arr = np.zeros((count, width), dtype)
        else:
            raw, stride = self.view_bytes(acc["bufferView"])
            stride = stride or elem
            if stride < elem:
                raise FormatError(self.where(f"{name}: byteStride {stride} is smaller than an element ({elem} bytes)"))
            offset = _uint(acc.get("byteOffset", 0), self.where(f"{name}.byteOffset"))
            need = offset + (stride * (count - 1) + elem if count else 0)
            if need > len(raw):
                raise FormatError(self.where(f"{name}: {count} elements from byte {offset} need {need} bytes, its bufferView has {len(raw)} (out of bounds)"))
            arr = np.ndarray((count, width), dtype=dtype, buffer=raw, offset=offset, strides=(stride, dtype.itemsize))
        if acc.get("normalized") and ctype in _NORMALIZED_SCALE:
            arr = np.maximum(arr.astype(np.float32) / np.float32(_NORMALIZED_SCALE[ctype]), -1.0).astype(np.float32)
        if width == 1:
            arr = arr[:, 0]
        self._accessors[index] = arr
        return arr


def _uint(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_FILE_BYTES * 4:
        raise FormatError(f"{where}: expected a non-negative integer, got {value!r}")
    return value


def open_container(path: str | os.PathLike) -> Container:
    """Parse ``path`` (.glb or .gltf, detected by content) into a :class:`Container`."""
    p = Path(path)
    data = _read_file(p)
    if bytes(data[:4]) == b"glTF":
        doc, binary = _parse_glb(data, p)
        return Container(p, doc, binary)
    if p.suffix.lower() == ".glb":
        raise FormatError(f"{p}: not a GLB file (wrong magic {bytes(data[:4])!r}, expected b'glTF')")
    return Container(p, _parse_json(data, str(p)), None)
