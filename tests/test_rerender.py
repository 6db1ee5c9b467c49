"""Neural re-render on a tiny random ControlNet pipeline: steadier with our flow, deterministic, clear errors."""
from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

from scenegraph.cli import main
from scenegraph.errors import BackendError
from scenegraph.render.rerender import check_controlnet_folder, rerender, warp_error
from tests._tiny_diffusers import controlnet_pipeline
from tests.test_passes import street as _street

pytest.importorskip("imageio_ffmpeg")

OPTS = dict(frames="0:4", width=64, steps=4, strength=0.5, backend="torch")


def street():
    """The street of test_passes with light clouds (300 splats per entity: the splat render stays cheap)."""
    from scenegraph.appearance.assign import assign_gaussians

    s = _street()
    assign_gaussians(s, per_entity=300, seed=0)
    return s


pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return controlnet_pipeline(tmp_path_factory.mktemp("tiny_controlnet"))


@pytest.fixture(scope="module")
def runs(model, tmp_path_factory):
    root = tmp_path_factory.mktemp("rerender")
    out = {}
    for name, temporal, seed in (("flow", "flow", 0), ("flow_again", "flow", 0), ("none", "none", 0), ("flow_seed1", "flow", 1)):
        out[name] = rerender(street(), root / name, model=model, temporal=temporal, seed=seed, **OPTS)
    return out


def _mp4_frames(path):
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    return meta, [f for f in gen]


@pytest.mark.slow
def test_flow_warped_rerender_is_steadier_than_per_frame(runs):
    flow, none = runs["flow"], runs["none"]
    assert len(flow.frames) == 4 and flow.frames[0].shape == (48, 64, 3)
    # the figure: mean |O_t - warp(O_t-1)| over pixels visible in both frames
    assert flow.warp_error < 0.5 * none.warp_error, (flow.warp_error, none.warp_error)
    # ... and the frames still differ from the plain render (the model did something)
    meta = json.loads((flow.folder / "rerender.json").read_text())
    assert meta["warp_error"] == pytest.approx(flow.warp_error) and meta["temporal"] == "flow"
    assert meta["prompts"]["car_1"] == "a red car, photo"


@pytest.mark.slow
def test_rerender_writes_frames_video_and_a_cosmos_spec(runs):
    folder = runs["flow"].folder
    pngs = sorted(p.name for p in (folder / "frames").iterdir())
    assert pngs == [f"rerender_{i:04d}.png" for i in range(4)]
    meta, frames = _mp4_frames(folder / "rerender.mp4")
    assert len(frames) == 4 and tuple(meta["size"]) == (64, 48)
    spec = json.loads((folder / "cosmos_transfer_spec.json").read_text())
    assert spec["input_video_path"] == "controls/rgb.mp4" and spec["seed"] == 0
    assert spec["depth"]["control_weight"] == 1.0
    for key in ("depth", "edge", "seg"):
        assert (folder / spec[key]["input_control"]).is_file()
    regions = {r["prompt"]: r["region_definitions_path"] for r in spec["regional_prompts"]}
    assert regions["a red car, photo"] == "controls/masks/car_1.mp4"
    _, mask = _mp4_frames(folder / "controls" / "masks" / "car_1.mp4")
    assert len(mask) == 4 and 0 < np.frombuffer(mask[0], np.uint8).mean() < 128
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


@pytest.mark.slow
def test_rerender_is_deterministic_per_seed(runs):
    a, b, c = runs["flow"], runs["flow_again"], runs["flow_seed1"]
    for name in ("frames/rerender_0003.png", "rerender.mp4", "cosmos_transfer_spec.json"):
        assert (a.folder / name).read_bytes() == (b.folder / name).read_bytes(), name
    assert np.abs(a.frames[0].astype(int) - c.frames[0].astype(int)).mean() > 0.5


def test_warp_error_is_zero_for_a_frame_moved_by_its_own_flow():
    rng = np.random.default_rng(0)
    prev = rng.random((8, 10, 3))
    nxt = np.zeros_like(prev)
    nxt[:, 1:] = prev[:, :-1]  # everything one pixel to the right
    flow = np.zeros((8, 10, 2), np.float32)
    flow[..., 0] = -1.0  # backward flow: it came from one pixel to the left
    valid = np.ones((8, 10), bool)
    valid[:, 0] = False
    assert warp_error([prev, nxt], [None, flow], [None, valid]) == pytest.approx(0.0, abs=1e-12)
    assert warp_error([prev, nxt], [None, np.zeros_like(flow)], [None, valid]) > 0.1


def test_without_a_model_only_controls_and_spec_are_written(tmp_path):
    res = rerender(street(), tmp_path / "out", **OPTS)
    names = sorted(str(p.relative_to(tmp_path / "out")) for p in res.files)
    assert "cosmos_transfer_spec.json" in names and "controls/depth.mp4" in names and "rerender.mp4" not in names
    _, depth = _mp4_frames(tmp_path / "out" / "controls" / "depth.mp4")
    d = np.frombuffer(depth[0], np.uint8).reshape(48, 64, 3)
    assert d[44, 32, 0] > d[24, 32, 0]  # the ground near the camera is brighter (nearer) than far away


def _skeleton(root, kind="StableDiffusionControlNetImg2ImgPipeline", comps=("unet", "vae", "text_encoder", "tokenizer", "scheduler", "controlnet")):
    index = {"_class_name": kind}
    for comp in comps:
        index[comp] = ["diffusers", "X"]
        (root / comp).mkdir(parents=True)
        if comp in ("unet", "vae", "controlnet"):
            (root / comp / "diffusion_pytorch_model.safetensors").write_bytes(b"w")
        if comp == "text_encoder":
            (root / comp / "model.safetensors").write_bytes(b"w")
    (root / "model_index.json").write_text(json.dumps(index))
    return root


@pytest.mark.parametrize("case, message", [
    ("missing", "does not exist"),
    ("plain", "not a diffusers pipeline folder"),
    ("img2img", "holds a StableDiffusionImg2ImgPipeline, not a ControlNet pipeline"),
    ("no_weights", "controlnet holds no weights"),
])  # fmt: skip
def test_bad_model_folders_are_one_line_exit_2_nothing_written(tmp_path, capsys, case, message):
    scene = tmp_path / "scene.json"
    street().save(scene)
    model = tmp_path / "model"
    if case == "plain":
        model.mkdir()
    elif case == "img2img":
        _skeleton(model, "StableDiffusionImg2ImgPipeline", ("unet", "vae", "text_encoder", "tokenizer", "scheduler"))
    elif case == "no_weights":
        _skeleton(model)
        (model / "controlnet" / "diffusion_pytorch_model.safetensors").unlink()
    out = tmp_path / "out"
    assert main(["rerender", str(scene), "-o", str(out), "--model", str(model), "--width", "32", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and err.startswith("scenegraph rerender: error:")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == sorted(["scene.json"] + (["model"] if case != "missing" else []))


def test_a_complete_skeleton_passes_the_folder_check(tmp_path):
    assert check_controlnet_folder(_skeleton(tmp_path / "m")) == tmp_path / "m"


def test_missing_video_library_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(BackendError, match=r"pip install 'scenegraph\[video\]'"):
        rerender(street(), tmp_path / "out", **OPTS)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_corrupt_weights_leave_nothing_behind(tmp_path, model):
    broken = tmp_path / "broken"
    shutil.copytree(model, broken)
    (broken / "controlnet" / "diffusion_pytorch_model.safetensors").write_bytes(b"truncated")
    with pytest.raises(BackendError, match="cannot load the pipeline"):
        rerender(street(), tmp_path / "out", model=broken, **OPTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


def test_edge_control_outlines_entities_not_the_open_ground():
    from scenegraph.render.controls import edge_control
    from scenegraph.render.passes import PassMaker
    from scenegraph.world import simulate

    scene = _street()
    maker = PassMaker(scene, simulate(scene), "camera_1", 128, 96)
    b = maker.buffer(3)
    edge = edge_control(b.index, b.normal, b.depth)[..., 0] > 0.5
    car = b.index == maker.ids.index("car_1")
    ground = b.index == maker.ids.index("ground")
    inner = ground.copy()  # ground pixels whose 3x3 neighbourhood is all ground
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            inner &= np.roll(np.roll(ground, dy, 0), dx, 1)
    assert not edge[inner].any()  # a grazing plane is not an edge
    ys, xs = np.nonzero(car)
    assert edge[ys.min(), xs[ys == ys.min()]].all()  # the roof line is
    assert edge[car].mean() < 0.6  # the car's side stays mostly dark
