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
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from scenegraph.errors import FormatError

__all__ = ["Outputs", "OutputFolder", "check_output", "clean_stale", "terminate_raises", "STAGING_PREFIX", "published_folder",
           "remove_when_replaced", "folder_lock"]

STAGING_PREFIX = ".scenegraph-staging-"
_STALE_STAGING = re.compile(re.escape(STAGING_PREFIX) + r"(\d+)-")
_STALE_TEMP = re.compile(r"^\..+\.sgtmp(\d+)\..*\.tmp$")
#: a previous output folder moved aside while its replacement was renamed in (only where folders cannot be exchanged)
_STALE_PREVIOUS = re.compile(re.escape(STAGING_PREFIX) + r"(\d+)-previous-(.+)$")
#: staging folder -> the folder its files are published into (writers resolve relative textures there)
_PUBLISHED: dict[str, Path] = {}
#: staging folder -> what to remove once its files are published: files, or callables given the folder
#: they were published into (e.g. the .bin files a .gltf no longer names)
_OBSOLETE: dict[str, list[Any]] = {}


def remove_when_replaced(folder: str | os.PathLike, obsolete: Any) -> None:
    """Remove ``obsolete`` once the files written into ``folder`` are in place: right away for an ordinary
    folder, after :meth:`Outputs.commit` for a staging folder (never if the command fails).  ``obsolete``
    is a path, or a callable given the folder the files are in, which removes what it must; both run under
    :func:`folder_lock` when they run at commit (call this under that lock for an ordinary folder)."""
    key = os.path.abspath(folder)
    if key in _PUBLISHED:
        _OBSOLETE.setdefault(key, []).append(obsolete)
        return
    _remove(obsolete, Path(folder))


def _remove(obsolete: Any, folder: Path) -> None:
    if callable(obsolete):
        obsolete(folder)
        return
    try:
        os.unlink(obsolete)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        pass


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """An exclusive advisory lock on ``folder`` (flock on the folder itself, no lock file), held while a
    writer publishes files that belong together (a .gltf and its .bin) and removes what they replace, so
    two writers of the same files never remove each other's; a no-op where flock is unavailable."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)  # releases the lock


def published_folder(folder: str | os.PathLike) -> Path:
    """The folder files written into ``folder`` end up in: ``folder`` itself, or for a staging folder
    the folder it publishes into (writers look up relative textures there)."""
    return _PUBLISHED.get(os.path.abspath(folder), Path(folder))


#: bytes a writer adds to an output's name for its temporary files (``.NAME.sgtmp<pid>.<random>.tmp``,
#: a .gltf's ``NAME.<hash>.bin``)
_TEMP_NAME_ROOM = 40


def _shown(p: Path | str) -> str:
    """``p`` for a one-line message: a very long path shortened in the middle."""
    text = str(p)
    return text if len(text) <= 160 else f"{text[:80]}...{text[-60:]} ({len(text)} characters)"


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except OSError:  # e.g. a name too long to look up
        return False


def _check_name_length(p: Path) -> None:
    """FormatError when ``p``'s name or whole path is longer than the file system takes (with room for
    the writers' temporary names), instead of an OSError half-way through the command."""
    parent = p.parent if str(p.parent) else Path(".")
    probe = parent
    while not _exists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        name_max = os.pathconf(probe, "PC_NAME_MAX")
        path_max = os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        name_max, path_max = 255, 4096
    name = len(os.fsencode(p.name))
    if name > name_max - _TEMP_NAME_ROOM:
        raise FormatError(f"{_shown(p)}: the name is {name} bytes long; at most {name_max - _TEMP_NAME_ROOM} "
                          f"(the file system takes {name_max}, and writing needs room for a temporary name)")
    full = len(os.fsencode(os.path.abspath(p)))
    if full > path_max - _TEMP_NAME_ROOM - 64:
        raise FormatError(f"{_shown(p)}: the path is {full} bytes long; at most {path_max - _TEMP_NAME_ROOM - 64}")


def check_output(path: str | os.PathLike, suffixes: Iterable[str] | None = None, *, what: str = "output") -> Path:
    """``path`` as a Path if a file can be written there: a known suffix (when ``suffixes`` is given), a name
    and path the file system takes, not an existing folder or special file, its folder existing and
    writable.  FormatError otherwise."""
    p = Path(path)
    if suffixes is not None:
        known = sorted(suffixes)
        suffix = p.suffix.lower()
        if suffix not in known:
            raise FormatError(f"{_shown(p)}: cannot write {suffix or 'files without a suffix'} (supported: {', '.join(known)})")
    _check_name_length(p)
    try:
        return _check_place(p, what)
    except OSError as exc:  # a path the OS refuses to look at (a loop of links, a component not a folder)
        raise FormatError(f"{_shown(p)}: cannot write there ({exc.strerror or exc})") from None


def _check_place(p: Path, what: str) -> Path:
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
            previous = _STALE_PREVIOUS.match(entry.name)
            if previous and entry.is_dir(follow_symlinks=False) and not os.path.lexists(os.path.join(folder, previous.group(2))):
                os.rename(entry.path, os.path.join(folder, previous.group(2)))  # killed between the two renames: put it back
                removed.append(entry.name)
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
            target = Path(os.path.dirname(key))
            with folder_lock(target):
                for name in names + [main]:
                    src = folder / name
                    if src.is_file():
                        os.replace(src, target / name)
                for old in _OBSOLETE.pop(str(folder), []):
                    try:
                        _remove(old, target)
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

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        given = {os.path.abspath(p): p for p in self.paths}
        staged = {}
        for key, folder in self._staged.items():
            staged[str(folder / os.path.basename(key))] = str(given.get(key, key))
            staged[str(folder)] = os.path.dirname(key)
        self._cleanup()
        _name_targets(error, staged)


def _name_targets(error: Any, staged: dict[str, str]) -> None:
    """Re-raise a SceneGraphError that names a staging folder as the same error naming the output instead."""
    from scenegraph.errors import SceneGraphError

    if not isinstance(error, SceneGraphError) or not staged:
        return
    text = str(error)
    fixed = text
    for folder, target in staged.items():
        fixed = fixed.replace(folder, target)
    if fixed != text:
        try:
            renamed = type(error)(fixed)
        except Exception:
            return
        raise renamed from None


class OutputFolder:
    """A folder one command writes as a whole (``render -o FOLDER``, ``rerender -o FOLDER``).

    Checked before any work: not an existing file, its parent folder writable (missing parents are
    made), and nothing inside but what the command itself writes (``owned(name)`` is True for each
    entry's name; its stale staging is ignored), so replacing it loses nothing of the user's.  The
    command writes everything into :meth:`stage`, a fresh folder beside the target; :meth:`commit`
    then puts it in place in one step (an atomic exchange of the two folders on Linux; elsewhere two
    renames, which the next run undoes if it was killed between them) and removes the previous
    contents.  Leaving without commit (an error, Ctrl-C, SIGTERM under :func:`terminate_raises`)
    removes the staging folder: a previous complete output stays as it was.  A symbolic link to a
    folder is followed: the folder it names is replaced, the link stays.

    >>> import re, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "frames"
    >>> with OutputFolder(d, re.compile(r"f_\\d+\\.txt").fullmatch) as out:
    ...     for i in range(3):
    ...         _ = (out.stage() / f"f_{i}.txt").write_text(str(i))
    ...     _ = out.commit()
    >>> with OutputFolder(d, re.compile(r"f_\\d+\\.txt").fullmatch) as out:
    ...     _ = (out.stage() / "f_9.txt").write_text("9")
    ...     raise_here = True   # no commit: an error or an interrupt
    >>> sorted(p.name for p in d.iterdir())   # the previous output, whole
    ['f_0.txt', 'f_1.txt', 'f_2.txt']
    """

    def __init__(self, path: str | os.PathLike, owned: Any, *, what: str = "output folder") -> None:
        self.path = Path(path)
        self.owned = owned
        self.what = what
        self._staging: Path | None = None
        self._made: list[Path] = []
        self._committed = False
        _check_name_length(self.path)
        _check_name_length(self.path / "passes_000000.npz")  # its files have short names; their paths must fit
        try:
            self._check_place()
        except OSError as exc:  # a path the OS refuses to look at (a loop of links, a component not a folder)
            raise FormatError(f"{_shown(self.path)}: cannot write there ({exc.strerror or exc})") from None

    def _check_place(self) -> None:
        what = self.what
        self.target = Path(os.path.realpath(self.path))
        if self.target.exists() and not self.target.is_dir():
            raise FormatError(f"{self.path}: exists and is not a folder; the {what} must be a folder")
        ancestor = self.target.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise FormatError(f"{self.path}: {ancestor} is not a folder")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise FormatError(f"{self.path}: folder {ancestor} is not writable")
        if self.target.is_dir() and not os.access(self.target, os.R_OK | os.W_OK | os.X_OK):
            raise FormatError(f"{self.path}: the folder is not readable and writable")
        self._check_owned()
        if self.target.parent.is_dir():
            clean_stale(self.target.parent)

    def _check_owned(self) -> None:
        if not self.target.is_dir():
            return
        try:
            names = sorted(os.listdir(self.target))
        except OSError as exc:
            raise FormatError(f"{self.path}: cannot list the folder ({exc.strerror})") from None
        foreign = [n for n in names if not (self.owned(n) or _STALE_STAGING.match(n) or _STALE_TEMP.match(n))]
        if foreign:
            shown = ", ".join(repr(n) for n in foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise FormatError(f"{self.path}: holds {shown}, which this command did not write; the {self.what} is replaced "
                              f"as a whole, so give a new or empty folder")

    def stage(self) -> Path:
        """The folder to write everything into (made on the first call)."""
        if self._staging is None:
            parent = self.target.parent
            missing = []
            p = parent
            while not p.exists():
                missing.append(p)
                p = p.parent
            try:
                for m in reversed(missing):
                    m.mkdir()
                    self._made.append(m)
                self._staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
                # mkdtemp makes it private (0700): give it the previous folder's mode, or a new folder's
                mask = os.umask(0)
                os.umask(mask)
                mode = self.target.stat().st_mode & 0o7777 if self.target.is_dir() else 0o777 & ~mask
                os.chmod(self._staging, mode)
            except OSError as exc:
                raise FormatError(f"{self.path}: cannot write in {parent} ({exc.strerror})") from None
        return self._staging

    def commit(self) -> Path:
        """Put the staged folder in place of the target (see the class docstring); returns the target as given."""
        staging = self.stage()
        self._check_owned()  # nothing foreign appeared while the command ran
        try:
            if not os.path.lexists(self.target):
                os.rename(staging, self.target)
            elif _exchange(staging, self.target):
                shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous contents
            else:
                aside = self.target.parent / f"{STAGING_PREFIX}{os.getpid()}-previous-{self.target.name}"
                if len(aside.name) > 255:
                    aside = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.target.parent))
                    os.rmdir(aside)
                os.rename(self.target, aside)
                os.rename(staging, self.target)
                shutil.rmtree(aside, ignore_errors=True)
        except OSError as exc:
            raise FormatError(f"{self.path}: cannot put the {self.what} in place ({exc.strerror})") from None
        self._staging = None
        self._committed = True
        self._made.clear()
        return self.path

    def __enter__(self) -> "OutputFolder":
        return self

    def __exit__(self, kind: Any = None, error: Any = None, tb: Any = None) -> None:
        staged = {}
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            staged[str(self._staging)] = str(self.path)
            self._staging = None
        for m in reversed(self._made):  # parents this command made and did not fill
            try:
                m.rmdir()
            except OSError:
                break
        self._made.clear()
        _name_targets(error, staged)  # an error naming a staged file names the output instead


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


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
