"""The outputs of one command, all or nothing.

:class:`Outputs` checks every output path before any work (suffix, folder exists and is writable,
not a directory), lets each writer write into a private staging folder beside its target, and
publishes them only when every one was written: a failure, Ctrl-C or SIGTERM (see
:func:`terminate_raises`) leaves no output and no temporary file.  A process killed outright leaves
a staging folder named ``.scenegraph-staging-<pid>-*`` (and writers' ``.NAME.sgtmp<pid>.*.tmp``
files); the next :class:`Outputs` in that folder removes those whose process is gone.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with Outputs([d / "a.txt", d / "b.txt"], suffixes=[".txt"]) as outs:
...     for p in outs.paths:
...         _ = outs.stage(p).write_text(p.name)
...     _ = outs.commit()
>>> sorted(p.name for p in d.iterdir())
['a.txt', 'b.txt']
>>> with Outputs([d / "c.txt"], suffixes=[".txt"]) as outs:
...     _ = outs.stage(outs.paths[0]).write_text("never published")
>>> sorted(p.name for p in d.iterdir())   # not committed: nothing left
['a.txt', 'b.txt']
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from scenegraph.errors import FormatError

__all__ = ["Outputs", "check_output", "clean_stale", "terminate_raises", "STAGING_PREFIX", "published_folder", "remove_when_replaced"]

STAGING_PREFIX = ".scenegraph-staging-"
_STALE_STAGING = re.compile(re.escape(STAGING_PREFIX) + r"(\d+)-")
_STALE_TEMP = re.compile(r"^\..+\.sgtmp(\d+)\..*\.tmp$")
#: staging folder -> the folder its files are published into (writers resolve relative textures there)
_PUBLISHED: dict[str, Path] = {}
#: staging folder -> files to remove once its files are published (what they replace, e.g. an old .bin)
_OBSOLETE: dict[str, list[Path]] = {}


def remove_when_replaced(folder: str | os.PathLike, obsolete: str | os.PathLike) -> None:
    """Remove ``obsolete`` once the files written into ``folder`` are in place: right away for an ordinary
    folder, after :meth:`Outputs.commit` for a staging folder (never if the command fails)."""
    key = os.path.abspath(folder)
    if key in _PUBLISHED:
        _OBSOLETE.setdefault(key, []).append(Path(obsolete))
        return
    try:
        os.unlink(obsolete)
    except FileNotFoundError:
        pass


def published_folder(folder: str | os.PathLike) -> Path:
    """The folder files written into ``folder`` end up in: ``folder`` itself, or for a staging folder
    the folder it publishes into (writers look up relative textures there)."""
    return _PUBLISHED.get(os.path.abspath(folder), Path(folder))


def check_output(path: str | os.PathLike, suffixes: Iterable[str] | None = None, *, what: str = "output") -> Path:
    """``path`` as a Path if a file can be written there: a known suffix (when ``suffixes`` is given), not an
    existing folder or special file, its folder existing and writable.  FormatError otherwise."""
    p = Path(path)
    if suffixes is not None:
        known = sorted(suffixes)
        suffix = p.suffix.lower()
        if suffix not in known:
            raise FormatError(f"{p}: cannot write {suffix or 'files without a suffix'} (supported: {', '.join(known)})")
    if p.is_dir():
        raise FormatError(f"{p}: is a folder; the {what} must be a file name")
    if p.exists() and not p.is_file():
        raise FormatError(f"{p}: exists and is not a regular file")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise FormatError(f"{p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FormatError(f"{p}: folder {parent} is not writable")
    return p


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def clean_stale(folder: str | os.PathLike, min_age_s: float = 2.0) -> list[str]:
    """Remove staging folders and writers' temporary files in ``folder`` left by processes that are gone
    (and are older than ``min_age_s``); returns their names."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _STALE_STAGING.match(entry.name) or _STALE_TEMP.match(entry.name)
        if not m or _alive(int(m.group(1))):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < min_age_s:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            pass
    return removed


class Outputs:
    """Every output of one command: checked up front, staged, published together by :meth:`commit`.

    Use as a context manager; leaving it without :meth:`commit` (an error, an interrupt) removes
    everything staged.  ``stage(path)`` is where the writer writes ``path``: a file of the same name in
    a staging folder beside it; files a writer adds next to it there (a .gltf's .bin, copied
    textures) are published too, before the main file.
    """

    def __init__(self, paths: Iterable[str | os.PathLike], suffixes: Iterable[str] | None = None, *, what: str = "output") -> None:
        suffixes = list(suffixes) if suffixes is not None else None
        self.paths: list[Path] = []
        seen: set[str] = set()
        for path in paths:
            p = check_output(path, suffixes, what=what)
            key = os.path.abspath(p)
            if key in seen:
                raise FormatError(f"{p}: named twice as an output")
            seen.add(key)
            self.paths.append(p)
        self._staged: dict[str, Path] = {}  # abs target -> staging folder
        self._committed = False
        for folder in {os.path.dirname(os.path.abspath(p)) for p in self.paths}:
            clean_stale(folder)

    def stage(self, path: str | os.PathLike) -> Path:
        """The path to write ``path``'s content to (in a fresh staging folder beside it)."""
        key = os.path.abspath(path)
        if key not in {os.path.abspath(p) for p in self.paths}:
            raise FormatError(f"{path}: not one of this command's outputs")
        if key not in self._staged:
            parent = os.path.dirname(key)
            try:
                folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
            except OSError as exc:
                raise FormatError(f"{path}: cannot write in {parent} ({exc.strerror})") from None
            self._staged[key] = folder
            _PUBLISHED[str(folder)] = Path(parent)
        return self._staged[key] / os.path.basename(key)

    def commit(self) -> list[Path]:
        """Move every staged file into place (companions first, each output's main file last); returns the outputs."""
        for key, folder in self._staged.items():
            main = os.path.basename(key)
            names = sorted(n for n in os.listdir(folder) if n != main and not n.endswith(".tmp"))
            if not os.path.exists(folder / main):
                raise FormatError(f"{key}: the writer wrote nothing")
            for name in names + [main]:
                src = folder / name
                if src.is_file():
                    os.replace(src, Path(os.path.dirname(key)) / name)
            for old in _OBSOLETE.pop(str(folder), []):
                try:
                    os.unlink(old)
                except OSError:
                    pass
        self._committed = True
        self._cleanup()
        return list(self.paths)

    def _cleanup(self) -> None:
        for folder in self._staged.values():
            shutil.rmtree(folder, ignore_errors=True)
            _PUBLISHED.pop(str(folder), None)
            _OBSOLETE.pop(str(folder), None)
        self._staged.clear()

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cleanup()


class _Terminated(SystemExit):
    pass


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """Inside, SIGTERM (and SIGHUP) raise SystemExit(128 + signal) in the main thread, so ``finally``
    blocks and context managers (:class:`Outputs`) clean up as they do for Ctrl-C."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise _Terminated(128 + signum)

    old = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            old[sig] = signal.signal(sig, _raise)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
