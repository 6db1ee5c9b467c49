"""USD export and import: exact read-back, stage layout, usd-core validation, edits, bad input."""
from __future__ import annotations

import math
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

pxr = pytest.importorskip("pxr")

import exporters  # noqa: E402
from exporters import _usd_common, usd  # noqa: E402
from scenegraph import Entity, FormatError, LightParams, Material, Scene, Trajectory, Transform  # noqa: E402
from scenegraph.appearance import Gaussians  # noqa: E402
from scenegraph.model import quat_from_axis_angle, quat_from_yaw, trs_matrix  # noqa: E402
from scenegraph.world import Timeline  # noqa: E402

SUFFIXES = (".usda", ".usdc", ".usdz")


def car_scene(fps: float = 24.0, duration: float = 2.0) -> Scene:
    """A car on a keyframed trajectory with a wheel child, lamps, a camera, two lights, splats."""
    s = Scene(fps=fps, duration=duration, seed=3, prompt="a red car drives past a lamp", metadata={"tags": [1, 2]})
    s.add_material(Material("mat_red", base_color=(0.8, 0.05, 0.05), metallic=0.3, roughness=0.4))
    s.add_material(Material("mat_grey", base_color=(0.5, 0.5, 0.5), emissive=(0.1, 0.0, 0.0), alpha=0.9))
    s.add_trajectory(Trajectory("traj_car", times=[0.0, duration], positions=[[-5, 0, 0], [5, 0, 0]]))
    s.add_entity(Entity("car_1", cls="car", bounds=((-1, 0, -2), (1, 1.5, 2))), material="mat_red", trajectory="traj_car")
    s.add_entity(
        Entity("wheel-1", cls="wheel", transform=Transform((0.8, 0.3, 1.2)), bounds=((-0.3, -0.3, -0.1), (0.3, 0.3, 0.1))),
        material="mat_grey", parent="car_1",
    )
    s.add_entity(Entity("lamp_1", cls="lamp", transform=Transform((3, 0, -2))), material="mat_grey")
    s.add_entity(Entity("lamp_2", cls="lamp", transform=Transform((-3, 0, -2))), material="mat_red")
    s.add_entity(Entity("cam_main", kind="camera", transform=Transform((0, 2, 10))))
    s.add_entity(Entity("sun", kind="light", light=LightParams(type="directional", intensity=3.0),
                        transform=Transform(rotation=quat_from_axis_angle((1, 0, 0), -1.0))))
    s.add_entity(Entity("spot", kind="light", transform=Transform((0, 4, 0)),
                        light=LightParams(type="spot", intensity=50.0, inner_cone_angle=0.3, outer_cone_angle=0.6)))
    s.add_relation("lamp_1", "near", "car_1")
    rng = np.random.default_rng(0)
    n = 64
    s.update("lamp_1", gaussians=Gaussians(rng.normal(size=(n, 3)), rng.normal(size=(n, 4)), rng.uniform(0.01, 0.1, (n, 3)),
                                           rng.uniform(0, 1, n), rng.normal(size=(n, 4, 3))))
    return s


def rest_timeline(scene: Scene, fps: float | None = None) -> Timeline:
    """Every entity held at its rest transform for all frames (float32, Timeline contract)."""
    fps = fps or scene.fps
    ids = tuple(e.id for e in scene.entities())
    f = scene.frame_count
    pos = np.zeros((f, len(ids), 3), np.float32)
    rot = np.zeros((f, len(ids), 4), np.float32)
    sc = np.ones((f, len(ids), 3), np.float32)
    for j, eid in enumerate(ids):
        tr = scene.entity(eid).transform
        pos[:, j], rot[:, j], sc[:, j] = tr.translation, tr.rotation, tr.scale
    parents = tuple(ids.index(scene.parent_of(i).id) if scene.parent_of(i) else -1 for i in ids)
    return Timeline(fps=fps, time=np.arange(f) / fps, ids=ids, position=pos, rotation=rot, scale=sc,
                    velocity=np.zeros_like(pos), parents=parents)


def car_timeline(scene: Scene) -> Timeline:
    """The car drives -5 -> 5 m along x while turning; the camera bobs along a sine (curved)."""
    tl = rest_timeline(scene)
    t = tl.time
    c, k = tl.index("car_1"), tl.index("cam_main")
    tl.position[:, c, 0] = -5 + 10 * t / t[-1]
    tl.rotation[:, c] = quat_from_yaw(0.3 * t)
    tl.position[:, k, 1] = 2 + np.sin(2 * t)
    return tl


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The car scene written once per suffix: (scene, timeline, {suffix: path})."""
    d = tmp_path_factory.mktemp("usd")
    s = car_scene()
    tl = car_timeline(s)
    paths = {}
    for suffix in SUFFIXES:
        paths[suffix] = d / f"car{suffix}"
        exporters.export(s, paths[suffix], timeline=tl)
    return s, tl, paths


def open_stage(path):
    from pxr import Usd

    return Usd.Stage.Open(str(path))


# -- exact read-back -----------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_read_of_write_is_the_same_scene(exported, suffix):
    s, _, paths = exported
    back = exporters.load(paths[suffix])
    assert back == s
    assert back.entity("lamp_1").gaussians == s.entity("lamp_1").gaussians
    assert back.relations() == [("lamp_1", "near", "car_1")]


def test_read_back_keeps_dynamics_loops_and_attributes(tmp_path):
    from tests.test_serialize import with_everything

    s = with_everything()
    path = tmp_path / "everything.usdc"
    exporters.export(s, path, timeline=rest_timeline(s))
    assert exporters.load(path) == s


def test_empty_scene_round_trips(tmp_path):
    s = Scene(fps=30, duration=0.0, prompt="nothing yet")
    path = tmp_path / "empty.usda"
    usd.write(s, path, timeline=rest_timeline(s))
    assert usd.read(path) == s


def test_same_input_gives_byte_identical_files(exported, tmp_path):
    s, tl, paths = exported
    for suffix in SUFFIXES:
        again = tmp_path / f"car{suffix}"
        exporters.export(s, again, timeline=tl)
        assert again.read_bytes() == paths[suffix].read_bytes(), suffix


# -- stage layout --------------------------------------------------------------


def test_stage_metadata_is_y_up_metres_at_scene_fps(exported):
    from pxr import UsdGeom

    _, tl, paths = exported
    st = open_stage(paths[".usdc"])
    assert UsdGeom.GetStageUpAxis(st) == "Y"
    assert UsdGeom.GetStageMetersPerUnit(st) == 1.0
    assert st.GetStartTimeCode() == 0 and st.GetEndTimeCode() == tl.frame_count - 1 == 48
    assert st.GetTimeCodesPerSecond() == st.GetFramesPerSecond() == 24
    assert st.GetDefaultPrim().GetPath() == "/World"


def test_entities_are_xforms_in_the_parent_hierarchy_with_ids(exported):
    st = open_stage(exported[2][".usda"])
    wheel = st.GetPrimAtPath("/World/car_1/wheel_1")  # '-' is not valid in a prim name
    assert wheel.GetTypeName() == "Xform"
    assert wheel.GetCustomDataByKey("scenegraph")["id"] == "wheel-1"
    assert st.GetPrimAtPath("/World/cam_main").GetTypeName() == "Camera"
    assert st.GetPrimAtPath("/World/sun").GetTypeName() == "DistantLight"
    assert st.GetPrimAtPath("/World/spot").HasAPI("ShapingAPI")
    assert st.GetPrimAtPath("/World/lamp_1/lamp_1_splats").GetTypeName() == "ParticleField3DGaussianSplat"


def test_static_entities_have_no_time_samples_and_moving_ones_match_every_frame(exported):
    from pxr import Gf, UsdGeom

    _, tl, paths = exported
    st = open_stage(paths[".usdc"])
    lamp = st.GetPrimAtPath("/World/lamp_1")
    for op in _usd_common.OPS:
        assert lamp.GetAttribute(op).GetNumTimeSamples() == 0
    assert lamp.GetAttribute("xformOp:translate").Get() == Gf.Vec3f(3, 0, -2)
    car = st.GetPrimAtPath("/World/car_1")
    # linear motion and a steady turn collapse to their end points
    assert car.GetAttribute("xformOp:translate").GetTimeSamples() == [0.0, 48.0]
    assert car.GetAttribute("xformOp:orient").GetTimeSamples() == [0.0, 48.0]
    cam = st.GetPrimAtPath("/World/cam_main")
    assert cam.GetAttribute("xformOp:translate").GetNumTimeSamples() > 10  # a sine does not collapse
    world = tl.world_position()
    for prim, eid in ((car, "car_1"), (cam, "cam_main"), (st.GetPrimAtPath("/World/car_1/wheel_1"), "wheel-1")):
        xf = UsdGeom.Xformable(prim)
        got = np.array([list(xf.ComputeLocalToWorldTransform(f).ExtractTranslation()) for f in range(tl.frame_count)])
        np.testing.assert_allclose(got, world[:, tl.index(eid)], atol=1e-5)


def test_shared_proxies_are_defined_once_and_referenced(exported):
    from pxr import UsdGeom, UsdShade

    from scenegraph.appearance.proxy import proxy_mesh

    lamp_mesh = proxy_mesh("lamp", exported[0].entity("lamp_1").bounds)
    st = open_stage(exported[2][".usda"])
    protos = st.GetPrimAtPath("/World/Prototypes")
    assert protos.IsAbstract()
    assert sorted(c.GetName() for c in protos.GetAllChildren()) == ["car", "lamp", "tyre", "wheel"]
    car = st.GetPrimAtPath("/World/car_1")
    tyres = [w.GetChild("Tyre") for w in car.GetChildren() if w.GetName().startswith("car_1_wheel_")]
    assert len(tyres) == 4  # four wheels of one mesh: authored once, each its own prim referencing it
    for tyre in tyres:
        assert tyre.GetPrimStack()[0].referenceList.prependedItems[0].primPath == "/World/Prototypes/tyre"
        assert len(UsdGeom.Mesh(tyre).GetPointsAttr().Get()) > 100
    for lamp, colour in (("lamp_1", (0.5, 0.5, 0.5)), ("lamp_2", (0.8, 0.05, 0.05))):
        mesh = st.GetPrimAtPath(f"/World/{lamp}/{lamp}_proxy")
        assert mesh.GetPrimStack()[0].referenceList.prependedItems[0].primPath == "/World/Prototypes/lamp"
        assert np.array_equal(np.asarray(UsdGeom.Mesh(mesh).GetPointsAttr().Get()), lamp_mesh.positions)
        assert len(UsdGeom.Mesh(mesh).GetFaceVertexCountsAttr().Get()) == len(lamp_mesh.indices)
        mat = UsdShade.MaterialBindingAPI(mesh).ComputeBoundMaterial()[0]
        shader = mat.ComputeSurfaceSource()[0]
        assert tuple(shader.GetInput("diffuseColor").Get()) == pytest.approx(colour)
    st_primvar = UsdGeom.PrimvarsAPI(st.GetPrimAtPath("/World/lamp_1/lamp_1_proxy")).GetPrimvar("st")
    assert st_primvar.GetTypeName() == "texCoord2f[]"


def test_camera_lens_and_light_units(exported):
    s, _, paths = exported
    st = open_stage(paths[".usda"])
    cam = st.GetPrimAtPath("/World/cam_main")
    f = cam.GetAttribute("focalLength").Get()
    v = cam.GetAttribute("verticalAperture").Get()
    assert 2 * math.degrees(math.atan(0.5 * v / f)) == pytest.approx(50.0, abs=1e-4)
    assert cam.GetAttribute("horizontalAperture").Get() / v == pytest.approx(16 / 9, rel=1e-6)
    assert tuple(cam.GetAttribute("clippingRange").Get()) == pytest.approx((0.1, 1000.0))
    spot = st.GetPrimAtPath("/World/spot")
    r = spot.GetAttribute("inputs:radius").Get()
    assert spot.GetAttribute("inputs:intensity").Get() * math.pi * r * r == pytest.approx(50.0, rel=1e-6)
    assert spot.GetAttribute("inputs:shaping:cone:angle").Get() == pytest.approx(math.degrees(0.6), rel=1e-6)
    assert st.GetPrimAtPath("/World/sun").GetAttribute("inputs:intensity").Get() == pytest.approx(3.0)


def test_gaussians_are_a_particle_field_with_sh(exported):
    s, _, paths = exported
    st = open_stage(paths[".usdc"])
    g = s.entity("lamp_1").gaussians
    prim = st.GetPrimAtPath("/World/lamp_1/lamp_1_splats")
    assert np.array_equal(np.asarray(prim.GetAttribute("positions").Get()), g.means)
    assert np.array_equal(np.asarray(prim.GetAttribute("orientations").Get()), g.quats)  # quatf[] memory is xyzw
    assert prim.GetAttribute("radiance:sphericalHarmonicsDegree").Get() == 1
    assert len(prim.GetAttribute("radiance:sphericalHarmonicsCoefficients").Get()) == len(g) * 4


# -- usd-core validation ---------------------------------------------------------


def validation_errors(path) -> list[str]:
    """Every validator usd-core registers, run on the stage; errors returned, warnings printed."""
    from pxr import UsdValidation

    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    assert len(validators) > 20
    found = UsdValidation.ValidationContext(validators).Validate(open_stage(path))
    for e in found:
        if e.GetType() != UsdValidation.ValidationErrorType.Error:
            print(f"usd validation {e.GetType()}: {e.GetMessage()}")
    return [e.GetMessage() for e in found if e.GetType() == UsdValidation.ValidationErrorType.Error]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_usd_core_validation_finds_no_errors(exported, suffix):
    assert validation_errors(exported[2][suffix]) == []


def test_usd_core_validation_does_report_a_broken_stage(tmp_path):
    bad = tmp_path / "bad.usda"
    bad.write_text('#usda 1.0\n(\n    upAxis = "Q"\n)\n\ndef Xform "World"\n{\n}\n')
    assert validation_errors(bad)  # the check above can fail


# -- stages edited elsewhere -----------------------------------------------------


def edit(path, fn):
    """Apply ``fn(stage)`` through usd-core and save, as another tool would."""
    st = open_stage(path)
    fn(st)
    st.GetRootLayer().Save()


def test_edited_stage_maps_back_by_id(exported, tmp_path):
    from pxr import Gf, UsdGeom, UsdShade

    s, _, paths = exported
    path = tmp_path / "edited.usda"
    shutil.copy(paths[".usda"], path)

    def change(st):
        st.GetPrimAtPath("/World/lamp_2").GetAttribute("xformOp:translate").Set(Gf.Vec3f(7, 0, 1))
        car_t = st.GetPrimAtPath("/World/car_1").GetAttribute("xformOp:translate")
        car_t.Set(Gf.Vec3f(0, 0, 4), 24.0)
        st.RemovePrim("/World/spot")
        shader = UsdShade.Shader(st.GetPrimAtPath("/World/Materials/mat_red/PreviewSurface"))
        shader.GetInput("diffuseColor").Set(Gf.Vec3f(0.1, 0.2, 0.9))
        box = UsdGeom.Cube.Define(st, "/World/car_1/roof_box")
        box.AddTranslateOp().Set(Gf.Vec3d(0, 2, 0))
        UsdGeom.Xform.Define(st, "/World/new_group").AddTranslateOp().Set(Gf.Vec3d(1, 2, 3))

    edit(path, change)
    back = exporters.load(path)
    ids = [e.id for e in back.entities()]
    assert "spot" not in ids and {"car_1", "wheel-1", "lamp_1", "lamp_2", "cam_main", "sun"} <= set(ids)
    assert back.entity("lamp_2").transform.translation.tolist() == [7.0, 0.0, 1.0]
    assert back.entity("lamp_1") == s.entity("lamp_1")  # untouched entities stay exact
    np.testing.assert_allclose(back.material("mat_red").base_color, [0.1, 0.2, 0.9], atol=1e-7)
    assert back.material("mat_grey") == s.material("mat_grey")
    traj = back.trajectory_of("car_1")
    assert traj.id != "traj_car" and traj.heading == "keyframes"
    assert traj.times.tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(traj.positions, [[-5, 0, 0], [0, 0, 4], [5, 0, 0]], atol=1e-6)
    assert "traj_car" not in [t.id for t in back.trajectories()]  # orphaned by the edit
    roof = back.entity("roof_box")
    assert roof.cls == "cube" and back.parent_of("roof_box").id == "car_1"
    assert roof.transform.translation.tolist() == [0.0, 2.0, 0.0]
    assert roof.bounds.tolist() == [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]
    assert back.entity("new_group").transform.translation.tolist() == [1.0, 2.0, 3.0]
    assert back.parent_of("new_group") is None


def test_edited_camera_lens_and_light_colour_are_read(exported, tmp_path):
    from pxr import Gf

    path = tmp_path / "lens.usdc"
    shutil.copy(exported[2][".usdc"], path)

    def change(st):
        cam = st.GetPrimAtPath("/World/cam_main")
        cam.GetAttribute("focalLength").Set(0.12 / math.tan(math.radians(20)))
        st.GetPrimAtPath("/World/sun").GetAttribute("inputs:color").Set(Gf.Vec3f(1.0, 0.5, 0.25))

    edit(path, change)
    back = exporters.load(path)
    assert math.degrees(back.entity("cam_main").camera.yfov) == pytest.approx(40.0, abs=1e-4)
    assert back.entity("sun").light.color.tolist() == pytest.approx([1.0, 0.5, 0.25])
    assert back.entity("sun").light.intensity == pytest.approx(3.0)


def test_foreign_z_up_centimetre_stage_is_imported_generically(tmp_path):
    from pxr import Gf, Usd, UsdGeom, UsdLux

    path = tmp_path / "foreign.usda"
    st = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(st, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(st, 0.01)
    st.SetTimeCodesPerSecond(30)
    st.SetStartTimeCode(0)
    st.SetEndTimeCode(30)
    ball = UsdGeom.Sphere.Define(st, "/ball")
    op = ball.AddTranslateOp()
    op.Set(Gf.Vec3d(0, 0, 100), 0)
    op.Set(Gf.Vec3d(300, 0, 100), 30)
    UsdLux.SphereLight.Define(st, "/lamp").CreateIntensityAttr(10.0)
    st.GetRootLayer().Save()
    back = exporters.load(path)
    assert back.fps == 30 and back.duration == 1.0
    traj = back.trajectory_of("ball")
    np.testing.assert_allclose(traj.positions, [[0, 1, 0], [3, 1, 0]], atol=1e-9)  # z-up cm -> y-up m
    assert traj.times.tolist() == [0.0, 1.0]
    assert back.entity("lamp").kind == "light" and back.entity("lamp").light.type == "point"


# -- bad input -------------------------------------------------------------------


def test_missing_and_unreadable_files_are_format_errors(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        usd.read(tmp_path / "nope.usdc")
    garbage = tmp_path / "garbage.usdc"
    garbage.write_bytes(b"\x00\x01not usd at all" * 10)
    with pytest.raises(FormatError, match="not a readable USD stage"):
        usd.read(garbage)
    text = tmp_path / "bad.usda"
    text.write_text("#usda 1.0\ndef Xform \"World\" {\n  float3 xformOp:translate = (1, 2\n")
    with pytest.raises(FormatError, match="bad.usda"):
        usd.read(text)


def test_stage_with_nothing_usable_is_refused(tmp_path):
    path = tmp_path / "empty.usda"
    path.write_text('#usda 1.0\ndef Scope "Looks"\n{\n}\n')
    with pytest.raises(FormatError, match="no entities"):
        usd.read(path)


def test_invalid_time_samples_are_refused(exported, tmp_path):
    path = tmp_path / "nan.usda"
    text = exported[2][".usda"].read_text()
    assert "48: (5, 0, 0)" in text
    path.write_text(text.replace("48: (5, 0, 0)", "48: (nan, 0, 0)"))
    with pytest.raises(FormatError, match="car_1"):
        usd.read(path)


def test_usdz_that_is_not_a_package_is_refused(tmp_path, exported):
    not_zip = tmp_path / "plain.usdz"
    not_zip.write_bytes(b"PK but not really a zip")
    with pytest.raises(FormatError, match="not a usdz package"):
        usd.read(not_zip)
    wrong_first = tmp_path / "wrong.usdz"
    with zipfile.ZipFile(wrong_first, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("readme.txt", "hello")
        zf.writestr("scene.usdc", exported[2][".usdc"].read_bytes())
    with pytest.raises(FormatError, match="first file"):
        usd.read(wrong_first)
    deflated = tmp_path / "deflated.usdz"
    with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("scene.usda", exported[2][".usda"].read_text())
    with pytest.raises(FormatError, match="compressed"):
        usd.read(deflated)


def test_usdz_with_absurd_declared_sizes_is_refused_before_opening(tmp_path, exported):
    good = exported[2][".usdz"].read_bytes()
    # patch the uncompressed size of the first central-directory entry to 4 GB - 1
    cd = good.rfind(b"PK\x01\x02")
    first_cd = good.find(b"PK\x01\x02")
    assert first_cd >= 0 and cd >= first_cd
    data = bytearray(good)
    data[first_cd + 24:first_cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    bomb = tmp_path / "bomb.usdz"
    bomb.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="absurd size|not a usdz package"):
        usd.read(bomb)


def test_failed_write_leaves_nothing_behind(tmp_path):
    s = car_scene()
    tl = rest_timeline(s)
    short = Timeline(fps=tl.fps, time=tl.time, ids=tl.ids[:-1], position=tl.position[:, :-1], rotation=tl.rotation[:, :-1],
                     scale=tl.scale[:, :-1], velocity=tl.velocity[:, :-1])
    with pytest.raises(FormatError, match="no states for spot"):
        usd.write(s, tmp_path / "x.usdz", timeline=short)
    with pytest.raises(FormatError, match="unknown option"):
        usd.write(s, tmp_path / "x.usdc", timeline=tl, flavour="mint")
    assert os.listdir(tmp_path) == []


def test_sample_reduction_reproduces_every_frame_through_usd_interpolation(tmp_path):
    """Curved, linear and paused motion, checked by usd-core's own interpolation at every frame."""
    from pxr import UsdGeom

    s = Scene(fps=30, duration=3.0)
    for i in range(3):
        s.add_entity(Entity(f"thing_{i}"))
    tl = rest_timeline(s)
    t = tl.time
    tl.position[:, 0] = np.stack([np.cos(t), 0.5 * t, np.sin(3 * t)], axis=1)
    tl.position[:, 1, 0] = np.minimum(t, 1.0) * 4 + np.maximum(t - 2.0, 0)  # move, pause, move
    wobble = np.stack([0.1 * np.sin(t), 0.1 * np.cos(t), np.zeros_like(t), np.ones_like(t)], axis=1)
    tl.rotation[:, 2] = wobble / np.linalg.norm(wobble, axis=1, keepdims=True)
    path = tmp_path / "motion.usdc"
    usd.write(s, path, timeline=tl)
    st = open_stage(path)
    assert st.GetPrimAtPath("/World/thing_1").GetAttribute("xformOp:translate").GetTimeSamples() == [0.0, 30.0, 60.0, 90.0]
    for j in range(3):
        xf = UsdGeom.Xformable(st.GetPrimAtPath(f"/World/thing_{j}"))
        for f in range(tl.frame_count):
            m = np.array(xf.ComputeLocalToWorldTransform(f)).T
            want = trs_matrix(tl.position[f, j], tl.rotation[f, j], tl.scale[f, j])
            np.testing.assert_allclose(m, want, atol=2e-6)


def tiny_png(path: Path) -> None:
    """A 2x2 RGB PNG written with zlib (no imaging library needed)."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * 2 for _ in range(2))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_textured_material_is_a_valid_uv_texture_network(tmp_path, suffix):
    from pxr import UsdShade

    (tmp_path / "textures").mkdir()
    tiny_png(tmp_path / "textures" / "paint.png")
    s = car_scene()
    s.update("mat_red", texture="textures/paint.png")
    path = tmp_path / f"textured{suffix}"
    usd.write(s, path, timeline=rest_timeline(s))
    assert validation_errors(path) == []
    st = open_stage(path)
    shader = UsdShade.Material(st.GetPrimAtPath("/World/Materials/mat_red")).ComputeSurfaceSource()[0]
    source = shader.GetInput("diffuseColor").GetConnectedSources()[0][0].source
    tex = UsdShade.Shader(source.GetPrim())
    assert tex.GetIdAttr().Get() == "UsdUVTexture"
    assert tex.GetInput("file").Get().resolvedPath.rstrip("]").endswith("textures/paint.png")
    if suffix == ".usdz":
        assert zipfile.ZipFile(path).namelist() == ["textured.usdc", "textures/paint.png"]
    assert usd.read(path) == s


def test_export_without_a_timeline_simulates_the_scene(tmp_path):
    from pxr import UsdGeom

    from scenegraph.world import simulate

    s = car_scene()
    tl = simulate(s)
    path = tmp_path / "simulated.usd"  # .usd is written as usdc
    exporters.export(s, path)
    assert path.read_bytes()[:8] == b"PXR-USDC"
    st = open_stage(path)
    xf = UsdGeom.Xformable(st.GetPrimAtPath("/World/car_1/wheel_1"))
    got = np.array([list(xf.ComputeLocalToWorldTransform(f).ExtractTranslation()) for f in range(tl.frame_count)])
    np.testing.assert_allclose(got, tl.world_position("wheel-1"), atol=1e-5)
    assert exporters.load(path) == s


def test_truncated_and_corrupted_files_give_format_errors_or_scenes(exported, tmp_path):
    """Damaged files: a FormatError or a Scene, never another exception or a partial result."""
    usdc = exported[2][".usdc"].read_bytes()
    cut = tmp_path / "cut.usdc"
    cut.write_bytes(usdc[: len(usdc) // 2])
    with pytest.raises(FormatError):
        usd.read(cut)
    text = exported[2][".usda"].read_text()
    rng = np.random.default_rng(5)
    mutations = [("string entity = '{", "string entity = '{\"x\":1,"), ("int order = 0", "string order = \"first\""),
                 ("string format = \"scenegraph-usd\"", "string format = \"other\""), ("int version = 1", "int version = 99"),
                 ("string relations = '[", "string relations = '[[1],"), ("bool gaussians = 1", "bool gaussians = 0")]
    for i in range(12):  # and random one-character damage in the metadata
        pos = int(rng.integers(0, len(text)))
        mutations.append((text[pos:pos + 12], text[pos:pos + 5] + "'" + text[pos + 6:pos + 12]))
    outcomes = set()
    for i, (old, new) in enumerate(mutations):
        bad = tmp_path / f"m{i}.usda"
        bad.write_text(text.replace(old, new, 1))
        try:
            outcomes.add(type(usd.read(bad)).__name__)
        except FormatError as exc:
            outcomes.add("FormatError")
            assert str(bad) in str(exc)
    assert "FormatError" in outcomes


def test_cli_converts_usd_to_every_format_and_back(exported, tmp_path):
    import subprocess
    import sys

    s, _, paths = exported
    outs = [tmp_path / f"out{suffix}" for suffix in (".glb", ".usdz", ".usda", ".json")]
    args = [a for p in outs for a in ("-o", str(p))]
    r = subprocess.run([sys.executable, "-m", "scenegraph.cli", "export", str(paths[".usdc"]), *args],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    for p in outs:
        assert exporters.load(p) == s, p.name


def test_reparented_and_renamed_prims_keep_their_entities(exported, tmp_path):
    from pxr import Usd

    s, _, paths = exported
    path = tmp_path / "moved.usda"
    shutil.copy(paths[".usda"], path)

    def change(st):
        editor = Usd.NamespaceEditor(st)
        assert editor.ReparentPrim(st.GetPrimAtPath("/World/car_1/wheel_1"), st.GetPrimAtPath("/World/lamp_1"))
        assert editor.ApplyEdits()
        editor = Usd.NamespaceEditor(st)
        assert editor.RenamePrim(st.GetPrimAtPath("/World/lamp_2"), "street_lamp")
        assert editor.ApplyEdits()

    edit(path, change)
    back = exporters.load(path)
    assert back.parent_of("wheel-1").id == "lamp_1"
    assert back.entity("wheel-1") == s.entity("wheel-1")
    assert back.entity("lamp_2") == s.entity("lamp_2") and back.material_of("lamp_2").id == "mat_red"


def test_the_writer_works_at_the_sdf_level_and_never_loads_pxr_usd(tmp_path):
    """A standby child warms only Sdf, Vt and Gf while the scene is built: the writer must not need pxr.Usd
    (its import costs about 0.05 s), and its stage metadata is still UsdGeom's (up axis Y, metres)."""
    import subprocess
    import sys

    code = ("import sys\nfrom scenegraph.pipeline import build\nimport exporters\n"
            "exporters.export(build('a red car drives past a man', gaussians='proxy'), sys.argv[1])\n"
            "print(sorted(m for m in sys.modules if m in ('pxr.Usd', 'pxr.UsdGeom', 'pxr.Sdf')))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.usdc")], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[-2] == "['pxr.Sdf']"
    from pxr import Usd, UsdGeom

    stage = Usd.Stage.Open(str(tmp_path / "s.usdc"))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
