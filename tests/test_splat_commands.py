"""`scenegraph attach` and `scenegraph fit`: splats from captures into scenes and .ply files."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from exporters.ply import read_ply
from scenegraph.model.serialize import load_json, save_json

from tests.test_model import street


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenegraph.cli", *args], capture_output=True, text=True, timeout=300)


def test_attach_fits_a_real_capture_into_the_entity_bounds(tmp_path, train_ply):
    scene_path = tmp_path / "scene.json"
    save_json(street(), scene_path)
    r = run("attach", str(scene_path), "car_1", str(train_ply))
    assert r.returncode == 0, r.stderr
    car = load_json(scene_path).entity("car_1")
    g = car.gaussians
    assert len(g) == 1000 and g.sh_degree == 3
    lo, hi = car.bounds
    assert np.all(g.means >= lo - 1e-4) and np.all(g.means <= hi + 1e-4)
    assert g.means[:, 1].min() == pytest.approx(lo[1], abs=1e-4)  # resting on the entity's floor
    # everything else about the scene is untouched
    assert load_json(scene_path).entity("bus_1") == street().entity("bus_1")


def test_attach_no_fit_keeps_the_capture_as_is(tmp_path, train_ply):
    scene_path, out = tmp_path / "scene.json", tmp_path / "with_splat.json"
    save_json(street(), scene_path)
    r = run("attach", str(scene_path), "bus_1", str(train_ply), "--no-fit", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert load_json(out).entity("bus_1").gaussians == read_ply(train_ply)
    assert load_json(scene_path).entity("bus_1").gaussians is None  # -o leaves the input alone


def test_attach_refuses_bad_input_and_leaves_the_scene(tmp_path, train_ply):
    scene_path = tmp_path / "scene.json"
    save_json(street(), scene_path)
    before = scene_path.read_bytes()
    bad = tmp_path / "bad.ply"
    bad.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 99999999\nproperty float x\nend_header\n")
    r = run("attach", str(scene_path), "car_1", str(bad))
    assert r.returncode == 2 and "bad.ply" in r.stderr
    r = run("attach", str(scene_path), "ghost_1", str(train_ply))
    assert r.returncode == 2 and "ghost_1" in r.stderr
    assert scene_path.read_bytes() == before


def _ring_capture(root, n: int = 12):
    """A nerfstudio capture: n 40x30 renders of a 0.6 m red box on the ground, cameras on a ring."""
    import json

    from scenegraph.appearance.mesh_render import render_mesh
    from scenegraph.appearance.shapes import box_mesh
    from scenegraph.world.views import GL_TO_CV, PinholeCamera, look_at
    from tests.test_captures import _save_png

    box = box_mesh((-0.3, 0.0, -0.3), (0.3, 0.6, 0.3))
    frames = []
    for i in range(n):
        a = 2 * np.pi * i / n
        c2w = look_at((2.2 * np.sin(a), 1.0 + 0.3 * (i % 2), 2.2 * np.cos(a)), (0.0, 0.3, 0.0))
        cam = PinholeCamera(40, 30, 36.0, 36.0, 20.0, 15.0, GL_TO_CV @ np.linalg.inv(c2w))
        rgb, alpha, _ = render_mesh(box, cam, (0.9, 0.2, 0.1))
        _save_png(root / "images" / f"frame_{i:03d}.png", rgb, alpha)
        frames.append({"file_path": f"images/frame_{i:03d}.png", "transform_matrix": c2w.tolist()})
    path = root / "transforms.json"
    path.write_text(json.dumps({"fl_x": 36.0, "fl_y": 36.0, "cx": 20.0, "cy": 15.0, "w": 40, "h": 30, "frames": frames}))
    return path


@pytest.mark.slow
def test_fit_writes_a_ply_from_a_nerfstudio_capture(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("PIL")
    capture = _ring_capture(tmp_path / "capture")
    out = tmp_path / "splat.ply"
    r = run("fit", str(capture), "-o", str(out), "--steps", "60", "--gaussians", "400", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "held-out PSNR" in r.stdout
    g = read_ply(out)
    assert 0 < len(g) <= 400
    # the capture shows a 0.6 m box on the ground at the origin: the splats gather around it
    centre = np.median(g.means, axis=0)
    assert np.all(np.abs(centre - [0.0, 0.3, 0.0]) < 0.25), centre
    assert np.median(g.colors, axis=0)[0] > 0.5  # red


def test_fit_refuses_an_empty_capture_and_a_wrong_suffix(tmp_path):
    (tmp_path / "transforms.json").write_text('{"fl_x": 10, "w": 8, "h": 8, "frames": []}')
    r = run("fit", str(tmp_path / "transforms.json"), "-o", str(tmp_path / "out.ply"))
    assert r.returncode == 2 and not (tmp_path / "out.ply").exists()
    r = run("fit", str(tmp_path / "transforms.json"), "-o", str(tmp_path / "out.glb"))
    assert r.returncode == 2 and ".ply" in r.stderr
