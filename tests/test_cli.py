"""The command line: help everywhere, a stable inspect --json, exit code 2 on bad input."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from scenegraph.cli import main
from scenegraph.model.serialize import save_json

from tests.test_model import street

COMMANDS = ["build", "simulate", "inspect", "export", "schema", "attach", "fit", "render"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenegraph.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: scenegraph {command}" in out


def test_inspect_json_is_the_stable_form(tmp_path, capsys):
    p = tmp_path / "scene.json"
    save_json(street(), p)
    assert main(["inspect", str(p), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"fps", "duration", "entities", "materials", "trajectories", "relations"}
    assert data["fps"] == 24 and data["duration"] == 4.0
    car = data["entities"][0]
    assert set(car) == {"id", "name", "class", "kind", "material", "parent", "trajectory", "bounds"}
    assert car == {
        "id": "car_1",
        "name": "car_1",
        "class": "car",
        "kind": "object",
        "material": "mat_red_paint",
        "parent": None,
        "trajectory": "traj_car_1",
        "bounds": [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]],
    }
    assert data["entities"][1]["parent"] == "car_1"
    assert {e["id"]: e["kind"] for e in data["entities"]}["camera_1"] == "camera"
    assert data["materials"] == [{"id": "mat_red_paint", "base_color": [0.8, 0.02, 0.02], "metallic": 0.3, "roughness": 0.4}]
    assert data["relations"] == [{"subject": "bus_1", "rel": "behind", "object": "car_1"}]
    assert data["trajectories"][0]["id"] == "traj_car_1"


def test_inspect_text_names_every_entity(tmp_path, capsys):
    p = tmp_path / "scene.json"
    save_json(street(), p)
    assert main(["inspect", str(p)]) == 0
    out = capsys.readouterr().out
    for eid in ("car_1", "driver_1", "bus_1", "camera_1", "sun"):
        assert eid in out
    assert "bus_1 behind car_1" in out
    assert "4 s at 24 fps (frames 0-96)" in out


def test_bad_input_exits_2_with_message_on_stderr(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    r = run("inspect", str(bad))
    assert r.returncode == 2
    assert "invalid JSON" in r.stderr and r.stdout == ""
    r = run("inspect", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_bad_usage_exits_2():
    r = run("build")
    assert r.returncode == 2 and "prompt" in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2
    r = run("build", "a car", "-o", "x.json", "--fps", "-3")
    assert r.returncode == 2 and "positive" in r.stderr


def test_export_converts_and_refuses_unknown_suffix(tmp_path):
    src = tmp_path / "scene.json"
    save_json(street(), src)
    out = tmp_path / "copy.json"
    r = run("export", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text() == src.read_text()
    r = run("export", str(src), "-o", str(tmp_path / "scene.fbx"))
    assert r.returncode == 2 and ".fbx" in r.stderr
    assert not (tmp_path / "scene.fbx").exists()


def test_an_unknown_output_suffix_is_refused_before_anything_is_written(tmp_path):
    good, bad = tmp_path / "scene.json", tmp_path / "scene.fbx"
    r = run("build", "a red car drives from left to right", "-o", str(good), "-o", str(bad))
    assert r.returncode == 2 and ".fbx" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_bare_import_is_light():
    code = (
        "import sys, scenegraph, exporters\n"
        "heavy = [m for m in ('torch', 'gsplat', 'diffusers', 'transformers', 'pxr', 'bpy', 'scipy') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


@pytest.mark.slow
def test_render_writes_frames_over_the_background_asked_for(tmp_path):
    """`scenegraph render --background`: the sky pixels of the PNG are that colour, sRGB-encoded; a bad
    colour is a usage error."""
    import json as _json

    Image = pytest.importorskip("PIL.Image")
    pytest.importorskip("torch")

    scene_path = tmp_path / "s.json"
    assert run("build", "a red car drives from left to right", "--duration", "2", "-o", str(scene_path)).returncode == 0
    out = tmp_path / "frames"
    r = run("render", str(scene_path), "-o", str(out), "--frames", "0", "--width", "64", "--background", "0.2,0.4,0.8")
    assert r.returncode == 0, r.stderr
    index = _json.loads((out / "passes.json").read_text())
    assert [f["frame"] for f in index["frames"]] == [0]
    rgb = np.asarray(Image.open(out / "rgb_0000.png").convert("RGB"))
    srgb = [round(255 * (1.055 * c ** (1 / 2.4) - 0.055)) for c in (0.2, 0.4, 0.8)]
    assert np.abs(rgb[0, 0].astype(int) - srgb).max() <= 1  # top-left: sky
    bad = run("render", str(scene_path), "-o", str(tmp_path / "x"), "--background", "red")
    assert bad.returncode == 2 and "R,G,B" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_the_console_command_runs_main_and_leaves_its_objects_to_the_process_end(tmp_path):
    import gc

    from scenegraph.cli import run

    try:
        assert run(["build", "a red car", "-o", str(tmp_path / "car.glb"), "--quiet"]) == 0
        assert (tmp_path / "car.glb").stat().st_size > 1000
        assert gc.get_freeze_count() > 0  # the last collection at exit skips them
        assert run(["build", "a red car", "-o", str(tmp_path / "car.txt")]) == 2  # main's code, as main returns it
    finally:
        gc.unfreeze()
