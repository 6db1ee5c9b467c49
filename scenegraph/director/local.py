"""Director backed by a local transformers model directory, decoding constrained to the schema.

The model sees the director's instructions through its chat template (a plain
``System/User/Assistant`` layout when it has none) and may only write tokens
that keep the reply a compact JSON value of the SceneSpec schema (see
:mod:`scenegraph.director.constrained`): the reply always parses, and for
SceneSpec every entity gets a unique ``id`` and every reference names an
entity (or action) written before it, so it also passes SceneSpec's own
checks.  Nothing is downloaded: the directory must hold the tokenizer and
the weights.  torch and transformers are imported only when called.
"""
from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scenegraph.errors import BackendError

__all__ = ["direct_transformers", "generation_schema"]

_CLOSING_SLACK = 8  # tokens kept in hand before the budget forces the reply to close
_PLAIN_TEMPLATE = "System: {system}\n\nUser: {prompt}\n\nAssistant: "
# SceneSpec fields that name an entity; those that may also be a place word
_ENTITY_REFS = {
    "RelationSpec": ("subject", "object", "object2"),
    "ActionSpec": ("actor", "target", "from", "to", "via", "relative_to"),
    "ShotSpec": ("target",),
    "LightSpec": ("near",),
}
_PLACE_REFS = {("ActionSpec", f) for f in ("target", "from", "to", "via")}
# SceneSpec fields that name an action by its id (an action never names itself)
_ACTION_REFS = {"ActionSpec": ("after", "while", "until"), "ShotSpec": ("after",)}


def _require() -> tuple[Any, Any]:
    """(torch, transformers), or BackendError with an install hint."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise BackendError(
            f"transformers director: {exc.name or 'a dependency'} is not installed; install a CPU torch "
            "(pip install 'torch==2.13.0+cpu' --index-url https://download.pytorch.org/whl/cpu) and "
            "pip install 'scenegraph[ml]'") from None
    return torch, transformers


def generation_schema(schema_model: type[BaseModel], *, max_string: int = 48) -> dict:
    """The JSON Schema decoding follows: ``schema_model``'s, plus reference rules for SceneSpec.

    For SceneSpec, entity ``id`` becomes required and unique and every
    reference to an entity (or to an action in ``after`` / ``while``) may only
    name one written earlier, so the reply passes SceneSpec's own checks.
    """
    from scenegraph.model.spec import PLACES, SceneSpec

    schema = copy.deepcopy(schema_model.model_json_schema())
    if schema_model is not SceneSpec:
        return schema
    defs = schema["$defs"]
    ent = defs["EntitySpec"]
    ent["properties"]["id"] = {"type": "string", "minLength": 1, "maxLength": min(24, max_string),
                               "x-capture": "entity", "x-distinct": True}
    ent["required"] = ["id"] + [r for r in ent.get("required", []) if r != "id"]
    for model, fields in _ENTITY_REFS.items():
        for f in fields:
            props = _props(defs, model, f)
            ref = {"type": "string", "x-ref": "entity"}
            if (model, f) in _PLACE_REFS:
                ref["x-extra"] = list(PLACES)
            if (model, f) == ("RelationSpec", "object"):
                ref["x-not-sibling"] = "subject"
            props[f] = ref if f in defs[model].get("required", []) else {"anyOf": [ref, {"type": "null"}]}
    act = defs["ActionSpec"]["properties"]
    act["id"] = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": min(24, max_string),
                            "x-capture": "action", "x-distinct": True}, {"type": "null"}]}
    for model, fields in _ACTION_REFS.items():
        for f in fields:
            ref = {"type": "string", "x-ref": "action"}
            if model == "ActionSpec":
                ref["x-not-sibling"] = "id"
            _props(defs, model, f)[f] = {"anyOf": [ref, {"type": "null"}]}
    return schema


def _props(defs: dict, model: str, field: str) -> dict:
    """The properties of ``model`` in ``defs``, checked to hold ``field`` (SceneSpec and this table must agree)."""
    props = defs.get(model, {}).get("properties", {})
    if field not in props:
        raise BackendError(f"transformers director: SceneSpec has no {model}.{field}; update director/local.py")
    return props


@functools.lru_cache(maxsize=4)
def _load(path: str) -> tuple[Any, Any, tuple[list[int], list[str]]]:
    """(tokenizer, model, (token ids, token texts)) of a local model directory; cached per path."""
    torch, transformers = _require()
    p = Path(path)
    if not p.is_dir():
        raise BackendError(f"transformers director: {path!r} is not a directory holding a model")
    if not (p / "config.json").is_file():
        raise BackendError(f"transformers director: {path!r} has no config.json; point at a saved model directory")
    try:
        tok = transformers.AutoTokenizer.from_pretrained(str(p), local_files_only=True)
        model = transformers.AutoModelForCausalLM.from_pretrained(str(p), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackendError(f"transformers director: cannot load the model in {path!r}: {str(exc)[:300]}") from None
    model.eval()
    return tok, model, _token_texts(tok, len(tok))


@functools.lru_cache(maxsize=8)
def _mask(path: str, schema_model: type[BaseModel], max_string: int, max_items: int) -> Any:
    """The token mask of a model directory and schema; cached, so its per-state answers are reused."""
    from scenegraph.director.constrained import JsonGrammar
    from scenegraph.director.token_mask import TokenMask

    tok, _, (ids, texts) = _load(path)
    grammar = JsonGrammar(generation_schema(schema_model, max_string=max_string),
                          max_string=max_string, max_items=max_items)
    return TokenMask(grammar, ids, texts, vocab_size=len(tok))


def _token_texts(tok: Any, n: int) -> tuple[list[int], list[str]]:
    """The text each regular token adds after other text (so SentencePiece's leading space is kept)."""
    special = set(tok.all_special_ids)
    anchor = tok.encode("0", add_special_tokens=False)[-1:]
    head = tok.decode(anchor)
    ids, texts = [], []
    for i in range(n):
        if i in special:
            continue
        full = tok.decode(anchor + [i])
        text = full[len(head):] if full.startswith(head) else tok.decode([i])
        if text and "\ufffd" not in text:
            ids.append(i)
            texts.append(text)
    return ids, texts


def _render_prompt(tok: Any, system: str, prompt: str) -> str:
    if getattr(tok, "chat_template", None):
        messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        try:
            return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception:  # templates without a system role: fold it into the user turn
            messages = [{"role": "user", "content": f"{system}\n\n{prompt}"}]
            return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return _PLAIN_TEMPLATE.format(system=system, prompt=prompt)


def direct_transformers(
    prompt: str,
    path: str | os.PathLike,
    *,
    seed: int = 0,
    max_new_tokens: int = 1024,
    schema_model: type[BaseModel] | None = None,
    temperature: float = 0.7,
    max_string: int = 48,
    max_items: int = 8,
    deadline_s: float | None = None,
) -> tuple[BaseModel, list[str]]:
    """Run the local model at ``path`` on ``prompt`` -> (SceneSpec or ``schema_model`` instance, warnings).

    Sampling is seeded (``seed``) at ``temperature`` (0 = greedy) and bounded by
    ``max_new_tokens``: as the budget runs out only tokens that bring the end
    of the JSON nearer are allowed, so a reply closes whenever the budget
    holds its shortest completion.  ``max_string`` / ``max_items`` cap strings
    and arrays the schema leaves open.

    Generation stops after ``deadline_s`` seconds (default 300, or
    ``SCENEGRAPH_LLM_DEADLINE_S``); a reply not closed by then is an error.

    Raises BackendError when torch or transformers is missing, the directory
    holds no loadable model, or the reply is cut off or still fails validation.
    """
    import time

    from scenegraph.model.limits import env_number

    if deadline_s is None:
        deadline_s = env_number("SCENEGRAPH_LLM_DEADLINE_S", 300.0)
    started = time.monotonic()
    from scenegraph.director.openai_compat import validate_reply
    from scenegraph.model.spec import SYSTEM_PROMPT, SceneSpec

    schema_model = schema_model or SceneSpec
    torch, transformers = _require()
    where = str(Path(path).resolve())
    tok, model, _ = _load(where)
    mask = _mask(where, schema_model, max_string, max_items)
    grammar = mask.grammar
    system = SYSTEM_PROMPT if schema_model is SceneSpec else f"Reply with one JSON object of the {schema_model.__name__} schema."
    enc = tok(_render_prompt(tok, system, prompt), return_tensors="pt", add_special_tokens=False)
    eos = _eos_ids(tok, model)
    steer = _Steer(torch, mask, enc["input_ids"].shape[1], eos, max_new_tokens)
    processor, stopper = _hooks(transformers, steer)
    sample = temperature > 0
    kwargs: dict[str, Any] = dict(do_sample=sample, max_new_tokens=max_new_tokens, num_beams=1,
                                  logits_processor=transformers.LogitsProcessorList([processor]),
                                  stopping_criteria=transformers.StoppingCriteriaList([stopper]),
                                  pad_token_id=eos[0] if eos else 0,
                                  max_time=max(0.001, deadline_s - (time.monotonic() - started)))
    if sample:
        kwargs.update(temperature=temperature, top_k=0, top_p=1.0)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        try:
            model.generate(**enc, **kwargs)
        except _DeadEnd as exc:
            raise BackendError(f"transformers director: {path}: {exc}") from None
    if not grammar.is_complete(steer.state) and time.monotonic() - started >= deadline_s:
        raise BackendError(
            f"transformers director: {path}: no complete reply within the deadline of {deadline_s:g} s "
            f"(SCENEGRAPH_LLM_DEADLINE_S raises it; reply so far: {steer.text[:200]!r})")
    if not grammar.is_complete(steer.state):
        raise BackendError(
            f"transformers director: {path}: the reply was cut off after {max_new_tokens} tokens before the JSON "
            f"closed; raise max_new_tokens or lower max_items / max_string (reply so far: {steer.text[:200]!r})")
    result, error = validate_reply(steer.text, schema_model)
    if result is None:
        raise BackendError(f"transformers director: {path}: {error} (reply: {steer.text[:300]!r})")
    warnings = []
    if steer.forced_close:
        warnings.append(f"transformers: the reply was closed early to fit max_new_tokens={max_new_tokens}")
    return result, warnings


class _DeadEnd(RuntimeError):
    """The grammar allows no token (should not happen with a consistent schema)."""


def _eos_ids(tok: Any, model: Any) -> list[int]:
    out: list[int] = []
    for v in (tok.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        for i in (v if isinstance(v, (list, tuple)) else [v]):
            if i is not None and int(i) not in out:
                out.append(int(i))
    return out


def _hooks(transformers: Any, steer: "_Steer") -> tuple[Any, Any]:
    """A LogitsProcessor and a StoppingCriteria that defer to ``steer``."""

    class SchemaLogitsProcessor(transformers.LogitsProcessor):
        def __call__(self, input_ids, scores):
            return steer.logits(input_ids, scores)

    class SchemaComplete(transformers.StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return steer.done(input_ids)

    return SchemaLogitsProcessor(), SchemaComplete()


class _Steer:
    """Follows the generated tokens through the grammar and masks the logits of every refused token."""

    def __init__(self, torch: Any, mask: Any, prompt_len: int, eos: list[int], max_new_tokens: int):
        self.torch, self.mask, self.prompt_len, self.eos = torch, mask, prompt_len, eos
        self.max_new_tokens = max_new_tokens
        self.forced_close = False  # the budget cut the reply short of what the model wanted to write
        self.state = mask.grammar.start()
        self.seen = 0
        self.text = ""

    def _catch_up(self, input_ids: Any) -> None:
        new = input_ids[0, self.prompt_len + self.seen:].tolist()
        g = self.mask.grammar
        for t in new:
            self.seen += 1
            if t in self.eos and g.is_complete(self.state):
                continue
            piece = self.mask.text_of[t]
            for ch in piece:
                self.state = g.advance(self.state, ch)
            self.text += piece

    def logits(self, input_ids: Any, scores: Any) -> Any:
        """Scores (1, V) with every token the grammar refuses set to -inf."""
        if input_ids.shape[0] != 1:
            raise BackendError("transformers director: constrained decoding runs one sequence at a time")
        self._catch_up(input_ids)
        g = self.mask.grammar
        if g.is_complete(self.state):
            if not self.eos:
                return scores  # the stopping criterion ends generation here
            allowed = self.eos[:1]
        else:
            allowed = self.mask.allowed(self.state)
            # near the token budget, only tokens that bring the closing brackets nearer
            if g.closing_cost(self.state) + _CLOSING_SLACK >= self.max_new_tokens - self.seen:
                narrowed = self.mask.closing(self.state, allowed)
                self.forced_close |= narrowed.size < allowed.size
                allowed = narrowed
            allowed = allowed.tolist()
        if not allowed:
            raise _DeadEnd(f"no token can continue the reply {self.text[-80:]!r}")
        keep = self.torch.full_like(scores, float("-inf"))
        idx = self.torch.tensor([a for a in allowed if a < scores.shape[-1]], dtype=self.torch.long)
        keep[:, idx] = scores[:, idx]
        return keep

    def done(self, input_ids: Any) -> Any:
        """(batch,) bool: True once the reply is a whole JSON value."""
        self._catch_up(input_ids)
        return self.torch.full((input_ids.shape[0],), self.mask.grammar.is_complete(self.state), dtype=self.torch.bool)
