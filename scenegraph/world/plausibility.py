"""Is a simulated world physically plausible?  Checks on the world state (never on pixels).

:func:`check_world` runs every check on a Scene and its Timeline and returns
``{check: [problem, ...]}``; a world is *clean* when every list is empty.

- ``teleport``: a frame-to-frame speed over the archetype's ``speed_cap``;
- ``jerk``: an acceleration (second difference of positions) over its
  ``accel_cap`` (bodies under dynamics are exempt from their release on:
  gravity and bounces are theirs; so are a jump's ``airborne`` phases,
  whose take-off and touch-down are instants for the body's root at its feet);
- ``overlap``: two unrelated objects' boxes interpenetrating by more than
  :data:`OVERLAP_TOLERANCE` on every axis (oriented boxes on the ground plane);
  related pairs (on, inside, a thrown thing and its thrower ...) may touch;
- ``below_ground``: a box's bottom under y = -0.05;
- ``facing``: a mover going faster than 0.5 m/s while facing more than 45
  degrees away from its direction of travel (backward moves and rolling
  things excepted);
- ``unseen``: a named object that the live camera never sees (with a cut
  list in ``scene.metadata["shots"]`` each camera counts only while it is
  live, see :func:`scenegraph.world.coverage.active_cameras`);
- ``subject_size``: the main subject (the first entity the prompt names)
  never reaching :data:`SUBJECT_FILL` of the frame height in the live
  camera (a small thing beside much bigger ones needs less).

Limits per archetype come from :mod:`scenegraph.world.profiles`.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.model import catalog
from scenegraph.world.coverage import active_cameras
from scenegraph.world.profiles import limits_for

__all__ = ["check_world", "CHECKS", "OVERLAP_TOLERANCE", "SUBJECT_FILL", "subject_fill", "world_boxes"]

CHECKS = ("teleport", "jerk", "overlap", "below_ground", "facing", "unseen", "subject_size")
OVERLAP_TOLERANCE = 0.05  # metres of interpenetration forgiven (rounding, touching)
SUBJECT_FILL = 0.15
_STATIC_CLASSES = ("ground", "road", "sky", "sun")
_CONTACT_VERBS = ("throw", "drop", "sit", "stand", "lie", "ride", "push", "carry", "land", "climb", "descend",
                  "jump", "follow", "chase", "meet", "approach")


def _objects(scene) -> list:
    return [e for e in scene.entities("object") if e.cls not in _STATIC_CLASSES and not e.attributes.get("kit")]


def world_boxes(scene, timeline, ids: list[str], frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame and entity: the box centre (F, N, 3), its half extents (N, 3) and yaw axes (F, N, 2, 2)
    (the box's local x and z directions on the ground plane)."""
    idx = [timeline.index(i) for i in ids]
    m = timeline.world_matrices()[frames][:, idx]  # (F, N, 4, 4)
    lo = np.array([scene.entity(i).bounds[0] for i in ids])
    hi = np.array([scene.entity(i).bounds[1] for i in ids])
    scale = np.linalg.norm(m[..., :3, :3], axis=-2)  # (F, N, 3) column norms
    centre_local = (lo + hi) / 2
    centre = np.einsum("fnij,nj->fni", m[..., :3, :3], centre_local) + m[..., :3, 3]
    half = (hi - lo) / 2 * scale.mean(axis=0)
    ax = np.stack([m[..., [0, 2], 0], m[..., [0, 2], 2]], axis=-2)  # (F, N, 2 axes, 2 comps)
    n = np.linalg.norm(ax, axis=-1, keepdims=True)
    ax = ax / np.where(n > 1e-9, n, 1.0)
    return centre, half, ax


def _related(scene) -> set[frozenset]:
    pairs = {frozenset((s, o)) for s, _, o in scene.relations()}
    spec = scene.metadata.get("spec") or {}
    refs: dict[str, list[str]] = {}
    for e in scene.entities("object"):
        refs.setdefault(e.attributes.get("spec_ref", ""), []).append(e.id)
    for a in spec.get("actions", []):
        if a.get("verb") in _CONTACT_VERBS or a.get("direction") == "up":
            for x in refs.get(a.get("actor"), []):
                for key in ("target", "to", "from", "from_", "via"):
                    for y in refs.get(a.get(key) or "", []):
                        pairs.add(frozenset((x, y)))
    for e in scene.entities("object"):  # a thing and what holds it (parent edges)
        par = scene.parent_of(e.id)
        if par is not None:
            pairs.add(frozenset((e.id, par.id)))
    for i, j in ((a, b) for a in scene.entities("object") for b in scene.entities("object")):
        if i.id < j.id and i.dynamics is not None:
            pairs.add(frozenset((i.id, j.id)))  # a thrown or dropped thing lands where it lands
    return pairs


def _overlaps(scene, timeline, objs: list[str]) -> list[str]:
    if len(objs) < 2:
        return []
    frames = np.arange(0, timeline.frame_count, 2)
    c, half, ax = world_boxes(scene, timeline, objs, frames)
    related = _related(scene)
    out = []
    n = len(objs)
    for i in range(n):
        for j in range(i + 1, n):
            if frozenset((objs[i], objs[j])) in related:
                continue
            # y intervals
            yi = (c[:, i, 1] - half[i, 1], c[:, i, 1] + half[i, 1])
            yj = (c[:, j, 1] - half[j, 1], c[:, j, 1] + half[j, 1])
            oy = np.minimum(yi[1], yj[1]) - np.maximum(yi[0], yj[0])
            if not np.any(oy > OVERLAP_TOLERANCE):
                continue
            d = (c[:, j] - c[:, i])[:, [0, 2]]  # (F, 2)
            depth = np.full(len(frames), np.inf)
            for axes in (ax[:, i], ax[:, j]):
                for k in range(2):
                    u = axes[:, k]  # (F, 2)
                    ri = half[i, 0] * np.abs(np.sum(ax[:, i, 0] * u, -1)) + half[i, 2] * np.abs(np.sum(ax[:, i, 1] * u, -1))
                    rj = half[j, 0] * np.abs(np.sum(ax[:, j, 0] * u, -1)) + half[j, 2] * np.abs(np.sum(ax[:, j, 1] * u, -1))
                    depth = np.minimum(depth, ri + rj - np.abs(np.sum(d * u, -1)))
            bad = (depth > OVERLAP_TOLERANCE) & (oy > OVERLAP_TOLERANCE)
            if bad.any():
                f = int(frames[np.argmax(bad)])
                out.append(f"{objs[i]} and {objs[j]} interpenetrate from {timeline.time[f]:.2f} s "
                           f"({float(np.max(np.minimum(depth, oy)[bad])):.2f} m)")
    return out


def subject_fill(scene, timeline, eid: str, camera: str = "camera_1") -> np.ndarray:
    """Per frame: the fraction of ``camera``'s image height the box of ``eid`` spans (0 where it is not in
    front of the camera), clipped to the image."""
    from scenegraph.world.views import GL_TO_CV

    params = scene.entity(camera).camera
    mats = timeline.world_matrices()
    cam = mats[:, timeline.index(camera)]
    ent = mats[:, timeline.index(eid)]
    lo, hi = scene.entity(eid).bounds
    corners = np.array([[x, y, z, 1.0] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    world = np.einsum("fij,kj->fki", ent, corners)  # (F, 8, 4)
    view = np.einsum("ij,fjk,fnk->fni", GL_TO_CV, np.linalg.inv(cam), world)  # (F, 8, 4) OpenCV camera frame
    z = view[..., 2]
    from scenegraph.model.lens import yfov_at

    f = (0.5 * params.height / np.tan(0.5 * yfov_at(scene.entity(camera), timeline.time)))[:, None]  # a zoom: per frame
    v = f * view[..., 1] / np.where(z > 0.05, z, np.inf) + params.height / 2
    u = f * view[..., 0] / np.where(z > 0.05, z, np.inf) + params.width / 2
    front = (z > 0.05).all(axis=1)
    inside = front & (u.max(axis=1) > 0) & (u.min(axis=1) < params.width)
    vv = np.clip(v, 0, params.height)
    frac = (vv.max(axis=1) - vv.min(axis=1)) / params.height
    return np.where(inside, frac, 0.0)


def _main_subject(scene) -> str | None:
    spec = scene.metadata.get("spec") or {}
    ents = spec.get("entities") or []
    if not ents:
        return None
    first = ents[0]
    ref = first.get("id") or first.get("name") or first.get("class")
    for e in scene.entities("object"):
        if e.attributes.get("spec_ref") == ref:
            return e.id
    return None


def check_world(scene, timeline) -> dict[str, list[str]]:
    """Every plausibility check of the module docstring: ``{check: [problem, ...]}`` (empty lists: clean)."""
    out: dict[str, list[str]] = {c: [] for c in CHECKS}
    objs = _objects(scene)
    ids = [e.id for e in objs]
    fps = timeline.fps
    pos = timeline.world_position() if ids else None
    spec = scene.metadata.get("spec") or {}
    backward = {a.get("actor") for a in spec.get("actions", []) if a.get("direction") == "backward"}
    mats = timeline.world_matrices() if ids else None
    flights: dict[str, list] = {}
    for ph in scene.metadata.get("phases") or []:
        if isinstance(ph, dict) and ph.get("phase") == "airborne":
            flights.setdefault(ph.get("entity"), []).append(ph)
    for e in objs:
        i = timeline.index(e.id)
        p = pos[:, i]
        info = catalog.lookup(e.cls)
        lim = limits_for(info)
        if len(p) >= 2:
            v = np.diff(p, axis=0) * fps
            sp = np.linalg.norm(v, axis=1)
            if sp.max() > lim.speed_cap:
                f = int(np.argmax(sp))
                out["teleport"].append(f"{e.id} moves at {sp[f]:.1f} m/s at {timeline.time[f]:.2f} s (cap {lim.speed_cap:g})")
            if len(p) >= 3:
                acc = np.linalg.norm(np.diff(v, axis=0), axis=1) * fps
                if e.dynamics is not None:
                    acc = acc[: max(0, int(math.floor(e.dynamics.start_time * fps)) - 1)]
                for ph in flights.get(e.id, ()):  # a jump's take-off and touch-down are instants for the feet
                    lo_f = max(int(math.floor(ph["start"] * fps)) - 2, 0)
                    acc[lo_f: int(math.ceil(ph["end"] * fps)) + 1] = 0.0
                if acc.size and acc.max() > lim.accel_cap:
                    f = int(np.argmax(acc))
                    out["jerk"].append(f"{e.id} accelerates at {acc[f]:.1f} m/s2 at {timeline.time[f + 1]:.2f} s "
                                       f"(limit {lim.accel_cap:g})")
            mobile = info is not None and info.mobile and info.kind != "ball" and e.attributes.get("spec_ref") not in backward
            if mobile and e.dynamics is None:
                vh = v[:, [0, 2]]
                fast = np.linalg.norm(vh, axis=1) > 0.5
                if fast.any():
                    fwd = mats[1:, i, :3, 2][:, [0, 2]]
                    cos = np.sum(fwd * vh, axis=1) / (np.linalg.norm(fwd, axis=1) * np.linalg.norm(vh, axis=1) + 1e-12)
                    off = fast & (cos < math.cos(math.radians(45)))
                    if off.sum() > max(1, 0.05 * fast.sum()):
                        out["facing"].append(f"{e.id} faces away from its travel in {int(off.sum())} of {int(fast.sum())} moving frames")
        lo, hi = e.bounds
        corners = np.array([[x, y, z, 1.0] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        bottom = np.einsum("fj,kj->fk", mats[:, i, 1, :], corners).min()
        if bottom < -0.05:
            out["below_ground"].append(f"{e.id} goes {-bottom:.2f} m below the ground")
    out["overlap"] = _overlaps(scene, timeline, ids)
    named = [e for e in objs if e.attributes.get("spec_ref")]
    live = np.array(active_cameras(scene, timeline.time)) if scene.cameras() else np.array([])
    if timeline.visibility and named:
        seen = np.zeros(len(timeline.ids), bool)
        for cam, vis in timeline.visibility.items():
            seen |= vis.in_frustum[live == cam].any(axis=0)
        for e in named:
            if not seen[timeline.index(e.id)]:
                out["unseen"].append(f"{e.id} is never in the live camera's view")
    main = _main_subject(scene)
    if main is not None and scene.cameras():
        fill = max((float(subject_fill(scene, timeline, main, c.id)[live == c.id].max(initial=0.0))
                    for c in scene.cameras()), default=0.0)
        size = np.ptp(scene.entity(main).bounds, axis=0)
        biggest = max(float(np.ptp(e.bounds, axis=0)[1]) for e in named) if named else size[1]
        need = SUBJECT_FILL if size[1] >= 0.25 * biggest else SUBJECT_FILL * size[1] / (0.25 * biggest)
        if fill < need - 1e-6:
            out["subject_size"].append(f"{main} fills at most {fill:.0%} of the frame height (needs {need:.0%})")
    return out
