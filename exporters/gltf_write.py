"""glTF 2.0 writer: a Scene and its Timeline to ``.glb`` or ``.gltf`` + ``.bin``.

One node per entity (hierarchy from ``parent`` edges, TRS local to the
parent), proxy meshes shared by entities with the same (proxy, bounds,
material), PBR metallic-roughness materials, perspective cameras,
``KHR_lights_punctual`` lights, Gaussians as ``POINTS`` primitives with
``KHR_gaussian_splatting``, and one animation whose channels keep only the
keys linear interpolation cannot reproduce.  Every node carries its entity in
``extras.scenegraph`` and the scene carries materials, trajectories and
relations, so :func:`exporters.gltf_read.read` rebuilds the same Scene.

Buffers are numpy arrays written straight to the file (no concatenation), so
writing costs little more than the bytes themselves.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
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
    SPLAT_PREFIX,
    any_last,
    linear_keys,
    motion_digest,
    tolerance,
)
from exporters._gltf_output import Buffer, write_glb, write_gltf
from scenegraph.errors import FormatError

__all__ = ["write", "SPLAT_COLOR_SPACES"]

SPLAT_COLOR_SPACES = ("srgb_rec709_display", "lin_rec709_display")
_IMAGE_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _jsonable(value: Any) -> Any:
    """Plain JSON values for metadata that may hold numpy scalars or arrays."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _floats(values: Any) -> list[float]:
    return [float(x) for x in np.asarray(values).ravel()]


# --------------------------------------------------------------------------
# animation: which keys to keep
# --------------------------------------------------------------------------


def plan_channel(t: np.ndarray, values: np.ndarray, rotation: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decide, per entity, how to animate one TRS property.

    ``t`` (F,) seconds, ``values`` (F, E, C).  Returns ``static`` (E,) bool (no
    channel), ``step`` (E,) bool (piecewise constant with jumps: STEP keys where
    it changes), ``keep`` (F, E) bool (the keys to write) and the values to
    write (F, E, C) float32 (rotations made sign-continuous).  LINEAR keys are
    dropped wherever interpolating their neighbours reproduces every frame
    within ~1e-6.
    """
    f_count, e_count, _ = values.shape
    out = np.asarray(values, np.float32)
    if rotation and f_count > 1:
        flip = np.einsum("fec,fec->fe", out[1:], out[:-1]) < 0
        if flip.any():
            sign = np.concatenate([np.ones((1, e_count), np.float32), np.cumprod(np.where(flip, -1, 1).astype(np.float32), axis=0)])
            out = out * sign[..., None]
    tol = tolerance(out).astype(np.float32)
    # float32 differences of nearby float32 values are exact, so these tests need no float64
    static = ~(np.abs(out - out[:1]) > tol).reshape(f_count, -1).any(axis=0).reshape(e_count, -1).any(axis=1)
    keep = np.zeros((f_count, e_count), bool)
    keep[0] = True
    if f_count < 2:
        return static, np.zeros(e_count, bool), keep, out
    changed = any_last(np.abs(out[1:] - out[:-1]) > tol[1:])  # (F-1, E)
    if f_count >= 3:
        step = ~static & ~(changed[1:] & changed[:-1]).any(axis=0)
    else:
        step = np.zeros(e_count, bool)
    keep[1:] = changed & step[None, :]
    lin = np.nonzero(~static & ~step)[0]
    if lin.size:
        v = out[:, lin].astype(np.float64)
        keep[:, lin] = linear_keys(t, v, tolerance(v), rotation)
    return static, step, keep, out


# --------------------------------------------------------------------------
# the document
# --------------------------------------------------------------------------


def _material_json(mat: Any, textures: dict[str, int]) -> dict:
    pbr: dict[str, Any] = {
        "baseColorFactor": _floats(mat.base_color) + [float(mat.alpha)],
        "metallicFactor": float(mat.metallic),
        "roughnessFactor": float(mat.roughness),
    }
    if mat.texture is not None and mat.id in textures:
        pbr["baseColorTexture"] = {"index": textures[mat.id]}
    out: dict[str, Any] = {"name": mat.name, "pbrMetallicRoughness": pbr, "extras": {"scenegraph": {"id": mat.id}}}
    emissive = np.asarray(mat.emissive, np.float64)
    strength = float(emissive.max()) if emissive.size else 0.0
    if strength > 0:
        if strength > 1.0:
            out["emissiveFactor"] = _floats(emissive / strength)
            out["extensions"] = {EXT_EMISSIVE_STRENGTH: {"emissiveStrength": strength}}
        else:
            out["emissiveFactor"] = _floats(emissive)
    if mat.alpha < 1.0:
        out["alphaMode"] = "BLEND"
    return out


def _light_json(ent: Any) -> dict:
    lp = ent.light
    out: dict[str, Any] = {"name": ent.name, "type": lp.type, "color": _floats(lp.color), "intensity": float(lp.intensity)}
    if lp.range is not None and lp.type != "directional":
        out["range"] = float(lp.range)
    if lp.type == "spot":
        outer = float(lp.outer_cone_angle)
        inner = min(float(lp.inner_cone_angle), outer * (1.0 - 1e-6))
        out["spot"] = {"innerConeAngle": inner, "outerConeAngle": outer}
    return out


def _camera_json(ent: Any) -> dict:
    c = ent.camera
    return {
        "name": ent.name,
        "type": "perspective",
        "perspective": {"yfov": float(c.yfov), "aspectRatio": float(c.aspect), "znear": float(c.znear), "zfar": float(c.zfar)},
    }


def _read_image(texture: str, out_dir: Path) -> tuple[Path, bytes, str]:
    """(source path, bytes, MIME type) of a PNG/JPEG texture: a path (relative to the output folder or
    the working directory) or a base64 ``data:`` URI; raises FormatError for anything else."""
    if texture.startswith("data:"):
        head, _, payload = texture.partition(",")
        try:
            data = base64.b64decode(payload, validate=True) if head.endswith(";base64") else b""
        except (binascii.Error, ValueError):
            data = b""
        for magic, mime in _IMAGE_MIME.items():
            if data.startswith(magic):
                return Path("texture" + (".png" if mime == "image/png" else ".jpg")), data, mime
        raise FormatError(f"texture {texture[:40]!r}...: not a base64 PNG or JPEG data: URI")
    src = Path(texture)
    candidates = [src] if src.is_absolute() else [out_dir / src, Path.cwd() / src]
    for c in candidates:
        if c.is_file():
            data = c.read_bytes()
            for magic, mime in _IMAGE_MIME.items():
                if data.startswith(magic):
                    return c, data, mime
            raise FormatError(f"texture {texture!r}: {c} is neither PNG nor JPEG")
    raise FormatError(f"texture {texture!r}: no such file (looked in {', '.join(str(c) for c in candidates)})")


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

    # -- pieces --------------------------------------------------------------
    def materials(self) -> dict[str, int]:
        textures: dict[str, int] = {}
        tex_list: list[dict] = []
        seen: dict[str, int] = {}
        for m in self.scene.materials():
            if m.texture is None:
                continue
            if m.texture not in seen:
                src, data, mime = _read_image(m.texture, self.out_dir)
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
        mats = [_material_json(m, textures) for m in self.scene.materials()]
        if mats:
            self.doc["materials"] = mats
        if tex_list:
            self.doc["textures"] = tex_list
            self.doc["images"] = self.images
            self.doc["samplers"] = [{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]
        if any(EXT_EMISSIVE_STRENGTH in m.get("extensions", {}) for m in mats):
            self.extensions.add(EXT_EMISSIVE_STRENGTH)
        return {m.id: i for i, m in enumerate(self.scene.materials())}

    def proxy_primitive(self, ent: Any, mat_index: int | None, cache: dict) -> dict:
        from scenegraph.appearance.proxy import proxy_mesh

        key = (ent.proxy, np.asarray(ent.bounds, np.float64).tobytes())
        if key not in cache:
            mesh = proxy_mesh(ent.proxy, ent.bounds)
            b = self.buf
            idx = mesh.indices.reshape(-1)
            if idx.size and int(idx.max()) < 65535:
                idx = idx.astype(np.uint16)
            cache[key] = {
                "attributes": {
                    "POSITION": b.accessor(mesh.positions, target=ARRAY_BUFFER, minmax=True),
                    "NORMAL": b.accessor(mesh.normals, target=ARRAY_BUFFER),
                    "TEXCOORD_0": b.accessor(mesh.uvs, target=ARRAY_BUFFER),
                },
                "indices": b.accessor(idx, target=ELEMENT_ARRAY_BUFFER),
                "mode": MODE_TRIANGLES,
            }
        prim = dict(cache[key])
        if mat_index is not None:
            prim["material"] = mat_index
        return prim

    def splat_primitive(self, g: Any) -> dict:
        b = self.buf
        attrs = {
            "POSITION": b.accessor(g.means, target=ARRAY_BUFFER, minmax=True),
            SPLAT_PREFIX + "ROTATION": b.accessor(g.quats, target=ARRAY_BUFFER),
            SPLAT_PREFIX + "SCALE": b.accessor(np.log(g.scales), target=ARRAY_BUFFER),
            SPLAT_PREFIX + "OPACITY": b.accessor(g.opacities, target=ARRAY_BUFFER),
        }
        sh = np.ascontiguousarray(g.sh, dtype="<f4")
        n, k, _ = sh.shape
        view = b.view(sh, ARRAY_BUFFER, stride=k * 12 if k > 1 else None)
        for c in range(k):
            degree = int(math.isqrt(c))
            attrs[f"{SPLAT_PREFIX}SH_DEGREE_{degree}_COEF_{c - degree * degree}"] = b.accessor(
                sh[:, c, :], view=view, offset=12 * c, count=n
            )
        # linear scales, so that reading back is exact (exp(log(s)) is not, in float32)
        linear = b.accessor(g.scales)
        self.extensions.add(EXT_SPLATS)
        return {
            "attributes": attrs,
            "mode": MODE_POINTS,
            "extensions": {EXT_SPLATS: {"kernel": "ellipse", "colorSpace": self.color_space,
                                        "projection": "perspective", "sortingMethod": "cameraDistance"}},
            "extras": {"scenegraph": {"scales": linear}},
        }

    def animation(self, order: list[Any]) -> tuple[list[dict], list[dict[str, np.ndarray]], list[dict]]:
        """Node TRS and channels from the Timeline; returns (per-node rest TRS, per-node channel data, channels)."""
        tl = self.tl
        t = np.asarray(tl.time, np.float64)
        cols = [tl.index(e.id) for e in order]
        rests: list[dict[str, np.ndarray]] = [dict() for _ in order]
        chans: list[dict[str, tuple]] = [dict() for _ in order]
        samplers: list[dict] = []
        channels: list[dict] = []
        times_cache: dict[bytes, int] = {}
        t32 = t.astype(np.float32)
        for path, arr in (("translation", tl.position), ("rotation", tl.rotation), ("scale", tl.scale)):
            values = np.asarray(arr, np.float32)
            if cols != list(range(values.shape[1])):
                values = values[:, cols]
            static, step, keep, out = plan_channel(t, values, path == "rotation")
            for j in range(len(order)):
                rests[j][path] = out[0, j]
                if static[j]:
                    continue
                rows = np.nonzero(keep[:, j])[0]
                key = rows.tobytes()
                if key not in times_cache:
                    times_cache[key] = self.buf.accessor(t32[rows], minmax=True)
                interp = "STEP" if step[j] else "LINEAR"
                vals = out[rows, j]
                samplers.append({"input": times_cache[key], "output": self.buf.accessor(vals), "interpolation": interp})
                channels.append({"sampler": len(samplers) - 1, "target": {"node": j, "path": path}})
                chans[j][path] = (interp, t32[rows], vals)
        self.samplers = samplers
        return rests, chans, channels

    # -- the whole document --------------------------------------------------
    def build(self) -> dict:
        from scenegraph import __version__, serialize

        scene = self.scene
        order = scene.entities()
        index = {e.id: i for i, e in enumerate(order)}
        mat_index = self.materials()
        rests, chans, channels = self.animation(order)
        relations: dict[str, list[str]] = {}
        for s, r, o in scene.relations():
            relations.setdefault(s, []).append(f"{r} {o}")

        nodes: list[dict] = []
        meshes: list[dict] = []
        cameras: list[dict] = []
        lights: list[dict] = []
        mesh_cache: dict[tuple, int] = {}
        prim_cache: dict[tuple, dict] = {}
        roots: list[int] = []
        for j, e in enumerate(order):
            mat = scene.material_of(e.id)
            par = scene.parent_of(e.id)
            traj = scene.trajectory_of(e.id)
            node: dict[str, Any] = {"name": e.name}
            for path in ("translation", "rotation", "scale"):
                if rests[j][path].tobytes() != IDENTITY[path].tobytes():
                    node[path] = _floats(rests[j][path])
            mi = mat_index[mat.id] if mat is not None else None
            if e.gaussians is not None:
                prims = [self.proxy_primitive(e, mi, prim_cache)] if e.proxy else []
                prims.append(self.splat_primitive(e.gaussians))
                meshes.append({"name": f"{e.name} splats", "primitives": prims})
                node["mesh"] = len(meshes) - 1
            elif e.kind == "object" and e.proxy:
                key = (e.proxy, np.asarray(e.bounds, np.float64).tobytes(), mi)
                if key not in mesh_cache:
                    meshes.append({"name": e.proxy, "primitives": [self.proxy_primitive(e, mi, prim_cache)]})
                    mesh_cache[key] = len(meshes) - 1
                node["mesh"] = mesh_cache[key]
            if e.kind == "camera":
                cameras.append(_camera_json(e))
                node["camera"] = len(cameras) - 1
            elif e.kind == "light":
                lights.append(_light_json(e))
                node["extensions"] = {EXT_LIGHTS: {"light": len(lights) - 1}}
            kids = [index[c.id] for c in scene.children_of(e.id)]
            if kids:
                node["children"] = kids
            if par is None:
                roots.append(j)
            # the splats travel in the POINTS primitive, not in the metadata
            payload = serialize.payload_to_json(e if e.gaussians is None else dataclasses.replace(e, gaussians=None))
            node["extras"] = {"scenegraph": {
                "id": e.id,
                "kind": e.kind,
                "class": e.cls,
                "proxy": e.proxy or "",
                "material": mat.id if mat else "",
                "trajectory": traj.id if traj else "",
                "parent": par.id if par else "",
                "relations": relations.get(e.id, []),
                "bounds": _floats(e.bounds),
                "digest": motion_digest(rests[j], chans[j]),
                "entity": json.dumps(payload, sort_keys=True, allow_nan=False),
            }}
            nodes.append(node)

        document = {
            "format": serialize.FORMAT,
            "version": serialize.VERSION,
            "scene": {"fps": scene.fps, "duration": scene.duration, "seed": scene.seed, "prompt": scene.prompt,
                      "metadata": _jsonable(scene.metadata)},
            "materials": [serialize.payload_to_json(m) for m in scene.materials()],
            "trajectories": [serialize.payload_to_json(t) for t in scene.trajectories()],
            "relations": [{"subject": a, "rel": r, "object": b} for a, r, b in scene.relations()],
        }
        document["entities"] = [e.id for e in order]
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
                "document": json.dumps(document, sort_keys=True, allow_nan=False),
            }},
        }]
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

        timeline = simulate(scene)
    missing = [e.id for e in scene.entities() if e.id not in timeline.ids]
    if missing:
        raise FormatError(f"{path}: the timeline has no state for entity {missing[0]!r}")
    w = _Writer(scene, timeline, out_dir, suffix == ".glb", splat_color_space)
    doc = w.build()
    if suffix == ".glb":
        write_glb(path, doc, w.buf)
    else:
        write_gltf(path, doc, w.buf, w.copies)
