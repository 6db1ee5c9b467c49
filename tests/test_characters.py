"""Characters on skeletons with planted feet, vehicles of parts with spinning wheels: glTF, the validator, read-back."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _gltf_scenes as scenes  # noqa: E402

from exporters import gltf  # noqa: E402
from exporters._gltf_container import open_container  # noqa: E402
from scenegraph.appearance.gait import _entity_matrices, joint_world_positions, pose_track  # noqa: E402
from scenegraph.appearance.rig import rig_for  # noqa: E402
from scenegraph.model import Entity, quat_multiply  # noqa: E402
from scenegraph.world import simulate  # noqa: E402

VALIDATOR = Path(__file__).parent / "gltf_validator" / "validate.mjs"
STREET = "A man walks across the street while a red car drives past"


@pytest.fixture(scope="module")
def street():
    from scenegraph.pipeline import build

    scene = build(STREET, seed=0, gaussians="none")
    return scene, simulate(scene)


def _steps(foot: np.ndarray, tol: float = 0.01) -> list[float]:
    """Horizontal travel (m) of a foot over each run of frames it spends on the ground (within ``tol`` of its lowest)."""
    low = foot[:, 1] < foot[:, 1].min() + tol
    out, f = [], 0
    while f < len(low):
        if low[f]:
            g = f
            while g < len(low) and low[g]:
                g += 1
            if g - f >= 2:
                out.append(float(np.linalg.norm(foot[g - 1, [0, 2]] - foot[f, [0, 2]])))
            f = g
        else:
            f += 1
    return out


def _feet(scene, tl, eid):
    rig = rig_for(scene.entity(eid), scene.seed)
    pose = pose_track(scene, tl, eid)
    world = joint_world_positions(rig, pose, _entity_matrices(tl, tl.index(eid)))
    return rig, pose, [world[:, leg.foot] for leg in rig.legs]


def test_human_rig_has_a_named_skeleton_and_varies_by_seed_and_words():
    person = Entity("p", cls="person", bounds=((-0.25, 0, -0.15), (0.25, 1.75, 0.15)))
    rig = rig_for(person, 0)
    for name in ("hips", "spine", "chest", "neck", "head", "upper_arm_L", "lower_arm_R", "hand_L",
                 "upper_leg_R", "lower_leg_L", "foot_R"):
        assert name in rig.names
    assert len(rig.names) >= 15 and rig.parents[0] == -1
    bind = rig.bind_world()
    assert bind[rig.index("head")][1] > bind[rig.index("chest")][1] > bind[rig.index("hips")][1] > bind[rig.index("foot_L")][1]
    assert bind[rig.index("hand_L")][0] > 0 > bind[rig.index("hand_R")][0]  # +X is the character's left
    top = max(float(m.positions[:, 1].max()) for _, m, _ in rig.parts)
    assert abs(top - 1.75) < 0.05  # the bind pose stands in the entity's bounds
    colours = {tuple(rig_for(Entity(f"p{i}", cls="person", bounds=person.bounds), 0).colors["trousers"]) for i in range(12)}
    assert len(colours) >= 3  # clothing varies by entity and seed
    assert rig_for(person, 0).colors == rig.colors  # ... and is the same for the same ones
    wide = rig_for(Entity("p", cls="person", bounds=person.bounds, attributes={"words": ["fat"]}), 0)
    def torso(r):  # the width of the belly (the part on the spine joint), where build shows
        m, joints = next((m, j) for role, m, j in r.parts if role == "clothes")
        return float(np.ptp(m.positions[joints == r.index("spine"), 0]))

    assert torso(wide) > torso(rig) * 1.1
    kid = rig_for(Entity("c", cls="child", bounds=((-0.18, 0, -0.11), (0.18, 1.2, 0.11))), 0)
    assert kid.child and not rig.child
    head = lambda r: (r.height - r.bind_world()[r.index("neck")][1]) / r.height  # noqa: E731
    assert head(kid) > head(rig)  # a child's head is a larger part of its height
    assert rig_for(Entity("b", cls="box"), 0) is None


def test_walking_feet_stay_planted_and_step(street):
    scene, tl = street
    rig, pose, feet = _feet(scene, tl, "man_1")
    pos = tl.world_position("man_1")
    travelled = float(np.linalg.norm(np.diff(pos[:, [0, 2]], axis=0), axis=1).sum())
    assert travelled > 4.0
    steps = [s for foot in feet for s in _steps(foot)]
    assert len(steps) >= travelled / 1.6  # a step every ~0.8 m of travel per foot: the legs walk
    assert max(steps) <= 0.05, steps  # foot slip <= 5 cm per step
    for foot in feet:  # each foot lifts off and comes back to the ground
        assert np.ptp(foot[:, 1]) > 0.04
    assert pose.rotations.shape == (tl.frame_count, len(rig.names), 4)
    assert np.allclose(np.linalg.norm(pose.rotations, axis=-1), 1.0, atol=1e-5)


def test_standing_is_idle_and_running_takes_longer_strides():
    from scenegraph.pipeline import build

    def stride(prompt):
        scene = build(prompt, seed=1, gaussians="none")
        tl = simulate(scene)
        eid = next(e.id for e in scene.entities() if rig_for(e, scene.seed))
        rig, pose, feet = _feet(scene, tl, eid)
        return scene, tl, eid, rig, pose, feet

    scene, tl, eid, rig, pose, feet = stride("a woman stands in the park")
    moving = np.linalg.norm(np.diff(tl.world_position(eid), axis=0), axis=1) > 1e-6
    assert not moving.any()
    legs = pose.rotations[:, [leg.upper for leg in rig.legs]]
    assert np.abs(legs - legs[0]).max() < 1e-4  # idle: the legs stand still ...
    chest = pose.rotations[:, rig.index("chest")]
    assert np.abs(chest - chest[0]).max() > 1e-3  # ... while the chest breathes

    walk = _feet(*_walk_or_run(1.4), "p")
    run = _feet(*_walk_or_run(3.5), "p")
    gap = lambda fs: np.median([np.linalg.norm(fs[0][a, [0, 2]] - fs[0][b, [0, 2]]) for a, b in _landings(fs[0])])  # noqa: E731
    assert gap(run[2]) > gap(walk[2]) * 1.3
    for fs in (walk[2], run[2]):
        assert max(s for f in fs for s in _steps(f)) <= 0.05


def _walk_or_run(speed: float):
    from scenegraph.model import Scene, Trajectory

    s = Scene(fps=24, duration=4.0, seed=3)
    s.add_trajectory(Trajectory("t", times=[0, 4], positions=[(0, 0, 0), (0, 0, 4 * speed)]))
    s.add_entity(Entity("p", cls="person", bounds=((-0.25, 0, -0.15), (0.25, 1.75, 0.15))), trajectory="t")
    return s, scenes.hand_timeline(s)


def _landings(foot: np.ndarray) -> list[tuple[int, int]]:
    """(first frame of one ground contact, first frame of the next) pairs."""
    low = foot[:, 1] < foot[:, 1].min() + 0.01
    starts = [f for f in range(1, len(low)) if low[f] and not low[f - 1]]
    return list(zip(starts, starts[1:]))


def test_wave_and_sit_come_from_the_scene_actions():
    scene, tl = _walk_or_run(0.0)
    scene.metadata["actions"] = [{"actor": "p", "verb": "wave", "start": 0.5, "end": 2.0},
                                 {"actor": "p", "verb": "sit", "start": 2.5, "end": 4.0}]
    rig = rig_for(scene.entity("p"), scene.seed)
    world = joint_world_positions(rig, pose_track(scene, tl, "p"), _entity_matrices(tl, 0))
    f_wave, f_sit, f0 = int(1.25 * 24), int(3.6 * 24), 0
    head, hand_r, hand_l, hips = (rig.index(n) for n in ("head", "hand_R", "hand_L", "hips"))
    assert world[f_wave, hand_r, 1] > world[f_wave, head, 1]  # the right hand is up, waving
    assert world[f_wave, hand_l, 1] < world[f_wave, hips, 1]
    assert world[f0, hand_r, 1] < world[f0, hips, 1]  # not before the action
    assert world[f_sit, hips, 1] < world[f0, hips, 1] - 0.3  # sitting lowers the hips
    knee = rig.index("lower_leg_L")
    assert world[f_sit, knee, 2] > world[f_sit, hips, 2] + 0.25  # thighs forward
    step = np.abs(np.diff(world[:, hips, 1]))
    assert step.max() < 0.05  # blended in, no pop


def test_quadrupeds_walk_and_trot_with_planted_feet():
    from scenegraph.model import Scene, Trajectory

    for cls, size, speed in (("dog", (0.3, 0.6, 0.9), 1.0), ("dog", (0.3, 0.6, 0.9), 3.0), ("horse", (0.6, 1.6, 2.4), 1.8), ("cat", (0.2, 0.3, 0.5), 0.8)):
        s = Scene(fps=24, duration=4.0, seed=2)
        s.add_trajectory(Trajectory("t", times=[0, 4], positions=[(0, 0, 0), (0, 0, 4 * speed)]))
        w, h, d = size
        s.add_entity(Entity("a", cls=cls, bounds=((-w / 2, 0, -d / 2), (w / 2, h, d / 2))), trajectory="t")
        tl = scenes.hand_timeline(s)
        rig, pose, feet = _feet(s, tl, "a")
        assert rig.kind == "quadruped" and len(rig.legs) == 4 and len(rig.names) >= 15
        steps = [x for f in feet for x in _steps(f, tol=0.005 * h + 0.002)]
        assert steps and max(steps) <= 0.05, (cls, speed, max(steps))
        assert all(np.ptp(f[:, 1]) > 0.02 * h for f in feet), cls  # every leg lifts


def _validate(path: Path) -> dict:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    proc = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _node(doc, name):
    return next((i, n) for i, n in enumerate(doc["nodes"]) if n.get("name") == name)


@pytest.mark.slow
def test_street_glb_has_a_skinned_animated_man_and_passes_the_validator(tmp_path, street):
    scene, tl = street
    path = tmp_path / "street.glb"
    gltf.write(scene, path, timeline=tl)
    issues = _validate(path)["issues"]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]
    c = open_container(path)
    doc = c.doc
    man, man_node = _node(doc, scene.entity("man_1").name)
    assert "mesh" not in man_node  # the entity's node is the root of the skeleton, the artist's handle
    skin = doc["skins"][0]
    assert len(skin["joints"]) >= 15
    names = [doc["nodes"][j]["name"] for j in skin["joints"]]
    assert names[0] == "hips" and skin["joints"][0] in man_node["children"]
    ibm = c.accessor(skin["inverseBindMatrices"], "ibm")
    assert ibm.shape[0] == len(names)
    body = next(n for n in doc["nodes"] if n.get("skin") == 0)
    assert "translation" not in body and "rotation" not in body
    prims = doc["meshes"][body["mesh"]]["primitives"]
    assert all({"JOINTS_0", "WEIGHTS_0"} <= set(p["attributes"]) for p in prims)
    assert len({p["material"] for p in prims}) == len(prims) >= 4  # clothes, skin, hair, trousers, shoes
    weights = c.accessor(prims[0]["attributes"]["WEIGHTS_0"], "w")
    assert np.allclose(weights.sum(axis=1), 1.0)
    anim = doc["animations"][0]
    joint_channels = [ch for ch in anim["channels"] if ch["target"]["node"] in skin["joints"] and ch["target"]["path"] == "rotation"]
    assert len(joint_channels) >= 12
    pose = pose_track(scene, tl, "man_1")
    j = names.index("upper_leg_L")
    ch = next(ch for ch in joint_channels if ch["target"]["node"] == skin["joints"][j])
    sampler = anim["samplers"][ch["sampler"]]
    keys = c.accessor(sampler["output"], "out")
    assert np.allclose(keys, pose.rotations[:, j], atol=1e-6)  # the exported keys are the gait's rotations
    assert np.ptp(keys[:, 0]) > 0.3  # the thigh swings
    back = gltf.read(path)
    assert back == scene  # the parts are derived: the Scene reads back exactly
    assert back.material_of("man_1") == scene.material_of("man_1")


def _angle(q: np.ndarray) -> np.ndarray:
    return 2 * np.arctan2(np.linalg.norm(q[..., :3], axis=-1), np.abs(q[..., 3]))


def _turning_car():
    """A car at 5 m/s: 10 m straight along +Z, then a quarter circle of radius 8 m to the left (+X)."""
    from scenegraph.model import Material, Scene, Trajectory

    th = np.linspace(0, math.pi / 2, 25)
    pts = [(0.0, 0.0, 0.0), (0.0, 0.0, 5.0)] + [(8 - 8 * math.cos(a), 0.0, 10 + 8 * math.sin(a)) for a in th] + [(12.0, 0.0, 18.0)]
    d = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(np.array(pts), axis=0), axis=1))])
    s = Scene(fps=24, duration=float(d[-1] / 5.0), seed=1)
    s.add_material(Material("mat_red", name="red paint", base_color=(0.8, 0.05, 0.05)))
    s.add_trajectory(Trajectory("t", times=(d / 5.0).tolist(), positions=pts, heading="tangent"))
    s.add_entity(Entity("car_1", name="Car", cls="car", bounds=((-0.9, 0, -2.25), (0.9, 1.5, 2.25))), material="mat_red", trajectory="t")
    return s, scenes.timeline_for(s)


@pytest.mark.slow
def test_car_is_made_of_parts_and_its_wheels_spin_at_speed_over_radius(tmp_path):
    scene, tl = _turning_car()
    path = tmp_path / "car.glb"
    gltf.write(scene, path, timeline=tl)
    issues = _validate(path)["issues"]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]
    c = open_container(path)
    doc = c.doc
    car, car_node = _node(doc, "Car")
    body = doc["meshes"][car_node["mesh"]]["primitives"]
    wheels = [k for k in car_node["children"] if doc["nodes"][k]["extras"]["scenegraph"].get("part") == "wheel"]
    assert len(wheels) == 4
    mats = {p["material"] for p in body} | {p["material"] for k in wheels for p in doc["meshes"][doc["nodes"][k]["mesh"]]["primitives"]}
    names = {doc["materials"][m]["name"] for m in mats}
    assert len(mats) >= 6 and {"glass", "tyre", "rim", "headlight", "taillight", "red paint"} <= names
    for light in ("headlight", "taillight"):
        m = next(m for m in doc["materials"] if m["name"] == light)
        assert max(m["emissiveFactor"]) > 0.5
    anim = doc["animations"][0]
    pos = tl.world_position("car_1")
    speed = np.linalg.norm(np.diff(pos, axis=0), axis=1) * tl.fps  # m/s from frame to frame
    moving = speed > 1.0
    assert moving.sum() > 50
    steers, yaw = [], {}
    for k in wheels:
        meta = doc["nodes"][k]["extras"]["scenegraph"]
        ch = next(ch for ch in anim["channels"] if ch["target"]["node"] == k)
        q = np.asarray(c.accessor(anim["samplers"][ch["sampler"]]["output"], "q"), np.float64)
        rel = quat_multiply(q[:-1] * np.array([-1, -1, -1, 1]), q[1:])  # the turn from one frame to the next
        spin = _angle(rel) * tl.fps
        rate = spin[moving] / (speed[moving] / meta["radius"])
        assert np.abs(np.median(rate) - 1.0) < 0.02, np.median(rate)  # spin rate = speed / radius
        steers.append(meta["steers"])
        yaw[k] = np.degrees(np.arcsin(np.clip(2 * (q[:, 1] * q[:, 3] - q[:, 0] * q[:, 2]), -1, 1)))
    assert sum(steers) == 2
    arc = slice(int(2.6 * tl.fps), int(4.0 * tl.fps))
    straight = slice(0, int(1.5 * tl.fps))
    want = math.degrees(math.atan(2.9 / 8.0))  # wheelbase / radius
    for k, steer in zip(wheels, steers):
        if steer:
            assert abs(np.median(yaw[k][arc]) - want) < 6.0, (np.median(yaw[k][arc]), want)  # steers left into the turn
            assert np.abs(yaw[k][straight]).max() < 1.0
        else:
            assert np.abs(yaw[k]).max() < 0.5
    assert gltf.read(path) == scene


def test_birds_flap_in_the_air_and_fold_their_wings_on_the_ground():
    from scenegraph.model import Scene, Trajectory

    s = Scene(fps=24, duration=4.0, seed=5)
    s.add_trajectory(Trajectory("t", times=[0, 1, 3, 4], positions=[(0, 0, 0), (0, 0, 0.5), (0, 4, 12), (0, 4, 18)]))
    s.add_entity(Entity("b", cls="bird", bounds=((-0.12, 0, -0.12), (0.12, 0.2, 0.12))), trajectory="t")
    tl = scenes.hand_timeline(s)
    rig = rig_for(s.entity("b"), s.seed)
    assert rig.kind == "bird" and len(rig.names) >= 12
    world = joint_world_positions(rig, pose_track(s, tl, "b"), _entity_matrices(tl, 0))
    tip, hips = rig.index("wing_tip_L"), rig.index("hips")
    rel = world[:, tip] - world[:, hips]
    ground, air = slice(0, 12), slice(int(3.2 * 24), 96)
    assert np.ptp(rel[ground, 1]) < 0.02 and abs(rel[ground, 0]).max() < 0.12  # folded along the body
    assert np.ptp(rel[air, 1]) > 0.15  # flapping: the tip sweeps up and down
    ups = np.sum(np.diff(np.sign(np.diff(rel[air, 1]))) < 0)
    assert ups >= 3  # several beats a second


def test_character_splats_sit_on_the_body_and_follow_the_joints():
    from scenegraph.appearance.assign import assign_gaussians
    from scenegraph.appearance.skinning import SkinnedClouds, bind_to_joints

    scene, tl = _walk_or_run(1.4)
    assign_gaussians(scene, per_entity=3000)
    g = scene.entity("p").gaussians
    rig = rig_for(scene.entity("p"), scene.seed)
    assert abs(float(g.means[:, 1].max()) - 1.75) < 0.08  # sampled on the skinned body, head to feet
    joint = bind_to_joints(rig, g.means)
    foot = rig.index("foot_L")
    on_foot = joint == foot
    assert on_foot.sum() > 20
    skins = SkinnedClouds(scene, tl)
    pose = pose_track(scene, tl, "p")
    world = joint_world_positions(rig, pose, np.repeat(np.eye(4)[None], tl.frame_count, axis=0))  # entity frame
    for f in (10, 30):
        posed = skins.deform("p", g, f)
        moved = posed.means[on_foot] - g.means[on_foot]
        want = world[f, foot] - rig.bind_world()[foot]
        assert np.abs(moved.mean(axis=0) - want).max() < 0.03  # the foot's splats go where the foot goes
    assert skins.deform("p", g, 0).means.shape == g.means.shape


def test_fast_wheels_get_keys_between_frames_so_they_never_turn_backwards(tmp_path):
    from scenegraph.model import Scene, Trajectory

    s = Scene(fps=24, duration=2.0, seed=1)
    s.add_trajectory(Trajectory("t", times=[0, 2], positions=[(0, 0, 0), (0, 0, 54)]))  # 27 m/s, highway speed
    s.add_entity(Entity("car_1", name="Car", cls="car", bounds=((-0.9, 0, -2.25), (0.9, 1.5, 2.25))), trajectory="t")
    tl = scenes.hand_timeline(s)
    gltf.write(s, tmp_path / "fast.glb", timeline=tl)
    c = open_container(tmp_path / "fast.glb")
    doc = c.doc
    anim = doc["animations"][0]
    wheel = next(i for i, n in enumerate(doc["nodes"]) if n["extras"]["scenegraph"].get("part") == "wheel")
    radius = doc["nodes"][wheel]["extras"]["scenegraph"]["radius"]
    sampler = anim["samplers"][next(ch for ch in anim["channels"] if ch["target"]["node"] == wheel)["sampler"]]
    times = np.asarray(c.accessor(sampler["input"], "t"), np.float64)
    q = np.asarray(c.accessor(sampler["output"], "q"), np.float64)
    assert times.size > tl.frame_count  # keys between frames
    turn = _angle(quat_multiply(q[:-1] * np.array([-1, -1, -1, 1]), q[1:]))
    assert turn.max() < 2.6  # each step the short way round is the right way round
    rate = turn / np.diff(times)
    assert abs(np.median(rate) - 27.0 / radius) / (27.0 / radius) < 0.02
    issues = _validate(tmp_path / "fast.glb")["issues"]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]


def test_an_animal_climbs_a_tree_nose_up_and_walks_to_it_level():
    from scenegraph.pipeline import build

    scene = build("A cat climbs the tree", seed=0, gaussians="none")
    tl = simulate(scene)
    rig = rig_for(scene.entity("cat_1"), scene.seed)
    world = joint_world_positions(rig, pose_track(scene, tl, "cat_1"), _entity_matrices(tl, tl.index("cat_1")))
    body = world[:, rig.index("head")] - world[:, rig.index("hips")]
    up = body[:, 1] / np.maximum(np.linalg.norm(body, axis=1), 1e-9)  # the sine of the body's pitch
    hips_y = world[:, rig.index("hips"), 1]
    walking, climbing, top = tl.time < 3.0, (hips_y > 1.0) & (hips_y < 3.5), tl.time > tl.time[-1] - 0.3
    assert np.all(hips_y[walking] < 0.2) and climbing.sum() > 24
    assert np.all(np.abs(up[walking]) < 0.5)  # level on the walk to the tree
    assert np.all(up[climbing] > 0.9)  # nose up on the trunk
    assert np.all(up[top] > 0.9) and hips_y[-1] > 3.0  # and still clinging up there at the end
