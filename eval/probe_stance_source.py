"""Probe, not shipped: an uncited stance sentence ("No, X does not ...") is checked against the source closest to
it (ClaimChecker._closest, shipped); would source [1], the question's top paper, be the better one? A restated
"No" is the negation of what its paper says, so closeness to it says little about the paper it is about.

Replays the product's recorded drafts of the dev yes/no questions (eval/questions.jsonl,
eval/questions_stance.jsonl) through the real check both ways, judge calls cached, and prints every question where
an uncited stance went to a source other than [1] or whose outcome (right, wrong or no stance; near misses: cited or
refused) differs. Dev, 2026-11-29: of 132 drafts the closest source is [1] for all but d007, s055, u002 and u021,
and no outcome changes (77 right and 2 wrong stances either way), so nothing was built.

    ANSWERED_CALLS=/tmp/calls.pkl .venv/bin/python eval/probe_stance_source.py [dev stance]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant  # eval/
from calibrate_answered import cached_judge
from calibrate_stance_judge import outcome, replay, yes_no_cases

from assistant.answer.check import ClaimChecker
from assistant.types import Action

EVAL = Path(__file__).parent
FILES = {"dev": "questions.jsonl", "stance": "questions_stance.jsonl"}


def main() -> None:
    a = collection_assistant(None)
    judge, calls = cached_judge(a)
    closest, top = ClaimChecker._closest, {"on": False}

    def first_or_closest(self: ClaimChecker, claim: str, numbers: list[int]) -> int | None:
        if top["on"] and numbers == list(self.sources):  # the stance path asks among every source
            return min(numbers)
        return closest(self, claim, numbers)

    ClaimChecker._closest = first_or_closest  # type: ignore[method-assign]
    tally: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
    try:
        for c in yes_no_cases(a, {name: FILES[name] for name in sys.argv[1:] or FILES}):
            out: dict[bool, tuple[str, list[Any]]] = {}
            for on in (False, True):
                top["on"] = on
                v = replay(a, c, judge, (a.settings.verify.stance_yes, a.settings.verify.stance_no),
                           answers=a.settings.verify.answers)
                went = [f.n for f in v.flags if f.action == Action.ATTRIBUTED and f.reason == "the stance cited no source"]
                said = outcome(v, c["stance"]) if c["stance"] else ("cited" if v.claims and not v.refused else "refused")
                out[on] = (said, went)
                tally[on][said] += 1
            if out[False] != out[True]:
                print(c["set"], c["id"], c["stance"], "closest:", out[False], "source [1]:", out[True], flush=True)
    finally:
        ClaimChecker._closest = closest  # type: ignore[method-assign]
    judge.save(calls)
    for on in (False, True):
        print("source [1]" if on else "closest (shipped)", dict(sorted(tally[on].items())))


if __name__ == "__main__":
    main()
