"""The JSON pieces of :mod:`exporters.gltf_write` that come from the Scene's payloads alone: materials,
lights, cameras, textures, each entity's links and its ``entity`` extra."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from exporters._gltf_common import EXT_EMISSIVE_STRENGTH
from scenegraph.model import jsonable
from scenegraph.errors import FormatError

_IMAGE_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def floats(values: Any) -> list[float]:
    return [float(x) for x in np.asarray(values).ravel()]


def material_json(mat: Any, textures: dict[str, int]) -> dict:
    pbr: dict[str, Any] = {
        "baseColorFactor": floats(mat.base_color) + [float(mat.alpha)],
        "metallicFactor": float(mat.metallic),
        "roughnessFactor": float(mat.roughness),
    }
    if mat.texture is not None and mat.id in textures:
        pbr["baseColorTexture"] = {"index": textures[mat.id]}
    out: dict[str, Any] = {"name": mat.name, "pbrMetallicRoughness": pbr, "extras": {"scenegraph": {"id": mat.id}}}
    emissive = np.asarray(mat.emissive, np.float64)
    strength = float(emissive.max()) if emissive.size else 0.0
    if strength > 0 and "baseColorTexture" in pbr:  # a glowing image (the sky's gradient) glows in its colours
        out["emissiveTexture"] = {"index": textures[mat.id]}
    if strength > 0:
        if strength > 1.0:
            out["emissiveFactor"] = floats(emissive / strength)
            out["extensions"] = {EXT_EMISSIVE_STRENGTH: {"emissiveStrength": strength}}
        else:
            out["emissiveFactor"] = floats(emissive)
    if mat.alpha < 1.0:
        out["alphaMode"] = "BLEND"
    return out


def light_json(ent: Any) -> dict:
    lp = ent.light
    out: dict[str, Any] = {"name": ent.name, "type": lp.type, "color": floats(lp.color), "intensity": float(lp.intensity)}
    if lp.range is not None and lp.type != "directional":
        out["range"] = float(lp.range)
    if lp.type == "spot":
        outer = float(lp.outer_cone_angle)
        inner = min(float(lp.inner_cone_angle), outer * (1.0 - 1e-6))
        out["spot"] = {"innerConeAngle": inner, "outerConeAngle": outer}
    return out


def camera_json(ent: Any) -> dict:
    c = ent.camera
    return {
        "name": ent.name,
        "type": "perspective",
        "perspective": {"yfov": float(c.yfov), "aspectRatio": float(c.aspect), "znear": float(c.znear), "zfar": float(c.zfar)},
    }


def read_image(texture: str, out_dir: Path) -> tuple[Path, bytes, str]:
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
    from scenegraph.model.outputs import published_folder

    src = Path(texture)
    candidates = [src] if src.is_absolute() else [published_folder(out_dir) / src, Path.cwd() / src]
    for c in candidates:
        if c.is_file():
            data = c.read_bytes()
            for magic, mime in _IMAGE_MIME.items():
                if data.startswith(magic):
                    return c, data, mime
            raise FormatError(f"texture {texture!r}: {c} is neither PNG nor JPEG")
    raise FormatError(f"texture {texture!r}: no such file (looked in {', '.join(str(c) for c in candidates)})")


def links(scene: Any) -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, list[str]], list[tuple[str, str, str]]]:
    """Material, trajectory and parent id of each entity, its children's ids, and the spatial relations
    (as Scene.relations gives them), in one pass over the graph's edges (the first edge of a kind wins,
    as in Scene.material_of and friends)."""
    from scenegraph.model import SPATIAL_RELATIONS

    material: dict[str, str] = {}
    trajectory: dict[str, str] = {}
    parent: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    relations: list[tuple[str, str, str]] = []
    for u, v, rel in scene.edges():
        if rel == "material":
            material.setdefault(u, v)
        elif rel == "follows":
            trajectory.setdefault(u, v)
        elif rel == "parent":
            parent.setdefault(v, u)
            children.setdefault(u, []).append(v)
        elif rel in SPATIAL_RELATIONS:
            relations.append((u, rel, v))
    return material, trajectory, parent, children, relations


#: the encoder json.dumps(payload, sort_keys=True, allow_nan=False) builds on every call, built once
_ENTITY_JSON = json.JSONEncoder(sort_keys=True, allow_nan=False)
#: Entity fields the node's extras carry elsewhere (id, kind, class, proxy, bounds) or its mesh does (the splats)
_ENTITY_ELSEWHERE = ("id", "kind", "cls", "proxy", "bounds", "gaussians")
_REST_BYTES = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], np.float64).tobytes()  # an identity Transform's arrays
_OTHER_FIELDS: dict[type, tuple[str, ...]] = {}


def entity_meta(e: Any) -> str:
    """The node's ``entity`` extra: the Entity fields that hold something other than their default and
    are not carried elsewhere, as JSON (usually ``{}``).  Reading fills the rest back (see
    :func:`exporters._gltf_rebuild._base_dict`)."""
    others = _OTHER_FIELDS.get(type(e))
    if others is None:
        skip = set(_ENTITY_ELSEWHERE) | {"name", "transform"}
        others = _OTHER_FIELDS[type(e)] = tuple(f for f in jsonable.field_names(type(e)) if f not in skip)
    out: dict[str, Any] = {}
    if e.name != e.id:
        out["name"] = e.name
    tr = e.transform
    if tr.translation.tobytes() + tr.rotation.tobytes() + tr.scale.tobytes() != _REST_BYTES:
        out["transform"] = jsonable.payload_to_json(tr)
    for name in others:  # camera, light, dynamics, attributes: None or empty by default
        v = getattr(e, name)
        if v is not None and not (isinstance(v, Mapping) and not v):
            out[name] = jsonable.plain(v)
    return _ENTITY_JSON.encode(out) if out else "{}"
