"""The one interface every LLM backend implements: stream a chat completion, count tokens."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Usage:
    """Filled in as a generation runs; final once its iterator is exhausted."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_eval_tokens: int = 0  # prompt tokens actually computed (the rest came from the prefix cache)
    prompt_ms: float = 0.0  # the engine's own prompt-processing time, where it reports it
    generate_ms: float = 0.0  # the engine's own generation time, where it reports it
    finish_reason: str | None = None
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class ContextCopy:
    """The model's KV cache right after it read a prompt, copied out so a second context on the same weights
    (the LLM judge) goes on from it instead of reading the prompt again. Filled by a backend that can copy
    its cache (in-process llama.cpp); left empty by one that cannot."""

    model: str = ""  # the GGUF file the cache belongs to: only a context on the same weights can use it
    tokens: list[int] = field(default_factory=list)  # the tokens the cache holds, in order
    data: bytes = b""  # llama.cpp's sequence state


class LLM(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float,
               stop: list[str] | None = None, usage: Usage | None = None,
               first_bias: dict[str, float] | None = None,
               keep: ContextCopy | None = None) -> Generator[str, None, None]:
        """Yield text pieces as they are generated; fill `usage` when done.

        `first_bias` adds to the logits of the first generated token, per word ({"No": 1.2}): a calibrated
        correction of the model's prior for how an answer opens. A backend that cannot bias one position
        (an OpenAI-compatible server's logit_bias holds for every token) ignores it.

        `keep`, where the backend can, receives a copy of the KV cache once the prompt is read (before the
        first piece is yielded); a backend that cannot leaves it empty.

        A backend may hold the model until the pieces run out: a caller that stops reading early
        closes the generator (`with closing(llm.stream(...)) as pieces:`).
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in the model's own tokenizer (an estimate where the backend cannot say)."""
        ...

    def describe(self) -> dict[str, str | int]:
        """Model name, backend, and where it runs (CPU or GPU layers)."""
        ...


def complete(llm: LLM, messages: list[dict[str, str]], **kw: object) -> str:
    """The whole completion as one string."""
    with closing(llm.stream(messages, **kw)) as pieces:  # type: ignore[arg-type]
        return "".join(pieces)
