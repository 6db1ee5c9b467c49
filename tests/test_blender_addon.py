"""The Blender add-on: build from a prompt inside Blender, and export with ids kept."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[-2])
    import bpy
    import scenegraph_addon
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scenegraph_addon.register()
    result = bpy.ops.scenegraph.build(prompt="a red car drives from left to right", seed=0)
    sc = bpy.context.scene
    objs = {o.get("scenegraph_id"): o.name for o in bpy.data.objects}
    car = next(o for o in bpy.data.objects if o.get("scenegraph_id") == "car_1")
    sc.frame_set(sc.frame_start); x0 = car.matrix_world.translation.x
    sc.frame_set(sc.frame_end); x1 = car.matrix_world.translation.x
    out = sys.argv[-1]
    bpy.ops.scenegraph.export_file(filepath=out)
    print("RESULT" + json.dumps({"build": sorted(result), "objects": objs, "fps": sc.render.fps / sc.render.fps_base,
                                 "frame_start": sc.frame_start, "frame_end": sc.frame_end, "x0": x0, "x1": x1}))
    """
)


@pytest.mark.blender
@pytest.mark.slow
def test_addon_builds_a_scene_in_blender_and_exports_it(tmp_path):
    pytest.importorskip("bpy")
    script = tmp_path / "addon.py"
    script.write_text(SCRIPT)
    out = tmp_path / "edited.glb"
    r = subprocess.run([sys.executable, str(script), str(REPO / "plugins" / "blender"), str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    line = next(l for l in r.stdout.splitlines() if l.startswith("RESULT"))
    res = json.loads(line[len("RESULT"):])
    assert res["build"] == ["FINISHED"]
    assert {"car_1", "camera_1"} <= set(res["objects"])
    assert res["fps"] == pytest.approx(24.0)
    assert res["frame_start"] == 0 and res["frame_end"] > 24
    assert res["x1"] > res["x0"] + 2.0  # left to right: +X in glTF stays +X in Blender
    scene_json = json.loads((tmp_path / "edited.json").read_text())
    car = next(e for e in scene_json["entities"] if e["id"] == "car_1")
    assert car["gaussians"]["count"] > 100  # Blender's exporter dropped them; the add-on carried them over


CUTS = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[-2])
    import bpy
    import scenegraph_addon
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scenegraph_addon.register()
    scenegraph_addon.import_scene_file(bpy.context, sys.argv[-1])
    sc = bpy.context.scene
    marks = sorted((m.frame, m.camera.get("scenegraph_id")) for m in sc.timeline_markers)
    print("RESULT" + json.dumps({"markers": marks, "camera": sc.camera.get("scenegraph_id") if sc.camera else None}))
    """
)


@pytest.mark.blender
@pytest.mark.slow
def test_cuts_become_camera_markers_in_blender(tmp_path):
    pytest.importorskip("bpy")
    import exporters
    import scenegraph

    scene = scenegraph.build("A cat walks to the sofa, then a bird flies to the window", gaussians="none")
    shots = scene.metadata["shots"]
    glb = exporters.export(scene, tmp_path / "cuts.glb")
    script = tmp_path / "cuts.py"
    script.write_text(CUTS)
    r = subprocess.run([sys.executable, str(script), str(REPO / "plugins" / "blender"), str(glb)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(next(ln for ln in r.stdout.splitlines() if ln.startswith("RESULT"))[len("RESULT"):])
    assert res["markers"] == [[round(s["start"] * scene.fps), s["camera"]] for s in shots]
    assert res["camera"] == shots[0]["camera"]


RENDER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[-2])
    import bpy
    import scenegraph_addon
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scenegraph_addon.register()
    bpy.ops.scenegraph.build(prompt="a red car drives from left to right", seed=1)
    sc = bpy.context.scene
    folder = sys.argv[-1]
    reports = []
    def press():
        assert bpy.ops.scenegraph.render_changed(folder=folder, width=64, frames="0:89:4") == {"FINISHED"}
        reports.append(sc["scenegraph_render_report"])
    press()  # first render: everything
    press()  # nothing edited: everything kept
    # the artist paints the car green
    car = next(o for o in bpy.data.objects if o.get("scenegraph_id") == "car_1")
    mat = car.active_material or next(m for c in car.children_recursive for m in c.data.materials if m)
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.05, 0.8, 0.05, 1.0)
    press()
    print("RESULT" + json.dumps(reports))
    """
)


@pytest.mark.blender
@pytest.mark.slow
def test_addon_rerender_button_draws_only_the_frames_an_edit_changed(tmp_path):
    pytest.importorskip("bpy")
    script = tmp_path / "render.py"
    script.write_text(RENDER_SCRIPT)
    out = tmp_path / "frames"
    r = subprocess.run([sys.executable, str(script), str(REPO / "plugins" / "blender"), str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    first, again, edited = json.loads(next(l for l in r.stdout.splitlines() if l.startswith("RESULT"))[len("RESULT"):])
    assert first == "rendered 23 frames"
    assert again == "reused 23 of 23 frames, re-rendered 0"
    n = int(edited.split("re-rendered ")[1])  # a new colour changes no box: nothing else is made again
    assert 0 < n < 23 and edited == f"reused {23 - n} of 23 frames, re-rendered {n}"  # the frames showing the car only
    index = json.loads((out / "passes.json").read_text())
    assert len(index["frames"]) == 23
