"""scenegraph: text in, an editable, animated 3D world out.

>>> import scenegraph
>>> scene = scenegraph.Scene(fps=24, duration=1.0)
>>> scene.frame_count
25

Heavy parts (torch, gsplat, diffusers, transformers, usd-core) are imported
lazily by the functions that need them; importing this package needs only
numpy and pydantic (networkx only for ``Scene.graph``).
"""
from __future__ import annotations

import os
from typing import Any

# torch's OpenMP threads sleep at a barrier instead of spinning (read once, when torch loads): the
# rasterizer runs hundreds of small ops per frame, and on a busy machine spinning threads took the
# cores the other threads needed (a 3-frame render: 19.6 s spinning, 4.3 s passive, load 25 on 2 cores)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if hasattr(os, "register_at_fork"):  # a forked child of a process that ran torch's threads would hang on its next render
    from scenegraph.model.cpus import one_thread_after_fork

    os.register_at_fork(after_in_child=one_thread_after_fork)

from scenegraph.errors import (
    BackendError,
    FormatError,
    LayoutError,
    ModelError,
    NodeNotFoundError,
    SceneGraphError,
    SimulationError,
    SpecError,
)
from scenegraph.model import (
    CameraParams,
    Dynamics,
    Entity,
    LightParams,
    Material,
    Scene,
    Trajectory,
    Transform,
)

from scenegraph.version import __version__

__all__ = [
    "__version__",
    "BackendError",
    "CameraParams",
    "Dynamics",
    "Entity",
    "FormatError",
    "LayoutError",
    "LightParams",
    "Material",
    "ModelError",
    "NodeNotFoundError",
    "Scene",
    "SceneGraphError",
    "SimulationError",
    "SpecError",
    "Timeline",
    "Trajectory",
    "Transform",
    "build",
    "simulate",
]


def __getattr__(name: str) -> Any:  # lazy: keep `import scenegraph` light
    if name in ("simulate", "Timeline"):
        from scenegraph import world

        return getattr(world, name)
    if name == "build":
        from scenegraph.pipeline import build

        return build
    raise AttributeError(f"module 'scenegraph' has no attribute {name!r}")
