"""Output paths and racing writers (issue 16, second round): a .gltf's buffers never outlive it, and
hostile -o paths end in one line, exit 2 and nothing written."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import exporters
from exporters import gltf
from scenegraph.errors import FormatError
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


# ---------------------------------------------------------------- hostile paths (issue 16, second round)


def _cli(*args: str, preexec=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenegraph.cli", *args], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=preexec)


def _one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


def _bounded_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a reader of /dev/zero fails, not the machine


@pytest.fixture(scope="module")
def scene_json(tmp_path_factory) -> Path:
    from scenegraph.model.serialize import save_json
    from tests.test_model import street

    p = tmp_path_factory.mktemp("scene") / "street.json"
    save_json(street(), p)
    return p


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".json", ".glb", ".gltf", ".usdc", ".ply"])
@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_fifo_or_a_device_as_input_is_refused_without_blocking(tmp_path, scene_json, suffix, kind):
    """A FIFO used to block every reader forever; a link to /dev/zero made the JSON and PLY readers
    allocate until the machine ran out of memory."""
    p = tmp_path / f"input{suffix}"
    if kind == "fifo":
        os.mkfifo(p)
    else:
        p.symlink_to("/dev/zero")
    args = ["attach", str(scene_json), "car_1", str(p), "-o", str(tmp_path / "out.json")] if suffix == ".ply" else ["inspect", str(p)]
    r = _cli(*args, preexec=_bounded_memory, timeout=60)
    _one_line_error(r, f"input{suffix}: not a regular file (a device, FIFO or socket)")
    assert sorted(q.name for q in tmp_path.iterdir()) == [p.name]


def test_a_folder_named_like_a_scene_file_is_refused(tmp_path):
    (tmp_path / "d.json").mkdir()
    with pytest.raises(FormatError, match=r"d\.json: is a folder; a scene file must be a file"):
        exporters.load(tmp_path / "d.json")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "render", "simulate", "fit"])
def test_names_and_paths_too_long_for_the_file_system_are_one_line_errors(tmp_path, scene_json, command):
    """A 300-byte name or a 6,000-byte path used to end in OSError 'File name too long' and a traceback."""
    suffix = {"build": ".glb", "render": "", "simulate": ".npz", "fit": ".ply"}[command]
    for out, message in ((tmp_path / ("a" * 300 + suffix), "the name is"), (tmp_path / ("d/" * 3000 + "x" + suffix), "the path is")):
        first = {"build": "a red car drives", "render": str(scene_json), "simulate": str(scene_json), "fit": str(scene_json)}[command]
        r = _cli(command, first, "-o", str(out), *(["--frames", "0", "--width", "16"] if command == "render" else []))
        _one_line_error(r, message, "characters)")
        assert len(r.stderr) < 400  # the path is shortened in the message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".json", ".glb", ".gltf", ".usda", ".usdc", ".usdz"])
def test_a_full_disk_while_writing_is_one_line_naming_the_output_and_leaves_nothing(tmp_path, suffix):
    """A file-size limit (EFBIG, as a full disk gives ENOSPC) half-way through a write: the glTF writers
    used to end in an OSError traceback, the USD one in usd-core's multi-line report, and the messages
    named the staging folder instead of the output."""
    import resource
    import signal

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    out = tmp_path / f"x{suffix}"
    ok = tmp_path / "ok.json"
    r = _cli("build", "a red car drives from left to right", "-o", str(ok), "-o", str(out), preexec=small_files)
    _one_line_error(r, "File too large")
    assert f"{out}: " in r.stderr or f"{ok}: " in r.stderr  # the output, not its staging folder
    assert ".scenegraph-staging" not in r.stderr
    assert list(tmp_path.iterdir()) == []  # not even ok.json


def test_render_into_a_device_is_refused(tmp_path, scene_json):
    r = _cli("render", str(scene_json), "-o", "/dev/full", "--frames", "0", "--width", "16")
    _one_line_error(r, "/dev/full: exists and is not a folder")
    r = _cli("build", "a red car drives", "-o", "/dev/full")
    _one_line_error(r, "/dev/full: cannot write files without a suffix")
