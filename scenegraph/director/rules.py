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

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from scenegraph.model import catalog
from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_nouns import DETERMINERS, NounParser
from scenegraph.errors import SpecError
from scenegraph.model.spec import SceneSpec, format_validation_error

__all__ = ["parse"]

_MOTION = ("move", "walk", "drive", "run", "cross", "roll")



@dataclass
class _Act:
    fields: dict[str, Any]
    kerb_pause: bool = False

    @property
    def actor(self) -> str:
        return self.fields["actor"]


@dataclass
class _Clause:
    """What one sentence has set up so far while it is read left to right."""

    subject: list[str] = field(default_factory=list)  # who acts (entity keys, or ['camera'])
    cur: list[_Act] = field(default_factory=list)  # the actions of the current verb
    shot: dict[str, Any] | None = None  # the current camera shot
    pending_rel: str | None = None  # a relation waiting for its object
    pending_prep: str | None = None  # a preposition waiting for its noun phrase
    timing: dict[str, Any] = field(default_factory=dict)  # for the next action: then / while / start / delay
    lead_while: bool = False  # 'While A ..., B ...': B runs with A
    first_in_sentence: list[_Act] = field(default_factory=list)
    joined: bool = False  # the last token was 'and' between subjects
    subj_open: bool = False  # the last noun phrase was the subject (so 'and' adds another)
    was_open: bool = False  # subj_open before the current token


class _Parser(NounParser):
    """Verbs, relations, timing and camera moves over the noun phrases of :class:`NounParser`."""

    def add_action(self, actors: list[str], verb: str, timing: dict[str, Any]) -> list[_Act]:
        out = []
        for actor in actors:
            f: dict[str, Any] = {"id": f"a{len(self.acts) + 1}", "actor": actor, "verb": verb}
            f.update(timing)
            leader = self.companions.get(actor)
            if leader in actors and verb in _MOTION:  # 'a man with a dog walks': the dog follows him
                f.update(verb="follow", target=leader)
            act = _Act(f)
            self.acts.append(act)
            out.append(act)
        return out

    def add_shot(self, kind: str, timing: dict[str, Any], direction: str | None = None) -> dict[str, Any]:
        """A camera shot; 'then' starts it after the latest action, 'after N seconds' / 'at N seconds' at N."""
        shot: dict[str, Any] = {"type": kind}
        if direction:
            shot["direction"] = direction
        if "start" in timing:
            shot["start"] = timing["start"]
        elif timing.get("then") and self.acts:
            shot["after"] = self.acts[-1].fields["id"]
        self.shots.append(shot)
        return shot

    def continue_action(self, actor: str, timing: dict[str, Any]) -> _Act:
        prev = next((a for a in reversed(self.acts) if a.actor == actor and a.fields["verb"] in _MOTION), None)
        if prev is None:
            return self.add_action([actor], "move", timing)[0]
        f = {k: v for k, v in prev.fields.items() if k in ("verb", "direction", "speed", "pace", "target")}
        if prev.fields["verb"] == "cross":
            pause = next((a for a in reversed(self.acts) if a.actor == actor), None)
            if pause is not None and pause.kerb_pause:  # crosses, pauses at the kerb, then continues
                prev.fields["to"] = "near_kerb"
                pause.fields.pop("to", None)
        act = self.add_action([actor], f.pop("verb"), timing)[0]
        act.fields.update(f)
        return act

    # -- the clause loop ---------------------------------------------------
    def sentence(self, toks: list[str]) -> None:
        """Read one sentence left to right; each reader takes what it understands at i and says where to go on."""
        c = _Clause()
        readers = (self._numbers, self._connectors, self._prepositions, self._pronoun, self._verb,
                   self._scene_words, self._noun, self._glue)
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
        if c.subject and c.subject != ["camera"]:
            self.last_subject = c.subject

    def _numbers(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """Numbers with units: durations, distances, speeds, angles, start times."""
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        nxt2 = toks[i + 2] if i + 2 < len(toks) else ""
        val = lex.number_value(t)
        if val is not None and nxt in lex.TIME_UNITS | {"minute", "minutes"}:
            secs = val * (60 if nxt.startswith("min") else 1)
            prev = toks[i - 1] if i else ""
            if prev in ("after", "at", "in") or nxt2 == "later":
                if "then" in c.timing or (c.cur and prev != "at" and not c.subject):
                    c.timing["delay"] = secs
                else:
                    c.timing["start"] = secs
                c.pending_prep = None
                return i + (3 if nxt2 == "later" else 2)
            if c.shot is not None:
                c.shot["duration"] = secs
            elif c.cur:
                for a in c.cur:
                    a.fields["duration"] = secs
            else:
                c.timing["duration"] = secs
            return i + 2
        if val is not None and nxt in lex.DIST_UNITS:
            for a in c.cur:
                a.fields["distance"] = val
            return i + 2
        if val is not None and nxt in ("kmh", "mps", "mph"):
            for a in c.cur:
                a.fields["speed"] = val * {"kmh": 1 / 3.6, "mps": 1.0, "mph": 0.44704}[nxt]
            return i + 2
        if val is not None and nxt in ("degrees", "degree"):
            if c.shot is not None:
                c.shot["angle"] = val
            for a in c.cur:
                a.fields["angle"] = val
            return i + 2
        return None

    def _connectors(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """'then' / 'while', camera-move phrases, direction / place markers and relations."""
        t = toks[i]
        n = len(toks)
        if t == "§then":
            c.timing = {"then": True} if c.cur or self.acts or self.shots else {}
            c.cur, c.shot, c.pending_prep, c.pending_rel = [], None, None, None
            return i + 1
        if t == "§while":
            if not c.cur and not self.acts:
                c.lead_while = True
            elif c.cur:
                c.timing = {"while": c.cur[0].fields["id"]}
            elif self.acts:
                c.timing = {"while": self.acts[-1].fields["id"]}
            c.cur, c.shot, c.pending_prep, c.pending_rel = [], None, None, None
            return i + 1
        if t.startswith("§shot:"):
            kind = t.split(":", 1)[1]
            c.shot = self.add_shot("dolly" if kind.startswith("dolly") else kind, c.timing,
                                 kind.split("_")[1] if kind.startswith("dolly") else None)
            c.timing = {}
            return i + 1
        if t.startswith("§dir:") or t.startswith("§from:") or t.startswith("§place:") or t.startswith("§at:"):
            kind, val_s = t[1:].split(":", 1)
            handled = self.apply_marker(kind, val_s, c.cur, c.shot, c.subject, c.pending_prep, toks, i)
            if handled == "around" and i + 1 < n:
                c.pending_prep = "around"
            return i + 1
        if t.startswith("§rel:"):
            rel = t.split(":", 1)[1]
            if rel in ("under", "above"):
                approx = "near" if rel == "under" else "on"
                if not c.cur:
                    self.notes.append(f"'{rel}' is approximated as '{approx}' (the layout has no '{rel}' relation)")
                rel = approx
            moved = c.cur and any(b.actor == c.cur[0].actor and b.fields["verb"] in _MOTION for b in self.acts)
            if c.cur and (c.cur[0].fields["verb"] not in ("pause", "wait") or moved):
                crossing = c.cur[0].fields["verb"] == "cross"
                c.pending_prep = "via" if rel == "near" or crossing else ("on" if rel == "on" else "to")
            else:
                c.pending_rel = rel
            return i + 1
        return None

    def _prepositions(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """'in', 'with', prepositions, left / right and pace adverbs."""
        t = toks[i]
        if t == "in" and not c.cur and c.shot is None and self.noun_phrase(toks, i + 1)[0] is not None:
            c.pending_rel = "in"  # 'inside' if the subject fits in the object, else 'near'
            return i + 1
        if t == "with" and not c.cur and c.subject and c.subject != ["camera"]:
            key, j, _ = self.noun_phrase(toks, i + 1)
            if key is not None:  # 'a man with a dog walks': both act, side by side
                self.rels.append((key, "near", c.subject[0]))
                self.companions[key] = c.subject[0]
                c.subject.append(key)
                self.mentions.append(key)
                return j
        if t in ("to", "towards", "toward", "into", "from", "past", "via", "through", "at", "off", "over",
                 "after", "with", "up", "down", "onto", "across", "along"):
            if t in ("up", "down") and c.shot is not None and not c.cur:
                c.shot["direction"] = t
            elif t == "up" and not self._np_follows(toks, i + 1) and c.cur:
                for a in c.cur:
                    a.fields.setdefault("direction", "up")
            elif t == "down" and not self._np_follows(toks, i + 1) and c.cur:
                for a in c.cur:
                    a.fields.setdefault("direction", "down")
            c.pending_prep = t
            return i + 1
        if t in ("left", "right") and (c.cur or c.shot is not None):
            if c.shot is not None:
                c.shot["direction"] = t
            for a in c.cur:
                if a.fields["verb"] in ("turn", *_MOTION):
                    a.fields["direction"] = t
            return i + 1
        if t in lex.PACE_WORDS:
            c.timing["pace"] = lex.PACE_WORDS[t]
            for a in c.cur:
                a.fields["pace"] = lex.PACE_WORDS[t]
            return i + 1
        return None

    def _pronoun(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """He, she, it, they: the subject again, or the latest other thing as an object."""
        t = toks[i]
        if t in lex.PRONOUNS and not (t in ("her", "his", "its", "their") and self.noun_phrase(toks, i)[1] > i):
            ref = (self.last_subject if t in ("he", "she", "they", "him", "her", "them") else
                   ([self.last_np] if self.last_np else self.last_subject))
            if ref and not c.cur and t in ("it", "he", "she", "they"):
                c.subject = list(ref)
            elif c.cur:  # an object pronoun: the latest thing mentioned that is not the actor
                acting = {a.actor for a in c.cur}
                other = next((k for k in reversed(self.mentions) if k not in acting), None)
                if other is not None:
                    self.attach_np(other, c.cur, c.pending_prep, c.pending_rel, c.subject)
                c.pending_prep = c.pending_rel = None
            return i + 1
        return None

    def _verb(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """Camera moves, motion verbs (one action per subject) and static verbs."""
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        # camera verbs
        if c.subject == ["camera"] and t in lex.CAMERA_VERBS:
            c.shot = self.add_shot(lex.CAMERA_VERBS[t], c.timing)
            c.timing = {}
            return i + 1
        if t in ("face", "faces") and c.subject and c.subject != ["camera"] and not c.cur:
            c.pending_rel = "facing"  # a pose, not an action: the layout turns it
            return i + 1
        if t in lex.VERB_FORMS:
            verb = lex.VERB_FORMS[t]
            actors = c.subject or self.last_subject
            if c.subject == ["camera"]:
                kind = {"orbit": "orbit", "follow": "track", "look_at": "static", "move": "dolly",
                        "pause": "static", "wait": "static"}.get(verb)
                if kind is None:
                    self.unknown.append(t)
                else:
                    back = nxt in ("back", "away", "out", "§dir:backward")
                    c.shot = self.add_shot(kind, c.timing, ("out" if back else "in") if kind == "dolly" else None)
                    c.timing = {}
                return i + 1
            if not actors:
                self.unknown.append(t)
                return i + 1
            if c.lead_while and c.first_in_sentence:
                c.timing = {"while": c.first_in_sentence[0].fields["id"], **c.timing}
                c.lead_while = False
            if verb == "continue":
                c.cur = [self.continue_action(a, dict(c.timing)) for a in actors]
            else:
                c.cur = self.add_action(actors, verb, dict(c.timing))
                stem = lex.VERB_STEMS.get(t, t)
                for a in c.cur:
                    if stem in ("enter",):
                        a.fields["direction"] = "into_scene"
                    elif stem in ("leave", "exit"):
                        a.fields["direction"] = "out_of_scene"
            if not c.first_in_sentence:
                c.first_in_sentence = list(c.cur)
            self.last_subject = list(actors)
            c.timing = {}
            c.pending_prep = c.pending_rel = None
            return i + 1
        if t in lex.STATIC_VERBS:
            c.cur = []
            return i + 1
        return None

    def _scene_words(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """Time of day and sky words."""
        t = toks[i]
        if t in lex.TIME_WORDS:
            self.env["time_of_day"] = lex.TIME_WORDS[t]
            if t == "sunset":
                self.env["sky"] = "sunset"
            return i + 1
        if t in lex.SKY_WORDS and lex.SKY_WORDS[t] and not self._np_follows(toks, i):
            self.env["sky"] = lex.SKY_WORDS[t]
            return i + 1
        return None

    def _noun(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """A noun phrase: a new subject, or the object of a relation, preposition, verb or shot."""
        key, j, special = self.noun_phrase(toks, i)
        if j > i:
            if special == "camera":
                c.subject = ["camera"] if not c.cur else c.subject
                if c.cur and c.pending_prep in ("to", "towards", "toward"):
                    for a in c.cur:
                        a.fields["direction"] = "towards_camera"
            elif special is not None:
                self.setting(special, c.pending_rel, c.subject)
                if special in ("street", "road", "crossing", "crosswalk") and c.cur:
                    for a in c.cur:
                        if a.fields["verb"] in ("walk", "run", "move") and a.fields.get("direction") == "across":
                            a.fields["verb"] = "cross"
                            del a.fields["direction"]
                c.pending_rel = c.pending_prep = None
            elif key is not None:
                after_and = i > 0 and toks[i - 1] in ("and", ",") and c.pending_rel is None and c.pending_prep is None
                if after_and and c.cur:
                    c.cur, c.shot, c.joined = [], None, False
                if c.pending_rel is not None or c.cur or c.shot is not None:
                    self.attach_np(key, c.cur, c.pending_prep, c.pending_rel, c.subject, shot=c.shot)
                    c.pending_prep = c.pending_rel = None
                else:
                    if c.joined and c.subject:
                        c.subject.append(key)
                    else:
                        c.subject = [key]
                    c.subj_open = True
                self.last_np = key
                self.mentions.append(key)
            c.joined = False
            return j
        return None

    def _glue(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """Relative pronouns, 'and', commas and stop words."""
        t = toks[i]
        if t in ("who", "which", "that") and self.last_np and not c.pending_rel:
            c.subject, c.cur, c.shot, c.subj_open = [self.last_np], [], None, False
            return i + 1
        if t == "and":
            c.joined = c.was_open and not c.cur
            return i + 1
        if t == ",":
            return i + 1
        if t in lex.STOP_WORDS or t in DETERMINERS or t.startswith("§"):
            return i + 1
        return None

    def _np_follows(self, toks: list[str], i: int) -> bool:
        return i < len(toks) and self.noun_phrase(toks, i)[1] > i

    def apply_marker(self, kind: str, value: str, cur: list[_Act], shot: dict | None, subject: list[str],
                     prep: str | None, toks: list[str], i: int) -> str | None:
        if kind == "dir":
            if value == "around" and shot is not None:
                return "around"
            if value == "across":  # 'walks across the street' crosses it; elsewhere it goes left to right
                for a in cur:
                    if a.fields["verb"] in _MOTION and "direction" not in a.fields:
                        a.fields["direction"] = "across"
                return None
            for a in cur:
                if a.fields["verb"] in ("pause", "wait") and value not in ("into_scene", "out_of_scene"):
                    continue
                a.fields["direction"] = value
            return "around" if value == "around" else None
        if kind == "from":
            for a in cur:
                a.fields["from"] = "offscreen_" + value if a.fields.get("direction") == "into_scene" else value
            return None
        if kind == "place":
            for a in cur:
                if a.fields["verb"] in ("pause", "wait"):
                    a.fields["to"] = "near_kerb" if value == "kerb" else value
                    prev = [b for b in self.acts if b.actor == a.actor and b is not a]
                    a.kerb_pause = value == "kerb" and bool(prev) and prev[-1].fields["verb"] == "cross"
                else:
                    a.fields["to"] = "far_kerb" if value == "far_kerb" else ("near_kerb" if value == "kerb" else value)
            self.env["road"] = True
            return None
        if kind == "at":
            if cur and cur[0].fields["verb"] in _MOTION:
                for a in cur:
                    a.fields["to"] = value
            else:
                for key in subject:
                    if key != "camera":
                        self.sides.setdefault(key, value)
            return None
        return None

    def attach_np(self, key: str, cur: list[_Act], prep: str | None, rel: str | None, subject: list[str],
                  shot: dict | None = None) -> None:
        """Give a noun phrase its role: relation object, action target / destination, or shot target."""
        if shot is not None and not cur and "target" not in shot:
            shot["target"] = key
            return
        if shot is not None and not cur:
            subject = [self.last_np] if self.last_np else []
        if rel is not None and (not cur or cur[0].fields["verb"] in ("pause", "wait")):
            subj = [s for s in subject if s != "camera"] or ([self.last_np] if self.last_np else [])
            support = ("on", "in", "inside")
            if rel in support and self.rels and self.rels[-1][1] in support and self.rels[-1][2] == self.last_np:
                subj = [self.last_np]  # a mug on a book on the table; a toy in the box on the rug
            for s in subj:
                if s != key:
                    self.rels.append((s, self._inside_or_near(s, key) if rel == "in" else rel, key))
            return
        for a in cur:
            verb = a.fields["verb"]
            if prep in ("to", "towards", "toward", "into", "onto", "on"):
                if verb == "look_at":
                    a.fields["target"] = key
                else:
                    a.fields["to"] = key
                if prep in ("onto", "on") and verb in _MOTION:
                    a.fields["direction"] = "up"  # 'jumps onto the chair': ends on top of it
            elif prep in ("from", "off"):
                a.fields["from"] = key
                if verb == "drop" and not any(r[0] == a.actor for r in self.rels):
                    self.rels.append((a.actor, "on", key))  # it falls off what it stood on
            elif prep in ("past", "via", "through", "over", "along", "across"):
                a.fields["via"] = key
            elif prep == "around":
                a.fields["target"] = key
                if verb not in ("orbit", "turn"):
                    a.fields["direction"] = "around"
            elif prep == "at":
                if verb in ("look_at", "throw"):
                    a.fields["target" if verb == "look_at" else "to"] = key
                else:
                    a.fields["to"] = key
            elif prep == "with":
                pass
            else:  # a direct object
                if verb in ("throw", "drop", "follow", "look_at", "orbit"):
                    a.fields.setdefault("target", key)
                elif verb == "cross":
                    a.fields["via"] = key
                else:
                    a.fields["to"] = key

    # -- result ------------------------------------------------------------
    def spec(self) -> tuple[SceneSpec, list[str]]:
        for toks in self.tokens():
            self.sentence(toks)
        warnings = list(dict.fromkeys(self.notes))
        unknown = [w for w in dict.fromkeys(self.unknown) if w not in lex.STOP_WORDS]
        if not self.ents:
            words = f" (words not understood: {', '.join(unknown)})" if unknown else ""
            raise SpecError(f"no object recognised in the prompt {self.prompt!r}{words}; "
                            "name things such as 'a red car', 'a person', 'a table'")
        if unknown:
            warnings.insert(0, f"words not understood and ignored: {', '.join(unknown)}")
        self.side_relations(warnings)
        for a in self.acts:  # verbs that need an object but got none
            f = a.fields
            kind = (catalog.lookup(self._ent(f["actor"]).cls) or catalog.CATALOG["box"]).kind
            if f["verb"] in ("follow", "look_at") and "target" not in f or (
                    f["verb"] == "throw" and "target" not in f and kind in ("person", "animal")):
                new = "move" if f["verb"] == "follow" else "wait"
                warnings.append(f"'{f['actor']} {f['verb']}' names nothing to {f['verb'].replace('_', ' ')}: "
                                f"it does '{new}' instead")
                f["verb"] = new
        data = {
            "entities": [{"id": e.key, "class": e.cls, "word": e.word, "count": e.count, "color": e.color, "material": e.material,
                          "size": e.size, "attributes": e.attributes, "position": e.position} for e in self.ents],
            "relations": [{"subject": s, "relation": r, "object": o} for s, r, o in dict.fromkeys(self.rels)],
            "actions": [a.fields for a in self.acts],
            "camera": self.shots,
            "environment": self.env,
        }
        try:
            return SceneSpec.model_validate(data), warnings
        except ValidationError as exc:
            raise SpecError(f"the prompt {self.prompt!r} gave an inconsistent plan: {format_validation_error(exc)}") from None


def parse(prompt: str) -> tuple[SceneSpec, list[str]]:
    """Parse an English scene description into a SceneSpec; returns (spec, warnings).

    Raises SpecError for an empty prompt or one that names no known object.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise SpecError("the prompt is empty: describe a scene, e.g. 'a red car drives from left to right'")
    return _Parser(prompt).spec()
