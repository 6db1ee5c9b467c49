"""The scene.json codec: a Scene to and from its canonical dict and text.

The layout is described in :mod:`scenegraph.model.serialize`, the public face
of this module.  The Scene class is passed in, so this module sits below
:mod:`scenegraph.model.scene`, whose ``to_dict`` / ``from_dict`` / ``save`` /
``load`` use it.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scenegraph.errors import FormatError, ModelError
from scenegraph.model.files import file_size, gc_paused
from scenegraph.model.gaussians import Gaussians, SharedArrays
from scenegraph.model.limits import MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, MAX_SCENE_ENTITIES, MAX_SCENE_NODES, count_containers
from scenegraph.model.jsonable import _field_names, _plain, payload_to_json
from scenegraph.model.payloads import CameraParams, Dynamics, Entity, LightParams, Material, Trajectory, Transform

__all__ = ["FORMAT", "VERSION", "scene_to_dict", "scene_from_dict", "dumps", "chunks", "loads", "read_text"]

FORMAT = "scenegraph"
VERSION = 2  # 2: an entity's Gaussian array may be {"same_as": an earlier entity's id}
_MAX_BYTES = 2 * 1024**3


def _gaussians_from_json(d: Mapping[str, Any], where: str, earlier: Mapping[str, Any]) -> Any:
    """Gaussians from their JSON; ``earlier``: the clouds of the entities read so far (by id), which a
    ``{"same_as": id}`` array refers to (then the very array is shared, as it was when written)."""
    try:
        n = int(d["count"])
        k = (int(d["sh_degree"]) + 1) ** 2
        shapes = {"means": (n, 3), "quats": (n, 4), "scales": (n, 3), "opacities": (n,), "sh": (n, k, 3)}
        arrays = {}
        for name, shape in shapes.items():
            value = d[name]
            if isinstance(value, Mapping):
                ref = value.get("same_as")
                if not isinstance(ref, str) or earlier.get(ref) is None:
                    raise FormatError(f"{where}.gaussians.{name}: same_as {ref!r} is not an entity with Gaussians "
                                      "written before this one")
                arr = getattr(earlier[ref], name)
                if arr.shape != shape:
                    raise FormatError(f"{where}.gaussians.{name}: same_as {ref!r} has shape {arr.shape}, expected {shape}")
                arrays[name] = arr
                continue
            raw = base64.b64decode(value, validate=True)
            if len(raw) != 4 * math.prod(shape):
                raise FormatError(f"{where}.gaussians.{name}: {len(raw)} bytes, expected {4 * math.prod(shape)}")
            arrays[name] = np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{where}.gaussians: malformed ({exc})") from None
    try:
        return Gaussians(**arrays)
    except ModelError as exc:
        raise FormatError(f"{where}: {exc}") from None


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _compact(obj: Any, d: dict) -> dict:
    """Drop fields of ``d`` that hold their dataclass default (a name equal to the id, a proxy
    equal to the class count as defaults): loading fills them back, so nothing is lost, and
    scene.json stays short and quick to read."""
    cls = type(obj)
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = {}
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                defaults[f.name] = _plain(f.default)
            elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                defaults[f.name] = _plain(f.default_factory())  # type: ignore[misc]
        defaults.pop("transform", None)  # always written: the pose is what a reader looks for first
        _DEFAULTS[cls] = defaults
    out = {k: v for k, v in d.items() if k not in defaults or v != defaults[k]}
    if out.get("name") == out.get("id"):
        out.pop("name", None)
    if "proxy" in out and out["proxy"] == out.get("cls", "thing") and out.get("kind", "object") == "object":
        out.pop("proxy")
    return out


def scene_to_dict(scene: Any) -> dict:
    """The canonical dict of a Scene."""
    links: dict[str, dict[str, str]] = {}  # entity id -> {"material"|"trajectory"|"parent": id}, one pass over the edges
    for u, v, rel in scene.edges():
        if rel in ("material", "follows"):
            links.setdefault(u, {})["material" if rel == "material" else "trajectory"] = v
        elif rel == "parent":
            links.setdefault(v, {})["parent"] = u
    entities = []
    shared = SharedArrays()  # Gaussian arrays written so far: alike entities' clouds are stored once
    for e in scene.entities():
        d = _compact(e, payload_to_json(e, shared))
        link = links.get(e.id, {})
        d.update(link)  # material, parent, trajectory: written only when the entity has them
        entities.append(d)
    return {
        "format": FORMAT,
        "version": VERSION,
        "scene": {
            "fps": scene.fps,
            "duration": scene.duration,
            "seed": scene.seed,
            "prompt": scene.prompt,
            "metadata": _plain(scene.metadata),
        },
        "materials": [_compact(m, payload_to_json(m)) for m in scene.materials()],
        "trajectories": [_compact(t, payload_to_json(t)) for t in scene.trajectories()],
        "entities": entities,
        "relations": [{"subject": s, "rel": r, "object": o} for s, r, o in scene.relations()],
    }


def _need(d: Any, key: str, typ: type | tuple, where: str) -> Any:
    if not isinstance(d, Mapping):
        raise FormatError(f"{where}: expected an object, got {type(d).__name__}")
    if key not in d:
        raise FormatError(f"{where}: missing field {key!r}")
    v = d[key]
    if not isinstance(v, typ):
        tn = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise FormatError(f"{where}.{key}: expected {tn}, got {type(v).__name__}")
    return v


def _build(cls: type, d: Mapping[str, Any], where: str, skip: tuple[str, ...] = ()) -> Any:
    names = _field_names(cls)
    unknown = set(d).difference(names, skip)
    if unknown:
        raise FormatError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kwargs = {k: v for k, v in d.items() if k in names}
    try:
        return cls(**kwargs)
    except ModelError as exc:
        raise FormatError(f"{where}: {exc}") from None
    except TypeError as exc:
        raise FormatError(f"{where}: {exc}") from None


def scene_from_dict(data: Any, scene_cls: type) -> Any:
    """Rebuild a ``scene_cls`` (a Scene) from its canonical dict; raises FormatError naming the bad field."""

    if not isinstance(data, Mapping):
        raise FormatError(f"scene.json: top level must be an object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise FormatError(f"scene.json: 'format' must be {FORMAT!r}, got {data.get('format')!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatError(f"scene.json: 'version' must be an integer, got {version!r}")
    if version > VERSION:
        raise FormatError(
            f"scene.json: format version {version} is newer than this scenegraph supports ({VERSION}); upgrade scenegraph"
        )
    if version < 1:
        raise FormatError(f"scene.json: unknown format version {version}")
    settings = _need(data, "scene", Mapping, "scene.json")
    _check_counts(data)
    try:
        scene = scene_cls(
            fps=settings.get("fps", 24.0),
            duration=settings.get("duration", 5.0),
            seed=settings.get("seed", 0),
            prompt=settings.get("prompt", "") or "",
            metadata=settings.get("metadata") or {},
        )
    except ModelError as exc:
        raise FormatError(f"scene.json: scene: {exc}") from None
    for i, m in enumerate(_need(data, "materials", list, "scene.json")):
        scene.add_material(_build(Material, _need_map(m, f"materials[{i}]"), f"materials[{i}]"))
    for i, t in enumerate(_need(data, "trajectories", list, "scene.json")):
        scene.add_trajectory(_build(Trajectory, _need_map(t, f"trajectories[{i}]"), f"trajectories[{i}]"))
    entity_rows = _need(data, "entities", list, "scene.json")
    links = []
    clouds: dict[str, Any] = {}  # id -> Gaussians of the entities read so far, for same_as
    for i, raw in enumerate(entity_rows):
        where = f"entities[{i}]"
        e = dict(_need_map(raw, where))
        if "id" in e:
            where = f"entities[{i}] ({e['id']!r})"
        try:
            if isinstance(e.get("transform"), Mapping):
                e["transform"] = _build(Transform, e["transform"], f"{where}.transform")
            for key, cls in (("camera", CameraParams), ("light", LightParams), ("dynamics", Dynamics)):
                if isinstance(e.get(key), Mapping):
                    e[key] = _build(cls, e[key], f"{where}.{key}")
            if isinstance(e.get("gaussians"), Mapping):
                e["gaussians"] = clouds[str(e.get("id"))] = _gaussians_from_json(e["gaussians"], where, clouds)
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
        ent = _build(Entity, e, where, skip=("material", "parent", "trajectory"))
        try:
            scene.add_entity(ent)
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
        links.append((where, ent.id, e.get("material"), e.get("parent"), e.get("trajectory")))
    for where, eid, mat, par, traj in links:
        try:
            if mat is not None:
                scene.set_material(eid, mat)
            if par is not None:
                scene.set_parent(eid, par)
            if traj is not None:
                scene.set_trajectory(eid, traj)
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
    for i, r in enumerate(data.get("relations", []) or []):
        where = f"relations[{i}]"
        try:
            scene.add_relation(_need(r, "subject", str, where), _need(r, "rel", str, where), _need(r, "object", str, where))
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
    return scene


def _check_counts(data: Mapping[str, Any]) -> None:
    """Refuse more materials, trajectories, entities or relations than a scene may hold, before building any."""
    for key, limit in (("materials", MAX_SCENE_ENTITIES), ("trajectories", MAX_SCENE_ENTITIES),
                       ("entities", MAX_SCENE_ENTITIES), ("relations", MAX_SCENE_NODES)):
        rows = data.get(key)
        if isinstance(rows, list) and len(rows) > limit:
            raise FormatError(f"scene.json: {len(rows)} {key} is more than a scene may hold ({limit}; "
                              f"raise SCENEGRAPH_MAX_ENTITIES for larger scenes)")


def _need_map(v: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise FormatError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False, ensure_ascii=False)


def dumps(data: dict) -> str:
    """scene.json text of a canonical dict: sorted keys, one node per line."""
    """scene.json text: sorted keys, one material, trajectory, entity or relation per line.

    One node per line keeps diffs of edited scenes small and lets the C JSON
    encoder do the work (10,000 entities in well under a second).
    """
    with gc_paused():
        return _dumps(data)


def _dumps(data: dict) -> str:
    return "".join(chunks(data))


def chunks(data: dict) -> Iterator[str]:
    """scene.json text of a canonical dict (see :func:`dumps`) in pieces, a line or less each: written one after
    another they make the file without the whole text in memory (a hundred parked cars' splats are 15 MB)."""
    yield "{\n"
    for i, key in enumerate(sorted(data)):
        value = data[key]
        yield (",\n  " if i else "  ") + f"{_line(key)}: "
        if isinstance(value, list):
            if not value:
                yield "[]"
                continue
            yield "[\n"
            for j, v in enumerate(value):
                yield (",\n    " if j else "    ") + _line(v)
            yield "\n  ]"
        elif isinstance(value, dict):
            if not value:
                yield "{}"
                continue
            yield "{\n"
            for j, k in enumerate(sorted(value)):
                yield (",\n    " if j else "    ") + f"{_line(k)}: {_line(value[k])}"
            yield "\n  }"
        else:
            yield _line(value)
    yield "\n}\n"


def loads(text: str | bytes) -> Any:
    """The parsed JSON of scene.json text (a dict, checked by :func:`scene_from_dict`).

    A text with more JSON objects and arrays than a scene may hold is refused before parsing
    (parsing takes several times the text's size in memory); nesting deeper than Python's
    recursion allows is a FormatError, not a RecursionError.
    """
    containers = count_containers(text)
    if containers > MAX_JSON_CONTAINERS:
        raise FormatError(f"scene.json: {containers} JSON objects and arrays is more than a scene may hold "
                          f"({MAX_JSON_CONTAINERS}; raise SCENEGRAPH_MAX_ENTITIES for larger scenes)")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"scene.json: invalid JSON ({exc})") from None
    except RecursionError:
        raise FormatError(f"scene.json: invalid JSON (nested too deeply; scene.json needs at most {MAX_JSON_DEPTH} levels)") from None


def read_text(path: str | os.PathLike) -> bytes:
    """The bytes of a scene.json file, size-checked; FormatError names the file."""
    p = Path(path)
    file_size(p, _MAX_BYTES, "a scene.json")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise FormatError(f"{p}: cannot read ({exc.strerror})") from None
