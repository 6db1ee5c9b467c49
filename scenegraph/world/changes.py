"""What an edit changed between two versions of a scene, with the frames it touches.

:func:`diff` compares two scenes and their Timelines entity by entity (by id):
``added`` / ``removed`` entities, ``moved`` (position, rotation or scale differ at
some frames), ``recoloured`` (material or its colour/texture changed), ``retimed``
(the trajectory's key times changed), ``changed`` (other settings: size, class,
proxy, light) and ``camera`` (a camera moved or its lens changed).  Each
:class:`Change` names its frames as ``(first, last)`` ranges of the edited
version (frames past either version's end count as changed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Change", "diff", "ranges", "format_changes"]

_POS_TOL = 1e-5  # metres
_ROT_TOL = 1e-6


@dataclass(frozen=True)
class Change:
    kind: str
    entity: str
    frames: list[tuple[int, int]] = field(default_factory=list)
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "entity": self.entity, "frames": [list(r) for r in self.frames], "detail": self.detail}


def ranges(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a (F,) bool array as inclusive (first, last) pairs.

    >>> ranges(np.array([0, 1, 1, 0, 1], bool))
    [(1, 2), (4, 4)]
    """
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def _pose_changed(ta: Any, tb: Any, ia: int, ib: int) -> np.ndarray:
    """(Fb,) bool: frames of ``tb`` where the entity's world pose differs from ``ta``'s (or ``ta`` has no frame)."""
    fa, fb = ta.frame_count, tb.frame_count
    n = min(fa, fb)
    wa, wb = ta.world_matrices()[:n, ia], tb.world_matrices()[:n, ib]
    out = np.ones(fb, dtype=bool)
    scale = np.maximum(1.0, np.abs(wb[:, :3, 3]).max(axis=1))
    moved = (np.abs(wa[:, :3, 3] - wb[:, :3, 3]).max(axis=1) > _POS_TOL * scale) | \
            (np.abs(wa[:, :3, :3] - wb[:, :3, :3]).max(axis=(1, 2)) > _ROT_TOL)
    out[:n] = moved
    return out


def _look(scene: Any, eid: str) -> tuple:
    m = scene.material_of(eid)
    return (None,) if m is None else (m.id, tuple(np.round(np.asarray(m.base_color, float), 6)), m.texture,
                                      round(float(m.metallic), 6), round(float(m.roughness), 6))


def _settings(ent: Any) -> tuple:
    return (ent.cls, ent.kind, ent.proxy, tuple(np.round(np.asarray(ent.bounds, float).ravel(), 6)), repr(ent.light),
            ent.name)


def diff(a: Any, b: Any, ta: Any = None, tb: Any = None) -> list[Change]:
    """Changes from scene ``a`` to scene ``b`` (Timelines simulated when not given), in ``b``'s entity order."""
    from scenegraph.world import simulate

    ta = ta if ta is not None else simulate(a)
    tb = tb if tb is not None else simulate(b)
    fb = tb.frame_count
    every = [(0, fb - 1)]
    ids_a = {e.id for e in a.entities()}
    ids_b = {e.id for e in b.entities()}
    out: list[Change] = []
    for e in b.entities():
        if e.id not in ids_a:
            out.append(Change("added", e.id, every, e.cls))
            continue
        old = a.entity(e.id)
        ia, ib = ta.index(e.id), tb.index(e.id)
        moved = _pose_changed(ta, tb, ia, ib)
        if e.kind == "camera":
            if e.camera != old.camera:
                out.append(Change("camera", e.id, every, "lens or image size"))
            elif moved.any():
                out.append(Change("camera", e.id, ranges(moved), "moved"))
            continue
        if moved.any():
            out.append(Change("moved", e.id, ranges(moved)))
        if _look(a, e.id) != _look(b, e.id):
            out.append(Change("recoloured", e.id, every, f"{_look(a, e.id)[0]} -> {_look(b, e.id)[0]}"))
        tra, trb = a.trajectory_of(e.id), b.trajectory_of(e.id)
        if tra is not None and trb is not None and (np.shape(tra.times) != np.shape(trb.times)
                                                    or not np.allclose(tra.times, trb.times, atol=1e-9)):
            out.append(Change("retimed", e.id, ranges(moved) if moved.any() else every, f"trajectory {trb.id}"))
        if _settings(old) != _settings(e) or (old.gaussians is None) != (e.gaussians is None):
            out.append(Change("changed", e.id, every, "class, size, proxy, light or splats"))
    for e in a.entities():
        if e.id not in ids_b:
            out.append(Change("removed", e.id, every, e.cls))
    if ta.frame_count != fb or ta.fps != tb.fps:
        out.append(Change("timing", "", [(min(ta.frame_count, fb), fb - 1)] if fb > ta.frame_count else [],
                          f"{ta.frame_count} frames at {ta.fps:g} fps -> {fb} at {tb.fps:g}"))
    return out


def format_changes(changes: list[Change]) -> str:
    if not changes:
        return "no changes"
    lines = []
    for c in changes:
        frames = ", ".join(f"{s}-{e}" if s != e else f"{s}" for s, e in c.frames)
        lines.append(f"{c.kind:<10} {c.entity:<16} frames {frames or '-'}" + (f"  ({c.detail})" if c.detail else ""))
    return "\n".join(lines)
