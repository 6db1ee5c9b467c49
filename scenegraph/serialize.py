"""``scene.json``: the canonical, versioned, diffable serialisation of a Scene.

Layout (``format`` = ``"scenegraph"``, ``version`` = 1)::

    {"format": "scenegraph", "version": 1,
     "scene": {"fps", "duration", "seed", "prompt", "metadata"},
     "materials":    [{"id", "name", "base_color", ...}],
     "trajectories": [{"id", "times", "positions", ...}],
     "entities":     [{"id", "name", "kind", "cls", "transform", "bounds",
                       "material", "parent", "trajectory", ...}],
     "relations":    [{"subject", "rel", "object"}]}

Lists keep insertion order, one node per line; keys are sorted; floats are
written with ``repr`` precision so load(save(scene)) == scene exactly.  Fields
at their default (no material, no camera parameters on an object, a name equal
to the id, ...) are left out; loading fills them back.  Gaussians are
stored inline as base64 of little-endian float32 arrays.
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import gc
import json
import math
import os
import tempfile
from pathlib import Path
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from scenegraph.errors import FormatError, ModelError

__all__ = [
    "FORMAT",
    "VERSION",
    "scene_to_dict",
    "scene_from_dict",
    "dumps",
    "loads",
    "save_json",
    "load_json",
    "payload_to_json",
    "atomic_write",
    "file_size",
    "default_file_mode",
]

FORMAT = "scenegraph"
VERSION = 1
_MAX_BYTES = 2 * 1024**3


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    t = type(value)
    if t in _SCALARS:
        return value
    if t is np.ndarray:
        return value.tolist()
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return payload_to_json(value)
    return value


def _gaussians_to_json(g: Any) -> dict:
    out = {"count": len(g), "sh_degree": g.sh_degree}
    for name in ("means", "quats", "scales", "opacities", "sh"):
        arr = np.ascontiguousarray(getattr(g, name), dtype="<f4")
        out[name] = base64.b64encode(arr.tobytes()).decode("ascii")
    return out


def _gaussians_from_json(d: Mapping[str, Any], where: str) -> Any:
    from scenegraph.appearance.gaussians import Gaussians

    try:
        n = int(d["count"])
        k = (int(d["sh_degree"]) + 1) ** 2
        shapes = {"means": (n, 3), "quats": (n, 4), "scales": (n, 3), "opacities": (n,), "sh": (n, k, 3)}
        arrays = {}
        for name, shape in shapes.items():
            raw = base64.b64decode(d[name], validate=True)
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


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def payload_to_json(obj: Any) -> dict:
    """A payload dataclass as a JSON-ready dict (arrays as lists, Gaussians as base64)."""
    out: dict[str, Any] = {}
    for name in _field_names(type(obj)):
        v = getattr(obj, name)
        if name == "gaussians":
            out[name] = None if v is None else _gaussians_to_json(v)
        else:
            out[name] = _plain(v)
    return out


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
    for u, v, rel in scene.graph.edges(data="rel"):
        if rel in ("material", "follows"):
            links.setdefault(u, {})["material" if rel == "material" else "trajectory"] = v
        elif rel == "parent":
            links.setdefault(v, {})["parent"] = u
    entities = []
    for e in scene.entities():
        d = _compact(e, payload_to_json(e))
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


def scene_from_dict(data: Any) -> Any:
    """Rebuild a Scene from its canonical dict; raises FormatError naming the bad field."""
    from scenegraph.model import CameraParams, Dynamics, Entity, LightParams, Material, Scene, Trajectory, Transform

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
    try:
        scene = Scene(
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
                e["gaussians"] = _gaussians_from_json(e["gaussians"], where)
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


def _need_map(v: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise FormatError(f"{where}: expected an object, got {type(v).__name__}")
    return v


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False, ensure_ascii=False)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: for code that makes tens of thousands of small acyclic
    objects (a scene's dicts and payloads), whose collections find nothing and cost 20-40% of the
    time.  Collection resumes as before afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def dumps(scene: Any) -> str:
    """scene.json text: sorted keys, one material, trajectory, entity or relation per line.

    One node per line keeps diffs of edited scenes small and lets the C JSON
    encoder do the work (10,000 entities in well under a second).
    """
    with gc_paused():
        return _dumps(scene)


def _dumps(scene: Any) -> str:
    data = scene_to_dict(scene)
    parts = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list):
            body = ",\n".join("    " + _line(v) for v in value)
            text = "[\n" + body + "\n  ]" if value else "[]"
        elif isinstance(value, dict):
            body = ",\n".join(f"    {_line(k)}: {_line(value[k])}" for k in sorted(value))
            text = "{\n" + body + "\n  }" if value else "{}"
        else:
            text = _line(value)
        parts.append(f"  {_line(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def loads(text: str | bytes) -> Any:
    with gc_paused():
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"scene.json: invalid JSON ({exc})") from None
        return scene_from_dict(data)


def default_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file (0o666 less the umask).

    ``tempfile.mkstemp`` creates files readable by their owner only; files we
    rename into place get the usual mode instead.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    Either the whole new file is there afterwards or the old one (if any) is untouched.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FormatError(f"{path}: folder {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_json(scene: Any, path: str | os.PathLike) -> None:
    atomic_write(path, dumps(scene))


def file_size(path: Path, limit: int, what: str) -> int:
    """The size of ``path`` in bytes; FormatError when it cannot be read or is larger than ``limit``
    (``what`` names the kind of file in the message)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
    if size > limit:
        raise FormatError(f"{path}: {size} bytes is larger than {what} may be ({limit})")
    return size


def load_json(path: str | os.PathLike) -> Any:
    p = Path(path)
    file_size(p, _MAX_BYTES, "a scene.json")
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        return loads(text)
    except FormatError as exc:
        raise FormatError(f"{p}: {exc}") from None
