"""A person who drives a car sits in it and the car moves: 'a woman drives a car', 'walks to the car and drives away'."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.appearance.gait import _entity_matrices, joint_world_positions, pose_track
from scenegraph.appearance.rig import rig_for
from scenegraph.director import direct
from scenegraph.pipeline import build
from scenegraph.world import simulate


def _world(prompt):
    scene = build(prompt, seed=0, gaussians="none")
    return scene, simulate(scene)


def _inside(tl, scene, who, vehicle):
    """Per frame: whether ``who`` stands within ``vehicle``'s footprint (in the vehicle's own frame)."""
    p, v = tl.world_position(who), tl.world_position(vehicle)
    lo, hi = (np.asarray(b) for b in scene.entity(vehicle).bounds)
    half = 0.5 * (hi - lo)
    yaw = np.array([float(np.arctan2(2 * (q[3] * q[1]), 1 - 2 * q[1] ** 2)) for q in tl.rotation[:, tl.index(vehicle)]])
    d = p - v
    x = d[:, 0] * np.cos(yaw) - d[:, 2] * np.sin(yaw)
    z = d[:, 0] * np.sin(yaw) + d[:, 2] * np.cos(yaw)
    return (np.abs(x) < half[0]) & (np.abs(z) < half[2])


@pytest.mark.parametrize("prompt", ["A woman drives a car", "A man drives the truck away", "A man drives the red van down the street"])
def test_a_person_who_drives_a_vehicle_sits_in_it_as_it_moves(prompt):
    spec, _ = direct(prompt)
    assert [a.verb for a in spec.actions] == ["ride"] and spec.actions[0].target
    scene, tl = _world(prompt)
    who = next(e.id for e in scene.entities("object") if e.id.startswith(("woman", "man")))
    vehicle = next(e.id for e in scene.entities("object") if e.id.startswith(("car", "truck", "van")))
    v = tl.world_position(vehicle)
    assert np.linalg.norm(v[-1] - v[0]) > 5.0  # the vehicle drives
    assert _inside(tl, scene, who, vehicle).all()  # with the driver in it all the way
    rig = rig_for(scene.entity(who), scene.seed)
    joints = joint_world_positions(rig, pose_track(scene, tl, who), _entity_matrices(tl, tl.index(who)))
    roof = np.asarray(scene.entity(vehicle).bounds)[1][1]
    assert np.all(joints[:, rig.index("head"), 1] < roof + 0.05)  # seated: the head under the roof
    assert np.all(joints[:, rig.index("hips"), 1] < 0.5 * roof + 0.2)


def test_walking_to_the_car_and_driving_away_gets_in_then_the_car_leaves():
    scene, tl = _world("A woman walks to the car and drives away")
    inside = _inside(tl, scene, "woman_1", "car_1")
    car = tl.world_position("car_1")
    board = int(np.argmax(inside))
    assert 0 < board and not inside[:board].any() and inside[board:].all()  # outside, then in it for good
    assert np.linalg.norm(car[board] - car[0]) < 1.0  # the car waits for her
    assert np.linalg.norm(car[-1] - car[board]) > 8.0  # then drives away
