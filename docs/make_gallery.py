"""Render the gallery in docs/gallery/: one PNG contact sheet per sample prompt (lit, built-in renderer).

    PYTHONPATH=. python docs/make_gallery.py                 # all sheets, ~1-2 minutes on 2 cores
    PYTHONPATH=. python docs/make_gallery.py --only 0 8      # the first and the ninth prompt
    PYTHONPATH=. python docs/make_gallery.py --renderer blender

Each sheet shows the prompt above four frames spread over the shot (first,
two in between, last), each captioned with its time.  Scenes are built with
seed 0 by the rules director, exactly as ``scenegraph build`` does; frames are
rendered 2x supersampled (smooth edges) and kept small (about 100-300 kB a
sheet).  Needs Pillow for the captions (``pip install Pillow``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
PROMPTS = [
    ("street", "A pedestrian crosses the street from left to right, pauses at the kerb for two seconds, "
               "then continues while a red car turns into the scene"),
    ("truck_night", "A blue truck drives from right to left on the road at night"),
    ("park_sunset", "A tall tree stands behind a wooden bench in the park at sunset"),
    ("dog_park", "A dog runs around the tree in the park"),
    ("table", "A red ball sits on the table next to a blue mug"),
    ("horse_field", "A big brown horse gallops from right to left across the field"),
    ("bus", "A yellow bus drives into the scene from the left"),
    ("living_room", "A cat sleeps on the sofa in the living room while the camera orbits around the sofa"),
]


def sheet(prompt: str, frames: list, times: list[float], width: int) -> "object":
    from PIL import Image, ImageDraw, ImageFont

    from scenegraph.render.frames import _srgb8

    tiles = [Image.fromarray(_srgb8(fr.rgb)) for fr in frames]
    tw, th = tiles[0].size
    pad, head = 6, 34
    cols = len(tiles)
    img = Image.new("RGB", (cols * tw + (cols + 1) * pad, th + head + 2 * pad), (24, 24, 28))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=15)
        small = ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1
        font = small = ImageFont.load_default()
    text = prompt if len(prompt) < 150 else prompt[:147] + "..."
    draw.text((pad + 2, 9), f"\u201c{text}\u201d", fill=(235, 235, 235), font=font)
    for i, (tile, t) in enumerate(zip(tiles, times)):
        x = pad + i * (tw + pad)
        img.paste(tile, (x, head + pad))
        draw.rectangle([x, head + pad + th - 18, x + 52, head + pad + th], fill=(0, 0, 0))
        draw.text((x + 4, head + pad + th - 16), f"{t:4.1f} s", fill=(255, 255, 255), font=small)
    return img


def render_prompt(prompt: str, *, width: int, renderer: str, supersample: int) -> tuple[list, list[float]]:
    import scenegraph
    from scenegraph import pipeline
    from scenegraph.world import simulate

    scene = scenegraph.build(prompt, seed=0)
    tl = simulate(scene)
    n = tl.frame_count
    picks = sorted({0, n // 3, (2 * n) // 3, n - 1})
    frames = pipeline.render_frames(scene, renderer=renderer, timeline=tl, frames=picks, width=width * supersample,
                                    passes=False, warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    if supersample > 1:
        for fr in frames:
            h, w = (fr.rgb.shape[0] // supersample) * supersample, (fr.rgb.shape[1] // supersample) * supersample
            fr.rgb = fr.rgb[:h, :w].reshape(h // supersample, supersample, w // supersample, supersample, 3).mean(axis=(1, 3))
    return frames, [float(tl.time[f]) for f in picks]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "gallery"))
    ap.add_argument("--width", type=int, default=320, help="width of one frame on the sheet")
    ap.add_argument("--renderer", default="builtin", choices=("builtin", "blender"))
    ap.add_argument("--supersample", type=int, default=2)
    ap.add_argument("--only", type=int, nargs="*", default=None, help="indices into the prompt list")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    picks = range(len(PROMPTS)) if args.only is None else args.only
    for i in picks:
        name, prompt = PROMPTS[i]
        t = time.perf_counter()
        frames, times = render_prompt(prompt, width=args.width, renderer=args.renderer, supersample=args.supersample)
        path = out / f"{name}.png"
        sheet(prompt, frames, times, args.width).save(path, optimize=True)
        print(f"{path}  {path.stat().st_size // 1024} kB  {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
