"""The folders ``render -o FOLDER`` and ``rerender -o FOLDER`` write, each published as a whole.

A command writes every file (frames, passes, boxes, the index, videos, metadata) into a staging
folder beside FOLDER and puts it in place only when all of them were written
(:class:`scenegraph.model.outputs.OutputFolder`): an error, Ctrl-C or SIGTERM leaves FOLDER as it
was (a previous complete render stays whole), a process killed outright leaves a staging folder the
next run removes.  FOLDER may hold only what the same command writes (the names below), so
replacing it loses nothing else; a re-render that keeps some frames copies them into the staging
folder (:meth:`OutputFolder.stage`) before the commit.

>>> bool(RENDER_NAMES.fullmatch("rgb_0012.png")), bool(RENDER_NAMES.fullmatch("notes.txt"))
(True, False)
"""
from __future__ import annotations

import os
import re

from scenegraph.model.outputs import OutputFolder

__all__ = ["RENDER_NAMES", "RERENDER_NAMES", "render_folder", "rerender_folder"]

#: what ``render`` writes in its folder (add a new file's name here)
RENDER_NAMES = re.compile(r"(rgb_\d{4,}\.png|passes_\d{4,}\.npz|boxes_\d{4,}\.json|passes\.json|render\.json|render_scene\.json)")
#: what ``rerender`` writes in its folder
RERENDER_NAMES = re.compile(r"(controls|frames|rerender\.mp4|rerender\.json|cosmos_transfer_spec\.json)")


def render_folder(path: str | os.PathLike) -> OutputFolder:
    """The ``render -o`` folder, checked (before any work) and staged."""
    return OutputFolder(path, RENDER_NAMES.fullmatch, what="render folder")


def rerender_folder(path: str | os.PathLike) -> OutputFolder:
    """The ``rerender -o`` folder, checked (before any work) and staged."""
    return OutputFolder(path, RERENDER_NAMES.fullmatch, what="rerender folder")
