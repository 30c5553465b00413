"""Compare two eval runs: a regression table per metric and per question."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.evaluate.runner import read_rows


def _flat(metrics: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for section in ("retrieval", "answers"):
        for key, value in (metrics.get(section) or {}).get("overall", {}).items():
            if isinstance(value, (int, float)):
                out[f"{section}.{key}"] = float(value)
    return out


def _status(row: dict[str, Any]) -> str:
    if "answer" not in row:
        return "hit@5" if set(row.get("gold") or []) & set((row.get("retrieved") or [])[:5]) else "miss@5"
    if row.get("refused"):
        return "refused"
    gold = set(row.get("gold") or [])
    cited = set(row.get("citations") or [])
    return "cites gold" if gold & cited else "wrong cites" if cited else "uncited"


def compare(a: Path, b: Path) -> str:
    """Markdown: metric deltas (B - A), then the questions whose outcome changed."""
    try:
        ma = json.loads((a / "metrics.json").read_text())
        mb = json.loads((b / "metrics.json").read_text())
    except (OSError, ValueError) as e:
        raise AssistantError(f"cannot read metrics.json in both runs: {e}; run `assistant eval` first") from e
    fa, fb = _flat(ma), _flat(mb)
    lines = [f"| metric | {a.name} | {b.name} | delta |", "|---|---|---|---|"]
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key), fb.get(key)
        delta = f"{vb - va:+.3f}" if va is not None and vb is not None else "–"
        lines.append(f"| {key} | {'–' if va is None else f'{va:.3f}'} | {'–' if vb is None else f'{vb:.3f}'} | {delta} |")
    ra = {r["id"]: r for r in read_rows(a / "results.jsonl")}
    rb = {r["id"]: r for r in read_rows(b / "results.jsonl")}
    changed = [(i, _status(ra[i]), _status(rb[i])) for i in ra if i in rb and _status(ra[i]) != _status(rb[i])]
    lines += ["", f"{len(changed)} question(s) changed outcome:", "", "| id | kind | before | after |", "|---|---|---|---|"]
    lines += [f"| {i} | {ra[i].get('kind')} | {x} | {y} |" for i, x, y in changed]
    return "\n".join(lines)
