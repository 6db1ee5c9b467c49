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

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from scenegraph.model import catalog
from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_camera import CameraReader
from scenegraph.director.rules_clauses import ClauseReader
from scenegraph.director.rules_nouns import DETERMINERS, NounParser
from scenegraph.director.rules_order import MOTION as _MOTION, PLURAL_PRONOUNS, OrderReader
from scenegraph.errors import SpecError
from scenegraph.model.spec import SceneSpec, format_validation_error

__all__ = ["parse"]



#: verbs that stay where they are (a relation after them is where they do it)
_STILL = ("pause", "wait", "sit", "stand", "lie", "look_at", "wave", "turn")
#: verbs whose relation names where they end up ('jumps on the bed', 'climbs into the car')
_TO_PLACE = ("jump", "climb", "land", "fall", "drop", "throw", "approach", "descend", "take_off", "move")


#: verbs whose direct object is the other actor (SceneSpec 'target')
_RELATIVE = ("follow", "chase", "overtake", "meet", "approach", "lead", "pass", "weave", "circle", "ride", "push",
             "carry")
_STILL_ONLY = ("look_at", "wave", "pause", "wait")


def t_participle(word: str) -> bool:
    return word in lex.PARTICIPLES



@dataclass
class _Act:
    fields: dict[str, Any]
    kerb_pause: bool = False
    stem: str = ""  # the verb the prompt used ('read' for look_at)

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
    np_end: int = -1  # the index just after the last noun phrase read
    where: str | None = None  # 'a bench where four people sit': the bench
    during: str | None = None  # a relation kept during the current motion, waiting for its object
    event: str | None = None  # 'after' / 'before' / 'when' clause being read: its kind
    event_from: int = 0  # index in acts where the event clause's actions start
    main: list = field(default_factory=list)  # actions of the main clause when the event clause follows it
    main_shots: list = field(default_factory=list)
    shots_here: list = field(default_factory=list)
    sentence_from: int = 0  # index in acts of the sentence's first action
    pending_event: Any = None  # (kind, actions) of a leading event clause, for the main clause's first verb
    front: bool = False  # the sentence opens with a place phrase: 'Behind the house stands a tree'
    fronted: list = field(default_factory=list)  # its (relation, preposition, entity), for the subject to come
    side: str | None = None  # 'On the left there is a fountain', '..., and on the right a statue': for the next noun
    side_opens: bool = False  # that side phrase came after 'and' or a comma: its noun is a new subject
    pending_verb: int | None = None  # 'Past the church walks a priest': the verb, read once the subject comes
    waiting: list = field(default_factory=list)  # the held phrase, for the subject's verb
    rel_object: str | None = None  # 'the horse that the girl is riding': the horse, the object of that verb


class _Parser(ClauseReader, OrderReader, NounParser, CameraReader):
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
        if timing.get("pace"):  # 'slowly pans'
            shot["pace"] = timing["pace"]
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
        c = _Clause(sentence_from=len(self.acts))
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
            if c.event is not None and c.event.startswith("post_") and c.main:  # 'X until Y, then Z': Z is X's
                who = list(dict.fromkeys(a.actor for a in c.main))
                self.close_event(c, at_end=True)
                c.subject = who
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
        if t == "§dir:across" and c.cur and self._np_follows(toks, i + 1):
            c.pending_prep = "across"  # 'swims across the pond': by way of it
            for a in c.cur:
                if a.fields["verb"] in _MOTION and "direction" not in a.fields:
                    a.fields["direction"] = "across"
            return i + 1
        if t.startswith("§dir:") or t.startswith("§from:") or t.startswith("§place:") or t.startswith("§at:"):
            kind, val_s = t[1:].split(":", 1)
            if t == "§dir:around" and not c.cur and c.shot is None and c.subject and c.subject != ["camera"]:
                c.pending_rel = "around"  # 'four benches around the fountain': where they stand
                return i + 1
            opens = i > 0 and toks[i - 1] in ("and", ",", ";") and (
                self._np_follows(toks, i + 1) or (i + 1 < n and toks[i + 1] in ("there", "is", "are", "stands", "stand")))
            if kind == "at" and c.shot is None and (opens or not (c.cur or c.subject)):
                c.side = val_s  # a side read before its noun belongs to the noun that follows
                c.side_opens = opens  # and, after 'and' or a comma, starts a new subject
                return i + 1
            handled = self.apply_marker(kind, val_s, c.cur, c.shot, c.subject, c.pending_prep, toks, i)
            if handled == "around" and i + 1 < n:
                c.pending_prep = "around"
            return i + 1
        if t.startswith("§rel:"):
            rel = t.split(":", 1)[1]
            if rel == "middle":  # 'in the middle of the table': on it; of anything else: by it
                np_ = self.scan(toks, i + 1)
                info = np_.get("info") if np_ else None
                rel = "on" if info is not None and info.support else "near"
            verb = c.cur[0].fields["verb"] if c.cur else None
            moved = c.cur and any(b.actor == c.cur[0].actor and b.fields["verb"] in _MOTION for b in self.acts)
            if c.cur and verb in _RELATIVE and verb not in ("ride", "push", "carry") and rel in ("behind", "near") \
                    and not c.cur[0].fields.get("target"):
                return i + 1  # 'trails behind its owner', 'follows close behind the car': the other is its object
            if c.cur and (verb not in _STILL or moved):
                if verb == "cross":
                    c.pending_prep = "via"
                elif verb in _STILL or verb in _TO_PLACE:  # 'pauses next to the car', 'jumps on the bed'
                    c.pending_prep = {"on": "onto", "inside": "into", "near": "to"}.get(rel, "to")
                    if rel not in ("on", "inside", "near"):
                        c.during = rel
                else:  # 'runs on the left of the car': a placement during the run, not where it ends
                    c.during = rel
            else:
                c.pending_rel = rel
                c.front = c.front or (i == 0 and not c.subject)
            return i + 1
        return None

    def _prepositions(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """'in', 'with', prepositions, left / right and pace adverbs."""
        t = toks[i]
        if t == "in" and not c.cur and c.shot is None and self.noun_phrase(toks, i + 1, dry=True)[0] is not None:
            c.pending_rel = "in"  # 'inside' if the subject fits in the object, else 'near'
            c.front = c.front or (i == 0 and not c.subject)
            return i + 1
        if t == "with" and not c.cur and c.subject and c.subject != ["camera"]:
            key, j, _ = self.noun_phrase(toks, i + 1)
            k = self.with_on_it(toks, j, key, c.subject[0]) if key is not None else None
            if k is not None:
                self.mentions.append(key)
                return k
            if key is not None:  # 'a man with a dog walks': both act, side by side
                self.rels.append((key, "near", c.subject[0]))
                self.companions[key] = c.subject[0]
                c.subject.append(key)
                self.mentions.append(key)
                return j
        if t == "with" and c.cur and self.companion_after_verb(c, toks, i):
            return self.companion_after_verb(c, toks, i, make=True)
        if t in ("§outof", "§awayfrom", "§onto"):
            c.pending_prep = {"§outof": "from", "§awayfrom": "away", "§onto": "onto"}[t]
            if not c.cur:
                c.pending_rel = "on" if t == "§onto" else None
            return i + 1
        if t == "between":
            return self.between(c, toks, i)
        if t == "past" and c.cur and not self._np_follows(toks, i + 1):
            for a in c.cur:  # 'a bus driving past': across the picture
                a.fields.setdefault("direction", "left_to_right")
            return i + 1
        if t == "at" and not c.cur and c.shot is None and c.subject and c.subject != ["camera"] and \
                self.noun_phrase(toks, i + 1, dry=True)[0] is not None:
            c.pending_rel = "near"  # 'a man sits at the table': there
            return i + 1
        if t in ("to", "towards", "toward", "into", "from", "past", "via", "through", "at", "off", "over",
                 "after", "with", "up", "down", "onto", "across", "along"):
            c.front = c.front or (i == 0 and not c.subject and t not in ("after", "with"))
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
        if t == "away" and c.cur:  # 'runs away', 'flies away again': it leaves
            for a in c.cur:
                if a.fields["verb"] in _MOTION and not (a.fields.get("to") or a.fields.get("direction")):
                    a.fields["direction"] = "out_of_scene"
            return i + 1
        if t in lex.PACE_WORDS:
            c.timing["pace"] = lex.PACE_WORDS[t]
            for a in c.cur:
                a.fields["pace"] = lex.PACE_WORDS[t]
            return i + 1
        return None

    def between(self, c: _Clause, toks: list[str], i: int) -> int:
        """'between the two chairs', 'between a tree and a house': a relation, or a way through for a mover."""
        chained = self.last_np if (self.chain_open and self.rels and self.rels[-1][2] == self.last_np) else None
        c.front = c.front or (i == 0 and not c.subject)
        a, j, _ = self.noun_phrase(toks, i + 1)
        if a is None and j < len(toks) and toks[i + 1] in PLURAL_PRONOUNS:  # 'between them': the latest group
            subj = set(c.subject)
            a = next((k for k in reversed(self.mentions) if k not in subj and self._ent(k) is not None
                      and self._ent(k).count > 1), None)
            j = i + 2
        if a is None:
            return i + 1
        b = None
        if j < len(toks) and toks[j] == "and":
            b, k, _ = self.noun_phrase(toks, j + 1)
            if b is not None:
                j = k
        self.mentions += [x for x in (a, b) if x]
        self.last_np = b or a
        c.np_end = j
        if self.hold_fronted_between(c, a, b):
            return j
        if c.cur and c.cur[0].fields["verb"] not in _STILL:
            for act in c.cur:  # 'weaves between the cones': in and out of the group; else a way through
                act.fields["target" if act.fields["verb"] == "weave" else "via"] = a
            return j
        subj = [chained] if chained else ([s for s in c.subject if s != "camera"] or ([self.last_np] if self.last_np else []))
        for s in subj:  # (a chain: 'a box under a table between two chairs' puts the table between them)
            if s not in (a, b):
                self.between_rels.append((s, a, b))
        return j

    def keep_during(self, c: _Clause, key: str) -> None:
        """'runs on the left of the car': the relation to ``key`` is kept during the current motion."""
        for a in c.cur:
            if a.actor != key:
                a.fields["relation"], a.fields["relative_to"] = c.during, key
        c.during = c.pending_prep = c.pending_rel = None

    def _pronoun(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """He, she, it, they: the subject again, or the latest other thing as an object."""
        t = toks[i]
        if t in lex.PRONOUNS and not (t in ("her", "his", "its", "their") and self.noun_phrase(toks, i, dry=True)[1] > i):
            if self.pronoun_object(c, t):
                return i + 1
            ref = (self.last_subject if t in ("he", "she", "they", "him", "her", "them") else
                   ([self.last_np] if self.last_np else self.last_subject))
            if t in ("he", "she", "him", "her") and (not ref or ref == ["camera"]):
                ref = [k for k in reversed(self.mentions) if self.animate(k)][:1]  # 'the camera tracks the runner as she ...'
            if t in ("they", "them") and len(ref) == 1:  # 'a dog trails its owner as they walk': both
                last = next((a for a in reversed(self.acts) if a.actor == ref[0]), None)
                other = last.fields.get("target") if last is not None else None
                if other and self.animate(other) and other not in ref:
                    ref = ref + [other]
            if ref and not c.cur and t in ("it", "he", "she", "they"):
                c.subject = list(ref)
            elif c.cur:  # an object pronoun: the latest thing mentioned that is not the actor
                acting = {a.actor for a in c.cur}
                other = next((k for k in reversed(self.mentions) if k not in acting), None)
                if other is not None and c.during is not None:
                    self.keep_during(c, other)  # 'rides behind it': behind it all the ride long
                elif other is not None:
                    self.attach_np(other, c.cur, c.pending_prep, c.pending_rel, c.subject)
                c.pending_prep = c.pending_rel = None
            return i + 1
        return None

    def _verb(self, c: _Clause, toks: list[str], i: int) -> int | None:
        """Camera moves, verbs (one action per actor: the subject, or the noun a participle follows) and states."""
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        # camera verbs
        if c.subject == ["camera"] and t in lex.CAMERA_VERBS and not c.cur:
            c.shot = self.add_shot(lex.CAMERA_VERBS[t], c.timing)
            c.timing = {}
            return i + 1
        if t in ("face", "faces") and c.subject and c.subject != ["camera"] and not c.cur:
            c.pending_rel = "facing"  # a pose, not an action: the layout turns it
            return i + 1
        forced = t.startswith("§verb:")
        verb = t.split(":", 1)[1] if forced else lex.VERB_FORMS.get(t)
        if verb is None and t in lex.CONTEXT_VERBS and self.verb_position(c, toks, i):
            verb = lex.CONTEXT_VERBS[t]
        if verb is None:
            if t in lex.STATIC_VERBS:
                self.static_verb(c, t)
                return i + 1
            return None
        # a participle right after a noun that is not the subject: that noun acts ('a man riding a bicycle')
        participle = (c.np_end == i and self.last_np is not None and self.last_np not in c.subject
                      and (t in lex.PARTICIPLES or bool(c.cur) or c.shot is not None))
        if c.fronted and not c.subject and not participle:
            c.pending_verb = i  # 'Past the church walks a priest': the subject comes after its verb
            return i + 1
        if not participle and self.passive(c, toks, i, verb):
            return i + 1
        actors = [self.last_np] if participle else (c.subject or self.last_subject)
        if c.subject == ["camera"] and not participle:
            kind = {"orbit": "orbit", "circle": "orbit", "follow": "track", "chase": "track", "look_at": "static",
                    "move": "dolly", "approach": "dolly", "pause": "static", "wait": "static", "fly": "track",
                    "lead": "track", "turn": "pan", "climb": "tilt", "return": "dolly"}.get(verb)
            if kind is None:
                self.unknown.append(t)
            else:
                back = nxt in ("back", "away", "out", "§dir:backward")
                c.shot = self.add_shot(kind, c.timing, ("out" if back else "in") if kind == "dolly" else None)
                c.timing = {}
            return i + 1
        if not actors or actors == ["camera"]:
            self.unknown.append(t)
            return i + 1
        stem = lex.VERB_STEMS.get(t, t)
        if verb in lex.POSTURES and not forced and not self.acting(actors, c) and nxt not in ("down", "up") \
                and not self._timed_after(toks, i + 1):
            self.static_verb(c, t, posture=verb)  # 'a woman sits on the bench': where she is, not what she does
            return i + 1
        if c.lead_while and c.first_in_sentence:
            c.timing = {"while": c.first_in_sentence[0].fields["id"], **c.timing}
            c.lead_while = False
        timing = dict(c.timing)
        if participle:  # at the same time as the clause it belongs to
            timing = {"while": c.first_in_sentence[0].fields["id"]} if c.first_in_sentence else {}
        if verb == "continue":
            cur = [self.continue_action(a, timing) for a in actors]
        elif verb == "return" and nxt in ("to", "towards", "toward"):
            cur = self.add_action(actors, "move", timing)
        else:
            cur = self.add_action(actors, verb, timing)
            for a in cur:
                a.stem = stem
                if stem in ("enter",):
                    a.fields["direction"] = "into_scene"
                elif stem in ("leave", "exit"):
                    a.fields["direction"] = "out_of_scene"
        self.after_verb(c, cur)
        self.chain_open = False
        if not participle:
            self.last_subject = list(actors)
            c.timing = {}
        c.cur = cur
        if not c.first_in_sentence:
            c.first_in_sentence = list(c.cur)
        c.pending_prep = c.pending_rel = c.during = None
        if c.waiting and not participle:
            self.resolve_fronted(c, cur)
        if c.rel_object is not None and not participle:  # the clause's object is the noun it belongs to
            obj, c.rel_object = c.rel_object, None
            self.attach_np(obj, cur, None, None, c.subject)
            c.subject, c.cur = [obj], []
        return i + 1

    @staticmethod
    def _timed_after(toks: list[str], j: int) -> bool:
        """'sits for three seconds': a duration follows, so the posture is an action in time."""
        for k in range(j, min(j + 4, len(toks) - 1)):
            if lex.number_value(toks[k]) is not None and toks[k + 1] in lex.TIME_UNITS | {"minute", "minutes"}:
                return True
            if toks[k] == "," or toks[k].startswith("§"):
                return False
        return False

    def verb_position(self, c: _Clause, toks: list[str], i: int) -> bool:
        """Whether a word that may be a noun or a verb ('box', 'plants') stands where a verb goes."""
        prev = toks[i - 1] if i else ""
        if prev in DETERMINERS or lex.number_value(prev) is not None:
            return False
        if c.subject and c.subject != ["camera"] and not c.cur:
            return c.was_open or prev in ("and", "§then", "§while", "to", ",") or prev in lex.PACE_WORDS \
                or prev in lex.STOP_WORDS
        return c.np_end == i and t_participle(toks[i])

    def acting(self, actors: list[str], c: _Clause) -> bool:
        """Whether these actors already did something, or this clause is a step of a sequence."""
        return bool(c.timing) or any(a.actor in actors for a in self.acts)

    def static_verb(self, c: _Clause, t: str, posture: str | None = None) -> None:
        """'is', 'stands', 'sitting' ...: the clause describes where things are; 'where' binds its place."""
        c.cur = []
        if c.waiting and c.subject:
            self.resolve_fronted(c, [])
        if c.where is not None and c.subject and c.subject != ["camera"]:
            rel = "on" if posture in ("sit", "lie") else "near"
            info = catalog.lookup(self._ent(c.where).cls) if self._ent(c.where) else None
            if rel == "on" and info is not None and not info.support:
                rel = "near"
            for s in c.subject:
                if s != c.where:
                    self.rels.append((s, rel, c.where))
            c.where = None

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

    def _glue(self, c: _Clause, toks: list[str], i: int) -> int | None:
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

    def apply_marker(self, kind: str, value: str, cur: list[_Act], shot: dict | None, subject: list[str],
                     prep: str | None, toks: list[str], i: int) -> str | None:
        if kind == "dir" and shot is not None and not cur and value in ("left", "right", "up", "down"):
            shot["direction"] = value  # 'the camera pans to the right'
            return None
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
        if kind == "at":  # 'on the left', 'in the background': where it is (also while it moves)
            for key in ([a.actor for a in cur] if cur else subject):
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
        if rel is not None and (not cur or cur[0].fields["verb"] in _STILL):
            subj = [s for s in subject if s != "camera"] or ([self.last_np] if self.last_np else [])
            if self.rels and self.rels[-1][2] == self.last_np and self.chain_open:
                subj = [self.last_np]  # a mug on a book on the table; a robot in a box under a table
            for s in subj:
                if s != key:
                    self.rels.append((s, self._inside_or_near(s, key) if rel == "in" else rel, key))
            self.chain_open = True
            return
        for a in cur:
            verb = a.fields["verb"]
            if a.actor == key:
                continue
            if prep in ("to", "towards", "toward", "into", "onto", "on"):
                if verb in ("look_at", "wave", "throw") and prep != "into":
                    a.fields["target" if verb != "throw" else "to"] = key
                elif verb in _RELATIVE and verb not in ("approach", "meet"):
                    a.fields["to"] = key
                else:
                    a.fields["to"] = key
                if prep in ("onto", "on") and verb not in _STILL_ONLY:
                    a.fields["direction"] = "up"  # 'jumps onto the chair': ends on top of it
            elif prep == "away":
                a.fields["from"] = key
            elif prep == "after" and verb in _MOTION:
                a.fields.update(verb="chase", target=key)  # 'runs after the cat'
            elif prep == "up" and verb in _MOTION:
                a.fields["to"] = key
                a.fields["direction"] = "up"  # 'climbs up the tree'
            elif prep == "down" and verb in _MOTION and self._ent(key) is not None and \
                    (catalog.lookup(self._ent(key).cls) or catalog.CATALOG["box"]).support and verb in ("climb", "descend"):
                a.fields["from"] = key
            elif prep in ("from", "off"):
                a.fields["from"] = key
                if verb == "drop" and not any(r[0] == a.actor for r in self.rels):
                    self.rels.append((a.actor, "on", key))  # it falls off what it stood on
                thing = a.fields.get("target")
                if prep == "off" and thing and verb in ("look_at", "push", "throw") and thing != key and \
                        not self.animate(thing):  # 'the cat knocks a glass off the counter': the glass falls
                    a.fields.pop("from", None)
                    if not any(r[0] == thing for r in self.rels):
                        self.rels.append((thing, "on", key))
                    self.add_action([thing], "drop", {"after": a.fields["id"]})
            elif prep in ("past", "via", "through", "over", "along", "across"):
                a.fields["via"] = key
            elif prep == "around":
                a.fields["target"] = key
                if verb not in ("orbit", "turn"):
                    a.fields["direction"] = "around"
            elif prep == "at":
                if verb == "look_at" and a.stem not in lex.SEEING and a.actor != key:
                    self.rels.append((a.actor, "near", key))  # 'does his homework at the desk': there
                elif verb in ("look_at", "throw"):
                    a.fields["target" if verb == "look_at" else "to"] = key
                else:
                    a.fields["to"] = key
            elif prep == "with":
                if verb in ("wave", "look_at"):
                    a.fields.setdefault("target", key)  # plays with a toy car
            else:  # a direct object
                if verb in ("throw", "drop", "look_at", "orbit", "wave") or verb in _RELATIVE:
                    a.fields.setdefault("target", key)
                elif verb in ("cross", "jump"):
                    a.fields["via"] = key
                elif verb in ("climb",):
                    a.fields.update(to=key, direction="up")
                elif verb in ("leave", "exit") or a.fields.get("direction") == "out_of_scene":
                    a.fields["from"] = key
                else:
                    a.fields["to"] = key

    # -- result ------------------------------------------------------------
    def spec(self) -> tuple[SceneSpec, list[str]]:
        sentences = self.tokens()
        for toks in sentences:
            self.sentence(toks)
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
        self.riders()
        self.partners()
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
                          **({"count_guessed": True} if e.guessed else {})}
                         for e in self.ents],
            "relations": relations,
            "actions": [a.fields for a in self.acts],
            "camera": self.camera_shots(),
            "environment": self.env,
        }
        try:
            return SceneSpec.model_validate(data), warnings
        except ValidationError as exc:
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
