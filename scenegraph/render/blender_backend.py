"""The Blender beauty renderer: our own glTF export rendered by real Blender (``bpy``), as Kubric does.

:func:`render_blender` takes the scene, the glTF file the application layer
wrote for it (render does not import the exporters) and the frames; it runs
:mod:`scenegraph.render.blender_job` in a child Python (a Blender crash or hang
cannot take the caller down; ``timeout`` bounds it), reads the frames back and
adds the ground-truth passes from our own z-buffer of the world state
(:meth:`~scenegraph.render.lit.LitRenderer.passes`), so depth, instance and
visibility are exactly those of the built-in renderer.

Exposure and sky follow :mod:`scenegraph.render.sky`: the glTF importer turns
lux into W/m^2 (/683) and candela into watts the same way, so one exposure
(683 / exposure_lux) and the same tone curve turn Blender's linear frame
into the built-in renderer's display range.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from scenegraph.errors import BackendError

__all__ = ["blender_available", "render_blender", "INSTALL_HINT"]

INSTALL_HINT = ("the Blender beauty renderer needs Blender's Python module: pip install bpy "
                "(Blender 5.0 as a module, Python 3.11; the 'blender' extra)")
_CYCLES_GAIN = 1.0  # Cycles radiance -> our display-linear units, after the exposure


def blender_available() -> bool:
    """True when ``import bpy`` would find a module (nothing is imported here)."""
    try:
        return importlib.util.find_spec("bpy") is not None
    except (ValueError, ImportError):  # sys.modules["bpy"] = None, or a broken parent package
        return False


def render_blender(
    scene: Any,
    gltf_path: str | os.PathLike,
    timeline: Any,
    *,
    camera: str | None,
    frames: Sequence[int],
    width: int,
    height: int,
    background: Sequence[float] | None = None,
    engine: str = "auto",
    samples: int = 16,
    threads: int | None = None,
    passes: bool = True,
    stats: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    timeout: float | None = None,
) -> list:
    """Frames of ``scene`` rendered by Blender from ``gltf_path`` (our export of that scene), through
    ``camera``, or with None the live camera of each frame (the cut list, as the built-in renderer does).

    ``engine``: "auto"/"cycles" (Cycles; the GPU when Cycles finds one) or
    "eevee" (needs a GPU context; Cycles if it fails).  Returns
    :class:`~scenegraph.render.frames.RenderedFrame` objects.  Raises
    BackendError when bpy is missing or Blender fails.
    """
    from scenegraph.render.frames import RenderedFrame
    from scenegraph.render.lit import EXPOSURE, LitRenderer, tone_map
    from scenegraph.render.sky import frame_lighting, sky_colour
    from scenegraph.world.views import PinholeCamera

    if not blender_available():
        raise BackendError(INSTALL_HINT)
    if engine not in ("auto", "cycles", "eevee"):
        raise BackendError(f"blender engine must be auto, cycles or eevee, got {engine!r}")
    from scenegraph.model.lens import camera_at
    from scenegraph.world.coverage import active_cameras

    live = active_cameras(scene, timeline.time) if camera is None else [camera] * timeline.frame_count
    if not live:
        raise BackendError("blender renderer: the scene has no camera")
    params = scene.entity(live[frames[0]] if len(frames) else live[0]).camera
    index = {eid: i for i, eid in enumerate(timeline.ids)}
    world_all = timeline.world_matrices()
    light = frame_lighting(scene, world_all[frames[0]], index)
    if background is not None:
        flat = [float(c) for c in background]
        sky = {"below": flat, "horizon": flat, "mid": flat, "zenith": flat}
    else:
        dirs = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.36, 0.93], [0.0, 1.0, 0.0]])
        cols = sky_colour(light, dirs)
        sky = {"below": cols[0].tolist(), "horizon": cols[1].tolist(), "mid": cols[2].tolist(), "zenith": cols[3].tolist()}
    scale = light.exposure_lux / 683.0  # display-linear -> Blender radiance
    with tempfile.TemporaryDirectory(prefix="scenegraph_blender_") as tmp:
        job = {
            "gltf": str(Path(gltf_path).resolve()), "output": tmp, "fps": float(scene.fps),
            "width": int(width), "height": int(height), "yfov": float(params.yfov),
            "znear": float(getattr(params, "znear", 0.05) or 0.05), "zfar": float(getattr(params, "zfar", 1000.0) or 1000.0),
            "engine": engine, "samples": int(samples), "threads": threads,
            "sky": sky, "radiance_scale": scale,
            "frames": [{"frame": int(f), "camera_world": world_all[f][index[live[f]]].tolist(),
                        "yfov": float(camera_at(scene.entity(live[f]), float(timeline.time[f])).yfov)} for f in frames],
        }
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job))
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        cmd = [sys.executable, "-m", "scenegraph.render.blender_job", str(job_path)]
        log: list[str] = []
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        except OSError as exc:
            raise BackendError(f"blender renderer: cannot start {sys.executable} ({exc.strerror})") from None
        done = 0
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.append(line)
                if line.startswith("frame ") and progress is not None:
                    done += 1
                    progress(done, len(frames))
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise BackendError(f"blender renderer: no result after {timeout} s") from None
        if rc != 0 or not (Path(tmp) / "result.json").exists():
            tail = "".join(log[-15:]).strip()
            raise BackendError(f"blender renderer failed (exit {rc}): {tail[-800:]}")
        if stats is not None:
            stats.update(json.loads((Path(tmp) / "result.json").read_text()))
        lit = LitRenderer(scene)
        makers: dict = {}
        out = []
        for f in frames:
            cam = live[f]
            maker = None
            if passes:
                from scenegraph.render.passes import PassMaker

                maker = makers.get(cam) or makers.setdefault(cam, PassMaker(scene, timeline, cam, width, height, world=world_all))
            vis = timeline.visibility.get(cam)
            radiance = np.load(Path(tmp) / f"rgb_{int(f):04d}.npy").astype(np.float64)
            rgb = tone_map(EXPOSURE * _CYCLES_GAIN * radiance / scale).astype(np.float32)
            world = world_all[f]
            pin = PinholeCamera.from_scene_camera(camera_at(scene.entity(cam), float(timeline.time[f])),
                                                  world[index[cam]], width, height)
            depth, inst = lit.passes(world, index, pin)
            alpha = (inst >= 0).astype(np.float32)
            visible = [] if vis is None else [timeline.ids[i] for i in np.flatnonzero(vis.visible[f])]
            fr = RenderedFrame(int(f), float(timeline.time[f]), cam, tuple(timeline.ids), rgb, alpha, depth, inst, visible)
            if maker is not None:
                fr.passes, fr.boxes, fr.classes = maker.frame(int(f)), maker.boxes(int(f)), maker.classes
            out.append(fr)
    return out
