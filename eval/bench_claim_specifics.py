"""What the claim-specifics rule (answer.claim_specifics) adds to the LLM judge, on the labelled verifier pairs.

The rule: a source does not state a claim that names a thing or a measured number its title and abstract do not
contain (support.unmentioned, the test the question-level refusal uses). It only ever rejects, so on the pairs it
changes the judge's outcome only where it fires: this scores the LLM judge on those pairs alone, at the shipped
threshold, per split (dev and held-out halves of eval/verifier_pairs.jsonl, as eval/bench_verifiers.py splits them)
and per class. A supported pair it fires on is a correct claim it would lose.

    .venv/bin/python eval/bench_claim_specifics.py   # -> eval/reports/claim_specifics.{json,md}
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bench_verifiers import split  # eval/

from assistant import Assistant, Settings
from assistant.answer.support import unmentioned

EVAL = Path(__file__).parent


def main() -> None:
    a = Assistant(Settings(), progress=False)
    papers = {p.title: p for p, _ in a.retriever.papers.values()}
    pairs = [json.loads(line) for line in (EVAL / "verifier_pairs.jsonl").read_text().splitlines() if line.strip()]
    t = a.settings.verify.llm_threshold
    counts: Counter[tuple[str, ...]] = Counter()
    fired = []
    for p in pairs:
        paper = papers[p["source"]]
        half = split(p["source"])
        counts[(half, "pairs")] += 1
        missing = unmentioned(p["claim"], [f"{paper.title} {paper.abstract}"])
        if not missing:
            continue
        score = a.verifier.support([p["claim"]], paper)[0].score
        label = "supported" if p["supported"] else "unsupported"
        outcome = "judge_accepted" if score >= t else "judge_rejected"
        counts[(half, label, outcome)] += 1
        counts[(half, p["class"], outcome)] += 1
        fired.append({"id": p["id"], "split": half, "class": p["class"], "supported": p["supported"],
                      "missing": sorted(missing), "p_yes": round(score, 3)})
    halves = ("dev", "heldout")
    out = {"threshold": t, "counts": {"/".join(k): v for k, v in sorted(counts.items())}, "fired": fired}
    (EVAL / "reports" / "claim_specifics.json").write_text(json.dumps(out, indent=1))
    md = (f"The claim-specifics rule on the labelled verifier pairs (eval/bench_claim_specifics.py), LLM judge at its "
          f"shipped threshold {t}. The rule fires where a claim names a thing or a measured number its source does "
          "not contain; there it rejects, whatever the judge says.\n\n"
          "| | dev | held-out |\n|---|---|---|\n"
          + "| pairs | " + " | ".join(str(counts[(h, "pairs")]) for h in halves) + " |\n"
          + "| unsupported pairs it fires on: the judge had accepted (wrong citations removed) | "
          + " | ".join(str(counts[(h, "unsupported", "judge_accepted")]) for h in halves) + " |\n"
          + "| unsupported pairs it fires on: the judge had rejected too | "
          + " | ".join(str(counts[(h, "unsupported", "judge_rejected")]) for h in halves) + " |\n"
          + "| supported pairs it fires on (correct claims lost) | "
          + " | ".join(str(counts[(h, "supported", "judge_accepted")] + counts[(h, "supported", "judge_rejected")])
                       for h in halves) + " |\n")
    shipped = json.loads((EVAL / "reports" / "verifiers.json").read_text())["llm"].get("shipped")
    if shipped and shipped["threshold"] == t:  # the judge alone on the held-out half (eval/bench_verifiers.py)
        supported = sum(bool(p["supported"]) for p in pairs if split(p["source"]) == "heldout")
        tp = round(shipped["heldout"]["recall"] * supported)
        accepted = round(tp / shipped["heldout"]["precision"])
        removed = counts[("heldout", "unsupported", "judge_accepted")]
        lost = counts[("heldout", "supported", "judge_accepted")]
        md += (f"\nHeld-out precision at {t}: judge alone {tp / accepted:.3f}, with the rule "
               f"{(tp - lost) / (accepted - removed - lost):.3f}; recall {tp / supported:.3f} -> "
               f"{(tp - lost) / supported:.3f}.\n")
    classes = sorted({f["class"] for f in fired})
    md += "\nWrong citations the judge accepted and the rule removes, per class:\n\n| class | dev | held-out |\n|---|---|---|\n"
    for c in classes:
        md += f"| {c} | " + " | ".join(str(counts[(h, c, "judge_accepted")]) for h in halves) + " |\n"
    (EVAL / "reports" / "claim_specifics.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
