"""Local diffusers pipeline folders: checked before torch loads, then loaded offline.

The refiner (``appearance.refine``), SDS fitting (``appearance.sds``) and the neural
re-render (``render.rerender``) all read a Stable Diffusion pipeline from a local folder.
:func:`check_pipeline_folder` says in one line what is wrong with a folder (missing,
not a pipeline, the wrong pipeline class, a component without weights) before anything
heavy is imported; :func:`load_pipeline` loads it with ``local_files_only=True`` so nothing
is ever downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from scenegraph.errors import BackendError

__all__ = ["UNET", "VAE", "TEXT_ENCODER", "check_pipeline_folder", "load_pipeline"]

#: weight file names a component folder may hold (either one is enough)
UNET = VAE = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
TEXT_ENCODER = ("model.safetensors", "pytorch_model.bin")


def check_pipeline_folder(
    path: Any,
    components: Mapping[str, tuple[str, ...]],
    *,
    what: str,
    hint: str,
    class_word: str | None = None,
    class_example: str = "",
) -> Path:
    """``path`` as a Path if it is a diffusers pipeline folder whose ``model_index.json`` lists
    every one of ``components`` (each with one of its weight files, where any are named), and
    whose pipeline class contains ``class_word`` when given; otherwise BackendError, one line
    starting with ``what``. ``hint`` says where the folder should come from."""
    p = Path(path)
    if not p.exists():
        raise BackendError(f"{what}: {p} does not exist ({hint})")
    index = p / "model_index.json"
    if not p.is_dir() or not index.is_file():
        raise BackendError(f"{what}: {p} is not a diffusers pipeline folder (no model_index.json)")
    try:
        listed = json.loads(index.read_text(encoding="utf-8"))
        if not isinstance(listed, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise BackendError(f"{what}: {index} is unreadable ({exc})") from None
    if class_word is not None:
        kind = str(listed.get("_class_name", "?"))
        if class_word.lower() not in listed or class_word not in kind:
            raise BackendError(f"{what}: {p} holds a {kind}, not a {class_word} pipeline ({class_example})")
    for comp, weight_files in components.items():
        if not isinstance(listed.get(comp), list) or listed[comp][0] is None:
            raise BackendError(f"{what}: {index} lists no {comp!r} component")
        folder = p / comp
        if not folder.is_dir():
            raise BackendError(f"{what}: {p} has no {comp}/ folder")
        if weight_files and not any((folder / f).is_file() for f in weight_files):
            raise BackendError(f"{what}: {folder} holds no weights ({' or '.join(weight_files)})")
    return p


def load_pipeline(class_name: str, path: Path, device: str | None, *, what: str) -> tuple[Any, Any]:
    """The diffusers pipeline ``class_name`` read from ``path`` (offline) on ``device`` (default:
    CUDA when present, float16 there, float32 on the CPU), with its progress bar off, and the
    torch module. Any import or load failure is a one-line BackendError starting with ``what``."""
    try:
        import torch
        import diffusers
    except ImportError as exc:
        raise BackendError(f"{what} needs torch, diffusers and transformers ({exc}): pip install 'scenegraph[ml]'") from None
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    try:
        pipe = getattr(diffusers, class_name).from_pretrained(
            str(path), local_files_only=True, torch_dtype=dtype, safety_checker=None, requires_safety_checker=False
        )
    except Exception as exc:  # diffusers raises OSError, ValueError, KeyError ... for broken folders
        raise BackendError(f"{what}: cannot load the pipeline in {path} ({type(exc).__name__}: {exc})") from None
    max_tokens = getattr(pipe.text_encoder.config, "max_position_embeddings", 77)
    if not 0 < getattr(pipe.tokenizer, "model_max_length", 0) <= max_tokens:  # tokenizer saved without a limit
        pipe.tokenizer.model_max_length = max_tokens
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe, torch
