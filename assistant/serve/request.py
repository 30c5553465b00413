"""A chat-completions request, validated the way OpenAI's API does it, and errors in its JSON shape.

Known fields are checked (`messages`, `model`, `stream`, `temperature`, `max_tokens`,
`max_completion_tokens`, `n`, and the `k` extension: papers per question); `stop` and fields
this server does not know are ignored, as OpenAI-compatible servers do.

    >>> parse_chat({"messages": [{"role": "user", "content": "What is BOAT?"}], "k": 3}, max_messages=8).k
    3
    >>> parse_chat({"messages": "hi"}, max_messages=8)
    Traceback (most recent call last):
    ...
    assistant.serve.request.ApiError: 'messages' must be a list of {role, content} objects
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}  # all but user/assistant are ignored


class ApiError(Exception):
    """An error the API answers with: HTTP status plus OpenAI's {"error": {message, type, param, code}}."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass
class Message:
    role: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)  # what else the client sent with it (e.g. our `sources`)


@dataclass
class ChatRequest:
    messages: list[Message]
    model: str | None = None
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    k: int | None = None
    include_usage: bool = True

    @property
    def question(self) -> str:
        return self.messages[-1].text


def _text(content: Any, i: int) -> str:
    """A message's text: a string, or the text parts of OpenAI's list-of-parts form."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") in ("text", "input_text")]
        if all(isinstance(p, str) for p in parts):
            return "\n".join(parts)
    raise ApiError(400, f"messages[{i}].content must be a string or a list of text parts", param=f"messages[{i}].content")


def _number(body: dict[str, Any], name: str, lo: float, hi: float, *, integer: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        return None
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        kind = "an integer" if integer else "a number"
        raise ApiError(400, f"'{name}' must be {kind} from {lo:g} to {hi:g}; got {value!r}", param=name)
    return value


def parse_chat(body: Any, *, max_messages: int) -> ChatRequest:
    """The request, or ApiError(400) naming the field that is wrong."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    raw = body.get("messages")
    if raw is None:
        raise ApiError(400, "'messages' is required: the conversation, ending with the user's question",
                       param="messages")
    if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
        raise ApiError(400, "'messages' must be a list of {role, content} objects", param="messages")
    if not raw:
        raise ApiError(400, "'messages' is empty; send at least one user message", param="messages")
    if len(raw) > max_messages:
        raise ApiError(400, f"'messages' has {len(raw)} entries; the limit is {max_messages}. Send fewer earlier "
                       "turns.", param="messages")
    messages = []
    for i, m in enumerate(raw):
        role = m.get("role")
        if role not in ROLES:
            raise ApiError(400, f"messages[{i}].role {role!r} is not one of {', '.join(sorted(ROLES))}",
                           param=f"messages[{i}].role")
        if role in ("user", "assistant"):
            messages.append(Message(role, _text(m.get("content"), i),
                                    {k: v for k, v in m.items() if k not in ("role", "content")}))
    if not messages or messages[-1].role != "user" or not messages[-1].text.strip():
        raise ApiError(400, "the last user or assistant message must be the user's question, with text",
                       param="messages")
    _number(body, "n", 1, 1, integer=True)  # one choice per request
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise ApiError(400, "'model' must be a string", param="model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise ApiError(400, "'stream' must be true or false", param="stream")
    max_tokens = _number(body, "max_completion_tokens", 1, 4096, integer=True)
    if max_tokens is None:
        max_tokens = _number(body, "max_tokens", 1, 4096, integer=True)
    options = body.get("stream_options")
    return ChatRequest(
        messages=messages, model=model or None, stream=bool(stream),
        temperature=_number(body, "temperature", 0, 2), max_tokens=max_tokens,
        k=_number(body, "k", 1, 20, integer=True),
        include_usage=not isinstance(options, dict) or options.get("include_usage", True) is not False)


def parse_search(body: Any) -> tuple[str, int]:
    """The query and k of a /v1/search request."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        raise ApiError(400, "'query' is required: the text to search the papers for", param="query")
    return body["query"], _number(body, "k", 1, 100, integer=True) or 10
