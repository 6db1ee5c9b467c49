"""The world: a scene's spatial layout, its motion, its camera work, and the deterministic
simulation that gives every entity a state at every frame, seen or not.

- :mod:`.builder` -- a SceneSpec becomes a Scene (places, motions, shots)
- :mod:`.layout` -- spatial relations -> placements; :mod:`.stage`, :mod:`.framing` -- the set and what the camera sees
- :mod:`.motion` -- semantic actions -> paths; :mod:`.trajectory` -- sampling them
- :mod:`.shots` -- camera moves; :mod:`.views` -- pinhole cameras and posed views
- :mod:`.dynamics` -- gravity, ballistic flight, ground contact
- :mod:`.simulate` -- :func:`simulate` -> :class:`Timeline`; :mod:`.visibility` -- per camera

Everything :mod:`scenegraph.world` exported before it became a package is re-exported here.
"""
from __future__ import annotations

from scenegraph.world.dynamics import MAX_SUBSTEP, SETTLE_SPEED, Bodies, WorldState, step
from scenegraph.world.simulate import MAX_TIMELINE_BYTES, simulate
from scenegraph.world.timeline import Timeline, Visibility, VisibilityEvent

__all__ = [
    "Timeline",
    "Visibility",
    "VisibilityEvent",
    "WorldState",
    "Bodies",
    "step",
    "simulate",
    "MAX_SUBSTEP",
    "SETTLE_SPEED",
    "MAX_TIMELINE_BYTES",
]
