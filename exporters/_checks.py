"""Checks the writers share before anything is written."""
from __future__ import annotations

from typing import Any

import numpy as np

from scenegraph.errors import FormatError

__all__ = ["check_timeline"]


def check_timeline(scene: Any, timeline: Any, path: Any) -> None:
    """Raise FormatError (naming ``path``) unless ``timeline`` has a state for every entity of ``scene``,
    arrays of (frames, entities, ...) shape and finite positions, rotations and scales."""
    have = set(timeline.ids)
    missing = sorted(e.id for e in scene.entities() if e.id not in have)
    if missing:
        raise FormatError(f"{path}: the timeline has no states for {', '.join(missing[:5])}")
    f, e = timeline.frame_count, len(timeline.ids)
    for name in ("position", "rotation", "scale"):
        arr = np.asarray(getattr(timeline, name))
        if arr.shape[:2] != (f, e):
            raise FormatError(f"{path}: timeline.{name} has shape {arr.shape}, expected ({f}, {e}, ...)")
        if not np.isfinite(arr).all():
            frame, ent = (int(i) for i in np.argwhere(~np.isfinite(arr))[0][:2])
            raise FormatError(f"{path}: the timeline's {name} of entity {timeline.ids[ent]!r} at frame {frame} is not a finite number")
