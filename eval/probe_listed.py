"""Does listing the sources a draft left out (verify.name_every_source) cite a paper for a question no paper answers?

The which-question sets ask their near misses in the singular ("Which paper adapts Mamba to 3D point clouds?"), so
the listing rule never runs on them. Here each near miss is asked in the plural ("Which papers adapt ...?") and the
rule runs as if the check had removed the whole draft: every source the product gives the model is checked as
"<title> <predicate>" against its whole abstract at the main bar. Counted: near misses that get a paper listed (each
one a citation for a question the collection cannot answer). Dev: eval/questions_which.jsonl; held out:
eval/questions_which_test.jsonl (run after the rule was chosen; it chose nothing).

    ANSWERED_CALLS=/tmp/calls.pkl .venv/bin/python eval/probe_listed.py
"""

from __future__ import annotations

import re
from pathlib import Path

from bench_answers import collection_assistant  # eval/
from calibrate_answered import cached_judge
from calibrate_stance_judge import case, replay

from assistant.answer import citations as cit
from assistant.evaluate.questions import load_questions
from assistant.types import Action

EVAL = Path(__file__).parent


IRREGULAR = {"does": "do", "has": "have", "is": "are", "was": "were"}


def plural(question: str) -> str:
    """ "Which paper adapts X?" -> "Which papers adapt X?" (the verb after the noun made plural).

    >>> plural("Which paper adapts Mamba to 3D point clouds?"), plural("Which zero-shot paper applies X?")
    ('Which papers adapt Mamba to 3D point clouds?', 'Which zero-shot papers apply X?')
    >>> plural("Which paper does face verification?")
    'Which papers do face verification?'
    """
    def verb(m: re.Match[str]) -> str:
        v = m.group(1)
        if v in IRREGULAR:
            return f"papers {IRREGULAR[v]}"
        v = v[:-3] + "y" if v.endswith("ies") else v[:-2] if re.search(r"(?:ss|sh|ch|x)es$", v) else \
            v[:-1] if v.endswith("s") and not v.endswith("ss") else v
        return f"papers {v}"

    return re.sub(r"\bpaper\s+(\w+)", verb, question, count=1)


def main() -> None:
    a = collection_assistant(None)
    verifier, calls = cached_judge(a)
    s = a.settings.verify
    for name, file in (("dev", "questions_which.jsonl"), ("held out", "questions_which_test.jsonl")):
        near = [q for q in load_questions(EVAL / file) if q.kind == "unanswerable"]
        listed = 0
        for q in near:
            asked = plural(q.question)
            if not cit.lists_papers(asked):
                print(f"{q.id}: not a 'Which papers' question: {asked}")
                continue
            v = replay(a, case(a, asked, ""), verifier, (s.stance_yes, s.stance_no), answers=s.answers,
                       named=s.llm_named_threshold, listed=True)
            titles = [f.sentence for f in v.flags if f.action == Action.LISTED]
            listed += bool(titles)
            print(f"{q.id}: {asked} -> {titles or 'nothing listed'}", flush=True)
        print(f"{name}: {listed} of {len(near)} near misses asked in the plural get a paper listed")
    verifier.save(calls)


if __name__ == "__main__":
    main()
