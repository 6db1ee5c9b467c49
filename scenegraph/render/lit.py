"""The built-in beauty renderer: lit frames of the world state in numpy, about a second a frame.

One z-buffer (:mod:`scenegraph.appearance.raster_mesh`) over every entity's posed mesh
gives a G-buffer (depth, entity, normal, albedo, material); it is shaded in
one vectorised pass:

- the sun (the scene's brightest directional light): Lambert + normalised
  Blinn-Phong, with a shadow map (an orthographic z-buffer of the objects seen
  from the sun, 2x2 percentage-closer filtered, normal-offset biased);
- the sky as a hemisphere light (zenith above, ground bounce below) and as a
  reflection on glossy surfaces (Schlick Fresnel);
- the scene's point and spot lights (inverse square, glTF range window, cone
  falloff) and emissive materials;
- aerial haze towards the sky colour with distance, the sky gradient (and
  sun glow) behind everything, then a filmic tone curve (ACES fit).

Entities whose Gaussians are a capture (``attributes["splats"] == "capture"``,
set by ``scenegraph attach``) are drawn as splats, lit by the frame's overall
light level and composited with the meshes by depth.  The ground-truth passes
(depth, instance) come from the same z-buffer over all proxy meshes, never from
the lighting: day and night give identical passes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scenegraph.render.gbuffer import GBufferCache, gbuffer
from scenegraph.render.shadow import SHADOW_MAX, ShadowCache, sun_visibility
from scenegraph.render.sky import Lighting, frame_lighting, is_sky_entity, sky_colour

__all__ = ["LitRenderer", "tone_map", "SHADOW_MAX", "SHADOW_REACH", "hull_in_view", "with_shadows"]

SHADOW_REACH = 500.0  # metres: the longest sun shadow followed when casters out of view are left out
EXPOSURE = 0.55  # display-linear -> the tone curve's input (ACES fits expect about 0.6)


def tone_map(x: np.ndarray) -> np.ndarray:
    """ACES filmic fit (Narkowicz 2015) of display-linear values, clipped to [0, 1]."""
    x = np.maximum(x, 0.0)
    return np.clip((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0)


@dataclass
class _Local:
    """An entity's mesh in its local frame with per-vertex albedo and material."""

    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    albedo: np.ndarray  # (V, 3)
    rough: float
    metal: float
    emissive: np.ndarray
    surface: bool
    glow: np.ndarray | None = None  # (V, 3) emission of glowing parts (lit windows, lamp heads), or None

    def __post_init__(self) -> None:
        self.albedo32 = np.asarray(self.albedo, np.float32)
        self.glow32 = None if self.glow is None else np.asarray(self.glow, np.float32)


@dataclass
class _Batch:
    positions: np.ndarray  # (V, 3) world
    normals: np.ndarray  # (V, 3) world
    albedo: np.ndarray  # (V, 3)
    indices: np.ndarray  # (T, 3)
    vert_item: np.ndarray  # (V,) item of each vertex
    item_entity: np.ndarray  # (I,) entity row (Timeline index) of each item
    item_rough: np.ndarray
    item_metal: np.ndarray
    item_emissive: np.ndarray  # (I, 3)
    caster_tris: np.ndarray  # (T,) bool: casts a sun shadow
    vert_glow: np.ndarray | None = None  # (V, 3) emission of glowing parts, None when nothing glows


class LitRenderer:
    """Renders lit frames of one scene; keeps each entity's local mesh between frames.

    ``frame(world, index, camera, background=None)`` returns (rgb, alpha, depth,
    instance): rgb (H, W, 3) float32 display-linear in [0, 1] (sRGB-encode it
    for a PNG), alpha (H, W) 1 where a surface is drawn, depth (H, W) metres
    along the camera axis (0 = sky), instance (H, W) int32 Timeline rows (-1 =
    sky).  ``background`` (3,) replaces the sky with a flat colour.
    """

    def __init__(self, scene: Any, *, splat_backend: str = "auto", skins: Any = None) -> None:
        self.scene = scene
        self.splat_backend = splat_backend
        self.skins = skins  # appearance.skinning.PosedMeshes: characters and vehicles as posed at self.frame_index
        self.frame_index = 0
        self._local: dict[str, _Local] = {}
        #: (E,) bool per Timeline row: never moves over the clip (set by :mod:`scenegraph.render.session`);
        #: their shadow map, world-space meshes and view rays are kept between frames
        self.static_rows: np.ndarray | None = None
        self._shadow = ShadowCache()
        self._gbuf = GBufferCache()
        self._posed: dict[str, tuple] = {}  # static entities' world-space (positions, normals)
        self._view: tuple | None = None  # (key, ray_cam, rays, sky) of the last camera orientation and sky
        objects = [e for e in scene.entities("object") if not is_sky_entity(e)]
        self.objects = objects
        self.splat_ids = [e.id for e in objects if _is_capture(e)]

    # ------------------------------------------------------------------ meshes
    def _local_mesh(self, e: Any) -> _Local:
        got = self._local.get(e.id)
        if got is None:
            from scenegraph.appearance.assign import SURFACE_CLASSES
            from scenegraph.appearance.proxy import proxy_mesh, proxy_vertex_colors, proxy_vertex_glow

            mat = self.scene.material_of(e.id)
            base = np.asarray(mat.base_color if mat is not None else (0.6, 0.6, 0.6), dtype=np.float64)
            rigged = self.skins.rest(e.id, base) if self.skins is not None else None
            glow = None
            if rigged is not None:  # a character or a vehicle: its body and parts, paint in the material's colour
                mesh, albedo = rigged[0], np.asarray(rigged[1], np.float64)
            else:
                mesh = proxy_mesh(e.proxy or e.cls, e.bounds)
                try:  # the body in its material's colour, parts with a finish (markings, windows, bark) in theirs
                    albedo = proxy_vertex_colors(e.proxy or e.cls, mesh, base).astype(np.float64)
                except Exception:  # noqa: BLE001 - a mesh without tints is plain
                    albedo = np.broadcast_to(base, (len(mesh), 3)).copy()
                try:
                    glow = proxy_vertex_glow(e.proxy or e.cls, mesh)
                except Exception:  # noqa: BLE001 - nothing glows
                    glow = None
            got = _Local(mesh.positions.astype(np.float64), mesh.normals.astype(np.float64), mesh.indices.astype(np.int64),
                         albedo, float(mat.roughness) if mat is not None else 0.6,
                         float(mat.metallic) if mat is not None else 0.0,
                         np.asarray(mat.emissive if mat is not None else (0, 0, 0), dtype=np.float64),
                         e.cls in SURFACE_CLASSES and e.cls != "ceiling",  # a ceiling shades the room from the sun
                         None if glow is None else glow.astype(np.float64))
            self._local[e.id] = got
        return got

    def _batch(self, world: np.ndarray, index: dict[str, int], entities: list) -> _Batch:
        pos, nrm, alb, idx, vit, casters = [], [], [], [], [], []
        ent, rough, metal, emis, glows = [], [], [], [], []
        base = 0
        fresh = [e for e in entities if not (self.static_rows is not None and e.id in self._posed)]
        inv = dict(zip((e.id for e in fresh), np.linalg.inv(world[[index[e.id] for e in fresh]][:, :3, :3]))) if fresh else {}
        for i, e in enumerate(entities):
            loc = self._local_mesh(e)
            m = world[index[e.id]]
            still = self.static_rows is not None and bool(self.static_rows[index[e.id]])
            got = self._posed.get(e.id) if still else None
            if got is None or got[0] != m.tobytes():
                lin = m[:3, :3]
                lp, ln = (loc.positions, loc.normals) if self.skins is None else self.skins.pose(e.id, loc.positions, loc.normals, self.frame_index)
                n = ln @ (inv[e.id] if e.id in inv else np.linalg.inv(lin))
                got = (m.tobytes(), lp @ lin.T + m[:3, 3],
                       (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)).astype(np.float32))
                if still:  # a static entity's world-space mesh is the same every frame
                    self._posed[e.id] = got
            pos.append(got[1])
            nrm.append(got[2])
            alb.append(loc.albedo32)
            idx.append(loc.indices + base)
            vit.append(np.full(len(loc.positions), i, np.int64))
            casters.append(np.full(len(loc.indices), not loc.surface))
            ent.append(index[e.id])
            rough.append(loc.rough)
            metal.append(loc.metal)
            emis.append(loc.emissive)
            glows.append(loc.glow32)
            base += len(loc.positions)
        if not entities:
            z3 = np.zeros((0, 3))
            return _Batch(z3, z3, z3, np.zeros((0, 3), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                          np.zeros(0), np.zeros(0), z3, np.zeros(0, bool))
        return _Batch(np.concatenate(pos), np.concatenate(nrm), np.concatenate(alb), np.concatenate(idx),
                      np.concatenate(vit), np.asarray(ent, np.int64), np.asarray(rough), np.asarray(metal),
                      np.asarray(emis, dtype=np.float64).reshape(-1, 3), np.concatenate(casters),
                      None if all(g is None for g in glows) else
                      np.concatenate([np.zeros((len(loc_p), 3), np.float32) if g is None else g for g, loc_p in zip(glows, pos)]))

    # ------------------------------------------------------------------ passes
    def _gbuffer(self, batch: _Batch, cam: Any) -> tuple:
        """(pix, src (P, 3) batch vertices, depth, wts) of the nearest surface per drawn pixel."""
        static = None if self.static_rows is None else self.static_rows[batch.item_entity]
        return gbuffer(batch, cam, static, self._gbuf)

    def passes(self, world: np.ndarray, index: dict[str, int], cam: Any) -> tuple[np.ndarray, np.ndarray]:
        """Ground truth only: (depth (H, W) float32, instance (H, W) int32) of every object's proxy mesh."""
        batch = self._batch(world, index, self.objects)
        pix, src, depth, _ = self._gbuffer(batch, cam)
        return _pass_images(batch, pix, src, depth, cam)

    def frame(self, world: np.ndarray, index: dict[str, int], cam: Any, background: Any = None) -> tuple:
        h, w = cam.height, cam.width
        light = frame_lighting(self.scene, world, index)
        splat_set = set(self.splat_ids)
        drawn = [e for e in self.objects if e.id not in splat_set]
        batch = self._batch(world, index, drawn)
        pix, src, zpix, wts = self._gbuffer(batch, cam)
        if splat_set:  # the passes also hold the splat entities' proxies
            depth, inst = self.passes(world, index, cam)
        else:
            depth, inst = _pass_images(batch, pix, src, zpix, cam)

        # view rays (world) for every pixel: the sky, the haze and the reflections
        c2w = np.linalg.inv(cam.world_to_camera)
        ray_cam, rays, sky = self._rays_and_sky(c2w, cam, light)
        if background is not None:
            sky = np.broadcast_to(np.asarray(background, dtype=np.float32).reshape(3), (h * w, 3))
        out = sky.copy() if background is None else np.zeros((h * w, 3), np.float32)

        if len(pix):
            item = batch.vert_item[src[:, 0]]
            w32 = wts.astype(np.float32)
            n = np.einsum("pk,pkc->pc", w32, batch.normals[src])
            n /= np.maximum(np.sqrt(np.einsum("pc,pc->p", n, n)), 1e-12)[:, None]
            alb = np.einsum("pk,pkc->pc", w32, batch.albedo[src])
            pw = (ray_cam[pix] * zpix[:, None]) @ c2w[:3, :3].T + c2w[:3, 3]
            view = -rays[pix]
            static = None if self.static_rows is None else self.static_rows[batch.item_entity]
            shadow = sun_visibility(light, _casters_in_view(batch, light, cam), pw, n, max(w, h), static, self._shadow)
            col = _shade(light, alb, n, view, pw, batch.item_rough[item], batch.item_metal[item], shadow)
            col += batch.item_emissive[item].astype(np.float32)
            if batch.vert_glow is not None:  # glowing parts: lit windows, lamp heads
                col += np.einsum("pk,pkc->pc", w32, batch.vert_glow[src])
            dist = np.linalg.norm(pw - c2w[:3, 3], axis=1).astype(np.float32)
            haze = (1.0 - np.exp(np.float32(-light.fog) * dist))[:, None]
            col = col * (1.0 - haze) + sky[pix] * haze
            out[pix] = col

        rgb = tone_map(EXPOSURE * out)
        alpha = np.zeros(h * w, np.float32)
        alpha[pix] = 1.0
        if background is not None:  # a flat background stays exactly the colour asked for
            bg_pix = np.ones(h * w, bool)
            bg_pix[pix] = False
            rgb[bg_pix] = sky[bg_pix]
        rgb = rgb.reshape(h, w, 3).astype(np.float32, copy=False)
        alpha = alpha.reshape(h, w)
        if splat_set:
            rgb, alpha = self._composite_splats(world, index, cam, light, rgb, alpha, zpix, pix)
        return rgb, alpha, depth, inst

    def _rays_and_sky(self, c2w: np.ndarray, cam: Any, light: Lighting) -> tuple:
        """Per pixel: the view ray in the camera (unnormalised, z = 1) and in the world (unit), and the sky
        along it; kept while the camera's orientation and intrinsics and the sky stay the same."""
        key = (c2w[:3, :3].tobytes(), cam.width, cam.height, cam.fx, cam.fy, cam.cx, cam.cy,
               None if light.sun_dir is None else np.asarray(light.sun_dir).tobytes(), np.asarray(light.sun_rgb).tobytes(),
               light.zenith.tobytes(), light.horizon.tobytes(), light.ground.tobytes(), light.period)
        if self._view is not None and self._view[0] == key:
            return self._view[1:]
        w, h = cam.width, cam.height
        xs = (np.arange(w) + 0.5 - cam.cx) / cam.fx
        ys = (np.arange(h) + 0.5 - cam.cy) / cam.fy
        ray_cam = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((1, 1))), axis=-1).reshape(-1, 3)
        rays = ray_cam @ c2w[:3, :3].T
        rays /= np.linalg.norm(rays, axis=1, keepdims=True)
        sky = sky_colour(light, rays).astype(np.float32)
        for a in (ray_cam, rays, sky):
            a.setflags(write=False)
        self._view = (key, ray_cam, rays, sky)
        return ray_cam, rays, sky

    # ------------------------------------------------------------------ splats
    def _composite_splats(self, world, index, cam, light: Lighting, rgb, alpha, zpix, pix) -> tuple:
        from scenegraph.appearance.ops import merge, transform
        from scenegraph.appearance.rasterize import render_gaussians
        from scenegraph.model.gaussians import Gaussians

        clouds = []
        for eid in self.splat_ids:
            g = self.scene.entity(eid).gaussians
            similarity, residual = _split_scale(world[index[eid]])
            if not np.allclose(residual, 1.0, atol=1e-6):
                g = Gaussians(g.means * residual, g.quats, g.scales * residual, g.opacities, g.sh)
            clouds.append(transform(g, similarity))
        res = render_gaussians(merge(clouds), cam, background=(0.0, 0.0, 0.0), backend=self.splat_backend)
        s_rgb, s_alpha, s_depth = (np.asarray(t.detach().cpu().numpy(), dtype=np.float32) for t in res)
        mesh_depth = np.full(cam.height * cam.width, np.inf, np.float32)
        mesh_depth[pix] = zpix
        mesh_depth = mesh_depth.reshape(cam.height, cam.width)
        front = (s_alpha > 0) & ((s_depth <= mesh_depth) | ~np.isfinite(mesh_depth))
        a = np.where(front, s_alpha, 0.0)[..., None]
        lit = np.clip(s_rgb * min(light.level, 1.5), 0.0, 1.0)  # captured colours carry their own light: scale to the frame's
        rgb = np.where(a > 0, lit * np.where(front, 1.0, 0.0)[..., None] + (1.0 - a) * rgb, rgb).astype(np.float32)
        alpha = np.maximum(alpha, a[..., 0]).astype(np.float32)
        return rgb, alpha


def _split_scale(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A world matrix as (rotation + translation with uniform scale, residual per-axis scale (3,))."""
    axis_scale = np.linalg.norm(m[:3, :3], axis=0)
    residual = axis_scale / float(np.cbrt(np.prod(axis_scale)))
    similarity = m.copy()
    similarity[:3, :3] = m[:3, :3] / residual
    return similarity, residual


def _is_capture(e: Any) -> bool:
    return e.gaussians is not None and str((e.attributes or {}).get("splats", "")).lower() == "capture"


def _pass_images(batch: _Batch, pix: np.ndarray, src: np.ndarray, depth: np.ndarray, cam: Any) -> tuple:
    h, w = cam.height, cam.width
    d = np.zeros(h * w, np.float32)
    inst = np.full(h * w, -1, np.int32)
    if len(pix):
        d[pix] = depth
        inst[pix] = batch.item_entity[batch.vert_item[src[:, 0]]]
    return d.reshape(h, w), inst.reshape(h, w)


def hull_in_view(pts: np.ndarray, cam: Any, margin: float = 2.0) -> np.ndarray:
    """(..., ) bool per set of points (..., N, 3): False only when every point of the set lies outside one plane of
    the camera's view pyramid (widened by ``margin`` pixels), so nothing inside their convex hull can be seen."""
    pc = pts @ cam.world_to_camera[:3, :3].T + cam.world_to_camera[:3, 3]
    x, y, z = pc[..., 0], pc[..., 1], pc[..., 2]
    x0, x1 = (0.0 - margin - cam.cx) / cam.fx, (cam.width + margin - cam.cx) / cam.fx
    y0, y1 = (0.0 - margin - cam.cy) / cam.fy, (cam.height + margin - cam.cy) / cam.fy
    ok = np.ones(pc.shape[:-2], bool)
    for inside in (z >= cam.znear, x >= x0 * z, x <= x1 * z, y >= y0 * z, y <= y1 * z):
        ok &= inside.any(axis=-1)
    return ok


def with_shadows(pts: np.ndarray, travel: np.ndarray, floor: float) -> np.ndarray:
    """Points (..., N, 3) and where the sunlight (direction ``travel``, pointing down) carries them on the plane
    y = ``floor`` (at most SHADOW_REACH away): (..., 2N, 3), whose hull holds the points' shadows above that plane."""
    t = np.clip((pts[..., 1] - floor) / max(-float(travel[1]), 1e-12), 0.0, SHADOW_REACH)
    return np.concatenate([pts, pts + t[..., None] * travel], axis=-2)


def _casters_in_view(batch: _Batch, light: Lighting, cam: Any) -> _Batch:
    """``batch`` with only the shadow casters whose box, or its sun shadow down to the lowest surface, can reach
    the view (the others cannot darken a pixel): the shadow map then fits what is seen, and an edit out of
    view leaves the frame's pixels alone (``render --since``)."""
    from dataclasses import replace

    if light.sun_dir is None or not batch.caster_tris.any() or -float(light.sun_dir[1]) > -1e-6:
        return batch  # no sun, or sunlight not pointing down: keep every caster
    surface = ~batch.caster_tris
    floor = float(batch.positions[np.unique(batch.indices[surface]), 1].min()) if surface.any() else -np.inf
    starts = np.flatnonzero(np.r_[True, np.diff(batch.vert_item) != 0])
    lo = np.minimum.reduceat(batch.positions, starts)
    hi = np.maximum.reduceat(batch.positions, starts)
    sel = np.array([[i & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], bool)
    corners = np.where(sel[None], hi[:, None], lo[:, None])  # (I, 8, 3)
    if not np.isfinite(floor):
        return batch
    seen = np.zeros(int(batch.vert_item.max()) + 1, bool)
    seen[batch.vert_item[starts]] = hull_in_view(with_shadows(corners, -np.asarray(light.sun_dir, np.float64), floor), cam)
    keep = batch.caster_tris & seen[batch.vert_item[batch.indices[:, 0]]]
    return batch if keep.sum() == batch.caster_tris.sum() else replace(batch, caster_tris=keep)


def _shade(light: Lighting, alb: np.ndarray, n: np.ndarray, view: np.ndarray, pw: np.ndarray,
           rough: np.ndarray, metal: np.ndarray, shadow: np.ndarray) -> np.ndarray:
    """Display-linear radiance (P, 3) float32 of G-buffer points (float32 throughout: a display value
    needs no more, and it halves the memory traffic of the frame's largest arrays)."""
    f4 = np.float32
    alb, n, view = alb.astype(f4, copy=False), n.astype(f4, copy=False), view.astype(f4, copy=False)
    rough, metal = rough.astype(f4, copy=False), metal.astype(f4, copy=False)
    zenith, horizon, ground = (np.asarray(c, f4) for c in (light.zenith, light.horizon, light.ground))
    diffuse_alb = alb * (1.0 - metal)[:, None]
    f0 = 0.04 * (1.0 - metal)[:, None] + alb * metal[:, None]
    r4 = np.clip(rough, 0.05, 1.0) ** 4
    shin = np.maximum(2.0 / r4 - 2.0, 1.0)
    norm = (shin + 8.0) / f4(8.0 * np.pi)
    # sky: a hemisphere light, and its reflection on glossy surfaces
    up = n[:, 1:2]
    sky_avg = 0.5 * (light.zenith + light.horizon)
    sky_avg = (0.5 * sky_avg + 0.5 * sky_avg.mean()).astype(f4)  # sky light on surfaces is greyer than the sky looks (clouds, bounce)
    amb = f4(light.ambient)
    hemi = (ground * (0.5 - 0.5 * up) + sky_avg * (0.5 + 0.5 * up)) * amb
    col = diffuse_alb * hemi
    ndv = np.clip(np.einsum("pc,pc->p", n, view), 0.0, 1.0)
    refl_y = (2.0 * ndv * n[:, 1] - view[:, 1])[:, None]
    fres = f0 + (1.0 - f0) * ((1.0 - ndv) ** 5)[:, None]
    gloss = ((1.0 - np.clip(rough, 0.0, 1.0)) ** 2)[:, None]
    ry = np.clip(refl_y, 0, 1)
    refl_sky = horizon * (1.0 - ry) + zenith * ry
    refl_sky = np.where(refl_y < 0, ground + f4(0.3) * horizon, refl_sky)
    col += fres * gloss * refl_sky * amb
    # the sun
    if light.sun_dir is not None and np.any(light.sun_rgb > 0):
        sun_dir = np.asarray(light.sun_dir, f4)
        ndl = np.clip(n @ sun_dir, 0.0, 1.0) * shadow.astype(f4, copy=False)
        hv = sun_dir + view
        hv /= np.maximum(np.sqrt(np.einsum("pc,pc->p", hv, hv)), 1e-12)[:, None]
        ndh = np.clip(np.einsum("pc,pc->p", n, hv), 0.0, 1.0)
        spec = f0 * (norm * ndh ** shin)[:, None]
        col += (diffuse_alb + spec) * (ndl[:, None] * np.asarray(light.sun_rgb, f4))
    # point and spot lights
    for pl in light.points:
        d = (pl.position - pw).astype(f4)
        d2 = np.maximum(np.einsum("pc,pc->p", d, d), 1e-4)
        ld = d / np.sqrt(d2)[:, None]
        att = 1.0 / d2
        if pl.range:
            att *= np.clip(1.0 - (d2 / f4(pl.range ** 2)) ** 2, 0.0, 1.0) ** 2
        if pl.spot:
            cd = -(ld @ np.asarray(pl.axis, f4))
            att *= np.clip((cd - f4(pl.cos_outer)) / f4(max(pl.cos_inner - pl.cos_outer, 1e-4)), 0.0, 1.0) ** 2
        ndl = np.clip(np.einsum("pc,pc->p", n, ld), 0.0, 1.0) * att
        hv = ld + view
        hv /= np.maximum(np.sqrt(np.einsum("pc,pc->p", hv, hv)), 1e-12)[:, None]
        ndh = np.clip(np.einsum("pc,pc->p", n, hv), 0.0, 1.0)
        col += (diffuse_alb + f0 * (norm * ndh ** shin)[:, None]) * (ndl[:, None] * np.asarray(pl.rgb, f4))
    return col
