"""COLMAP binary models, points3D initialisation and lens undistortion, on small captures made here."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL")

from scenegraph.appearance.captures import load_capture  # noqa: E402
from scenegraph.appearance.colmap import distort_normalized, points_to_gaussians, read_points3d  # noqa: E402
from scenegraph.errors import FormatError  # noqa: E402
from tests.test_captures import BOX, F, H, W, _cams, _check_views, _quat_wxyz, _renders, _save_png  # noqa: E402

MODEL_ID = {"SIMPLE_PINHOLE": 0, "PINHOLE": 1, "SIMPLE_RADIAL": 2, "RADIAL": 3, "OPENCV": 4, "FULL_OPENCV": 6}


def _write_bin(root: Path, model: str = "PINHOLE", params=None, images=None, points: bool = True) -> Path:
    """cameras.bin, images.bin, points3D.bin in root/sparse/0 (COLMAP's layout), pictures in root/images."""
    d = root / "sparse" / "0"
    d.mkdir(parents=True)
    params = params if params is not None else [F, F * 1.1, W / 2 + 1.5, H / 2 - 1.0]
    (d / "cameras.bin").write_bytes(struct.pack("<Q", 1) + struct.pack("<iiQQ", 1, MODEL_ID[model], W, H) + struct.pack(f"<{len(params)}d", *params))
    body = b""
    images = images if images is not None else [(rgb, None) for rgb, _ in _renders()]
    for i, (cam, (rgb, _)) in enumerate(zip(_cams(), images)):
        _save_png(root / "images" / f"img_{i}.png", rgb)
        q, t = _quat_wxyz(cam.world_to_camera[:3, :3]), cam.world_to_camera[:3, 3]
        body += struct.pack("<idddddddi", i + 1, *q, *t, 1) + f"img_{i}.png".encode() + b"\0"
        body += struct.pack("<Q", 2) + struct.pack("<ddq", 10.0, 5.0, 1) + struct.pack("<ddq", 3.0, 4.0, -1)
    (d / "images.bin").write_bytes(struct.pack("<Q", len(images)) + body)
    if points:
        pts = BOX.positions[:20]
        out = struct.pack("<Q", len(pts))
        for i, p in enumerate(pts):
            out += struct.pack("<QdddBBBdQ", i + 1, *p, 230, 50, 20, 0.5, 2) + struct.pack("<iiii", 1, 0, 2, 1)
        (d / "points3D.bin").write_bytes(out)
    return root


def test_binary_model_reprojects_a_known_point(tmp_path):
    views = load_capture(_write_bin(tmp_path))
    _check_views(views, [f"img_{i}.png" for i in range(3)])


def test_binary_points3d_are_read_and_start_a_cloud(tmp_path):
    _write_bin(tmp_path)
    xyz, rgb = read_points3d(tmp_path / "sparse" / "0")
    np.testing.assert_allclose(xyz, BOX.positions[:20])
    assert rgb.shape == (20, 3) and tuple(rgb[0]) == (230, 50, 20)
    g = points_to_gaussians(xyz, rgb, budget=10, seed=0)
    assert len(g) == 10 and np.all(g.scales > 0)
    # every mean sits on a COLMAP point, coloured red like it
    assert np.min(np.linalg.norm(g.means[:, None] - xyz[None], axis=-1), axis=1).max() < 1e-9
    from scenegraph.model.gaussians import sh_to_rgb

    c = sh_to_rgb(g.sh[:, 0])
    assert np.all(c[:, 0] > 3 * c[:, 2])


def test_text_points3d_are_read(tmp_path):
    (tmp_path / "points3D.txt").write_text("# 3D point list\n1 0.5 1.0 -2 255 0 0 0.3 1 0 2 1\n2 0 0 0 0 255 0 0.1\n")
    xyz, rgb = read_points3d(tmp_path)
    np.testing.assert_allclose(xyz, [[0.5, 1.0, -2.0], [0, 0, 0]])
    assert rgb.tolist() == [[255, 0, 0], [0, 255, 0]]


def test_truncated_or_unsupported_binary_models_are_format_errors(tmp_path):
    root = _write_bin(tmp_path / "a")
    data = (root / "sparse" / "0" / "images.bin").read_bytes()
    (root / "sparse" / "0" / "images.bin").write_bytes(data[:50])
    with pytest.raises(FormatError, match="images.bin: truncated"):
        load_capture(root)
    root = _write_bin(tmp_path / "b", "FULL_OPENCV", [F, F, W / 2, H / 2] + [0.0] * 8)
    with pytest.raises(FormatError, match="FULL_OPENCV is not supported"):
        load_capture(root)


def _pattern(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A smooth colour field over undistorted normalised coordinates."""
    return np.stack([0.5 + 0.4 * np.sin(9 * x), 0.5 + 0.4 * np.cos(8 * y), 0.5 + 0.3 * np.sin(5 * x + 6 * y)], axis=-1)


@pytest.mark.parametrize("model, extra", [("SIMPLE_RADIAL", [-0.3]), ("OPENCV", [-0.25, 0.05, 0.01, -0.01])])
def test_distorted_pictures_are_undistorted(tmp_path, model, extra):
    fx, fy, cx, cy = F, F * 1.1, W / 2 + 1.5, H / 2 - 1.0
    params = ([fx, cx, cy] if model == "SIMPLE_RADIAL" else [fx, fy, cx, cy]) + extra
    if model == "SIMPLE_RADIAL":
        fy = fx
    # what the lens recorded: each distorted pixel shows the undistorted point that maps onto it (inverted by iteration)
    ys, xs = np.mgrid[0:H, 0:W]
    xd, yd = (xs + 0.5 - cx) / fx, (ys + 0.5 - cy) / fy
    x, y = xd.copy(), yd.copy()
    for _ in range(50):
        ex, ey = distort_normalized(x, y, model, extra)
        x, y = x - (ex - xd), y - (ey - yd)
    linear = _pattern(x, y) ** 2.2
    _write_bin(tmp_path, model, params, images=[(linear, None)] * 3, points=False)
    views = load_capture(tmp_path)
    truth = _pattern((xs + 0.5 - cx) / fx, (ys + 0.5 - cy) / fy) ** 2.2
    inner = (slice(4, H - 4), slice(4, W - 4))
    err = np.abs(views[0].image[inner] - truth[inner]).mean()
    raw = np.abs(linear[inner] - truth[inner]).mean()
    assert raw > 0.01  # the distortion is visible ...
    assert err < 0.25 * raw  # ... and undistortion removes most of it (the rest is 8-bit and bilinear)


@pytest.mark.slow
def test_fit_starts_from_the_colmap_points(tmp_path):
    pytest.importorskip("torch")
    from scenegraph import pipeline

    _write_bin(tmp_path)
    res = pipeline.fit_capture(tmp_path, tmp_path / "fit.ply", steps=3, num_gaussians=500, progress=False)
    assert len(res.gaussians) == 20  # one per COLMAP point, not a random start of 250
    assert np.min(np.linalg.norm(res.gaussians.means[:, None] - BOX.positions[None, :20], axis=-1), axis=1).max() < 0.05
    plain = pipeline.fit_capture(tmp_path, tmp_path / "fit2.ply", steps=3, num_gaussians=500, progress=False, init_points=False)
    assert len(plain.gaussians) != 20
