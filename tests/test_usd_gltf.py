"""glTF and USD exports of one scene agree: same entities, same world transforms at every frame.

Each file is sampled by its own format's rules, independently of our readers:
the USD stage by usd-core (``ComputeLocalToWorldTransform`` at every time code),
the ``.gltf`` by a small sampler below (node TRS, LINEAR/STEP channels, slerp).
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pxr")
gltf = pytest.importorskip("exporters.gltf")

from exporters import usd  # noqa: E402
from scenegraph.model import quat_from_axis_angle, trs_matrix  # noqa: E402
from tests.test_usd import car_scene, car_timeline  # noqa: E402

_DTYPES = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _accessor(doc: dict, blobs: list[bytes], index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    assert "sparse" not in acc and not acc.get("normalized"), "sampler handles plain accessors only"
    view = doc["bufferViews"][acc["bufferView"]]
    width = _WIDTH[acc["type"]]
    dtype = np.dtype(_DTYPES[acc["componentType"]])
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    stride = view.get("byteStride", dtype.itemsize * width)
    rows = np.ndarray((acc["count"], width), dtype=dtype, buffer=blobs[view["buffer"]], offset=start,
                      strides=(stride, dtype.itemsize))
    out = rows.astype(np.float64)
    return out[:, 0] if width == 1 else out


def _slerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    if np.dot(a, b) < 0:
        b = -b
    d = min(1.0, abs(float(np.dot(a, b))))
    th = np.arccos(d)
    if th < 1e-9:
        q = a + u * (b - a)
    else:
        q = (np.sin((1 - u) * th) * a + np.sin(u * th) * b) / np.sin(th)
    return q / np.linalg.norm(q)


def gltf_world(path: Path, times: np.ndarray) -> dict[str, np.ndarray]:
    """Entity id -> world matrices (F, 4, 4) of every node of a .gltf, sampled at ``times``."""
    doc = json.loads(path.read_text())
    blobs = []
    for b in doc["buffers"]:
        uri = b["uri"]
        blobs.append(base64.b64decode(uri.split(",", 1)[1]) if uri.startswith("data:") else (path.parent / uri).read_bytes())
    nodes = doc["nodes"]
    trs = []
    for n in nodes:
        assert "matrix" not in n
        base = {"translation": np.array(n.get("translation", [0, 0, 0]), float),
                "rotation": np.array(n.get("rotation", [0, 0, 0, 1]), float),
                "scale": np.array(n.get("scale", [1, 1, 1]), float)}
        trs.append({k: np.repeat(v[None], len(times), axis=0) for k, v in base.items()})
    for anim in doc.get("animations", []):
        for ch in anim["channels"]:
            path_name = ch["target"]["path"]
            if path_name not in ("translation", "rotation", "scale"):
                continue
            sampler = anim["samplers"][ch["sampler"]]
            interp = sampler.get("interpolation", "LINEAR")
            assert interp in ("LINEAR", "STEP"), interp
            kt = _accessor(doc, blobs, sampler["input"])
            kv = _accessor(doc, blobs, sampler["output"])
            out = trs[ch["target"]["node"]][path_name]
            for i, t in enumerate(times):
                j = int(np.searchsorted(kt, t, side="right")) - 1
                if j < 0:
                    out[i] = kv[0]
                elif j >= len(kt) - 1 or interp == "STEP":
                    out[i] = kv[min(j, len(kt) - 1)]
                else:
                    u = (t - kt[j]) / (kt[j + 1] - kt[j])
                    out[i] = _slerp(kv[j], kv[j + 1], u) if path_name == "rotation" else kv[j] + u * (kv[j + 1] - kv[j])
    local = [trs_matrix(d["translation"], d["rotation"], d["scale"]) for d in trs]
    parent = {c: p for p, n in enumerate(nodes) for c in n.get("children", [])}

    def world(i: int) -> np.ndarray:
        return world(parent[i]) @ local[i] if i in parent else local[i]

    out = {}
    for i, n in enumerate(nodes):
        sg = (n.get("extras") or {}).get("scenegraph") or {}
        if "id" in sg:
            out[sg["id"]] = world(i)
    return out


def usd_world(path: Path, frames: int) -> dict[str, np.ndarray]:
    """Entity id -> world matrices (F, 4, 4) of every entity prim, by usd-core."""
    from pxr import Usd, UsdGeom

    st = Usd.Stage.Open(str(path))
    out = {}
    for prim in st.Traverse():
        sg = prim.GetCustomDataByKey("scenegraph")
        if isinstance(sg, dict) and "entity" in sg:
            xf = UsdGeom.Xformable(prim)
            out[sg["id"]] = np.stack([np.array(xf.ComputeLocalToWorldTransform(f)).T for f in range(frames)])
    return out


def test_gltf_and_usd_exports_agree_on_entities_and_world_transforms(tmp_path):
    s = car_scene()
    tl = car_timeline(s)
    # a tumbling child makes the comparison exercise rotations through the hierarchy
    w = tl.index("wheel-1")
    tl.rotation[:, w] = np.stack([quat_from_axis_angle((1, 0, 0), 4.0 * t) for t in tl.time]).astype(np.float32)
    usd_path, gltf_path = tmp_path / "car.usdc", tmp_path / "car.gltf"
    usd.write(s, usd_path, timeline=tl)
    gltf.write(s, gltf_path, timeline=tl)
    a = usd_world(usd_path, tl.frame_count)
    b = gltf_world(gltf_path, tl.time)
    assert sorted(a) == sorted(b) == sorted(e.id for e in s.entities())
    for eid in a:
        np.testing.assert_allclose(a[eid][:, :3, 3], b[eid][:, :3, 3], atol=1e-5, err_msg=f"{eid} position")
        np.testing.assert_allclose(a[eid][:, :3, :3], b[eid][:, :3, :3], atol=1e-5, err_msg=f"{eid} rotation/scale")
    # and both follow the Timeline
    world = tl.world_matrices()
    for eid in a:
        np.testing.assert_allclose(a[eid], world[:, tl.index(eid)], atol=1e-5, err_msg=eid)
