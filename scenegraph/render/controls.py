"""Control signals for video-to-video models, from our exact passes, and the files that carry them.

- :func:`depth_control`, :func:`edge_control`, :func:`seg_control`: (H, W, 3)
  float images in [0, 1] a ControlNet takes (inverse depth, near = white, one
  scale for the whole clip; edges where the entity, the surface orientation
  or the depth changes, from the world state, not from pixels; a colour per
  entity).
- :func:`write_video`: an mp4 (H.264, yuv420p) through ``imageio-ffmpeg``;
  :func:`need_video` says which extra to install when it is missing.
- :func:`cosmos_spec`: the ``--controlnet_specs`` JSON of NVIDIA Cosmos-Transfer1
  (prompt, input video, control videos with weights, regional prompts with
  mask videos, seed).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from scenegraph.errors import BackendError

__all__ = ["depth_control", "edge_control", "seg_control", "write_video", "need_video", "cosmos_spec", "to_srgb8"]


def to_srgb8(rgb: np.ndarray) -> np.ndarray:
    """Linear (H, W, 3) floats to sRGB uint8."""
    from scenegraph.appearance.captures import linear_to_srgb

    return np.round(linear_to_srgb(np.clip(rgb, 0.0, 1.0)) * 255.0).astype(np.uint8)


def depth_range(depths: Sequence[np.ndarray]) -> tuple[float, float]:
    """(near, far) metres over all frames' hit pixels (1, 2 when nothing is hit)."""
    hits = [d[d > 0] for d in depths]
    hits = [h for h in hits if h.size]
    if not hits:
        return 1.0, 2.0
    near = float(min(h.min() for h in hits))
    far = float(max(h.max() for h in hits))
    return near, max(far, near * 1.001)


def depth_control(depth: np.ndarray, near: float, far: float) -> np.ndarray:
    """Inverse depth scaled to [0, 1] between ``far`` (0) and ``near`` (1), 0 where nothing is hit; (H, W, 3)."""
    inv = np.where(depth > 0, 1.0 / np.maximum(depth, 1e-6), 0.0)
    v = np.where(depth > 0, (inv - 1.0 / far) / (1.0 / near - 1.0 / far), 0.0)
    return np.repeat(np.clip(v, 0.0, 1.0)[..., None], 3, axis=2).astype(np.float32)


def edge_control(instance: np.ndarray, normal: np.ndarray, depth: np.ndarray, angle_deg: float = 30.0, depth_jump: float = 0.05) -> np.ndarray:
    """White (1) where neighbouring pixels show another entity, a surface turned by more than
    ``angle_deg``, or a depth step: inverse depth, linear across any plane, bending by more than
    ``depth_jump`` (relative) between three pixels in a row; black elsewhere; (H, W, 3)."""
    edge = np.zeros(instance.shape, bool)
    cos_limit = np.cos(np.radians(angle_deg))
    inv = np.where(depth > 0, 1.0 / np.maximum(depth, 1e-6), 0.0)
    for axis in (0, 1):
        a = [slice(None), slice(None)]
        b = [slice(None), slice(None)]
        a[axis], b[axis] = slice(1, None), slice(None, -1)
        a, b = tuple(a), tuple(b)
        cut = instance[a] != instance[b]
        both = (instance[a] >= 0) & (instance[b] >= 0)
        cut |= both & (np.einsum("ijk,ijk->ij", normal[a], normal[b]) < cos_limit)
        edge[a] |= cut
        edge[b] |= cut
        lo, mid, hi = [slice(None), slice(None)], [slice(None), slice(None)], [slice(None), slice(None)]
        lo[axis], mid[axis], hi[axis] = slice(None, -2), slice(1, -1), slice(2, None)
        lo, mid, hi = tuple(lo), tuple(mid), tuple(hi)
        bend = np.abs(inv[lo] - 2.0 * inv[mid] + inv[hi]) > depth_jump * np.maximum(inv[mid], 1e-9)
        edge[mid] |= bend & (instance[mid] >= 0)
    return np.repeat(edge[..., None], 3, axis=2).astype(np.float32)


def _palette(key: str) -> np.ndarray:
    h = zlib.crc32(key.encode())
    return np.array([(h & 255), (h >> 8) & 255, (h >> 16) & 255], np.float32) / 255.0 * 0.8 + 0.2


def seg_control(instance: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """A fixed colour per entity id (from its name, so the same in every frame), black background; (H, W, 3)."""
    table = np.zeros((len(ids) + 1, 3), np.float32)
    for i, eid in enumerate(ids):
        table[i] = _palette(eid)
    return table[np.where(instance >= 0, instance, len(ids))]


def need_video() -> Any:
    """The imageio_ffmpeg module, or BackendError naming the extra to install."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise BackendError("writing mp4 needs imageio-ffmpeg: pip install 'scenegraph[video]'") from None
    return imageio_ffmpeg


def write_video(path: str | os.PathLike, frames: Sequence[np.ndarray], fps: float) -> Path:
    """Write (H, W, 3) uint8 frames (even H and W) as an H.264 mp4, atomically; same frames -> same bytes."""
    ffmpeg = need_video()
    path = Path(path)
    frames = list(frames)
    h, w = frames[0].shape[:2]
    fd, tmp = tempfile.mkstemp(suffix=".mp4", dir=path.parent, prefix=f".{path.stem}.")
    os.close(fd)
    try:
        writer = ffmpeg.write_frames(
            tmp, (w, h), fps=float(fps), codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p", quality=None,
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", "18", "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"],
        )  # fmt: skip
        writer.send(None)
        for fr in frames:
            writer.send(np.ascontiguousarray(fr, dtype=np.uint8))
        writer.close()
        shutil.move(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cosmos_spec(prompt: str, input_video: str, controls: dict[str, str], weights: dict[str, float], seed: int,
                regional: Sequence[tuple[str, str]] = (), negative_prompt: str | None = None) -> dict:
    """Cosmos-Transfer1 ``--controlnet_specs``: ``{"prompt", "input_video_path", "seed", "<control>":
    {"input_control", "control_weight"}, "regional_prompts": [{"prompt", "region_definitions_path"}]}``
    (paths relative to the spec file)."""
    spec: dict[str, Any] = {"prompt": prompt, "input_video_path": input_video, "seed": int(seed)}
    if negative_prompt:
        spec["negative_prompt"] = negative_prompt
    for name, video in controls.items():
        spec[name] = {"input_control": video, "control_weight": float(weights.get(name, 0.5))}
    if regional:
        spec["regional_prompts"] = [{"prompt": p, "region_definitions_path": m} for p, m in regional]
    return spec
