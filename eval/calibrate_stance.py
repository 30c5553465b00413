"""Calibrate `answer.stance_bias` on the dev set: how far the model leans to "Yes" when a yes/no answer opens.

For each dev yes/no question with a gold stance, the product's own draft prompt (same retrieval, evidence
and prompt) is run to its first token and the log-odds log P(No) - log P(Yes) read from the logits. A bias b
added to the "No" logit makes the answer open with "No" when log-odds + b > 0; b is chosen for the best
balanced accuracy (mean of the "yes" and the "no" questions' accuracy), the smallest |b| among ties. This
is contextual calibration of one prior: the model's lean to agree with the question. The test set is never
read here.

    .venv/bin/python eval/calibrate_stance.py    # -> eval/reports/stance_calibration.json
"""

from __future__ import annotations

import json
from pathlib import Path

import llama_cpp
import numpy as np
from cpulock import turn  # eval/cpulock.py
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answer import ask
from assistant.answer.check import is_yes_no
from assistant.evaluate.questions import load_questions

EVAL = Path(__file__).parent


def first_logodds(a: Assistant, question: str, no_ids: list[int], yes_ids: list[int]) -> float:
    q = ask.Question(question)
    r = ask.retrieve(q, a.retriever, a.settings.retrieval.k)
    sources = ask.evidence(r, a.judge, a.llm, a.settings)
    seen: list[np.ndarray] = []

    def keep(input_ids: object, scores: np.ndarray) -> np.ndarray:
        if not seen:
            seen.append(np.array(scores, dtype=np.float64))
        return scores

    a.llm.llm.create_chat_completion(messages=ask.draft_messages(q, sources), max_tokens=1, temperature=0.0,
                                     logits_processor=llama_cpp.LogitsProcessorList([keep]))
    s = seen[0]
    return float(np.logaddexp.reduce(s[no_ids]) - np.logaddexp.reduce(s[yes_ids]))


def balanced(rows: list[dict], b: float) -> float:
    acc = []
    for stance in ("yes", "no"):
        part = [r for r in rows if r["stance"] == stance]
        if part:
            acc.append(sum((r["logodds_no"] + b > 0) == (stance == "no") for r in part) / len(part))
    return sum(acc) / len(acc)


def main() -> None:
    a = Assistant(Settings(), progress=False)
    qs = [q for q in load_questions(EVAL / "questions.jsonl") if q.stance in ("yes", "no") and is_yes_no(q.question)]
    no_ids, yes_ids = a.llm.word_ids("No"), a.llm.word_ids("Yes")
    rows = []
    for q in tqdm(qs, desc="stance", unit="q"):
        with turn():
            rows.append({"id": q.id, "stance": q.stance, "logodds_no": first_logodds(a, q.question, no_ids, yes_ids)})
    grid = sorted({round(-r["logodds_no"] + d, 2) for r in rows for d in (-0.01, 0.01)} | {0.0})
    best = max(grid, key=lambda b: (balanced(rows, b), -abs(b)))
    out = {"questions": len(rows), "yes": sum(r["stance"] == "yes" for r in rows),
           "no": sum(r["stance"] == "no" for r in rows), "bias": best,
           "balanced_accuracy": {"bias 0": balanced(rows, 0.0), "chosen": balanced(rows, best)},
           "model": a.llm.describe()["model"], "rows": rows}
    (EVAL / "reports" / "stance_calibration.json").write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
