"""Loading posed captures: nerfstudio transforms.json and COLMAP text models, and their errors."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from scenegraph.appearance.captures import linear_to_srgb, load_capture, srgb_to_linear  # noqa: E402
from scenegraph.appearance.mesh_render import render_mesh  # noqa: E402
from scenegraph.appearance.shapes import box_mesh  # noqa: E402
from scenegraph.world.views import GL_TO_CV, PinholeCamera, look_at  # noqa: E402
from scenegraph.errors import FormatError  # noqa: E402

W, H, F = 40, 30, 36.0
BOX = box_mesh((-0.3, 0.0, -0.3), (0.3, 0.6, 0.3))
COLOR = (0.9, 0.2, 0.1)
EYES = [(0.0, 0.8, 2.5), (2.0, 1.2, 1.5), (-1.8, 0.5, -1.6)]
TARGET = (0.0, 0.3, 0.0)
POINT = np.array([0.3, 0.3, 0.0])  # the middle of the box's +X face


def _cams() -> list[PinholeCamera]:
    return [PinholeCamera(W, H, F, F * 1.1, W / 2 + 1.5, H / 2 - 1.0, GL_TO_CV @ np.linalg.inv(look_at(e, TARGET))) for e in EYES]


def _project(cam: PinholeCamera, p: np.ndarray) -> np.ndarray:
    pc = cam.world_to_camera[:3, :3] @ p + cam.world_to_camera[:3, 3]
    return np.array([cam.fx * pc[0] / pc[2] + cam.cx, cam.fy * pc[1] / pc[2] + cam.cy])


def _save_png(path: Path, rgb: np.ndarray, alpha: np.ndarray | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.round(linear_to_srgb(rgb) * 255).astype(np.uint8)
    if alpha is not None:
        img = np.concatenate([img, np.round(alpha * 255).astype(np.uint8)[..., None]], axis=2)
    Image.fromarray(img).save(path)


def _renders() -> list[tuple[np.ndarray, np.ndarray]]:
    return [render_mesh(BOX, cam, COLOR)[:2] for cam in _cams()]


def _write_transforms(root: Path, **extra) -> Path:
    frames = []
    for i, (cam, (rgb, alpha)) in enumerate(zip(_cams(), _renders())):
        _save_png(root / "images" / f"frame_{i:03d}.png", rgb, alpha)
        frames.append({"file_path": f"images/frame_{i:03d}.png", "transform_matrix": look_at(EYES[i], TARGET).tolist()})
    meta = {"fl_x": F, "fl_y": F * 1.1, "cx": W / 2 + 1.5, "cy": H / 2 - 1.0, "w": W, "h": H, "frames": frames, **extra}
    path = root / "transforms.json"
    path.write_text(json.dumps(meta))
    return path


def _quat_wxyz(r: np.ndarray) -> list[float]:
    w = math.sqrt(max(0.0, 1.0 + r[0, 0] + r[1, 1] + r[2, 2])) / 2.0
    x = math.copysign(math.sqrt(max(0.0, 1.0 + r[0, 0] - r[1, 1] - r[2, 2])) / 2.0, r[2, 1] - r[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1.0 - r[0, 0] + r[1, 1] - r[2, 2])) / 2.0, r[0, 2] - r[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1.0 - r[0, 0] - r[1, 1] + r[2, 2])) / 2.0, r[1, 0] - r[0, 1])
    return [w, x, y, z]


def _write_colmap(root: Path, model: str = "PINHOLE", params: str | None = None) -> Path:
    cams = _cams()
    if params is None:
        params = f"{F} {F * 1.1} {W / 2 + 1.5} {H / 2 - 1.0}"
    (root / "sparse" / "0").mkdir(parents=True)
    (root / "sparse" / "0" / "cameras.txt").write_text(f"# Camera list\n# CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n1 {model} {W} {H} {params}\n")
    lines = ["# Image list with two lines of data per image:", "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME"]
    for i, (cam, (rgb, _)) in enumerate(zip(cams, _renders())):
        _save_png(root / "images" / f"img_{i}.png", rgb)
        q = _quat_wxyz(cam.world_to_camera[:3, :3])
        t = cam.world_to_camera[:3, 3]
        lines.append(f"{i + 1} {' '.join(repr(float(v)) for v in q)} {' '.join(repr(float(v)) for v in t)} 1 img_{i}.png")
        lines.append("" if i % 2 else "12.5 7.25 -1")  # points2D, sometimes empty
    (root / "sparse" / "0" / "images.txt").write_text("\n".join(lines) + "\n")
    return root


def _check_views(views, names) -> None:
    assert [v.name for v in views] == names
    for view, cam, (rgb, _) in zip(views, _cams(), _renders()):
        assert view.image.shape == (H, W, 3) and view.image.dtype == np.float32
        np.testing.assert_allclose(view.camera.world_to_camera, cam.world_to_camera, atol=1e-7)
        want = _project(cam, POINT)
        np.testing.assert_allclose(_project(view.camera, POINT), want, atol=1e-5)
        # the pixel the point projects to shows the box, in its (linear) colour
        col, row = int(want[0]), int(want[1])
        np.testing.assert_allclose(view.image[row, col], rgb[row, col], atol=0.01)
        assert view.image[row, col, 0] > 3 * view.image[row, col, 2]


def test_nerfstudio_transforms_reproject_a_known_point(tmp_path):
    views = load_capture(_write_transforms(tmp_path))
    _check_views(views, [f"images/frame_{i:03d}.png" for i in range(3)])
    for v, (_, alpha) in zip(views, _renders()):
        np.testing.assert_array_equal(v.alpha, alpha)  # RGBA keeps its mask
    assert load_capture(tmp_path)[0].name == views[0].name  # the folder works too


def test_nerfstudio_mask_becomes_alpha(tmp_path):
    path = _write_transforms(tmp_path)
    meta = json.loads(path.read_text())
    masks = []
    for i, (f, (rgb, alpha)) in enumerate(zip(meta["frames"], _renders())):
        Image.fromarray(np.round(rgb[..., 0] * 255).astype(np.uint8)).save(tmp_path / f"images/frame_{i:03d}.png")  # no alpha
        mask = (alpha > 0).astype(np.uint8) * 255
        Image.fromarray(mask).save(tmp_path / f"mask_{i}.png")
        f["mask_path"] = f"mask_{i}.png"
        masks.append(mask / 255.0)
    path.write_text(json.dumps(meta))
    for view, mask in zip(load_capture(path), masks):
        np.testing.assert_array_equal(view.alpha, mask)
    meta["frames"][2]["mask_path"] = "../../elsewhere.png"
    path.write_text(json.dumps(meta))
    with pytest.raises(FormatError, match=r"frames\[2\].mask_path.*leaves"):
        load_capture(path)


def test_blender_style_angle_and_missing_extension(tmp_path):
    path = _write_transforms(tmp_path)
    meta = json.loads(path.read_text())
    for k in ("fl_x", "fl_y", "cx", "cy", "w", "h"):
        del meta[k]
    meta["camera_angle_x"] = 2 * math.atan(W / (2 * F))
    for f in meta["frames"]:
        f["file_path"] = f["file_path"][: -len(".png")]
    path.write_text(json.dumps(meta))
    views = load_capture(path)
    assert views[0].camera.fx == pytest.approx(F) and views[0].camera.fy == pytest.approx(F)
    assert views[0].camera.cx == W / 2 and (views[0].camera.width, views[0].camera.height) == (W, H)


def test_colmap_text_model_reprojects_a_known_point(tmp_path):
    views = load_capture(_write_colmap(tmp_path))
    _check_views(views, [f"img_{i}.png" for i in range(3)])
    assert all(v.alpha is None for v in views)


def test_colmap_zero_distortion_changes_nothing(tmp_path):
    _write_colmap(tmp_path, "OPENCV", f"{F} {F * 1.1} {W / 2 + 1.5} {H / 2 - 1.0} 0 0 0 0")
    _check_views(load_capture(tmp_path), [f"img_{i}.png" for i in range(3)])


def test_downscale_halves_images_and_intrinsics(tmp_path):
    views = load_capture(_write_colmap(tmp_path), downscale=2)
    cam = views[0].camera
    assert views[0].image.shape == (H // 2, W // 2, 3)
    assert (cam.fx, cam.cx) == (F / 2, (W / 2 + 1.5) / 2)


def test_srgb_round_trip():
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(srgb_to_linear(linear_to_srgb(x)), x, atol=1e-12)
    assert srgb_to_linear(0.5) == pytest.approx(0.2140, abs=1e-4)


# -- errors ---------------------------------------------------------------------


def test_empty_capture_is_refused(tmp_path):
    (tmp_path / "transforms.json").write_text(json.dumps({"fl_x": 10, "w": 4, "h": 4, "frames": []}))
    with pytest.raises(FormatError, match="empty"):
        load_capture(tmp_path)
    (tmp_path / "transforms.json").unlink()
    (tmp_path / "images").mkdir()
    (tmp_path / "cameras.txt").write_text("1 PINHOLE 4 4 1 1 2 2\n")
    (tmp_path / "images.txt").write_text("# nothing\n")
    with pytest.raises(FormatError, match="empty"):
        load_capture(tmp_path)


def test_missing_image_is_named(tmp_path):
    _write_transforms(tmp_path)
    (tmp_path / "images" / "frame_001.png").unlink()
    with pytest.raises(FormatError, match=r"frames\[1\].*frame_001.png.*not found"):
        load_capture(tmp_path)


def test_image_size_must_match_the_camera(tmp_path):
    _write_transforms(tmp_path)
    Image.new("RGB", (W + 2, H)).save(tmp_path / "images" / "frame_002.png")
    with pytest.raises(FormatError, match=f"{W + 2}x{H}.*{W}x{H}"):
        load_capture(tmp_path)


def test_unknown_camera_models_are_refused(tmp_path):
    _write_colmap(tmp_path, "FULL_OPENCV", "1 1 1 1 0 0 0 0 0 0 0 0")
    with pytest.raises(FormatError, match="FULL_OPENCV"):
        load_capture(tmp_path)
    other = tmp_path / "ns"
    _write_transforms(other, camera_model="OPENCV_FISHEYE")
    with pytest.raises(FormatError, match="OPENCV_FISHEYE"):
        load_capture(other)


def test_paths_leaving_the_capture_folder_are_refused(tmp_path):
    root = tmp_path / "capture"
    path = _write_transforms(root)
    _save_png(tmp_path / "secret.png", np.zeros((H, W, 3)))
    meta = json.loads(path.read_text())
    meta["frames"][0]["file_path"] = "../secret.png"
    path.write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="leaves the capture folder"):
        load_capture(path)
    meta["frames"][0]["file_path"] = str(tmp_path / "secret.png")  # absolute
    path.write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="leaves the capture folder"):
        load_capture(path)


def test_malformed_files_are_refused(tmp_path):
    with pytest.raises(FormatError, match="no such capture"):
        load_capture(tmp_path / "nope")
    with pytest.raises(FormatError, match="no transforms.json"):
        load_capture(tmp_path)
    (tmp_path / "transforms.json").write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        load_capture(tmp_path)
    path = _write_transforms(tmp_path / "bad_matrix")
    meta = json.loads(path.read_text())
    meta["frames"][1]["transform_matrix"] = [[1, 0, 0]]
    path.write_text(json.dumps(meta))
    with pytest.raises(FormatError, match=r"frames\[1\].transform_matrix"):
        load_capture(path)
