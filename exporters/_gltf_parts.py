"""glTF parts under an entity's node: skinned characters, vehicle wheels, splats in their own child.

The entity's node stays the one thing an artist moves (its TRS and animation
are the Timeline's); what hangs under it is derived from the entity and the
Timeline and marked ``extras.scenegraph.part`` (role) and ``of`` (entity id),
so the reader skips it and rebuilds the same Scene:

- a character (:mod:`scenegraph.appearance.rig`): its joints as child nodes
  (rest rotations identity), a skin (joints, inverseBindMatrices), and the
  skinned mesh -- one primitive per material role, JOINTS_0/WEIGHTS_0 -- on a
  root node without a transform (as the spec asks); the joints' rotations and
  the hips' translation per frame (:func:`scenegraph.appearance.gait.pose_track`)
  are channels of the scene's animation;
- a vehicle (:mod:`scenegraph.appearance.vehicle`): body, glass, trim and
  emissive head/tail lights as primitives with their own materials, and each
  wheel a child node (tyre and rim) whose rotation spins and steers per frame;
- Gaussians: a child node named "<entity> splats" holding the POINTS
  primitive, so the proxy mesh carries no loose points and the splats can be
  hidden on their own.

All part nodes come after the entity nodes, so entity node indices (and the
scene's motion digest over them) are the same as without parts.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from exporters._gltf_common import ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, EXT_EMISSIVE_STRENGTH, MODE_TRIANGLES
from exporters._gltf_output import column_bounds

__all__ = ["Parts", "part_of"]


def part_of(node: Any) -> str | None:
    """The entity id a part node belongs to (None for other nodes)."""
    extras = node.get("extras") if isinstance(node, dict) else None
    sg = extras.get("scenegraph") if isinstance(extras, dict) else None
    if isinstance(sg, dict) and isinstance(sg.get("part"), str):
        of = sg.get("of")
        return of if isinstance(of, str) else ""
    return None


class Parts:
    """Collects the parts while the writer lays out entity nodes, then appends them (:meth:`finish`)."""

    def __init__(self, writer: Any) -> None:
        self.w = writer
        self.scene = writer.scene
        self.tl = writer.tl
        self.seed = int(getattr(self.scene, "seed", 0))
        self.todo: list[tuple[str, int, Any, Any]] = []  # (kind, entity node, entity, data)
        self.materials: dict[tuple, int] = {}
        self.vehicle_meshes: dict[tuple, int] = {}

    # -- during the entity pass ------------------------------------------------
    def entity_mesh(self, e: Any, mi: int | None, meshes: list[dict], prim_cache: dict, mesh_cache: dict, j: int) -> int | None:
        """The mesh index of entity ``e``'s own node (None: it has none), queuing its parts."""
        from scenegraph.appearance.rig import rig_for
        from scenegraph.appearance.vehicle import vehicle_parts

        if e.gaussians is not None:
            self.todo.append(("splats", j, e, None))
        if e.kind != "object" or not e.proxy:
            return None
        rig = rig_for(e, self.seed)
        if rig is not None:
            self.todo.append(("rig", j, e, rig))
            return None
        vp = vehicle_parts(e)
        if vp is not None:
            self.todo.append(("wheels", j, e, vp))
            key = (e.proxy, e.bounds.tobytes(), mi)
            if key not in self.vehicle_meshes:
                prims = [self.primitive(m, mi if role == "body" else self.part_material(role)) for role, m in vp.body]
                meshes.append({"name": e.proxy, "primitives": prims})
                self.vehicle_meshes[key] = len(meshes) - 1
            return self.vehicle_meshes[key]
        key = (e.proxy, e.bounds.tobytes(), mi)
        if key not in mesh_cache:
            meshes.append({"name": e.proxy, "primitives": self.w.proxy_primitives(e, mi, prim_cache)})
            mesh_cache[key] = len(meshes) - 1
        return mesh_cache[key]

    # -- helpers -----------------------------------------------------------------
    def part_material(self, role: str, color: Any = None) -> int:
        from scenegraph.appearance.vehicle import PART_LOOKS

        base, metallic, rough, emissive = PART_LOOKS.get(role, ((0.5, 0.5, 0.5), 0.0, 0.6, (0.0, 0.0, 0.0)))
        if color is not None:
            base, metallic, rough, emissive = tuple(color), 0.0, 0.7, (0.0, 0.0, 0.0)
        key = (role, tuple(round(float(c), 6) for c in base))
        if key not in self.materials:
            doc = self.w.doc
            mats = doc.setdefault("materials", [])
            m: dict[str, Any] = {"name": role if color is None else f"{role} {len(self.materials)}",
                                 "pbrMetallicRoughness": {"baseColorFactor": [float(c) for c in base] + [1.0],
                                                          "metallicFactor": float(metallic), "roughnessFactor": float(rough)},
                                 "extras": {"scenegraph": {"part": role}}}
            if max(emissive) > 0:
                m["emissiveFactor"] = [float(c) for c in emissive]
                m["extensions"] = {EXT_EMISSIVE_STRENGTH: {"emissiveStrength": 4.0}}
                self.w.extensions.add(EXT_EMISSIVE_STRENGTH)
            mats.append(m)
            self.materials[key] = len(mats) - 1
        return self.materials[key]

    def primitive(self, mesh: Any, material: int | None, extra: dict | None = None) -> dict:
        b = self.w.buf
        # a mesh written again (each wheel of a hundred alike cars) points at the accessors of its first writing:
        # its bytes are in the file once
        seen = self.__dict__.setdefault("_prim_accessors", {})
        got = seen.get(id(mesh))
        if got is None or got[0] is not mesh:
            idx = mesh.indices.reshape(-1)
            idx = idx.astype(np.uint16) if idx.size and int(idx.max()) < 65535 else idx.astype(np.uint32)
            pos = np.asarray(mesh.positions, np.float32)
            lo, hi = column_bounds(pos.reshape(pos.shape[0], -1))
            got = seen[id(mesh)] = (mesh, {
                "POSITION": b.accessor(pos, target=ARRAY_BUFFER, minmax=(list(lo), list(hi))),
                "NORMAL": b.accessor(np.asarray(mesh.normals, np.float32), target=ARRAY_BUFFER),
                "TEXCOORD_0": b.accessor(np.asarray(mesh.uvs, np.float32), target=ARRAY_BUFFER),
            }, b.accessor(idx, target=ELEMENT_ARRAY_BUFFER))
        _, base, indices = got
        attrs = dict(base)
        attrs.update(extra or {})
        prim = {"attributes": attrs, "indices": indices, "mode": MODE_TRIANGLES}
        if material is not None:
            prim["material"] = material
        return prim

    def _times(self, times: np.ndarray | None = None) -> int:
        """The accessor of the frame times (or of ``times``, one per distinct set)."""
        t = np.asarray(self.tl.time if times is None else times, np.float64).astype("<f4")
        cache = self.__dict__.setdefault("_time_acc", {})
        key = t.tobytes()
        if key not in cache:
            cache[key] = self.w.buf.accessor(t, minmax=([float(t.min())], [float(t.max())]))
        return cache[key]

    def _channel(self, channels: list, samplers: list, node: int, path: str, values: np.ndarray, times: np.ndarray | None = None) -> None:
        acc = self.w.buf.accessor(np.ascontiguousarray(values, "<f4"))
        samplers.append({"input": self._times(times), "output": acc, "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"node": node, "path": path}})

    def lens(self, channels: list, samplers: list, camera: int, entity: Any) -> bool:
        """A zooming camera's field of view as an animation channel on ``/cameras/N/perspective/yfov``
        (``KHR_animation_pointer``; :mod:`scenegraph.model.lens`); False for a fixed lens."""
        from scenegraph.model.lens import lens_keys

        keys = lens_keys(entity)
        if keys is None or self.tl.frame_count < 2:
            return False
        acc = self.w.buf.accessor(np.ascontiguousarray(keys[1], "<f4"))
        samplers.append({"input": self._times(keys[0]), "output": acc, "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"path": "pointer", "extensions": {
            "KHR_animation_pointer": {"pointer": f"/cameras/{camera}/perspective/yfov"}}}})
        return True

    # -- after the entity pass ---------------------------------------------------
    def finish(self, nodes: list[dict], meshes: list[dict], roots: list[int], samplers: list[dict]) -> list[dict]:
        """Append every queued part; returns the extra animation channels (their samplers go to ``samplers``)."""
        channels: list[dict] = []
        animate = self.tl.frame_count > 1
        for kind, j, e, data in self.todo:
            kids = nodes[j].setdefault("children", [])
            tag = {"part": kind, "of": e.id}
            if kind == "splats":
                meshes.append({"name": f"{e.name} splats", "primitives": [self.w.splat_primitive(e.gaussians, self.w.splats.get(e.id))]})
                nodes.append({"name": f"{e.name} splats", "mesh": len(meshes) - 1, "extras": {"scenegraph": {**tag, "part": "splats"}}})
                kids.append(len(nodes) - 1)
            elif kind == "wheels":
                from scenegraph.appearance.vehicle import moving_wheel_keys, wheel_keys

                keys = moving_wheel_keys(wheel_keys(self.scene, self.tl, e.id, data)) if animate else None
                for k, (w, wm) in enumerate(zip(data.wheels, data.wheel_meshes)):
                    prims = [self.primitive(m, self.part_material(role)) for role, m in wm]
                    meshes.append({"name": f"{e.proxy} wheel", "primitives": prims})
                    side = "L" if w.center[0] > 0 else "R" if w.center[0] < 0 else "C"
                    node = {"name": f"{e.name} wheel {k + 1}{side}", "mesh": len(meshes) - 1, "translation": [float(c) for c in w.center],
                            "extras": {"scenegraph": {**tag, "part": "wheel", "radius": w.radius, "steers": w.steers}}}
                    nodes.append(node)
                    kids.append(len(nodes) - 1)
                    if keys is not None:
                        self._channel(channels, samplers, len(nodes) - 1, "rotation", keys[1][:, k], keys[0])
            elif kind == "rig":
                self._rig(e, data, nodes, meshes, roots, kids, channels, samplers, tag, animate)
        return channels

    def _rig(self, e: Any, rig: Any, nodes: list, meshes: list, roots: list, kids: list, channels: list, samplers: list,
             tag: dict, animate: bool) -> None:
        from scenegraph.appearance.gait import pose_track

        first = len(nodes)
        for name, off in zip(rig.names, rig.offsets):
            nodes.append({"name": name, "translation": [float(c) for c in off], "extras": {"scenegraph": {**tag, "part": "joint"}}})
        for jj, p in enumerate(rig.parents):
            if p < 0:
                kids.append(first + jj)
            else:
                nodes[first + p].setdefault("children", []).append(first + jj)
        bind = rig.bind_world()
        ibm = np.zeros((len(rig.names), 4, 4), np.float32)
        ibm[:, range(4), range(4)] = 1.0
        ibm[:, :3, 3] = -bind
        b = self.w.buf
        view = b.view(np.ascontiguousarray(ibm.transpose(0, 2, 1)).astype("<f4"))  # column-major
        b.accessors.append({"bufferView": view, "componentType": 5126, "count": len(rig.names), "type": "MAT4"})
        skins = self.w.doc.setdefault("skins", [])
        skins.append({"name": f"{e.name} skeleton", "joints": list(range(first, first + len(rig.names))),
                      "inverseBindMatrices": len(b.accessors) - 1, "skeleton": first})
        mat_of = self.w.entity_material.get(e.id)
        prims = []
        for role, mesh, joints in rig.parts:
            jw = np.zeros((len(mesh), 4), np.uint8)
            jw[:, 0] = joints
            wt = np.zeros((len(mesh), 4), np.float32)
            wt[:, 0] = 1.0
            extra = {"JOINTS_0": b.accessor(jw, target=ARRAY_BUFFER), "WEIGHTS_0": b.accessor(wt, target=ARRAY_BUFFER)}
            mat = mat_of if role == "clothes" else self.part_material(role, rig.colors.get(role, (0.5, 0.5, 0.5)))
            prims.append(self.primitive(mesh, mat, extra))
        meshes.append({"name": f"{e.name} body", "primitives": prims})
        nodes.append({"name": f"{e.name} body", "mesh": len(meshes) - 1, "skin": len(skins) - 1,
                      "extras": {"scenegraph": {**tag, "part": "skin"}}})
        roots.append(len(nodes) - 1)
        if not animate:
            return
        pose = pose_track(self.scene, self.tl, e.id, rig)
        self._channel(channels, samplers, first, "translation", pose.root)
        for jj in range(len(rig.names)):
            q = pose.rotations[:, jj]
            if np.abs(q - q[0]).max() > 1e-6 or np.abs(q[0] - (0, 0, 0, 1)).max() > 1e-6:
                self._channel(channels, samplers, first + jj, "rotation", q)
