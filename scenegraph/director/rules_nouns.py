"""Noun phrases for the rules director: tokens, entities (counts, colours, sizes, materials), settings.

:class:`NounParser` holds what a prompt has named so far; :mod:`scenegraph.director.rules`
adds verbs, relations, timing and camera moves on top.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scenegraph import catalog
from scenegraph.director import rules_lexicon as lex
from scenegraph.materials import COLORS, canonical_color, is_material_word, material_word

__all__ = ["NounParser", "Entity", "DETERMINERS"]

_PHRASE_RE = lex.phrase_pattern()
_TOKEN_RE = re.compile(r"§[\w:]+|\d+(?:\.\d+)?|[a-z]+(?:-[a-z]+)*|,|[.;!?]")
_SIZE_WORDS = {"tiny": "tiny", "little": "small", "small": "small", "smaller": "small", "mini": "small",
               "big": "big", "bigger": "big", "large": "big", "larger": "big", "huge": "huge", "giant": "huge",
               "enormous": "huge", "massive": "huge", "tall": "tall", "taller": "tall", "short": "short",
               "long": "long", "wide": "wide", "medium": "medium", "normal": "medium"}
_TONES = {"dark", "light", "pale", "bright", "deep", "pastel"}
DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "another", "my", "his", "her", "its", "their",
                "our", "your", "some", "one"}
_PLURAL_DETS = {"these", "those"}


@dataclass
class Entity:
    """An entity the prompt names (``key`` is its SceneSpec id)."""

    key: str
    cls: str
    count: int = 1
    color: str | None = None
    material: str | None = None
    size: str | None = None
    attributes: list[str] = field(default_factory=list)
    position: list[float] | None = None


class NounParser:
    """Tokens and noun phrases of one prompt; the entities, relations and environment found so far."""

    def __init__(self, prompt: str):
        self.prompt = prompt
        self.ents: list[Entity] = []
        self.rels: list[tuple[str, str, str]] = []
        self.acts: list[Any] = []
        self.shots: list[dict[str, Any]] = []
        self.env: dict[str, Any] = {}
        self.unknown: list[str] = []
        self.notes: list[str] = []
        self.last_subject: list[str] = []
        self.last_np: str | None = None
        self.mentions: list[str] = []  # entity keys in the order they are mentioned
        self.companions: dict[str, str] = {}  # 'a man with a dog': dog -> man
        self.sides: dict[str, str] = {}  # 'a tree on the left': tree -> left

    # -- tokens ------------------------------------------------------------
    def tokens(self) -> list[list[str]]:
        text = self.prompt.lower().replace("’", "'")
        text = re.sub(r"'s\b", "", text)
        text = re.sub(r"(\d)\s*(s|m)\b", r"\1 \2", text)

        def sub(m: re.Match) -> str:
            for name, val in m.groupdict().items():
                if val is not None:
                    return f" {lex.PHRASES[int(name[1:])][1]} "
            return m.group(0)  # pragma: no cover

        text = _PHRASE_RE.sub(sub, text)
        text = re.sub(r"[^a-z0-9.,;!?\-\s§:_]", " ", text)
        sentences, cur = [], []
        for tok in _TOKEN_RE.findall(text):
            if tok in ".;!?":
                if cur:
                    sentences.append(cur)
                cur = []
            else:
                cur.append(tok)
        if cur:
            sentences.append(cur)
        return sentences

    # -- entities ----------------------------------------------------------
    def entity(self, cls: str, *, new: bool, count: int, color: str | None, material: str | None,
               size: str | None, attrs: list[str]) -> str:
        if not new:
            for e in reversed(self.ents):
                if e.cls == cls and (color is None or e.color in (None, color)):
                    e.color = e.color or color
                    e.material = e.material or material
                    e.size = e.size or size
                    return e.key
        n = sum(1 for e in self.ents if e.cls == cls)
        key = cls.replace(" ", "_") + (f"_{n + 1}" if n else "")
        self.ents.append(Entity(key, cls, count, color, material, size, attrs))
        return key

    def noun_phrase(self, toks: list[str], i: int) -> tuple[str | None, int, str | None]:
        """(entity key | None, next index, special) for a noun phrase starting at ``i``.

        special is 'camera', a setting word, or None.  Returns (None, i, None) if none starts here.
        """
        if i >= len(toks):
            return None, i, None
        j = i
        det = None
        count = 1
        if toks[j] in DETERMINERS or lex.number_value(toks[j]) is not None:
            det = toks[j]
            v = lex.number_value(toks[j])
            if v is not None and det not in ("a", "an", "one"):
                count = int(v) if v >= 1 else 1
            j += 1
        colors, material, size, attrs = [], None, None, []
        start_adj = j
        while j < len(toks):
            t = toks[j]
            two = f"{t} {toks[j + 1]}" if j + 1 < len(toks) else ""
            info = None
            if two and catalog.lookup(two) and not toks[j + 1].startswith("§") and not (
                    toks[j + 1] in lex.VERB_FORMS and catalog.singular(toks[j + 1]) != toks[j + 1] and catalog.lookup(t)):
                info, width = catalog.lookup(two), 2
            elif catalog.lookup(t) and not self._adjective_here(toks, j):
                info, width = catalog.lookup(t), 1
            if info is not None:
                word = toks[j + width - 1]
                plural = count > 1 or (catalog.singular(word) != word and word not in ("glass", "bus", "dress"))
                if plural and count == 1:
                    count = 2 if det in _PLURAL_DETS or det is None or det == "the" else count
                    if det is None or det == "the":
                        count = max(count, 2)
                color = " ".join(colors) if colors else None
                new = det in (None, "a", "an", "another", "one") or (det is not None and lex.number_value(det) is not None)
                if det is None and self._exists(info.name):
                    new = False
                key = self.entity(info.name, new=new, count=count, color=canonical_color(color) if color else None,
                                  material=material, size=size, attrs=attrs)
                return key, j + width, None
            if t == "camera":
                return None, j + 1, "camera"
            if t in lex.SETTINGS or t in lex.GROUND_WORDS:
                return None, j + 1, t
            if t in COLORS or t in _TONES:
                colors.append(t)
            elif t in _SIZE_WORDS:
                size = _SIZE_WORDS[t]
            elif is_material_word(t):
                material = material_word(t)
            elif t.startswith("§") or t == "," or t in lex.STOP_WORDS or t in lex.VERB_FORMS or t in lex.STATIC_VERBS \
                    or lex.number_value(t) is not None or j - start_adj >= 3:
                break
            else:
                attrs.append(t)
            j += 1
        return None, i, None

    def _adjective_here(self, toks: list[str], j: int) -> bool:
        """True when a colour/material word that is also a noun ('orange', 'glass') modifies a following noun."""
        t = toks[j]
        if not (t in COLORS or is_material_word(t)):
            return False
        k = j + 1
        while k < len(toks) and (toks[k] in COLORS or toks[k] in _SIZE_WORDS or is_material_word(toks[k])):
            k += 1
        return k < len(toks) and (catalog.lookup(toks[k]) is not None or toks[k] == "camera")

    def _exists(self, cls: str) -> bool:
        return any(e.cls == cls for e in self.ents)

    # -- actions -----------------------------------------------------------
    def _ent(self, key: str) -> Entity | None:
        return next((e for e in self.ents if e.key == key), None)

    def setting(self, word: str, rel: str | None, subject: list[str]) -> None:
        if word in lex.GROUND_WORDS:
            if lex.GROUND_WORDS[word]:
                self.env["ground"] = lex.GROUND_WORDS[word]
            return
        setting = lex.SETTINGS[word]
        if setting == "table":
            if not self._exists("table"):
                self.entity("table", new=True, count=1, color=None, material=None, size=None, attrs=[])
            for s in subject:
                if s != "table" and s != "camera" and not any(r[0] == s for r in self.rels):
                    self.rels.append((s, "on", "table"))
            return
        self.env.setdefault("setting", setting)
        if setting == "street":
            self.env["road"] = True
