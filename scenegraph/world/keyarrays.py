"""An actor's keys ``(t, position (3,), yaw)`` as one list that also holds them as arrays.

The planner writes keys one tuple at a time; the smoother (:func:`scenegraph.world.smoothing.smooth_keys`)
writes hundreds at once, and the stages after it (the time-space yielding, carrying, the ground follower,
the scene's trajectories) read them back as arrays, many times.  :class:`KeyList` keeps the arrays it was
made from, so reading them back costs nothing; any change to the list drops them (they are rebuilt from the
tuples on the next read).  The position of each key is a row of the position array (as ``smooth_keys``
always returned it), so a change made to a position in place shows in both.
"""
from __future__ import annotations

import numpy as np

__all__ = ["KeyList", "key_arrays"]


def _dropping(name: str):
    base = getattr(list, name)

    def method(self, *args, **kwargs):
        self._arrays = None
        return base(self, *args, **kwargs)

    method.__name__ = name
    return method


class KeyList(list):
    """A list of ``(t, position, yaw)`` keys with their arrays ``(times (K,), positions (K, 3), yaws (K,))``."""

    __slots__ = ("_arrays",)

    def __init__(self, keys=(), arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__(keys)
        self._arrays = arrays

    @classmethod
    def of(cls, times: np.ndarray, positions: np.ndarray, yaws: np.ndarray) -> "KeyList":
        """Keys from arrays (times and yaws as Python floats, each position a row of ``positions``)."""
        times = np.asarray(times, dtype=np.float64)
        yaws = np.asarray(yaws, dtype=np.float64)
        keys = cls(zip(times.tolist(), positions, yaws.tolist()))
        keys._arrays = tuple(_frozen(a) for a in (times, positions, yaws))
        return keys

    for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop",
                  "remove", "clear", "sort", "reverse"):
        locals()[_name] = _dropping(_name)
    del _name


def _frozen(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.setflags(write=False)
    return v


def key_arrays(keys: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times (K,), positions (K, 3), yaws (K,))`` of ``keys``, read-only; free for a :class:`KeyList`."""
    arrays = getattr(keys, "_arrays", None)
    if arrays is not None:
        return arrays
    arrays = (_frozen(np.array([k[0] for k in keys], dtype=np.float64)),
              _frozen(np.array([k[1] for k in keys], dtype=np.float64)),
              _frozen(np.array([k[2] for k in keys], dtype=np.float64)))
    if isinstance(keys, KeyList):
        keys._arrays = arrays
    return arrays
