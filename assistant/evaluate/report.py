"""report.md: the metrics as tables a person can read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.evaluate.scoring import RETRIEVAL_METRICS

DEFINITIONS = """\
- **hit@k**: 1 when a gold paper is among the first k retrieved, else 0.
- **recall@5**: share of the gold papers among the first 5.
- **mrr@10**: 1 / rank of the first gold paper within 10, else 0.
- **ndcg@10**: DCG of binary relevance over the first 10, divided by the ideal DCG.
- Retrieval metrics count only questions with gold papers; a question with no results scores 0.
"""


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def retrieval_table(metrics: dict[str, Any]) -> str:
    r = metrics["retrieval"]
    head = "| kind | n | " + " | ".join(RETRIEVAL_METRICS) + " |\n|---|---|" + "---|" * len(RETRIEVAL_METRICS) + "\n"
    lines = [(k, v) for k, v in r["by_kind"].items() if v["n"]] + [("**overall**", r["overall"])]
    return head + "".join(f"| {k} | {v['n']} | " + " | ".join(_fmt(v[m]) for m in RETRIEVAL_METRICS) + " |\n"
                          for k, v in lines)


ANSWER_METRICS = ("n", "citation_precision", "citation_recall", "refusal_recall", "false_refusal_rate",
                  "fact_coverage", "ttft_p50_ms", "ttft_p95_ms", "total_p50_ms", "prompt_tokens_mean")
ANSWER_DEFINITIONS = """\
- **citation_precision**: cited papers that are gold papers, over all citations (citations on unanswerables count
  as wrong).
- **citation_recall**: per answerable question, share of its gold papers cited; averaged.
- **refusal_recall**: share of unanswerable questions refused. **false_refusal_rate**: share of answerable ones refused.
- **fact_coverage**: share of a question's answer facts whose content words (>= 60%) appear in the answer.
- **ttft**: time from the question to the first streamed token; total: to the checked answer.
"""


def answer_table(metrics: dict[str, Any]) -> str:
    a = metrics["answers"]
    head = "| kind | " + " | ".join(ANSWER_METRICS) + " |\n|---|" + "---|" * len(ANSWER_METRICS) + "\n"
    lines = [(k, v) for k, v in a["by_kind"].items() if v["n"]] + [("**overall**", a["overall"])]
    return head + "".join(f"| {k} | " + " | ".join(_fmt(v[m]) for m in ANSWER_METRICS) + " |\n" for k, v in lines)


def write_report(out_dir: Path, rows: list[dict[str, Any]], metrics: dict[str, Any]) -> Path:
    misses = [r for r in rows if r.get("gold") and not set(r["gold"]) & set((r.get("retrieved") or [])[:5])]
    text = [f"# Eval report\n\n{metrics['questions']} questions, {metrics['errors']} errors.\n",
            "## Retrieval\n", retrieval_table(metrics), "\n", DEFINITIONS]
    if "answers" in metrics:
        text += ["\n## Answers\n", answer_table(metrics), "\n", ANSWER_DEFINITIONS]
    if misses:
        text.append("\n## Retrieval misses (no gold paper in the top 5)\n")
        text += [f"- `{r['id']}` {r['question']} — gold: {'; '.join(r['gold'])}\n" for r in misses]
    path = out_dir / "report.md"
    path.write_text("".join(text), encoding="utf-8")
    return path
