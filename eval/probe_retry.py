"""Probe: when the check removes every sentence of a draft, would one more turn ("no source states that ...")
get the model to say what the sources say instead? Dev rows only; nothing here is shipped.

For each product row of a set that was refused after the check removed its draft's sentences (not the model's
own refusal), the same sources and draft are rebuilt, a retry turn is appended and the model's second reply goes
through the real claim check. On the 20 such dev rows (10 answerable, 4 of them false premises and 2
negations; 10 unanswerable) with the default model:
- `refuse`: the retry offers the refusal phrase; the model takes it on all 20;
- `instead`: without it, the model writes about "the question's assumption" ("The question assumes that ..."):
  no answerable row is answered, and 4 unanswerable ones are answered with a citation.
So the retry was not built: false premises stay refused. (Counts are for all 20 rows in one run: at temperature
0 a reply can still change with the prompt run before it, whose cached prefix llama.cpp reuses.)

    .venv/bin/python eval/probe_retry.py dev --prompt instead
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_answers import read_rows  # eval/bench_answers.py
from calibrate_stance_judge import Cached, replay  # eval/calibrate_stance_judge.py: the draft through the real claim check
from cpulock import turn  # eval/cpulock.py

from assistant import Assistant, Settings
from assistant.answer import ask
from assistant.answer.check import render_claims
from assistant.llm.base import Usage

REPORTS = Path(__file__).parent / "reports"
PROMPTS = {
    "refuse": "No source states that. Answer again with only what the sources say. If the question assumes something "
              "a source contradicts, say what that source says instead. If no source is about what was asked, reply "
              "exactly: I cannot answer this from the given papers.",
    "instead": "No source states that. What do the sources say instead about what the question assumes? Answer in "
               "one or two sentences, each citing its source like [1].",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl (a dev set)")
    ap.add_argument("--prompt", choices=sorted(PROMPTS), default="instead")
    args = ap.parse_args()
    a = Assistant(Settings(), progress=False)
    s = a.settings
    rows = read_rows(REPORTS / f"answers_{args.name}_rows.jsonl")
    picked = [r for r in rows if r["system"] == "product" and r.get("refused") and r.get("draft")
              and not ask.is_refusal(r["draft"]) and {"unsupported", "dropped"} & set(r.get("flags") or [])]
    answered = {"answerable": 0, "unanswerable": 0}
    for r in picked:
        with turn():
            q = ask.Question(r["question"])
            ret = ask.retrieve(q, a.retriever, s.retrieval.k)
            sources = ask.evidence(ret, a.judge, a.llm, s)
            messages = [*ask.draft_messages(q, sources), {"role": "assistant", "content": r["draft"]},
                        {"role": "user", "content": PROMPTS[args.prompt]}]
            text = "".join(a.llm.stream(messages, max_tokens=s.llm.max_tokens, temperature=0.0, usage=Usage()))
            case = {"question": r["question"], "sources": sources, "draft": text, "qvec": ret.query_vec}
            v = replay(a, case, Cached(a.verifier), (s.verify.stance_yes, s.verify.stance_no))
        shown = "" if v.refused or not v.claims else render_claims(v.claims)
        if shown:
            answered["unanswerable" if r["kind"] == "unanswerable" else "answerable"] += 1
        print(f"{r['id']} [{r['kind']}] {r.get('tags')}\n  retry: {text[:240]}\n  shown: {shown[:240] or '(refused)'}")
    print(f"{len(picked)} rows; answered after the retry: {answered}")


if __name__ == "__main__":
    main()
