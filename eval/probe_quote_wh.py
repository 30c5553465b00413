"""Probe, not shipped: would the rule that quotes a yes/no answer's source (verify.quote_answers) carry over to
"Why/How ..." questions whose draft the check removed entirely?

Most such dev drafts affirm a false premise ("LocalMamba settled on a single fixed scan pattern shared by all of its
layers."). The yes/no rule reads whether a source answers the question; a wh-question has no yes or no, so two
readings of source [1] are tried, both the judge's three-way stance reading (P(yes) + P(no) against "unknown"): of
the question as asked, and of the draft's first sentence asked as "Is it true that <sentence>?" (a source that
settles it either way, having not stated it, likely says otherwise). Dev rows only (by default
eval/reports/answers_dev_rows.jsonl), replayed through the real check, judge calls cached.

Dev, default model, 2026-11-29 (7 answerable, 10 near misses among the drafts the check removed):
- the question as asked does not separate them: answerable 0.33-0.95, near misses 0.28-0.68;
- the draft as a question does better: answerable 0.40-0.92 (6 of 7 at 0.5 or more), near misses 0.25-0.48; the
  highest near miss (d043, a made-up count of images, read 0.475 because the paper gives other numbers) sits 0.025
  under the 0.05 step that would be chosen, as the yes/no rule's did (0.426 under 0.45).
Not built: the draft-as-question form is one the judge's bars were never calibrated on, 10 near misses are a thin
dev sample for a rule whose error (a paper cited for a question it does not answer) is the worse one, and answers
to wh-questions are checked through the source-[1] shortcut, which reads no stance, so the rule would need the
abstract judge alongside it. The six dev answers it would rescue stay refusals.

Rerun 2026-11-29 on the three dev sets with wh-questions (`dev names which`): 35 removed drafts; leaving out the 10
that are bare markers ("[1]": a named answer, read otherwise), 7 answerable and 18 near misses. The near misses of
names and which close the gap: n048 (a made-up count of style vectors) reads 0.593, above d025 (0.541) and d026
(0.505). The lowest 0.05 step quoting no near miss would be 0.60, 0.007 over n048, and would rescue 4 of the 7
(d030, d033, d035, q010). Still not built: a held-out near miss needs to read only a little higher to be quoted
with a citation, which the answers issue counts as the worse error.

    ANSWERED_CALLS=/tmp/answered.pkl .venv/bin/python eval/probe_quote_wh.py [dev names which]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_answered import cached_judge
from calibrate_stance_judge import case, replay

from assistant.answer import ask
from assistant.answer.check import is_yes_no
from assistant.index.chunking import split_sentences

REPORTS = Path(__file__).parent / "reports"


def main() -> None:
    a = collection_assistant(None)
    judge, calls = cached_judge(a)
    for name in sys.argv[1:] or ["dev"]:
        rows(a, judge, name)
    judge.save(calls)


def rows(a: Any, judge: Any, name: str) -> None:
    for r in read_rows(REPORTS / f"answers_{name}_rows.jsonl"):
        if r["system"] != "product" or is_yes_no(r["question"]) or not r.get("draft") or ask.is_refusal(r["draft"]):
            continue
        c = case(a, r["question"], r["draft"])
        if [s.paper.paper_id for s in c["sources"]] != r.get("source_ids") or replay(a, c, judge, None).claims:
            continue
        first = split_sentences(r["draft"])[0].rstrip(".")
        top = c["sources"][0].paper
        asked = sum(judge.stance(r["question"], top))
        drafted = sum(judge.stance(f"Is it true that {first[:1].lower()}{first[1:]}?", top))
        print(json.dumps({"set": name, "id": r["id"], "answerable": r["kind"] != "unanswerable",
                          "question": round(asked, 3), "draft": round(drafted, 3), "first": first[:100]}), flush=True)


if __name__ == "__main__":
    main()
