"""Replay the summary repeat rule (check.repeats, `summary.repeat_share`) on summaries already written: which of
their model-written sentences it would not show. Reads bench_summaries rows (their shown text); the verbatim
quotes ("<title>: “<sentence>” [n]", summarize.quote) are paper text and left out, as the product leaves them out.

    git show d01d1a4:eval/reports/summaries_rows.jsonl > /tmp/rows.jsonl   # the run before the rule
    .venv/bin/python eval/replay_repeats.py /tmp/rows.jsonl [--set dev|test]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from assistant import Settings
from assistant.answer import citations as cit
from assistant.answer.check import repeats
from assistant.corpus import load_papers
from assistant.types import Claim

CORPUS = Path(__file__).parent.parent / "assistant" / "corpus" / "data" / "papers.txt"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=Path)
    ap.add_argument("--set", default="dev")
    args = ap.parse_args()
    share = Settings().summary.repeat_share
    titles = sorted({p.title for p in load_papers([CORPUS]).papers}, key=len, reverse=True)
    quote = re.compile("(?:" + "|".join(map(re.escape, titles)) + r"): “[^”]*”(?: \[\d+\])?")
    dropped = 0
    for line in args.rows.read_text().splitlines():
        r = json.loads(line)
        if r["set"] != args.set or not r["text"]:
            continue
        shown: list[Claim] = []
        for para in r["text"].split("\n\n"):
            head, _, body = para.partition("\n") if para.startswith("**") else ("", "", para)
            for s in cit.split_cited(quote.sub(" ", body)):
                if repeats(s.text, s.cited, shown, share):
                    dropped += 1
                    print(f"{r['id']}: {s.text} {s.cited}")
                else:
                    shown.append(Claim(s.text, s.cited))
    print(f"{args.set}: {dropped} sentences not shown")


if __name__ == "__main__":
    main()
