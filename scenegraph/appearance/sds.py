"""Score distillation: an entity's Gaussians refined toward its own words by a local text-to-image model.

:func:`refine_gaussians` renders the entity's cloud from many orbiting views
(the torch rasterizer on CPU, gsplat on CUDA), encodes each render with the
model's VAE, noises it at a random timestep and asks the UNet (with
classifier-free guidance on the entity's prompt) which noise it sees; the
difference to the true noise, weighted by the schedule (SDS, Poole et al. 2022,
with the noise subtracted as the baseline: the variance-reduced form), is
pushed back through the VAE and the rasterizer into the Gaussians' colours.
Means, scales, rotations and opacities stay fixed, so the silhouette and the
size are exactly the proxy's, and because one 3D cloud is optimised the views
agree with each other (unlike images refined one by one).

Any diffusers text-to-image folder with ``unet``, ``vae``, ``text_encoder``,
``tokenizer`` and ``scheduler`` works (``StableDiffusionPipeline`` and
``StableDiffusionImg2ImgPipeline`` folders were tried).  Seeded: the same cloud,
words, model and seed give bit-identical colours on one machine.  Results are
cached per (words, cloud, model, settings, seed) in ``~/.cache/scenegraph/refine``
(``SCENEGRAPH_CACHE`` moves it).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenegraph.model.gaussians import Gaussians
from scenegraph.errors import BackendError, ModelError

__all__ = ["refine_gaussians", "refine_scene", "entity_prompt", "multiview_error", "SDSResult", "cache_folder", "load_text_to_image"]

_VERSION = 1


@dataclass
class SDSResult:
    """The refined cloud, seconds spent (0 on a cache hit), whether it came from the cache, the prompt."""

    gaussians: Gaussians
    seconds: float
    cached: bool
    prompt: str


def entity_prompt(scene: Any, entity: Any) -> str:
    """The entity's own words: colour, material and class (refiner_prompt), the spec's adjectives,
    its name when it has one, and the scene's setting, e.g. ``"a red car, rusty, on a street at night, photo"``."""
    from scenegraph.appearance.refine import refiner_prompt

    words = [refiner_prompt(entity, scene.material_of(entity.id)).removesuffix(", photo")]
    ref = (entity.attributes or {}).get("spec_ref")
    meta = getattr(scene, "metadata", {}) or {}
    for spec_entity in (meta.get("spec") or {}).get("entities", []):
        if spec_entity.get("id") == ref:
            words += [str(a) for a in spec_entity.get("attributes", []) if isinstance(a, str)]
    name = entity.name or ""
    if name and name not in (entity.id, entity.cls) and not name.startswith(f"{entity.cls}_"):
        words.append(f"named {name}")
    env = meta.get("environment") or {}
    setting = " ".join(str(env[k]) for k in ("setting",) if env.get(k))
    if setting:
        words.append(f"on a {setting}" + (f" at {env['time_of_day']}" if env.get("time_of_day") in ("night", "dawn", "dusk", "noon") else ""))
    return ", ".join(words) + ", photo"


def cache_folder() -> Path:
    return Path(os.environ.get("SCENEGRAPH_CACHE") or Path.home() / ".cache" / "scenegraph") / "refine"


def _model_identity(path: Path) -> str:
    """model_index.json and the sizes and mtimes of the weight files: a changed model is another model."""
    h = hashlib.sha256((path / "model_index.json").read_bytes())
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in (".safetensors", ".bin", ".json", ".txt"):
            st = f.stat()
            h.update(f"{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def load_text_to_image(model: str | os.PathLike, device: str | None = None) -> tuple[Any, Any]:
    """A diffusers pipeline from a local folder (its unet, vae, text_encoder, tokenizer, scheduler are used), and torch."""
    from scenegraph.appearance.refine import check_refiner_folder

    path = check_refiner_folder(model)
    try:
        import torch
        from diffusers import DiffusionPipeline
    except ImportError as exc:
        raise BackendError(f"the refiner needs torch, diffusers and transformers ({exc}): pip install 'scenegraph[ml]'") from None
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        pipe = DiffusionPipeline.from_pretrained(str(path), local_files_only=True, safety_checker=None, requires_safety_checker=False)
    except Exception as exc:  # diffusers raises OSError, ValueError, KeyError ... for broken folders
        raise BackendError(f"refiner weights: cannot load the pipeline in {path} ({type(exc).__name__}: {exc})") from None
    for comp in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        if getattr(pipe, comp, None) is None:
            raise BackendError(f"refiner weights: the {type(pipe).__name__} in {path} has no {comp}: score distillation needs a Stable-Diffusion-style text-to-image model")
    limit = getattr(pipe.text_encoder.config, "max_position_embeddings", 77)
    if not 0 < getattr(pipe.tokenizer, "model_max_length", 0) <= limit:
        pipe.tokenizer.model_max_length = limit
    for comp in (pipe.unet, pipe.vae, pipe.text_encoder):
        comp.to(device)
        comp.requires_grad_(False)
        comp.eval()
    return pipe, torch


def _embed(pipe: Any, torch: Any, text: str) -> Any:
    tok = pipe.tokenizer(text, padding="max_length", max_length=pipe.tokenizer.model_max_length, truncation=True, return_tensors="pt")
    with torch.no_grad():
        return pipe.text_encoder(tok.input_ids.to(pipe.unet.device))[0]


def refine_gaussians(
    gaussians: Gaussians,
    prompt: str,
    model: str | os.PathLike | tuple,
    *,
    steps: int = 100,
    views: int = 8,
    size: int = 64,
    guidance: float = 7.5,
    lr: float = 0.02,
    t_range: tuple[float, float] = (0.02, 0.6),
    seed: int = 0,
    negative_prompt: str = "blurry, distorted, text, watermark",
    backend: str = "auto",
    device: str | None = None,
    cache: bool | str | os.PathLike = True,
    progress: bool = False,
    loader: Any = None,
) -> SDSResult:
    """Refine the colours of ``gaussians`` (entity-local frame) toward ``prompt`` by score distillation.

    ``model``: a local diffusers folder (or an already loaded ``(pipe, torch)`` pair, whose folder
    then keys the cache by ``pipe.name_or_path``).  ``steps`` optimisation steps cycle over ``views``
    orbit cameras of ``size`` pixels; ``t_range`` bounds the noise level (fractions of the schedule).
    ``cache``: True (default folder), False, or a folder.  ``loader``: a callable giving the loaded
    ``(pipe, torch)`` for ``model`` (to share one load among entities).  Raises ModelError for bad settings,
    BackendError for a bad model folder or missing libraries.
    """
    if steps < 1 or views < 1 or size < 8:
        raise ModelError(f"refine_gaussians: need steps >= 1, views >= 1 and size >= 8, got {steps}, {views}, {size}")
    if not 0.0 <= t_range[0] < t_range[1] <= 1.0:
        raise ModelError(f"refine_gaussians: t_range must satisfy 0 <= lo < hi <= 1, got {t_range}")
    if len(gaussians) == 0:
        return SDSResult(gaussians, 0.0, False, prompt)
    loaded = model if isinstance(model, tuple) else None
    model_path = Path(getattr(loaded[0], "name_or_path", "") if loaded else model)
    if loaded is None:
        from scenegraph.appearance.refine import check_refiner_folder

        check_refiner_folder(model_path)
    settings = dict(v=_VERSION, prompt=prompt, neg=negative_prompt, steps=steps, views=views, size=size, guidance=guidance, lr=lr,
                    t=list(t_range), seed=seed)
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for arr in (gaussians.means, gaussians.quats, gaussians.scales, gaussians.opacities, gaussians.sh):
        key.update(np.ascontiguousarray(arr).tobytes())
    if model_path.is_dir() and (model_path / "model_index.json").is_file():
        key.update(_model_identity(model_path).encode())
    else:
        key.update(str(model_path).encode())
    folder = None if cache is False else (cache_folder() if cache is True else Path(cache))
    entry = folder / f"{key.hexdigest()[:32]}.npz" if folder is not None else None
    if entry is not None and entry.is_file():
        with np.load(entry) as z:
            sh = z["sh"]
        if sh.shape == gaussians.sh.shape:
            return SDSResult(Gaussians(gaussians.means, gaussians.quats, gaussians.scales, gaussians.opacities, sh), 0.0, True, prompt)

    pipe, torch = loaded if loaded else (loader() if loader is not None else load_text_to_image(model_path, device))
    t0 = time.perf_counter()
    try:
        sh = _distil(gaussians, prompt, negative_prompt, pipe, torch, steps, views, size, guidance, lr, t_range, seed, backend, progress)
    except torch.cuda.OutOfMemoryError:
        raise BackendError(f"refiner: out of GPU memory at {views} views of {size} px; try fewer --refine-steps, fewer views or a smaller size") from None
    out = Gaussians(gaussians.means, gaussians.quats, gaussians.scales, gaussians.opacities, sh)
    if entry is not None:
        import io

        from scenegraph.model.files import atomic_write

        entry.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, sh=sh)
        atomic_write(entry, buf.getvalue())
    return SDSResult(out, time.perf_counter() - t0, False, prompt)


def _distil(g: Gaussians, prompt: str, negative: str, pipe: Any, torch: Any, steps: int, views: int, size: int, guidance: float,
            lr: float, t_range: tuple[float, float], seed: int, backend: str, progress: bool) -> np.ndarray:
    from scenegraph.appearance.mesh_render import orbit_cameras
    from scenegraph.appearance.rasterize import _cuda_ready, render_gaussians

    use_gsplat = backend == "gsplat" or (backend == "auto" and _cuda_ready() and pipe.unet.device.type == "cuda")
    rdev = "cuda" if use_gsplat else "cpu"
    lo, hi = g.means.min(axis=0), g.means.max(axis=0)
    radius = max(0.5 * float(np.linalg.norm(hi - lo)), 1e-3)
    cams = orbit_cameras(0.5 * (lo + hi), radius, n_views=views, size=size, seed=seed)
    params = {k: torch.tensor(np.array(getattr(g, k)), dtype=torch.float32, device=rdev) for k in ("means", "quats", "scales", "opacities")}
    sh = torch.tensor(np.array(g.sh), dtype=torch.float32, device=rdev)
    dc = sh[:, 0, :].clone().requires_grad_(True)
    opt = torch.optim.Adam([dc], lr=lr)
    udev, udtype = pipe.unet.device, pipe.unet.dtype
    embeds = torch.cat([_embed(pipe, torch, negative), _embed(pipe, torch, prompt)]).to(udtype)
    sched = pipe.scheduler
    alphas = sched.alphas_cumprod.to(udev, torch.float32)
    n_train = len(alphas)
    scale = float(getattr(pipe.vae.config, "scaling_factor", 0.18215))
    gen = torch.Generator(device="cpu").manual_seed(int(np.random.SeedSequence([int(seed), 7]).generate_state(1)[0]))
    order = torch.randperm(views, generator=gen).tolist()
    bg = torch.ones(3, dtype=torch.float32, device=rdev)  # white: the models' product-shot background
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps, desc="refine", unit="step", leave=False)
    for step in range(steps):
        cam = cams[order[step % views]]
        full = torch.cat([dc[:, None, :], sh[:, 1:, :]], dim=1)
        res = render_gaussians({**params, "sh": full}, cam, background=bg, backend="gsplat" if use_gsplat else "torch")
        rgb = res.rgb.clamp(0.0, 1.0)
        srgb = torch.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * rgb.clamp_min(1e-8) ** (1 / 2.4) - 0.055)
        img = (srgb.permute(2, 0, 1)[None] * 2.0 - 1.0).to(udev, udtype)
        latents = pipe.vae.encode(img).latent_dist.mean * scale
        tlo, thi = int(t_range[0] * (n_train - 1)), max(int(t_range[1] * (n_train - 1)), int(t_range[0] * (n_train - 1)) + 1)
        t = torch.randint(tlo, thi + 1, (1,), generator=gen)
        noise = torch.randn(latents.shape, generator=gen, dtype=torch.float32).to(udev, udtype)
        with torch.no_grad():
            noisy = sched.add_noise(latents.detach(), noise, t.to(udev))
            eps = pipe.unet(torch.cat([noisy, noisy]), t.to(udev), encoder_hidden_states=embeds).sample
            eps = eps[0:1] + guidance * (eps[1:2] - eps[0:1])
            w = 1.0 - alphas[t.to(udev)]
            grad = torch.nan_to_num(w.view(-1, 1, 1, 1) * (eps - noise))
        target = (latents - grad).detach()
        loss = 0.5 * torch.nn.functional.mse_loss(latents.float(), target.float(), reduction="sum") / latents.shape[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    out = sh.detach().clone()
    out[:, 0, :] = dc.detach()
    return out.cpu().numpy().astype(np.asarray(g.sh).dtype)


def multiview_error(images: Sequence[np.ndarray], cameras: Sequence[Any], mesh: Any) -> float:
    """Mean |I_a(p) - I_b(p')| over surface points p of ``mesh`` (entity frame) seen by both views of each
    neighbouring pair (a, b): how much the views disagree about the same surface (0-1 colour units)."""
    from scenegraph.appearance.gbuffer import project, sample_bilinear, surface_buffer

    eye = np.eye(4)
    bufs = [surface_buffer([(mesh, eye)], cam) for cam in cameras]
    errs = []
    for a in range(len(cameras)):
        b = (a + 1) % len(cameras)
        if a == b:
            continue
        hit = bufs[a].index >= 0
        if not hit.any():
            continue
        pts = bufs[a].local[hit]
        uv, z = project(pts, cameras[b])
        col, row = np.floor(uv[:, 0]).astype(int), np.floor(uv[:, 1]).astype(int)
        hb, wb = bufs[b].index.shape
        inside = (col >= 0) & (col < wb) & (row >= 0) & (row < hb) & (z > 0)
        ok = np.zeros(len(pts), bool)
        d = bufs[b].depth[row[inside], col[inside]]
        ok[inside] = (bufs[b].index[row[inside], col[inside]] == 0) & (np.abs(d - z[inside]) < 0.02 * z[inside] + 1e-3)
        if ok.sum() < 10:
            continue
        ia = np.asarray(images[a], np.float64)[hit][ok]
        ib = sample_bilinear(np.asarray(images[b], np.float64), uv[ok])
        errs.append(float(np.abs(ia - ib).mean()))
    if not errs:
        raise ModelError("multiview_error: no pair of views sees a common surface")
    return float(np.mean(errs))


def refine_scene(scene: Any, model: str | os.PathLike, *, steps: int = 100, views: int = 8, size: int = 64, seed: int = 0,
                 progress: bool = False, cache: bool | str | os.PathLike = True, backend: str = "auto", device: str | None = None,
                 **options: Any) -> dict[str, SDSResult]:
    """Refine every object entity's Gaussians (ground-like surfaces excepted) toward :func:`entity_prompt`;
    the model is loaded once, and only if some entity misses the cache; each entity gets its own seed
    stream (scene seed, entity id).  Returns id -> result."""
    import zlib

    from scenegraph.appearance.assign import SURFACE_CLASSES
    from scenegraph.appearance.refine import check_refiner_folder

    check_refiner_folder(model)
    todo = [e for e in scene.entities("object") if e.cls not in SURFACE_CLASSES and e.gaussians is not None and len(e.gaussians)]
    held: list = []

    def loader() -> tuple[Any, Any]:
        if not held:
            held.append(load_text_to_image(model, device))
        return held[0]

    done: dict[str, SDSResult] = {}
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="refine entities", unit="entity")
    for e in todo:
        words = entity_prompt(scene, e)
        own_seed = int(np.random.SeedSequence([int(seed), zlib.crc32(e.id.encode())]).generate_state(1)[0])
        res = refine_gaussians(e.gaussians, words, model, steps=steps, views=views, size=size, seed=own_seed, cache=cache,
                               backend=backend, loader=loader, **options)
        scene.update(e.id, gaussians=res.gaussians)
        done[e.id] = res
        if bar is not None:
            bar.set_postfix_str(f"{e.id}{' (cached)' if res.cached else ''}")
            bar.update(1)
    if bar is not None:
        bar.close()
    return done
