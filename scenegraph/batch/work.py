"""One batch item made into files: what a pool process or a Ray task runs.

The item's folder is built under a staging name beside its final place
(``DIR/.staging/<id>.<pid>``) and renamed into ``DIR/<id>`` only when every
file is written, so a full disk, a crash or a killed worker never leaves a
half-made item where a finished one would be.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from scenegraph.batch.items import FORMATS, Item

__all__ = ["run_item", "make_item", "STAGING"]

STAGING = ".staging"


def _error_text(exc: BaseException) -> str:
    from scenegraph.errors import SceneGraphError

    if isinstance(exc, SceneGraphError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def make_item(item: Item, folder: Path) -> tuple[list[str], dict[str, float]]:
    """Write ``item``'s files into ``folder`` (which exists and is empty); returns (file names, timings)."""
    from scenegraph import pipeline

    opts = item.options
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    scene = pipeline.build(item.prompt, seed=item.seed, director=opts.get("director", "rules"), fps=opts.get("fps"),
                           duration=opts.get("duration"), gaussians=opts.get("gaussians", "proxy"))
    from scenegraph.world import simulate

    timeline = simulate(scene)
    t1 = time.perf_counter()
    timings["build_s"] = t1 - t0
    files = []
    for fmt in opts.get("formats", []):
        name = FORMATS[fmt]
        pipeline.export(scene, folder / name, timeline=timeline)
        files.append(name)
    t2 = time.perf_counter()
    timings["export_s"] = t2 - t1
    frames = None
    if opts.get("render"):
        from scenegraph.render import render, write_frames

        frames = render(scene, timeline, camera=opts.get("camera"), frames=_frames(opts.get("frames")), width=opts.get("width", 320))
        written = write_frames(frames, folder / "frames")
        files += [f"frames/{p.name}" for p in written]
        timings["render_s"] = time.perf_counter() - t2
    from scenegraph.batch.dataset import write_metadata

    files.append(write_metadata(folder, item, scene, timeline, frames))
    return files, timings


def _frames(spec: Any) -> Any:
    return str(spec) if isinstance(spec, int) else spec


def one_thread_each() -> None:
    """In a worker process: items run side by side, so each renders with one thread (torch's
    OpenMP threads would otherwise oversubscribe the cores and spin at every barrier), and numpy's BLAS
    runs on one (:func:`scenegraph.model.cpus.blas_threads`); for the same reason
    the USD writer forks no track worker (scenegraph.appearance.tracks)."""
    from scenegraph.model.cpus import blas_threads

    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["SCENEGRAPH_FORK_TRACKS"] = "0"
    blas_threads(1)  # numpy's OpenBLAS: its idle threads spin and take the core the other worker needs
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def run_item(item: Item, root: str, *, return_files: bool = False) -> dict[str, Any]:
    """Make ``item`` under ``root``; returns its manifest record (never raises for a bad item).

    With ``return_files`` (Ray tasks on machines that may not share ``root``)
    the item is made in a local temporary folder and the record carries
    ``"payload"``: {relative name: bytes}; the driver writes them.
    """
    import tempfile

    t0 = time.perf_counter()
    record: dict[str, Any] = {"id": item.id, "line": item.line, "prompt": item.prompt, "seed": item.seed, "key": item.key}
    if return_files:
        base = Path(tempfile.mkdtemp(prefix="scenegraph-batch-"))
    else:
        base = Path(root) / STAGING
        base.mkdir(parents=True, exist_ok=True)
    stage = base / f"{item.id}.{os.getpid()}"
    try:
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        files, timings = make_item(item, stage)
        if return_files:
            record["payload"] = {name: (stage / name).read_bytes() for name in files}
        else:
            final = Path(root) / item.id
            if final.exists():
                shutil.rmtree(final)
            os.replace(stage, final)
        record.update(status="done", error=None, files=files)
    except Exception as exc:  # one bad item fails alone, with its message
        record.update(status="failed", error=f"line {item.line}: {_error_text(exc)}", files=[])
        timings = {}
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if return_files:
            shutil.rmtree(base, ignore_errors=True)
    record["timings"] = {k: round(v, 4) for k, v in timings.items()} | {"total_s": round(time.perf_counter() - t0, 4)}
    record["worker"] = f"{os.uname().nodename}:{os.getpid()}"
    return record


def place_payload(root: Path, record: dict[str, Any]) -> None:
    """Write a returned item's files (``record["payload"]``) into ``root/<id>`` via staging and a rename."""
    payload = record.pop("payload")
    stage = root / STAGING / f"{record['id']}.driver"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        for name, data in payload.items():
            target = stage / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        final = root / record["id"]
        if final.exists():
            shutil.rmtree(final)
        os.replace(stage, final)
    except OSError as exc:
        record.update(status="failed", error=_error_text(exc), files=[])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
