"""The sky of a USD export: a DomeLight lit by a small lat-long gradient image written beside the layer.

USD's environment is a DomeLight; a flat ``inputs:color`` shows as one grey-blue
everywhere in usdview and Blender's USD import.  The sky the scene was built
with (``scene.metadata["environment"]["sky"]``: zenith, horizon and ground
colours, :mod:`scenegraph.world.sky`) is written as a 128 x 64 equirectangular
PNG (sRGB, 8 bit: a few hundred bytes), ``NAME_sky.png`` beside ``NAME.usdc``
(inside the package for ``.usdz``), and the DomeLight points at it with a
relative asset path (``inputs:texture:file``, ``inputs:texture:format =
latlong``) so the pair can be moved together.  The file's bytes depend only on
the sky, so the same prompt and seed give byte-identical files.

>>> png = sky_png({"zenith": [0.07, 0.24, 0.68], "horizon": [0.55, 0.68, 0.83], "ground": [0.11, 0.1, 0.09]})
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n" and len(png) < 4000
True
"""
from __future__ import annotations

import math
import os
import struct
import zlib
from typing import Any

import numpy as np

__all__ = ["sky_of", "sky_png", "sky_asset_name", "SKY_SIZE"]

SKY_SIZE = (128, 64)  # width x height of the lat-long image


def sky_of(scene: Any) -> dict | None:
    """The scene's sky colours (zenith, horizon, ground), or None when the scene has none."""
    env = scene.metadata.get("environment") if isinstance(getattr(scene, "metadata", None), dict) else None
    sky = env.get("sky") if isinstance(env, dict) else None
    if not isinstance(sky, dict):
        return None
    try:
        cols = {k: np.clip(np.asarray(sky[k], np.float64).reshape(3), 0.0, 1.0) for k in ("zenith", "horizon", "ground")}
    except (KeyError, TypeError, ValueError):
        return None
    return {k: v.tolist() for k, v in cols.items()} if all(np.all(np.isfinite(v)) for v in cols.values()) else None


def sky_asset_name(layer_path: str | os.PathLike) -> str:
    """The image's file name for a layer ``NAME.usdc``: ``NAME_sky.png``."""
    return os.path.splitext(os.path.basename(os.fspath(layer_path)))[0] + "_sky.png"


def sky_png(sky: dict) -> bytes:
    """A lat-long PNG of ``sky`` (linear colours): row 0 straight up, the horizon at the middle row, the ground
    colour below it (the gradient of :func:`scenegraph.world.sky.sky_color_at`, the same in every direction)."""
    from scenegraph.world.sky import sky_color_at

    w, h = SKY_SIZE
    elev = (0.5 - (np.arange(h) + 0.5) / h) * math.pi
    rgb = sky_color_at(sky, elev)
    srgb = np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * np.power(np.clip(rgb, 0, None), 1 / 2.4) - 0.055)
    row = np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8)  # (h, 3)
    raw = b"".join(b"\x00" + bytes(np.repeat(row[y][None], w, axis=0).ravel()) for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
