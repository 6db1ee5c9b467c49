"""Frames and passes from a Timeline (see :mod:`scenegraph.render`)."""
from __future__ import annotations

import io
import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenegraph.appearance.assign import SURFACE_CLASSES, mesh_only
from scenegraph.render.sky import is_sky_entity
from scenegraph.errors import ModelError, SceneGraphError
from scenegraph.model import Scene

__all__ = ["RenderedFrame", "render", "write_frames", "parse_frames", "encode_png", "SURFACE_CLASSES"]


@dataclass
class RenderedFrame:
    """One camera's view at one frame.

    ``rgb`` (H, W, 3) float32 linear, ``alpha`` (H, W) float32, ``depth`` (H, W)
    float32 metres along the camera axis (0 = nothing), ``instance`` (H, W)
    int32 index into ``ids`` (-1 = background), ``visible``: ids the
    Timeline's visibility record marks visible in this frame.
    """

    frame: int
    time: float
    camera: str
    ids: tuple[str, ...]
    rgb: np.ndarray
    alpha: np.ndarray
    depth: np.ndarray
    instance: np.ndarray
    visible: list[str] = field(default_factory=list)
    #: extra ground-truth passes (:mod:`scenegraph.render.passes`): flow, normal, semantic arrays
    passes: dict = field(default_factory=dict)
    #: per-entity 2D/3D boxes (:meth:`scenegraph.render.passes.PassMaker.boxes`)
    boxes: list = field(default_factory=list)
    #: class name -> id of the ``semantic`` pass
    classes: dict = field(default_factory=dict)

    def mask(self, entity_id: str) -> np.ndarray:
        """(H, W) bool: pixels showing ``entity_id``."""
        if entity_id not in self.ids:
            raise ModelError(f"no entity {entity_id!r} in this frame's ids")
        return self.instance == self.ids.index(entity_id)


def parse_frames(spec: str | Sequence[int] | None, frame_count: int) -> list[int]:
    """Frame indices from ``None`` (all), a list, or ``"START:STOP[:STEP]"`` / ``"N"``; raises ModelError when out of range."""
    if spec is None:
        return list(range(frame_count))
    if isinstance(spec, str):
        try:
            parts = [int(p) if p.strip() else None for p in spec.split(":")]
        except ValueError:
            raise ModelError(f"frames {spec!r}: expected N or START:STOP[:STEP] with integers") from None
        if len(parts) == 1:
            frames = [parts[0]]
        elif len(parts) in (2, 3):
            step = parts[2] if len(parts) == 3 and parts[2] is not None else 1
            if step <= 0:
                raise ModelError(f"frames {spec!r}: the step must be positive")
            frames = list(range(parts[0] or 0, frame_count if parts[1] is None else parts[1], step))
        else:
            raise ModelError(f"frames {spec!r}: expected N or START:STOP[:STEP]")
    else:
        frames = [int(f) for f in spec]
    bad = [f for f in frames if f is None or not 0 <= f < frame_count]
    if bad or not frames:
        raise ModelError(f"frames {spec!r}: the scene has frames 0..{frame_count - 1}")
    return frames


def _decompose(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a world matrix into (rotation+translation with uniform scale, residual per-axis scale (3,))."""
    lin = m[:3, :3]
    axis_scale = np.linalg.norm(lin, axis=0)
    uniform = float(np.cbrt(np.prod(axis_scale)))
    residual = axis_scale / uniform
    similarity = m.copy()
    similarity[:3, :3] = lin / residual  # columns rescaled: rotation x uniform scale
    return similarity, residual


def _posed_cloud(scene: Scene, world: np.ndarray, index: dict[str, int], skins: Any = None, frame: int = 0) -> Any:
    """All objects' Gaussians in world space at one frame (None if no object has any); ``skins``
    (:class:`~scenegraph.appearance.skinning.SkinnedClouds`) poses characters' splats by their joints."""
    from scenegraph.model.gaussians import Gaussians
    from scenegraph.appearance.ops import merge, transform

    clouds = []
    for e in scene.entities("object"):
        if mesh_only(e):
            continue
        g = e.gaussians
        if g is None or len(g) == 0:
            continue
        if skins:
            g = skins.deform(e.id, g, frame)
        similarity, residual = _decompose(world[index[e.id]])
        if not np.allclose(residual, 1.0, atol=1e-6):  # non-uniform scale: exact for means, axis-aligned for shapes
            g = Gaussians(g.means * residual, g.quats, g.scales * residual, g.opacities, g.sh)
        clouds.append(transform(g, similarity))
    return merge(clouds) if clouds else None


def _posed_proxy(entity: Any, m: np.ndarray) -> Any:
    """The entity's proxy mesh moved by its world matrix ``m`` (4, 4)."""
    from scenegraph.appearance.proxy import Mesh, proxy_mesh

    base = proxy_mesh(entity.proxy or entity.cls, entity.bounds)
    normals = base.normals @ np.linalg.inv(m[:3, :3])  # inverse-transpose, applied to row vectors
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return Mesh(base.positions @ m[:3, :3].T + m[:3, 3], normals, base.uvs, base.indices)


def _instance_pass(scene: Scene, world: np.ndarray, index: dict[str, int], camera: Any) -> np.ndarray:
    """instance (H, W) int32 from the posed proxy meshes (an exact z-buffer), -1 for background."""
    from scenegraph.appearance.mesh_render import render_mesh

    h, w = camera.height, camera.width
    best = np.full((h, w), np.inf, np.float32)
    inst = np.full((h, w), -1, np.int32)
    for e in scene.entities("object"):
        if is_sky_entity(e):  # the sky is the background, not a thing in the picture
            continue
        _, alpha, depth = render_mesh(_posed_proxy(e, world[index[e.id]]), camera, (1.0, 1.0, 1.0))
        hit = (alpha > 0) & (depth > 0) & (depth < best)
        best[hit] = depth[hit]
        inst[hit] = index[e.id]
    return inst


def _surface_pass(scene: Scene, world: np.ndarray, index: dict[str, int], camera: Any, background: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rgb, alpha, depth) of the ground-like entities (SURFACE_CLASSES) and kit pieces as shaded meshes over ``background``."""
    from scenegraph.appearance.mesh_render import render_mesh
    from scenegraph.appearance.proxy import proxy_mesh, proxy_vertex_colors

    h, w = camera.height, camera.width
    rgb = np.broadcast_to(background, (h, w, 3)).astype(np.float32)
    alpha = np.zeros((h, w), np.float32)
    best = np.full((h, w), np.inf, np.float32)
    for e in scene.entities("object"):
        if not mesh_only(e) or is_sky_entity(e):
            continue
        mat = scene.material_of(e.id)
        color = mat.base_color if mat is not None else (0.5, 0.5, 0.5)
        posed = _posed_proxy(e, world[index[e.id]])
        shape = e.proxy or e.cls
        tints = proxy_vertex_colors(shape, proxy_mesh(shape, e.bounds), color)  # markings, windows, lamps
        c, a, d = render_mesh(posed, camera, (1.0, 1.0, 1.0), vertex_colors=tints, background=background)
        hit = (a > 0) & (d > 0) & (d < best)
        best[hit], rgb[hit], alpha[hit] = d[hit], c[hit], a[hit]
    return rgb, alpha, np.where(np.isfinite(best), best, 0.0).astype(np.float32)


def _splat_frame(scene: Scene, world: np.ndarray, index: dict[str, int], pin: Any, bg: np.ndarray, backend: str,
                 skins: Any = None, frame: int = 0) -> tuple:
    """(rgb, alpha, depth, instance) of the unlit splat preview: every object's Gaussians over the shaded surfaces."""
    from scenegraph.appearance.rasterize import render_gaussians

    surf_rgb, surf_alpha, surf_depth = _surface_pass(scene, world, index, pin, bg)
    cloud = _posed_cloud(scene, world, index, skins, frame)
    if cloud is not None:  # splats over the surfaces (objects stand on them, so in front)
        res = render_gaussians(cloud, pin, background=(0.0, 0.0, 0.0), backend=backend)
        s_rgb, s_alpha, s_depth = (np.asarray(t.detach().cpu().numpy(), dtype=np.float32) for t in res)
        rgb = s_rgb + (1.0 - s_alpha)[..., None] * surf_rgb
        alpha = s_alpha + (1.0 - s_alpha) * surf_alpha
        depth = np.where((s_alpha >= 0.5) | (surf_alpha == 0), s_depth, surf_depth)
    else:
        rgb, alpha, depth = surf_rgb, surf_alpha, surf_depth
    return rgb, alpha, depth, _instance_pass(scene, world, index, pin)


def render(
    scene: Scene,
    timeline: Any = None,
    *,
    camera: str | None = None,
    frames: str | Sequence[int] | None = None,
    width: int | None = 320,
    height: int | None = None,
    background: Sequence[float] | None = None,
    backend: str = "auto",
    passes: bool = True,
    renderer: str = "builtin",
    progress: Any = None,
) -> list[RenderedFrame]:
    """Render ``frames`` of ``scene`` through ``camera`` (default: the first camera).

    ``width`` (default 320; None = the camera's own) sets the image size, the
    height following the camera's aspect unless given.  ``renderer``: "builtin"
    (default: lit by the sun, the sky and the scene's lights, with shadows, see
    :mod:`scenegraph.render.lit`) or "splats" (every object as its Gaussians,
    unlit, over the shaded ground; objects without Gaussians get some sampled on
    their proxy meshes).  ``background`` replaces the sky (default: the sky;
    black for "splats").  ``progress(done, total)`` is called after each frame.
    ``passes`` adds motion vectors, normals, semantic ids and boxes
    (:mod:`scenegraph.render.passes`).  Raises ModelError for an unknown camera,
    frame or renderer, SceneGraphError subclasses from the backends.
    """
    from scenegraph.world.views import PinholeCamera
    from scenegraph.world import simulate

    from scenegraph.model.lens import camera_at
    from scenegraph.world.coverage import active_cameras

    cams = scene.cameras()
    cut = camera is None  # the live camera of each frame (a scene with cuts lists its shots)
    if camera is None:
        if not cams:
            raise ModelError("render: the scene has no camera")
        camera = cams[0].id
    cam_entity = scene.entity(camera)
    if cam_entity.kind != "camera":
        raise ModelError(f"render: {camera!r} is a {cam_entity.kind}, not a camera")
    if renderer not in ("builtin", "splats"):
        raise ModelError(f"render: unknown renderer {renderer!r} (builtin, splats; blender through scenegraph.pipeline.render)")
    tl = timeline if timeline is not None else simulate(scene)
    if renderer == "splats" and any(e.gaussians is None and not mesh_only(e) for e in scene.entities("object")):
        # e.g. a file edited in Blender, which drops splat attributes: objects without
        # Gaussians are drawn with proxy-sampled ones (deterministic per scene seed)
        from scenegraph.appearance.assign import assign_gaussians

        scene = scene.copy()
        assign_gaussians(scene, mode="proxy", seed=scene.seed)
    params = cam_entity.camera
    w = int(width or params.width)
    h = int(height or round(w / params.aspect))
    index = {eid: i for i, eid in enumerate(tl.ids)}
    bg = np.asarray(background if background is not None else (0.0, 0.0, 0.0), dtype=np.float32).reshape(3)
    session = None
    if renderer == "builtin":  # kept between calls on an unchanged scene (a preview draws a frame a call)
        from scenegraph.render.session import lit_session

        session = lit_session(scene, tl, backend)
    world_all = session.world_all if session is not None else tl.world_matrices()
    out = []
    live = active_cameras(scene, tl.time) if cut else [camera] * tl.frame_count
    makers: dict = {}
    todo = parse_frames(frames, tl.frame_count)
    skins = None
    if renderer != "builtin":
        from scenegraph.appearance.skinning import SkinnedClouds

        skins = SkinnedClouds(scene, tl)  # characters' splats follow their joints
    lit = session.lit if session is not None else None  # characters by their joints, wheels spinning
    for f in todo:
        world = world_all[f]
        camera = live[f]
        vis = tl.visibility.get(camera)
        pin = PinholeCamera.from_scene_camera(camera_at(scene.entity(camera), float(tl.time[f])), world[index[camera]], w, h)
        maker = None
        if passes:
            from scenegraph.render.passes import PassMaker

            maker = makers.get(camera) or makers.setdefault(camera, PassMaker(scene, tl, camera, w, h, world=world_all))
        if lit is not None:
            lit.frame_index = f
            rgb, alpha, depth, inst = lit.frame(world, index, pin, background)
        else:
            rgb, alpha, depth, inst = _splat_frame(scene, world, index, pin, bg, backend, skins, f)
        visible = [] if vis is None else [tl.ids[i] for i in np.flatnonzero(vis.visible[f])]
        fr = RenderedFrame(f, float(tl.time[f]), camera, tuple(tl.ids), rgb, alpha, depth, inst, visible)
        if maker is not None:
            fr.passes, fr.boxes, fr.classes = maker.frame(f), maker.boxes(f), maker.classes
        out.append(fr)
        if progress is not None:
            progress(len(out), len(todo))
    return out


def _srgb8(rgb: np.ndarray) -> np.ndarray:
    from scenegraph.appearance.captures import linear_to_srgb

    return np.round(linear_to_srgb(rgb) * 255.0).astype(np.uint8)


def encode_png(rgb8: np.ndarray) -> bytes:
    """A PNG file's bytes for an (H, W, 3) uint8 image (no dependencies)."""
    h, w, _ = rgb8.shape
    raw = b"".join(b"\x00" + rgb8[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def write_frames(frames: Sequence[RenderedFrame], folder: str | os.PathLike) -> list[Path]:
    """Write ``rgb_NNNN.png`` (sRGB) and ``passes_NNNN.npz`` (rgb, alpha, depth, instance, and the
    frame's extra passes) per frame, ``boxes_NNNN.json`` where boxes were made, and ``passes.json``.

    ``passes.json`` maps instance indices to entity ids, holds the semantic class
    table and lists each frame's visible ids (layout: docs/passes.md).  Every
    file is written atomically.
    """
    from scenegraph.model.files import atomic_write

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SceneGraphError(f"{folder}: cannot create the output folder ({exc.strerror})") from None
    written = []
    index = {"ids": list(frames[0].ids) if frames else [], "camera": frames[0].camera if frames else None, "frames": []}
    for fr in frames:
        png = folder / f"rgb_{fr.frame:04d}.png"
        atomic_write(png, encode_png(_srgb8(fr.rgb)))
        npz = folder / f"passes_{fr.frame:04d}.npz"
        buf = io.BytesIO()
        np.savez_compressed(buf, rgb=fr.rgb, alpha=fr.alpha, depth=fr.depth, instance=fr.instance, **fr.passes)
        atomic_write(npz, buf.getvalue())
        written += [png, npz]
        entry = {"frame": fr.frame, "time": fr.time, "rgb": png.name, "passes": npz.name, "visible": fr.visible}
        if fr.boxes:
            boxes = folder / f"boxes_{fr.frame:04d}.json"
            atomic_write(boxes, json.dumps({"frame": fr.frame, "time": fr.time, "camera": fr.camera, "entities": fr.boxes}, indent=1) + "\n")
            written.append(boxes)
            entry["boxes"] = boxes.name
        if fr.classes:
            index["classes"] = fr.classes
        index["frames"].append(entry)
    atomic_write(folder / "passes.json", json.dumps(index, indent=2) + "\n")
    written.append(folder / "passes.json")
    return written
