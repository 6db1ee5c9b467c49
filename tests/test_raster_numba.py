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


@pytest.mark.parametrize("tile", [8, 16])
def test_numba_forward_matches_torch_forward(monkeypatch, tile):
    p = gaussians_to_tensors(cloud())
    with torch.no_grad():
        fast = render_gaussians(p, camera(), background=(0.1, 0.2, 0.3), backend="torch", tile_size=tile)
        monkeypatch.setenv("SCENEGRAPH_NUMBA", "0")
        slow = render_gaussians(p, camera(), background=(0.1, 0.2, 0.3), backend="torch", tile_size=tile)
    assert fast.info["compositor"] == "numba" and slow.info["compositor"] == "torch"
    assert fast.info["n_intersections"] == slow.info["n_intersections"] > 500
    assert float(slow.alpha.max()) > 0.999 and float(slow.alpha.min()) < 0.5  # terminated and thin pixels both
    for a, b in zip(fast, slow):
        assert a.shape == b.shape
        assert float((a - b).abs().max()) < 1e-4


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
