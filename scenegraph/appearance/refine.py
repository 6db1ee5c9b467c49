"""Diffusion refiner: an image-to-image pass over posed views before fitting.

A Stable-Diffusion-style ``diffusers`` pipeline folder on local disk
(``model_index.json``, ``unet/``, ``vae/``, ``text_encoder/``, ``tokenizer/``,
``scheduler/``) turns flat proxy renders into more photographic ones,
prompted from the entity's class and material (:func:`refiner_prompt`).
Weights are never downloaded.  Each view gets its own generator seeded from
(seed, view index), so the same views and seed give bit-identical images on
the same machine.  Cameras and alpha masks pass through unchanged.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenegraph.world.views import PosedView
from scenegraph.errors import BackendError, ModelError

__all__ = ["refine_views", "refiner_prompt", "check_refiner_folder", "color_name"]

#: components a Stable Diffusion img2img folder needs, and the weight files that may hold each
_REQUIRED = {
    "unet": ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"),
    "vae": ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"),
    "text_encoder": ("model.safetensors", "pytorch_model.bin"),
    "tokenizer": (),
    "scheduler": (),
}
#: material words that add nothing to a prompt ("a red paint car")
_SILENT_MATERIALS = {"paint", "skin", "fur", "feather", "leaf", "plastic"}


def color_name(base_color: Sequence[float]) -> str:
    """The nearest plain colour word for a linear RGB colour (compared in sRGB)."""
    from scenegraph.model.materials import COLORS, srgb_to_linear

    names = [n for n in COLORS if n not in ("gray", "golden", "blonde")]
    table = np.array([srgb_to_linear(np.asarray(COLORS[n]) / 255.0) for n in names]) ** (1 / 2.2)
    target = np.clip(np.asarray(base_color, dtype=np.float64), 0, 1) ** (1 / 2.2)
    return names[int(np.argmin(np.linalg.norm(table - target, axis=1)))]


def refiner_prompt(entity: Any, material: Any = None) -> str:
    """A short prompt such as ``"a red car, photo"`` from an entity's class and its material.

    Colour and material words come from the material's name (``mat_dark_blue_metal``)
    when it has them, otherwise the colour is named from ``base_color``.
    """
    from scenegraph.model.materials import COLORS, MATERIALS

    noun = " ".join(str(getattr(entity, "cls", entity)).replace("_", " ").split())
    words: list[str] = []
    if material is not None:
        name = str(getattr(material, "name", "") or getattr(material, "id", "")).lower()
        tokens = [t for t in name.replace("-", "_").replace(" ", "_").split("_") if t and t != "mat"]
        colour = [t for t in tokens if t in COLORS or t in ("dark", "light", "pale", "bright", "deep")]
        if not any(t in COLORS for t in colour):
            colour = [color_name(material.base_color)]
        words += colour
        kinds = [t for t in tokens if t in MATERIALS and t not in COLORS and t not in _SILENT_MATERIALS]
        if not kinds and getattr(material, "metallic", 0.0) > 0.5:
            kinds = ["metallic"]
        words += kinds
    phrase = " ".join(words + [noun])
    article = "an" if phrase[:1] in "aeiou" else "a"
    return f"{article} {phrase}, photo"


def check_refiner_folder(model_path: str | os.PathLike) -> Path:
    """The folder as a Path if it looks like a diffusers img2img pipeline; BackendError naming what is missing."""
    p = Path(model_path)
    if not p.exists():
        raise BackendError(f"refiner weights not found: {p} does not exist (point --refiner at a local diffusers folder)")
    if not p.is_dir():
        raise BackendError(f"refiner weights: {p} is a file, expected a diffusers pipeline folder")
    index = p / "model_index.json"
    if not index.is_file():
        raise BackendError(f"refiner weights: {p} is not a diffusers pipeline folder (no model_index.json)")
    try:
        listed = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendError(f"refiner weights: {index} is unreadable ({exc})") from None
    for comp, weight_files in _REQUIRED.items():
        if not isinstance(listed.get(comp), list) or listed[comp][0] is None:
            raise BackendError(f"refiner weights: {index} lists no {comp!r} component")
        folder = p / comp
        if not folder.is_dir():
            raise BackendError(f"refiner weights: {p} has no {comp}/ folder")
        if weight_files and not any((folder / f).is_file() for f in weight_files):
            raise BackendError(f"refiner weights: {folder} holds no weights ({' or '.join(weight_files)})")
    return p


def _load_pipeline(path: Path, device: str | None) -> tuple[Any, Any]:
    """The img2img pipeline in ``path`` on ``device`` (default: CUDA when present), and the torch module."""
    try:
        import torch
        from diffusers import StableDiffusionImg2ImgPipeline
    except ImportError as exc:
        raise BackendError(f"the refiner needs torch, diffusers and transformers ({exc}); pip install 'scenegraph[ml]'") from None
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    try:
        pipe = StableDiffusionImg2ImgPipeline.from_pretrained(
            str(path), local_files_only=True, torch_dtype=dtype, safety_checker=None, requires_safety_checker=False
        )
    except Exception as exc:  # diffusers raises OSError, ValueError, KeyError ... for broken folders
        raise BackendError(f"refiner weights: cannot load the pipeline in {path} ({type(exc).__name__}: {exc})") from None
    max_tokens = getattr(pipe.text_encoder.config, "max_position_embeddings", 77)
    if not 0 < getattr(pipe.tokenizer, "model_max_length", 0) <= max_tokens:  # tokenizer saved without a limit
        pipe.tokenizer.model_max_length = max_tokens
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe, torch


def refine_views(
    views: Sequence[PosedView],
    model_path: str | os.PathLike,
    *,
    prompt: str,
    negative_prompt: str | None = "blurry, distorted, text, watermark",
    strength: float = 0.3,
    steps: int = 20,
    guidance_scale: float = 7.5,
    seed: int = 0,
    device: str | None = None,
) -> list[PosedView]:
    """Refine each view's image with a diffusers img2img pipeline from ``model_path``.

    ``strength`` (0..1] is how far each image is re-noised (0.3 keeps the
    shape, changes surface detail); ``steps`` the scheduler's step count
    before ``strength`` is applied.  Images go to the model in sRGB and come
    back linear, resized to their view's size if the model changed it.
    Raises BackendError for missing or broken weights or libraries, and
    ModelError for a strength outside (0, 1] or no views.
    """
    if not views:
        raise ModelError("refine_views: no views given")
    if not 0.0 < strength <= 1.0:
        raise ModelError(f"refine_views: strength must lie in (0, 1], got {strength}")
    from scenegraph.appearance.captures import linear_to_srgb, srgb_to_linear

    pipe, torch = _load_pipeline(check_refiner_folder(model_path), device)
    out = []
    for i, view in enumerate(views):
        state = int(np.random.SeedSequence([int(seed), i]).generate_state(1)[0])
        generator = torch.Generator(device="cpu").manual_seed(state)
        image = linear_to_srgb(view.image)[None].astype(np.float32)  # (1, H, W, 3) in [0, 1]
        with torch.no_grad():
            result = pipe(
                prompt=prompt,
                negative_prompt=negative_prompt,
                image=image,
                strength=strength,
                num_inference_steps=steps,
                guidance_scale=guidance_scale,
                generator=generator,
                output_type="np",
            ).images[0]
        result = np.asarray(result, dtype=np.float64)
        h, w = view.image.shape[:2]
        if result.shape[:2] != (h, w):
            from PIL import Image

            resized = Image.fromarray(np.round(np.clip(result, 0, 1) * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
            result = np.asarray(resized, dtype=np.float64) / 255.0
        rgb = srgb_to_linear(np.clip(result, 0.0, 1.0)).astype(np.float32)
        out.append(PosedView(rgb, view.camera, alpha=view.alpha, name=view.name))
    return out
