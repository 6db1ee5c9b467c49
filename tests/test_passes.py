"""Motion vectors, normals, semantic ids and boxes: computed from the world state, checked against it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scenegraph import CameraParams, Entity, Material, Scene, Trajectory, Transform
from scenegraph.appearance.proxy import proxy_mesh
from scenegraph.model import quat_from_axis_angle
from scenegraph.render import render, write_frames
from scenegraph.render.passes import PassMaker, class_table
from scenegraph.world import simulate
from scenegraph.world.views import PinholeCamera

CAR_BOUNDS = [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]]


def street(camera_pan: bool = False) -> Scene:
    """A red car driving +X (3 m/s) over a ground plane past a box, seen from 12 m."""
    s = Scene(fps=4, duration=2.0, seed=0)
    s.add_material(Material("mat_red", base_color=(0.9, 0.05, 0.05)))
    s.add_material(Material("mat_grey", base_color=(0.4, 0.4, 0.4)))
    side_on = quat_from_axis_angle((0, 1, 0), np.pi / 2)
    s.add_entity(Entity("car_1", cls="car", bounds=CAR_BOUNDS, transform=Transform((-3, 0, 0), side_on)), material="mat_red")
    s.add_trajectory(Trajectory("traj_car_1", [0.0, 2.0], [[-3, 0, 0], [3, 0, 0]]))
    s.set_trajectory("car_1", "traj_car_1")
    s.add_entity(Entity("ground", cls="ground", bounds=[[-40, -0.05, -40], [40, 0.0, 40]]), material="mat_grey")
    s.add_entity(Entity("crate_1", cls="box", bounds=[[-0.5, 0, -0.5], [0.5, 1.0, 0.5]], transform=Transform((0, 0, 4))), material="mat_grey")
    cam = Entity("camera_1", kind="camera", camera=CameraParams(aspect=4 / 3, width=640, height=480), transform=Transform((0, 1.5, 12)))
    s.add_entity(cam)
    if camera_pan:
        turn = [quat_from_axis_angle((0, 1, 0), a).tolist() for a in (0.0, 0.2)]
        s.add_trajectory(Trajectory("traj_cam", [0.0, 2.0], [[0, 1.5, 12], [0, 1.5, 12]], rotations=turn, heading="keyframes"))
        s.set_trajectory("camera_1", "traj_cam")
    return s


def _camera(scene: Scene, tl, f: int, w: int, h: int) -> PinholeCamera:
    return PinholeCamera.from_scene_camera(scene.entity("camera_1").camera, tl.world_matrices()[f, tl.index("camera_1")], w, h)


def _project(cam: PinholeCamera, p) -> np.ndarray:
    q = cam.world_to_camera @ np.append(p, 1.0)
    return np.array([cam.fx * q[0] / q[2] + cam.cx, cam.fy * q[1] / q[2] + cam.cy])


@pytest.fixture(scope="module")
def frames():
    return render(street(), frames=[2, 3], width=96, backend="torch")


def test_flow_of_the_moving_car_is_its_projected_displacement(frames):
    scene, tl = street(), simulate(street())
    f2, f3 = frames
    car = f2.mask("car_1")
    assert car.sum() > 100
    world = tl.world_matrices()
    h, w = car.shape
    cam2, cam3 = _camera(scene, tl, 2, w, h), _camera(scene, tl, 3, w, h)
    centre = np.array([-0.9, 0.75, 0.0])  # the middle of the car's side that faces the camera, local frame
    expect = _project(cam3, world[3, 0, :3, :3] @ centre + world[3, 0, :3, 3]) - _project(cam2, world[2, 0, :3, :3] @ centre + world[2, 0, :3, 3])
    flow = f2.passes["flow_forward"][car & f2.passes["flow_forward_valid"]]
    assert expect[0] > 2.0  # a visible move to the right
    assert np.median(flow[:, 0]) == pytest.approx(expect[0], rel=0.08)
    assert np.abs(np.median(flow[:, 1])) < 0.2
    # backward flow of the next frame brings the car's pixels back
    back = f3.passes["flow_backward"][f3.mask("car_1") & f3.passes["flow_backward_valid"]]
    assert np.median(back[:, 0]) == pytest.approx(-expect[0], rel=0.08)
    # following the forward flow lands on the car in the next frame
    ys, xs = np.nonzero(car & f2.passes["flow_forward_valid"])
    fl = f2.passes["flow_forward"][ys, xs]
    lands = f3.instance[np.clip(np.floor(ys + 0.5 + fl[:, 1]).astype(int), 0, h - 1), np.clip(np.floor(xs + 0.5 + fl[:, 0]).astype(int), 0, w - 1)]
    assert np.mean(lands == f3.ids.index("car_1")) > 0.97
    # the static ground does not move under a static camera
    ground = f2.mask("ground")
    assert np.abs(f2.passes["flow_forward"][ground]).max() < 1e-3


def test_pixels_the_car_uncovers_or_covers_are_not_valid(frames):
    f2, f3 = frames
    ground_now = f2.mask("ground")
    car_next = f3.mask("car_1")
    covered = ground_now & car_next  # ground at frame 2 that the car hides at frame 3
    assert covered.sum() > 5
    assert not f2.passes["flow_forward_valid"][covered].any()
    assert f2.passes["flow_forward_valid"][ground_now & ~car_next].mean() > 0.99


def test_ground_normals_point_up_and_the_car_side_faces_the_camera(frames):
    f2, _ = frames
    n = f2.passes["normal"]
    ground = f2.mask("ground")
    assert np.allclose(n[ground], (0.0, 1.0, 0.0), atol=1e-3)
    assert np.allclose(np.linalg.norm(n[f2.instance >= 0], axis=-1), 1.0, atol=1e-3)
    assert np.median(n[f2.mask("car_1")][:, 2]) > 0.9  # the side of the car looks at the camera (+Z)
    assert not n[f2.instance < 0].any()


def test_semantic_ids_follow_the_class_table(frames):
    f2, _ = frames
    table = f2.classes
    assert table == class_table(street()) and table["background"] == 0
    sem = f2.passes["semantic"]
    assert np.all(sem[f2.mask("car_1")] == table["car"])
    assert np.all(sem[f2.mask("ground")] == table["ground"])
    assert np.all(sem[f2.instance < 0] == 0)
    assert class_table(Scene())["car"] == table["car"]  # catalogue ids do not depend on the scene


def test_boxes_contain_the_projected_corners_and_the_visible_pixels(frames):
    scene, tl = street(), simulate(street())
    f2, _ = frames
    h, w = f2.instance.shape
    cam = _camera(scene, tl, 2, w, h)
    rec = {b["id"]: b for b in f2.boxes}
    car = rec["car_1"]
    assert car["class"] == "car" and car["pixels"] == int(f2.mask("car_1").sum())
    assert car["box_3d"]["size"] == pytest.approx([1.8, 1.5, 4.5])
    m = tl.world_matrices()[2, 0]
    assert car["box_3d"]["center"] == pytest.approx((m @ [0, 0.75, 0, 1])[:3], abs=1e-5)
    x0, y0, x1, y1 = car["box_2d_amodal"]
    mesh = proxy_mesh("car", np.array(CAR_BOUNDS))
    for p in mesh.positions[:: max(1, len(mesh.positions) // 200)]:
        u, v = _project(cam, m[:3, :3] @ p + m[:3, 3])
        assert x0 - 1e-3 <= u <= x1 + 1e-3 and y0 - 1e-3 <= v <= y1 + 1e-3
    bx0, by0, bx1, by1 = car["box_2d"]
    assert x0 - 1 <= bx0 < bx1 <= x1 + 1 and y0 - 1 <= by0 < by1 <= y1 + 1
    ys, xs = np.nonzero(f2.mask("car_1"))
    assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == car["box_2d"]
    assert rec["ground"]["box_2d_amodal"] is None  # its corners lie behind the camera


def test_a_panning_camera_moves_the_background_and_the_ground():
    scene = street(camera_pan=True)
    tl = simulate(scene)
    maker = PassMaker(scene, tl, "camera_1", 64, 48)
    passes = maker.frame(4)
    sky = maker.buffer(4).index < 0
    # turning left (+yaw) moves everything to the right in the image
    assert np.median(passes["flow_forward"][sky][:, 0]) > 0.3
    ground = maker.buffer(4).index == maker.ids.index("ground")
    assert np.median(passes["flow_forward"][ground][:, 0]) > 0.3


def test_render_writes_the_passes_and_boxes(tmp_path, frames):
    paths = write_frames(frames, tmp_path)
    names = sorted(p.name for p in paths)
    assert "boxes_0002.json" in names and "passes.json" in names
    with np.load(tmp_path / "passes_0002.npz") as z:
        assert z["flow_forward"].shape == (72, 96, 2) and z["flow_forward"].dtype == np.float32
        assert z["semantic"].dtype == np.int32 and z["normal"].shape == (72, 96, 3)
        assert z["flow_backward_valid"].dtype == bool
    index = json.loads((tmp_path / "passes.json").read_text())
    assert index["classes"]["car"] == frames[0].classes["car"]
    assert index["frames"][0]["boxes"] == "boxes_0002.json"
    boxes = json.loads((tmp_path / "boxes_0002.json").read_text())
    assert [b["id"] for b in boxes["entities"]] == ["car_1", "ground", "crate_1"]
