"""scenegraph for the Unreal Editor: build a scene from a prompt and bring it into the level.

Run inside the Unreal Editor's Python (Output Log > Python, or
``py scenegraph_unreal.py "a red car drives from left to right"``) with the
``scenegraph`` package importable from the editor's interpreter and the USD
Importer plugin enabled.  The USD stage is opened through a ``UsdStageActor``
so its time samples drive the level sequence; ``--glb`` imports the glTF
through Interchange instead.  Unreal is Z-up and in centimetres: the USD
stage's ``upAxis = Y`` and ``metersPerUnit = 1`` let Unreal's USD importer
convert, so nothing is converted here.
"""
from __future__ import annotations

import argparse
import os
import tempfile

import unreal  # only available inside the Unreal Editor


def build_files(prompt: str, seed: int = 0, folder: str | None = None) -> dict:
    """Build the scene and write .usdc and .glb files; returns {suffix: path}."""
    import scenegraph
    from scenegraph import pipeline

    scene = scenegraph.build(prompt, seed=seed)
    folder = folder or tempfile.mkdtemp(prefix="scenegraph_")
    out = {}
    for suffix in (".usdc", ".glb"):
        path = os.path.join(folder, "scene" + suffix)
        pipeline.export(scene, path)
        out[suffix] = path
    return out


def open_usd_stage(path: str) -> "unreal.UsdStageActor":
    """Spawn a UsdStageActor showing the stage at ``path`` (animated through its level sequence)."""
    actor = unreal.EditorLevelLibrary.spawn_actor_from_class(unreal.UsdStageActor, unreal.Vector(0, 0, 0))
    actor.set_editor_property("root_layer", unreal.FilePath(path))
    return actor


def import_glb(path: str, destination: str = "/Game/scenegraph") -> list:
    """Import a .glb as assets under ``destination`` with Unreal's importer."""
    task = unreal.AssetImportTask()
    task.set_editor_property("filename", path)
    task.set_editor_property("destination_path", destination)
    task.set_editor_property("automated", True)
    task.set_editor_property("save", True)
    unreal.AssetToolsHelpers.get_asset_tools().import_asset_tasks([task])
    return list(task.get_editor_property("imported_object_paths"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--glb", action="store_true", help="import the glTF as assets instead of opening the USD stage")
    args = parser.parse_args(argv)
    files = build_files(args.prompt, seed=args.seed)
    if args.glb:
        unreal.log(f"scenegraph: imported {import_glb(files['.glb'])}")
    else:
        open_usd_stage(files[".usdc"])
        unreal.log(f"scenegraph: opened {files['.usdc']}")


if __name__ == "__main__":
    main()
