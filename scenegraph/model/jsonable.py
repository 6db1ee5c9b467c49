"""Payload dataclasses and numpy values as JSON-ready Python (arrays as lists, Gaussians as base64).

The lowest layer of scene.json: payloads use it for equality, the codec for writing.
"""
from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["payload_to_json", "plain", "field_names"]


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


def _gaussians_to_json(g: Any, shared: Any = None, owner: str = "") -> dict:
    """Gaussians as counts and base64 arrays.  With ``shared`` (a :class:`SharedArrays` the caller keeps
    across entities), an array with the bits of one an earlier entity wrote becomes ``{"same_as": <that
    entity's id>}``: alike entities share their clouds, and a hundred parked cars' splats are stored once."""
    out: dict[str, Any] = {"count": len(g), "sh_degree": g.sh_degree}
    for name in GAUSSIAN_ARRAYS:
        src = getattr(g, name)
        if shared is not None:
            first, fresh = shared.once(name, src, lambda: owner)
            if not fresh:
                out[name] = {"same_as": first}
                continue
        arr = np.ascontiguousarray(src, dtype="<f4")
        out[name] = base64.b64encode(arr.tobytes()).decode("ascii")
    return out


#: the arrays of a Gaussians cloud, in the order scene.json writes them
GAUSSIAN_ARRAYS = ("means", "quats", "scales", "opacities", "sh")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def payload_to_json(obj: Any, shared: Any = None, omit: tuple[str, ...] = ()) -> dict:
    """A payload dataclass as a JSON-ready dict (arrays as lists, Gaussians as base64; ``shared``: see
    :func:`_gaussians_to_json`, with the payload's ``id`` as the owner).  Fields named in ``omit`` are written
    as None (a writer that stores an entity's splats elsewhere leaves them out of its JSON)."""
    out: dict[str, Any] = {}
    for name in _field_names(type(obj)):
        v = None if name in omit else getattr(obj, name)
        if name == "gaussians":
            out[name] = None if v is None else _gaussians_to_json(v, shared, getattr(obj, "id", ""))
        else:
            out[name] = _plain(v)
    return out


plain = _plain
field_names = _field_names
