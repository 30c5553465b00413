"""Summary time before and after a change, in one process with cold draft caches: the summarize module of a
git revision (--base) against the working tree's, alternating which runs first per topic. Every paper's
sentence vectors are computed before the first topic, and both llama.cpp contexts (writer and judge) are reset
before each summary, so the second never reuses the first's prompt from the KV cache. Only summarize.py comes from the
base revision (the checker, prompts and settings are the working tree's): valid for a change confined to it.

    .venv/bin/python eval/ab_summaries.py --base 89915e6 [--set test]

Prints per-topic seconds and the p50/p95 ratio; writes eval/reports/summaries_ab_<set>.jsonl and .md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from topics import load_topics  # eval/topics.py

from assistant import Assistant, Settings
from assistant.answer import summarize as new
from assistant.evaluate.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent


def module_at(rev: str, tmp: Path):
    path = tmp / "base_summarize.py"
    path.write_text(subprocess.run(["git", "show", f"{rev}:assistant/answer/summarize.py"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout)
    spec = importlib.util.spec_from_file_location("base_summarize", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["base_summarize"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def written(s) -> int:
    """Sentences the model wrote that are shown (not quotes). Counted from the themes' shape, not Claim.verbatim or
    Theme.alone, which the base revision's module may not set."""
    return sum(len(t.claims) - len(t.quoted) for t in s.themes if len(t.papers) > 1 or not t.quoted) + len(s.closing)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="git revision whose summarize module is the baseline")
    ap.add_argument("--set", default="test")
    args = ap.parse_args()
    a = Assistant(Settings(), progress=False)
    for paper, _ in a.retriever.papers.values():
        a.judge.vectors(paper)
    contexts = [a.llm.llm, getattr(a.verifier, "llama", None)]  # type: ignore[attr-defined]
    rows, lines = [], []
    with tempfile.TemporaryDirectory() as tmp:
        old = module_at(args.base, Path(tmp))
        topics = [t for t in load_topics(args.set) if t["gold"]]
        for i, t in enumerate(topics):
            order = [("base", old), ("new", new)] if i % 2 == 0 else [("new", new), ("base", old)]
            row: dict = {"id": t["id"]}
            for name, mod in order:
                for llama in filter(None, contexts):
                    llama.reset()
                with tempfile.TemporaryDirectory() as data:
                    st = a.settings.model_copy(update={"data_dir": Path(data)})
                    s = mod.summarize(t["topic"], settings=st, retriever=a.retriever, llm=a.llm, judge=a.judge,
                                      verifier=a.verifier, threshold=a.threshold())
                row[name] = s.timings["total_ms"] / 1000
                row[f"{name}_cited"] = sorted(c.title for c in s.citations)
                row[f"{name}_written"] = written(s)
            rows.append(row)
            lines.append(f"{t['id']} {row['base']:.1f}s -> {row['new']:.1f}s {row['new'] / row['base']:.2f}x "
                         f"{'same papers' if row['base_cited'] == row['new_cited'] else 'papers differ'} "
                         f"written {row['base_written']} -> {row['new_written']}")
            print(lines[-1], flush=True)
    b, n = [r["base"] for r in rows], [r["new"] for r in rows]
    p50 = percentile(n, 50) / percentile(b, 50)
    lines.append(f"p50 {percentile(b, 50):.1f}s -> {percentile(n, 50):.1f}s ({p50:.2f}x); "
                 f"p95 {percentile(b, 95):.1f}s -> {percentile(n, 95):.1f}s; same papers cited in "
                 f"{sum(r['base_cited'] == r['new_cited'] for r in rows)} of {len(rows)}; model sentences shown "
                 f"{sum(r['base_written'] for r in rows)} -> {sum(r['new_written'] for r in rows)}")
    print(lines[-1])
    reports = Path(__file__).parent / "reports"
    (reports / f"summaries_ab_{args.set}.md").write_text(
        f"# Summary time, {args.base} against the working tree ({args.set} topics, one process)\n\n"
        f"`.venv/bin/python eval/ab_summaries.py --base {args.base} --set {args.set}`: cold draft caches, both "
        "llama.cpp contexts reset before each summary, which runs first alternating per topic; \"written\" counts "
        "the model's sentences shown.\n\n```\n" + "\n".join(lines) + "\n```\n")
    (reports / f"summaries_ab_{args.set}.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
