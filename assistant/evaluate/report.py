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


ANSWER_METRICS = ("n", "false_refusal_rate", "refusal_recall", "unanswerable_with_citation", "refusal_precision",
                  "claim_citation_precision", "claim_citation_recall", "gold_evidence_cited", "facts_stated",
                  "paper_precision", "paper_recall", "stance_agreement", "ttft_p50_ms", "first_sentence_p50_ms",
                  "total_p50_ms", "total_p95_ms", "verify_share", "prompt_tokens_mean")
ANSWER_DEFINITIONS = """\
- **false_refusal_rate**: share of answerable questions refused; **refusal_recall**: share of unanswerable ones
  refused; **unanswerable_with_citation**: unanswerable questions answered with a citation (should be 0).
- **claim_citation_precision / recall** (no model in the loop, evaluate/claims.py): a claim is grounded in a paper
  when one or two adjacent abstract sentences hold >= 70% of its content words, all its numbers and its polarity;
  precision = (claim, cited paper) pairs grounded, recall = claims grounded in a paper they cite.
- **gold_evidence_cited**: expected facts whose gold abstract sentence grounds a claim citing its paper.
- **claims_naming_another_paper**: claims that open with one source's title (or the name that opens it) and cite
  other sources only: a claim about one paper the reader would check in another (should be 0).
- **claim_citation_precision_unquoted**: the same precision without the verbatim quotes an answer of bare stances
  gets (grounded by construction); **quotes_gold_evidence**: share of answers with quotes where one is gold evidence.
- **facts_stated**: share of a question's expected facts whose content words (>= 60%) appear in the answer.
- **paper_precision / recall**: cited papers that are gold papers; gold papers cited (topic rows: topic recall).
- **stance_agreement**: yes/no questions whose answer opens with the gold stance (a refusal disagrees).
- **ttft**: question to the model's first token; **first_sentence**: to the first verified sentence shown;
  **verify_share**: the claim check's share of the answer's total time.
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
        text += ["\n## Plots\n\n"] + [f"![{name}]({name}.png)\n\n" for name in plots(out_dir, rows, metrics)]
    if misses:
        text.append("\n## Retrieval misses (no gold paper in the top 5)\n")
        text += [f"- `{r['id']}` {r['question']} — gold: {'; '.join(r['gold'])}\n" for r in misses]
    path = out_dir / "report.md"
    path.write_text("".join(text), encoding="utf-8")
    return path


def plots(out_dir: Path, rows: list[dict[str, Any]], metrics: dict[str, Any]) -> list[str]:
    """PNG plots beside the report: per-kind scores, latency distribution, refusal-score calibration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    kinds = [k for k, v in metrics["answers"]["by_kind"].items() if v["n"]]
    series = {"hit@5": [metrics["retrieval"]["by_kind"].get(k, {}).get("hit@5") for k in kinds],
              "paper recall (gold)": [metrics["answers"]["by_kind"][k]["paper_recall"] for k in kinds],
              "claim citation precision": [metrics["answers"]["by_kind"][k]["claim_citation_precision"]
                                           for k in kinds],
              "refused": [metrics["answers"]["by_kind"][k]["refusal_recall"]
                          or metrics["answers"]["by_kind"][k]["false_refusal_rate"] for k in kinds]}
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(series)
    for i, (label, vals) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(kinds))], [v or 0 for v in vals], width, label=label)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds)
    ax.set_ylim(0, 1.05)
    ax.set_title("Scores per question kind")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out_dir / "scores_by_kind.png", dpi=110)
    plt.close(fig)
    names.append("scores_by_kind")

    ttft = [r["timings"]["ttft_ms"] / 1000 for r in rows if (r.get("timings") or {}).get("ttft_ms") and r.get("draft")]
    total = [r["timings"]["total_ms"] / 1000 for r in rows if (r.get("timings") or {}).get("total_ms")]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hist([ttft, total], bins=20, label=["time to first token", "total"])
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=110)
    plt.close(fig)
    names.append("latency")

    fig, ax = plt.subplots(figsize=(8, 4))
    for label, pick, color in (("answerable", lambda r: bool(r.get("gold")), "tab:blue"),
                               ("unanswerable", lambda r: not r.get("gold"), "tab:red")):
        pts = [(r.get("best_similarity", 0.0), 1 if r.get("refused") else 0) for r in rows
               if pick(r) and r.get("kind") != "topic" and "best_similarity" in r]
        ax.scatter([p[0] for p in pts], [p[1] + (0.06 if label == "unanswerable" else -0.06) for p in pts],
                   label=label, color=color, alpha=0.6)
    ax.set_yticks([0, 1], ["answered", "refused"])
    ax.set_xlabel("best retrieval similarity of the question")
    ax.set_title("Refusal calibration: who was refused, by retrieval score")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "refusal_calibration.png", dpi=110)
    plt.close(fig)
    names.append("refusal_calibration")
    return names
