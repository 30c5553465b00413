"""A checked Answer in OpenAI's chat-completions shape, plus what standard clients do not know to ask for.

- `choices[0].message.content` is the checked text with its `[n]` markers; `message.annotations`
  holds a `url_citation` for each marker whose paper has a URL (start/end index the marker).
- Top-level `sources`: every numbered source in `[n]` order (index, paper_id, title, authors, year,
  url, the evidence sentences given to the model, whether the check kept a citation to it); for a
  refusal, the related papers, each marked `"cited": false, "related": true`.
- Top-level `citations`: URL (or paper id) of source n at position n-1, as Perplexity's API does.
- Streams: one chunk per source with empty `choices` and `"event": {"type": "source", ...}`, the
  shape Open WebUI's middleware passes to its event emitter and its chat page turns into citation
  cards (grouped by `metadata.source`, numbered in arrival order, so `[n]` opens card n).
"""

from __future__ import annotations

import re
from typing import Any

from assistant.serve.conversation import PaperRef
from assistant.types import Answer, Hit, Paper, Source

_MARK = re.compile(r"\[(\d+)\]")


def _field(flag: Any, name: str) -> Any:
    """A flag's field, whether the check reports flags as dicts or as records."""
    return flag.get(name) if isinstance(flag, dict) else getattr(flag, name, None)


def ref(p: Paper) -> PaperRef:
    return PaperRef(p.paper_id, p.title, p.url)


def numbered(answer: Answer) -> dict[int, PaperRef]:
    """The paper behind each [n] an answer may show (kept for follow-ups)."""
    return {} if answer.refused else {s.n: ref(s.paper) for s in answer.sources}


def paper_fields(p: Paper) -> dict[str, Any]:
    return {"paper_id": p.paper_id, "title": p.title, "authors": list(p.authors), "year": p.year, "url": p.url,
            "venue": p.venue, "links": list(p.links)}


def similarity(h: Hit) -> float | None:
    return None if h.dense_similarity is None else round(float(h.dense_similarity), 4)


def sources(answer: Answer) -> list[dict[str, Any]]:
    """The top-level `sources` array."""
    if answer.refused:
        return [{"index": i, **paper_fields(h.paper), "evidence": [h.snippet], "cited": False, "supported": False,
                 "related": True, "score": round(h.score, 6), "similarity": similarity(h)}
                for i, h in enumerate(answer.related[:5], 1)]
    kept = {c.n: c for c in answer.citations}
    dropped = {_field(f, "n") for f in answer.flagged if str(_field(f, "action")) in ("dropped", "off-topic")}
    resting: dict[int, list[str]] = {}
    for claim in getattr(answer, "claims", None) or []:
        for n, text in claim.evidence.items():
            resting.setdefault(n, []).append(text)
    return [{"index": s.n, **paper_fields(s.paper), "evidence": list(s.evidence), "cited": s.n in kept,
             "supported": s.n in kept, "support": kept[s.n].support if s.n in kept else None,
             "dropped": s.n in dropped and s.n not in kept, "supporting_text": resting.get(s.n, []),
             "related": False, "score": round(s.hit.score, 6), "similarity": similarity(s.hit)}
            for s in answer.sources]


def citations(answer: Answer) -> list[str]:
    """URL, else paper id, of each numbered source: `citations[n-1]` is what `[n]` points at."""
    return [] if answer.refused else [s.paper.url or s.paper.paper_id for s in answer.sources]


def url_annotations(content: str, answer: Answer) -> list[dict[str, Any]]:
    """A `url_citation` per [n] marker whose paper has a URL.

    >>> p = Paper("p1", "A paper", "...", url="https://arxiv.org/abs/1")
    >>> a = Answer("q", "Claim [1].", False, [], [Source(1, Hit(p, 1.0, 1, 1, 0.9), [])], "m")
    >>> url_annotations(a.text, a)[0]["url_citation"]
    {'url': 'https://arxiv.org/abs/1', 'title': 'A paper', 'start_index': 6, 'end_index': 9}
    """
    by_n = {s.n: s.paper for s in answer.sources} if not answer.refused else {}
    out = []
    for m in _MARK.finditer(content):
        p = by_n.get(int(m.group(1)))
        if p is not None and p.url:
            out.append({"type": "url_citation", "url_citation": {"url": p.url, "title": p.title,
                                                                 "start_index": m.start(), "end_index": m.end()}})
    return out


def refusal_reason(answer: Answer) -> str | None:
    return next((str(_field(f, "reason")) for f in answer.flagged if str(_field(f, "action")) == "refused"), None)


def usage(answer: Answer) -> dict[str, int]:
    p, c = int(answer.usage.get("prompt_tokens", 0)), int(answer.usage.get("completion_tokens", 0))
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def extras(answer: Answer) -> dict[str, Any]:
    """What this server adds beside OpenAI's fields, in the response and in a stream's last chunk."""
    out: dict[str, Any] = {"sources": sources(answer), "citations": citations(answer), "refused": answer.refused}
    if answer.refused:
        out["refusal_reason"] = refusal_reason(answer)
    if quoted := next((f for f in answer.flagged if str(_field(f, "action")) == "quoted"), None):
        out["quoted"] = {"n": _field(quoted, "n"), "note": _field(quoted, "reason")}
    out["timings"] = answer.timings
    return out


def completion(answer: Answer, content: str, *, id: str, created: int, model: str) -> dict[str, Any]:
    """The body of a non-streamed response."""
    message = {"role": "assistant", "content": content, "refusal": None, "annotations": url_annotations(content, answer)}
    return {"id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": usage(answer), **extras(answer)}


def chunk(*, id: str, created: int, model: str, delta: dict[str, Any] | None = None, finish: str | None = None,
          **extra: Any) -> dict[str, Any]:
    """One stream chunk; without `delta` or `finish` its `choices` is empty (source events, errors)."""
    choices = [] if delta is None and finish is None else \
        [{"index": 0, "delta": delta or {}, "finish_reason": finish, "logprobs": None}]
    return {"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices,
            **extra}


def _event(p: Paper, documents: list[str], sim: float | None, name: str, **meta: Any) -> dict[str, Any]:
    docs = documents or [p.abstract[:300]]
    src: dict[str, Any] = {"id": p.paper_id, "name": name}
    if p.url:
        src["url"] = p.url
    data: dict[str, Any] = {"source": src, "document": docs,
                            "metadata": [{"source": p.paper_id, "name": name, "paper_id": p.paper_id, **meta,
                                          **({"url": p.url} if p.url else {})} for _ in docs]}
    if sim is not None:  # Open WebUI shows these as relevance when all lie in [-1, 1]
        data["distances"] = [sim] * len(docs)
    return {"type": "source", "data": data}


def source_event(s: Source) -> dict[str, Any]:
    """Open WebUI's citation-card event for numbered source [n]."""
    return _event(s.paper, list(s.evidence), similarity(s.hit), s.paper.title, index=s.n)


def related_event(h: Hit) -> dict[str, Any]:
    """A card for a paper a refusal offers as related reading; its name says it was not cited."""
    return _event(h.paper, [h.snippet], similarity(h), f"Related, not cited: {h.paper.title}", related=True)
