"""Give every object entity a look: Gaussians sampled on (or fitted to) its proxy mesh.

``proxy`` mode (the default, numpy only) scatters flat discs over the proxy
surface (by area, denser on thin parts), coloured by the material (times the
proxy's part tints); ``fit`` mode renders posed views of the proxy and optimises Gaussians
against them with :func:`scenegraph.appearance.fit.fit_gaussians` (torch),
starting from the proxy sampling.  A proxy's cloud is drawn from a stream
seeded by the scene seed and its shape, so adding an entity never changes
another's cloud, and alike entities (a hundred parked cars of one model and
paint) share one read-only cloud that every writer stores once.  A character
draws from its own stream (scene seed + entity id): no two rigs are alike.

>>> from scenegraph.model import Scene, Entity, Material
>>> s = Scene(); _ = s.add_material(Material("red", base_color=(0.8, 0.1, 0.1)))
>>> _ = s.add_entity(Entity("ball_1", cls="ball", bounds=((-0.1, 0, -0.1), (0.1, 0.2, 0.1))), material="red")
>>> assign_gaussians(s, per_entity=500)
['ball_1']
>>> len(s.entity("ball_1").gaussians)
500
"""
from __future__ import annotations

import dataclasses
import functools
import zlib
from typing import Any, Sequence

import numpy as np

from scenegraph.model.gaussians import Gaussians, rgb_to_sh
from scenegraph.appearance.proxy import proxy_mesh, proxy_sharp_edges, proxy_vertex_colors
from scenegraph.appearance.rig import rig_for
from scenegraph.appearance.shapes import Mesh, face_normals
from scenegraph.errors import BackendError, ModelError

__all__ = ["assign_gaussians", "mesh_only", "proxy_gaussians", "rig_gaussians", "sample_surface", "disc_sizes", "DEFAULT_COLOR", "DEFAULT_OPACITY"]

DEFAULT_COLOR = (0.8, 0.8, 0.8)
#: classes that keep only their proxy mesh: huge flat surfaces, whose splats would be metres
#: wide and blow up near a camera (renderers draw these as meshes)
SURFACE_CLASSES = frozenset({"ground", "road", "floor", "sidewalk", "kerb", "crossing", "path", "water", "ceiling",
                             "parking_lines", "sky"})
DEFAULT_OPACITY = 0.9


def mesh_only(entity: Any) -> bool:
    """Whether an entity keeps only its proxy mesh (no Gaussians): a surface class, or a piece of a setting's
    kit (``attributes["kit"]``: facades, walls, street lights ... are drawn as the meshes they are)."""
    return entity.cls in SURFACE_CLASSES or bool(entity.attributes.get("kit"))
_MODES = ("proxy", "fit")


def _quats_z_to(normals: np.ndarray) -> np.ndarray:
    """xyzw quaternions (N, 4) of the shortest rotations taking +Z onto unit ``normals`` (N, 3)."""
    n = np.asarray(normals, dtype=np.float64)
    q = np.stack([-n[:, 1], n[:, 0], np.zeros(len(n)), 1.0 + n[:, 2]], axis=1)
    flipped = q[:, 3] < 1e-8  # normal = -Z: half-turn about X
    q[flipped] = (1.0, 0.0, 0.0, 0.0)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def sample_surface(
    mesh: Mesh, n: int, rng: np.random.Generator, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points on ``mesh``: triangles drawn in proportion to area (or to ``weights`` (T,)), uniform within.

    Returns positions (n, 3), unit face normals (n, 3) and the triangle of
    each point (n,).  Raises ModelError for a mesh without area.
    """
    fn, area = face_normals(mesh)
    w = area if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if not total > 0.0:
        raise ModelError("sample_surface: the mesh has no surface area")
    return _sample(mesh.positions.astype(np.float64)[mesh.indices.astype(np.int64)], fn, w / total, n, rng)


def _sample(tri: np.ndarray, fn: np.ndarray, prob: np.ndarray, n: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sample_surface` given the triangles' corners ``tri`` (T, 3, 3), unit normals ``fn`` (T, 3) and the
    draw probabilities ``prob`` (T,)."""
    pos, face, _ = _draw(tri, _cdf(prob), n, rng)
    return pos, fn[face], face


def _cdf(prob: np.ndarray) -> np.ndarray:
    """What ``Generator.choice(p=prob)`` searches (its cumulative sum, normalised): the same draws from it."""
    cdf = prob.cumsum()
    cdf /= cdf[-1]
    return cdf


def _draw(tri: np.ndarray, cdf: np.ndarray, n: int,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``n`` points (n, 3) on the triangles ``tri`` (T, 3, 3), a triangle each by a search of ``cdf`` (:func:`_cdf`),
    uniform within it; returns the points, their triangles (n,) and their barycentric weights (3 x (n,))."""
    face = cdf.searchsorted(rng.random(n), side="right")
    r1, r2 = rng.random(n), rng.random(n)
    s1 = np.sqrt(r1)
    w = (1.0 - s1, s1 * (1.0 - r2), s1 * r2)
    p = tri[face]
    return p[:, 0] * w[0][:, None] + p[:, 1] * w[1][:, None] + p[:, 2] * w[2][:, None], face, w


def disc_sizes(mesh: Mesh, n: int, coverage: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Disc radius (T,) per triangle and sampling weights (T,) so ``n`` discs cover ``mesh`` evenly.

    A disc is at most half its triangle's smallest altitude (thin rods stay
    thin) and otherwise one common radius s; triangles draw discs in
    proportion to area x min((s / radius)^2, 4), and s is chosen so discs
    of radius s cover their triangles ``coverage`` times over (pi s^2 each).
    """
    _, area = face_normals(mesh)
    p = mesh.positions.astype(np.float64)[mesh.indices.astype(np.int64)]
    longest = np.max(np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2), axis=1)
    cap = np.maximum(area / np.maximum(longest, 1e-30), 1e-7)  # half the smallest altitude
    live = area > 0
    target = n * np.pi / coverage
    area_live, cap_live = area[live], cap[live]

    def density(s: float) -> float:  # sum(weights) / s^2, with the weights below
        return float(np.sum(area_live * np.minimum(1.0 / np.minimum(s, cap_live) ** 2, 4.0 / s**2)))

    hi = float(cap[live].max()) if live.any() else 1e-7
    if live.any() and density(hi) < target:
        lo = 1e-9
        for _ in range(60):  # bisection in log space: density falls as s grows
            mid = float(np.sqrt(lo * hi))
            lo, hi = (mid, hi) if density(mid) > target else (lo, mid)
    radius = np.minimum(hi, cap)
    # thin parts draw more (smaller) discs, at most 4x the density, so slivers cannot take the whole budget
    return radius, np.where(live, area * np.minimum((hi / radius) ** 2, 4.0), 0.0)


@dataclasses.dataclass(frozen=True, eq=False)
class _Plan:
    """What every cloud of ``n`` discs on one proxy (shape, bounds) shares, whatever its seed: the same for
    each of a hundred identical parked cars, so it is worked out once (:func:`_plan`), per triangle, and a
    cloud only draws its triangles and points and looks the rest up."""
    mesh: Mesh
    tri: np.ndarray  # (T, 3, 3) float64 corners
    radius: np.ndarray  # (T,) disc radius (:func:`disc_sizes`)
    cdf: np.ndarray | None  # (T,) what Generator.choice(p=weights / their sum) searches: the same draws; None: no area
    quats: np.ndarray  # (T, 4) float32 disc rotation per triangle (:func:`_quats_z_to`)
    reach: np.ndarray | None  # (T, 3) altitude onto sharp edge k (corner k to k+1); 1e30 where not sharp; None: none


@functools.lru_cache(maxsize=64)
def _plan(shape: str, bounds: bytes, n: int) -> _Plan:
    b = np.frombuffer(bounds, dtype=np.float64).reshape(2, 3)
    mesh = proxy_mesh(shape, b)
    radius, weights = disc_sizes(mesh, n)
    fn, area = face_normals(mesh)
    tri = mesh.positions.astype(np.float64)[mesh.indices.astype(np.int64)]
    total = float(weights.sum())  # as sample_surface sums them
    sharp = proxy_sharp_edges(shape, b) if len(mesh.indices) and np.any(weights > 0) else None
    cdf = _cdf(weights / total) if total > 0.0 else None
    reach = None
    if sharp is not None:  # the distance to the line of edge k is the opposite corner's weight x that altitude
        length = np.linalg.norm(np.roll(tri, -1, axis=1) - tri, axis=2)
        reach = np.where(sharp, 2.0 * area[:, None] / np.maximum(length, 1e-30), 1e30)
    plan = _Plan(mesh, tri, radius, cdf, _quats_z_to(fn).astype(np.float32), reach)
    for a in (tri, radius, cdf, plan.quats, reach):
        if a is not None:
            a.setflags(write=False)
    return plan


def proxy_gaussians(
    shape: str,
    bounds: Any,
    base_color: Sequence[float] = DEFAULT_COLOR,
    *,
    n: int = 2000,
    seed: int | Sequence[int] = 0,
    opacity: float = DEFAULT_OPACITY,
    tints: bool = True,
) -> Gaussians:
    """``n`` flat Gaussians (SH degree 0) on the surface of ``proxy_mesh(shape, bounds)``.

    Each disc lies in its triangle's plane with two equal scales (about
    sqrt(area / n), smaller on thin parts: see :func:`disc_sizes`) and a
    normal scale a tenth of that; near a sharp edge the disc shrinks (down
    to 0.35x) so outlines stay crisp.
    Colour = ``base_color`` (linear RGB) x the proxy's part tint, clipped to
    [0, 1] (``tints=False``: the base colour everywhere).  Points stay inside
    ``bounds``.  Degenerate bounds (no area) give discs at the bounds' centre.
    """
    if n < 1:
        raise ModelError(f"proxy_gaussians: n must be at least 1, got {n}")
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (2, 3):
        proxy_mesh(shape, b)  # raises the ModelError naming the bad bounds
    key = np.ascontiguousarray(b).tobytes()
    seed_key = (int(seed),) if np.ndim(seed) == 0 else tuple(int(s) for s in seed)
    base = tuple(float(c) for c in np.asarray(base_color, dtype=np.float64).reshape(3))
    return _proxy_cloud(shape, key, n, seed_key, base, float(opacity), bool(tints))


@functools.lru_cache(maxsize=128)  # at most ~15 MB of 2000-disc clouds (a batch worker's memory stays bounded)
def _proxy_cloud(shape: str, bounds: bytes, n: int, seed: tuple[int, ...], base: tuple[float, float, float],
                 opacity: float, tints: bool) -> Gaussians:
    """:func:`proxy_gaussians`, once per distinct call: alike entities get the very same (read-only) cloud,
    and clouds that differ only in colour or opacity share their positions, rotations and scales, so the
    writers store each array once (glTF accessors, USD's crate, scene.json's ``same_as``)."""
    means, quats, scales, face = _proxy_discs(shape, bounds, n, seed)
    mesh = _plan(shape, bounds, n).mesh
    rgb = np.asarray(base, dtype=np.float64)
    if tints and len(mesh.indices):
        face_rgb = proxy_vertex_colors(shape, mesh, rgb)[mesh.indices[:, 0].astype(np.int64)]
    else:
        face_rgb = np.broadcast_to(rgb, (max(len(mesh.indices), 1), 3))
    sh = rgb_to_sh(np.clip(face_rgb, 0.0, 1.0))[face][:, None, :]
    return Gaussians.trusted(means=means, quats=quats, scales=scales, opacities=_opacities(n, opacity), sh=sh)


@functools.lru_cache(maxsize=64)
def _opacities(n: int, opacity: float) -> np.ndarray:
    out = np.full(n, opacity, np.float32)
    out.setflags(write=False)
    return out


@functools.lru_cache(maxsize=128)
def _proxy_discs(shape: str, bounds: bytes, n: int, seed: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The colourless part of a proxy cloud: means, quats, scales (read-only float32) and each disc's triangle."""
    rng = np.random.default_rng(list(seed))
    b = np.frombuffer(bounds, dtype=np.float64).reshape(2, 3)
    plan = _plan(shape, bounds, n)
    if plan.cdf is None:  # zero-area bounds: a point-like cloud
        pos = np.repeat(0.5 * (b[0] + b[1])[None], n, axis=0)
        quats = np.broadcast_to(_quats_z_to(np.array([[0.0, 1.0, 0.0]])).astype(np.float32), (n, 4))
        face, tangent = np.zeros(n, np.int64), np.full(n, 1e-6)
    else:  # drawn as sample_surface draws, the rest looked up in the plan's per-triangle tables
        pos, face, (w0, w1, w2) = _draw(plan.tri, plan.cdf, n, rng)
        quats = plan.quats[face]
        tangent = plan.radius[face]
        if plan.reach is not None:  # discs shrink near creases and outlines: crisp edges
            reach = plan.reach[face]
            edge = np.minimum(np.minimum(w2 * reach[:, 0], w0 * reach[:, 1]), w1 * reach[:, 2])
            tangent = np.clip(0.7 * edge, 0.35 * tangent, tangent)
    tangent = np.maximum(tangent, 1e-7).astype(np.float32)
    scales = np.empty((n, 3), np.float32)
    scales[:, 0] = scales[:, 1] = tangent
    scales[:, 2] = np.maximum(0.1 * tangent.astype(np.float64), 1e-8)
    out = (np.clip(pos, b[0], b[1]).astype(np.float32),  # rounding must not leave the box
           np.ascontiguousarray(quats), scales, face)
    for a in out:
        a.setflags(write=False)
    return out


def rig_gaussians(rig: Any, base_color: Sequence[float], *, n: int, seed: Any, opacity: float) -> Gaussians:
    """``n`` flat discs (SH degree 0) on the rig's bind-pose body, coloured by material role."""
    from scenegraph.appearance.shapes import merge

    mesh = merge([m for _, m, _ in rig.parts])
    colours = np.concatenate([np.broadcast_to(np.asarray(base_color if role == "clothes" else rig.colors.get(role, base_color),
                                                         np.float64), (len(m), 3)) for role, m, _ in rig.parts])
    rng = np.random.default_rng(seed)
    radius, weights = disc_sizes(mesh, n)
    pos, nrm, face = sample_surface(mesh, n, rng, weights)
    tangent = np.maximum(radius[face], 1e-7)
    rgb = np.clip(colours[mesh.indices[face, 0].astype(np.int64)], 0.0, 1.0)
    return Gaussians(means=pos, quats=_quats_z_to(nrm), scales=np.stack([tangent, tangent, 0.1 * tangent], axis=1),
                     opacities=np.full(n, float(opacity)), sh=rgb_to_sh(rgb)[:, None, :])


def _entity_seed(seed: int, name: str) -> list[int]:
    """The seed of a stream of its own: the scene seed and an entity id (a rig) or a proxy shape."""
    return [int(seed), zlib.crc32(name.encode("utf-8"))]


def assign_gaussians(
    scene: Any,
    *,
    mode: str = "proxy",
    seed: int = 0,
    per_entity: int = 2000,
    overwrite: bool = False,
    fit_steps: int | None = None,
    n_views: int = 16,
    view_size: int = 128,
) -> list[str]:
    """Give each object entity without Gaussians (all objects if ``overwrite``) a cloud in its local frame.

    Surfaces (:data:`SURFACE_CLASSES`: ground, road, floor ...) and kit pieces keep their proxy mesh only.

    ``mode``: ``proxy`` (fast, numpy) or ``fit`` (``n_views`` renders of the
    proxy at ``view_size`` px, then :func:`fit_gaussians`, ``fit_steps`` if
    given).  The opacity follows the material's alpha.  Returns the ids that
    were given Gaussians, in scene order.  Raises ModelError for an unknown
    mode, BackendError when ``fit`` is asked for but fitting is unavailable.
    """
    if mode not in _MODES:
        raise ModelError(f"assign_gaussians: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if per_entity < 1:
        raise ModelError(f"assign_gaussians: per_entity must be at least 1, got {per_entity}")
    fit = _fitter() if mode == "fit" else None
    done = []
    for ent in scene.entities("object"):
        if mesh_only(ent) or (ent.gaussians is not None and not overwrite):
            continue
        mat = scene.material_of(ent.id)
        base = mat.base_color if mat is not None else DEFAULT_COLOR
        opacity = DEFAULT_OPACITY * (mat.alpha if mat is not None else 1.0)
        shape = ent.proxy or ent.cls
        rig = rig_for(ent, getattr(scene, "seed", 0)) if fit is None else None
        if rig is not None:  # a character: on its skinned body, so the splats follow its joints
            g = rig_gaussians(rig, base, n=per_entity, seed=_entity_seed(seed, ent.id), opacity=max(opacity, 0.05))
        else:
            g = proxy_gaussians(shape, ent.bounds, base, n=per_entity, seed=_entity_seed(seed, shape), opacity=max(opacity, 0.05))
        if fit is not None:
            g = _fit_entity(fit, shape, ent.bounds, base, g, seed=seed, steps=fit_steps, n_views=n_views, size=view_size)
        scene.update(ent.id, gaussians=g)
        done.append(ent.id)
    return done


def _fitter() -> Any:
    try:
        from scenegraph.appearance.fit import fit_gaussians
    except ImportError as exc:
        raise BackendError(
            f"assign_gaussians(mode='fit') needs scenegraph.appearance.fit and torch ({exc}); "
            "install scenegraph[torch] or use mode='proxy'"
        ) from None
    return fit_gaussians


def _fit_entity(fit: Any, shape: str, bounds: Any, base: Any, init: Gaussians, *, seed: int, steps: int | None, n_views: int, size: int) -> Gaussians:
    """Fit Gaussians (SH degree 0: the renders' shading does not change with the view) to
    ``n_views`` renders of the entity's proxy, starting from the proxy sampling ``init``."""
    from scenegraph.appearance.mesh_render import render_proxy_views

    mesh = proxy_mesh(shape, bounds)
    views = render_proxy_views(mesh, (1.0, 1.0, 1.0), vertex_colors=proxy_vertex_colors(shape, mesh, base), n_views=n_views, size=size, seed=seed)
    kwargs: dict[str, Any] = {} if steps is None else {"steps": steps}
    result = fit(views, init=init, num_gaussians=len(init), bounds=bounds, sh_degree=0, seed=seed, progress=False, **kwargs)
    return result.gaussians
