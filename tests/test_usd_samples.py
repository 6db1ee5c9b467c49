"""The USD writer's whole-array sample planning keeps exactly the frames the per-column search keeps."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pxr")

from exporters import usd, usd_write  # noqa: E402
from scenegraph.model import Entity, Scene, quat_from_yaw  # noqa: E402
from scenegraph.world import Timeline  # noqa: E402


def _scene(frames: int = 48) -> tuple[Scene, Timeline]:
    """Entities of every kind of column: still, linear, curved, still-then-moving, turning in place, scaling."""
    rng = np.random.default_rng(3)
    fps = 24.0
    scene = Scene(fps=fps, duration=(frames - 1) / fps, seed=0)
    n = 12
    for i in range(n):
        scene.add_entity(Entity(f"e{i}", cls="car"))
    t = np.arange(frames) / fps
    pos = np.zeros((frames, n, 3))
    rot = np.tile(quat_from_yaw(np.zeros(1)), (frames, n, 1))
    scl = np.ones((frames, n, 3))
    pos[:, 0] = (1, 0, 2)                                                   # still
    pos[:, 1] = np.outer(t, (2.0, 0, 0.5))                                  # linear
    pos[:, 2] = np.stack([np.cos(t), 0 * t, np.sin(t)], 1) * 3              # curved: every frame
    pos[:, 3] = np.where(t[:, None] < 1, 0.0, np.outer(t - 1, (1, 0, 0)) ** 2)  # still, then accelerating
    rot[:, 4] = quat_from_yaw(0.7 * t)                                      # turning at a constant rate
    rot[:, 5] = quat_from_yaw(np.sin(3 * t))                                # turning back and forth
    scl[:, 6] = (1 + t)[:, None]                                            # growing linearly
    pos[:, 7:] = rng.normal(size=(frames, n - 7, 3))                        # noise
    rot[:, 7:] = rng.normal(size=(frames, n - 7, 4))
    tl = Timeline(fps=fps, time=t, ids=tuple(f"e{i}" for i in range(n)), position=pos.astype(np.float32),
                  rotation=rot.astype(np.float32), scale=scl.astype(np.float32),
                  velocity=np.zeros((frames, n, 3), np.float32), parents=(-1,) * n)
    return scene, tl


@pytest.mark.parametrize("suffix", [".usdc", ".usda"])
def test_planned_samples_write_the_same_bytes_as_the_per_column_search(tmp_path, monkeypatch, suffix):
    scene, tl = _scene()
    usd.write(scene, tmp_path / f"planned{suffix}", timeline=tl)
    monkeypatch.setattr(usd_write, "_plan", lambda timeline: None)  # every entity searched on its own, as before
    usd.write(scene, tmp_path / f"column{suffix}", timeline=tl)
    assert (tmp_path / f"planned{suffix}").read_bytes() == (tmp_path / f"column{suffix}").read_bytes()


def test_planned_frames_reproduce_every_column():
    from exporters._usd_samples import plan_columns

    scene, tl = _scene()
    rot, plans = plan_columns(tl, usd_write._POS_TOL, usd_write._ROT_TOL, lambda v, r: usd_write.reduce_samples(v, rotation=r))
    assert plans[0] == (None, None, None)                       # still: no samples at all
    assert list(plans[1][0]) == [0, 47] and plans[1][1] is None  # linear: its two ends
    assert len(plans[2][0]) == 48                                # curved: every frame
    assert 2 < len(plans[3][0]) < 48 and 0 in plans[3][0]         # still part collapsed
    assert list(plans[6][2]) == [0, 47]
    for c in range(len(tl.ids)):
        for values, frames, is_rot in ((tl.position[:, c], plans[c][0], False), (rot[:, c], plans[c][1], True)):
            want = usd_write.reduce_samples(np.ascontiguousarray(values), rotation=is_rot)
            assert (frames is None and want is None) or np.array_equal(frames, want)
