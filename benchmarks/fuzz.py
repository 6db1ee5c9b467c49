"""Fuzz every reader with seeded mutations of real files; count how each input ends.

Usage: python benchmarks/fuzz.py [--per-format 1200] [--seed 0] [--workers 2] [--formats json,glb,...]

Seed files are written by scenegraph itself (scene.json, .glb, .gltf + .bin, .usda, .usdc, .usdz,
an INRIA .ply, a nerfstudio transforms.json and a COLMAP text model, both with small PNG images);
each input is one of them after 1-4 seeded mutations (bit flips, interesting integers written over
aligned words, bytes inserted, deleted or duplicated, truncation, numbers in text replaced by huge,
negative or non-finite ones, nesting or keys injected).  Every input is read in a worker process
by the public reader of its format, and ends as one of

- ``loaded``: a Scene (or splats, or posed views) came back,
- ``typed``: a :class:`scenegraph.errors.SceneGraphError` (the message names the file),
- ``other``: any other exception (a bug: printed with the input's seed),

and is also counted ``over_2s`` when it took more than 2 s and ``over_1gb`` when the reading
process (or, for USD, its bounded reader child) peaked above 1 GB of resident memory.

Prints JSON: per format the counts, inputs, seconds; and the totals.  Goal: 0 other, 0 over 2 s,
0 over 1 GB.  ``tests/test_fuzz.py`` runs a few hundred inputs per format from the same code.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

FORMATS = ["json", "glb", "gltf", "usda", "usdc", "usdz", "ply", "transforms", "colmap"]
TEXT_FORMATS = {"json", "gltf", "usda", "transforms", "colmap"}
SLOW_S = 2.0
BIG_KB = 1 << 20  # 1 GB in kB
_INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 2**40, 2**62, 2**63 - 1, 2**64 - 1]
_NUMBERS = ["0", "-1", "1e308", "-1e308", "NaN", "Infinity", "99999999999999999999", "4294967296", "1e-320", "2147483647",
            "18446744073709551615", "-0", "1.5", "7"]
_NUMBER = re.compile(rb"-?\d+(\.\d+)?([eE][+-]?\d+)?")


# ---------------------------------------------------------------- seed files


def _seed_scene() -> Any:
    import numpy as np

    from scenegraph.model import CameraParams, Entity, LightParams, Material, Scene, Trajectory, Transform
    from scenegraph.model.gaussians import Gaussians

    s = Scene(fps=24, duration=4.0, seed=3, prompt="a red car and a bus")
    s.add_material(Material("mat_red_paint", base_color=(0.8, 0.02, 0.02), metallic=0.3, roughness=0.4))
    s.add_trajectory(Trajectory("traj_car_1", [0.0, 2.0, 4.0], [[-10, 0, 0], [0, 0, 1], [10, 0, 0]], heading="tangent"))
    rng = np.random.default_rng(0)
    n = 24
    g = Gaussians(rng.normal(size=(n, 3)), rng.normal(size=(n, 4)), rng.uniform(0.01, 0.1, (n, 3)),
                  rng.uniform(0.1, 0.9, n), rng.normal(size=(n, 4, 3)) * 0.1)
    s.add_entity(Entity("car_1", cls="car", bounds=[[-0.9, 0, -2.25], [0.9, 1.5, 2.25]], gaussians=g),
                 material="mat_red_paint", trajectory="traj_car_1")
    s.add_entity(Entity("driver_1", cls="person", transform=Transform((0.4, 0.5, 0.3))), parent="car_1")
    s.add_entity(Entity("bus_1", cls="bus", transform=Transform((0, 0, -8))))
    s.add_relation("bus_1", "behind", "car_1")
    s.add_entity(Entity("camera_1", kind="camera", camera=CameraParams(), transform=Transform((0, 1.6, 12))))
    s.add_entity(Entity("lamp", kind="light", light=LightParams(type="spot", intensity=30.0), transform=Transform((0, 4, 0))))
    return s


def _png(w: int, h: int, seed: int) -> bytes:
    from PIL import Image
    import numpy as np

    arr = (np.random.default_rng(seed).uniform(0, 255, (h, w, 3))).astype("uint8")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def make_seeds(folder: Path, formats: list[str] | None = None) -> dict[str, dict[str, bytes]]:
    """format -> {file name: bytes} of the real files each input mutates (the first file is the one mutated)."""
    import exporters
    from exporters.ply import write_ply

    formats = formats or FORMATS
    scene = _seed_scene()
    seeds: dict[str, dict[str, bytes]] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for fmt, name in (("json", "scene.json"), ("glb", "scene.glb"), ("gltf", "scene.gltf"), ("usda", "scene.usda"),
                      ("usdc", "scene.usdc"), ("usdz", "scene.usdz")):
        if fmt not in formats:
            continue
        d = folder / fmt
        d.mkdir(exist_ok=True)
        exporters.export(scene, d / name)
        files = {name: (d / name).read_bytes()}
        for extra in sorted(d.iterdir()):
            if extra.name != name:
                files[extra.name] = extra.read_bytes()
        seeds[fmt] = files
    if "ply" in formats:
        d = folder / "ply"
        d.mkdir(exist_ok=True)
        write_ply(scene.entity("car_1").gaussians, d / "splat.ply")
        seeds["ply"] = {"splat.ply": (d / "splat.ply").read_bytes()}
    images = {f"images/v{i}.png": _png(8, 6, i) for i in range(3)}
    if "transforms" in formats:
        frames = [{"file_path": f"images/v{i}.png", "transform_matrix": [[1, 0, 0, i * 0.1], [0, 1, 0, 0], [0, 0, 1, 2], [0, 0, 0, 1]]}
                  for i in range(3)]
        doc = {"camera_angle_x": 0.8, "w": 8, "h": 6, "frames": frames}
        seeds["transforms"] = {"transforms.json": json.dumps(doc, indent=1).encode(), **images}
    if "colmap" in formats:
        cams = "# Camera list\n1 PINHOLE 8 6 7.0 7.0 4.0 3.0\n2 SIMPLE_RADIAL 8 6 7.0 4.0 3.0 0.01\n"
        imgs = "# Image list\n" + "".join(
            f"{i + 1} 1.0 0.0 0.0 0.0 {i * 0.1} 0.0 2.0 {1 + i % 2} v{i}.png\n\n" for i in range(3))
        seeds["colmap"] = {"images.txt": imgs.encode(), "cameras.txt": cams.encode(), **images}
    return seeds


# ---------------------------------------------------------------- mutations


def _mutate_once(data: bytearray, rng: random.Random, text: bool) -> bytearray:
    n = len(data)
    op = rng.randrange(9 if text else 6)
    if n == 0:
        return bytearray(rng.randbytes(rng.randrange(1, 16)))
    if op == 0:  # flip bits
        for _ in range(rng.randrange(1, 8)):
            i = rng.randrange(n)
            data[i] ^= 1 << rng.randrange(8)
    elif op == 1:  # an interesting integer over an aligned word
        width = rng.choice((1, 2, 4, 8))
        i = rng.randrange(0, max(1, n - width + 1)) & ~(width - 1)
        v = rng.choice(_INTERESTING) & ((1 << (8 * width)) - 1)
        data[i:i + width] = v.to_bytes(width, "little")[: max(0, min(width, n - i))]
    elif op == 2:  # insert random bytes
        i = rng.randrange(n + 1)
        data[i:i] = rng.randbytes(rng.randrange(1, 32))
    elif op == 3:  # delete a span
        i = rng.randrange(n)
        del data[i:i + rng.randrange(1, 64)]
    elif op == 4:  # duplicate a span
        i = rng.randrange(n)
        j = min(n, i + rng.randrange(1, 256))
        k = rng.randrange(n + 1)
        data[k:k] = data[i:j]
    elif op == 5:  # truncate
        del data[rng.randrange(n):]
    elif op == 6:  # a number in the text replaced
        spans = [m.span() for m in _NUMBER.finditer(bytes(data))]
        if spans:
            a, b = rng.choice(spans)
            data[a:b] = rng.choice(_NUMBERS).encode()
    elif op == 7:  # nesting or a bracket injected
        i = rng.randrange(n + 1)
        k = rng.choice((1, 2, 50, 5000))
        data[i:i] = rng.choice((b"[" * k, b"{" * k, b"]" * k, b'{"a":' * k, b"\xb0\xff", b'"', b"\0"))
    else:  # swap two lines
        lines = bytes(data).split(b"\n")
        if len(lines) > 2:
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            data = bytearray(b"\n".join(lines))
    return data


def mutate(data: bytes, seed: int, text: bool) -> bytes:
    """``data`` after 1-4 mutations drawn from ``seed`` (the same seed gives the same bytes)."""
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        out = _mutate_once(out, rng, text)
    return bytes(out)


# ---------------------------------------------------------------- reading one input


def _reader(fmt: str) -> Callable[[Path], Any]:
    if fmt in ("json", "glb", "gltf", "usda", "usdc", "usdz"):
        import exporters

        return exporters.load
    if fmt == "ply":
        from exporters.ply import read_ply

        return read_ply
    from scenegraph.appearance.captures import load_capture

    return load_capture if fmt == "colmap" else (lambda p: load_capture(p))


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_kb() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Alarm(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Alarm()


def run_input(fmt: str, files: dict[str, bytes], seed: int, work: Path, hard_limit_s: int = 60) -> dict:
    """Write the mutated input for ``seed`` into ``work`` and read it; the outcome as a dict."""
    from scenegraph.errors import SceneGraphError

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    names = list(files)
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    first = names[0]
    (work / first).write_bytes(mutate(files[first], seed, fmt in TEXT_FORMATS))
    target = work if fmt == "colmap" else work / first
    read = _reader(fmt)
    try:
        from exporters import _usd_guard
    except ImportError:  # pragma: no cover
        _usd_guard = None
    if _usd_guard is not None:
        _usd_guard.last_child_peak_kb = 0
    _reset_peak()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(hard_limit_s)
    t0 = time.perf_counter()
    outcome, detail = "loaded", ""
    try:
        read(target)
    except SceneGraphError as exc:
        outcome, detail = "typed", str(exc)[:200]
    except _Alarm:
        outcome, detail = "other", f"no answer within {hard_limit_s} s"
    except BaseException as exc:  # noqa: BLE001 - everything else is what the fuzzer looks for
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcome, detail = "other", "".join(traceback.format_exception_only(type(exc), exc)).strip()[:300]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    seconds = time.perf_counter() - t0
    peak = max(_peak_kb(), getattr(_usd_guard, "last_child_peak_kb", 0) or 0)
    return {"format": fmt, "seed": seed, "outcome": outcome, "seconds": seconds, "peak_kb": peak, "detail": detail}


def _worker_batch(args: tuple[str, dict[str, bytes], list[int], str]) -> list[dict]:
    fmt, files, seeds, scratch = args
    # a runaway reader raises MemoryError (counted as 'other') instead of taking the machine
    try:
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    except (ValueError, OSError):
        pass
    work = Path(scratch) / f"{os.getpid()}"
    if (fmt, os.getpid()) not in _WARM:  # the first read starts the USD reader process: not the input's time
        _WARM.add((fmt, os.getpid()))
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for name, data in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        try:
            _reader(fmt)(work if fmt == "colmap" else work / next(iter(files)))
        except Exception:
            pass
    return [run_input(fmt, files, s, work) for s in seeds]


_WARM: set = set()


def fuzz(per_format: int, seed: int = 0, workers: int = 2, formats: list[str] | None = None,
         progress: bool = False) -> dict:
    """Run ``per_format`` inputs of each format; returns {"formats": {fmt: counts}, "total": counts, "bad": [...]}."""
    formats = formats or FORMATS
    tmp = Path(tempfile.mkdtemp(prefix="scenegraph-fuzz-"))
    try:
        seeds = make_seeds(tmp / "seeds", formats)
        jobs = []
        chunk = 25
        for k, fmt in enumerate(formats):
            base = seed * 10_000_000 + k * 1_000_000
            ids = list(range(base, base + per_format))
            for i in range(0, len(ids), chunk):
                jobs.append((fmt, seeds[fmt], ids[i:i + chunk], str(tmp / "work")))
        results: list[dict] = []
        t0 = time.perf_counter()
        if workers <= 1:
            for j in jobs:
                results += _worker_batch(j)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for i, batch in enumerate(pool.map(_worker_batch, jobs)):
                    results += batch
                    if progress and i % 10 == 0:
                        print(f"{len(results)} inputs, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        return summarize(results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summarize(results: list[dict]) -> dict:
    table: dict[str, dict] = {}
    bad = []
    for r in results:
        row = table.setdefault(r["format"], {"inputs": 0, "loaded": 0, "typed": 0, "other": 0, "over_2s": 0, "over_1gb": 0,
                                             "seconds": 0.0, "max_s": 0.0, "max_peak_mb": 0})
        row["inputs"] += 1
        row[r["outcome"]] += 1
        row["seconds"] += r["seconds"]
        row["max_s"] = max(row["max_s"], r["seconds"])
        row["max_peak_mb"] = max(row["max_peak_mb"], r["peak_kb"] // 1024)
        slow, big = r["seconds"] > SLOW_S, r["peak_kb"] > BIG_KB
        row["over_2s"] += slow
        row["over_1gb"] += big
        if r["outcome"] == "other" or slow or big:
            bad.append(r)
    total = {k: sum(row[k] for row in table.values()) for k in ("inputs", "loaded", "typed", "other", "over_2s", "over_1gb")}
    for row in table.values():
        row["seconds"] = round(row["seconds"], 2)
        row["max_s"] = round(row["max_s"], 3)
    return {"formats": table, "total": total, "bad": bad}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-format", type=int, default=1200, help="inputs per format (default 1200: 10,800 in all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = fuzz(args.per_format, args.seed, args.workers, args.formats.split(","), progress=True)
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    out["bad"] = out["bad"][:50]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
