"""The second judge: the local model asked "does the paper state the claim?", read from its logits.

The paper comes first in the prompt and the claim last, so checking several claims against
one paper reuses the paper's tokens already in llama.cpp's KV cache: each further check
computes only the claim's tokens. The score is P(yes) over the yes/no answer tokens.
The same prompt, ending in a yes/no question instead of a claim, reads the paper's answer to
the question (`stance`), for the stance an answer opens with.

The judge opens the answering model's GGUF file a second time: the weights are memory-mapped,
so they are shared, but the judge has its own context and KV cache. Answers keep their cached
prompt prefix, and a sentence can be checked while the draft is still being written.
Only a local GGUF model exposes logits; a server backend cannot be a judge.

In an answer the judge reads the answer's own prompt instead (`in_context`): the answering
model's KV cache, copied once the prompt is read, goes into the judge's context, and each
check appends only "does source [n] state: <sentence>?" (about 70 tokens) where the paper
judge reads a whole abstract (about 300). It judges against the evidence the model was given,
and has its own threshold (eval/calibrate_threshold.py --judge context).

The prefix shortcut (`first_source`, on by default for questions that are not yes/no) decides the
clear cases cheaply and leaves the rest to the abstract judge: for a sentence citing source [1] the
judge reads the answer's prompt cut right after source [1] (the answering model's cached tokens, in
a second context on the judge's loaded model, so only the question's ~100 tokens are new), accepts the sentence when P(yes)
clears one bar and rejects it under a lower one; in between, the abstract judge decides as before.
On the dev drafts this loses neither precision nor recall against the abstract judge alone. Most
answer sentences cite [1], and the first one is what the reader waits for.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.prompts import render
from assistant.errors import ModelError
from assistant.llm.base import ContextCopy
from assistant.types import Paper, Source
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
        self.path = path
        self.llama = llama
        self.lock = threading.Lock()  # one context: one check at a time
        self.format = chat_formatter(llama)
        self.system = render("verify_system")
        self.yes = single_token_ids(llama, ("yes", "Yes", " yes", " Yes", "YES"))
        self.no = single_token_ids(llama, ("no", "No", " no", " No", "NO"))
        self.unknown = single_token_ids(llama, ("unknown", "Unknown", " unknown", " Unknown", "UNKNOWN"))
        # the stance bars were calibrated on a three-way reading: a model without those tokens reads no stance
        self.reads_stance = bool(self.yes and self.no and self.unknown)

    @cached_property
    def second(self) -> Any:
        """A second context on the same loaded model, for the prefix shortcut: it keeps the answer's copied cache
        while the first keeps the abstract it last read, so neither evicts the other's tokens."""
        from assistant.llm.llamacpp import second_context

        return second_context(self.llama)

    def answer_probs(self, tokens: list[int], *groups: list[int], llama: Any = None) -> np.ndarray:
        """After a whole judge prompt, the probability of each group of answer tokens against the others, reusing
        the longest prefix already in the context (callers that share the judge across threads hold `self.lock`)."""
        llama = llama or self.llama
        same = shared(llama.input_ids[: llama.n_tokens].tolist(), tokens)
        llama.n_tokens = min(same, len(tokens) - 1)  # recompute at least the last token for its logits
        llama.eval(tokens[llama.n_tokens:])
        logits = last_logits(llama)
        mass = np.array([np.logaddexp.reduce(logits[ids]) for ids in groups])
        return np.exp(mass - np.logaddexp.reduce(mass))

    def p_yes(self, tokens: list[int], llama: Any = None) -> float:
        """P(yes) against no after a whole judge prompt (see answer_probs)."""
        return float(self.answer_probs(tokens, self.yes, self.no, llama=llama)[0])

    def tokens(self, messages: list[dict[str, str]]) -> list[int]:
        prompt = str(self.format(messages=messages).prompt)
        return list(self.llama.tokenize(prompt.encode(), add_bos=False, special=True))

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        out = []
        with self.lock:
            for claim in claims:
                tokens = self.tokens([
                    {"role": "system", "content": self.system},
                    {"role": "user", "content": render("verify_user", title=paper.title, abstract=paper.abstract,
                                                       claim=claim)}])
                out.append(Support(self.p_yes(tokens), paper.abstract))
        return out

    def stance(self, question: str, paper: Paper) -> tuple[float, float]:
        """P(yes) and P(no): the paper's answer to a yes/no question, against also "unknown" (a paper that does not
        say is not a "no"). The prompt opens as a claim check's does, so after one the paper's tokens are already
        computed. The model leans to "yes": the bars that read this are calibrated (eval/calibrate_stance_judge.py)."""
        with self.lock:
            tokens = self.tokens([
                {"role": "system", "content": self.system},
                {"role": "user", "content": render("verify_stance_user", title=paper.title, abstract=paper.abstract,
                                                   question=question)}])
            p = self.answer_probs(tokens, self.yes, self.no, self.unknown)
        return float(p[0]), float(p[1])

    def in_context(self, copy: ContextCopy, messages: list[dict[str, str]], sources: list[Source]) -> ContextJudge:
        """A judge for one answer: it reads the answer's prompt (`messages`), from `copy` once that is filled."""
        return ContextJudge(self, copy, messages, sources)

    def first_source(self, copy: ContextCopy, messages: list[dict[str, str]], sources: list[Source],
                     accept: float, reject: float = 0.0) -> FirstSourceJudge:
        """A judge for one answer with the prefix shortcut for sentences citing source [1] (see the module notes)."""
        return FirstSourceJudge(self, copy, messages, sources, accept, reject)


def context_messages(messages: list[dict[str, str]], n: int, title: str, claim: str) -> list[dict[str, str]]:
    """The answer's prompt, then one more user turn: does source [n] state the claim?"""
    return [*messages, {"role": "user", "content": render("verify_context", n=str(n), title=title, claim=claim)}]


class ContextJudge:
    """The LLM judge over one answer's prompt: the claim is checked against the numbered evidence the model
    was given. Scores are the same whether or not the copied cache could be used (without it the judge reads
    the prompt itself, which only takes longer)."""

    name = "llm_context"
    reads_stance = False  # its P(states) is on another scale (its own threshold): the stance bars do not apply

    def __init__(self, base: LLMVerifier, copy: ContextCopy, messages: list[dict[str, str]],
                 sources: list[Source]) -> None:
        self.base = base
        self.copy = copy
        self.messages = messages
        self.numbers = {s.paper.paper_id: s.n for s in sources}

    def _reuse(self, tokens: list[int]) -> None:
        """Paste the copied cache when it shares more of `tokens` than the judge's own context does."""
        from assistant.llm.llamacpp import paste_context

        copy, llama = self.copy, self.base.llama
        if not copy.data or copy.model != str(self.base.path):
            return
        have = llama.input_ids[: llama.n_tokens].tolist()
        if shared(copy.tokens, tokens) > shared(have, tokens):
            paste_context(llama, copy)

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        n = self.numbers.get(paper.paper_id)
        if n is None:
            raise ValueError(f"{paper.paper_id} is not one of this answer's sources")
        out = []
        with self.base.lock:
            for claim in claims:
                tokens = self.base.tokens(context_messages(self.messages, n, paper.title, claim))
                self._reuse(tokens)
                out.append(Support(self.base.p_yes(tokens), paper.abstract))
        return out


def prefix_messages(messages: list[dict[str, str]], first: Source, claim: str) -> list[dict[str, str]]:
    """The answer's system prompt and its sources block cut after source [1], then: does source [1] state the claim?
    Up to the cut, the tokens are the answer prompt's own, so the answering model's cache covers them."""
    from assistant.answer.evidence import format_source

    user = messages[-1]["content"]
    block = format_source(first.n, first.paper.title, first.evidence)
    cut = user[: user.index(block) + len(block)]
    return [*messages[:-1], {"role": "user", "content": cut}, {"role": "user", "content": render("verify_prefix", claim=claim)}]


class FirstSourceJudge:
    """The abstract judge, with the prefix shortcut for sentences citing source [1]: accepted when P(yes) over the
    cut answer prompt reaches `accept`, rejected when it is under `reject` (both from eval/calibrate_threshold.py
    --judge prefix, dev drafts only), else judged against the abstract. Used only where the copied cache is there
    to make the shortcut cheap, and not for yes/no questions: the stance rule reads P(states) on the abstract
    judge's scale."""

    name = "llm"
    reads_stance = False

    def __init__(self, base: LLMVerifier, copy: ContextCopy, messages: list[dict[str, str]], sources: list[Source],
                 accept: float, reject: float = 0.0) -> None:
        self.base, self.copy, self.messages, self.accept, self.reject = base, copy, messages, accept, reject
        self.first = next((s for s in sources if s.n == 1), None)

    def shortcut(self, claim: str) -> float | None:
        """P(yes) over the cut answer prompt, or None where the copied cache is not there (it would cost more than
        the abstract judge)."""
        from assistant.llm.llamacpp import paste_context

        copy = self.copy
        if self.first is None or not copy.data or copy.model != str(self.base.path):
            return None
        tokens = self.base.tokens(prefix_messages(self.messages, self.first, claim))
        with self.base.lock:
            llama = self.base.second
            if shared(copy.tokens, tokens) > shared(llama.input_ids[: llama.n_tokens].tolist(), tokens):
                paste_context(llama, copy)
            return self.base.p_yes(tokens, llama=llama)

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        out = []
        for claim in claims:
            p = self.shortcut(claim) if self.first and paper.paper_id == self.first.paper.paper_id else None
            if p is None or self.reject <= p < self.accept:
                out.append(self.base.support([claim], paper)[0])
            else:
                out.append(Support(p, paper.abstract, passed=p >= self.accept))
        return out


def shared(a: list[int], b: list[int]) -> int:
    """The length of the common prefix of two token lists."""
    same = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        same += 1
    return same
