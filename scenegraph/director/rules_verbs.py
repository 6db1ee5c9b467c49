"""Verbs for the rules director: actions, camera shots, postures and states.

Mixed into :class:`scenegraph.director.rules._Parser`.

- :meth:`VerbReader._verb` reads a verb: a camera move when the camera is the subject, else one action per
  actor (the subject, or the noun a participle follows: "a man riding a bicycle"); a posture with no action
  before it ("a woman sits on the bench") is where the subject is, not what it does;
- "continues" repeats the actor's last motion; "returns to X" is a move to X;
- :meth:`VerbReader.static_verb`: "is", "stands", "sitting" describe where things are ("a bench where four
  people are sitting" seats them on the bench).
"""
from __future__ import annotations

from typing import Any

from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_nouns import DETERMINERS
from scenegraph.director.rules_order import MOTION
from scenegraph.director.rules_state import Act, Clause, t_participle
from scenegraph.model import catalog

__all__ = ["VerbReader"]


class VerbReader:
    """Actions and shots: adding them, and reading the verbs that make them."""

    acts: list
    shots: list
    companions: dict
    last_np: str | None

    def add_action(self, actors: list[str], verb: str, timing: dict[str, Any]) -> list[Act]:
        out = []
        for actor in actors:
            f: dict[str, Any] = {"id": f"a{len(self.acts) + 1}", "actor": actor, "verb": verb}
            f.update(timing)
            leader = self.companions.get(actor)
            if leader in actors and verb in MOTION:  # 'a man with a dog walks': the dog follows him
                f.update(verb="follow", target=leader)
            act = Act(f)
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

    def continue_action(self, actor: str, timing: dict[str, Any]) -> Act:
        prev = next((a for a in reversed(self.acts) if a.actor == actor and a.fields["verb"] in MOTION), None)
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


    def _verb(self, c: Clause, toks: list[str], i: int) -> int | None:
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
        guessed = None
        if verb is None and t not in lex.STATIC_VERBS and self.verb_position(c, toks, i) \
                and lex.verb_lemma(t) and self.noun_phrase(toks, i, dry=True)[1] <= i and _way_follows(toks, i + 1):
            verb, guessed = "move", t  # a verb with no meaning here ('plows'): a motion if the clause says where
        if verb is None:
            if t in lex.STATIC_VERBS:
                self.static_verb(c, t)
                return i + 1
            return None
        if c.subject_ing and c.cur and t not in lex.PARTICIPLES and not forced and c.np_end == i:
            # 'a man riding a bicycle passes the cafe', 'a woman carrying a box walks to the car': the subject's
            # own verb after its '-ing' phrase; a motion goes on as the same action (its way follows), else a new one
            c.subject_ing = False
            if verb in MOTION and all(a.fields["verb"] in MOTION for a in c.cur):
                c.pending_prep = {"pass": "past", "approach": "to"}.get(verb) or {"enter": "into"}.get(lex.VERB_STEMS.get(t, t))
                if verb == "cross":
                    for a in c.cur:  # 'a boy riding his bike crosses the street'
                        a.fields.setdefault("direction", "across")
                return i + 1
            c.np_end = -1  # (not a participle of the noun before it)
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
                    "lead": "track", "turn": "pan", "climb": "tilt", "return": "dolly", "zoom": "zoom"}.get(verb)
            if kind is None:
                self.unknown.append(t)
            else:
                back = nxt in ("back", "away", "out", "§dir:backward")
                c.shot = self.add_shot(kind, c.timing, ("out" if back else "in") if kind in ("dolly", "zoom") else None)
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
                a.guessed = guessed
                if stem in ("enter",):
                    a.fields["direction"] = "into_scene"
                elif stem in ("leave", "exit"):
                    a.fields["direction"] = "out_of_scene"
                elif stem in lex.PICK_UP_STEMS:
                    a.fields["distance"] = 0.5  # takes it up where it stands, then holds it
        self.after_verb(c, cur)
        self.chain_open = False
        if not participle:
            self.last_subject = list(actors)
            c.timing = {}
        c.cur = cur
        c.subject_ing = not participle and t in lex.PARTICIPLES and bool(c.subject) and c.np_end == i \
            and all(a.actor in c.subject for a in cur)
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

    def verb_position(self, c: Clause, toks: list[str], i: int) -> bool:
        """Whether a word that may be a noun or a verb ('box', 'plants') stands where a verb goes."""
        prev = toks[i - 1] if i else ""
        if prev in DETERMINERS or lex.number_value(prev) is not None:
            return False
        if c.subject and c.subject != ["camera"] and not c.cur:
            return c.was_open or prev in ("and", "§then", "§while", "to", ",") or prev in lex.PACE_WORDS \
                or prev in lex.STOP_WORDS
        if c.cur and c.subject and c.subject != ["camera"] and prev in ("and", "§then", ","):
            return self.noun_phrase(toks, i, dry=True)[1] <= i  # 'walks to the bench and sits on it': a second verb
        return c.np_end == i and t_participle(toks[i])

    def acting(self, actors: list[str], c: Clause) -> bool:
        """Whether these actors already did something, or this clause is a step of a sequence."""
        return bool(c.timing) or any(a.actor in actors for a in self.acts)

    def static_verb(self, c: Clause, t: str, posture: str | None = None) -> None:
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

    def rest_where_it_went(self) -> None:
        """'walks to the chair and sits', 'runs to the bed and lies down': a posture that names no place is
        taken on what the actor's previous action went to, when one can sit or lie on that; 'climbs up the
        tree, then climbs back down': a climb that names nothing goes along what the previous climb did."""
        last: dict[str, Act] = {}
        for a in self.acts:
            f = a.fields
            prev = last.get(f["actor"])
            last[f["actor"]] = a
            if f["verb"] in ("climb", "descend", "return", "move") and f.get("direction") in ("up", "down") and prev is not None \
                    and prev.fields["verb"] in ("climb", "descend") and prev.fields.get("to") and not f.get("to"):
                # 'climbs up the tree, then climbs (back) down': down the same tree
                f.update(verb="climb" if f["direction"] == "up" else "descend", to=prev.fields["to"])
                continue
            if f["verb"] not in ("sit", "lie") or any(f.get(k) for k in ("to", "via", "target", "from", "relation")):
                continue
            dest = prev.fields.get("to") if prev is not None else None
            ent = self._ent(dest) if dest else None
            info = catalog.lookup(ent.cls) if ent is not None else None
            if info is not None and info.support and not self.animate(dest):
                f.update(to=dest, direction="up")


#: words after a verb that say which way its subject goes ('from left to right', 'across', 'past the barn')
_WAYS = ("past", "through", "along", "across", "away", "towards", "toward", "forward", "forwards", "around")


#: settings a worker or a machine goes over while doing something to them ('clears the road', 'mows the lawn')
WORKED_GROUNDS = ("street", "highway", "motorway", "freeway", "racetrack", "runway", "parking-lot", "lawn", "field",
                  "meadow", "farmland", "snowfield", "pitch", "beach", "desert", "square", "plaza")


def worked_ground(word: str) -> bool:
    """Whether ``word`` is a setting or a ground one goes over when it is a verb's object ('plows the snow')."""
    return lex.SETTINGS.get(word) in WORKED_GROUNDS or bool(lex.GROUND_WORDS.get(word))


def _way_follows(toks: list[str], j: int) -> bool:
    """Whether the clause from ``j`` says which way the subject goes (up to the next clause or verb), or its
    object is a ground it goes over ('a snowplow clears the road': along it)."""
    k = j
    while k < len(toks) and toks[k] in DETERMINERS:
        k += 1
    if k > j and k < len(toks) and worked_ground(toks[k]):
        return True
    for t in toks[j:]:
        if t in ("§then", "§while", ",", "and") or t in lex.VERB_FORMS:
            return False
        if t.startswith("§dir:") or t in _WAYS or t.startswith(("§via", "§awayfrom")):
            return True
    return False
