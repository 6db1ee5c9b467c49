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
        if j + 1 < len(toks) and toks[j].startswith("§rel:") and toks[j + 1] in lex.PRONOUNS:
            rel = toks[j].split(":", 1)[1]
            self.rels.append((key, self._inside_or_near(key, owner) if rel == "in" else rel, owner))
            return j + 2
        if j + 2 < len(toks) and toks[j] == "in" and toks[j + 1] in lex.PRONOUNS:
            self.rels.append((key, self._inside_or_near(key, owner), owner))
            return j + 2
        return None
