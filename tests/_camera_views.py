"""Helpers the camera tests share: a prompt's scene (tests._worlds.build), and how big a subject is in the live camera."""
from __future__ import annotations

import numpy as np

from scenegraph.world.coverage import active_cameras
from scenegraph.world.plausibility import subject_fill
from tests._worlds import build

__all__ = ["build", "live_fill"]


def live_fill(scene, tl, eid: str) -> np.ndarray:
    """Per frame: the share of the picture height ``eid`` spans in the camera that is live at that frame."""
    live = np.array(active_cameras(scene, tl.time))
    out = np.zeros(tl.frame_count)
    for c in scene.cameras():
        out = np.where(live == c.id, subject_fill(scene, tl, eid, c.id), out)
    return out
