"""scenegraph batch: one folder per prompt, a manifest, failures alone, resume, same bytes anywhere."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from scenegraph import batch
from scenegraph.cli import main

PROMPTS = ["a red car drives from left to right", "zzzz qqqq", "a dog runs past a bench"]


def _write(tmp_path: Path, lines: list[str], name: str = "prompts.txt") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _manifest(folder: Path) -> list[dict]:
    return [json.loads(ln) for ln in (folder / "manifest.jsonl").read_text().splitlines()]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.jsonl"}


def test_a_bad_prompt_fails_alone_with_its_line_and_the_exit_code_says_so(tmp_path, capsys):
    prompts = _write(tmp_path, [PROMPTS[0], "", PROMPTS[1], PROMPTS[2]])
    out = tmp_path / "out"
    assert main(["batch", str(prompts), "-o", str(out), "--formats", "json,glb", "--workers", "1", "--quiet"]) == 1
    recs = {r["id"]: r for r in _manifest(out)}
    assert [r["status"] for r in _manifest(out)] == ["done", "failed", "done"]  # PROMPTS order, one line per item
    bad = recs["00003"]
    assert bad["line"] == 3 and bad["prompt"] == "zzzz qqqq" and bad["error"].startswith("line 3: ")
    assert "zzzz" in bad["error"] and not (out / "00003").exists()
    for i in ("00001", "00004"):
        assert recs[i]["files"] == ["scene.json", "scene.glb", "metadata.json"]
        assert all((out / i / f).is_file() for f in recs[i]["files"])
        assert recs[i]["timings"]["total_s"] > 0
    meta = json.loads((out / "00001" / "metadata.json").read_text())
    car = next(e for e in meta["instances"] if e["class"] == "car")
    pos = np.array(car["positions"])
    assert pos.shape == (meta["scene"]["frame_count"], 3) and pos[-1, 0] > pos[0, 0] + 1  # drives left to right
    assert "failed 00003: line 3:" in capsys.readouterr().err
    assert not (out / ".staging").exists()
    # the same prompts, all good: exit 0
    good = _write(tmp_path, [PROMPTS[0]], "good.txt")
    assert main(["batch", str(good), "-o", str(tmp_path / "good"), "--formats", "json", "--workers", "0", "--quiet"]) == 0


def test_jsonl_items_overrides_and_malformed_lines(tmp_path):
    lines = [json.dumps({"id": "car", "prompt": PROMPTS[0], "seed": 7, "duration": 2}),
             "{not json", json.dumps({"prompt": "a bus", "colour": "red"}), json.dumps({"id": "car", "prompt": "a dog"})]
    prompts = _write(tmp_path, lines, "items.jsonl")
    res = batch.run(prompts, tmp_path / "out", formats=["json"], workers=0, progress=False)
    assert res.done == ["car"] and not res.ok
    recs = {r["line"]: r for r in res.records}
    assert recs[1]["seed"] == 7
    assert recs[2]["error"].startswith("line 2: not JSON")
    assert "unknown field 'colour'" in recs[3]["error"]
    assert recs[4]["error"] == "line 4: id is already used on line 1"
    meta = json.loads((tmp_path / "out" / "car" / "metadata.json").read_text())
    assert meta["scene"]["seed"] == 7 and meta["scene"]["duration"] == 2.0


def test_rerun_skips_finished_items_untouched_and_retries_failed_ones(tmp_path):
    prompts = _write(tmp_path, [PROMPTS[0], PROMPTS[2]])
    out = tmp_path / "out"
    first = batch.run(prompts, out, formats=["json", "glb"], workers=1, progress=False)
    assert first.done == ["00001", "00002"]
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file() and p.name != "manifest.jsonl"}
    # a failed item recorded by an earlier run (say the disk was full) is retried; the finished one is skipped
    lines = (out / "manifest.jsonl").read_text().splitlines()
    rec = json.loads(lines[1])
    rec.update(status="failed", error="No space left on device", files=[])
    (out / "manifest.jsonl").write_text(lines[0] + "\n" + json.dumps(rec) + "\n")
    again = batch.run(prompts, out, formats=["json", "glb"], workers=1, progress=False)
    assert again.skipped == ["00001"] and again.done == ["00002"] and again.ok
    for p, (mtime, data) in stamps.items():
        if "00001" in str(p):
            assert p.stat().st_mtime_ns == mtime and p.read_bytes() == data
    assert [r["status"] for r in _manifest(out)] == ["done", "done"]
    # other options change the content key: the item is made again
    third = batch.run(prompts, out, formats=["json"], workers=1, progress=False)
    assert third.done == ["00001", "00002"] and not third.skipped


@pytest.mark.slow
def test_same_bytes_with_one_and_two_workers(tmp_path):
    prompts = _write(tmp_path, [PROMPTS[0], PROMPTS[2], "a person walks to a blue bus"])
    a = batch.run(prompts, tmp_path / "a", workers=1, progress=False)
    b = batch.run(prompts, tmp_path / "b", workers=2, progress=False)
    assert a.ok and b.ok
    ta, tb = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert len(ta) == 15 and ta == tb  # json, glb, usdc, its sky image (exporters/_usd_sky.py), metadata per item
    assert {r["worker"] for r in b.records} != {r["worker"] for r in a.records}


def test_a_full_disk_fails_that_item_only_and_leaves_no_half_item(tmp_path, monkeypatch):
    from scenegraph import pipeline

    real = pipeline.export

    def export(scene, path, **kw):
        if "dog" in (scene.prompt or "") and str(path).endswith(".glb"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(scene, path, **kw)

    monkeypatch.setattr(pipeline, "export", export)
    prompts = _write(tmp_path, [PROMPTS[0], PROMPTS[2], "a red car"])
    out = tmp_path / "out"
    res = batch.run(prompts, out, formats=["json", "glb"], workers=0, progress=False)
    assert res.done == ["00001", "00003"] and res.failed == ["00002"]
    rec = next(r for r in _manifest(out) if r["id"] == "00002")
    assert "No space left on device" in rec["error"] and rec["files"] == []
    assert sorted(p.name for p in out.iterdir()) == ["00001", "00003", "manifest.jsonl"]  # nothing half-made


def _children() -> set[int]:
    out = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def test_a_killed_worker_fails_its_item_and_the_batch_goes_on(tmp_path):
    prompts = _write(tmp_path, [PROMPTS[0], PROMPTS[2], "a red car"])
    out = tmp_path / "out"
    before = _children()

    def killer():  # kill the worker while the second item is being made (its staging folder exists)
        deadline = time.time() + 120
        while time.time() < deadline and not list((out / ".staging").glob("00002.*")):
            time.sleep(0.002)
        for pid in _children() - before:
            os.kill(pid, signal.SIGKILL)

    t = threading.Thread(target=killer)
    t.start()
    res = batch.run(prompts, out, formats=["json"], render=True, frames="0:3", width=64, workers=1, progress=False)
    t.join()
    assert res.done == ["00001", "00003"] and res.failed == ["00002"]
    rec = _manifest(out)[1]
    assert "worker process died" in rec["error"]
    assert not (out / "00002").exists() and not (out / ".staging").exists()
    assert len(list((out / "00003" / "frames").glob("rgb_*.png"))) == 3
    again = batch.run(prompts, out, formats=["json"], render=True, frames="0:3", width=64, workers=1, progress=False)
    assert again.done == ["00002"] and again.skipped == ["00001", "00003"]


@pytest.mark.slow
def test_an_interrupted_run_resumes(tmp_path):
    prompts = _write(tmp_path, [PROMPTS[0], PROMPTS[2], "a red car", "a person walks to a blue bus"])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "scenegraph.cli", "batch", str(prompts), "-o", str(out), "--workers", "1", "--quiet",
           "--formats", "json,glb", "--render", "--frames", "0:2", "--width", "64"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "manifest.jsonl").is_file() or not (out / "manifest.jsonl").read_text():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = [r["id"] for r in batch.read_manifest(out).values() if r["status"] == "done"]
    assert done and len(done) < 4
    stamp = (out / done[0] / "metadata.json").stat().st_mtime_ns
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert [r["status"] for r in _manifest(out)] == ["done"] * 4
    assert (out / done[0] / "metadata.json").stat().st_mtime_ns == stamp
    assert f"{len(done)} already done" in res.stdout and not (out / ".staging").exists()


@pytest.mark.slow
def test_a_real_local_ray_makes_the_same_bytes(tmp_path):
    pytest.importorskip("ray")
    prompts = _write(tmp_path, [PROMPTS[0], PROMPTS[1], PROMPTS[2]])
    a = batch.run(prompts, tmp_path / "pool", formats=["json", "glb"], workers=1, progress=False)
    r = batch.run(prompts, tmp_path / "ray", formats=["json", "glb"], workers=2, ray="local", progress=False)
    assert sorted(r.done) == ["00001", "00003"] and r.failed == ["00002"]
    assert _tree(tmp_path / "pool") == _tree(tmp_path / "ray")
    assert r.records[1]["error"] == a.records[1]["error"]


def test_an_unreachable_ray_address_is_one_line_and_exit_2(tmp_path):
    prompts = _write(tmp_path, [PROMPTS[0]])
    res = subprocess.run([sys.executable, "-m", "scenegraph.cli", "batch", str(prompts), "-o", str(tmp_path / "o"),
                          "--ray", "127.0.0.1:9"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "no Ray cluster answers" in res.stderr
    assert not (tmp_path / "o" / "manifest.jsonl").exists()
