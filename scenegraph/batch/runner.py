"""The batch driver: which items to make, who makes them, and the manifest.

Only this process writes ``DIR/manifest.jsonl``: one JSON line per finished
item, appended (a single ``write`` each, flushed and fsynced) as results
arrive, so an interrupted run keeps every line it wrote; at the end (and at the
start of a resumed run) the file is rewritten atomically with one line per
item in PROMPTS order.  Where an id has several lines, the last one counts.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from scenegraph.batch.items import BadLine, BatchError, Item, check_options, read_prompts
from scenegraph.batch.work import STAGING, one_thread_each, place_payload, run_item
from scenegraph.model.cpus import available_cores

__all__ = ["run", "BatchResult", "read_manifest", "MANIFEST"]

MANIFEST = "manifest.jsonl"
_DEAD = "the worker process died (killed, or out of memory) while making this item"


@dataclass
class BatchResult:
    """What a batch did: ids made now, skipped (already done), failed; the manifest's records."""

    folder: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def read_manifest(folder: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """id -> the last complete record in ``folder/manifest.jsonl`` (a torn last line is ignored)."""
    path = Path(folder) / MANIFEST
    out: dict[str, dict[str, Any]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("id"), str):
            out[rec["id"]] = rec
    return out


def _finished(folder: Path, rec: dict[str, Any] | None, key: str) -> bool:
    """The manifest says done for this key, and every file it lists is there."""
    if not rec or rec.get("status") != "done" or rec.get("key") != key:
        return False
    base = folder / rec["id"]
    return all((base / name).is_file() for name in rec.get("files", []))


class _Manifest:
    def __init__(self, folder: Path) -> None:
        self.path = folder / MANIFEST
        self.fh = open(self.path, "a", encoding="utf-8")

    def append(self, rec: dict[str, Any]) -> None:
        self.fh.write(json.dumps(rec, sort_keys=True) + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def _compact(folder: Path, order: Sequence[str]) -> list[dict[str, Any]]:
    """Rewrite the manifest with one line per id (last record wins): PROMPTS order, then others."""
    from scenegraph.model.files import atomic_write

    recs = read_manifest(folder)
    ids = [i for i in order if i in recs] + sorted(set(recs) - set(order))
    lines = [recs[i] for i in ids]
    atomic_write(folder / MANIFEST, "".join(json.dumps(r, sort_keys=True) + "\n" for r in lines))
    return lines


class _Progress:
    """One status line on stderr: count, rate, ETA (redrawn in place on a terminal, every 10 s otherwise)."""

    def __init__(self, total: int, enabled: bool, stream: Any = None) -> None:
        self.total, self.enabled = total, enabled and total > 0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.n = self.failed = 0
        self.t0 = self.last = time.perf_counter()

    def update(self, failed: bool) -> None:
        self.n += 1
        self.failed += failed
        now = time.perf_counter()
        if not self.enabled or (not self.tty and now - self.last < 10 and self.n < self.total):
            return
        self.last = now
        rate = self.n / max(now - self.t0, 1e-9)
        eta = (self.total - self.n) / rate if rate > 0 else 0.0
        width = 24
        bar = "#" * int(width * self.n / self.total)
        text = (f"[{bar:<{width}}] {self.n}/{self.total} ({self.failed} failed) "
                f"{rate * 60:.1f} scenes/min, ETA {int(eta // 60)}:{int(eta % 60):02d}")
        self.stream.write(("\r" + text) if self.tty else text + "\n")
        if self.tty and self.n == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _local_results(items: list[Item], root: str, workers: int) -> Iterable[dict[str, Any]]:
    """Records as items finish in a process pool of ``workers`` (0: in this process).

    At most ``workers`` items are in flight, so when a worker dies the pool's
    breakage names exactly those items: they are recorded failed and a new pool
    takes the rest.
    """
    if workers == 0:
        for it in items:
            yield run_item(it, root)
        return
    import concurrent.futures as cf
    import multiprocessing as mp
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    todo = list(reversed(items))
    while todo:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=one_thread_each) as pool:
            running: dict[Any, Item] = {}
            broken = False
            while (todo or running) and not broken:
                while todo and len(running) < workers:
                    it = todo.pop()
                    running[pool.submit(run_item, it, root)] = it
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    it = running.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        broken = True
                        yield _dead(it)
            for fut, it in running.items():  # a broken pool fails what was in flight
                yield _dead(it)
            running.clear()


def _dead(it: Item) -> dict[str, Any]:
    return {"id": it.id, "line": it.line, "prompt": it.prompt, "seed": it.seed, "key": it.key, "status": "failed",
            "error": _DEAD, "files": [], "timings": {}}


def _ray_address(address: str) -> None:
    """Refuse an address no Ray head answers on, quickly (ray.init would retry for a minute)."""
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise BatchError(f"--ray {address}: expected HOST:PORT, ray://HOST:PORT or 'local'")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            pass
    except OSError as exc:
        raise BatchError(f"--ray {address}: no Ray cluster answers there ({exc.strerror or exc})") from None


def _ray_results(items: list[Item], root: str, address: str, workers: int) -> Iterable[dict[str, Any]]:
    """Records as Ray tasks finish: one task per item, each returning its files to this driver."""
    try:
        import ray
    except ImportError:
        raise BatchError("--ray needs Ray: pip install 'scenegraph[ray]'") from None
    if address != "local":
        _ray_address(address)
    started = not ray.is_initialized()
    if started:
        try:
            if address == "local":
                ray.init(num_cpus=workers or None, include_dashboard=False, log_to_driver=False,
                         configure_logging=False, runtime_env=_runtime_env())
            else:
                ray.init(address=address, log_to_driver=False, configure_logging=False, runtime_env=_runtime_env())
        except Exception as exc:  # ConnectionError, RuntimeError ...
            raise BatchError(f"--ray {address}: cannot start or join Ray ({str(exc).splitlines()[0][:200]})") from None
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(_ray_item)
        pending = {task.remote(it, root): it for it in items}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                it = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as exc:  # the task's worker died twice
                    rec = _dead(it)
                    rec["error"] = f"{_DEAD} ({type(exc).__name__})"
                    yield rec
    finally:
        if started:
            ray.shutdown()


def _runtime_env() -> dict[str, Any]:
    """Ray workers import this checkout of scenegraph (as the driver does)."""
    import scenegraph

    root = str(Path(scenegraph.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    return {"env_vars": {"PYTHONPATH": root + (os.pathsep + path if path else "")}}


def _ray_item(item: Item, root: str) -> dict[str, Any]:
    one_thread_each()
    return run_item(item, root, return_files=True)


def run(
    prompts: str | os.PathLike,
    output: str | os.PathLike,
    *,
    formats: Sequence[str] = ("json", "glb", "usdc"),
    render: bool = False,
    width: int = 320,
    frames: str | None = None,
    seed: int = 0,
    director: str = "rules",
    gaussians: str = "proxy",
    workers: int | None = None,
    ray: str | None = None,
    progress: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> BatchResult:
    """Make every item of ``prompts`` into ``output/<id>/``; see the README's "Batches".

    ``workers``: local processes (default: the cores this process may use; 0 runs
    items in this process); ``ray``: ``"local"`` or a cluster address, instead of
    the local pool.  Items already done with the same content key are skipped;
    failed ones are retried.  Raises BatchError when the batch cannot start;
    a bad item is recorded failed in the manifest, never raised.
    """
    t0 = time.perf_counter()
    defaults: dict[str, Any] = {"formats": list(formats), "director": director, "gaussians": gaussians}
    if render:
        defaults.update(render=True, width=width)
        if frames is not None:
            defaults["frames"] = frames
    check_options(defaults)
    if workers is None:
        workers = available_cores()
    if workers < 0:
        raise BatchError(f"workers: expected 0 or more, got {workers}")
    entries = read_prompts(prompts, defaults, seed=seed)
    if ray is not None and ray != "local":
        _ray_address(ray)
    folder = Path(output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"{folder}: cannot create the output folder ({exc.strerror})") from None
    order = [e.id for e in entries]
    previous = read_manifest(folder)
    if previous:
        _compact(folder, order)
    shutil.rmtree(folder / STAGING, ignore_errors=True)  # leftovers of an interrupted run
    result = BatchResult(folder)
    todo: list[Item] = []
    manifest = _Manifest(folder)
    bar = _Progress(len(entries), progress)
    try:
        for e in entries:
            if isinstance(e, BadLine):
                rec = {"id": e.id, "line": e.line, "prompt": e.prompt, "seed": e.seed, "key": e.key,
                       "status": "failed", "error": e.error, "files": [], "timings": {}}
                manifest.append(rec)
                result.failed.append(e.id)
                bar.update(True)
            elif _finished(folder, previous.get(e.id), e.key):
                result.skipped.append(e.id)
                bar.total -= 1
            else:
                todo.append(e)
        stream = _ray_results(todo, str(folder), ray, workers) if ray is not None else _local_results(todo, str(folder), workers)
        for rec in stream:
            if "payload" in rec:
                place_payload(folder, rec)
            if rec["status"] != "done":  # a killed worker leaves its staging folder behind
                for left in (folder / STAGING).glob(f"{rec['id']}.*"):
                    shutil.rmtree(left, ignore_errors=True)
            manifest.append(rec)
            (result.done if rec["status"] == "done" else result.failed).append(rec["id"])
            bar.update(rec["status"] != "done")
            if on_record is not None:
                on_record(rec)
    finally:
        manifest.close()
        result.records = _compact(folder, order)
        try:
            (folder / STAGING).rmdir()
        except OSError:
            pass
    result.seconds = time.perf_counter() - t0
    return result
