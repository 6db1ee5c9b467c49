"""Hand-built scenes (and their Timelines) for the glTF tests and benchmark; no director involved.

``timeline_for(scene)`` uses ``scenegraph.world.simulate`` when it works and
otherwise samples the scenes' keyframes directly (linear or step positions,
rest rotation and scale), which is exactly what these scenes need.
"""
from __future__ import annotations

import math

import numpy as np

from scenegraph.model.gaussians import Gaussians, rgb_to_sh
from scenegraph.model import (
    CameraParams,
    Entity,
    LightParams,
    Material,
    Scene,
    Trajectory,
    Transform,
    quat_from_axis_angle,
    quat_from_yaw,
)
from scenegraph.world import Timeline


def splats(n: int, seed: int = 0, degree: int = 1) -> Gaussians:
    """``n`` random Gaussians in a 1 m box, SH ``degree``."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, 4))
    k = (degree + 1) ** 2
    sh = rng.normal(scale=0.2, size=(n, k, 3))
    sh[:, 0] = rgb_to_sh(rng.uniform(0.1, 0.9, size=(n, 3)))
    return Gaussians(
        means=rng.uniform(-0.5, 0.5, size=(n, 3)) + [0, 0.9, 0],
        quats=q / np.linalg.norm(q, axis=1, keepdims=True),
        scales=rng.uniform(0.005, 0.08, size=(n, 3)),
        opacities=rng.uniform(0.05, 1.0, size=n),
        sh=sh,
    )


def demo_scene(with_splats: bool = False) -> Scene:
    """A car driving an L with a glowing child wheel, a person, a teleporting ball, a moving camera, two lights."""
    s = Scene(fps=24, duration=4.0, seed=7, prompt="a red car drives past a person", metadata={"source": "test"})
    s.add_material(Material("mat_red", name="red paint", base_color=(0.8, 0.05, 0.05), metallic=0.3, roughness=0.4))
    s.add_material(Material("mat_glow", base_color=(0.9, 0.9, 0.2), emissive=(2.0, 1.5, 0.0)))
    s.add_material(Material("mat_skin", base_color=(0.6, 0.45, 0.35), roughness=0.8, alpha=0.9))
    s.add_trajectory(Trajectory("traj_car", times=[0, 2, 4], positions=[(0, 0, 0), (10, 0, 0), (10, 0, 10)]))
    s.add_trajectory(Trajectory("traj_cam", times=[0, 4], positions=[(0, 2, 15), (0, 4, 15)]))
    s.add_trajectory(Trajectory("traj_ball", times=[0, 1, 3], positions=[(-3, 0.2, 2), (-3, 1.2, 2), (-1, 0.2, 2)], interpolation="step"))
    s.add_entity(Entity("car_1", name="Car", cls="car", bounds=((-0.9, 0, -2.2), (0.9, 1.4, 2.2)),
                        transform=Transform(rotation=quat_from_yaw(math.pi / 2))),
                 material="mat_red", trajectory="traj_car")
    s.add_entity(Entity("wheel_1", name="Wheel", cls="wheel", bounds=((-0.1, -0.35, -0.35), (0.1, 0.35, 0.35)),
                        transform=Transform((0.9, 0.35, 1.4))), material="mat_glow", parent="car_1")
    person = Entity("person_1", name="Person", cls="person", bounds=((-0.3, 0, -0.2), (0.3, 1.8, 0.2)),
                    transform=Transform((4, 0, 3), quat_from_yaw(-0.5)),
                    gaussians=splats(300) if with_splats else None, attributes={"mood": "calm"})
    s.add_entity(person, material="mat_skin")
    s.add_entity(Entity("ball_1", name="Ball", cls="ball", bounds=((-0.2, 0, -0.2), (0.2, 0.4, 0.2))),
                 material="mat_red", trajectory="traj_ball")
    s.add_entity(Entity("cam_1", name="Camera", kind="camera", camera=CameraParams(yfov=0.8, aspect=16 / 9, znear=0.1, zfar=200.0)),
                 trajectory="traj_cam")
    s.add_entity(Entity("sun", name="Sun", kind="light", light=LightParams("directional", color=(1, 0.95, 0.9), intensity=3.0),
                        transform=Transform((0, 10, 0), quat_from_axis_angle((1, 0, 0), -math.pi / 3))))
    s.add_entity(Entity("spot_1", name="Spot", kind="light",
                        light=LightParams("spot", intensity=500.0, range=30.0, inner_cone_angle=0.2, outer_cone_angle=0.5),
                        transform=Transform((2, 5, 2), quat_from_axis_angle((1, 0, 0), -math.pi / 2))), parent="person_1")
    s.add_relation("person_1", "near", "car_1")
    return s


def _sample(traj: Trajectory, t: np.ndarray) -> np.ndarray:
    times, pos = traj.times, traj.positions
    if traj.interpolation == "step":
        return pos[np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 1)]
    return np.stack([np.interp(t, times, pos[:, c]) for c in range(3)], axis=1)


def hand_timeline(scene: Scene, fps: float | None = None) -> Timeline:
    """A Timeline from keyframe positions alone (rest rotation and scale); enough for these scenes."""
    fps = fps or scene.fps
    n = int(math.floor(scene.duration * fps + 1e-9)) + 1
    t = np.arange(n) / fps
    ents = scene.entities()
    ids = tuple(e.id for e in ents)
    pos = np.zeros((n, len(ents), 3))
    rot = np.zeros((n, len(ents), 4))
    scl = np.zeros((n, len(ents), 3))
    for j, e in enumerate(ents):
        traj = scene.trajectory_of(e.id)
        pos[:, j] = e.transform.translation if traj is None else _sample(traj, t)
        rot[:, j] = e.transform.rotation
        scl[:, j] = e.transform.scale
    parents = tuple(ids.index(scene.parent_of(i).id) if scene.parent_of(i) else -1 for i in ids)
    vel = np.gradient(pos, t, axis=0) if n > 1 else np.zeros_like(pos)
    return Timeline(fps=fps, time=t, ids=ids, position=pos.astype(np.float32), rotation=rot.astype(np.float32),
                    scale=scl.astype(np.float32), velocity=vel.astype(np.float32), parents=parents)


def timeline_for(scene: Scene) -> Timeline:
    """``simulate(scene)``."""
    from scenegraph.world import simulate

    return simulate(scene)


def crowd_scene(entities: int, frames: int, gaussians: int = 0, seed: int = 0) -> tuple[Scene, Timeline]:
    """``entities`` boxes on curved paths over ``frames`` frames (+ one splat entity); the benchmark's scene."""
    rng = np.random.default_rng(seed)
    fps = 24.0
    s = Scene(fps=fps, duration=(frames - 1) / fps, seed=seed)
    s.add_material(Material("mat_grey"))
    t = np.arange(frames) / fps
    ids, pos, rot = [], [], []
    for i in range(entities):
        s.add_entity(Entity(f"box_{i}", cls="box"), material="mat_grey")
        ids.append(f"box_{i}")
        r, w, ph = rng.uniform(2, 20), rng.uniform(0.1, 1.0), rng.uniform(0, 2 * math.pi)
        a = w * t + ph
        pos.append(np.stack([r * np.cos(a), np.zeros_like(a), r * np.sin(a)], axis=1))
        rot.append(quat_from_yaw(-a))
    if gaussians:
        s.add_entity(Entity("cloud", cls="cloud", gaussians=splats(gaussians, seed, degree=3)))
        ids.append("cloud")
        pos.append(np.zeros((frames, 3)))
        rot.append(np.tile([0, 0, 0, 1.0], (frames, 1)))
    p = np.stack(pos, axis=1).astype(np.float32)
    q = np.stack(rot, axis=1).astype(np.float32)
    tl = Timeline(fps=fps, time=t, ids=tuple(ids), position=p, rotation=q, scale=np.ones_like(p),
                  velocity=np.zeros_like(p), parents=tuple([-1] * len(ids)))
    return s, tl
