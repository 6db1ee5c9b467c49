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
