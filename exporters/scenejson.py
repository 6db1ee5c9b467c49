"""scene.json through the exporters registry (the format itself is scenegraph.model.serialize)."""
from __future__ import annotations

import os
from typing import Any

from scenegraph.model import serialize
from scenegraph.errors import FormatError


def write(scene: Any, path: str | os.PathLike, *, timeline: Any = None, **options: Any) -> None:
    if options:
        raise FormatError(f"{path}: unknown option(s) for scene.json: {', '.join(sorted(options))}")
    serialize.save_json(scene, path)


def read(path: str | os.PathLike) -> Any:
    return serialize.load_json(path)
