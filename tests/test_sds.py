"""Score-distillation refiner on a tiny random text-to-image model: views agree, silhouette holds, seeded, cached."""
from __future__ import annotations

import numpy as np
import pytest

from scenegraph.appearance.assign import proxy_gaussians
from scenegraph.appearance.mesh_render import orbit_cameras
from scenegraph.appearance.proxy import proxy_mesh
from scenegraph.appearance.rasterize import render_gaussians
from scenegraph.appearance.refine import refine_views
from scenegraph.appearance.sds import entity_prompt, multiview_error, refine_gaussians
from scenegraph.cli import main
from scenegraph.world.views import PosedView
from tests._tiny_diffusers import text_to_image_pipeline
from tests.test_refine import _tiny_pipeline

BOUNDS = np.array([[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])
OPTS = dict(steps=20, views=4, size=32, lr=0.1, backend="torch")


pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_models")
    return text_to_image_pipeline(root / "t2i"), _tiny_pipeline(root / "i2i")


@pytest.fixture(scope="module")
def car():
    return proxy_gaussians("car", BOUNDS, (0.8, 0.05, 0.05), n=600, seed=0)


def _renders(g, cams):
    out = []
    for c in cams:
        rgb, alpha, _ = render_gaussians(g, c, background=(1.0, 1.0, 1.0), backend="torch")
        out.append((rgb.numpy().clip(0, 1), alpha.numpy()))
    return out


@pytest.mark.slow
def test_refined_views_agree_better_than_independently_refined_ones(models, car, tmp_path):
    t2i, i2i = models
    res = refine_gaussians(car, "a red car, photo", t2i, seed=0, cache=tmp_path, **OPTS)
    mesh = proxy_mesh("car", BOUNDS)
    lo, hi = mesh.bounds
    cams = orbit_cameras(0.5 * (lo + hi), 0.5 * float(np.linalg.norm(hi - lo)), n_views=6, size=48, seed=3)
    before, after = _renders(car, cams), _renders(res.gaussians, cams)
    independent = refine_views([PosedView(x, c, alpha=a) for (x, a), c in zip(before, cams)], i2i, prompt="a red car, photo",
                               strength=0.5, steps=4, seed=0)
    sds_err = multiview_error([x for x, _ in after], cams, mesh)
    i2i_err = multiview_error([v.image for v in independent], cams, mesh)
    assert sds_err < 0.7 * i2i_err, (sds_err, i2i_err)
    # the model changed the look ...
    assert np.mean([np.abs(a[0] - b[0]).mean() for a, b in zip(before, after)]) > 0.003
    # ... but not the silhouette or the size: alpha IoU over all views
    for (_, a0), (_, a1) in zip(before, after):
        inter, union = ((a0 > 0.5) & (a1 > 0.5)).sum(), ((a0 > 0.5) | (a1 > 0.5)).sum()
        assert inter / union > 0.98
    assert np.array_equal(res.gaussians.means, car.means) and np.array_equal(res.gaussians.scales, car.scales)


@pytest.mark.slow
def test_refiner_is_deterministic_and_cached(models, car, tmp_path):
    t2i, _ = models
    a = refine_gaussians(car, "a red car, photo", t2i, seed=0, cache=False, **OPTS)
    b = refine_gaussians(car, "a red car, photo", t2i, seed=0, cache=tmp_path, **OPTS)
    assert a.gaussians.sh.tobytes() == b.gaussians.sh.tobytes() and not b.cached
    c = refine_gaussians(car, "a red car, photo", t2i, seed=0, cache=tmp_path, **OPTS)
    assert c.cached and c.seconds == 0.0 and c.gaussians.sh.tobytes() == a.gaussians.sh.tobytes()
    assert len(list(tmp_path.glob("*.npz"))) == 1
    d = refine_gaussians(car, "a blue car, photo", t2i, seed=0, cache=tmp_path, **OPTS)  # other words: other entry
    assert not d.cached and len(list(tmp_path.glob("*.npz"))) == 2
    e = refine_gaussians(car, "a red car, photo", t2i, seed=1, cache=False, **OPTS)
    assert np.abs(e.gaussians.sh - a.gaussians.sh).max() > 1e-4


@pytest.mark.slow
def test_build_refines_each_entity_toward_its_words(models, tmp_path, monkeypatch):
    import scenegraph

    t2i, _ = models
    monkeypatch.setenv("SCENEGRAPH_CACHE", str(tmp_path / "cache"))
    plain = scenegraph.build("a red car next to a tree", seed=0)
    refined = scenegraph.build("a red car next to a tree", seed=0, refine=t2i, refine_steps=3)
    car = next(e for e in refined.entities("object") if e.cls == "car")
    assert entity_prompt(refined, car).startswith("a red car")
    assert not np.array_equal(car.gaussians.sh, plain.entity(car.id).gaussians.sh)
    assert np.array_equal(car.gaussians.means, plain.entity(car.id).gaussians.means)
    ground = refined.entity("ground")
    assert ground.gaussians is None or np.array_equal(ground.gaussians.sh, plain.entity("ground").gaussians.sh)
    assert len(list((tmp_path / "cache" / "refine").glob("*.npz"))) == 2  # car and tree


def test_build_with_a_bad_refiner_folder_is_exit_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "scene.json"
    assert main(["build", "a red car", "-o", str(out), "--refine", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not exist" in err
    assert not out.exists()


def test_entity_prompt_uses_colour_class_and_setting():
    import scenegraph

    scene = scenegraph.build("a red car drives down a street at night", seed=0)
    car = next(e for e in scene.entities("object") if e.cls == "car")
    words = entity_prompt(scene, car)
    assert words.startswith("a red car") and "street" in words and "night" in words and words.endswith(", photo")


def test_out_of_gpu_memory_is_a_clear_error(monkeypatch, car, tmp_path):
    torch = pytest.importorskip("torch")
    from scenegraph.appearance import sds
    from scenegraph.errors import BackendError

    def boom(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(sds, "_distil", boom)
    fake = (type("P", (), {"name_or_path": str(tmp_path)})(), torch)
    with pytest.raises(BackendError, match="out of GPU memory.*fewer"):
        refine_gaussians(car, "a red car, photo", fake, cache=False, **OPTS)
