"""Shared fixtures. Tests mirror the packages; heavy backends skip cleanly when absent."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `import scenegraph` does, before anything loads torch

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TESTDATA = SHARED / "testdata"


@pytest.fixture(scope="session")
def train_ply() -> Path:
    """The real 1,000-splat capture shipped in ../shared/testdata."""
    p = TESTDATA / "train-1000.ply"
    if not p.exists():
        pytest.skip(f"{p} is not present")
    return p


@pytest.fixture
def one_torch_thread():
    """Run a test with one torch intra-op thread: on a shared 2-core machine a second thread
    mostly waits at every small op's barrier (rasterizer and fitting tests use many small ops)."""
    torch = pytest.importorskip("torch")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


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
