"""The open-vocabulary lexicon shipped as data: size, coverage, morphology, lazy load."""
from __future__ import annotations

import subprocess
import sys

import pytest

from scenegraph.model import catalog
from scenegraph.model.lexicon import DATA


def test_lexicon_has_a_thousand_categories_with_archetypes_sizes_and_synonyms():
    classes = catalog.all_classes()
    assert len(classes) >= 1000
    assert {c.archetype for c in classes.values()} <= set(catalog.ARCHETYPES)
    assert all(all(s > 0 for s in c.size) for c in classes.values())
    assert sum(1 for c in classes.values() if c.synonyms) >= 400
    movers = [c for c in classes.values() if c.archetype in ("biped", "quadruped", "car", "truck", "bird", "boat")]
    assert all(c.mobile for c in movers if c.verbs)


@pytest.mark.parametrize("word, name, archetype", [
    ("fire trucks", "fire truck", "truck"), ("traffic lights", "traffic light", "street_furniture"),
    ("hot air balloon", "hot air balloon", "aircraft"), ("grand piano", "grand piano", "furniture"),
    ("toy car", "toy car", "prop"), ("flower beds", "flower bed", "plant"), ("vending machines", "vending machine", "furniture"),
    ("otters", "otter", "quadruped"), ("wheelchair", "wheelchair", "car"), ("kittens", "cat", "quadruped"),
    ("geese", "goose", "bird"), ("mice", "mouse", "quadruped"), ("cacti", "cactus", "plant"),
    ("firefighters", "firefighter", "biped"), ("knives", "knife", "prop"),
])
def test_lookup_finds_compounds_plurals_and_synonyms(word, name, archetype):
    info = catalog.lookup(word)
    assert info is not None and (info.name, info.archetype) == (name, archetype)


def test_every_default_look_is_a_known_colour_and_material():
    from scenegraph.model.materials import COLORS, MATERIALS

    for c in catalog.all_classes().values():
        assert c.material in MATERIALS and c.color in COLORS, c.name


def test_sizes_are_plausible_for_well_known_things():
    size = lambda w: catalog.lookup(w).size  # noqa: E731
    assert size("elephant")[1] > size("horse")[1] > size("dog")[1] > size("mouse")[1]
    assert size("fire truck")[2] > size("car")[2] > size("bicycle")[2]
    assert size("skyscraper")[1] > 50 and size("ant")[2] < 0.02


def test_compiled_data_files_are_current(tmp_path):
    """lexicon.tsv, forms.tsv and verb_forms.tsv are what make_data writes from lexicon.txt (lemminflect)."""
    from scenegraph.director import make_data

    make_data.main([str(tmp_path)])
    for name in ("lexicon.tsv", "forms.tsv", "verb_forms.tsv"):
        assert (tmp_path / name).read_text() == (DATA / name).read_text(), f"{name}: run python -m scenegraph.director.make_data"


def test_lexicon_loads_lazily():
    code = ("import sys, time, scenegraph, scenegraph.director\n"
            "assert 'lemminflect' not in sys.modules\n"
            "from scenegraph.model import catalog, lexicon\n"
            "assert not lexicon._CACHE\n"
            "catalog.lookup('car')\n"
            "assert not lexicon._CACHE  # a core word needs no lexicon\n"
            "t = time.perf_counter(); catalog.lookup('otter'); print(time.perf_counter() - t)\n"
            "assert lexicon._CACHE and 'lemminflect' not in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 2.0  # generous: the benchmark measures it (target 50 ms)
