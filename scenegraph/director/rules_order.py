"""Word order for the rules director: place phrases that open a sentence, pronoun objects, 'with X on it'.

Mixed into :class:`scenegraph.director.rules._Parser`.

- A sentence may open with where things are, the subject coming later, after a
  comma or after its verb: "Behind the house stands a tall oak tree", "On the
  shelf there are three books", "High above the house, a kite is flying",
  "Past the old church walks a priest", "Between the two trees stands a bench".
  The opening phrase is held (:meth:`hold_fronted`) until the subject is read
  and then given to it (:meth:`apply_fronted`); a verb read before its subject
  is read again once the subject is known.
- A pronoun after a relation names the latest other thing: "a teapot stands
  between them", "a cat sleeps next to it".
"""
from __future__ import annotations

from typing import Any

from scenegraph.director import rules_lexicon as lex
from scenegraph.model import catalog

#: verbs that move their actor (the rules director's list)
MOTION = ("move", "walk", "drive", "run", "cross", "roll", "fly", "swim", "jump", "climb", "descend", "ride", "push",
           "carry", "approach", "pass", "weave", "chase", "follow", "lead", "overtake", "meet", "return", "land",
           "take_off", "circle")

__all__ = ["OrderReader", "PLURAL_PRONOUNS", "MOTION"]

PLURAL_PRONOUNS = ("them", "they", "those", "these")


class OrderReader:
    """Readers for word orders other than subject - verb - object."""

    rels: list
    between_rels: list
    mentions: list
    last_np: str | None

    def hold_fronted(self, c: Any, key: str) -> bool:
        """In an opening place phrase ('Behind the house ...'): keep its noun for the subject to come."""
        if not (c.front and not c.subject and not c.cur and (c.pending_rel or c.pending_prep)):
            return False
        c.fronted.append((c.pending_rel, c.pending_prep, key))
        c.pending_rel = c.pending_prep = None
        self.last_np = key
        self.mentions.append(key)
        return True

    def hold_fronted_between(self, c: Any, a: str, b: str | None) -> bool:
        if not (c.front and not c.subject and not c.cur):
            return False
        c.fronted.append(("between", b, a))
        return True

    def apply_fronted(self, c: Any, toks: list[str]) -> None:
        """The subject of a sentence that opened with a place phrase is known: its verb (read before it, or
        still to come) decides whether the place is where it stands or where it moves (:meth:`resolve_fronted`)."""
        c.waiting, c.fronted, c.front = c.fronted, [], False
        if c.pending_verb is not None:
            k, c.pending_verb = c.pending_verb, None
            self._verb(c, toks, k)  # resolves the held phrase with the verb's actions
        if not c.subject or c.subject == ["camera"]:
            c.waiting = []

    def resolve_fronted(self, c: Any, cur: list) -> None:
        """Give the held opening phrase to the subject: a place where it stands, or (``cur``: its motion) a
        relation kept while it moves ('Behind the fence, a dog runs ...'), a place it passes ('Next to a
        rock, a bus drives ...'), or the preposition's role ('Past the church walks a priest')."""
        held, c.waiting = c.waiting, []
        subj = [s for s in c.subject if s != "camera"]
        moving = [a for a in cur if a.fields["verb"] in MOTION]
        for rel, prep, obj in held:
            if rel == "between":
                if moving:
                    for a in moving:
                        a.fields["via"] = obj
                    continue
                for s in subj:
                    if s not in (obj, prep):
                        self.between_rels.append((s, obj, prep))
            elif rel is not None and moving and rel not in ("on", "inside", "in"):
                for a in moving:
                    if rel in ("near", "facing"):
                        a.fields.setdefault("via", obj)
                    else:
                        a.fields["relation"], a.fields["relative_to"] = rel, obj
            elif rel is not None:
                for s in subj:
                    if s != obj:
                        self.rels.append((s, self._inside_or_near(s, obj) if rel == "in" else rel, obj))
            elif prep is not None and cur:
                self.attach_np(obj, cur, prep, None, c.subject)

    def passive(self, c: Any, toks: list[str], i: int, verb: str) -> bool:
        """'The truck is overtaken by a motorbike': the 'by' phrase does it and the subject is its object.
        (The phrase table has made 'by' a 'near' marker; an agent is a thing that can act.)"""
        prev = toks[i - 1] if i else ""
        t = toks[i]
        if prev not in ("is", "are", "was", "were", "been", "being", "be", "gets", "get", "got") or t.endswith("ing"):
            return False
        if not c.subject or c.subject == ["camera"] or lex.VERB_STEMS.get(t, t) == t or verb not in MOTION + ("look_at",
                                                                                                         "throw"):
            return False
        for k in range(i + 1, min(i + 8, len(toks))):
            if toks[k] in (",", "§then", "§while", "and"):
                return False
            if toks[k] in ("by", "§rel:near"):
                agent, j, _ = self.noun_phrase(toks, k + 1)
                ent = self._ent(agent) if agent is not None else None
                info = catalog.lookup(ent.cls) if ent is not None else None
                if info is None or not (info.mobile or info.kind in ("person", "animal", "vehicle", "flyer")):
                    return False
                del toks[k:j]
                patient = [s for s in c.subject if s != agent]
                c.subject = [agent]
                self.mentions.append(agent)
                self._verb(c, toks, i)  # now the agent is the subject (and 'is' is no longer before a participle)
                for p in patient:
                    self.attach_np(p, c.cur, None, None, c.subject)
                self.last_subject = [agent]
                return True
        return False

    def companion_after_verb(self, c: Any, toks: list[str], i: int, make: bool = False) -> Any:
        """'walk along the beach with their dog': a person or an animal named after 'with' goes along
        (it follows the actor); ``make`` adds it and returns where to go on."""
        if c.cur[0].fields["verb"] not in MOTION or c.cur[0].fields["verb"] in ("ride", "push", "carry"):
            return False
        key, j, _ = self.noun_phrase(toks, i + 1, dry=not make)
        if key is None:
            return False
        if not make:
            np_ = self.scan(toks, i + 1)
            info = np_.get("info") if np_ else None
            return info is not None and info.kind in ("person", "animal")
        leader = c.cur[0].actor
        self.rels.append((key, "near", leader))
        self.companions[key] = leader
        self.mentions.append(key)
        new = self.add_action([key], "follow", {"while": c.cur[0].fields["id"]})[0]
        new.fields["target"] = leader
        return j

    def animate(self, key: str) -> bool:
        """Whether an entity is a person or an animal (what 'he', 'she', 'they' may name)."""
        return _kind(self._ent(key)) in ("person", "animal", "flyer")

    def at_the_wheel(self, actor: str, key: str | None) -> bool:
        """Whether ``actor`` driving ``key`` means a person in the driver's seat of a vehicle ('a woman drives
        a car', 'walks to the taxi and drives off'): the vehicle moves with the person in it."""
        return key is not None and key != actor and _kind(self._ent(actor)) == "person" and \
            _kind(self._ent(key)) == "vehicle"

    def rings(self) -> None:
        """A group around something stands in a circle round it; a circle of a number not said is five."""
        for s, r, o in self.rels:
            ent = self._ent(s)
            if r == "around" and ent is not None and ent.count > 1 and ent.formation in (None, "circle"):
                ent.formation = "circle"
        for ent in self.ents:
            if ent.formation == "circle" and ent.guessed:
                ent.count = max(ent.count, 5)
        self.rels[:] = [(s, "near" if r == "around" and self._ent(s) is not None and self._ent(s).count == 1 else r, o)
                        for s, r, o in self.rels]

    def behind_a_mover(self) -> None:
        """Walking (running, riding) behind or in front of a person or animal on the move is following or
        leading them ('her husband walks behind her'), not a place held beside where they started."""
        movers = {a.actor for a in self.acts if a.fields["verb"] in MOTION}
        for a in self.acts:
            f = a.fields
            if f.get("relation") in ("behind", "in_front_of") and f["verb"] in ("walk", "run", "move", "ride") and \
                    f.get("relative_to") in movers and f.get("relative_to") != a.actor and not f.get("target") and \
                    self.animate(f["relative_to"]):  # (behind a moving vehicle: kept behind it, world.relative)
                other = f.pop("relative_to")
                f.update(verb="follow" if f.pop("relation") == "behind" else "lead", target=other)

    def wear(self) -> None:
        """Clothes a person is in, wears or is dressed in ('a woman in a red coat', 'a man wearing a blue
        shirt') are the person's clothes: their colour goes to the person (an artist sees a red coat on her),
        and no coat is built lying beside her."""
        for e in list(self.ents):
            if e.cls not in lex.CLOTHES or e.count != 1:
                continue
            wearer = next((s for s, r, o in self.rels if o == e.key and r in ("near", "inside", "on")
                           and _kind(self._ent(s)) == "person"), None)
            wearer = wearer or next((a.actor for a in self.acts if a.fields.get("target") == e.key
                                     and a.stem in lex.WEARING and _kind(self._ent(a.actor)) == "person"), None)
            if wearer is None or any(o == e.key for s, r, o in self.rels if s != wearer) or \
                    any(e.key in (a.fields.get("to"), a.fields.get("via")) for a in self.acts):
                continue
            for a in self.acts:  # 'a man wearing a green jacket waits': the man waits
                if a.actor == e.key:
                    a.fields["actor"] = wearer
            person = self._ent(wearer)
            person.color = person.color or e.color
            self.rels[:] = [r for r in self.rels if e.key not in (r[0], r[2])]
            for a in list(self.acts):
                if a.fields.get("target") == e.key:
                    if a.stem in lex.WEARING:
                        self.acts.remove(a)
                        for x in self.acts:  # nothing is timed on the wearing
                            for k in ("after", "while", "until"):
                                if x.fields.get(k) == a.fields["id"]:
                                    x.fields.pop(k)
                    else:
                        a.fields.pop("target")
            self.ents.remove(e)

    def implied_vehicles(self) -> None:
        """'a boy cycles to school', 'a man drives to the gas station', 'a girl rides to the park': a person who
        drives, cycles or rides with nothing named to do it in or on gets the usual one (a car; a bicycle), and
        rides it there (one person: a group's members would need one each)."""
        for a in list(self.acts):
            f = a.fields
            ent = self._ent(f["actor"])
            if f["verb"] not in ("drive", "ride") or f.get("target") or f.get("relative_to") or _kind(ent) != "person" \
                    or ent.count != 1:
                continue  # (a ride kept behind or beside something is planned on the rider alone: world.relative)
            if any(r[0] == f["actor"] and r[1] in ("on", "inside") for r in self.rels):
                continue  # 'a man on a horse rides ...': riders() seats him on it
            cls = _IMPLIED.get(a.stem or f["verb"])
            if cls is None:  # (skates, skis, rows, sails: no vehicle is meant)
                continue
            key = self.entity(cls, new=True, count=1, color=None, material=None, size=None, attrs=[])
            f.update(verb="ride", target=key)

    def riders(self) -> None:
        """A person on a thing that is ridden ('a girl on a scooter rolls past') rides it; a ridden thing's own
        motion ('the horse that the girl is riding trots across the meadow') is the ride's."""
        for a in list(self.acts):
            f = a.fields
            if f["verb"] not in MOTION or f["verb"] in ("push", "carry", "follow", "chase", "lead") or (
                    f["verb"] == "ride" and f.get("target")):
                continue
            seat = next((o for s, r, o in self.rels if s == f["actor"] and r == "on" and _rideable(self._ent(o))), None)
            if seat is not None and _kind(self._ent(f["actor"])) == "person":
                f.update(verb="ride", target=seat)
                self.rels[:] = [r for r in self.rels if r != (f["actor"], "on", seat)]
        for a in list(self.acts):
            f = a.fields
            if f["verb"] != "ride" or not f.get("target"):
                continue
            own = [b for b in self.acts if b.actor == f["target"] and b.fields["verb"] in MOTION]
            if not own:
                continue
            b = own[0]
            for k in ("to", "via", "direction", "from", "pace", "speed", "distance", "duration"):
                if b.fields.get(k) is not None and not f.get(k):
                    f[k] = b.fields[k]
            self.acts.remove(b)
            for x in self.acts:  # what was timed on the ridden thing's motion is timed on the ride
                for k in ("after", "while", "until"):
                    if x.fields.get(k) == b.fields["id"]:
                        x.fields[k] = f["id"]

    def pronoun_object(self, c: Any, t: str) -> bool:
        """'... between them', 'next to it': a pronoun after a relation is that relation's object."""
        if not c.pending_rel or c.cur:
            return False
        subj = set(c.subject)
        if t in PLURAL_PRONOUNS:
            other = next((k for k in reversed(self.mentions) if k not in subj and self._ent(k) is not None
                          and self._ent(k).count > 1), None)
        else:
            other = None
        other = other or next((k for k in reversed(self.mentions) if k not in subj), None)
        if other is None:
            return False
        self.attach_np(other, c.cur, c.pending_prep, c.pending_rel, c.subject)
        c.pending_rel = c.pending_prep = None
        return True

    def with_on_it(self, toks: list[str], j: int, key: str, owner: str) -> int | None:
        """'a plate with an apple on it': the apple is on the plate (and not a second subject)."""
        if j + 1 < len(toks) and (toks[j].startswith("§rel:") or toks[j] == "§dir:around") and toks[j + 1] in lex.PRONOUNS:
            rel = toks[j].split(":", 1)[1]
            self.rels.append((key, self._inside_or_near(key, owner) if rel == "in" else rel, owner))
            return j + 2
        if j + 2 < len(toks) and toks[j] == "in" and toks[j + 1] in lex.PRONOUNS:
            self.rels.append((key, self._inside_or_near(key, owner), owner))
            return j + 2
        return None


#: what a person drives, cycles or rides in when the prompt names nothing ('a man drives to work')
_IMPLIED = {**dict.fromkeys(("drive", "motor", "cruise", "steer", "accelerate", "reverse", "speed"), "car"),
            **dict.fromkeys(("cycle", "pedal", "bike", "ride"), "bicycle")}


def _kind(ent: Any) -> str | None:
    info = catalog.lookup(ent.cls) if ent is not None else None
    return info.kind if info is not None else None


def _rideable(ent: Any) -> bool:
    """Whether a person on ``ent`` rides it: a small vehicle (bicycle, scooter, skateboard, sled ...) or a
    large animal (horse, camel, elephant)."""
    info = catalog.lookup(ent.cls) if ent is not None else None
    if info is None:
        return False
    w, h, _ = info.size
    if info.kind == "vehicle":
        return w < 1.3 and h < 1.7
    return info.archetype == "quadruped" and h > 1.1
