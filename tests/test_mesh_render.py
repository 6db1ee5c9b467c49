"""The numpy mesh renderer: coverage, colour, depth and occlusion, and orbiting proxy views."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.appearance.mesh_render import DEFAULT_AMBIENT, orbit_cameras, render_mesh, render_proxy_views
from scenegraph.appearance.proxy import proxy_colors, proxy_mesh
from scenegraph.appearance.shapes import box_mesh, merge
from scenegraph.world.views import GL_TO_CV, PinholeCamera, look_at
from scenegraph.errors import ModelError


def _camera(eye, target=(0.0, 0.0, 0.0), size=(128, 128), f=100.0) -> PinholeCamera:
    w, h = size
    return PinholeCamera(w, h, f, f, w / 2.0, h / 2.0, GL_TO_CV @ np.linalg.inv(look_at(eye, target)))


def test_box_seen_from_the_front_covers_its_projected_rectangle():
    # front face z = 0.5 at 4.5 m: x = +-0.5 projects to 64 +- 100 * 0.5 / 4.5 = 52.89 .. 75.11
    cam = _camera((0.0, 0.0, 5.0))
    light = (0.0, 0.6, 0.8)
    rgb, alpha, depth = render_mesh(box_mesh((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5)), cam, (0.8, 0.4, 0.2), light_dir=light)
    covered = np.argwhere(alpha > 0)
    assert covered.min(axis=0).tolist() == [53, 53] and covered.max(axis=0).tolist() == [74, 74]
    assert alpha[53:75, 53:75].all() and alpha.sum() == 22 * 22
    shade = DEFAULT_AMBIENT + (1 - DEFAULT_AMBIENT) * 0.8  # normal +Z against the light
    np.testing.assert_allclose(rgb[53:75, 53:75], np.broadcast_to(np.array([0.8, 0.4, 0.2]) * shade, (22, 22, 3)), atol=1e-6)
    np.testing.assert_allclose(depth[53:75, 53:75], 4.5, atol=1e-5)
    assert np.all(rgb[alpha == 0] == 0) and np.all(depth[alpha == 0] == 0)
    assert rgb.dtype == np.float32 and alpha.dtype == np.float32 and depth.dtype == np.float32


def test_off_centre_point_lands_on_its_projected_pixel():
    cam = _camera((0.0, 0.0, 5.0), size=(96, 64), f=80.0)
    # a small box centred at (1, 0.5, 0): image x = 48 + 80*1/5 = 64, image y = 32 - 80*0.5/5 = 24
    rgb, alpha, _ = render_mesh(box_mesh((0.95, 0.45, -0.05), (1.05, 0.55, 0.05)), cam, (1, 1, 1))
    rows, cols = np.nonzero(alpha)
    assert rows.mean() + 0.5 == pytest.approx(24.0, abs=0.5) and cols.mean() + 0.5 == pytest.approx(64.0, abs=0.5)


def test_nearer_surface_hides_the_farther_one():
    near = box_mesh((-0.2, -0.2, 1.0), (0.2, 0.2, 1.4))  # front face at z = 1.4
    far = box_mesh((-1.0, -1.0, -1.0), (1.0, 1.0, -0.6))
    tints = np.concatenate([np.full((24, 3), 0.5), np.ones((24, 3))])
    rgb, alpha, depth = render_mesh(merge([near, far]), _camera((0.0, 0.0, 5.0)), (1, 1, 1), vertex_colors=tints, light_dir=(0, 0, 1))
    assert depth[64, 64] == pytest.approx(3.6, abs=1e-5)  # the near box
    np.testing.assert_allclose(rgb[64, 64], 0.5, atol=1e-6)
    assert depth[64, 50] == pytest.approx(5.6, abs=1e-5)  # the far box around it
    np.testing.assert_allclose(rgb[64, 50], 1.0, atol=1e-6)


def test_depth_is_perspective_correct_on_a_slanted_floor():
    cam = _camera((0.0, 3.0, 6.0), target=(0.0, 0.0, 0.0))
    rgb, alpha, depth = render_mesh(box_mesh((-3, -0.1, -3), (3, 0.0, 3)), cam, (1, 1, 1))
    rows, cols = np.nonzero((alpha > 0))
    c2w = cam.camera_to_world
    # each pixel ray (OpenCV camera frame) meets the floor y = 0 at a depth z
    x = (cols + 0.5 - cam.cx) / cam.fx
    y = (rows + 0.5 - cam.cy) / cam.fy
    dirs = np.stack([x, y, np.ones_like(x)], axis=1) @ c2w[:3, :3].T
    z_hit = -c2w[1, 3] / dirs[:, 1]
    top = np.abs(dirs[:, 1]) > 1e-9
    inside = top & (np.abs(c2w[0, 3] + z_hit * dirs[:, 0]) < 2.9) & (np.abs(c2w[2, 3] + z_hit * dirs[:, 2]) < 2.9)
    np.testing.assert_allclose(depth[rows[inside], cols[inside]], z_hit[inside], rtol=1e-5)


def test_ground_reaching_behind_the_camera_is_clipped_not_dropped():
    # a 160 m ground box; the camera 1.6 m above it looks at the horizon: the lower half is ground
    cam = _camera((0.0, 1.6, 0.0), target=(0.0, 1.6, -10.0), size=(64, 48), f=40.0)
    ground = box_mesh((-80.0, -0.1, -80.0), (80.0, 0.0, 80.0))
    rgb, alpha, depth = render_mesh(ground, cam, (0.3, 0.6, 0.2))
    assert alpha[:24].sum() == 0  # sky above the horizon
    assert alpha[26:].all()  # ground everywhere below it, up to the bottom edge
    rows = np.arange(26, 48)
    want = 1.6 * cam.fy / (rows + 0.5 - cam.cy)  # ray depth where each row's centre meets y = 0
    np.testing.assert_allclose(depth[26:, 32], want, rtol=1e-5)


def test_back_faces_and_things_behind_the_camera_are_not_drawn():
    cam = _camera((0.0, 0.0, 5.0))
    behind = box_mesh((-0.5, -0.5, 6.0), (0.5, 0.5, 7.0))
    _, alpha, _ = render_mesh(behind, cam, (1, 1, 1))
    assert alpha.sum() == 0
    inside = box_mesh((-10, -10, -10), (10, 10, 10))  # camera inside: all faces point away
    _, alpha, _ = render_mesh(inside, cam, (1, 1, 1))
    assert alpha.sum() == 0
    _, alpha, _ = render_mesh(inside, cam, (1, 1, 1), cull_backfaces=False)
    assert alpha.all()


def test_background_colour_and_bad_tints():
    rgb, alpha, _ = render_mesh(box_mesh((5, 5, 5), (6, 6, 6)), _camera((0.0, 0.0, 5.0)), (1, 1, 1), background=(0.2, 0.3, 0.4))
    assert alpha.sum() == 0 and np.allclose(rgb, (0.2, 0.3, 0.4))
    with pytest.raises(ModelError, match="vertex_colors"):
        render_mesh(box_mesh((0, 0, 0), (1, 1, 1)), _camera((0.0, 0.0, 5.0)), (1, 1, 1), vertex_colors=np.ones((3, 3)))


def test_proxy_views_orbit_and_look_at_the_centre():
    mesh = proxy_mesh("car", [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])
    views = render_proxy_views(mesh, (0.8, 0.1, 0.1), vertex_colors=proxy_colors("car", mesh), n_views=16, size=64, seed=3)
    assert len(views) == 16 and len({v.name for v in views}) == 16
    centre = np.array([0.0, 0.75, 0.0, 1.0])
    eyes = []
    for v in views:
        cam = v.camera
        pc = cam.world_to_camera @ centre
        assert cam.fx * pc[0] / pc[2] + cam.cx == pytest.approx(32.0, abs=1e-6)
        assert cam.fy * pc[1] / pc[2] + cam.cy == pytest.approx(32.0, abs=1e-6)
        assert v.alpha.sum() > 0.05 * 64 * 64  # the car is in view
        # nothing is cut at the border: the object fits the frame
        assert not (v.alpha[0].any() or v.alpha[-1].any() or v.alpha[:, 0].any() or v.alpha[:, -1].any())
        eyes.append(cam.camera_to_world[:3, 3])
    eyes = np.array(eyes)
    assert np.ptp(eyes[:, 1]) > 1.0 and np.linalg.matrix_rank(eyes - eyes.mean(axis=0)) == 3  # spread around
    reds = np.concatenate([v.image[v.alpha > 0] for v in views])
    assert np.all(reds[:, 0] >= reds[:, 1])  # red paint (and dark tyres)


def test_proxy_views_are_deterministic_per_seed():
    mesh = proxy_mesh("chair", [[-0.25, 0.0, -0.25], [0.25, 0.9, 0.25]])
    a = render_proxy_views(mesh, (0.5, 0.3, 0.1), n_views=3, size=32, seed=1)
    b = render_proxy_views(mesh, (0.5, 0.3, 0.1), n_views=3, size=32, seed=1)
    c = render_proxy_views(mesh, (0.5, 0.3, 0.1), n_views=3, size=32, seed=2)
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b))
    assert not np.allclose(a[0].camera.world_to_camera, c[0].camera.world_to_camera)


def test_orbit_cameras_reject_nonsense():
    with pytest.raises(ModelError):
        orbit_cameras((0, 0, 0), 1.0, n_views=0)
    with pytest.raises(ModelError):
        orbit_cameras((0, 0, 0), 1.0, radius_factor=0.5)


def test_small_work_chunks_give_the_same_image(monkeypatch):
    from scenegraph.appearance import mesh_render

    mesh = proxy_mesh("dog", [[-0.15, 0.0, -0.45], [0.15, 0.6, 0.45]])
    cam = orbit_cameras((0.0, 0.3, 0.0), 0.55, n_views=1, size=64)[0]
    whole = render_mesh(mesh, cam, (0.6, 0.4, 0.2), vertex_colors=proxy_colors("dog", mesh))
    monkeypatch.setattr(mesh_render, "_CHUNK_PAIRS", 997)  # many chunks, boundaries inside triangles
    pieces = render_mesh(mesh, cam, (0.6, 0.4, 0.2), vertex_colors=proxy_colors("dog", mesh))
    assert whole[1].sum() > 200
    for a, b in zip(whole, pieces):
        np.testing.assert_array_equal(a, b)
