"""The per-scene ``metadata.json`` of a batch item (a Kubric-like dataset record).

Everything in it comes from the scene, its Timeline and (with ``--render``) the
rendered instance masks; no timings or host names, so an item's bytes depend
only on its prompt, seed and settings.  Layout (README "Batches"):

- ``scene``: id, prompt, seed, key, version, fps, frame_count, duration;
- ``camera``: the rendered (or first) camera's id, intrinsics (yfov, aspect,
  znear, zfar, width, height) and world ``positions`` / ``quaternions`` per frame;
- ``instances``: per entity (Timeline order): ``id``, ``index`` (the value in the
  ``instance`` pass), ``class``, ``kind``, ``name``, ``material``, ``parent``,
  ``bounds`` (local box), ``positions`` (F, 3) world metres, ``quaternions``
  (F, 4) xyzw world, ``visibility`` (F) 0/1 from the camera's visibility
  record, and with frames: ``bboxes`` {frame: [ymin, xmin, ymax, xmax]} in
  0-1 image coordinates and ``pixels`` {frame: count} from the instance mask;
- ``frames``: the rendered frame numbers and their files.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["metadata", "write_metadata"]


def _r(a: np.ndarray, digits: int = 6) -> list:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


def _world_quats(timeline: Any) -> np.ndarray:
    """(F, E, 4) xyzw world rotations: each parent's rotation composed onto its children's."""
    from scenegraph.model.rotations import quat_multiply

    local = np.asarray(timeline.rotation, dtype=np.float64)
    parents = timeline.parents or (-1,) * len(timeline.ids)
    out = local.copy()
    done = [p < 0 for p in parents]

    def resolve(i: int) -> None:
        if not done[i]:
            resolve(parents[i])
            out[:, i] = quat_multiply(out[:, parents[i]], local[:, i])
            done[i] = True

    for i in range(len(parents)):
        resolve(i)
    return out


def metadata(item: Any, scene: Any, timeline: Any, frames: Any = None) -> dict[str, Any]:
    """The metadata dict of one item (see the module docstring)."""
    from scenegraph.model import serialize
    from scenegraph.version import __version__

    pos = timeline.world_position()  # (F, E, 3)
    quat = _world_quats(timeline)
    cams = scene.cameras()
    cam_id = frames[0].camera if frames else (cams[0].id if cams else None)
    vis = timeline.visibility.get(cam_id) if cam_id else None
    boxes: dict[int, dict[str, list]] = {}
    pixels: dict[int, dict[str, int]] = {}
    for fr in frames or []:
        h, w = fr.instance.shape
        for idx in np.unique(fr.instance):
            if idx < 0:
                continue
            ys, xs = np.nonzero(fr.instance == idx)
            boxes.setdefault(int(idx), {})[str(fr.frame)] = _r([ys.min() / h, xs.min() / w, (ys.max() + 1) / h, (xs.max() + 1) / w])
            pixels.setdefault(int(idx), {})[str(fr.frame)] = int(ys.size)
    instances = []
    for i, eid in enumerate(timeline.ids):
        ent = scene.entity(eid)
        mat = scene.material_of(eid)
        par = scene.parent_of(eid)
        rec = {
            "id": eid,
            "index": i,
            "class": ent.cls,
            "kind": ent.kind,
            "name": ent.name,
            "material": mat.id if mat else None,
            "parent": par.id if par else None,
            "bounds": _r(ent.bounds),
            "positions": _r(pos[:, i]),
            "quaternions": _r(quat[:, i]),
            "visibility": vis.visible[:, i].astype(int).tolist() if vis is not None else None,
        }
        if frames:
            rec["bboxes"] = boxes.get(i, {})
            rec["pixels"] = pixels.get(i, {})
        instances.append(rec)
    camera = None
    if cam_id is not None:
        c = timeline.index(cam_id)
        camera = {"id": cam_id, "intrinsics": serialize.payload_to_json(scene.entity(cam_id).camera),
                  "positions": _r(pos[:, c]), "quaternions": _r(quat[:, c])}
    return {
        "format": "scenegraph-batch/1",
        "scene": {"id": item.id, "prompt": item.prompt, "seed": item.seed, "key": item.key, "version": __version__,
                  "fps": float(timeline.fps), "frame_count": timeline.frame_count, "duration": float(scene.duration)},
        "camera": camera,
        "instances": instances,
        "frames": [{"frame": fr.frame, "rgb": f"frames/rgb_{fr.frame:04d}.png", "passes": f"frames/passes_{fr.frame:04d}.npz"}
                   for fr in frames or []],
    }


def write_metadata(folder: Path, item: Any, scene: Any, timeline: Any, frames: Any = None) -> str:
    """Write ``folder/metadata.json``; returns its name."""
    from scenegraph.model.files import atomic_write

    atomic_write(folder / "metadata.json", json.dumps(metadata(item, scene, timeline, frames), separators=(",", ":")) + "\n")
    return "metadata.json"
