"""``render -o FOLDER`` (and ``rerender``) publish the folder whole: every file is staged beside it
and put in place in one step, so an error, Ctrl-C, SIGTERM or a kill never leaves a half-written
render, and a previous complete render stays whole or is replaced whole (issue 16)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scenegraph.errors import FormatError
from scenegraph.model import outputs
from scenegraph.model.outputs import STAGING_PREFIX, OutputFolder
from scenegraph.model.serialize import save_json

from tests.test_model import street

pytest.importorskip("torch")

RENDER = ["--width", "32", "--no-passes", "--quiet"]


#: the CLI with every file write 0.5 s slower, to be interrupted or killed in the middle of writing
SLOW_WRITES = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # as in a terminal, even when
               # started from a shell's background job, which ignores SIGINT (CI scripts run with '&')
               "import sys, time, runpy; import scenegraph.model.files as f; w = f.atomic_write\n"
               "def slow(*a, **k):\n    w(*a, **k); time.sleep(0.5)\n"
               "f.atomic_write = slow; sys.argv = ['scenegraph'] + sys.argv[1:]; runpy.run_module('scenegraph.cli', run_name='__main__')")


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenegraph.cli", *args], capture_output=True, text=True, timeout=300, **kw)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _staging(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.fixture(scope="module")
def scene_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("scene") / "street.json"
    save_json(street(), p)
    return p


@pytest.fixture(scope="module")
def first_render(scene_file, tmp_path_factory) -> dict[str, bytes]:
    """A complete render of frames 0-2 (the 'previous render' every test starts from)."""
    out = tmp_path_factory.mktemp("first") / "frames"
    r = _cli("render", str(scene_file), "-o", str(out), "--frames", "0:3", *RENDER)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(out / n) for n in ("rgb_0000.png", "passes_0000.npz", "rgb_0001.png", "passes_0001.npz",
                                                       "rgb_0002.png", "passes_0002.npz", "passes.json",
                                                       "render_scene.json", "render.json")]  # the record --since reads
    return _snapshot(out)


def _previous(tmp_path: Path, first_render: dict[str, bytes]) -> Path:
    out = tmp_path / "frames"
    out.mkdir()
    for name, data in first_render.items():
        (out / name).write_bytes(data)
    return out


@pytest.mark.slow
def test_a_second_render_replaces_the_first_whole(tmp_path, scene_file, first_render):
    out = _previous(tmp_path, first_render)
    r = _cli("render", str(scene_file), "-o", str(out), "--frames", "5", *RENDER)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["passes.json", "passes_0005.npz", "render.json", "render_scene.json",
                                                     "rgb_0005.png"]  # no frames 0-2 left over
    assert [f["frame"] for f in json.loads((out / "passes.json").read_text())["frames"]] == [5]
    assert _staging(tmp_path) == []


@pytest.mark.slow
def test_a_failed_write_leaves_the_previous_render_untouched(tmp_path, scene_file, first_render):
    """The disk fills up (a file-size limit, EFBIG) while the frames are written: exit 2, one line, the
    previous render byte for byte, no staging folder."""
    import resource

    out = _previous(tmp_path, first_render)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    r = subprocess.run([sys.executable, "-m", "scenegraph.cli", "render", str(scene_file), "-o", str(out), "--frames", "0:4",
                        "--width", "64", "--quiet"], capture_output=True, text=True, timeout=300, preexec_fn=small_files)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and re.search(r"cannot write .*(too large|space)", r.stderr), r.stderr
    assert _snapshot(out) == first_render
    assert _staging(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_while_the_frames_are_written_leaves_the_previous_render(tmp_path, scene_file, first_render, sig):
    out = _previous(tmp_path, first_render)
    slow_writes = SLOW_WRITES
    proc = subprocess.Popen([sys.executable, "-c", slow_writes, "render", str(scene_file), "-o", str(out), "--frames", "0:6", *RENDER],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        staged = [p for name in _staging(tmp_path) for p in (tmp_path / name).iterdir()]
        if len(staged) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if sig == signal.SIGINT else 128 + sig), err
    assert "Traceback" not in err
    assert _snapshot(out) == first_render
    assert _staging(tmp_path) == []


@pytest.mark.slow
def test_a_killed_render_leaves_only_staging_that_the_next_run_removes(tmp_path, scene_file, first_render):
    out = _previous(tmp_path, first_render)
    slow_writes = SLOW_WRITES
    proc = subprocess.Popen([sys.executable, "-c", slow_writes, "render", str(scene_file), "-o", str(out), "--frames", "0:6", *RENDER],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None and not any((tmp_path / n).iterdir() for n in _staging(tmp_path)):
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert _snapshot(out) == first_render  # the kill left the previous render whole
    left = _staging(tmp_path)
    assert len(left) == 1
    old = time.time() - 60
    os.utime(tmp_path / left[0], (old, old))
    r = _cli("render", str(scene_file), "-o", str(out), "--frames", "1", *RENDER)
    assert r.returncode == 0, r.stderr
    assert _staging(tmp_path) == []
    assert sorted(p.name for p in out.iterdir()) == ["passes.json", "passes_0001.npz", "render.json", "render_scene.json", "rgb_0001.png"]


@pytest.mark.slow
def test_a_folder_holding_other_files_is_refused_before_any_work(tmp_path, scene_file, first_render):
    out = _previous(tmp_path, first_render)
    (out / "notes.txt").write_text("mine")
    r = _cli("render", str(scene_file), "-o", str(out), *RENDER)
    assert r.returncode == 2 and "'notes.txt', which this command did not write" in r.stderr, r.stderr
    assert (out / "notes.txt").read_text() == "mine" and len(list(out.iterdir())) == len(first_render) + 1
    f = tmp_path / "file"
    f.write_text("x")
    r = _cli("render", str(scene_file), "-o", str(f), *RENDER)
    assert r.returncode == 2 and "is not a folder" in r.stderr and f.read_text() == "x"


@pytest.mark.slow
def test_a_symlinked_output_folder_is_replaced_behind_its_link(tmp_path, scene_file, first_render):
    real = _previous(tmp_path, first_render)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    r = _cli("render", str(scene_file), "-o", str(link), "--frames", "2", *RENDER)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert sorted(p.name for p in real.iterdir()) == ["passes.json", "passes_0002.npz", "render.json", "render_scene.json", "rgb_0002.png"]


# ---------------------------------------------------------------- the mechanism itself


def _owned(name: str) -> bool:
    return re.fullmatch(r"f_\d+\.txt", name) is not None


def _write(folder: OutputFolder, names: list[str]) -> None:
    for n in names:
        (folder.stage() / n).write_text(n)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two_renames"])
def test_output_folder_replaces_whole_with_or_without_an_atomic_exchange(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = tmp_path / "deep" / "er" / "out"
    with OutputFolder(target, _owned) as f:
        _write(f, ["f_1.txt", "f_2.txt"])
        f.commit()
    with OutputFolder(target, _owned) as f:
        _write(f, ["f_3.txt"])
        f.commit()
    assert sorted(p.name for p in target.iterdir()) == ["f_3.txt"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["out"]


def test_a_published_folder_has_the_mode_of_a_new_folder_or_of_the_one_it_replaces(tmp_path):
    """mkdtemp makes the staging folder private (0700); the published render folder must not be."""
    mask = os.umask(0o022)
    try:
        target = tmp_path / "out"
        with OutputFolder(target, _owned) as f:
            _write(f, ["f_1.txt"])
            f.commit()
        assert target.stat().st_mode & 0o777 == 0o755
        target.chmod(0o750)
        with OutputFolder(target, _owned) as f:
            _write(f, ["f_2.txt"])
            f.commit()
        assert target.stat().st_mode & 0o777 == 0o750 and sorted(p.name for p in target.iterdir()) == ["f_2.txt"]
    finally:
        os.umask(mask)


def test_a_failed_command_removes_its_staging_and_the_parents_it_made(tmp_path):
    target = tmp_path / "a" / "b" / "out"
    with pytest.raises(RuntimeError):
        with OutputFolder(target, _owned) as f:
            _write(f, ["f_1.txt"])
            raise RuntimeError("the renderer failed")
    assert list(tmp_path.iterdir()) == []


def test_a_kill_between_the_two_renames_is_undone_by_the_next_run(tmp_path):
    """Where folders cannot be exchanged, the previous folder is moved aside first: if the process dies
    before the new one is renamed in, the next run puts the previous one back."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    aside = tmp_path / f"{STAGING_PREFIX}{dead}-previous-out"
    aside.mkdir()
    (aside / "f_1.txt").write_text("previous")
    old = time.time() - 60
    os.utime(aside, (old, old))
    half = tmp_path / f"{STAGING_PREFIX}{dead}-abc123"  # its staged replacement, never renamed in
    half.mkdir()
    os.utime(half, (old, old))
    OutputFolder(tmp_path / "out", _owned)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (tmp_path / "out" / "f_1.txt").read_text() == "previous"


def test_something_foreign_appearing_during_the_command_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "out"
    with OutputFolder(target, _owned) as f:
        _write(f, ["f_1.txt"])
        f.commit()
    with pytest.raises(FormatError, match="'mine.txt', which this command did not write"):
        with OutputFolder(target, _owned) as f:
            _write(f, ["f_2.txt"])
            (target / "mine.txt").write_text("mine")
            f.commit()
    assert sorted(p.name for p in target.iterdir()) == ["f_1.txt", "mine.txt"]
    assert _staging(tmp_path) == []
