"""glTF 2.0 writer: a Scene and its Timeline to ``.glb`` or ``.gltf`` + ``.bin``.

One node per entity (hierarchy from ``parent`` edges, TRS local to the
parent), proxy meshes shared by entities with the same (proxy, bounds,
material), PBR metallic-roughness materials, perspective cameras,
``KHR_lights_punctual`` lights, Gaussians as ``POINTS`` primitives with
``KHR_gaussian_splatting``, and one animation whose channels keep only the
keys linear interpolation cannot reproduce.  Every node carries its entity in
``extras.scenegraph`` (id, class, material, trajectory, parent, relations,
bounds, and whatever else differs from the defaults) and the scene carries
materials, trajectories, relations and a digest of all the motion, so
:func:`exporters.gltf.read` rebuilds the same Scene and can tell whether
anyone has touched the animation since.

Speed (``benchmarks/gltf_export.py``): buffers are numpy arrays written
straight to the file (no concatenation, one fallocate, a few writev calls);
positions and scales are planned and the splats prepared on a second thread
while this one plans rotations (numpy and hashlib release the GIL); the
document is serialized with orjson.
"""
from __future__ import annotations

import json
import math
import os
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from exporters._gltf_common import (
    ARRAY_BUFFER,
    ELEMENT_ARRAY_BUFFER,
    EXT_EMISSIVE_STRENGTH,
    EXT_LIGHTS,
    EXT_SPLATS,
    IDENTITY,
    MODE_POINTS,
    MODE_TRIANGLES,
    SIZE_TYPES,
    SPLAT_PREFIX,
    scene_motion_digest,
)
from exporters._checks import check_timeline
from exporters._gltf_animation import Background, Layout, lay_out
from exporters._gltf_output import Buffer, column_bounds, write_glb, write_gltf
from exporters._gltf_parts import Parts
from exporters._gltf_payloads import camera_json, entity_meta, light_json, links, material_json, read_image
from scenegraph.model import jsonable, serialize
from scenegraph.model.gaussians import SharedArrays
from scenegraph.errors import FormatError

__all__ = ["write", "SPLAT_COLOR_SPACES"]

SPLAT_COLOR_SPACES = ("srgb_rec709_display", "lin_rec709_display")
def _splat_arrays(g: Any, memo: SharedArrays | None = None) -> tuple[np.ndarray, tuple[list, list], np.ndarray]:
    """What a POINTS primitive needs computed from Gaussians ``g``: log scales, the means' bounds
    (min, max per axis) and the SH coefficients as contiguous little-endian float32.  ``memo`` (kept by the
    caller) works each out once per source array: alike entities share their clouds' arrays."""
    memo = SharedArrays() if memo is None else memo
    return (memo.once("log", g.scales, lambda: np.log(g.scales))[0],
            memo.once("bounds", g.means, lambda: column_bounds(np.asarray(g.means)))[0],
            memo.once("sh", g.sh, lambda: np.ascontiguousarray(g.sh, dtype="<f4"))[0])


class _Writer:
    def __init__(self, scene: Any, timeline: Any, out_dir: Path, glb: bool, color_space: str) -> None:
        self.scene = scene
        self.tl = timeline
        self.out_dir = out_dir
        self.glb = glb
        self.color_space = color_space
        self.buf = Buffer()
        self.doc: dict[str, Any] = {}
        self.images: list[dict] = []
        self.copies: list[tuple[Path, str]] = []  # (source, name next to the .gltf)
        self.extensions: set[str] = set()
        self.part_index: dict[str, int] = {}  # part finish name -> glTF material index
        self.shared = SharedArrays()  # splat arrays written so far -> their accessor(s)

    # -- pieces --------------------------------------------------------------
    def materials(self) -> dict[str, int]:
        textures: dict[str, int] = {}
        tex_list: list[dict] = []
        seen: dict[str, int] = {}
        for m in self.scene.materials():
            if m.texture is None:
                continue
            if m.texture not in seen:
                src, data, mime = read_image(m.texture, self.out_dir)
                if self.glb:
                    self.images.append({"bufferView": self.buf.view(data), "mimeType": mime})
                elif m.texture.startswith("data:"):
                    self.images.append({"uri": m.texture})
                else:
                    name, k = src.name, 2
                    while any(n == name and s != src for s, n in self.copies):  # two images called the same
                        name, k = f"{src.stem}_{k}{src.suffix}", k + 1
                    self.images.append({"uri": urllib.parse.quote(name)})
                    self.copies.append((src, name))
                seen[m.texture] = len(tex_list)
                tex_list.append({"source": len(self.images) - 1, "sampler": 0})
            textures[m.id] = seen[m.texture]
        mats = [material_json(m, textures) for m in self.scene.materials()]
        if mats:
            self.doc["materials"] = mats
        if tex_list:
            self.doc["textures"] = tex_list
            self.doc["images"] = self.images
            self.doc["samplers"] = [{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]
        if any(EXT_EMISSIVE_STRENGTH in m.get("extensions", {}) for m in mats):
            self.extensions.add(EXT_EMISSIVE_STRENGTH)
        return {m.id: i for i, m in enumerate(self.scene.materials())}

    def proxy_primitives(self, ent: Any, mat_index: int | None, cache: dict) -> list[dict]:
        """The proxy's triangle primitives: the body with the entity's material, then one per part finish
        (glass, rubber, a glowing lamp ... :mod:`scenegraph.appearance.finishes`) with its own material."""
        from scenegraph.appearance.proxy import proxy_parts

        key = (ent.proxy, np.asarray(ent.bounds, np.float64).tobytes())
        if key not in cache:
            b = self.buf
            prims = []
            for mesh, finish in proxy_parts(ent.proxy, ent.bounds):
                idx = mesh.indices.reshape(-1)
                if idx.size and int(idx.max()) < 65535:
                    idx = idx.astype(np.uint16)
                prim = {
                    "attributes": {
                        "POSITION": b.accessor(mesh.positions, target=ARRAY_BUFFER, minmax=True),
                        "NORMAL": b.accessor(mesh.normals, target=ARRAY_BUFFER),
                        "TEXCOORD_0": b.accessor(mesh.uvs, target=ARRAY_BUFFER),
                    },
                    "indices": b.accessor(idx, target=ELEMENT_ARRAY_BUFFER),
                    "mode": MODE_TRIANGLES,
                }
                if finish is not None:
                    prim["material"] = self.part_material(finish)
                prims.append(prim)
            cache[key] = prims
        out = []
        for p in cache[key]:
            prim = dict(p)
            if "material" not in prim and mat_index is not None:
                prim["material"] = mat_index
            out.append(prim)
        return out

    def part_material(self, finish: Any) -> int:
        """The glTF index of a part finish's material (added once, after the scene's materials)."""
        from scenegraph.appearance.finishes import part_material

        mats = self.doc.setdefault("materials", [])
        if finish.name not in self.part_index:
            m = material_json(part_material(finish), {})
            m["extras"]["scenegraph"]["part"] = True
            if m.get("extensions", {}).get(EXT_EMISSIVE_STRENGTH):
                self.extensions.add(EXT_EMISSIVE_STRENGTH)
            mats.append(m)
            self.part_index[finish.name] = len(mats) - 1
        return self.part_index[finish.name]

    def splat_primitive(self, g: Any, prepared: tuple | None = None) -> dict:
        """The POINTS primitive of Gaussians ``g``; ``prepared`` is :func:`_splat_arrays` of them, if done already."""
        b = self.buf
        log_scales, bounds, sh = prepared or _splat_arrays(g)

        def once(role: str, arr: np.ndarray, make: Any) -> Any:  # alike entities' clouds share accessors
            return self.shared.once(role, arr, make)[0]

        attrs = {
            "POSITION": once("means", g.means, lambda: b.accessor(g.means, target=ARRAY_BUFFER, minmax=bounds)),
            SPLAT_PREFIX + "ROTATION": once("quats", g.quats, lambda: b.accessor(g.quats, target=ARRAY_BUFFER)),
            SPLAT_PREFIX + "SCALE": once("log_scales", log_scales, lambda: b.accessor(log_scales, target=ARRAY_BUFFER)),
            SPLAT_PREFIX + "OPACITY": once("opacities", g.opacities, lambda: b.accessor(g.opacities, target=ARRAY_BUFFER)),
        }
        attrs.update(once("sh", sh, lambda: self._sh_accessors(sh)))
        # linear scales, so that reading back is exact (exp(log(s)) is not, in float32)
        linear = once("scales", g.scales, lambda: b.accessor(g.scales))
        self.extensions.add(EXT_SPLATS)
        return {
            "attributes": attrs,
            "mode": MODE_POINTS,
            "extensions": {EXT_SPLATS: {"kernel": "ellipse", "colorSpace": self.color_space,
                                        "projection": "perspective", "sortingMethod": "cameraDistance"}},
            "extras": {"scenegraph": {"scales": linear}},
        }

    def _sh_accessors(self, sh: np.ndarray) -> dict[str, int]:
        """The SH attributes of a POINTS primitive: one interleaved view, an accessor per coefficient."""
        b = self.buf
        n, k, _ = sh.shape
        view = b.view(sh, ARRAY_BUFFER, stride=k * 12 if k > 1 else None)
        attrs = {}
        for c in range(k):
            degree = int(math.isqrt(c))
            attrs[f"{SPLAT_PREFIX}SH_DEGREE_{degree}_COEF_{c - degree * degree}"] = b.accessor(
                sh[:, c, :], view=view, offset=12 * c, count=n
            )
        return attrs

    def plan(self, order: list[Any]) -> tuple[list[Layout], dict[str, tuple]]:
        """Every TRS path planned and laid out (:func:`lay_out`), and each splat entity's derived arrays
        (:func:`_splat_arrays`, by id).

        Positions, scales and the splats go to a second thread, rotations stay on this one (about the
        same work each: numpy and hashlib release the GIL).  One extra thread: starting another costs
        milliseconds while the first is busy.
        """
        tl = self.tl
        t = np.asarray(tl.time, np.float64)
        where = {eid: i for i, eid in enumerate(tl.ids)}
        cols = [where[e.id] for e in order]
        cols_arr = None if cols == list(range(len(tl.ids))) else np.array(cols)
        splat_ents = [e for e in order if e.gaussians is not None]
        memo = SharedArrays()
        side = Background(lambda: (lay_out("translation", t, tl.position, cols_arr), lay_out("scale", t, tl.scale, cols_arr),
                                   [_splat_arrays(e.gaussians, memo) for e in splat_ents]))
        rotation = lay_out("rotation", t, tl.rotation, cols_arr)
        translation, scale, prepared = side.result()
        return [translation, rotation, scale], {e.id: p for e, p in zip(splat_ents, prepared)}

    def animation(self, paths: list[Layout]) -> tuple[dict[str, np.ndarray], str, list[dict]]:
        """Node TRS and channels from the planned paths; returns (rest TRS per path (E, C) float32, the
        scene's motion digest, channels).

        Kept keys of all entities are one buffer view per path; each channel's output accessor is a slice
        of it (a byteOffset), its input accessor shared by channels with the same key frames, all key times
        in one more view: a few views instead of one per accessor.  Value accessors come first, then the
        key-time ones, so every index is known as channels are made.
        """
        t = np.asarray(self.tl.time, np.float64)
        rests = {p.path: p.rest for p in paths}
        rest_bytes = np.concatenate([p.rest for p in paths], axis=1)
        paths = [p for p in paths if p.moving.size]
        motion = scene_motion_digest(rest_bytes, [p.digest for p in paths])
        self.samplers: list[dict] = []
        channels: list[dict] = []
        if not paths:
            return rests, motion, channels
        t32 = t.astype("<f4")
        increasing = bool(np.all(t32[1:] >= t32[:-1]))
        buf = self.buf
        accessors = buf.accessors
        first_time = len(accessors) + sum(p.moving.size for p in paths)
        # key times of every distinct set of kept frames, all in one buffer view after the values
        times_of: dict[bytes, int] = {}
        time_acc: list[dict] = []
        time_parts: list[np.ndarray] = []
        time_offset = 0
        samplers = self.samplers
        for p in paths:
            inputs = []
            for row in p.key_rows:
                key = row.tobytes()
                ti = times_of.get(key)
                if ti is None:
                    times = t32[row]
                    acc = {"bufferView": None, "componentType": 5126, "count": int(times.size), "type": "SCALAR"}
                    if time_offset:
                        acc["byteOffset"] = time_offset
                    if increasing:  # min/max of ascending times are the ends: no reductions per accessor
                        acc["min"], acc["max"] = [float(times[0])], [float(times[-1])]
                    else:
                        acc["min"], acc["max"] = [float(times.min())], [float(times.max())]
                    ti = times_of[key] = first_time + len(time_acc)
                    time_acc.append(acc)
                    time_parts.append(times)
                    time_offset += 4 * int(times.size)
                inputs.append(ti)
            view = buf.view(p.values)
            kind = SIZE_TYPES[p.values.shape[1]]
            row = 4 * p.values.shape[1]
            n = p.counts.tolist()
            starts = (np.cumsum(p.counts) - p.counts).tolist()
            first = len(accessors)
            accessors.extend([{"bufferView": view, "componentType": 5126, "count": c, "type": kind, "byteOffset": row * a}
                              for a, c in zip(starts, n)])
            if starts[0] == 0:
                del accessors[first]["byteOffset"]  # the default
            first_sampler = len(samplers)
            samplers.extend([{"input": inputs[u], "output": first + k, "interpolation": "STEP" if st else "LINEAR"}
                             for k, (u, st) in enumerate(zip(p.key_set_of.tolist(), p.step.tolist()))])
            path = p.path
            channels.extend([{"sampler": first_sampler + k, "target": {"node": j, "path": path}}
                             for k, j in enumerate(p.moving.tolist())])
        time_view = buf.view(np.concatenate(time_parts))
        for acc in time_acc:
            acc["bufferView"] = time_view
        accessors.extend(time_acc)
        return rests, motion, channels

    # -- the whole document --------------------------------------------------
    def build(self) -> dict:
        from scenegraph.version import __version__

        scene = self.scene
        order = scene.entities()
        paths, splats = self.plan(order)
        index = {e.id: i for i, e in enumerate(order)}
        mat_index = self.materials()
        rests, motion, channels = self.animation(paths)
        # float32 -> Python float is exact; a node leaves out what holds IDENTITY's bytes
        # (so -0.0 is written)
        rest_lists = {path: [None if same else v for v, same in zip(r.tolist(), ((r == IDENTITY[path]).all(axis=1)
                                                                               & ~np.signbit(r).any(axis=1)).tolist())]
                      for path, r in rests.items()}
        mat_of, traj_of, par_of, kids_of, relation_list = links(scene)
        relations: dict[str, list[str]] = {}
        for s, r, o in relation_list:
            relations.setdefault(s, []).append(f"{r} {o}")

        nodes: list[dict] = []
        meshes: list[dict] = []
        cameras: list[dict] = []
        lights: list[dict] = []
        mesh_cache: dict[tuple, int] = {}
        prim_cache: dict[tuple, dict] = {}
        self.splats = splats
        self.entity_material = {eid: mat_index[m] for eid, m in mat_of.items() if m in mat_index}
        parts = Parts(self)
        roots: list[int] = []
        no_relations: list[str] = []
        for j, (e, tr, rot, sc) in enumerate(zip(order, rest_lists["translation"], rest_lists["rotation"], rest_lists["scale"])):
            eid = e.id
            mat = mat_of.get(eid)
            par = par_of.get(eid)
            node: dict[str, Any] = {"name": e.name}
            if tr is not None:
                node["translation"] = tr
            if rot is not None:
                node["rotation"] = rot
            if sc is not None:
                node["scale"] = sc
            mi = mat_index[mat] if mat is not None else None
            mesh = parts.entity_mesh(e, mi, meshes, prim_cache, mesh_cache, j)  # characters, vehicles, splats: _gltf_parts
            if mesh is not None:
                node["mesh"] = mesh
            if e.kind == "camera":
                cameras.append(camera_json(e))
                node["camera"] = len(cameras) - 1
            elif e.kind == "light":
                lights.append(light_json(e))
                node["extensions"] = {EXT_LIGHTS: {"light": len(lights) - 1}}
            if eid in kids_of:
                node["children"] = [index[c] for c in kids_of[eid]]
            if par is None:
                roots.append(j)
            node["extras"] = {"scenegraph": {
                "id": eid,
                "kind": e.kind,
                "class": e.cls,
                "proxy": e.proxy or "",
                "material": mat or "",
                "trajectory": traj_of.get(eid, ""),
                "parent": par or "",
                "relations": relations.get(eid, no_relations),
                "bounds": e.bounds.ravel().tolist(),
                "entity": entity_meta(e),
            }}
            if e.kind == "camera" and isinstance(e.attributes.get("shot"), dict):
                node["extras"]["scenegraph"]["shot"] = e.attributes["shot"]  # when it is live (a cut list)
            nodes.append(node)
        channels = channels + parts.finish(nodes, meshes, roots, self.samplers)
        for ci, cam in enumerate(e for e in order if e.kind == "camera"):  # a zoom: the lens keyed
            if parts.lens(channels, self.samplers, ci, cam):
                self.extensions.add("KHR_animation_pointer")

        document = {
            "format": serialize.FORMAT,
            "version": serialize.VERSION,
            "scene": {"fps": scene.fps, "duration": scene.duration, "seed": scene.seed, "prompt": scene.prompt,
                      "metadata": jsonable.plain(scene.metadata)},
            "materials": [serialize.payload_to_json(m) for m in scene.materials()],
            "trajectories": [serialize.payload_to_json(t) for t in scene.trajectories()],
            "relations": [{"subject": a, "rel": r, "object": b} for a, r, b in relation_list],
        }
        document["entities"] = [e.id for e in order]
        try:
            document_text = json.dumps(document, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:  # metadata a user put on the scene
            raise FormatError(f"scene metadata cannot be written as JSON: {exc}") from None
        doc = self.doc
        doc["asset"] = {"version": "2.0", "generator": f"scenegraph {__version__}"}
        doc["scene"] = 0
        doc["scenes"] = [{
            "name": "scene",
            "nodes": roots,
            "extras": {"scenegraph": {
                "format": serialize.FORMAT,
                "version": serialize.VERSION,
                "fps": float(scene.fps),
                "duration": float(scene.duration),
                "seed": int(scene.seed),
                "prompt": scene.prompt,
                "frames": int(self.tl.frame_count),
                "motion": motion,
                "document": document_text,
            }},
        }]
        shots = scene.metadata.get("shots") if isinstance(scene.metadata, dict) else None
        if isinstance(shots, list) and shots:  # the cut list: which camera node is live when
            doc["scenes"][0]["extras"]["scenegraph"]["shots"] = jsonable.plain(shots)
        if nodes:
            doc["nodes"] = nodes
        if meshes:
            doc["meshes"] = meshes
        if cameras:
            doc["cameras"] = cameras
        if lights:
            doc.setdefault("extensions", {})[EXT_LIGHTS] = {"lights": lights}
            self.extensions.add(EXT_LIGHTS)
        if channels:
            doc["animations"] = [{"name": "scene", "channels": channels, "samplers": self.samplers}]
        if self.buf.accessors:
            doc["accessors"] = self.buf.accessors
        if self.buf.views:
            doc["bufferViews"] = self.buf.views
        if self.buf.length:
            doc["buffers"] = [{"byteLength": self.buf.length}]
        if self.extensions:
            doc["extensionsUsed"] = sorted(self.extensions)
        return doc


def write(scene: Any, path: str | os.PathLike, timeline: Any = None, *,
          splat_color_space: str = "srgb_rec709_display", **options: Any) -> None:
    """Write ``scene`` to ``path`` (.glb, or .gltf plus a .bin beside it), atomically.

    ``timeline`` (a :class:`scenegraph.world.Timeline`) is simulated from the
    scene when not given.  ``splat_color_space`` names the colour space of the
    Gaussians' SH (KHR_gaussian_splatting ``colorSpace``).  Same input -> same
    bytes.  Raises FormatError for an unknown option, a suffix other than
    .glb/.gltf, a missing texture or a timeline that lacks an entity.
    """
    path = Path(path)
    if options:
        raise FormatError(f"{path}: unknown option(s) for glTF: {', '.join(sorted(options))}")
    if splat_color_space not in SPLAT_COLOR_SPACES:
        raise FormatError(f"{path}: splat_color_space must be one of {', '.join(SPLAT_COLOR_SPACES)}, got {splat_color_space!r}")
    suffix = path.suffix.lower()
    if suffix not in (".glb", ".gltf"):
        raise FormatError(f"{path}: the glTF writer writes .glb or .gltf, not {suffix or 'no suffix'}")
    out_dir = path.parent if str(path.parent) else Path(".")
    if not out_dir.is_dir():
        raise FormatError(f"{path}: folder {out_dir} does not exist")
    if timeline is None:
        from scenegraph.world import simulate

        timeline = simulate(scene, visibility=False)  # glTF carries no per-camera visibility
    check_timeline(scene, timeline, path)
    w = _Writer(scene, timeline, out_dir, suffix == ".glb", splat_color_space)
    doc = w.build()
    if suffix == ".glb":
        write_glb(path, doc, w.buf)
    else:
        write_gltf(path, doc, w.buf, w.copies)
