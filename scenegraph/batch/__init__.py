"""Many scenes in one command: ``scenegraph batch PROMPTS -o DIR`` and :func:`run`.

Each PROMPTS line becomes ``DIR/<id>/`` (scene files, ``metadata.json``, and
with ``render`` ``frames/``); ``DIR/manifest.jsonl`` records every item.  Items
run in a local process pool or as Ray tasks; a re-run skips finished items.

>>> from scenegraph.batch import item_key
>>> item_key("a red car", 1, {"formats": ["glb"]}) == item_key("a red car", 1, {"formats": ["glb"]})
True
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["run", "BatchResult", "BatchError", "read_manifest", "read_prompts", "item_key", "MANIFEST", "add_command"]

_LAZY = {"BatchError": "items", "item_key": "items", "read_prompts": "items",
         "MANIFEST": "runner", "BatchResult": "runner", "read_manifest": "runner", "run": "runner"}


def __getattr__(name: str) -> Any:
    """The batch machinery is imported when first used, not when the CLI builds its parser."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"scenegraph.batch.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'scenegraph.batch' has no attribute {name!r}")


def _formats(text: str) -> list[str]:
    return [f.strip().lstrip(".") for f in text.split(",") if f.strip()]


def _command(args: argparse.Namespace) -> int:
    from scenegraph.batch.runner import MANIFEST, run

    result = run(args.prompts, args.output, formats=args.formats, render=args.render, width=args.width,
                 frames=args.frames, seed=args.seed, director=args.director, gaussians=args.gaussians,
                 workers=args.workers, ray=args.ray, progress=not args.quiet)
    print(f"{args.output}: {len(result.done)} made, {len(result.skipped)} already done, "
          f"{len(result.failed)} failed in {result.seconds:.1f} s (manifest: {args.output}/{MANIFEST})")
    for rec in result.records:
        if rec["status"] == "failed" and rec["id"] in result.failed:
            print(f"failed {rec['id']}: {rec['error']}", file=sys.stderr)
    return 0 if result.ok else 1


def add_command(sub: Any, seed_type: Any) -> None:
    """The ``batch`` sub-command (called by :mod:`scenegraph.cli`)."""
    b = sub.add_parser(
        "batch", help="make many scenes from a file of prompts",
        description="Make one scene per line of PROMPTS (text: one prompt a line; JSONL: {\"id\", \"prompt\", \"seed\", "
                    "...overrides}) into DIR/<id>/, with DIR/manifest.jsonl recording each item. Exit 0 when every item "
                    "is done, 1 when any failed, 2 when the batch cannot start. A re-run skips finished items.")
    b.add_argument("prompts", help="text file (one prompt a line) or .jsonl")
    b.add_argument("-o", "--output", required=True, metavar="DIR")
    b.add_argument("--formats", type=_formats, default=["json", "glb", "usdc"], metavar="LIST",
                   help="comma-separated: json, glb, gltf, usdc, usda (default json,glb,usdc)")
    b.add_argument("--render", action="store_true", help="also render frames and ground-truth passes into DIR/<id>/frames/")
    b.add_argument("--width", type=int, default=320, help="rendered image width (default 320)")
    b.add_argument("--frames", default=None, help="frames to render: N or START:STOP[:STEP] (default all)")
    b.add_argument("--seed", type=seed_type, default=0, help="a text line's seed is SEED + its line number (default 0)")
    b.add_argument("--director", default="rules")
    b.add_argument("--gaussians", choices=("proxy", "fit", "none"), default="proxy")
    b.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: the cores available; 0 = in this process)")
    b.add_argument("--ray", default=None, metavar="ADDRESS",
                   help="run the items as Ray tasks on the cluster at ADDRESS (HOST:PORT or ray://HOST:PORT), or 'local'")
    b.add_argument("--quiet", action="store_true", help="no progress line")
    b.set_defaults(func=_command)
