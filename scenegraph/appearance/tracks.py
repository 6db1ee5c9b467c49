"""Per-entity animation tracks a writer needs (character rigs and poses, wheel keys), computed ahead of it.

A writer walks the scene's entities in order and, for each character or vehicle, authors a pose track
(:func:`scenegraph.appearance.gait.pose_track`) or wheel keys
(:func:`scenegraph.appearance.vehicle.wheel_keys`).  Those are numpy work independent of the writing,
so for a large scene :class:`Tracks` computes them in a forked child, in the writer's order, while the
writer authors the prims: on two cores the two overlap.  Results come back over a pipe, pickled; the
writer asks for each entity's track in turn and reads until it arrives.  The child runs the same
functions on the same inputs, so the bytes written are the same as without it.

No child is forked (the tracks are computed in place, on demand) where it cannot pay or is unsafe:
fewer than :data:`MIN_JOBS` moving characters and vehicles, no core to spare right now, no ``os.fork``,
a process with Ray or Blender loaded (their threads: :func:`scenegraph.model.cpus.may_fork`), or ``SCENEGRAPH_FORK_TRACKS=0`` (batch workers set it: their cores are
already busy).  A child that fails or dies leaves the writer to compute what is missing itself.
"""
from __future__ import annotations

import dataclasses
import os
import struct
from typing import Any

__all__ = ["MIN_JOBS", "Tracks"]

MIN_JOBS = 48  # characters + wheeled vehicles below which a fork (~10 ms) and pickling do not pay
_ENV = "SCENEGRAPH_FORK_TRACKS"


def _jobs(scene: Any, timeline: Any) -> list[tuple[str, str]]:
    """("pose" | "wheels", entity id) for the entities a writer animates, in the writer's order.  A vehicle that
    stands still is left out: its keys are no work (:func:`vehicle.stands_still`), and a lot of a hundred parked
    cars forks no child."""
    from scenegraph.appearance.rig import rig_kind
    from scenegraph.appearance.vehicle import stands_still, vehicle_parts

    jobs = []
    ids = {eid: j for j, eid in enumerate(timeline.ids)}
    for ent in scene.topological_entities():
        if ent.kind != "object" or not ent.proxy or ent.id not in ids:
            continue
        if rig_kind(ent) is not None:
            jobs.append(("pose", ent.id))
        elif timeline.frame_count > 1:
            vp = vehicle_parts(ent)
            if vp is not None and vp.wheels and not stands_still(timeline, ids[ent.id]):
                jobs.append(("wheels", ent.id))
    return jobs


def _compute(scene: Any, timeline: Any, kind: str, eid: str) -> Any:
    if kind == "pose":
        from scenegraph.appearance.gait import pose_track
        from scenegraph.appearance.rig import rig_for

        rig = rig_for(scene.entity(eid), int(getattr(scene, "seed", 0)))
        return rig, (pose_track(scene, timeline, eid, rig) if rig is not None else None)
    from scenegraph.appearance.vehicle import wheel_keys

    return wheel_keys(scene, timeline, eid)


def _get(shared: Any, slot: int) -> int:
    return struct.unpack_from("q", shared, 8 * slot)[0]


def _put(shared: Any, slot: int, value: int) -> None:
    struct.pack_into("q", shared, 8 * slot, value)


def _widen(fd: int) -> None:
    """A 1 MiB pipe where Linux allows it (64 KiB by default): the child sends whole tracks without waiting."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def _fork_allowed() -> bool:
    from scenegraph.model.cpus import may_fork

    return may_fork(_ENV)


class Tracks:
    """The pose and wheel tracks of ``scene`` over ``timeline``, each handed out once, in order.

    Use as a context manager (the child is reaped on exit)::

        with Tracks(scene, timeline) as tracks:
            rig, pose = tracks.character(eid)  # == rig.rig_for(...), gait.pose_track(...)
            keys = tracks.wheels(eid)    # == vehicle.wheel_keys(scene, timeline, eid)
    """

    def __init__(self, scene: Any, timeline: Any, fork: bool | None = None) -> None:
        self.scene, self.timeline = scene, timeline
        self.forked = False
        self._got: dict[tuple[str, str], Any] = {}
        self._conn: Any = None
        self._pid = 0
        self._shared: Any = None
        self._index: dict[tuple[str, str], int] = {}
        self._parts: dict[int, Any] = {}  # the child's id of a rig's parts -> the parts, shared by its rigs
        if fork is None and not _fork_allowed():  # asked first: listing the jobs walks every entity's rig and parts
            fork = False
        jobs = _jobs(scene, timeline) if fork is not False else []
        if fork is None:
            fork = len(jobs) >= MIN_JOBS
        if fork and jobs:
            self._start(jobs)

    def _start(self, jobs: list[tuple[str, str]]) -> None:
        import mmap
        from multiprocessing.connection import Pipe

        from scenegraph.model.cpus import fork_child

        recv, send = Pipe(duplex=False)
        _widen(send.fileno())
        shared = mmap.mmap(-1, 16)  # anonymous and shared with the child: [the writer's next job, the child's job]
        pid = fork_child(lambda: self._serve(jobs, recv, send, shared))
        send.close()
        if not pid:  # no fork: the writer computes every track itself
            recv.close()
            shared.close()
            return
        self._conn, self._pid, self._shared, self.forked = recv, pid, shared, True
        self._index = {job: i for i, job in enumerate(jobs)}

    def _serve(self, jobs: list[tuple[str, str]], recv: Any, send: Any, shared: Any) -> int:
        """In the child: compute and send the tracks in order, skipping those the writer is past."""
        recv.close()
        sent: dict[int, Any] = {}  # a rig's body parts go over once: rigs of one body shape share them
        for i, (kind, eid) in enumerate(jobs):
            if _get(shared, 0) > i:  # the writer is past it (it computed it itself)
                continue
            _put(shared, 1, i)
            try:
                value = _compute(self.scene, self.timeline, kind, eid)
            except BaseException:  # the writer computes this one itself and meets the error there
                send.send((kind, eid, False, None))
                continue
            if kind == "pose" and value[0] is not None:
                rig, pose = value
                parts = None if id(rig.parts) in sent else rig.parts
                sent[id(rig.parts)] = rig.parts  # held: its id is not reused
                value = (dataclasses.replace(rig, parts=()), id(rig.parts), parts, pose)
            send.send((kind, eid, True, value))
        send.close()
        return 0

    def _drain(self, wait: float = 0.0) -> None:
        """Take what the child has sent (waiting up to ``wait`` seconds for the first message)."""
        try:
            while self._conn is not None and self._conn.poll(wait):
                k, e, ok, value = self._conn.recv()
                if ok and k == "pose" and len(value) == 4:  # a rig without its parts, sent once per body
                    stub, pid, parts, pose = value
                    if parts is not None:
                        self._parts[pid] = parts
                    value = (dataclasses.replace(stub, parts=self._parts[pid]), pose)
                if ok and self._index[(k, e)] >= _get(self._shared, 0) - 1:  # not one the writer already made
                    self._got[(k, e)] = value
                wait = 0.0
        except (EOFError, OSError):
            self.close()

    def _take(self, kind: str, eid: str) -> Any:
        """The track, from the child when it has it or is computing it; else computed here (never waiting on a
        child that is behind: on a busy machine the writer goes no slower than without one)."""
        key = (kind, eid)
        if self._conn is not None and key not in self._got:
            i = self._index.get(key, -1)
            if i >= 0:
                _put(self._shared, 0, max(i + 1, _get(self._shared, 0)))  # the child skips what the writer is past
            self._drain()
            if self._conn is not None and key not in self._got and i >= 0 and _get(self._shared, 1) == i:  # under way in the child
                self._drain(wait=0.25)
        if key in self._got:
            return self._got.pop(key)
        return _compute(self.scene, self.timeline, kind, eid)

    def character(self, eid: str) -> tuple[Any, Any]:
        """(rig, pose) of ``eid``: :func:`scenegraph.appearance.rig.rig_for` with the scene's seed and
        :func:`scenegraph.appearance.gait.pose_track` of that rig; (None, None) for an entity with no rig."""
        return self._take("pose", eid)

    def wheels(self, eid: str) -> Any:
        """:func:`scenegraph.appearance.vehicle.wheel_keys` of ``eid``."""
        return self._take("wheels", eid)

    def close(self) -> None:
        """Stop the child (if it still runs) and reap it."""
        conn, pid = self._conn, self._pid
        self._conn, self._pid = None, 0
        if conn is not None:
            conn.close()  # a child still sending gets EPIPE and exits
        if pid:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if self._shared is not None:
            self._shared.close()
            self._shared = None

    def __enter__(self) -> "Tracks":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
