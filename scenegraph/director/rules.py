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

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from scenegraph import catalog
from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_nouns import DETERMINERS, NounParser
from scenegraph.errors import SpecError
from scenegraph.spec import SceneSpec, format_validation_error

__all__ = ["parse"]

_TIME_UNITS = {"second", "seconds", "sec", "secs", "s"}
_DIST_UNITS = {"metre", "metres", "meter", "meters", "m"}
_CAMERA_VERBS = {"pan": "pan", "pans": "pan", "panning": "pan", "tilt": "tilt", "tilts": "tilt", "tilting": "tilt",
                 "track": "track", "tracks": "track", "tracking": "track", "follow": "track", "follows": "track",
                 "following": "track", "orbit": "orbit", "orbits": "orbit", "orbiting": "orbit", "circle": "orbit",
                 "circles": "orbit", "circling": "orbit", "static": "static", "still": "static", "fixed": "static",
                 "stationary": "static", "holds": "static", "stays": "static", "look": "static", "looks": "static",
                 "dolly": "dolly", "dollies": "dolly", "zoom": "dolly", "zooms": "dolly"}
#: 'on the left' / 'in the background' as an order along an axis: (axis rank, relation towards a higher rank)
_SIDE_ORDER = {"left": (0, 0), "center": (0, 1), "right": (0, 2), "back": (1, 0), "front": (1, 1)}
_MOTION = ("move", "walk", "drive", "run", "cross", "roll")
_PACE_WORDS = {**dict.fromkeys(("slowly", "gently", "lazily", "calmly", "carefully", "leisurely"), "slow"),
               **dict.fromkeys(("quickly", "fast", "rapidly", "swiftly", "briskly", "hurriedly"), "fast")}


@dataclass
class _Act:
    fields: dict[str, Any]
    kerb_pause: bool = False

    @property
    def actor(self) -> str:
        return self.fields["actor"]


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
        subject: list[str] = []
        cur: list[_Act] = []
        shot: dict[str, Any] | None = None
        pending_rel: str | None = None
        pending_prep: str | None = None
        timing: dict[str, Any] = {}
        lead_while = False
        first_in_sentence: list[_Act] = []
        joined = False  # the last token was 'and' between subjects
        subj_open = False  # the last noun phrase was the subject (so 'and' adds another)
        i = 0
        n = len(toks)
        while i < n:
            t = toks[i]
            was_open, subj_open = subj_open, False
            nxt = toks[i + 1] if i + 1 < n else ""
            nxt2 = toks[i + 2] if i + 2 < n else ""
            # numbers with units: durations, distances, speeds, times
            val = lex.number_value(t)
            if val is not None and nxt in _TIME_UNITS | {"minute", "minutes"}:
                secs = val * (60 if nxt.startswith("min") else 1)
                prev = toks[i - 1] if i else ""
                if prev in ("after", "at", "in") or nxt2 == "later":
                    if "then" in timing or (cur and prev != "at" and not subject):
                        timing["delay"] = secs
                    else:
                        timing["start"] = secs
                    i += 3 if nxt2 == "later" else 2
                    pending_prep = None
                    continue
                if shot is not None:
                    shot["duration"] = secs
                elif cur:
                    for a in cur:
                        a.fields["duration"] = secs
                else:
                    timing["duration"] = secs
                i += 2
                continue
            if val is not None and nxt in _DIST_UNITS:
                for a in cur:
                    a.fields["distance"] = val
                i += 2
                continue
            if val is not None and nxt in ("kmh", "mps", "mph"):
                for a in cur:
                    a.fields["speed"] = val * {"kmh": 1 / 3.6, "mps": 1.0, "mph": 0.44704}[nxt]
                i += 2
                continue
            if val is not None and nxt in ("degrees", "degree"):
                if shot is not None:
                    shot["angle"] = val
                for a in cur:
                    a.fields["angle"] = val
                i += 2
                continue
            if t == "§then":
                timing = {"then": True} if cur or self.acts or self.shots else {}
                cur, shot, pending_prep, pending_rel = [], None, None, None
                i += 1
                continue
            if t == "§while":
                if not cur and not self.acts:
                    lead_while = True
                elif cur:
                    timing = {"while": cur[0].fields["id"]}
                elif self.acts:
                    timing = {"while": self.acts[-1].fields["id"]}
                cur, shot, pending_prep, pending_rel = [], None, None, None
                i += 1
                continue
            if t.startswith("§shot:"):
                kind = t.split(":", 1)[1]
                shot = self.add_shot("dolly" if kind.startswith("dolly") else kind, timing,
                                     kind.split("_")[1] if kind.startswith("dolly") else None)
                timing = {}
                i += 1
                continue
            if t.startswith("§dir:") or t.startswith("§from:") or t.startswith("§place:") or t.startswith("§at:"):
                kind, val_s = t[1:].split(":", 1)
                handled = self.apply_marker(kind, val_s, cur, shot, subject, pending_prep, toks, i)
                if handled == "around" and i + 1 < n:
                    pending_prep = "around"
                i += 1
                continue
            if t.startswith("§rel:"):
                rel = t.split(":", 1)[1]
                if rel in ("under", "above"):
                    approx = "near" if rel == "under" else "on"
                    if not cur:
                        self.notes.append(f"'{rel}' is approximated as '{approx}' (the layout has no '{rel}' relation)")
                    rel = approx
                moved = cur and any(b.actor == cur[0].actor and b.fields["verb"] in _MOTION for b in self.acts)
                if cur and (cur[0].fields["verb"] not in ("pause", "wait") or moved):
                    crossing = cur[0].fields["verb"] == "cross"
                    pending_prep = "via" if rel == "near" or crossing else ("on" if rel == "on" else "to")
                else:
                    pending_rel = rel
                i += 1
                continue
            if t == "in" and not cur and shot is None and self.noun_phrase(toks, i + 1)[0] is not None:
                pending_rel = "in"  # 'inside' if the subject fits in the object, else 'near'
                i += 1
                continue
            if t == "with" and not cur and subject and subject != ["camera"]:
                key, j, _ = self.noun_phrase(toks, i + 1)
                if key is not None:  # 'a man with a dog walks': both act, side by side
                    self.rels.append((key, "near", subject[0]))
                    self.companions[key] = subject[0]
                    subject.append(key)
                    self.mentions.append(key)
                    i = j
                    continue
            if t in ("to", "towards", "toward", "into", "from", "past", "via", "through", "at", "off", "over",
                     "after", "with", "up", "down", "onto", "across", "along"):
                if t in ("up", "down") and shot is not None and not cur:
                    shot["direction"] = t
                elif t == "up" and not self._np_follows(toks, i + 1) and cur:
                    for a in cur:
                        a.fields.setdefault("direction", "up")
                elif t == "down" and not self._np_follows(toks, i + 1) and cur:
                    for a in cur:
                        a.fields.setdefault("direction", "down")
                pending_prep = t
                i += 1
                continue
            if t in ("left", "right") and (cur or shot is not None):
                if shot is not None:
                    shot["direction"] = t
                for a in cur:
                    if a.fields["verb"] in ("turn", *_MOTION):
                        a.fields["direction"] = t
                i += 1
                continue
            if t in _PACE_WORDS:
                timing["pace"] = _PACE_WORDS[t]
                for a in cur:
                    a.fields["pace"] = _PACE_WORDS[t]
                i += 1
                continue
            if t in lex.PRONOUNS and not (t in ("her", "his", "its", "their") and self.noun_phrase(toks, i)[1] > i):
                ref = (self.last_subject if t in ("he", "she", "they", "him", "her", "them") else
                       ([self.last_np] if self.last_np else self.last_subject))
                if ref and not cur and t in ("it", "he", "she", "they"):
                    subject = list(ref)
                elif cur:  # an object pronoun: the latest thing mentioned that is not the actor
                    acting = {a.actor for a in cur}
                    other = next((k for k in reversed(self.mentions) if k not in acting), None)
                    if other is not None:
                        self.attach_np(other, cur, pending_prep, pending_rel, subject)
                    pending_prep = pending_rel = None
                i += 1
                continue
            # camera verbs
            if subject == ["camera"] and t in _CAMERA_VERBS:
                shot = self.add_shot(_CAMERA_VERBS[t], timing)
                timing = {}
                i += 1
                continue
            if t in lex.VERB_FORMS:
                verb = lex.VERB_FORMS[t]
                actors = subject or self.last_subject
                if subject == ["camera"]:
                    kind = {"orbit": "orbit", "follow": "track", "look_at": "static", "move": "dolly",
                            "pause": "static", "wait": "static"}.get(verb)
                    if kind is None:
                        self.unknown.append(t)
                    else:
                        back = nxt in ("back", "away", "out", "§dir:backward")
                        shot = self.add_shot(kind, timing, ("out" if back else "in") if kind == "dolly" else None)
                        timing = {}
                    i += 1
                    continue
                if not actors:
                    self.unknown.append(t)
                    i += 1
                    continue
                if lead_while and first_in_sentence:
                    timing = {"while": first_in_sentence[0].fields["id"], **timing}
                    lead_while = False
                if verb == "continue":
                    cur = [self.continue_action(a, dict(timing)) for a in actors]
                else:
                    cur = self.add_action(actors, verb, dict(timing))
                    stem = lex.VERB_STEMS.get(t, t)
                    for a in cur:
                        if stem in ("enter",):
                            a.fields["direction"] = "into_scene"
                        elif stem in ("leave", "exit"):
                            a.fields["direction"] = "out_of_scene"
                        elif stem in ("spin", "circle") and verb == "orbit":
                            pass
                if not first_in_sentence:
                    first_in_sentence = list(cur)
                self.last_subject = list(actors)
                timing = {}
                pending_prep = pending_rel = None
                i += 1
                continue
            if t in lex.STATIC_VERBS:
                if subject == ["camera"]:
                    pass
                cur = []
                i += 1
                continue
            if t in lex.TIME_WORDS:
                self.env["time_of_day"] = lex.TIME_WORDS[t]
                if t == "sunset":
                    self.env["sky"] = "sunset"
                i += 1
                continue
            if t in lex.SKY_WORDS and lex.SKY_WORDS[t] and not self._np_follows(toks, i):
                self.env["sky"] = lex.SKY_WORDS[t]
                i += 1
                continue
            key, j, special = self.noun_phrase(toks, i)
            if j > i:
                if special == "camera":
                    subject = ["camera"] if not cur else subject
                    if cur and pending_prep in ("to", "towards", "toward"):
                        for a in cur:
                            a.fields["direction"] = "towards_camera"
                elif special is not None:
                    self.setting(special, pending_rel, subject)
                    if special in ("street", "road", "crossing", "crosswalk") and cur:
                        for a in cur:
                            if a.fields["verb"] in ("walk", "run", "move") and pending_prep == "across":
                                a.fields["verb"] = "cross"
                    pending_rel = pending_prep = None
                elif key is not None:
                    after_and = i > 0 and toks[i - 1] in ("and", ",") and pending_rel is None and pending_prep is None
                    if after_and and cur:
                        cur, shot, joined = [], None, False
                    if pending_rel is not None or cur or shot is not None:
                        self.attach_np(key, cur, pending_prep, pending_rel, subject, shot=shot)
                        pending_prep = pending_rel = None
                    else:
                        if joined and subject:
                            subject.append(key)
                        else:
                            subject = [key]
                        subj_open = True
                    self.last_np = key
                    self.mentions.append(key)
                joined = False
                i = j
                continue
            if t in ("who", "which", "that") and self.last_np and not pending_rel:
                subject, cur, shot, subj_open = [self.last_np], [], None, False
                i += 1
                continue
            if t == "and":
                joined = was_open and not cur
                i += 1
                continue
            if t == ",":
                i += 1
                continue
            if t in lex.STOP_WORDS or t in DETERMINERS or t.startswith("§"):
                i += 1
                continue
            self.unknown.append(t)
            i += 1
        if subject and subject != ["camera"]:
            self.last_subject = subject

    def _np_follows(self, toks: list[str], i: int) -> bool:
        return i < len(toks) and self.noun_phrase(toks, i)[1] > i if i < len(toks) and toks[i] not in ("§",) else False

    def apply_marker(self, kind: str, value: str, cur: list[_Act], shot: dict | None, subject: list[str],
                     prep: str | None, toks: list[str], i: int) -> str | None:
        if kind == "dir":
            if value == "around" and shot is not None:
                return "around"
            if value == "across":
                return "around" if False else None
            for a in cur:
                if a.fields["verb"] in ("pause", "wait") and value not in ("into_scene", "out_of_scene"):
                    continue
                a.fields["direction"] = value
            if not cur and subject and subject != ["camera"] and value in ("into_scene", "out_of_scene"):
                pass
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
            if prep in ("to", "towards", "toward", "into", "onto", "on") or (prep is None and verb == "move" and a.fields.get("direction") is None and False):
                if verb in ("throw", "drop"):
                    a.fields["to"] = key
                elif verb == "look_at":
                    a.fields["target"] = key
                else:
                    a.fields["to"] = key
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
            "entities": [{"id": e.key, "class": e.cls, "count": e.count, "color": e.color, "material": e.material,
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
