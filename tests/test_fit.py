"""fit_gaussians recovers a scene from posed views: held-out PSNR, falling loss, seeds, strategies, errors."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scenegraph.appearance.fit import fit_gaussians, psnr, ssim  # noqa: E402
from scenegraph.model.gaussians import Gaussians  # noqa: E402
from scenegraph.appearance.rasterize import render_gaussians  # noqa: E402
from scenegraph.world.views import GL_TO_CV, PinholeCamera, PosedView, look_at  # noqa: E402
from scenegraph.errors import ModelError  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def target_views(n_views: int = 12, size: int = 32) -> list[PosedView]:
    """A known cloud (a red blob and a blue bar) rendered from cameras on a ring."""
    rng = np.random.default_rng(0)
    n = 30
    means = np.concatenate([rng.normal(0, 0.15, (20, 3)), np.stack([np.linspace(-0.4, 0.4, 10), np.full(10, 0.3), np.zeros(10)], 1)])
    rgb = np.concatenate([np.tile([0.9, 0.2, 0.1], (20, 1)), np.tile([0.1, 0.3, 0.9], (10, 1))])
    g = Gaussians(means, rng.normal(size=(n, 4)), rng.uniform(0.05, 0.12, (n, 3)), np.full(n, 0.9), ((rgb - 0.5) / 0.28209479)[:, None, :])
    views = []
    for i in range(n_views):
        az = 2 * np.pi * i / n_views
        eye = 2.0 * np.array([np.sin(az), 0.35 + 0.2 * np.sin(3 * az), np.cos(az)])
        cam = PinholeCamera(size, size, size * 1.1, size * 1.1, size / 2, size / 2, GL_TO_CV @ np.linalg.inv(look_at(eye, (0, 0, 0))))
        rgb_img, alpha, _ = render_gaussians(g, cam, backend="torch")
        views.append(PosedView(rgb_img.numpy(), cam, alpha=alpha.numpy(), name=f"v{i}"))
    return views


@pytest.fixture(scope="module")
def views() -> list[PosedView]:
    return target_views()


@pytest.mark.slow
def test_fit_reaches_psnr_on_held_out_views(views):
    res = fit_gaussians(views, num_gaussians=300, steps=150, seed=0, holdout_every=6, progress=False, backend="torch")
    assert res.held_out == ["v0", "v6"]
    assert res.psnr_db >= 28.0, res.psnr_db
    assert res.ssim >= 0.9, res.ssim
    first = np.mean([h["l1"] for h in res.history[:2]])
    last = np.mean([h["l1"] for h in res.history[-3:]])
    assert last < 0.5 * first
    assert 0 < len(res.gaussians) <= 300 and res.seconds > 0


@pytest.mark.slow
def test_same_seed_gives_the_same_cloud(views):
    kw = dict(num_gaussians=120, steps=30, progress=False, backend="torch")
    a = fit_gaussians(views[:6], seed=3, **kw)
    b = fit_gaussians(views[:6], seed=3, **kw)
    c = fit_gaussians(views[:6], seed=4, **kw)
    assert a.gaussians == b.gaussians and a.psnr_db == b.psnr_db
    assert a.gaussians != c.gaussians


@pytest.mark.slow
def test_mcmc_keeps_its_budget_and_learns(views):
    res = fit_gaussians(views, num_gaussians=200, steps=120, strategy="mcmc", progress=False, backend="torch")
    assert len(res.gaussians) == 200
    assert res.history[-1]["l1"] < res.history[0]["l1"]


def test_init_cloud_is_refined_not_replaced(views):
    init = Gaussians(np.zeros((50, 3)), np.tile([0, 0, 0, 1.0], (50, 1)), np.full((50, 3), 0.1), np.full(50, 0.5), np.zeros((50, 1, 3)))
    res = fit_gaussians(views, init=init, num_gaussians=50, steps=20, sh_degree=0, progress=False, backend="torch")
    assert res.gaussians.sh_degree == 0 and len(res.gaussians) <= 50


def test_progress_bar_and_errors(views, capsys):
    fit_gaussians(views[:3], num_gaussians=20, steps=3, progress=True, backend="torch")
    assert "fit" in capsys.readouterr().err
    with pytest.raises(ModelError, match="no views"):
        fit_gaussians([])
    with pytest.raises(ModelError, match="unknown strategy"):
        fit_gaussians(views, strategy="annealing")
    with pytest.raises(ModelError, match="runs on the CPU"):
        fit_gaussians(views, backend="torch", device="cuda")


def test_ssim_and_psnr_measure_similarity():
    a = torch.rand(24, 32, 3, generator=torch.Generator().manual_seed(0))
    assert float(ssim(a, a)) == pytest.approx(1.0, abs=1e-6)
    noise = torch.randn(a.shape, generator=torch.Generator().manual_seed(1))
    s_small, s_big = float(ssim(a, a + 0.05 * noise)), float(ssim(a, a + 0.3 * noise))
    assert s_big < 0.8 < s_small < 0.999
    assert psnr(a, a + 0.1) == pytest.approx(20.0, abs=1e-3)
