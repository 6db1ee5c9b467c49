"""Per-camera visibility: frustum, pixel area, occlusion, events."""
from __future__ import annotations

import math

import numpy as np

from scenegraph.model import CameraParams, Entity, Scene, Trajectory, Transform, quat_from_axis_angle
from scenegraph.world import simulate

CAM = CameraParams(yfov=math.radians(60), width=800, height=600, znear=0.1, zfar=100)
FOCAL = 0.5 * 600 / math.tan(math.radians(30))


def scene_with_camera(**cam_kw) -> Scene:
    s = Scene(fps=10, duration=0.0)
    s.add_entity(Entity("cam", kind="camera", transform=Transform(**cam_kw), camera=CAM))
    return s


def cube(eid: str, centre, size: float = 1.0) -> Entity:
    h = size / 2
    return Entity(eid, bounds=((-h, -h, -h), (h, h, h)), transform=Transform(centre))


def test_box_straight_ahead_covers_its_projected_area():
    s = scene_with_camera()
    s.add_entity(cube("box", (0, 0, -10), 1.0))
    vis = simulate(s).visibility["cam"]
    assert vis.in_frustum[0, 1] and not vis.occluded[0, 1] and vis.visible[0, 1]
    # nearest face at depth 9.5 spans 1 m: (FOCAL / 9.5)^2 pixels
    assert vis.pixel_area[0, 1] == np.float32(np.float32(FOCAL / 9.5) ** 2) or abs(vis.pixel_area[0, 1] - (FOCAL / 9.5) ** 2) < 1.0


def test_boxes_behind_beside_and_beyond_the_far_plane_are_out():
    s = scene_with_camera()
    s.add_entity(cube("behind", (0, 0, 10)))
    s.add_entity(cube("left", (-40, 0, -10)))
    s.add_entity(cube("far", (0, 0, -150)))
    s.add_entity(cube("edge", (0, 0, -10), 0.5))
    tl = simulate(s)
    vis = tl.visibility["cam"]
    assert not vis.in_frustum[0, 1:4].any()
    assert np.all(vis.pixel_area[0, 1:4] == 0)
    assert vis.in_frustum[0, 4]


def test_aspect_follows_width_over_height():
    # 800x600: horizontal half-angle atan(4/3 * tan 30deg) ~ 37.6deg; a box at 35deg is in, 40deg out
    s = scene_with_camera()
    for name, deg in (("in35", 35), ("out40", 40)):
        a = math.radians(deg)
        s.add_entity(cube(name, (20 * math.sin(a), 0, -20 * math.cos(a)), 0.1))
    vis = simulate(s).visibility["cam"]
    assert vis.in_frustum[0].tolist() == [False, True, False]


def test_box_cut_by_the_near_plane_is_in_and_clipped_to_the_image():
    s = scene_with_camera()
    s.add_entity(cube("huge", (0, 0, 0), 4.0))  # the camera is inside it
    vis = simulate(s).visibility["cam"]
    assert vis.in_frustum[0, 1]
    assert vis.pixel_area[0, 1] == 800 * 600


def test_nearer_bigger_box_occludes_and_farther_one_does_not():
    s = scene_with_camera()
    s.add_entity(cube("wall", (0, 0, -5), 2.0))
    s.add_entity(cube("hidden", (0, 0, -20), 1.0))
    s.add_entity(cube("peeking", (8, 0, -20), 1.0))  # beside the wall: visible
    tl = simulate(s)
    vis = tl.visibility["cam"]
    occ = dict(zip(tl.ids, vis.occluded[0]))
    assert occ == {"cam": False, "wall": False, "hidden": True, "peeking": False}
    assert vis.visible[0].tolist() == [False, True, False, True]


def test_cameras_and_lights_are_never_seen():
    s = scene_with_camera()
    s.add_entity(Entity("cam2", kind="camera", transform=Transform((0, 0, -5))))
    s.add_entity(Entity("lamp", kind="light", transform=Transform((0, 0, -6))))
    tl = simulate(s)
    for vis in tl.visibility.values():
        assert not vis.in_frustum.any() and not vis.visible.any()
    assert set(tl.visibility) == {"cam", "cam2"}


def test_moving_camera_and_enter_exit_events():
    # the camera turns from looking at -Z to looking at +X over 1 s; a box sits at -Z
    s = Scene(fps=10, duration=1.0)
    turn = [quat_from_axis_angle((0, 1, 0), a) for a in (0.0, -math.pi / 2)]
    s.add_trajectory(Trajectory("pan", times=[0, 1], positions=[[0, 1, 0]] * 2, rotations=turn, heading="keyframes"))
    s.add_entity(Entity("cam", kind="camera", camera=CAM), trajectory="pan")
    s.add_entity(cube("box", (0, 1, -10)))
    tl = simulate(s)
    vis = tl.visibility["cam"]
    seen = vis.visible[:, 1]
    assert seen[0] and not seen[-1]
    events = [(e.event, e.frame, e.entity, e.camera) for e in vis.events]
    leave = int(np.argmin(seen))
    assert events == [("enter", 0, "box", "cam"), ("exit", leave, "box", "cam")]
    assert vis.events[1].time == tl.time[leave]


def test_child_box_is_seen_where_its_parent_carries_it():
    s = scene_with_camera()
    s.add_entity(Entity("cart", transform=Transform((30, 0, -10))))
    s.add_entity(cube("parcel", (-30, 0, 0)), parent="cart")  # world (0, 0, -10): straight ahead
    vis = simulate(s).visibility["cam"]
    assert vis.visible[0].tolist() == [False, False, True]


def test_occlusion_pruning_matches_brute_force_on_random_rectangles():
    from scenegraph.world.visibility import _occlusion

    rng = np.random.default_rng(11)
    frames, n, w, h = 6, 300, 640, 480
    size = np.exp(rng.uniform(np.log(2), np.log(400), (2, frames, n)))
    u0, v0 = rng.uniform(-50, w, (frames, n)), rng.uniform(-50, h, (frames, n))
    rect = [np.clip(u0, 0, w), np.clip(v0, 0, h), np.clip(u0 + size[0], 0, w), np.clip(v0 + size[1], 0, h)]
    rect = [r.astype(np.float32) for r in rect]
    near = rng.uniform(1, 100, (frames, n)).astype(np.float32)
    far = near + rng.uniform(0, 5, (frames, n)).astype(np.float32)
    cand = (rect[2] > rect[0]) & (rect[3] > rect[1]) & (rng.uniform(size=(frames, n)) < 0.9)
    got = _occlusion(rect, near, far, cand, w, h)
    a0, b0, a1, b1 = (r[:, :, None] for r in rect)  # target i on axis 1, occluder j on axis 2
    contains = (rect[0][:, None, :] <= a0) & (rect[1][:, None, :] <= b0) & (rect[2][:, None, :] >= a1) & (rect[3][:, None, :] >= b1)
    nearer = far[:, None, :] < near[:, :, None]
    want = (contains & nearer & cand[:, None, :]).any(axis=2) & cand
    assert want.sum() > 50
    np.testing.assert_array_equal(got, want)


def test_occlusion_matches_brute_force_over_many_frames_and_wide_image():
    # 64 frames: cell ids pass 16 bits, so the filings take two radix passes
    from scenegraph.world.visibility import _occlusion

    rng = np.random.default_rng(5)
    frames, n, w, h = 64, 120, 1280, 720
    size = np.exp(rng.uniform(np.log(1), np.log(900), (2, frames, n)))
    u0, v0 = rng.uniform(-100, w, (frames, n)), rng.uniform(-100, h, (frames, n))
    rect = [np.clip(a, 0, lim).astype(np.float32) for a, lim in ((u0, w), (v0, h), (u0 + size[0], w), (v0 + size[1], h))]
    near = rng.uniform(1, 50, (frames, n)).astype(np.float32)
    far = near + rng.uniform(0, 3, (frames, n)).astype(np.float32)
    cand = (rect[2] > rect[0]) & (rect[3] > rect[1])
    got = _occlusion(rect, near, far, cand, w, h)
    a0, b0, a1, b1 = (r[:, :, None] for r in rect)
    contains = (rect[0][:, None, :] <= a0) & (rect[1][:, None, :] <= b0) & (rect[2][:, None, :] >= a1) & (rect[3][:, None, :] >= b1)
    want = (contains & (far[:, None, :] < near[:, :, None]) & cand[:, None, :]).any(axis=2) & cand
    assert 100 < want.sum() < cand.sum()
    np.testing.assert_array_equal(got, want)


def test_radix_order_sorts_keys_wider_than_16_bits_stably():
    from scenegraph.world.visibility import _radix_order

    rng = np.random.default_rng(2)
    keys = rng.integers(0, 1 << 35, 5000)
    keys[::7] = keys[0]  # ties keep their input order
    order = _radix_order(keys, 1 << 35)
    np.testing.assert_array_equal(order, np.argsort(keys, kind="stable"))
