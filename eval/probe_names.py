"""What the retriever's two title rules change, with no model: a word the question capitalizes mid-sentence that
names papers through their titles, and a quoted run of words a title begins with (Retriever.name_matches).

For each question file: answerable and unanswerable questions refused before the model runs (best dense
similarity under answer.refuse_below and no paper named), with the rules and with the older name rules alone,
and the ids whose retrieval (papers, order, names or that refusal) the rules change: those are the rows to
rerun live with and without them.

    .venv/bin/python eval/probe_names.py [eval/questions_names.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant import Assistant
from assistant.answer.ask import Question, retrieve
from assistant.retrieve import Retriever

EVAL = Path(__file__).parent
FILES = ["questions_names", "questions", "questions_stance", "questions_which", "questions_which_test", "questions_test"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path, default=[EVAL / f"{f}.jsonl" for f in FILES])
    args = ap.parse_args()
    a = Assistant(progress=False)
    r, s = a.retriever, a.settings
    with_rules = Retriever.name_matches

    def without(self: Retriever, query: str) -> set[str]:
        return self.snapshot.name_matches(query)

    for path in args.files:
        counts = {"with": {"answerable": 0, "unanswerable": 0}, "without": {"answerable": 0, "unanswerable": 0}}
        changed = []
        for line in path.read_text().splitlines():
            q = json.loads(line)
            seen = {}
            for name, rule in (("without", without), ("with", with_rules)):
                Retriever.name_matches = rule  # type: ignore[method-assign]
                got = retrieve(Question(q["question"]), r, s.retrieval.k)
                refused = got.best < s.answer.refuse_below and not any(h.name_match for h in got.hits)
                counts[name]["unanswerable" if q["kind"] == "unanswerable" else "answerable"] += refused
                seen[name] = (refused, [(h.paper.paper_id, h.name_match) for h in got.hits])
            Retriever.name_matches = with_rules  # type: ignore[method-assign]
            if seen["with"] != seen["without"]:
                changed.append(q["id"])
        print(f"{path.name}: refused before the model, without -> with the title rules: "
              f"answerable {counts['without']['answerable']} -> {counts['with']['answerable']}, "
              f"unanswerable {counts['without']['unanswerable']} -> {counts['with']['unanswerable']}; "
              f"retrieval changed: {' '.join(changed) or 'none'}")


if __name__ == "__main__":
    main()
