"""A geometry buffer: which surface point of which mesh each pixel sees.

:func:`surface_buffer` z-buffers posed meshes (each given in its own local frame
with its world matrix) through a :class:`~scenegraph.world.views.PinholeCamera`
and returns, per pixel, the mesh index, the surface point in that mesh's
local frame, the world-space unit normal and the camera depth.  The point in
the local frame is what makes exact motion vectors possible: move it by the
mesh's world matrix at another time, project it, and the difference is the
flow.  The rasterizer is :mod:`~scenegraph.appearance.raster_mesh` (one
z-buffer over all meshes, with the pixel centres, back-face culling and near
clipping of :func:`~scenegraph.appearance.mesh_render.render_mesh` and the
instance pass); the local point and normal are interpolated perspective-correctly.

>>> import numpy as np
>>> from scenegraph.appearance.shapes import box_mesh
>>> from scenegraph.world.views import PinholeCamera
>>> cam = PinholeCamera(16, 16, 16.0, 16.0, 8.0, 8.0, np.diag([1.0, -1.0, -1.0, 1.0]))  # at the origin, looking down -Z
>>> m = np.eye(4); m[2, 3] = -4.0
>>> g = surface_buffer([(box_mesh((-1, -1, -1), (1, 1, 1)), m)], cam)
>>> int(g.index[8, 8]), round(float(g.depth[8, 8]), 3), np.round(g.normal[8, 8], 3).tolist()
(0, 3.0, [0.0, 0.0, 1.0])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from scenegraph.appearance.shapes import Mesh
from scenegraph.world.views import PinholeCamera

__all__ = ["SurfaceBuffer", "surface_buffer", "project", "sample_bilinear", "posed_mesh"]


@dataclass
class SurfaceBuffer:
    """``index`` (H, W) int32 mesh index (-1 = nothing), ``local`` (H, W, 3) float64 point in that
    mesh's frame, ``normal`` (H, W, 3) float32 world unit normal, ``depth`` (H, W) float32 camera z (0 = nothing)."""

    index: np.ndarray
    local: np.ndarray
    normal: np.ndarray
    depth: np.ndarray


def posed_mesh(mesh: Mesh, m: np.ndarray) -> Mesh:
    """``mesh`` moved by the world matrix ``m`` (4, 4); normals by the inverse transpose."""
    m = np.asarray(m, dtype=np.float64)
    normals = mesh.normals.astype(np.float64) @ np.linalg.inv(m[:3, :3])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return Mesh(mesh.positions.astype(np.float64) @ m[:3, :3].T + m[:3, 3], normals, mesh.uvs, mesh.indices)


def surface_buffer(meshes: Sequence[tuple[Mesh, Any]], camera: PinholeCamera) -> SurfaceBuffer:
    """Rasterize ``meshes`` ((local mesh, world matrix (4, 4)) pairs) into a :class:`SurfaceBuffer`.

    One z-buffer over all meshes (:mod:`scenegraph.appearance.raster_mesh`: the
    pixel centres, back-face culling and near clipping of ``render_mesh``; the
    earlier mesh wins a tie); the local point and the normal are interpolated
    perspective-correctly from the winning triangle's corners.
    """
    from scenegraph.appearance.raster_mesh import clip_project, raster, resolve

    h, w = camera.height, camera.width
    index = np.full(h * w, -1, np.int32)
    local = np.zeros((h * w, 3), np.float64)
    normal = np.zeros((h * w, 3), np.float32)
    depth = np.zeros(h * w, np.float32)
    pos, nrm, loc, idx, owner = [], [], [], [], []
    base = 0
    for k, (mesh, m) in enumerate(meshes):
        if len(mesh.indices) == 0:
            continue
        posed = posed_mesh(mesh, m)
        pos.append(posed.positions)
        nrm.append(posed.normals)
        loc.append(mesh.positions.astype(np.float64))
        idx.append(mesh.indices.astype(np.int64) + base)
        owner.append(np.full(len(mesh.positions), k, np.int32))
        base += len(mesh.positions)
    if idx:
        proj = clip_project(np.concatenate(pos), np.concatenate(idx), camera.world_to_camera,
                            (camera.fx, camera.fy, camera.cx, camera.cy), znear=camera.znear, zfar=camera.zfar)
        key = raster(proj.screen, proj.z, w, h)
        pix, tri, z, wts = resolve(key, proj, w)
        src = proj.src[tri]
        index[pix] = np.concatenate(owner)[src[:, 0]]
        local[pix] = np.einsum("pk,pkc->pc", wts, np.concatenate(loc)[src])
        n = np.einsum("pk,pkc->pc", wts, np.concatenate(nrm)[src])
        normal[pix] = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        depth[pix] = z
    return SurfaceBuffer(index.reshape(h, w), local.reshape(h, w, 3), normal.reshape(h, w, 3), depth.reshape(h, w))


def project(points: np.ndarray, camera: PinholeCamera) -> tuple[np.ndarray, np.ndarray]:
    """Image coordinates (N, 2) in pixels (x right, y down; pixel (i, j)'s centre is (j + 0.5, i + 0.5))
    and camera depth z (N,) of world points (N, 3)."""
    m = camera.world_to_camera
    pc = np.asarray(points, dtype=np.float64) @ m[:3, :3].T + m[:3, 3]
    z = pc[:, 2]
    zs = np.where(np.abs(z) > 1e-12, z, 1e-12)
    uv = np.stack([camera.fx * pc[:, 0] / zs + camera.cx, camera.fy * pc[:, 1] / zs + camera.cy], axis=1)
    return uv, z


def sample_bilinear(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """``image`` (H, W, C) sampled at pixel coordinates ``uv`` (..., 2) (pixel centres at +0.5), edges clamped."""
    h, w = image.shape[:2]
    x = np.clip(uv[..., 0] - 0.5, 0.0, w - 1.0)
    y = np.clip(uv[..., 1] - 0.5, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2) if w > 1 else np.zeros(x.shape, np.int64)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2) if h > 1 else np.zeros(y.shape, np.int64)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    img = np.asarray(image)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy
