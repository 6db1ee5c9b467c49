"""Reading USD files safely: crate pre-checks, confinement of layer references, and a bounded reader.

usd-core trusts the sizes a ``.usdc`` crate declares; a damaged one can make it allocate tens of
gigabytes or spin for many seconds before it reports an error.  So a USD file is read in three
steps:

1. :func:`check_crate` checks the crate's header, table of contents and section headers against
   the file size (for a ``.usdz``, every crate inside it), and
   :func:`exporters._usda_scan.check_usda_file` the brackets, strings and comments of every text
   layer (usd-core's text parser can spend seconds on a stray ``[`` in a large array), in this
   process, before usd-core sees it (the layers it references: in the reader child, before each opens);
2. in a child process (see :mod:`exporters._usd_worker`: forked from a warm worker that has
   usd-core imported, so a read costs milliseconds more, not an interpreter start) with its
   address space capped (:func:`memory_limit`) and a deadline (:func:`time_limit`),
   :func:`check_layer_references` opens the root layer and every layer it reaches with ``Sdf``
   and refuses any sublayer, reference, payload, value clip or asset path outside the allowed
   folders (see :mod:`exporters._confine`) before the stage is composed;
3. the child composes and reads the stage and hands the Scene back pickled.

A child that runs out of memory, time, or crashes becomes a FormatError naming the file.  Where
``os.fork`` does not exist (Windows), or with ``SCENEGRAPH_USD_SANDBOX=spawn``, the reader process
reads each file itself instead of forking: the time limit kills that process, and its memory is
capped where the OS has ``resource`` limits (Linux); elsewhere a RuntimeWarning says, once, that the
read is bounded in time only (see :func:`sandbox_mode`).  Set ``SCENEGRAPH_USD_SANDBOX=0`` to read
in this process instead (the same pre-checks, no bounds).
"""
from __future__ import annotations

import atexit
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from scenegraph.errors import FormatError
from scenegraph.model.limits import env_number

__all__ = ["check_crate", "check_layer_references", "read_bounded", "memory_limit", "time_limit", "sandbox_mode", "sandbox_enabled"]

CRATE_MAGIC = b"PXR-USDC"
_BOOTSTRAP = 88  # ident[8], version[8], tocOffset int64, reserved int64[8]
_SECTION = 32  # name[16], start int64, size int64
_SECTIONS = {b"TOKENS", b"STRINGS", b"FIELDS", b"FIELDSETS", b"PATHS", b"SPECS"}
_MAX_RATIO = 256  # LZ4 expands at most ~255x
_LAYER_SUFFIXES = (".usd", ".usda", ".usdc", ".usdz")


def memory_limit(size: int) -> int:
    """Bytes of address space a read of a ``size``-byte file may take beyond the reader's own:
    64 x the file, at least 512 MB (``SCENEGRAPH_USD_READ_MB`` sets the floor)."""
    floor = int(env_number("SCENEGRAPH_USD_READ_MB", 512)) << 20
    return max(floor, 64 * size)


def time_limit(size: int) -> float:
    """Seconds a read of a ``size``-byte file may take: 10 s plus 1 s per MB (``SCENEGRAPH_USD_READ_S`` sets the 10)."""
    return env_number("SCENEGRAPH_USD_READ_S", 10.0) + size / 1e6


# --------------------------------------------------------------------------
# 1. crate pre-checks (no usd-core)
# --------------------------------------------------------------------------


def check_crate(path: Path) -> None:
    """FormatError unless every crate in ``path`` (a binary .usd/.usdc, or inside a .usdz) declares a header,
    table of contents and sections that fit the bytes it has."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if path.suffix.lower() == ".usdz":
                _check_usdz_crates(path, fh)
            elif head == CRATE_MAGIC:
                fh.seek(0, os.SEEK_END)
                _check_crate_at(fh, 0, fh.tell(), str(path))
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _check_usdz_crates(path: Path, fh: Any) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a usdz package ({exc})") from None
    for info in infos:
        # the local header: 30 bytes, then the name and the extra field
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise FormatError(f"{path}: usdz entry {info.filename!r} has no valid local header")
        name_len, extra_len = struct.unpack_from("<HH", local, 26)
        start = info.header_offset + 30 + name_len + extra_len
        fh.seek(start)
        if fh.read(8) == CRATE_MAGIC:
            _check_crate_at(fh, start, info.file_size, f"{path}[{info.filename}]")


def _check_crate_at(fh: Any, base: int, size: int, where: str) -> None:
    if size < _BOOTSTRAP:
        raise FormatError(f"{where}: truncated USD crate ({size} bytes, the header alone needs {_BOOTSTRAP})")
    fh.seek(base)
    boot = fh.read(_BOOTSTRAP)
    if len(boot) < _BOOTSTRAP:
        raise FormatError(f"{where}: truncated USD crate header")
    major, minor = boot[8], boot[9]
    if major != 0 or minor > 32:
        raise FormatError(f"{where}: USD crate version {major}.{minor}.{boot[10]} is not one usd-core writes")
    (toc,) = struct.unpack_from("<q", boot, 16)
    if not _BOOTSTRAP <= toc <= size - 8:
        raise FormatError(f"{where}: the crate's table of contents at byte {toc} is outside the file ({size} bytes)")
    fh.seek(base + toc)
    (count,) = struct.unpack("<Q", fh.read(8))
    if count > 64 or toc + 8 + count * _SECTION > size:
        raise FormatError(f"{where}: the crate's table of contents declares {count} sections, more than {size - toc - 8} bytes hold")
    raw = fh.read(count * _SECTION)
    seen = set()
    for i in range(count):
        name_raw, start, length = struct.unpack_from("<16sqq", raw, i * _SECTION)
        name = name_raw.split(b"\0", 1)[0]
        label = name.decode("ascii", "replace")[:16]
        if name not in _SECTIONS:
            raise FormatError(f"{where}: unknown crate section {label!r}")
        if name in seen:
            raise FormatError(f"{where}: crate section {label} is listed twice")
        seen.add(name)
        if start < _BOOTSTRAP or length < 0 or start + length > toc:
            raise FormatError(f"{where}: crate section {label} (bytes {start}..{start + length}) lies outside the data before the table of contents ({toc})")
        _check_section(fh, base + start, length, name, label, where)
    missing = _SECTIONS - seen
    if missing:
        raise FormatError(f"{where}: the crate has no {', '.join(sorted(m.decode() for m in missing))} section")


def _check_section(fh: Any, start: int, length: int, name: bytes, label: str, where: str) -> None:
    """The element counts a section starts with, against its length (each element takes at least a
    bit of compressed data, which LZ4 expands at most ~255x)."""
    fh.seek(start)
    head = fh.read(min(length, 32))
    if len(head) < 8:
        raise FormatError(f"{where}: crate section {label} is too short ({length} bytes)")
    (count,) = struct.unpack_from("<Q", head, 0)
    if name == b"STRINGS":
        ok = 8 + 4 * count <= length
    elif name == b"TOKENS":
        if len(head) < 24:
            raise FormatError(f"{where}: crate section TOKENS is too short ({length} bytes)")
        raw_size, packed = struct.unpack_from("<QQ", head, 8)
        ok = count <= raw_size <= _MAX_RATIO * packed + 64 and packed <= length - 24
    else:
        ok = count <= 8 * _MAX_RATIO * length
    if not ok:
        raise FormatError(f"{where}: crate section {label} declares {count} entries, more than its {length} bytes can hold")


# --------------------------------------------------------------------------
# 2. confinement of layer references (usd-core's Sdf only: nothing is composed)
# --------------------------------------------------------------------------


def _asset_paths(value: Any, out: list[str]) -> None:
    from pxr import Sdf

    if isinstance(value, Sdf.AssetPath):
        if value.path:
            out.append(value.path)
    elif isinstance(value, dict):
        if _may_hold_assets(value.values()):
            for v in value.values():
                _asset_paths(v, out)
    elif isinstance(value, Sdf.AssetPathArray) or isinstance(value, (list, tuple)):
        if _may_hold_assets(value):
            for v in value:
                _asset_paths(v, out)


_LEAF_TYPES: set[type] = set()  # value types that never hold an asset path (numbers, strings, Gf and Vt values)


def _may_hold_assets(values: Any) -> bool:
    """False when every value is of a type that cannot hold an asset path (one pass in C over the types:
    a time-sample dict of 240 vectors is settled without a Python call per sample)."""
    if not _LEAF_TYPES:
        from pxr import Gf, Sdf, Vt

        _LEAF_TYPES.update((bool, int, float, str, bytes, type(None), Sdf.Path, Sdf.ValueBlock))
        for module in (Gf, Vt):
            _LEAF_TYPES.update(t for t in vars(module).values()
                               if isinstance(t, type) and t.__module__.startswith("pxr.") and "Asset" not in t.__name__
                               and "Dictionary" not in t.__name__ and "Value" not in t.__name__)
    return not _LEAF_TYPES.issuperset(set(map(type, values)))


def _layer_asset_paths(layer: Any) -> list[tuple[str, str]]:
    """(where, authored asset path) of everything ``layer`` names: sublayers, references, payloads, and
    asset values and metadata (value clips, textures) of every spec."""
    from pxr import Sdf

    found: list[tuple[str, str]] = [("subLayers", p) for p in layer.subLayerPaths]
    # what usd-core itself will open to compose (a safety net under the walk below)
    found += [("composition", p) for p in layer.GetCompositionAssetDependencies() if p]
    for key in ("customLayerData",):
        vals: list[str] = []
        _asset_paths(layer.pseudoRoot.GetInfo(key) if layer.pseudoRoot.HasInfo(key) else None, vals)
        found += [(key, v) for v in vals]
    specs: list[Any] = []
    layer.Traverse(Sdf.Path.absoluteRootPath, specs.append)
    for spec_path in specs:
        spec = layer.GetObjectAtPath(spec_path)
        if isinstance(spec, Sdf.VariantSpec):
            spec = spec.primSpec  # a variant's own references and payloads live on its prim spec
        if spec is None:
            continue
        where = str(spec_path)
        keys = spec.ListInfoKeys()
        if isinstance(spec, Sdf.PrimSpec):
            for key, listop in (("references", "referenceList"), ("payload", "payloadList")):
                if key not in keys:
                    continue
                listop = getattr(spec, listop)
                for items in (listop.explicitItems, listop.prependedItems, listop.appendedItems, listop.addedItems, listop.orderedItems):
                    found += [(f"{where} {key}", item.assetPath) for item in items if item.assetPath]
        for key in keys:
            if key in ("references", "payload", "specifier", "typeName"):
                continue
            vals = []
            try:
                _asset_paths(spec.GetInfo(key), vals)
            except Exception:  # a value Python cannot convert: not an asset path
                continue
            found += [(f"{where} {key}", v) for v in vals]
        # an attribute's time samples are its "timeSamples" field, scanned above (once: GetInfo converts them all)
    return found


def _outer_file(resolved: str) -> str:
    """The file system path of a (possibly package-relative, ``a.usdz[b.usda]``) layer path."""
    return resolved.split("[", 1)[0] if resolved.endswith("]") and "[" in resolved else resolved


def check_layer_references(path: Path, roots: list[Path]) -> None:
    """Open ``path``'s root layer and every layer it reaches with Sdf (no composition) and refuse any
    sublayer, reference, payload, clip or asset path outside ``path``'s folder and ``roots``."""
    from pxr import Sdf

    from exporters._confine import HINT, is_inside
    from exporters._usda_scan import check_usda_file

    base = path.resolve().parent
    allowed = (base,) + tuple(roots)
    queue = [str(path.resolve())]
    seen: set[str] = set()
    checked: set[Path] = set()
    while queue:
        layer_path = queue.pop()
        if layer_path in seen:
            continue
        seen.add(layer_path)
        outer_file = Path(_outer_file(layer_path))
        if layer_path != str(path.resolve()) and outer_file not in checked:  # the root layer was checked before the fork
            checked.add(outer_file)
            check_usda_file(outer_file)
        layer = Sdf.Layer.FindOrOpen(layer_path)
        if layer is None:
            raise FormatError(f"{layer_path}: not a readable USD layer")
        for what, authored in _layer_asset_paths(layer):
            where = f"{Path(_outer_file(layer_path)).name if layer_path != str(path.resolve()) else path}: {what}"
            if authored.startswith("`") or "${" in authored:
                raise FormatError(f"{where}: asset path {authored[:200]!r} is an expression; not followed ({HINT})")
            if "://" in authored or authored.startswith(("file:", "http:", "https:")):
                raise FormatError(f"{where}: asset path {authored[:200]!r} is a URL ({HINT})")
            anchored = layer.ComputeAbsolutePath(authored)
            outer = Path(_outer_file(anchored))
            if not outer.is_absolute():  # unresolvable (a search path): it would be looked up elsewhere
                raise FormatError(f"{where}: asset path {authored[:200]!r} does not resolve inside {base} ({HINT})")
            if not is_inside(outer.resolve(), allowed):
                raise FormatError(f"{where}: asset path {authored[:200]!r} is outside the folder {base} ({HINT})")
            if Path(_outer_file(anchored)).suffix.lower() in _LAYER_SUFFIXES or anchored.endswith("]"):
                if not outer.exists():
                    raise FormatError(f"{where}: layer {authored[:200]!r} does not exist")
                if Path(anchored.rstrip("]").rsplit("[", 1)[-1]).suffix.lower() in _LAYER_SUFFIXES or not anchored.endswith("]"):
                    queue.append(anchored)


# --------------------------------------------------------------------------
# 3. the bounded read (parent side)
# --------------------------------------------------------------------------

_lock = threading.Lock()
_worker: "_Worker | None" = None
#: peak resident memory (kB) of the last bounded reader child (benchmarks/fuzz.py reports it)
last_child_peak_kb = 0
_START_S = 120.0  # the worker's start-up (importing usd-core), not counted in a read's time limit
_warned_spawn = False


def sandbox_mode() -> str:
    """How USD files are read: ``"fork"`` (a child forked per read from a warm reader process, capped in
    memory and time: Linux, macOS), ``"spawn"`` (where ``os.fork`` does not exist, e.g. Windows, or
    ``SCENEGRAPH_USD_SANDBOX=spawn``: the reader process reads each file itself; the time limit kills it,
    and its memory is capped only where the OS has ``resource`` limits; a RuntimeWarning says so once
    where it has not) or ``"off"`` (``SCENEGRAPH_USD_SANDBOX=0``: in this process, pre-checks only)."""
    env = os.environ.get("SCENEGRAPH_USD_SANDBOX", "1").strip().lower()
    if env in ("0", "off", "no", "false"):
        return "off"
    if env == "spawn" or not hasattr(os, "fork") or sys.platform == "win32":
        return "spawn"
    return "fork"


def sandbox_enabled() -> bool:
    """Whether USD files are read in a separate, bounded process (``sandbox_mode() != "off"``)."""
    return sandbox_mode() != "off"


def _memory_capped_in_spawn_mode() -> bool:
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return sys.platform.startswith("linux")  # macOS accepts RLIMIT_AS but does not enforce it


class _Worker:
    """The reader process and a thread that queues its reply lines (portable: no select on pipes)."""

    def __init__(self) -> None:
        import queue

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")  # a single-threaded worker forks safely
        env.setdefault("MALLOC_ARENA_MAX", "2")  # glibc reserves 64 MB of address space per thread arena
        self.proc = subprocess.Popen([sys.executable, "-m", "exporters._usd_worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)
        self.lines: "queue.Queue[bytes | None]" = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        self.ready = False

    @staticmethod
    def _pump(stream: Any, lines: Any) -> None:
        try:
            for line in stream:
                lines.put(line)
        except (OSError, ValueError):
            pass
        lines.put(None)  # end of output: the process is gone

    def readline(self, timeout: float) -> tuple[str, bytes | None]:
        """("line", bytes), ("eof", None) or ("timeout", None) within ``timeout`` seconds."""
        import queue

        try:
            line = self.lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return "timeout", None
        return ("eof", None) if line is None else ("line", line)

    def send(self, request: dict) -> bool:
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=10)
        except Exception:
            pass

    def stop(self) -> None:
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=2)
        except Exception:
            self.kill()


def _stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


atexit.register(_stop_worker)


def _forget_worker_after_fork() -> None:
    """A forked child must not share the parent's reader process (two writers on one pipe)."""
    global _worker, _lock
    _worker = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker_after_fork)


def _ready_worker() -> "_Worker | None":
    """The reader process, started if needed and past its start-up (None if it cannot start)."""
    global _worker
    for _ in (0, 1):
        if _worker is None or not _worker.alive():
            _worker = _Worker()
        if _worker.ready:
            return _worker
        kind, line = _worker.readline(_START_S)
        if kind == "line" and b'"ready"' in (line or b""):
            _worker.ready = True
            return _worker
        _worker.kill()
        _worker = None
    return None


def _warn_spawn() -> None:
    global _warned_spawn
    if _warned_spawn or _memory_capped_in_spawn_mode():
        return
    _warned_spawn = True
    import warnings

    warnings.warn("USD files are read in a separate process bounded in time only: this platform cannot fork it "
                  "or cap its memory (a damaged file may take much memory before it fails)", RuntimeWarning, stacklevel=4)


def read_bounded(path: Path, roots: list[Path]) -> Any:
    """The Scene in the USD file ``path``, read in a bounded reader process (see the module docstring
    and :func:`sandbox_mode`)."""
    global _worker, last_child_peak_kb
    size = path.stat().st_size
    mem, seconds = memory_limit(size), time_limit(size)
    fork = sandbox_mode() == "fork"
    if not fork:
        _warn_spawn()
    request = {"path": str(path), "roots": [str(r) for r in roots], "memory": mem, "seconds": seconds, "fork": fork}
    with _lock:
        out_dir = tempfile.mkdtemp(prefix="scenegraph-usd-read-")
        try:
            request["out"] = os.path.join(out_dir, "scene.pickle")
            reply = None
            for attempt in (0, 1):
                worker = _ready_worker()
                if worker is None:
                    break
                if not worker.send(request):
                    _stop_worker()
                    continue
                # forked: the worker enforces the limit and answers; spawned: this process does
                kind, line = worker.readline(seconds + (30.0 if fork else 0.0))
                if kind == "line":
                    reply = json.loads(line)
                    if not fork and reply.get("status") != "ok":
                        _stop_worker()  # a failed read may leave usd-core's state damaged: start afresh
                    break
                worker.kill()
                _worker = None
                if kind == "timeout":
                    reply = {"status": "timeout"}
                    break
                if not fork:  # the process died reading the file (usd-core aborted or faulted)
                    reply = {"status": "crash", "message": "the reader process died"}
                    break
            if reply is None:
                raise FormatError(f"{path}: the USD reader process did not answer")
            last_child_peak_kb = int(reply.get("peak_kb") or 0)
            status = reply.get("status")
            if status == "ok":
                with open(request["out"], "rb") as fh:
                    return pickle.load(fh)  # written by our own child process, never by the file
            if status == "error":
                raise FormatError(reply.get("message") or f"{path}: not a readable USD file")
            if status == "timeout":
                raise FormatError(f"{path}: reading took longer than {seconds:.0f} s (a damaged file?); "
                                  f"SCENEGRAPH_USD_READ_S raises the limit")
            if status == "memory":
                raise FormatError(f"{path}: reading needed more than {mem >> 20} MB of memory (a damaged file?); "
                                  f"SCENEGRAPH_USD_READ_MB raises the limit")
            raise FormatError(f"{path}: usd-core failed reading it ({reply.get('message', status)}; a damaged file?)")
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
