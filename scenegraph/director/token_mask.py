"""Which tokens of a vocabulary a :class:`~scenegraph.director.constrained.JsonGrammar` state allows.

A walk over the sorted token strings that reuses the automaton's state along
shared prefixes and skips every token that shares a refused prefix; free text
inside a string is answered by token length.  Nothing here imports torch.
"""
from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from scenegraph.director.constrained import JsonGrammar, _plain

__all__ = ["TokenMask"]


class TokenMask:
    """Which tokens of a vocabulary a grammar state allows.

    ``texts[i]`` is the string token ``ids[i]`` adds to the reply (tokens that
    decode to nothing or to a partial character are left out).
    """

    def __init__(self, grammar: JsonGrammar, ids: Sequence[int], texts: Sequence[str], vocab_size: int):
        self.grammar = grammar
        order = sorted(range(len(texts)), key=lambda i: texts[i])
        self.texts = [texts[i] for i in order]
        self.ids = np.asarray([ids[i] for i in order], dtype=np.int64)
        self.vocab_size = vocab_size
        self.text_of = {int(i): t for i, t in zip(self.ids, self.texts)}
        # common prefix length with the previous token string, to reuse states along the sorted list
        self.lcp = np.zeros(len(self.texts), dtype=np.int64)
        for k in range(1, len(self.texts)):
            a, b = self.texts[k - 1], self.texts[k]
            n = 0
            while n < len(a) and n < len(b) and a[n] == b[n]:
                n += 1
            self.lcp[k] = n
        lens = np.asarray([len(t) for t in self.texts], dtype=np.int64)
        plain = np.asarray([all(_plain(c) for c in t) for t in self.texts], dtype=bool)
        self._plain_ids, self._plain_lens = self.ids[plain], lens[plain]
        self._other = [k for k in range(len(self.texts)) if not plain[k]]
        self._other_ids = self.ids[~plain]
        self._cache: dict = {}

    def allowed(self, state: tuple) -> np.ndarray:
        """Sorted token ids (int64) whose whole text the grammar accepts from ``state``."""
        hit = self._cache.get(state)
        if hit is not None:
            return hit
        budget = self.grammar.string_budget(state)
        if budget is not None:  # inside free text: plain tokens by length, the rest one by one
            ok = self._plain_ids[self._plain_lens <= budget]
            more = [self.ids[k] for k in self._other if self._walk_one(state, self.texts[k])]
            out = np.unique(np.concatenate([ok, np.asarray(more, dtype=np.int64)]))
        else:
            out = np.unique(np.asarray(self._walk_all(state), dtype=np.int64))
        if len(self._cache) > 50_000:  # bounded memory across long or many replies
            self._cache.clear()
            self.grammar._producible.clear()
        self._cache[state] = out
        return out

    def closing(self, state: tuple, allowed: np.ndarray) -> np.ndarray:
        """The ``allowed`` tokens that bring the reply closer to its end (the closest ones if none does)."""
        g = self.grammar
        now = g.closing_cost(state)
        top = state[0][-1] if state[0] else None
        if g.string_budget(state) is not None and len(top[3]) >= top[1].min_len:
            # inside free text only a token holding the closing quote gets nearer the end
            quoted = allowed[np.isin(allowed, self._other_ids)]
            if quoted.size:
                allowed = quoted
        costs = []
        for t in allowed.tolist():
            after = state
            for ch in self.text_of[t]:
                after = g.advance(after, ch)
            costs.append(g.closing_cost(after))
        costs_a = np.asarray(costs)
        keep = costs_a < now
        return allowed[keep] if keep.any() else allowed[costs_a == costs_a.min()]

    def _walk_one(self, state: tuple, text: str) -> bool:
        for ch in text:
            state = self.grammar.advance(state, ch)
            if state is None:
                return False
        return True

    def _walk_all(self, state: tuple) -> list[int]:
        g, texts, lcp = self.grammar, self.texts, self.lcp
        out: list[int] = []
        states = [state]  # states[d]: after the first d characters of the current token string
        k, n = 0, len(texts)
        while k < n:
            t = texts[k]
            depth = min(int(lcp[k]), len(states) - 1) if k else 0
            del states[depth + 1:]
            failed_at = -1
            while depth < len(t):
                nxt = g.advance(states[depth], t[depth])
                if nxt is None:
                    failed_at = depth
                    break
                states.append(nxt)
                depth += 1
            if failed_at < 0:
                out.append(int(self.ids[k]))
                k += 1
                continue
            # skip every following token that shares the refused prefix t[:failed_at + 1]
            k = bisect.bisect_left(texts, t[:failed_at] + chr(ord(t[failed_at]) + 1), k + 1)
        return out
