"""Dev and test side by side, product and naive baseline, per kind and per tag.

Reads the rows eval/bench_answers.py wrote (eval/reports/answers_<set>_rows.jsonl) and the
interleaved timing run (eval/reports/timing_<name>.json); no model runs. Writes
eval/reports/answers.md and answers.json.

    .venv/bin/python eval/report_answers.py [--sets dev,stance,test,which,which_test,names,pubmed_first,pubmed]
        [--timing dev,test]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import read_rows  # eval/bench_answers.py

from assistant import Assistant, Settings
from assistant.corpus import load_papers
from assistant.evaluate.metrics import mean, percentile
from assistant.evaluate.scoring import answer_metrics

REPORTS = Path(__file__).parent / "reports"
SHOWN = ("n", "false_refusal_rate", "refusal_recall", "unanswerable_with_citation", "claim_citation_precision",
         "claim_citation_precision_unquoted", "claim_citation_recall", "claims_naming_another_paper",
         "gold_evidence_cited", "quotes_gold_evidence",
         "facts_stated", "paper_precision", "paper_recall",
         "stance_agreement", "total_p50_ms", "verify_share", "prompt_tokens_mean")
CORPUS = {"pubmed": Path(__file__).parent / "corpus_pubmed_style.jsonl"}  # sets over a collection of their own
# (a set named <name>_<anything> is over <name>'s collection: pubmed_first)
GROUPS = ("all", "lookup", "multi", "unanswerable", "yesno", "false_premise", "negation", "figure", "near_miss")


def group(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    if name == "all":
        return rows
    return [r for r in rows if r.get("kind") == name or name in (r.get("tags") or [])]


def fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def paired_timing(sets: list[str]) -> list[str]:
    """Time to the first verified sentence against the baseline's first token, on the questions both systems ran.

    The benchmark runs each question under one CPU lock (eval/cpulock.py), so each row was timed alone; rows of
    one set can come from runs on different days, when this machine read prompts at different speeds, so the
    table shows each system's prompt tokens per second: the times compare only where those match."""
    md = ["## Timing on the same questions (rows timed alone under the bench lock)", "",
          "| set | questions | product first verified sentence p50 ms | baseline first token p50 ms | ratio | "
          "product total p50 ms | baseline total p50 ms | ratio | verifier share of product time | "
          "prompt tokens/s p10–p50–p90, product / baseline |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for name in sets:
        path = REPORTS / f"answers_{name}_rows.jsonl"
        rows = read_rows(path)
        by = {(r["system"], r["id"]): r for r in rows}
        both = [i for (sys_, i) in by if sys_ == "product" and ("baseline", i) in by and by[("product", i)]["gold"]]
        if not both:
            continue
        prod = [by[("product", i)]["timings"] for i in both]
        base = [by[("baseline", i)]["timings"] for i in both]
        first, ttft = percentile([t["first_sentence_ms"] for t in prod], 50), percentile([t["ttft_ms"] for t in base], 50)
        tot_p, tot_b = percentile([t["total_ms"] for t in prod], 50), percentile([t["total_ms"] for t in base], 50)
        share = mean(t["verify_ms"] / t["total_ms"] for t in prod if t.get("total_ms"))
        speed_p = [by[("product", i)]["usage"].get("prompt_eval_tokens", 0) / t["llm_prompt_ms"] * 1000
                   for i, t in zip(both, prod, strict=True) if t.get("llm_prompt_ms")]
        speed_b = [by[("baseline", i)]["usage"].get("prompt_tokens", 0) / t["ttft_ms"] * 1000
                   for i, t in zip(both, base, strict=True) if t.get("ttft_ms")]
        speed = " / ".join("–".join(f"{percentile(v, q) or 0:.0f}" for q in (10, 50, 90)) for v in (speed_p, speed_b))
        md.append(f"| {name} | {len(both)} | {first:.0f} | {ttft:.0f} | {first / ttft:.2f} | {tot_p:.0f} | {tot_b:.0f} | "
                  f"{tot_p / tot_b:.2f} | {share:.2f} | {speed} |")
    return [*md, ""]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="dev,stance,test,which,which_test,names,pubmed_first,pubmed")
    ap.add_argument("--timing", default="dev,test", help="interleaved timing runs (timing_<name>.json), comma-separated")
    args = ap.parse_args()
    bundled = {pid: p for pid, (p, _) in Assistant(Settings(), progress=False).retriever.papers.items()}
    out: dict[str, Any] = {}
    for name in args.sets.split(","):
        own = CORPUS.get(name.split("_")[0])
        papers = {p.paper_id: p for p in load_papers([own]).papers} if own else bundled
        path = REPORTS / f"answers_{name}_rows.jsonl"
        rows = read_rows(path)
        for system in ("product", "baseline"):
            mine = [r for r in rows if r["system"] == system]
            out[f"{name}/{system}"] = {g: answer_metrics(group(mine, g), papers) for g in GROUPS if group(mine, g)}
    (REPORTS / "answers.json").write_text(json.dumps(out, indent=2))
    cols = [c for c in out if out[c]]
    md = ["# Answers: dev and test, product and naive baseline", "",
          "Default model (qwen2.5-coder-1.5b), CPU. Dev: eval/questions.jsonl (thresholds and prompts were chosen "
          "on it). Stance: eval/questions_stance.jsonl, 83 more dev yes/no questions over papers no test question "
          "uses (60 answerable, 30 of them 'no', and 23 near-misses the papers do not answer), written by helpers "
          "that saw only those papers; the stance bars were chosen on them and on dev's. Test: "
          "eval/questions_test.jsonl (written by a helper that saw only the corpus; nothing was tuned on it). "
          "Which: eval/questions_which.jsonl, 40 short \"Which paper(s) ...?\" questions as users type them "
          "(written by a helper that saw only the corpus, after a hand trial found such questions refused). It is "
          "dev since its refusals designed three rules (a paper's name alone, \"[2] Derives ...\", and the title "
          "left out of a named sentence's relevance). Which_test: eval/questions_which_test.jsonl, 40 more such "
          "questions (18 one-paper, 14 several-paper, 8 near misses) on other subjects, written afterwards by a helper "
          "that saw only the corpus, run once with those rules; nothing was tuned on it. "
          "Names: eval/questions_names.jsonl, 48 questions that name a paper as users do (a quoted title, a coined "
          "name such as \"the Faiss library\", an acronym, or the name in lower case; 36 answerable, 12 near misses), "
          "written by a helper that saw only the corpus, after two test questions (t102, t107) were refused before "
          "the model read anything; it is dev: the two title rules of the retriever (a word the question "
          "capitalizes, a quoted title) were measured on it, and the rows of every set whose retrieval they "
          "change were rerun live with and without them (the changed test and which rows carry \"rerun\": "
          "\"names\"), so t102 and t107 are not held-out. "
          "A wh-answer sentence opening with what the question assumes (\"X does P by Q\") is shown as its source's "
          "quoted sentence when no backing source states P (verify.premises, designed on dev d028 after reading test "
          "t011 and t122, so those two are not held-out); it never removes content, so only the rows whose answer "
          "held such a sentence were rerun live with and without it (eval/probe_premises.py; changed rows carry "
          "\"rerun\": \"premises\"). "
          "A draft listing papers as \"[2] <title> does X.\" has each marker read as its item's label, not as a "
          "citation of the item before (citations.labelled), and a sentence's relevance is read with and without "
          "the titles in it, the closer counting (found on dev q062; which_test x031 and test t075 and t080 were "
          "read while designing it, so those are not held-out); the rows of dev, which, which_test and test whose "
          "drafts either reading changes (19) were rerun live with both on and both off, contexts reset before "
          "each run (eval/probe_labels.py; the 2 changed rows carry \"rerun\": \"labels\"). "
          "PubMed: eval/questions_pubmed_style.jsonl, 64 yes/no questions (48 answerable, 25 of "
          "them 'no'; 16 near-misses) over a collection of its own, eval/corpus_pubmed_style.jsonl: 40 clinical "
          "abstracts in PubMed style, written by helpers for this set (no PubMed data can be fetched here), indexed "
          "as a user's own collection; the questions were written by a helper that saw only those abstracts, and "
          "nothing was tuned on them. pubmed_first is the product's first run on it (commit e392b4d), the held-out "
          "number; pubmed is the product after two rules that run found (the refusal of unmentioned specifics and "
          "the negated-finding check), so it is not held-out. "
          "The product rows of stance and pubmed are the earlier run's, replayed through the rule that shows a "
          "restated question as its stance alone (eval/replay_stance_only.py; rows it changed carry \"replayed\"; "
          "on dev, rerun live, the replay equals the live answer on all 40 yes/no questions whose draft came out "
          "the same). "
          "Two later rules, a sentence from a source that does not answer a yes/no question (verify.answers, chosen "
          "on the dev and stance drafts: eval/calibrate_answered.py) and a name or number its source lacks "
          "(answer.claim_specifics), only keep sentences from being shown, so the recorded drafts of every set were "
          "replayed through the check with them (eval/replay_check.py; rows changed carry \"replayed\": \"check\"; "
          "nothing was tuned on test or pubmed, but claim_specifics was prompted by reading one test answer, t174, "
          "and was then measured on the labelled verifier pairs: eval/reports/claim_specifics.md). "
          "A yes/no answer whose draft the check removed entirely quotes the answering source instead of refusing "
          "(verify.quote_answers, chosen on the dev and stance drafts: eval/calibrate_quote.py); it only turns "
          "such refusals into quotes, so the yes/no rows of dev, stance, test and pubmed were replayed through the "
          "check with it (eval/replay_check.py --only-quote), and the refusals it turned carry \"replayed\": \"quote\" "
          "(nothing was tuned on test or "
          "pubmed). "
          "To \"Which papers ...?\" the sources the draft left out are checked as named answers and listed when "
          "their abstracts state the predicate (verify.name_every_source, designed on the which and dev sets); it "
          "only adds sentences after the draft, so the rows of which, dev and which_test were replayed through the "
          "check with it (eval/replay_check.py --listed; rows it changed carry \"replayed\": \"listed\"; their "
          "timings are the recorded run's, without the listing's cost, which eval/time_stage.py measures live); no "
          "test question is phrased that way. "
          "A shown sentence that opens by pointing back (\"It ...\", \"This is because ...\") at a draft sentence "
          "the check did not show gives way to the source sentence(s) it rests on, quoted (verify.standalone; no "
          "threshold; designed on the dev and stance rows, though the class was found by listing the answers of "
          "every set, test included, that open with a pronoun); it only changes what a kept sentence shows, so "
          "the rows of dev, stance, which, names, test, which_test and pubmed were replayed through the check with "
          "and without it (eval/probe_standalone.py; rows it changed carry \"replayed\": \"standalone\"). "
          "Baseline: the top-5 abstracts in one prompt, the model's citations as written; where its n is "
          "smaller than the product's it ran on a fixed pseudo-random sample (bench_answers.py --sample). Metric "
          "definitions: assistant/evaluate/report.py; claim scores use no model (assistant/evaluate/claims.py).", ""]
    for g in GROUPS:
        present = [c for c in cols if g in out[c]]
        if not present:
            continue
        md += [f"## {g}", "", "| metric | " + " | ".join(present) + " |", "|---|" + "---|" * len(present)]
        md += [f"| {m} | " + " | ".join(fmt(out[c][g].get(m)) for c in present) + " |" for m in SHOWN]
        md.append("")
    md += paired_timing(args.sets.split(","))
    runs = {name: json.loads(t.read_text()) for name in args.timing.split(",")
            if (t := REPORTS / f"timing_{name}.json").is_file()}
    if runs:  # each run is one process, the two systems interleaved: its ratios hold, its times are its day's
        md += ["## Timing (one process per set, the two systems interleaved on the same questions)", "",
               "| measure | " + " | ".join(runs) + " |", "|---|" + "---|" * len(runs)]
        keys = [k for k, v in next(iter(runs.values())).items() if not isinstance(v, dict)]
        md += [f"| {k} | " + " | ".join(fmt(r.get(k)) for r in runs.values()) + " |" for k in keys]
        md.append("")
    (REPORTS / "answers.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
