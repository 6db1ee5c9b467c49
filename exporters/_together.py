"""Several files of one scene in one go: what the writers can share, and the USD files written beside the rest.

- :func:`shared_timeline`: two or more animated formats (glTF, USD) simulate the scene once, not once each.
- :func:`export_all`: with two or more usable cores, the USD files (the slowest writer, and the only one
  that loads usd-core) are written by a forked child while this process writes the others.  The child
  runs the same writer on the same scene and Timeline, so the bytes are the same as one after another;
  its error comes back pickled and is raised here as it was raised there, after both are done (so
  nothing is still being written when the caller cleans up).  No child where it cannot pay or is unsafe:
  one file or no USD file, no core to spare right now (other running tasks, from /proc/loadavg), no ``os.fork``, a Ray worker, inside Blender, ``SCENEGRAPH_FORK_WRITERS=0``, or
  ``SCENEGRAPH_FORK_TRACKS=0`` (batch workers set it: their cores are busy already).
- :func:`usd_standby`: that child started before the scene exists, so it loads usd-core (Sdf, Vt, Gf) and
  the class lexicon while this process builds the scene; :func:`export_all` then sends it the scene
  (pickled through a pipe) instead of forking.  ``scenegraph build`` starts one and sends it the world
  before its look (:meth:`_Child.send_world`, 46 KB for 100 parked cars): the child samples the same
  Gaussians itself.
"""
from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from scenegraph.errors import FormatError

__all__ = ["ANIMATED", "shared_timeline", "export_all", "usd_standby"]

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


def _split(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(the USD files, the others) of ``paths``, each in order."""
    usd = [p for p in paths if p.suffix.lower() in _USD]
    return usd, [p for p in paths if p.suffix.lower() not in _USD]


def _fork_allowed() -> bool:
    from scenegraph.model.cpus import may_fork

    return may_fork("SCENEGRAPH_FORK_WRITERS", "SCENEGRAPH_FORK_TRACKS")


#: what a standby child loads while the scene is built: usd-core and our USD writer
_WARM = ("pxr.Sdf", "pxr.Vt", "pxr.Gf", "exporters.usd", "exporters.usd_write", "exporters._usd_samples",
         "exporters._usd_sky", "scenegraph.world", "scenegraph.world.sky", "scenegraph.world.visibility",
         "scenegraph.appearance.proxy", "scenegraph.appearance.rig", "scenegraph.appearance.gait",
         "scenegraph.appearance.vehicle", "scenegraph.appearance.tracks")


def usd_standby(write: Callable[..., Any], paths: Sequence[str | os.PathLike]) -> "_Child | None":
    """The USD writer (``write``: :func:`exporters.export`) of :func:`export_all` ``(..., paths, standby=it)``,
    forked now, before the scene is built:
    it loads usd-core meanwhile and waits for the scene.  None where export_all would not fork (one
    format, no USD file, no core to spare ...).  Call its ``close()`` when done (it is a no-op after
    export_all); a standby that is never sent a scene leaves when closed, or when this process ends."""
    paths = [Path(p) for p in paths]
    usd, rest = _split(paths)
    if not (usd and rest and _fork_allowed()):
        return None
    child = _Child(None, write=write, paths=paths)
    return child if child.pid else None


def _standby_job(export: Callable[..., Any], message: Any) -> None:
    """In a standby child: write the USD files of the scene it was sent, as export_all's own child would; a
    world sent before its look (:meth:`_Child.send_world`) gets its proxy Gaussians here first, as the sender
    gives its own copy (the same seeded draws, so the same splats)."""
    scene, usd, paths, timeline, look = message
    if look is not None:
        from scenegraph.appearance.assign import assign_gaussians

        assign_gaussians(scene, mode=look[0], seed=look[1])
    if timeline is None:
        timeline = shared_timeline(scene, paths)  # the same Timeline this process simulates: the same bytes
    opts = {} if timeline is None else {"timeline": timeline}
    for p in usd:
        export(scene, p, **opts)


def export_all(write: Callable[..., Any], scene: Any, paths: Sequence[str | os.PathLike], *, timeline: Any = None,
               fork: bool | None = None, standby: "_Child | None" = None) -> list[Path]:
    """``write(scene, path, **options)`` (:func:`exporters.export`) for each of ``paths``, sharing one Timeline;
    the USD ones in a forked child when ``fork`` (None: where it pays and is safe, see the module notes), or
    by ``standby`` (from :func:`usd_standby`, with the writer it was given) when given."""
    paths = [Path(p) for p in paths]
    given = timeline
    if timeline is None:
        timeline = shared_timeline(scene, paths)
    opts = {} if timeline is None else {"timeline": timeline}
    usd, rest = _split(paths)
    child = None
    if standby is not None and standby.sent:  # it has the world already and writes its USD files whatever comes
        if standby.paths != paths:
            standby.close()
            raise ValueError("export_all: a standby sent its world writes the paths it was made for, not these")
        child = standby
    elif standby is not None:
        if fork is not False and usd and rest and standby.send((scene, usd, paths, given, None)):
            child = standby
        else:
            standby.close()
    elif fork or (fork is None and usd and rest and _fork_allowed()):
        child = _Child(lambda: [write(scene, p, **opts) for p in usd]) if usd else None
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
    """``job()`` in a forked child; :meth:`wait` reaps it and raises the error it met.  With ``job`` None, a
    standby: the child loads :data:`_WARM`, then runs :func:`_standby_job` with ``write`` on what :meth:`send` sends it
    (and leaves, doing nothing, when :meth:`close` comes first)."""

    def __init__(self, job: Callable[[], Any] | None, write: Callable[..., Any] | None = None,
                 paths: Sequence[Path] = ()) -> None:
        from scenegraph.model.cpus import blas_threads, fork_child

        self.pid = 0
        self.read_fd = -1
        self.job_fd = -1
        self.sent = False  # a standby's job went down its pipe
        self.paths = list(paths)  # a standby's: the files export_all will write
        read_fd, write_fd = os.pipe()
        job_read, job_write = os.pipe() if job is None else (-1, -1)

        def body() -> int:  # in the child: run, report the error (if any) through the pipe
            os.close(read_fd)
            os.environ["SCENEGRAPH_FORK_TRACKS"] = "0"  # both cores are taken now: the writer forks no helper
            code = 0
            try:
                if job is None:
                    os.close(job_write)
                    _warm()
                    with os.fdopen(job_read, "rb") as f:
                        message = f.read()
                    if message:  # else closed unsent: nothing to do
                        _standby_job(write, pickle.loads(message))
                else:
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

        # the two processes take a core each now: numpy's BLAS (tiny matrices here) gets one thread in both, as
        # its idle helpers spin and would take the other process's core; as it was once the child is reaped
        self._blas = blas_threads()
        if self._blas is not None:
            blas_threads(1)
        pid = fork_child(body)
        os.close(write_fd)
        if job is None:
            os.close(job_read)
        if not pid:
            self._restore_blas()
            os.close(read_fd)
            if job is None:
                os.close(job_write)
            return
        self.pid, self.read_fd, self.job_fd = pid, read_fd, job_write

    def _restore_blas(self) -> None:
        if self._blas is not None:
            from scenegraph.model.cpus import blas_threads

            blas_threads(self._blas)
            self._blas = None

    def send(self, message: Any) -> bool:
        """A standby's job: pickled down its pipe.  False where the child is gone or the message does not pickle
        (the child is reaped; the caller writes the files itself)."""
        fd, self.job_fd = self.job_fd, -1
        if fd < 0 or not self.pid:
            return False
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(message, f, protocol=pickle.HIGHEST_PROTOCOL)
            self.sent = True
            return True
        except Exception:  # noqa: BLE001 - gone (a broken pipe), or a scene that does not pickle: write it here
            self.wait(raise_error=False)
            return False

    def send_world(self, scene: Any, look: tuple[str, int]) -> bool:
        """Send a standby the world before its look (``look``: the Gaussians mode and seed it gives the scene
        itself, as :func:`scenegraph.pipeline.build` does): its files are then of that world with that look,
        written while this process gives its copy the same look; :func:`export_all` only waits for it.  The
        scene must not change between the two (``scenegraph build`` changes nothing)."""
        return self.send((scene, _split(self.paths)[0], self.paths, None, tuple(look)))

    def close(self) -> None:
        """A standby never sent a job (or one already waited for): let it go and reap it."""
        if self.job_fd >= 0:
            os.close(self.job_fd)
            self.job_fd = -1
        if self.pid:
            self.wait(raise_error=False)

    def wait(self, raise_error: bool = True) -> None:
        if not self.pid:
            return
        pid, self.pid = self.pid, 0
        with os.fdopen(self.read_fd, "rb") as f:
            report = f.read()  # until the child closes its end (done, failed or killed)
        self._restore_blas()
        while True:
            try:
                _, status = os.waitpid(pid, 0)
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


def _warm() -> None:
    """Load what the USD writer needs (a standby child, while the scene is built); whatever fails to load
    fails again, with its own message, when the writer runs."""
    import importlib

    for name in _WARM:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - reported by the writer itself
            return
    from scenegraph.model.catalog import all_classes

    all_classes()  # the class lexicon, which the writer reads for every entity (rig_kind): loaded here, not then
