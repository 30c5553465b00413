"""Can the LLM judge check a sentence from the answer's own prompt, already in the model's KV cache?

A check against a paper reads the judge's instructions, the paper's title and abstract (about 300 tokens,
about 2 s on 2 cores: a third of answer time) and the sentence. The answering model has just read the same
evidence, so its cache, copied into the judge's context (llm/llamacpp.py copy_context), would leave only the
sentence to read. This compares, on the drafted dev sentences of eval/verifier_drafts.jsonl (labelled by a
helper), the abstract judge with judges whose prompt shares a prefix with the answer's:

- answer+turn: the answer's whole prompt, then a user turn asking about source [n] (wording A-D below);
- answer-system+source: the answer's system prompt and source [n]'s evidence only, then the question
  (a prefix the answer prompt shares for source [1]);
- verify-system+evidence: the abstract judge's prompt with source [n]'s evidence in place of the abstract.

Reported: ROC AUC and the recall at precision >= 0.95 (the rule eval/calibrate_threshold.py uses).

    BENCH_LOCK=/tmp/cpu.lock .venv/bin/python eval/compare_context_judges.py   # -> eval/reports/context_judge.md
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cpulock import turn  # eval/cpulock.py

from assistant import Assistant, Settings
from assistant.answer.ask import Question, draft_messages, evidence, retrieve
from assistant.answer.evidence import format_source
from assistant.answer.prompts import render
from assistant.types import Source
from assistant.verify import load_verifier

EVAL = Path(__file__).parent
RULES = ('Reply "yes" if source [{n}] states the sentence (a faithful paraphrase counts), and "no" if it does not '
         'state it, says something else, or says the opposite. Reply with one word: yes or no.')
SHORT = ("Is this sentence stated by source [{n}]{title}? A faithful paraphrase counts; a sentence that source [{n}] "
         "does not say, or contradicts, does not.")

Messages = list[dict[str, str]]
Variant = Callable[[Messages, Source, str], Messages]


def _turn(text: str, role: str = "user") -> dict[str, str]:
    return {"role": role, "content": text}


def _src(s: Source) -> str:
    return format_source(s.n, s.paper.title, s.evidence)


VARIANTS: dict[str, Variant] = {
    "A answer+turn: check against source [n], not the question": lambda m, s, c: [*m, _turn(
        f"Now check one sentence against source [{s.n}] above, not against the question. {RULES.format(n=s.n)}\n"
        f"Sentence: {c}\nDoes source [{s.n}] state the sentence?")],
    "B answer+turn: a system turn with the rules": lambda m, s, c: [*m, _turn(
        f"You now check a sentence against source [{s.n}] above. {RULES.format(n=s.n)}", "system"),
        _turn(f"Sentence: {c}\nDoes source [{s.n}] state the sentence?")],
    "C answer+turn: B, naming the source's title": lambda m, s, c: [*m, _turn(
        f"You now check a sentence against source [{s.n}] above. {RULES.format(n=s.n)}", "system"),
        _turn(f"Source [{s.n}]: {s.paper.title}\nSentence: {c}\nDoes source [{s.n}] state the sentence?")],
    "D answer+turn: ignore the question, short (prompts/verify_context.md)": lambda m, s, c: [*m, _turn(
        render("verify_context", n=str(s.n), title=s.paper.title, claim=c))],
    "E answer+turn: the sentence as the model's own reply": lambda m, s, c: [*m, _turn(c, "assistant"), _turn(
        f"Is your last sentence stated by source [{s.n}]? A faithful paraphrase counts; a sentence that source "
        f"[{s.n}] does not say, or contradicts, does not. Reply with one word: yes or no.")],
    "F answer-system+source [n]": lambda m, s, c: [m[0], _turn(
        f"Sources:\n{_src(s)}\n\n{SHORT.format(n=s.n, title='')}\nSentence: {c}\nReply with one word: yes or no.")],
    "G verify-system+evidence of source [n]": lambda m, s, c: [
        _turn(render("verify_system"), "system"),
        _turn(render("verify_user", title=s.paper.title, abstract=" ".join(s.evidence), claim=c))],
}


def auc(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def recall_at(scores: list[float], labels: list[bool], precision: float = 0.95) -> float:
    best = 0.0
    for t in sorted(set(scores)):
        kept = [y for s, y in zip(scores, labels, strict=True) if s >= t]
        if kept and sum(kept) / len(kept) >= precision:
            best = max(best, sum(kept) / sum(labels))
    return best


def main() -> None:
    rows = [json.loads(line) for line in (EVAL / "verifier_drafts.jsonl").read_text().splitlines() if line.strip()]
    a = Assistant(Settings(), progress=False)
    judge: Any = load_verifier(a.settings, judge=a.judge, name="llm")
    papers = {p.title: p for p, _ in a.retriever.papers.values()}
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_question[r["question"]].append(i)
    scores: dict[str, list[float | None]] = {k: [None] * len(rows) for k in ["abstract judge", *VARIANTS]}
    for question, idx in by_question.items():
        q = Question(question)
        sources = {s.paper.title: s for s in evidence(retrieve(q, a.retriever, a.settings.retrieval.k), a.judge,
                                                      a.llm, a.settings)}
        messages = draft_messages(q, list(sources.values()))
        with turn():
            for i in idx:
                scores["abstract judge"][i] = judge.support([rows[i]["claim"]], papers[rows[i]["source"]])[0].score
            for name, variant in VARIANTS.items():  # the answer's prompt stays cached across variants
                for i in idx:
                    if (s := sources.get(rows[i]["source"])) is not None:
                        scores[name][i] = judge.p_yes(judge.tokens(variant(messages, s, rows[i]["claim"])))
    both = [i for i in range(len(rows)) if all(v[i] is not None for v in scores.values())]
    labels = [bool(rows[i]["supported"]) for i in both]
    md = [f"# LLM judges over the answer's prompt vs the abstract judge\n\n{len(both)} drafted dev sentences "
          f"({sum(labels)} supported; eval/verifier_drafts.jsonl), default model. Made by "
          "eval/compare_context_judges.py.\n", "| judge prompt | ROC AUC | recall at precision >= 0.95 |",
          "|---|---|---|"]
    for name, v in scores.items():
        s = [float(v[i]) for i in both]  # type: ignore[arg-type]
        md.append(f"| {name} | {auc(s, labels):.3f} | {recall_at(s, labels):.3f} |")
    (EVAL / "reports" / "context_judge.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
