"""Give every object entity a look: Gaussians sampled on (or fitted to) its proxy mesh.

``proxy`` mode (the default, numpy only) scatters flat discs over the proxy
surface, area-weighted, coloured by the material (times the proxy's part
tints); ``fit`` mode renders posed views of the proxy and optimises Gaussians
against them with :func:`scenegraph.appearance.fit.fit_gaussians` (torch),
starting from the proxy sampling.  Each entity draws from its own seeded
stream (scene seed + entity id), so adding an entity never changes another's
cloud.

>>> from scenegraph.model import Scene, Entity, Material
>>> s = Scene(); _ = s.add_material(Material("red", base_color=(0.8, 0.1, 0.1)))
>>> _ = s.add_entity(Entity("ball_1", cls="ball", bounds=((-0.1, 0, -0.1), (0.1, 0.2, 0.1))), material="red")
>>> assign_gaussians(s, per_entity=500)
['ball_1']
>>> len(s.entity("ball_1").gaussians)
500
"""
from __future__ import annotations

import zlib
from typing import Any, Sequence

import numpy as np

from scenegraph.appearance.gaussians import Gaussians, rgb_to_sh
from scenegraph.appearance.proxy import proxy_colors, proxy_mesh
from scenegraph.appearance.shapes import Mesh, face_normals
from scenegraph.errors import BackendError, ModelError

__all__ = ["assign_gaussians", "proxy_gaussians", "sample_surface", "DEFAULT_COLOR", "DEFAULT_OPACITY"]

DEFAULT_COLOR = (0.8, 0.8, 0.8)
DEFAULT_OPACITY = 0.9
_MODES = ("proxy", "fit")


def _quats_z_to(normals: np.ndarray) -> np.ndarray:
    """xyzw quaternions (N, 4) of the shortest rotations taking +Z onto unit ``normals`` (N, 3)."""
    n = np.asarray(normals, dtype=np.float64)
    q = np.stack([-n[:, 1], n[:, 0], np.zeros(len(n)), 1.0 + n[:, 2]], axis=1)
    flipped = q[:, 3] < 1e-8  # normal = -Z: half-turn about X
    q[flipped] = (1.0, 0.0, 0.0, 0.0)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def sample_surface(mesh: Mesh, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points spread over ``mesh`` in proportion to area.

    Returns positions (n, 3), unit face normals (n, 3), the triangle of each
    point (n,) and the triangle areas (T,).  Raises ModelError for a mesh
    without area.
    """
    fn, area = face_normals(mesh)
    total = float(area.sum())
    if not total > 0.0:
        raise ModelError("sample_surface: the mesh has no surface area")
    face = rng.choice(len(area), size=n, p=area / total)
    r1, r2 = rng.random(n), rng.random(n)
    s1 = np.sqrt(r1)
    p = mesh.positions.astype(np.float64)[mesh.indices.astype(np.int64)[face]]
    pos = p[:, 0] * (1.0 - s1)[:, None] + p[:, 1] * (s1 * (1.0 - r2))[:, None] + p[:, 2] * (s1 * r2)[:, None]
    return pos, fn[face], face, area


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

    Each disc lies in its triangle's plane: two scales about sqrt(area / n)
    (capped by the triangle's own size), the normal scale a tenth of that.
    Colour = ``base_color`` (linear RGB) x the proxy's part tint, clipped to
    [0, 1] (``tints=False``: the base colour everywhere).  Points stay inside
    ``bounds``.  Degenerate bounds (no area) give discs at the bounds' centre.
    """
    if n < 1:
        raise ModelError(f"proxy_gaussians: n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    b = np.asarray(bounds, dtype=np.float64)
    mesh = proxy_mesh(shape, b)
    base = np.asarray(base_color, dtype=np.float64).reshape(3)
    try:
        pos, nrm, face, area = sample_surface(mesh, n, rng)
    except ModelError:  # zero-area bounds: a point-like cloud
        pos = np.repeat(0.5 * (b[0] + b[1])[None], n, axis=0)
        nrm = np.tile([0.0, 1.0, 0.0], (n, 1))
        face, area = np.zeros(n, np.int64), np.zeros(max(len(mesh.indices), 1))
    pos = np.clip(pos, b[0], b[1])  # rounding must not leave the box
    s = max(0.7 * float(np.sqrt(area.sum() / n)), 1e-6)
    tangent = np.clip(np.sqrt(area[face]), 1e-6, s)
    scales = np.stack([tangent, tangent, np.maximum(0.1 * tangent, 1e-7)], axis=1)
    rgb = np.broadcast_to(base, (n, 3))
    if tints and len(mesh.indices):
        rgb = rgb * proxy_colors(shape, mesh)[mesh.indices[face, 0].astype(np.int64)]
    rgb = np.clip(rgb, 0.0, 1.0)
    return Gaussians(
        means=pos,
        quats=_quats_z_to(nrm),
        scales=scales,
        opacities=np.full(n, float(opacity)),
        sh=rgb_to_sh(rgb)[:, None, :],
    )


def _entity_seed(seed: int, entity_id: str) -> list[int]:
    return [int(seed), zlib.crc32(entity_id.encode("utf-8"))]


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
        if ent.gaussians is not None and not overwrite:
            continue
        mat = scene.material_of(ent.id)
        base = mat.base_color if mat is not None else DEFAULT_COLOR
        opacity = DEFAULT_OPACITY * (mat.alpha if mat is not None else 1.0)
        shape = ent.proxy or ent.cls
        g = proxy_gaussians(shape, ent.bounds, base, n=per_entity, seed=_entity_seed(seed, ent.id), opacity=max(opacity, 0.05))
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
    """Fit Gaussians to ``n_views`` renders of the entity's proxy, starting from ``init``."""
    import inspect

    from scenegraph.appearance.mesh_render import render_proxy_views

    mesh = proxy_mesh(shape, bounds)
    views = render_proxy_views(mesh, base, vertex_colors=proxy_colors(shape, mesh), n_views=n_views, size=size, seed=seed)
    kwargs: dict[str, Any] = {"seed": seed}
    if steps is not None:
        kwargs["steps"] = steps
    if "init" in inspect.signature(fit).parameters:
        kwargs["init"] = init
    result = fit(views, **kwargs)
    return getattr(result, "gaussians", result)
