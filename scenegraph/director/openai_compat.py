"""Director backed by any OpenAI-compatible ``/v1/chat/completions`` server.

vLLM, llama.cpp's server, Ollama and OpenAI itself speak this protocol.  The
reply is asked for as JSON following the SceneSpec JSON Schema
(``response_format`` ``json_schema``, falling back to ``json_object`` where a
server refuses it); a reply that does not validate is sent back to the model
with the validation error, a bounded number of times.  Only the standard
library is used.  The API key comes from an environment variable, travels as
a Bearer token and never appears in a message or a log.

>>> parse_openai_target("openai:http://127.0.0.1:8000/v1#qwen2.5-7b")
('http://127.0.0.1:8000/v1', 'qwen2.5-7b')
>>> chat_completions_url("http://127.0.0.1:8000/v1")
'http://127.0.0.1:8000/v1/chat/completions'
"""
from __future__ import annotations

import json
import logging
import os
import re
import http.client
import socket
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

from pydantic import BaseModel, ValidationError

from scenegraph.errors import BackendError
from scenegraph.model.limits import MAX_REPLY_BYTES, env_number

__all__ = ["direct_openai", "parse_openai_target", "chat_completions_url", "validate_reply", "system_prompt"]

log = logging.getLogger(__name__)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def parse_openai_target(target: str) -> tuple[str, str | None]:
    """``'openai:URL#model'`` (or ``'URL#model'``) -> (URL, model or None); raises BackendError if no http(s) URL."""
    text = target[len("openai:"):] if target.startswith("openai:") else target
    url, _, model = text.partition("#")
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https") or not urllib.parse.urlsplit(url).netloc:
        raise BackendError(f"openai director: {target!r} is not an http(s) URL such as openai:http://127.0.0.1:8000/v1#model")
    return url, (model or None)


def chat_completions_url(url: str) -> str:
    """The chat-completions endpoint for a base URL (``.../v1``), a bare host, or the full endpoint."""
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not urllib.parse.urlsplit(url).path:
        url += "/v1"
    return url + "/chat/completions"


def system_prompt(schema_model: type[BaseModel]) -> str:
    """The director's instructions plus the JSON Schema the reply must follow."""
    from scenegraph.model.spec import SYSTEM_PROMPT, SceneSpec

    head = SYSTEM_PROMPT if schema_model is SceneSpec else "Reply with ONE JSON object that follows the JSON Schema below, nothing else.\n"
    schema = json.dumps(schema_model.model_json_schema(), separators=(",", ":"))
    return f"{head}\nJSON Schema:\n{schema}\n"


def validate_reply(text: str, schema_model: type[BaseModel]) -> tuple[BaseModel | None, str]:
    """Parse a model reply (a JSON object, optionally in a ``` fence) -> (instance, '') or (None, what is wrong)."""
    m = _FENCE.match(text)
    if m:
        text = m.group(1)
    try:
        return schema_model.model_validate_json(text), ""
    except ValidationError as exc:
        errs = exc.errors()
        if errs and errs[0].get("type") == "json_invalid":
            return None, f"the reply is not valid JSON ({errs[0].get('msg', '')})"
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ())) or '(root)'}: {e.get('msg', '')}" for e in errs[:8]]
        more = f"; ... and {len(errs) - 8} more" if len(errs) > 8 else ""
        return None, f"the reply does not follow the {schema_model.__name__} schema: {'; '.join(parts)}{more}"


class _Client:
    """POSTs JSON to one endpoint; knows the key only to send it and to scrub it from text.

    Every request ends by its deadline, however the server dribbles its answer: a timer shuts the
    socket down when the time is up (a per-read timeout would let one byte every few seconds hold a
    build forever), and an answer larger than ``max_bytes`` is cut off with an error.
    """

    def __init__(self, endpoint: str, key: str | None, timeout_s: float, max_bytes: int = MAX_REPLY_BYTES):
        self.endpoint, self.key, self.timeout_s, self.max_bytes = endpoint, key, timeout_s, max_bytes

    def scrub(self, text: str) -> str:
        return text.replace(self.key, "***") if self.key else text

    def request(self, url: str, body: dict | None, deadline: float | None = None) -> tuple[int, str]:
        """(HTTP status, body text); raises TimeoutError past ``timeout_s`` (or ``deadline``, a
        time.monotonic() value, if sooner), ReplyTooLarge, or OSError for other transport failures."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        end = time.monotonic() + self.timeout_s
        if deadline is not None:
            end = min(end, deadline)
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError("no time left")
        parts = urllib.parse.urlsplit(url)
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        try:
            conn = conn_cls(parts.hostname or "", parts.port, timeout=left)
        except (ValueError, http.client.HTTPException) as exc:
            raise OSError(str(exc)) from None
        expired = threading.Event()

        def _expire() -> None:
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(left, _expire)
        timer.daemon = True
        timer.start()
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST" if body is not None else "GET", path, body=data, headers=headers)
            resp = conn.getresponse()
            declared = resp.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise ReplyTooLarge(f"the answer declares {declared} bytes, more than {self.max_bytes}")
            chunks, total = [], 0
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                total += len(chunk)
                if total > self.max_bytes:
                    raise ReplyTooLarge(f"the answer is larger than {self.max_bytes} bytes")
                chunks.append(chunk)
            if expired.is_set():
                raise TimeoutError("the deadline passed")
            return resp.status, b"".join(chunks).decode("utf-8", "replace")
        except ReplyTooLarge:
            raise
        except (socket.timeout, TimeoutError):
            raise TimeoutError("the deadline passed") from None
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set():
                raise TimeoutError("the deadline passed") from None
            raise OSError(str(exc) or type(exc).__name__) from None
        finally:
            timer.cancel()
            conn.close()


class ReplyTooLarge(Exception):
    """The server's answer is larger than the client accepts."""


def _server_message(text: str) -> str:
    """The error message in an OpenAI-style error body, else the start of the body."""
    try:
        err = json.loads(text).get("error")
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)[:300]
    except (ValueError, AttributeError):
        pass
    return text.strip()[:300]


def _first_model(client: _Client, endpoint: str, deadline: float | None = None) -> str | None:
    """The first id the server lists under ``/models`` (None if it lists none or has no such route)."""
    url = endpoint[: -len("/chat/completions")] + "/models"
    try:
        status, text = client.request(url, None, deadline)
        data = json.loads(text)["data"] if status == 200 else []
        return str(data[0]["id"]) if data else None
    except (OSError, TimeoutError, ReplyTooLarge, ValueError, KeyError, IndexError, TypeError, RecursionError):
        return None


def direct_openai(
    prompt: str,
    url: str,
    *,
    model: str | None = None,
    seed: int = 0,
    api_key_env: str = "OPENAI_API_KEY",
    timeout_s: float | None = None,
    max_retries: int = 2,
    schema_model: type[BaseModel] | None = None,
    deadline_s: float | None = None,
    max_reply_bytes: int = MAX_REPLY_BYTES,
) -> tuple[BaseModel, list[str]]:
    """Ask the server at ``url`` for a SceneSpec (or ``schema_model``) for ``prompt`` -> (spec, warnings).

    ``model``: the served model's name (default: the first the server lists).
    ``seed`` is sent as the request's ``seed``.  Each request must be answered
    in full within ``timeout_s`` (default 60 s, or ``SCENEGRAPH_LLM_TIMEOUT_S``),
    and all requests of one call within ``deadline_s`` (default 180 s, or
    ``SCENEGRAPH_LLM_DEADLINE_S``): deadlines, not per-read timeouts, so a server
    that dribbles bytes still ends in time.  An answer over ``max_reply_bytes``
    is refused.  Timeouts, 5xx / 429 answers and replies that are not valid
    JSON or break the schema are retried up to ``max_retries`` times, the
    latter with the validation error fed back to the model.

    Raises BackendError naming the endpoint, HTTP status or validation problem
    (never the API key).
    """
    if schema_model is None:
        from scenegraph.model.spec import SceneSpec

        schema_model = SceneSpec
    if timeout_s is None:
        timeout_s = env_number("SCENEGRAPH_LLM_TIMEOUT_S", 60.0)
    if deadline_s is None:
        deadline_s = env_number("SCENEGRAPH_LLM_DEADLINE_S", 180.0)
    deadline = time.monotonic() + deadline_s
    endpoint = chat_completions_url(url)
    key = os.environ.get(api_key_env) or None
    client = _Client(endpoint, key, timeout_s, max_reply_bytes)
    if model is None:
        model = _first_model(client, endpoint, deadline)
    schema = schema_model.model_json_schema()
    formats = [
        {"type": "json_schema", "json_schema": {"name": schema_model.__name__, "schema": schema, "strict": True}},
        {"type": "json_object"},
    ]
    messages: list[dict[str, str]] = [
        {"role": "system", "content": system_prompt(schema_model)},
        {"role": "user", "content": prompt},
    ]
    warnings: list[str] = []
    problems: list[str] = []
    fmt = 0
    attempt = 0
    while attempt <= max_retries:
        body: dict[str, Any] = {"messages": messages, "response_format": formats[fmt], "seed": int(seed), "temperature": 0}
        if model:
            body["model"] = model
        if time.monotonic() >= deadline:
            problems.append(f"the deadline of {deadline_s:g} s for the whole request passed")
            break
        try:
            status, text = client.request(endpoint, body, deadline)
        except TimeoutError:
            problems.append(f"attempt {attempt + 1}: no answer within {min(timeout_s, deadline_s):g} s")
            attempt += 1
            continue
        except ReplyTooLarge as exc:
            raise BackendError(f"openai director: {endpoint}: {exc}") from None
        except OSError as exc:
            raise BackendError(f"openai director: cannot reach {endpoint}: {client.scrub(str(exc))}") from None
        if status == 400 and fmt == 0:
            fmt = 1  # the server refuses json_schema: ask for a JSON object, the schema is in the system prompt
            warnings.append(
                f"openai: {endpoint} refused response_format json_schema (HTTP 400: "
                f"{client.scrub(_server_message(text))}); asked for json_object instead")
            continue
        if status in (401, 403):
            raise BackendError(
                f"openai director: {endpoint} refused the credentials (HTTP {status}); "
                f"set the API key in the environment variable {api_key_env}")
        if status in _RETRY_STATUS:
            problems.append(f"attempt {attempt + 1}: HTTP {status} ({client.scrub(_server_message(text))})")
            attempt += 1
            if attempt <= max_retries:
                time.sleep(max(0.0, min(2.0, 0.2 * 2 ** attempt, deadline - time.monotonic())))
            continue
        if status != 200:
            raise BackendError(
                f"openai director: {endpoint} answered HTTP {status}: {client.scrub(_server_message(text))}")
        content = _content(text)
        if content is None:
            problems.append(f"attempt {attempt + 1}: the answer has no choices[0].message.content")
            attempt += 1
            continue
        result, error = validate_reply(content, schema_model)
        if result is not None:
            if problems:
                warnings.append(f"openai: {len(problems)} failed attempt(s) before a valid reply: {'; '.join(problems)}")
            return result, warnings
        problems.append(f"attempt {attempt + 1}: {error}")
        log.info("openai director: reply %d rejected: %s", attempt + 1, error)
        messages = messages + [
            {"role": "assistant", "content": content},
            {"role": "user", "content": f"That reply is invalid: {error}. Reply again with only the corrected JSON object."},
        ]
        attempt += 1
    raise BackendError(
        f"openai director: no valid {schema_model.__name__} from {endpoint} after {attempt} attempt(s): "
        + client.scrub("; ".join(problems)))


def _content(text: str) -> str | None:
    """choices[0].message.content of a chat-completions answer, or None."""
    try:
        content = json.loads(text)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        return None
    return content if isinstance(content, str) else None
