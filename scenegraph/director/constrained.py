"""Decoding constrained to a JSON Schema: a character-level automaton and a token mask.

:class:`JsonGrammar` compiles the subset of JSON Schema that pydantic emits
(objects, arrays, strings, numbers with bounds, enums, const, anyOf, $ref) into
a pushdown automaton over characters that accepts compact JSON only (no
whitespace, no string escapes), keys in the declared order (optional ones may
be skipped), strings, arrays and numbers of bounded length, so that every
path closes within a bounded number of characters.  Extension keywords tie
strings together, which JSON Schema cannot say:

- ``x-capture: NAME`` records a string's value in the set ``NAME``;
- ``x-distinct: true`` refuses a value already in its capture set;
- ``x-ref: NAME`` allows only values already captured in ``NAME`` (plus ``x-extra``);
- ``x-not-sibling: KEY`` refuses the value of the sibling property ``KEY``.

:class:`scenegraph.director.token_mask.TokenMask` turns a grammar state into
the set of allowed token ids of a tokenizer's vocabulary.  Nothing here
imports torch.

>>> g = JsonGrammar({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 3}},
...                  "required": ["n"]})
>>> g.accepts('{"n":2}'), g.accepts('{"n":4}'), g.accepts('{"n": 2}')
(True, False, False)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenegraph.errors import BackendError

__all__ = ["JsonGrammar"]

_DIGITS = "0123456789"
_NUMBER_START = "-" + _DIGITS


def _plain(ch: str) -> bool:
    """Characters allowed unescaped inside a generated string."""
    return ch not in '"\\' and ord(ch) >= 0x20 and ch not in "\u2028\u2029"


# --------------------------------------------------------------------------
# compiled schema nodes (compared by identity)
# --------------------------------------------------------------------------


@dataclass(eq=False)
class _Obj:
    props: list = field(default_factory=list)  # [(name, key text '"name":', node, required)]


@dataclass(eq=False)
class _Arr:
    item: Any = None
    min_items: int = 0
    max_items: int = 0


@dataclass(eq=False)
class _Str:
    min_len: int = 0
    max_len: int = 0
    capture: str | None = None
    distinct: bool = False
    ref: str | None = None
    extra: tuple = ()
    not_sibling: str | None = None


@dataclass(eq=False)
class _Num:
    integer: bool
    lo: int | None  # inclusive bounds in units of 10**-frac
    hi: int | None
    int_digits: int
    frac: int


@dataclass(eq=False)
class _Lit:
    options: tuple  # JSON texts


@dataclass(eq=False)
class _Union:
    options: list


class JsonGrammar:
    """A JSON Schema compiled to a character automaton; states are hashable tuples.

    ``max_string`` / ``max_items`` cap strings and arrays the schema leaves
    unbounded; ``int_digits`` / ``frac_digits`` cap numbers; ``max_depth``
    caps nesting.  Raises BackendError for schema features it cannot enforce.
    """

    def __init__(self, schema: dict, *, max_string: int = 48, max_items: int = 8,
                 int_digits: int = 6, frac_digits: int = 3, max_depth: int = 24):
        self.max_string, self.max_items = max_string, max_items
        self.int_digits, self.frac_digits, self.max_depth = int_digits, frac_digits, max_depth
        self._defs = schema.get("$defs", schema.get("definitions", {}))
        self._memo: dict[str, Any] = {}
        self._producible: dict = {}
        self.root = self._compile(schema)

    # -- schema -> nodes --------------------------------------------------
    def _compile(self, s: dict) -> Any:
        if "$ref" in s:
            name = s["$ref"].split("/")[-1]
            if name not in self._memo:
                if name not in self._defs:
                    raise BackendError(f"constrained decoding: schema reference {s['$ref']!r} is not defined")
                self._memo[name] = _Obj()  # placeholder first: a recursive schema refers to itself
                node = self._compile(self._defs[name])
                if isinstance(node, _Obj):
                    self._memo[name].props = node.props
                else:
                    self._memo[name] = node
            return self._memo[name]
        if "const" in s:
            return _Lit((json.dumps(s["const"], separators=(",", ":")),))
        if "enum" in s:
            return _Lit(tuple(json.dumps(v, separators=(",", ":")) for v in s["enum"]))
        if "anyOf" in s or "oneOf" in s:
            return _Union([self._compile(o) for o in s.get("anyOf") or s.get("oneOf")])
        if "allOf" in s and len(s["allOf"]) == 1:
            return self._compile({**{k: v for k, v in s.items() if k != "allOf"}, **s["allOf"][0]})
        t = s.get("type", "object" if "properties" in s else None)
        if isinstance(t, list):
            return _Union([self._compile({**s, "type": x}) for x in t])
        if t == "object":
            required = set(s.get("required", ()))
            props = [(k, json.dumps(k) + ":", self._compile(v), k in required) for k, v in s.get("properties", {}).items()]
            return _Obj(props)
        if t == "array":
            hi = min(s.get("maxItems", self.max_items), max(self.max_items, s.get("minItems", 0)))
            return _Arr(self._compile(s.get("items", {"type": "string"})), s.get("minItems", 0), hi)
        if t == "string":
            lo = s.get("minLength", 0)
            hi = max(lo, min(s.get("maxLength", self.max_string), self.max_string))
            return _Str(lo, hi, s.get("x-capture"), bool(s.get("x-distinct")), s.get("x-ref"),
                        tuple(s.get("x-extra", ())), s.get("x-not-sibling"))
        if t in ("number", "integer"):
            return self._number(s, t == "integer")
        if t == "boolean":
            return _Lit(("true", "false"))
        if t == "null":
            return _Lit(("null",))
        if t is None and not s:
            return _Union([_Str(0, self.max_string), self._number({}, False), _Lit(("true", "false", "null"))])
        raise BackendError(f"constrained decoding: unsupported schema {json.dumps(s)[:120]}")

    def _number(self, s: dict, integer: bool) -> _Num:
        frac = 0 if integer else self.frac_digits
        unit = 10 ** frac
        lo = hi = None
        if "minimum" in s:
            lo = -int(np.floor(-s["minimum"] * unit + 1e-9))
        if "exclusiveMinimum" in s:
            v = s["exclusiveMinimum"] * unit
            lo = max(lo if lo is not None else -10**30, int(np.floor(v + 1e-9)) + 1)
        if "maximum" in s:
            hi = int(np.floor(s["maximum"] * unit + 1e-9))
        if "exclusiveMaximum" in s:
            v = s["exclusiveMaximum"] * unit
            hi = min(hi if hi is not None else 10**30, -int(np.floor(-v + 1e-9)) - 1)
        return _Num(integer, lo, hi, self.int_digits, frac)

    # -- automaton --------------------------------------------------------
    def start(self) -> tuple:
        """The state before the first character: (frame stack, captured values)."""
        return (("V", self.root, None),), ()

    def is_complete(self, state: tuple) -> bool:
        """True when the characters so far form one whole JSON value of the schema."""
        stack, _ = state
        if not stack:
            return True
        return len(stack) == 1 and stack[0][0] in "NL" and _completable(stack[0])

    def advance(self, state: tuple, ch: str) -> tuple | None:
        """The state after ``ch``, or None when the schema does not allow it here."""
        stack, caps = state
        if not stack:
            return None
        top = stack[-1]
        rest = stack[:-1]
        kind = top[0]
        if kind == "V":
            return self._start_value(rest, caps, top[1], top[2], ch)
        if kind == "S":
            return self._in_string(rest, caps, top, ch)
        if kind == "N":
            return self._in_number(rest, caps, top, ch)
        if kind == "L":
            _, node, opts, pos = top
            keep = tuple(o for o in opts if len(o) > pos and o[pos] == ch)
            if keep:
                return rest + (("L", node, keep, pos + 1),), caps
            if _completable(top):
                return self.advance((rest, caps), ch)
            return None
        if kind == "O":
            return self._in_object(rest, caps, top, ch)
        if kind == "K":
            _, node, cands, pos, seen = top
            keep = tuple(c for c in cands if len(node.props[c][1]) > pos and node.props[c][1][pos] == ch)
            if not keep:
                return None
            done = [c for c in keep if len(node.props[c][1]) == pos + 1]
            if done:
                c = done[0]
                return rest + (("O", node, c + 1, "after", seen), ("V", node.props[c][2], node.props[c][0])), caps
            return rest + (("K", node, keep, pos + 1, seen),), caps
        if kind == "A":
            _, node, count, phase = top
            if ch == "]" and count >= node.min_items:
                return rest, caps
            if phase == "first":
                if node.max_items >= 1 and self.producible(node.item, caps):
                    return self._start_value(rest + (("A", node, 1, "after"),), caps, node.item, None, ch)
                return None
            if ch == "," and count < node.max_items and self.producible(node.item, caps):
                return rest + (("A", node, count + 1, "after"), ("V", node.item, None)), caps
            return None
        raise AssertionError(kind)

    def accepts(self, text: str) -> bool:
        """Whether ``text`` is a whole value the automaton produces (for tests and doctests)."""
        state = self.start()
        for ch in text:
            state = self.advance(state, ch)
            if state is None:
                return False
        return self.is_complete(state)

    def _start_value(self, stack: tuple, caps: tuple, node: Any, key: str | None, ch: str) -> tuple | None:
        if isinstance(node, _Union):
            for opt in node.options:
                out = self._start_value(stack, caps, opt, key, ch)
                if out is not None:
                    return out
            return None
        seen = stack[-1][4] if stack and stack[-1][0] == "O" else ()
        if not self._possible(node, seen, caps):
            return None
        if isinstance(node, _Obj):
            return (stack + (("O", node, 0, "first", ()),), caps) if ch == "{" and len(stack) < self.max_depth else None
        if isinstance(node, _Arr):
            return (stack + (("A", node, 0, "first"),), caps) if ch == "[" and len(stack) < self.max_depth else None
        if isinstance(node, _Str):
            return (stack + (("S", node, key, ""),), caps) if ch == '"' else None
        if isinstance(node, _Num):
            return self._in_number(stack, caps, ("N", node, ""), ch) if ch in _NUMBER_START else None
        if isinstance(node, _Lit):
            return self.advance((stack + (("L", node, node.options, 0),), caps), ch)
        raise AssertionError(node)

    def _string_options(self, node: _Str, seen: tuple, caps: tuple) -> tuple | None:
        """The values a string may take (None = free text); ``seen``: its object's (key, string) pairs so far."""
        if node.ref is None:
            return None
        opts = tuple(v for name, v in caps if name == node.ref) + node.extra
        if node.not_sibling is not None:
            sib = dict(seen).get(node.not_sibling)
            opts = tuple(v for v in opts if v != sib)
        return opts

    def _possible(self, node: Any, seen: tuple, caps: tuple) -> bool:
        """Like :meth:`producible`, but a reference string also minds its siblings in ``seen``."""
        if isinstance(node, _Str) and node.ref is not None:
            return bool(self._string_options(node, seen, caps))
        if isinstance(node, _Union):
            return any(self._possible(o, seen, caps) for o in node.options)
        return self.producible(node, caps)

    def _in_string(self, rest: tuple, caps: tuple, top: tuple, ch: str) -> tuple | None:
        _, node, key, buf = top
        opts = self._string_options(node, rest[-1][4] if rest and rest[-1][0] == "O" else (), caps)
        if ch == '"':
            if opts is not None and buf not in opts:
                return None
            if len(buf) < node.min_len or (node.distinct and (node.capture, buf) in caps):
                return None
            if node.capture is not None:
                caps = caps + ((node.capture, buf),)
            if key is not None and rest and rest[-1][0] == "O":
                o = rest[-1]
                rest = rest[:-1] + (o[:4] + (o[4] + ((key, buf),),),)
            return rest, caps
        if not _plain(ch):
            return None
        new = buf + ch
        if opts is not None:
            if not any(o.startswith(new) for o in opts):
                return None
        elif len(new) > node.max_len:
            return None
        return rest + (("S", node, key, new),), caps

    def _in_number(self, rest: tuple, caps: tuple, top: tuple, ch: str) -> tuple | None:
        _, node, text = top
        new = text + ch
        if ch in _DIGITS or (ch == "-" and not text) or (ch == "." and not node.integer and "." not in text):
            if _number_prefix_ok(node, new):
                return rest + (("N", node, new),), caps
            return None
        if _completable(top):
            return self.advance((rest, caps), ch)
        return None

    def _keys(self, node: _Obj, idx: int, seen: tuple, caps: tuple) -> tuple:
        """Property indices that may come next: optional ones up to the first required one."""
        out = []
        for i in range(idx, len(node.props)):
            if self._possible(node.props[i][2], seen, caps):
                out.append(i)
            if node.props[i][3]:
                break
        return tuple(out)

    def _in_object(self, rest: tuple, caps: tuple, top: tuple, ch: str) -> tuple | None:
        _, node, idx, phase, seen = top
        if ch == "}" and phase in ("first", "after") and not any(p[3] for p in node.props[idx:]):
            return rest, caps
        if phase == "after":
            if ch == "," and self._keys(node, idx, seen, caps):
                return rest + (("O", node, idx, "next", seen),), caps
            return None
        if ch == '"':
            cands = self._keys(node, idx, seen, caps)
            if cands:
                return rest + (("K", node, cands, 1, seen),), caps
        return None

    def producible(self, node: Any, caps: tuple) -> bool:
        """Whether some value of ``node`` can be written given the values captured so far."""
        if isinstance(node, (_Num, _Lit)):
            return True
        key = (id(node), caps)
        hit = self._producible.get(key)
        if hit is None:
            self._producible[key] = True  # recursion guard
            if isinstance(node, _Str):
                if node.ref is None:
                    hit = True
                else:
                    n = len({v for name, v in caps if name == node.ref} | set(node.extra))
                    hit = n >= (2 if node.not_sibling else 1)
            elif isinstance(node, _Obj):
                hit = all(self.producible(p[2], caps) for p in node.props if p[3])
            elif isinstance(node, _Arr):
                hit = node.min_items == 0 or self.producible(node.item, caps)
            elif isinstance(node, _Union):
                hit = any(self.producible(o, caps) for o in node.options)
            else:
                hit = True
            self._producible[key] = hit
        return hit

    # -- how far from the end ------------------------------------------------
    def closing_cost(self, state: tuple) -> int:
        """Fewest characters that turn ``state`` into a whole value (0 when complete)."""
        stack, caps = state
        total = 0
        for k, fr in enumerate(stack):
            kind = fr[0]
            if kind == "V":
                seen = stack[k - 1][4] if k and stack[k - 1][0] == "O" else ()
                total += self._value_cost(fr[1], seen, caps)
            elif kind == "S":
                node, buf = fr[1], fr[3]
                opts = self._string_options(node, stack[k - 1][4] if k and stack[k - 1][0] == "O" else (), caps)
                if opts is None:
                    total += max(0, node.min_len - len(buf)) + 1
                else:
                    total += min((len(o) - len(buf) for o in opts if o.startswith(buf)), default=0) + 1
            elif kind == "N":
                total += 0 if _completable(fr) else 1
            elif kind == "L":
                total += min(len(o) - fr[3] for o in fr[2])
            elif kind == "O":
                _, node, idx, phase, seen = fr
                req = self._required_cost(node, idx)
                if phase == "next":
                    n_req = sum(1 for p in node.props[idx:] if p[3])
                    if n_req:
                        total += req[0] + req[1] - 1 + 1
                    else:
                        total += 1 + min((len(node.props[i][1]) + self._value_cost(node.props[i][2], seen, caps)
                                          for i in self._keys(node, idx, seen, caps)), default=0)
                else:
                    total += 1 + req[0] + (req[1] if phase == "after" else max(0, req[1] - 1))
            elif kind == "K":
                _, node, cands, pos, seen = fr
                total += min(len(node.props[c][1]) - pos + self._value_cost(node.props[c][2], seen, caps) + 1
                             + sum(self._required_cost(node, c + 1)) for c in cands)
            elif kind == "A":
                _, node, count, phase = fr
                need = max(0, node.min_items - count)
                item = self._min_cost(node.item) if need else 0
                total += 1 + need * item + (need if phase == "after" else max(0, need - 1))
        return total

    def _required_cost(self, node: _Obj, idx: int) -> tuple[int, int]:
        """(characters of the required properties from ``idx`` on, their number) - the commas between them."""
        req = [p for p in node.props[idx:] if p[3]]
        return sum(len(p[1]) + self._min_cost(p[2]) for p in req), len(req)

    def _value_cost(self, node: Any, seen: tuple, caps: tuple) -> int:
        if isinstance(node, _Union):
            costs = [self._value_cost(o, seen, caps) for o in node.options if self._possible(o, seen, caps)]
            return min(costs, default=self._min_cost(node))
        if isinstance(node, _Str) and node.ref is not None:
            opts = self._string_options(node, seen, caps)
            return 2 + min((len(o) for o in opts), default=1)
        return self._min_cost(node)

    def _min_cost(self, node: Any) -> int:
        """Characters of the shortest value of ``node`` (references count one character)."""
        key = ("cost", id(node))
        hit = self._producible.get(key)
        if hit is not None:
            return hit
        self._producible[key] = 10**6  # recursion guard
        if isinstance(node, _Obj):
            req = [p for p in node.props if p[3]]
            hit = 2 + sum(len(p[1]) + self._min_cost(p[2]) for p in req) + max(0, len(req) - 1)
        elif isinstance(node, _Arr):
            hit = 2 + node.min_items * (self._min_cost(node.item) + 1) - (1 if node.min_items else 0)
        elif isinstance(node, _Str):
            hit = 2 + max(node.min_len, 1 if node.ref is not None else 0)
        elif isinstance(node, _Num):
            hit = 1
        elif isinstance(node, _Lit):
            hit = min(len(o) for o in node.options)
        else:
            hit = min(self._min_cost(o) for o in node.options)
        self._producible[key] = hit
        return hit

    def string_budget(self, state: tuple) -> int | None:
        """Characters a free string at the top of ``state`` may still take (None if not in one)."""
        stack = state[0]
        if stack and stack[-1][0] == "S" and stack[-1][1].ref is None:
            return stack[-1][1].max_len - len(stack[-1][3])
        return None


def _split_number(text: str) -> tuple[int, str, str | None]:
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if sign < 0 else text
    whole, dot, frac = body.partition(".")
    return sign, whole, (frac if dot else None)


def _number_prefix_ok(node: _Num, text: str) -> bool:
    """Whether ``text`` starts a number of ``node`` that can still land inside its bounds."""
    sign, whole, frac = _split_number(text)
    if len(whole) > node.int_digits or (frac is not None and (len(frac) > node.frac or not whole)):
        return False
    if len(whole) > 1 and whole[0] == "0":
        return False
    unit = 10 ** node.frac
    if frac is not None:
        free = node.frac - len(frac)
        base = (int(whole) * 10 ** len(frac) + int(frac or 0)) * 10 ** free
        lo, hi = base, base + 10 ** free - 1
        spans = [(lo, hi)]
    elif not whole:
        spans = [(0, 10 ** node.int_digits * unit - 1)]
    elif whole == "0":
        spans = [(0, unit - 1)]
    else:
        n = int(whole)
        spans = [(n * 10 ** k * unit, (n + 1) * 10 ** k * unit - 1) for k in range(node.int_digits - len(whole) + 1)]
    for a, b in spans:
        if sign < 0:
            a, b = -b, -a
        if (node.lo is None or b >= node.lo) and (node.hi is None or a <= node.hi):
            return True
    return False


def _completable(frame: tuple) -> bool:
    """Whether a number or literal frame already holds a whole value."""
    if frame[0] == "L":
        return any(len(o) == frame[3] for o in frame[2])
    node, text = frame[1], frame[2]
    sign, whole, frac = _split_number(text)
    if not whole or frac == "":
        return False
    value = sign * (int(whole) * 10 ** node.frac + int((frac or "").ljust(node.frac, "0") or 0))
    return (node.lo is None or value >= node.lo) and (node.hi is None or value <= node.hi)
