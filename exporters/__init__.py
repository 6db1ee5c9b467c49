"""File formats, both directions, picked by suffix.

>>> import exporters
>>> sorted(exporters.writable_suffixes())[:3]
['.glb', '.gltf', '.json']

``export(scene, path)`` writes, ``load(path)`` reads back a Scene.  Each format
lives in its own module, imported only when a file of that suffix is used.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from scenegraph.errors import FormatError
from scenegraph.model.files import gc_paused

__all__ = ["export", "export_all", "usd_standby", "load", "writable_suffixes", "readable_suffixes"]

#: suffix -> module implementing ``write(scene, path, timeline=None, **options)``
_WRITERS = {
    ".json": "exporters.scenejson",
    ".glb": "exporters.gltf",
    ".gltf": "exporters.gltf",
    ".usda": "exporters.usd",
    ".usdc": "exporters.usd",
    ".usd": "exporters.usd",
    ".usdz": "exporters.usd",
}
#: suffix -> module implementing ``read(path) -> Scene``
_READERS = dict(_WRITERS)


def _suffix(path: str | os.PathLike) -> str:
    return Path(path).suffix.lower()


def writable_suffixes() -> list[str]:
    return sorted(_WRITERS)


def readable_suffixes() -> list[str]:
    return sorted(_READERS)


def _module(table: dict[str, str], path: str | os.PathLike, verb: str) -> Any:
    suffix = _suffix(path)
    if suffix not in table:
        raise FormatError(f"{path}: cannot {verb} {suffix or 'files without a suffix'} (supported: {', '.join(sorted(table))})")
    return importlib.import_module(table[suffix])


def export(scene: Any, path: str | os.PathLike, *, timeline: Any = None, **options: Any) -> Path:
    """Write ``scene`` to ``path`` in the format its suffix names; returns the path.

    ``timeline`` is simulated from the scene when not given (formats that carry
    animation need it).  Raises FormatError for an unknown suffix or bad option.
    """
    module = _module(_WRITERS, path, "write")
    if Path(path).is_dir():
        raise FormatError(f"{path}: is a folder; give a file name")
    with gc_paused():  # writers and readers make many small acyclic objects: see gc_paused
        try:
            module.write(scene, path, timeline=timeline, **options)
        except OSError as exc:  # a full disk, a file-size limit, a folder gone: one line, not a traceback
            raise FormatError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return Path(path)


def export_all(scene: Any, paths: Any, *, timeline: Any = None, fork: bool | None = None, standby: Any = None) -> list[Path]:
    """:func:`export` ``scene`` to each of ``paths``: the animated formats share one simulated Timeline, and
    with two or more cores the USD files are written by a forked child meanwhile (``fork``: None decides;
    ``standby``: a child already started by ``exporters._together.usd_standby``; see
    :mod:`exporters._together`).  The bytes are those of one :func:`export` after another."""
    from exporters._together import export_all as _all

    return _all(export, scene, paths, timeline=timeline, fork=fork, standby=standby)


def usd_standby(paths: Any) -> Any:
    """The USD writer of ``export_all(scene, paths, standby=it)`` started before the scene is built (a forked
    child that loads usd-core meanwhile), or None where export_all would not fork; see
    :func:`exporters._together.usd_standby`."""
    from exporters._together import usd_standby as _standby

    return _standby(export, paths)


def load(path: str | os.PathLike, *, allow_paths: Any = None) -> Any:
    """Read a Scene from ``path``; raises FormatError naming what is wrong with the file.

    Everything the file points to (USD layers and assets, glTF buffers and images, textures) must lie
    inside the file's folder, or under one of ``allow_paths`` (a path or a list of them); anything else
    is refused before it is opened (see :mod:`exporters._confine`).
    """
    from exporters import _confine
    from scenegraph.model.files import regular_file

    if not Path(path).exists():
        raise FormatError(f"{path}: no such file")
    regular_file(path, "a scene file")  # a FIFO or a device would block or never end
    module = _module(_READERS, path, "read")
    with _confine.allowing(allow_paths), gc_paused():
        scene = module.read(path)
        _confine.check_textures(scene, path)
    return scene
