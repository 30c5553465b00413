"""The claim check replayed on a set's recorded drafts, without the answering model: rows the current check shows
differently from the same replay with four rules off (verify.answers, answer.claim_specifics,
verify.llm_named_threshold set to the main bar, and verify.quote_answers) are rewritten.

No rule changes the prompt, so at temperature 0 the model drafts what it drafted; each rule only changes which
sentences are shown. Replayed: the product rows of yes/no questions (the `answers` rule reads only those),
rows where a shown sentence names a thing or a measured number its cited source does not contain (the only
sentences `claim_specifics` can change) and rows whose draft names its answer only ("[1]" to "Which paper
...?", the only sentences the named bar reads). A row whose sources are not the ones retrieved now is left alone, as is
a refusal made before the model ran. Rewritten rows carry "replayed": "check"; their timings are the original run's.
Judge calls are cached in the file ANSWERED_CALLS names, shared with eval/calibrate_answered.py.
With --listed only the rows verify.name_every_source changes are rewritten ("replayed": "listed"), against the
same check without it. With --only-quote only the recorded refusals that verify.quote_answers turns into quotes
are rewritten (marked "replayed": "quote"); a row the live check showed something for is left as recorded, since
the rule never runs there.

    .venv/bin/python eval/replay_check.py dev
    .venv/bin/python eval/replay_check.py pubmed --corpus eval/corpus_pubmed_style.jsonl
    .venv/bin/python eval/replay_check.py test --only-quote
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_answered import cached_judge
from calibrate_stance_judge import Cached, case, replay

from assistant import Assistant, Settings
from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.answer.check import is_yes_no, stance_quotes
from assistant.answer.support import unmentioned
from assistant.index.chunking import split_sentences
from assistant.types import Action, Answer, Paper

REPORTS = Path(__file__).parent / "reports"


def may_change(row: dict[str, Any], papers: dict[str, Paper]) -> bool:
    if row["system"] != "product" or not row.get("draft"):
        return False
    if is_yes_no(row["question"]) or cit.lists_papers(row["question"]):
        return True
    ids = row.get("source_ids") or []
    titles = {i: papers[pid].title for i, pid in enumerate(ids, 1) if pid in papers}
    if any(cit.named_answer(x, row["question"], titles) != x for x in split_sentences(row["draft"])):
        return True
    for s in cit.split_cited(row.get("answer") or ""):
        for n in s.cited:
            if n <= len(ids) and ids[n - 1] in papers:
                p = papers[ids[n - 1]]
                if unmentioned(s.own.get(n, s.text), [f"{p.title} {p.abstract}"]):
                    return True
    return False


def shown(a: Assistant, settings: Settings, row: dict[str, Any], c: dict[str, Any], verifier: Cached) -> Answer:
    """The answer the check shows for the row's draft under `settings`, as ask.ask_stream and finalize make it."""
    s = settings.verify
    v = replay(a, c, verifier, (s.stance_yes, s.stance_no), answers=s.answers, answer=settings.answer,
               named=s.llm_named_threshold, read_shown=s.read_shown, quote=s.quote_answers, listed=s.name_every_source,
               premises=s.premises, standalone=s.standalone)
    v.claims += [] if v.refused else stance_quotes(v.claims)
    return ask.finalize(row["question"], ask.Question(row["question"]), c["retrieved"], c["sources"], v, "", {})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl (rewritten)")
    ap.add_argument("--corpus", type=Path, help="the set's own collection, as bench_answers.py --corpus indexed it")
    ap.add_argument("--only-quote", action="store_true", help="rewrite only the recorded refusals that "
                    "verify.quote_answers turns into quotes (\"replayed\": \"quote\"); every other row stays")
    ap.add_argument("--listed", action="store_true", help="rewrite only the rows verify.name_every_source changes, "
                    "against the same check without it (\"replayed\": \"listed\"); a row the recorded run's "
                    "check showed differently (drift) stays as recorded")
    args = ap.parse_args()
    a = collection_assistant(args.corpus)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    verifier, calls = cached_judge(a)
    off = a.settings.model_copy(deep=True)
    off.verify.answers, off.answer.claim_specifics = 0.0, False
    off.verify.llm_named_threshold = off.verify.llm_threshold
    off.verify.quote_answers, off.verify.name_every_source = 0.0, False
    if args.listed:  # every rule as shipped but this one
        off = a.settings.model_copy(deep=True)
        off.verify.name_every_source = False
    path = REPORTS / f"answers_{args.name}_rows.jsonl"
    rows, counts = read_rows(path), {"replayed": 0, "changed": 0, "sources_differ": 0, "drift": 0}
    out = []
    for row in rows:
        c = case(a, row["question"], row.get("draft") or "") if may_change(row, papers) else None
        if c is None or [s.paper.paper_id for s in c["sources"]] != row.get("source_ids"):
            counts["sources_differ"] += c is not None
            out.append(row)
            continue
        counts["replayed"] += 1
        before, after = shown(a, off, row, c, verifier), shown(a, a.settings, row, c, verifier)
        if before.text != row["answer"] and row.get("replayed") not in ("check", "listed"):  # the recorded run's check differed
            # (e.g. the source [1] shortcut, which the replay does not take)
            counts["drift"] += 1
            print(f"{row['id']}: drift, left as recorded unless a rule changes it")
        quoted = any(f.action == Action.QUOTED for f in after.flagged)
        if args.listed and (before.text != row["answer"] or after.text == before.text):
            out.append(row)  # the recorded run's check showed something else (drift), or nothing is added
            if after.text != before.text and row.get("replayed") != "listed":
                print(f"{row['id']}: drift, and listing would change it; left as recorded")
        elif args.only_quote and not (row["refused"] and quoted):
            out.append(row)  # the live check showed something here (drift) or no quote is involved: as recorded
        elif after.text != before.text:
            counts["changed"] += 1
            out.append({**row, "refused": after.refused, "citations": [x.title for x in after.citations],
                        "answer": after.text, "flags": [str(f.action) for f in after.flagged],
                        "replayed": "quote" if args.only_quote else "listed" if args.listed else "check"})
            print(f"{row['id']}: {row['answer'][:160]!r}\n   -> {after.text[:160]!r}")
        else:
            out.append(row)
    verifier.save(calls)
    path.write_text("".join(json.dumps(r) + "\n" for r in out))
    print(json.dumps(counts), "->", path)


if __name__ == "__main__":
    main()
