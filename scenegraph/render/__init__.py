"""Render frames and ground-truth passes of a simulated scene.

The world state decides everything; this module only looks at it:

- ``rgb``, ``alpha``, ``depth``: every object's Gaussians, posed by the
  Timeline, through the splat rasterizer (gsplat on CUDA, PyTorch on CPU),
  over the ground-like surfaces (ground, road, floor) drawn as shaded meshes;
- ``instance``: which entity each pixel shows, from the posed proxy meshes
  (an exact z-buffer, so masks have hard edges), -1 for background;
- ``visible``: the Timeline's per-camera visibility record for that frame.

>>> from scenegraph.render import parse_frames
>>> parse_frames("0:48:12", 100)
[0, 12, 24, 36]
"""
from scenegraph.render.frames import RenderedFrame, parse_frames, render, write_frames

__all__ = ["RenderedFrame", "render", "write_frames", "parse_frames"]
