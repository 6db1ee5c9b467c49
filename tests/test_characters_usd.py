"""Characters as UsdSkel (SkelRoot, Skeleton, SkelAnimation, bindings) and vehicles of parts in USD."""
from __future__ import annotations

import numpy as np
import pytest

import exporters
from scenegraph.appearance.gait import pose_track, skin_matrices
from scenegraph.appearance.rig import rig_for
from scenegraph.world import simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def street_usd(tmp_path_factory):
    pytest.importorskip("pxr")
    from scenegraph.pipeline import build

    scene = build("A man walks across the street while a red car drives past", seed=0, gaussians="none")
    tl = simulate(scene)
    path = tmp_path_factory.mktemp("usd") / "street.usda"
    exporters.export(scene, path, timeline=tl)
    return scene, tl, path


def test_character_is_a_usdskel_rig_driven_by_the_gait(street_usd):
    from pxr import Usd, UsdGeom, UsdSkel, Vt

    scene, tl, path = street_usd
    stage = Usd.Stage.Open(str(path))
    roots = [p for p in stage.Traverse() if p.IsA(UsdSkel.Root)]
    assert len(roots) == 1 and roots[0].GetParent().GetName() == "man_1"  # under the entity's prim, the artist's handle
    root = UsdSkel.Root(roots[0])
    cache = UsdSkel.Cache()
    cache.Populate(root, Usd.PrimDefaultPredicate)
    bindings = cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate)
    assert len(bindings) == 1
    skel = bindings[0].GetSkeleton()
    query = cache.GetSkelQuery(skel)
    assert query.GetAnimQuery() and len(query.GetJointOrder()) >= 15
    rig = rig_for(scene.entity("man_1"), scene.seed)
    want = skin_matrices(rig, pose_track(scene, tl, "man_1"))
    for f in (0, 10, 30):
        got = np.array([np.array(m).T for m in query.ComputeJointSkelTransforms(float(f))])  # USD row vectors
        assert np.allclose(got, want[f], atol=1e-4), f
    anim = query.GetAnimQuery()  # the animation names the root and the joints that turn, not the still ones
    named = list(anim.GetJointOrder())
    assert named[0] == query.GetJointOrder()[0] and 0 < len(named) < len(query.GetJointOrder())
    assert len(anim.GetJointTransformTimeSamples()) == tl.frame_count
    target = bindings[0].GetSkinningTargets()[0]
    mesh = UsdGeom.Mesh(target.GetPrim())
    pts = np.array(mesh.GetPointsAttr().Get(), np.float32)
    moved = Vt.Vec3fArray.FromNumpy(pts.copy())
    assert target.ComputeSkinnedPoints(query.ComputeSkinningTransforms(20.0), moved, 20.0)
    assert np.abs(np.array(moved) - pts).max() > 0.05  # the skinned body moves with the joints
    subsets = UsdGeom.Subset.GetAllGeomSubsets(mesh)
    assert len(subsets) >= 4  # clothes, skin, hair, trousers, shoes
    back = exporters.load(path)
    for e in scene.entities():  # the parts are derived: every entity reads back as it was
        assert back.entity(e.id) == e
        assert (back.material_of(e.id) or e).id == (scene.material_of(e.id) or e).id


def test_vehicle_has_part_materials_and_spinning_wheels(street_usd):
    from pxr import Usd, UsdGeom, UsdShade

    scene, tl, path = street_usd
    stage = Usd.Stage.Open(str(path))
    car = stage.GetPrimAtPath("/World/car_1")
    proxy = next(c for c in car.GetChildren() if c.IsA(UsdGeom.Mesh))
    subsets = UsdGeom.Subset.GetAllGeomSubsets(UsdGeom.Imageable(proxy))
    mats = {UsdShade.MaterialBindingAPI(s.GetPrim()).GetDirectBinding().GetMaterialPath() for s in subsets}
    body = UsdShade.MaterialBindingAPI(proxy).GetDirectBinding().GetMaterialPath()
    wheels = [c for c in car.GetChildren() if c.GetName().startswith("car_1_wheel_")]
    assert len(wheels) == 4
    for w in wheels:
        for s in UsdGeom.Subset.GetAllGeomSubsets(UsdGeom.Imageable(w.GetChild("Tyre"))):
            mats.add(UsdShade.MaterialBindingAPI(s.GetPrim()).GetDirectBinding().GetMaterialPath())
    assert len(mats | {body}) >= 6 and str(body).endswith(scene.material_of("car_1").id)
    orient = wheels[0].GetAttribute("xformOp:orient")
    assert orient.GetNumTimeSamples() == tl.frame_count
    q0, q1 = orient.Get(10.0), orient.Get(11.0)
    assert q0 != q1  # spinning


def test_character_bodies_are_shared_prototypes_bound_per_entity(tmp_path):
    """Characters with the same body bytes reference one prototype; each Body is its own prim, skinned by its
    own skeleton, its subsets bound per entity (clothes: the entity's material)."""
    from pxr import Usd, UsdGeom, UsdShade

    from scenegraph.model import Entity, Material, Scene

    scene = Scene(fps=24.0, duration=1.0, seed=0)
    scene.add_material(Material("mat_red", base_color=(0.8, 0.1, 0.1)))
    scene.add_material(Material("mat_blue", base_color=(0.1, 0.1, 0.8)))
    for i in range(6):
        scene.add_entity(Entity(f"dog{i}", cls="dog"), material="mat_red" if i % 2 else "mat_blue")
    path = tmp_path / "dogs.usda"
    exporters.export(scene, path, timeline=simulate(scene))
    stage = Usd.Stage.Open(str(path))
    protos = [p for p in stage.GetPrimAtPath("/World/Prototypes").GetAllChildren() if p.GetName().startswith("dog_body")]
    assert len(protos) == 1  # six dogs of one size: one body authored
    n_points = len(UsdGeom.Mesh(protos[0]).GetPointsAttr().Get())
    for i in range(6):
        body = stage.GetPrimAtPath(f"/World/dog{i}/dog{i}_rig/Body")
        assert body.GetPrimStack()[0].referenceList.prependedItems[0].primPath == protos[0].GetPath()
        assert len(UsdGeom.Mesh(body).GetPointsAttr().Get()) == n_points
        skel = body.GetRelationship("skel:skeleton").GetTargets()
        assert skel == [body.GetParent().GetChild("Skeleton").GetPath()]
        subsets = {s.GetPrim().GetName(): s for s in UsdGeom.Subset.GetAllGeomSubsets(UsdGeom.Imageable(body))}
        assert len(subsets) >= 2
        bound = {name: UsdShade.MaterialBindingAPI(s.GetPrim()).GetDirectBinding().GetMaterialPath().name
                 for name, s in subsets.items()}
        assert all(bound.values())  # every subset bound
        if "clothes" in bound:
            assert bound["clothes"] == ("mat_red" if i % 2 else "mat_blue")
    back = exporters.load(path)
    assert [e.id for e in back.entities()] == [e.id for e in scene.entities()]


def test_a_parked_car_keeps_its_wheels_still_and_unkeyed_in_usd_and_gltf(tmp_path):
    """A car that never moves gets no wheel keys (a hundred parked cars, no hundred-odd keys that never change);
    the car that drives past still gets one per frame."""
    pytest.importorskip("pxr")
    from pxr import Usd

    from scenegraph.pipeline import build
    from exporters._gltf_container import open_container

    scene = build("a red car drives past a parked blue car", seed=0, gaussians="none")
    tl = simulate(scene)
    cars = [e.id for e in scene.entities() if e.cls == "car"]
    assert len(cars) == 2
    moving = max(cars, key=lambda c: float(np.ptp(tl.position[:, tl.index(c)], axis=0).max()))
    parked = next(c for c in cars if c != moving)
    assert float(np.ptp(tl.position[:, tl.index(parked)], axis=0).max()) < 1e-6
    exporters.export(scene, tmp_path / "s.usda", timeline=tl)
    exporters.export(scene, tmp_path / "s.glb", timeline=tl)
    stage = Usd.Stage.Open(str(tmp_path / "s.usda"))
    for car, samples in ((moving, tl.frame_count), (parked, 0)):
        wheels = [c for c in stage.GetPrimAtPath(f"/World/{car}").GetChildren() if c.GetName().startswith(f"{car}_wheel_")]
        assert len(wheels) == 4
        for w in wheels:
            orient = w.GetAttribute("xformOp:orient")
            assert orient.GetNumTimeSamples() == samples, (car, w.GetName())
            assert orient.Get(0.0) == orient.Get(float(tl.frame_count - 1)) or car == moving
    doc = open_container(tmp_path / "s.glb").doc
    keyed = {doc["nodes"][ch["target"]["node"]]["extras"]["scenegraph"].get("of") for ch in doc["animations"][0]["channels"]
             if doc["nodes"][ch["target"]["node"]]["extras"]["scenegraph"].get("part") == "wheel"}
    assert keyed == {moving}
