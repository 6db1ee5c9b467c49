"""scenegraph diff: what an edit changed, with the frames it touches."""
from __future__ import annotations

import json

import numpy as np

from exporters import export
from scenegraph import pipeline
from scenegraph.cli import main
from scenegraph.model import Material
from scenegraph.world import simulate
from scenegraph.world.changes import diff


def _edited():
    a = pipeline.build("a red car drives from left to right", seed=1, gaussians="none")
    b = a.copy()
    car = next(e for e in b.entities() if e.cls == "car")
    traj = b.trajectory_of(car.id)
    pos = np.array(traj.positions, dtype=float)
    half = len(traj.times) // 2
    pos[half:, 2] += 2.0  # the second half of the drive, 2 m further back
    b.update(traj.id, positions=pos)
    return a, b, car.id, traj


def test_diff_lists_a_moved_entity_with_its_frame_range():
    a, b, car, traj = _edited()
    tb = simulate(b)
    changes = diff(a, b, simulate(a), tb)
    assert [(c.kind, c.entity) for c in changes] == [("moved", car)]
    (first, last), = changes[0].frames
    t_first = traj.times[len(traj.times) // 2 - 1]  # the edit starts after the key before the moved ones
    assert first > 0 and abs(first / tb.fps - t_first) <= 1.5 / tb.fps
    assert last == tb.frame_count - 1 or last / tb.fps >= traj.times[-1] - 1e-6


def test_diff_cli_names_recolour_added_and_removed(tmp_path, capsys):
    a, b, car, _ = _edited()
    b.add_material(Material("mat_green", base_color=(0.1, 0.8, 0.1)))
    ground = next(e for e in b.entities() if e.cls == "ground")
    b.set_material(ground.id, "mat_green")
    export(a, tmp_path / "a.json")
    export(b, tmp_path / "b.json")
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json"]) == 0
    got = {(c["kind"], c["entity"]): c for c in json.loads(capsys.readouterr().out)}
    assert ("moved", car) in got and ("recoloured", ground.id) in got
    assert got[("recoloured", ground.id)]["frames"] == [[0, simulate(b).frame_count - 1]]
    assert main(["diff", str(tmp_path / "a.json"), str(tmp_path / "a.json")]) == 0
    assert capsys.readouterr().out.strip() == "no changes"
