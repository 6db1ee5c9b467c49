"""scenegraph render --since: only the frames an edit changed are drawn again, the rest are kept."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from exporters import export
from scenegraph import pipeline
from scenegraph.cli import main
from scenegraph.world import simulate

FRAMES = "30:89:2"
WIDTH = "96"


def _car_scenes():
    """The car drive and the same with the car 1.5 m nearer the camera from frame 45 on (it leaves the view near 60)."""
    a = pipeline.build("a red car drives from left to right", seed=1, gaussians="none")
    b = a.copy()
    traj = b.trajectory_of("car_1")
    pos = np.array(traj.positions, dtype=float)
    pos[np.asarray(traj.times) >= 45 / 24, 2] += 1.5
    b.update(traj.id, positions=pos)
    return a, b


def _render(args, capsys):
    assert main(["render", *args, "--width", WIDTH, "--frames", FRAMES, "--quiet"]) == 0
    return capsys.readouterr()


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Recorded render of the original, --since render of the edit, and a full render of the edit."""
    import contextlib
    import io

    from scenegraph.render.since import read_record

    tmp = tmp_path_factory.mktemp("since")
    a, b = _car_scenes()
    export(a, tmp / "a.json")
    export(b, tmp / "b.json")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["render", str(tmp / "a.json"), "-o", str(tmp / "old"), "--width", WIDTH, "--frames", FRAMES, "--quiet"]) == 0
        with contextlib.redirect_stderr(err):
            assert main(["render", str(tmp / "b.json"), "-o", str(tmp / "new"), "--since", str(tmp / "old"),
                         "--width", WIDTH, "--frames", FRAMES, "--quiet"]) == 0
        assert main(["render", str(tmp / "b.json"), "-o", str(tmp / "full"), "--width", WIDTH, "--frames", FRAMES, "--quiet"]) == 0
    _, rec = read_record(tmp / "new")
    return tmp, b, rec["since"], err.getvalue()


def _plan(tmp: Path):
    from scenegraph.render.since import plan, read_record

    old, rec = read_record(tmp / "old")
    new = pipeline.load(tmp / "b.json")
    from scenegraph.render.since import settings_for

    return plan(old, simulate(old), new, simulate(new), settings_for(new, width=int(WIDTH)), rec, list(range(30, 89, 2)))


@pytest.mark.slow
def test_only_frames_where_the_moved_car_can_be_seen_are_rendered_again(renders):
    tmp, b, summary, err = renders
    p = _plan(tmp)
    tl = simulate(b)
    car_seen = {f for f in range(30, 89, 2) if tl.visibility["camera_1"].visible[f, tl.ids.index("car_1")]}
    assert p.render and set(p.render) <= set(range(45, 89))  # nothing before the edit
    assert car_seen & set(range(45, 89)) <= set(p.render)  # every edited frame showing the car
    assert set(p.boxes) and not (set(p.boxes) & car_seen)  # edited frames where it has left the view: boxes only
    assert all(f < 45 for f in p.reused)
    total = len(range(30, 89, 2))
    assert summary["copied"] == len(p.reused) and summary["rendered"] == len(p.render)
    assert summary["boxes_only"] == len(p.boxes) and summary["passes_only"] == len(p.passes) == 1  # frame 44: flow into 45
    assert f"reused {total - len(p.render)} of {total} frames, re-rendered {len(p.render)} (new passes for 1, new boxes for {len(p.boxes)})" in err


@pytest.mark.slow
def test_reused_frames_are_byte_identical_and_the_result_equals_a_full_render(renders):
    tmp, _, _, _ = renders
    p = _plan(tmp)
    for f in p.reused + sorted(p.boxes):
        for name in (f"rgb_{f:04d}.png", f"passes_{f:04d}.npz"):
            assert (tmp / "new" / name).read_bytes() == (tmp / "old" / name).read_bytes(), name
    # frames, passes, boxes and the index are what a full render of the edit gives, byte for byte
    names = sorted(q.name for q in (tmp / "full").iterdir() if q.name != "render.json")
    assert names == sorted(q.name for q in (tmp / "new").iterdir() if q.name != "render.json")
    for name in names:
        assert (tmp / "new" / name).read_bytes() == (tmp / "full" / name).read_bytes(), name
    # the boxes-only frames carry the car's new 3D box
    f = min(p.boxes)
    old_box = next(r for r in json.loads((tmp / "old" / f"boxes_{f:04d}.json").read_text())["entities"] if r["id"] == "car_1")
    new_box = next(r for r in json.loads((tmp / "new" / f"boxes_{f:04d}.json").read_text())["entities"] if r["id"] == "car_1")
    assert new_box["box_3d"]["center"][2] == pytest.approx(old_box["box_3d"]["center"][2] + 1.5, abs=1e-3)
    assert new_box["pixels"] == 0


@pytest.mark.slow
def test_rendered_again_frames_differ_where_the_car_was(renders):
    tmp, _, _, _ = renders
    p = _plan(tmp)
    car = json.loads((tmp / "old" / "passes.json").read_text())["ids"].index("car_1")
    changed_somewhere = 0
    for f in p.render:
        old, new = (np.load(tmp / d / f"passes_{f:04d}.npz") for d in ("old", "new"))
        diff = np.abs(old["rgb"] - new["rgb"]).max(axis=-1) > 1e-4
        car_px = (old["instance"] == car) | (new["instance"] == car)
        if car_px.any():
            changed_somewhere += 1
            assert diff[car_px].mean() > 0.3  # the car's pixels changed
            assert not diff[:10].any()  # the sky above does not
    assert changed_somewhere >= 3


def test_since_without_a_record_or_folder_is_one_line_and_exit_2(tmp_path, capsys):
    a, _ = _car_scenes()
    export(a, tmp_path / "a.json")
    (tmp_path / "plain").mkdir()
    for prev in ("missing", "plain"):
        out = tmp_path / f"out_{prev}"
        assert main(["render", str(tmp_path / "a.json"), "-o", str(out), "--since", str(tmp_path / prev), "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--since" in err and prev in err
        assert not out.exists()


def test_changed_settings_render_everything_and_an_unchanged_scene_nothing(tmp_path, capsys):
    a, _ = _car_scenes()
    export(a, tmp_path / "a.json")
    args = [str(tmp_path / "a.json"), "--frames", "40:44", "--quiet"]
    assert main(["render", *args, "-o", str(tmp_path / "r"), "--width", "48"]) == 0
    before = {q.name: q.read_bytes() for q in (tmp_path / "r").iterdir()}
    capsys.readouterr()
    assert main(["render", *args, "-o", str(tmp_path / "r"), "--width", "48", "--since", str(tmp_path / "r")]) == 0
    assert "reused 4 of 4 frames, re-rendered 0" in capsys.readouterr().err
    assert all((tmp_path / "r" / n).read_bytes() == data for n, data in before.items() if n.startswith(("rgb", "passes", "boxes")))
    assert main(["render", *args, "-o", str(tmp_path / "r2"), "--width", "64", "--since", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "reused 0 of 4 frames, re-rendered 4: render settings changed: height, width" in err
