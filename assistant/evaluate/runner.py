"""Run an eval set through the Assistant, writing one results row per question as it finishes.

Rows already in DIR/results.jsonl are kept (resume); metrics are recomputed from all rows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.app import Assistant
from assistant.errors import AssistantError
from assistant.evaluate.questions import Question
from assistant.evaluate.report import write_report
from assistant.evaluate.scoring import score_rows
from assistant.render import flag_json

RANK_DEPTH = 10


def read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by an interrupted run: that question runs again
    return rows


def retrieval_row(assistant: Assistant, q: Question) -> dict[str, Any]:
    t = time.perf_counter()
    hits = assistant.search(q.question, k=RANK_DEPTH)
    return {"id": q.id, "kind": q.kind, "question": q.question, "gold": q.gold, "answer_facts": q.answer_facts,
            "fact_evidence": q.fact_evidence, "stance": q.stance, "tags": q.tags,
            "retrieved": [h.paper.title for h in hits],
            "retrieval_ms": round((time.perf_counter() - t) * 1000, 1)}


def run_eval(assistant: Assistant, questions: list[Question], out_dir: Path, *,
             retrieval_only: bool = False, progress: bool = True) -> dict[str, Any]:
    """Answer (or only retrieve for) every question not yet in out_dir; write metrics and report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.jsonl"
    rows = {r["id"]: r for r in read_rows(path) if "id" in r and (retrieval_only or "answer" in r)}
    path.write_text("".join(json.dumps(r) + "\n" for r in rows.values()), encoding="utf-8")
    todo = [q for q in questions if q.id not in rows]
    with path.open("a", encoding="utf-8") as f:
        for q in tqdm(todo, desc="Eval", unit="q", disable=not progress):
            try:
                row = retrieval_row(assistant, q) if retrieval_only else answer_row(assistant, q)
            except AssistantError as e:
                row = {"id": q.id, "kind": q.kind, "question": q.question, "gold": q.gold, "retrieved": [],
                       "error": str(e)}
            rows[q.id] = row
            f.write(json.dumps(row) + "\n")
            f.flush()
    order = [q.id for q in questions]
    final = [rows[i] for i in order if i in rows]
    return rescore(assistant, out_dir, final, answers=not retrieval_only)


def rescore(assistant: Assistant, out_dir: Path, rows: list[dict[str, Any]] | None = None, *,
            answers: bool | None = None) -> dict[str, Any]:
    """Metrics, metrics.json and report.md from the cached rows; no model runs."""
    if rows is None:
        rows = read_rows(out_dir / "results.jsonl")
        if not rows:
            raise AssistantError(f"no results in {out_dir / 'results.jsonl'}")
    answers = any("answer" in r for r in rows) if answers is None else answers
    papers = {pid: p for pid, (p, _) in assistant.retriever.papers.items()} if answers else None
    metrics = score_rows(rows, answers=answers, papers=papers)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    write_report(out_dir, rows, metrics)
    return metrics


def answer_row(assistant: Assistant, q: Question) -> dict[str, Any]:
    """Retrieval ranks plus the checked answer, its citations, refusal, timings and token usage."""
    row = retrieval_row(assistant, q)
    if q.kind == "topic":
        s = assistant.summarize(q.question)
        row.update(answer=s.text, draft="", refused=not s.citations, citations=[c.title for c in s.citations],
                   sources=[x.paper.title for x in s.sources], source_ids=[x.paper.paper_id for x in s.sources],
                   considered=s.considered, flagged=[flag_json(f) for f in s.flagged],
                   timings=s.timings, usage={}, model=s.model)
        return row
    a = assistant.ask(q.question)
    row.update(answer=a.text, draft=a.draft, refused=a.refused, citations=[c.title for c in a.citations],
               sources=[s.paper.title for s in a.sources], source_ids=[s.paper.paper_id for s in a.sources],
               best_similarity=max((h.dense_similarity or 0.0 for h in [*(s.hit for s in a.sources), *a.related]),
                                   default=0.0),
               flagged=[flag_json(f) for f in a.flagged], timings=a.timings, usage=a.usage, model=a.model)
    return row
