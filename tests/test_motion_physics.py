"""Motion like the real thing, measured on the world state: speeds, accelerations, headings, gaps, heights."""
from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

from scenegraph.director import direct
from scenegraph.world import simulate
from scenegraph.world.builder import build_scene
from scenegraph.world.plausibility import check_world
from scenegraph.world.profiles import LIMITS, limits_for, setting_speed
from scenegraph.world.selfcheck import check_plan
from scenegraph.model import catalog


def world(prompt: str, **kw):
    spec, _ = direct(prompt)
    scene = build_scene(spec, prompt=prompt, **kw)
    return scene, simulate(scene)


def kinematics(tl, eid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speed (F-1,), acceleration magnitude (F-2,) and jerk magnitude (F-3,) from frame positions."""
    p = tl.world_position(eid).astype(np.float64)
    v = np.diff(p, axis=0) * tl.fps
    a = np.diff(v, axis=0) * tl.fps
    j = np.diff(a, axis=0) * tl.fps
    return np.linalg.norm(v, axis=1), np.linalg.norm(a, axis=1), np.linalg.norm(j, axis=1)


def test_a_walk_starts_from_rest_with_bounded_acceleration_and_jerk():
    _, tl = world("after 3 seconds a woman walks towards the camera")
    sp, acc, jerk = kinematics(tl, "woman_1")
    lim = LIMITS["biped"]
    assert acc.max() <= lim.accel * 1.05  # the planned (comfortable) acceleration, not just the cap
    assert np.median(jerk[jerk > 1e-3]) <= lim.jerk  # frame-measured; single frames can spike above it
    assert sp[: int(2.9 * tl.fps)].max() < 1e-6 and 1.0 < sp.max() < 1.5


def test_the_police_car_on_the_highway_drives_at_highway_speed_for_the_whole_clip():
    scene, tl = world("a police car drives quickly on the highway")
    sp, acc, _ = kinematics(tl, "police_car_1")  # the word the prompt used names it
    assert setting_speed("car", "highway", 10.0) == pytest.approx(27.0)
    assert np.median(sp) > 25.0 and sp.min() > 25.0  # under way from the first frame, never parks
    assert scene.duration >= 3.0 and acc.max() < 1.0


def test_a_turning_car_follows_an_arc_with_bounded_yaw_rate_facing_its_travel():
    scene, tl = world("a car turns left")
    i = tl.index("car_1")
    p = tl.world_position("car_1").astype(np.float64)
    v = np.diff(p, axis=0) * tl.fps
    moving = np.linalg.norm(v, axis=1) > 0.5
    fwd = tl.world_matrices()[1:, i, :3, 2]
    cos = np.sum(fwd[:, [0, 2]] * v[:, [0, 2]], axis=1) / (np.linalg.norm(fwd[:, [0, 2]], axis=1) * np.linalg.norm(v[:, [0, 2]], axis=1) + 1e-12)
    assert np.all(cos[moving] > math.cos(math.radians(10)))  # the body faces where it goes
    yaw = np.unwrap(np.arctan2(fwd[:, 0], fwd[:, 2]))
    rate = np.abs(np.diff(yaw)) * tl.fps
    assert rate.max() <= 2.0  # about speed / radius on the arc: no turn on the spot
    assert abs(yaw[-1] - yaw[0]) == pytest.approx(math.pi / 2, abs=0.15)
    _, acc, _ = kinematics(tl, "car_1")
    assert acc.max() <= LIMITS["car"].accel_cap


def test_turning_car_exports_linear_rotation_keys(tmp_path):
    from exporters import export

    scene, _ = world("a car turns left")
    path = tmp_path / "turn.glb"
    export(scene, path)
    data = path.read_bytes()
    n = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + n])
    node = next(k for k, nd in enumerate(doc["nodes"]) if nd.get("name") == "car")
    chans = [(c, a) for a in doc["animations"] for c in a["channels"] if c["target"].get("node") == node]
    rot = [a["samplers"][c["sampler"]] for c, a in chans if c["target"]["path"] == "rotation"]
    assert rot and all(s["interpolation"] == "LINEAR" for s in rot)


def test_a_drone_flying_over_a_house_passes_above_its_roof():
    scene, tl = world("a drone flying over a house")
    d, h = tl.world_position("drone_1"), tl.world_position("house_1")[0]
    top = h[1] + scene.entity("house_1").bounds[1][1]
    half = np.ptp(scene.entity("house_1").bounds, axis=0) / 2
    over = np.all(np.abs((d - h)[:, [0, 2]]) < half[[0, 2]] + 0.5, axis=1)
    assert over.any() and np.all(d[over, 1] > top + 0.5)  # above the roof while over the house
    assert not check_world(scene, tl)["overlap"]


def test_walking_past_a_statue_goes_round_it():
    scene, tl = world("a woman walks past the statue")
    assert not check_world(scene, tl)["overlap"]


def test_two_cars_starting_together_do_not_start_inside_each_other():
    scene, tl = world("two cars drive from left to right")
    a, b = tl.world_position("car_1"), tl.world_position("car_2")
    gap = np.abs(a - b)
    size = np.ptp(scene.entity("car_1").bounds, axis=0)
    apart = (gap[:, 0] > size[2] - 0.05) | (gap[:, 2] > size[0] - 0.05)  # along the road or across it
    assert apart.all()


def test_a_follower_keeps_a_gap_from_its_leader():
    _, tl = world("a black dog follows a man who walks from left to right")
    gap = np.linalg.norm((tl.world_position("dog_1") - tl.world_position("man_1"))[:, [0, 2]], axis=1)
    assert gap.min() > 0.6 and gap.max() < 3.0


def test_clean_worlds_pass_every_check_and_a_collision_is_reported():
    scene, tl = world("a man walks from left to right")
    assert not any(check_world(scene, tl).values())
    from scenegraph.model import Entity, Scene, Trajectory
    from scenegraph.model.catalog import bounds_of

    s = Scene(fps=24, duration=2.0)
    s.add_trajectory(Trajectory("go", times=[0, 2], positions=[[-3, 0, 0], [3, 0, 0]]))
    s.add_entity(Entity("car_1", cls="car", bounds=bounds_of((1.8, 1.5, 4.5))), trajectory="go")
    s.add_entity(Entity("box_1", cls="box", bounds=bounds_of((0.5, 0.4, 0.5))))
    problems = check_world(s, simulate(s))
    assert problems["overlap"] and "car_1 and box_1" in problems["overlap"][0] or "box_1 and car_1" in problems["overlap"][0]


def test_the_self_check_reports_each_clause_with_its_span():
    scene, tl = world("a red car drives from left to right")
    rows = check_plan(scene, tl)
    drive = next(r for r in rows if r["clause"].startswith("car_1 drive left_to_right"))
    assert drive["holds"] and drive["start"] == 0.0 and drive["end"] > 1.0


def test_archetype_limits_cover_the_catalogue():
    for info in catalog.CATALOG.values():
        lim = limits_for(info)
        assert lim.speed_cap >= max(info.walk, info.run, info.drive), info.name
