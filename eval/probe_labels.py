"""What two readings of titles in a draft change, rerun live: the product rows of a set whose recorded draft has a
sentence either reading changes are answered again with both on and both off, in one process, and scored with no
model in the loop (evaluate.scoring).

- Labels (citations.labelled): "[2] LD-ZNet: ... uses X." is list item [2]. Off, markers opening a sentence, unless
  they are its subject ("[2] uses ..."), cite the sentence before, so each item of such a list was checked against
  the next item's paper.
- Relevance with titles (check.ClaimChecker._sentence_relevance): a sentence whose titles say which paper is read
  with and without them, and the closer reading must reach answer.relevance_threshold to cite a source other than
  the top one. Off, only the reading without titles counted, so a sentence about a paper the question names
  ("PromptStyler simulates ...") could lose its citation.

Neither changes a prompt, so at temperature 0 the model drafts the same (both llama.cpp contexts are reset before
each run: a prompt prefix kept from the run before can change a draft); only the rows read here can change.

Rows go to eval/reports/labels_<name>_rows.jsonl (a rerun resumes there); with --merge the "on" rows replace the
set's recorded product rows whose answer they change, marked "rerun": "labels".

    .venv/bin/python eval/probe_labels.py dev [--merge]          # also: which, which_test, test, names, stance
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import fresh_row, read_rows  # eval/
from probe_premises import QUESTIONS, SHOWN, merge, show_changed

from assistant import Assistant
from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, statement
from assistant.evaluate.questions import load_questions
from assistant.evaluate.scoring import answer_metrics
from assistant.index.chunking import split_sentences

EVAL = Path(__file__).parent
REPORTS = EVAL / "reports"


def candidates(a: Assistant, rows: list[dict[str, Any]], titles_of: dict[str, str]) -> list[str]:
    """Ids of product rows whose draft has a sentence the labels read as an item, or whose titles bring it over
    the relevance bar."""
    out, bar = [], a.settings.answer.relevance_threshold
    for r in rows:
        if r["system"] != "product" or not r.get("draft"):
            continue
        titles = {n: titles_of[pid] for n, pid in enumerate(r.get("source_ids") or [], 1) if pid in titles_of}
        said = [s for s in cit.split_cited(r["draft"], titles) if s.said]
        qvec = a.retriever.embedder.embed([r["question"]])[0] if said else None
        if any(cit.labelled(s, titles) is not None for s in split_sentences(r["draft"])) or any(
                a.judge.relevance([statement(s.said)], qvec)[0] < bar <= a.judge.relevance([statement(s.text)], qvec)[0]
                for s in said):
            out.append(r["id"])
    return out


def said_only(self: ClaimChecker, sentence: cit.Sentence, text: str) -> float:
    """The relevance before: the sentence without the titles name_sources put in front."""
    return self._relevance([statement(sentence.said or text)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="the set: eval/reports/answers_<name>_rows.jsonl")
    ap.add_argument("--merge", action="store_true")
    args = ap.parse_args()
    recorded_path = REPORTS / f"answers_{args.name}_rows.jsonl"
    recorded = read_rows(recorded_path)
    every = load_questions(EVAL / f"{QUESTIONS[args.name]}.jsonl")
    a = Assistant(progress=False)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    out = REPORTS / f"labels_{args.name}_rows.jsonl"
    done = {(r["labels"], r["id"]) for r in read_rows(out)}
    ids = sorted(set(candidates(a, recorded, {pid: p.title for pid, p in papers.items()})) | {i for _, i in done})
    qs = [q for q in every if q.id in ids]
    labelled, may_open, relevance = cit.labelled, cit.may_open_with_title, ClaimChecker._sentence_relevance
    try:
        with out.open("a", encoding="utf-8") as f:
            for q in qs:
                for on in (True, False):
                    if (on, q.id) in done:
                        continue
                    cit.labelled = labelled if on else (lambda sentence, titles: None)  # type: ignore[assignment]
                    cit.may_open_with_title = may_open if on else (  # type: ignore[assignment]
                        lambda sentence, titles: False)
                    ClaimChecker._sentence_relevance = relevance if on else said_only  # type: ignore[method-assign]
                    f.write(json.dumps(fresh_row(a, q, labels=on)) + "\n")
                    f.flush()
    finally:
        cit.labelled, cit.may_open_with_title, ClaimChecker._sentence_relevance = labelled, may_open, relevance
    rows = read_rows(out)
    side = {on: [r for r in rows if r["labels"] is on and r["id"] in ids] for on in (True, False)}
    print(f"{args.name}: {len(ids)} rows whose draft either reading changes")
    for on in (False, True):
        m = answer_metrics(side[on], papers)
        print(f"  titles read {'on ' if on else 'off'}: " + ", ".join(f"{k} {m.get(k)}" for k in SHOWN))
    changed = show_changed(side)
    if args.merge and recorded:
        merge(recorded_path, recorded, changed, "labels")

if __name__ == "__main__":
    main()
