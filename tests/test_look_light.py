"""Third-round look: rooms lit by day, night scenes readable, lights authored for stock Blender's exposure 0."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import scenegraph

ROOM = "a cat sleeps on the sofa in the living room"


def _srgb_mean(rgb: np.ndarray) -> float:
    """Mean 0-255 level of a linear frame as its PNG shows it."""
    c = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    return float(np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055).mean() * 255)


def _frame(prompt: str, width: int = 128):
    from scenegraph.render.frames import render

    scene = scenegraph.build(prompt, seed=0, duration=1.0, gaussians="none")
    return scene, render(scene, frames=[0], width=width, passes=False)[0]


@pytest.mark.slow
def test_a_room_by_day_is_lit_through_its_windows_and_a_night_room_darker_but_not_black():
    day, fd = _frame(ROOM)
    night, fn = _frame(ROOM + " at night")
    windows = [e for e in day.entities("light") if str(e.attributes.get("lamp", "")).startswith("wall_")]
    assert len(windows) >= 2 and all(e.light.type == "spot" for e in windows)
    assert all(e.light.intensity > 500.0 for e in windows)  # candela: daylight through the glass
    aim = [day.world_matrix(e.id)[:3, :3] @ np.array([0.0, 0.0, -1.0]) for e in windows]
    assert all(a[1] < -0.3 for a in aim)  # into the room and down
    assert not [e for e in night.entities("light") if str(e.attributes.get("lamp", "")).startswith("wall_")]
    lamps = lambda s: [e.light.intensity for e in s.entities("light") if e.light.type == "point"]  # noqa: E731
    assert lamps(day) and lamps(night) and min(lamps(night)) > min(lamps(day))  # the lamps are the night's key light
    d, n = _srgb_mean(fd.rgb), _srgb_mean(fn.rgb)
    assert d > 60.0, d  # a day room is well exposed (it read 104 only because the sky lit it through the ceiling)
    assert 25.0 < n < 0.9 * d, (n, d)


def test_a_big_room_gets_a_ceiling_lamp_per_five_metres():
    from scenegraph.world.setting_rooms import _LAMP_SPACING

    scene = scenegraph.build("A cat walks across the kitchen at night", seed=0, duration=1.0, gaussians="none")
    walls = {e.attributes.get("side"): np.asarray(scene.world_matrix(e.id)[:3, 3]) for e in scene.entities("object")
             if e.cls == "wall"}
    lamps = [e for e in scene.entities("object") if e.id.startswith("ceiling_lamp_")]
    depth = abs(walls["north"][2] - walls["south"][2])
    assert len(lamps) >= min(3, int(np.ceil(depth / _LAMP_SPACING)))


@pytest.mark.slow
def test_a_night_street_shows_its_lights_and_a_dark_blue_sky():
    scene, fr = _frame("A blue truck drives from right to left on the road at night", width=160)
    day_scene, day = _frame("A blue truck drives from right to left on the road at noon", width=160)
    sky = fr.instance == -1
    assert sky.sum() > 50
    r, g, b = fr.rgb[sky].mean(axis=0)
    assert b > 1.5 * r and b > 0.01, (r, g, b)  # dark blue (about 25/255 in the PNG), not black
    assert (fr.rgb.max(axis=2) > 0.7).mean() > 0.01  # lit windows and light pools read bright
    n, d = _srgb_mean(fr.rgb), _srgb_mean(day.rgb)
    assert 12.0 < n < 0.8 * d, (n, d)
    street = [e for e in scene.entities("light") if e.light.type == "spot" and e.attributes.get("lamp")]
    assert street, "street lights whose pool is in the picture"
    moon = scene.world_matrix("sun_1")[:3, :3] @ np.array([0.0, 0.0, -1.0])
    eye = scene.world_matrix("camera_1")[:3, 3]
    assert float(np.dot(-moon[[0, 2]], eye[[0, 2]] - scene.world_matrix("truck_1")[:3, 3][[0, 2]])) > 0  # moon behind the camera


PLAIN = '''
import json, sys
import bpy, numpy as np
res = {}
for path in sys.argv[1:]:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=path)
    sc = bpy.context.scene
    sc.camera = next(o for o in bpy.data.objects if o.type == "CAMERA")
    sc.render.engine = "CYCLES"; sc.cycles.samples = 8; sc.cycles.use_denoising = False; sc.cycles.device = "CPU"
    sc.render.resolution_x, sc.render.resolution_y, sc.render.resolution_percentage = 96, 54, 100
    sc.render.image_settings.file_format = "PNG"; sc.render.filepath = path + ".png"
    bpy.ops.render.render(write_still=True)
    img = bpy.data.images.load(path + ".png")
    res[path] = {"mean": float(np.array(img.pixels[:]).reshape(-1, 4)[:, :3].mean() * 255),
                 "exposure": sc.view_settings.exposure}
print("RESULT" + json.dumps(res))
'''


@pytest.mark.slow
@pytest.mark.blender
def test_a_day_room_renders_exposed_in_cycles_and_in_a_plain_gltf_import(tmp_path):
    """The Cycles job and stock Blender's glTF import (exposure 0, no add-on) both show the day room lit;
    before the window lights and the exposure keys, Cycles gave 17 and the plain import 24 (0-255)."""
    pytest.importorskip("bpy")
    from exporters import export
    from scenegraph import pipeline

    scene = scenegraph.build(ROOM, seed=0, duration=1.0, gaussians="none")
    (cyc,) = pipeline.render_frames(scene, renderer="blender", frames=[0], width=96, samples=8, passes=False)
    assert _srgb_mean(cyc.rgb) > 50.0, _srgb_mean(cyc.rgb)
    export(scene, tmp_path / "room.glb")
    doc = (tmp_path / "room.glb").read_bytes()
    gltf = json.loads(doc[20:20 + int.from_bytes(doc[12:16], "little")])
    lights = gltf["extensions"]["KHR_lights_punctual"]["lights"]
    assert {lt["type"] for lt in lights} >= {"directional", "spot", "point"}
    script = tmp_path / "plain.py"
    script.write_text(PLAIN)
    r = subprocess.run([sys.executable, str(script), str(tmp_path / "room.glb")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(next(x for x in r.stdout.splitlines() if x.startswith("RESULT"))[6:])[str(tmp_path / "room.glb")]
    assert got["exposure"] == 0.0 and got["mean"] > 35.0, got


def _angle_deg(q: np.ndarray) -> np.ndarray:
    return np.degrees(2.0 * np.arccos(np.clip(np.abs(q[..., 3]), 0.0, 1.0)))


@pytest.mark.slow
def test_a_climber_goes_hand_over_hand_on_the_ladder_only_and_stays_up_after(tmp_path):
    """The climb cycle runs in the world's climb phase (not on the walk to the ladder), one reach per 0.35 m
    risen, and the feet plant anew up there afterwards (the hips used to drop back to the floor); the glTF
    skin animation and UsdSkel carry the same joint rotations."""
    from pxr import Usd, UsdSkel

    from exporters import export
    from exporters._gltf_container import open_container
    from scenegraph.appearance.gait import pose_track, skin_matrices
    from scenegraph.appearance.rig import rig_for
    from scenegraph.world import simulate

    scene = scenegraph.build("A boy climbs the ladder", seed=0, gaussians="none")
    (ph,) = [p for p in scene.metadata["phases"] if p["phase"] == "climb"]
    assert ph["mode"] == "face" and ph["on"] == "ladder_1"
    tl = simulate(scene)
    rig = rig_for(scene.entity("boy_1"), scene.seed)
    pose = pose_track(scene, tl, "boy_1", rig)
    t = np.asarray(tl.time)
    y = tl.world_position("boy_1")[:, 1]
    arm_l, arm_r = (_angle_deg(pose.rotations[:, rig.names.index(f"upper_arm_{s}")]) for s in "LR")
    walk = t < ph["start"] - 0.3
    climb = (t > ph["start"] + 0.3) & (t < ph["end"] - 0.3)
    assert walk.sum() > 10 and climb.sum() > 30
    assert arm_l[walk].max() < 60.0  # arms swing by the sides on the way there
    assert arm_l[climb].min() > 100.0 and arm_r[climb].min() > 100.0  # reaching above the head
    lead = np.sign(arm_l[climb] - arm_r[climb])
    swaps = int((np.diff(lead[lead != 0]) != 0).sum())
    rise = float(y[climb].max() - y[climb].min())
    assert rise > 1.0 and swaps >= int(rise / 0.35) - 2, (swaps, rise)  # hands alternate with the height gained
    knee = _angle_deg(pose.rotations[:, rig.names.index("upper_leg_L")])
    assert np.ptp(knee[climb]) > 25.0  # and the knees lift in turn
    end = t > ph["end"] + 0.5
    assert y[end].min() > 2.0 and pose.root[end, 1].min() > 0.8 * rig.offsets[0][1]  # standing up there, not sunk

    export(scene, tmp_path / "c.glb")
    export(scene, tmp_path / "c.usda")
    c = open_container(tmp_path / "c.glb")
    doc = c.doc
    skin = doc["skins"][0]
    names = [doc["nodes"][j]["name"] for j in skin["joints"]]
    anim = doc["animations"][0]
    j = names.index("upper_arm_L")
    ch = next(ch for ch in anim["channels"] if ch["target"]["node"] == skin["joints"][j] and ch["target"]["path"] == "rotation")
    keys = np.asarray(c.accessor(anim["samplers"][ch["sampler"]]["output"], "q"), np.float64)
    assert np.allclose(keys, pose.rotations[:, rig.names.index("upper_arm_L")], atol=1e-6)
    stage = Usd.Stage.Open(str(tmp_path / "c.usda"))
    root = UsdSkel.Root(next(p for p in stage.Traverse() if p.IsA(UsdSkel.Root)))
    cache = UsdSkel.Cache()
    cache.Populate(root, Usd.PrimDefaultPredicate)
    query = cache.GetSkelQuery(cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate)[0].GetSkeleton())
    want = skin_matrices(rig, pose)
    f = int(np.flatnonzero(climb)[len(np.flatnonzero(climb)) // 2])
    got = np.array([np.array(m).T for m in query.ComputeJointSkelTransforms(float(f))])
    assert np.allclose(got, want[f], atol=1e-4)


@pytest.mark.slow
def test_birds_flap_in_flight_and_fold_their_wings_when_perched_or_walking():
    from scenegraph.appearance.gait import pose_track
    from scenegraph.appearance.rig import rig_for
    from scenegraph.world import simulate

    def wings(prompt: str) -> tuple[np.ndarray, np.ndarray]:
        scene = scenegraph.build(prompt, seed=0, duration=3.0, gaussians="none")
        bird = next(e for e in scene.entities("object") if e.cls in ("bird", "pigeon"))
        tl = simulate(scene)
        rig = rig_for(bird, scene.seed)
        pose = pose_track(scene, tl, bird.id, rig)
        return _angle_deg(pose.rotations[:, rig.names.index("wing_L")]), tl.world_position(bird.id)[:, 1]

    fly, y_fly = wings("A bird flies over the tree")
    perch, y_perch = wings("A bird stands on the bench")  # 0.85 m up, on the seat's back: standing, not flying
    walk, y_walk = wings("A pigeon walks on the sidewalk")
    assert y_fly.min() > 2.0 and np.ptp(fly) > 30.0  # wing beats
    assert y_perch.min() > 0.4 and np.ptp(perch) < 1.0 and perch.min() > 70.0  # folded back along the body
    assert y_walk.max() < 0.3, y_walk.max()  # a walking pigeon stays on the ground (it flew at 4 m)
    assert np.ptp(walk) < 1.0 and walk.min() > 70.0


def _png_rows(data: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float64)


@pytest.mark.slow
def test_the_usd_dome_light_shows_the_sky_gradient_from_an_image_beside_the_layer(tmp_path):
    import zipfile

    from pxr import Usd, UsdLux

    from exporters import export

    scene = scenegraph.build("A dog runs in the park at sunset", seed=0, duration=1.0, gaussians="none")
    export(scene, tmp_path / "p.usdc")
    export(scene, tmp_path / "q.usdz")
    stage = Usd.Stage.Open(str(tmp_path / "p.usdc"))
    (dome,) = [UsdLux.DomeLight(p) for p in stage.Traverse() if p.IsA(UsdLux.DomeLight)]
    asset = dome.GetTextureFileAttr().Get()
    assert asset.path == "./p_sky.png" and dome.GetTextureFormatAttr().Get() == "latlong"
    assert asset.resolvedPath and (tmp_path / "p_sky.png").is_file()
    img = _png_rows((tmp_path / "p_sky.png").read_bytes())
    h = img.shape[0]
    up, horizon, down = img[1].mean(axis=0), img[h // 2 - 1].mean(axis=0), img[-2].mean(axis=0)
    assert np.abs(up - horizon).max() > 30 and np.abs(horizon - down).max() > 30  # a gradient, not one flat colour
    assert np.ptp(img, axis=1).max() == 0  # the same all round (no seam)
    sky = scene.metadata["environment"]["sky"]
    assert horizon[0] > horizon[2] and sky["horizon"][0] > sky["horizon"][2]  # a sunset's warm horizon
    with zipfile.ZipFile(tmp_path / "q.usdz") as z:
        assert z.read("q_sky.png") == (tmp_path / "p_sky.png").read_bytes()  # packaged; same bytes every time
    assert not (tmp_path / "q_sky.png").exists()
