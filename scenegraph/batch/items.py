"""Batch items: a PROMPTS file read into items (or failed lines), and each item's content key.

A text file holds one prompt a line (blank lines and ``#`` comments are skipped);
a ``.jsonl`` file (or one whose first line starts with ``{``) holds one object a
line: ``{"id", "prompt", "seed", ...overrides}``.  A line that cannot become an
item is kept as a :class:`BadLine` (its line number and why), never raised.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenegraph.errors import SceneGraphError

__all__ = ["Item", "BadLine", "BatchError", "read_prompts", "item_key", "OVERRIDES", "FORMATS"]

#: per-item settings a JSONL line may override (and their types)
OVERRIDES: dict[str, tuple[type, ...]] = {
    "fps": (int, float),
    "duration": (int, float),
    "director": (str,),
    "gaussians": (str,),
    "formats": (list,),
    "render": (bool,),
    "width": (int,),
    "frames": (str, int),
    "camera": (str,),
}
#: output format -> file name inside the item's folder
FORMATS = {"json": "scene.json", "glb": "scene.glb", "usdc": "scene.usdc", "usda": "scene.usda", "gltf": "scene.gltf"}
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
#: bump when the layout of an item's folder changes: finished items of older runs are redone
LAYOUT_VERSION = 1


class BatchError(SceneGraphError):
    """A batch cannot start (unreadable PROMPTS, bad options, unreachable Ray cluster)."""


@dataclass(frozen=True)
class Item:
    """One scene to make: ``line`` is its 1-based line in PROMPTS; ``options`` the merged settings."""

    id: str
    prompt: str
    seed: int
    line: int
    options: dict[str, Any] = field(default_factory=dict)
    key: str = ""


@dataclass(frozen=True)
class BadLine:
    """A PROMPTS line that is not an item: recorded as a failed item named ``id``."""

    id: str
    line: int
    error: str
    prompt: str = ""
    seed: int | None = None
    key: str = ""


def item_key(prompt: str, seed: int, options: dict[str, Any]) -> str:
    """sha256 of what decides an item's files: prompt, seed, settings, package and layout version."""
    from scenegraph.version import __version__

    doc = {"prompt": prompt, "seed": seed, "options": options, "version": __version__, "layout": LAYOUT_VERSION}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def check_options(options: dict[str, Any]) -> None:
    """Raise BatchError for a bad setting (unknown format, non-positive number, ...)."""
    formats = options.get("formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise BatchError("formats: expected a list of names")
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise BatchError(f"formats: unknown {', '.join(map(repr, bad))} (known: {', '.join(FORMATS)})")
    if not formats and not options.get("render"):
        raise BatchError("formats: nothing to write (give a format or render)")
    for name in ("fps", "duration"):
        v = options.get(name)
        if v is not None and (isinstance(v, bool) or not 0 < v < float("inf")):
            raise BatchError(f"{name}: expected a positive number, got {v!r}")
    w = options.get("width")
    if w is not None and (isinstance(w, bool) or not 8 <= w <= 8192):
        raise BatchError(f"width: expected 8..8192 pixels, got {w!r}")
    if options.get("gaussians") not in (None, "proxy", "fit", "none"):
        raise BatchError(f"gaussians: expected proxy, fit or none, got {options['gaussians']!r}")


def _is_jsonl(path: Path, lines: list[str]) -> bool:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    first = next((ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    return first.startswith("{")


def read_prompts(path: str | os.PathLike, defaults: dict[str, Any], *, seed: int = 0) -> list[Item | BadLine]:
    """Items (and bad lines) of PROMPTS, in file order.

    ``defaults`` are the batch's settings, which a JSONL line may override.  A
    text line's seed is ``seed`` + its line number, so every line differs and
    each item's seed depends on nothing but the file.  Raises BatchError only
    when the file itself cannot be read.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatchError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the prompts ({getattr(exc, 'strerror', None) or exc})") from None
    lines = text.splitlines()
    jsonl = _is_jsonl(path, lines)
    out: list[Item | BadLine] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        item_id = f"{n:05d}"
        try:
            if jsonl:
                doc = _json_object(line)
                item_id = _item_id(doc.pop("id", item_id))
                prompt, item_seed, opts = _json_fields(doc, defaults, seed + n)
            else:
                prompt, item_seed, opts = line, seed + n, dict(defaults)
            if item_id in seen:
                first = seen[item_id]
                item_id = f"line{n:05d}"
                raise BatchError(f"id is already used on line {first}")
            check_options(opts)
        except BatchError as exc:
            bad_id = item_id if item_id not in seen else f"line{n:05d}"
            out.append(BadLine(bad_id, n, f"line {n}: {exc}", prompt=line if not jsonl else ""))
            seen.setdefault(bad_id, n)
            continue
        seen[item_id] = n
        out.append(Item(item_id, prompt, item_seed, n, opts, item_key(prompt, item_seed, opts)))
    return out


def _json_object(line: str) -> dict[str, Any]:
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BatchError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise BatchError("expected a JSON object")
    return doc


def _item_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _ID.match(value):
        raise BatchError(f"id {value!r}: expected letters, digits, '_', '-', '.' (not starting with '.' or '-')")
    return value


def _json_fields(doc: dict[str, Any], defaults: dict[str, Any], auto_seed: int) -> tuple[str, int, dict[str, Any]]:
    prompt = doc.pop("prompt", None)
    if not isinstance(prompt, str) or not prompt.strip():
        raise BatchError("'prompt' is missing or empty")
    item_seed = doc.pop("seed", auto_seed)
    if isinstance(item_seed, bool) or not isinstance(item_seed, int) or item_seed < 0:
        raise BatchError(f"seed {item_seed!r}: expected a non-negative integer")
    opts = dict(defaults)
    for k, v in doc.items():
        if k not in OVERRIDES:
            raise BatchError(f"unknown field {k!r} (known: id, prompt, seed, {', '.join(OVERRIDES)})")
        if (isinstance(v, bool) and bool not in OVERRIDES[k]) or not isinstance(v, OVERRIDES[k]):
            raise BatchError(f"{k}: {v!r} has the wrong type")
        opts[k] = v
    return prompt.strip(), item_seed, opts
