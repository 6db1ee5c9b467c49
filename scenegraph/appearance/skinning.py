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

__all__ = ["bind_to_joints", "SkinnedClouds", "PosedMeshes"]


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


class PosedMeshes:
    """Characters' skinned bodies and vehicles' parts for mesh renderers: the rest mesh with per-vertex
    albedo (:meth:`rest`) and its positions and normals at a frame (:meth:`pose`: joints move a body,
    wheels spin and steer), in the entity frame."""

    def __init__(self, scene: Any, timeline: Any) -> None:
        from scenegraph.appearance.gait import pose_track, skin_matrices
        from scenegraph.appearance.vehicle import vehicle_parts, wheel_track

        self.rigs: dict[str, tuple[Rig, np.ndarray, np.ndarray]] = {}
        self.vehicles: dict[str, tuple[Any, np.ndarray | None]] = {}
        seed = int(getattr(scene, "seed", 0))
        for e in scene.entities("object"):
            if e.id not in timeline.ids:
                continue
            rig = rig_for(e, seed)
            if rig is not None:
                mats = skin_matrices(rig, pose_track(scene, timeline, e.id, rig))
                mats[..., :3, 3] -= np.einsum("fjik,jk->fji", mats[..., :3, :3], rig.bind_world())
                self.rigs[e.id] = (rig, mats, np.concatenate([j for _, _, j in rig.parts]).astype(np.int64))
                continue
            vp = vehicle_parts(e)
            if vp is not None:
                rots = wheel_track(scene, timeline, e.id, vp) if timeline.frame_count > 1 and vp.wheels else None
                self.vehicles[e.id] = (vp, rots)

    def __contains__(self, entity_id: str) -> bool:
        return entity_id in self.rigs or entity_id in self.vehicles

    def moves(self, entity_id: str) -> bool:
        """Whether the entity's posed mesh changes over the clip (joints that move, wheels that turn)."""
        if entity_id in self.rigs:
            mats = self.rigs[entity_id][1]
            return not bool(np.all(mats == mats[:1]))
        rots = self.vehicles.get(entity_id, (None, None))[1]
        return rots is not None and not bool(np.all(rots == rots[:1]))

    def rest(self, entity_id: str, base_color: Any) -> tuple[Any, np.ndarray] | None:
        """(rest Mesh, albedo (V, 3)): a body's clothes or a vehicle's paint in ``base_color``, other parts in
        their own colours; None for other entities."""
        from scenegraph.appearance.shapes import merge, transform_mesh

        if entity_id in self.rigs:
            rig = self.rigs[entity_id][0]
            parts = [(role, m, rig.colors.get(role, base_color)) for role, m, _ in rig.parts]
            paint = "clothes"
        elif entity_id in self.vehicles:
            from scenegraph.appearance.vehicle import PART_LOOKS

            vp = self.vehicles[entity_id][0]
            look = {r: v[0] for r, v in PART_LOOKS.items()}
            parts = [(role, m, look.get(role, base_color)) for role, m in vp.body]
            parts += [(role, transform_mesh(m, translate=w.center), look[role]) for w, wm in zip(vp.wheels, vp.wheel_meshes) for role, m in wm]
            paint = "body"
        else:
            return None
        albedo = np.concatenate([np.broadcast_to(np.asarray(base_color if role == paint else c, np.float64), (len(m), 3))
                                 for role, m, c in parts])
        return merge([m for _, m, _ in parts]), albedo

    def pose(self, entity_id: str, positions: np.ndarray, normals: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """``positions`` and ``normals`` (V, 3) of the rest mesh at ``frame`` (unchanged for other entities)."""
        if entity_id in self.rigs:
            _, mats, joint = self.rigs[entity_id]
            m = mats[min(max(frame, 0), len(mats) - 1)][joint]
            return (np.einsum("vij,vj->vi", m[:, :3, :3], positions) + m[:, :3, 3],
                    np.einsum("vij,vj->vi", m[:, :3, :3], normals))
        if entity_id in self.vehicles and self.vehicles[entity_id][1] is not None:
            from scenegraph.model.rotations import quat_to_matrix

            vp, rots = self.vehicles[entity_id]
            q = rots[min(max(frame, 0), len(rots) - 1)]
            p, n = positions.copy(), normals.copy()
            start = sum(len(m) for _, m in vp.body)
            for k, (w, wm) in enumerate(zip(vp.wheels, vp.wheel_meshes)):
                end = start + sum(len(m) for _, m in wm)
                r = quat_to_matrix(q[k].astype(np.float64))
                c = np.asarray(w.center)
                p[start:end] = (positions[start:end] - c) @ r.T + c
                n[start:end] = normals[start:end] @ r.T
                start = end
            return p, n
        return positions, normals
