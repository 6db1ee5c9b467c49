"""Several files of one scene in one go: what the writers can share, and the USD files written beside the rest.

- :func:`shared_timeline`: two or more animated formats (glTF, USD) simulate the scene once, not once each.
- :func:`export_all`: with two or more usable cores, the USD files (the slowest writer, and the only one
  that loads usd-core) are written by a forked child while this process writes the others.  The child
  runs the same writer on the same scene and Timeline, so the bytes are the same as one after another;
  its error comes back pickled and is raised here as it was raised there, after both are done (so
  nothing is still being written when the caller cleans up).  No child where it cannot pay or is unsafe:
  one file or no USD file, no core to spare right now (other running tasks, from /proc/loadavg), no ``os.fork``, a Ray worker, inside Blender, ``SCENEGRAPH_FORK_WRITERS=0``, or
  ``SCENEGRAPH_FORK_TRACKS=0`` (batch workers set it: their cores are busy already).
"""
from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from scenegraph.errors import FormatError

__all__ = ["ANIMATED", "shared_timeline", "export_all"]

#: the suffixes whose writers animate the scene from a simulated Timeline
ANIMATED = (".glb", ".gltf", ".usd", ".usda", ".usdc", ".usdz")
_USD = (".usd", ".usda", ".usdc", ".usdz")


def shared_timeline(scene: Any, paths: Sequence[str | os.PathLike]) -> Any:
    """The Timeline the writers of ``paths`` can share: simulated once when two or more of them animate the
    scene (glTF, USD), else None (each writer simulates what it needs).  Without the per-camera visibility,
    which no writer reads."""
    if sum(Path(p).suffix.lower() in ANIMATED for p in paths) < 2:
        return None
    from scenegraph.world import simulate

    return simulate(scene, visibility=False)


def _fork_allowed() -> bool:
    from scenegraph.model.cpus import may_fork

    return may_fork("SCENEGRAPH_FORK_WRITERS", "SCENEGRAPH_FORK_TRACKS")


def export_all(write: Callable[..., Any], scene: Any, paths: Sequence[str | os.PathLike], *, timeline: Any = None,
               fork: bool | None = None) -> list[Path]:
    """``write(scene, path, **options)`` (:func:`exporters.export`) for each of ``paths``, sharing one Timeline;
    the USD ones in a forked child when ``fork`` (None: where it pays and is safe, see the module notes)."""
    paths = [Path(p) for p in paths]
    if timeline is None:
        timeline = shared_timeline(scene, paths)
    opts = {} if timeline is None else {"timeline": timeline}
    usd = [p for p in paths if p.suffix.lower() in _USD]
    rest = [p for p in paths if p.suffix.lower() not in _USD]
    if fork is None:
        fork = bool(usd) and bool(rest) and _fork_allowed()
    child = _Child(lambda: [write(scene, p, **opts) for p in usd]) if fork and usd else None
    if child is None or not child.pid:  # no child (or the fork failed): one after another
        for p in paths:
            write(scene, p, **opts)
        return paths
    try:
        for p in rest:
            write(scene, p, **opts)
    except BaseException:
        child.wait(raise_error=False)
        raise
    child.wait()
    return paths


class _Child:
    """``job()`` in a forked child; :meth:`wait` reaps it and raises the error it met."""

    def __init__(self, job: Callable[[], Any]) -> None:
        from scenegraph.model.cpus import fork_child

        self.pid = 0
        self.read_fd = -1
        read_fd, write_fd = os.pipe()

        def body() -> int:  # in the child: run, report the error (if any) through the pipe
            os.close(read_fd)
            os.environ["SCENEGRAPH_FORK_TRACKS"] = "0"  # both cores are taken now: the writer forks no helper
            code = 0
            try:
                job()
                report = b""
            except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent
                code = 1
                try:
                    report = pickle.dumps(exc)
                except Exception:  # noqa: BLE001
                    report = pickle.dumps(FormatError(f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_fd, "wb") as f:
                f.write(report)
            sys.stdout.flush()
            sys.stderr.flush()
            return code

        pid = fork_child(body)
        os.close(write_fd)
        if not pid:
            os.close(read_fd)
            return
        self.pid, self.read_fd = pid, read_fd

    def wait(self, raise_error: bool = True) -> None:
        with os.fdopen(self.read_fd, "rb") as f:
            report = f.read()  # until the child closes its end (done, failed or killed)
        while True:
            try:
                _, status = os.waitpid(self.pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                status = 0
                break
        if not raise_error:
            return
        if report:
            try:
                error = pickle.loads(report)
            except Exception:  # noqa: BLE001
                error = FormatError("the USD writer failed and its error could not be read back")
            raise error
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise FormatError(f"the USD writer process ended with {'signal ' + str(-code) if code < 0 else 'code ' + str(code)}")
