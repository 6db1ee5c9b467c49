"""The application layer: prompt -> scene -> files.  The only core module (with
``cli``) that imports ``exporters``.

A TD's ten lines::

    import scenegraph
    from scenegraph import pipeline
    scene = scenegraph.build("a red car drives from left to right", seed=1)
    pipeline.export(scene, "car.glb")
    pipeline.export(scene, "car.usdc")
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from scenegraph.errors import BackendError, FormatError, SpecError
from scenegraph.model import Scene

__all__ = ["build", "export", "export_all", "usd_standby", "shared_timeline", "load", "carry_splats", "inspect", "format_summary", "simulate_to_npz", "attach", "fit_capture", "rerender", "render_frames"]


def build(
    prompt: str,
    *,
    seed: int = 0,
    director: str = "rules",
    fps: float | None = None,
    duration: float | None = None,
    gaussians: str = "proxy",
    refine: str | os.PathLike | None = None,
    refine_steps: int = 100,
    progress: bool = False,
) -> Scene:
    """Text -> Scene: direct (prompt -> SceneSpec), lay out, plan motion, give appearance.

    ``director``: ``rules`` (offline), ``transformers:PATH`` or ``openai:URL[#model]``.
    ``gaussians``: ``proxy`` (sampled on each proxy mesh), ``fit`` (fitted to
    proxy renders; needs torch) or ``none``.  ``refine``: a local diffusers text-to-image
    folder; each entity's Gaussians are then refined toward its own words by score
    distillation (:func:`scenegraph.appearance.sds.refine_scene`, ``refine_steps`` each,
    cached).  Raises SpecError for an empty or
    unusable prompt, LayoutError for contradictory relations, BackendError when
    a model backend fails.
    """
    scene = _world(prompt, seed=seed, director=director, fps=fps, duration=duration, gaussians=gaussians, refine=refine)
    _look(scene, seed=seed, gaussians=gaussians, refine=refine, refine_steps=refine_steps, progress=progress)
    return scene


def _world(prompt: str, *, seed: int, director: str, fps: float | None, duration: float | None, gaussians: str,
           refine: str | os.PathLike | None) -> Scene:
    """:func:`build` up to the look: the checks, the spec, the laid-out and moving world (no Gaussians yet)."""
    from scenegraph.world.builder import build_scene
    from scenegraph.director import direct

    if not isinstance(prompt, str) or not prompt.strip():
        raise SpecError("the prompt is empty: describe a scene, e.g. 'a red car drives from left to right'")
    if refine is not None:
        from scenegraph.appearance.refine import check_refiner_folder

        check_refiner_folder(refine)  # before any work
        if gaussians == "none":
            raise SpecError("--refine refines the entities' Gaussians: it needs --gaussians proxy or fit")
    from scenegraph.model.limits import check_scene_length

    problem = check_scene_length(duration or 0.0, fps or 24.0)
    if problem:
        raise SpecError(problem)
    spec, warnings = direct(prompt, director=director, seed=seed)
    scene = build_scene(spec, seed=seed, fps=fps, duration=duration, prompt=prompt, director=director)
    problem = check_scene_length(scene.duration, scene.fps)
    if problem:
        raise SpecError(f"{problem}: shorten the actions or pass a shorter duration")
    if warnings:
        scene.metadata["warnings"] = list(scene.metadata.get("warnings", [])) + list(warnings)
    return scene


def _look(scene: Scene, *, seed: int, gaussians: str, refine: str | os.PathLike | None = None, refine_steps: int = 100,
          progress: bool = False) -> None:
    """:func:`build`'s last step: each object's Gaussians (``gaussians`` mode), refined when ``refine`` is given."""
    if gaussians != "none":
        from scenegraph.appearance.assign import assign_gaussians

        assign_gaussians(scene, mode=gaussians, seed=seed)
    if refine is not None:
        from scenegraph.appearance.sds import refine_scene

        refine_scene(scene, refine, steps=refine_steps, seed=seed, progress=progress)


def export(scene: Scene, path: str | os.PathLike, **options: Any) -> Path:
    """Write ``scene`` to ``path`` (format by suffix); see :func:`exporters.export`."""
    import exporters

    return exporters.export(scene, path, **options)


def export_all(scene: Scene, paths: Any, **options: Any) -> list[Path]:
    """Write ``scene`` to each of ``paths`` (formats by suffix), the same bytes as :func:`export` one after another;
    the glTF and USD writers share one simulated Timeline, and with two or more cores the USD files are
    written meanwhile by a forked child (see :func:`exporters.export_all`)."""
    import exporters

    return exporters.export_all(scene, paths, **options)


def usd_standby(paths: Any) -> Any:
    """Start the USD writer of ``export_all(scene, paths, standby=it)`` before building the scene: a forked
    child loads usd-core meanwhile (None where export_all would not fork).  ``close()`` it when done::

        standby = pipeline.usd_standby(["lot.glb", "lot.usdc"])
        try:
            pipeline.export_all(pipeline.build("a parking lot with 100 cars"), ["lot.glb", "lot.usdc"], standby=standby)
        finally:
            if standby is not None:
                standby.close()
    """
    import exporters

    return exporters.usd_standby(paths)


def shared_timeline(scene: Scene, paths: Any) -> Any:
    """The Timeline the writers of ``paths`` can share (``export(..., timeline=it)``): simulated once when two
    or more of them animate the scene (glTF, USD), else None (each writer simulates what it needs).  Without
    the per-camera visibility, which no writer reads."""
    from exporters._together import shared_timeline as _shared

    return _shared(scene, paths)


def load(path: str | os.PathLike, *, allow_paths: Any = None) -> Scene:
    """Read a scene file of any supported format; what it points to must lie in its folder or under
    ``allow_paths`` (see :func:`exporters.load`)."""
    import exporters

    return exporters.load(path, allow_paths=allow_paths)


def carry_splats(scene: Scene, source: "Scene | str | os.PathLike") -> list[str]:
    """Give each entity of ``scene`` that has no Gaussians those of the entity with its id in ``source``
    (a Scene or a scene file); returns the ids that got them, in scene order.

    Blender's glTF exporter drops ``KHR_gaussian_splatting``, so a file an artist edited in Blender
    loads with ``gaussians=None`` (and renders with splats sampled on the proxies).  The splats live
    in each entity's own frame, so the original ones still fit wherever the artist moved, turned or
    scaled the entity::

        edited = pipeline.load("edited.glb")          # exported by Blender
        pipeline.carry_splats(edited, "street.glb")   # the file the artist started from
    """
    src = source if isinstance(source, Scene) else load(source)
    done = []
    for e in scene.entities():
        if e.gaussians is None and e.id in src and src.kind_of(e.id) == "entity":
            g = src.entity(e.id).gaussians
            if g is not None:
                scene.update(e.id, gaussians=g)
                done.append(e.id)
    return done


def inspect(scene: Scene) -> dict:
    """The stable machine-readable summary printed by ``scenegraph inspect --json``."""
    entities = []
    for e in scene.entities():
        mat = scene.material_of(e.id)
        par = scene.parent_of(e.id)
        traj = scene.trajectory_of(e.id)
        entities.append(
            {
                "id": e.id,
                "name": e.name,
                "class": e.cls,
                "kind": e.kind,
                "material": mat.id if mat else None,
                "parent": par.id if par else None,
                "trajectory": traj.id if traj else None,
                "bounds": e.bounds.tolist(),
            }
        )
    return {
        "fps": scene.fps,
        "duration": scene.duration,
        "entities": entities,
        "materials": [
            {"id": m.id, "base_color": m.base_color.tolist(), "metallic": m.metallic, "roughness": m.roughness}
            for m in scene.materials()
        ],
        "trajectories": [
            {
                "id": t.id,
                "keyframes": int(t.times.size),
                "start": t.start,
                "end": t.end,
                "interpolation": t.interpolation,
                "speed": t.speed,
                "heading": t.heading,
                "loop": t.loop,
            }
            for t in scene.trajectories()
        ],
        "relations": [{"subject": s, "rel": r, "object": o} for s, r, o in scene.relations()],
        **_self_check(scene),
    }


def _self_check(scene: Scene) -> dict:
    """For a scene built from a prompt: each clause of its plan checked in the simulated world, and the
    plausibility checks (``plan``, ``plausibility``); nothing for other scenes."""
    if not scene.metadata.get("spec"):
        return {}
    from scenegraph.world import simulate
    from scenegraph.world.plausibility import check_world
    from scenegraph.world.selfcheck import check_plan

    tl = simulate(scene)
    return {"plan": check_plan(scene, tl), "plausibility": check_world(scene, tl)}


def format_summary(summary: dict, scene: Scene | None = None) -> str:
    """A readable text form of :func:`inspect`'s dict."""
    last = int(summary["duration"] * summary["fps"] + 1e-9)
    lines = [f"scene: {summary['duration']:g} s at {summary['fps']:g} fps (frames 0-{last}), {len(summary['entities'])} entities"]
    if scene is not None and scene.prompt:
        lines.append(f"prompt: {scene.prompt}")
    for e in summary["entities"]:
        size = np.subtract(e["bounds"][1], e["bounds"][0])
        extra = [f"{e['kind']}" if e["kind"] != "object" else e["class"]]
        if e["material"]:
            extra.append(f"material {e['material']}")
        if e["parent"]:
            extra.append(f"parent {e['parent']}")
        if e["trajectory"]:
            extra.append(f"follows {e['trajectory']}")
        lines.append(f"  {e['id']:<16} {', '.join(extra)}; size {size[0]:.2f} x {size[1]:.2f} x {size[2]:.2f} m")
    for m in summary["materials"]:
        rgb = ", ".join(f"{c:.2f}" for c in m["base_color"])
        lines.append(f"  material {m['id']}: base colour ({rgb}), metallic {m['metallic']:g}, roughness {m['roughness']:g}")
    for t in summary["trajectories"]:
        lines.append(f"  trajectory {t['id']}: {t['keyframes']} keys, {t['start']:g}-{t['end']:g} s, {t['interpolation']}")
    for r in summary["relations"]:
        lines.append(f"  {r['subject']} {r['rel'].replace('_', ' ')} {r['object']}")
    if "plan" in summary:
        from scenegraph.world.selfcheck import format_plan_check

        lines.append("plan, as the simulated world does it:")
        lines += format_plan_check(summary["plan"])
        bad = {k: v for k, v in summary["plausibility"].items() if v}
        lines.append("plausibility: " + ("clean" if not bad else "; ".join(p for v in bad.values() for p in v)))
        for w in scene.metadata.get("warnings", []) if scene is not None else []:
            lines.append(f"  warning: {w}")
    return "\n".join(lines)


def simulate_to_npz(scene_path: str | os.PathLike, output: str | os.PathLike, *, fps: float | None = None, duration: float | None = None) -> None:
    """Simulate a scene file and write its Timeline arrays to ``output`` (.npz) atomically."""
    from scenegraph.model.files import atomic_write
    from scenegraph.world import simulate

    if Path(output).suffix.lower() != ".npz":
        raise FormatError(f"{output}: the timeline is written as .npz")
    timeline = simulate(load(scene_path), fps=fps, duration=duration)
    buf = io.BytesIO()
    np.savez_compressed(buf, **timeline.to_npz_dict())
    atomic_write(output, buf.getvalue())


def attach(scene_path: str | os.PathLike, entity_id: str, capture: str | os.PathLike, *, fit: bool = True, output: str | os.PathLike | None = None) -> Scene:
    """Give ``entity_id`` the Gaussians of an INRIA ``.ply`` capture and save the scene."""
    from exporters.ply import read_ply
    from scenegraph.appearance.ops import fit_to_bounds

    scene = load(scene_path)
    entity = scene.entity(entity_id)
    g = read_ply(capture)
    if fit:
        g = fit_to_bounds(g, entity.bounds)
    # a capture carries its own look: the lit renderer draws it as splats, not as the proxy mesh
    scene.update(entity_id, gaussians=g, attributes={**(entity.attributes or {}), "splats": "capture"})
    export(scene, output or scene_path)
    return scene


def fit_capture(capture: str | os.PathLike, output: str | os.PathLike, *, steps: int | None = None, num_gaussians: int = 5000, seed: int = 0, refiner: str | None = None, progress: bool = True, init_points: bool = True) -> Any:
    """Fit Gaussians to a posed capture (transforms.json or a COLMAP text/binary model) and write a .ply.

    A COLMAP model's ``points3D`` (when present and ``init_points``) start the fit: one
    Gaussian per point (a seeded subsample down to ``num_gaussians``), coloured like it.

    Returns the :class:`~scenegraph.appearance.fit.FitResult` (held-out PSNR and
    SSIM, seconds).  Raises FormatError for a bad capture or output suffix,
    BackendError when torch (or the refiner's weights) are missing.
    """
    from exporters.ply import write_ply
    from scenegraph.appearance.captures import load_capture

    if Path(output).suffix.lower() != ".ply":
        raise FormatError(f"{output}: fitted splats are written as .ply")
    try:
        from scenegraph.appearance.fit import fit_gaussians
    except ImportError as exc:
        raise BackendError(f"fitting needs torch ({exc}); install a CPU build: pip install torch --index-url https://download.pytorch.org/whl/cpu") from None
    views = load_capture(capture)
    if refiner:
        from scenegraph.appearance.refine import refine_views

        views = refine_views(views, refiner, prompt="a photo", seed=seed)
    options: dict[str, Any] = {} if steps is None else {"steps": steps}
    if init_points and Path(capture).is_dir():
        from scenegraph.appearance.captures import colmap_model_dir
        from scenegraph.appearance.colmap import points_to_gaussians, read_points3d

        model = colmap_model_dir(Path(capture))
        points = read_points3d(model) if model is not None else None
        if points is not None and len(points[0]):
            options["init"] = points_to_gaussians(*points, budget=num_gaussians, seed=seed)
    result = fit_gaussians(views, num_gaussians=num_gaussians, seed=seed, progress=progress, **options)
    write_ply(result.gaussians, output)
    return result


def rerender(scene: "Scene | str | os.PathLike", output: str | os.PathLike, **options: Any) -> Any:
    """Neural re-render of a scene (or scene file) into the folder ``output``: control videos, a
    Cosmos-Transfer spec and, with ``model=DIR``, the re-rendered frames and mp4; see
    :func:`scenegraph.render.rerender.rerender` for the options."""
    from scenegraph.render.rerender import rerender as _rerender

    return _rerender(scene if isinstance(scene, Scene) else load(scene), output, **options)


def render_frames(scene: Scene, *, renderer: str = "builtin", timeline: Any = None, warn: Any = None, **options: Any) -> list:
    """Lit frames and ground-truth passes of ``scene`` (see :func:`scenegraph.render.render`).

    ``renderer``: "builtin" (numpy, about a second a frame), "blender" (our glTF
    export rendered by Blender's Cycles; ``engine``, ``samples``, ``threads``) or
    "splats".  Without ``bpy``, "blender" falls back to "builtin" after one
    ``warn(message)`` (default: :func:`warnings.warn`).
    """
    from scenegraph.render.blender_backend import INSTALL_HINT, blender_available
    from scenegraph.render.frames import parse_frames, render

    blender_opts = {k: options.pop(k) for k in ("engine", "samples", "threads", "timeout", "stats") if k in options}
    if renderer == "blender" and not blender_available():
        message = f"bpy is not installed, rendering with the built-in renderer instead; {INSTALL_HINT}"
        if warn is None:
            import warnings

            warnings.warn(message, RuntimeWarning, stacklevel=2)
        else:
            warn(message)
        renderer = "builtin"
    if renderer != "blender":
        return render(scene, timeline, renderer=renderer, **options)
    import tempfile

    from scenegraph.errors import ModelError
    from scenegraph.render.blender_backend import render_blender
    from scenegraph.world import simulate

    tl = timeline if timeline is not None else simulate(scene)
    if not scene.cameras():
        raise ModelError("render: the scene has no camera")
    camera = options.get("camera")  # None: the live shot's camera at each frame, as the built-in renderer
    if camera is not None and scene.entity(camera).kind != "camera":
        raise ModelError(f"render: {camera!r} is a {scene.entity(camera).kind}, not a camera")
    params = scene.entity(camera or scene.cameras()[0].id).camera
    w = int(options.get("width") or params.width)
    h = int(options.get("height") or round(w / params.aspect))
    todo = parse_frames(options.get("frames"), tl.frame_count)
    with tempfile.TemporaryDirectory(prefix="scenegraph_render_") as tmp:
        gltf = Path(tmp) / "scene.glb"
        export(scene, gltf)
        return render_blender(scene, gltf, tl, camera=camera, frames=todo, width=w, height=h,
                              background=options.get("background"), progress=options.get("progress"),
                              passes=options.get("passes", True), **blender_opts)


def render_record(scene: Scene, output: Any, frames: list, **options: Any) -> list:
    """Write the record (:mod:`scenegraph.render.since`) of a render into its folder, for a later ``--since``."""
    from scenegraph.render.since import settings_for, write_record

    return write_record(scene, output, settings_for(scene, **options), [fr.frame for fr in frames])


def render_update(scene: Scene, output: Any, since: Any, *, frames: Any = None, timeline: Any = None, progress: Any = None,
                  warn: Any = None, **options: Any) -> tuple[list, Any]:
    """Re-render only the frames of ``scene`` an edit changed since the render in folder ``since``, into ``output``
    (the rest copied); returns (files, :class:`scenegraph.render.since.Plan`).  Options as :func:`render_frames`."""
    from scenegraph.render.since import render_since, settings_for
    from scenegraph.world import simulate

    tl = timeline if timeline is not None else simulate(scene)
    return render_since(scene, output, since, lambda todo: render_frames(scene, timeline=tl, frames=todo, progress=progress,
                                                                        warn=warn, **options),
                        timeline=tl, frames=frames, settings=settings_for(scene, **options))
