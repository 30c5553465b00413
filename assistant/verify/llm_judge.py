"""The second judge: the local model asked "does the paper state the claim?", read from its logits.

The paper comes first in the prompt and the claim last, so checking several claims against
one paper reuses the paper's tokens already in llama.cpp's KV cache: each further check
computes only the claim's tokens. The score is P(yes) over the yes/no answer tokens.

The judge opens the answering model's GGUF file a second time: the weights are memory-mapped,
so they are shared, but the judge has its own context and KV cache. Answers keep their cached
prompt prefix, and a sentence can be checked while the draft is still being written.
Only a local GGUF model exposes logits; a server backend cannot be a judge.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.prompts import render
from assistant.errors import ModelError
from assistant.types import Paper
from assistant.verify.base import Support


def last_logits(llama: Any) -> np.ndarray:
    """The logits after the last evaluated token (llama-cpp-python 0.3.36 keeps them only in the context:
    `Llama.scores` is filled only with logits_all=True)."""
    import llama_cpp

    from assistant.llm.llamacpp import perf_context

    ptr = llama_cpp.llama_get_logits_ith(perf_context(llama), -1)
    return np.ctypeslib.as_array(ptr, shape=(llama.n_vocab(),)).copy()


def chat_formatter(llama: Any) -> Any:
    """The model's own chat template (read from the GGUF file), compiled once."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise ModelError("this GGUF file has no chat template; the LLM judge needs one")
    eos = llama.detokenize([llama.token_eos()]).decode(errors="ignore")
    bos = llama.detokenize([llama.token_bos()]).decode(errors="ignore") if llama.token_bos() >= 0 else ""
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


class LLMVerifier:
    """P(yes) from a llama.cpp model: its own context on the answering model's weights."""

    name = "llm"

    def __init__(self, path: Path, *, n_threads: int | None = None, n_gpu_layers: int = -1, n_ctx: int = 2048) -> None:
        import llama_cpp

        from assistant.llm.llamacpp import single_token_ids

        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        try:
            llama = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads or os.cpu_count() or 2,
                                    n_gpu_layers=(-1 if gpu else 0) if n_gpu_layers < 0 else n_gpu_layers,
                                    verbose=False)
        except Exception as e:  # llama.cpp raises ValueError for anything it cannot load
            raise ModelError(f"the LLM judge could not load {path}: {e}") from e
        self.model = path.name
        self.llama = llama
        self.lock = threading.Lock()  # one context: one check at a time
        self.format = chat_formatter(llama)
        self.system = render("verify_system")
        self.yes = single_token_ids(llama, ("yes", "Yes", " yes", " Yes", "YES"))
        self.no = single_token_ids(llama, ("no", "No", " no", " No", "NO"))

    def _score(self, tokens: list[int]) -> float:
        llama = self.llama
        have = llama.input_ids[: llama.n_tokens].tolist()
        same = 0
        for a, b in zip(have, tokens, strict=False):
            if a != b:
                break
            same += 1
        llama.n_tokens = min(same, len(tokens) - 1)  # recompute at least the last token for its logits
        llama.eval(tokens[llama.n_tokens:])
        logits = last_logits(llama)
        y, n = np.logaddexp.reduce(logits[self.yes]), np.logaddexp.reduce(logits[self.no])
        return float(1.0 / (1.0 + np.exp(n - y)))

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        llama = self.llama
        out = []
        with self.lock:
            for claim in claims:
                prompt = str(self.format(messages=[
                    {"role": "system", "content": self.system},
                    {"role": "user", "content": render("verify_user", title=paper.title, abstract=paper.abstract,
                                                       claim=claim)}]).prompt)
                tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
                out.append(Support(self._score(tokens), paper.abstract))
        return out
