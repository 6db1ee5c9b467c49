"""Proxy meshes: one recognisable, closed, outward-facing shape per catalogue class, filling its bounds."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenegraph.appearance import proxy, shapes
from scenegraph.appearance.proxy import canonical_shape, proxy_colors, proxy_mesh, proxy_shapes
from scenegraph.model.catalog import CATALOG, bounds_of
from scenegraph.errors import ModelError

BRIEF_CLASSES = [
    "car", "truck", "bus", "bicycle", "motorbike", "person", "dog", "cat", "horse", "bird", "ball", "tree",
    "bench", "table", "chair", "sofa", "bed", "house", "building", "lamp_post", "traffic_light", "cup", "mug",
    "bottle", "book", "laptop", "box", "plane", "boat", "drone",
]


def _outward_agreement(mesh: shapes.Mesh) -> np.ndarray:
    """Per triangle: dot of the winding's normal with the mean vertex normal (positive = outward CCW)."""
    fn, area = shapes.face_normals(mesh)
    vn = mesh.normals[mesh.indices.astype(np.int64)].mean(axis=1)
    return np.einsum("ij,ij->i", fn, vn)[area > 0]


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_catalogue_class_fills_its_bounds(name):
    b = bounds_of(CATALOG[name].size)
    mesh = proxy_mesh(name, b)
    np.testing.assert_allclose(mesh.bounds, b, atol=1e-5)
    assert 8 <= len(mesh) < 2000
    assert mesh.positions.dtype == np.float32 and mesh.indices.dtype == np.uint32
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-5)
    assert mesh.uvs.shape == (len(mesh), 2)
    assert shapes.signed_volume(mesh) > 0
    assert np.all(_outward_agreement(mesh) > 0), "a triangle winds against its normals"


def test_brief_classes_have_dedicated_shapes_and_synonyms_resolve():
    for name in BRIEF_CLASSES:
        assert canonical_shape(name) == name, name
    for alias, want in [("pedestrian", "person"), ("man", "person"), ("woman", "person"), ("child", "person"),
                        ("lamp post", "lamp_post"), ("Lamp-Post", "lamp_post"), ("traffic light", "traffic_light"),
                        ("motorcycle", "motorbike"), ("airplane", "plane"), ("couch", "sofa"), ("puppy", "dog"),
                        ("automobile", "car")]:
        assert canonical_shape(alias) == want, alias
    assert canonical_shape("flurbo") == "box"  # a word no lexicon knows ("spaceship" is a class now)
    assert set(BRIEF_CLASSES) <= set(proxy_shapes())


def test_unknown_shape_is_a_box_filling_the_bounds():
    b = np.array([[-1.0, 0.0, -2.0], [1.0, 0.5, 2.0]])
    mesh = proxy_mesh("flux capacitor", b)
    assert len(mesh) == 24 and len(mesh.indices) == 12
    np.testing.assert_allclose(mesh.bounds, b)
    assert shapes.signed_volume(mesh) == pytest.approx(2.0 * 0.5 * 4.0)


def test_proxy_is_deterministic_and_read_only():
    b = bounds_of(CATALOG["horse"].size)
    a, c = proxy_mesh("horse", b), proxy_mesh("horse", b)
    assert a == c and a.positions.tobytes() == c.positions.tobytes()
    with pytest.raises(ValueError):
        a.positions[0, 0] = 1.0


def test_proxy_follows_bounds_anywhere():
    b = np.array([[10.0, -2.0, 3.0], [12.0, 5.0, 3.5]])
    mesh = proxy_mesh("chair", b)
    np.testing.assert_allclose(mesh.bounds, b, atol=1e-5)


def test_car_has_four_dark_wheels_at_its_bottom_corners():
    b = bounds_of(CATALOG["car"].size)  # 1.8 wide, 1.5 high, 4.5 long
    mesh = proxy_mesh("car", b)
    tint = proxy_colors("car", mesh)
    wheel = mesh.positions[tint[:, 0] < 0.2]
    assert len(wheel) > 0
    assert wheel[:, 1].max() < 0.5 * 1.5  # below half height
    quadrants = {(bool(x > 0), bool(z > 0)) for x, _, z in wheel}
    assert quadrants == {(False, False), (False, True), (True, False), (True, True)}
    assert np.abs(wheel[:, 2]).min() > 0.5  # near the ends, not mid-car


def test_table_has_a_top_and_four_legs():
    b = bounds_of(CATALOG["table"].size)
    mesh = proxy_mesh("table", b)
    top = mesh.positions[mesh.positions[:, 1] > 0.7]
    np.testing.assert_allclose([top[:, 0].min(), top[:, 0].max()], [-0.8, 0.8], atol=1e-5)
    feet = mesh.positions[mesh.positions[:, 1] < 1e-6]
    assert {(bool(x > 0), bool(z > 0)) for x, _, z in feet} == {(False, False), (False, True), (True, False), (True, True)}
    assert np.abs(feet[:, 0]).min() > 0.6  # legs at the corners: no vertex at floor level near the middle


def test_person_stands_with_head_on_top_and_feet_pointing_forward():
    b = bounds_of(CATALOG["person"].size)
    mesh = proxy_mesh("person", b)
    p = mesh.positions
    head = p[p[:, 1] > 1.5]
    assert np.abs(head[:, 0]).max() < 0.15  # only the head is that high: narrow
    feet = p[p[:, 1] < 0.05]
    assert feet[:, 2].max() > 0.1 and feet[:, 2].max() > -feet[:, 2].min()  # toes towards +Z


def test_tree_trunk_is_brown_under_a_canopy():
    b = bounds_of(CATALOG["tree"].size)
    mesh = proxy_mesh("tree", b)
    tint = proxy_colors("tree", mesh)
    trunk = mesh.positions[tint[:, 1] < 0.5]
    canopy = mesh.positions[tint[:, 1] >= 0.5]
    assert trunk[:, 1].min() == pytest.approx(0.0, abs=1e-6)
    assert canopy[:, 1].max() == pytest.approx(7.0, abs=1e-5)
    assert np.abs(trunk[:, [0, 2]]).max() < 0.5 < np.abs(canopy[:, [0, 2]]).max()


def test_proxy_colors_refuses_a_foreign_mesh():
    with pytest.raises(ModelError, match="vertices"):
        proxy_colors("car", shapes.box_mesh((0, 0, 0), (1, 1, 1)))


def test_flat_bounds_give_a_flat_mesh_with_finite_normals():
    b = np.array([[-1.0, 0.0, -1.0], [1.0, 0.0, 1.0]])
    mesh = proxy_mesh("rug", b)
    np.testing.assert_allclose(mesh.bounds, b)
    assert np.all(np.isfinite(mesh.normals))


@pytest.mark.parametrize("bounds", [np.zeros((3, 3)), [[0, 0, 0], [-1, 1, 1]], [[0, 0, 0], [np.nan, 1, 1]]])
def test_bad_bounds_are_refused(bounds):
    with pytest.raises(ModelError):
        proxy_mesh("car", bounds)


# -- primitives ------------------------------------------------------------------


@pytest.mark.parametrize(
    "mesh, volume, rel",
    [
        (shapes.box_mesh((0, 0, 0), (1, 2, 3)), 6.0, 1e-9),
        (shapes.cylinder(0.5, 0.0, 2.0, 64), math.pi * 0.25 * 2.0, 0.01),
        (shapes.cone(1.0, 0.0, 3.0, 64), math.pi * 3.0 / 3.0, 0.01),
        (shapes.sphere(1.0, rings=32, segments=64), 4.0 / 3.0 * math.pi, 0.01),
        (shapes.capsule(0.5, 0.0, 3.0, 16, 64), math.pi * 0.25 * 2.0 + 4.0 / 3.0 * math.pi * 0.125, 0.01),
        (shapes.torus(2.0, 0.5, 32, 64), 2 * math.pi ** 2 * 2.0 * 0.25, 0.01),
        (shapes.prism([(0, 0), (2, 0), (0, 1)], 2, -1.0, 1.0), 2.0, 1e-9),
        (shapes.ellipsoid((1.0, 2.0, 3.0), rings=32, segments=64), 4.0 / 3.0 * math.pi * 6.0, 0.01),
    ],
)
def test_primitives_are_closed_outward_solids_of_the_right_volume(mesh, volume, rel):
    assert shapes.signed_volume(mesh) == pytest.approx(volume, rel=rel)
    assert np.all(_outward_agreement(mesh) > 0)


def test_mirroring_keeps_triangles_outward():
    m = shapes.transform_mesh(shapes.cone(1.0, 0.0, 1.0), scale=(-1.0, 1.0, 1.0))
    assert shapes.signed_volume(m) > 0 and np.all(_outward_agreement(m) > 0)


def test_rod_and_limb_span_their_end_points():
    a, b = np.array([0.0, 0.0, 0.0]), np.array([1.0, 2.0, 2.0])
    rod = shapes.rod(a, b, 0.1, 12)
    axis = (b - a) / 3.0
    t = (rod.positions - a) @ axis
    assert t.min() == pytest.approx(0.0, abs=1e-6) and t.max() == pytest.approx(3.0, abs=1e-5)
    limb = shapes.limb(a, b, 0.1)
    t = (limb.positions - a) @ axis
    assert t.min() == pytest.approx(0.0, abs=1e-6) and t.max() == pytest.approx(3.0, abs=1e-5)


def test_concave_prism_is_refused():
    with pytest.raises(ModelError, match="convex"):
        shapes.prism([(0, 0), (2, 0), (1, 0.2), (2, 1), (0, 1)], 1, 0.0, 1.0)


def test_mesh_type_is_shared_with_the_proxy_module():
    assert proxy.Mesh is shapes.Mesh and proxy.box_mesh is shapes.box_mesh


def test_crease_edges_find_the_outlines_not_the_diagonals():
    box = shapes.crease_edges(shapes.box_mesh((0, 0, 0), (1, 2, 3)))
    assert box.shape == (12, 3) and np.all(box.sum(axis=1) == 2)  # each triangle: two box edges, one face diagonal
    cyl = shapes.cylinder(1.0, 0.0, 1.0, 16)
    sharp = shapes.crease_edges(cyl)
    p = cyl.positions[cyl.indices.astype(np.int64)]
    ends = np.stack([p, np.roll(p, -1, axis=1)], axis=2)  # (T, 3 edges, 2 ends, 3)
    on_rim = np.all(np.isclose(np.linalg.norm(ends[..., [0, 2]], axis=-1), 1.0, atol=1e-5), axis=2) & np.all(
        np.isclose(ends[..., 1], ends[..., :1, 1]), axis=2)
    np.testing.assert_array_equal(sharp, on_rim)  # only the two rims; the 22.5-degree side seams are smooth
    assert proxy.proxy_sharp_edges("table").shape == (len(proxy_mesh("table", [[0, 0, 0], [1, 1, 1]]).indices), 3)
