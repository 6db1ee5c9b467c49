"""Gaussians ops: transforms move and rotate clouds (SH included), merge/crop/subsample/bounds/fit_to_bounds."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scenegraph.model.gaussians import Gaussians
from scenegraph.appearance.ops import bounds, crop, fit_to_bounds, merge, sh_rotation, subsample, transform
from scenegraph.appearance.raster_torch import sh_basis
from scenegraph.errors import ModelError


def cloud(n: int = 40, degree: int = 3, seed: int = 0) -> Gaussians:
    rng = np.random.default_rng(seed)
    return Gaussians(rng.uniform(-1, 1, (n, 3)), rng.normal(size=(n, 4)), rng.uniform(0.01, 0.1, (n, 3)),
                     rng.uniform(0.1, 1, n), rng.normal(0, 0.5, (n, (degree + 1) ** 2, 3)))  # fmt: skip


def rot_y(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def covariances(g: Gaussians) -> np.ndarray:
    x, y, z, w = g.quats.astype(np.float64).T
    r = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                  2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                  2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1).reshape(-1, 3, 3)  # fmt: skip
    m = r * g.scales[:, None, :]
    return m @ m.transpose(0, 2, 1)


def test_transform_moves_means_and_rotates_covariances():
    g = cloud()
    m = np.eye(4)
    m[:3, :3] = 2.0 * rot_y(0.7)
    m[:3, 3] = (1, 2, 3)
    out = transform(g, m)
    np.testing.assert_allclose(out.means, g.means @ m[:3, :3].T + m[:3, 3], atol=1e-5)
    np.testing.assert_allclose(out.scales, 2 * g.scales, rtol=1e-6)
    np.testing.assert_allclose(covariances(out), 4 * rot_y(0.7) @ covariances(g) @ rot_y(0.7).T, atol=1e-6)
    assert out.opacities.tolist() == g.opacities.tolist()


def test_transform_rotates_view_dependent_colour_with_the_cloud():
    g = cloud(5, degree=3)
    r = rot_y(1.1) @ np.array([[1, 0, 0], [0, math.cos(0.4), -math.sin(0.4)], [0, math.sin(0.4), math.cos(0.4)]])
    m = np.eye(4)
    m[:3, :3] = r
    out = transform(g, m)
    d = np.random.default_rng(1).normal(size=(20, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    before = np.einsum("dk,nkc->ndc", np.stack(sh_basis(*d.T, 3), 1), g.sh)
    rd = d @ r.T  # the same directions, rotated with the cloud
    after = np.einsum("dk,nkc->ndc", np.stack(sh_basis(*rd.T, 3), 1), out.sh)
    np.testing.assert_allclose(after, before, atol=1e-5)
    np.testing.assert_allclose(sh_rotation(np.eye(3), 3), np.eye(16), atol=1e-12)


def test_transform_refuses_shear_and_mirror():
    with pytest.raises(ModelError, match="uniform scale"):
        transform(cloud(), np.diag([1.0, 2.0, 1.0, 1.0]))
    with pytest.raises(ModelError, match="positive determinant"):
        transform(cloud(), np.diag([-1.0, 1.0, 1.0, 1.0]))


def test_merge_pads_lower_sh_degrees():
    a, b = cloud(3, degree=0, seed=1), cloud(4, degree=2, seed=2)
    m = merge([a, b])
    assert len(m) == 7 and m.sh_degree == 2
    np.testing.assert_array_equal(m.sh[:3, 0], a.sh[:, 0])
    assert not m.sh[:3, 1:].any()
    np.testing.assert_array_equal(m.means[3:], b.means)
    with pytest.raises(ModelError, match="no clouds"):
        merge([])


def test_crop_subsample_and_bounds():
    g = cloud(200)
    c = crop(g, (-0.5, -1, -1), (0.5, 1, 1))
    assert len(c) == int(np.sum(np.abs(g.means[:, 0]) <= 0.5)) and np.all(np.abs(c.means[:, 0]) <= 0.5)
    s1, s2 = subsample(g, 50, seed=3), subsample(g, 50, seed=3)
    assert len(s1) == 50 and s1 == s2 and subsample(g, 50, seed=4) != s1
    assert subsample(g, 500) is g
    b = bounds(g)
    np.testing.assert_array_equal(b, [g.means.min(0), g.means.max(0)])
    assert np.all(bounds(g, sigmas=3)[0] < b[0])
    with pytest.raises(ModelError, match="empty"):
        bounds(crop(g, (5, 5, 5), (6, 6, 6)))


def test_fit_to_bounds_fills_the_entity_box_standing_on_its_floor():
    g = cloud(300)  # a 2 m cube around the origin
    box = np.array([[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])  # a car's local box
    fitted = fit_to_bounds(g, box)
    fb = bounds(fitted)
    assert np.all(fb[0] >= box[0] - 1e-5) and np.all(fb[1] <= box[1] + 1e-5)
    assert fb[0, 1] == pytest.approx(0.0, abs=1e-5)  # rests on the ground
    ratio = (fb[1] - fb[0]) / (bounds(g)[1] - bounds(g)[0])
    np.testing.assert_allclose(ratio, ratio[1], rtol=1e-5)  # uniform scale
    assert fb[1, 1] == pytest.approx(1.5, abs=1e-5)  # height is the limiting axis: it fills the box
    assert (fb[0, 0] + fb[1, 0]) / 2 == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(ModelError, match="box must be"):
        fit_to_bounds(g, [[0, 0, 0], [-1, 1, 1]])


def test_fit_to_bounds_quantile_ignores_a_floater():
    g = cloud(300)
    far = Gaussians([[100.0, 0, 0]], [[0, 0, 0, 1]], [[0.05] * 3], [0.5], np.zeros((1, 16, 3)))
    fitted = fit_to_bounds(merge([g, far]), [[-1, 0, -1], [1, 2, 1]], quantile=0.01)
    core = fitted.means[:-1]
    assert core[:, 1].max() - core[:, 1].min() > 1.5  # the object still fills the box
