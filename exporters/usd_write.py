"""The USD writer: a Scene and its Timeline as an animated, Y-up, metre stage.

Everything is authored with the Sdf layer API inside one ``Sdf.ChangeBlock``
(much faster than the Usd API for many time samples); arrays go through
``Vt.*Array.FromNumpy``.  Layout and unit conversions: :mod:`exporters.usd`.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from exporters._checks import check_timeline
from exporters._usd_author import Author, Prototypes, preview_material, set_samples, write_mesh, write_subsets
from exporters._usd_parts import write_parts
from exporters._usd_prims import write_camera, write_dome, write_lens, write_light, write_splats
from exporters._usd_common import (
    KEY,
    MARKER,
    MATERIALS,
    OPS,
    ROOT,
    SUFFIXES,
    VERSION,
    material_inputs,
    prim_name,
    tf_reason,
    xform_digest,
)
from scenegraph.model import serialize
from scenegraph.model.files import temp_prefix
from scenegraph.model.outputs import published_folder
from scenegraph.errors import FormatError

__all__ = ["write_stage", "reduce_samples"]

_POS_TOL = 1e-6  # metres (relative above 1 m): samples a linear segment reproduces are dropped
_ROT_TOL = 1e-7
_ZIP_EPOCH = 946684800  # 2000-01-01 UTC
PART_MATERIALS = ROOT + "/PartMaterials"  # part finishes (glass, rubber ...): no scene materials, the reader skips them


def write_stage(scene: Any, path: str | os.PathLike, *, timeline: Any = None, **options: Any) -> None:
    """Write ``scene`` to ``path`` (suffix picks usda / usdc / usdz); atomic.

    Raises FormatError for an unknown suffix or option, a timeline that does not
    match the scene, or a file that cannot be written.
    """
    from pxr import Tf

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FormatError(f"{path}: not a USD suffix (expected one of {', '.join(SUFFIXES)})")
    if options:
        raise FormatError(f"{path}: unknown option(s) for USD: {', '.join(sorted(options))}")
    if not path.parent.is_dir():
        raise FormatError(f"{path}: folder {path.parent} does not exist")
    if timeline is None:
        from scenegraph.world import simulate

        timeline = simulate(scene)
    check_timeline(scene, timeline, path)
    layer_suffix = ".usda" if suffix == ".usda" else ".usdc"
    # the layer is written in a temp folder beside the target, then renamed (or packaged) into place;
    # inside a .usdz it is named after the target, so the package bytes do not depend on temp names
    tmp_dir = tempfile.mkdtemp(prefix=temp_prefix(path.name), suffix=".tmp", dir=path.parent)
    tmp_layer = os.path.join(tmp_dir, path.stem + layer_suffix)
    try:
        try:
            _author(scene, timeline, tmp_layer)
            sky = _sky_image(scene, tmp_layer)  # the DomeLight's image, beside the layer
            if suffix == ".usdz":
                tmp_out = os.path.join(tmp_dir, path.stem + ".usdz")
                _package(scene, path, tmp_layer, tmp_out, extra=[sky] if sky else [])
                os.replace(tmp_out, path)
            else:
                if sky:
                    os.replace(sky, path.parent / os.path.basename(sky))
                os.replace(tmp_layer, path)
        except Tf.ErrorException as exc:
            raise FormatError(f"{path}: usd-core refused to write the stage ({tf_reason(exc)})") from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _sky_image(scene: Any, layer: str) -> str | None:
    """Write the sky's lat-long PNG beside ``layer`` (exporters/_usd_sky.py); its path, or None without a sky."""
    from exporters._usd_sky import sky_asset_name, sky_of, sky_png

    sky = sky_of(scene) if any(e.cls == "sky" for e in scene.entities("object")) else None
    if sky is None:
        return None
    out = os.path.join(os.path.dirname(layer), sky_asset_name(layer))
    with open(out, "wb") as fh:
        fh.write(sky_png(sky))
    return out


def _package(scene: Any, path: Path, layer: str, out: str, extra: list[str] = ()) -> None:
    """A .usdz at ``out``: the layer first, then the textures it names, at their relative paths.

    Sdf.ZipFileWriter (rather than UsdUtils.CreateNewUsdzPackage, which renames
    dependencies) keeps asset paths as authored; entries are dated ``_ZIP_EPOCH``.
    """
    from pxr import Sdf

    os.utime(layer, (_ZIP_EPOCH, _ZIP_EPOCH))
    files = [(layer, os.path.basename(layer))] + [(f, os.path.basename(f)) for f in extra]
    for f in extra:
        os.utime(f, (_ZIP_EPOCH, _ZIP_EPOCH))
    seen = set()
    for mat in scene.materials():
        tex = mat.texture
        if not tex or tex in seen or os.path.isabs(tex) or "://" in tex or ".." in Path(tex).parts:
            continue
        seen.add(tex)
        src = published_folder(path.parent) / tex
        if src.is_file():
            staged = os.path.join(os.path.dirname(layer), "tex", tex)
            os.makedirs(os.path.dirname(staged), exist_ok=True)
            shutil.copyfile(src, staged)
            os.utime(staged, (_ZIP_EPOCH, _ZIP_EPOCH))
            files.append((staged, Path(tex).as_posix()))
    writer = Sdf.ZipFileWriter.CreateNew(out)
    for src, name in files:
        if not writer.AddFile(src, name):
            raise FormatError(f"{path}: could not add {name} to the usdz package")
    if not writer.Save():
        raise FormatError(f"{path}: could not save the usdz package")


# --------------------------------------------------------------------------
# sample reduction
# --------------------------------------------------------------------------


def _slerp(q0: np.ndarray, q1: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Shortest-path slerp of xyzw quaternions (S, 4) at fractions a (S,), as Gf.Slerp does."""
    from scenegraph.world.trajectory import slerp

    return slerp(q0.T, q1.T, a).T


def _resample(keep: np.ndarray, v: np.ndarray, rotation: bool) -> np.ndarray:
    """Values at every frame interpolated (as USD does) from the kept frames."""
    frames = np.arange(len(v))
    seg = np.clip(np.searchsorted(keep, frames, side="right") - 1, 0, len(keep) - 2)
    lo, hi = keep[seg], keep[seg + 1]
    a = (frames - lo) / (hi - lo)
    v0, v1 = v[lo].astype(np.float64), v[hi].astype(np.float64)
    if rotation:
        return _slerp(v0, v1, a)
    return v0 + a[:, None] * (v1 - v0)


def reduce_samples(values: np.ndarray, rotation: bool = False) -> np.ndarray | None:
    """Frames (S,) whose samples reproduce ``values`` (F, D) by USD interpolation; None if constant.

    Constant runs and linear segments collapse to their end points; every dropped
    frame is checked against the interpolation (1e-6 m, 1e-7 for quaternions).
    """
    v = np.asarray(values)
    if len(v) == 1 or np.all(v == v[0]):
        return None
    vd = v.astype(np.float64)
    tol = _ROT_TOL if rotation else _POS_TOL * np.maximum(1.0, np.abs(vd).max(axis=1))
    keep = np.zeros(len(v), dtype=bool)
    keep[[0, -1]] = True
    if len(v) > 2:
        if rotation:
            mid = _slerp(vd[:-2], vd[2:], np.full(len(v) - 2, 0.5))
            dev = np.minimum(np.abs(vd[1:-1] - mid).max(axis=1), np.abs(vd[1:-1] + mid).max(axis=1))
        else:
            dev = np.abs(vd[1:-1] - 0.5 * (vd[:-2] + vd[2:])).max(axis=1)
        keep[1:-1] = dev > (tol if np.isscalar(tol) else tol[1:-1])
    for _ in range(len(v)):
        idx = np.flatnonzero(keep)
        rec = _resample(idx, v, rotation)
        err = np.abs(rec - vd).max(axis=1)
        if rotation:
            err = np.minimum(err, np.abs(rec + vd).max(axis=1))
        bad = err > tol
        if not bad.any():
            return idx
        keep |= bad
    return np.arange(len(v))


# --------------------------------------------------------------------------
# authoring
# --------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False, separators=(",", ":"))


def _author(scene: Any, timeline: Any, layer_path: str) -> None:
    from pxr import Sdf

    layer = Sdf.Layer.CreateNew(layer_path)
    if layer is None:
        raise FormatError(f"{layer_path}: usd-core could not create the layer")
    last = timeline.frame_count - 1
    layer.defaultPrim = ROOT.lstrip("/")
    layer.startTimeCode = 0.0
    layer.endTimeCode = float(last)
    layer.timeCodesPerSecond = float(timeline.fps)
    layer.framesPerSecond = float(timeline.fps)
    # UsdGeom's stage metadata, by name: the writer works at the Sdf level and never loads pxr.Usd (0.05 s)
    layer.pseudoRoot.SetInfo("upAxis", "Y")
    layer.pseudoRoot.SetInfo("metersPerUnit", 1.0)
    layer.documentation = "scenegraph scene; ids and settings in customData['scenegraph']"
    a = Author(layer)
    from scenegraph.appearance.tracks import Tracks

    with Tracks(scene, timeline) as tracks, Sdf.ChangeBlock():  # poses and wheel keys computed alongside, in order
        root = a.prim(ROOT, "Xform")
        root.SetInfo("kind", "assembly")
        root.customData = {
            KEY: {
                "format": MARKER,
                "version": VERSION,
                "scene": _json(serialize.scene_to_dict(_settings_only(scene))["scene"]),
                "trajectories": _json([serialize.payload_to_json(t) for t in scene.trajectories()]),
                "relations": _json([[s, r, o] for s, r, o in scene.relations()]),
            }
        }
        ctx = _Context(a, scene, timeline, _Prototypes(a), _write_materials(a, scene), {"Prototypes", "Materials"},
                       {eid: i for i, eid in enumerate(timeline.ids)}, tracks=tracks)
        order = {e.id: i for i, e in enumerate(scene.entities())}
        paths: dict[str, str] = {}
        entities = [(ent, scene.parent_of(ent.id)) for ent in scene.topological_entities()]
        ctx.parents.update(parent.id for _, parent in entities if parent is not None)
        for ent, parent in entities:
            name = prim_name(ent.id, ctx.used)
            paths[ent.id] = f"{paths[parent.id] if parent is not None else ROOT}/{name}"
            _write_entity(ctx, ent, paths[ent.id], name, order[ent.id])
    if not layer.Save():
        raise FormatError(f"{layer_path}: usd-core could not save the layer")


def _settings_only(scene: Any) -> Any:
    from scenegraph.model import Scene

    return Scene(fps=scene.fps, duration=scene.duration, seed=scene.seed, prompt=scene.prompt, metadata=scene.metadata)


def _write_materials(a: Author, scene: Any) -> dict[str, str]:
    """Material + UsdPreviewSurface (+ UsdUVTexture) per scene material; returns id -> prim path."""
    from pxr import Sdf

    T = a.T
    out: dict[str, str] = {}
    if not scene.materials():
        return out
    a.prim(MATERIALS, "Scope")
    used: set[str] = set()
    for i, mat in enumerate(scene.materials()):
        path = f"{MATERIALS}/{prim_name(mat.id, used)}"
        out[mat.id] = path
        mprim, sprim = preview_material(a, path, material_inputs(mat))
        mprim.customData = {KEY: {"id": mat.id, "order": i, "material": _json(serialize.payload_to_json(mat))}}
        if mat.texture and not mat.texture.startswith("data:"):  # USD cannot resolve a data: URI; glTF carries it
            diffuse = sprim.attributes["inputs:diffuseColor"]
            a.connect(diffuse, f"{path}/Texture.outputs:rgb")
            tprim = a.prim(f"{path}/Texture", "Shader")
            a.attr(tprim, "info:id", T.Token, "UsdUVTexture", uniform=True)
            a.attr(tprim, "inputs:file", T.Asset, Sdf.AssetPath(mat.texture))
            a.attr(tprim, "inputs:sourceColorSpace", T.Token, "sRGB")
            st = a.attr(tprim, "inputs:st", T.Float2)
            a.connect(st, f"{path}/PrimvarReader.outputs:result")
            a.attr(tprim, "outputs:rgb", T.Float3)
            rprim = a.prim(f"{path}/PrimvarReader", "Shader")
            a.attr(rprim, "info:id", T.Token, "UsdPrimvarReader_float2", uniform=True)
            a.attr(rprim, "inputs:varname", T.String, "st")
            a.attr(rprim, "outputs:result", T.Float2)
    return out


class _Prototypes(Prototypes):
    """One Mesh per distinct proxy (and vehicle body, wheel, character body: exporters._usd_parts) under
    /World/Prototypes; entities reference it (no copies)."""

    def __init__(self, a: Author) -> None:
        super().__init__(a)
        self.part_paths: set[str] = set()

    def path_for(self, shape: str, bounds: np.ndarray) -> str:
        return self.shared((shape, bounds.tobytes()), shape, lambda path: self._proxy(path, shape, bounds))

    def _proxy(self, path: str, shape: str, bounds: np.ndarray) -> None:
        from scenegraph.appearance.proxy import proxy_face_finishes, proxy_mesh

        prim = write_mesh(self.a, path, proxy_mesh(shape, bounds))
        groups, finishes = proxy_face_finishes(shape, bounds)
        if finishes:  # a GeomSubset per part finish (glass, rubber, lamp ...) bound to that finish's material;
            # the rest of the faces take the entity's binding
            write_subsets(self.a, path, prim, [(prim_name(f.name, set()), np.flatnonzero(groups == g), self._part_material(f))
                                               for g, f in enumerate(finishes)])

    def _part_material(self, finish: Any) -> str:
        """The path of a part finish's Material (under a scope the reader skips: it is no scene material)."""
        from scenegraph.appearance.finishes import part_material

        path = f"{PART_MATERIALS}/{finish.name}"
        if path not in self.part_paths:
            if not self.part_paths:
                self.a.prim(PART_MATERIALS, "Scope").customData = {KEY: {"role": "part_materials"}}
            self.part_paths.add(path)
            preview_material(self.a, path, material_inputs(part_material(finish)))
        return path


@dataclasses.dataclass
class _Context:
    """What every entity prim needs while one stage is written."""

    a: Author
    scene: Any
    timeline: Any
    protos: _Prototypes
    mat_paths: dict[str, str]
    used: set[str]  # prim names taken (entities and their proxy / splat prims are globally unique)
    columns: dict[str, int] = dataclasses.field(default_factory=dict)  # entity id -> Timeline column
    plan: Any = None  # kept frames of every column's ops, made at the first entity (_plan)
    tracks: Any = None  # scenegraph.appearance.tracks.Tracks: pose and wheel tracks, in writing order
    parents: set[str] = dataclasses.field(default_factory=set)  # ids of entities with child entities
    alike: dict[tuple, Any] = dataclasses.field(default_factory=dict)  # _alike_key -> (cloud, path, children)


def _write_entity(ctx: _Context, ent: Any, path: str, name: str, order: int) -> None:
    """The entity's prim (Xform, Camera or light) with its ops, metadata, proxy and splats."""
    a, scene = ctx.a, ctx.scene
    if ent.kind == "camera":
        prim = write_camera(a, path, ent.camera)
        write_lens(a, prim, ent, float(scene.fps))
    elif ent.kind == "light":
        prim = write_light(a, path, ent.light)
    else:
        prim = a.prim(path, "Xform")
    if ctx.plan is None:
        ctx.plan = _plan(ctx.timeline)
    digest = _write_xform(a, prim, ctx.timeline, ctx.columns[ent.id], ctx.plan)
    plain = serialize.payload_to_json(ent, omit=("gaussians",))  # the splats are a prim of their own
    mat = scene.material_of(ent.id)
    traj = scene.trajectory_of(ent.id)
    prim.customData = {
        KEY: {
            "id": ent.id,
            "kind": ent.kind,
            "cls": ent.cls,
            "order": order,
            "entity": _json(plain),
            "gaussians": ent.gaussians is not None,
            "material": mat.id if mat else "",
            "trajectory": traj.id if traj else "",
            "xformDigest": digest,
        }
    }
    shot = ent.attributes.get("shot") if ent.kind == "camera" else None
    if isinstance(shot, dict):  # when the camera is live (a cut list): seconds
        for key in ("start", "end"):
            a.attr(prim, f"scenegraph:shot:{key}", a.T.Double, float(shot[key]))
    alike = _alike_key(ctx, ent, plain, mat)
    if alike is not None and alike in ctx.alike:  # an alike entity's subtree, copied in C++ under this one's names
        from pxr import Sdf

        _, src, children = ctx.alike[alike]
        for child, suffix in children:
            Sdf.CopySpec(a.layer, f"{src}/{child}", a.layer, f"{path}/{prim_name(name + suffix, ctx.used)}")
        return
    _write_subtree(ctx, ent, path, name, mat)
    if alike is not None:
        children = [(c.name, c.name[len(name):]) for c in prim.nameChildren]
        if all(c.startswith(name) and _SUFFIX_RE.match(s) for c, s in children):
            ctx.alike[alike] = (ent.gaussians, path, children)  # the cloud is kept: its id is in the key


#: what the subtree writer appends to an entity's prim name for its children (a collision's "_2" is not copied)
_SUFFIX_RE = re.compile(r"^_(proxy|splats|wheel_[0-9]+)$")


def _alike_key(ctx: _Context, ent: Any, plain: dict, mat: Any) -> tuple | None:
    """What an object's subtree (proxy or vehicle parts, splats) is made of, besides its name: entities with one
    key get the same subtree, so the second on is copied from the first (a hundred parked cars: 0.3 instead of
    1.6 ms each).  None where the subtree is the entity's own: a character (its rig), a vehicle that moves (its
    wheel keys), the sky (the scene's dome light), an entity with child entities (they would be copied too)."""
    from scenegraph.appearance.rig import rig_kind
    from scenegraph.appearance.vehicle import stands_still, vehicle_parts

    if ent.kind != "object" or not ent.proxy or ent.cls == "sky" or ent.id in ctx.parents or rig_kind(ent) is not None:
        return None
    if vehicle_parts(ent) is not None and not stands_still(ctx.timeline, ctx.columns[ent.id]):
        return None
    rest = {k: v for k, v in plain.items() if k not in ("id", "name", "transform")}
    return _json(rest), mat.id if mat is not None else None, id(ent.gaussians) if ent.gaussians is not None else None


def _write_subtree(ctx: _Context, ent: Any, path: str, name: str, mat: Any) -> None:
    """An object's proxy (or rig, or vehicle parts) and splats under its prim at ``path``."""
    a, scene = ctx.a, ctx.scene
    if ent.kind == "object" and ent.proxy and write_parts(ctx, ent, path, name, mat):
        pass  # a character (UsdSkel) or a vehicle of parts: exporters/_usd_parts.py
    elif ent.kind == "object" and ent.proxy:
        proto = ctx.protos.path_for(ent.proxy, np.asarray(ent.bounds))
        mprim = a.prim(f"{path}/{prim_name(name + '_proxy', ctx.used)}", "Mesh")
        a.reference(mprim, proto)
        mprim.customData = {KEY: {"role": "proxy"}}
        if mat is not None:
            a.api_schemas(mprim, ["MaterialBindingAPI"])
            a.rel(mprim, "material:binding", ctx.mat_paths[mat.id])
            _body_subset(a, mprim, ent, ctx.mat_paths[mat.id])
        if ent.cls == "sky":  # USD's environment is a DomeLight; the dome mesh stays for glTF-minded tools, hidden
            a.attr(mprim, "visibility", a.T.Token, "invisible")
            write_dome(a, f"{path}/{prim_name(name + '_dome_light', ctx.used)}", scene)
    if ent.gaussians is not None:
        write_splats(a, f"{path}/{prim_name(name + '_splats', ctx.used)}", ent.gaussians)


def _body_subset(a: Author, mprim: Any, ent: Any, material_path: str) -> None:
    """Where the proxy has part finishes (GeomSubsets in its prototype), the rest of its faces as a subset of
    their own bound to the entity's material: importers such as Blender's bind a subset-split mesh by its
    subsets only."""
    from pxr import Vt

    from scenegraph.appearance.proxy import proxy_face_finishes

    groups, finishes = proxy_face_finishes(ent.proxy, np.asarray(ent.bounds))
    if not finishes:
        return
    sub = a.prim(f"{mprim.path}/body", "GeomSubset")
    a.attr(sub, "elementType", a.T.Token, "face", uniform=True)
    a.attr(sub, "familyName", a.T.Token, "materialBind", uniform=True)
    a.attr(sub, "indices", a.T.IntArray, Vt.IntArray.FromNumpy(np.flatnonzero(groups < 0).astype(np.int32)))
    a.api_schemas(sub, ["MaterialBindingAPI"])
    a.rel(sub, "material:binding", material_path)


def _write_xform(a: Author, prim: Any, timeline: Any, col: int, plan: Any = None) -> str:
    """translate / orient / scale ops from one Timeline column; returns their digest.

    orient is written as quatd, normalised in float64: usd-core turns an orient op into
    a matrix through the quaternion's angle (acos of its real part), which magnifies the
    rounding of a float32 quaternion (|q| = 1 +- 6e-8) to ~1e-5 rad at small angles.
    ``plan``: (unit rotations (F, E, 4), per column kept frames) from :func:`_plan`, made once
    for all entities; without it the frames are found here.
    """
    from pxr import Vt

    T = a.T
    if plan is not None:
        rot = plan[0][:, col]
        kept_frames = plan[1][col]
    else:
        rot = np.asarray(timeline.rotation[:, col], dtype=np.float64)
        rot = rot / np.linalg.norm(rot, axis=1, keepdims=True)
        kept_frames = None
    series = (
        (OPS[0], np.ascontiguousarray(timeline.position[:, col], dtype=np.float32), T.Float3, Vt.Vec3fArray, False),
        (OPS[1], np.ascontiguousarray(rot), T.Quatd, Vt.QuatdArray, True),
        (OPS[2], np.ascontiguousarray(timeline.scale[:, col], dtype=np.float32), T.Float3, Vt.Vec3fArray, False),
    )
    ops = []
    for i, (op, values, type_name, array_type, rotation) in enumerate(series):
        frames = kept_frames[i] if kept_frames is not None else reduce_samples(values, rotation=rotation)
        spec = a.attr(prim, op, type_name)
        if frames is None:
            spec.default = array_type.FromNumpy(values[:1])[0]
            ops.append((op, values[0], np.zeros(0), np.zeros((0, values.shape[1]))))
            continue
        kept = values[frames]
        set_samples(spec, frames.astype(np.float64).tolist(), array_type.FromNumpy(kept))
        ops.append((op, None, frames.astype(np.float64), kept))
    a.attr(prim, "xformOpOrder", T.TokenArray, Vt.TokenArray(list(OPS)), uniform=True)
    return xform_digest(ops)


def _plan(timeline: Any) -> Any:
    """Kept frames of every entity's ops, found for all columns at once (see exporters._usd_samples)."""
    from exporters._usd_samples import plan_columns

    return plan_columns(timeline, _POS_TOL, _ROT_TOL, lambda v, rotation: reduce_samples(v, rotation=rotation))
