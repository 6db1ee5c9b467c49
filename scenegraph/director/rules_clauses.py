"""Clause-level readers of the rules director: repetition, returns, formations, event clauses, 'where'.

Mixed into :class:`scenegraph.director.rules._Parser`; each reader looks at the
token at ``i`` of a sentence and returns where to go on (None: not its word).

- repetition: "twice", "three times", "again" (the actor's last motion once
  more), "back and forth" (``back_and_forth``), "... and back" (``returns``),
  "walks back" (the verb ``return``);
- formations: "in a row", "side by side", "one behind the other", "in pairs",
  "in a circle" (a single mover goes around instead);
- event clauses: "after / once / when / as soon as X happens, Y" and
  "Y after / before / once X happens": Y's first action is ``after`` X's last;
  "before" the other way round; actions are reordered so that every ``after``
  names an earlier action (as SceneSpec requires);
- "where" binds the place of the clause it opens ("a bench where four people
  are sitting": the people sit on the bench).
"""
from __future__ import annotations

from typing import Any

from scenegraph.director import rules_lexicon as lex
from scenegraph.director.rules_order import MOTION as MOTION_VERBS

__all__ = ["ClauseReader", "CONJUNCTIONS"]

#: words that open an event clause, and what the other clause does relative to it
CONJUNCTIONS = {"after": "after", "once": "after", "when": "after", "whenever": "after", "before": "before",
                "until": "until", "till": "until"}
_TIMES = {"once": 1, "twice": 2, "thrice": 3}


class ClauseReader:
    """Readers for words that shape a clause's time and its actors' arrangement."""

    acts: list
    ents: list
    rels: list
    last_np: str | None

    def after_verb(self, c: Any, cur: list) -> None:
        """A new verb's actions: the first of a main clause after 'After X happens, ...' waits for X."""
        if c.event is None:
            self.first_main_action(c, cur)

    # -- repetition and returns ---------------------------------------------
    def _repetition(self, c: Any, toks: list[str], i: int) -> int | None:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if t in ("twice", "thrice") or (t == "once" and not self._clause_follows(toks, i + 1)):
            self._set_repeat(c, _TIMES[t])
            return i + 1
        v = lex.number_value(t)
        if v is not None and nxt in ("times", "time") and v >= 1:
            self._set_repeat(c, int(min(v, 20)))
            return i + 2
        if t == "again":
            self._again(c)
            return i + 1
        if t == "§bf":
            if c.cur:
                for a in c.cur:
                    a.fields["back_and_forth"] = True
            else:
                c.timing["back_and_forth"] = True
            return i + 1
        if t == "back" and c.cur and c.shot is None:
            prev = toks[i - 1] if i else ""
            if nxt in ("to", "towards", "toward", "into", "onto", "§onto", "§dir:towards_camera", "home"):
                return i + 1  # 'walks back to the car': a destination follows
            moved = [a for a in c.cur if a.fields.get("to") or a.fields.get("via") or a.fields.get("direction")
                     or a.fields.get("relation")]
            if prev == "and" and moved:
                for a in c.cur:
                    a.fields["returns"] = True  # 'runs to the tree and back'
            elif a_moved(self, c.cur) and not moved:
                for a in list(c.cur):  # 'walks back', 'comes back': where it came from
                    if a.fields["verb"] == "carry" and a.fields.get("target"):  # 'brings it back': takes it along
                        a.fields.setdefault("distance", 0.5)
                        self.add_action([a.actor], "return", {})
                    else:
                        a.fields["verb"] = "return"
            return i + 1
        return None

    def _set_repeat(self, c: Any, n: int) -> None:
        if c.cur:
            for a in c.cur:
                a.fields["repeat"] = n
        elif self.acts:
            for a in self.acts[-1:]:
                a.fields["repeat"] = n

    def _again(self, c: Any) -> None:
        """'... again': the actor's last action once more (unless this clause's verb is the repetition)."""
        if c.cur:
            return
        who = c.subject if c.subject and c.subject != ["camera"] else []
        for actor in who:
            prev = [a for a in self.acts if a.actor == actor]
            if prev:
                f = {k: v for k, v in prev[-1].fields.items()
                     if k not in ("id", "then", "while", "after", "start", "delay")}
                self.add_action([actor], f.pop("verb"), {})[0].fields.update(f)

    # -- formations -----------------------------------------------------------
    def _formation(self, c: Any, toks: list[str], i: int) -> int | None:
        t = toks[i]
        if not t.startswith("§form:"):
            return None
        kind = t.split(":", 1)[1]
        groups = [k for k in (c.subject or []) if k != "camera" and (self._ent(k) and self._ent(k).count > 1)]
        if not groups and c.subject and len(c.subject) > 1:
            groups = []  # 'a man and a woman walk side by side': two entities, one beside the other
            if kind in ("side_by_side", "row", "pairs"):
                for a, b in zip(c.subject, c.subject[1:]):
                    self.rels.append((b, "right_of", a))
                for act in c.cur:
                    others = [x for x in c.cur if x.actor != act.actor]
                    if others and act is not c.cur[0]:
                        act.fields.setdefault("relation", "right_of")
                        act.fields.setdefault("relative_to", c.cur[0].actor)
            elif kind == "line":
                for a, b in zip(c.subject, c.subject[1:]):
                    self.rels.append((b, "behind", a))
            return i + 1
        if kind == "circle" and not groups:
            for a in c.cur:  # 'runs in a circle'
                a.fields["direction"] = "around"
            if not c.cur:
                c.timing["direction"] = "around"
            return i + 1
        if not groups and self.last_np and self._ent(self.last_np) and self._ent(self.last_np).count > 1:
            groups = [self.last_np]
        for k in groups:
            self._ent(k).formation = kind
        return i + 1

    # -- event clauses --------------------------------------------------------
    def _events(self, c: Any, toks: list[str], i: int) -> int | None:
        t = toks[i]
        if t not in CONJUNCTIONS or not self._clause_follows(toks, i + 1):
            return None
        kind = CONJUNCTIONS[t]
        if c.cur or c.first_in_sentence or c.shot is not None:  # 'Y ... after X happens'
            c.main = [a for a in self.acts[c.sentence_from:]]
            c.main_shots = list(c.shots_here)
            c.event = "post_" + kind
        else:  # 'After X happens, Y ...'
            c.event = kind
        c.event_from = len(self.acts)
        c.subject, c.cur, c.shot, c.pending_prep, c.pending_rel, c.during = [], [], None, None, None, None
        c.timing = {}
        c.first_in_sentence = []
        return i + 1

    def _clause_follows(self, toks: list[str], j: int) -> bool:
        """Whether a clause (a noun phrase or a pronoun, then a verb) starts at ``j``."""
        k = j
        if k < len(toks) and toks[k] in lex.PRONOUNS:
            k += 1
        else:
            _, end, special = self.noun_phrase(toks, k, dry=True)
            if end == k and special is None:
                return False
            k = end
        for t in toks[k:k + 4]:
            if t in lex.VERB_FORMS or t in lex.STATIC_VERBS or t in lex.CONTEXT_VERBS or t.startswith("§verb:"):
                return True
            if t == "," or t.startswith("§then"):
                return False
        return False

    def close_event(self, c: Any, at_end: bool = False) -> None:
        """At a comma or the sentence's end: tie the event clause to the clause it times."""
        if c.event is None:
            return
        event_acts = self.acts[c.event_from:]
        if c.event.startswith("post_"):
            if not at_end:
                return
            kind = c.event[5:]
            self._tie(c.main, event_acts, kind, c)
            c.event = None
            return
        if not event_acts:
            return
        c.pending_event = (c.event, event_acts)
        c.event = None

    def first_main_action(self, c: Any, acts: list) -> None:
        """The first actions of the main clause after a leading event clause: time them."""
        pending = getattr(c, "pending_event", None)
        if not pending or not acts:
            return
        kind, event_acts = pending
        c.pending_event = None
        self._tie(acts, event_acts, kind, c, leading=True)

    def _tie(self, main: list, event_acts: list, kind: str, c: Any, leading: bool = False) -> None:
        if not main or not event_acts:
            return
        if kind == "until":
            self._until(main, event_acts)
            return
        self._stopped(event_acts)
        if kind == "after":
            first, then = event_acts, main
        else:  # before: the event clause happens after the main one
            first, then = main, event_acts
        last = first[-1].fields["id"]
        order = [a for a in self.acts if a not in then] + then
        self.acts[:] = [a for a in order]
        heads = {}
        for a in then:  # each actor's first action in the later clause waits for the earlier one
            if a.actor not in heads:
                heads[a.actor] = a
                for k in ("then", "while", "start"):
                    a.fields.pop(k, None)
                a.fields["after"] = last

    def _until(self, main: list, event_acts: list) -> None:
        """'A until B': A runs with B and ends when B does ('walks until the car stops'); B by A's own actor
        says where A ends ('runs until it reaches the tree': to the tree) or only that it ends ('until it stops')."""
        own = {a.actor for a in main}
        if {b.actor for b in event_acts} <= own:
            for b in event_acts:
                goal = b.fields.get("to") or (b.fields.get("target") if b.fields["verb"] in ("approach", "meet") else None)
                for a in main:
                    if goal and a.actor == b.actor and a.fields["verb"] in MOTION_VERBS and not a.fields.get("to"):
                        a.fields["to"] = goal
                        a.fields.pop("direction", None)
                self.acts.remove(b)
            return
        event_acts = self._stopped(event_acts)
        self.acts[:] = [a for a in self.acts if a not in main] + main  # the event first: 'until' names it
        heads = {}
        for a in main:
            if a.actor not in heads:
                heads[a.actor] = a
                for k in ("then", "while", "start", "after"):
                    a.fields.pop(k, None)
                a.fields["while"] = event_acts[0].fields["id"]
                a.fields["until"] = event_acts[-1].fields["id"]

    def _stopped(self, event_acts: list) -> list:
        """'after the ball stops': a stop of something that never moved follows its usual motion first."""
        from scenegraph.model import catalog

        for a in list(event_acts):
            if a.fields["verb"] not in ("pause", "wait"):
                continue
            if any(b.actor == a.actor and b is not a and b.fields["verb"] not in ("pause", "wait") for b in self.acts):
                continue
            ent = self._ent(a.actor)
            info = catalog.lookup(ent.cls) if ent is not None else None
            if info is None or not (info.mobile or info.kind == "ball"):
                continue
            verb = "roll" if info.kind == "ball" else (info.verbs[0] if info.verbs and info.verbs[0] in (
                "walk", "run", "drive", "fly", "swim", "move") else "move")
            moving = self.add_action([a.actor], verb, {k: v for k, v in a.fields.items()
                                                     if k in ("then", "while", "start", "after")})[0]
            self.acts.remove(moving)
            self.acts.insert(self.acts.index(a), moving)
            for k in ("then", "while", "start", "after"):
                a.fields.pop(k, None)
            a.fields["duration"] = a.fields.get("duration", 0.5)
            event_acts = [moving if b is a else b for b in event_acts]
            event_acts.insert(event_acts.index(moving) + 1, a)
        return event_acts

    # -- where ------------------------------------------------------------------
    def _where(self, c: Any, toks: list[str], i: int) -> int | None:
        if toks[i] != "where" or not self.last_np:
            return None
        c.where = self.last_np
        c.subject, c.cur, c.shot, c.subj_open = [], [], None, False
        c.pending_prep = c.pending_rel = c.during = None
        return i + 1


def a_moved(parser: Any, cur: list) -> bool:
    """Whether the actors of ``cur`` moved before this action (so 'back' has somewhere to go back to)."""
    for a in cur:
        before = [b for b in parser.acts if b.actor == a.actor and b is not a]
        if before:
            return True
    return False
