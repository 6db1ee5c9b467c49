"""Runs inside a separate Python with Blender's ``bpy``: ``python -m scenegraph.render.blender_job JOB.json``.

The job (written by :mod:`scenegraph.render.blender_backend`) names our own
glTF export of the scene, the frames with their camera matrices, the sky and
the exposure.  This imports the glTF as an artist would (meshes, materials,
skins, KHR lights, animation), adds a camera that matches ours exactly and a
sky gradient world, renders each frame with Cycles (CPU, or GPU when Cycles
finds one; few samples + denoising) or EEVEE, and writes ``rgb_NNNN.npy``
(H, W, 3) float32 linear scene radiance (W/m^2/sr units as Blender's) beside
a ``result.json``; the caller applies the exposure and the tone curve, the same
as the built-in renderer's.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

# glTF (+Y up) -> Blender (+Z up): (x, y, z) -> (x, -z, y)
_C = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])


def _world(bpy, job: dict) -> None:
    """The scene's sky gradient as Blender's world, at the job's radiance scale (blender_look's node tree)."""
    from scenegraph.render.blender_look import _world as sky_world

    sky = job["sky"]
    stops = [(0.0, sky["below"]), (0.5, sky["horizon"]), (0.62, sky["mid"]), (1.0, sky["zenith"])]
    sky_world(bpy, [(pos, [float(c) for c in col]) for pos, col in stops], float(job["radiance_scale"]))


def _engine(bpy, job: dict) -> str:
    scene = bpy.context.scene
    want = job.get("engine", "auto")
    if want == "eevee":
        try:
            scene.render.engine = "BLENDER_EEVEE"
            scene.eevee.taa_render_samples = int(job.get("samples", 16))
            return "eevee"
        except Exception:  # noqa: BLE001 - no GPU context: Cycles instead
            pass
    scene.render.engine = "CYCLES"
    cyc = scene.cycles
    cyc.samples = int(job.get("samples", 16))
    cyc.use_adaptive_sampling = True
    cyc.use_denoising = True
    cyc.max_bounces = 4
    cyc.diffuse_bounces = 2
    cyc.glossy_bounces = 2
    cyc.transmission_bounces = 4
    cyc.volume_bounces = 0
    device = "CPU"
    try:
        prefs = bpy.context.preferences.addons["cycles"].preferences
        for kind in ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL"):
            try:
                prefs.compute_device_type = kind
            except TypeError:
                continue
            prefs.get_devices()
            gpus = [d for d in prefs.devices if d.type != "CPU"]
            if gpus:
                for d in prefs.devices:
                    d.use = d.type != "CPU"
                device = kind
                break
    except Exception:  # noqa: BLE001 - no GPU: the CPU renders
        device = "CPU"
    cyc.device = "GPU" if device != "CPU" else "CPU"
    if device == "CPU":
        scene.render.threads_mode = "FIXED" if job.get("threads") else "AUTO"
        if job.get("threads"):
            scene.render.threads = int(job["threads"])
    return f"cycles-{device.lower()}"


def _camera(bpy, job: dict):
    cam_data = bpy.data.cameras.new("scenegraph_render_camera")
    cam_data.sensor_fit = "VERTICAL"
    cam_data.angle_y = float(job["yfov"])
    cam_data.clip_start = float(job.get("znear", 0.05))
    cam_data.clip_end = float(job.get("zfar", 1000.0))
    cam = bpy.data.objects.new("scenegraph_render_camera", cam_data)
    bpy.context.scene.collection.objects.link(cam)
    bpy.context.scene.camera = cam
    return cam


def main(job_path: str) -> int:
    import bpy
    from mathutils import Matrix

    job = json.loads(Path(job_path).read_text())
    out = Path(job["output"])
    t0 = time.perf_counter()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    fps = float(job["fps"])
    scene.render.fps = max(1, int(round(fps)))
    scene.render.fps_base = scene.render.fps / fps
    bpy.ops.import_scene.gltf(filepath=job["gltf"])
    for ob in list(bpy.data.objects):
        if ob.type == "CAMERA":
            ob.hide_render = True
    for lamp in bpy.data.lights:  # our renderer's lights are pi x Blender's (a Lambert surface reads albedo x E, not / pi)
        lamp.energy *= math.pi
    from scenegraph.render.blender_look import _scale_emission

    for mat in bpy.data.materials:  # emission is display-referred (a lit window reads as authored): into radiance units
        if mat.node_tree is not None:
            _scale_emission(mat, float(job["radiance_scale"]))
    _world(bpy, job)
    engine = _engine(bpy, job)
    cam = _camera(bpy, job)
    r = scene.render
    r.resolution_x, r.resolution_y = int(job["width"]), int(job["height"])
    r.resolution_percentage = 100
    r.film_transparent = False
    r.image_settings.file_format = "OPEN_EXR"
    r.image_settings.color_mode = "RGB"
    r.image_settings.color_depth = "32"
    setup = time.perf_counter() - t0
    times = []
    for item in job["frames"]:
        t = time.perf_counter()
        # our frame f is at time f / fps; the glTF importer keys time t at Blender frame t * fps
        scene.frame_set(int(item["frame"]), subframe=0.0)
        cam.matrix_world = Matrix((_C @ np.asarray(item["camera_world"], dtype=np.float64)).tolist())
        cam.data.angle_y = float(item.get("yfov", job["yfov"]))  # the live camera's lens at this frame (a zoom)
        png = out / f"rgb_{int(item['frame']):04d}.exr"
        r.filepath = str(png)
        bpy.ops.render.render(write_still=True)
        img = bpy.data.images.load(str(png), check_existing=False)
        w, h = img.size
        px = np.empty(w * h * img.channels, np.float32)
        img.pixels.foreach_get(px)
        bpy.data.images.remove(img)
        rgb = px.reshape(h, w, -1)[::-1, :, :3]
        np.save(out / f"rgb_{int(item['frame']):04d}.npy", np.ascontiguousarray(rgb))
        times.append(time.perf_counter() - t)
        print(f"frame {item['frame']} {times[-1]:.2f} s", flush=True)
    (out / "result.json").write_text(json.dumps({"engine": engine, "setup_s": setup, "frame_s": times,
                                                 "blender": bpy.app.version_string}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[-1]))

