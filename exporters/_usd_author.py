"""Sdf-level authoring helpers shared by the USD writer (:mod:`exporters.usd_write`) and its parts
(:mod:`exporters._usd_parts`): typed specs, meshes, material subsets, preview-surface materials,
shared prototypes and time samples.

Everything goes through the Sdf layer API inside the writer's one ``Sdf.ChangeBlock``; arrays go
through ``Vt.*Array.FromNumpy``.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

import numpy as np

from exporters._usd_common import PROTOTYPES, prim_name

__all__ = ["Author", "Prototypes", "mesh_digest", "preview_material", "set_samples", "write_mesh", "write_subsets"]


class Author:
    """Holds the layer and the typed-attribute helper while one stage is written."""

    def __init__(self, layer: Any) -> None:
        from pxr import Sdf

        self.Sdf = Sdf
        self.layer = layer
        self.T = Sdf.ValueTypeNames
        self.shared: dict[tuple, tuple[Any, Any]] = {}  # (what, id(source)) -> (source, value made from it)

    def once(self, what: str, src: Any, make: Callable[[Any], Any]) -> Any:
        """``make(src)``, worked out once per source object while this stage is written: alike entities
        share their clouds' arrays (the crate then stores each array once, whatever is done here)."""
        hit = self.shared.get((what, id(src)))
        if hit is None:  # the source is kept alongside, so its id is not reused meanwhile
            hit = self.shared[(what, id(src))] = (src, make(src))
        return hit[1]

    def prim(self, path: str, type_name: str = "", specifier: Any = None) -> Any:
        Sdf = self.Sdf
        spec = Sdf.CreatePrimInLayer(self.layer, path)
        spec.specifier = Sdf.SpecifierDef if specifier is None else specifier
        if type_name:
            spec.typeName = type_name
        return spec

    def over(self, path: str) -> Any:
        """An ``over`` (opinions on a prim a reference brings in)."""
        return self.prim(path, specifier=self.Sdf.SpecifierOver)

    def attr(self, prim: Any, name: str, type_name: Any, value: Any = None, uniform: bool = False, **info: Any) -> Any:
        Sdf = self.Sdf
        var = Sdf.VariabilityUniform if uniform else Sdf.VariabilityVarying
        spec = Sdf.AttributeSpec(prim, name, type_name, var)
        if value is not None:
            spec.default = value
        for k, v in info.items():
            spec.SetInfo(k, v)
        return spec

    def rel(self, prim: Any, name: str, target: str) -> None:
        spec = self.Sdf.RelationshipSpec(prim, name, custom=False)
        spec.targetPathList.explicitItems = [self.Sdf.Path(target)]

    def connect(self, attr_spec: Any, target: str) -> None:
        attr_spec.connectionPathList.explicitItems = [self.Sdf.Path(target)]

    def api_schemas(self, prim: Any, names: list[str]) -> None:
        prim.SetInfo("apiSchemas", self.Sdf.TokenListOp.Create(prependedItems=names))

    def reference(self, prim: Any, target: str) -> None:
        """An internal reference from ``prim`` to the prim at ``target`` (a shared prototype)."""
        prim.referenceList.prependedItems = [self.Sdf.Reference("", self.Sdf.Path(target))]


def set_samples(spec: Any, codes: Iterable[float], values: Iterable[Any]) -> None:
    """Time samples of an attribute spec: ``codes`` (floats) paired with ``values`` (a Vt array, iterated
    with zip since Vt indexing is slow, or a list of Vt arrays for array-valued attributes).

    One bound-method call per sample is the fastest path usd-core's Python API offers (measured: the
    spec's own method beats the layer's by path; a dict for the whole ``timeSamples`` field is refused)."""
    set_sample = spec.SetTimeSample
    for code, value in zip(codes, values):
        set_sample(code, value)


def mesh_digest(*arrays: Any) -> bytes:
    """A content key for geometry shared through a prototype (same bytes -> same prototype)."""
    h = hashlib.blake2b(digest_size=16)
    for arr in arrays:
        if isinstance(arr, str):
            h.update(arr.encode() + b"\0")
        else:
            a = np.ascontiguousarray(arr)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
    return h.digest()


def write_mesh(a: Author, path: str, mesh: Any) -> Any:
    """A Mesh prim: points, triangles, vertex normals, ``st`` (v flipped to USD's v-up), extent."""
    from pxr import Gf, Vt

    T = a.T
    prim = a.prim(path, "Mesh")
    a.attr(prim, "points", T.Point3fArray, Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(mesh.positions, np.float32)))
    a.attr(prim, "faceVertexCounts", T.IntArray, Vt.IntArray.FromNumpy(np.full(len(mesh.indices), 3, np.int32)))
    a.attr(prim, "faceVertexIndices", T.IntArray, Vt.IntArray.FromNumpy(mesh.indices.reshape(-1).astype(np.int32)))
    a.attr(prim, "primvars:normals", T.Normal3fArray, Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(mesh.normals, np.float32)),
           interpolation="vertex")
    st = np.stack([mesh.uvs[:, 0], 1.0 - mesh.uvs[:, 1]], axis=1).astype(np.float32)  # glTF v-down -> USD v-up
    a.attr(prim, "primvars:st", T.TexCoord2fArray, Vt.Vec2fArray.FromNumpy(st), interpolation="vertex")
    lo, hi = mesh.bounds
    a.attr(prim, "extent", T.Float3Array, Vt.Vec3fArray([Gf.Vec3f(*lo.tolist()), Gf.Vec3f(*hi.tolist())]))
    a.attr(prim, "subdivisionScheme", T.Token, "none", uniform=True)
    return prim


def write_subsets(a: Author, mesh_path: str, mesh_prim: Any, groups: list[tuple[str, Any, str | None]]) -> None:
    """One materialBind GeomSubset per (name, face indices, material path or None); faces in none keep the
    mesh's binding.  A None material leaves the binding to whoever references the mesh (an ``over``)."""
    from pxr import Vt

    T = a.T
    a.attr(mesh_prim, "subsetFamily:materialBind:familyType", T.Token, "nonOverlapping", uniform=True)
    for sub, faces, material in groups:
        s = a.prim(f"{mesh_path}/{sub}", "GeomSubset")
        a.attr(s, "elementType", T.Token, "face", uniform=True)
        a.attr(s, "familyName", T.Token, "materialBind", uniform=True)
        a.attr(s, "indices", T.IntArray, Vt.IntArray.FromNumpy(np.asarray(faces, np.int32)))
        a.api_schemas(s, ["MaterialBindingAPI"])
        if material is not None:
            a.rel(s, "material:binding", material)


def bind(a: Author, prim_path: str, material: str) -> None:
    """An ``over`` at ``prim_path`` binding ``material`` (a subset of a referenced prototype)."""
    s = a.over(prim_path)
    a.api_schemas(s, ["MaterialBindingAPI"])
    a.rel(s, "material:binding", material)


def preview_material(a: Author, path: str, inputs: dict[str, Any]) -> tuple[Any, Any]:
    """A Material with a UsdPreviewSurface shader of ``inputs`` (tuples as color3f, numbers as float);
    returns (material spec, shader spec)."""
    from pxr import Gf

    T = a.T
    mprim = a.prim(path, "Material")
    sprim = a.prim(f"{path}/PreviewSurface", "Shader")
    a.attr(sprim, "info:id", T.Token, "UsdPreviewSurface", uniform=True)
    for name, value in inputs.items():
        if isinstance(value, tuple):
            a.attr(sprim, f"inputs:{name}", T.Color3f, Gf.Vec3f(*[float(c) for c in value]))
        else:
            a.attr(sprim, f"inputs:{name}", T.Float, float(value))
    a.attr(sprim, "outputs:surface", T.Token)
    a.connect(a.attr(mprim, "outputs:surface", T.Token), f"{path}/PreviewSurface.outputs:surface")
    return mprim, sprim


class Prototypes:
    """Shared geometry under the ``class`` scope /World/Prototypes: authored once per key, referenced by
    every entity that uses it (each reference is still its own prim, so importers such as Blender's
    make one editable object per entity)."""

    def __init__(self, a: Author) -> None:
        self.a = a
        self.paths: dict[Any, str] = {}
        self.used: set[str] = set()

    def shared(self, key: Any, name: str, author: Callable[[str], Any]) -> str:
        """The prototype's path for ``key``; the first call authors it with ``author(path)``."""
        path = self.paths.get(key)
        if path is None:
            if not self.paths:
                self.a.prim(PROTOTYPES, "Scope", self.a.Sdf.SpecifierClass)
            path = f"{PROTOTYPES}/{prim_name(name, self.used)}"
            author(path)
            self.paths[key] = path
        return path
