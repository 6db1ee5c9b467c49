"""The rules director's reading state: one action being built (:class:`Act`), one sentence (:class:`Clause`),
and the verb classes the readers consult.

Shared by the mixins of :class:`scenegraph.director.rules._Parser`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenegraph.director import rules_lexicon as lex

__all__ = ["Act", "Clause", "STILL", "TO_PLACE", "RELATIVE", "STILL_ONLY", "t_participle"]

#: verbs that stay where they are (a relation after them is where they do it)
STILL = ("pause", "wait", "sit", "stand", "lie", "look_at", "wave", "turn")
#: verbs whose relation names where they end up ('jumps on the bed', 'climbs into the car')
TO_PLACE = ("jump", "climb", "land", "fall", "drop", "throw", "approach", "descend", "take_off", "move")


#: verbs whose direct object is the other actor (SceneSpec 'target')
RELATIVE = ("follow", "chase", "overtake", "meet", "approach", "lead", "pass", "weave", "circle", "ride", "push",
             "carry")
STILL_ONLY = ("look_at", "wave", "pause", "wait")


def t_participle(word: str) -> bool:
    return word in lex.PARTICIPLES



@dataclass
class Act:
    fields: dict[str, Any]
    kerb_pause: bool = False
    stem: str = ""  # the verb the prompt used ('read' for look_at)
    guessed: str | None = None  # a verb form the director has no meaning for, read as a motion (see spec())
    path: str | None = None  # its 'to' ends a way up or down something ('walks down the hill'): the verb it had
    beyond: str | None = None  # it goes on from the end of that way: what the way was along

    @property
    def actor(self) -> str:
        return self.fields["actor"]


@dataclass
class Clause:
    """What one sentence has set up so far while it is read left to right."""

    subject: list[str] = field(default_factory=list)  # who acts (entity keys, or ['camera'])
    cur: list[Act] = field(default_factory=list)  # the actions of the current verb
    shot: dict[str, Any] | None = None  # the current camera shot
    pending_rel: str | None = None  # a relation waiting for its object
    pending_prep: str | None = None  # a preposition waiting for its noun phrase
    timing: dict[str, Any] = field(default_factory=dict)  # for the next action: then / while / start / delay
    lead_while: bool = False  # 'While A ..., B ...': B runs with A
    first_in_sentence: list[Act] = field(default_factory=list)
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
    subject_ing: bool = False  # the current actions are the subject's '-ing' verb ('a man riding a bicycle ...')
