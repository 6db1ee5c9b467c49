"""The README's commands and its Python block run as written."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    command = re.search(r"^bash tests/install\.sh && python -m pytest$", README, re.M)
    assert command is not None
    assert ci.strip().splitlines()[-1] == command.group(0)


@pytest.mark.slow
def test_the_from_python_block_runs_as_written(tmp_path):
    block = re.search(r"## From Python\n\n```python\n(.*?)```", README, re.S).group(1)
    r = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    position, events = r.stdout.strip().splitlines()[:2]
    assert len(position.strip("[]").split()) == 3
    assert (tmp_path / "park.glb").is_file() and (tmp_path / "park_edited_in_blender.glb").is_file()
    assert "VisibilityEvent(" in events and "camera_1" in events
