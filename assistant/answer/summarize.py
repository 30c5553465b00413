"""Summaries of a topic: retrieve broadly, keep the relevant papers, map each to its contribution, reduce.

1. Retrieve up to `pool` papers, keep those whose best dense similarity clears both
   `min_similarity` and (best similarity - `margin`) (0.40 and 0.15: F1 0.82 on the topic and
   multi questions of eval/questions.jsonl), diversify with MMR, cap at `max_papers`.
2. Map: one sentence per paper on what it contributes to the topic (cached per paper, topic
   and model, so a re-run is quick).
3. Reduce: a synthesis grouped into themes with [n] citations, checked like answers. When
   the contributions do not fit the context budget, each group that fits is reduced on its own.
4. Coverage: papers cited, papers judged relevant but not cited (and why), papers considered.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer.check import check
from assistant.answer.evidence import near_best
from assistant.answer.prompts import load, render
from assistant.answer.support import EmbeddingJudge
from assistant.config import Settings
from assistant.llm.base import LLM, complete
from assistant.retrieve import Retriever
from assistant.types import Citation, Flag, Hit, Source
from assistant.verify.base import Verifier

Progress = Callable[[int, int, str], None]


@dataclass
class Summary:
    topic: str
    text: str
    citations: list[Citation]
    sources: list[Source]
    considered: list[str]
    coverage: dict[str, Any]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    flagged: list[Flag] = field(default_factory=list)


class ContributionCache:
    """One JSON line per (paper, topic, model): the map step's output."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.data: dict[str, str] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.data[row["key"]] = row["value"]
                except (json.JSONDecodeError, KeyError):
                    continue

    @staticmethod
    def key(paper_id: str, topic: str, model: str) -> str:
        """Per paper, topic, model and map prompt (a changed prompt invalidates old entries)."""
        prompt = load("summary_map").template
        return hashlib.sha256(json.dumps([paper_id, topic.strip().lower(), model, prompt]).encode()).hexdigest()[:24]

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, value: str) -> None:
        with self.lock:
            self.data[key] = value
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"key": key, "value": value}) + "\n")


def select_papers(topic: str, retriever: Retriever, *, max_papers: int, pool: int, min_similarity: float,
                  margin: float, query_vec: Any = None) -> tuple[list[Hit], list[Hit]]:
    """(chosen, relevant but left out): relevant = similarity over the bar; chosen = MMR-diverse top."""
    relevant = near_best(retriever.search(topic, pool, query_vec=query_vec), margin, min_similarity)
    chosen = retriever.diversify(relevant, max_papers) if len(relevant) > max_papers else relevant
    ids = {h.paper.paper_id for h in chosen}
    return chosen, [h for h in relevant if h.paper.paper_id not in ids]


def contribution(hit: Hit, topic: str, *, llm: LLM, judge: EmbeddingJudge, qvec: Any, cache: ContributionCache,
                 model: str) -> str:
    key = ContributionCache.key(hit.paper.paper_id, topic, model)
    if (cached := cache.get(key)) is not None:
        return cached
    text = " ".join(judge.best_sentences(qvec, hit.paper, 3))
    out = complete(llm, [{"role": "user", "content": render("summary_map", topic=topic, title=hit.paper.title,
                                                                text=text)}], max_tokens=80, temperature=0.0)
    out = " ".join(out.split())
    cache.put(key, out)
    return out


def summarize(topic: str, *, settings: Settings, retriever: Retriever, llm: LLM, judge: EmbeddingJudge,
              verifier: Verifier, threshold: float, max_papers: int | None = None,
              progress: Progress | None = None) -> Summary:
    t0 = time.perf_counter()
    s = settings.summary
    model = str(llm.describe()["model"])
    qvec = retriever.embedder.embed([topic])[0]
    chosen, left_out = select_papers(topic, retriever, max_papers=max_papers or s.max_papers, pool=s.pool,
                                     min_similarity=s.min_similarity, margin=s.margin, query_vec=qvec)
    t_ret = time.perf_counter()
    cache = ContributionCache(settings.data_dir / "summary_cache.jsonl")
    notes: dict[str, str] = {}
    mapped: list[tuple[Hit, str]] = []
    for i, hit in enumerate(chosen, 1):
        if progress:
            progress(i, len(chosen), hit.paper.title)
        c = contribution(hit, topic, llm=llm, judge=judge, qvec=qvec, cache=cache, model=model)
        if not c:
            notes[hit.paper.title] = "the model wrote nothing about it"
        else:
            mapped.append((hit, c))
    t_map = time.perf_counter()
    kept = [Source(n=i, hit=h, evidence=[c]) for i, (h, c) in enumerate(mapped, 1)]
    # hierarchical when the papers do not fit one prompt: each group is reduced on its own (keeping the
    # global [n] numbers), and the groups' paragraphs make up the synthesis
    parts = []
    for group in _groups(kept, llm, settings.answer.context_tokens * 2):
        out = complete(llm, [{"role": "user", "content": render("summary_reduce", topic=topic,
                                                                    papers=_papers_block(group))}],
                       max_tokens=s.max_tokens, temperature=0.0)
        parts.append(trim_partial(out))
    draft = "\n\n".join(p for p in parts if p.strip())
    text, cites, flagged, _ = (check(draft, topic, kept, verifier=verifier, threshold=threshold,
                                     settings=settings.answer, judge=judge) if draft.strip() else ("", [], [], []))
    cited = {c.paper_id for c in cites}
    for src in kept:
        if src.paper.paper_id not in cited:
            notes.setdefault(src.paper.title, "relevant, but the synthesis did not cite it")
    for h in left_out:
        notes.setdefault(h.paper.title, f"over the --max-papers limit ({max_papers or s.max_papers})")
    considered = [h.paper.title for h in chosen] + [h.paper.title for h in left_out]
    coverage = {"considered": len(considered), "cited": [c.title for c in cites],
                "relevant_not_cited": [{"title": t, "why": why} for t, why in notes.items()]}
    if not cites:
        text = f"The collection has no papers that clearly address {topic!r}."
    timings = {"retrieve_ms": round((t_ret - t0) * 1000, 1), "map_ms": round((t_map - t_ret) * 1000, 1),
               "total_ms": round((time.perf_counter() - t0) * 1000, 1)}
    return Summary(topic=topic, text=text, citations=cites, sources=kept, considered=considered, coverage=coverage,
                   model=model, timings=timings, flagged=flagged)


def trim_partial(text: str) -> str:
    """Drop a last sentence cut off by the token limit.

    >>> trim_partial("One [1]. Two is cut")
    'One [1].'
    """
    text = text.rstrip()
    if not text or text[-1] in ".!?]*":
        return text
    cut = max(text.rfind(". "), text.rfind(".\n"), text.rfind("]."))
    return text[: cut + (2 if text[cut: cut + 2] == "]." else 1)] if cut > 0 else text


def _groups(sources: list[Source], llm: LLM, budget: int) -> list[list[Source]]:
    """Consecutive groups of sources whose papers block fits the token budget."""
    groups: list[list[Source]] = []
    for src in sources:
        if groups and llm.count_tokens(_papers_block([*groups[-1], src])) <= budget:
            groups[-1].append(src)
        else:
            groups.append([src])
    return groups


def _papers_block(sources: list[Source]) -> str:
    return "\n".join(f"[{s.n}] {s.paper.title}: {s.evidence[0]}" for s in sources)


def coverage_markdown(summary: Summary) -> str:
    c = summary.coverage
    lines = ["## Coverage", "", f"Papers considered: {c['considered']}. Cited: {len(c['cited'])}."]
    if c["relevant_not_cited"]:
        lines += ["", "Relevant but not cited:"]
        lines += [f"- {x['title']} ({x['why']})" for x in c["relevant_not_cited"]]
    return "\n".join(lines)


def summary_markdown(summary: Summary) -> str:
    refs = "\n".join(f"{c.n}. {c.title}" for c in summary.citations)
    return (f"# {summary.topic}\n\n{summary.text}\n\n## References\n\n{refs or '(none)'}\n\n"
            f"{coverage_markdown(summary)}\n")
