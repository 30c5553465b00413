"""Eval question files: JSON lines with question, kind, gold titles, answer facts; other fields ignored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError

KINDS = ("lookup", "multi", "topic", "unanswerable")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str = "lookup"
    gold: list[str] = field(default_factory=list)
    answer_facts: list[str] = field(default_factory=list)
    fact_evidence: list[list[str]] = field(default_factory=list)  # per fact, the abstract sentences that state it
    stance: str | None = None  # "yes" / "no" for a yes/no question
    tags: list[str] = field(default_factory=list)  # yesno, false_premise, negation, figure, near_miss, ...


def load_questions(path: Path) -> list[Question]:
    """Every question in the file; a malformed line is an error naming it."""
    out: list[Question] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read questions file {path}: {e}") from e
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not str(obj.get("question", "")).strip():
                raise ValueError("needs an object with a non-empty 'question'")
            gold = obj.get("gold") or []
            kind = obj.get("kind") or ("unanswerable" if not gold else "lookup")
            out.append(Question(id=str(obj.get("id") or f"line{n}"), question=str(obj["question"]), kind=str(kind),
                                gold=[str(g) for g in gold], answer_facts=[str(f) for f in obj.get("answer_facts") or []],
                                fact_evidence=[[str(e) for e in ev] for ev in obj.get("fact_evidence") or []],
                                stance=obj.get("stance"), tags=[str(t) for t in obj.get("tags") or []]))
        except ValueError as e:
            raise AssistantError(f"{path}:{n}: bad question line: {e}") from e
    return out
