"""The lit beauty render: sky, sun, shadows, night, passes untouched by light, Blender and its fallback."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scenegraph import CameraParams, Entity, LightParams, Material, Scene, Transform
from scenegraph.render import render
from scenegraph.render.frames import _instance_pass
from scenegraph.render.progress import progress_bar
from scenegraph.world import simulate
from scenegraph.world.views import PinholeCamera

ROOT = Path(__file__).resolve().parents[1]


def _look(eye, target) -> Transform:
    from scenegraph.world.shots import look_rotation

    return Transform(eye, look_rotation(np.asarray(target, float) - np.asarray(eye, float)))


def box_scene(sun_travel=(0.3, -1.0, 0.0), lux: float = 2000.0, time_of_day: str | None = None,
              eye=(0.0, 3.0, 6.0), target=(0.0, 0.3, 0.0)) -> Scene:
    """A 1 m grey box on a concrete ground, a sun shining along ``sun_travel``, a camera at ``eye``."""
    s = Scene(fps=4, duration=1.0, seed=0)
    s.add_material(Material("mat_grey", base_color=(0.6, 0.6, 0.6), roughness=0.8))
    s.add_material(Material("mat_concrete", base_color=(0.35, 0.35, 0.33), roughness=0.9))
    s.add_entity(Entity("ground", cls="ground", bounds=[[-80, -0.05, -80], [80, 0.0, 80]]), material="mat_concrete")
    s.add_entity(Entity("box_1", cls="box", bounds=[[-0.5, 0.0, -0.5], [0.5, 1.0, 0.5]]), material="mat_grey")
    s.add_entity(Entity("sun_1", kind="light", cls="light", light=LightParams("directional", intensity=lux),
                        transform=_look((0.0, 20.0, 0.0), np.asarray((0.0, 20.0, 0.0)) + sun_travel)))
    s.add_entity(Entity("camera_1", kind="camera", camera=CameraParams(aspect=16 / 9, width=640, height=360),
                        transform=_look(eye, target)))
    if time_of_day:
        s.metadata["spec"] = {"environment": {"time_of_day": time_of_day}}
    return s


def pixel_of(frame, scene: Scene, point) -> tuple[int, int]:
    """(row, column) of a world point in a rendered frame."""
    tl = simulate(scene)
    i = tl.ids.index(frame.camera)
    h, w = frame.instance.shape
    cam = PinholeCamera.from_scene_camera(scene.entity(frame.camera).camera, tl.world_matrices()[frame.frame][i], w, h)
    p = cam.world_to_camera @ np.append(np.asarray(point, float), 1.0)
    return int(cam.fy * p[1] / p[2] + cam.cy), int(cam.fx * p[0] / p[2] + cam.cx)


def luminance(rgb) -> np.ndarray:
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def test_day_sky_is_blue_and_never_black():
    s = box_scene()
    (fr,) = render(s, frames=[0], width=96)
    sky = fr.rgb[fr.instance == -1]
    assert len(sky) > 200
    assert sky.min() > 0.05  # not one black sky pixel
    r, g, b = sky.mean(axis=0)
    assert b > r and b > 0.3  # blue
    assert (fr.depth[fr.instance == -1] == 0).all() and (fr.alpha[fr.instance == -1] == 0).all()


def test_night_is_much_darker_than_day_and_passes_do_not_change():
    day = box_scene()
    night = box_scene(lux=150.0, time_of_day="night")
    (d,) = render(day, frames=[0], width=96)
    (n,) = render(night, frames=[0], width=96)
    assert luminance(n.rgb).mean() < 0.35 * luminance(d.rgb).mean()
    assert luminance(n.rgb[n.instance == -1]).min() > 0.0  # a night sky is dark blue, not void
    # ground truth is the world state: the light changes nothing in the passes
    np.testing.assert_array_equal(n.instance, d.instance)
    np.testing.assert_array_equal(n.depth, d.depth)


def test_instance_pass_is_the_per_entity_z_buffer():
    s = box_scene(eye=(3.0, 2.0, 4.0))
    (fr,) = render(s, frames=[0], width=120)
    tl = simulate(s)
    index = {e: i for i, e in enumerate(tl.ids)}
    world = tl.world_matrices()[0]
    h, w = fr.instance.shape
    cam = PinholeCamera.from_scene_camera(s.entity("camera_1").camera, world[index["camera_1"]], w, h)
    np.testing.assert_array_equal(fr.instance, _instance_pass(s, world, index, cam))
    box = fr.mask("box_1")
    # depth of the box's nearest corner: the camera is 5.4 m from the box's near edge region
    assert 3.5 < fr.depth[box].min() < fr.depth[box].max() < 6.5


def test_face_towards_the_sun_is_brighter_than_the_face_away():
    # sun from +X; the camera sees the +X face (right of the box in the image) and the +Z face (left)
    s = box_scene(sun_travel=(-1.0, -0.6, 0.0), eye=(4.0, 1.6, 4.0), target=(0.0, 0.5, 0.0))
    (fr,) = render(s, frames=[0], width=160)
    lit_face = fr.rgb[pixel_of(fr, s, (0.5, 0.5, 0.0))]
    dark_face = fr.rgb[pixel_of(fr, s, (0.0, 0.5, 0.5))]
    assert fr.instance[pixel_of(fr, s, (0.5, 0.5, 0.0))] == fr.ids.index("box_1")
    assert fr.instance[pixel_of(fr, s, (0.0, 0.5, 0.5))] == fr.ids.index("box_1")
    assert luminance(lit_face) > 1.5 * luminance(dark_face)


def test_the_box_casts_a_shadow_on_the_ground():
    # the sun leans towards +X: the shadow falls on the ground at x in (0.5, 0.8)
    s = box_scene(sun_travel=(0.3, -1.0, 0.0))
    (fr,) = render(s, frames=[0], width=200)
    ground = fr.ids.index("ground")
    shadow_px = pixel_of(fr, s, (0.68, 0.0, 0.0))
    sunny_px = pixel_of(fr, s, (-0.9, 0.0, 0.0))
    assert fr.instance[shadow_px] == ground and fr.instance[sunny_px] == ground
    assert luminance(fr.rgb[shadow_px]) < 0.7 * luminance(fr.rgb[sunny_px])
    # and without a box there is no shadow there
    s.remove("box_1")
    (bare,) = render(s, frames=[0], width=200)
    assert luminance(bare.rgb[shadow_px]) == pytest.approx(luminance(bare.rgb[sunny_px]), rel=0.08)


def test_point_light_lights_the_ground_at_night():
    from scenegraph.world.sky import KEY_SCALE

    s = box_scene(lux=150.0, time_of_day="night")
    (dark,) = render(s, frames=[0], width=96)
    s.add_entity(Entity("light_1", kind="light", cls="light", light=LightParams("point", intensity=200.0 * KEY_SCALE),
                        transform=Transform((-1.5, 2.0, 1.0))))
    (lamp,) = render(s, frames=[0], width=96)
    px = pixel_of(lamp, s, (-1.5, 0.0, 1.0))
    assert luminance(lamp.rgb[px]) > 3 * luminance(dark.rgb[px]) + 0.02


def test_readme_scene_is_lit_with_a_sky(tmp_path):
    import scenegraph

    scene = scenegraph.build("A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, "
                             "then continues while a red car turns into the scene", seed=0)
    (fr,) = render(scene, frames=[60], width=160)
    sky = fr.instance[:10] == -1  # the top rows between the street's facades: sky, never black
    assert sky.mean() > 0.2 and fr.rgb[:10][sky].min() > 0.1
    car = fr.mask("car_1") if fr.mask("car_1").any() else None
    if car is not None:
        r, g, b = fr.rgb[car].mean(axis=0)
        assert r > 2 * g  # still a red car


def test_progress_bar_draws_only_when_asked():
    buf = io.StringIO()
    bar = progress_bar(stream=buf, force=True)
    bar(1, 2)
    bar(2, 2)
    assert "2/2" in buf.getvalue() and buf.getvalue().endswith("\n")
    assert progress_bar(stream=io.StringIO()) is None  # not a terminal
    assert progress_bar(quiet=True, stream=buf, force=True) is None


def _write_scene(tmp_path: Path) -> Path:
    import exporters

    path = tmp_path / "box.json"
    exporters.export(box_scene(), path)
    return path


HIDE_BPY = """
import sys
sys.modules["bpy"] = None  # as if Blender's module were not installed
from scenegraph.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_missing_bpy_falls_back_to_builtin_with_one_warning(tmp_path):
    scene = _write_scene(tmp_path)
    out = tmp_path / "frames"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", HIDE_BPY, "render", str(scene), "-o", str(out), "--renderer", "blender",
                        "--frames", "0", "--width", "48"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == 1 and "pip install bpy" in warnings[0] and "built-in" in warnings[0]
    assert "Traceback" not in r.stderr
    assert (out / "rgb_0000.png").exists()
    with np.load(out / "passes_0000.npz") as z:
        assert z["rgb"][0].min() > 0.05  # the built-in renderer's sky


@pytest.mark.slow
@pytest.mark.blender
def test_blender_renders_a_frame_with_a_sky_and_exact_passes(tmp_path):
    pytest.importorskip("bpy")
    from scenegraph import pipeline

    s = box_scene(sun_travel=(0.3, -1.0, 0.0))
    (bl,) = pipeline.render_frames(s, renderer="blender", frames=[0], width=64, samples=4)
    (bi,) = render(s, frames=[0], width=64)
    sky = bl.instance == -1
    assert sky.sum() > 100 and bl.rgb[sky].min() > 0.05 and bl.rgb[sky].mean(axis=0)[2] > 0.3
    np.testing.assert_array_equal(bl.instance, bi.instance)
    np.testing.assert_array_equal(bl.depth, bi.depth)
    # the lit box face and the ground read about the same in both renderers
    ground = bl.instance == bl.ids.index("ground")
    assert luminance(bl.rgb[ground]).mean() == pytest.approx(luminance(bi.rgb[ground]).mean(), rel=0.35)
    out = json.dumps({"ok": True})
    assert out


def test_a_captured_splat_is_drawn_as_splats_and_composited_by_depth():
    from scenegraph.model.gaussians import Gaussians

    s = box_scene(eye=(0.0, 1.5, 6.0), target=(0.0, 0.5, 0.0))
    rng = np.random.default_rng(0)
    n = 3000
    means = rng.uniform([-0.4, 0.1, -0.4], [0.4, 0.9, 0.4], (n, 3))
    sh = np.zeros((n, 1, 3))
    sh[:, 0] = (np.array([0.1, 0.9, 0.1]) - 0.5) / 0.28209479177387814  # green
    cloud = Gaussians(means, np.tile([0.0, 0.0, 0.0, 1.0], (n, 1)), np.full((n, 3), 0.06), np.full(n, 0.9), sh)
    s.update("box_1", gaussians=cloud, attributes={"splats": "capture"})
    (fr,) = render(s, frames=[0], width=120, backend="torch")
    centre = pixel_of(fr, s, (0.0, 0.5, 0.5))
    r, g, b = fr.rgb[centre]
    assert g > 1.5 * r and g > 1.5 * b  # the capture's green, not the grey proxy
    assert fr.instance[centre] == fr.ids.index("box_1")  # the passes keep the proxy
    s.update("box_1", attributes={})
    (mesh,) = render(s, frames=[0], width=120)
    np.testing.assert_array_equal(mesh.instance, fr.instance)
    r, g, b = mesh.rgb[centre]
    assert abs(g - r) < 0.05  # grey as a mesh
