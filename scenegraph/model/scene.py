"""The scene model: entities, materials and trajectories in a directed graph.

Payloads (:class:`Entity`, :class:`Material`, :class:`Trajectory`, ...) are
frozen dataclasses validated in ``__post_init__``; arrays are numpy, read-only,
float32 for geometry and float64 for time.  :class:`Scene` owns a directed
graph (:class:`~scenegraph.model.digraph.DiGraph`, networkx's layout without
its import time; ``Scene.graph`` gives a frozen ``networkx.DiGraph``) whose node ids are stable strings; every mutation goes
through a method that keeps the invariants (unique ids, one parent, no cycles,
edges between nodes of the right kinds) and raises :class:`ModelError` naming
the node and the field otherwise.

Conventions (DESIGN.md): metres, seconds, radians; +Y up, ground y = 0;
an entity's front faces +Z; quaternions are (x, y, z, w).

The payload classes live in :mod:`scenegraph.model.payloads` and the quaternion
helpers in :mod:`scenegraph.model.rotations`; both are re-exported here.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scenegraph.errors import FormatError, ModelError, NodeNotFoundError
from scenegraph.model import codec
from scenegraph.model.digraph import DiGraph
from scenegraph.model.files import atomic_write, gc_paused
from scenegraph.model.payloads import (
    EDGE_KINDS,
    SPATIAL_RELATIONS,
    Entity,
    Material,
    Trajectory,
    _check_range,
)

__all__ = ["Scene"]  # the payloads and rotations it uses are re-exported by scenegraph.model

# --------------------------------------------------------------------------
# the scene
# --------------------------------------------------------------------------

_PAYLOAD_KIND = {Entity: "entity", Material: "material", Trajectory: "trajectory"}


class Scene:
    """A scene graph: entities, materials and trajectories, plus scene settings.

    >>> s = Scene(fps=24, duration=2.0)
    >>> _ = s.add_material(Material("mat_red", base_color=(0.8, 0.05, 0.05)))
    >>> _ = s.add_entity(Entity("car_1", cls="car"), material="mat_red")
    >>> s.material_of("car_1").id
    'mat_red'
    >>> [e.id for e in s.entities()]
    ['car_1']
    """

    def __init__(
        self,
        fps: float = 24.0,
        duration: float = 5.0,
        seed: int = 0,
        prompt: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._g = DiGraph()
        self.fps = fps
        self.duration = duration
        self.seed = seed
        self.prompt = prompt
        self.metadata: dict[str, Any] = dict(metadata or {})

    # -- settings ----------------------------------------------------------
    @property
    def fps(self) -> float:
        return self._fps

    @fps.setter
    def fps(self, value: float) -> None:
        v = _check_range(value, 1e-3, 1e4, "scene.fps")
        self._fps = v

    @property
    def duration(self) -> float:
        return self._duration

    @duration.setter
    def duration(self, value: float) -> None:
        self._duration = _check_range(value, 0.0, 1e6, "scene.duration")

    @property
    def seed(self) -> int:
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ModelError(f"scene.seed: expected a non-negative integer, got {value!r}")
        self._seed = int(value)

    @property
    def frame_count(self) -> int:
        """Frames 0..n-1 at t = i / fps cover [0, duration]."""
        return int(math.floor(self.duration * self.fps + 1e-9)) + 1

    @property
    def graph(self) -> Any:
        """A read-only ``networkx.DiGraph`` copy of the graph (node attrs: ``kind``, ``data``; edge attr ``rel``)."""
        return self._g.to_networkx()

    def edges(self) -> list[tuple[str, str, str]]:
        """Every edge as (from, to, rel) in insertion order: material, follows, parent and spatial relations."""
        return list(self._g.edges(data="rel"))

    # -- queries -----------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def _node(self, node_id: str, kind: str | None = None) -> Any:
        if node_id not in self._g:
            want = kind or "node"
            raise NodeNotFoundError(f"no {want} with id {node_id!r} in the scene")
        attrs = self._g.nodes[node_id]
        if kind is not None and attrs["kind"] != kind:
            raise NodeNotFoundError(f"{node_id!r} is a {attrs['kind']}, not a {kind}")
        return attrs["data"]

    def node(self, node_id: str) -> Entity | Material | Trajectory:
        return self._node(node_id)

    def kind_of(self, node_id: str) -> str:
        self._node(node_id)
        return self._g.nodes[node_id]["kind"]

    def entity(self, entity_id: str) -> Entity:
        return self._node(entity_id, "entity")

    def material(self, material_id: str) -> Material:
        return self._node(material_id, "material")

    def trajectory(self, trajectory_id: str) -> Trajectory:
        return self._node(trajectory_id, "trajectory")

    def _of_kind(self, kind: str) -> list:
        return [d["data"] for _, d in self._g.nodes(data=True) if d["kind"] == kind]

    def entities(self, kind: str | None = None) -> list[Entity]:
        """Entities in insertion order, optionally only ``object``, ``camera`` or ``light``."""
        ents = self._of_kind("entity")
        return ents if kind is None else [e for e in ents if e.kind == kind]

    def materials(self) -> list[Material]:
        return self._of_kind("material")

    def trajectories(self) -> list[Trajectory]:
        return self._of_kind("trajectory")

    def cameras(self) -> list[Entity]:
        return self.entities("camera")

    def lights(self) -> list[Entity]:
        return self.entities("light")

    def _out(self, node_id: str, rel: str) -> list[str]:
        return [v for v in self._g.successors(node_id) if self._g.edges[node_id, v]["rel"] == rel]

    def material_of(self, entity_id: str) -> Material | None:
        self.entity(entity_id)
        ids = self._out(entity_id, "material")
        return self.material(ids[0]) if ids else None

    def trajectory_of(self, entity_id: str) -> Trajectory | None:
        self.entity(entity_id)
        ids = self._out(entity_id, "follows")
        return self.trajectory(ids[0]) if ids else None

    def parent_of(self, entity_id: str) -> Entity | None:
        self.entity(entity_id)
        for u in self._g.predecessors(entity_id):
            if self._g.edges[u, entity_id]["rel"] == "parent":
                return self.entity(u)
        return None

    def children_of(self, entity_id: str) -> list[Entity]:
        self.entity(entity_id)
        return [self.entity(v) for v in self._out(entity_id, "parent")]

    def users_of(self, node_id: str) -> list[Entity]:
        """Entities whose material or trajectory is ``node_id``."""
        self._node(node_id)
        return [self.entity(u) for u in self._g.predecessors(node_id) if self._g.edges[u, node_id]["rel"] in ("material", "follows")]

    def relations(self) -> list[tuple[str, str, str]]:
        """Spatial relations as (subject, rel, object), in insertion order."""
        return [(u, d["rel"], v) for u, v, d in self._g.edges(data=True) if d["rel"] in SPATIAL_RELATIONS]

    def topological_entities(self) -> list[Entity]:
        """Entities with every parent before its children (insertion order otherwise)."""
        order: list[Entity] = []
        seen: set[str] = set()

        def visit(e: Entity) -> None:
            if e.id in seen:
                return
            p = self.parent_of(e.id)
            if p is not None:
                visit(p)
            seen.add(e.id)
            order.append(e)

        for e in self.entities():
            visit(e)
        return order

    def world_matrix(self, entity_id: str) -> np.ndarray:
        """The rest-pose world matrix (4, 4) of an entity (parents' transforms applied)."""
        m = self.entity(entity_id).transform.matrix()
        p = self.parent_of(entity_id)
        while p is not None:
            m = p.transform.matrix() @ m
            p = self.parent_of(p.id)
        return m

    # -- mutations ---------------------------------------------------------
    def _add(self, payload: Any) -> None:
        kind = _PAYLOAD_KIND.get(type(payload))
        if kind is None:
            raise ModelError(f"cannot add a {type(payload).__name__} to a scene")
        if payload.id in self._g:
            raise ModelError(f"{kind} id {payload.id!r} is already used by a {self._g.nodes[payload.id]['kind']}")
        self._g.add_node(payload.id, kind=kind, data=payload)

    def add_material(self, material: Material) -> Material:
        self._add(material)
        return material

    def add_trajectory(self, trajectory: Trajectory) -> Trajectory:
        self._add(trajectory)
        return trajectory

    def add_entity(
        self,
        entity: Entity,
        *,
        material: str | None = None,
        parent: str | None = None,
        trajectory: str | None = None,
    ) -> Entity:
        """Add an entity and, optionally, its material, parent and trajectory edges.

        Raises ModelError if the id is taken or an edge is invalid; on error the
        scene is left unchanged.
        """
        if not isinstance(entity, Entity):
            raise ModelError(f"add_entity expects an Entity, got {type(entity).__name__}")
        for ref, kind in ((material, "material"), (parent, "entity"), (trajectory, "trajectory")):
            if ref is not None:
                self._node(ref, kind)
        self._add(entity)
        try:
            if material is not None:
                self.set_material(entity.id, material)
            if parent is not None:
                self.set_parent(entity.id, parent)
            if trajectory is not None:
                self.set_trajectory(entity.id, trajectory)
        except Exception:
            self._g.remove_node(entity.id)
            raise
        return entity

    def _replace_out_edge(self, entity_id: str, target: str | None, rel: str) -> None:
        self.entity(entity_id)
        if target is not None:
            self._node(target, EDGE_KINDS[rel][1])
        for v in self._out(entity_id, rel):
            self._g.remove_edge(entity_id, v)
        if target is not None:
            self._g.add_edge(entity_id, target, rel=rel)

    def set_material(self, entity_id: str, material_id: str | None) -> None:
        if material_id is not None and self.entity(entity_id).kind != "object":
            raise ModelError(f"entity {entity_id!r}.material: only objects have materials")
        self._replace_out_edge(entity_id, material_id, "material")

    def set_trajectory(self, entity_id: str, trajectory_id: str | None) -> None:
        self._replace_out_edge(entity_id, trajectory_id, "follows")

    def set_parent(self, entity_id: str, parent_id: str | None) -> None:
        """Make ``parent_id`` the parent of ``entity_id`` (None detaches); refuses cycles."""
        child = self.entity(entity_id)
        if parent_id is not None:
            self.entity(parent_id)
            if parent_id == entity_id:
                raise ModelError(f"entity {entity_id!r}.parent: an entity cannot be its own parent")
            p: Entity | None = self.entity(parent_id)
            while p is not None:
                if p.id == entity_id:
                    raise ModelError(f"entity {entity_id!r}.parent: {parent_id!r} is its descendant (cycle)")
                p = self.parent_of(p.id)
            if child.dynamics is not None:
                raise ModelError(f"entity {entity_id!r}.parent: an entity with dynamics must be a root")
        old = self.parent_of(entity_id)
        if old is not None:
            self._g.remove_edge(old.id, entity_id)
        if parent_id is not None:
            self._g.add_edge(parent_id, entity_id, rel="parent")

    def add_relation(self, subject: str, rel: str, obj: str) -> None:
        """Add a spatial relation edge ``subject --rel--> obj`` between two entities."""
        if rel not in SPATIAL_RELATIONS:
            raise ModelError(f"relation {rel!r}: expected one of {', '.join(SPATIAL_RELATIONS)}")
        self.entity(subject)
        self.entity(obj)
        if subject == obj:
            raise ModelError(f"relation {rel!r}: {subject!r} cannot relate to itself")
        if self._g.has_edge(subject, obj):
            old = self._g.edges[subject, obj]["rel"]
            raise ModelError(f"relation {subject!r} {rel} {obj!r}: an edge {old!r} already links them")
        self._g.add_edge(subject, obj, rel=rel)

    def remove_relation(self, subject: str, rel: str, obj: str) -> None:
        if not self._g.has_edge(subject, obj) or self._g.edges[subject, obj]["rel"] != rel:
            raise NodeNotFoundError(f"no relation {subject!r} {rel} {obj!r}")
        self._g.remove_edge(subject, obj)

    def update(self, node_id: str, **changes: Any) -> Any:
        """Replace fields of a node's payload (validated); returns the new payload.

        >>> from scenegraph.model import Transform
        >>> s = Scene(); _ = s.add_entity(Entity("box"))
        >>> s.update("box", transform=Transform((1, 0, 0))).transform.translation.tolist()
        [1.0, 0.0, 0.0]
        """
        old = self._node(node_id)
        if "id" in changes and changes["id"] != node_id:
            raise ModelError(f"{node_id!r}.id: ids are stable and cannot be changed")
        unknown = set(changes) - {f.name for f in dataclasses.fields(old)}
        if unknown:
            raise ModelError(f"{node_id!r}: unknown field(s) {', '.join(sorted(unknown))}")
        new = dataclasses.replace(old, **changes)
        if isinstance(new, Entity):
            if new.dynamics is not None and self.parent_of(node_id) is not None:
                raise ModelError(f"entity {node_id!r}.dynamics: an entity with dynamics must be a root")
            if new.kind != "object" and self._out(node_id, "material"):
                raise ModelError(f"entity {node_id!r}.kind: a {new.kind} cannot keep a material")
        self._g.nodes[node_id]["data"] = new
        return new

    def remove(self, node_id: str, *, recursive: bool = False) -> None:
        """Remove a node and its edges.

        An entity with children needs ``recursive=True`` (children go too); a
        material or trajectory still used by an entity is refused.
        """
        kind = self.kind_of(node_id)
        if kind == "entity":
            kids = self.children_of(node_id)
            if kids and not recursive:
                raise ModelError(
                    f"entity {node_id!r} has children ({', '.join(k.id for k in kids)}); "
                    "remove them first or pass recursive=True"
                )
            for k in kids:
                self.remove(k.id, recursive=True)
        else:
            users = self.users_of(node_id)
            if users:
                raise ModelError(f"{kind} {node_id!r} is used by {', '.join(u.id for u in users)}")
        self._g.remove_node(node_id)

    # -- comparison and serialisation -------------------------------------
    def to_dict(self) -> dict:
        """The canonical JSON-ready dict (see :mod:`scenegraph.model.serialize`)."""
        return codec.scene_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scene":
        """Rebuild a Scene from its canonical dict; raises FormatError naming the bad field."""
        return codec.scene_from_dict(data, cls)

    def save(self, path: Any) -> None:
        """Write ``scene.json`` atomically."""
        with gc_paused():  # in pieces: the file is written without the whole text in memory
            atomic_write(path, codec.chunks(codec.scene_to_dict(self)))

    @classmethod
    def load(cls, path: Any) -> "Scene":
        """Read ``scene.json``; FormatError names the file and the problem."""
        p = Path(path)
        text = codec.read_text(p)
        with gc_paused():
            try:
                return codec.scene_from_dict(codec.loads(text), cls)
            except FormatError as exc:
                raise FormatError(f"{p}: {exc}") from None
            except RecursionError:
                raise FormatError(f"{p}: a value is nested too deeply") from None

    def copy(self) -> "Scene":
        return Scene.from_dict(self.to_dict())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scene) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        n = {k: 0 for k in ("entity", "material", "trajectory")}
        for _, d in self._g.nodes(data=True):
            n[d["kind"]] += 1
        return (
            f"<Scene {n['entity']} entities, {n['material']} materials, {n['trajectory']} trajectories, "
            f"{self.duration:g} s at {self.fps:g} fps>"
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._g.nodes)
