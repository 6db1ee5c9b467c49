"""The USD reader process (``python -m exporters._usd_worker``), started by :mod:`exporters._usd_guard`.

It imports usd-core once, then for each request (one JSON line on stdin: path, allowed roots,
memory and time limits, output file) forks a child that caps its address space, checks the layer
references, reads the stage into a Scene and pickles it to the output file.  The worker waits at
most the time limit, kills a child that overruns, and answers one JSON line: ``status`` ok, error
(with ``message``), memory, timeout or crash.  The worker itself stays single-threaded (usd-core
is imported, never used), so forking it is safe.
"""
from __future__ import annotations

import json
import os
import pickle
import resource
import signal
import sys
import time
import traceback

_EXIT_OK, _EXIT_MEMORY = 0, 3


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(req: dict) -> int:
    from pathlib import Path

    from exporters.usd_read import read_stage_here
    from scenegraph.errors import FormatError

    try:
        limit = _vm_size() + int(req["memory"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    try:
        scene = read_stage_here(Path(req["path"]), [Path(r) for r in req["roots"]])
        result = ("ok", scene)
    except FormatError as exc:
        result = ("error", str(exc))
    except MemoryError:
        return _EXIT_MEMORY
    except RecursionError:
        result = ("error", f"{req['path']}: nested too deeply")
    except Exception as exc:  # usd-core or a value of an unexpected type: the file is unreadable
        try:
            text = str(exc)
        except Exception:
            text = ""
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        result = ("error", f"{req['path']}: not a readable USD file ({type(exc).__name__}: {(lines[-1] if lines else '')[:300]})")
    kind, value = result
    try:
        if kind == "ok":
            with open(req["out"], "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            with open(req["out"] + ".err", "w", encoding="utf-8", errors="replace") as fh:
                fh.write(value)
    except MemoryError:
        return _EXIT_MEMORY
    return _EXIT_OK


def _serve_one(req: dict) -> dict:
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            code = _child(req)
        except MemoryError:
            code = _EXIT_MEMORY
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    deadline = time.monotonic() + float(req["seconds"])
    delay = 0.0005
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, _, usage = os.wait4(pid, 0)
            return {"status": "timeout", "peak_kb": usage.ru_maxrss}
        time.sleep(delay)
        delay = min(delay * 2, 0.02)
    reply = _outcome(req, status)
    reply["peak_kb"] = usage.ru_maxrss  # the child's peak resident memory
    return reply


def _outcome(req: dict, status: int) -> dict:
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if code == _EXIT_OK:
            if os.path.exists(req["out"]):
                return {"status": "ok"}
            with open(req["out"] + ".err", encoding="utf-8") as fh:
                return {"status": "error", "message": fh.read()}
        if code == _EXIT_MEMORY:
            return {"status": "memory"}
        return {"status": "crash", "message": f"exit status {code}"}
    sig = os.WTERMSIG(status)
    # usd-core aborts (std::bad_alloc, a failed TF_VERIFY) or faults when its allocation is refused
    if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL):
        return {"status": "memory" if sig == signal.SIGKILL else "crash", "message": f"signal {signal.Signals(sig).name}"}
    return {"status": "crash", "message": f"signal {sig}"}


_WARM_LAYER = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "World"
{
    def Mesh "box" (prepend apiSchemas = ["MaterialBindingAPI"])
    {
        float3[] extent = [(-1, -1, -1), (1, 1, 1)]
        double3 xformOp:translate = (0, 1, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def _warm_up() -> None:
    """Load usd-core's plugins and our reader's modules once, so forked children start warm."""
    import tempfile
    from pathlib import Path

    from exporters.usd_read import read_stage_here

    with tempfile.TemporaryDirectory(prefix="scenegraph-usd-warm-") as d:
        p = Path(d) / "warm.usda"
        p.write_text(_WARM_LAYER)
        try:
            read_stage_here(p, [])
        except Exception:
            pass


def main() -> None:
    # replies go to a private copy of stdout; usd-core's own prints go to stderr
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    from pxr import Work

    Work.SetConcurrencyLimit(1)  # no worker threads: forking stays safe, memory stays bounded
    _warm_up()
    for line in sys.stdin.buffer:
        try:
            req = json.loads(line)
            reply = _serve_one(req)
        except Exception as exc:  # a bad request: answer rather than die
            reply = {"status": "crash", "message": f"{type(exc).__name__}: {exc}"[:300]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
