"""A shown sentence that points back ("They perform near chance level [1]", "This is because ...") at a draft
sentence the check did not show: measured on the recorded drafts, replayed through the claim check with
verify.standalone off and on (verify.premises as shipped in both; judge calls cached in the file ANSWERED_CALLS
names). The rule only replaces such a sentence by its source's closest sentence, quoted, so the drafts stay what
the model wrote. Per set: rows replayed, rows the rule changes, such sentences shown (off), refusals, and the
claim scores of the changed rows (no model: assistant/evaluate/claims.py). Rows whose sources are not the ones
retrieved now, and refusals made before the model ran, are left out.

    ANSWERED_CALLS=/tmp/calls.pkl .venv/bin/python eval/probe_standalone.py dev stance which names
    ... eval/probe_standalone.py pubmed --corpus eval/corpus_pubmed_style.jsonl
    ... --write    # rewrite the changed rows of answers_<set>_rows.jsonl ("replayed": "standalone"), where the
                   # replay without the rule shows what the recorded run showed

Writes eval/reports/standalone_<set>.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import replay_check
from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_answered import cached_judge
from calibrate_stance_judge import case

from assistant.evaluate.scoring import answer_metrics
from assistant.types import Action, Answer

REPORTS = Path(__file__).parent / "reports"
KEEP = ("false_refusal_rate", "refusal_recall", "unanswerable_with_citation", "claim_citation_precision",
        "claim_citation_precision_unquoted", "claim_citation_recall", "gold_evidence_cited", "facts_stated",
        "stance_agreement")


def shown(a: Any, row: dict[str, Any], c: dict[str, Any], verifier: Any, standalone: bool) -> Answer:
    """The answer replay_check.shown gives with verify.standalone as asked, every other rule as shipped."""
    settings = a.settings.model_copy(deep=True)
    settings.verify.standalone = standalone
    return replay_check.shown(a, settings, row, c, verifier)


def as_row(row: dict[str, Any], ans: Answer) -> dict[str, Any]:
    return {**row, "refused": ans.refused, "citations": [x.title for x in ans.citations], "answer": ans.text,
            "flags": [str(f.action) for f in ans.flagged]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", help="rows: eval/reports/answers_<set>_rows.jsonl")
    ap.add_argument("--corpus", type=Path, help="the sets' own collection, as bench_answers.py --corpus indexed it")
    ap.add_argument("--write", action="store_true", help="rewrite the rows the rule changes")
    args = ap.parse_args()
    a = collection_assistant(args.corpus)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    verifier, calls = cached_judge(a)
    for name in args.sets:
        path = REPORTS / f"answers_{name}_rows.jsonl"
        rows = read_rows(path)
        off_rows, on_rows, changed, out = [], [], [], []
        counts = {"replayed": 0, "changed": 0, "unanchored_shown_off": 0, "sources_differ": 0, "drift": 0}
        for row in rows:
            c = case(a, row["question"], row["draft"]) if row["system"] == "product" and row.get("draft") else None
            if c is None or [s.paper.paper_id for s in c["sources"]] != row.get("source_ids"):
                counts["sources_differ"] += c is not None
                out.append(row)
                continue
            counts["replayed"] += 1
            off, on = shown(a, row, c, verifier, False), shown(a, row, c, verifier, True)
            counts["unanchored_shown_off"] += sum(f.action == Action.UNANCHORED for f in on.flagged)
            off_rows.append(as_row(row, off))
            on_rows.append(as_row(row, on))
            drift = off.text != row["answer"]
            counts["drift"] += drift
            if on.text == off.text:
                out.append(row)
                continue
            counts["changed"] += 1
            changed.append(len(off_rows) - 1)
            print(f"{row['id']}{' (drift)' if drift else ''}: {off.text[:200]!r}\n   -> {on.text[:200]!r}")
            out.append({**as_row(row, on), "replayed": "standalone"} if not drift else row)
        verifier.save(calls)
        result: dict[str, Any] = {"counts": counts}
        for label, sel in (("replayed", range(len(off_rows))), ("changed", changed)):
            before = answer_metrics([off_rows[i] for i in sel], papers)
            after = answer_metrics([on_rows[i] for i in sel], papers)
            result[label] = {k: [before.get(k), after.get(k)] for k in KEEP}
        result["changed_ids"] = [off_rows[i]["id"] for i in changed]
        print(name, json.dumps(result, indent=1))
        (REPORTS / f"standalone_{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        if args.write:
            path.write_text("".join(json.dumps(r) + "\n" for r in out))


if __name__ == "__main__":
    main()
