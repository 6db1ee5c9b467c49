"""Turn a parsed glTF document into a Scene: our metadata first, the file's edits on top.

Used by :func:`exporters.gltf.read`; see its module docstring for the rules.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from exporters._gltf_common import EXT_LIGHTS, file_motion_digest, motion_digest
from exporters.gltf_read import _POS_TOL, _ROT_TOL, _SCALE_TOL, _model, Reader, _sg, _unique_id
from scenegraph.errors import FormatError, ModelError, SceneGraphError

__all__ = ["rebuild"]


def _document(r: Reader) -> tuple[dict | None, Any]:
    """The scene-level metadata we wrote (settings, materials, trajectories, relations, entity order), if
    any, and the motion digest stored beside it (None when absent)."""
    c = r.c
    if not c.items("scenes"):
        return None, None
    meta = _sg(c.item("scenes", c.doc.get("scene", 0), "scene"))
    if meta is None or not isinstance(meta.get("document"), str):
        return None, None
    try:
        doc = json.loads(meta["document"])
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FormatError(c.where(f"scene extras: invalid scenegraph document ({exc})")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise FormatError(c.where("scene extras: the scenegraph document has no entity list"))
    return doc, meta.get("motion")


def _node_entities(r: Reader, order: list[int], doc: dict) -> tuple[dict[int, str], dict[str, dict]]:
    """Nodes that carry one of the document's entities: node -> id, id -> node extras."""
    wanted = {e for e in doc["entities"] if isinstance(e, str)}
    node_id: dict[int, str] = {}
    extras: dict[str, dict] = {}
    for i in order:
        sg = _sg(r.nodes[i])
        eid = sg.get("id") if sg else None
        if isinstance(eid, str) and eid in wanted and eid not in extras and isinstance(sg.get("entity"), str):
            node_id[i] = eid
            extras[eid] = sg
    return node_id, extras


def _base_dict(r: Reader, doc: dict, extras: dict[str, dict]) -> dict:
    """The canonical scene dict of the entities still present, as the metadata describes them."""
    entities = []
    for eid in doc["entities"]:
        if eid not in extras:
            continue
        sg = extras[eid]
        try:
            ent = json.loads(sg["entity"])
        except (json.JSONDecodeError, RecursionError) as exc:
            raise FormatError(r.c.where(f"node {eid!r}: invalid entity metadata ({exc})")) from None
        if not isinstance(ent, dict):
            raise FormatError(r.c.where(f"node {eid!r}: entity metadata must be an object"))
        # the writer leaves out of "entity" what the node's other extras carry (files before it kept all)
        for key, extra in (("kind", "kind"), ("cls", "class"), ("proxy", "proxy"), ("bounds", "bounds")):
            if key not in ent and extra in sg:
                ent[key] = sg[extra]
        if ent.get("proxy") == "":
            ent["proxy"] = None
        b = ent.get("bounds")
        if isinstance(b, list) and len(b) == 6:
            ent["bounds"] = [b[:3], b[3:]]
        ent["id"] = eid
        ent["gaussians"] = None
        for key in ("material", "trajectory", "parent"):
            v = sg.get(key)
            ent[key] = v if isinstance(v, str) and v else None
        if ent["parent"] not in extras:
            ent["parent"] = None
        entities.append(ent)
    rels = [x for x in doc.get("relations") or [] if isinstance(x, dict) and x.get("subject") in extras and x.get("object") in extras]
    out = {k: doc.get(k) for k in ("format", "version", "scene", "materials", "trajectories")}
    out["entities"] = entities
    out["relations"] = rels
    return out


class _Rebuild:
    def __init__(self, r: Reader) -> None:
        from scenegraph.model import serialize

        self.r = r
        self.order, self.parent_node = r.tree()
        self.chans = r.channels()
        doc, stored_motion = _document(r)
        if doc is not None:
            self.node_id, self.extras = _node_entities(r, self.order, doc)
            self.base = _base_dict(r, doc, self.extras)
            try:
                self.scene = serialize.scene_from_dict(self.base)
            except FormatError as exc:
                raise FormatError(r.c.where(f"scenegraph metadata: {exc}")) from None
        else:
            from scenegraph.model import Scene

            self.node_id, self.extras, self.base = {}, {}, None
            ends = [float(ch[1][-1]) for per in self.chans.values() for ch in per.values()]
            self.scene = Scene(fps=24.0, duration=max(ends, default=0.0))
        r.fps = self.scene.fps
        self._timeline: Any = False
        # every node's rest TRS and animation keys are as the writer left them (the scene's motion digest)
        parts = r.part_nodes()
        self.untouched = isinstance(stored_motion, str) and stored_motion == file_motion_digest(
            [r.rest(i) for i in range(len(r.nodes)) if i not in parts], {i: c for i, c in self.chans.items() if i not in parts})
        self.mat_ids: dict[int, str] = {}

    # -- helpers -------------------------------------------------------------
    def timeline(self) -> Any:
        """The simulated motion the metadata implies (None when it cannot be simulated)."""
        if self._timeline is False:
            from scenegraph.model import serialize
            from scenegraph.world import simulate

            try:
                self._timeline = simulate(serialize.scene_from_dict(self.base))
            except (NotImplementedError, SceneGraphError):
                self._timeline = None
        return self._timeline

    def motion_edited(self, i: int, eid: str, rest: dict, chans: dict) -> bool:
        if self.untouched:
            return False
        digest = self.extras[eid].get("digest")  # files written before the scene-level digest
        if isinstance(digest, str) and motion_digest(rest, chans) == digest:
            return False
        tl = self.timeline()
        if tl is None or eid not in tl.ids:
            return True
        j = tl.index(eid)
        m = self.r.motion(rest, chans, np.asarray(tl.time, np.float64))
        pos = np.asarray(tl.position[:, j], np.float64)
        rot = np.asarray(tl.rotation[:, j], np.float64)
        scl = np.asarray(tl.scale[:, j], np.float64)
        rot_err = np.minimum(np.abs(m["rotation"] - rot).max(axis=-1), np.abs(m["rotation"] + rot).max(axis=-1))
        return bool(np.abs(m["translation"] - pos).max() > _POS_TOL or rot_err.max() > _ROT_TOL
                    or np.abs(m["scale"] - scl).max() > _SCALE_TOL)

    def material_for(self, gi: Any) -> str | None:
        if gi is None:
            return None
        if gi not in self.mat_ids:
            gm = self.r.c.item("materials", gi, "primitive.material")
            sg = _sg(gm)
            mid = sg.get("id") if sg else None
            if isinstance(mid, str) and mid in self.scene and self.scene.kind_of(mid) == "material":
                old = self.scene.material(mid)
                new = self.r.material(gm, mid, old)
                if new is not old:
                    self.scene.update(mid, **{k: getattr(new, k) for k in ("base_color", "alpha", "metallic", "roughness", "emissive")})
            else:
                name = gm.get("name") if isinstance(gm.get("name"), str) else f"material_{gi}"
                mid = _unique_id(name, self.scene, "mat_")
                self.scene.add_material(self.r.material(gm, mid, None))
            self.mat_ids[gi] = mid
        return self.mat_ids[gi]

    def set_motion(self, eid: str, rest: dict, chans: dict, changes: dict) -> None:
        from scenegraph.model import Transform

        scene = self.scene
        old = scene.trajectory_of(eid)
        exclusive = old is not None and len(scene.users_of(old.id)) == 1
        changes["transform"] = _model(Transform, dict(rest), self.r.c.where(f"node {eid!r}"))
        changes["dynamics"] = None
        if not chans:
            scene.set_trajectory(eid, None)
            if exclusive:
                scene.remove(old.id)
            return
        tid = old.id if exclusive else _unique_id(f"{eid}_motion", scene)
        traj = self.r.trajectory(tid, rest, chans)
        fields = ("times", "positions", "rotations", "scales", "interpolation", "speed", "heading", "loop")
        if exclusive:
            scene.update(tid, **{k: getattr(traj, k) for k in fields})
        else:
            scene.add_trajectory(traj)
            scene.set_trajectory(eid, tid)

    # -- the pass over nodes -----------------------------------------------------
    def mapped(self, i: int, eid: str) -> None:
        r, scene = self.r, self.scene
        node = r.nodes[i]
        ent = scene.entity(eid)
        changes: dict[str, Any] = {}
        name = node.get("name")
        if isinstance(name, str) and name and name != ent.name:
            changes["name"] = name
        if ent.kind == "camera" and "camera" in node:
            cam = r.camera(i, ent.camera)
            if cam is not ent.camera:
                changes["camera"] = cam
        if ent.kind == "light" and EXT_LIGHTS in (node.get("extensions") or {}):
            light = r.light(i, ent.light)
            if light is not ent.light:
                changes["light"] = light
        rest, chans = r.rest(i), self.chans.get(i, {})
        if self.motion_edited(i, eid, rest, chans):
            self.set_motion(eid, rest, chans, changes)
        if ent.kind == "object":
            gi, _ = r.mesh_info(i)
            body = r.part_child(i, "skin") if "mesh" not in node else None
            if body is not None:  # a character: its clothes are the skinned body's first primitive
                gi, _ = r.mesh_info(body)
            mid = self.material_for(gi)
            cur = scene.material_of(eid)
            if mid != (cur.id if cur else None):
                scene.set_material(eid, mid)
        g = r.gaussians(i)
        if g is None and (k := r.part_child(i, "splats")) is not None:
            g = r.gaussians(k)
        if g is not None:
            changes["gaussians"] = g
        if changes:
            scene.update(eid, **changes)

    def new(self, i: int) -> None:
        from scenegraph.model import Entity, Transform

        r, scene = self.r, self.scene
        node = r.nodes[i]
        name = node.get("name") if isinstance(node.get("name"), str) and node.get("name") else f"node_{i}"
        kind = "camera" if "camera" in node else "light" if EXT_LIGHTS in (node.get("extensions") or {}) else "object"
        rest, chans = r.rest(i), self.chans.get(i, {})
        gi, bounds = r.mesh_info(i)
        where = r.c.where(f"nodes[{i}] ({name!r})")
        kwargs: dict[str, Any] = dict(id=_unique_id(name, scene), name=name, kind=kind, cls="thing",
                                      transform=_model(Transform, dict(rest), where), gaussians=r.gaussians(i))
        if bounds is not None and np.all(bounds[1] >= bounds[0]):
            kwargs["bounds"] = bounds
        if kind == "camera":
            kwargs["camera"] = r.camera(i, None)
        elif kind == "light":
            kwargs["light"] = r.light(i, None)
        ent = scene.add_entity(_model(Entity, kwargs, where))
        self.node_id[i] = ent.id
        if chans:
            changes: dict[str, Any] = {}
            self.set_motion(ent.id, rest, chans, changes)
        if kind == "object" and gi is not None:
            scene.set_material(ent.id, self.material_for(gi))

    def run(self) -> Any:
        for i in self.order:
            if i in self.node_id:
                self.mapped(i, self.node_id[i])
            else:
                self.new(i)
        scene = self.scene
        want = {eid: self.node_id.get(self.parent_node.get(i)) for i, eid in self.node_id.items()}
        for eid, pid in want.items():
            cur = scene.parent_of(eid)
            if (cur.id if cur else None) != pid:
                scene.set_parent(eid, None)
        for eid, pid in want.items():
            cur = scene.parent_of(eid)
            if pid is not None and cur is None:
                if scene.entity(eid).dynamics is not None:
                    scene.update(eid, dynamics=None)
                scene.set_parent(eid, pid)
        return scene


def rebuild(r: Reader) -> Any:
    """The Scene of a parsed glTF document; raises FormatError for data that breaks the model."""
    try:
        return _Rebuild(r).run()
    except FormatError:
        raise
    except ModelError as exc:
        raise FormatError(r.c.where(str(exc))) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # a hostile or mangled document: wrong types where the format says otherwise
        raise FormatError(r.c.where(f"malformed glTF or scenegraph metadata ({type(exc).__name__}: {exc})")) from None
