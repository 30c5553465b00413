"""Calibrate `answer.relevance_threshold` from answers made with the rule off.

A sentence may cite a source other than the top one only when it is about the question
(cosine between the sentence and the question at least the threshold). This reads per-question
product rows from eval/bench_answers.py run with the rule off, labels each citation to a
non-top source right (a gold paper) or wrong, and prints how many of each every threshold keeps.

    ASSISTANT_ANSWER__RELEVANCE_THRESHOLD=-1 .venv/bin/python eval/bench_answers.py --product-only \\
        --rows eval/reports/relevance_rows.jsonl
    .venv/bin/python eval/calibrate_relevance.py eval/reports/relevance_rows.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant import Assistant, Settings
from assistant.answer import citations as cit
from assistant.answer.check import statement

OUT = Path(__file__).parent / "reports" / "relevance_calibration.json"


def readings(sentence: cit.Sentence) -> list[str]:
    """What the check reads a sentence's relevance from (ClaimChecker._sentence_relevance): the sentence, its stance
    removed, with and without the titles that say which paper it is about; the closer reading counts. The rows hold
    rendered answers, whose markers all sit at sentence ends, so a sentence here never names its source and only the
    reading with the titles is there; the product splits the draft, where a list item or "[2] uses ..." also gets
    the reading without them, which can only raise a sentence's relevance."""
    return [statement(t) for t in dict.fromkeys([sentence.said or sentence.text, sentence.text])]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "eval/reports/relevance_rows.jsonl")
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r.get("system") == "product" and r["gold"] and not r["refused"]]
    a = Assistant(Settings(), progress=False)
    points = []  # (relevance, right) for each citation of a source other than the top one
    for r in rows:
        sents = cit.split_cited(r["answer"], dict(enumerate(r["sources"], 1)))
        qvec = a.embedder.embed([r["question"]])[0]
        rel = [max(a.judge.relevance(readings(s), qvec)) for s in sents]
        points += [(rel[i], r["sources"][n - 1] in r["gold"]) for i, s in enumerate(sents) for n in s.cited if n != 1]
    table = []
    print(f"{len(points)} citations of non-top sources, {sum(ok for _, ok in points)} right")
    print("threshold  kept-right  kept-wrong")
    for t in [x / 100 for x in range(30, 72, 2)]:
        right = sum(ok for x, ok in points if x >= t)
        wrong = sum(not ok for x, ok in points if x >= t)
        table.append({"threshold": t, "kept_right": right, "kept_wrong": wrong})
        print(f"{t:.2f}       {right:>3}         {wrong:>3}")
    # the lowest threshold whose kept citations of non-top sources are at least 95% right
    pick = next((t["threshold"] for t in table if t["kept_right"] >= 0.95 * (t["kept_right"] + t["kept_wrong"])), None)
    print(f"lowest threshold keeping >= 95% right citations: {pick}"
          f"  (current default: {Settings().answer.relevance_threshold})")
    OUT.write_text(json.dumps({"rows": str(path), "points": [[round(x, 4), ok] for x, ok in points],
                               "table": table, "pick": pick}, indent=2))


if __name__ == "__main__":
    main()
