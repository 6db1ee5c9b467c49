"""One exception tree for the whole package.

Every error the package raises on purpose is a :class:`SceneGraphError`; the
subclass says which stage refused the input, the message says what and where.
"""
from __future__ import annotations

__all__ = [
    "SceneGraphError",
    "ModelError",
    "NodeNotFoundError",
    "SpecError",
    "LayoutError",
    "SimulationError",
    "FormatError",
    "BackendError",
]


class SceneGraphError(Exception):
    """Base class of every error scenegraph raises deliberately."""


class ModelError(SceneGraphError, ValueError):
    """A scene-graph invariant would be broken (bad id, field, edge or cycle)."""


class NodeNotFoundError(ModelError, KeyError):
    """An id names no node of the expected kind."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SpecError(SceneGraphError, ValueError):
    """A prompt or a SceneSpec cannot be turned into a scene."""


class LayoutError(SceneGraphError):
    """Spatial relations that cannot all hold at once."""


class SimulationError(SceneGraphError):
    """The world cannot be simulated as asked (bad fps, duration, ...)."""


class FormatError(SceneGraphError, ValueError):
    """A file is malformed, unsupported or unsafe to read."""


class BackendError(SceneGraphError, RuntimeError):
    """A model, server or optional dependency failed or is missing."""
