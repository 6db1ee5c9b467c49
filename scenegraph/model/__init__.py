"""The model: the scene graph and everything it is made of, with no behaviour beyond keeping
its invariants.

- :mod:`.scene` -- :class:`Scene`, the graph (:mod:`.digraph`) of entities, materials, trajectories
- :mod:`.payloads` -- the payload dataclasses; :mod:`.rotations` -- quaternion helpers
- :mod:`.gaussians` -- :class:`Gaussians`, an entity's splats in its local frame
- :mod:`.spec` -- :class:`SceneSpec`, the plan a director writes
- :mod:`.catalog`, :mod:`.materials` -- object classes and material words (data)
- :mod:`.serialize` (public), :mod:`.codec`, :mod:`.jsonable`, :mod:`.files` -- scene.json and safe files

Everything :mod:`scenegraph.model` exported before it became a package is re-exported here.
"""
from __future__ import annotations

from scenegraph.model.payloads import (
    EDGE_KINDS,
    ENTITY_KINDS,
    SPATIAL_RELATIONS,
    CameraParams,
    Dynamics,
    Entity,
    LightParams,
    Material,
    Trajectory,
    Transform,
)
from scenegraph.model.rotations import (
    quat_from_axis_angle,
    quat_from_yaw,
    quat_multiply,
    quat_normalize,
    quat_rotate,
    quat_to_matrix,
    trs_matrix,
)
from scenegraph.model.scene import Scene

__all__ = [
    "ENTITY_KINDS",
    "SPATIAL_RELATIONS",
    "EDGE_KINDS",
    "Transform",
    "Material",
    "CameraParams",
    "LightParams",
    "Dynamics",
    "Entity",
    "Trajectory",
    "Scene",
    "quat_normalize",
    "quat_multiply",
    "quat_rotate",
    "quat_from_axis_angle",
    "quat_to_matrix",
    "quat_from_yaw",
    "trs_matrix",
]
