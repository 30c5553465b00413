"""Two summary settings, A (as shipped) and B (overrides), interleaved topic by topic in one process: time and text.

Each topic is summarized under both, in alternating order (A first on odd topics, B first on even ones), with a cold
draft cache (a fresh data dir), so both see the same machine load and neither reuses the other's draft. Reported per
set: time p50/p95 and the median per-topic ratio B/A, writing and checking p50, sentences the model wrote that were
shown or removed, citations and recall against the gold papers (selection does not depend on these settings, so
those should match).

    .venv/bin/python eval/ab_summaries.py --b summary.evidence_tokens=50 --sets dev [--name one_sentence]

Writes eval/reports/summaries_ab_<name>.md and summaries_ab_<name>_rows.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench_summaries import score  # eval/
from cpulock import turn
from topics import load_topics

from assistant import Assistant, Settings
from assistant.evaluate.metrics import percentile

REPORTS = Path(__file__).parent / "reports"


def override(settings: Settings, pairs: list[str]) -> Settings:
    """A copy of `settings` with each 'section.field=value' set (the value parsed as JSON where it parses)."""
    out = settings.model_copy(deep=True)
    for pair in pairs:
        key, value = pair.split("=", 1)
        section, name = key.split(".")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        setattr(getattr(out, section), name, parsed)
    return out


def table(rows: list[dict[str, Any]]) -> list[str]:
    def p(xs: list[float], q: int) -> str:
        return f"{percentile(xs, q):.1f}" if xs else "–"

    lines = ["| metric | A (shipped) | B |", "|---|---|---|"]
    by = {k: [r for r in rows if r["arm"] == k] for k in ("A", "B")}
    for label, fn in [
        ("topics with gold papers", lambda rs: str(len(rs))),
        ("time p50 (s)", lambda rs: p([r["total_s"] for r in rs], 50)),
        ("time p95 (s)", lambda rs: p([r["total_s"] for r in rs], 95)),
        ("writing p50 (s)", lambda rs: p([r["draft_s"] for r in rs], 50)),
        ("checking p50 (s)", lambda rs: p([r["verify_s"] for r in rs], 50)),
        ("sentences shown", lambda rs: str(sum(r["sentences"] for r in rs))),
        ("of which the model wrote", lambda rs: str(round(sum(r["sentences"] * r["synthesized"] for r in rs)))),
        ("model sentences removed by the check", lambda rs: str(sum(r["removed"] for r in rs))),
        ("citations", lambda rs: str(sum(r["cited"] for r in rs))),
        ("recall", lambda rs: f"{statistics.mean(r['recall'] for r in rs):.3f}" if rs else "–"),
        ("off-topic citations", lambda rs: str(sum(len(r["off_topic"]) for r in rs))),
    ]:
        lines.append(f"| {label} | {fn(by['A'])} | {fn(by['B'])} |")
    ratios = [b["total_s"] / a["total_s"] for a, b in zip(by["A"], by["B"], strict=True) if a["total_s"]]
    lines.append(f"| median per-topic time ratio B/A | 1 | {statistics.median(ratios):.2f} |" if ratios else "")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--b", action="append", required=True, help="section.field=value for arm B (repeatable)")
    ap.add_argument("--sets", default="dev")
    ap.add_argument("--name", default="b")
    ap.add_argument("--limit", type=int, help="at most this many topics per set")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings()
        arms = {}
        for arm, pairs in (("A", []), ("B", args.b)):
            data = Path(tmp) / arm  # each arm its own draft cache: both cold
            arms[arm] = override(base.model_copy(update={"data_dir": data, "store": base.store.model_copy(
                update={"path": base.store_path})}), pairs)
        a = Assistant(arms["A"], progress=False)
        k = 0
        for name in args.sets.split(","):
            for t in [t for t in load_topics(name) if t["gold"]][: args.limit]:
                if not t["gold"]:
                    continue  # an absent topic takes no model time under either arm
                k += 1
                for arm in ("A", "B") if k % 2 else ("B", "A"):
                    a.settings = arms[arm]
                    with turn():
                        s = a.summarize(t["topic"])
                    row = {**score({**t, "set": name}, s), "arm": arm}
                    rows.append(row)
                    print(f"{name} {t['id']} {arm}: {row['total_s']:.1f}s written {row['synthesized']:.2f} "
                          f"removed {row['removed']} cited {row['cited']}", flush=True)
    rows.sort(key=lambda r: (r["set"], r["id"], r["arm"]))
    md = [f"# Summaries A/B: {' '.join(args.b)}", "",
          f"`.venv/bin/python eval/ab_summaries.py --b {' --b '.join(args.b)} --sets {args.sets} --name {args.name}`: "
          "A is the shipped settings, B overrides them; both interleaved topic by topic in one process, cold caches.",
          ""]
    for name in args.sets.split(","):
        md += [f"## {name}", "", *table([r for r in rows if r["set"] == name]), ""]
    (REPORTS / f"summaries_ab_{args.name}.md").write_text("\n".join(md))
    (REPORTS / f"summaries_ab_{args.name}_rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    print("\n".join(md))


if __name__ == "__main__":
    main()
