"""USD parts under an entity's prim: characters as UsdSkel, vehicles as body + GeomSubsets + spinning wheels.

Called from :func:`exporters.usd_write._write_entity` for objects with a proxy;
returns False for entities it does not handle (they get the shared prototype).

- A character (:mod:`scenegraph.appearance.rig`): a ``SkelRoot`` child
  ``<name>_rig`` holding a ``Skeleton`` (joints as paths, bind and rest
  transforms, bound to its ``SkelAnimation``), the ``SkelAnimation`` (joint
  rotations and translations sampled per frame from
  :func:`scenegraph.appearance.gait.pose_track`) and the skinned ``Mesh``
  (``SkelBindingAPI``: ``skel:skeleton``, ``primvars:skel:jointIndices`` /
  ``jointWeights``, one ``GeomSubset`` per material role).
- A vehicle (:mod:`scenegraph.appearance.vehicle`): the proxy ``Mesh`` holds the
  body with one ``GeomSubset`` per part (glass, lights, trim) bound to its own
  material, the body's faces keep the entity's material; each wheel is an
  ``Xform`` (``<name>_wheel_N``) whose orient op spins and steers per frame.

Every prim made here carries ``customData.scenegraph.role``, so the reader
prunes it: the entity's prim, its ops and its metadata stay the round trip's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from exporters._usd_common import KEY, PROTOTYPES, ROOT, prim_name

__all__ = ["write_parts"]


def write_parts(ctx: Any, ent: Any, path: str, name: str, mat: Any) -> bool:
    """Write ``ent``'s rig or vehicle parts under ``path``; False when it has neither."""
    from scenegraph.appearance.rig import rig_for
    from scenegraph.appearance.vehicle import vehicle_parts

    rig = rig_for(ent, int(getattr(ctx.scene, "seed", 0)))
    if rig is not None:
        _character(ctx, ent, rig, path, name, mat)
        return True
    vp = vehicle_parts(ent)
    if vp is not None:
        _vehicle(ctx, ent, vp, path, name, mat)
        return True
    return False


def _look(ctx: Any, role: str, color: Any, metallic: float, roughness: float, emissive: Any) -> str:
    """A shared Material (UsdPreviewSurface) for a part role and colour, under /World/PartLooks."""
    from pxr import Gf

    a, T = ctx.a, ctx.a.T
    looks = ctx.__dict__.setdefault("part_looks", {})
    key = (role, tuple(round(float(c), 6) for c in color))
    if key in looks:
        return looks[key]
    if "scope" not in looks:
        looks["scope"] = f"{ROOT}/{prim_name('PartLooks', ctx.used)}"
        a.prim(looks["scope"], "Scope").customData = {KEY: {"role": "looks"}}
    path = f"{looks['scope']}/{prim_name(role, ctx.__dict__.setdefault('part_look_names', set()))}"
    mprim = a.prim(path, "Material")
    mprim.customData = {KEY: {"role": "look"}}
    sprim = a.prim(f"{path}/PreviewSurface", "Shader")
    a.attr(sprim, "info:id", T.Token, "UsdPreviewSurface", uniform=True)
    a.attr(sprim, "inputs:diffuseColor", T.Color3f, Gf.Vec3f(*[float(c) for c in color]))
    a.attr(sprim, "inputs:metallic", T.Float, float(metallic))
    a.attr(sprim, "inputs:roughness", T.Float, float(roughness))
    a.attr(sprim, "inputs:emissiveColor", T.Color3f, Gf.Vec3f(*[4.0 * float(c) for c in emissive]))
    a.attr(sprim, "outputs:surface", T.Token)
    a.connect(a.attr(mprim, "outputs:surface", T.Token), f"{path}/PreviewSurface.outputs:surface")
    looks[key] = path
    return path


def _mesh(a: Any, path: str, mesh: Any, role: str) -> Any:
    from pxr import Gf, Vt

    T = a.T
    prim = a.prim(path, "Mesh")
    prim.customData = {KEY: {"role": role}}
    a.attr(prim, "points", T.Point3fArray, Vt.Vec3fArray.FromNumpy(np.asarray(mesh.positions, np.float32)))
    a.attr(prim, "faceVertexCounts", T.IntArray, Vt.IntArray.FromNumpy(np.full(len(mesh.indices), 3, np.int32)))
    a.attr(prim, "faceVertexIndices", T.IntArray, Vt.IntArray.FromNumpy(mesh.indices.reshape(-1).astype(np.int32)))
    a.attr(prim, "primvars:normals", T.Normal3fArray, Vt.Vec3fArray.FromNumpy(np.asarray(mesh.normals, np.float32)), interpolation="vertex")
    st = np.stack([mesh.uvs[:, 0], 1.0 - mesh.uvs[:, 1]], axis=1).astype(np.float32)
    a.attr(prim, "primvars:st", T.TexCoord2fArray, Vt.Vec2fArray.FromNumpy(st), interpolation="vertex")
    lo, hi = mesh.bounds
    a.attr(prim, "extent", T.Float3Array, Vt.Vec3fArray([Gf.Vec3f(*lo.tolist()), Gf.Vec3f(*hi.tolist())]))
    a.attr(prim, "subdivisionScheme", T.Token, "none", uniform=True)
    return prim


def _subsets(a: Any, mesh_path: str, mesh_prim: Any, groups: list[tuple[str, np.ndarray, str]]) -> None:
    """One materialBind GeomSubset per (name, face indices, material path); faces in none keep the mesh's binding."""
    from pxr import Vt

    T = a.T
    a.attr(mesh_prim, "subsetFamily:materialBind:familyType", T.Token, "nonOverlapping", uniform=True)
    for sub, faces, material in groups:
        s = a.prim(f"{mesh_path}/{sub}", "GeomSubset")
        a.attr(s, "elementType", T.Token, "face", uniform=True)
        a.attr(s, "familyName", T.Token, "materialBind", uniform=True)
        a.attr(s, "indices", T.IntArray, Vt.IntArray.FromNumpy(np.asarray(faces, np.int32)))
        a.api_schemas(s, ["MaterialBindingAPI"])
        a.rel(s, "material:binding", material)


def _merge(parts: list) -> tuple[Any, list[tuple[str, np.ndarray]]]:
    from scenegraph.appearance.shapes import merge

    faces, start = [], 0
    for role, m, *_ in parts:
        n = len(m.indices)
        faces.append((role, np.arange(start, start + n)))
        start += n
    return merge([p[1] for p in parts]), faces


def _character(ctx: Any, ent: Any, rig: Any, path: str, name: str, mat: Any) -> None:
    from pxr import Gf, Vt

    from scenegraph.appearance.gait import pose_track

    a, T = ctx.a, ctx.a.T
    root = f"{path}/{prim_name(name + '_rig', ctx.used)}"
    sr = a.prim(root, "SkelRoot")
    sr.customData = {KEY: {"role": "rig"}}
    joints = []
    for j, n in enumerate(rig.names):
        chain, p = [n], rig.parents[j]
        while p >= 0:
            chain.append(rig.names[p])
            p = rig.parents[p]
        joints.append("/".join(reversed(chain)))
    tokens = Vt.TokenArray(joints)
    bind = rig.bind_world()

    def translate(v: Any) -> Any:
        m = Gf.Matrix4d(1.0)
        m.SetTranslateOnly(Gf.Vec3d(*[float(c) for c in v]))
        return m

    skel_path, anim_path, body_path = f"{root}/Skeleton", f"{root}/Animation", f"{root}/Body"
    sk = a.prim(skel_path, "Skeleton")
    sk.customData = {KEY: {"role": "skeleton"}}
    a.api_schemas(sk, ["SkelBindingAPI"])
    a.attr(sk, "joints", T.TokenArray, tokens, uniform=True)
    a.attr(sk, "bindTransforms", T.Matrix4dArray, Vt.Matrix4dArray([translate(b) for b in bind]), uniform=True)
    a.attr(sk, "restTransforms", T.Matrix4dArray, Vt.Matrix4dArray([translate(o) for o in rig.offsets]), uniform=True)
    a.rel(sk, "skel:animationSource", anim_path)
    an = a.prim(anim_path, "SkelAnimation")
    an.customData = {KEY: {"role": "animation"}}
    a.attr(an, "joints", T.TokenArray, tokens, uniform=True)
    a.attr(an, "scales", T.Half3Array, Vt.Vec3hArray.FromNumpy(np.ones((len(joints), 3), np.float16)))
    pose = pose_track(ctx.scene, ctx.timeline, ent.id, rig)
    trans = np.repeat(np.asarray(rig.offsets, np.float32)[None], ctx.timeline.frame_count, axis=0)
    trans[:, 0] = pose.root
    rot_spec = a.attr(an, "rotations", T.QuatfArray)
    tr_spec = a.attr(an, "translations", T.Float3Array)
    rots = np.ascontiguousarray(pose.rotations, np.float32)
    set_sample = a.layer.SetTimeSample
    for f in range(ctx.timeline.frame_count):
        set_sample(rot_spec.path, float(f), Vt.QuatfArray.FromNumpy(rots[f]))  # GfQuatf is (i, j, k, real) in memory: xyzw
        set_sample(tr_spec.path, float(f), Vt.Vec3fArray.FromNumpy(trans[f]))
    mesh, faces = _merge(list(rig.parts))
    body = _mesh(a, body_path, mesh, "body")
    a.api_schemas(body, ["SkelBindingAPI", "MaterialBindingAPI"])
    a.rel(body, "skel:skeleton", skel_path)
    idx = np.concatenate([j for _, _, j in rig.parts]).astype(np.int32)
    a.attr(body, "primvars:skel:jointIndices", T.IntArray, Vt.IntArray.FromNumpy(idx), interpolation="vertex", elementSize=1)
    a.attr(body, "primvars:skel:jointWeights", T.FloatArray, Vt.FloatArray.FromNumpy(np.ones(idx.size, np.float32)),
           interpolation="vertex", elementSize=1)
    a.attr(body, "primvars:skel:geomBindTransform", T.Matrix4d, Gf.Matrix4d(1.0))
    groups = []
    for role, f in faces:
        if role == "clothes" and mat is not None:
            target = ctx.mat_paths[mat.id]
        else:
            target = _look(ctx, role, rig.colors.get(role, (0.5, 0.5, 0.5)), 0.0, 0.7, (0, 0, 0))
        groups.append((role, f, target))
    _subsets(a, body_path, body, groups)


def _vehicle(ctx: Any, ent: Any, vp: Any, path: str, name: str, mat: Any) -> None:
    from pxr import Gf, Sdf, Vt

    from scenegraph.appearance.vehicle import PART_LOOKS, wheel_keys

    a, T = ctx.a, ctx.a.T

    def look(role: str) -> str:
        return _look(ctx, role, *PART_LOOKS[role])

    protos = ctx.protos
    key = ("parts", ent.proxy, np.asarray(ent.bounds).tobytes())
    proto = protos.paths.get(key)
    if proto is None:  # the body is shared by every vehicle of the same shape and size, as other proxies are
        if not protos.paths:
            a.prim(PROTOTYPES, "Scope", Sdf.SpecifierClass)
        proto = f"{PROTOTYPES}/{prim_name(ent.proxy, protos.used)}"
        mesh, faces = _merge(list(vp.body))
        pprim = _mesh(a, proto, mesh, "proxy")
        pprim.customData = {}
        _subsets(a, proto, pprim, [(role, f, look(role)) for role, f in faces if role != "body"])
        protos.paths[key] = proto
    mprim = a.prim(f"{path}/{prim_name(name + '_proxy', ctx.used)}", "Mesh")
    mprim.referenceList.prependedItems = [Sdf.Reference("", Sdf.Path(proto))]
    mprim.customData = {KEY: {"role": "proxy"}}
    if mat is not None:
        a.api_schemas(mprim, ["MaterialBindingAPI"])
        a.rel(mprim, "material:binding", ctx.mat_paths[mat.id])
    keys = wheel_keys(ctx.scene, ctx.timeline, ent.id, vp) if ctx.timeline.frame_count > 1 else None
    if keys is not None:  # time codes are frames
        c = keys[0] * float(ctx.timeline.fps)
        codes = np.where(np.abs(c - np.round(c)) < 1e-6, np.round(c), c).tolist()
    for k, (w, wm) in enumerate(zip(vp.wheels, vp.wheel_meshes)):
        wpath = f"{path}/{prim_name(f'{name}_wheel_{k + 1}', ctx.used)}"
        wx = a.prim(wpath, "Xform")
        wx.customData = {KEY: {"role": "wheel", "radius": w.radius, "steers": w.steers}}
        a.attr(wx, "xformOp:translate", T.Float3, Gf.Vec3f(*w.center))
        orient = a.attr(wx, "xformOp:orient", T.Quatf, Gf.Quatf(1.0))
        if keys is not None:
            for code, q in zip(codes, keys[1][:, k].tolist()):
                a.layer.SetTimeSample(orient.path, code, Gf.Quatf(q[3], q[0], q[1], q[2]))
        a.attr(wx, "xformOpOrder", T.TokenArray, Vt.TokenArray(["xformOp:translate", "xformOp:orient"]), uniform=True)
        wmesh, wfaces = _merge(list(wm))
        tyre = _mesh(a, f"{wpath}/Tyre", wmesh, "wheel_mesh")
        a.api_schemas(tyre, ["MaterialBindingAPI"])
        _subsets(a, f"{wpath}/Tyre", tyre, [(role, f, look(role)) for role, f in wfaces])
