"""The claim check replayed on a set's recorded drafts, without the answering model: rows the current check shows
differently from the same replay with two rules off (verify.answers, answer.claim_specifics) are rewritten.

Neither rule changes the prompt, so at temperature 0 the model drafts what it drafted; each rule only keeps a
sentence from being shown. Replayed: the product rows of yes/no questions (the `answers` rule reads only those)
and rows where a shown sentence names a thing or a measured number its cited source does not contain (the only
sentences `claim_specifics` can change). A row whose sources are not the ones retrieved now is left alone, as is
a refusal made before the model ran. Rewritten rows carry "replayed": "check"; their timings are the original run's.
Judge calls are cached in the file ANSWERED_CALLS names, shared with eval/calibrate_answered.py.

    .venv/bin/python eval/replay_check.py dev
    .venv/bin/python eval/replay_check.py pubmed --corpus eval/corpus_pubmed_style.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_stance_judge import Cached

from assistant import Assistant, Settings
from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, citations_of, is_yes_no, render_claims, stance_quotes
from assistant.answer.support import unmentioned
from assistant.types import Paper

REPORTS = Path(__file__).parent / "reports"


def may_change(row: dict[str, Any], papers: dict[str, Paper]) -> bool:
    if row["system"] != "product" or not row.get("draft"):
        return False
    if is_yes_no(row["question"]):
        return True
    ids = row.get("source_ids") or []
    for s in cit.split_cited(row.get("answer") or ""):
        for n in s.cited:
            if n <= len(ids) and ids[n - 1] in papers:
                p = papers[ids[n - 1]]
                if unmentioned(s.own.get(n, s.text), [f"{p.title} {p.abstract}"]):
                    return True
    return False


def shown(a: Assistant, settings: Settings, row: dict[str, Any], sources: list[Any], qvec: Any,
          verifier: Cached) -> dict[str, Any]:
    """The answer the check shows for the row's draft under `settings` (as ask.ask_stream and finalize make it)."""
    checker = ClaimChecker(row["question"], sources, verifier=verifier, threshold=a.threshold(),
                           settings=settings.answer, judge=a.judge, question_vec=qvec,
                           stance=(settings.verify.stance_yes, settings.verify.stance_no),
                           answers=settings.verify.answers)
    stream, v = cit.SentenceStream({s.n: s.paper.title for s in sources}), ask.Verified()
    list(ask.verify([*stream.feed(row["draft"]), *filter(None, [stream.flush()])], checker, sources, v))
    v.claims += stance_quotes(v.claims) if not v.refused else []
    if v.refused or not v.claims:
        return {"refused": True, "citations": [], "answer": ask.REFUSAL,
                "flags": ["refused", *(str(f.action) for f in v.flags)]}
    return {"refused": False, "citations": [c.title for c in citations_of(v.claims, sources)],
            "answer": render_claims(v.claims), "flags": [str(f.action) for f in v.flags]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl (rewritten)")
    ap.add_argument("--corpus", type=Path, help="the set's own collection, as bench_answers.py --corpus indexed it")
    args = ap.parse_args()
    a = collection_assistant(args.corpus)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    calls = Path(os.environ.get("ANSWERED_CALLS", "/nonexistent/calls.pkl"))
    verifier = Cached(a.verifier)
    if calls.is_file():
        verifier.claims, verifier.stances = pickle.loads(calls.read_bytes())
    off = a.settings.model_copy(deep=True)
    off.verify.answers, off.answer.claim_specifics = 0.0, False
    path = REPORTS / f"answers_{args.name}_rows.jsonl"
    rows, counts = read_rows(path), {"replayed": 0, "changed": 0, "sources_differ": 0, "drift": 0}
    out = []
    for row in rows:
        if not may_change(row, papers):
            out.append(row)
            continue
        r = ask.retrieve(ask.Question(row["question"]), a.retriever, a.settings.retrieval.k)
        sources = ask.evidence(r, a.judge, a.llm, a.settings)
        if [s.paper.paper_id for s in sources] != row.get("source_ids"):
            counts["sources_differ"] += 1
            out.append(row)
            continue
        counts["replayed"] += 1
        before = shown(a, off, row, sources, r.query_vec, verifier)
        after = shown(a, a.settings, row, sources, r.query_vec, verifier)
        if before["answer"] != row["answer"]:  # the recorded run's check differed (e.g. the source [1] shortcut)
            counts["drift"] += 1
            print(f"{row['id']}: drift, left as recorded unless a rule changes it")
        if after["answer"] != before["answer"]:
            counts["changed"] += 1
            out.append({**row, **after, "replayed": "check"})
            print(f"{row['id']}: {row['answer'][:160]!r}\n   -> {after['answer'][:160]!r}")
        else:
            out.append(row)
    if calls.parent.is_dir():
        calls.write_bytes(pickle.dumps((verifier.claims, verifier.stances)))
    path.write_text("".join(json.dumps(r) + "\n" for r in out))
    print(json.dumps(counts), "->", path)


if __name__ == "__main__":
    main()
