"""The Timeline: every entity's state at every frame, and each camera's visibility record.

Produced by :func:`scenegraph.world.simulate.simulate`; read by the exporters,
the renderers and the visibility pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenegraph.errors import NodeNotFoundError
from scenegraph.model.rotations import trs_matrix

__all__ = ["Timeline", "Visibility", "VisibilityEvent"]


@dataclass(frozen=True)
class VisibilityEvent:
    """An entity entering or leaving a camera's view at ``frame``."""

    frame: int
    time: float
    camera: str
    entity: str
    event: str  # "enter" | "exit"


@dataclass
class Visibility:
    """Per camera: (F, E) arrays over frames and entities (Timeline order)."""

    camera: str
    in_frustum: np.ndarray  # (F, E) bool
    occluded: np.ndarray  # (F, E) bool
    pixel_area: np.ndarray  # (F, E) float32, projected area in pixels
    events: list[VisibilityEvent] = field(default_factory=list)

    @property
    def visible(self) -> np.ndarray:
        """(F, E) bool: in the frustum, not occluded, covering some pixels."""
        return self.in_frustum & ~self.occluded & (self.pixel_area > 0)


@dataclass
class Timeline:
    """The state of every entity at every frame.

    ``position`` (F, E, 3), ``rotation`` (F, E, 4) xyzw, ``scale`` (F, E, 3)
    are local to the entity's parent (world for roots), float32;
    ``velocity`` (F, E, 3) float32 is in the parent's frame too; ``time`` (F,)
    float64 with frame i at i / fps; ``ids`` (E,) in scene order.
    """

    fps: float
    time: np.ndarray
    ids: tuple[str, ...]
    position: np.ndarray
    rotation: np.ndarray
    scale: np.ndarray
    velocity: np.ndarray
    parents: tuple[int, ...] = ()  # index of each entity's parent, -1 for roots
    visibility: dict[str, Visibility] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return int(self.time.shape[0])

    def index(self, entity_id: str) -> int:
        try:
            return self.ids.index(entity_id)
        except ValueError:
            raise NodeNotFoundError(f"no entity {entity_id!r} in the timeline") from None

    def world_matrices(self) -> np.ndarray:
        """World matrices (F, E, 4, 4) float64, parents applied."""
        local = trs_matrix(self.position, self.rotation, self.scale)
        if not self.parents or all(p < 0 for p in self.parents):
            return local
        world = local.copy()
        done = [False] * len(self.ids)

        def resolve(i: int) -> None:
            if done[i]:
                return
            p = self.parents[i]
            if p >= 0:
                resolve(p)
                world[:, i] = world[:, p] @ local[:, i]
            done[i] = True

        for i in range(len(self.ids)):
            resolve(i)
        return world

    def world_position(self, entity_id: str | None = None) -> np.ndarray:
        """World positions (F, E, 3), or (F, 3) for one entity."""
        if not self.parents or all(p < 0 for p in self.parents):
            pos = self.position.astype(np.float64)
        else:
            pos = self.world_matrices()[..., :3, 3]
        return pos if entity_id is None else pos[:, self.index(entity_id)]

    def to_npz_dict(self) -> dict[str, np.ndarray]:
        """Arrays as written by ``scenegraph simulate -o timeline.npz``."""
        out = {
            "time": self.time,
            "ids": np.array(self.ids, dtype=str),
            "position": self.position,
            "rotation": self.rotation,
            "scale": self.scale,
            "velocity": self.velocity,
        }
        for cam, vis in self.visibility.items():
            out[f"visible/{cam}"] = vis.visible
        return out
