"""Does the simulated world do what the plan said?  One line per clause of the plan, checked on the Timeline.

:func:`check_plan` reads the spec kept in ``scene.metadata`` (its actions, with
the spans the builder recorded, and its relations) and measures each clause in
the simulated world, e.g.::

    car_1 drive left_to_right: yes, 0.00-3.70 s (x -12.7 -> 24.0 m, 10.0 m/s)
    dog_1 follow man_1: yes, gap 1.3-1.9 m
    cup_1 on table_1: yes (bottom 0.75 m, top of table_1 0.75 m)

A clause the world does not hold says ``no`` and why.  Used by
``scenegraph inspect`` (with the plausibility checks of
:mod:`scenegraph.world.plausibility`).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["check_plan", "format_plan_check"]

_TOL = 0.15  # metres


def _members(scene, ref: str | None) -> list[str]:
    if not ref:
        return []
    return [e.id for e in scene.entities("object") if e.attributes.get("spec_ref") == ref]


def _frames(tl, t0: float, t1: float) -> tuple[int, int]:
    f0 = int(np.clip(round(t0 * tl.fps), 0, tl.frame_count - 1))
    f1 = int(np.clip(round(t1 * tl.fps), 0, tl.frame_count - 1))
    return f0, max(f0, f1)


def _camera_x(scene, tl, pts: np.ndarray, frame: int) -> np.ndarray:
    """Image x (pixels) of world points at ``frame`` as camera_1 sees them."""
    from scenegraph.world.shots import project_points

    uv, _ = project_points(scene, tl, frame, pts)
    return uv[:, 0]


def _clause(scene, tl, a: dict, span: tuple[float, float]) -> list[dict]:
    out = []
    verb, direction = a.get("verb"), a.get("direction")
    t0, t1 = span
    f0, f1 = _frames(tl, t0, t1)
    for eid in _members(scene, a.get("actor")):
        p = tl.world_position(eid)
        seg = p[f0 : f1 + 1]
        moved = float(np.linalg.norm(seg[-1] - seg[0])) if len(seg) else 0.0
        sp = np.linalg.norm(np.diff(seg, axis=0), axis=1) * tl.fps if len(seg) > 1 else np.zeros(1)
        what = f"{eid} {verb}" + (f" {direction}" if direction else "")
        for key, word in (("target", ""), ("to", "to "), ("via", "via ")):
            ref = a.get(key)
            if ref:
                ids = _members(scene, ref)
                what += f" {word}{ids[0] if ids else ref}"
        ok, why = True, f"moved {moved:.1f} m, top speed {sp.max():.1f} m/s"
        if verb in ("pause", "wait", "sit", "stand", "lie", "look_at"):
            inner = sp[1:-1] if len(sp) > 2 else sp
            ok = bool(inner.max() < 0.05) if verb in ("pause", "wait") and len(inner) else True
            why = f"still for {t1 - t0:.1f} s" if ok else f"moves at up to {inner.max():.2f} m/s while it should stand"
        elif direction in ("left_to_right", "right_to_left", "across", "left", "right"):
            x = _camera_x(scene, tl, p[[f0, min(tl.frame_count - 1, f1 + round(tl.fps))]], f0)
            sign = -1 if direction in ("right_to_left", "left") else 1
            ok = bool(sign * (x[1] - x[0]) > 0)
            why = f"image x {x[0]:.0f} -> {x[1]:.0f} px, {np.median(sp):.1f} m/s"
        elif direction in ("towards_camera", "away_from_camera"):
            eye = tl.world_position("camera_1")
            d0 = float(np.linalg.norm(p[f0] - eye[f0]))
            d1 = float(np.linalg.norm(p[f1] - eye[f1]))
            ok = d1 < d0 if direction == "towards_camera" else d1 > d0
            why = f"distance to the camera {d0:.1f} -> {d1:.1f} m"
        elif direction == "up" or verb in ("jump", "climb", "take_off", "fly"):
            rise = float(seg[:, 1].max() - seg[0, 1]) if len(seg) else 0.0
            ok = rise > 0.1 or verb == "fly"
            why = f"rises {rise:.2f} m, highest {seg[:, 1].max():.2f} m"
        elif direction == "down" or verb in ("descend", "land", "fall", "drop"):
            end = p[min(tl.frame_count - 1, f1 + round(tl.fps))]
            ok = end[1] < p[f0][1] - 0.05
            why = f"height {p[f0][1]:.2f} -> {end[1]:.2f} m"
        elif direction == "around" or verb in ("orbit", "circle"):
            tgt = _members(scene, a.get("target"))
            c = tl.world_position(tgt[0])[f0] if tgt else seg.mean(axis=0)
            ang = np.unwrap(np.arctan2(seg[:, 0] - c[0], seg[:, 2] - c[2])) if len(seg) else np.zeros(1)
            swept = math.degrees(abs(ang[-1] - ang[0]))
            ok = swept > 270 or bool(scene.trajectory_of(eid) and scene.trajectory_of(eid).loop)
            why = f"goes {swept:.0f} degrees round"
        elif verb in ("follow", "chase") and _members(scene, a.get("target")):
            lead = tl.world_position(_members(scene, a.get("target"))[0])[f0 : f1 + 1]
            gap = np.linalg.norm((lead - seg)[:, [0, 2]], axis=1)
            ok = bool(gap.max() < 8.0 and gap.min() > 0.2)
            why = f"gap {gap.min():.1f}-{gap.max():.1f} m"
        if a.get("to") and _members(scene, a.get("to")) and verb not in ("throw",):
            q = tl.world_position(_members(scene, a["to"])[0])[f1]
            other = scene.entity(_members(scene, a["to"])[0])
            reach = 0.5 * float(np.max(np.ptp(other.bounds, axis=0)[[0, 2]])) + 2.5
            d = float(np.linalg.norm((p[f1] - q)[[0, 2]]))
            ok = ok and d < reach
            why += f"; ends {d:.1f} m from {_members(scene, a['to'])[0]}"
        out.append({"clause": what, "holds": bool(ok), "start": round(t0, 2), "end": round(t1, 2), "detail": why})
    return out


def check_plan(scene, timeline) -> list[dict]:
    """Each clause of the plan (actions, then relations) with whether it holds in ``timeline``:
    dicts ``{clause, holds, start, end, detail}`` (start/end in seconds; relations cover the whole clip)."""
    spec = scene.metadata.get("spec") or {}
    spans = {x["index"]: (x["start"], x["end"]) for x in scene.metadata.get("actions", [])}
    out: list[dict] = []
    for k, a in enumerate(spec.get("actions", [])):
        if k in spans:
            out += _clause(scene, timeline, a, spans[k])
    last = timeline.frame_count - 1
    for s, rel, o in scene.relations():
        if rel not in ("on", "inside", "left_of", "right_of", "in_front_of", "behind", "near"):
            continue
        ps, po = timeline.world_position(s), timeline.world_position(o)
        es, eo = scene.entity(s), scene.entity(o)
        if rel == "on":
            top = po[0, 1] + eo.bounds[1][1]
            bottom = ps[0, 1] + es.bounds[0][1]
            ok = abs(bottom - top) < 0.05
            why = f"bottom {bottom:.2f} m, top of {o} {top:.2f} m"
        elif rel == "inside":
            ok = bool(np.all(np.abs((ps[0] - po[0])[[0, 2]]) <= np.ptp(eo.bounds, axis=0)[[0, 2]] / 2 + 1e-3))
            why = "within its footprint" if ok else "outside its footprint"
        elif rel == "near":
            d = float(np.linalg.norm((ps[0] - po[0])[[0, 2]]))
            ok = d < 0.5 * (np.ptp(es.bounds, axis=0)[[0, 2]].max() + np.ptp(eo.bounds, axis=0)[[0, 2]].max()) + 1.6
            why = f"{d:.1f} m apart"
        else:
            axis, sign = {"left_of": (0, -1), "right_of": (0, 1), "in_front_of": (2, 1), "behind": (2, -1)}[rel]
            d = float(ps[0, axis] - po[0, axis])
            ok = sign * d > 0
            why = f"{'x' if axis == 0 else 'z'} {ps[0, axis]:.1f} vs {po[0, axis]:.1f} m"
        out.append({"clause": f"{s} {rel} {o}", "holds": bool(ok), "start": 0.0,
                    "end": round(float(timeline.time[last]), 2), "detail": why})
    return out


def format_plan_check(rows: list[dict]) -> list[str]:
    """Readable lines: ``car_1 drive left_to_right: yes, 0.00-3.70 s (image x -80 -> 1400 px, 10.0 m/s)``."""
    return [f"  {r['clause']}: {'yes' if r['holds'] else 'NO'}, {r['start']:.2f}-{r['end']:.2f} s ({r['detail']})"
            for r in rows]
