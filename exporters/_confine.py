"""Confinement: a scene file may only point at files inside its own folder.

Everything a scene file names - USD sublayers, references, payloads, value clips and asset paths,
glTF buffers and images, scene.json and USD textures - must resolve (symbolic links followed) to a
path inside the folder of the file being read.  More folders can be allowed explicitly: the
``allow_paths=`` argument of :func:`exporters.load` (and :func:`scenegraph.pipeline.load`), or
``--allow-outside PATH`` on the command line.  A reference outside them is refused with a
:class:`~scenegraph.errors.FormatError` naming it, before anything outside is opened.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> check_inside("tex/a.png", d, "scene.json: material 'm'", "texture") == (d / "tex/a.png").resolve()
True
>>> try:
...     check_inside("../secret.png", d, "scene.json: material 'm'", "texture")
... except Exception as exc:
...     print(type(exc).__name__, "outside" in str(exc))
FormatError True
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from scenegraph.errors import FormatError

__all__ = ["allowing", "allowed_paths", "check_inside", "is_inside", "check_textures", "HINT"]

_ALLOWED: ContextVar[tuple[Path, ...]] = ContextVar("scenegraph_allowed_paths", default=())
HINT = "only files inside the scene file's folder are read; allow more with --allow-outside PATH (allow_paths= in Python)"


def _resolved(paths: Iterable[str | os.PathLike] | str | os.PathLike | None) -> tuple[Path, ...]:
    if paths is None:
        return ()
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return tuple(Path(p).expanduser().resolve() for p in paths)


@contextlib.contextmanager
def allowing(paths: Iterable[str | os.PathLike] | str | os.PathLike | None) -> Iterator[tuple[Path, ...]]:
    """Inside, files under ``paths`` (folders or files) may be read too, besides each scene file's folder."""
    extra = _resolved(paths)
    token = _ALLOWED.set(_ALLOWED.get() + extra)
    try:
        yield _ALLOWED.get()
    finally:
        _ALLOWED.reset(token)


def allowed_paths() -> tuple[Path, ...]:
    """The extra paths allowed in this context (resolved)."""
    return _ALLOWED.get()


def is_inside(target: Path, roots: Iterable[Path]) -> bool:
    """Whether the resolved ``target`` is one of ``roots`` or below one."""
    for root in roots:
        if target == root or root in target.parents:
            return True
    return False


def check_inside(ref: str | os.PathLike, base: str | os.PathLike, where: str, what: str = "file",
                 extra: Iterable[Path] | None = None) -> Path:
    """The resolved path ``ref`` names relative to the folder ``base`` when it lies inside ``base`` or an
    allowed path; FormatError naming ``where``, ``what`` and ``ref`` otherwise.  Nothing is opened."""
    text = os.fspath(ref)
    if "\0" in text:
        raise FormatError(f"{where}: {what} path {text[:80]!r} holds a NUL character")
    base_path = Path(base).resolve()
    target = (base_path / text).resolve()  # an absolute ref replaces the base
    roots = (base_path,) + tuple(extra if extra is not None else _ALLOWED.get())
    if not is_inside(target, roots):
        raise FormatError(f"{where}: {what} {text[:200]!r} is outside the folder {base_path} ({HINT})")
    return target


def check_textures(scene: Any, source: str | os.PathLike) -> None:
    """Refuse a scene read from ``source`` whose materials name a texture outside its folder."""
    base = Path(source).parent
    for m in scene.materials():
        tex = m.texture
        if not tex or tex.startswith("data:"):
            continue
        if "://" in tex or tex.startswith("file:"):
            raise FormatError(f"{source}: material {m.id!r}: texture {tex[:200]!r} is a URL ({HINT})")
        check_inside(tex, base, f"{source}: material {m.id!r}", "texture")
