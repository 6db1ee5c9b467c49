"""scenegraph for Blender: build a scene from a prompt, import and export scenegraph files, re-render edits.

A thin add-on: every decision is made by the ``scenegraph`` package (which must
be importable from Blender's Python: ``pip install scenegraph`` into it, or add
the project folder to ``sys.path``); this module only moves data in and out of
``bpy``.  Panel: 3D Viewport > Sidebar > scenegraph.
"""

import os
import tempfile

import bpy
from bpy.props import IntProperty, StringProperty

bl_info = {
    "name": "scenegraph",
    "author": "scenegraph developers",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "View3D > Sidebar > scenegraph",
    "description": "Text in, an animated scene out; read and write scenegraph glTF/USD files with their ids",
    "category": "Import-Export",
}

_ID_PROP = "scenegraph_id"
_SOURCE_PROP = "scenegraph_source"


def _apply_scene_settings(context, fps: float, duration: float) -> None:
    """Match Blender's frame rate and range to a scenegraph scene."""
    scn = context.scene
    scn.render.fps = max(1, int(round(fps)))
    scn.render.fps_base = scn.render.fps / fps
    scn.frame_start = 0
    scn.frame_end = int(round(duration * fps))


def import_scene_file(context, path: str) -> list:
    """Import a scenegraph .glb/.gltf/.usd* file with Blender's own importer; returns the new objects.

    Each object gets a ``scenegraph_id`` custom property (from the file's
    metadata) so edits can be mapped back to the scene graph.  Lights, exposure,
    emission and the world are then set as in our own renders
    (:func:`scenegraph.render.blender_look.apply_look`), for .glb and USD alike.
    """
    from scenegraph import pipeline

    scene = pipeline.load(path)  # validates the file and reads ids, fps, duration
    before = set(bpy.data.objects)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".glb", ".gltf"):
        bpy.ops.import_scene.gltf(filepath=path)
    elif suffix in (".usd", ".usda", ".usdc", ".usdz"):
        bpy.ops.wm.usd_import(filepath=path)
    else:
        raise ValueError(f"{path}: Blender imports .glb, .gltf and USD files from scenegraph")
    new = [o for o in bpy.data.objects if o not in before]
    by_name = {e.name: e.id for e in scene.entities()}
    for obj in new:
        meta = obj.get("scenegraph")  # glTF node extras arrive as a custom property group
        entity_id = (obj.get(_ID_PROP) or (meta.get("id") if hasattr(meta, "get") else None) or by_name.get(obj.name)
                     or (obj.name if obj.name in scene else None))  # USD prims are named by id
        if entity_id:
            obj[_ID_PROP] = entity_id
    _apply_scene_settings(context, scene.fps, scene.duration)
    from scenegraph.render.blender_look import apply_look

    apply_look(bpy, scene, new)  # photometric lights, the scene's exposure, emission and the sky as the world
    bind_shots(context, scene, new)
    context.scene["scenegraph_prompt"] = scene.prompt
    context.scene[_SOURCE_PROP] = os.path.abspath(path)  # where the splats are, for the export
    return new


def bind_shots(context, scene, objects: list) -> None:
    """Make the scene's camera the live one: with a cut list (``scene.metadata["shots"]``) a timeline marker per
    shot, at its start frame and bound to its camera, so Blender switches cameras as it plays and renders."""
    cams = {o.get(_ID_PROP): o for o in objects if o.type == "CAMERA" and o.get(_ID_PROP)}
    shots = scene.metadata.get("shots") if isinstance(scene.metadata, dict) else None
    if not isinstance(shots, list) or not shots:
        if cams and context.scene.camera is None:
            context.scene.camera = cams.get("camera_1") or next(iter(cams.values()))
        return
    for shot in shots:
        cam = cams.get(shot.get("camera"))
        if cam is None:
            continue
        marker = context.scene.timeline_markers.new(f"shot {shot['camera']}", frame=int(round(float(shot["start"]) * scene.fps)))
        marker.camera = cam
        if float(shot["start"]) <= 0.0:
            context.scene.camera = cam


class SCENEGRAPH_OT_build(bpy.types.Operator):
    """Build an animated scene from a text description and import it"""

    bl_idname = "scenegraph.build"
    bl_label = "Build scene from prompt"
    bl_options = {"REGISTER", "UNDO"}

    prompt: StringProperty(name="Prompt", default="a red car drives from left to right")
    seed: IntProperty(name="Seed", default=0, min=0)
    director: StringProperty(name="Director", default="rules")

    def execute(self, context):
        import scenegraph
        from scenegraph import pipeline

        try:
            scene = scenegraph.build(self.prompt, seed=self.seed, director=self.director)
        except scenegraph.SceneGraphError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for warning in scene.metadata.get("warnings", []):
            self.report({"WARNING"}, warning)
        folder = tempfile.mkdtemp(prefix="scenegraph_")
        path = os.path.join(folder, "scene.glb")
        pipeline.export(scene, path)
        import_scene_file(context, path)
        return {"FINISHED"}


class SCENEGRAPH_OT_import(bpy.types.Operator):
    """Import a scenegraph .glb, .gltf or USD file, keeping entity ids"""

    bl_idname = "scenegraph.import_file"
    bl_label = "Import scenegraph file"
    filepath: StringProperty(subtype="FILE_PATH")

    def execute(self, context):
        import scenegraph

        try:
            import_scene_file(context, bpy.path.abspath(self.filepath))
        except (scenegraph.SceneGraphError, ValueError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


def _scene_from_blender(op, context, path: str):
    """The Blender scene as a scenegraph Scene: exported to glTF at ``path`` with ids kept, read back, and the
    splats carried over from the file it was imported from."""
    import scenegraph
    from scenegraph import pipeline

    from scenegraph.render.blender_look import authored_emission

    with authored_emission(bpy):  # the emission strengths the file had, not the exposure-compensated ones
        bpy.ops.export_scene.gltf(filepath=path, export_extras=True, export_yup=True, export_animations=True, export_cameras=True, export_lights=True)
    scene = pipeline.load(path)
    source = context.scene.get(_SOURCE_PROP)
    if source and os.path.isfile(source):
        try:
            carried = pipeline.carry_splats(scene, source)
        except scenegraph.SceneGraphError as exc:
            op.report({"WARNING"}, f"splats not carried over from {source}: {exc}")
        else:
            if carried:
                op.report({"INFO"}, f"splats of {len(carried)} entities carried over from {source}")
    return scene


class SCENEGRAPH_OT_render(bpy.types.Operator):
    """Render frames and passes of the Blender scene into a folder; after an edit only the frames it changed
    are drawn again (scenegraph render --since), the rest are kept"""

    bl_idname = "scenegraph.render_changed"
    bl_label = "Re-render changed frames"
    folder: StringProperty(name="Folder", subtype="DIR_PATH", default="//scenegraph_render")
    width: IntProperty(name="Width", default=320, min=16)
    frames: StringProperty(name="Frames", default="", description="N or START:STOP[:STEP] (empty: all)")

    def execute(self, context):
        import scenegraph
        from scenegraph import pipeline
        from scenegraph.render import write_frames
        from scenegraph.render.output import render_folder
        from scenegraph.render.since import RECORD

        folder = bpy.path.abspath(self.folder)
        frames = self.frames or None
        try:
            with tempfile.TemporaryDirectory(prefix="scenegraph_") as tmp:
                scene = _scene_from_blender(self, context, os.path.join(tmp, "edited.glb"))
            with render_folder(folder) as out:  # published whole: an error leaves the previous render as it was
                if os.path.isfile(os.path.join(folder, RECORD)):
                    message = pipeline.render_update(scene, out.stage(), folder, frames=frames, width=self.width)[1].message()
                else:
                    made = pipeline.render_frames(scene, frames=frames, width=self.width)
                    write_frames(made, out.stage())
                    pipeline.render_record(scene, out.stage(), made, width=self.width)
                    message = f"rendered {len(made)} frames"
                out.commit()
        except scenegraph.SceneGraphError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        context.scene["scenegraph_render_report"] = message
        self.report({"INFO"}, f"{folder}: {message}")
        return {"FINISHED"}


class SCENEGRAPH_OT_export(bpy.types.Operator):
    """Export the Blender scene as glTF with ids kept, and write the edited scene.json beside it.

    Blender's glTF exporter drops the Gaussian splats; the scene.json gets them back from the file
    the scene was imported from (each entity's own splats, wherever the artist moved it)."""

    bl_idname = "scenegraph.export_file"
    bl_label = "Export scenegraph file"
    filepath: StringProperty(subtype="FILE_PATH", default="edited.glb")

    def execute(self, context):
        import scenegraph
        from scenegraph import pipeline

        path = bpy.path.abspath(self.filepath)
        if not path.lower().endswith((".glb", ".gltf")):
            self.report({"ERROR"}, "export to a .glb or .gltf file")
            return {"CANCELLED"}
        try:
            scene = _scene_from_blender(self, context, path)
        except scenegraph.SceneGraphError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        pipeline.export(scene, os.path.splitext(path)[0] + ".json")
        return {"FINISHED"}

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class SCENEGRAPH_PT_panel(bpy.types.Panel):
    bl_label = "scenegraph"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "scenegraph"

    def draw(self, context):
        col = self.layout.column()
        col.operator(SCENEGRAPH_OT_build.bl_idname)
        col.operator(SCENEGRAPH_OT_import.bl_idname)
        col.operator(SCENEGRAPH_OT_export.bl_idname)
        col.operator(SCENEGRAPH_OT_render.bl_idname)


_CLASSES = (SCENEGRAPH_OT_build, SCENEGRAPH_OT_import, SCENEGRAPH_OT_export, SCENEGRAPH_OT_render, SCENEGRAPH_PT_panel)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
