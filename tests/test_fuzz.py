"""Seeded mutations of real files of every format: each ends loaded or in our typed error, in bounded
time and under 1 GB (the same engine as benchmarks/fuzz.py, which runs 10,000+ inputs).

The 2 s target is the benchmark's figure (``python benchmarks/fuzz.py``, quoted with the load
average); here a reader only has to finish well inside the USD reader's own 10 s cap, so a loaded
machine cannot fail the suite while a hang or a runaway read still does."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("pxr")
pytest.importorskip("PIL")

_SPEC = importlib.util.spec_from_file_location("scenegraph_fuzz_bench", Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = fuzz  # the worker processes unpickle its functions by this name
_SPEC.loader.exec_module(fuzz)


HANG_S = 20.0  # twice the USD reader's time cap: past it, a read is not bounded


def _check(result: dict) -> None:
    bad = [f"{b['format']} seed {b['seed']}: {b['outcome']} in {b['seconds']:.2f} s, {b['peak_kb'] // 1024} MB: {b['detail']}"
           for b in result["bad"] if b["outcome"] == "other" or b["seconds"] > HANG_S or b["peak_kb"] > fuzz.BIG_KB]
    assert not bad, "\n".join(bad[:20])
    for fmt, row in result["formats"].items():
        assert row["other"] == 0 and row["over_1gb"] == 0 and row["max_s"] <= HANG_S, (fmt, row)
        assert row["typed"] > 0, (fmt, row)  # the mutations do break files


def test_mutations_are_deterministic():
    data = b'{"a": [1, 2, 3], "b": "text"}'
    assert fuzz.mutate(data, 7, True) == fuzz.mutate(data, 7, True)
    assert len({fuzz.mutate(data, s, True) for s in range(50)}) > 40


@pytest.mark.slow
def test_fuzzed_files_of_the_light_formats_end_loaded_or_in_a_typed_error():
    result = fuzz.fuzz(300, seed=1, workers=2, formats=["json", "glb", "gltf", "ply", "transforms", "colmap"])
    _check(result)
    assert result["total"]["inputs"] == 1800


@pytest.mark.slow
def test_fuzzed_usd_files_end_loaded_or_in_a_typed_error_in_bounded_time_and_memory():
    result = fuzz.fuzz(150, seed=1, workers=2, formats=["usda", "usdc", "usdz"])
    _check(result)
    assert result["total"]["inputs"] == 450
