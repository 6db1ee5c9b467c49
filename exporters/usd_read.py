"""The USD reader: a stage back into a Scene.

Our own files come back exactly: every prim carries its payload in
``customData["scenegraph"]`` and a digest of the xformOps we authored.  Edits
made elsewhere are taken from the stage: entities map back by id; an entity
whose xformOps no longer match the digest gets its transform (static) or a
keyframe Trajectory (time-sampled) from the ops; changed material inputs,
camera lenses and light inputs replace the stored values; deleted prims drop
their entities; new Xform / Mesh / Gprim / Camera / light prims become new
entities.  A stage without our metadata is imported generically.  Layout and
conversions: :mod:`exporters.usd`.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from exporters._usd_query import IMPORTED_TYPES, LIGHT_TYPES, parent_entity, preview_surface, single_shape_child, surface_values
from exporters._usd_common import (
    KEY,
    MARKER,
    MATERIAL_FIELDS,
    OPS,
    SUFFIXES,
    VERSION,
    PayloadView,
    camera_attrs,
    camera_params,
    check_usdz,
    decompose_trs,
    finite_vec,
    gf_array,
    gf_matrix_to_numpy,
    light_attrs,
    light_params,
    material_inputs,
    material_value,
    same_f32,
    time_samples,
    xform_digest,
)
from scenegraph.model import serialize
from scenegraph.errors import FormatError, ModelError

__all__ = ["read_stage", "read_stage_here"]

def read_stage(path: str | os.PathLike) -> Any:
    """A Scene from a USD file; raises FormatError (never returns a partial scene).

    The crate is pre-checked here; the layers' references are checked against the allowed folders
    and the stage is read in a child process bounded in memory and time (:mod:`exporters._usd_guard`).
    """
    from exporters import _usd_guard
    from exporters._confine import allowed_paths
    from exporters._usda_scan import check_usda_file

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise FormatError(f"{path}: not a USD file (expected one of {', '.join(SUFFIXES)})")
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
    if path.suffix.lower() == ".usdz":
        check_usdz(path)
    _usd_guard.check_crate(path)
    check_usda_file(path)  # text whose brackets do not balance: usd-core's parser can take seconds on it
    roots = list(allowed_paths())
    if _usd_guard.sandbox_enabled():
        return _usd_guard.read_bounded(path, roots)
    return read_stage_here(path, roots)


def read_stage_here(path: Path, roots: list[Path]) -> Any:
    """:func:`read_stage` in this process, after the checks (the reader child runs this)."""
    from pxr import Tf, Usd

    from exporters._usd_guard import check_layer_references

    try:
        check_layer_references(path, roots)
        stage = Usd.Stage.Open(str(path), Usd.Stage.LoadAll)
    except Tf.ErrorException as exc:
        raise FormatError(f"{path}: not a readable USD stage ({_first_line(exc)})") from None
    if stage is None:
        raise FormatError(f"{path}: not a readable USD stage")
    try:
        return _Reader(stage, path).scene()
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None
    except Tf.ErrorException as exc:
        raise FormatError(f"{path}: usd-core could not read the stage ({_first_line(exc)})") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        # customData or attribute values of unexpected types (edited by hand or by another tool)
        raise FormatError(f"{path}: unexpected content ({type(exc).__name__}: {str(exc)[:200]})") from None


def _first_line(exc: Exception) -> str:
    try:
        text = str(exc)
    except UnicodeDecodeError:  # usd-core quotes the file's own bytes, which need not be UTF-8
        return "the file holds text that is not UTF-8"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


class _Reader:
    """One pass over a stage; builds the canonical scene dict, then the Scene."""

    def __init__(self, stage: Any, path: Path) -> None:
        from pxr import UsdGeom

        self.stage = stage
        self.path = path
        fps = float(stage.GetTimeCodesPerSecond())
        if not (math.isfinite(fps) and fps > 0):
            raise FormatError(f"timeCodesPerSecond {fps} must be positive")
        self.fps = fps
        self.start = float(stage.GetStartTimeCode()) if stage.HasAuthoredTimeCodeRange() else 0.0
        self.end = float(stage.GetEndTimeCode()) if stage.HasAuthoredTimeCodeRange() else 0.0
        if not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise FormatError("start/endTimeCode must be finite")
        # foreign stages: bring Z-up and other units to our Y-up metres at the roots
        mpu = float(UsdGeom.GetStageMetersPerUnit(stage))
        if not (math.isfinite(mpu) and mpu > 0):
            raise FormatError(f"metersPerUnit {mpu} must be positive")
        c = np.eye(4) * mpu
        c[3, 3] = 1.0
        if UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z:
            c = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=np.float64) @ c
        self.correction = c
        self.taken: set[str] = set()
        self.materials: dict[str, dict] = {}  # id -> material dict
        self.material_order: dict[str, float] = {}
        self.material_prims: dict[str, str] = {}  # prim path -> material id
        self.entities: list[tuple[float, dict]] = []
        self.gaussians: dict[str, Any] = {}
        self.trajectories: list[dict] = []
        self.orphan_candidates: set[str] = set()

    # -- top level ---------------------------------------------------------
    def scene(self) -> Any:
        root = self.stage.GetDefaultPrim()
        if not root or not root.IsValid():
            root = self.stage.GetPrimAtPath("/World")
        meta = root.GetCustomDataByKey(KEY) if root and root.IsValid() else None
        ours = isinstance(meta, dict) and meta.get("format") == MARKER
        if ours:
            settings = self._ours_settings(meta)
        else:
            settings = self._foreign_settings()
            self.trajectories = []
            relations: list = []
        if ours:
            relations = self._json(meta, "relations", list, root.GetPath())
        self._walk(ours)
        if not self.entities and not ours:
            raise FormatError("no entities: the stage has no Xform, Mesh, Camera or light prims to import")
        ids = {d["id"] for _, d in self.entities}
        used_traj = {d.get("trajectory") for _, d in self.entities}
        trajectories = [t for t in self.trajectories if t.get("id") in used_traj or t.get("id") not in self.orphan_candidates]
        data = {
            "format": serialize.FORMAT,
            "version": serialize.VERSION,
            "scene": settings,
            "materials": [self.materials[m] for m in sorted(self.materials, key=lambda m: self.material_order[m])],
            "trajectories": trajectories,
            "entities": [d for _, d in sorted(self.entities, key=lambda od: od[0])],
            "relations": [
                {"subject": s, "rel": r, "object": o} for s, r, o in relations if s in ids and o in ids
            ],
        }
        scene = serialize.scene_from_dict(data)
        for eid, g in self.gaussians.items():
            try:
                scene.update(eid, gaussians=g)
            except ModelError as exc:
                raise FormatError(f"entity {eid!r}: {exc}") from None
        return scene

    def _json(self, meta: dict, key: str, typ: type, where: Any) -> Any:
        try:
            value = json.loads(meta[key])
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{where}: customData {KEY}.{key} is missing or not valid JSON ({exc})") from None
        if not isinstance(value, typ):
            raise FormatError(f"{where}: customData {KEY}.{key} must be a {typ.__name__}")
        return value

    def _ours_settings(self, meta: dict) -> dict:
        version = meta.get("version")
        if not isinstance(version, int) or version < 1:
            raise FormatError(f"/World: customData {KEY}.version {version!r} is not a format version")
        if version > VERSION:
            raise FormatError(f"/World: format version {version} is newer than this scenegraph reads ({VERSION})")
        settings = self._json(meta, "scene", dict, "/World")
        self.trajectories = self._json(meta, "trajectories", list, "/World")
        for t in self.trajectories:
            if isinstance(t, dict) and isinstance(t.get("id"), str):
                self.taken.add(t["id"])
        return settings

    def _foreign_settings(self) -> dict:
        frames = max(0.0, self.end - self.start)
        return {"fps": self.fps, "duration": frames / self.fps, "seed": 0, "prompt": "", "metadata": {}}

    # -- traversal ---------------------------------------------------------
    def _walk(self, ours: bool) -> None:
        from pxr import Usd

        # materials first so bindings resolve; ids of our entities are reserved before new ones
        for prim in self.stage.Traverse():
            data = prim.GetCustomDataByKey(KEY)
            if prim.GetTypeName() == "Material" and isinstance(data, dict) and "material" in data:
                self._our_material(prim, data)
            elif isinstance(data, dict) and "id" in data and "entity" in data:
                self.taken.add(str(data["id"]))
        prim_entity: dict[str, str] = {}
        merged: dict[str, str] = {}  # shape prim path -> entity of the Xform it was merged into
        it = iter(Usd.PrimRange(self.stage.GetPseudoRoot()))
        seq = 0
        for prim in it:
            if prim.IsPseudoRoot():
                continue
            type_name = str(prim.GetTypeName())
            data = prim.GetCustomDataByKey(KEY)
            data = data if isinstance(data, dict) else {}
            if "role" in data or type_name in ("Material", "Shader", "NodeGraph"):
                it.PruneChildren()
                continue
            parent = parent_entity(prim, prim_entity)
            where = str(prim.GetPath())
            if ours and "id" in data and "entity" in data:
                d, order = self._our_entity(prim, data, where), float(data.get("order", 1e9))
            elif where in merged:
                prim_entity[where] = merged[where]
                continue
            elif type_name in IMPORTED_TYPES and not (ours and prim.GetPath() == self.stage.GetDefaultPrim().GetPath()):
                shape = single_shape_child(prim) if type_name == "Xform" else None
                d = self._new_entity(prim, type_name, where, parent is None, shape)
                order = 1e12 + seq
                if shape is not None:
                    merged[str(shape.GetPath())] = d["id"]
            else:
                continue
            seq += 1
            d["parent"] = parent
            prim_entity[where] = d["id"]
            self.entities.append((order, d))

    def _new_id(self, wanted: str) -> str:
        base = "".join(c if c.isalnum() or c in "_.-" else "_" for c in wanted)[:100] or "prim"
        if not (base[0].isalpha() or base[0] == "_"):
            base = "_" + base
        out, n = base, 1
        while out in self.taken:
            n += 1
            out = f"{base}_{n}"
        self.taken.add(out)
        return out

    # -- materials ---------------------------------------------------------
    def _our_material(self, prim: Any, data: dict) -> None:
        where = str(prim.GetPath())
        d = self._json(data, "material", dict, where)
        shader = preview_surface(prim)
        if shader is not None:
            values, texture = surface_values(shader, where)
            written = material_inputs(PayloadView(d))
            for name, value in values.items():
                if not same_f32(value, written[name]):
                    d[MATERIAL_FIELDS[name]] = material_value(name, value)
            if (texture or None) != (d.get("texture") or None):
                d["texture"] = texture
        mid = str(d.get("id", data.get("id")))
        self.taken.add(mid)
        self.materials[mid] = d
        self.material_order[mid] = float(data.get("order", 1e9))
        self.material_prims[where] = mid

    def _foreign_material(self, prim: Any) -> str | None:
        where = str(prim.GetPath())
        if where in self.material_prims:
            return self.material_prims[where]
        shader = preview_surface(prim)
        mid = self._new_id(prim.GetName())
        d: dict[str, Any] = {"id": mid, "name": prim.GetName()}
        if shader is not None:
            values, texture = surface_values(shader, where)
            for name, value in values.items():
                d[MATERIAL_FIELDS[name]] = material_value(name, value)
            d["texture"] = texture
        self.materials[mid] = d
        self.material_order[mid] = 1e12 + len(self.materials)
        self.material_prims[where] = mid
        return mid

    def _bound_material(self, prim: Any) -> str | None:
        from pxr import UsdShade

        mat, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
        if not mat:
            return None
        return self._foreign_material(mat.GetPrim())

    # -- entities ----------------------------------------------------------
    def _our_entity(self, prim: Any, data: dict, where: str) -> dict:
        d = self._json(data, "entity", dict, where)
        eid = d.get("id")
        if not isinstance(eid, str):
            raise FormatError(f"{where}: customData {KEY}.entity has no id")
        d["material"] = data.get("material") or None
        d["trajectory"] = data.get("trajectory") or None
        if d["material"] is not None and d["material"] not in self.materials:
            d["material"] = None  # its Material prim was deleted
        proxy = splats = None
        for child in prim.GetChildren():
            meta = child.GetCustomDataByKey(KEY)
            role = meta.get("role") if isinstance(meta, dict) else None
            if role == "proxy":
                proxy = child
            elif role == "splats":
                splats = child
        if proxy is not None and d.get("kind") == "object":
            d["material"] = self._bound_material(proxy)
        if splats is not None:
            self.gaussians[eid] = self._gaussians(splats, f"{where}/{splats.GetName()}")
        if self._xform_digest(prim, where) != data.get("xformDigest"):
            if d["trajectory"]:
                self.orphan_candidates.add(d["trajectory"])
            self._apply_motion(prim, d, where, root=False)
        if d.get("kind") == "camera" and isinstance(d.get("camera"), dict):
            self._camera_edits(prim, d, where)
        if d.get("kind") == "light" and isinstance(d.get("light"), dict):
            self._light_edits(prim, d, where)
        return d

    def _xform_digest(self, prim: Any, where: str) -> str | None:
        """The digest of the prim's translate / orient / scale ops as read (None: not our op stack)."""
        from pxr import Usd, UsdGeom

        order = UsdGeom.Xformable(prim).GetXformOpOrderAttr().Get()
        if order is None or list(order) != list(OPS):
            return None
        ops = []
        for op in OPS:
            attr = prim.GetAttribute(op)
            if not attr:
                return None
            n = 4 if op.endswith("orient") else 3
            default = attr.Get(Usd.TimeCode.Default())
            times, values = time_samples(attr, self.stage.GetRootLayer())
            values = gf_array(values, n, f"{where}.{op}")
            default = None if default is None else gf_array([default], n, f"{where}.{op}")[0]
            ops.append((op, default, np.asarray(times, np.float64), values))
        return xform_digest(ops)

    def _local_matrices(self, prim: Any, where: str) -> tuple[list[float], list[np.ndarray]]:
        """Sample times (seconds) and local matrices; one default-time matrix when not animated."""
        from pxr import Usd, UsdGeom

        xf = UsdGeom.Xformable(prim)
        times = sorted(set(xf.GetTimeSamples()))
        codes = [Usd.TimeCode(t) for t in times] or [Usd.TimeCode.Default()]
        mats = []
        for code in codes:
            m = xf.GetLocalTransformation(code)
            mats.append(gf_matrix_to_numpy(m[0] if isinstance(m, tuple) else m))
        seconds = [(t - self.start) / self.fps for t in times]
        if not all(math.isfinite(s) for s in seconds):
            raise FormatError(f"{where}: time samples at non-finite times")
        return seconds, mats

    def _apply_motion(self, prim: Any, d: dict, where: str, root: bool) -> None:
        """Put the prim's own xformOps into the entity dict: a transform, or a keyframe trajectory."""
        seconds, mats = self._local_matrices(prim, where)
        if root:
            mats = [self.correction @ m for m in mats]
        trs = [decompose_trs(m, where) for m in mats]
        if not seconds:
            t, r, s = trs[0]
            d["transform"] = {"translation": t, "rotation": r, "scale": s}
            return
        tid = self._new_id(f"{d['id']}_usd_motion")
        self.trajectories.append(
            {
                "id": tid,
                "times": seconds,
                "positions": [x[0] for x in trs],
                "rotations": [x[1] for x in trs],
                "scales": [x[2] for x in trs],
                "interpolation": "linear",
                "speed": "keyframes",
                "heading": "keyframes",
                "loop": False,
                "attributes": {"source": "usd time samples", "prim": where},
            }
        )
        t, r, s = trs[0]
        d["transform"] = {"translation": t, "rotation": r, "scale": s}
        d["trajectory"] = tid
        d["dynamics"] = None

    def _attr_values(self, prim: Any, names: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            attr = prim.GetAttribute(name)
            if attr and attr.HasValue():
                out[name] = attr.Get()
        return out

    def _camera_edits(self, prim: Any, d: dict, where: str) -> None:
        cam = d["camera"]
        written = camera_attrs(PayloadView(cam))
        read = self._attr_values(prim, written)
        if all(same_f32(read[k], v) for k, v in written.items() if k in read):
            return
        merged = {**written, **read}
        try:
            params = camera_params(merged, width=cam.get("width", 1280))
        except FormatError as exc:
            raise FormatError(f"{where}: {exc}") from None
        if same_f32(params["aspect"], cam.get("aspect")):
            params["height"] = cam.get("height", params["height"])
        d["camera"] = params

    def _light_edits(self, prim: Any, d: dict, where: str) -> None:
        light = d["light"]
        type_name, written = light_attrs(PayloadView(light))
        names = set(written) | {"inputs:exposure", "inputs:shaping:cone:angle", "inputs:shaping:cone:softness", "inputs:radius"}
        read = self._attr_values(prim, sorted(names))
        same = str(prim.GetTypeName()) == type_name and all(
            same_f32(read[k], v) if k in read and k != "treatAsPoint" else True for k, v in written.items()
        ) and float(read.get("inputs:exposure", 0.0)) == 0.0
        if same:
            return
        params = light_params(str(prim.GetTypeName()), {k: (tuple(v) if k == "inputs:color" else v) for k, v in read.items()})
        params["range"] = light.get("range")
        d["light"] = params

    def _new_entity(self, prim: Any, type_name: str, where: str, is_root: bool, shape: Any = None) -> dict:
        """An entity for a prim without our customData; ``shape`` (a merged child) gives its kind and look."""
        from pxr import Usd, UsdGeom

        eid = self._new_id(prim.GetName())
        d: dict[str, Any] = {"id": eid, "name": prim.GetName(), "attributes": {"usd_path": where, "usd_type": type_name}}
        if shape is not None:
            d["attributes"]["usd_shape"] = str(shape.GetPath())
            type_name = str(shape.GetTypeName())
        look = shape if shape is not None else prim
        if type_name == "Camera":
            d["kind"] = "camera"
            d["cls"] = "camera"
            vals = self._attr_values(look, ("focalLength", "horizontalAperture", "verticalAperture", "clippingRange"))
            if len(vals) == 4:
                d["camera"] = camera_params(vals)
        elif type_name in LIGHT_TYPES:
            d["kind"] = "light"
            d["cls"] = "light"
            names = ("inputs:color", "inputs:intensity", "inputs:exposure", "inputs:radius",
                     "inputs:shaping:cone:angle", "inputs:shaping:cone:softness")
            d["light"] = light_params(type_name, self._attr_values(look, names))
        else:
            d["kind"] = "object"
            d["cls"] = "group" if type_name == "Xform" else type_name.lower()
            if type_name != "Xform":
                ext = UsdGeom.Boundable.ComputeExtentFromPlugins(UsdGeom.Boundable(look), Usd.TimeCode.Default())
                if ext is not None and len(ext) == 2:
                    lo, hi = finite_vec(ext[0], 3, f"{where}.extent"), finite_vec(ext[1], 3, f"{where}.extent")
                    if all(a <= b for a, b in zip(lo, hi)):
                        d["bounds"] = [lo, hi]
                mat = self._bound_material(look)
                if mat is not None:
                    d["material"] = mat
        self._apply_motion(prim, d, where, root=is_root)
        return d

    def _gaussians(self, prim: Any, where: str) -> Any:
        from scenegraph.model.gaussians import Gaussians

        def arr(name: str, width: int) -> np.ndarray:
            attr = prim.GetAttribute(name)
            value = attr.Get() if attr else None
            if value is None:
                raise FormatError(f"{where}: ParticleField3DGaussianSplat has no {name}")
            a = np.asarray(value, dtype=np.float32)
            return a.reshape(-1, width) if width else a.reshape(-1)

        means = arr("positions", 3)
        n = len(means)
        deg_attr = prim.GetAttribute("radiance:sphericalHarmonicsDegree")
        degree = int(deg_attr.Get()) if deg_attr and deg_attr.Get() is not None else 0
        k = (degree + 1) ** 2
        sh = arr("radiance:sphericalHarmonicsCoefficients", 3)
        if sh.shape[0] != n * k:
            raise FormatError(f"{where}: {sh.shape[0]} SH coefficients for {n} Gaussians of degree {degree} (expected {n * k})")
        try:
            return Gaussians(means, arr("orientations", 4), arr("scales", 3), arr("opacities", 0), sh.reshape(n, k, 3))
        except ModelError as exc:
            raise FormatError(f"{where}: {exc}") from None
