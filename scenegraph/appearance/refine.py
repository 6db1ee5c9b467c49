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

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenegraph.appearance.diffusers_folder import TEXT_ENCODER, UNET, VAE, check_pipeline_folder, load_pipeline
from scenegraph.world.views import PosedView
from scenegraph.errors import ModelError

__all__ = ["refine_views", "refiner_prompt", "check_refiner_folder", "color_name"]

#: components a Stable Diffusion img2img folder needs, and the weight files that may hold each
_REQUIRED = {"unet": UNET, "vae": VAE, "text_encoder": TEXT_ENCODER, "tokenizer": (), "scheduler": ()}
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
    return check_pipeline_folder(model_path, _REQUIRED, what="refiner weights",
                                 hint="point --refiner at a local diffusers folder")


def _load_pipeline(path: Path, device: str | None) -> tuple[Any, Any]:
    """The img2img pipeline in ``path`` on ``device`` (default: CUDA when present), and the torch module."""
    return load_pipeline("StableDiffusionImg2ImgPipeline", path, device, what="refiner weights")


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
