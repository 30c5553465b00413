"""In-process llama.cpp via llama-cpp-python.

The chat template comes from the GGUF file, so callers pass plain messages. The KV cache
keeps the longest common token prefix between calls (llama-cpp-python does this by
itself), so a fixed prompt prefix is computed once. All layers go to the GPU when
llama.cpp was built with GPU support and `n_gpu_layers` is -1.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np

from assistant.config import LLMSettings
from assistant.errors import ModelError
from assistant.llm.base import ContextCopy, Usage


class LlamaCppLLM:
    """A GGUF model loaded once; calls are serialised (one context, one generation at a time)."""

    def __init__(self, path: Path, settings: LLMSettings, *, name: str | None = None) -> None:
        self.name = name or path.stem
        self.path = path
        self.gpu = bool(llama_cpp.llama_supports_gpu_offload())
        self.n_gpu_layers = (-1 if self.gpu else 0) if settings.n_gpu_layers < 0 else settings.n_gpu_layers
        self.n_threads = settings.n_threads or os.cpu_count() or 2
        try:
            self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=settings.n_ctx, n_threads=self.n_threads,
                                       n_gpu_layers=self.n_gpu_layers, verbose=False)
        except Exception as e:  # llama.cpp raises ValueError for anything it cannot load
            raise ModelError(f"llama.cpp could not load {path}: {e}; check that it is a complete GGUF model") from e
        self.n_ctx = settings.n_ctx
        self.lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    def describe(self) -> dict[str, str | int]:
        where = "CPU" if self.n_gpu_layers == 0 else f"GPU ({'all' if self.n_gpu_layers < 0 else self.n_gpu_layers} layers)"
        return {"model": self.name, "backend": "llama.cpp in-process", "device": where,
                "threads": self.n_threads, "n_ctx": self.n_ctx, "path": str(self.path)}

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float,
               stop: list[str] | None = None, usage: Usage | None = None,
               first_bias: dict[str, float] | None = None, keep: ContextCopy | None = None) -> Generation:
        """The pieces of one completion; close it (or use `with`) when you stop reading early."""
        return Generation(self._pieces(messages, max_tokens, temperature, stop or [],
                                       usage if usage is not None else Usage(), first_bias or {}, keep))

    def word_ids(self, word: str) -> list[int]:
        """The single tokens that spell `word` at the start of a reply (with or without a leading space)."""
        return single_token_ids(self.llm, (word, " " + word))

    def _first_token(self, bias: dict[str, float]) -> Any:
        """A logits processor that adds `bias` (word -> logit) at the first generated position only."""
        ids = [(self.word_ids(w), b) for w, b in bias.items()]
        start: list[int] = []

        def process(input_ids: Any, scores: Any) -> Any:
            if not start:
                start.append(len(input_ids))
            if len(input_ids) == start[0]:
                for toks, b in ids:
                    scores[toks] += b
            return scores

        return llama_cpp.LogitsProcessorList([process])

    def _pieces(self, messages: list[dict[str, str]], max_tokens: int, temperature: float, stop: list[str],
                usage: Usage, first_bias: dict[str, float],
                keep: ContextCopy | None) -> Generator[str, None, None]:
        with self.lock:
            ctx = perf_context(self.llm)
            llama_cpp.llama_perf_context_reset(ctx)
            chat: Any = messages
            chunks: Any = self.llm.create_chat_completion(
                messages=chat, max_tokens=max_tokens, temperature=temperature, stop=stop, stream=True,
                logits_processor=self._first_token(first_bias) if first_bias else None)
            n = 0
            with closing(chunks):
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    piece = choice["delta"].get("content") or ""
                    if choice.get("finish_reason"):
                        usage.finish_reason = choice["finish_reason"]
                    if piece:
                        n += 1
                        if keep is not None and not keep.data:
                            copy_context(self.llm, str(self.path), keep)
                        yield piece
            perf = llama_cpp.llama_perf_context(ctx)
            usage.prompt_eval_tokens = int(perf.n_p_eval)
            usage.prompt_ms = float(perf.t_p_eval_ms)
            usage.generate_ms = float(perf.t_eval_ms)
            usage.completion_tokens = max(n, int(perf.n_eval))
            usage.prompt_tokens = max(0, int(self.llm.n_tokens) - usage.completion_tokens)


class Generation(Generator[str, None, None]):
    """The pieces of one completion, generated while the model's lock is held.

    The lock is taken at the first piece and released when the pieces run out, on `close()`,
    or at the end of a `with` block: a reader that stops early (Stop in the UI, an error)
    frees the model at once, not whenever the garbage collector reaches an abandoned generator.
    """

    def __init__(self, pieces: Generator[str, None, None]) -> None:
        self._pieces = pieces

    def __next__(self) -> str:
        return next(self._pieces)

    def send(self, value: None) -> str:
        return self._pieces.send(value)

    def throw(self, *args: Any) -> str:
        return self._pieces.throw(*args)

    def close(self) -> None:
        self._pieces.close()

    def __enter__(self) -> Generation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def single_token_ids(llama: llama_cpp.Llama, words: tuple[str, ...]) -> list[int]:
    """The ids of those `words` that are one token each (the LLM judge's yes/no, the stance bias's "No")."""
    return sorted({t[0] for w in words if len(t := llama.tokenize(w.encode(), add_bos=False, special=False)) == 1})


def copy_context(llm: llama_cpp.Llama, model: str, into: ContextCopy) -> None:
    """Copy the KV cache of sequence 0 (all the context has read so far) into `into`."""
    ctx = perf_context(llm)
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buf = (ctypes.c_uint8 * size)()
    if llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0) != size:
        return  # nothing copied: the judge reads the prompt itself
    into.model, into.tokens, into.data = model, llm.input_ids[: llm.n_tokens].tolist(), bytes(buf)


def paste_context(llm: llama_cpp.Llama, copy: ContextCopy) -> bool:
    """Replace this context's sequence 0 with a copied cache; False (and an empty context) if it does not fit."""
    llm.n_tokens = 0
    if len(copy.tokens) >= llm.n_ctx():
        return False
    buf = (ctypes.c_uint8 * len(copy.data)).from_buffer_copy(copy.data)
    if llama_cpp.llama_state_seq_set_data(perf_context(llm), buf, len(copy.data), 0) == 0:
        return False
    llm.input_ids[: len(copy.tokens)] = copy.tokens
    llm.n_tokens = len(copy.tokens)
    return True


def second_context(llm: llama_cpp.Llama) -> llama_cpp.Llama:
    """A second llama.cpp context on the model `llm` has loaded: its own KV cache and batch, the same weights (and
    no second copy of llama.cpp's repacked weights, which a second `Llama` on the same file would make: ~0.75 GB
    for the default model on this CPU). `Llama.eval` and the helpers here work on it as on `llm`.

    With `perf_context`, the only reach into llama-cpp-python's internals (written for 0.3.36, checked by
    tests/test_llamacpp.py). It must not outlive `llm`, whose model it uses."""
    from llama_cpp import _internals

    second = object.__new__(type(llm))  # not copy.copy: Llama's __setstate__ would load the model again
    second.__dict__.update(llm.__dict__)
    second._stack = contextlib.ExitStack()  # closing the copy must not free the model the original owns
    second._ctx = _internals.LlamaContext(model=llm._model, params=llm.context_params, verbose=False)
    second._batch = _internals.LlamaBatch(n_tokens=llm.n_batch, embd=0, n_seq_max=llm.context_params.n_ctx,
                                          verbose=False)
    second.input_ids = np.zeros_like(llm.input_ids)
    second.n_tokens = 0
    return second


def perf_context(llm: llama_cpp.Llama) -> Any:
    """The llama_context that llama.cpp's perf counters (llama_perf_context*) take.

    With `second_context`, the only reach into llama-cpp-python beyond its chat API; written for
    llama-cpp-python 0.3.36, where `Llama.ctx` is a public property (tests/test_llamacpp.py
    checks it is still there after an upgrade).
    """
    return llm.ctx
