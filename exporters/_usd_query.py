"""Read-side queries on a USD stage for :mod:`exporters.usd_read`: the prim types it imports, a
material's preview surface and its values, the entity above a prim, and the single shape child that
DCC tools put under an Xform.
"""
from __future__ import annotations

from typing import Any

from exporters._usd_common import MATERIAL_FIELDS, finite_vec

__all__ = ["LIGHT_TYPES", "GPRIM_TYPES", "IMPORTED_TYPES", "preview_surface", "surface_values", "parent_entity", "single_shape_child"]

LIGHT_TYPES = ("SphereLight", "DistantLight", "DiskLight", "RectLight", "CylinderLight")
GPRIM_TYPES = ("Mesh", "Cube", "Sphere", "Cylinder", "Cone", "Capsule", "Plane")
IMPORTED_TYPES = ("Xform", "Camera", *LIGHT_TYPES, *GPRIM_TYPES)


def preview_surface(mat_prim: Any) -> Any:
    """The UsdPreviewSurface shader a Material prim's surface output comes from, else None."""
    from pxr import UsdShade

    shader = UsdShade.Material(mat_prim).ComputeSurfaceSource()[0]
    if shader and shader.GetIdAttr().Get() == "UsdPreviewSurface":
        return shader
    return None


def surface_values(shader: Any, where: str) -> tuple[dict[str, Any], str | None]:
    """UsdPreviewSurface input values (unconnected ones) and the diffuse texture file."""
    from pxr import UsdShade

    values: dict[str, Any] = {}
    texture = None
    for name in MATERIAL_FIELDS:
        inp = shader.GetInput(name)
        if not inp:
            continue
        if inp.HasConnectedSource():
            src = inp.GetConnectedSources()[0]
            if name == "diffuseColor" and src:
                tex = UsdShade.Shader(src[0].source.GetPrim())
                f = tex.GetInput("file")
                if f and f.Get() is not None:
                    texture = f.Get().path
            continue
        v = inp.Get()
        if v is not None:
            values[name] = finite_vec(v, 3, f"{where}.inputs:{name}") if name.endswith("Color") else finite_vec([v], 1, f"{where}.inputs:{name}")[0]
    return values, texture


def parent_entity(prim: Any, prim_entity: dict[str, str]) -> str | None:
    """The entity id (``prim_entity``: prim path -> id) of the nearest ancestor of ``prim`` that has one."""
    p = prim.GetParent()
    while p and not p.IsPseudoRoot():
        eid = prim_entity.get(str(p.GetPath()))
        if eid is not None:
            return eid
        p = p.GetParent()
    return None


def single_shape_child(prim: Any) -> Any:
    """The one untransformed Mesh / Gprim / Camera / light child of an Xform (the DCC pattern), else None."""
    from pxr import UsdGeom

    kids = [c for c in prim.GetChildren() if str(c.GetTypeName()) in IMPORTED_TYPES]
    if len(kids) != 1 or str(kids[0].GetTypeName()) == "Xform":
        return None
    child = kids[0]
    if UsdGeom.Xformable(child).GetOrderedXformOps() or any(
        str(c.GetTypeName()) in IMPORTED_TYPES for c in child.GetChildren()
    ):
        return None
    return child
