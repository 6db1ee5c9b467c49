"""Directors: text -> :class:`~scenegraph.model.spec.SceneSpec`.

``rules`` is the offline, deterministic English parser (the default);
``transformers:PATH`` runs a local model directory with decoding constrained to
the SceneSpec schema; ``openai:URL[#model]`` asks any OpenAI-compatible
``/v1/chat/completions`` server.  The model backends are imported lazily.

>>> spec, warnings = direct("a red car drives from left to right")
>>> [(e.cls, e.color) for e in spec.entities], spec.actions[0].direction
([('car', 'red')], 'left_to_right')
"""
from __future__ import annotations

from scenegraph.errors import SpecError
from scenegraph.model.spec import SYSTEM_PROMPT, SceneSpec

__all__ = ["direct", "SYSTEM_PROMPT"]


def direct(prompt: str, director: str = "rules", seed: int = 0) -> tuple[SceneSpec, list[str]]:
    """Turn ``prompt`` into a SceneSpec with the named director; returns (spec, warnings).

    Raises SpecError for an empty or unusable prompt or an unknown director,
    BackendError when a model backend fails.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise SpecError("the prompt is empty: describe a scene, e.g. 'a red car drives from left to right'")
    if not isinstance(director, str):
        raise SpecError(f"director: expected a string such as 'rules', got {director!r}")
    name, _, arg = director.partition(":")
    if name == "rules" and not arg:
        from scenegraph.director.rules import parse

        return parse(prompt)
    if name == "transformers" and arg:
        from scenegraph.director.local import direct_transformers

        return direct_transformers(prompt, arg, seed=seed)
    if name == "openai" and arg:
        from scenegraph.director.openai_compat import direct_openai

        url, _, model = arg.partition("#")
        return direct_openai(prompt, url, model=model or None, seed=seed)
    raise SpecError(
        f"unknown director {director!r}: expected 'rules', 'transformers:PATH' or 'openai:URL[#model]'"
    )
