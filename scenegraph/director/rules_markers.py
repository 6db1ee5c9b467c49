"""Function words for the rules director: numbers with units, connectors, prepositions, markers, 'between'.

Mixed into :class:`scenegraph.director.rules._Parser`; each reader looks at the token at ``i`` of a
sentence and returns where to go on (None: not its word).

- numbers with units: durations ("for 3 seconds"), start times ("after 2 seconds"), distances, speeds, angles;
- connectors: "then" / "while", camera-shot phrases, direction / place / side markers (``§dir:``, ``§from:``,
  ``§place:``, ``§at:``) and relations (``§rel:``): a relation after a motion verb is kept during the motion,
  after a still verb it is where the thing is;
- prepositions: 'in', 'with', 'to', 'up' / 'down', 'away', 'left' / 'right' and pace adverbs: they wait for
  the noun phrase that follows (``Clause.pending_prep``);
- 'between': a relation between two things, or a way through for a mover.
"""
from __future__ import annotations

from typing import Any

from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_order import MOTION, PLURAL_PRONOUNS
from scenegraph.director.rules_state import RELATIVE, STILL, TO_PLACE, Clause

__all__ = ["MarkerReader"]


class MarkerReader:
    """Readers for numbers, connectors, markers and prepositions."""

    acts: list
    rels: list
    mentions: list
    last_np: str | None

    def _numbers(self, c: Clause, toks: list[str], i: int) -> int | None:
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

    def _connectors(self, c: Clause, toks: list[str], i: int) -> int | None:
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
            lens = kind.startswith(("dolly_", "zoom_"))  # 'dolly in', 'zooms out': the move and its way
            c.shot = self.add_shot(kind.split("_")[0] if lens else kind, c.timing, kind.split("_")[1] if lens else None)
            c.timing = {}
            return i + 1
        if t == "§dir:across" and c.cur and self._np_follows(toks, i + 1):
            c.pending_prep = "across"  # 'swims across the pond': by way of it
            for a in c.cur:
                if a.fields["verb"] in MOTION and "direction" not in a.fields:
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
            moved = c.cur and any(b.actor == c.cur[0].actor and b.fields["verb"] in MOTION for b in self.acts)
            if c.cur and verb in RELATIVE and verb not in ("ride", "push", "carry") and rel in ("behind", "near") \
                    and not c.cur[0].fields.get("target"):
                return i + 1  # 'trails behind its owner', 'follows close behind the car': the other is its object
            if c.cur and verb == "ride" and rel in ("on", "inside") and not c.cur[0].fields.get("target"):
                c.pending_prep = None  # 'rides to the shop on his bike': what it rides
                return i + 1
            if c.cur and (verb not in STILL or moved):
                if verb == "cross":
                    c.pending_prep = "via"
                elif verb in STILL or verb in TO_PLACE:  # 'pauses next to the car', 'jumps on the bed'
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

    def _prepositions(self, c: Clause, toks: list[str], i: int) -> int | None:
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
        if t == "§forwalk":  # 'takes her dog for a walk', 'brings the dogs out for a walk': walks them
            for n, a in enumerate(list(c.cur)):
                pet = a.fields.get("target")
                if a.fields["verb"] == "move" and not pet:
                    a.fields["verb"] = "walk"  # 'goes for a walk'
                elif pet and a.fields["verb"] in ("look_at", "carry", "push", "follow", "lead", "move"):
                    a.fields.update(verb="walk")
                    a.fields.pop("target", None)
                    a.fields.pop("distance", None)
                    a.stem = "walk"
                    if not self.walks_an_animal(a, pet, c.cur):
                        a.fields["target"] = pet
                        a.fields["verb"] = "follow"  # (a person taken for a walk: walked with)
            if not c.cur and c.subject:  # 'goes for a walk'
                c.cur = self.add_action([s for s in c.subject if s != "camera"], "walk", c.timing)
            return i + 1
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
        if t == "off" and c.cur and c.cur[0].fields["verb"] in MOTION and not self._np_follows(toks, i + 1):
            t = "away"  # 'drives off', 'the horse runs off': it leaves
        if t == "up" and c.cur and c.cur[0].stem in lex.PICK_UP_STEMS:
            return i + 1  # 'picks up the ball', 'picks it up': a particle
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
                if a.fields["verb"] in ("turn", *MOTION):
                    a.fields["direction"] = t
            return i + 1
        if t == "away" and c.cur:  # 'runs away', 'flies away again': away from what it was at, else out of view
            for a in c.cur:
                if a.fields["verb"] in MOTION and not (a.fields.get("to") or a.fields.get("direction") or a.fields.get("from")):
                    ref = None if a.fields["verb"] == "ride" and a.fields.get("target") else self.away_reference(a)
                    if a.fields["verb"] == "drive" and self.at_the_wheel(a.actor, ref):
                        a.fields.update(verb="ride", target=ref, direction="out_of_scene")  # gets in and drives off
                    else:
                        a.fields.update({"from": ref} if ref else {"direction": "out_of_scene"})
            return i + 1
        if t in lex.PACE_WORDS:
            c.timing["pace"] = lex.PACE_WORDS[t]
            for a in c.cur:
                a.fields["pace"] = lex.PACE_WORDS[t]
            return i + 1
        return None

    def between(self, c: Clause, toks: list[str], i: int) -> int:
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
        if c.cur and c.cur[0].fields["verb"] not in STILL:
            for act in c.cur:  # 'weaves between the cones': in and out of the group; else a way through
                act.fields["target" if act.fields["verb"] == "weave" else "via"] = a
            return j
        subj = [chained] if chained else ([s for s in c.subject if s != "camera"] or ([self.last_np] if self.last_np else []))
        for s in subj:  # (a chain: 'a box under a table between two chairs' puts the table between them)
            if s not in (a, b):
                self.between_rels.append((s, a, b))
        return j

    def away_reference(self, act: Any) -> str | None:
        """What 'runs away' leaves: the thing the actor's latest earlier action went to, looked at or passed
        ('lands on the fence ... and flies away'), else the latest other actor that did something to it ('the dog
        barks at the cat and the cat runs away'); None when there is neither."""
        me = act.actor
        for b in reversed(self.acts):
            if b is act:
                continue
            f = b.fields
            if f["actor"] == me:
                ref = f.get("to") or f.get("target") or f.get("via")
                if ref and ref != me and self._ent(ref) is not None:
                    return ref
            elif me in (f.get("to"), f.get("target"), f.get("via")):
                return f["actor"]
        return None

