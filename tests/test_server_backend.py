"""The OpenAI-compatible server backend's error paths, against a real HTTP server on localhost."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.config import LLMSettings
from assistant.errors import BackendError
from assistant.llm.base import Usage
from assistant.llm.server import OpenAIServerLLM
from tests.servers import free_port

MESSAGES = [{"role": "user", "content": "hi"}]


def sse(*events: object) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)


def delta(text: str) -> dict[str, object]:
    return {"choices": [{"delta": {"content": text}, "finish_reason": None}]}


@contextmanager
def server(status: int, body: bytes) -> Iterator[str]:
    """A server answering every POST with `status` and `body` (as an event stream when 200)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", "text/event-stream" if status == 200 else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def run(url: str, usage: Usage | None = None) -> str:
    llm = OpenAIServerLLM(LLMSettings(server_url=url, server_model="m"), timeout=10)
    return "".join(llm.stream(MESSAGES, max_tokens=16, temperature=0.0, usage=usage))


def test_a_well_formed_stream_gives_text_and_usage():
    usage = Usage()
    body = sse(delta("Hel"), delta("lo"), {"choices": [{"delta": {}, "finish_reason": "stop"}]},
               {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}, "[DONE]")
    with server(200, body) as url:
        assert run(url, usage) == "Hello"
    assert (usage.prompt_tokens, usage.completion_tokens, usage.finish_reason) == (7, 2, "stop")


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", '"text"'])
def test_a_malformed_event_is_a_backend_error_naming_the_server(bad):
    with server(200, sse(delta("Hel"), bad)) as url, pytest.raises(BackendError, match=f"server at {url}.*not"):
        run(url)


def test_an_error_status_is_a_backend_error_with_the_servers_reply():
    with server(500, b'{"error": "model not loaded"}') as url, \
            pytest.raises(BackendError, match=f"server at {url} answered 500.*model not loaded"):
        run(url)


def test_an_unreachable_server_says_so():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendError, match=f"cannot reach the LLM server at {url}.*is it running"):
        run(url)


def test_no_server_url_is_a_backend_error_not_an_assert():
    with pytest.raises(BackendError, match="--server-url"):
        OpenAIServerLLM(LLMSettings())
