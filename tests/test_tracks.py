"""Pose and wheel tracks computed ahead of the USD writer in a forked child: the same values, the same
file bytes, and a writer that goes on when the child dies."""
from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import exporters
import scenegraph.appearance.tracks as tracks_mod
from scenegraph.appearance.gait import pose_track
from scenegraph.appearance.rig import rig_for
from scenegraph.appearance.tracks import Tracks
from scenegraph.appearance.vehicle import wheel_keys
from scenegraph.world import simulate

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the track worker is forked")

PROMPT = "Two men and a dog walk along the street while a red car and a blue bus drive past"


@pytest.fixture(scope="module")
def street():
    from scenegraph.pipeline import build

    scene = build(PROMPT, seed=3, gaussians="none")
    return scene, simulate(scene)


def _jobs(scene, tl):
    jobs = tracks_mod._jobs(scene, tl)
    assert {k for k, _ in jobs} == {"pose", "wheels"} and len(jobs) >= 5  # 2 men + a dog, a car and a bus
    return jobs


def _same(kind, got, scene, tl, eid):
    if kind == "pose":
        rig, got = got
        assert rig.names == rig_for(scene.entity(eid), scene.seed).names
        want = pose_track(scene, tl, eid)
        assert np.array_equal(got.rotations, want.rotations) and np.array_equal(got.root, want.root), eid
    else:
        want = wheel_keys(scene, tl, eid)
        assert all(np.array_equal(g, w) for g, w in zip(got, want)), eid


def test_forked_tracks_equal_the_writers_own(street):
    scene, tl = street
    jobs = _jobs(scene, tl)
    with Tracks(scene, tl, fork=True) as t:
        assert t.forked
        pid = t._pid
        for kind, eid in jobs:
            _same(kind, t.character(eid) if kind == "pose" else t.wheels(eid), scene, tl, eid)
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)


def test_rigs_of_one_body_share_their_parts():
    from scenegraph.pipeline import build

    scene = build("Twelve people walk across the plaza", seed=3, gaussians="none")
    tl = simulate(scene)
    ids = [e.id for e in scene.entities() if rig_for(e, scene.seed) is not None]
    with Tracks(scene, tl, fork=True) as t:
        while t._conn is not None:  # everything from the child first (else the writer may make some itself)
            t._drain(wait=5.0)
        rigs = [t.character(eid)[0] for eid in ids]
    here = [rig_for(scene.entity(eid), scene.seed) for eid in ids]
    shared = [(i, j) for i in range(len(ids)) for j in range(i) if here[i].parts is here[j].parts]
    assert len(ids) == 12 and shared  # some people have the same body
    # the parts go over the pipe once per body and are shared as rig_for shares them (one prototype each)
    assert shared == [(i, j) for i in range(len(ids)) for j in range(i) if rigs[i].parts is rigs[j].parts]
    for got, want in zip(rigs, here):
        assert all(np.array_equal(g[1].positions, w[1].positions) and np.array_equal(g[2], w[2]) for g, w in zip(got.parts, want.parts))


def test_a_killed_child_leaves_the_writer_to_compute_the_rest(street):
    scene, tl = street
    jobs = _jobs(scene, tl)
    with Tracks(scene, tl, fork=True) as t:
        kind, eid = jobs[0]
        _same(kind, t.character(eid) if kind == "pose" else t.wheels(eid), scene, tl, eid)
        os.kill(t._pid, signal.SIGKILL)
        for kind, eid in jobs[1:]:
            _same(kind, t.character(eid) if kind == "pose" else t.wheels(eid), scene, tl, eid)


def test_small_scenes_and_batch_workers_fork_nothing(street, monkeypatch):
    scene, tl = street
    assert not Tracks(scene, tl).forked  # 5 tracks: below MIN_JOBS, a fork would not pay
    monkeypatch.setattr(tracks_mod, "MIN_JOBS", 1)
    monkeypatch.setenv("SCENEGRAPH_FORK_TRACKS", "0")

    def listed(*args):  # a worker that may not fork does not walk every entity's rig and parts to list jobs
        raise AssertionError("jobs listed although no child may be forked")

    monkeypatch.setattr(tracks_mod, "_jobs", listed)
    with Tracks(scene, tl) as t:
        assert not t.forked
        assert t.wheels("car_1") is not None or t.character("man_1") is not None  # still computed, in-process


def test_usd_bytes_are_the_same_with_and_without_the_child(street, tmp_path, monkeypatch):
    pytest.importorskip("pxr")
    scene, tl = street
    (tmp_path / "forked").mkdir()
    (tmp_path / "serial").mkdir()
    monkeypatch.setattr(tracks_mod, "MIN_JOBS", 1)
    monkeypatch.setattr(tracks_mod, "_fork_allowed", lambda: True)  # even where Blender was loaded by other tests
    forks = []
    start = Tracks._start
    monkeypatch.setattr(Tracks, "_start", lambda self, jobs: (forks.append(len(jobs)), start(self, jobs)))
    exporters.export(scene, tmp_path / "forked" / "street.usdc", timeline=tl)
    assert forks and forks[0] >= 5
    monkeypatch.setattr(tracks_mod, "MIN_JOBS", 10**9)
    exporters.export(scene, tmp_path / "serial" / "street.usdc", timeline=tl)
    assert len(forks) == 1
    assert (tmp_path / "forked" / "street.usdc").read_bytes() == (tmp_path / "serial" / "street.usdc").read_bytes()


def test_parked_cars_are_no_jobs_and_fork_no_child(monkeypatch):
    """A lot of parked cars: their wheels never turn, so listing them as jobs would fork a child for nothing."""
    from scenegraph.appearance.vehicle import moving_wheel_keys
    from scenegraph.pipeline import build

    scene = build("a parking lot with 60 cars, then a red car drives away", seed=1, gaussians="none")
    tl = simulate(scene)
    cars = [e.id for e in scene.entities("object") if e.cls == "car"]
    assert len(cars) >= 60
    jobs = tracks_mod._jobs(scene, tl)
    moving = [eid for eid in cars if moving_wheel_keys(wheel_keys(scene, tl, eid)) is not None]
    assert jobs == [("wheels", eid) for eid in moving] and 1 <= len(moving) <= 2
    monkeypatch.setattr(tracks_mod, "_fork_allowed", lambda: True)
    with Tracks(scene, tl) as t:
        assert not t.forked  # fewer than MIN_JOBS moving vehicles
        for eid in cars[:3] + moving:
            assert all(np.array_equal(g, w) for g, w in zip(t.wheels(eid), wheel_keys(scene, tl, eid)))
