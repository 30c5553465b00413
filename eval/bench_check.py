"""Time the citation check per answer: an answer's claims embedded once, against once per source.

Uses the model drafts cached in eval/reports/eval-default/results.jsonl (no model runs) and
the index in ASSISTANT_DATA_DIR (or the default data dir).

    .venv/bin/python eval/bench_check.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant import Assistant
from assistant.answer.ask import check
from assistant.answer.evidence import select_evidence

RESULTS = Path(__file__).parent / "reports" / "eval-default" / "results.jsonl"


def main() -> None:
    a = Assistant(progress=False)
    judge = a.judge
    rows = [json.loads(x) for x in RESULTS.read_text().splitlines()]
    cases = []
    for r in [r for r in rows if r.get("draft") and r["kind"] in ("lookup", "multi")][:40]:
        qv = a.embedder.embed([r["question"]])[0]
        hits = a.retriever.search(r["question"], 5, query_vec=qv)
        sources = select_evidence(hits, qv, judge, n_sentences=2, budget=450, count_tokens=lambda t: len(t.split()))
        cases.append((r["draft"], r["question"], sources))

    def per_answer_ms(per_source: bool) -> float:
        start = time.perf_counter()
        for draft, question, sources in cases:
            judge._claim_vectors.cache_clear()
            if per_source:  # the behaviour before: the claims embedded again for every source
                judge._claim_vectors = lambda claims: a.embedder.embed(list(claims))  # type: ignore[method-assign]
            check(draft, question, sources, judge, a.settings)
            if per_source:
                del judge._claim_vectors
        return (time.perf_counter() - start) / len(cases) * 1000

    per_answer_ms(False)  # warm up
    for _ in range(2):
        before, after = per_answer_ms(True), per_answer_ms(False)
        print(f"{len(cases)} answers: claims embedded per source {before:.1f} ms, once {after:.1f} ms "
              f"({after / before:.2f}x)")


if __name__ == "__main__":
    main()
