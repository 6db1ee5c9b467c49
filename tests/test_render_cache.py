"""The lit preview keeps static work between frames (shadow map, G-buffer, world meshes, sky) without
changing what a frame shows: the same pixels as a renderer that redraws everything, whatever came before."""
from __future__ import annotations

import numpy as np

from scenegraph import CameraParams, Entity, LightParams, Material, Scene, Transform, Trajectory
from scenegraph.appearance.assign import assign_gaussians
from scenegraph.appearance.skinning import PosedMeshes
from scenegraph.render import render, session
from scenegraph.render.lit import LitRenderer
from scenegraph.world import simulate
from scenegraph.world.shots import look_rotation
from scenegraph.world.views import PinholeCamera


def street() -> Scene:
    """A ground, a static house and a bench, a car driving past them under a low sun, a still camera."""
    s = Scene(fps=4, duration=2.0, seed=0)
    s.add_material(Material("mat_ground", base_color=(0.5, 0.5, 0.48), roughness=0.9))
    s.add_material(Material("mat_red", base_color=(0.9, 0.05, 0.05), roughness=0.4))
    s.add_material(Material("mat_wall", base_color=(0.8, 0.75, 0.6), roughness=0.8))
    s.add_entity(Entity("ground", cls="ground", bounds=[[-30, -0.05, -30], [30, 0.0, 30]]), material="mat_ground")
    s.add_entity(Entity("house_1", cls="house", bounds=[[-3, 0, -3], [3, 5, 3]], transform=Transform((-6, 0, -6))), material="mat_wall")
    s.add_entity(Entity("bench_1", cls="bench", bounds=[[-0.8, 0, -0.3], [0.8, 0.9, 0.3]], transform=Transform((4, 0, -2))), material="mat_wall")
    s.add_entity(Entity("car_1", cls="car", bounds=[[-0.9, 0, -2.2], [0.9, 1.5, 2.2]],
                        transform=Transform((-8, 0, 1), look_rotation(np.array([1.0, 0.0, 0.0])))), material="mat_red")
    s.add_trajectory(Trajectory("traj_car_1", [0.0, 2.0], [[-8, 0, 1], [8, 0, 1]]))
    s.set_trajectory("car_1", "traj_car_1")
    s.add_entity(Entity("sun_1", kind="light", cls="light", light=LightParams("directional", intensity=2000.0),
                        transform=Transform((0, 20, 0), look_rotation(np.array([-0.5, -0.6, -0.4])))))
    eye = np.array([0.0, 6.0, 16.0])
    s.add_entity(Entity("camera_1", kind="camera", camera=CameraParams(aspect=16 / 9, width=640, height=360),
                        transform=Transform(eye, look_rotation(np.array([0.0, 0.5, -2.0]) - eye))))
    assign_gaussians(s, mode="proxy", seed=0)
    return s


def _uncached(s: Scene, tl, f: int, w: int, h: int) -> tuple:
    """Frame ``f`` by a renderer that knows nothing is static: everything redrawn."""
    lit = LitRenderer(s, skins=PosedMeshes(s, tl))
    lit.frame_index = f
    world = tl.world_matrices()[f]
    index = {eid: i for i, eid in enumerate(tl.ids)}
    cam = PinholeCamera.from_scene_camera(s.entity("camera_1").camera, world[index["camera_1"]], w, h)
    return lit.frame(world, index, cam)


def test_cached_frames_match_a_full_redraw_and_do_not_depend_on_the_frames_before():
    s = street()
    tl = simulate(s)
    session.clear()
    seq = [render(s, tl, frames=[f], width=160, passes=False)[0] for f in (0, 3, 7)]
    lit = session.lit_session(s, tl, "auto").lit
    assert lit.static_rows[tl.ids.index("house_1")] and not lit.static_rows[tl.ids.index("car_1")]
    assert lit._shadow.static_map is not None and lit._gbuf.static is not None  # the static work was kept
    session.clear()
    (alone,) = render(s, tl, frames=[7], width=160, passes=False)  # cold: nothing kept yet
    np.testing.assert_array_equal(alone.rgb, seq[2].rgb)
    np.testing.assert_array_equal(alone.instance, seq[2].instance)
    for fr in seq:  # against a full redraw: the car, its shadow and the house's shadow where they belong
        rgb, _, depth, inst = _uncached(s, tl, fr.frame, 160, 90)
        np.testing.assert_array_equal(inst, fr.instance)
        np.testing.assert_allclose(depth, fr.depth, rtol=1e-6)
        assert np.abs(rgb - fr.rgb).mean() < 1e-5 and np.abs(rgb - fr.rgb).max() < 1e-3
    car = [fr.mask("car_1").any(axis=0).nonzero()[0].mean() for fr in seq]
    assert car[0] < car[1] < car[2]  # the car drives right over the kept background
    ground = [fr.mask("ground") for fr in seq]
    lum = [fr.rgb.mean(axis=-1) for fr in seq]
    shade_moved = (ground[0] & ground[2]) & (np.abs(lum[0] - lum[2]) > 0.05)
    assert shade_moved.sum() > 20  # the car's shadow moved with it on the ground
