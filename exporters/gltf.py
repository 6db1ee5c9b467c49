"""glTF 2.0 (``.glb``, ``.gltf`` + ``.bin``), both directions.

``write(scene, path, timeline=None, **options)`` is :func:`exporters.gltf_write.write`;
``read(path) -> Scene`` parses the container (:mod:`exporters._gltf_container`), the
document (:mod:`exporters.gltf_read`) and rebuilds the scene (:mod:`exporters._gltf_rebuild`).
"""
from __future__ import annotations

import os
from typing import Any

from exporters.gltf_write import write

__all__ = ["read", "write"]


def read(path: str | os.PathLike) -> Any:
    """Read a ``.glb`` / ``.gltf`` into a Scene (see the module docstring for how edits are taken).

    Raises FormatError naming the problem for malformed, truncated, unsafe or
    unsupported files; never reads outside the file's folder.
    """
    from exporters._gltf_container import open_container  # the reader's modules: not needed to write
    from exporters._gltf_rebuild import rebuild
    from exporters.gltf_read import Reader

    return rebuild(Reader(open_container(path)))
