"""Several files of one scene at once (exporters.export_all): one Timeline, USD written by a forked child."""
from __future__ import annotations

import hashlib
import os

import pytest

import exporters
from scenegraph import pipeline
from scenegraph.errors import FormatError

PROMPT = "a red car drives from left to right past two parked cars while a man walks to the bench"


@pytest.fixture(scope="module")
def scene():
    return pipeline.build(PROMPT, seed=2)


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_and_in_turn_write_the_bytes_of_one_export_after_another(scene, tmp_path):
    names = ["s.json", "s.glb", "s.usdc", "s.usda"]
    runs = {}
    for how in ("one_by_one", "forked", "in_turn"):
        d = tmp_path / how
        d.mkdir()
        if how == "one_by_one":
            for n in names:
                exporters.export(scene, d / n)
        else:
            exporters.export_all(scene, [d / n for n in names], fork=how == "forked")
        runs[how] = _digests(d)
    assert set(runs["forked"]) >= set(names)
    assert runs["forked"] == runs["one_by_one"] == runs["in_turn"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_an_error_in_the_forked_usd_writer_is_raised_here_with_its_message(scene, tmp_path):
    with pytest.raises(FormatError, match="unknown option"):
        _with_option(scene, tmp_path)
    assert (tmp_path / "a.glb").exists()
    with pytest.raises(FormatError, match="does not exist"):
        exporters.export_all(scene, [tmp_path / "ok.glb", tmp_path / "nowhere" / "s.usdc"], fork=True)
    assert (tmp_path / "ok.glb").exists()  # the other writer finished before the error was raised


def _with_option(scene, tmp_path):
    """A writer that fails in the child only: the USD writer refuses an option the glTF one never sees."""
    def write(s, path, **options):
        if str(path).endswith(".usdc"):
            options["bogus"] = 1
        return exporters.export(s, path, **options)

    from exporters._together import export_all

    return export_all(write, scene, [tmp_path / "a.glb", tmp_path / "a.usdc"], fork=True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_standby_usd_writer_started_before_the_build_writes_the_same_bytes(scene, tmp_path, monkeypatch):
    """usd_standby forks the USD writer before the scene exists (it loads usd-core meanwhile); the scene is
    sent to it, and the files are those of one export after another."""
    import exporters._together as together

    monkeypatch.setattr(together, "_fork_allowed", lambda: True)  # a busy test machine would say no
    names = ["s.json", "s.glb", "s.usdc"]
    (tmp_path / "one").mkdir()
    (tmp_path / "standby").mkdir()
    for n in names:
        exporters.export(scene, tmp_path / "one" / n)
    paths = [tmp_path / "standby" / n for n in names]
    standby = pipeline.usd_standby(paths)
    assert standby is not None and standby.pid > 0
    child = standby.pid
    pipeline.export_all(scene, paths, standby=standby)
    standby.close()  # a no-op once it has written
    assert _digests(tmp_path / "standby") == _digests(tmp_path / "one")
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped
    assert pipeline.usd_standby([tmp_path / "only.glb"]) is None  # nothing for it to do: no child
    assert pipeline.usd_standby([tmp_path / "a.usdc", tmp_path / "b.usda"]) is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_standby_closed_unsent_leaves_and_a_dead_one_is_written_for(scene, tmp_path, monkeypatch):
    import signal
    import time

    import exporters._together as together

    monkeypatch.setattr(together, "_fork_allowed", lambda: True)
    standby = pipeline.usd_standby([tmp_path / "a.glb", tmp_path / "a.usdc"])
    child = standby.pid
    standby.close()  # the build failed: no scene comes
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)
    assert not list(tmp_path.iterdir())  # it wrote nothing
    # a standby that died (killed while usd-core loaded): this process writes the USD file itself
    paths = [tmp_path / "b.glb", tmp_path / "b.usdc"]
    standby = pipeline.usd_standby(paths)
    os.kill(standby.pid, signal.SIGKILL)
    for _ in range(200):  # until it is gone (a zombie: nobody reads its pipe any more)
        with open(f"/proc/{standby.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    pipeline.export_all(scene, paths, standby=standby)
    (tmp_path / "one").mkdir()
    exporters.export(scene, tmp_path / "one" / "b.usdc")
    assert (tmp_path / "b.usdc").read_bytes() == (tmp_path / "one" / "b.usdc").read_bytes()


def test_the_cli_build_starts_a_standby_usd_writer_and_matches_single_exports(scene, tmp_path, monkeypatch):
    """With a core to spare, ``scenegraph build`` to .glb and .usdc has the USD file written by a standby child
    (it marks a file from the child), and the bytes are those of single exports."""
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    import exporters._together as together
    from scenegraph.cli import main

    monkeypatch.setattr(together, "_fork_allowed", lambda: True)
    job = together._standby_job

    def marked(write, message):  # runs in the child, which inherits this patch through fork
        (tmp_path / f"standby-{os.getpid()}").write_text("")
        return job(write, message)

    monkeypatch.setattr(together, "_standby_job", marked)
    monkeypatch.chdir(tmp_path)
    assert main(["build", PROMPT, "--seed", "2", "-o", "d.glb", "-o", "d.usdc", "--quiet"]) == 0
    marks = [p.name for p in tmp_path.glob("standby-*")]
    assert len(marks) == 1 and marks[0] != f"standby-{os.getpid()}"
    (tmp_path / "single").mkdir()
    for n in ("d.glb", "d.usdc"):
        exporters.export(scene, tmp_path / "single" / n)
        assert (tmp_path / n).read_bytes() == (tmp_path / "single" / n).read_bytes(), n


def test_the_cli_build_of_three_formats_matches_single_exports(scene, tmp_path, monkeypatch):
    from scenegraph.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["build", PROMPT, "--seed", "2", "-o", "c.json", "-o", "c.glb", "-o", "c.usdc", "--quiet"]) == 0
    (tmp_path / "single").mkdir()
    for n in ("c.json", "c.glb", "c.usdc"):
        exporters.export(scene, tmp_path / "single" / n)  # the same name: a sky image is named after its file
        assert (tmp_path / n).read_bytes() == (tmp_path / "single" / n).read_bytes(), n


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_scene_that_does_not_pickle_is_written_here_instead(scene, tmp_path, monkeypatch):
    import pickle

    import exporters._together as together

    monkeypatch.setattr(together, "_fork_allowed", lambda: True)
    paths = [tmp_path / "c.glb", tmp_path / "c.usdc"]
    standby = pipeline.usd_standby(paths)
    child = standby.pid

    def refuse(*args, **kwargs):  # as pickle refuses an object a caller hung on the scene
        raise pickle.PicklingError("cannot pickle 'function' object")

    monkeypatch.setattr(together.pickle, "dump", refuse)
    pipeline.export_all(scene, paths, standby=standby)
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # the standby was let go and reaped
    (tmp_path / "one").mkdir()
    exporters.export(scene, tmp_path / "one" / "c.usdc")
    assert (tmp_path / "c.usdc").read_bytes() == (tmp_path / "one" / "c.usdc").read_bytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_standby_sent_the_world_before_its_look_writes_the_same_usd(tmp_path, monkeypatch):
    """``scenegraph build`` sends the standby the laid-out world and lets it sample the proxy Gaussians itself
    while this process samples its own: the same seeded draws, so the same USD file as a single export."""
    import exporters._together as together

    monkeypatch.setattr(together, "_fork_allowed", lambda: True)
    paths = [tmp_path / "w.glb", tmp_path / "w.usdc"]
    standby = pipeline.usd_standby(paths)
    world = pipeline._world(PROMPT, seed=2, director="rules", fps=None, duration=None, gaussians="proxy", refine=None)
    assert all(e.gaussians is None for e in world.entities())
    assert standby.send_world(world, ("proxy", 2)) and standby.sent
    pipeline._look(world, seed=2, gaussians="proxy")
    with pytest.raises(ValueError, match="paths it was made for"):
        pipeline.export_all(world, [tmp_path / "x.glb", tmp_path / "x.usdc"], standby=standby)
    (tmp_path / "one").mkdir()
    built = pipeline.build(PROMPT, seed=2)
    exporters.export(built, tmp_path / "one" / "w.usdc")
    standby2 = pipeline.usd_standby(paths)
    world2 = pipeline._world(PROMPT, seed=2, director="rules", fps=None, duration=None, gaussians="proxy", refine=None)
    standby2.send_world(world2, ("proxy", 2))
    pipeline._look(world2, seed=2, gaussians="proxy")
    pipeline.export_all(world2, paths, standby=standby2)
    assert (tmp_path / "w.usdc").read_bytes() == (tmp_path / "one" / "w.usdc").read_bytes()


def test_numpys_blas_runs_on_one_thread_while_the_usd_child_runs_and_as_before_after(tmp_path, monkeypatch):
    """Parent and USD child take a core each: BLAS helpers that spin would take the other's core."""
    import exporters._together as together
    from scenegraph.model.cpus import blas_threads

    before = blas_threads()
    if before is None:
        pytest.skip("no OpenBLAS or MKL found in this process")
    blas_threads(2)
    monkeypatch.setattr(together, "_fork_allowed", lambda: True)
    standby = pipeline.usd_standby([tmp_path / "a.glb", tmp_path / "a.usdc"])
    try:
        assert standby is not None and blas_threads() == 1
    finally:
        standby.close()
    assert blas_threads() == 2
    blas_threads(before)
