"""Keyframe sampling: interpolation, speed profiles, pauses, heading, loops."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.model import Trajectory, quat_from_axis_angle
from scenegraph.world.trajectory import sample_trajectories, sample_trajectory

FPS = 100.0


def frames(duration: float, fps: float = FPS) -> np.ndarray:
    return np.arange(int(round(duration * fps)) + 1) / fps


def yaw_of(heading: np.ndarray) -> np.ndarray:
    """Yaw in (-pi, pi] from half-angle (sin(yaw/2), cos(yaw/2)) pairs (F, 2)."""
    yaw = 2.0 * np.arctan2(heading[:, 0], heading[:, 1])
    return np.where(yaw > np.pi, yaw - 2 * np.pi, yaw)


def test_linear_keyframes_hit_keys_at_key_times_with_segment_velocity():
    tr = Trajectory("a", times=[0, 2, 3], positions=[[0, 0, 0], [4, 0, 0], [4, 0, 3]])
    s = sample_trajectory(tr, np.array([0.0, 1.0, 2.0, 2.5, 3.0]))
    np.testing.assert_allclose(s.position, [[0, 0, 0], [2, 0, 0], [4, 0, 0], [4, 0, 1.5], [4, 0, 3]], atol=1e-6)
    np.testing.assert_allclose(s.velocity[1], [2, 0, 0])
    np.testing.assert_allclose(s.velocity[3], [0, 0, 3])


def test_holds_first_key_before_start_and_last_after_end_at_rest():
    tr = Trajectory("a", times=[1, 2], positions=[[1, 0, 0], [3, 0, 0]])
    s = sample_trajectory(tr, np.array([0.0, 0.5, 2.0, 5.0]))
    np.testing.assert_allclose(s.position[:, 0], [1, 1, 3, 3])
    assert np.all(s.velocity == 0)


def test_pause_is_a_zero_velocity_segment_of_the_stated_length():
    # still from t=1.0 to t=2.5 at x=2
    tr = Trajectory("p", times=[0, 1, 2.5, 3.5], positions=[[0, 0, 0], [2, 0, 0], [2, 0, 0], [2, 0, 4]], interpolation="smooth", speed="ease")
    t = frames(3.5)
    s = sample_trajectory(tr, t)
    still = (t >= 1.0) & (t <= 2.5)
    assert np.all(s.velocity[(t >= 1.0) & (t < 2.5)] == 0.0)
    np.testing.assert_array_equal(s.position[still], np.tile([2, 0, 0], (still.sum(), 1)))
    # moving right before and right after the pause
    speed = np.linalg.norm(s.velocity, axis=1)
    assert speed[(t > 0.1) & (t < 0.9)].min() > 0.1
    assert speed[(t > 2.6) & (t < 3.4)].min() > 0.1
    # the stillness lasts exactly 1.5 s (151 frames at 100 fps)
    assert np.count_nonzero(np.all(s.position == [2, 0, 0], axis=1)) == 151


def test_constant_speed_is_uniform_over_each_run_with_uneven_keys():
    # keys unevenly spaced in time and space; one run of length 1 + 3 = 4 m over 2 s
    tr = Trajectory("c", times=[0, 1.5, 2], positions=[[0, 0, 0], [1, 0, 0], [1, 0, 3]], speed="constant")
    t = frames(2.0)
    s = sample_trajectory(tr, t)
    speed = np.linalg.norm(s.velocity[:-1], axis=1)
    np.testing.assert_allclose(speed, 2.0, rtol=1e-5)
    # distance travelled along the path grows linearly: at t=0.5 it is 1 m, at the corner
    np.testing.assert_allclose(s.position[50], [1, 0, 0], atol=1e-5)
    np.testing.assert_allclose(s.position[-1], [1, 0, 3], atol=1e-6)


def test_smooth_constant_speed_is_uniform_on_a_curve():
    tr = Trajectory("s", times=[0, 1, 2, 3], positions=[[0, 0, 0], [2, 0, 2], [4, 0, 0], [6, 0, 2]], interpolation="smooth", speed="constant")
    t = frames(3.0)
    s = sample_trajectory(tr, t)
    speed = np.linalg.norm(s.velocity[1:-1], axis=1)
    assert speed.std() / speed.mean() < 0.01
    # the finite-difference speed agrees with the reported one
    fd = np.linalg.norm(np.diff(s.position, axis=0), axis=1) * FPS
    np.testing.assert_allclose(fd[5:-5], speed[5:-4].astype(np.float64), rtol=0.01)


def test_ease_starts_and_ends_each_run_at_rest_and_arrives_on_time():
    tr = Trajectory("e", times=[0, 2], positions=[[0, 0, 0], [0, 0, 4]], speed="ease")
    t = frames(2.0)
    s = sample_trajectory(tr, t)
    speed = np.linalg.norm(s.velocity, axis=1)
    assert speed[0] == 0.0 and speed[-1] == 0.0
    assert speed[100] == pytest.approx(3.0, rel=1e-5)  # smoothstep peak: 1.5 x mean speed
    np.testing.assert_allclose(s.position[100], [0, 0, 2], atol=1e-5)
    np.testing.assert_allclose(s.position[-1], [0, 0, 4])
    assert np.all(np.diff(s.position[:, 2]) >= 0)


def test_smooth_passes_through_keys_with_continuous_velocity():
    keys = np.array([[0, 0, 0], [2, 1, 0], [3, 0, 2], [5, 0, 2]], dtype=float)
    tr = Trajectory("s", times=[0, 1, 2.5, 3], positions=keys, interpolation="smooth")
    s = sample_trajectory(tr, np.array([0.0, 1.0, 2.5, 3.0]))
    np.testing.assert_allclose(s.position, keys, atol=1e-5)
    # velocity just before and after an interior key agree (knots at the key times: C1 in time)
    eps = 1e-4
    near = sample_trajectory(tr, np.array([1 - eps, 1 + eps, 2.5 - eps, 2.5 + eps])).velocity
    np.testing.assert_allclose(near[0], near[1], atol=1e-2)
    np.testing.assert_allclose(near[2], near[3], atol=1e-2)


def test_step_holds_each_key_until_the_next_with_zero_velocity():
    tr = Trajectory("st", times=[0, 1, 2], positions=[[0, 0, 0], [5, 0, 0], [5, 0, 5]], interpolation="step", heading="tangent")
    s = sample_trajectory(tr, np.array([0.0, 0.99, 1.0, 1.5, 2.0, 3.0]))
    np.testing.assert_allclose(s.position[:, 0], [0, 0, 5, 5, 5, 5])
    np.testing.assert_allclose(s.position[:, 2], [0, 0, 0, 0, 5, 5])
    assert np.all(s.velocity == 0)
    # heading: the first jump's direction (+X) until the second jump (+Z)
    np.testing.assert_allclose(yaw_of(s.heading), [np.pi / 2] * 4 + [0, 0], atol=1e-6)


def test_loop_repeats_with_period_of_the_keys():
    tr = Trajectory("l", times=[1, 2, 3], positions=[[0, 0, 0], [1, 0, 0], [0, 0, 0]], loop=True)
    t = np.array([0.0, 1.5, 2.5, 3.5, 4.5, 11.5])
    s = sample_trajectory(tr, t)
    np.testing.assert_allclose(s.position[:, 0], [0, 0.5, 0.5, 0.5, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(s.velocity[:, 0], [0, 1, -1, 1, -1, 1], atol=1e-6)


def test_heading_tangent_faces_motion_and_holds_through_pauses():
    tr = Trajectory(
        "h", times=[0, 1, 2, 3], positions=[[0, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, -1]], interpolation="smooth", speed="ease", heading="tangent"
    )
    t = frames(4.0)
    s = sample_trajectory(tr, t)
    yaw = yaw_of(s.heading)
    np.testing.assert_allclose(yaw[(t < 1.0) | ((t >= 1) & (t < 2))], np.pi / 2, atol=1e-5)  # +X, held in the pause
    np.testing.assert_allclose(np.abs(yaw[(t > 2) & (t <= 4)]), np.pi, atol=1e-5)  # -Z, held after the end
    moving = np.linalg.norm(s.velocity, axis=1) > 1e-6
    vdir = s.velocity[moving][:, [0, 2]] / np.linalg.norm(s.velocity[moving][:, [0, 2]], axis=1, keepdims=True)
    np.testing.assert_allclose(np.c_[np.sin(yaw[moving]), np.cos(yaw[moving])], vdir, atol=1e-5)


def test_keyframe_rotations_are_slerped():
    q0 = quat_from_axis_angle((0, 1, 0), 0.0)
    q1 = quat_from_axis_angle((0, 1, 0), np.pi / 2)
    tr = Trajectory("r", times=[0, 1], positions=[[0, 0, 0], [1, 0, 0]], rotations=[q0, q1], heading="keyframes")
    s = sample_trajectory(tr, np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(s.rotation[1], quat_from_axis_angle((0, 1, 0), np.pi / 4), atol=1e-6)
    np.testing.assert_allclose(s.rotation[2], q1, atol=1e-6)


def test_scales_are_interpolated():
    tr = Trajectory("sc", times=[0, 1], positions=[[0, 0, 0]] * 2, scales=[[1, 1, 1], [3, 1, 1]])
    s = sample_trajectory(tr, np.array([0.5]))
    np.testing.assert_allclose(s.scale[0], [2, 1, 1])


@pytest.mark.parametrize("interp,speed,loop", [("linear", "keyframes", False), ("smooth", "constant", False), ("linear", "ease", True), ("smooth", "keyframes", True)])
def test_batched_sampling_equals_one_at_a_time(interp, speed, loop):
    rng = np.random.default_rng(3)
    trajs = []
    for i in range(7):
        times = np.cumsum(rng.uniform(0.2, 1.0, 5))
        pos = rng.uniform(-3, 3, (5, 3))
        pos[2] = pos[1]  # a pause in each
        trajs.append(Trajectory(f"t{i}", times, pos, interpolation=interp, speed=speed, heading="tangent", loop=loop))
    t = frames(5.0, 24)
    batch = sample_trajectories(trajs, t)
    for g, tr in enumerate(trajs):
        one = sample_trajectory(tr, t)
        np.testing.assert_array_equal(batch.position[:, :, g].T, one.position)
        np.testing.assert_array_equal(batch.velocity[:, :, g].T, one.velocity)
        np.testing.assert_array_equal(batch.heading[:, :, g].T, one.heading)


def test_rotation_keys_turn_on_the_spot_during_an_eased_pause():
    q = [quat_from_axis_angle((0, 1, 0), a) for a in (0.0, 0.0, np.pi / 2, np.pi / 2)]
    tr = Trajectory(
        "turn", times=[0, 1, 2, 3], positions=[[0, 0, 0], [1, 0, 0], [1, 0, 0], [2, 0, 0]], rotations=q, heading="keyframes", speed="ease"
    )
    s = sample_trajectory(tr, np.array([0.5, 1.5, 2.5]))
    np.testing.assert_allclose(s.rotation[1], quat_from_axis_angle((0, 1, 0), np.pi / 4), atol=1e-6)
    np.testing.assert_allclose(s.position[1], [1, 0, 0])
    np.testing.assert_allclose(s.rotation[2], q[2], atol=1e-6)
