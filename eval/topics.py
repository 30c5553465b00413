"""Topic sets for the summary calibration and bench: dev from eval/questions.jsonl, eval/topics_dev_more.jsonl and
eval/topics_dev_absent.jsonl, test from eval/topics_test.jsonl.

Dev topics are the `topic` questions of the dev set, 16 more written by a helper that saw only the
corpus (and the list of subjects already used, to avoid them), and subjects the collection lacks
(no gold paper; their best papers' similarities were looked at when they were picked, which is
why they are dev): the thresholds are chosen on them. Test topics were written by a helper that saw only
the corpus, and nothing is tuned on them.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def load_topics(name: str) -> list[dict]:
    """[{id, topic, gold, core}] for 'dev' or 'test'."""
    if name == "dev":
        rows = [json.loads(line) for line in (HERE / "questions.jsonl").read_text().splitlines() if line.strip()]
        more = [json.loads(line) for name in ("topics_dev_more.jsonl", "topics_dev_absent.jsonl")
                for line in (HERE / name).read_text().splitlines() if line.strip()]
        return [{"id": r["id"], "topic": r["question"], "gold": r["gold"], "core": []} for r in rows
                if r.get("kind") == "topic"] + more
    rows = [json.loads(line) for line in (HERE / "topics_test.jsonl").read_text().splitlines() if line.strip()]
    return [{"id": r["id"], "topic": r["topic"], "gold": r["gold"], "core": r.get("core", [])} for r in rows]
