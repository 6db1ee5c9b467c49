"""USD parts under an entity's prim: characters as UsdSkel, vehicles as body + GeomSubsets + spinning wheels.

Called from :func:`exporters.usd_write._write_entity` for objects with a proxy;
returns False for entities it does not handle (they get the shared prototype).

- A character (:mod:`scenegraph.appearance.rig`): a ``SkelRoot`` child
  ``<name>_rig`` holding a ``Skeleton`` (joints as paths, bind and rest
  transforms, bound to its ``SkelAnimation``), the ``SkelAnimation`` (joint
  rotations and translations sampled per frame from
  :func:`scenegraph.appearance.gait.pose_track`, for the root and the joints
  that turn only: the others keep their rest transform) and the skinned ``Mesh``
  ``Body`` (``SkelBindingAPI``: ``skel:skeleton``).  The body's geometry
  (points, ``primvars:skel:jointIndices`` / ``jointWeights``, one ``GeomSubset``
  per material role) is a prototype under /World/Prototypes shared by every
  character with the same body bytes; ``Body`` references it and binds each
  subset through an ``over`` (clothes take the entity's material, the rest
  per-entity looks).
- A vehicle (:mod:`scenegraph.appearance.vehicle`): the proxy ``Mesh`` references
  the body prototype with one ``GeomSubset`` per part (glass, lights, trim) bound
  to its own material, the body's faces keep the entity's material; each wheel
  is an ``Xform`` (``<name>_wheel_N``) whose orient op spins and steers per frame
  (an axle's twin wheel gets the samples by ``Sdf.CopySpec``), its ``Tyre`` a
  reference to the shared tyre prototype.

Each reference is its own prim, so Blender's importer still makes one editable object per part.
Every prim made here carries ``customData.scenegraph.role``, so the reader
prunes it: the entity's prim, its ops and its metadata stay the round trip's.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from exporters._usd_author import bind, mesh_digest, preview_material, set_samples, write_mesh, write_subsets
from exporters._usd_common import KEY, ROOT, prim_name

__all__ = ["write_parts"]


def write_parts(ctx: Any, ent: Any, path: str, name: str, mat: Any) -> bool:
    """Write ``ent``'s rig or vehicle parts under ``path``; False when it has neither."""
    from scenegraph.appearance.rig import rig_kind
    from scenegraph.appearance.vehicle import vehicle_parts

    if rig_kind(ent) is not None:  # rig_for and pose_track, maybe computed ahead (scenegraph.appearance.tracks)
        rig, pose = ctx.tracks.character(ent.id)
        _character(ctx, ent, rig, pose, path, name, mat)
        return True
    vp = vehicle_parts(ent)
    if vp is not None:
        _vehicle(ctx, ent, vp, path, name, mat)
        return True
    return False


def _look(ctx: Any, role: str, color: Any, metallic: float, roughness: float, emissive: Any) -> str:
    """A shared Material (UsdPreviewSurface) for a part role and colour, under /World/PartLooks."""
    a = ctx.a
    looks = ctx.__dict__.setdefault("part_looks", {})
    key = (role, tuple(round(float(c), 6) for c in color))
    if key in looks:
        return looks[key]
    if "scope" not in looks:
        looks["scope"] = f"{ROOT}/{prim_name('PartLooks', ctx.used)}"
        a.prim(looks["scope"], "Scope").customData = {KEY: {"role": "looks"}}
    path = f"{looks['scope']}/{prim_name(role, ctx.__dict__.setdefault('part_look_names', set()))}"
    mprim, _ = preview_material(a, path, {"diffuseColor": tuple(float(c) for c in color), "metallic": float(metallic),
                                          "roughness": float(roughness), "emissiveColor": tuple(4.0 * float(c) for c in emissive)})
    mprim.customData = {KEY: {"role": "look"}}
    looks[key] = path
    return path


def _shared_mesh(ctx: Any, path: str, role: str, proto: str) -> Any:
    """A Mesh prim at ``path`` referencing the prototype ``proto`` (its own prim: its own object in Blender)."""
    prim = ctx.a.prim(path, "Mesh")
    ctx.a.reference(prim, proto)
    prim.customData = {KEY: {"role": role}}
    return prim


def _merge(parts: list) -> tuple[Any, list[tuple[str, np.ndarray]]]:
    from scenegraph.appearance.shapes import merge

    faces, start = [], 0
    for role, m, *_ in parts:
        n = len(m.indices)
        faces.append((role, np.arange(start, start + n)))
        start += n
    return merge([p[1] for p in parts]), faces


def _translations(offsets: Any) -> Any:
    """Vt.Matrix4dArray of pure translations (USD's row-vector matrices: the offset in the last row)."""
    from pxr import Vt

    off = np.asarray(offsets, np.float64).reshape(-1, 3)
    m = np.repeat(np.eye(4)[None], len(off), axis=0)
    m[:, 3, :3] = off
    return Vt.Matrix4dArray.FromNumpy(m)


def _content_key(ctx: Any, kind: str, parts: Any) -> tuple:
    """A prototype key from the bytes of ``parts`` ((role, mesh, *joints) tuples); remembered per parts object
    for the write (rigs and vehicles of one shape hand out the same parts objects)."""
    memo = ctx.__dict__.setdefault("content_keys", {})
    hit = memo.get(id(parts))
    if hit is not None and hit[0] is parts:
        return hit[1]
    key = (kind,) + tuple(mesh_digest(role, m.positions, m.indices, m.normals, m.uvs, *rest) for role, m, *rest in parts)
    memo[id(parts)] = (parts, key)  # holding parts keeps its id from being reused
    return key


def _skin_prototype(ctx: Any, rig: Any, name: str) -> tuple[str, list[str]]:
    """The shared skinned body of ``rig`` (mesh, joint indices and weights, one GeomSubset per part role,
    unbound) and its roles: characters whose bodies have the same bytes share one prototype."""
    from pxr import Gf, Vt

    key = _content_key(ctx, "skin", rig.parts)
    roles = [role for role, *_ in rig.parts]

    def author(proto: str) -> None:
        a, T = ctx.a, ctx.a.T
        mesh, faces = _merge(list(rig.parts))
        body = write_mesh(a, proto, mesh)
        a.api_schemas(body, ["SkelBindingAPI"])
        idx = np.concatenate([j for _, _, j in rig.parts]).astype(np.int32)
        a.attr(body, "primvars:skel:jointIndices", T.IntArray, Vt.IntArray.FromNumpy(idx), interpolation="vertex", elementSize=1)
        a.attr(body, "primvars:skel:jointWeights", T.FloatArray, Vt.FloatArray.FromNumpy(np.ones(idx.size, np.float32)),
               interpolation="vertex", elementSize=1)
        a.attr(body, "primvars:skel:geomBindTransform", T.Matrix4d, Gf.Matrix4d(1.0))
        write_subsets(a, proto, body, [(role, f, None) for role, f in faces])

    return ctx.protos.shared(key, f"{name}_body", author), roles


@functools.lru_cache(maxsize=64)
def _joint_paths(names: tuple[str, ...], parents: tuple[int, ...]) -> tuple[str, ...]:
    """UsdSkel joint names: each joint's path from the root ("hips/spine/chest")."""
    out = []
    for j, n in enumerate(names):
        chain, p = [n], parents[j]
        while p >= 0:
            chain.append(names[p])
            p = parents[p]
        out.append("/".join(reversed(chain)))
    return tuple(out)


def _character(ctx: Any, ent: Any, rig: Any, pose: Any, path: str, name: str, mat: Any) -> None:
    from pxr import Vt

    a, T = ctx.a, ctx.a.T
    root = f"{path}/{prim_name(name + '_rig', ctx.used)}"
    sr = a.prim(root, "SkelRoot")
    sr.customData = {KEY: {"role": "rig"}}
    joints = _joint_paths(tuple(rig.names), tuple(int(p) for p in rig.parents))
    tokens = Vt.TokenArray(joints)
    skel_path, anim_path, body_path = f"{root}/Skeleton", f"{root}/Animation", f"{root}/Body"
    sk = a.prim(skel_path, "Skeleton")
    sk.customData = {KEY: {"role": "skeleton"}}
    a.api_schemas(sk, ["SkelBindingAPI"])
    a.attr(sk, "joints", T.TokenArray, tokens, uniform=True)
    a.attr(sk, "bindTransforms", T.Matrix4dArray, _translations(rig.bind_world()), uniform=True)
    a.attr(sk, "restTransforms", T.Matrix4dArray, _translations(rig.offsets), uniform=True)
    a.rel(sk, "skel:animationSource", anim_path)
    an = a.prim(anim_path, "SkelAnimation")
    an.customData = {KEY: {"role": "animation"}}
    rots = np.asarray(pose.rotations, np.float32)  # GfQuatf is (i, j, k, real) in memory: xyzw
    # the animation names only the root and the joints that turn: the others keep their rest transform
    # (identity rotation, the rig's offset), which UsdSkel uses for joints an animation leaves out
    live = np.flatnonzero(np.any(rots != np.array([0, 0, 0, 1], np.float32), axis=(0, 2)) | (np.arange(len(joints)) == 0))
    a.attr(an, "joints", T.TokenArray, Vt.TokenArray([joints[j] for j in live]), uniform=True)
    a.attr(an, "scales", T.Half3Array, Vt.Vec3hArray.FromNumpy(np.ones((live.size, 3), np.float16)))
    trans = np.repeat(np.asarray(rig.offsets, np.float32)[None, live], ctx.timeline.frame_count, axis=0)
    trans[:, 0] = pose.root
    rots = np.ascontiguousarray(rots[:, live])
    codes = np.arange(ctx.timeline.frame_count, dtype=np.float64).tolist()
    set_samples(a.attr(an, "rotations", T.QuatfArray), codes, [Vt.QuatfArray.FromNumpy(r) for r in rots])
    set_samples(a.attr(an, "translations", T.Float3Array), codes, [Vt.Vec3fArray.FromNumpy(t) for t in trans])
    proto, roles = _skin_prototype(ctx, rig, str(ent.cls))
    body = _shared_mesh(ctx, body_path, "body", proto)
    a.api_schemas(body, ["SkelBindingAPI", "MaterialBindingAPI"])
    a.rel(body, "skel:skeleton", skel_path)
    for role in roles:
        if role == "clothes" and mat is not None:
            target = ctx.mat_paths[mat.id]
        else:
            target = _look(ctx, role, rig.colors.get(role, (0.5, 0.5, 0.5)), 0.0, 0.7, (0, 0, 0))
        bind(a, f"{body_path}/{role}", target)


def _vehicle(ctx: Any, ent: Any, vp: Any, path: str, name: str, mat: Any) -> None:
    from pxr import Gf, Sdf, Vt

    from scenegraph.appearance.vehicle import PART_LOOKS, moving_wheel_keys

    a, T = ctx.a, ctx.a.T

    def look(role: str) -> str:
        return _look(ctx, role, *PART_LOOKS[role])

    def shared(key: Any, proto_name: str, parts: Any, skip: str = "") -> str:
        def author(proto: str) -> None:
            mesh, faces = _merge(list(parts))
            write_subsets(a, proto, write_mesh(a, proto, mesh), [(role, f, look(role)) for role, f in faces if role != skip])
        return ctx.protos.shared(key, proto_name, author)

    # the body is shared by every vehicle of the same shape and size, as other proxies are; wheels by their bytes
    proto = shared(("parts", ent.proxy, np.asarray(ent.bounds).tobytes()), ent.proxy, vp.body, skip="body")
    mprim = _shared_mesh(ctx, f"{path}/{prim_name(name + '_proxy', ctx.used)}", "proxy", proto)
    if mat is not None:
        a.api_schemas(mprim, ["MaterialBindingAPI"])
        a.rel(mprim, "material:binding", ctx.mat_paths[mat.id])
    keys = moving_wheel_keys(ctx.tracks.wheels(ent.id)) if ctx.timeline.frame_count > 1 else None  # vehicle.wheel_keys
    if keys is not None:  # time codes are frames
        c = keys[0] * float(ctx.timeline.fps)
        codes = np.where(np.abs(c - np.round(c)) < 1e-6, np.round(c), c).tolist()
    spins: dict[bytes, Any] = {}  # a wheel's samples by their bytes: the left and right wheel of an axle turn alike
    for k, (w, wm) in enumerate(zip(vp.wheels, vp.wheel_meshes)):
        wpath = f"{path}/{prim_name(f'{name}_wheel_{k + 1}', ctx.used)}"
        wx = a.prim(wpath, "Xform")
        wx.customData = {KEY: {"role": "wheel", "radius": w.radius, "steers": w.steers}}
        a.attr(wx, "xformOp:translate", T.Float3, Gf.Vec3f(*w.center))
        spin = np.ascontiguousarray(keys[1][:, k]) if keys is not None else None
        twin = spins.get(spin.tobytes()) if spin is not None else None
        if twin is not None:  # the same samples: copied in C++ (one call instead of one per sample)
            Sdf.CopySpec(a.layer, twin, a.layer, wx.path.AppendProperty("xformOp:orient"))
        else:
            orient = a.attr(wx, "xformOp:orient", T.Quatf, Gf.Quatf(1.0))
            if spin is not None:  # xyzw float32 is GfQuatf's memory layout
                set_samples(orient, codes, Vt.QuatfArray.FromNumpy(spin))
                spins[spin.tobytes()] = orient.path
        a.attr(wx, "xformOpOrder", T.TokenArray, Vt.TokenArray(["xformOp:translate", "xformOp:orient"]), uniform=True)
        tyre = _shared_mesh(ctx, f"{wpath}/Tyre", "wheel_mesh", shared(_content_key(ctx, "wheel", wm), "tyre", wm))
        a.api_schemas(tyre, ["MaterialBindingAPI"])
