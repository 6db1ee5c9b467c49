"""Compile the language data shipped in ``scenegraph/model/data`` (run after editing lexicon.txt or the verb lists).

    python -m scenegraph.director.make_data

- ``lexicon.tsv``: one row per category of ``lexicon.txt`` (name, synonyms, size,
  archetype, kind, speeds, look, support, verbs, spread), so loading splits rows only;
- ``forms.tsv``: plural -> singular for every name and synonym (lemminflect's
  inflections of the last word; "fire trucks" -> "fire truck");
- ``verb_forms.tsv``: every inflected form of the director's verb stems -> stem
  (lemminflect; "rode" -> "ride", "galloping" -> "gallop").

Deterministic: the same inputs give the same bytes (tests/test_lexicon.py checks the files are current).
"""
from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["compile_lexicon", "noun_forms", "verb_forms", "main"]


def compile_lexicon(text: str) -> list[str]:
    from scenegraph.model.lexicon import KIND_OF, parse_lines

    def make(name, syns, size, archetype, keys):
        return "\t".join([
            name, "|".join(syns), " ".join(f"{v:g}" for v in size), archetype,
            keys.get("kind", KIND_OF.get(archetype, "prop")),
            " ".join(f"{float(keys.get(k, 0.0)):g}" for k in ("walk", "run", "drive")),
            keys.get("mat", "plastic"), keys.get("col", "grey"), keys.get("support", "0"),
            keys.get("verbs", ""), keys.get("spread", "0.15"),
        ])

    return parse_lines(text.splitlines(), make)


def _plurals(word: str) -> list[str]:
    from lemminflect import getAllInflections, getAllInflectionsOOV

    forms = getAllInflections(word, upos="NOUN").get("NNS") or getAllInflectionsOOV(word, upos="NOUN").get("NNS", ())
    return [f for f in forms if f != word]


def noun_forms(names: list[str]) -> list[str]:
    """'plural<TAB>singular' rows for multi- and single-word names (inflecting the last word); a name
    that is the plural of another name ('shoes' beside 'shoe') maps to it too."""
    from lemminflect import getAllLemmas

    rows = {}
    known = set(names)
    for name in names:
        head, _, last = name.rpartition(" ")
        for one in getAllLemmas(last, upos="NOUN").get("NOUN", ()):
            single = f"{head} {one}".strip()
            if single != name and single in known:
                rows.setdefault(name, single)
    for name in names:
        head, _, last = name.rpartition(" ")
        if last == "of":
            continue
        for p in _plurals(last):
            rows.setdefault(f"{head} {p}".strip(), name)
    return [f"{p}\t{s}" for p, s in sorted(rows.items())]


def verb_forms(stems: list[str]) -> list[str]:
    from lemminflect import getAllInflections, getAllInflectionsOOV

    rows = {}
    for stem in stems:
        forms = getAllInflections(stem, upos="VERB") or getAllInflectionsOOV(stem, upos="VERB")
        for tag in sorted(forms):
            for f in forms[tag]:
                rows.setdefault(f, stem)
    return [f"{f}\t{s}" for f, s in sorted(rows.items())]


def main(argv: list[str] | None = None) -> int:
    from scenegraph.model import catalog
    from scenegraph.model.lexicon import DATA
    from scenegraph.director import rules_lexicon

    out = Path(argv[0]) if argv else DATA
    rows = compile_lexicon((DATA / "lexicon.txt").read_text(encoding="utf-8"))
    (out / "lexicon.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    names = {r.split("\t")[0] for r in rows} | {s for r in rows for s in r.split("\t")[1].split("|") if s}
    names |= {c.name for c in catalog.CATALOG.values()} | {s for c in catalog.CATALOG.values() for s in c.synonyms}
    (out / "forms.tsv").write_text("\n".join(noun_forms(sorted(names))) + "\n", encoding="utf-8")
    (out / "verb_forms.tsv").write_text("\n".join(verb_forms(sorted(rules_lexicon.verb_stems()))) + "\n",
                                        encoding="utf-8")
    print(f"{out}: {len(rows)} categories, {len(names)} names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
