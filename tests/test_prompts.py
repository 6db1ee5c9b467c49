"""Every prompt in samples/prompts.txt builds with the rules director into a sane world."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenegraph.world.builder import build_scene
from scenegraph.director import direct
from scenegraph.world import simulate

PROMPTS = [p.strip() for p in (Path(__file__).resolve().parents[1] / "samples" / "prompts.txt").read_text().splitlines()
           if p.strip() and not p.startswith("#")]


def test_there_are_at_least_forty_varied_prompts():
    assert len(PROMPTS) >= 40 and len(set(PROMPTS)) == len(PROMPTS)
    verbs = {a.verb for p in PROMPTS for a in direct(p)[0].actions}
    assert {"walk", "drive", "run", "cross", "pause", "turn", "follow", "throw", "drop", "roll", "look_at"} <= verbs


@pytest.mark.parametrize("prompt", PROMPTS)
def test_sample_prompt_builds_a_sane_world(prompt):
    spec, warnings = direct(prompt)
    scene = build_scene(spec, prompt=prompt)
    objects = {e.id: e for e in scene.entities("object")}
    for es in spec.entities:  # every entity of the spec exists, with its class and colour
        ids = [e for e in objects.values() if e.attributes.get("spec_ref") == es.id]
        assert len(ids) == es.count
        assert all(e.cls == es.cls for e in ids)
        if es.color:
            assert all(scene.material_of(e.id).id.startswith("mat_" + es.color.replace(" ", "_")) for e in ids)
    movers = {eid for a in spec.actions for eid in objects
              if objects[eid].attributes.get("spec_ref") == a.actor and a.verb not in ("throw", "drop")}
    for eid in movers:  # everything told to act has a trajectory inside the scene's time
        traj = scene.trajectory_of(eid)
        assert traj is not None, eid
        assert 0.0 <= traj.start and traj.end <= scene.duration + 1e-6 or traj.loop
    for eid in (e for e in objects if objects[e].dynamics is not None):
        assert objects[eid].dynamics.start_time <= scene.duration
    timeline = simulate(scene)
    assert np.all(np.isfinite(timeline.position))
    assert timeline.position[:, :, 1].min() > -0.05  # nothing sinks into the ground
    assert "camera_1" in timeline.visibility
