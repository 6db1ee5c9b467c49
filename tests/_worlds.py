"""Helpers the language and camera tests share: a prompt's scene (and spec and Timeline), and an entity's
world path."""
from __future__ import annotations

import numpy as np

from scenegraph.director import direct
from scenegraph.world.builder import build_scene
from scenegraph.world.simulate import simulate


def build(prompt: str, **kw):
    """The scene the offline director and the world builder make of ``prompt``."""
    spec, _ = direct(prompt)
    return build_scene(spec, prompt=prompt, **kw)


def world(prompt: str, fps: float | None = 8):
    """(spec, scene, Timeline at ``fps``; None: the scene's) of ``prompt`` through the offline director and the
    world builder."""
    spec, _ = direct(prompt)
    scene = build_scene(spec, prompt=prompt)
    return spec, scene, simulate(scene, fps=fps)


def path(tl, eid):
    """(F, 3) world positions of ``eid`` (through its parents), float64."""
    return tl.world_position(eid).astype(np.float64)
