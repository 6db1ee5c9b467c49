"""The USD reader process (``python -m exporters._usd_worker``), started by :mod:`exporters._usd_guard`.

It imports usd-core once and answers ``{"status": "ready"}``; then for each request (one JSON line
on stdin: path, allowed roots, memory and time limits, output file, ``fork``) it

- with ``fork`` (Linux, macOS): forks a child that caps its address space, checks the layer
  references, reads the stage into a Scene and pickles it to the output file.  The worker waits at
  most the time limit and kills a child that overruns.  The worker itself stays single-threaded
  (usd-core is imported, never used), so forking it is safe;
- without (where ``os.fork`` does not exist, or ``SCENEGRAPH_USD_SANDBOX=spawn``): reads the file
  itself, its address space capped through a soft limit where the OS has ``resource``; the parent
  kills the whole worker when the time limit passes and starts a new one for the next read.

Either way it answers one JSON line: ``status`` ok, error (with ``message``), memory, timeout or crash.
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import sys
import time
import traceback

try:
    import resource
except ImportError:  # Windows: no address-space caps
    resource = None  # type: ignore[assignment]

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
    """Read the request's file here and write the Scene (or the error) to its output file; the exit code."""
    from pathlib import Path

    from exporters.usd_read import read_stage_here
    from scenegraph.errors import FormatError
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
            if resource is not None:
                try:
                    limit = _vm_size() + int(req["memory"])
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                except (ValueError, OSError):
                    pass
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


def _serve_inline(req: dict) -> dict:
    """The request read in this process (no fork): memory capped by a soft limit lifted afterwards."""
    old = None
    if resource is not None:
        try:
            old = resource.getrlimit(resource.RLIMIT_AS)
            limit = _vm_size() + int(req["memory"])
            if limit > 0 and (old[1] == resource.RLIM_INFINITY or limit < old[1]):
                resource.setrlimit(resource.RLIMIT_AS, (limit, old[1]))
        except (ValueError, OSError):
            old = None
    try:
        code = _child(req)
    except MemoryError:
        code = _EXIT_MEMORY
    finally:
        if old is not None:
            try:
                resource.setrlimit(resource.RLIMIT_AS, old)
            except (ValueError, OSError):
                pass
    reply = _exit_outcome(req, code)
    if resource is not None:
        reply["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return reply


def _exit_outcome(req: dict, code: int) -> dict:
    if code == _EXIT_OK:
        if os.path.exists(req["out"]):
            return {"status": "ok"}
        with open(req["out"] + ".err", encoding="utf-8") as fh:
            return {"status": "error", "message": fh.read()}
    if code == _EXIT_MEMORY:
        return {"status": "memory"}
    return {"status": "crash", "message": f"exit status {code}"}


def _outcome(req: dict, status: int) -> dict:
    if os.WIFEXITED(status):
        return _exit_outcome(req, os.WEXITSTATUS(status))
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
    replies.write(json.dumps({"status": "ready"}) + "\n")
    replies.flush()
    for line in sys.stdin.buffer:
        try:
            req = json.loads(line)
            reply = _serve_one(req) if req.get("fork", True) and hasattr(os, "fork") else _serve_inline(req)
        except Exception as exc:  # a bad request: answer rather than die
            reply = {"status": "crash", "message": f"{type(exc).__name__}: {exc}"[:300]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
