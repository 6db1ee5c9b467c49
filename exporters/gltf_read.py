"""glTF 2.0 reader: ``.glb`` / ``.gltf`` back to a Scene.

A file we wrote is rebuilt exactly from the ``extras.scenegraph`` metadata,
but the file's own data wins wherever someone edited it: node names rename
entities, node hierarchy sets parents, changed TRS or animation turns into
keyframe trajectories, changed material factors change materials, deleted
nodes drop their entities.  Nodes without metadata (added in Blender, or a
foreign file) become new entities (class ``thing``; camera or light by what
the node carries).
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from exporters._gltf_common import (
    EXT_EMISSIVE_STRENGTH,
    EXT_LIGHTS,
    EXT_SPLATS,
    IDENTITY,
    MODE_POINTS,
    PATH_WIDTH,
    SPLAT_PREFIX,
    linear_keys,
    sample_keys,
    tolerance,
)
from exporters._gltf_container import Container, safe_uri_path
from scenegraph.errors import FormatError, ModelError

__all__ = ["Reader"]

_POS_TOL = 5e-4  # metres: a node whose motion stays this close to the simulated one is not edited
_ROT_TOL = 1e-3
_SCALE_TOL = 1e-3
_PARAM_RTOL = 1e-3


def _sg(obj: Any) -> dict | None:
    extras = obj.get("extras") if isinstance(obj, dict) else None
    sg = extras.get("scenegraph") if isinstance(extras, dict) else None
    return sg if isinstance(sg, dict) else None


def _vec(value: Any, n: int, where: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise FormatError(f"{where}: expected {n} numbers") from None
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise FormatError(f"{where}: expected {n} finite numbers, got {value!r:.80}")
    return arr


def _number(value: Any, default: float, where: str) -> float:
    if value is None:
        return default
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise FormatError(f"{where}: expected a number, got {value!r:.80}")
    return float(value)


def _decompose(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TRS of a column-major glTF node matrix (no shear assumed)."""
    from scenegraph.model import quat_normalize

    t = m[:3, 3].copy()
    basis = m[:3, :3]
    s = np.linalg.norm(basis, axis=0)
    if np.any(s < 1e-12):
        raise FormatError("node.matrix: zero scale")
    r = basis / s
    if np.linalg.det(r) < 0:
        s[0] = -s[0]
        r[:, 0] = -r[:, 0]
    w = math.sqrt(max(0.0, 1.0 + r[0, 0] + r[1, 1] + r[2, 2])) / 2.0
    x = math.copysign(math.sqrt(max(0.0, 1.0 + r[0, 0] - r[1, 1] - r[2, 2])) / 2.0, r[2, 1] - r[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1.0 - r[0, 0] + r[1, 1] - r[2, 2])) / 2.0, r[0, 2] - r[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1.0 - r[0, 0] - r[1, 1] + r[2, 2])) / 2.0, r[1, 0] - r[0, 1])
    return t, quat_normalize(np.array([x, y, z, w])), np.abs(s)


class Reader:
    def __init__(self, c: Container) -> None:
        self.c = c
        self.doc = c.doc
        self.nodes = c.items("nodes")
        self.fps = 24.0

    # -- structure -----------------------------------------------------------
    def tree(self) -> tuple[list[int], dict[int, int]]:
        """Nodes of the default scene in depth-first order, and each node's parent node."""
        c = self.c
        scenes = c.items("scenes")
        parent: dict[int, int] = {}
        for i, n in enumerate(self.nodes):
            if not isinstance(n, dict):
                raise FormatError(c.where(f"nodes[{i}] must be an object"))
            kids = n.get("children", [])
            if not isinstance(kids, list):
                raise FormatError(c.where(f"nodes[{i}].children must be an array"))
            for k in kids:
                c.item("nodes", k, f"nodes[{i}].children")
                if k in parent or k == i:
                    raise FormatError(c.where(f"nodes[{k}] has more than one parent (or is its own child)"))
                parent[k] = i
        if scenes:
            sc = c.item("scenes", self.doc.get("scene", 0), "scene")
            roots = sc.get("nodes", [])
            if not isinstance(roots, list):
                raise FormatError(c.where("scene.nodes must be an array"))
        else:
            roots = [i for i in range(len(self.nodes)) if i not in parent]
        order: list[int] = []
        seen: set[int] = set()
        stack = [r for r in reversed(roots)]
        skip = self.part_nodes()
        while stack:
            i = stack.pop()
            c.item("nodes", i, "scene.nodes")
            if i in seen:
                raise FormatError(c.where(f"nodes[{i}] is reached twice (a cycle or a shared node)"))
            seen.add(i)
            kids = self.nodes[i].get("children", [])
            if i in skip:  # an entity's parts (joints, skinned body, wheels, splats): derived, not entities
                skip.update(k for k in kids if isinstance(k, int))
            else:
                order.append(i)
            stack.extend(reversed(kids))
        for r in roots:
            parent.pop(r, None)
        return order, parent

    def part_nodes(self) -> set[int]:
        """Nodes that are parts of an entity (``extras.scenegraph.part``) or joints of a skin."""
        from exporters._gltf_parts import part_of

        out = {i for i, n in enumerate(self.nodes) if part_of(n) is not None}
        for skin in self.c.items("skins"):
            joints = skin.get("joints") if isinstance(skin, dict) else None
            out.update(j for j in joints or [] if isinstance(j, int) and not isinstance(j, bool) and 0 <= j < len(self.nodes))
        return out

    def part_child(self, i: int, role: str) -> int | None:
        """The node that is entity node ``i``'s ``role`` part (skinned body, splats), if any."""
        if not hasattr(self, "_parts"):
            from exporters._gltf_parts import part_of

            self._parts: dict[tuple, int] = {}
            for k, n in enumerate(self.nodes):
                of = part_of(n)
                if of:
                    self._parts.setdefault((of, _sg(n).get("part")), k)
        if not self._parts:
            return None
        sg = _sg(self.nodes[i])
        return self._parts.get((sg.get("id") if sg else None, role))

    def rest(self, i: int) -> dict[str, np.ndarray]:
        n = self.nodes[i]
        where = self.c.where(f"nodes[{i}]")
        if "matrix" in n:
            m = _vec(n["matrix"], 16, f"{where}.matrix").reshape(4, 4).T
            t, r, s = _decompose(m)
            return {"translation": t.astype(np.float32), "rotation": r.astype(np.float32), "scale": s.astype(np.float32)}
        out = {}
        for path, width in PATH_WIDTH.items():
            out[path] = _vec(n[path], width, f"{where}.{path}").astype(np.float32) if path in n else IDENTITY[path]
        return out

    def channels(self) -> dict[int, dict[str, tuple[str, np.ndarray, np.ndarray]]]:
        """Per node: path -> (interpolation, times (K,), values (K, C)), from every animation (first wins)."""
        c = self.c
        out: dict[int, dict[str, tuple]] = {}
        for a, anim in enumerate(c.items("animations")):
            if not isinstance(anim, dict):
                raise FormatError(c.where(f"animations[{a}] must be an object"))
            samplers = anim.get("samplers", [])
            for k, ch in enumerate(anim.get("channels", [])):
                where = f"animations[{a}].channels[{k}]"
                target = ch.get("target") if isinstance(ch, dict) else None
                if not isinstance(target, dict) or target.get("path") not in PATH_WIDTH or "node" not in target:
                    continue  # weights, pointers: not ours
                node = target["node"]
                c.item("nodes", node, where)
                path = target["path"]
                si = ch.get("sampler")
                if not isinstance(si, int) or isinstance(si, bool) or not 0 <= si < len(samplers) or not isinstance(samplers[si], dict):
                    raise FormatError(c.where(f"{where}.sampler {si!r} is out of range"))
                s = samplers[si]
                interp = s.get("interpolation", "LINEAR")
                if interp not in ("LINEAR", "STEP", "CUBICSPLINE"):
                    raise FormatError(c.where(f"{where}: unknown interpolation {interp!r}"))
                times = np.asarray(c.accessor(s.get("input"), f"{where} input"), np.float64).reshape(-1)
                values = np.asarray(c.accessor(s.get("output"), f"{where} output"), np.float64)
                width = PATH_WIDTH[path]
                values = values.reshape(values.shape[0], -1)
                if values.shape[1] != width:
                    raise FormatError(c.where(f"{where}: {path} output must have {width} components"))
                if interp == "CUBICSPLINE":
                    if values.shape[0] != 3 * times.size:
                        raise FormatError(c.where(f"{where}: CUBICSPLINE output needs 3 values per key"))
                    values = values[1::3]
                    interp = "LINEAR"
                if times.size == 0 or values.shape[0] != times.size:
                    raise FormatError(c.where(f"{where}: {times.size} key times but {values.shape[0]} values"))
                if not (np.all(np.isfinite(times)) and np.all(np.isfinite(values))) or np.any(np.diff(times) <= 0):
                    raise FormatError(c.where(f"{where}: key times must be finite and strictly increasing, values finite"))
                out.setdefault(node, {}).setdefault(path, (interp, times, values))
        return out

    # -- motion ----------------------------------------------------------------
    def motion(self, rest: dict, chans: dict, times: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for path in PATH_WIDTH:
            if path in chans:
                interp, t, v = chans[path]
                out[path] = sample_keys(t, v, interp, times, path == "rotation")
            else:
                out[path] = np.repeat(rest[path][None].astype(np.float64), times.size, axis=0)
        return out

    def snap(self, times: np.ndarray) -> np.ndarray:
        frames = np.round(times * self.fps)
        close = np.abs(times * self.fps - frames) < 1e-3
        return np.where(close, frames / self.fps, times)

    def trajectory(self, tid: str, rest: dict, chans: dict) -> Any:
        from scenegraph.model import Trajectory

        times = self.snap(np.unique(np.concatenate([chans[p][1] for p in chans])))
        times = np.unique(times)
        m = self.motion(rest, chans, times)
        interp = "step" if all(chans[p][0] == "STEP" for p in chans) else "linear"
        keep = np.zeros(times.size, bool)
        keep[0] = keep[-1] = True
        for p in chans:  # drop keys interpolation reproduces (Blender writes one per frame)
            v = m[p][:, None, :]
            if interp == "step":
                keep[1:] |= np.any(np.abs(v[1:, 0] - v[:-1, 0]) > 10 * tolerance(v[1:, 0]), axis=-1)
            else:
                keep |= linear_keys(times, v, 10 * tolerance(v), p == "rotation")[:, 0]
        times = times[keep]
        m = {p: v[keep] for p, v in m.items()}
        return Trajectory(
            tid,
            times=times,
            positions=m["translation"],
            rotations=m["rotation"] if "rotation" in chans else None,
            scales=m["scale"] if "scale" in chans else None,
            interpolation=interp,
            heading="keyframes" if "rotation" in chans else "fixed",
        )

    # -- payloads from glTF objects -------------------------------------------
    def camera(self, i: int, old: Any) -> Any:
        from scenegraph.model import CameraParams

        cam = self.c.item("cameras", self.nodes[i]["camera"], f"nodes[{i}].camera")
        p = cam.get("perspective")
        if not isinstance(p, dict):
            return old or CameraParams()
        where = self.c.where(f"cameras[{self.nodes[i]['camera']}]")
        base = old or CameraParams()
        yfov = _number(p.get("yfov"), base.yfov, f"{where}.yfov")
        aspect = _number(p.get("aspectRatio"), base.aspect, f"{where}.aspectRatio")
        znear = _number(p.get("znear"), base.znear, f"{where}.znear")
        zfar = _number(p.get("zfar"), max(base.zfar, znear * 1e4), f"{where}.zfar")
        new = {"yfov": yfov, "aspect": aspect, "znear": znear, "zfar": zfar}
        if old is not None and all(math.isclose(new[k], getattr(old, k), rel_tol=_PARAM_RTOL) for k in new):
            return old
        height = base.height if old is not None else 720
        return CameraParams(**new, width=max(1, int(round(height * aspect))), height=height)

    def light(self, i: int, old: Any) -> Any:
        from scenegraph.model import LightParams

        ext = self.nodes[i].get("extensions", {}).get(EXT_LIGHTS)
        lights = self.doc.get("extensions", {}).get(EXT_LIGHTS, {}).get("lights", [])
        li = ext.get("light") if isinstance(ext, dict) else None
        if not isinstance(li, int) or not isinstance(lights, list) or not 0 <= li < len(lights) or not isinstance(lights[li], dict):
            raise FormatError(self.c.where(f"nodes[{i}]: KHR_lights_punctual light {li!r} is out of range"))
        lt = lights[li]
        where = self.c.where(f"KHR_lights_punctual.lights[{li}]")
        spot = lt.get("spot", {}) if isinstance(lt.get("spot"), dict) else {}
        new = dict(
            type=lt.get("type"),
            color=np.clip(_vec(lt.get("color", [1, 1, 1]), 3, f"{where}.color"), 0, 1),
            intensity=_number(lt.get("intensity"), 1.0, f"{where}.intensity"),
            range=None if lt.get("range") is None else _number(lt.get("range"), 0.0, f"{where}.range"),
            inner_cone_angle=_number(spot.get("innerConeAngle"), 0.0, f"{where}.innerConeAngle"),
            outer_cone_angle=_number(spot.get("outerConeAngle"), math.pi / 4, f"{where}.outerConeAngle"),
        )
        if old is not None and old.type == new["type"]:
            same = np.allclose(old.color, new["color"], atol=1e-4) and math.isclose(old.intensity, new["intensity"], rel_tol=_PARAM_RTOL, abs_tol=1e-6)
            if old.type == "spot":
                same = same and math.isclose(old.outer_cone_angle, new["outer_cone_angle"], abs_tol=1e-4) and math.isclose(old.inner_cone_angle, new["inner_cone_angle"], abs_tol=1e-4)
            if old.type != "directional" and (old.range is None) == (new["range"] is None):
                same = same and (old.range is None or math.isclose(old.range, new["range"], rel_tol=_PARAM_RTOL))
            if same:
                return old
        return _model(LightParams, new, where)

    def material(self, gm: dict, mid: str, old: Any) -> Any:
        from scenegraph.model import Material

        where = self.c.where(f"material {mid!r}")
        pbr = gm.get("pbrMetallicRoughness", {}) if isinstance(gm.get("pbrMetallicRoughness"), dict) else {}
        bcf = _vec(pbr.get("baseColorFactor", [1, 1, 1, 1]), 4, f"{where}.baseColorFactor")
        emissive = _vec(gm.get("emissiveFactor", [0, 0, 0]), 3, f"{where}.emissiveFactor")
        strength = gm.get("extensions", {}).get(EXT_EMISSIVE_STRENGTH, {}) if isinstance(gm.get("extensions"), dict) else {}
        if isinstance(strength, dict):
            emissive = emissive * _number(strength.get("emissiveStrength"), 1.0, f"{where}.emissiveStrength")
        new = dict(
            base_color=np.clip(bcf[:3], 0, 1),
            alpha=float(np.clip(bcf[3], 0, 1)),
            metallic=float(np.clip(_number(pbr.get("metallicFactor"), 1.0, f"{where}.metallicFactor"), 0, 1)),
            roughness=float(np.clip(_number(pbr.get("roughnessFactor"), 1.0, f"{where}.roughnessFactor"), 0, 1)),
            emissive=np.maximum(emissive, 0),
        )
        if old is not None:
            same = (np.allclose(old.base_color, new["base_color"], atol=1e-4) and abs(old.alpha - new["alpha"]) < 1e-4
                    and abs(old.metallic - new["metallic"]) < 1e-4 and abs(old.roughness - new["roughness"]) < 1e-4
                    and np.allclose(old.emissive, new["emissive"], atol=1e-4, rtol=1e-4))
            return old if same else _model(Material, {"id": mid, "name": old.name, "texture": old.texture, **new}, where)
        name = gm.get("name") if isinstance(gm.get("name"), str) and gm.get("name") else mid
        return _model(Material, {"id": mid, "name": name, "texture": self.texture_uri(pbr), **new}, where)

    def texture_uri(self, pbr: dict) -> str | None:
        tex = pbr.get("baseColorTexture")
        if not isinstance(tex, dict):
            return None
        t = self.c.item("textures", tex.get("index"), "baseColorTexture")
        if "source" not in t:
            return None
        img = self.c.item("images", t["source"], "texture.source")
        uri = img.get("uri")
        if isinstance(uri, str) and not uri.startswith("data:"):
            safe_uri_path(uri, self.c.folder, self.c.where("image"))
            return uri
        return None

    def gaussians(self, i: int) -> Any:
        from scenegraph.model.gaussians import Gaussians

        mi = self.nodes[i].get("mesh")
        if mi is None:
            return None
        mesh = self.c.item("meshes", mi, f"nodes[{i}].mesh")
        for p, prim in enumerate(mesh.get("primitives", [])):
            if not isinstance(prim, dict) or prim.get("mode") != MODE_POINTS or EXT_SPLATS not in prim.get("extensions", {}):
                continue
            where = f"meshes[{mi}].primitives[{p}]"
            attrs = prim.get("attributes", {})

            def get(name: str, width: int) -> np.ndarray:
                if name not in attrs:
                    raise FormatError(self.c.where(f"{where}: Gaussian splats need attribute {name}"))
                arr = self.c.accessor(attrs[name], f"{where}.{name}")
                if arr.shape[1:] != ((width,) if width > 1 else ()) or arr.shape[0] != n:
                    raise FormatError(self.c.where(f"{where}.{name}: expected {n} values of {width} components"))
                return arr

            n = self.c.accessor(attrs.get("POSITION"), f"{where}.POSITION").shape[0]
            means = get("POSITION", 3)
            log_scales = get(SPLAT_PREFIX + "SCALE", 3)
            scales = None
            sg = _sg(prim)
            if sg is not None and "scales" in sg:
                lin = self.c.accessor(sg["scales"], f"{where} extras scales")
                if lin.shape == (n, 3) and np.allclose(np.log(np.maximum(lin, 1e-30)), log_scales, atol=1e-4):
                    scales = lin
            if scales is None:
                scales = np.exp(np.asarray(log_scales, np.float64)).astype(np.float32)
            degree = -1
            while degree < 3 and f"{SPLAT_PREFIX}SH_DEGREE_{degree + 1}_COEF_0" in attrs:
                degree += 1
            k = (max(degree, 0) + 1) ** 2
            coefs = []
            for c in range(k if degree >= 0 else 0):
                d = int(math.isqrt(c))
                coefs.append(get(f"{SPLAT_PREFIX}SH_DEGREE_{d}_COEF_{c - d * d}", 3))
            sh = _interleaved(coefs) if coefs else None
            if sh is None:
                sh = np.zeros((n, k, 3), np.float32)
                for c, arr in enumerate(coefs):
                    sh[:, c] = arr
            return _model(Gaussians, dict(means=means, quats=get(SPLAT_PREFIX + "ROTATION", 4), scales=scales,
                                          opacities=get(SPLAT_PREFIX + "OPACITY", 1), sh=sh), self.c.where(where))
        return None

    def mesh_info(self, i: int) -> tuple[Any, np.ndarray | None]:
        """(glTF material index, (2, 3) bounds) of the node's proxy: the bounds of all its triangle
        primitives, the material of the first that is not a part finish's (glass, tyres ... keep theirs)."""
        mi = self.nodes[i].get("mesh")
        if mi is None:
            return None, None
        mesh = self.c.item("meshes", mi, f"nodes[{i}].mesh")
        prims = mesh.get("primitives", [])
        material, boxes, first = None, [], None
        for prim in prims if isinstance(prims, list) else []:
            if isinstance(prim, dict) and prim.get("mode", 4) != MODE_POINTS and "POSITION" in prim.get("attributes", {}):
                acc = self.c.item("accessors", prim["attributes"]["POSITION"], "POSITION")
                if isinstance(acc.get("min"), list) and isinstance(acc.get("max"), list):
                    b = np.stack([_vec(acc["min"], 3, "POSITION.min"), _vec(acc["max"], 3, "POSITION.max")])
                else:
                    pos = self.c.accessor(prim["attributes"]["POSITION"], "POSITION")
                    b = np.stack([pos.min(axis=0), pos.max(axis=0)]) if len(pos) else None
                if b is not None:
                    boxes.append(b)
                if first is None:
                    first = prim.get("material")
                if material is None and not self._part_material(prim.get("material")):
                    material = prim.get("material")
        if first is None and not boxes:
            return None, None
        bounds = np.stack([np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)]) if boxes else None
        return (material if material is not None else first), bounds

    def _part_material(self, index: Any) -> bool:
        """Whether glTF material ``index`` is one of our part finishes (see :mod:`scenegraph.appearance.finishes`)."""
        mats = self.doc.get("materials") if isinstance(self.doc, dict) else None
        if not isinstance(index, int) or not isinstance(mats, list) or not 0 <= index < len(mats):
            return False
        extras = mats[index].get("extras") if isinstance(mats[index], dict) else None
        ours = extras.get("scenegraph") if isinstance(extras, dict) else None
        return isinstance(ours, dict) and ours.get("part") is True


def _interleaved(coefs: list[np.ndarray]) -> np.ndarray | None:
    """The (N, K, 3) array K float32 (N, 3) accessor views form when they interleave one buffer view
    (as our writer lays SH out), without copying; None otherwise (copying K strided views is slow)."""
    first = coefs[0]
    k = len(coefs)
    if first.dtype != np.float32 or first.strides != (12 * k, 4):
        return None
    base = first.__array_interface__["data"][0]
    for c, arr in enumerate(coefs):
        if arr.dtype != np.float32 or arr.strides != first.strides or arr.__array_interface__["data"][0] != base + 12 * c:
            return None
    # every coefficient's accessor was bounds-checked, so the block lies inside the buffer view
    return np.lib.stride_tricks.as_strided(first, shape=(first.shape[0], k, 3), strides=(12 * k, 12, 4), writeable=False)


def _model(cls: type, kwargs: dict, where: str) -> Any:
    try:
        return cls(**kwargs)
    except (ModelError, TypeError) as exc:
        raise FormatError(f"{where}: {exc}") from None


def _unique_id(name: str, taken: Any, prefix: str = "") -> str:
    base = re.sub(r"[^A-Za-z0-9_.\-]", "_", name or "node")[:100] or "node"
    if not re.match(r"[A-Za-z_]", base):
        base = "n_" + base
    base = prefix + base if prefix and not base.startswith(prefix) else base
    cand, k = base, 2
    while cand in taken:
        cand, k = f"{base}_{k}", k + 1
    return cand
