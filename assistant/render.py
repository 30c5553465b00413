"""Answers as text: the JSON object of `assistant ask --json`, a reference list, Markdown and BibTeX."""

from __future__ import annotations

import re
from typing import Any

from assistant.types import Action, Answer, Flag, Paper


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "question": a.question,
        "answer": a.text,
        "refused": a.refused,
        "citations": [{"n": c.n, "paper_id": c.paper_id, "title": c.title} for c in a.citations],
        "sources": [{"n": s.n, "paper_id": s.paper.paper_id, "title": s.paper.title, "score": round(s.hit.score, 6)}
                    for s in a.sources],
        "related": [{"paper_id": h.paper.paper_id, "title": h.paper.title} for h in a.related] if a.refused else [],
        "claims": [claim_json(c) for c in a.claims],
        "flagged": [flag_json(f) for f in a.flagged],
        "timings": a.timings,
        "usage": a.usage,
        "model": a.model,
    }


def flag_json(f: Flag) -> dict[str, Any]:
    return {k: v for k, v in {"action": str(f.action), "sentence": f.sentence, "n": f.n, "support": f.support,
                              "reason": f.reason}.items() if v not in (None, "")}


def claim_json(c: Any) -> dict[str, Any]:
    return {"text": c.text, "cited": c.cited, "evidence": {str(n): e for n, e in c.evidence.items()},
            "support": {str(n): v for n, v in c.support.items()}, "verbatim": c.verbatim}


def summary_json(s: Any) -> dict[str, Any]:
    """A summary as JSON. Model text (`summary`, theme names, the texts of claims not `verbatim`) is kept apart
    from paper text (`sources[].evidence`, claims' `evidence`, `verbatim` claims: the paper's sentences in quotes;
    a theme `alone` is one paper, named by its title and shown in its own sentences)."""
    written = any(not c.verbatim for c in s.claims)
    return {"topic": s.topic, "summary": s.text,
            "written_by": "model, checked sentence by sentence; verbatim claims are the papers' own sentences"
                          if written else "the papers' own sentences; no model text",
            "themes": [{"name": t.name, "papers": t.papers, "quoted": t.quoted, "alone": t.alone,
                        "claims": [claim_json(c) for c in t.claims]} for t in s.themes],
            "closing": [claim_json(c) for c in s.closing],
            "citations": [{"n": c.n, "paper_id": c.paper_id, "title": c.title} for c in s.citations],
            "sources": [{"n": src.n, "paper_id": src.paper.paper_id, "title": src.paper.title,
                         "evidence": src.evidence} for src in s.sources],
            "related": [{"paper_id": h.paper.paper_id, "title": h.paper.title} for h in s.related],
            "flagged": [flag_json(f) for f in s.flagged], "cached": s.cached,
            "considered": s.considered, "coverage": s.coverage, "timings": s.timings, "model": s.model}


def references(a: Answer) -> str:
    """The numbered references of the cited sources, or the related reading of a refusal."""
    if a.refused:
        why = next((f.reason for f in a.flagged if f.action == Action.REFUSED), "")
        lines = [f"The papers do not answer this{f' ({why})' if why else ''}. Related reading:"]
        lines += [f"  - {h.paper.title}" for h in a.related[:5]]
        return "\n".join(lines)
    lines = ["References:"]
    if quoted := next((f for f in a.flagged if f.action == Action.QUOTED), None):
        lines.insert(0, quoted.reason)
    for c in a.citations:
        lines.append(f"  [{c.n}] {c.title}  ({c.paper_id})")
    dropped = [f for f in a.flagged if f.action == Action.DROPPED]
    if dropped:
        lines.append(f"  ({len(dropped)} citation(s) removed: the source did not support the sentence)")
    if off := [f for f in a.flagged if f.action == Action.OFF_TOPIC]:
        lines.append(f"  ({len(off)} citation(s) removed: the sentence was not about the question)")
    if premised := list(dict.fromkeys(f"[{f.n}]" for f in a.flagged if f.action == Action.PREMISE)):
        lines.append(f"  (quoted from {', '.join(premised)}: the draft took from the question what the source does "
                     "not state)")
    if anchored := list(dict.fromkeys(f"[{f.n}]" for f in a.flagged if f.action == Action.UNANCHORED)):
        lines.append(f"  (quoted from {', '.join(anchored)}: the draft's sentence pointed back at one not shown)")
    if listed := [f"[{f.n}]" for f in a.flagged if f.action == Action.LISTED]:
        lines.append(f"  ({', '.join(listed)} added: the draft did not name them; their abstracts state what the "
                     "question asks)")
    return "\n".join(lines)


def bibtex_key(p: Paper) -> str:
    first = re.sub(r"[^a-z]", "", (p.authors[0].split()[-1] if p.authors else "").lower())
    word = next((w for w in re.findall(r"[a-z]+", p.title.lower()) if len(w) > 3), "paper")
    return f"{first or 'anon'}{p.year or ''}{word}"


def bibtex(papers: list[Paper]) -> str:
    def esc(s: str) -> str:
        return s.replace("{", "\\{").replace("}", "\\}")

    entries, used = [], set()
    for p in papers:
        cite_key = base = bibtex_key(p)
        for suffix in "bcdefghijklmnopqrstuvwxyz":  # two papers with one key: later ones get b, c, ...
            if cite_key not in used:
                break
            cite_key = base + suffix
        else:
            cite_key = f"{base}-{p.paper_id}"
        used.add(cite_key)
        fields = [("title", f"{{{esc(p.title)}}}")]
        if p.authors:
            fields.append(("author", esc(" and ".join(p.authors))))
        for key in ("year", "url", "venue"):
            if getattr(p, key):
                fields.append(("journal" if key == "venue" else key, esc(str(getattr(p, key)))))
        fields.append(("abstract", esc(p.abstract)))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        entries.append(f"@article{{{cite_key},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"


def answer_markdown(a: Answer) -> str:
    lines = [f"**Q:** {a.question}", "", a.text, ""]
    if a.citations:
        lines.append("**References**")
        lines += [f"{c.n}. {c.title}" for c in a.citations]
    elif a.refused and a.related:
        lines.append("**Related reading**")
        lines += [f"- {h.paper.title}" for h in a.related[:5]]
    return "\n".join(lines) + "\n"
