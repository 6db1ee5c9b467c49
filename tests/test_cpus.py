"""How many cores a process may use, and whether a forked helper may run beside it."""
from __future__ import annotations

import os
import sys

import pytest

from scenegraph.model import cpus


def test_available_cores_follow_the_affinity_mask():
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity on this platform")
    mask = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(mask)})
        assert cpus.available_cores() == 1
    finally:
        os.sched_setaffinity(0, mask)
    assert cpus.available_cores() == min(len(mask), cpus.available_cores())


def test_may_fork_needs_a_spare_core_and_no_switch_off(monkeypatch):
    if not hasattr(os, "fork"):
        pytest.skip("no os.fork")
    monkeypatch.delitem(sys.modules, "ray", raising=False)
    monkeypatch.delitem(sys.modules, "bpy", raising=False)
    monkeypatch.setattr(cpus, "available_cores", lambda: 2)
    monkeypatch.setattr(cpus, "busy_elsewhere", lambda: 0)
    assert cpus.may_fork("SCENEGRAPH_TEST_SWITCH")
    for off in ("0", "false", "No", " off "):
        monkeypatch.setenv("SCENEGRAPH_TEST_SWITCH", off)
        assert not cpus.may_fork("SCENEGRAPH_TEST_SWITCH")
    monkeypatch.setenv("SCENEGRAPH_TEST_SWITCH", "1")
    assert cpus.may_fork("SCENEGRAPH_TEST_SWITCH")
    monkeypatch.setattr(cpus, "busy_elsewhere", lambda: 1)  # the other core is taken: a child would only compete
    assert not cpus.may_fork("SCENEGRAPH_TEST_SWITCH")
    monkeypatch.setattr(cpus, "busy_elsewhere", lambda: 0)
    monkeypatch.setitem(sys.modules, "bpy", object())  # inside Blender
    assert not cpus.may_fork()


def test_busy_elsewhere_counts_processes_that_keep_a_core_busy():
    if not os.path.exists("/proc/loadavg"):
        pytest.skip("no /proc/loadavg")
    import subprocess
    import time

    spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.5)
        seen = max(cpus.busy_elsewhere() for _ in range(20))
    finally:
        for p in spin:
            p.kill()
            p.wait()
    assert seen >= 2  # both spinners are running tasks


def test_fork_child_leaves_with_the_code_its_body_returns(monkeypatch):
    if not hasattr(os, "fork"):
        pytest.skip("no os.fork")
    pid = cpus.fork_child(lambda: 7)
    assert pid > 0 and os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
    pid = cpus.fork_child(lambda: 1 / 0)  # a body that raises: code 2, and no traceback handling of the parent's
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 2

    def no_fork():
        raise OSError("out of processes")

    monkeypatch.setattr(os, "fork", no_fork)
    assert cpus.fork_child(lambda: 0) == 0  # no child: the caller does the work itself


def test_this_process_own_running_threads_are_not_counted_as_busy_elsewhere():
    """numpy's BLAS threads spin for a while after it loads: they are this process's, not another task's."""
    if not os.path.exists("/proc/self/task") or not os.path.exists("/proc/loadavg"):
        pytest.skip("no /proc")
    import hashlib
    import threading
    import time

    stop = threading.Event()
    data = b"x" * (4 << 20)

    def spin():  # hashing a large buffer releases the GIL: two threads really running beside this one
        while not stop.is_set():
            hashlib.sha256(data).digest()

    threads = [threading.Thread(target=spin) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.2)
        own = max(cpus._own_running() for _ in range(20))
        pairs = []
        for _ in range(20):
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
            pairs.append((running, cpus.busy_elsewhere()))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert own >= 2
    # the loadavg count has the spinning threads in it; busy_elsewhere takes them out
    assert any(busy <= running - 2 for running, busy in pairs), pairs


def test_blas_threads_sets_numpys_blas_thread_count_and_batch_workers_use_one(monkeypatch):
    import numpy as np

    from scenegraph.batch.work import one_thread_each

    before = cpus.blas_threads()
    if before is None:
        pytest.skip("no OpenBLAS or MKL found in this process")
    try:
        assert cpus.blas_threads(1) == 1
        assert cpus.blas_threads(before) == before  # back to what numpy started with (one per core)
        a = np.random.default_rng(0).random((300, 300))
        assert np.allclose(a @ np.eye(300), a)  # still computes
        monkeypatch.setenv("OMP_NUM_THREADS", "4")
        monkeypatch.setenv("SCENEGRAPH_FORK_TRACKS", "1")
        one_thread_each()
        assert cpus.blas_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
        assert os.environ["SCENEGRAPH_FORK_TRACKS"] == "0"
    finally:
        cpus.blas_threads(before)
