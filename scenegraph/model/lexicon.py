"""The open-vocabulary lexicon: ``data/lexicon.txt`` (categories) and ``data/forms.tsv`` (inflections).

Loaded once, on the first lookup of a word outside the core catalogue.  A
line of the lexicon names one or more categories with a shared size and
defaults; inside a line a name that shares a word or a stem with the
category before it ("fire engine" after "fire truck", "firetruck") is its
synonym, any other name starts a category of its own.  ``forms.tsv`` holds
the plural forms of every name (made with lemminflect by
``python -m scenegraph.model.make_forms``), so no suffix rules run here; a
word outside both falls back to lemminflect's lemma (imported on first need).

>>> from scenegraph.model.catalog import lookup
>>> info = lookup("fire trucks")
>>> info.name, info.archetype, info.size[2] > 8
('fire truck', 'truck', True)
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

__all__ = ["Lexicon", "load", "DATA", "parse_lines"]

DATA = Path(__file__).with_name("data")

#: archetype -> the catalogue 'kind' used by the world when a line does not say
KIND_OF = {
    "biped": "person", "robot": "person", "quadruped": "animal", "fish": "animal", "insect": "animal",
    "snake": "animal", "bird": "flyer", "aircraft": "flyer", "car": "vehicle", "truck": "vehicle",
    "bus": "vehicle", "bicycle": "vehicle", "motorbike": "vehicle", "train": "vehicle", "boat": "vehicle",
    "furniture": "furniture", "container": "prop", "plant": "plant", "tree": "plant", "rock": "plant",
    "building": "building", "street_furniture": "street", "ball": "ball", "prop": "prop",
}


class _Classes(dict):
    """name -> ClassInfo; lexicon rows are parsed into ClassInfo on first access."""

    def __init__(self, core: dict):
        super().__init__(core)
        self.rows: dict[str, Any] = {}
        self.make: Any = None

    def __missing__(self, name: str) -> Any:
        info = self.make(self.rows[name])
        self[name] = info
        return info

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self.rows

    def __len__(self) -> int:
        return len(set(self.keys()) | set(self.rows))

    def values(self):  # type: ignore[override]
        for name in list(self.rows):
            self[name]
        return dict.values(self)

    def items(self):  # type: ignore[override]
        self.values()
        return dict.items(self)


class _Refined(dict):
    """core synonym -> ClassInfo of its core class with the word's own size, made on first access."""

    def __init__(self, lex: "Lexicon", core: dict, cls: Any):
        super().__init__()
        self.lex, self.core, self.cls = lex, core, cls

    def get(self, name: Any, default: Any = None) -> Any:  # type: ignore[override]
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        pair = self.lex.refined_rows.get(name)
        if pair is None:
            return default
        info, target = _row(pair[0], self.cls), pair[1]
        out = replace(info, name=target, synonyms=(), archetype=self.core[target].archetype, kind=self.core[target].kind)
        self[name] = out
        return out

    def __contains__(self, name: object) -> bool:
        return self.get(name) is not None

    def __getitem__(self, name: Any) -> Any:
        out = self.get(name)
        if out is None:
            raise KeyError(name)
        return out


@dataclass
class Lexicon:
    classes: Any = None  # name -> ClassInfo (core ones included); lexicon rows parsed on first access
    index: dict[str, str] = field(default_factory=dict)  # name or synonym -> class name
    forms: dict[str, str] = field(default_factory=dict)  # plural form -> singular
    refined: Any = None  # core synonym -> its class with the word's own size
    refined_rows: dict[str, Any] = field(default_factory=dict)
    longest: int = 1  # the most words a name has

    def lemma(self, word: str) -> str:
        """lemminflect's noun lemma of an out-of-vocabulary word (the word itself if it has none)."""
        return _lemma(word)


@functools.lru_cache(maxsize=4096)
def _lemma(word: str) -> str:
    try:
        from lemminflect import getLemma
    except ImportError:  # pragma: no cover - a core dependency; keep lookups working without it
        return word
    out = getLemma(word, upos="NOUN", lemmatize_oov=True)
    return out[0] if out else word


def _related(name: str, cls: str, syns: list[str]) -> bool:
    """Whether ``name`` is a synonym of the category ``cls`` (shares a word or a 5-letter stem, or is its plural)."""
    if _lemma(name) in (cls, *syns):
        return True
    words = set(re.split(r"[ \-']", name))
    for other in [cls, *syns]:
        ow = set(re.split(r"[ \-']", other))
        if words & ow - {"of", "the", "a"}:
            return True
        a, b = name.replace(" ", "").replace("-", ""), other.replace(" ", "").replace("-", "")
        if len(a) >= 5 and len(b) >= 5 and (a[:5] == b[:5] or a in b or b in a):
            return True
    return False


def parse_lines(lines: list[str], make: Callable[..., Any]) -> list[Any]:
    """The categories of lexicon lines, each made by ``make(name, synonyms, size, archetype, keys)``."""
    out = []
    section: dict[str, str] = {}
    archetype = "prop"
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            parts = line.strip("[]").split()
            archetype, section = parts[0], dict(p.split("=", 1) for p in parts[1:])
            continue
        names_s, _, rest = line.partition(":")
        vals = rest.split()
        size = tuple(float(v) for v in vals[:3])
        keys = {**section, **dict(v.split("=", 1) for v in vals[3:])}
        groups: list[tuple[str, list[str]]] = []
        for name in (n.strip() for n in names_s.split(",")):
            if not name:
                continue
            if groups and _related(name, groups[-1][0], groups[-1][1]):
                groups[-1][1].append(name)
            else:
                groups.append((name, []))
        for name, syns in groups:
            out.append(make(name, tuple(syns), size, archetype, keys))
    return out


_CACHE: dict[int, Lexicon] = {}


def _row(row: str, cls: Any) -> Any:
    """A ClassInfo from a row of lexicon.tsv (see scenegraph.director.make_data)."""
    name, syns, size, arch, kind, speeds, mat, col, support, verbs, spread = row.split("\t")
    w, h, d = (float(v) for v in size.split())
    walk, run, drive = (float(v) for v in speeds.split())
    return cls(name, (w, h, d), kind, walk, run, drive, mat, col, support == "1",
               tuple(syns.split("|")) if syns else (), arch, tuple(v for v in verbs.split("/") if v), float(spread))


def load(core: dict, core_index: dict[str, str], ClassInfo: Any) -> Lexicon:  # noqa: N803 (the class)
    """The lexicon over the core catalogue ``core`` (name -> ClassInfo) and its synonym index; cached."""
    lex = _CACHE.get(id(core))
    if lex is not None:
        return lex

    lex = Lexicon(classes=_Classes(core), index=dict(core_index))
    lex.refined = _Refined(lex, core, ClassInfo)

    def make(name, syns, size, archetype, keys):
        verbs = tuple(v for v in keys.get("verbs", "").split("/") if v)
        walk, run, drive = (float(keys.get(k, 0.0)) for k in ("walk", "run", "drive"))
        return ClassInfo(name, size, keys.get("kind", KIND_OF.get(archetype, "prop")), walk, run, drive,
                         keys.get("mat", "plastic"), keys.get("col", "grey"), keys.get("support", "0") == "1",
                         syns, archetype, verbs, float(keys.get("spread", 0.15)))

    compiled = DATA / "lexicon.tsv"
    if not compiled.exists():  # pragma: no cover - a source checkout before make_data ran
        for info in parse_lines((DATA / "lexicon.txt").read_text(encoding="utf-8").splitlines(), make):
            if info.name not in lex.index:
                lex.classes.rows[info.name] = info
                lex.index[info.name] = info.name
            for syn in info.synonyms:
                lex.index.setdefault(syn, lex.index[info.name])
    rows = compiled.read_text(encoding="utf-8").splitlines() if compiled.exists() else []
    lex.classes.make = lambda row: _row(row, ClassInfo) if isinstance(row, str) else row
    for row in rows:  # names only now; a row becomes a ClassInfo when it is first looked up
        name, syns, _ = row.split("\t", 2)
        target = lex.index.get(name)
        if target is not None and target != name and target in core:
            # a core synonym with its own size ('skyscraper' of 'building'): the core class, this size
            lex.refined_rows[name] = (row, target)
        if target is None:
            lex.classes.rows[name] = row
            lex.index[name] = name
            target = name
        for syn in syns.split("|") if syns else ():
            lex.index.setdefault(syn, target)
    for name in list(lex.classes.rows):
        lex.index.setdefault(name, name)
    forms = DATA / "forms.tsv"
    if forms.exists():
        for row in forms.read_text(encoding="utf-8").splitlines():
            plural, _, one = row.partition("\t")
            if plural and one:
                lex.forms[plural] = one
    lex.longest = max(len(n.split()) for n in lex.index)
    _CACHE[id(core)] = lex
    return lex
