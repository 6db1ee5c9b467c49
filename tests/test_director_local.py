"""Local-model director: a tiny random model built from configs in a temp dir, decoding held to the schema."""
from __future__ import annotations

import json
import random
import time
from typing import Literal, Optional

import pytest
from pydantic import BaseModel, Field

from scenegraph.director.constrained import JsonGrammar
from scenegraph.director.token_mask import TokenMask
from scenegraph.director.local import generation_schema
from scenegraph.errors import BackendError
from scenegraph.model.spec import SYSTEM_PROMPT, SceneSpec

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SAMPLE = json.dumps({
    "entities": [{"id": "car", "class": "car", "color": "red", "count": 2}, {"id": "man", "class": "person"}],
    "relations": [{"subject": "man", "relation": "left_of", "object": "car"}],
    "actions": [{"id": "a1", "actor": "car", "verb": "drive", "direction": "left_to_right", "speed": 3.5}],
    "camera": [{"type": "track", "target": "car"}],
    "environment": {"setting": "street", "road": True, "lights": [{"type": "point", "near": "car"}]},
    "duration": 8.0,
}, separators=(",", ":"))


def _save_tiny_model(path, *, chat_template: bool) -> None:
    """A byte-level BPE tokenizer trained here on a few texts, and a 2-layer random Llama."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|end|>", "<|pad|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([SYSTEM_PROMPT, SAMPLE] * 3, trainer=trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|pad|>")
    if chat_template:
        fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(path)
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
                                   eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    transformers.LlamaForCausalLM(cfg).save_pretrained(path)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-llama")
    _save_tiny_model(path, chat_template=True)
    return path


@pytest.fixture(scope="module")
def tiny_model_plain(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-llama-plain")
    _save_tiny_model(path, chat_template=False)
    return path


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_model_writes_a_valid_scenespec(tiny_model, seed):
    from scenegraph.director.local import direct_transformers

    t0 = time.perf_counter()
    spec, warnings = direct_transformers("a red car drives from left to right", tiny_model, seed=seed,
                                         max_string=8, max_items=2, max_new_tokens=1500)
    assert isinstance(spec, SceneSpec) and warnings == []
    assert time.perf_counter() - t0 < 30
    ids = [e.id for e in spec.entities]
    assert all(ids) and len(set(ids)) == len(ids)  # every entity named, uniquely
    for r in spec.relations:  # references resolve to entities written before them
        assert r.subject in ids and r.object in ids and r.subject != r.object


@pytest.mark.slow
def test_same_seed_same_reply_and_seeds_differ(tiny_model):
    from scenegraph.director.local import direct_transformers

    runs = [direct_transformers("two dogs", tiny_model, seed=s, max_string=8, max_items=2, max_new_tokens=200)[0]
            for s in (5, 5, 6)]
    dumps = [r.model_dump_json() for r in runs]
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


class Pet(BaseModel):
    name: str = Field(max_length=6)
    legs: int = Field(ge=0, le=8)
    kind: Literal["cat", "dog", "bird"]
    weight: Optional[float] = Field(None, gt=0, le=90)
    tags: list[str] = Field(default_factory=list, max_length=2)


@pytest.mark.slow
def test_any_pydantic_model_and_plain_prompt_format(tiny_model_plain):
    from scenegraph.director.local import direct_transformers

    for seed in range(3):
        pet, _ = direct_transformers("a cat", tiny_model_plain, seed=seed, schema_model=Pet, max_new_tokens=400)
        assert isinstance(pet, Pet) and 0 <= pet.legs <= 8 and len(pet.name) <= 6


class Story(BaseModel):
    lines: list[str] = Field(min_length=2, max_length=4)


@pytest.mark.slow
def test_small_token_budget_still_closes_the_json(tiny_model):
    """A random model fills strings to their cap (~100 tokens here); a 30-token budget forces an early close."""
    from scenegraph.director.local import direct_transformers

    for seed in range(3):
        story, warnings = direct_transformers("a story", tiny_model, seed=seed, schema_model=Story, max_new_tokens=30)
        assert 2 <= len(story.lines) <= 4
        assert warnings == ["transformers: the reply was closed early to fit max_new_tokens=30"]
    long, warnings = direct_transformers("a story", tiny_model, seed=0, schema_model=Story, max_new_tokens=400)
    assert sum(map(len, long.lines)) > sum(map(len, story.lines)) and warnings == []


def test_budget_below_the_shortest_reply_is_a_backend_error(tiny_model):
    from scenegraph.director.local import direct_transformers

    with pytest.raises(BackendError, match="cut off after 3 tokens"):
        direct_transformers("a cat", tiny_model, seed=0, schema_model=Pet, max_new_tokens=3)


def test_missing_or_empty_directory_is_a_backend_error(tmp_path):
    from scenegraph.director.local import direct_transformers

    with pytest.raises(BackendError, match="no-such-model"):
        direct_transformers("a red car", tmp_path / "no-such-model")
    with pytest.raises(BackendError, match="config.json"):
        direct_transformers("a red car", tmp_path)


# -- the grammar on its own: random walks over characters always end valid --------------------------


def _random_walk(grammar: JsonGrammar, rnd: random.Random, prefix: str = "") -> str:
    alphabet = [chr(c) for c in range(32, 127)]
    state, out = grammar.start(), prefix
    for ch in prefix:
        state = grammar.advance(state, ch)
    while not grammar.is_complete(state):
        options = [c for c in alphabet if grammar.advance(state, c) is not None]
        assert options, f"dead end after {out!r}"
        opening = [c for c in options if c not in "]}"]
        c = rnd.choice(opening if opening and rnd.random() < 0.85 else options)  # favour going deeper
        state, out = grammar.advance(state, c), out + c
    return out


def test_random_character_walks_give_valid_scenespecs():
    grammar = JsonGrammar(generation_schema(SceneSpec), max_string=6, max_items=3)
    reached = set()
    start = '{"entities":[{"id":"a","class":"x"},{"id":"b","class":"y"},'
    for seed in range(30):
        text = _random_walk(grammar, random.Random(seed), start if seed % 2 else "")
        spec = SceneSpec.model_validate_json(text)  # raises if not valid
        reached |= {k for k in ("relations", "actions", "camera") if getattr(spec, k)}
    assert reached == {"relations", "actions", "camera"}  # the walks do reach the references


def test_grammar_refuses_out_of_range_numbers_bad_keys_and_unknown_references():
    grammar = JsonGrammar(generation_schema(SceneSpec), max_string=8)
    assert grammar.accepts('{"entities":[{"id":"car","class":"car","count":2}]}')
    assert not grammar.accepts('{"entities":[{"id":"car","class":"car","count":0}]}')  # count >= 1
    assert not grammar.accepts('{"entities":[{"id":"car","class":"car","wings":2}]}')  # unknown key
    assert not grammar.accepts('{"entities":[{"id":"car","class":"car"}],'
                               '"relations":[{"subject":"car","relation":"near","object":"tree"}]}')
    assert not grammar.accepts('{"entities":[{"id":"a","class":"x"},{"id":"a","class":"y"}]}')  # ids unique
    assert grammar.accepts('{"entities":[{"id":"a","class":"x"},{"id":"b","class":"y"}],'
                           '"relations":[{"subject":"a","relation":"near","object":"b"}],'
                           '"actions":[{"id":"go","actor":"a","verb":"walk","to":"far_kerb","speed":1.25},'
                           '{"actor":"b","verb":"pause","duration":2,"after":"go"}]}')
    two = '{"entities":[{"id":"a","class":"x"}],"actions":['
    assert not grammar.accepts(two + '{"id":"go","actor":"a","verb":"walk","after":"go"}]}')  # not itself
    assert not grammar.accepts(two + '{"actor":"a","verb":"walk","after":"later"}]}')  # no such action


def test_token_mask_matches_character_walk():
    grammar = JsonGrammar({"type": "object", "properties": {"k": {"enum": ["left", "left_to_right"]}},
                           "required": ["k"]})
    texts = ['{"', 'k', '":', '"left', '_to', '_right', '"', '}', 'x', '"left"}', '{"k":"']
    mask = TokenMask(grammar, list(range(len(texts))), texts, vocab_size=len(texts))
    start = mask.allowed(grammar.start()).tolist()
    assert [texts[i] for i in start] == ['{"', '{"k":"']
    state = grammar.start()
    for ch in '{"k":"left':
        state = grammar.advance(state, ch)
    assert sorted(texts[i] for i in mask.allowed(state)) == ['"', '_to']


def test_direct_dispatches_transformers_targets(tiny_model):
    from scenegraph.director import direct

    spec, _ = direct("a red car", f"transformers:{tiny_model}", seed=0)
    assert isinstance(spec, SceneSpec)


def test_closing_cost_is_the_exact_number_of_characters_left():
    """From any reachable state, taking the cheapest character each time ends in exactly closing_cost steps."""
    grammar = JsonGrammar(generation_schema(SceneSpec), max_string=6, max_items=3)
    alphabet = [chr(c) for c in range(32, 127)]
    start = '{"entities":[{"id":"a","class":"x"},{"id":"b","class":"y"},'
    for seed in range(25):
        rnd = random.Random(seed)
        state, text = grammar.start(), ""
        for ch in start if seed % 2 else "":
            state, text = grammar.advance(state, ch), text + ch
        for _ in range(rnd.randint(0, 120)):
            options = [c for c in alphabet if grammar.advance(state, c) is not None]
            if grammar.is_complete(state) or not options:
                break
            deeper = [c for c in options if c not in "]}"] or options
            c = rnd.choice(deeper)
            state, text = grammar.advance(state, c), text + c
        cost, steps = grammar.closing_cost(state), 0
        while not grammar.is_complete(state):
            best = min((grammar.closing_cost(grammar.advance(state, c)), c)
                       for c in alphabet if grammar.advance(state, c) is not None)
            assert best[0] == grammar.closing_cost(state) - 1, text
            state, text, steps = grammar.advance(state, best[1]), text + best[1], steps + 1
        assert steps == cost
        SceneSpec.model_validate_json(text)


def test_token_mask_equals_brute_force_on_a_random_vocabulary():
    """The sorted-prefix walk allows exactly the tokens whose every character the grammar accepts."""
    rnd = random.Random(3)
    pieces = list('{}[]",:') + ["entities", "id", "class", "car", "relations", "subject", " ", "1", "0", ".5", "-"]
    texts = sorted({"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 4))) for _ in range(3000)})
    grammar = JsonGrammar(generation_schema(SceneSpec), max_string=8, max_items=3)
    mask = TokenMask(grammar, list(range(len(texts))), texts, vocab_size=len(texts))
    state, text = grammar.start(), ""
    for step in range(60):
        brute = [i for i, t in enumerate(texts) if mask._walk_one(state, t)]
        fast = mask.allowed(state).tolist()
        assert fast == brute, text
        if not fast or grammar.is_complete(state):
            break
        opening = [i for i in fast if "}" not in texts[i] and "]" not in texts[i]] or fast
        pick = texts[random.Random(step).choice(opening)]
        for ch in pick:
            state = grammar.advance(state, ch)
        text += pick
    assert len(text) > 20
