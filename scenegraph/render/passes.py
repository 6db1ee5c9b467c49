"""Ground-truth passes from the world state: motion vectors, normals, semantic classes, boxes.

Nothing here looks at pixels.  Each frame's :class:`~scenegraph.appearance.gbuffer.SurfaceBuffer`
(the proxy meshes posed by the Timeline, z-buffered through the frame's camera)
says which surface point of which entity every pixel shows; the passes follow:

- ``flow_forward`` / ``flow_backward`` (H, W, 2) float32, pixels (dx right, dy down):
  where the surface point this pixel shows at frame f is at frame f+1 / f-1
  (the entity's motion and the camera's), background pixels by the camera's
  rotation alone (points at infinity); zero at the first/last frame.
  ``flow_forward_valid`` / ``flow_backward_valid`` (H, W) bool: the point is
  in view and not occluded at that frame (same entity there, depth within
  3 % + 5 cm).
- ``normal`` (H, W, 3) float32: world-space unit normal (scene frame, +Y up), 0 on background.
- ``semantic`` (H, W) int32: class id from :func:`class_table` (0 = background).
- boxes (per entity per frame, JSON): ``box_3d`` (world centre, size along the
  entity's axes, xyzw rotation, 8 corners, metres), ``corners_2d`` (the 8
  corners projected, pixels, null when a corner is behind the camera),
  ``box_2d_amodal`` (their bounding box) and ``box_2d`` (the visible pixels'
  box, [x0, y0, x1, y1) pixel edges), ``pixels`` (visible pixel count).

See docs/passes.md for the file layout.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from scenegraph.appearance.gbuffer import SurfaceBuffer, project, surface_buffer
from scenegraph.model import Scene

__all__ = ["PassMaker", "class_table", "PASS_NAMES"]

PASS_NAMES = ("flow_forward", "flow_backward", "flow_forward_valid", "flow_backward_valid", "normal", "semantic")
_CORNERS = np.array([[i & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], dtype=np.float64)


def class_table(scene: Scene) -> dict[str, int]:
    """Class name -> id: 0 background, then the object catalogue in its order (stable across
    scenes), then this scene's classes outside the catalogue, sorted."""
    from scenegraph.model.catalog import CATALOG

    table = {"background": 0}
    for name in CATALOG:
        table.setdefault(name, len(table))
    for name in sorted({e.cls for e in scene.entities("object")}):
        table.setdefault(name, len(table))
    return table


class PassMaker:
    """Passes of one camera over a Timeline; frames' surface buffers are cached (a few at a time)."""

    def __init__(self, scene: Scene, timeline: Any, camera: str, width: int, height: int, world: np.ndarray | None = None) -> None:
        from scenegraph.appearance.proxy import proxy_mesh
        from scenegraph.world.views import PinholeCamera

        self.scene, self.tl = scene, timeline
        self.world = timeline.world_matrices() if world is None else world
        self.index = {eid: i for i, eid in enumerate(timeline.ids)}
        self.objects = [e for e in scene.entities("object") if e.id in self.index]
        self.meshes = [proxy_mesh(e.proxy or e.cls, e.bounds) for e in self.objects]
        self.classes = class_table(scene)
        self._cls_of = np.array([self.classes[e.cls] for e in self.objects] + [0], dtype=np.int32)  # [-1] = background
        from scenegraph.model.lens import camera_at

        cam_e = scene.entity(camera)
        cam_i = self.index[camera]
        self.cameras = [PinholeCamera.from_scene_camera(camera_at(cam_e, float(timeline.time[f])), self.world[f, cam_i], width, height)
                        for f in range(timeline.frame_count)]
        self._cache: dict[int, SurfaceBuffer] = {}

    @property
    def ids(self) -> list[str]:
        """Entity ids in surface-buffer index order."""
        return [e.id for e in self.objects]

    def buffer(self, f: int) -> SurfaceBuffer:
        if f not in self._cache:
            if len(self._cache) >= 4:
                self._cache.pop(max(self._cache, key=lambda k: abs(k - f)))
            meshes = [(mesh, self.world[f, self.index[e.id]]) for e, mesh in zip(self.objects, self.meshes)]
            self._cache[f] = surface_buffer(meshes, self.cameras[f])
        return self._cache[f]

    def flow(self, f: int, g: int) -> tuple[np.ndarray, np.ndarray]:
        """(flow (H, W, 2) float32 pixels from frame f to frame g, valid (H, W) bool)."""
        buf = self.buffer(f)
        cam_f, cam_g = self.cameras[f], self.cameras[g]
        h, w = buf.index.shape
        flow = np.zeros((h, w, 2), np.float64)
        valid = np.zeros((h, w), bool)
        target = self.buffer(g)
        for k in np.unique(buf.index[buf.index >= 0]):
            sel = buf.index == k
            e = self.objects[k]
            p = buf.local[sel]
            mf, mg = self.world[f, self.index[e.id]], self.world[g, self.index[e.id]]
            uv_f, _ = project(p @ mf[:3, :3].T + mf[:3, 3], cam_f)
            uv_g, z_g = project(p @ mg[:3, :3].T + mg[:3, 3], cam_g)
            flow[sel] = uv_g - uv_f
            valid[sel] = self._visible_at(target, uv_g, z_g, k)
        bg = buf.index < 0
        if bg.any():  # points at infinity: only the camera's rotation moves them
            ys, xs = np.nonzero(bg)
            pix = np.stack([xs + 0.5, ys + 0.5, np.ones(len(xs))], axis=1)
            rays = pix @ np.linalg.inv(cam_f.K).T  # camera-f directions
            rel = cam_g.world_to_camera[:3, :3] @ cam_f.camera_to_world[:3, :3]
            d = rays @ rel.T
            z = d[:, 2]
            zs = np.where(np.abs(z) > 1e-12, z, 1e-12)
            uv_g = np.stack([cam_g.fx * d[:, 0] / zs + cam_g.cx, cam_g.fy * d[:, 1] / zs + cam_g.cy], axis=1)
            flow[ys, xs] = uv_g - pix[:, :2]
            valid[ys, xs] = self._visible_at(target, uv_g, np.where(z > 0, np.inf, -1.0), -1)
        return flow.astype(np.float32), valid

    @staticmethod
    def _visible_at(target: SurfaceBuffer, uv: np.ndarray, z: np.ndarray, k: int) -> np.ndarray:
        h, w = target.index.shape
        col = np.floor(uv[:, 0]).astype(np.int64)
        row = np.floor(uv[:, 1]).astype(np.int64)
        inside = (col >= 0) & (col < w) & (row >= 0) & (row < h) & (z > 0)
        ok = np.zeros(len(uv), bool)
        r, c = row[inside], col[inside]
        same = target.index[r, c] == k
        if k >= 0:
            d = target.depth[r, c].astype(np.float64)
            same &= np.abs(d - z[inside]) <= 0.03 * z[inside] + 0.05
        ok[inside] = same
        return ok

    def frame(self, f: int) -> dict[str, np.ndarray]:
        """The per-pixel passes of frame ``f`` (see the module docstring)."""
        buf = self.buffer(f)
        h, w = buf.index.shape
        last = self.tl.frame_count - 1
        out: dict[str, np.ndarray] = {}
        for name, g in (("forward", f + 1), ("backward", f - 1)):
            if 0 <= g <= last:
                out[f"flow_{name}"], out[f"flow_{name}_valid"] = self.flow(f, g)
            else:
                out[f"flow_{name}"], out[f"flow_{name}_valid"] = np.zeros((h, w, 2), np.float32), np.zeros((h, w), bool)
        out["normal"] = buf.normal
        out["semantic"] = self._cls_of[buf.index]
        return out

    def boxes(self, f: int) -> list[dict]:
        """One record per object entity at frame ``f`` (see the module docstring)."""
        buf = self.buffer(f)
        return [self.box(f, k, *np.nonzero(buf.index == k)) for k in range(len(self.objects))]

    def box(self, f: int, k: int, ys: np.ndarray, xs: np.ndarray) -> dict:
        """The box record of object ``k`` at frame ``f`` whose visible pixels are ``ys``, ``xs``."""
        from scenegraph.model.rotations import quat_from_matrix

        e = self.objects[k]
        cam = self.cameras[f]
        m = self.world[f, self.index[e.id]]
        lo, hi = e.bounds
        corners = (lo + _CORNERS * (hi - lo)) @ m[:3, :3].T + m[:3, 3]
        axes = np.linalg.norm(m[:3, :3], axis=0)
        rot = m[:3, :3] / np.maximum(axes, 1e-12)
        uv, z = project(corners, cam)
        front = bool((z > cam.znear).all())
        return {
            "id": e.id,
            "class": e.cls,
            "class_id": int(self.classes[e.cls]),
            "pixels": int(xs.size),
            "box_2d": [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1] if xs.size else None,
            "box_2d_amodal": [*np.round(uv.min(axis=0), 3).tolist(), *np.round(uv.max(axis=0), 3).tolist()] if front else None,
            "corners_2d": np.round(uv, 3).tolist() if front else None,
            "box_3d": {
                "center": np.round(m[:3, :3] @ (0.5 * (lo + hi)) + m[:3, 3], 6).tolist(),
                "size": np.round((hi - lo) * axes, 6).tolist(),
                "rotation": np.round(quat_from_matrix(rot), 6).tolist(),
                "corners": np.round(corners, 6).tolist(),
            },
        }
