"""Shared fixtures. Tests mirror the packages; heavy backends skip cleanly when absent."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `import scenegraph` does, before anything loads torch

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "tests" / "data"  # in the repository: a clean clone runs every test


@pytest.fixture(scope="session")
def train_ply() -> Path:
    """The real 1,000-splat capture in tests/data (see tests/data/README.md for where it comes from)."""
    return TESTDATA / "train-1000.ply"


def _one_torch_thread():
    """Run with one torch intra-op thread: on a shared 2-core machine a second thread mostly
    waits at every small op's barrier (rasterizer, fitting and tiny-model tests use many small ops)."""
    torch = pytest.importorskip("torch")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


one_torch_thread = pytest.fixture(_one_torch_thread, name="one_torch_thread")
#: the same for a whole module whose module-scoped fixtures train tiny models
#: (``pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")``)
one_torch_thread_per_module = pytest.fixture(_one_torch_thread, scope="module", name="one_torch_thread_per_module")


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:
        has_cuda = False
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU and gsplat")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)
