"""Probe: the summary's relevance bar on a small collection about one subject, where the retrieved papers' background
(the median relevance after the first third, see summarize.on_topic) is itself on the subject.

Each collection is the bundled papers whose title or abstract opening matches a pattern, ingested into a fresh store;
each topic is selected (no model) under the shipped background lift and under the margin rule it replaced (papers
within 0.36 of the best paper's relevance, the margin's own dev fit). Prints the papers each rule picks.

    .venv/bin/python eval/probe_focused.py
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from calibrate_summary import near_best  # eval/calibrate_summary.py

from assistant import Assistant, Settings
from assistant.answer import summarize
from assistant.corpus import load_papers

CASES = [("mamba|state space", "state space models for vision"),
         ("mamba|state space", "selective scan patterns for images"),
         ("retriev", "learned sparse retrieval"),
         ("zero-shot", "zero-shot learning with semantic embeddings")]
MARGIN = 0.36


def main() -> None:
    papers = load_papers().papers
    shipped = summarize.on_topic
    for pattern, topic in CASES:
        chosen_by = {}
        with tempfile.TemporaryDirectory() as tmp:
            sub = [p for p in papers if re.search(pattern, f"{p.title} {p.abstract[:300]}", re.I)]
            path = Path(tmp) / "collection.jsonl"
            path.write_text("".join(json.dumps({"title": p.title, "abstract": p.abstract}) + "\n" for p in sub))
            base = Settings()
            a = Assistant(base.model_copy(update={"data_dir": Path(tmp) / "data", "store": base.store.model_copy(
                update={"path": Path(tmp) / "store"})}), progress=False)
            a.ingest([path])
            qvec = a.embedder.embed([topic])[0]
            rules = {"lift": shipped, "margin": lambda sc, min_similarity, lift: near_best(sc, min_similarity, MARGIN)}
            try:
                for name, rule in rules.items():
                    summarize.on_topic = rule
                    chosen, over, _ = summarize.select_papers(topic, a.retriever, a.judge, qvec, a.settings.summary)
                    chosen_by[name] = [h.paper.title for h in chosen + over]
            finally:
                summarize.on_topic = shipped
        print(f"\n{topic!r} over {len(sub)} papers matching /{pattern}/")
        for name, titles in chosen_by.items():
            print(f"  {name}: {len(titles)}: " + "; ".join(t[:50] for t in titles))


if __name__ == "__main__":
    main()
