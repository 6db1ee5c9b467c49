"""Noun phrases for the rules director: tokens, entities (counts, colours, sizes, materials), settings.

:class:`NounParser` holds what a prompt has named so far; :mod:`scenegraph.director.rules`
adds verbs, relations, timing and camera moves on top.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scenegraph.model import catalog
from scenegraph.director import rules_lexicon as lex
from scenegraph.model.materials import COLORS, canonical_color, is_material_word, material_word

__all__ = ["NounParser", "Entity", "DETERMINERS"]

_PHRASE_RE = lex.phrase_pattern()
_TOKEN_RE = re.compile(r"§[\w:]+|\d+(?:\.\d+)?|[a-z]+(?:-[a-z]+)*|,|[.;!?]")
_SIZE_WORDS = {"tiny": "tiny", "little": "small", "small": "small", "smaller": "small", "mini": "small",
               "big": "big", "bigger": "big", "large": "big", "larger": "big", "huge": "huge", "giant": "huge",
               "enormous": "huge", "massive": "huge", "tall": "tall", "taller": "tall", "short": "short",
               "long": "long", "wide": "wide", "medium": "medium", "normal": "medium"}
_TONES = {"dark", "light", "pale", "bright", "deep", "pastel"}
DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "another", "my", "his", "her", "its", "their",
                "our", "your", "some", "one", "no", "each", "every"}
_NEGATIONS = ("no",)
#: auxiliaries, never a noun here ('a boy does his homework' has no doe in it)
_AUX = frozenset(("do", "does", "did", "done", "doing", "is", "are", "was", "were", "be", "been", "has", "have", "had"))
_SINGULAR_DETS = ("a", "an", "one", "this", "that", "another", "each", "every")
_SETTING_PREPS = ("in", "at", "across", "through", "along", "on", "around", "inside", "within", "throughout")
DET_LIKE = ("the", "a", "an", "this", "that", "our", "my", "his", "her", "their")
_PLURAL_DETS = {"these", "those"}
#: 'on the left' / 'in the background' as an order along an axis: (axis rank, relation towards a higher rank)
_SIDE_ORDER = {"left": (0, 0), "center": (0, 1), "right": (0, 2), "back": (1, 0), "front": (1, 1)}


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
    word: str | None = None  # the noun the prompt used, when it is not the class name
    source: str | None = None  # the words of the prompt it came from
    formation: str | None = None
    guessed: bool = False  # a plural without a number ('the children'): two, unless a formation needs more
    one_named: bool = False  # one thing named with an article, not a number ('the tree'): a setting may have more


#: determiners that name one thing without giving a number ('a tree', 'the tree', 'her bike')
_ARTICLES = (None, "a", "an", "the", "this", "that", "his", "her", "its", "their", "my", "our", "your")
#: adjectives that make one a number ('a single tree', 'the lone tree')
_ONLY = {"single", "lone", "sole", "only"}


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
        self.standins: list[str] = []  # unknown nouns built as stand-ins
        self.chain_open = False  # the last noun phrase was a relation's object: 'on a book on the table'
        self.negated: list[str] = []  # 'no cars'
        self.between_rels: list[tuple[str, str, str | None]] = []  # (subject, object, object2)

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
               size: str | None, attrs: list[str], word: str | None = None) -> str:
        if not new:
            same = [e for e in self.ents if e.cls == cls]
            if word is not None:  # 'the girl' is not the boy named before, though both are children
                same = [e for e in same if e.word == word]
            for e in reversed(same):
                if color is None or e.color in (None, color):
                    e.color = e.color or color
                    e.material = e.material or material
                    e.size = e.size or size
                    return e.key
        base = (word or cls).replace(" ", "_")
        n = sum(1 for e in self.ents if e.key == base or e.key.startswith(base + "_"))
        key = base + (f"_{n + 1}" if n else "")
        self.ents.append(Entity(key, cls, count, color, material, size, attrs, word=word))
        return key

    def noun_phrase(self, toks: list[str], i: int, dry: bool = False) -> tuple[str | None, int, str | None]:
        """(entity key | None, next index, special) for a noun phrase starting at ``i``.

        special is 'camera', a setting word, 'none' (a negated phrase: 'no cars'), or None.
        Returns (None, i, None) if none starts here.  ``dry``: only look (key '?' for an entity).
        """
        np_ = self.scan(toks, i)
        if np_ is None:
            return None, i, None
        if np_.get("special") is not None or dry:
            return ("?" if np_.get("cls") else None), np_["end"], np_.get("special")
        return self.make_entity(np_), np_["end"], None

    def match_noun(self, toks: list[str], j: int, det: str | None = None) -> tuple[Any, int] | None:
        """(ClassInfo, width) of the longest lexicon name starting at ``j``, or None (``det``: its determiner)."""
        width = 1
        while j + width < len(toks) and width < 4 and toks[j + width][0].isalpha():
            width += 1
        for w in range(width, 0, -1):
            words = toks[j:j + w]
            info = catalog.lookup(" ".join(words))
            if info is None:
                continue
            if w > 1 and words[-1] in lex.ANY_VERB and catalog.lookup(" ".join(words[:-1])) is not None:
                nxt = toks[j + w] if j + w < len(toks) else ""
                if catalog.singular(words[-2]) != words[-2]:
                    continue  # 'the kids box': a plural noun and its verb
                if catalog.singular(words[-1]) != words[-1] and (
                        det in _SINGULAR_DETS or not (nxt in lex.ANY_VERB or nxt in lex.STATIC_VERBS)):
                    continue  # 'a bus stops behind ...': a noun and its verb, not 'bus stops'
            if w == 1 and self._adjective_here(toks, j):
                return None
            return info, w
        return None

    def scan(self, toks: list[str], i: int) -> dict | None:
        """What a noun phrase starting at ``i`` says, without making anything (None: no noun phrase)."""
        if i >= len(toks):
            return None
        j = i
        det = None
        count = 1
        if toks[j] in DETERMINERS or lex.number_value(toks[j]) is not None:
            det = toks[j]
            v = lex.number_value(toks[j])
            if v is not None and det not in ("a", "an", "one"):
                count = int(v) if v >= 1 else 1
            j += 1
            v2 = lex.number_value(toks[j]) if j < len(toks) and toks[j] not in ("a", "an", "one") else None
            if v2 is not None and v2 >= 2 and v2 == int(v2):  # 'the two trees', 'her three cats'
                count = int(v2)
                j += 1
        colors, material, size, attrs = [], None, None, []
        start_adj = j
        while j < len(toks):
            t = toks[j]
            hit = self.match_noun(toks, j, det) if t[0].isalpha() and t not in _AUX else None
            if hit is not None and not (t in lex.SETTINGS and self._setting_here(toks, j)):
                info, width = hit
                return {"cls": info.name, "info": info, "det": det, "count": count, "colors": colors,
                        "material": material, "size": size, "attrs": attrs, "said": " ".join(toks[j:j + width]),
                        "lead": [w for w in toks[i:start_adj] if lex.number_value(w) is None or w == str(count)
                                 or lex.number_value(w) == count or w in ("a", "an")][-2:],
                        "end": j + width, "special": "none" if det in _NEGATIONS else None}
            if t == "camera":
                return {"special": "camera", "end": j + 1}
            if t in lex.SETTINGS or t in lex.GROUND_WORDS:
                return {"special": t, "end": j + 1}
            if t in COLORS or t in _TONES:
                colors.append(t)
            elif t in _SIZE_WORDS:
                size = _SIZE_WORDS[t]
            elif is_material_word(t):
                material = material_word(t)
            elif (t in lex.STATIC_VERBS or t in lex.ANY_VERB) and t.endswith(("ed", "ing")) and t != "being" \
                    and (det is not None or colors or size) and j + 1 < len(toks) and toks[j + 1][0].isalpha() \
                    and self.match_noun(toks, j + 1, det) is not None:
                attrs.append(t)  # 'four parked cars', 'a sleeping cat': a participle as an adjective
            elif (t in lex.VERB_FORMS and j == start_adj and det in ("a", "an", "the") and not t.endswith(("ing", "ed"))
                  and self.noun_like(t)):
                attrs.append(t)  # 'a guide leads ...': after an article, a verb's form names a thing
                j += 1
                break
            elif attrs and det in ("a", "an", "one") and t.endswith("s") and not t.endswith("ss") and lex.verb_lemma(t):
                break  # 'a snowplow clears ...': after 'a' and a noun, a verb's -s form is the verb, not a plural
            elif t.startswith("§") or t == "," or t in lex.STOP_WORDS or t in lex.VERB_FORMS or t in lex.STATIC_VERBS \
                    or lex.number_value(t) is not None or j - start_adj >= 3 or t in DETERMINERS or t in lex.PRONOUNS:
                break
            else:
                attrs.append(t)
            j += 1
        if attrs and (det is not None or colors or size or material) and self.noun_like(attrs[-1]):
            # an unknown noun ('a shiny gizmo'): a stand-in, named by the word
            said = attrs[-1]
            info = catalog.vehicle_head(said)  # 'a dumptruck', 'a hovervan': a vehicle by its last part
            return {"cls": info.name if info else None, "info": info, "det": det, "count": count, "colors": colors, "material": material,
                    "size": size, "attrs": attrs[:-1], "said": said, "end": j,
                    "special": "none" if det in _NEGATIONS else None}
        return None

    @staticmethod
    def _setting_here(toks: list[str], j: int) -> bool:
        """'in the park', 'at the station': a setting word after a place preposition is the setting."""
        prev = toks[j - 1] if j > 0 else ""
        return prev in _SETTING_PREPS or (prev in DET_LIKE and j > 1 and toks[j - 2] in _SETTING_PREPS)

    @staticmethod
    def noun_like(word: str) -> bool:
        """A word outside the tables that may name a thing: not a verb, adverb or number word."""
        return (len(word) >= 3 and word.isalpha() and not word.endswith("ly") and word not in lex.NOT_NOUNS)

    def make_entity(self, np_: dict) -> str:
        """The entity key for a scanned noun phrase (an existing one for 'the ...' of a thing named before)."""
        det, count, said, info = np_["det"], np_["count"], np_["said"], np_["info"]
        last = said.split()[-1]
        one = catalog.singular(said)
        plural = count > 1 or (catalog.singular(last) != last and last not in ("glass", "bus", "dress", "series"))
        guessed = plural and count == 1 and (det in _PLURAL_DETS or det is None or det == "the")
        if guessed:
            count = 2
        colors = np_["colors"]
        color = " ".join(colors) if colors else None
        new = det in (None, "a", "an", "another", "one") or (det is not None and lex.number_value(det) is not None)
        cls = info.name if info is not None else one
        if info is None:
            self.standins.append(one)
        if det is None and self._exists(cls):
            new = False
        before = len(self.ents)
        key = self.entity(cls, new=new, count=count, color=canonical_color(color) if color else None,
                          material=np_["material"], size=np_["size"], attrs=np_["attrs"],
                          word=one if one != cls else None)
        ent = self._ent(key)
        if ent is not None and guessed and ent.count == count:
            ent.guessed = True
        if ent is not None and len(self.ents) > before and not plural and det in _ARTICLES and not set(np_["attrs"]) & _ONLY:
            ent.one_named = True  # 'the tree in the park': the one the prompt means, among the park's trees
        if ent is not None and ent.source is None:
            lead = np_.get("lead", [det] if det else [])
            words = [w for w in lead + colors + ([np_["size"]] if np_["size"] else []) + np_["attrs"]]
            ent.source = " ".join(words + [said])
        return key

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

    def side_relations(self, warnings: list[str]) -> None:
        """'a tree on the left and a house on the right' -> tree left_of house; 'in the background' -> behind."""
        others = [e.key for e in self.ents if e.key not in self.sides]
        for key, side in self.sides.items():
            axis, rank = _SIDE_ORDER[side]
            peers = [k for k, v in self.sides.items() if _SIDE_ORDER[v][0] == axis and _SIDE_ORDER[v][1] > rank]
            alone = not any(_SIDE_ORDER[v][0] == axis and v != side for v in self.sides.values())
            if alone and side == "center":
                continue  # the middle of the picture is where the camera looks anyway
            if alone and others:
                peers = others[:1]  # only one side named: relative to the first thing without one
                if side in ("right", "front"):
                    self.rels.append((key, "right_of" if side == "right" else "in_front_of", peers[0]))
                    continue
            for peer in peers:
                self.rels.append((key, "left_of" if axis == 0 else "behind", peer))
            if not peers and not others and len(self.sides) == 1:
                warnings.append(f"'{key}' is {side}, but there is nothing else to be {side} of")

    def _inside_or_near(self, subject: str, container: str) -> str:
        """'inside' when the subject's catalogue box fits in the container's, else 'near' ('a man in the car')."""
        a, b = self._ent(subject), self._ent(container)
        sa, sb = catalog.lookup(a.cls), catalog.lookup(b.cls)
        fits = sa is not None and sb is not None and all(x < y for x, y in zip(sa.size, sb.size))
        return "inside" if fits else "near"
