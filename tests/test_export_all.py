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


def test_the_cli_build_of_three_formats_matches_single_exports(scene, tmp_path, monkeypatch):
    from scenegraph.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["build", PROMPT, "--seed", "2", "-o", "c.json", "-o", "c.glb", "-o", "c.usdc", "--quiet"]) == 0
    (tmp_path / "single").mkdir()
    for n in ("c.json", "c.glb", "c.usdc"):
        exporters.export(scene, tmp_path / "single" / n)  # the same name: a sky image is named after its file
        assert (tmp_path / n).read_bytes() == (tmp_path / "single" / n).read_bytes(), n
