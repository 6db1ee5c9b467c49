"""Frames and passes: the image follows the world state, including an artist's edit in Blender."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from scenegraph import CameraParams, Entity, Material, Scene, Trajectory, Transform
from scenegraph.appearance.assign import assign_gaussians
from scenegraph.model import quat_from_axis_angle
from scenegraph.render import parse_frames, render, write_frames
from scenegraph.render.frames import RenderedFrame
from scenegraph.world import simulate

CAR_BOUNDS = [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]]


def car_scene(x: float = -2.0, moving: bool = False) -> Scene:
    """A red car seen side-on from a camera 12 m away (front of car along +X)."""
    s = Scene(fps=4, duration=2.0, seed=0)
    s.add_material(Material("mat_red", base_color=(0.9, 0.05, 0.05), roughness=0.4))
    side_on = quat_from_axis_angle((0, 1, 0), np.pi / 2)
    s.add_entity(Entity("car_1", cls="car", bounds=CAR_BOUNDS, transform=Transform((x, 0, 0), side_on)), material="mat_red")
    if moving:
        s.add_trajectory(Trajectory("traj_car_1", [0.0, 2.0], [[-3, 0, 0], [3, 0, 0]]))
        s.set_trajectory("car_1", "traj_car_1")
    s.add_entity(Entity("camera_1", kind="camera", camera=CameraParams(aspect=4 / 3, width=640, height=480), transform=Transform((0, 0.75, 12))))
    assign_gaussians(s, mode="proxy", seed=0)
    return s


def centroid_x(frame: RenderedFrame, entity: str) -> float:
    ys, xs = np.nonzero(frame.mask(entity))
    assert xs.size > 0, f"{entity} not in frame {frame.frame}"
    return float(xs.mean()) / frame.instance.shape[1]


def test_render_shows_the_car_where_the_world_puts_it():
    (fr,) = render(car_scene(x=-2.0), frames=[0], width=80, backend="torch")
    assert fr.rgb.shape == (60, 80, 3) and fr.instance.shape == (60, 80)
    mask = fr.mask("car_1")
    # a 4.5 m car at 12 m with a 50 degree field of view spans roughly 40% of the width
    assert 0.25 < mask.any(axis=0).mean() < 0.6
    assert centroid_x(fr, "car_1") < 0.45  # left of centre
    # splat colour where the car is: red, matching its material
    inner = mask & (fr.alpha > 0.9)
    r, g, b = fr.rgb[inner].mean(axis=0)
    assert r > 0.3 and r > 3 * g and r > 3 * b
    # depth of the car's near side is ~12 m minus half its width
    assert np.median(fr.depth[inner]) == pytest.approx(12 - 0.9, abs=0.6)
    assert fr.visible == ["car_1"]
    assert not fr.mask("car_1")[0:5].any()  # nothing in the sky rows


@pytest.mark.slow
def test_moving_car_moves_right_across_frames():
    frames = render(car_scene(moving=True), frames="0:9:4", width=64, backend="torch")
    assert [f.frame for f in frames] == [0, 4, 8]
    xs = [centroid_x(f, "car_1") for f in frames]
    assert xs[0] < 0.35 and xs[2] > 0.65 and xs[0] < xs[1] < xs[2]


def test_write_frames_writes_png_and_passes(tmp_path):
    frames = render(car_scene(), frames=[0, 8], width=48, backend="torch")
    paths = write_frames(frames, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["boxes_0000.json", "boxes_0008.json", "passes.json", "passes_0000.npz", "passes_0008.npz", "rgb_0000.png", "rgb_0008.png"]
    png = (tmp_path / "out" / "rgb_0000.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[16:24] == (48).to_bytes(4, "big") + (36).to_bytes(4, "big")
    with np.load(tmp_path / "out" / "passes_0008.npz") as z:
        assert z["instance"].shape == (36, 48) and z["depth"].dtype == np.float32
        assert (z["instance"] == 0).sum() == frames[1].mask("car_1").sum()
    index = json.loads((tmp_path / "out" / "passes.json").read_text())
    assert index["ids"] == ["car_1", "camera_1"] and index["frames"][1]["visible"] == ["car_1"]


def test_frames_spec_is_checked():
    assert parse_frames(None, 3) == [0, 1, 2]
    assert parse_frames("2", 3) == [2]
    with pytest.raises(Exception, match="frames 0..2"):
        parse_frames("5", 3)
    with pytest.raises(Exception, match="step must be positive"):
        parse_frames("0:3:0", 3)
    with pytest.raises(Exception, match="not a camera"):
        render(car_scene(), camera="car_1")


BLENDER_EDIT = textwrap.dedent(
    """
    import sys, bpy
    src, dst = sys.argv[-2:]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=src)
    car = bpy.data.objects["car_1"]
    car.location.x += 4.0          # the artist drags the car 4 m to the right
    bpy.ops.export_scene.gltf(filepath=dst, export_format="GLB", export_extras=True, export_yup=True, export_animations=True, export_cameras=True)
    """
)


@pytest.mark.blender
@pytest.mark.slow
def test_car_moved_in_blender_is_moved_in_the_rerender(tmp_path):
    pytest.importorskip("bpy")
    import exporters

    scene = car_scene(x=-2.0)
    src, dst = tmp_path / "scene.glb", tmp_path / "edited.glb"
    exporters.export(scene, src)
    script = tmp_path / "edit.py"
    script.write_text(BLENDER_EDIT)
    r = subprocess.run([sys.executable, str(script), str(src), str(dst)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    edited = exporters.load(dst)
    assert simulate(edited).world_position("car_1")[0] == pytest.approx([2.0, 0.0, 0.0], abs=1e-3)
    (before,) = render(scene, frames=[0], width=64, backend="torch")
    (after,) = render(edited, frames=[0], width=64, backend="torch")
    assert centroid_x(before, "car_1") < 0.45 < 0.55 < centroid_x(after, "car_1")


@pytest.mark.slow
def test_ground_is_drawn_as_a_surface_under_the_sky():
    """The unlit splat preview (renderer="splats"): a flat background, the ground's own grey."""
    s = car_scene(x=0.0)
    s.add_material(Material("mat_concrete", base_color=(0.35, 0.35, 0.33)))
    s.add_entity(Entity("ground", cls="ground", bounds=[[-80, -0.05, -80], [80, 0.0, 80]]), material="mat_concrete")
    assign_gaussians(s, mode="proxy", seed=0)
    assert s.entity("ground").gaussians is None  # a surface keeps its mesh only
    (fr,) = render(s, frames=[0], width=64, backend="torch", background=(0.2, 0.4, 0.8), renderer="splats")
    sky, floor = fr.rgb[:8], fr.rgb[-6:]
    np.testing.assert_allclose(sky.reshape(-1, 3).mean(axis=0), [0.2, 0.4, 0.8], atol=1e-3)  # the sky stays clear
    assert np.all(np.abs(floor[..., 0] - floor[..., 1]) < 0.03) and 0.05 < floor.mean() < 0.4  # grey concrete
    assert (fr.instance[-6:] == fr.ids.index("ground")).all()
    assert fr.mask("car_1").sum() > 50  # the car stands in front of the ground
    assert fr.depth[-1].max() < 12.0  # the near ground is nearer than the car's 12 m
