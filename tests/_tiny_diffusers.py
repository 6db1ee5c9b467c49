"""Tiny random diffusers pipelines built from configs (no downloads), saved as local model folders."""
from __future__ import annotations

import json
from pathlib import Path

import pytest


def _byte_chars() -> list[str]:
    """The 256 printable stand-ins byte-level BPE (GPT-2 / CLIP) uses for bytes."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    extra = [b for b in range(256) if b not in keep]
    return [chr(b) for b in keep] + [chr(256 + i) for i in range(len(extra))]


def components(root: Path, seed: int = 0) -> dict:
    """A tiny UNet / VAE / CLIP text encoder / tokenizer / DDIM scheduler (latents at half resolution)."""
    torch = pytest.importorskip("torch")
    diffusers = pytest.importorskip("diffusers")
    transformers = pytest.importorskip("transformers")
    chars = _byte_chars()
    words = ["re", "red</w>", "ca", "car</w>", "tr", "ee</w>", "tree</w>", "gr", "green</w>"]
    vocab = {c: i for i, c in enumerate(chars + [c + "</w>" for c in chars] + words)}
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = len(vocab), len(vocab) + 1
    (root / "vocab").mkdir(parents=True, exist_ok=True)
    (root / "vocab" / "vocab.json").write_text(json.dumps(vocab))
    (root / "vocab" / "merges.txt").write_text("#version: 0.2\nr e\nre d</w>\nc a\nca r</w>\nt r\ne e</w>\ntr ee</w>\ng r\n")
    tokenizer = transformers.CLIPTokenizer(str(root / "vocab" / "vocab.json"), str(root / "vocab" / "merges.txt"), model_max_length=77)
    torch.manual_seed(seed)
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, attention_head_dim=2, norm_num_groups=4,
    )
    vae = diffusers.AutoencoderKL(
        block_out_channels=[8, 16], in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=4, layers_per_block=1,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
    )
    text_encoder = transformers.CLIPTextModel(transformers.CLIPTextConfig(
        bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"], pad_token_id=vocab["<|endoftext|>"],
        vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_attention_heads=2, num_hidden_layers=2,
        max_position_embeddings=77, projection_dim=16,
    ))
    scheduler = diffusers.DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False,
                                        set_alpha_to_one=False, steps_offset=1)
    return dict(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler)


def controlnet_pipeline(root: Path) -> Path:
    """A tiny StableDiffusionControlNetImg2ImgPipeline folder."""
    diffusers = pytest.importorskip("diffusers")
    parts = components(root)
    controlnet = diffusers.ControlNetModel(
        block_out_channels=(8, 16), layers_per_block=1, in_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=16, attention_head_dim=2, norm_num_groups=4, conditioning_embedding_out_channels=(8, 16),
    )
    pipe = diffusers.StableDiffusionControlNetImg2ImgPipeline(
        controlnet=controlnet, safety_checker=None, feature_extractor=None, requires_safety_checker=False, **parts)
    out = root / "controlnet_sd"
    pipe.save_pretrained(str(out))
    return out


def text_to_image_pipeline(root: Path) -> Path:
    """A tiny StableDiffusionPipeline folder (text-to-image)."""
    diffusers = pytest.importorskip("diffusers")
    pipe = diffusers.StableDiffusionPipeline(safety_checker=None, feature_extractor=None, requires_safety_checker=False, **components(root))
    out = root / "sd"
    pipe.save_pretrained(str(out))
    return out


def img2img_pipeline(root: Path) -> Path:
    """A tiny StableDiffusionImg2ImgPipeline folder (the refiner's kind)."""
    diffusers = pytest.importorskip("diffusers")
    pipe = diffusers.StableDiffusionImg2ImgPipeline(safety_checker=None, feature_extractor=None, requires_safety_checker=False,
                                                    **components(root))
    out = root / "refiner"
    pipe.save_pretrained(str(out))
    return out
