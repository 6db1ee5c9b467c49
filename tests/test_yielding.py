"""Movers keep clear of each other in time (scenegraph.world.yielding): waits that help, and none that cannot."""
from __future__ import annotations

import numpy as np

from scenegraph.director import direct
from scenegraph.world import simulate
from scenegraph.world.builder import build_scene
from scenegraph.world.plausibility import check_world


def _world(prompt: str):
    spec, _ = direct(prompt)
    scene = build_scene(spec, prompt=prompt)
    return scene, simulate(scene)


def test_a_car_passing_a_standing_dog_does_not_hold_the_dog_back():
    # the dog stands by the kerb beside its walker while the car goes by; waiting cannot clear that, so it
    # must not push the dog's walk past the end of the clip
    scene, tl = _world("A red car drives from left to right while a man walks his dog to the bench, "
                       "then a cyclist rides past the fountain")
    assert not any("waited" in w for w in scene.metadata.get("warnings", []))
    dog, man = tl.position[:, tl.index("dog_1")], tl.position[:, tl.index("man_1")]
    assert np.linalg.norm(dog[-1] - dog[0]) > 1.5  # the dog walks with him
    assert np.linalg.norm((dog[-1] - man[-1])[[0, 2]]) < 1.5  # and ends at his side
    assert not check_world(scene, tl)["overlap"]


def test_a_later_mover_still_waits_for_one_crossing_its_way():
    scene, tl = _world("A man walks across the street while a red car drives from left to right")
    assert not check_world(scene, tl)["overlap"]
