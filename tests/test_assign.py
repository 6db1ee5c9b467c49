"""Giving entities Gaussians: sampled on their proxies, in their bounds, in their material's colour."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.appearance.assign import DEFAULT_COLOR, assign_gaussians, proxy_gaussians
from scenegraph.model.gaussians import sh_to_rgb
from scenegraph.appearance.proxy import proxy_colors, proxy_mesh
from scenegraph.model.catalog import CATALOG, bounds_of
from scenegraph.errors import ModelError
from scenegraph.model import Entity, Material, Scene, quat_rotate


def _scene() -> Scene:
    s = Scene(seed=3)
    s.add_material(Material("red_paint", base_color=(0.8, 0.05, 0.05)))
    s.add_material(Material("blue", base_color=(0.1, 0.2, 0.9)))
    s.add_entity(Entity("car_1", cls="car", bounds=bounds_of(CATALOG["car"].size)), material="red_paint")
    s.add_entity(Entity("crate_1", cls="box", bounds=((-0.25, 0.0, -0.25), (0.25, 0.4, 0.25))), material="blue")
    s.add_entity(Entity("man_1", cls="man", bounds=bounds_of(CATALOG["man"].size)))
    s.add_entity(Entity("cam", kind="camera"))
    s.add_entity(Entity("sun", kind="light"))
    return s


def test_every_object_entity_gets_gaussians_inside_its_bounds():
    s = _scene()
    done = assign_gaussians(s, per_entity=700, seed=1)
    assert done == ["car_1", "crate_1", "man_1"]
    for eid in done:
        e = s.entity(eid)
        g = e.gaussians
        assert len(g) == 700 and g.sh_degree == 0
        assert np.all(g.means >= e.bounds[0] - 1e-6) and np.all(g.means <= e.bounds[1] + 1e-6)
        # the cloud spans the entity, it is not bunched in one corner
        assert np.all(np.ptp(g.means, axis=0) > 0.8 * (e.bounds[1] - e.bounds[0]))
        np.testing.assert_allclose(g.opacities, 0.9)
    assert s.entity("cam").gaussians is None and s.entity("sun").gaussians is None


def test_colours_come_from_the_material():
    s = _scene()
    assign_gaussians(s, per_entity=500)
    crate = sh_to_rgb(s.entity("crate_1").gaussians.sh[:, 0])
    np.testing.assert_allclose(crate, np.broadcast_to([0.1, 0.2, 0.9], crate.shape), atol=1e-6)
    man = sh_to_rgb(s.entity("man_1").gaussians.sh[:, 0])  # no material: clothes in the default grey, skin, hair ... its own
    from scenegraph.appearance.rig import rig_for

    looks = np.array([DEFAULT_COLOR] + [c for c in rig_for(s.entity("man_1"), s.seed).colors.values()])
    assert np.all(np.min(np.abs(man[:, None, :] - looks[None]).max(axis=2), axis=1) < 1e-6)
    assert (np.abs(man - DEFAULT_COLOR).max(axis=1) < 1e-6).mean() > 0.3  # much of him is his clothes
    car = sh_to_rgb(s.entity("car_1").gaussians.sh[:, 0])
    body = np.all(np.abs(car - [0.8, 0.05, 0.05]) < 1e-6, axis=1)
    assert body.mean() > 0.3  # much of the car is its paint, the rest glass, tyres and lights:
    mesh = proxy_mesh("car", s.entity("car_1").bounds)
    allowed = np.clip(np.unique(proxy_colors("car", mesh), axis=0) * [0.8, 0.05, 0.05], 0, 1)
    assert len(allowed) >= 3
    assert np.all(np.min(np.abs(car[:, None, :] - allowed[None]).max(axis=2), axis=1) < 1e-6)
    assert (car[:, 0] < 0.2).mean() > 0.05  # dark tyres and glass are there


def test_untinted_cloud_is_the_base_colour_everywhere():
    g = proxy_gaussians("car", bounds_of(CATALOG["car"].size), (0.3, 0.6, 0.2), n=300, tints=False)
    np.testing.assert_allclose(sh_to_rgb(g.sh[:, 0]), np.broadcast_to([0.3, 0.6, 0.2], (300, 3)), atol=1e-6)


def test_discs_lie_flat_on_the_surface():
    b = np.array([[-1.0, 0.0, -1.0], [1.0, 2.0, 1.0]])
    g = proxy_gaussians("box", b, n=400, seed=5)
    normals = quat_rotate(g.quats.astype(np.float64), np.array([0.0, 0.0, 1.0]))
    # on a box every point is on a face; its disc normal is that face's axis, pointing out
    on_face = np.isclose(g.means, b[0], atol=1e-5) | np.isclose(g.means, b[1], atol=1e-5)
    centre = np.array([0.0, 1.0, 0.0])
    assert np.all(np.any(on_face, axis=1))
    assert np.all(np.einsum("ij,ij->i", normals, g.means - centre) > 0)
    assert np.allclose(np.abs(normals).max(axis=1), 1.0, atol=1e-5)
    assert np.all(g.scales[:, 2] < 0.2 * g.scales[:, 0]) and np.allclose(g.scales[:, 0], g.scales[:, 1])
    # discs cover the surface: n * pi s^2 is about the area (24 m^2)
    assert 0.5 * 24 < np.sum(np.pi * g.scales[:, 0] ** 2) < 3 * 24


def test_discs_shrink_towards_the_box_outline_by_their_distance_to_it():
    b = np.array([[-1.0, 0.0, -1.0], [1.0, 2.0, 1.0]])
    g = proxy_gaussians("box", b, n=3000, seed=2)
    full = float(g.scales[:, 0].max())
    # on a box the sharp edges are the cube's twelve: a point's distance to the outline is the smaller of
    # its distances to the two face borders it lies between
    gap = np.minimum(g.means - b[0], b[1] - g.means)
    on = np.isclose(gap, 0.0, atol=1e-5)
    edge = np.where(on, np.inf, gap).min(axis=1)
    want = np.clip(0.7 * edge, 0.35 * full, full)
    assert np.allclose(g.scales[:, 0], want, rtol=1e-4, atol=1e-6)
    assert g.scales[:, 0].min() == pytest.approx(0.35 * full, rel=1e-4)  # at a corner
    assert np.mean(g.scales[:, 0] == full) > 0.3  # the middles of the faces keep the full size


def test_the_unchecked_cloud_constructor_takes_only_float32():
    from scenegraph.model.gaussians import Gaussians

    ok = Gaussians.trusted(np.zeros((2, 3), np.float32), np.tile(np.float32([0, 0, 0, 1]), (2, 1)), np.ones((2, 3), np.float32),
                           np.ones(2, np.float32), np.zeros((2, 1, 3), np.float32))
    assert len(ok) == 2 and not ok.means.flags.writeable
    with pytest.raises(ModelError, match="means must be C-contiguous float32"):
        Gaussians.trusted(np.zeros((2, 3)), ok.quats, ok.scales, ok.opacities, ok.sh)


def test_assignment_is_deterministic_per_seed_and_per_entity():
    a, b, c = _scene(), _scene(), _scene()
    assign_gaussians(a, seed=7, per_entity=300)
    assign_gaussians(b, seed=7, per_entity=300)
    assign_gaussians(c, seed=8, per_entity=300)
    for eid in ("car_1", "crate_1", "man_1"):
        assert a.entity(eid).gaussians == b.entity(eid).gaussians
        assert a.entity(eid).gaussians.means.tobytes() == b.entity(eid).gaussians.means.tobytes()
        assert not np.array_equal(a.entity(eid).gaussians.means, c.entity(eid).gaussians.means)
    d = _scene()  # one more entity leaves the others' clouds unchanged
    d.add_entity(Entity("ball_1", cls="ball", bounds=((-0.1, 0, -0.1), (0.1, 0.2, 0.1))))
    assign_gaussians(d, seed=7, per_entity=300)
    assert d.entity("car_1").gaussians == a.entity("car_1").gaussians


def test_existing_gaussians_are_kept_unless_overwritten():
    s = _scene()
    mine = proxy_gaussians("ball", ((-1, 0, -1), (1, 2, 1)), n=10)
    s.update("crate_1", gaussians=mine)
    assert "crate_1" not in assign_gaussians(s, per_entity=50)
    assert s.entity("crate_1").gaussians is mine
    assert "crate_1" in assign_gaussians(s, per_entity=50, overwrite=True)
    assert len(s.entity("crate_1").gaussians) == 50


def test_translucent_material_lowers_opacity():
    s = Scene()
    s.add_material(Material("glass", base_color=(0.9, 0.9, 1.0), alpha=0.5))
    s.add_entity(Entity("bottle_1", cls="bottle", bounds=bounds_of(CATALOG["bottle"].size)), material="glass")
    assign_gaussians(s, per_entity=100)
    np.testing.assert_allclose(s.entity("bottle_1").gaussians.opacities, 0.45)


def test_huge_flat_and_degenerate_entities():
    s = Scene()
    s.add_entity(Entity("ground", cls="ground", bounds=((-100, -0.01, -100), (100, 0.0, 100))))
    s.add_entity(Entity("slab", cls="box", bounds=((-100, -0.01, -100), (100, 0.0, 100))))
    s.add_entity(Entity("dot", cls="ball", bounds=((0, 0, 0), (0, 0, 0))))
    assigned = assign_gaussians(s, per_entity=2000)
    assert assigned == ["slab", "dot"]
    assert s.entity("ground").gaussians is None  # a surface keeps its proxy mesh only
    slab = s.entity("slab").gaussians
    assert len(slab) == 2000 and slab.scales[:, 0].max() > 1.0  # capped count: discs grow
    assert len(s.entity("dot").gaussians) == 2000 and np.all(s.entity("dot").gaussians.means == 0)


def test_bad_arguments_are_refused():
    with pytest.raises(ModelError, match="mode"):
        assign_gaussians(_scene(), mode="magic")
    with pytest.raises(ModelError, match="per_entity"):
        assign_gaussians(_scene(), per_entity=0)


def test_fit_mode_without_the_fitting_module_is_a_backend_error(monkeypatch):
    import sys

    from scenegraph.errors import BackendError

    monkeypatch.setitem(sys.modules, "scenegraph.appearance.fit", None)  # as on an install without it
    s = _scene()
    with pytest.raises(BackendError, match="fit"):
        assign_gaussians(s, mode="fit")
    assert all(e.gaussians is None for e in s.entities())  # nothing half-assigned


@pytest.mark.slow
def test_fit_mode_matches_the_proxy_renders_better_than_the_sampling():
    pytest.importorskip("torch")
    fit = pytest.importorskip("scenegraph.appearance.fit")
    from scenegraph.appearance.mesh_render import render_proxy_views
    from scenegraph.appearance.rasterize import render_gaussians

    def one_box() -> Scene:
        s = Scene()
        s.add_material(Material("red", base_color=(0.8, 0.1, 0.1)))
        s.add_entity(Entity("box_1", cls="box", bounds=((-0.25, 0.0, -0.25), (0.25, 0.5, 0.25))), material="red")
        return s

    sampled, fitted = one_box(), one_box()
    assign_gaussians(sampled, mode="proxy", per_entity=150, seed=0)
    assign_gaussians(fitted, mode="fit", per_entity=150, fit_steps=15, n_views=4, view_size=32, seed=0)
    e = fitted.entity("box_1")
    assert len(e.gaussians) > 0
    margin = 0.1 * (e.bounds[1] - e.bounds[0])
    assert np.all(e.gaussians.means >= e.bounds[0] - margin) and np.all(e.gaussians.means <= e.bounds[1] + margin)
    views = render_proxy_views(proxy_mesh("box", e.bounds), (0.8, 0.1, 0.1), n_views=4, size=32, seed=0)

    def score(g) -> float:
        return float(np.mean([fit.psnr(render_gaussians(g, v.camera, backend="torch").rgb.numpy(), v.image) for v in views]))

    assert score(e.gaussians) > score(sampled.entity("box_1").gaussians) + 0.3
