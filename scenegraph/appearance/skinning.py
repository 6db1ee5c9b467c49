"""Gaussians on characters: sampled on the rig's bind-pose body and carried by its joints per frame.

:func:`~scenegraph.appearance.assign.rig_gaussians` scatters discs over a
rig's skinned mesh, so a character's splats match its skinned body.
``SkinnedClouds(scene, timeline)`` poses any rigged entity's Gaussians at a
frame: each Gaussian follows the joint of the body vertex nearest to it in
the bind pose (means and orientations move with the joint), which is what
the built-in renderer draws.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenegraph.appearance.rig import Rig, rig_for
from scenegraph.model.gaussians import Gaussians
from scenegraph.model.rotations import quat_from_matrix, quat_multiply

__all__ = ["bind_to_joints", "SkinnedClouds"]


def bind_to_joints(rig: Rig, means: np.ndarray) -> np.ndarray:
    """The joint (N,) of the bind-pose body vertex nearest each point."""
    verts = np.concatenate([m.positions for _, m, _ in rig.parts]).astype(np.float32)
    joints = np.concatenate([j for _, _, j in rig.parts])
    pts = np.asarray(means, np.float32)
    out = np.empty(len(pts), np.int64)
    vv = np.einsum("ij,ij->i", verts, verts)
    for a in range(0, len(pts), 2048):
        p = pts[a:a + 2048]
        d = vv[None, :] - 2.0 * p @ verts.T
        out[a:a + 2048] = joints[np.argmin(d, axis=1)]
    return out


class SkinnedClouds:
    """Poses rigged entities' Gaussians frame by frame (entity-local frame in, entity-local frame out)."""

    def __init__(self, scene: Any, timeline: Any) -> None:
        from scenegraph.appearance.gait import pose_track, skin_matrices

        self.scene = scene
        self.skin: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        seed = int(getattr(scene, "seed", 0))
        for e in scene.entities("object"):
            if e.gaussians is None or len(e.gaussians) == 0 or e.id not in timeline.ids:
                continue
            rig = rig_for(e, seed)
            if rig is None:
                continue
            mats = skin_matrices(rig, pose_track(scene, timeline, e.id, rig))  # (F, J, 4, 4)
            mats[..., :3, 3] -= np.einsum("fjik,jk->fji", mats[..., :3, :3], rig.bind_world())  # relative to the bind pose
            self.skin[e.id] = (mats, bind_to_joints(rig, e.gaussians.means))

    def __bool__(self) -> bool:
        return bool(self.skin)

    def deform(self, entity_id: str, g: Gaussians, frame: int) -> Gaussians:
        """``g`` posed at ``frame`` (unchanged for entities without a rig)."""
        if entity_id not in self.skin:
            return g
        mats, joint = self.skin[entity_id]
        m = mats[frame][joint]  # (N, 4, 4)
        means = np.einsum("nij,nj->ni", m[:, :3, :3], g.means) + m[:, :3, 3]
        rq = np.stack([quat_from_matrix(r) for r in mats[frame][:, :3, :3]])[joint]
        quats = quat_multiply(rq, g.quats)
        return Gaussians(means=means, quats=quats / np.linalg.norm(quats, axis=1, keepdims=True), scales=g.scales,
                         opacities=g.opacities, sh=g.sh)
