"""Hostile USD text and the USD reader where fork is unavailable (issue 16, second round).

- usd-core's text parser spends seconds on a stray ``[`` inside a large array before its error;
  :mod:`exporters._usda_scan` refuses such text first, naming the line (every valid layer passes).
- Where ``os.fork`` does not exist the reader process reads the file itself, bounded in time
  (killed), in memory where the OS allows, with a warning where it does not.
"""
from __future__ import annotations

import os
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import exporters
from scenegraph.errors import FormatError
from exporters._usda_scan import check_usda_text

pytest.importorskip("pxr")

from tests.test_hardening import run, street  # noqa: E402


def _big_mesh_usda(folder: Path) -> Path:
    """A scene with a mesh of 4,000 points written as .usda (arrays of tens of kB on one line)."""
    from pxr import Gf, Usd, UsdGeom, Vt

    p = folder / "mesh.usda"
    stage = Usd.Stage.CreateNew(str(p))
    UsdGeom.Xform.Define(stage, "/World")
    mesh = UsdGeom.Mesh.Define(stage, "/World/blob")
    pts = np.random.default_rng(0).uniform(-1, 1, (4000, 3))
    mesh.GetPointsAttr().Set(Vt.Vec3fArray([Gf.Vec3f(*map(float, q)) for q in pts]))
    mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray([4] * 1000))
    mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(list(range(4000))))
    stage.SetDefaultPrim(stage.GetPrimAtPath("/World"))
    stage.GetRootLayer().Save()
    return p


def _stray_bracket(text: bytes) -> tuple[bytes, int]:
    """``text`` with a '[' before a value in the middle of its longest line; the line number (1-based)."""
    lines = text.split(b"\n")
    i = max(range(len(lines)), key=lambda k: len(lines[k]))
    line = lines[i]
    pos = line.index(b", (", len(line) // 2) + 2  # "..., [(x, y, z), ..."
    lines[i] = line[:pos] + b"[" + line[pos:]
    return b"\n".join(lines), i + 1


def test_a_stray_bracket_in_a_large_usda_array_is_refused_before_usd_core_parses_it(tmp_path):
    good = _big_mesh_usda(tmp_path)
    assert len(list(exporters.load(good).entities())) == 1  # the mesh loads
    bad = tmp_path / "bad.usda"
    data, line = _stray_bracket(good.read_bytes())
    bad.write_bytes(data)
    with pytest.raises(FormatError, match=rf"bad\.usda: line \d+, column \d+: .*'\[' opened on line {line}, column \d+ \(not valid USD text\)"):
        exporters.load(bad)
    r = run("inspect", str(bad))
    assert r.returncode == 2 and f"opened on line {line}" in r.stderr and "Traceback" not in r.stderr


def test_a_stray_bracket_in_a_sublayer_or_a_usdz_entry_is_refused_by_name(tmp_path):
    good = _big_mesh_usda(tmp_path)
    data, line = _stray_bracket(good.read_bytes())
    (tmp_path / "sub.usda").write_bytes(data)
    root = tmp_path / "root.usda"
    root.write_text('#usda 1.0\n(\n    subLayers = [@./sub.usda@]\n)\n')
    with pytest.raises(FormatError, match=rf"sub\.usda: line \d+, column \d+: .*opened on line {line}"):
        exporters.load(root)
    z = tmp_path / "pack.usdz"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("scene.usda", data)
    with pytest.raises(FormatError, match=rf"pack\.usdz\[scene\.usda\]: line \d+, column \d+: .*opened on line {line}"):
        exporters.load(z)


def test_a_fifo_sublayer_is_refused_at_once(tmp_path):
    """usd-core would block opening it (until the reader's 10 s time limit)."""
    os.mkfifo(tmp_path / "sub.usda")
    root = tmp_path / "root.usda"
    root.write_text('#usda 1.0\n(\n    subLayers = [@./sub.usda@]\n)\n')
    with pytest.raises(FormatError, match=r"sub\.usda: not a regular file \(a device, FIFO or socket\)"):
        exporters.load(root)


@pytest.mark.parametrize("text, message", [
    (b'#usda 1.0\ndef "A" {\n    int[] a = [1, 2, 3\n}\n', r"line 4, column 1: '\}' does not close the '\[' opened on line 3, column 15"),
    (b'#usda 1.0\ndef "A" {\n    int[] a = [1, 2]]\n}\n', r"line 3, column 21: '\]' does not close the '\{' opened on line 2"),
    (b'#usda 1.0\ndef "A" {\n', r"line 2, column 9: '\{' is never closed"),
    (b'#usda 1.0\n)\n', r"line 2, column 1: '\)' closes nothing"),
    (b'#usda 1.0\ndef "A {\n}\n', r"line 2, column 5: a string that is not closed"),
    (b'#usda 1.0\ndef "A" {\n    asset a = @x.png\n}\n', r"line 3, column 15: a asset path that is not closed"),
    (b'#usda 1.0\n/* [\n', r"line 2, column 1: a comment that is not closed"),
    (b'#usda 1.0\ndef "A" {\n    string s = """never\n}\n', r"line 3, column 16: a string that is not closed"),
    (b"#usda 1.0\n" + b"(" * 100_000, r"line 2, column 1001: brackets nested more than 1000 deep"),
], ids=["unclosed", "extra", "never_closed", "closes_nothing", "string", "asset", "comment", "triple_string", "deep"])
def test_unbalanced_usd_text_is_refused_with_its_line(text, message):
    with pytest.raises(FormatError, match=r"x\.usda: " + message):
        check_usda_text(text, "x.usda")


def test_valid_usd_text_passes_the_scan(tmp_path):
    """Every text layer usd-core ships (schemas: docstrings, comments, dictionaries) and one with hostile
    strings, tokens and asset paths written by usd-core itself pass, and the latter loads."""
    from pxr import Sdf, Usd, Vt

    import pxr

    shipped = sorted(Path(pxr.__file__).parent.rglob("*.usda"))
    assert shipped, "usd-core ships its schemas as .usda"
    for p in shipped:
        check_usda_text(p.read_bytes(), str(p))
    nasty = ['a[b', 'x"y', "q'r", 'multi\nline [ {', 'tri"""ple', "tri'''ple", 'back\\slash', '@at@', '<path>', '# no comment',
             '/* no */', 'end\\', 'both \' and "', 'ünïcode [', '"""', "'''", '\\"""', 'a@@@b', '@@@', 'x\\@@@y', '}{)(][']
    stage = Usd.Stage.CreateNew(str(tmp_path / "nasty.usda"))
    prim = stage.DefinePrim("/World", "Xform")
    for i, s in enumerate(nasty):
        prim.CreateAttribute(f"s{i}", Sdf.ValueTypeNames.String).Set(s)
        prim.CreateAttribute(f"t{i}", Sdf.ValueTypeNames.Token).Set(s)
        if "\n" not in s:
            prim.CreateAttribute(f"a{i}", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath("./" + s))  # inside the folder: confinement allows it
    prim.CreateAttribute("arr", Sdf.ValueTypeNames.StringArray).Set(Vt.StringArray(nasty))
    prim.SetCustomDataByKey("k[", 'v"""]')
    prim.SetDocumentation('doc with ] and """ and }')
    stage.SetDefaultPrim(prim)
    stage.GetRootLayer().Save()
    check_usda_text((tmp_path / "nasty.usda").read_bytes(), "nasty.usda")
    assert exporters.load(tmp_path / "nasty.usda").entity("World").kind == "object"


def test_our_own_usda_files_pass_the_scan(tmp_path):
    p = exporters.export(street(), tmp_path / "street.usda")
    check_usda_text(p.read_bytes(), str(p))
    assert sorted(e.id for e in exporters.load(p).entities()) == sorted(e.id for e in street().entities())


# ---------------------------------------------------------------- no fork


@pytest.fixture
def no_fork(monkeypatch):
    """This process as on a platform without os.fork (the reader process itself is unchanged)."""
    from exporters import _usd_guard

    monkeypatch.delenv("SCENEGRAPH_USD_SANDBOX", raising=False)
    monkeypatch.delattr(os, "fork")
    monkeypatch.setattr(_usd_guard, "_warned_spawn", False)
    assert _usd_guard.sandbox_mode() == "spawn"
    yield _usd_guard
    monkeypatch.undo()
    _usd_guard._stop_worker()  # the next test starts a fresh reader


@pytest.mark.slow
def test_without_fork_the_reader_process_is_bounded_in_time_and_memory(tmp_path, no_fork, monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("memory caps need Linux")
    src = exporters.export(street(), tmp_path / "street.usdc")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Linux caps memory: no warning
        assert exporters.load(src).entity("car_1").cls == "car"
    monkeypatch.setattr(no_fork, "memory_limit", lambda size: 1)
    with pytest.raises(FormatError, match="street.usdc: .*(memory|usd-core failed|not a readable)"):
        exporters.load(src)
    monkeypatch.setattr(no_fork, "memory_limit", lambda size: 1 << 30)
    monkeypatch.setattr(no_fork, "time_limit", lambda size: 0.0001)
    with pytest.raises(FormatError, match="street.usdc: reading took longer than"):
        exporters.load(src)
    monkeypatch.setattr(no_fork, "time_limit", lambda size: 60.0)
    assert exporters.load(src).entity("car_1").cls == "car"  # a fresh reader process


@pytest.mark.slow
def test_without_fork_or_memory_caps_a_warning_says_the_read_is_bounded_in_time_only(tmp_path, no_fork, monkeypatch):
    monkeypatch.setattr(no_fork, "_memory_capped_in_spawn_mode", lambda: False)
    src = exporters.export(street(), tmp_path / "street.usda")
    with pytest.warns(RuntimeWarning, match="bounded in time only"):
        assert exporters.load(src).entity("car_1").cls == "car"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process
        exporters.load(src)
    r = run("inspect", str(src), env={**os.environ, "SCENEGRAPH_USD_SANDBOX": "spawn"})
    assert r.returncode == 0 and "car_1" in r.stdout, r.stderr
