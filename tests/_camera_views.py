"""Helpers the camera tests share: build a prompt's scene, and how big a subject is in the live camera."""
from __future__ import annotations

import numpy as np

from scenegraph.director import direct
from scenegraph.world.builder import build_scene
from scenegraph.world.coverage import active_cameras
from scenegraph.world.plausibility import subject_fill


def build(prompt: str, **kw):
    """The scene the offline director and the world builder make of ``prompt``."""
    spec, _ = direct(prompt)
    return build_scene(spec, prompt=prompt, **kw)


def live_fill(scene, tl, eid: str) -> np.ndarray:
    """Per frame: the share of the picture height ``eid`` spans in the camera that is live at that frame."""
    live = np.array(active_cameras(scene, tl.time))
    out = np.zeros(tl.frame_count)
    for c in scene.cameras():
        out = np.where(live == c.id, subject_fill(scene, tl, eid, c.id), out)
    return out
