"""Constrained decoding cost per step: allowed-token masks over a synthetic 100k-token vocabulary.

Prints JSON: milliseconds to compute the allowed set in typical SceneSpec states
(structural, free text, entity reference, number), and the one-off index build.
Run: python benchmarks/constrained_decoding.py
"""
from __future__ import annotations

import json
import random
import string
import time

from scenegraph.director.constrained import JsonGrammar
from scenegraph.director.token_mask import TokenMask
from scenegraph.director.local import generation_schema
from scenegraph.model.spec import SceneSpec

STATES = {
    "structural_ms": '{"entities":[{"id":"car","class":"car"}',
    "key_ms": '{"',
    "free_text_ms": '{"entities":[{"id":"car","class":"ca',
    "reference_ms": '{"entities":[{"id":"car","class":"car"},{"id":"man","class":"person"}],"relations":[{"subject":"',
    "number_ms": '{"entities":[{"id":"car","class":"car","count":1',
}


def vocabulary(n: int, seed: int = 0) -> list[str]:
    """n distinct token strings shaped like a BPE vocabulary (words, leading spaces, punctuation)."""
    rnd = random.Random(seed)
    alpha = string.ascii_letters + string.digits + " .,:;\"{}[]_-'()!?/\\\n"
    words = set(alpha)
    while len(words) < n:
        w = "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.choice([1, 2, 3, 4, 5, 6, 8, 10])))
        r = rnd.random()
        words.add(" " + w if r < 0.4 else w + rnd.choice("\",:}]") if r < 0.5 else w)
    return sorted(words)


def main() -> None:
    texts = vocabulary(100_000)
    grammar = JsonGrammar(generation_schema(SceneSpec))
    t0 = time.perf_counter()
    mask = TokenMask(grammar, list(range(len(texts))), texts, len(texts))
    out = {"vocab": len(texts), "index_build_ms": round((time.perf_counter() - t0) * 1000, 1)}
    for name, prefix in STATES.items():
        state = grammar.start()
        for ch in prefix:
            state = grammar.advance(state, ch)
        times = []
        for _ in range(5):
            mask._cache.clear()
            t0 = time.perf_counter()
            mask.allowed(state)
            times.append(time.perf_counter() - t0)
        out[name] = round(sorted(times)[2] * 1000, 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
