"""How many cores this process may really use (affinity and cgroup quota), for thread and worker counts."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

__all__ = ["available_cores", "blas_threads", "busy_elsewhere", "fork_child", "may_fork", "one_thread_after_fork"]


def available_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup v2 ``cpu.max`` quota
    (or v1 ``cpu.cfs_quota_us``), rounded to the nearest whole core, at least 1."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        n = min(n, max(1, int(quota + 0.5)))
    return max(1, n)


def busy_elsewhere() -> int:
    """How many other tasks are running right now: Linux's /proc/loadavg count less this process's own
    running threads (numpy's BLAS threads spin for a while after it loads), the fewest of up to three
    looks a millisecond apart (a kernel thread that runs for a moment is not a busy core); 0 where it
    cannot be read."""
    import time

    fewest = None
    for look in range(3):
        if look:
            time.sleep(0.001)
        try:
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        busy = max(0, running - _own_running())
        fewest = busy if fewest is None else min(fewest, busy)
        if fewest == 0:
            break
    return fewest or 0


def _own_running() -> int:
    """This process's threads that are running (state R), at least 1 (the one asking)."""
    n = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            if stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3] == b"R":
                n += 1
    except OSError:
        pass
    return max(n, 1)


def may_fork(*switches: str) -> bool:
    """Whether a forked helper (a second process doing part of this one's work) pays and is safe right now:
    ``os.fork`` exists; neither Ray (its gRPC threads) nor Blender (its threads) is loaded; no environment
    variable in ``switches`` is set off (0 / false / no / off); and a core is free beside this process's
    (with every core busy a child only adds its start-up: measured 7% slower at load 5 on 2 cores)."""
    import sys

    if any(os.environ.get(k, "1").strip().lower() in ("0", "false", "no", "off") for k in switches):
        return False
    if not hasattr(os, "fork") or "ray" in sys.modules or "bpy" in sys.modules:
        return False
    return available_cores() - busy_elsewhere() >= 2


def fork_child(body: Callable[[], int]) -> int:
    """Fork a child that runs ``body()`` and leaves with the code it returns (2 if it raises), through
    ``os._exit``: never running this process's exit handlers or flushing its buffered output a second time.
    Returns the child's pid here, or 0 where the fork failed (the caller then does the work itself)."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        return 0
    if pid == 0:
        code = 2
        try:
            code = body()
        finally:
            os._exit(code)
    return pid


_BLAS_SETTERS = ("openblas_set_num_threads64_", "openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                 "scipy_openblas_set_num_threads", "MKL_Set_Num_Threads")
_BLAS_GETTERS = ("openblas_get_num_threads64_", "openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
                 "scipy_openblas_get_num_threads", "MKL_Get_Max_Threads")


def blas_threads(threads: int | None = None) -> int | None:
    """The thread count of the BLAS numpy loaded (OpenBLAS or MKL, found in this process's memory map), set to
    ``threads`` first when given; None where none can be found (not Linux, or no such library).

    A batch worker sets 1: items run side by side, their matrices are tiny, and OpenBLAS's idle threads
    spin for a while after each call, taking the core the other worker needs (measured: the 24-item batch's
    1 -> 2 worker scaling 0.88 -> 0.93, medians of four interleaved runs, ``benchmarks/batch.py --items 24
    --no-ray``).  Setting the environment variable instead would have to come before numpy's import, which a
    forked worker is past."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if ("openblas" in line.lower() or "libmkl_rt" in line)
                           and line.split()[-1].startswith("/")})
    except OSError:
        return None
    count = None
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _BLAS_SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _BLAS_GETTERS if hasattr(lib, n)), None)
        if setter is None or getter is None:
            continue
        if threads is not None:
            setter(max(1, int(threads)))
        count = int(getter())
    return count


def one_thread_after_fork() -> None:
    """In a child made by ``fork`` (multiprocessing's default on Linux): torch runs its ops on one thread.

    torch's CPU build uses GNU OpenMP, whose thread pool does not survive a fork: once the parent
    has run a parallel op, the child's first parallel op waits forever for threads that do not exist
    (a forked batch worker or pool hung on its first render).  One thread runs no parallel region;
    a child that wants more should be started with ``spawn`` or ``forkserver``.  Registered with
    :func:`os.register_at_fork` by ``import scenegraph``; does nothing where torch is not loaded.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(1)


def _cgroup_quota() -> float | None:
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        q = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        p = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return q / p if q > 0 and p > 0 else None
    except (OSError, ValueError):
        return None
