"""The compiled (numba) no-grad forward of the CPU rasterizer equals the torch forward, and falls back cleanly."""
from __future__ import annotations

import builtins

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

from scenegraph.appearance import raster_numba  # noqa: E402
from scenegraph.appearance.rasterize import gaussians_to_tensors, render_gaussians  # noqa: E402
from scenegraph.model.gaussians import Gaussians  # noqa: E402
from scenegraph.world.views import PinholeCamera  # noqa: E402


@pytest.fixture(autouse=True)
def _numba_allowed(monkeypatch):
    monkeypatch.delenv("SCENEGRAPH_NUMBA", raising=False)


def cloud(n: int = 400, seed: int = 3) -> Gaussians:
    rng = np.random.default_rng(seed)
    opac = rng.uniform(0.05, 1.0, n)
    opac[:20] = 0.995  # above the 0.99 clamp
    means = rng.uniform([-0.6, -0.45, -0.3], [0.6, 0.45, 0.3], (n, 3))
    means[20:60] = [0.05, 0.0, 0.0] + rng.normal(0, 0.01, (len(means[20:60]), 3))  # an opaque stack: pixels finish early
    return Gaussians(means, rng.normal(size=(n, 4)), np.exp(rng.uniform(np.log(0.01), np.log(0.12), (n, 3))), opac,
                     rng.normal(0, 0.4, (n, 4, 3)))


def camera() -> PinholeCamera:
    w2c = np.eye(4)
    w2c[2, 3] = 2.0
    return PinholeCamera(72, 52, 60.0, 60.0, 36.0, 26.0, w2c)


@pytest.mark.parametrize(("tile", "degree"), [(8, 1), (16, 1), (8, 0), (4, 1), (32, 1), (None, 1)])
def test_numba_forward_matches_torch_forward(monkeypatch, tile, degree):
    p = gaussians_to_tensors(cloud())
    with torch.no_grad():
        fast = render_gaussians(p, camera(), background=(0.1, 0.2, 0.3), backend="torch", tile_size=tile,
                                sh_degree=degree)
        monkeypatch.setenv("SCENEGRAPH_NUMBA", "0")
        slow = render_gaussians(p, camera(), background=(0.1, 0.2, 0.3), backend="torch", tile_size=tile,
                                sh_degree=degree)
    assert fast.info["compositor"] == "numba" and slow.info["compositor"] == "torch"
    assert fast.info["tile"] == slow.info["tile"] == (tile or 8)  # small splats: 8 px tiles chosen
    assert fast.info["n_intersections"] == slow.info["n_intersections"] > 500
    assert float(slow.alpha.max()) > 0.999 and float(slow.alpha.min()) < 0.5  # terminated and thin pixels both
    # the compiled projection is the torch one op for op: same footprints, same screen positions
    assert torch.equal(fast.info["radii"], slow.info["radii"])
    assert float((fast.info["means2d"] - slow.info["means2d"]).abs().max()) < 1e-5
    assert float((fast.info["depths"] - slow.info["depths"]).abs().max()) < 1e-6
    for a, b in zip(fast, slow):
        assert a.shape == b.shape
    tol = 2e-5 if tile == 32 else 5e-6  # float32 rounding of the quadratic form grows with the tile's coordinates
    assert float((fast.rgb - slow.rgb).abs().max()) < tol
    assert float((fast.alpha - slow.alpha).abs().max()) < tol
    # depth = sum(w z) / alpha: thin pixels (alpha ~ 1/255) magnify alpha's last bits
    assert float((fast.depth - slow.depth).abs().max()) < 1e-4


def test_numba_forward_is_the_same_bytes_on_any_thread_count(monkeypatch):
    p = gaussians_to_tensors(cloud(9000, seed=5))  # several slices in every pass
    with torch.no_grad():
        ref = render_gaussians(p, camera(), backend="torch")
        assert ref.info["compositor"] == "numba"
        for threads in (1, 3):
            monkeypatch.setattr(raster_numba, "_threads", lambda: threads)
            again = render_gaussians(p, camera(), backend="torch")
            for a, b in zip(again, ref):
                assert a.numpy().tobytes() == b.numpy().tobytes()


def test_empty_and_offscreen_clouds_render_background():
    rng = np.random.default_rng(1)
    behind = Gaussians(rng.uniform(-0.5, 0.5, (30, 3)) + [0, 0, -5.0], rng.normal(size=(30, 4)), np.full((30, 3), 0.05),
                       np.full(30, 0.8), rng.normal(0, 0.4, (30, 1, 3)))
    empty = Gaussians(np.zeros((0, 3)), np.zeros((0, 4)), np.zeros((0, 3)), np.zeros(0), np.zeros((0, 1, 3)))
    for g in (behind, empty):
        with torch.no_grad():
            res = render_gaussians(gaussians_to_tensors(g), camera(), background=(0.1, 0.2, 0.3), backend="torch")
        assert res.info["compositor"] == "numba" and res.info["n_intersections"] == 0
        assert float(res.alpha.abs().max()) == 0.0
        assert torch.allclose(res.rgb, torch.tensor([0.1, 0.2, 0.3]).expand(52, 72, 3))


def test_gradients_keep_the_torch_path():
    p = {k: v.requires_grad_(True) for k, v in gaussians_to_tensors(cloud(50)).items()}
    res = render_gaussians(p, camera(), backend="torch")
    assert res.info["compositor"] == "torch"
    res.rgb.sum().backward()
    assert float(p["means"].grad.abs().sum()) > 0
    with torch.no_grad():
        assert render_gaussians(p, camera(), backend="torch").info["compositor"] == "numba"


def test_falls_back_to_torch_without_numba(monkeypatch):
    real_import = builtins.__import__

    def no_numba(name, *args, **kwargs):
        if name == "numba" or name.startswith("numba."):
            raise ImportError("No module named 'numba'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numba)
    monkeypatch.setattr(raster_numba, "_STATE", {})
    assert not raster_numba.available()
    p = gaussians_to_tensors(cloud(80))
    with torch.no_grad():
        res = render_gaussians(p, camera(), backend="torch")
    assert res.info["compositor"] == "torch"
    assert float(res.alpha.max()) > 0.5
    monkeypatch.undo()
    with torch.no_grad():
        again = render_gaussians(p, camera(), backend="torch")
    assert again.info["compositor"] == "numba"
    assert float((again.rgb - res.rgb).abs().max()) < 1e-4


def test_run_slices_runs_each_slice_once_and_reraises():
    seen = []
    raster_numba.run_slices(seen.append, 50, 3)
    assert sorted(seen) == list(range(50))

    def fail(i):
        if i == 7:
            raise ValueError("slice 7")

    with pytest.raises(ValueError, match="slice 7"):
        raster_numba.run_slices(fail, 20, 2)
    seen.clear()
    raster_numba.run_slices(seen.append, 5, 2)  # the pool still serves after an error
    assert sorted(seen) == list(range(5))
