"""The layer rule of DESIGN.md, read from the code: no import circles, and no import from a lower
layer into a higher one.

The layer order is written once, here (ARCHITECTURE.md points to it).  Every import counts,
also those inside functions: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

REPO = Path(__file__).resolve().parents[1]

#: (rank, group, module prefixes).  A module may import its own group and groups of a lower rank;
#: groups of one rank are peers and may not import each other.
LAYERS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (0, "base", ("scenegraph.errors", "scenegraph.version")),
    (1, "model", ("scenegraph.model",)),
    (2, "director", ("scenegraph.director",)),
    (2, "world", ("scenegraph.world",)),
    (3, "appearance", ("scenegraph.appearance",)),
    (4, "render", ("scenegraph.render",)),
    (4, "exporters", ("exporters",)),
    (5, "application", ("scenegraph", "scenegraph.cli", "scenegraph.pipeline", "scenegraph.batch")),
)
#: at most this many modules directly in scenegraph/ (the public API, CLI, pipeline, errors, ...)
MAX_TOP_MODULES = 6


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("scenegraph", "exporters"):
        for path in sorted((REPO / top).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _group(module: str) -> tuple[int, str]:
    best: tuple[int, int, str] | None = None
    for rank, group, prefixes in LAYERS:
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[0]):
                best = (len(p), rank, group)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[1], best[2]


def import_graph() -> nx.DiGraph:
    """Module -> module edges for every import inside scenegraph/ and exporters/."""
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for a in node.names:  # `from pkg import submodule` depends on the submodule only
                    targets.append(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base)
            for t in targets:
                while t and t not in mods:  # `import a.b.c` of a name inside a module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    g.add_edge(name, t, line=getattr(node, "lineno", 0))
    return g


def test_no_import_circles():
    g = import_graph()
    circles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not circles, f"import circles: {circles}"


def test_imports_go_down_the_layers_only():
    bad = []
    for a, b, line in import_graph().edges(data="line"):
        (ra, ga), (rb, gb) = _group(a), _group(b)
        if ga != gb and rb >= ra:
            bad.append(f"{a}:{line} imports {b} ({ga} may not import {gb})")
    assert not bad, "\n".join(bad)


def test_nothing_imports_the_plugins():
    assert not [e for e in import_graph().edges if e[1].startswith("plugins")]


def test_the_package_top_holds_few_modules():
    top = sorted(p.name for p in (REPO / "scenegraph").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


@pytest.mark.parametrize("module", ["exporters.gltf_write", "exporters.usd_write", "exporters.gltf"])
def test_formats_never_reach_the_application_layer(module):
    reach = nx.descendants(import_graph(), module)
    assert not reach & {"scenegraph", "scenegraph.pipeline", "scenegraph.cli", "scenegraph.director"}, reach


def test_the_layer_test_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a planted circle and an upward import are both found."""
    root = tmp_path / "repo"
    for top in ("scenegraph", "exporters"):
        (root / top).mkdir(parents=True)
        (root / top / "__init__.py").write_text("")
    (root / "scenegraph" / "model").mkdir()
    (root / "scenegraph" / "model" / "__init__.py").write_text("")
    (root / "scenegraph" / "model" / "a.py").write_text("from scenegraph.model import b\nfrom scenegraph import pipeline\n")
    (root / "scenegraph" / "model" / "b.py").write_text("def f():\n    from . import a\n")
    (root / "scenegraph" / "pipeline.py").write_text("")
    monkeypatch.setitem(globals(), "REPO", root)
    with pytest.raises(AssertionError, match="import circles"):
        test_no_import_circles()
    with pytest.raises(AssertionError, match="model may not import application"):
        test_imports_go_down_the_layers_only()
