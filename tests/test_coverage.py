"""Camera language and coverage: what a user checks in the picture and in the files.

The subject's projected height in the live camera, the camera's position and aim over time, moves and
their returns, the shot count and time ranges in the exported .glb and .usda, and which camera renders
each frame.
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

import exporters
from tests._camera_views import build, live_fill
from scenegraph.director import direct
from scenegraph.errors import SpecError
from scenegraph.model.rotations import quat_rotate
from scenegraph.world import simulate
from scenegraph.world.coverage import active_cameras, readable_fill, smooth
from scenegraph.world.plausibility import check_world, subject_fill


def forward(tl, cam: str = "camera_1") -> np.ndarray:
    """(F, 3) the camera's viewing direction (-Z of its rotation)."""
    return np.array([quat_rotate(q, np.array([0.0, 0.0, -1.0])) for q in tl.rotation[:, tl.index(cam)]])


def live_acceleration(scene, tl) -> float:
    """The largest acceleration (m/s^2) of any camera while it is live (frames inside its shot)."""
    live = np.array(active_cameras(scene, tl.time))
    worst = 0.0
    for c in scene.cameras():
        p = tl.world_position(c.id).astype(np.float64)
        a = np.linalg.norm(np.diff(p, 2, axis=0), axis=1) * tl.fps ** 2
        inside = (live[:-2] == c.id) & (live[1:-1] == c.id) & (live[2:] == c.id)
        if inside.any():
            worst = max(worst, float(a[inside].max()))
    return worst


@pytest.mark.parametrize("prompt,subject", [
    ("A bird flies from left to right", "bird_1"),
    ("A drone flies from left to right", "drone_1"),
    ("A red ball rolls to the box", "ball_1"),
])
def test_small_subjects_are_followed_at_a_readable_size(prompt, subject):
    scene = build(prompt)
    tl = simulate(scene)
    fill = live_fill(scene, tl, subject)
    assert fill.max() >= 0.15  # the still wide shot had it at 6-10% of the picture height
    assert float(np.mean(fill > 0)) >= 0.9  # and in the picture nearly all the time
    assert live_acceleration(scene, tl) < 8.0  # smoothly: no jerky camera
    assert not any(check_world(scene, tl)[k] for k in ("subject_size", "unseen"))


def test_a_still_camera_that_films_the_plan_well_is_kept():
    scene = build("A red car drives from left to right")
    assert scene.trajectory_of("camera_1") is None  # the car crosses the still view, as asked
    assert "shots" not in scene.metadata


def test_the_camera_follows_keeps_the_target_framed_smoothly():
    scene = build("A dog runs across the park while the camera follows the dog")
    tl = simulate(scene)
    fill = live_fill(scene, tl, "dog_1")
    assert float(np.mean(fill >= 0.12)) >= 0.95
    cam = tl.world_position("camera_1")
    assert float(np.ptp(cam[:, 0])) > 2.0  # it moves with the dog
    assert live_acceleration(scene, tl) < 8.0
    f = forward(tl)
    pitch = np.degrees(np.arcsin(np.clip(f[:, 1], -1, 1)))
    assert np.all((pitch < -3.0) & (pitch > -21.0))  # looking down a little: the horizon stays in the picture


def test_pan_then_back_returns_to_where_it_started():
    scene = build("A fountain in the park. The camera pans 90 degrees left and then pans back")
    tl = simulate(scene)
    f = forward(tl)
    yaw = np.degrees(np.unwrap(np.arctan2(-f[:, 0], -f[:, 2])))
    assert yaw.max() - yaw[0] == pytest.approx(90.0, abs=1.0)  # left: towards -X
    assert yaw[-1] == pytest.approx(yaw[0], abs=0.5)
    # eased: the turn starts and ends slowly
    rate = np.abs(np.diff(yaw)) * tl.fps
    assert rate[0] < 0.3 * rate.max()


def test_tilt_up_then_back_down_and_pace():
    scene = build("A tower stands in the city as the camera tilts up slowly, then back down")
    tl = simulate(scene)
    f = forward(tl)
    pitch = np.degrees(np.arcsin(np.clip(f[:, 1], -1, 1)))
    top = int(np.argmax(pitch))
    assert pitch[top] - pitch[0] == pytest.approx(15.0, abs=0.5)
    assert pitch[-1] == pytest.approx(pitch[0], abs=0.5)
    assert tl.time[top] == pytest.approx(6.0, abs=0.1)  # 'slowly' doubles the 3 s tilt
    spec = scene.metadata["spec"]["camera"]
    assert [s["direction"] for s in spec] == ["up", "down"] and all(s["pace"] == "slow" for s in spec)


def test_truck_moves_sideways_and_crane_rises_still_looking_at_the_house():
    scene = build("A car is parked in the street while the camera trucks left")
    tl = simulate(scene)
    cam = tl.world_position("camera_1").astype(np.float64)
    f0 = forward(tl)[0]
    right = np.cross(f0, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    move = cam[-1] - cam[0]
    assert move @ right < -1.4 and abs(move @ f0) < 1e-3  # to the left, not forward
    assert np.allclose(forward(tl)[-1], f0, atol=1e-5)  # the view kept

    scene = build("The camera cranes up over a house")
    tl = simulate(scene)
    cam = tl.world_position("camera_1")
    assert cam[-1, 1] - cam[0, 1] > 2.0
    from scenegraph.world.shots import entity_in_picture

    assert entity_in_picture(scene, tl, "house_1", tl.frame_count - 1) or \
        subject_fill(scene, tl, "house_1")[-1] > 0.3  # still in the picture at the top


def test_a_setting_alone_is_filmed_and_a_camera_move_with_nothing_to_film_is_refused():
    scene = build("The camera pans across the city at night")
    tl = simulate(scene)
    kit = [e for e in scene.entities("object") if e.attributes.get("kit")]
    assert len(kit) >= 5  # the city's street, facades, lamps
    f = forward(tl)
    assert f[-1, 0] < f[0, 0] - 0.2  # it pans (left by default)
    assert abs(tl.world_position("camera_1")[0, 1] - 1.6) < 0.8  # from about eye height
    with pytest.raises(SpecError, match="nothing to film"):
        direct("The camera pans left")


def test_cli_refuses_a_camera_move_with_nothing_to_film(tmp_path, capsys):
    from scenegraph.cli import main

    out = tmp_path / "x.json"
    assert main(["build", "The camera tilts up", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing to film" in err[0]
    assert not out.exists()


CUT = "A cat walks to the sofa, then a bird flies to the window"


@pytest.fixture(scope="module")
def cut_scene():
    return build(CUT)


def test_sequential_actions_in_different_places_cut_between_cameras(cut_scene):
    scene = cut_scene
    shots = scene.metadata["shots"]
    assert len(shots) >= 2 and [s["camera"] for s in shots] == [c.id for c in scene.cameras()]
    assert shots[0]["start"] == 0.0 and shots[-1]["end"] == pytest.approx(scene.duration)
    for a, b in zip(shots, shots[1:]):
        assert a["end"] == b["start"] and b["start"] - a["start"] >= 0.5
    assert "cat_1" in shots[0]["subjects"] and shots[-1]["subjects"] == ["bird_1"]
    tl = simulate(scene)
    # each actor is readable in the shot that films it
    live = np.array(active_cameras(scene, tl.time))
    cat, bird = live_fill(scene, tl, "cat_1"), live_fill(scene, tl, "bird_1")
    assert cat[live != shots[-1]["camera"]].max() >= 0.15
    assert bird[live == shots[-1]["camera"]].max() >= 0.15
    assert not check_world(scene, tl)["unseen"]


def _glb_json(path) -> dict:
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20:20 + length])


def test_shots_are_cameras_with_time_ranges_in_gltf_and_usd(cut_scene, tmp_path):
    scene = cut_scene
    shots = scene.metadata["shots"]
    glb = exporters.export(scene, tmp_path / "cut.glb")
    doc = _glb_json(glb)
    assert len(doc["cameras"]) == len(shots)
    cams = [n for n in doc["nodes"] if "camera" in n]
    ranges = sorted((n["extras"]["scenegraph"]["shot"]["start"], n["extras"]["scenegraph"]["shot"]["end"])
                    for n in cams)
    assert ranges == [(s["start"], s["end"]) for s in shots]
    assert doc["scenes"][0]["extras"]["scenegraph"]["shots"] == shots
    again = exporters.load(glb)
    assert again.metadata["shots"] == shots

    from pxr import Usd, UsdGeom

    usd = exporters.export(scene, tmp_path / "cut.usda")
    stage = Usd.Stage.Open(str(usd))
    prims = [p for p in stage.Traverse() if p.IsA(UsdGeom.Camera)]
    assert len(prims) == len(shots)
    got = sorted((p.GetAttribute("scenegraph:shot:start").Get(), p.GetAttribute("scenegraph:shot:end").Get())
                 for p in prims)
    assert got == [(s["start"], s["end"]) for s in shots]


@pytest.mark.slow
def test_render_uses_the_live_shot_per_frame(cut_scene):
    from scenegraph.render.frames import render

    scene = cut_scene
    tl = simulate(scene)
    shots = scene.metadata["shots"]
    last = shots[-1]
    f1 = int(math.ceil(last["start"] * tl.fps)) + 2
    frames = render(scene, tl, frames=[1, f1], width=64, passes=False)
    assert [fr.camera for fr in frames] == [shots[0]["camera"], last["camera"]]
    # the bird is in the picture of the frame its shot films
    k = frames[1].ids.index("bird_1")
    assert np.any(frames[1].instance == k + 1) or np.any(frames[1].instance == k)


def test_readable_fill_and_smooth():
    assert readable_fill(1.7, 1.7) == 0.15
    assert readable_fill(0.1, 2.0) == pytest.approx(0.15 * 0.1 / 0.5)
    x = np.linspace(0.0, 10.0, 50)
    assert np.allclose(smooth(x, 4.0, extrapolate=True), x)  # steady motion is left as it is
    step = np.r_[np.zeros(25), np.ones(25)]
    s = smooth(step, 4.0)
    assert np.all(np.diff(s) >= -1e-12) and s[0] == pytest.approx(0.0) and s[-1] == pytest.approx(1.0)


def test_vantage_and_shot_size_words():
    def pitch0(prompt):
        scene = build(prompt)
        tl = simulate(scene)
        return scene, tl, float(np.degrees(np.arcsin(forward(tl)[0, 1])))

    scene, tl, p = pitch0("A dog sleeps on the sofa, seen from above")
    assert p == pytest.approx(-75.0, abs=1.0) and subject_fill(scene, tl, "dog_1")[0] >= 0.15
    scene, tl, p = pitch0("A low angle shot of a man standing in the park")
    assert p > 5.0 and tl.world_position("camera_1")[0, 1] < 0.5  # low down, looking up
    assert subject_fill(scene, tl, "man_1")[0] >= 0.15
    close = build("A close-up of a cat on the table")
    tl = simulate(close)
    assert live_fill(close, tl, "cat_1").max() >= 0.3
    wide = build("A wide shot of a horse standing in the field")
    still = build("A horse standing in the field")
    eye = lambda s: s.entity("camera_1").transform.translation  # noqa: E731
    horse = lambda s: s.entity("horse_1").transform.translation  # noqa: E731
    assert np.linalg.norm(eye(wide) - horse(wide)) > 1.5 * np.linalg.norm(eye(still) - horse(still))
    assert direct("A static camera watches a car drive past")[0].camera[0].elevation is None


def test_pan_to_a_named_thing_ends_looking_at_it_and_an_orbit_comes_close_to_a_small_thing():
    from scenegraph.world.shots import project_points

    scene = build("A fountain and a tree in the park. The camera pans to the tree")
    tl = simulate(scene)
    last = tl.frame_count - 1
    m = tl.world_matrices()[last, tl.index("tree_1")]
    uv, depth = project_points(scene, tl, last, m[:3, 3][None] + [0.0, 2.0, 0.0])
    assert depth[0] > 0 and abs(uv[0, 0] - 640) < 40  # the tree in the middle of the picture
    scene = build("The camera orbits a cup on the table")
    tl = simulate(scene)
    fill = subject_fill(scene, tl, "cup_1")
    assert fill.min() > 0 and fill[-1] >= 0.15 > fill[0] - 0.05  # it spirals in from the wide start
