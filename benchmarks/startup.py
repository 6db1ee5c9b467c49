"""Start-up: wall time of whole ``scenegraph build`` commands in fresh processes; prints JSON.

    python benchmarks/startup.py [--repeats 5] [--trees OTHER_CHECKOUT ...]

- ``one_car_glb_s``: ``python -m scenegraph.cli build "a red car" -o car.glb --quiet``
  (goal <= 0.3 s on a quiet machine);
- ``hundred_all_formats_s``: ``build "a parking lot with 100 cars"`` (about 100
  entities) to .json, .glb and .usdc in one command (goal <= 0.6 s).  The hundred cars are alike, so they
  share one Gaussian cloud, which each file stores once;
- ``hundred_mixed_all_formats_s``: the same for ``"a market square with 25 people, 25 benches, 25 lamps and
  25 cars"`` (145 entities with the square's kit): 25 walking characters, each with a skinned rig and a cloud
  of its own (no goal: what a scene that repeats less costs);
- ``import_cli_s``: ``python -c "import scenegraph.cli"``; ``python_s``: ``python -c pass``
  (the floor every command pays);
- ``modules_*``: whether networkx, pydantic, torch and pxr were imported by the one-car build.

Each figure is the median of ``--repeats`` runs after one warm-up (bytecode cached, as a pip install
leaves it: the runs get ``PYTHONPYCACHEPREFIX`` set to a temporary folder and ``PYTHONDONTWRITEBYTECODE``
removed, so a shell that sets it does not make every run compile every module from source, and no
``__pycache__`` is written into the trees).  ``--source`` keeps ``PYTHONDONTWRITEBYTECODE=1`` instead:
every run compiles what it imports (the figures this benchmark gave before it set the prefix).
``--trees`` runs the same commands with each other checkout on PYTHONPATH, interleaved
with this one, and adds ``<figure>@<tree>`` and ``<figure>_ratio@<tree>`` (other / this):
a baseline in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

PROBE = """
import sys, runpy
sys.argv = ["scenegraph"] + sys.argv[1:]
from scenegraph.cli import main
rc = main(sys.argv[1:])
mods = {m: m in sys.modules for m in ("networkx", "pydantic", "torch", "pxr")}
print("MODULES" + repr(mods), file=sys.stderr)
sys.exit(rc)
"""


def _env(tree: Path, cwd: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    if _SOURCE:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(cwd, "pycache")
    return env


_SOURCE = False


def _run(tree: Path, args: list[str], cwd: str) -> float:
    env = _env(tree, cwd)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {tree}: {r.stderr.strip()[-500:]}")
    return dt


def _modules(tree: Path, cwd: str) -> dict:
    env = _env(tree, cwd)
    r = subprocess.run([sys.executable, "-c", PROBE, "build", "a red car", "-o", "probe.glb", "--quiet"], cwd=cwd, env=env,
                       capture_output=True, text=True)
    line = next((ln for ln in r.stderr.splitlines() if ln.startswith("MODULES")), "MODULES{}")
    return eval(line[len("MODULES"):])  # noqa: S307 - our own probe's repr of a dict of bools


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--trees", nargs="*", default=[], help="other checkouts to time the same way (baselines)")
    ap.add_argument("--source", action="store_true", help="no bytecode cache: every run compiles what it imports")
    args = ap.parse_args()
    global _SOURCE
    _SOURCE = args.source
    trees = [HERE] + [Path(t).resolve() for t in args.trees]
    cases = {
        "python_s": ["-c", "pass"],
        "import_cli_s": ["-c", "import scenegraph.cli"],
        "one_car_glb_s": ["-m", "scenegraph.cli", "build", "a red car", "-o", "car.glb", "--quiet"],
        "hundred_all_formats_s": ["-m", "scenegraph.cli", "build", "a parking lot with 100 cars", "-o", "lot.json",
                                  "-o", "lot.glb", "-o", "lot.usdc", "--quiet"],
        "hundred_mixed_all_formats_s": ["-m", "scenegraph.cli", "build", "a market square with 25 people, 25 benches, "
                                        "25 lamps and 25 cars", "-o", "sq.json", "-o", "sq.glb", "-o", "sq.usdc", "--quiet"],
    }
    times: dict[tuple[str, int], list[float]] = {}
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for name, cmd in cases.items():
            for t in trees:  # warm-up: bytecode written, files cached
                _run(t, cmd, tmp)
            for _ in range(args.repeats):
                for k, t in enumerate(trees):  # interleaved, so load drifts hit every tree alike
                    times.setdefault((name, k), []).append(_run(t, cmd, tmp))
        out: dict = {"repeats": args.repeats, "bytecode": "compiled each run" if _SOURCE else "cached", "load_average_1min_start": round(load0, 2),
                     "load_average_1min_end": round(os.getloadavg()[0], 2)}
        for name in cases:
            out[name] = round(statistics.median(times[(name, 0)]), 3)
        for k, t in enumerate(trees[1:], start=1):
            for name in cases:
                other = statistics.median(times[(name, k)])
                out[f"{name}@{t}"] = round(other, 3)
                out[f"{name}_ratio@{t}"] = round(other / out[name], 2)
        out.update({f"modules_{m}": v for m, v in _modules(HERE, tmp).items()})
        try:
            from scenegraph.model.cpus import available_cores

            out["cores"] = available_cores()
        except ImportError:
            pass
    out["goals"] = {"one_car_glb_s": 0.3, "hundred_all_formats_s": 0.6}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
