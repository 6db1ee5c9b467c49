"""The tile-based torch rasterizer equals a plain per-pixel reference, has exact gradients, and matches gsplat."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scenegraph.model.gaussians import Gaussians  # noqa: E402
from scenegraph.appearance.rasterize import gaussians_to_tensors, render_gaussians  # noqa: E402
from scenegraph.appearance.raster_torch import SH_C1, SH_C2, SH_C3  # noqa: E402
from scenegraph.world.views import PinholeCamera, look_at  # noqa: E402
from scenegraph.errors import BackendError, ModelError  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")

C0 = 0.28209479177387814


def reference_render(p: dict, cam: PinholeCamera, bg) -> tuple:
    """Straightforward 3DGS: project each Gaussian, then for every pixel walk the depth-sorted list."""
    dt = p["means"].dtype
    wc = torch.as_tensor(cam.world_to_camera, dtype=dt)
    h, w = cam.height, cam.width
    ys, xs = torch.meshgrid(torch.arange(h, dtype=dt) + 0.5, torch.arange(w, dtype=dt) + 0.5, indexing="ij")
    rgb = torch.zeros(h, w, 3, dtype=dt)
    depth = torch.zeros(h, w, dtype=dt)
    t = torch.ones(h, w, dtype=dt)
    done = torch.zeros(h, w, dtype=torch.bool)
    campos = torch.linalg.inv(wc)[:3, 3]
    k = p["sh"].shape[1]
    order = torch.argsort((p["means"] @ wc[:3, :3].T + wc[:3, 3])[:, 2])
    for i in order.tolist():
        x, y, z, qw = (p["quats"][i] / p["quats"][i].norm()).unbind()
        rot = torch.stack([
            torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - qw * z), 2 * (x * z + qw * y)]),
            torch.stack([2 * (x * y + qw * z), 1 - 2 * (x * x + z * z), 2 * (y * z - qw * x)]),
            torch.stack([2 * (x * z - qw * y), 2 * (y * z + qw * x), 1 - 2 * (x * x + y * y)]),
        ])  # fmt: skip
        cov = rot @ torch.diag(p["scales"][i] ** 2) @ rot.T
        tc = wc[:3, :3] @ p["means"][i] + wc[:3, 3]
        if tc[2] <= cam.znear:
            continue
        jac = torch.stack([
            torch.stack([cam.fx / tc[2], tc[2] * 0, -cam.fx * tc[0] / tc[2] ** 2]),
            torch.stack([tc[2] * 0, cam.fy / tc[2], -cam.fy * tc[1] / tc[2] ** 2]),
        ])  # fmt: skip
        cov2 = jac @ wc[:3, :3] @ cov @ wc[:3, :3].T @ jac.T + 0.3 * torch.eye(2, dtype=dt)
        inv = torch.linalg.inv(cov2)
        mx, my = cam.fx * tc[0] / tc[2] + cam.cx, cam.fy * tc[1] / tc[2] + cam.cy
        d = p["means"][i] - campos
        dx_, dy_, dz_ = (d / d.norm()).unbind()
        basis = [C0, -SH_C1 * dy_, SH_C1 * dz_, -SH_C1 * dx_]
        xx, yy, zz = dx_ * dx_, dy_ * dy_, dz_ * dz_
        basis += [SH_C2[0] * dx_ * dy_, SH_C2[1] * dy_ * dz_, SH_C2[2] * (2 * zz - xx - yy), SH_C2[3] * dx_ * dz_, SH_C2[4] * (xx - yy)]
        basis += [SH_C3[0] * dy_ * (3 * xx - yy), SH_C3[1] * dx_ * dy_ * dz_, SH_C3[2] * dy_ * (4 * zz - xx - yy),
                  SH_C3[3] * dz_ * (2 * zz - 3 * xx - 3 * yy), SH_C3[4] * dx_ * (4 * zz - xx - yy),
                  SH_C3[5] * dz_ * (xx - yy), SH_C3[6] * dx_ * (xx - 3 * yy)]  # fmt: skip
        color = (sum(basis[j] * p["sh"][i, j] for j in range(k)) + 0.5).clamp_min(0)
        ex, ey = xs - mx, ys - my
        power = -0.5 * (inv[0, 0] * ex * ex + 2 * inv[0, 1] * ex * ey + inv[1, 1] * ey * ey)
        alpha = (p["opacities"][i] * torch.exp(power)).clamp_max(0.99)
        use = (alpha >= 1 / 255) & ~done
        next_t = t * (1 - alpha)
        stop = use & (next_t <= 1e-4)
        use = use & ~stop
        done = done | stop
        wgt = torch.where(use, alpha * t, torch.zeros_like(t))
        rgb = rgb + wgt[..., None] * color
        depth = depth + wgt * tc[2]
        t = torch.where(use, next_t, t)
    a = 1 - t
    return rgb + t[..., None] * torch.as_tensor(bg, dtype=dt), a, depth / a.clamp_min(1e-10)


def random_cloud(n: int, seed: int, degree: int = 3, opacity=(0.2, 0.95), spread=0.6) -> Gaussians:
    rng = np.random.default_rng(seed)
    return Gaussians(
        rng.uniform(-spread, spread, (n, 3)) * [1, 0.7, 0.5],
        rng.normal(size=(n, 4)),
        np.exp(rng.uniform(np.log(0.03), np.log(0.25), (n, 3))),
        rng.uniform(*opacity, n),
        rng.normal(0, 0.4, (n, (degree + 1) ** 2, 3)),
    )


def small_camera(w: int = 32, h: int = 24, eye=(0.3, 0.4, 2.5)) -> PinholeCamera:
    from scenegraph.world.views import GL_TO_CV

    world_to_cv = GL_TO_CV @ np.linalg.inv(look_at(eye, (0, 0, 0)))
    return PinholeCamera(w, h, 0.9 * w, 0.9 * w, w / 2 + 0.3, h / 2 - 0.2, world_to_cv)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torch_backend_matches_per_pixel_reference(seed):
    g = random_cloud(12, seed)
    cam = small_camera()
    p = gaussians_to_tensors(g, dtype=torch.float64)
    rgb, alpha, depth = render_gaussians(p, cam, background=(0.2, 0.3, 0.4), backend="torch")
    ref_rgb, ref_alpha, ref_depth = reference_render(p, cam, (0.2, 0.3, 0.4))
    assert float(alpha.max()) > 0.5  # the cloud is in view
    torch.testing.assert_close(rgb, ref_rgb)
    torch.testing.assert_close(alpha, ref_alpha)
    torch.testing.assert_close(depth, ref_depth)


def test_float32_render_matches_reference_within_rounding():
    g = random_cloud(20, 5)
    cam = small_camera(48, 40)
    rgb, alpha, depth = render_gaussians(g, cam, backend="torch")
    ref = reference_render(gaussians_to_tensors(g, dtype=torch.float64), cam, (0, 0, 0))
    torch.testing.assert_close(rgb.double(), ref[0], atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(alpha.double(), ref[1], atol=2e-4, rtol=1e-4)


def test_opaque_stack_stops_at_transmittance_floor():
    # five near-opaque (0.98) Gaussians on the axis: the third would push T below 1e-4 and is excluded
    n = 5
    sh = np.zeros((n, 1, 3), np.float32)
    sh[:, 0, 0] = (np.array([1.0, 0.0, 0.0, 0.0, 0.0]) - 0.5) / C0  # only the front one is red
    sh[:, 0, 2] = (np.array([0.0, 0.0, 1.0, 1.0, 1.0]) - 0.5) / C0  # the hidden ones are blue
    g = Gaussians([[0, 0, 1.0 + 0.1 * i] for i in range(n)], np.tile([0, 0, 0, 1.0], (n, 1)), np.full((n, 3), 0.3), np.full(n, 0.98), sh)
    cam = PinholeCamera(32, 24, 20.0, 20.0, 16.5, 12.5, np.eye(4))  # means project onto pixel (16, 12)'s centre
    p = gaussians_to_tensors(g, dtype=torch.float64)
    rgb, alpha, _ = render_gaussians(p, cam, backend="torch")
    ref = reference_render(p, cam, (0, 0, 0))
    torch.testing.assert_close(rgb, ref[0])
    torch.testing.assert_close(alpha, ref[1])
    centre = rgb[12, 16]
    assert float(centre[0]) == pytest.approx(0.98, abs=1e-6)  # the red front one (float32 opacity)
    assert float(centre[2]) == pytest.approx(0.0, abs=1e-12)  # T would drop to 8e-6: blue ones never reached
    assert float(alpha[12, 16]) == pytest.approx(1 - 0.02 * 0.02, abs=1e-6)


def test_culled_and_offscreen_gaussians_cost_nothing():
    sh = np.zeros((3, 1, 3), np.float32)
    g = Gaussians([[0.1, 0.1, 2], [0, 0, -2], [50, 0, 2]], np.tile([0, 0, 0, 1.0], (3, 1)), np.full((3, 3), 0.01), np.full(3, 0.9), sh)
    cam = PinholeCamera(64, 48, 40.0, 40.0, 32.0, 24.0, np.eye(4))
    res = render_gaussians(g, cam, backend="torch")
    assert res.info["n_intersections"] == 1  # only the small one in front, in a single tile
    assert res.info["radii"][1].tolist() == [0, 0] and res.info["radii"][2].tolist() == [0, 0]
    assert float(res.alpha.sum()) > 0 and float(res.alpha[:16].sum()) == 0.0


def test_gradients_match_finite_differences():
    g = random_cloud(3, 7, degree=1, spread=0.3)
    cam = small_camera(20, 16, eye=(0.0, 0.2, 1.6))
    p = gaussians_to_tensors(g, dtype=torch.float64)
    names = ("means", "quats", "scales", "opacities", "sh")
    wts = torch.rand(16, 20, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))

    def loss(*xs):
        res = render_gaussians(dict(zip(names, xs)), cam, background=(0.1, 0.2, 0.3), backend="torch")
        return (res.rgb * wts[..., :3]).sum() + (res.alpha * wts[..., 3]).sum() + 0.1 * (res.depth * wts[..., 4]).sum()

    inputs = tuple(p[k].clone().requires_grad_(True) for k in names)
    assert torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gradients_match_reference_autograd_through_termination():
    g = random_cloud(16, 11, opacity=(0.6, 0.99))
    cam = small_camera()
    names = ("means", "quats", "scales", "opacities", "sh")
    p1 = {k: v.requires_grad_(True) for k, v in gaussians_to_tensors(g, dtype=torch.float64).items()}
    p2 = {k: v.detach().clone().requires_grad_(True) for k, v in p1.items()}
    w = torch.rand(24, 32, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    rgb, alpha, _ = render_gaussians(p1, cam, backend="torch")
    ((rgb * w).sum() + alpha.sum()).backward()
    r_rgb, r_alpha, _ = reference_render(p2, cam, (0, 0, 0))
    ((r_rgb * w).sum() + r_alpha.sum()).backward()
    for k in names:
        torch.testing.assert_close(p1[k].grad, p2[k].grad, msg=k)


def test_resize_scales_intrinsics_and_rejects_bad_input():
    g = random_cloud(8, 3)
    cam = small_camera(32, 24)
    small = render_gaussians(g, cam, backend="torch").rgb
    big = render_gaussians(g, cam, 64, 48, backend="torch").rgb
    assert tuple(big.shape) == (48, 64, 3)
    # same picture at twice the resolution (only the fixed 0.3 px low-pass differs)
    assert float((big.reshape(24, 2, 32, 2, 3).mean((1, 3)) - small).abs().mean()) < 0.01
    with pytest.raises(BackendError, match="unknown backend"):
        render_gaussians(g, cam, backend="vulkan")
    with pytest.raises(ModelError, match="sh_degree 5"):
        render_gaussians(g, cam, backend="torch", sh_degree=5)
    with pytest.raises(ModelError, match="lacks"):
        render_gaussians({"means": torch.zeros(1, 3)}, cam, backend="torch")


@pytest.mark.gpu
def test_torch_backend_matches_gsplat():
    g = random_cloud(300, 4, spread=0.8)
    cam = small_camera(96, 72)
    names = ("means", "quats", "scales", "opacities", "sh")
    pc = {k: v.requires_grad_(True) for k, v in gaussians_to_tensors(g).items()}
    pg = {k: v.detach().cuda().requires_grad_(True) for k, v in pc.items()}
    w = torch.rand(72, 96, 3, generator=torch.Generator().manual_seed(2))
    rc = render_gaussians(pc, cam, background=(0.1, 0.2, 0.3), backend="torch")
    rg = render_gaussians(pg, cam, background=(0.1, 0.2, 0.3), backend="gsplat")
    torch.testing.assert_close(rg.rgb.cpu(), rc.rgb, atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(rg.alpha.cpu(), rc.alpha, atol=2e-3, rtol=1e-3)
    hit = rc.alpha > 0.2
    torch.testing.assert_close(rg.depth.cpu()[hit], rc.depth[hit], atol=2e-3, rtol=1e-3)
    (rc.rgb * w).sum().backward()
    (rg.rgb * w.cuda()).sum().backward()
    for k in names:
        a, b = pg[k].grad.cpu(), pc[k].grad
        assert float((a - b).norm() / b.norm().clamp_min(1e-12)) < 2e-2, k


def test_small_blocks_walk_many_blocks_with_the_same_result():
    from scenegraph.appearance.raster_torch import render_torch

    g = random_cloud(40, 13, opacity=(0.5, 0.99))
    cam = small_camera()
    names = ("means", "quats", "scales", "opacities", "sh")
    p1 = {k: v.requires_grad_(True) for k, v in gaussians_to_tensors(g, dtype=torch.float64).items()}
    p2 = {k: v.detach().clone().requires_grad_(True) for k, v in p1.items()}
    viewmat = torch.as_tensor(cam.world_to_camera)
    res = render_torch(p1, viewmat, (cam.fx, cam.fy, cam.cx, cam.cy), 32, 24, torch.zeros(3, dtype=torch.float64), 3, block=3)
    ref = reference_render(p2, cam, (0, 0, 0))
    torch.testing.assert_close(res.rgb, ref[0])
    torch.testing.assert_close(res.alpha, ref[1])
    (res.rgb.sum() + res.alpha.sum()).backward()
    (ref[0].sum() + ref[1].sum()).backward()
    for k in names:
        torch.testing.assert_close(p1[k].grad, p2[k].grad, msg=k)


def test_tile_size_changes_cost_not_the_image():
    g = random_cloud(30, 17)
    cam = small_camera(48, 40)
    p = gaussians_to_tensors(g, dtype=torch.float64)
    r16 = render_gaussians(p, cam, backend="torch", tile_size=16)
    r8 = render_gaussians(p, cam, backend="torch", tile_size=8)
    torch.testing.assert_close(r8.rgb, r16.rgb)
    torch.testing.assert_close(r8.alpha, r16.alpha)
    assert r8.info["n_intersections"] * 64 < r16.info["n_intersections"] * 256  # fewer pixel tests
    with pytest.raises(ModelError, match="tile_size"):
        render_gaussians(p, cam, backend="torch", tile_size=12)


def test_torch_backend_picks_the_tile_by_footprint():
    cam = small_camera(160, 120)
    for n, scale, want in ((200, 0.004, 8), (40, 0.3, 16)):  # footprints of a few pixels / tens of pixels
        p = gaussians_to_tensors(random_cloud(n, n), dtype=torch.float64)
        p["scales"] = torch.full_like(p["scales"], scale)
        auto = render_gaussians(p, cam, backend="torch")
        assert auto.info["tile"] == want
        other = render_gaussians(p, cam, backend="torch", tile_size=24 - want)
        assert other.info["tile"] == 24 - want
        torch.testing.assert_close(auto.rgb, other.rgb)
        assert float(auto.alpha.max()) > 0.3  # in view
