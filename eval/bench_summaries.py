"""Topic summaries measured on dev and test topics: paper recall, core recall, off-topic citations, time.

Each topic is summarized with a cold draft cache (a fresh data dir), so times are first-run
times. Scored against the topic's gold papers, no model in the loop:
- recall: gold papers cited / gold papers; core recall likewise for the core papers (test only);
- off-topic: cited papers not in the gold list (listed by title in the rows, to be read);
- empty: summaries citing nothing while the topic has gold papers; absent topics (no gold)
  must cite nothing;
- synthesized: share of shown sentences the model wrote (the rest quote a paper verbatim).
Test topics were written by a helper that saw only the corpus. Several share a subject with
a dev topic (SAME_SUBJECT, read off the topic names); the report also shows the others alone.

    .venv/bin/python eval/bench_summaries.py [--sets dev,test] [--model NAME]

Writes eval/reports/summaries_rows.jsonl, summaries.json and summaries.md (with --selection-only:
summaries_selection.md, the citation metrics in seconds, since every chosen paper is cited). Set BENCH_LOCK to a
file to take a file lock around each summary (a shared machine).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from cpulock import turn  # eval/cpulock.py
from topics import load_topics  # eval/topics.py

from assistant import Assistant, Settings
from assistant.evaluate.metrics import percentile
from assistant.types import Action

REPORTS = Path(__file__).parent / "reports"
SAME_SUBJECT = {"tt01", "tt02", "tt04", "tt06", "tt07", "tt09", "tt10", "tt11", "tt16"}  # a dev topic covers it


def score(t: dict[str, Any], s: Any) -> dict[str, Any]:
    cited = [c.title for c in s.citations]
    gold, core = set(t["gold"]), set(t["core"])
    claims = s.claims
    quoted = sum(c.verbatim for c in claims)  # a paper's own sentences: a lone paper's, or one the synthesis left out
    return {
        "set": t["set"], "id": t["id"], "topic": t["topic"], "same_subject": t["id"] in SAME_SUBJECT,
        "gold": len(gold), "cited": len(cited), "recall": len(gold & set(cited)) / len(gold) if gold else None,
        "core_recall": len(core & set(cited)) / len(core) if core else None,
        "off_topic": [c for c in cited if c not in gold], "empty": bool(gold) and not cited,
        "absent_cited": (not gold) and bool(cited), "themes": len(s.themes),
        "sentences": len(claims), "synthesized": (len(claims) - quoted) / len(claims) if claims else 0.0,
        "joint": sum(f.action == Action.JOINT for f in s.flagged),
        "removed": sum(f.action == Action.UNSUPPORTED for f in s.flagged),
        "repeated": sum(f.action == Action.REPEATED for f in s.flagged),
        "total_s": s.timings["total_ms"] / 1000, "draft_s": s.timings.get("draft_ms", 0) / 1000,
        "verify_s": s.timings.get("verify_ms", 0) / 1000, "text": s.text,
    }


def selection(a: Assistant, topic: str) -> Any:
    """What a summary would cite, without the model: the chosen papers, each as one quoted claim."""
    from assistant.answer.summarize import Summary, Theme, quote, select_papers
    from assistant.types import Citation, Source

    s = a.settings.summary
    qvec = a.embedder.embed([topic])[0]
    chosen, _, _ = select_papers(topic, a.retriever, a.judge, qvec, s)
    sources = [Source(n=i, hit=h, evidence=[h.paper.title]) for i, h in enumerate(chosen, 1)]
    theme = Theme("selection", [src.n for src in sources], [quote(src) for src in sources])
    theme.quoted = list(theme.papers)
    return Summary(topic=topic, text="", citations=[Citation(src.n, src.paper.paper_id, src.paper.title)
                                                    for src in sources], sources=sources, considered=[],
                   coverage={}, model="(none)", themes=[theme], timings={"total_ms": 0.0})


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    written = [r for r in rows if r["gold"]]  # an absent topic's honest "nothing" has no text and takes no model time

    def mean(key: str) -> float | None:
        vals = [r[key] for r in written if r[key] is not None]
        return round(sum(vals) / len(vals), 3) if vals else None

    times = [r["total_s"] for r in written]
    return {"topics": len(rows), "absent": sum(not r["gold"] for r in rows), "recall": mean("recall"),
            "core_recall": mean("core_recall"),
            "off_topic": sum(len(r["off_topic"]) for r in rows), "cited": sum(r["cited"] for r in rows),
            "empty": sum(r["empty"] for r in rows), "absent_cited": sum(r["absent_cited"] for r in rows),
            "synthesized": mean("synthesized"), "joint": sum(r["joint"] for r in rows),
            "repeated": sum(r.get("repeated", 0) for r in rows),
            "p50_s": round(percentile(times, 50), 1) if times else None,
            "p95_s": round(percentile(times, 95), 1) if times else None,
            "draft_p50_s": round(percentile([r["draft_s"] for r in written], 50), 1) if written else None,
            "verify_p50_s": round(percentile([r["verify_s"] for r in written], 50), 1) if written else None}


def report(rows: list[dict[str, Any]], model: str) -> str:
    groups = {"dev": [r for r in rows if r["set"] == "dev"], "test": [r for r in rows if r["set"] == "test"],
              "test, subjects not in dev": [r for r in rows if r["set"] == "test" and not r["same_subject"]]}
    aggs = {k: aggregate(v) for k, v in groups.items() if v}
    keys = [("topics", "topics"), ("absent", "of which the collection lacks (no gold paper)"),
            ("recall", "topic recall (gold cited / gold)"), ("core_recall", "core recall"),
            ("off_topic", "off-topic citations (not in gold)"), ("cited", "citations"),
            ("empty", "summaries citing nothing while gold papers exist"),
            ("absent_cited", "absent topics that cite something"), ("synthesized", "share of sentences the model wrote"),
            ("joint", "sentences kept as stated by their papers together"),
            ("repeated", "sentences not shown: a sentence above says them"),
            ("p50_s", "time p50 (s), topics the collection has"), ("p95_s", "time p95 (s), topics the collection has"),
            ("draft_p50_s", "writing p50 (s)"), ("verify_p50_s", "checking p50 (s)")]
    lines = [f"# Topic summaries ({model}, CPU, cold cache)", "",
             "Produced by `.venv/bin/python eval/bench_summaries.py`. Dev topics tuned the relevance bar "
             "(eval/calibrate_summary.py); test topics were never tuned on.", "",
             "| metric | " + " | ".join(aggs) + " | target |", "|---|" + "---|" * (len(aggs) + 1)]
    targets = {"recall": "≥ 0.80", "core_recall": "≥ 0.95", "off_topic": "0", "empty": "0", "absent_cited": "0",
               "p50_s": "≤ 20", "p95_s": "≤ 40"}
    for key, label in keys:
        lines.append(f"| {label} | " + " | ".join(str(a[key]) for a in aggs.values()) + f" | {targets.get(key, '')} |")
    lines += ["", "## Off-topic citations (cited, not in the topic's gold list)", ""]
    for r in rows:
        for title in r["off_topic"]:
            lines.append(f"- {r['set']} {r['id']} “{r['topic']}”: {title}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="dev,test")
    ap.add_argument("--model", default=None)
    ap.add_argument("--selection-only", action="store_true",
                    help="no model: score the papers the summary would cite (each chosen paper is cited, by a checked "
                         "sentence or a verbatim quote), seconds instead of minutes")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings()
        settings = base.model_copy(update={"data_dir": Path(tmp), "store": base.store.model_copy(
            update={"path": base.store_path}), **({"llm": base.llm.model_copy(update={"model": args.model})}
                                                  if args.model else {})})
        a = Assistant(settings, progress=False)
        for name in args.sets.split(","):
            for t in load_topics(name):
                with turn():
                    s = selection(a, t["topic"]) if args.selection_only else a.summarize(t["topic"])
                row = score({**t, "set": name}, s)
                rows.append(row)
                print(f"{name} {t['id']}: recall {row['recall']} off {len(row['off_topic'])} "
                      f"{row['total_s']:.1f}s", flush=True)
        model = str(a.llm.describe()["model"])
    REPORTS.mkdir(exist_ok=True)
    if args.selection_only:
        md = report(rows, "selection only, no model")
        (REPORTS / "summaries_selection.md").write_text(md)
        print(md)
        return
    (REPORTS / "summaries_rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    md = report(rows, model)
    (REPORTS / "summaries.json").write_text(json.dumps({"model": model, "rows": len(rows)}, indent=1))
    (REPORTS / "summaries.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
