"""scene.json: canonical, versioned, exact round trips, clear refusals."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from scenegraph import Dynamics, Entity, FormatError, Scene, Trajectory
from scenegraph.appearance import Gaussians
from scenegraph.model.serialize import VERSION, dumps, load_json, save_json

from tests.test_model import street


def with_everything() -> Scene:
    s = street()
    rng = np.random.default_rng(7)
    n = 50
    g = Gaussians(
        means=rng.normal(size=(n, 3)),
        quats=rng.normal(size=(n, 4)),
        scales=rng.uniform(0.01, 0.2, size=(n, 3)),
        opacities=rng.uniform(0, 1, size=n),
        sh=rng.normal(size=(n, 16, 3)),
    )
    s.update("car_1", gaussians=g, attributes={"make": "hatchback", "doors": 5})
    s.add_entity(Entity("ball_1", cls="ball", dynamics=Dynamics(velocity=(1.0, 4.0, 0.0), start_time=0.5)))
    s.add_trajectory(Trajectory("traj_cam", [0, 1, 2], [[0, 1, 9], [1, 1, 9], [2, 1, 9]], rotations=[[0, 0, 0, 1]] * 3, heading="keyframes", interpolation="smooth", loop=True))
    s.set_trajectory("camera_1", "traj_cam")
    s.metadata["warnings"] = ["unknown words: flibber"]
    return s


def test_load_of_save_is_equal(tmp_path):
    s = with_everything()
    path = tmp_path / "scene.json"
    save_json(s, path)
    back = load_json(path)
    assert back == s
    assert back.entity("car_1").gaussians == s.entity("car_1").gaussians
    assert back.entity("car_1").attributes == {"make": "hatchback", "doors": 5}
    assert back.parent_of("driver_1").id == "car_1"
    assert back.relations() == [("bus_1", "behind", "car_1")]
    # canonical: saving again gives the same bytes
    assert dumps(back) == path.read_text()


def test_file_is_versioned_sorted_and_diffable(tmp_path):
    text = dumps(street())
    data = json.loads(text)
    assert data["format"] == "scenegraph" and data["version"] == VERSION
    assert list(data) == sorted(data)
    assert [e["id"] for e in data["entities"]] == ["car_1", "driver_1", "bus_1", "camera_1", "sun"]
    assert data["entities"][0]["material"] == "mat_red_paint"
    assert "\n" in text and text.endswith("\n")


def test_future_version_is_refused(tmp_path):
    data = json.loads(dumps(street()))
    data["version"] = VERSION + 1
    p = tmp_path / "future.json"
    p.write_text(json.dumps(data))
    with pytest.raises(FormatError, match=f"version {VERSION + 1} is newer"):
        load_json(p)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format="blender"), "'format' must be 'scenegraph'"),
        (lambda d: d.pop("entities"), "missing field 'entities'"),
        (lambda d: d["entities"][0].update(cls=7), "cls"),
        (lambda d: d["entities"][0].update(material="mat_nope"), r"entities\[0\] \('car_1'\).*mat_nope"),
        (lambda d: d["entities"][1].update(parent="driver_1"), "own parent"),
        (lambda d: d["entities"][0]["transform"].update(scale=[1, 0, 1]), "scale"),
        (lambda d: d["entities"][0].update(wheels=4), "unknown field"),
        (lambda d: d["trajectories"][0].update(times=[0, 0]), "strictly increasing"),
        (lambda d: d["relations"].append({"subject": "car_1", "rel": "orbits", "object": "bus_1"}), "orbits"),
        (lambda d: d["scene"].update(fps=-1), "fps"),
    ],
)
def test_malformed_files_name_the_problem(tmp_path, mutate, message):
    data = json.loads(dumps(street()))
    mutate(data)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    with pytest.raises(FormatError, match=message):
        load_json(p)


def test_invalid_json_and_missing_file(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"format": "scenegraph", ')
    with pytest.raises(FormatError, match="invalid JSON"):
        load_json(p)
    with pytest.raises(FormatError, match="cannot read"):
        load_json(tmp_path / "nothing.json")


def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "scene.json"
    save_json(street(), p)
    before = p.read_bytes()
    s = street()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(FormatError, match=r"scene\.json: cannot write \(disk full\)"):  # typed, one line
        save_json(s, p)
    assert p.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["scene.json"]


def test_gaussians_blob_of_wrong_size_is_refused(tmp_path):
    data = json.loads(dumps(with_everything()))
    data["entities"][0]["gaussians"]["count"] = 51
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    with pytest.raises(FormatError, match="gaussians.means"):
        load_json(p)


def test_gc_paused_restores_the_collector_as_it_found_it():
    import gc

    from scenegraph.model.serialize import gc_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()  # back on, even after an error
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller who had it off keeps it off
    finally:
        gc.enable()


def test_save_writes_the_text_of_dumps_in_pieces_and_nothing_when_a_piece_fails(tmp_path, monkeypatch):
    from scenegraph.model import codec

    s = with_everything()
    save_json(s, tmp_path / "s.json")
    assert (tmp_path / "s.json").read_text() == dumps(s)  # the pieces make the same text, byte for byte
    assert "".join(codec.chunks(codec.scene_to_dict(s))) == dumps(s)
    assert "".join(codec.chunks({})) == "{\n\n}\n" == codec.dumps({})
    line, calls = codec._line, []

    def failing(value):  # the third entity's line cannot be written: the file is not half there
        calls.append(1)
        if len(calls) == 12:
            raise ValueError("Out of range float values are not JSON compliant")
        return line(value)

    monkeypatch.setattr(codec, "_line", failing)
    with pytest.raises(ValueError):
        save_json(s, tmp_path / "t.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]
