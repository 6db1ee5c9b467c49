"""Re-render only what an edit changed: ``scenegraph render EDITED -o DIR --since PREVIOUS_DIR``.

Every ``scenegraph render`` leaves a record in its folder: ``render.json`` (the
settings and frames) and ``render_scene.json`` (the scene it drew).  Given that
folder, :func:`render_since` compares the edited scene with the recorded one
(:func:`scenegraph.world.changes.diff`, plus the characters' joints and the
wheels' spin, which follow from the motion) and sorts each frame into:

- **render**: something that changed there can be seen: the entity's box, or
  the shadow it casts on the ground under the sun, reaches the camera's view in
  the recorded or the edited version; or a light or the rendering camera changed.
  Drawn again with all passes.  (The renderer leaves casters out of view out of
  its shadow map, so an edit out of view cannot move the shadow map's texels.)
- **passes**: nothing visible changed there but an entity in view moved at the
  frame before or after, so its motion vectors did: the picture is kept, the
  passes and boxes are made again.
- **boxes**: only entities out of view changed: the picture and passes are kept,
  the changed entities' records in ``boxes_NNNN.json`` are made again.
- **reused**: the frame's files are copied unchanged (byte for byte).

Anything that changes every frame (render settings, frame count or rate,
environment and sky, the class table, entity order) re-renders everything, with
the reason given.  ``passes.json`` and the record are written for the new version.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from scenegraph.errors import SceneGraphError

__all__ = ["RECORD", "SOURCE", "Plan", "settings_for", "write_record", "read_record", "plan", "render_since"]

RECORD = "render.json"
SOURCE = "render_scene.json"
_FORMAT = "scenegraph-render"
_PAD = 0.1  # metres around an entity's box (swinging limbs, steering wheels)


def settings_for(scene: Any, *, renderer: str = "builtin", camera: str | None = None, width: int | None = 320,
                 height: int | None = None, background: Any = None, backend: str = "auto", passes: bool = True,
                 **extra: Any) -> dict:
    """The settings that decide a frame's pixels, with the camera and image size resolved as :func:`render` does."""
    from scenegraph.errors import ModelError

    if camera is None:
        if not scene.cameras():
            raise ModelError("render: the scene has no camera")
        camera = scene.cameras()[0].id
    params = scene.entity(camera).camera
    if params is None:
        raise ModelError(f"render: {camera!r} is a {scene.entity(camera).kind}, not a camera")
    w = int(width or params.width)
    h = int(height or round(w / params.aspect))
    bg = None if background is None else [float(c) for c in np.asarray(background, dtype=float).reshape(3)]
    out = {"renderer": renderer, "camera": camera, "width": w, "height": h, "background": bg, "backend": backend,
           "passes": bool(passes)}
    out.update({k: v for k, v in sorted(extra.items()) if v is not None})
    return out


def write_record(scene: Any, folder: str | os.PathLike, settings: dict, frames: Sequence[int], summary: dict | None = None) -> list[Path]:
    """Write ``render.json`` and ``render_scene.json`` into a render folder (what ``--since`` reads)."""
    from scenegraph.model.files import atomic_write
    from scenegraph.model.serialize import dumps
    from scenegraph.version import __version__

    folder = Path(folder)
    rec = {"format": _FORMAT, "version": __version__, "settings": settings, "frames": [int(f) for f in frames]}
    if summary is not None:
        rec["since"] = summary
    atomic_write(folder / SOURCE, dumps(scene))
    atomic_write(folder / RECORD, json.dumps(rec, indent=1) + "\n")
    return [folder / SOURCE, folder / RECORD]


def read_record(folder: str | os.PathLike) -> tuple[Any, dict]:
    """(the recorded scene, the record) of a render folder; SceneGraphError when it has none."""
    from scenegraph.model.serialize import loads

    folder = Path(folder)
    if not folder.is_dir():
        raise SceneGraphError(f"--since {folder}: no such render folder")
    try:
        rec = json.loads((folder / RECORD).read_text())
        scene = loads((folder / SOURCE).read_bytes())
    except FileNotFoundError:
        raise SceneGraphError(f"--since {folder}: no render record ({RECORD}, {SOURCE}); render it once without --since") from None
    except (OSError, ValueError) as exc:
        raise SceneGraphError(f"--since {folder}: unreadable render record ({exc})") from None
    if not isinstance(rec, dict) or rec.get("format") != _FORMAT or not isinstance(rec.get("settings"), dict):
        raise SceneGraphError(f"--since {folder}: {RECORD} is not a scenegraph render record")
    return scene, rec


@dataclass
class Plan:
    """What to do with each frame (sorted frame lists); ``boxes`` maps a frame to the entity ids whose
    box records change there; ``everything`` says why all frames re-render ('' when they need not)."""

    render: list[int] = field(default_factory=list)
    passes: list[int] = field(default_factory=list)
    boxes: dict[int, list[str]] = field(default_factory=dict)
    reused: list[int] = field(default_factory=list)
    everything: str = ""

    def summary(self) -> dict:
        """Counts: ``frames``, ``rendered``, ``reused`` (pictures kept: the rest), of those ``passes_only`` and
        ``boxes_only`` (files partly made again) and ``copied`` (every file kept); ``everything``: the reason, if any."""
        n = len(self.render) + len(self.passes) + len(self.boxes) + len(self.reused)
        return {"frames": n, "rendered": len(self.render), "reused": n - len(self.render), "passes_only": len(self.passes),
                "boxes_only": len(self.boxes), "copied": len(self.reused), "everything": self.everything}

    def message(self) -> str:
        s = self.summary()
        return (f"reused {s['reused']} of {s['frames']} frames, re-rendered {s['rendered']}"
                + (f" (new passes for {s['passes_only']}, new boxes for {s['boxes_only']})" if s["passes_only"] or s["boxes_only"] else "")
                + (f": {self.everything}" if self.everything else ""))


def _changed_frames(changes: list, frame_count: int, kinds: tuple = ()) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for c in changes:
        if kinds and c.kind not in kinds:
            continue
        m = out.setdefault(c.entity, np.zeros(frame_count, bool))
        for a, b in c.frames:
            m[max(a, 0):min(b, frame_count - 1) + 1] = True
    return out


def _articulation(old: Any, ta: Any, new: Any, tb: Any) -> dict[str, np.ndarray]:
    """Frames where a character's joints or a vehicle's wheels are posed differently (they follow the motion,
    so an edit before a frame can change them there)."""
    from scenegraph.appearance.skinning import PosedMeshes

    pa, pb = PosedMeshes(old, ta), PosedMeshes(new, tb)
    n = tb.frame_count
    out: dict[str, np.ndarray] = {}
    for eid, (_, mb, _) in pb.rigs.items():
        if eid in pa.rigs and pa.rigs[eid][1].shape == mb.shape:
            out[eid] = np.abs(pa.rigs[eid][1] - mb).reshape(n, -1).max(axis=1) > 1e-6
    for eid, (_, rb) in pb.vehicles.items():
        ra = pa.vehicles.get(eid, (None, None))[1]
        if rb is not None and ra is not None and ra.shape == rb.shape:
            out[eid] = np.abs(ra - rb).reshape(n, -1).max(axis=1) > 1e-6
        elif (ra is None) != (rb is None):
            out[eid] = np.ones(n, bool)
    return out


def _in_view(scene: Any, tl: Any, eid: str, frames: np.ndarray, settings: dict, world_all: np.ndarray) -> np.ndarray:
    """(len(frames),) bool: may entity ``eid`` (its padded box, or the sun shadow of that box down to the
    lowest entity) show in the rendering camera at these frames?  Conservative: the box holds the posed mesh
    and the renderer leaves out of its shadow map exactly the casters this test finds out of view
    (:func:`scenegraph.render.lit.hull_in_view`)."""
    from scenegraph.render.lit import hull_in_view, with_shadows
    from scenegraph.render.sky import frame_lighting
    from scenegraph.world.views import PinholeCamera

    out = np.zeros(len(frames), bool)
    if eid not in tl.ids:
        return out
    index = {e: i for i, e in enumerate(tl.ids)}
    ent = scene.entity(eid)
    lo, hi = (np.asarray(b, dtype=np.float64) for b in ent.bounds)
    pad = _PAD + 0.2 * float(np.max(hi - lo))  # swinging limbs, steered wheels
    lo, hi = lo - pad, hi + pad
    corners = np.array([[(hi if i & 1 else lo)[0], (hi if i & 2 else lo)[1], (hi if i & 4 else lo)[2]] for i in range(8)])
    floor = _floor(scene, tl, world_all)
    params = scene.entity(settings["camera"]).camera
    cam_i = index[settings["camera"]]
    for k, f in enumerate(frames):
        m = world_all[f, index[eid]]
        pts = corners @ m[:3, :3].T + m[:3, 3]
        light = frame_lighting(scene, world_all[f], index)
        if settings["renderer"] != "splats" and light.sun_dir is not None and np.any(light.sun_rgb > 0):
            travel = -np.asarray(light.sun_dir, dtype=np.float64)
            if travel[1] > -1e-6:  # the renderer keeps every caster then
                out[k] = True
                continue
            pts = with_shadows(pts, travel, floor)
        cam = PinholeCamera.from_scene_camera(params, world_all[f, cam_i], settings["width"], settings["height"])
        out[k] = bool(hull_in_view(pts, cam, margin=4.0))
    return out


def _floor(scene: Any, tl: Any, world_all: np.ndarray) -> float:
    """The lowest point of any object's box over the Timeline (where shadows end), minus a margin."""
    index = {e: i for i, e in enumerate(tl.ids)}
    low = 0.0
    for e in scene.entities("object"):
        if e.id in index:
            m = world_all[:, index[e.id]]  # (F, 4, 4)
            lo, hi = (np.asarray(b, dtype=np.float64) for b in e.bounds)
            ys = m[:, 1, 3] + np.minimum(m[:, 1, :3] * lo, m[:, 1, :3] * hi).sum(axis=1)
            low = min(low, float(ys.min()))
    return low - 0.1


def plan(old: Any, ta: Any, new: Any, tb: Any, settings: dict, record: dict, frames: Sequence[int]) -> Plan:
    """Sort ``frames`` of the edited scene ``new`` (Timeline ``tb``) against the recorded render of ``old``."""
    from scenegraph.render.passes import class_table
    from scenegraph.render.sky import _env_dict
    from scenegraph.world.changes import diff

    frames = [int(f) for f in frames]
    done = set(int(f) for f in record.get("frames", []))
    p = Plan()
    reason = ""
    if record["settings"] != settings:
        diffs = sorted(k for k in set(settings) | set(record["settings"]) if settings.get(k) != record["settings"].get(k))
        reason = "render settings changed: " + ", ".join(diffs)
    elif ta.frame_count != tb.frame_count or ta.fps != tb.fps:
        reason = f"timing changed: {ta.frame_count} frames at {ta.fps:g} fps -> {tb.frame_count} at {tb.fps:g}"
    elif _env_dict(old) != _env_dict(new):
        reason = "the environment (sky, time of day, setting) changed"
    elif tuple(tb.ids[:len(ta.ids)]) != tuple(ta.ids):
        reason = "entities were removed or reordered (instance ids change)"
    elif settings["passes"] and class_table(old) != class_table(new):
        reason = "the semantic class table changed"
    if reason:
        p.render, p.everything = frames, reason
        return p
    n = tb.frame_count
    changes = diff(old, new, ta, tb)
    masks = _changed_frames(changes, n)
    shape = _changed_frames(changes, n, ("added", "moved", "retimed", "changed"))  # what boxes show
    for eid, m in _articulation(old, ta, new, tb).items():
        masks[eid] = masks.get(eid, np.zeros(n, bool)) | m
    full = np.zeros(n, bool)
    gt = np.zeros(n, bool)
    boxes: dict[int, list[str]] = {}
    wa, wb = ta.world_matrices(), tb.world_matrices()
    cam = settings["camera"]
    for eid, mask in masks.items():
        if not mask.any():
            continue
        ent = new.entity(eid) if eid in new and new.kind_of(eid) == "entity" else old.entity(eid)
        if eid == cam:
            full |= mask
            continue
        if ent.kind != "object":  # a light (or another camera: nothing to see, but cheap to be safe)
            if ent.kind != "camera":
                full |= mask
            continue
        near = mask.copy()
        if settings["passes"]:  # motion vectors look one frame ahead and back
            near[1:] |= mask[:-1]
            near[:-1] |= mask[1:]
        idx = np.flatnonzero(near)
        seen = _in_view(new, tb, eid, idx, settings, wb)
        if eid in old and old.kind_of(eid) == "entity":
            seen |= _in_view(old, ta, eid, idx, settings, wa)
        seen_all = np.zeros(n, bool)
        seen_all[idx] = seen
        full |= mask & seen_all
        gt |= near & ~mask & seen_all
        for f in np.flatnonzero(shape.get(eid, np.zeros(n, bool)) & ~seen_all):
            boxes.setdefault(int(f), []).append(eid)
    for f in frames:
        if f not in done or full[f]:
            p.render.append(f)
        elif gt[f]:
            p.passes.append(f)
        elif f in boxes:
            if settings["passes"]:
                p.boxes[f] = boxes[f]
            else:
                p.reused.append(f)
        else:
            p.reused.append(f)
    return p


def render_since(scene: Any, output: str | os.PathLike, since: str | os.PathLike,
                 render_fn: Callable[[list[int]], list], *, timeline: Any = None, frames: Any = None,
                 settings: dict) -> tuple[list[Path], Plan]:
    """Update the render in ``since`` to ``scene``, writing the result to ``output`` (may be the same folder).

    ``render_fn(frames)`` renders a list of frame indices of ``scene`` with ``settings`` (as :func:`render`
    does) and returns RenderedFrames.  Returns (files written, the :class:`Plan`).
    """
    from scenegraph.model.files import atomic_write
    from scenegraph.render.frames import parse_frames, write_frames
    from scenegraph.world import simulate

    old, record = read_record(since)
    since, output = Path(since), Path(output)
    tb = timeline if timeline is not None else simulate(scene)
    todo = parse_frames(frames, tb.frame_count)
    ta = simulate(old)
    pl = plan(old, ta, scene, tb, settings, record, todo)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SceneGraphError(f"{output}: cannot create the output folder ({exc.strerror})") from None
    same = output.resolve() == since.resolve()
    made = list(render_fn(pl.render)) if pl.render else []
    if pl.passes:
        made += _passes_only(scene, tb, settings, since, pl.passes)
    made.sort(key=lambda fr: fr.frame)
    written = write_frames(made, output) if made else []
    written = [p for p in written if p.name != "passes.json"]
    maker = None
    for f in pl.reused + sorted(pl.boxes):
        names = [f"rgb_{f:04d}.png", f"passes_{f:04d}.npz"] + ([f"boxes_{f:04d}.json"] if settings["passes"] and f not in pl.boxes else [])
        for name in names:
            if not (since / name).is_file():
                raise SceneGraphError(f"--since {since}: {name} is missing; render it again without --since")
            if not same:
                atomic_write(output / name, (since / name).read_bytes())
            written.append(output / name)
        if f in pl.boxes:
            if maker is None:
                from scenegraph.render.passes import PassMaker

                maker = PassMaker(scene, tb, settings["camera"], settings["width"], settings["height"])
            atomic_write(output / f"boxes_{f:04d}.json", _patched_boxes(since / f"boxes_{f:04d}.json", maker, f, pl.boxes[f], tb, settings))
            written.append(output / f"boxes_{f:04d}.json")
    written.append(_write_index(output, scene, tb, settings, todo))
    written += write_record(scene, output, settings, todo, pl.summary())
    return written, pl


def _passes_only(scene: Any, tl: Any, settings: dict, since: Path, frames: list[int]) -> list:
    """RenderedFrames whose picture (rgb, alpha, depth, instance) is read back from ``since``, passes made anew."""
    from scenegraph.render.frames import RenderedFrame
    from scenegraph.render.passes import PassMaker

    maker = PassMaker(scene, tl, settings["camera"], settings["width"], settings["height"])
    vis = tl.visibility.get(settings["camera"])
    out = []
    for f in frames:
        try:
            with np.load(since / f"passes_{f:04d}.npz") as z:
                rgb, alpha, depth, inst = (np.array(z[k]) for k in ("rgb", "alpha", "depth", "instance"))
        except (OSError, KeyError, ValueError) as exc:
            raise SceneGraphError(f"--since {since}: passes_{f:04d}.npz unreadable ({exc})") from None
        visible = [] if vis is None else [tl.ids[i] for i in np.flatnonzero(vis.visible[f])]
        fr = RenderedFrame(f, float(tl.time[f]), settings["camera"], tuple(tl.ids), rgb, alpha, depth, inst, visible)
        fr.passes, fr.boxes, fr.classes = maker.frame(f), maker.boxes(f), maker.classes
        out.append(fr)
    return out


def _patched_boxes(path: Path, maker: Any, f: int, changed: list[str], tl: Any, settings: dict) -> str:
    """``boxes_NNNN.json`` with the records of ``changed`` (entities out of view: no pixels) made again."""
    try:
        old = {r["id"]: r for r in json.loads(path.read_text())["entities"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SceneGraphError(f"--since: {path} unreadable ({exc})") from None
    none = np.zeros(0, np.int64)
    recs = [old[e.id] if e.id in old and e.id not in changed else maker.box(f, k, none, none) for k, e in enumerate(maker.objects)]
    return json.dumps({"frame": f, "time": float(tl.time[f]), "camera": settings["camera"], "entities": recs}, indent=1) + "\n"


def _write_index(folder: Path, scene: Any, tl: Any, settings: dict, frames: list[int]) -> Path:
    """``passes.json`` for all ``frames`` (as :func:`write_frames` writes it for a full render)."""
    from scenegraph.model.files import atomic_write
    from scenegraph.render.passes import class_table

    vis = tl.visibility.get(settings["camera"])
    index: dict[str, Any] = {"ids": list(tl.ids), "camera": settings["camera"], "frames": []}
    for f in frames:
        entry = {"frame": f, "time": float(tl.time[f]), "rgb": f"rgb_{f:04d}.png", "passes": f"passes_{f:04d}.npz",
                 "visible": [] if vis is None else [tl.ids[i] for i in np.flatnonzero(vis.visible[f])]}
        if (folder / f"boxes_{f:04d}.json").is_file():
            entry["boxes"] = f"boxes_{f:04d}.json"
        index["frames"].append(entry)
    if settings["passes"]:
        index["classes"] = class_table(scene)
    atomic_write(folder / "passes.json", json.dumps(index, indent=2) + "\n")
    return folder / "passes.json"
