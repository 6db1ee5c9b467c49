"""Movers waiting their turn: keeping clear of each other in time (scenegraph.world.yielding) only where a wait
helps, and a rider who waits for its turn waiting on what it rides (scenegraph.world.relative.mount_time)."""
from __future__ import annotations

import numpy as np

from scenegraph.world.plausibility import check_world
from tests._worlds import world


def _world(prompt: str):
    _, scene, tl = world(prompt, fps=None)  # at the scene's own frame rate
    return scene, tl


def test_a_car_passing_a_standing_dog_does_not_hold_the_dog_back():
    # the dog stands by the kerb beside its walker while the car goes by; waiting cannot clear that, so it
    # must not push the dog's walk past the end of the clip
    scene, tl = _world("A red car drives from left to right while a man walks his dog to the bench, "
                       "then the camera pans left as a cyclist rides past the old stone fountain.")
    assert not any("waited" in w for w in scene.metadata.get("warnings", []))
    dog, man = tl.position[:, tl.index("dog_1")], tl.position[:, tl.index("man_1")]
    assert np.linalg.norm(dog[-1] - dog[0]) > 1.5  # the dog walks with him
    assert np.linalg.norm((dog[-1] - man[-1])[[0, 2]]) < 1.5  # and ends at his side
    assert not check_world(scene, tl)["overlap"]


def test_a_dog_walked_on_a_lead_waits_where_its_walker_waits():
    scene, tl = _world("A red car drives from left to right while a man walks his dog to the bench, "
                       "then the camera pans left as a cyclist rides past the old stone fountain.")

    def setoff(eid: str) -> float:
        p = tl.position[:, tl.index(eid)]
        return float(tl.time[np.argmax(np.linalg.norm(p - p[0], axis=1) > 0.05)])

    assert setoff("man_1") > 1.0  # he waits for the car to pass
    assert abs(setoff("dog_1") - setoff("man_1")) < 0.75  # and the dog with him, not on its own clock


def test_a_later_mover_still_waits_for_one_crossing_its_way():
    scene, tl = _world("A man walks across the street while a red car drives from left to right")
    assert not check_world(scene, tl)["overlap"]


def test_a_rider_whose_turn_comes_later_waits_on_the_bike():
    scene, tl = _world("A man walks to the bench, then a woman rides her bike past the fountain")
    problems = check_world(scene, tl)
    assert not problems["jerk"] and not problems["facing"] and not problems["below_ground"]
    woman, bike = tl.position[:, tl.index("woman_1")], tl.position[:, tl.index("bike_1")]
    seat = woman[:, 1] - bike[:, 1]
    assert seat[0] > 0.3 and np.allclose(seat, seat[0], atol=0.05)  # on the saddle from the first frame to the last
    gap = np.linalg.norm((woman - bike)[:, [0, 2]], axis=1)
    assert gap.max() < 0.6  # the bike under her all along (she does not walk off it, it does not jump to her)
    assert np.linalg.norm(bike[-1] - bike[0]) > 5.0  # and she rides past the fountain


def _yaw_deg(tl, eid):
    r = tl.rotation[:, tl.index(eid)].astype(np.float64)
    return np.degrees(np.unwrap(np.arctan2(2 * (r[:, 0] * r[:, 2] + r[:, 3] * r[:, 1]), 1 - 2 * (r[:, 0] ** 2 + r[:, 1] ** 2))))


def test_a_car_pulls_away_from_the_woman_at_its_side_without_waiting_or_turning_on_the_spot():
    """She walked up to the car and stands at its flank: it drives off when told, pulling ahead before it turns
    (its tail swings out only past her), instead of waiting eight seconds for her and then swinging into her."""
    scene, tl = _world("a woman walks to the car, then the car drives away")
    assert not any("waited" in w for w in scene.metadata.get("warnings", []))
    car = tl.position[:, tl.index("car_1")].astype(np.float64)
    planned = next(a for a in scene.metadata["actions"] if a["actor"] == "car")
    moved = np.flatnonzero(np.linalg.norm(car - car[0], axis=1) > 0.05)
    assert moved.size and tl.time[moved[0]] < planned["start"] + 1.0  # it goes when the sentence says
    assert np.linalg.norm((car[-1] - car[0])[[0, 2]]) > 8.0  # and away
    step = np.linalg.norm(np.diff(car, axis=0)[:, [0, 2]], axis=1)
    turn = np.radians(np.abs(np.diff(_yaw_deg(tl, "car_1"))))
    turning = turn * tl.fps > np.radians(5.0)
    assert turning.any() and np.min(step[turning] / turn[turning]) > 2.5  # every turn on a circle, none on the spot
    assert not check_world(scene, tl)["overlap"]


def test_a_car_turning_round_keeps_a_steady_nose_and_the_clip_lasts_until_it_is_back():
    scene, tl = _world("a car turns around and drives back")
    yaw = _yaw_deg(tl, "car_1")
    rate = np.abs(np.diff(yaw)) * tl.fps
    u_turn = (tl.time[1:] > 0.5) & (tl.time[1:] < 9.0)  # the U-turn, under way
    assert 10.0 < np.median(rate[u_turn]) < 40.0
    assert rate[u_turn].max() < 1.6 * np.median(rate[u_turn])  # no twitch of the nose at the path's vertices
    car = tl.position[:, tl.index("car_1")].astype(np.float64)
    assert np.linalg.norm((car[-1] - car[0])[[0, 2]]) < 0.5  # back where it started, within the clip
    assert np.linalg.norm((car[-1] - car[-int(tl.fps)])[[0, 2]]) < 0.05  # and all but stopped in its last second
