"""Neural re-render: video-to-video through a local diffusers ControlNet model, held steady by our exact flow.

``scenegraph rerender SCENE -o OUT [--model MODEL_DIR] [--prompt TEXT]``

1. The scene is rendered (rgb, depth, instance) and its passes are taken from
   the world state (:mod:`scenegraph.render.passes`): normals, and the flow
   between consecutive rendered frames with occlusion masks.
2. Control videos (depth, edges, segmentation, rgb) and per-entity mask videos
   are written to ``OUT/controls/`` with a Cosmos-Transfer1 ``controlnet_specs``
   file (``OUT/cosmos_transfer_spec.json``), so a Cosmos user can run on our passes.
3. With ``--model`` (a diffusers folder of a ControlNet pipeline, e.g.
   ``StableDiffusionControlNetImg2ImgPipeline``; weights are never downloaded),
   every frame goes through an img2img denoising loop conditioned by the
   ControlNet on one control pass; each visible entity's own words (class,
   colour, material: :func:`~scenegraph.appearance.refine.refiner_prompt`) are
   its regional prompt: the noise prediction inside its mask comes from its
   prompt, elsewhere from the scene prompt.
4. Temporal consistency (``temporal="flow"``): frame t starts from the
   previous output warped along the true backward flow (only where the
   surface was visible in both frames: the occlusion masks from our depth),
   blended with its own render; its initial noise is the previous frame's
   noise carried along the same flow (fresh where disoccluded), and the
   decoded frame is blended once more with the warped previous output.
   ``temporal="none"`` processes each frame on its own (the baseline).

Outputs: ``OUT/frames/rerender_NNNN.png``, ``OUT/rerender.mp4`` and
``OUT/rerender.json`` (settings, prompts, seconds per frame and the temporal
warping error: mean |O_t - warp(O_t-1)| over valid pixels, sRGB 0-1).
Same scene, model, settings and seed give byte-identical files on one machine.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenegraph.appearance.diffusers_folder import TEXT_ENCODER, UNET, VAE, check_pipeline_folder, load_pipeline
from scenegraph.errors import BackendError, ModelError
from scenegraph.model import Scene

__all__ = ["rerender", "check_controlnet_folder", "warp_error", "RerenderResult", "CONTROLS"]

CONTROLS = ("depth", "edge", "seg")
_NEGATIVE = "blurry, distorted, text, watermark"
_WEIGHTS = {"unet": UNET, "vae": VAE, "controlnet": UNET, "text_encoder": TEXT_ENCODER, "tokenizer": (), "scheduler": ()}


@dataclass
class RerenderResult:
    """What a re-render made: ``frames`` (sRGB uint8 (H, W, 3) each, empty without a model), the files
    written, ``warp_error`` (None without a model or with one frame), ``seconds_per_frame``."""

    folder: Path
    frames: list = field(default_factory=list)
    files: list = field(default_factory=list)
    warp_error: float | None = None
    seconds_per_frame: float | None = None
    prompts: dict = field(default_factory=dict)


def check_controlnet_folder(model: str | os.PathLike) -> Path:
    """The folder if it holds a diffusers ControlNet pipeline; BackendError naming what is missing or wrong."""
    return check_pipeline_folder(
        model, _WEIGHTS, what="rerender model", hint="point --model at a local diffusers ControlNet pipeline folder",
        class_word="ControlNet", class_example="e.g. StableDiffusionControlNetImg2ImgPipeline with a controlnet/ component")


def _load(model: Path, device: str | None) -> tuple[Any, Any]:
    return load_pipeline("StableDiffusionControlNetImg2ImgPipeline", model, device, what="rerender model")


def _warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` of the other frame sampled where each pixel's ``flow`` points (backward warping)."""
    from scenegraph.appearance.gbuffer import sample_bilinear

    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    uv = np.stack([xs + 0.5 + flow[..., 0], ys + 0.5 + flow[..., 1]], axis=-1)
    return sample_bilinear(image.astype(np.float64), uv)


def warp_error(frames: Sequence[np.ndarray], flows: Sequence[np.ndarray], valids: Sequence[np.ndarray]) -> float | None:
    """Mean |O_t - warp(O_t-1)| over the valid pixels of t >= 1 (frames uint8 or 0-1 floats; result 0-1)."""
    errs = []
    for t in range(1, len(frames)):
        a = np.asarray(frames[t], np.float64)
        b = np.asarray(frames[t - 1], np.float64)
        if frames[t].dtype == np.uint8:
            a, b = a / 255.0, b / 255.0
        v = valids[t]
        if v.any():
            errs.append(float(np.abs(a - _warp(b, flows[t]))[v].mean()))
    return float(np.mean(errs)) if errs else None


def _seed_state(seed: int, *keys: int) -> int:
    return int(np.random.SeedSequence([int(seed), *keys]).generate_state(1)[0])


class _Denoiser:
    """The ControlNet img2img loop with regional prompts, on a loaded pipeline's components."""

    def __init__(self, pipe: Any, torch: Any, steps: int, strength: float, guidance: float, control_weight: float) -> None:
        self.pipe, self.torch = pipe, torch
        self.device, self.dtype = pipe.unet.device, pipe.unet.dtype
        self.scale = float(getattr(pipe.vae.config, "scaling_factor", 0.18215))
        self.factor = 2 ** (len(pipe.vae.config.block_out_channels) - 1)
        self.guidance, self.control_weight = guidance, control_weight
        self.steps = steps
        self.start = max(steps - min(int(steps * strength), steps), 0)
        self.timesteps = self._reset()
        if len(self.timesteps) == 0:
            raise ModelError(f"rerender: strength {strength} with {steps} steps leaves no denoising step")
        self._embeds: dict[str, Any] = {}

    def _reset(self) -> Any:
        sched = self.pipe.scheduler
        sched.set_timesteps(self.steps, device="cpu")
        return sched.timesteps[self.start * sched.order:]

    def embed(self, text: str) -> Any:
        if text not in self._embeds:
            tok = self.pipe.tokenizer(text, padding="max_length", max_length=self.pipe.tokenizer.model_max_length,
                                      truncation=True, return_tensors="pt")
            with self.torch.no_grad():
                self._embeds[text] = self.pipe.text_encoder(tok.input_ids.to(self.device))[0].to(self.dtype)
        return self._embeds[text]

    def latent_shape(self, h: int, w: int) -> tuple[int, int, int, int]:
        return (1, int(self.pipe.unet.config.in_channels), h // self.factor, w // self.factor)

    def __call__(self, init: np.ndarray, control: np.ndarray, noise: Any, prompts: list[str], masks: np.ndarray) -> tuple[np.ndarray, Any]:
        """Denoise sRGB ``init`` (H, W, 3) 0-1 under ``control``; prompts[0] negative, [1] scene, [2:] regions with ``masks`` (K, h, w)."""
        torch = self.torch
        sched = self.pipe.scheduler
        self.timesteps = self._reset()  # schedulers with history start afresh each frame
        img = torch.tensor(init.transpose(2, 0, 1)[None] * 2.0 - 1.0, dtype=self.dtype, device=self.device)
        cond = torch.tensor(control.transpose(2, 0, 1)[None], dtype=self.dtype, device=self.device)
        embeds = torch.cat([self.embed(p) for p in prompts])
        n = len(prompts)
        m = torch.tensor(masks[:, None], dtype=self.dtype, device=self.device)  # (K, 1, h, w)
        rest = (1.0 - m.sum(0, keepdim=True)).clamp_min(0.0)
        with torch.no_grad():
            latents = self.pipe.vae.encode(img).latent_dist.mean * self.scale
            latents = sched.add_noise(latents, noise.to(self.device, self.dtype), self.timesteps[:1])
            for t in self.timesteps:
                x = sched.scale_model_input(latents, t).expand(n, -1, -1, -1)
                down, mid = self.pipe.controlnet(x, t, encoder_hidden_states=embeds, controlnet_cond=cond.expand(n, -1, -1, -1),
                                                 conditioning_scale=self.control_weight, return_dict=False)
                eps = self.pipe.unet(x, t, encoder_hidden_states=embeds, down_block_additional_residuals=down,
                                     mid_block_additional_residual=mid).sample
                text = eps[1:2] * rest + (eps[2:] * m).sum(0, keepdim=True) if n > 2 else eps[1:2]
                guided = eps[0:1] + self.guidance * (text - eps[0:1])
                latents = sched.step(guided, t, latents).prev_sample
            out = self.pipe.vae.decode(latents / self.scale).sample
        out = ((out[0].float().cpu().numpy().transpose(1, 2, 0) + 1.0) * 0.5).clip(0.0, 1.0)
        return out.astype(np.float64), latents


def _scene_prompt(scene: Scene, ids: Sequence[str], refs: dict[str, str]) -> str:
    words = [refs[i].removesuffix(", photo") for i in ids if i in refs]
    return (", ".join(words) + ", photo") if words else "a photo"


def _latent_carry(noise_prev: Any, flow: np.ndarray, valid: np.ndarray, fresh: Any, factor: int) -> Any:
    """Noise of the previous frame carried along the backward flow to latent cells whose centre is valid; fresh elsewhere."""
    _, _, lh, lw = fresh.shape
    ys = (np.arange(lh) * factor + factor // 2).clip(0, flow.shape[0] - 1)
    xs = (np.arange(lw) * factor + factor // 2).clip(0, flow.shape[1] - 1)
    f = flow[ys][:, xs]
    v = valid[ys][:, xs]
    src_x = np.floor((xs[None, :] + 0.5 + f[..., 0]) / factor).astype(np.int64)
    src_y = np.floor((ys[:, None] + 0.5 + f[..., 1]) / factor).astype(np.int64)
    v &= (src_x >= 0) & (src_x < lw) & (src_y >= 0) & (src_y < lh)
    out = fresh.clone()
    yy, xx = np.nonzero(v)
    out[0][:, yy, xx] = noise_prev[0][:, src_y[yy, xx], src_x[yy, xx]]
    return out


def rerender(
    scene: Scene,
    output: str | os.PathLike,
    *,
    model: str | os.PathLike | None = None,
    prompt: str | None = None,
    camera: str | None = None,
    frames: str | Sequence[int] | None = None,
    width: int = 256,
    control: str = "depth",
    control_weight: float = 1.0,
    steps: int = 20,
    strength: float = 0.6,
    guidance: float = 7.5,
    seed: int = 0,
    temporal: str = "flow",
    temporal_weight: float = 0.7,
    max_regions: int = 4,
    device: str | None = None,
    progress: bool = False,
    backend: str = "auto",
) -> RerenderResult:
    """Write control videos, a Cosmos-Transfer spec and (with ``model``) the re-rendered frames and mp4 to ``output``.

    Raises BackendError for a bad model folder or a missing library (checked
    before any work: nothing is written), ModelError for bad settings.
    """
    from scenegraph.render.controls import (cosmos_spec, depth_control, depth_range, edge_control, need_video,
                                            seg_control, to_srgb8, write_video)
    from scenegraph.render.frames import encode_png, render
    from scenegraph.render.passes import PassMaker

    if control not in CONTROLS:
        raise ModelError(f"rerender: control must be one of {', '.join(CONTROLS)}, got {control!r}")
    if temporal not in ("flow", "none"):
        raise ModelError(f"rerender: temporal must be 'flow' or 'none', got {temporal!r}")
    if not 0.0 < strength <= 1.0 or steps < 1 or not 0.0 <= temporal_weight <= 1.0:
        raise ModelError("rerender: need 0 < strength <= 1, steps >= 1 and 0 <= temporal_weight <= 1")
    need_video()
    model_dir = check_controlnet_folder(model) if model is not None else None
    if model_dir is not None:
        try:
            import diffusers  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            raise BackendError(f"rerender needs torch, diffusers and transformers ({exc}): pip install 'scenegraph[ml]'") from None
    out = Path(output)
    from scenegraph.render.output import rerender_folder

    folder = rerender_folder(out)  # checked before any work; published whole below

    from scenegraph.world import simulate

    tl = simulate(scene)
    cam_id = camera or (scene.cameras()[0].id if scene.cameras() else None)
    if cam_id is None:
        raise ModelError("rerender: the scene has no camera")
    params = scene.entity(cam_id).camera
    w = max(16, int(width) // 16 * 16)
    h = max(16, int(round(w / params.aspect)) // 16 * 16)
    shots = render(scene, tl, camera=cam_id, frames=frames, width=w, height=h, passes=False, backend=backend)
    maker = PassMaker(scene, tl, cam_id, w, h)
    flows, valids = [np.zeros((h, w, 2), np.float32)], [np.zeros((h, w), bool)]
    for a, b in zip(shots, shots[1:]):
        fl, ok = maker.flow(b.frame, a.frame)
        flows.append(fl)
        valids.append(ok)
    buffers = [maker.buffer(s.frame) for s in shots]
    near, far = depth_range([b.depth for b in buffers])
    inst = [b.index for b in buffers]
    ctrl = {
        "depth": [depth_control(b.depth, near, far) for b in buffers],
        "edge": [edge_control(b.index, b.normal, b.depth) for b in buffers],
        "seg": [seg_control(b.index, maker.ids) for b in buffers],
    }
    refs = {}
    for e in maker.objects:
        from scenegraph.appearance.refine import refiner_prompt

        refs[e.id] = refiner_prompt(e, scene.material_of(e.id))
    scene_prompt = prompt or _scene_prompt(scene, [e.id for e in maker.objects], refs)
    fps = scene.fps / (shots[1].frame - shots[0].frame if len(shots) > 1 else 1)

    stage = folder.stage()
    try:
        result = RerenderResult(out, prompts={"scene": scene_prompt, **refs})
        (stage / "controls" / "masks").mkdir(parents=True)
        write_video(stage / "controls" / "rgb.mp4", [to_srgb8(s.rgb) for s in shots], fps)
        for name, images in ctrl.items():
            write_video(stage / "controls" / f"{name}.mp4", [np.round(c * 255).astype(np.uint8) for c in images], fps)
        regional = []
        for k, e in enumerate(maker.objects):
            if any((i == k).any() for i in inst):
                rel = f"controls/masks/{e.id}.mp4"
                write_video(stage / rel, [np.repeat(((i == k) * 255).astype(np.uint8)[..., None], 3, axis=2) for i in inst], fps)
                regional.append((refs[e.id], rel))
        weights = {"depth": 0.5, "edge": 0.5, "seg": 0.3}
        weights[control] = float(control_weight)
        spec = cosmos_spec(scene_prompt, "controls/rgb.mp4", {n: f"controls/{n}.mp4" for n in ctrl}, weights, seed,
                           regional, negative_prompt=_NEGATIVE)
        (stage / "cosmos_transfer_spec.json").write_text(json.dumps(spec, indent=2) + "\n")
        meta: dict[str, Any] = {"camera": cam_id, "frames": [s.frame for s in shots], "width": w, "height": h, "fps": fps,
                                "control": control, "prompts": result.prompts, "seed": seed, "model": None}
        if model_dir is not None:
            pipe, torch = _load(model_dir, device)
            den = _Denoiser(pipe, torch, steps, strength, guidance, control_weight)
            (stage / "frames").mkdir()
            outs: list[np.ndarray] = []
            noise_prev = None
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=len(shots), desc="rerender", unit="frame")
            t0 = time.perf_counter()
            for t, shot in enumerate(shots):
                from scenegraph.appearance.captures import linear_to_srgb

                base = linear_to_srgb(np.clip(shot.rgb, 0.0, 1.0)).astype(np.float64)
                gen = torch.Generator(device="cpu").manual_seed(_seed_state(seed, shot.frame))
                fresh = torch.randn(den.latent_shape(h, w), generator=gen, dtype=torch.float32)
                init, noise, warped = base, fresh, None
                use_prev = temporal == "flow" and t > 0 and valids[t].any()
                if use_prev:
                    warped = _warp(outs[-1].astype(np.float64) / 255.0, flows[t])
                    v = valids[t][..., None]
                    init = np.where(v, (1 - temporal_weight) * base + temporal_weight * warped, base)
                    noise = _latent_carry(noise_prev, flows[t], valids[t], fresh, den.factor)
                elif temporal == "flow" and t > 0:
                    noise = fresh
                cells = np.array([np.mean(inst[t] == k) for k in range(len(maker.objects))])
                chosen = [k for k in np.argsort(-cells, kind="stable")[:max_regions] if cells[k] > 0.005]
                masks = np.zeros((len(chosen), h // den.factor, w // den.factor), np.float32)
                for j, k in enumerate(chosen):
                    masks[j] = (inst[t] == k).reshape(h // den.factor, den.factor, w // den.factor, den.factor).mean(axis=(1, 3))
                texts = [_NEGATIVE, scene_prompt] + [refs[maker.objects[k].id] for k in chosen]
                try:
                    img, _ = den(init, ctrl[control][t], noise, texts, masks)
                except torch.cuda.OutOfMemoryError:
                    raise BackendError(f"rerender: out of GPU memory at {w}x{h}; try a smaller --width or fewer regions") from None
                if use_prev:
                    c = 0.5 * temporal_weight
                    img = np.where(valids[t][..., None], c * warped + (1 - c) * img, img)
                noise_prev = noise
                rgb8 = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
                outs.append(rgb8)
                (stage / "frames" / f"rerender_{shot.frame:04d}.png").write_bytes(encode_png(rgb8))
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
            result.seconds_per_frame = (time.perf_counter() - t0) / len(shots)
            write_video(stage / "rerender.mp4", outs, fps)
            result.frames = outs
            result.warp_error = warp_error(outs, flows, valids)
            meta.update(model=str(model_dir), steps=steps, strength=strength, guidance=guidance, temporal=temporal,
                        temporal_weight=temporal_weight, warp_error=result.warp_error,
                        input_warp_error=warp_error([to_srgb8(s.rgb) for s in shots], flows, valids))
        (stage / "rerender.json").write_text(json.dumps(meta, indent=2) + "\n")
        result.files = [out / src.relative_to(stage) for src in sorted(stage.rglob("*")) if src.is_file()]
        folder.commit()
    finally:
        folder.__exit__(None, None, None)  # removes the staging folder unless committed
    return result
