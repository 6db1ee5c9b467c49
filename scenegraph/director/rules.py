"""The offline rules director: a deterministic parser for everyday English scene descriptions.

It reads noun phrases (counts, colours, sizes, materials, catalogue classes),
spatial relations ("on the table", "left of the bench"), motion verbs with
directions ("from left to right", "towards the camera", "into the scene",
"around the tree"), sequencing ("then", "while", "after 3 seconds"), pauses
("pauses at the kerb for two seconds") and camera moves ("the camera pans
left").  Words it cannot use are listed in one warning; a prompt with no
recognisable object raises SpecError.

>>> spec, warnings = parse("Two red cars are parked in front of a house")
>>> [(e.cls, e.count, e.color) for e in spec.entities]
[('car', 2, 'red'), ('house', 1, None)]
>>> [(r.subject, r.relation, r.object) for r in spec.relations]
[('car', 'in_front_of', 'house')]
"""
from __future__ import annotations

import sys
import unicodedata

from scenegraph.model import catalog
from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_camera import CameraReader
from scenegraph.director.rules_clauses import ClauseReader
from scenegraph.director.rules_markers import MarkerReader
from scenegraph.director.rules_nouns import DETERMINERS, NounParser
from scenegraph.director.rules_order import OrderReader
from scenegraph.director.rules_roles import RoleReader
from scenegraph.director.rules_state import Clause
from scenegraph.director.rules_verbs import VerbReader, worked_ground
from scenegraph.errors import SpecError
from scenegraph.model.spec import SceneSpec, format_validation_error

__all__ = ["parse"]

_TIME_LEAD = ("the", "this", "early", "late")  # words that may stand before a time of day


class _Parser(VerbReader, RoleReader, MarkerReader, ClauseReader, OrderReader, NounParser, CameraReader):
    """Verbs, relations, timing and camera moves over the noun phrases of :class:`NounParser`; the readers are
    the mixins' (see each module), tried in the order of :meth:`sentence`."""

    # -- the clause loop ---------------------------------------------------
    def sentence(self, toks: list[str]) -> None:
        """Read one sentence left to right; each reader takes what it understands at i and says where to go on."""
        c = Clause(sentence_from=len(self.acts))
        self.chain_open = False
        readers = (self._repetition, self._formation, self._events, self._where, self._numbers, self._connectors,
                   self._camera_words, self._prepositions, self._pronoun, self._verb, self._scene_words, self._noun, self._glue)
        i = 0
        while i < len(toks):
            c.was_open, c.subj_open = c.subj_open, False
            for read in readers:
                j = read(c, toks, i)
                if j is not None:
                    i = j
                    break
            else:
                self.unknown.append(toks[i])
                i += 1
        self.close_event(c, at_end=True)
        if c.waiting:
            self.resolve_fronted(c, [])
        if c.subject and c.subject != ["camera"]:
            self.last_subject = c.subject

    def _scene_words(self, c: Clause, toks: list[str], i: int) -> int | None:
        """Time of day and sky words."""
        t, k = toks[i], i
        while t in _TIME_LEAD and k + 1 < len(toks):  # 'in the (early) morning', 'late afternoon', 'this evening'
            k += 1
            t = toks[k]
        if t in lex.TIME_WORDS:
            self.env["time_of_day"] = lex.TIME_WORDS[t]
            if t == "sunset":
                self.env["sky"] = "sunset"
            return k + 1
        t = toks[i]
        if t in lex.SKY_WORDS and lex.SKY_WORDS[t] and not self._np_follows(toks, i):
            self.env["sky"] = lex.SKY_WORDS[t]
            return i + 1
        return None

    def _noun(self, c: Clause, toks: list[str], i: int) -> int | None:
        """A noun phrase: a new subject, or the object of a relation, preposition, verb or shot."""
        key, j, special = self.noun_phrase(toks, i)
        if j > i:
            c.np_end = j
            if special == "none":  # 'no cars': nothing is built
                self.negated.append(" ".join(toks[i:j]))
                c.pending_rel = c.pending_prep = c.during = None
                c.joined = False
                return j
            if special == "camera":
                c.subject = ["camera"] if not c.cur else c.subject
                if c.cur and c.pending_prep in ("to", "towards", "toward"):
                    for a in c.cur:
                        a.fields["direction"] = "towards_camera"
            elif special is not None:
                self.setting(special, c.pending_rel, c.subject)
                if c.cur and c.pending_prep in ("to", "towards", "toward", "into") and (
                        special not in lex.GROUND_WORDS or special == "water"):
                    self.to_the_setting(c.cur, special)
                if c.cur and c.pending_prep is None and worked_ground(special):
                    for a in c.cur:  # 'a snowplow clears the road', 'sweeps the street': goes along it as it works
                        if a.fields["verb"] == "look_at" and a.stem not in lex.SEEING and not a.fields.get("target"):
                            a.fields["verb"], a.guessed = "move", a.stem
                        if a.guessed:
                            a.fields.setdefault("direction", "left_to_right")
                if c.cur and (c.pending_prep == "along" or c.pending_prep in ("down", "up") and lex.SETTINGS.get(special) in (
                        "street", "highway", "motorway", "freeway", "racetrack", "runway")):
                    for a in c.cur:  # 'rides down the road': along it, across the picture
                        a.fields.setdefault("direction", "left_to_right")
                if special in ("street", "road", "crossing", "crosswalk") and c.cur:
                    for a in c.cur:
                        if a.fields["verb"] in ("walk", "run", "move") and a.fields.get("direction") == "across":
                            a.fields["verb"] = "cross"
                            del a.fields["direction"]
                c.pending_rel = c.pending_prep = None
            elif key is not None and self.hold_fronted(c, key):
                pass
            elif key is not None:
                after_and = (i > 0 and toks[i - 1] in ("and", ",") or c.side_opens) and c.pending_rel is None \
                    and c.pending_prep is None
                if after_and and c.cur:
                    c.cur, c.shot, c.joined = [], None, False
                if c.during is not None and c.cur:
                    self.keep_during(c, key)
                elif c.pending_rel is not None or c.cur or c.shot is not None:
                    self.attach_np(key, c.cur, c.pending_prep, c.pending_rel, c.subject, shot=c.shot)
                    c.pending_prep = c.pending_rel = None
                else:
                    if c.joined and c.subject:
                        c.subject.append(key)
                    else:
                        c.subject = [key]
                    c.subj_open = True
                    if c.fronted:
                        self.last_np = key
                        self.apply_fronted(c, toks)
                if c.side is not None and key != "camera":
                    self.sides.setdefault(key, c.side)
                    c.side, c.side_opens = None, False
                self.last_np = key
                self.mentions.append(key)
            c.joined = False
            return j
        return None

    def _glue(self, c: Clause, toks: list[str], i: int) -> int | None:
        """Relative pronouns, 'and', commas and stop words."""
        t = toks[i]
        if t in ("who", "which", "that", "whom") and self.last_np and not c.pending_rel:
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            if nxt in ("he", "she", "they", "i", "we", "you") or (nxt and self._np_follows(toks, i + 1)):
                c.rel_object = self.last_np  # 'the horse that the girl is riding': its own subject follows
                c.subject, c.cur, c.shot, c.subj_open = [], [], None, False
                return i + 1
            c.subject, c.cur, c.shot, c.subj_open = [self.last_np], [], None, False
            return i + 1
        if t == "and":
            self.chain_open = False
            c.joined = c.was_open and not c.cur
            return i + 1
        if t == ",":
            self.close_event(c)
            self.chain_open = False
            return i + 1
        if t in lex.STOP_WORDS or t in DETERMINERS or t.startswith("§"):
            return i + 1
        return None

    def _np_follows(self, toks: list[str], i: int) -> bool:
        return i < len(toks) and self.noun_phrase(toks, i, dry=True)[1] > i

    def after_the_throw(self) -> None:
        """Chasing, following or watching what an earlier action throws starts once it is thrown ('throws a
        frisbee and her dog catches it'), unless the prompt timed it."""
        thrown = {a.fields["target"]: a.fields["id"] for a in self.acts if a.fields["verb"] == "throw" and a.fields.get("target")}
        for a in self.acts:
            f = a.fields
            if f["verb"] in ("chase", "follow") and f.get("target") in thrown and thrown[f["target"]] != f["id"] \
                    and not any(k in f for k in ("after", "while", "start", "then")):
                f["after"] = thrown[f["target"]]

    def settle_guessed(self) -> None:
        """A verb the director has no meaning for ('a tractor plows the field from left to right') is a motion
        when its clause says which way or past what (a warning names the word); otherwise the actor stays where
        it is for a moment ('wait') and the word is listed as not understood."""
        for a in self.acts:
            word = a.guessed
            if not word:
                continue
            f = a.fields
            if f.get("direction") or f.get("via") or (f.get("from") and f.get("to")):
                self.notes.append(f"'{word}' is not a verb the director knows: read as '{f['actor']} moves'")
                f.pop("target", None)
                ent = self._ent(f["actor"])
                info = catalog.lookup(ent.cls) if ent is not None else None
                if info is not None and info.kind == "vehicle" and info.drive > 0:
                    f["verb"] = "drive"  # a machine at work drives ('a snowplow clears the road')
            else:
                for k in ("to", "from", "via", "target", "direction"):
                    f.pop(k, None)
                f["verb"] = "wait"
                self.unknown.append(word)

    # -- result ------------------------------------------------------------
    def spec(self) -> tuple[SceneSpec, list[str]]:
        sentences = self.tokens()
        for toks in sentences:
            self.sentence(toks)
        self.settle_guessed()
        self.after_the_throw()
        warnings = list(dict.fromkeys(self.notes))
        unknown = [w for w in dict.fromkeys(self.unknown) if w not in lex.STOP_WORDS and not w.startswith("§")]
        check_english(self.prompt, sentences, unknown, bool(self.ents))
        if not self.ents and not self.env.get("setting"):  # a setting alone ('the camera pans across the city') is a scene
            words = f" (words not understood: {', '.join(unknown)})" if unknown else ""
            what = f"; it says there are none of: {', '.join(self.negated)}" if self.negated else ""
            if self.shots:
                raise SpecError(f"the prompt says how the camera moves but names nothing to film{words}: name a place "
                                "or things, e.g. 'the camera pans left across a park', 'the camera pans left past a red car'")
            raise SpecError(f"the prompt names nothing to build{what}{words}: "
                            "name things such as 'a red car', 'a person', 'a table'")
        if unknown:  # (nouns outside the lexicon are stand-ins: the builder names them with their sizes)
            warnings.insert(0, f"words not understood and ignored: {', '.join(unknown)}")
        self.side_relations(warnings)
        self.rings()
        self.wear()
        self.implied_vehicles()
        self.riders()
        self.behind_a_mover()
        self.partners()
        self.followed_move()  # 'the camera follows the dog through the park': the dog goes
        self.rest_where_it_went()
        for a in self.acts:  # verbs that need an object but got none
            f = a.fields
            kind = (catalog.lookup(self._ent(f["actor"]).cls) or catalog.CATALOG["box"]).kind
            if f["verb"] in ("follow", "look_at", "chase", "overtake") and "target" not in f or (
                    f["verb"] == "throw" and "target" not in f and kind in ("person", "animal")):
                new = "move" if f["verb"] in ("follow", "chase", "overtake") else "wait"
                warnings.append(f"'{f['actor']} {f['verb']}' names nothing to {f['verb'].replace('_', ' ')}: "
                                f"it does '{new}' instead")
                f["verb"] = new
        total = sum(e.count for e in self.ents)
        if total > MAX_OBJECTS:
            raise SpecError(f"the prompt asks for {total} objects; at most {MAX_OBJECTS} can be built in one scene")
        relations = [{"subject": s, "relation": r, "object": o} for s, r, o in dict.fromkeys(self.rels)]
        relations += [{"subject": s, "relation": "between", "object": a, **({"object2": b} if b else {})}
                      for s, a, b in dict.fromkeys(self.between_rels)]
        data = {
            "entities": [{"id": e.key, "class": e.cls, "word": e.word, "source": (e.source or "")[:120] or None,
                          "count": e.count, "color": e.color, "material": e.material, "size": e.size,
                          "attributes": e.attributes, "position": e.position, "formation": e.formation,
                          **({"count_guessed": True} if e.guessed or e.one_named else {})}
                         for e in self.ents],
            "relations": relations,
            "actions": [a.fields for a in self.acts],
            "camera": self.camera_shots(),
            "environment": self.env,
        }
        try:
            return SceneSpec.model_validate(data), warnings
        except Exception as exc:  # pydantic (loaded only when a spec is refused) names the problem
            pydantic = sys.modules.get("pydantic")
            if pydantic is None or not isinstance(exc, pydantic.ValidationError):
                raise
            raise SpecError(f"the prompt {self.prompt!r} gave an inconsistent plan: {format_validation_error(exc)}") from None

    def partners(self) -> None:
        """'a man and a woman meet': each meets the other; a lone 'meet' meets the latest other thing named.
        What is chased, overtaken or followed and does nothing itself moves the way its pursuer goes."""
        for a in list(self.acts):
            f = a.fields
            other = f.get("target")
            if f["verb"] not in ("chase", "overtake", "follow") or other is None or self._ent(other) is None:
                continue
            if any(b.actor == other for b in self.acts):
                continue
            info = catalog.lookup(self._ent(other).cls)
            if info is None or not (info.mobile or "roll" in info.verbs):  # a chased ball rolls away
                continue
            usual = next((v for v in info.verbs if v in ("walk", "run", "drive", "fly", "swim", "roll", "move")), None)
            verb = usual or ("drive" if info.drive and not info.walk else "walk")
            if f["verb"] == "chase" and verb == "walk":
                verb = "run"
            way = {k: f[k] for k in ("to", "via", "direction", "from") if k in f}
            if not way:
                way = {"direction": "left_to_right"}
                f.setdefault("direction", "left_to_right")
            new = self.add_action([other], verb, {"while": f["id"]})[0]
            new.fields.update(way)
        for a in self.acts:  # 'the bus arrives': it comes into view and stops there
            f = a.fields
            if f["verb"] == "approach" and not any(f.get(k) for k in ("target", "to", "via", "direction", "from")):
                f["direction"] = "into_scene"
        meets = [a for a in self.acts if a.fields["verb"] in ("meet",) and "target" not in a.fields]
        for a in meets:
            others = [b.actor for b in meets if b.actor != a.actor]
            if others:
                a.fields["target"] = others[0]
                continue
            other = next((k for k in reversed(self.mentions) if k != a.actor), None)
            if other is not None:
                a.fields["target"] = other
            else:
                a.fields["verb"] = "move"


#: the most objects (counting the members of groups) one prompt may ask for
MAX_OBJECTS = 300
#: the longest prompt read (characters)
MAX_PROMPT = 20000


def check_english(prompt: str, sentences: list[list[str]], unknown: list[str], named: bool) -> None:
    """Refuse a prompt that does not read as English: most of its words unknown to the tables and to lemminflect."""
    words = [t for toks in sentences for t in toks if t[:1].isalpha()]
    if not words:
        raise SpecError("the prompt has no words: describe a scene, e.g. 'a red car drives from left to right'")
    strange = [w for w in unknown if w.isalpha() and not lex.known_word(w)]
    if len(strange) > 0.5 * len(set(words)) and len(strange) >= 2 or (not named and strange and len(strange) >= len(words) / 2):
        raise SpecError(f"the prompt does not read as English ({len(strange)} of {len(set(words))} words unknown, "
                        f"e.g. {', '.join(strange[:3])}): describe a scene in English")


def parse(prompt: str) -> tuple[SceneSpec, list[str]]:
    """Parse an English scene description into a SceneSpec; returns (spec, warnings).

    Raises SpecError for an empty prompt or one that names no known object.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise SpecError("the prompt is empty: describe a scene, e.g. 'a red car drives from left to right'")
    if len(prompt) > MAX_PROMPT:
        raise SpecError(f"the prompt is {len(prompt)} characters long; the limit is {MAX_PROMPT}")
    bad = sorted({f"U+{ord(ch):04X}" for ch in prompt if unicodedata.category(ch) == "Cc" and ch not in "\n\t\r"})
    if bad:
        raise SpecError(f"the prompt contains control characters ({', '.join(bad[:5])}): remove them")
    letters = [ch for ch in prompt if ch.isalpha()]
    foreign = sum(1 for ch in letters if ord(ch) > 0x24F)
    if letters and foreign > 0.3 * len(letters):
        raise SpecError("the prompt is not in English (most letters are not Latin): the rules director reads English;"
                        " use an LLM director (--director openai:URL) for other languages")
    return _Parser(prompt).spec()
