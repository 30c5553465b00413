"""Probe, not shipped: prompt-lookup speculative decoding (llama-cpp-python's LlamaPromptLookupDecoding) for drafts.

Answers copy their sources' words, so drafting tokens from n-grams of the prompt looked like a cheap speed-up. Each
dev question's product prompt (the real retrieval and evidence) is drafted by two Llama instances of the default
model at temperature 0, one plain and one with the draft model (which needs logits_all=True: 4096 x 152k floats,
about 2.5 GB, and logits for every prompt token), in alternating order.

Default model, 2 cores with AVX-512, first 16 dev questions, 2026-11-29:
- time to first token p50 4.32 s plain, 4.98 s with lookup (every prompt token's logits are computed and copied);
- generation, summed: 87.2 s plain, 81.2 s with lookup; total p50 9.59 s vs 10.0 s;
- 5 of 16 drafts differ (batched verification changes the numerics at temperature 0).
Not built: slower to the first token, which the reader waits for, and no faster overall.

    .venv/bin/python eval/probe_lookup.py 16 10
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import llama_cpp
from bench_answers import collection_assistant  # eval/bench_answers.py
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

from assistant.answer import ask
from assistant.evaluate.questions import load_questions


def generate(model: Any, messages: list[dict[str, str]]) -> tuple[str, float, float]:
    """The draft, seconds to its first piece, seconds in all."""
    t0, first, out = time.perf_counter(), 0.0, []
    for chunk in model.create_chat_completion(messages=messages, max_tokens=200, temperature=0.0, stream=True):
        if piece := chunk["choices"][0]["delta"].get("content") or "":
            first = first or time.perf_counter() - t0
            out.append(piece)
    return "".join(out), first, time.perf_counter() - t0


def main() -> None:
    n, predicted = int(sys.argv[1]), int(sys.argv[2])
    a = collection_assistant(None)
    path = str(a.llm.path)
    models = {"plain": llama_cpp.Llama(model_path=path, n_ctx=4096, n_threads=2, verbose=False),
              "lookup": llama_cpp.Llama(model_path=path, n_ctx=4096, n_threads=2, verbose=False, logits_all=True,
                                        draft_model=LlamaPromptLookupDecoding(max_ngram_size=3,
                                                                             num_pred_tokens=predicted))}
    rows = []
    for i, q in enumerate(load_questions(Path(__file__).parent / "questions.jsonl")[:n]):
        question = ask.Question(q.question)
        r = ask.retrieve(question, a.retriever, a.settings.retrieval.k)
        messages = ask.draft_messages(question, ask.evidence(r, a.judge, a.llm, a.settings))
        order = ["plain", "lookup"] if i % 2 == 0 else ["lookup", "plain"]
        got = {name: generate(models[name], messages) for name in order}
        rows.append(got)
        print(q.id, got["plain"][0] == got["lookup"][0], {k: (round(v[1], 2), round(v[2], 2)) for k, v in got.items()})
    for name in models:
        print(name, "first piece p50", round(statistics.median(r[name][1] for r in rows), 2),
              "total p50", round(statistics.median(r[name][2] for r in rows), 2),
              "generation sum", round(sum(r[name][2] - r[name][1] for r in rows), 1))
    print("same drafts", sum(r["plain"][0] == r["lookup"][0] for r in rows), "of", len(rows))


if __name__ == "__main__":
    main()
