"""Semantic motion, checked in the simulated world: who moves which way, when, and what the camera sees."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenegraph.world.builder import build_scene
from scenegraph.director import direct
from scenegraph.world.motion import ROAD_HALF_WIDTH
from scenegraph.world.shots import entity_in_picture as in_image
from scenegraph.world.shots import project_points as project
from scenegraph.world import simulate

EXAMPLE = ("A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, "
           "then continues while a red car turns into the scene")


def world(prompt: str, **kw):
    spec, _ = direct(prompt)
    scene = build_scene(spec, prompt=prompt, **kw)
    return scene, simulate(scene)


def speed(tl, eid: str) -> np.ndarray:
    return np.linalg.norm(tl.velocity[:, tl.index(eid)], axis=1)


@pytest.fixture(scope="module")
def example():
    return world(EXAMPLE)


def test_pedestrian_crosses_kerb_to_kerb_left_to_right(example):
    scene, tl = example
    x = tl.world_position("pedestrian_1")[:, 0]
    assert scene.entity("road_1").attributes["axis"] == "z"  # the road runs into the picture
    assert x[0] < -ROAD_HALF_WIDTH and x[-1] > ROAD_HALF_WIDTH  # pavement to pavement
    assert np.all(np.diff(x) >= -1e-6)  # never walks back


def test_pause_at_the_kerb_lasts_two_seconds(example):
    scene, tl = example
    sp = speed(tl, "pedestrian_1")
    moving = np.flatnonzero(sp > 1e-3)
    inside = sp[moving[0]:moving[-1] + 1]
    still = np.count_nonzero(inside <= 1e-3)
    assert still / tl.fps == pytest.approx(2.0, abs=1.5 / tl.fps)
    x_still = tl.world_position("pedestrian_1")[moving[0]:moving[-1] + 1][inside <= 1e-3][:, 0]
    assert np.allclose(x_still, -ROAD_HALF_WIDTH, atol=0.05)  # the pause is at the near kerb


def test_car_enters_from_outside_the_frame_while_the_pedestrian_continues(example):
    scene, tl = example
    vis = tl.visibility["camera_1"]
    c = tl.index("car_1")
    assert not vis.in_frustum[0, c] and not in_image(scene, tl, "car_1", 0)
    assert vis.in_frustum[:, c].any()
    assert in_image(scene, tl, "pedestrian_1", 0)  # the subject is in view at the start
    actions = scene.metadata["actions"]
    assert actions[3]["start"] == pytest.approx(actions[2]["start"])  # "while"
    assert actions[2]["start"] == pytest.approx(actions[1]["end"])  # "then"
    first_move = np.flatnonzero(speed(tl, "car_1") > 1e-3)[0] / tl.fps
    assert first_move == pytest.approx(actions[3]["start"], abs=0.1)


def test_turn_is_an_arc_with_a_radius(example):
    scene, tl = example
    p = tl.world_position("car_1")
    yaw = np.array([math.atan2(*v[[0, 2]]) for v in tl.velocity[:, tl.index("car_1")] if np.linalg.norm(v) > 1e-3])
    turning = np.flatnonzero(np.abs(np.diff(np.unwrap(yaw))) > 1e-3)
    assert len(turning) >= 5  # the heading changes over many frames, not at once
    assert abs(np.unwrap(yaw)[-1] - yaw[0]) == pytest.approx(math.pi / 2, abs=0.1)
    sp = speed(tl, "car_1")
    moving = p[sp > 1e-3]
    chord = np.linalg.norm(moving[-1] - moving[0])
    assert chord > 5.0


def test_a_car_driving_left_to_right_crosses_the_whole_view_at_town_speed():
    scene, tl = world("a red car drives from left to right")
    x = tl.world_position("car_1")[:, 0]
    assert x[-1] - x[0] > 15.0 and np.all(np.diff(x) > 0)  # never stops, never backs up
    uv0 = project(scene, tl, 0, tl.world_position("car_1")[[0]])[0]
    uv1 = project(scene, tl, tl.frame_count - 1, tl.world_position("car_1")[[-1]])[0]
    width = scene.entity("camera_1").camera.width
    assert uv0[0, 0] < 0 and uv1[0, 0] > width  # enters on the left of the picture, leaves on the right
    i = tl.index("car_1")
    seen = tl.visibility["camera_1"].in_frustum[:, i]
    assert seen.mean() > 0.5 and in_image(scene, tl, "car_1", tl.frame_count // 2)
    assert np.median(speed(tl, "car_1")) == pytest.approx(10.0, rel=0.05)  # town speed, the whole clip
    heading = tl.rotation[tl.frame_count // 2, tl.index("car_1")]
    assert heading[1] > 0.6  # faces +X (yaw +90 degrees)


def test_right_to_left_and_towards_the_camera():
    _, tl = world("a horse gallops from right to left")
    x = tl.world_position("horse_1")[:, 0]
    assert x[-1] < x[0] - 5
    scene, tl = world("a woman walks towards the camera")
    eye = tl.world_position("camera_1")[0]
    d = np.linalg.norm(tl.world_position("woman_1") - eye, axis=1)
    assert d[-1] < d[0] - 1.0
    assert in_image(scene, tl, "woman_1", 0)


def test_walking_speed_is_a_walk():
    _, tl = world("a man walks from left to right")
    sp = speed(tl, "man_1")
    assert np.median(sp[sp > 1e-3]) == pytest.approx(1.4, rel=0.05)


def test_into_the_scene_starts_outside_the_frame_and_ends_inside():
    scene, tl = world("a yellow bus drives into the scene from the left")
    assert not in_image(scene, tl, "bus_1", 0)
    assert tl.world_position("bus_1")[0, 0] < 0  # from the left
    assert in_image(scene, tl, "bus_1", tl.frame_count - 1) or tl.visibility["camera_1"].in_frustum[-1, tl.index("bus_1")]


def test_out_of_the_scene_ends_outside_the_frame():
    scene, tl = world("a cat walks out of the scene")
    assert in_image(scene, tl, "cat_1", 0)
    assert not tl.visibility["camera_1"].in_frustum[-1, tl.index("cat_1")]


def test_around_the_tree_keeps_its_distance():
    _, tl = world("a dog runs around the tree")
    d = np.linalg.norm((tl.world_position("dog_1") - tl.world_position("tree_1"))[:, [0, 2]], axis=1)
    assert d.std() < 0.05 * d.mean() and d.min() > 2.0  # outside the trunk's box
    ang = np.unwrap(np.arctan2(*(tl.world_position("dog_1") - tl.world_position("tree_1"))[:, [0, 2]].T))
    assert abs(ang[-1] - ang[0]) == pytest.approx(2 * math.pi, abs=0.3)


def test_then_runs_actions_in_sequence_and_waits_are_still():
    scene, tl = world("a man walks to the bench, waits for 3 seconds, then walks to the left")
    walk, wait, back = scene.metadata["actions"]
    assert wait["start"] == pytest.approx(walk["end"]) and back["start"] == pytest.approx(wait["end"])
    assert wait["end"] - wait["start"] == pytest.approx(3.0)
    f0, f1 = int(math.ceil(wait["start"] * tl.fps)) + 1, int(wait["end"] * tl.fps) - 1
    assert np.all(speed(tl, "man_1")[f0:f1] < 1e-6)
    man, bench = tl.world_position("man_1"), tl.world_position("bench_1")
    assert np.linalg.norm((man[f0] - bench[0])[[0, 2]]) < 2.0  # he waits by the bench
    assert man[-1, 0] < man[f1, 0] - 1.0  # then goes left


def test_start_time_delays_the_action():
    scene, tl = world("after 3 seconds a woman walks towards the camera")
    sp = speed(tl, "woman_1")
    assert np.all(sp[: int(3 * tl.fps) - 1] < 1e-6) and sp[int(3.1 * tl.fps)] > 1e-3  # sets off at 3 s
    assert sp[int(4.2 * tl.fps)] > 1.0 and np.abs(np.diff(sp)).max() * tl.fps < 3.5  # up to speed in ~1 s, gently


def test_throw_flies_in_an_arc_and_lands_near_the_target():
    scene, tl = world("a man throws a ball to the dog")
    ball = scene.entity("ball_1")
    assert ball.dynamics is not None and ball.dynamics.velocity[1] > 0
    p = tl.world_position("ball_1")
    assert p[:, 1].max() > p[0, 1] + 0.03  # it rises before it falls (a short lob: the dog is ~1 m away)
    land = np.flatnonzero(p[:, 1] < 0.2)
    assert len(land)
    dog = tl.world_position("dog_1")[0]
    assert np.linalg.norm((p[land[0]] - dog)[[0, 2]]) < 0.3  # it lands at the dog
    towards = (dog - p[0])[[0, 2]]
    assert np.dot(ball.dynamics.velocity[[0, 2]], towards) > 0.9 * np.linalg.norm(ball.dynamics.velocity[[0, 2]]) * np.linalg.norm(towards)


def test_drop_falls_to_the_ground():
    scene, tl = world("at 2 seconds a ball drops onto the grass")
    y = tl.world_position("ball_1")[:, 1]
    assert y[int(1.9 * tl.fps)] > 1.5 and y[-1] < 0.3
    assert scene.entity("ball_1").dynamics.start_time == pytest.approx(2.0)


def test_follow_stays_behind_the_leader():
    scene, tl = world("a black dog follows a man who walks from left to right")
    dog, man = tl.world_position("dog_1"), tl.world_position("man_1")
    mid = tl.frame_count // 2
    assert dog[mid, 0] < man[mid, 0]  # behind a man walking +X
    gap = np.linalg.norm((dog - man)[:, [0, 2]], axis=1)
    assert np.all(gap > 0.5) and np.all(gap < 3.0)


def test_group_members_walk_side_by_side_not_through_each_other():
    _, tl = world("three people walk from left to right")
    ps = np.stack([tl.world_position(f"person_{k}") for k in (1, 2, 3)], axis=1)
    for f in (0, tl.frame_count // 2, tl.frame_count - 1):
        q = ps[f][:, [0, 2]]
        d = np.linalg.norm(q[:, None] - q[None], axis=-1)
        assert d[np.triu_indices(3, 1)].min() > 0.5
    assert np.all(ps[-1, :, 0] > ps[0, :, 0] + 3)


def test_camera_pan_left_turns_the_view_to_minus_x():
    scene, tl = world("a man stands in the park while the camera pans left")
    m = tl.world_matrices()[:, tl.index("camera_1")]
    fwd = -m[:, :3, 2]
    assert fwd[-1, 0] < fwd[0, 0] - 0.3
    assert np.allclose(m[:, :3, 3], m[0, :3, 3])  # a pan does not move the camera


def test_camera_tracks_the_car_keeping_it_in_view():
    scene, tl = world("a silver car drives from left to right while the camera tracks the car")
    cam_x = tl.world_position("camera_1")[:, 0]
    assert cam_x[-1] - cam_x[0] > 5.0
    for f in range(0, tl.frame_count, 12):
        uv, _ = project(scene, tl, f, tl.world_position("car_1")[[f]])
        assert abs(uv[0, 0] - 640) < 200


def test_look_away_and_back_keeps_the_world_going():
    scene, tl = world("a man walks from left to right while the camera looks away and back")
    vis = tl.visibility["camera_1"]
    i = tl.index("man_1")
    seen = vis.in_frustum[:, i]
    assert seen[0] and not seen.all() and seen[-1]  # out of view in the middle, back at the end
    away = np.flatnonzero(~seen)
    x = tl.world_position("man_1")[:, 0]
    assert x[away[-1]] > x[away[0]]  # he kept walking while unseen


def test_camera_orbit_circles_the_target():
    _, tl = world("a cat sleeps on the sofa while the camera orbits around the sofa")
    rel = tl.world_position("camera_1") - tl.world_position("sofa_1")
    r = np.linalg.norm(rel[:, [0, 2]], axis=1)
    assert r.std() < 0.05 * r.mean()
    ang = np.unwrap(np.arctan2(rel[:, 0], rel[:, 2]))
    assert abs(ang[-1] - ang[0]) > math.pi


def test_then_camera_shot_waits_for_the_action():
    scene, tl = world("a man walks from left to right, then the camera pans left")
    walk_end = scene.metadata["actions"][0]["end"]
    fwd = -tl.world_matrices()[:, tl.index("camera_1"), :3, 2]
    turning = np.flatnonzero(np.abs(np.diff(fwd[:, 0])) > 1e-6)
    assert turning[0] / tl.fps >= walk_end - 1.0 / tl.fps
    assert scene.duration >= walk_end + 3.0  # the pan (3 s) fits in the scene


def test_a_pedestrian_waiting_at_the_kerb_stands_there_from_the_start():
    scene, tl = world("a dark blue van drives from left to right while a pedestrian waits at the kerb")
    z = tl.world_position("pedestrian_1")[:, 2]
    assert scene.entity("road_1").attributes["axis"] == "x"
    assert np.allclose(np.abs(z), ROAD_HALF_WIDTH, atol=0.05)  # on a kerb, all the time
    assert np.all(speed(tl, "pedestrian_1") < 1e-6)
    van = tl.world_position("van_1")
    assert abs(van[0, 2]) < ROAD_HALF_WIDTH and van[0, 2] > 0  # on the road, in the lane that keeps right


def test_walking_past_goes_on_beyond_the_statue():
    _, tl = world("a woman walks past the statue")
    w, st = tl.world_position("woman_1"), tl.world_position("statue_1")[0]
    d = np.linalg.norm((w - st)[:, [0, 2]], axis=1)
    closest = int(np.argmin(d))
    assert 0 < closest < tl.frame_count - 1 and d[closest] < 1.5  # passes close by, mid-way
    start_dir = (st - w[0])[[0, 2]]
    end_dir = (w[-1] - st)[[0, 2]]
    assert start_dir @ end_dir > 0  # and carries on the same way


def test_orbit_alone_loops_forever():
    scene, tl = world("a drone orbits the tree")
    traj = scene.trajectory_of("drone_1")
    assert traj.loop and traj.positions[0] == pytest.approx(traj.positions[-1], abs=1e-6)
    y = tl.world_position("drone_1")[:, 1]
    assert y.min() > 1.0  # a flyer orbits in the air
    d = np.linalg.norm((tl.world_position("drone_1") - tl.world_position("tree_1"))[:, [0, 2]], axis=1)
    assert d.std() < 0.05 * d.mean()


def test_jumping_onto_a_chair_ends_on_its_seat_top():
    _, tl = world("a grey cat jumps onto the chair")
    cat, chair = tl.world_position("cat_1"), tl.world_position("chair_1")[0]
    assert cat[0, 1] == pytest.approx(0.0) and cat[-1, 1] == pytest.approx(0.52 * 0.9, abs=1e-3)  # the seat, not the back
    assert np.linalg.norm((cat[-1] - chair)[[0, 2]]) < 0.05


def test_a_chased_ball_rolls_away_with_the_dog_after_it():
    _, tl = world("A dog chases a ball.")
    dog, ball = tl.world_position("dog_1"), tl.world_position("ball_1")
    assert np.linalg.norm(ball[-1] - ball[0]) > 3.0  # the ball rolls away
    assert np.linalg.norm(dog[-1] - dog[0]) > 3.0  # and the dog runs after it
    way = (ball[-1] - ball[0]) / np.linalg.norm(ball[-1] - ball[0])
    assert float(np.dot(dog[-1] - dog[0], way)) > 3.0  # the same way
    assert float(np.dot(ball[-1] - dog[-1], way)) > 0.0  # still behind the ball


def test_chasing_or_following_something_that_stays_put_goes_to_it():
    scene, tl = world("A cat chases a leaf.")
    cat, leaf = tl.world_position("cat_1"), tl.world_position("leaf_1")
    assert np.allclose(leaf, leaf[0])  # a leaf does not run away
    d = np.linalg.norm((cat - leaf)[:, [0, 2]], axis=1)
    assert d[0] > 1.5 and d[-1] < 1.0  # the cat was away from it and ends at it
