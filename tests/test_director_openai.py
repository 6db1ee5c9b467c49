"""OpenAI-compatible director against a real HTTP server on 127.0.0.1 that speaks the protocol."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scenegraph.director.openai_compat import chat_completions_url, direct_openai, parse_openai_target
from scenegraph.errors import BackendError
from scenegraph.model.spec import SceneSpec

GOOD = {
    "entities": [{"id": "car", "class": "car", "color": "red"}, {"id": "man", "class": "person"}],
    "relations": [{"subject": "man", "relation": "left_of", "object": "car"}],
    "actions": [{"actor": "car", "verb": "drive", "direction": "left_to_right"}],
}
SECRET = "sk-test-5ecret-never-print"


def _answer(content: str) -> dict:
    return {"id": "x", "object": "chat.completion", "model": "tiny",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}


class _Server:
    """Replies from a script, one entry per POST: (status, body dict or text, seconds to wait first)."""

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                body = json.dumps({"object": "list", "data": [{"id": "tiny-model", "object": "model"}]}).encode()
                self.send_response(200 if self.path.endswith("/v1/models") else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                outer.requests.append(json.loads(self.rfile.read(n)))
                outer.headers.append(dict(self.headers))
                status, body, wait = outer.script.pop(0) if outer.script else (500, "script exhausted", 0)
                if wait:
                    time.sleep(wait)
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_good_reply_gives_the_spec_and_sends_schema_seed_and_model():
    with _Server([(200, _answer(json.dumps(GOOD)), 0)]) as srv:
        spec, warnings = direct_openai("a red car drives from left to right", srv.url, seed=7)
    assert isinstance(spec, SceneSpec) and warnings == []
    assert [(e.cls, e.color) for e in spec.entities] == [("car", "red"), ("person", None)]
    assert spec.actions[0].direction == "left_to_right"
    req = srv.requests[0]
    assert req["seed"] == 7 and req["model"] == "tiny-model"
    fmt = req["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"] == SceneSpec.model_json_schema()
    assert req["messages"][-1] == {"role": "user", "content": "a red car drives from left to right"}


def test_invalid_json_is_retried_with_the_error_fed_back():
    with _Server([(200, _answer('{"entities": [ oops'), 0), (200, _answer(json.dumps(GOOD)), 0)]) as srv:
        spec, warnings = direct_openai("a red car", srv.url, model="m")
    assert spec.entities[0].cls == "car"
    assert len(srv.requests) == 2
    second = srv.requests[1]["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"entities": [ oops'}
    assert "not valid JSON" in second[-1]["content"] and second[-1]["role"] == "user"
    assert warnings and "not valid JSON" in warnings[0]


def test_schema_violation_names_the_field_then_fails_cleanly():
    bad = json.dumps({"entities": [{"class": "car", "count": 0, "wings": 2}]})
    with _Server([(200, _answer(bad), 0)] * 3) as srv:
        with pytest.raises(BackendError) as exc:
            direct_openai("a car", srv.url, model="m", max_retries=2)
    msg = str(exc.value)
    assert "after 3 attempt(s)" in msg and "entities.0.count" in msg and "entities.0.wings" in msg
    assert len(srv.requests) == 3
    assert "entities.0.count" in srv.requests[1]["messages"][-1]["content"]


def test_fenced_reply_is_accepted():
    with _Server([(200, _answer("```json\n" + json.dumps(GOOD) + "\n```"), 0)]) as srv:
        spec, _ = direct_openai("a red car", srv.url, model="m")
    assert spec.relations[0].relation == "left_of"


def test_timeout_is_retried_then_succeeds():
    with _Server([(200, _answer(json.dumps(GOOD)), 1.5), (200, _answer(json.dumps(GOOD)), 0)]) as srv:
        t0 = time.perf_counter()
        spec, warnings = direct_openai("a red car", srv.url, model="m", timeout_s=0.5)
    assert spec.entities[0].color == "red"
    assert time.perf_counter() - t0 < 1.4
    assert "no answer within 0.5 s" in warnings[0]


def test_server_that_always_times_out_gives_backend_error():
    with _Server([(200, _answer(json.dumps(GOOD)), 1.0)] * 2) as srv:
        with pytest.raises(BackendError, match="no answer within 0.5 s"):
            direct_openai("a red car", srv.url, model="m", timeout_s=0.5, max_retries=1)


def test_500_is_retried_and_persistent_500_names_the_status():
    with _Server([(500, {"error": {"message": "CUDA out of memory"}}, 0), (200, _answer(json.dumps(GOOD)), 0)]) as srv:
        spec, _ = direct_openai("a red car", srv.url, model="m")
    assert spec.entities[0].cls == "car" and len(srv.requests) == 2
    with _Server([(503, "overloaded", 0)] * 3) as srv:
        with pytest.raises(BackendError, match=r"HTTP 503 \(overloaded\)"):
            direct_openai("a red car", srv.url, model="m", max_retries=2)
        assert len(srv.requests) == 3


def test_json_schema_refused_with_400_falls_back_to_json_object():
    script = [(400, {"error": {"message": "response_format json_schema is not supported"}}, 0),
              (200, _answer(json.dumps(GOOD)), 0)]
    with _Server(script) as srv:
        spec, warnings = direct_openai("a red car", srv.url, model="m")
    assert srv.requests[1]["response_format"] == {"type": "json_object"}
    assert "json_schema" in srv.requests[1]["messages"][0]["content"] or "JSON Schema" in srv.requests[1]["messages"][0]["content"]
    assert spec.entities[0].cls == "car" and "json_object" in warnings[0]


def test_api_key_is_sent_as_bearer_but_never_shown(monkeypatch):
    monkeypatch.setenv("SCENEGRAPH_TEST_KEY", SECRET)
    script = [(500, {"error": {"message": f"bad things happened near {SECRET}"}}, 0)] * 2
    with _Server(script) as srv:
        with pytest.raises(BackendError) as exc:
            direct_openai("a red car", srv.url, model="m", api_key_env="SCENEGRAPH_TEST_KEY", max_retries=1)
    assert srv.headers[0]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in str(exc.value) and "HTTP 500" in str(exc.value)
    with _Server([(401, {"error": {"message": "invalid key " + SECRET}}, 0)]) as srv:
        with pytest.raises(BackendError, match="SCENEGRAPH_TEST_KEY") as exc:
            direct_openai("a red car", srv.url, model="m", api_key_env="SCENEGRAPH_TEST_KEY")
    assert SECRET not in str(exc.value)


def test_unreachable_server_and_bad_target_are_backend_errors():
    with _Server([]) as srv:
        url = srv.url
    with pytest.raises(BackendError, match="cannot reach"):
        direct_openai("a red car", url, model="m", timeout_s=2)
    with pytest.raises(BackendError, match="not an http"):
        parse_openai_target("openai:localhost-8000")


def test_target_and_endpoint_parsing():
    assert parse_openai_target("openai:http://h:1/v1#m") == ("http://h:1/v1", "m")
    assert parse_openai_target("https://api.example.com/v1") == ("https://api.example.com/v1", None)
    assert chat_completions_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_completions_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"


def test_direct_dispatches_openai_targets():
    from scenegraph.director import direct

    with _Server([(200, _answer(json.dumps(GOOD)), 0)]) as srv:
        spec, _ = direct("a red car drives from left to right", f"openai:{srv.url}#tiny", seed=3)
    assert spec.entities[0].color == "red" and srv.requests[0]["model"] == "tiny" and srv.requests[0]["seed"] == 3
