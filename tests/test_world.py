"""World simulation: object permanence, determinism, dynamics, heading, hierarchy, CLI."""
from __future__ import annotations

import hashlib
import math
import subprocess
import sys

import numpy as np
import pytest

from scenegraph.errors import SimulationError
from scenegraph.model import (
    CameraParams,
    Dynamics,
    Entity,
    Material,
    Scene,
    Trajectory,
    Transform,
    quat_from_axis_angle,
    quat_rotate,
)
from scenegraph.world.trajectory import sample_trajectory
from scenegraph.world import SETTLE_SPEED, simulate

BALL = ((-0.1, -0.1, -0.1), (0.1, 0.1, 0.1))


def crossing_scene() -> Scene:
    """A red car drives from x=-30 to x=30 and back; a camera at z=20 sees only |x| < ~9."""
    s = Scene(fps=24, duration=8.0)
    s.add_material(Material("mat_red", base_color=(0.8, 0.05, 0.05)))
    s.add_trajectory(Trajectory("drive", times=[0, 4, 8], positions=[[-30, 0, 0], [30, 0, 0], [-30, 0, 0]], heading="tangent"))
    s.add_entity(Entity("car_1", cls="car", bounds=((-1, 0, -2), (1, 1.5, 2))), material="mat_red", trajectory="drive")
    s.add_entity(Entity("cam", kind="camera", transform=Transform((0, 1, 20)), camera=CameraParams(yfov=math.radians(40), width=640, height=480)))
    return s


def test_entity_leaving_every_frustum_keeps_moving_and_reenters_where_the_trajectory_says():
    scene = crossing_scene()
    tl = simulate(scene)
    car = tl.index("car_1")
    vis = tl.visibility["cam"]
    seen = vis.visible[:, car]
    assert seen.any() and not seen.all()
    # while unseen it keeps following its path, frame by frame
    expected = sample_trajectory(scene.trajectory("drive"), tl.time)
    np.testing.assert_allclose(tl.position[:, car], expected.position, atol=1e-5)
    assert np.all(np.linalg.norm(tl.velocity[:-1][~seen[:-1], car], axis=1) > 1.0)  # the last frame holds the end
    # it leaves, then re-enters; the re-entry frame is exactly on the trajectory
    events = [(e.event, e.frame) for e in vis.events if e.entity == "car_1"]
    kinds = [k for k, _ in events]
    assert kinds == ["enter", "exit", "enter", "exit"]
    back = events[2][1]
    assert not seen[back - 1] and seen[back]
    np.testing.assert_allclose(tl.position[back, car], expected.position[back], atol=1e-5)
    assert abs(tl.position[back, car, 0]) < 12 and tl.position[back - 1, car, 0] > tl.position[back, car, 0]
    # same id, same material: the entity is the same one
    assert tl.ids[car] == "car_1"
    assert scene.material_of("car_1").id == "mat_red"


def test_removing_the_camera_changes_no_entity_array():
    scene = crossing_scene()
    with_cam = simulate(scene)
    scene.remove("cam")
    without = simulate(scene)
    car_a, car_b = with_cam.index("car_1"), without.index("car_1")
    for name in ("position", "rotation", "scale", "velocity"):
        np.testing.assert_array_equal(getattr(with_cam, name)[:, car_a], getattr(without, name)[:, car_b])
    assert without.visibility == {}


def _digest(tl) -> str:
    h = hashlib.sha256()
    for a in (tl.time, tl.position, tl.rotation, tl.scale, tl.velocity):
        h.update(np.ascontiguousarray(a).tobytes())
    for cam in sorted(tl.visibility):
        h.update(tl.visibility[cam].visible.tobytes())
        h.update(tl.visibility[cam].pixel_area.tobytes())
    return h.hexdigest()


def busy_scene() -> Scene:
    rng = np.random.default_rng(7)
    s = Scene(fps=30, duration=3.0)
    s.add_entity(Entity("cam", kind="camera", transform=Transform((0, 2, 15))))
    for i, (interp, speed) in enumerate([("linear", "keyframes"), ("smooth", "constant"), ("linear", "ease"), ("step", "keyframes")] * 3):
        pos = rng.uniform(-5, 5, (4, 3)) * (1, 0, 1)
        s.add_trajectory(Trajectory(f"t{i}", times=[0, 1, 2, 3], positions=pos, interpolation=interp, speed=speed, heading="tangent", loop=i % 2 == 0))
        s.add_entity(Entity(f"e{i}"), trajectory=f"t{i}")
    s.add_entity(Entity("ball", bounds=BALL, transform=Transform((0, 2, 0)), dynamics=Dynamics(velocity=(1, 3, 0.5), restitution=0.7, friction=0.4)))
    return s


def test_same_scene_and_seed_give_identical_arrays_across_processes(tmp_path):
    scene = busy_scene()
    path = tmp_path / "scene.json"
    scene.save(path)
    here = _digest(simulate(Scene.load(path), seed=3))
    code = (
        "import sys, hashlib, numpy as np\n"
        "from scenegraph.model import Scene\nfrom scenegraph.world import simulate\n"
        f"sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})\n"
        "from test_world import _digest\n"
        f"print(_digest(simulate(Scene.load({str(path)!r}), seed=3)))\n"
    )
    digests = set()
    for hashseed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}, check=True)
        digests.add(out.stdout.strip())
    assert digests == {here}


def test_thrown_ball_follows_the_closed_form_arc_within_a_millimetre():
    s = Scene(fps=30, duration=2.0)
    p0, v0, g, t0 = np.array([0.0, 1.0, 0.0]), np.array([3.0, 6.0, -1.0]), 9.81, 0.25
    s.add_entity(Entity("ball", bounds=BALL, transform=Transform(p0), dynamics=Dynamics(velocity=v0, start_time=t0, gravity=g)))
    tl = simulate(s)
    dt = tl.time - t0
    arc = p0 + dt[:, None] * v0 - 0.5 * g * (dt**2)[:, None] * [0, 1, 0]
    land = (v0[1] + math.sqrt(v0[1] ** 2 + 2 * g * (p0[1] - 0.1))) / g  # the ball's bottom touches y=0
    flying = (dt >= 0) & (dt < land)
    assert flying.sum() > 30
    err = np.abs(tl.position[flying, 0] - arc[flying]).max()
    assert err < 1e-3
    np.testing.assert_allclose(tl.velocity[flying, 0], v0 - g * dt[flying, None] * [0, 1, 0], atol=1e-3)
    # before its start time it rests where it was placed
    np.testing.assert_array_equal(tl.position[dt < 0, 0], np.tile(p0, ((dt < 0).sum(), 1)).astype(np.float32))


def test_dropped_ball_bounces_with_apexes_scaled_by_restitution_squared_then_rests():
    e, h0 = 0.6, 2.0
    s = Scene(fps=500, duration=5.0)
    s.add_entity(Entity("ball", bounds=BALL, transform=Transform((0, h0 + 0.1, 0)), dynamics=Dynamics(restitution=e, friction=0.5)))
    tl = simulate(s)
    y = tl.position[:, 0, 1].astype(np.float64) - 0.1  # height of the ball's bottom
    assert y.min() >= -1e-6
    vy = tl.velocity[:, 0, 1]
    apex = [max(y[i], y[i + 1]) for i in range(y.size - 1) if vy[i] > 0 >= vy[i + 1] and y[i] > 1e-3]
    assert len(apex) >= 3
    expected = h0 * e ** (2 * np.arange(1, len(apex) + 1))
    np.testing.assert_allclose(apex[:3], expected[:3], rtol=0.01)
    # it settles: from some frame on, on the ground with exactly zero velocity
    rest = np.nonzero(np.all(tl.velocity[:, 0] == 0, axis=1) & (np.abs(y) < 1e-6))[0]
    assert rest.size and rest[-1] == y.size - 1
    assert np.all(np.all(tl.velocity[rest[0] :, 0] == 0, axis=1))
    # it settled once a rebound would have been slower than the threshold
    last_impact = math.sqrt(2 * 9.81 * h0) * e ** len(apex)
    assert e * last_impact < SETTLE_SPEED * 1.5 or len(apex) >= 6


def test_friction_stops_a_sliding_ball_exactly():
    s = Scene(fps=100, duration=3.0)
    s.add_entity(Entity("puck", bounds=((-0.1, 0, -0.1), (0.1, 0.05, 0.1)), dynamics=Dynamics(velocity=(2, 0, 0), friction=0.5)))
    tl = simulate(s)
    x, vx = tl.position[:, 0, 0], tl.velocity[:, 0, 0]
    stop = 2.0 / (0.5 * 9.81)
    assert np.all(tl.position[:, 0, 1] == 0)
    np.testing.assert_allclose(x[-1], 2.0 * stop - 0.5 * 0.5 * 9.81 * stop**2, atol=1e-4)
    assert np.all(vx[tl.time > stop + 0.01] == 0)
    np.testing.assert_allclose(vx[20], 2.0 - 0.5 * 9.81 * 0.2, atol=1e-4)


def test_ball_thrown_from_a_trajectory_keeps_its_release_velocity():
    s = Scene(fps=50, duration=2.0)
    s.add_trajectory(Trajectory("carry", times=[0, 1], positions=[[0, 1, 0], [2, 1, 0]]))
    s.add_entity(Entity("ball", bounds=BALL, dynamics=Dynamics(start_time=0.5)), trajectory="carry")
    tl = simulate(s)
    i = int(np.searchsorted(tl.time, 0.6))
    dt = tl.time[i] - 0.5
    np.testing.assert_allclose(tl.position[i, 0], [1 + 2 * dt, 1 - 0.5 * 9.81 * dt**2, 0], atol=1e-4)


def test_heading_turns_plus_z_along_the_velocity():
    s = Scene(fps=24, duration=4.0)
    s.add_trajectory(Trajectory("path", times=[0, 1, 2, 3, 4], positions=[[0, 0, 0], [3, 0, 1], [4, 0, 4], [1, 0, 6], [-2, 0, 5]], interpolation="smooth", heading="tangent"))
    # a rest rotation with a yaw (replaced) and a small tilt (kept)
    rest = quat_from_axis_angle((0, 1, 0), 1.0)
    s.add_entity(Entity("dog", transform=Transform((0, 0, 0), rest)), trajectory="path")
    tl = simulate(s)
    v = tl.velocity[:, 0].astype(np.float64)
    moving = np.linalg.norm(v, axis=1) > 1e-3
    front = quat_rotate(tl.rotation[moving, 0].astype(np.float64), np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(front, v[moving] / np.linalg.norm(v[moving], axis=1, keepdims=True), atol=1e-5)


def test_children_are_local_to_their_parent():
    s = Scene(fps=10, duration=1.0)
    s.add_trajectory(Trajectory("go", times=[0, 1], positions=[[0, 0, 0], [10, 0, 0]]))
    s.add_entity(Entity("truck", transform=Transform(rotation=quat_from_axis_angle((0, 1, 0), math.pi / 2))), trajectory="go")
    s.add_entity(Entity("crate", transform=Transform((0, 1, 2))), parent="truck")
    tl = simulate(s)
    assert tl.parents == (-1, 0)
    np.testing.assert_array_equal(tl.position[:, 1], np.tile([0, 1, 2], (11, 1)))
    # the crate rides 2 m in front of the truck, which faces +X
    np.testing.assert_allclose(tl.world_position("crate")[5], [7, 1, 0], atol=1e-5)


@pytest.mark.parametrize("fps,duration", [(0, 1.0), (-24, 1.0), (float("nan"), 1.0), (24, -1.0), (24, float("inf"))])
def test_bad_fps_or_duration_is_refused(fps, duration):
    s = Scene()
    with pytest.raises(SimulationError, match="fps|duration"):
        simulate(s, fps=fps, duration=duration)


def test_a_timeline_too_large_for_memory_is_refused_naming_the_numbers():
    s = Scene()
    s.add_entity(Entity("a"))
    with pytest.raises(SimulationError, match=r"240000001 frames .* 1 entities .*GiB"):
        simulate(s, fps=24000, duration=10000)


def test_cli_simulate_writes_the_timeline_npz(tmp_path):
    scene_path, out = tmp_path / "scene.json", tmp_path / "timeline.npz"
    crossing_scene().save(scene_path)
    run = subprocess.run([sys.executable, "-m", "scenegraph.cli", "simulate", str(scene_path), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with np.load(out) as z:
        assert z["time"].shape == (193,) and z["time"].dtype == np.float64
        assert list(z["ids"]) == ["car_1", "cam"]
        assert z["position"].shape == (193, 2, 3) and z["position"].dtype == np.float32
        assert z["rotation"].shape == (193, 2, 4)
        assert z["scale"].shape == (193, 2, 3)
        assert z["velocity"].shape == (193, 2, 3)
        vis = z["visible/cam"]
        assert vis.shape == (193, 2) and vis.dtype == bool and vis[:, 0].any() and not vis[:, 1].any()
        np.testing.assert_allclose(z["position"][96, 0], [30, 0, 0], atol=1e-5)
