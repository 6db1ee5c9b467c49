"""Helpers the language tests share: a prompt's spec, scene and Timeline, and an entity's world path."""
from __future__ import annotations

import numpy as np

from scenegraph.director import direct
from scenegraph.world.builder import build_scene
from scenegraph.world.simulate import simulate


def world(prompt: str):
    """(spec, scene, Timeline at 8 fps) of ``prompt`` through the offline director and the world builder."""
    spec, _ = direct(prompt)
    scene = build_scene(spec, prompt=prompt)
    return spec, scene, simulate(scene, fps=8)


def path(tl, eid):
    """(F, 3) world positions of ``eid`` (through its parents), float64."""
    return tl.world_position(eid).astype(np.float64)
