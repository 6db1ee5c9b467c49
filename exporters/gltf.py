"""glTF 2.0 (``.glb``, ``.gltf`` + ``.bin``), both directions.

``write(scene, path, timeline=None, **options)`` is :func:`exporters.gltf_write.write`;
``read(path) -> Scene`` is :func:`exporters.gltf_read.read`.
"""
from __future__ import annotations

from exporters.gltf_read import read
from exporters.gltf_write import write

__all__ = ["read", "write"]
