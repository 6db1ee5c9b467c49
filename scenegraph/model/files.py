"""Files written whole or not at all, bounded reads, and a collector pause for bulk I/O.

Used by scene.json, the exporters and the renderers; knows nothing of scenes.
"""
from __future__ import annotations

import contextlib
import gc
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from scenegraph.errors import FormatError

__all__ = ["atomic_write", "default_file_mode", "file_size", "gc_paused", "regular_file", "temp_prefix"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: for code that makes tens of thousands of small acyclic
    objects (a scene's dicts and payloads), whose collections find nothing and cost 20-40% of the
    time.  Collection resumes as before afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def default_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file (0o666 less the umask).

    ``tempfile.mkstemp`` creates files readable by their owner only; files we
    rename into place get the usual mode instead.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def temp_prefix(name: str) -> str:
    """The prefix of a writer's temporary file for ``name`` (with the suffix ``.tmp``): hidden, and naming
    this process, so :func:`scenegraph.model.outputs.clean_stale` can remove it once the process is gone."""
    return f".{name}.sgtmp{os.getpid()}."


def atomic_write(path: str | os.PathLike, data: bytes | str | Iterable[str]) -> None:
    """Write ``data`` (bytes, text, or text in pieces written one after another) to ``path`` via a temporary
    file in the same folder and a rename.

    Either the whole new file is there afterwards or the old one (if any) is untouched.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FormatError(f"{path}: folder {parent} does not exist")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=parent)
    except OSError as exc:
        raise FormatError(f"{path}: cannot write in {parent} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece.encode("utf-8"))
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # a full disk, a file-size limit, a folder made read-only meanwhile
            raise FormatError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise


def regular_file(path: str | os.PathLike, what: str = "the input") -> os.stat_result:
    """``os.stat`` of ``path`` (links followed); FormatError unless it is a regular file.  A FIFO would block
    its reader forever and a device (``/dev/zero``, ``/dev/urandom``) never ends, so neither is opened."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise FormatError(f"{path}: is a folder; {what} must be a file")
    if not stat.S_ISREG(st.st_mode):
        raise FormatError(f"{path}: not a regular file (a device, FIFO or socket); {what} must be a file")
    return st


def file_size(path: Path, limit: int, what: str) -> int:
    """The size of ``path`` in bytes; FormatError when it is not a regular file (see :func:`regular_file`),
    cannot be read or is larger than ``limit`` (``what`` names the kind of file in the message)."""
    size = regular_file(path, what).st_size
    if size > limit:
        raise FormatError(f"{path}: {size} bytes is larger than {what} may be ({limit})")
    return size
