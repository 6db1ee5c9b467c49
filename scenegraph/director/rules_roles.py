"""Roles of noun phrases for the rules director: what a noun phrase or pronoun is to the current verb.

Mixed into :class:`scenegraph.director.rules._Parser`.

- :meth:`RoleReader.attach_np` gives a noun phrase its role by the preposition before it: a relation's
  object ("on the table"), a destination ("to the door"), a source ("off the table", "away from the
  house"), a way ("past the church", "over the log"), a thing looked at, thrown to, followed or circled;
- :meth:`RoleReader.apply_marker` applies a direction, source, place or side marker to the current actions;
- :meth:`RoleReader._pronoun` reads he / she / it / they as the subject again, or as the latest other thing
  named (an object pronoun: "sits on it", "picks it up");
- :meth:`RoleReader.keep_during`: "runs on the left of the car" keeps that side during the run.
"""
from __future__ import annotations

from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_order import MOTION, _kind
from scenegraph.director.rules_state import RELATIVE, STILL, STILL_ONLY, Act, Clause
from scenegraph.model import catalog

__all__ = ["RoleReader", "WATER_SETTINGS", "TOWING"]

#: verb stems for pulling something along behind
TOWING = ("tow", "pull", "drag", "haul", "draw", "tug", "trail")

#: settings whose kit lays water behind the action: going 'to' them is going to its shore
WATER_SETTINGS = ("lake", "river", "riverbank", "sea", "ocean", "shore", "coast", "seaside")


class RoleReader:
    """Roles of noun phrases and pronouns in the clause being read."""

    acts: list
    rels: list
    mentions: list
    last_np: str | None

    def keep_during(self, c: Clause, key: str) -> None:
        """'runs on the left of the car': the relation to ``key`` is kept during the current motion."""
        for a in c.cur:
            if a.actor != key:
                a.fields["relation"], a.fields["relative_to"] = c.during, key
        c.during = c.pending_prep = c.pending_rel = None

    def _pronoun(self, c: Clause, toks: list[str], i: int) -> int | None:
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
                if t in ("him", "her"):  # a person or an animal, of that sex where the word says ('her husband')
                    living = [k for k in reversed(self.mentions) if k not in acting and self.animate(k)]
                    other = next((k for k in living if lex.sex_of(k) == t), None) or \
                        next((k for k in living if lex.sex_of(k) is None), None) or other
                if self.watching(c.cur[0]) and c.pending_prep in (None, "at", "after"):
                    other = self.latest_mover(acting) or other  # 'the ball rolls off the table and the cat watches it'
                if other is not None and c.during is not None:
                    self.keep_during(c, other)  # 'rides behind it': behind it all the ride long
                elif other is not None:
                    self.attach_np(other, c.cur, c.pending_prep, c.pending_rel, c.subject)
                c.pending_prep = c.pending_rel = None
            return i + 1
        return None

    def apply_marker(self, kind: str, value: str, cur: list[Act], shot: dict | None, subject: list[str],
                     prep: str | None, toks: list[str], i: int) -> str | None:
        if kind == "dir" and shot is not None and not cur and value in ("left", "right", "up", "down"):
            shot["direction"] = value  # 'the camera pans to the right'
            return None
        if kind == "dir":
            if value == "around" and shot is not None:
                return "around"
            if value == "across":  # 'walks across the street' crosses it; elsewhere it goes left to right
                for a in cur:
                    if a.fields["verb"] in MOTION and "direction" not in a.fields:
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

    def watching(self, act: Act) -> bool:
        """Whether ``act`` attends to something that moves: watching, following, chasing it."""
        verb = act.fields["verb"]
        return verb in ("follow", "chase") or (verb == "look_at" and act.stem in lex.SEEING)

    def latest_mover(self, acting: set[str]) -> str | None:
        """The latest thing (not one of ``acting``) that moves in an earlier action: what 'it' means to a watcher."""
        for b in reversed(self.acts):
            thrown = b.fields.get("target") if b.fields["verb"] == "throw" else None
            if thrown and thrown not in acting:
                return thrown  # 'throws a frisbee and her dog catches it': what flies is the frisbee
            if b.actor not in acting and b.fields["verb"] in (*MOTION, "fall", "drop"):
                return b.actor
        return None

    def along_height(self, a: Act, key: str) -> bool:
        """Whether 'up' / 'down' ``key`` moves ``a``'s actor up or down along it: a climbing verb on anything, a
        walker, animal or ball on a thing one climbs (:data:`rules_lexicon.CLIMBABLE`: a ladder, tree, slide,
        stairs, hill ...); a vehicle drives onto a ramp's top instead."""
        ent = self._ent(key)
        if ent is None:
            return False
        if a.fields["verb"] in ("climb", "descend"):
            return True
        mover = catalog.lookup(self._ent(a.actor).cls) if self._ent(a.actor) is not None else None
        if mover is not None and mover.kind == "vehicle":
            return False
        return lex.climbable(catalog.lookup(ent.cls))

    def work_surface(self, key: str) -> bool:
        """Whether ``key`` is furniture people work at rather than sit or lie on (a counter, table, desk)."""
        ent = self._ent(key)
        info = catalog.lookup(ent.cls) if ent is not None else None
        return info is not None and info.archetype == "furniture" and info.name not in lex.PERSON_SEATS

    def next_leg(self, a: Act) -> Act:
        """After a way up or down something ('runs up the stairs', 'walks down the hill'), a destination is
        where the actor goes next, on foot (or as it went: 'runs'), once it is off the way."""
        verb = a.path if a.path in MOTION and a.path not in ("climb", "descend") else "walk"
        nxt = self.add_action([a.actor], verb, {"after": a.fields["id"]})[0]
        for k in ("pace", "speed"):
            if a.fields.get(k) is not None:
                nxt.fields[k] = a.fields[k]
        nxt.stem, nxt.beyond = a.stem, a.fields.get("to")
        return nxt

    def to_the_setting(self, cur: list[Act], word: str) -> None:
        """'rides his bike to the park', 'walks down the hill to the lake': a destination that is the scene's
        setting.  Its water (a lake, river or sea, which the kit lays behind the action) is reached at its
        shore (the place 'water'); any other setting is the whole place, so going to it is arriving in it: the
        actor comes into the view from outside it ('into_scene'), as one arrives at a park."""
        water = lex.SETTINGS.get(word) in WATER_SETTINGS or word == "water"
        for n, a in enumerate(cur):
            if a.path:
                a = cur[n] = self.next_leg(a)
            f = a.fields
            if f["verb"] not in MOTION or f["verb"] in ("follow", "chase", "lead") or f.get("to"):
                continue
            if water:
                f["to"] = "water"
                if f.get("direction") not in ("across", "around"):
                    f.pop("direction", None)
            elif not any(f.get(k) for k in ("direction", "from", "via")):
                f["direction"] = "into_scene"

    def tows(self, a: Act, key: str, cur: list[Act]) -> bool:
        """'a tow truck tows a car down the street', 'a horse pulls a cart', 'a boy drags a sled': the puller goes
        its usual way and what it pulls follows just behind it (not pushed ahead of it)."""
        puller, load = self._ent(a.actor), self._ent(key)
        what = catalog.lookup(load.cls) if load is not None else None
        if puller is None or what is None or self.animate(key):
            return False
        if what.kind != "vehicle" and not (what.kind in ("prop", "ball") and what.size[1] < 1.5 and max(what.size) < 2.5):
            return False  # ('pulls the door', 'pulls the rope': in place)
        info = catalog.lookup(puller.cls)
        a.fields["verb"] = "drive" if info is not None and info.kind == "vehicle" else "walk"
        a.stem = "tow"
        cur.append(self._taken_along(a, key))
        return True

    def _taken_along(self, a: Act, key: str) -> Act:
        """The action of ``key`` going along with ``a``'s actor (towed, walked on a lead): it follows the actor,
        at the same time and the same way."""
        timing = {k: v for k, v in a.fields.items() if k in ("then", "while", "after", "start", "delay", "pace")}
        along = self.add_action([key], "follow", timing)[0]
        along.fields.update({k: v for k, v in a.fields.items() if k in ("direction", "from")})
        along.fields["target"] = a.actor
        return along

    def walks_an_animal(self, a: Act, key: str, cur: list[Act]) -> bool:
        """'a man walks his dog', 'a woman is walking two dogs': a person walking an animal takes it along (the
        animal walks the same way, just ahead of its walker, as on a lead) instead of walking to it.  The animal's
        action joins ``cur``, so what the clause says next ('along the river', 'to the gate') is its way too."""
        pet, walker = self._ent(key), self._ent(a.actor)
        if pet is None or walker is None or _kind(walker) != "person" or _kind(pet) != "animal" or a.stem != "walk" \
                or any(a.fields.get(k) for k in ("to", "via", "target")):
            return False
        led = self._taken_along(a, key)
        led.fields.update(relation="in_front_of", relative_to=a.actor)
        led.stem = "walk"
        self.companions[key] = a.actor
        if not any(r[0] == key and r[2] == a.actor for r in self.rels):
            self.rels.append((key, "near", a.actor))
        cur.append(led)
        return True

    def attach_np(self, key: str, cur: list[Act], prep: str | None, rel: str | None, subject: list[str],
                  shot: dict | None = None) -> None:
        """Give a noun phrase its role: relation object, action target / destination, or shot target."""
        if shot is not None and not cur and "target" not in shot:
            shot["target"] = key
            return
        if shot is not None and not cur:
            subject = [self.last_np] if self.last_np else []
        if rel is not None and (not cur or cur[0].fields["verb"] in STILL):
            subj = [s for s in subject if s != "camera"] or ([self.last_np] if self.last_np else [])
            if cur and cur[0].stem in lex.PLACING and cur[0].fields.get("target") not in (None, key):
                subj = [cur[0].fields["target"]]  # 'puts a cup on the table': the cup is on it
            elif rel == "on" and self.work_surface(key) and all(_kind(self._ent(s)) == "person" for s in subj) and subj:
                if cur and cur[0].fields.get("target") not in (None, key):  # 'cuts vegetables on the counter'
                    subj = [cur[0].fields["target"]]
                else:
                    rel = "near"  # 'a chef works on the counter': at it, not standing on it
            if self.rels and self.rels[-1][2] == self.last_np and self.chain_open:
                subj = [self.last_np]  # a mug on a book on the table; a robot in a box under a table
            for s in subj:
                if s != key:
                    self.rels.append((s, self._inside_or_near(s, key) if rel == "in" else rel, key))
            self.chain_open = True
            return
        for n, a in enumerate(cur):
            if prep in ("to", "towards", "toward", "into") and a.path and a.actor != key:
                a = cur[n] = self.next_leg(a)  # 'walks down the hill to the lake': then on to it
            verb = a.fields["verb"]
            if a.actor == key:
                continue
            if prep in ("to", "towards", "toward", "into", "onto", "on"):
                if a.beyond and a.beyond != key and not self.animate(key) and not any(key in (r[0], r[2]) for r in self.rels):
                    self.rels.append((key, "near", a.beyond))  # 'runs up the stairs to the door': by the stairs
                if verb in ("look_at", "wave", "throw") and prep != "into":
                    a.fields["target" if verb != "throw" else "to"] = key
                elif verb in RELATIVE and verb not in ("approach", "meet"):
                    a.fields["to"] = key
                else:
                    a.fields["to"] = key
                if prep in ("onto", "on") and verb not in STILL_ONLY:
                    a.fields["direction"] = "up"  # 'jumps onto the chair': ends on top of it
            elif prep == "away":
                a.fields["from"] = key
            elif prep == "after" and verb in MOTION:
                a.fields.update(verb="chase", target=key)  # 'runs after the cat'
            elif prep in ("up", "down") and verb in MOTION and self.along_height(a, key):
                # 'climbs down the ladder', 'slides down the slide', 'goes up the stairs': up or down along it
                a.fields.update(to=key, direction=prep)
                a.path = verb
                if verb not in ("climb", "descend"):
                    a.fields["verb"] = "climb" if prep == "up" else "descend"
            elif prep == "up" and verb in MOTION:
                a.fields["to"] = key
                a.fields["direction"] = "up"  # 'drives up the ramp': onto its top
                a.path = verb
            elif prep in ("from", "off"):
                a.fields["from"] = key
                if prep == "off" and verb in ("roll", "move", "fall") and not self.animate(a.actor) and \
                        self._ent(key) is not None and (catalog.lookup(self._ent(key).cls) or catalog.CATALOG["box"]).support:
                    a.fields["verb"] = verb = "drop"  # 'the ball rolls off the table': from its top over the edge
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
                if a.guessed:  # 'herds the sheep from left to right': what it acts on, not where it goes
                    a.fields.setdefault("target", key)
                elif verb == "push" and a.stem in TOWING and self.tows(a, key, cur):
                    pass  # 'a tow truck tows a car', 'a horse pulls a cart': it comes along behind
                elif verb in ("throw", "drop", "look_at", "orbit", "wave") or verb in RELATIVE:
                    a.fields.setdefault("target", key)
                elif verb in ("cross", "jump"):
                    a.fields["via"] = key
                elif verb in ("climb",):
                    a.fields.update(to=key, direction="up")
                elif verb in ("leave", "exit") or a.fields.get("direction") == "out_of_scene":
                    a.fields["from"] = key
                elif verb in ("walk", "run") and self.walks_an_animal(a, key, cur):
                    pass  # 'walks his dog along the river': both go, the dog just ahead of its walker
                elif verb == "drive" and self.at_the_wheel(a.actor, key):
                    a.fields.update(verb="ride", target=key)  # 'a woman drives a car': the car moves, she is in it
                else:
                    a.fields["to"] = key
