"""The pace of a build: where the scene is (which sets traffic speeds) and the smoothing of every actor's keys.

Used by :mod:`scenegraph.world.builder` after the actions are planned.
"""
from __future__ import annotations

import re

from scenegraph.world.profiles import SETTING_SPEED
from scenegraph.world.smoothing import smooth_keys

__all__ = ["scene_setting", "smooth_actors"]

_WORDS = sorted(SETTING_SPEED, key=len, reverse=True)


def scene_setting(spec, prompt: str = "") -> str | None:
    """The setting word that decides traffic speeds: a speed-setting word of the prompt ("highway",
    "parking lot") when there is one, else the spec's setting."""
    text = (prompt or "").lower()
    for w in _WORDS:
        if re.search(rf"\b{re.escape(w)}s?\b", text):
            return w
    env = getattr(spec, "environment", None)
    return getattr(env, "setting", None)


def smooth_actors(actors: dict, fps: float, coast_until: float) -> None:
    """Replace each moving actor's planned keys by dense, smooth keys (:func:`smooth_keys`), in place.

    Actors handed to dynamics (thrown, dropped) keep their keys: the release velocity is theirs.
    A looping actor keeps a constant speed (no start or stop in a loop).
    """
    for actor in actors.values():
        if len(actor.keys) < 2 or actor.dynamics is not None:
            continue
        if actor.loop:
            keys = smooth_keys(actor.keys, actor.limits, fps, flying_start=True, open_end=True)
        else:
            keys = smooth_keys(actor.keys, actor.limits, fps, flying_start=actor.flying_start,
                               open_end=actor.open_end, coast_until=coast_until)
        actor.keys = keys
        actor.t, actor.position, actor.yaw = keys[-1][0], keys[-1][1].copy(), keys[-1][2]


def trim_trajectories(scene, end: float) -> None:
    """Cut every non-looping trajectory that runs past ``end`` seconds (a mover coasting on past the
    clip) at ``end``, with a key interpolated there."""
    import numpy as np

    from scenegraph.world.trajectory import slerp

    for tr in scene.trajectories():
        if tr.loop or tr.times[-1] <= end + 1e-6 or tr.times[0] >= end:
            continue
        k = int(np.searchsorted(tr.times, end, side="right"))  # keys [0, k) are at or before the end
        t0, t1 = tr.times[k - 1], tr.times[k]
        u = (end - t0) / (t1 - t0)
        times = np.append(tr.times[:k], end) if end > t0 + 1e-6 else tr.times[:k]
        changes = {"times": times}
        for name in ("positions", "scales"):
            arr = getattr(tr, name)
            if arr is not None:
                changes[name] = np.vstack([arr[:k], arr[k - 1] + u * (arr[k] - arr[k - 1])])[: len(times)]
        if tr.rotations is not None:
            q = slerp(tr.rotations[k - 1][:, None], tr.rotations[k][:, None], np.array([u]))[:, 0]
            changes["rotations"] = np.vstack([tr.rotations[:k], q])[: len(times)]
        scene.update(tr.id, **changes)
