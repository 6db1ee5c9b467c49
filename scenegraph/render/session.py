"""What the built-in renderer keeps between :func:`~scenegraph.render.frames.render` calls on one scene.

A preview draws one frame per call (scrubbing, the add-on's viewport, a benchmark); each call
used to pose every character's and vehicle's track over the whole clip, rebuild every entity's
mesh and recompute every frame's world matrices before drawing one frame (about a third of a
100-entity frame).  :func:`lit_session` returns the same :class:`LitSession` while the scene
and its timeline are unchanged: the scene's payloads are frozen, so a scene whose nodes,
edges and clip settings are the same objects as before, with a timeline whose arrays have
the same checksum, draws the same frames.  One session is
kept per thread (the last scene rendered there), so threads never share a renderer's state.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LitSession", "lit_session", "scene_fingerprint", "clear"]

_LOCAL = threading.local()


@dataclass
class LitSession:
    """A :class:`~scenegraph.render.lit.LitRenderer` with its posed meshes and the clip's world matrices."""

    scene: Any
    timeline: Any
    backend: str
    fingerprint: tuple
    lit: Any
    world_all: np.ndarray  # (F, E, 4, 4)


def scene_fingerprint(scene: Any) -> tuple:
    """The scene's node payloads and edges and its clip settings: any edit (``update``, ``add_*``,
    ``set_*``, ``remove``) gives a different fingerprint.  Payloads are frozen and compare by identity;
    the fingerprint holds them, so a replaced payload's ``id`` is never reused while it is compared."""
    return (tuple((n, scene.node(n)) for n in scene), tuple(scene.edges()), scene.fps, scene.duration, scene.seed)


def _timeline_crc(tl: Any) -> int:
    """A checksum of the timeline's arrays (a timeline edited in place is a different clip)."""
    import zlib

    crc = 0
    for a in (tl.position, tl.rotation, tl.scale, tl.time):
        crc = zlib.crc32(np.ascontiguousarray(a).view(np.uint8).reshape(-1), crc)
    return crc


def lit_session(scene: Any, timeline: Any, backend: str) -> LitSession:
    """The thread's session for ``scene`` and ``timeline``, made anew when either changed."""
    from scenegraph.appearance.skinning import PosedMeshes
    from scenegraph.render.lit import LitRenderer

    fp = scene_fingerprint(scene) + (_timeline_crc(timeline),)
    got = getattr(_LOCAL, "session", None)
    if (got is not None and got.scene is scene and got.timeline is timeline and got.backend == backend
            and got.fingerprint == fp):
        return got
    skins = PosedMeshes(scene, timeline)
    lit = LitRenderer(scene, splat_backend=backend, skins=skins)  # characters by their joints, wheels spinning
    world_all = timeline.world_matrices()
    # rows that never move: the same world matrix in every frame, no joints or wheels that move
    lit.static_rows = np.all(world_all == world_all[:1], axis=(0, 2, 3)) & np.array([not skins.moves(i) for i in timeline.ids], bool)
    got = LitSession(scene, timeline, backend, fp, lit, world_all)
    _LOCAL.session = got
    return got


def clear() -> None:
    """Forget this thread's session (its scene, meshes and matrices)."""
    _LOCAL.session = None
