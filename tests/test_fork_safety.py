"""A process forked after torch ran its threads renders (it hung: GNU OpenMP's pool does not survive fork)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

pytest.importorskip("torch")

_SCRIPT = textwrap.dedent("""
    import multiprocessing as mp
    import numpy as np
    import scenegraph
    import torch
    from scenegraph.model.gaussians import Gaussians
    from scenegraph.appearance.rasterize import render_gaussians
    from scenegraph.world.views import PinholeCamera

    rng = np.random.default_rng(0)
    n = 3000
    g = Gaussians(rng.uniform([-1.5, -0.8, -1.0], [1.5, 0.8, 1.0], (n, 3)), rng.normal(size=(n, 4)),
                  np.exp(rng.uniform(np.log(0.004), np.log(0.03), (n, 3))), rng.uniform(0.1, 0.9, n),
                  rng.normal(0, 0.3, (n, 1, 3)))
    w2c = np.eye(4)
    w2c[2, 3] = 3.0
    cam = PinholeCamera(160, 90, 125.0, 125.0, 80.0, 45.0, w2c)

    def job(_=None):
        return float(render_gaussians(g, cam, backend="torch").alpha.sum())

    torch.set_num_threads(2)
    torch.ones(1 << 22).exp_()  # a parallel op: the parent's OpenMP pool now exists
    parent = job()
    with mp.get_context("fork").Pool(1) as pool:
        child = pool.map(job, [0])[0]
    print(parent, child, flush=True)
""")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_forked_pool_renders_after_parent_used_torch_threads():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:  # without the after-fork hook the child waits forever at its first parallel op
        out, err = proc.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the pool's worker too
        proc.communicate()
        pytest.fail("the forked child hung rendering after the parent had used torch's threads")
    assert proc.returncode == 0, err[-2000:]
    parent, child = map(float, out.split())
    assert parent > 10.0 and abs(parent - child) < 1e-3 * parent  # the same picture in both processes


def test_after_fork_hook_sets_one_thread_in_the_child():
    torch = pytest.importorskip("torch")
    import scenegraph  # noqa: F401  (registers the hook)

    n = torch.get_num_threads()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports its thread count and leaves at once
        os.close(r)
        os.write(w, str(torch.get_num_threads()).encode())
        os._exit(0)
    os.close(w)
    got = os.read(r, 16)
    os.close(r)
    os.waitpid(pid, 0)
    assert int(got) == 1
    assert torch.get_num_threads() == n  # the parent keeps its own
