"""The diffusion refiner, run on a tiny Stable Diffusion pipeline built from configs in a temp folder."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from scenegraph.appearance.mesh_render import render_proxy_views
from scenegraph.appearance.proxy import proxy_mesh
from scenegraph.appearance.refine import check_refiner_folder, color_name, refine_views, refiner_prompt
from scenegraph.errors import BackendError, ModelError
from scenegraph.model.materials import material_for
from scenegraph.model import Entity, Material
from tests._tiny_diffusers import img2img_pipeline


def _tiny_pipeline(root: Path) -> Path:
    """A tiny random img2img pipeline folder, built from configs (no download)."""
    return img2img_pipeline(root)


@pytest.fixture(scope="module")
def refiner(tmp_path_factory) -> Path:
    return _tiny_pipeline(tmp_path_factory.mktemp("tiny_sd"))


@pytest.fixture(scope="module")
def views():
    mesh = proxy_mesh("car", [[-0.9, 0.0, -2.25], [0.9, 1.5, 2.25]])
    return render_proxy_views(mesh, (0.8, 0.05, 0.05), n_views=2, size=64, seed=0)


def _run(views, refiner, seed):
    return refine_views(views, refiner, prompt="a red car, photo", strength=0.5, steps=4, seed=seed)


@pytest.mark.slow
def test_refined_views_keep_cameras_and_are_deterministic_per_seed(refiner, views):
    a = _run(views, refiner, seed=0)
    b = _run(views, refiner, seed=0)
    c = _run(views, refiner, seed=1)
    assert len(a) == 2
    for v, ra, rb, rc in zip(views, a, b, c):
        assert ra.image.shape == (64, 64, 3) and ra.image.dtype == np.float32
        assert 0.0 <= ra.image.min() and ra.image.max() <= 1.0
        assert ra.camera is v.camera and ra.name == v.name and np.array_equal(ra.alpha, v.alpha)
        assert ra.image.tobytes() == rb.image.tobytes()  # same seed: bit-identical
        assert np.abs(ra.image - rc.image).mean() > 1e-3  # another seed: another image
        assert np.abs(ra.image - v.image).mean() > 1e-3  # the model did something
    assert np.abs(a[0].image - a[1].image).mean() > 1e-3  # each view its own noise


def _skeleton(root: Path) -> Path:
    """A folder laid out like a diffusers img2img pipeline, with placeholder files."""
    index = {"_class_name": "StableDiffusionImg2ImgPipeline", "safety_checker": [None, None]}
    for comp, lib, cls, weights in [
        ("unet", "diffusers", "UNet2DConditionModel", "diffusion_pytorch_model.safetensors"),
        ("vae", "diffusers", "AutoencoderKL", "diffusion_pytorch_model.safetensors"),
        ("text_encoder", "transformers", "CLIPTextModel", "model.safetensors"),
        ("tokenizer", "transformers", "CLIPTokenizer", None),
        ("scheduler", "diffusers", "DDIMScheduler", None),
    ]:
        index[comp] = [lib, cls]
        (root / comp).mkdir(parents=True)
        if weights:
            (root / comp / weights).write_bytes(b"not really weights")
    (root / "model_index.json").write_text(json.dumps(index))
    return root


def test_missing_or_incomplete_refiner_folder_names_the_problem(tmp_path, views):
    missing = tmp_path / "no_such_model"
    with pytest.raises(BackendError, match="no_such_model.*does not exist"):
        refine_views(views, missing, prompt="x")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(BackendError, match="not a diffusers pipeline folder.*model_index.json"):
        refine_views(views, plain, prompt="x")
    folder = _skeleton(tmp_path / "skeleton")
    assert check_refiner_folder(folder) == folder
    shutil.rmtree(folder / "unet")
    with pytest.raises(BackendError, match="no unet/ folder"):
        refine_views(views, folder, prompt="x")
    (folder / "unet").mkdir()
    with pytest.raises(BackendError, match="unet.*holds no weights"):
        refine_views(views, folder, prompt="x")
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"weights")
    index = json.loads((folder / "model_index.json").read_text())
    del index["vae"]
    (folder / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(BackendError, match="lists no 'vae'"):
        check_refiner_folder(folder)


@pytest.mark.slow
def test_corrupt_weights_are_a_backend_error(tmp_path, refiner, views):
    broken = tmp_path / "broken"
    shutil.copytree(refiner, broken)
    (broken / "vae" / "diffusion_pytorch_model.safetensors").write_bytes(b"truncated")
    with pytest.raises(BackendError, match="cannot load the pipeline"):
        refine_views(views, broken, prompt="x")


def test_bad_strength_and_no_views_are_refused(tmp_path, views):
    folder = _skeleton(tmp_path / "skeleton")
    with pytest.raises(ModelError, match="strength"):
        refine_views(views, folder, prompt="x", strength=0.0)
    with pytest.raises(ModelError, match="no views"):
        refine_views([], folder, prompt="x")


def test_prompt_names_colour_material_and_class():
    car = Entity("car_1", cls="car")
    assert refiner_prompt(car, material_for("red", "paint")) == "a red car, photo"
    assert refiner_prompt(Entity("p", cls="lamp post"), material_for("dark blue", "metal")) == "a dark blue metal lamp post, photo"
    assert refiner_prompt(Entity("e", cls="elephant"), Material("m1", base_color=(0.0, 0.02, 0.6))) == "a blue elephant, photo"
    assert refiner_prompt(Entity("o", cls="owl"), None) == "an owl, photo"
    assert color_name((0.9, 0.9, 0.9)) == "white" and color_name((0.0, 0.0, 0.0)) == "black"
