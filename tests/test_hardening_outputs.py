"""Output paths and racing writers (issue 16, second round): a .gltf's buffers never outlive it, and
hostile -o paths end in one line, exit 2 and nothing written."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporters import gltf
from scenegraph.model import Entity, Scene
from scenegraph.model.outputs import Outputs

from tests import _gltf_scenes as scenes


def _cloud(seed: int) -> Scene:
    s = Scene(duration=0.0)
    s.add_entity(Entity("cloud", cls="cloud", gaussians=scenes.splats(50, seed=seed)))
    return s


def _bins(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".bin")


def test_two_staged_gltf_writers_racing_leave_one_gltf_and_its_own_bin(tmp_path):
    """Both read the same old .gltf, both stage, both publish: the loser's .bin used to stay behind."""
    path = tmp_path / "s.gltf"
    gltf.write(_cloud(0), path, timeline=scenes.hand_timeline(_cloud(0)))
    with Outputs([path], [".gltf"]) as first, Outputs([path], [".gltf"]) as second:
        gltf.write(_cloud(1), first.stage(path), timeline=scenes.hand_timeline(_cloud(1)))
        gltf.write(_cloud(2), second.stage(path), timeline=scenes.hand_timeline(_cloud(2)))
        first.commit()
        second.commit()
    uri = json.loads(path.read_text())["buffers"][0]["uri"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["s.gltf", uri])
    assert gltf.read(path).entity("cloud").gaussians == _cloud(2).entity("cloud").gaussians


def test_a_gltf_write_removes_orphan_bins_of_its_name_only(tmp_path):
    """A .bin a killed or racing writer left (named by our scheme for this .gltf) goes with the next write;
    other files' buffers and the user's own .bin files stay."""
    for name in ("s.0123456789ab.bin", "t.0123456789ab.bin", "s.bin", "s.v2.0123456789ab.bin"):
        (tmp_path / name).write_bytes(b"x")
    gltf.write(_cloud(1), tmp_path / "s.gltf", timeline=scenes.hand_timeline(_cloud(1)))
    uri = json.loads((tmp_path / "s.gltf").read_text())["buffers"][0]["uri"]
    assert _bins(tmp_path) == sorted([uri, "t.0123456789ab.bin", "s.bin", "s.v2.0123456789ab.bin"])


@pytest.mark.slow
def test_gltf_writers_in_two_processes_racing_leave_no_orphan_bin(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from exporters import gltf
        from tests.test_hardening_outputs import _cloud
        from tests import _gltf_scenes as scenes
        seed = int(sys.argv[1])
        for i in range(12):
            s = _cloud(seed * 100 + i)
            gltf.write(s, sys.argv[2], timeline=scenes.hand_timeline(s))
    """)
    path = tmp_path / "s.gltf"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(k), str(path)]) for k in (1, 2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    uri = json.loads(path.read_text())["buffers"][0]["uri"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["s.gltf", uri])
    assert len(gltf.read(path).entity("cloud").gaussians) == 50
