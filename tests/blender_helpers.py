"""Drive Blender (the ``bpy`` module) in a subprocess for the glTF tests and benchmark.

Run as a script so Blender's global state and slow start stay out of the test process:

    python blender_helpers.py inspect FILE FPS FRAMES OUT.json
        import FILE; write per object: type, parent, scenegraph id, world
        positions (Blender Z-up) at each frame in FRAMES (comma list), the
        frame range of its animation, camera/light data
    python blender_helpers.py edit IN OUT EDITS.json
        import IN, apply EDITS ([{"object", "frame"?, "location"}] in Blender
        coordinates; with "frame" the location is keyed there; or
        {"material", "base_color"}; {"delete": object}; {"add_cube": name, "location"}),
        export OUT
        with Blender's glTF exporter (extras, +Y up, animations, cameras, lights)
    python blender_helpers.py roundtrip IN OUT
        import IN and export OUT unchanged; prints the seconds each took
    python blender_helpers.py rigs FILE FRAMES OUT.json
        import FILE; write per object: type, parent, vertices and loose vertices of meshes, material
        slots, armature bones, the action's pose-bone curves, and each bone's world head position at
        each frame in FRAMES (Blender Z-up)
"""
from __future__ import annotations

import json
import sys
import time


def _import(path: str, fps: float = 24.0) -> None:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = int(round(fps))
    bpy.ops.import_scene.gltf(filepath=path)


def _export(path: str) -> None:
    import bpy

    bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", export_extras=True, export_yup=True,
                              export_animations=True, export_cameras=True, export_lights=True)


def inspect(path: str, fps: str, frames: str, out: str) -> None:
    import bpy

    _import(path, float(fps))
    scene = bpy.context.scene
    wanted = [int(f) for f in frames.split(",") if f]
    objs = {}
    for o in bpy.data.objects:
        sg = o.get("scenegraph")
        ad = o.animation_data
        action = ad.action if ad is not None else None
        rec = {
            "type": o.type,
            "parent": o.parent.name if o.parent else None,
            "id": sg["id"] if sg is not None and "id" in sg else None,
            "frame_range": list(action.frame_range) if action is not None else None,
            "world": {},
        }
        if o.type == "CAMERA":
            rec["camera"] = {"angle_y": o.data.angle_y, "clip_start": o.data.clip_start, "clip_end": o.data.clip_end}
        if o.type == "LIGHT":
            rec["light"] = {"type": o.data.type}
        objs[o.name] = rec
    for f in wanted:
        scene.frame_set(f)
        for o in bpy.data.objects:
            objs[o.name]["world"][str(f)] = list(o.matrix_world.translation)
            objs[o.name].setdefault("forward", {})[str(f)] = list(-o.matrix_world.col[2].xyz.normalized())  # local -Z
    with open(out, "w") as fh:
        json.dump({"objects": objs, "scene_extras": "scenegraph" in scene}, fh)


def edit(src: str, dst: str, edits: str) -> None:
    import bpy

    _import(src)
    with open(edits) as fh:
        todo = json.load(fh)
    scene = bpy.context.scene
    for e in todo:
        if "delete" in e:
            bpy.data.objects.remove(bpy.data.objects[e["delete"]], do_unlink=True)
            continue
        if "add_cube" in e:
            bpy.ops.mesh.primitive_cube_add(size=1.0, location=e["location"])
            bpy.context.active_object.name = e["add_cube"]
            continue
        if "material" in e:  # a material's base colour, on its Principled BSDF
            mat = bpy.data.materials[e["material"]]
            bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
            bsdf.inputs["Base Color"].default_value = (*e["base_color"], 1.0)
            continue
        o = bpy.data.objects[e["object"]]
        if "frame" in e:
            scene.frame_set(e["frame"])
            o.location = e["location"]
            o.keyframe_insert(data_path="location", frame=e["frame"])
        else:
            o.location = e["location"]
    _export(dst)


def roundtrip(src: str, dst: str) -> None:
    t0 = time.perf_counter()
    _import(src)
    t1 = time.perf_counter()
    _export(dst)
    t2 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "export_s": t2 - t1}))


def rigs(path: str, frames: str, out: str) -> None:
    import bpy

    _import(path)
    scene = bpy.context.scene
    objs = {}
    for o in bpy.data.objects:
        rec = {"type": o.type, "parent": o.parent.name if o.parent else None}
        if o.type == "MESH":
            used = {v for p in o.data.polygons for v in p.vertices}
            rec.update(vertices=len(o.data.vertices), loose=len(o.data.vertices) - len(used), materials=len(o.data.materials),
                       armature=next((m.object.name for m in o.modifiers if m.type == "ARMATURE" and m.object), None))
        if o.type == "ARMATURE":
            action = o.animation_data.action if o.animation_data else None
            curves = []
            if action is not None:
                curves = [fc.data_path for fc in getattr(action, "fcurves", [])]
                if not curves:  # Blender 5 layered actions: curves live in channelbags
                    for layer in action.layers:
                        for strip in layer.strips:
                            for bag in strip.channelbags:
                                curves += [fc.data_path for fc in bag.fcurves]
            rec.update(bones=[b.name for b in o.data.bones], action=action.name if action else None,
                       bone_curves=sum(1 for c in curves if c.startswith("pose.bones")), heads={})
        objs[o.name] = rec
    for f in [int(x) for x in frames.split(",") if x]:
        scene.frame_set(f)
        for o in bpy.data.objects:
            if o.type == "ARMATURE":
                objs[o.name]["heads"][str(f)] = {pb.name: list(o.matrix_world @ pb.head) for pb in o.pose.bones}
    with open(out, "w") as fh:
        json.dump(objs, fh)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"inspect": inspect, "edit": edit, "roundtrip": roundtrip, "rigs": rigs}[cmd](*args)
