"""Summaries of a topic: relevant papers, their key sentences, themes, one call per theme, every sentence checked.

1. Relevance: each retrieved paper's topic similarity is the mean of its two abstract
   sentences (title included) closest to the topic; its relevance adds `lexical_weight` times
   its BM25 score over the topic's best. When no paper's similarity reaches `min_similarity`
   the collection lacks the topic; else the papers whose relevance stands `lift` above the
   background (the median of the retrieved papers after the first third) are on it (all three
   calibrated on the dev topics: eval/calibrate_summary.py).
2. Key sentences, no model: each paper's sentences closest to the topic, verbatim, the best
   one for every paper first, then second ones while `evidence_tokens` allows.
3. Themes, no model: the papers' embeddings clustered into 1-4 groups (answer/themes.py). A group
   of one paper shares a finding with none: its key sentences are shown verbatim, no model call.
4. One call per theme of several papers: the model names it and writes one sentence, citing
   several papers where they share a finding (optionally, `closing`, one more call relates the
   themes; generation stops at its sentence's end). Drafts are cached per topic, key sentences,
   model and prompt.
5. Check: headings are headings; every sentence is verified against the key sentences of the
   papers it cites (the text the model saw); an unsupported sentence is removed, not the
   summary. A paper no kept sentence cites is quoted verbatim under its theme, so every
   paper over the bar is cited or listed with the reason it was left out, and a topic with
   relevant papers never reads as empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, citations_of, render_claims, repeats
from assistant.answer.evidence import as_shown
from assistant.answer.prompts import load, render
from assistant.answer.support import EmbeddingJudge
from assistant.answer.themes import group
from assistant.config import Settings, SummarySettings
from assistant.llm.base import LLM
from assistant.retrieve import Retriever
from assistant.retrieve.fusion import best_per_key, normalised
from assistant.types import Action, Citation, Claim, Flag, Hit, Paper, Source
from assistant.verify.base import Verifier

Progress = Callable[[int, int, str], None]
PROMPT, CLOSING = "summary_themes", "summary_closing"
_FIELD = re.compile(r"^\W*(name|finding)\W*:\s*(.*)$", re.I)


@dataclass
class Theme:
    """One theme: its name (written by the model; a lone paper's title; else its first paper's title and how many
    more), papers and shown sentences."""

    name: str
    papers: list[int]
    claims: list[Claim] = field(default_factory=list)
    quoted: list[int] = field(default_factory=list)  # papers shown by a verbatim sentence, not the synthesis

    @property
    def alone(self) -> bool:
        """One paper: it shares a finding with none, so it is shown in its own words and the model writes nothing."""
        return len(self.papers) == 1


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
    themes: list[Theme] = field(default_factory=list)
    closing: list[Claim] = field(default_factory=list)
    related: list[Hit] = field(default_factory=list)
    cached: bool = False

    @property
    def claims(self) -> list[Claim]:
        return [c for t in self.themes for c in t.claims] + self.closing


class DraftCache:
    """One JSON line per synthesis draft, keyed by topic, papers with their key sentences, model and prompt."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.data: dict[str, str] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.data[row["key"]] = row["value"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut by a crash

    @staticmethod
    def key(prompt: str, topic: str, block: str, model: str) -> str:
        """Changes with the prompt file's text, so an edited prompt never reuses an old draft."""
        blob = [prompt, load(prompt).template, topic.strip().lower(), block, model]
        return hashlib.sha256(json.dumps(blob).encode()).hexdigest()[:24]

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, value: str) -> None:
        with self.lock:
            self.data[key] = value
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"key": key, "value": value}) + "\n")


def topic_similarity(judge: EmbeddingJudge, paper: Paper, qvec: np.ndarray) -> float:
    """Mean cosine of the paper's two sentences (title included) closest to the topic."""
    sims = np.sort(judge.vectors(paper) @ qvec)[::-1]
    return float(sims[:2].mean())


def lexical_share(topic: str, retriever: Retriever) -> dict[str, float]:
    """paper id -> its BM25 score for the topic over the best paper's (papers outside BM25's candidates: absent)."""
    rows = retriever.lexical(topic, retriever.settings.candidates)
    return normalised(best_per_key([(pid, score) for pid, _, _, score in rows]), "max")


def on_topic(scores: list[tuple[float, float]], *, min_similarity: float, lift: float) -> list[int]:
    """Indices of the (topic similarity, relevance) pairs on the topic, in order: none when no paper's similarity
    reaches `min_similarity` (the collection lacks the topic), else the best paper and every paper whose relevance is
    at least `lift` above the background: the median relevance of the retrieved papers after the first third, most
    of which are not on the topic. A bar near the best paper's admits nearly every retrieved paper on a broad topic,
    where the best stands out little; the background says how high an off-topic paper scores for this topic.

    >>> on_topic([(0.7, 0.9), (0.3, 0.85), (0.6, 0.6), (0.5, 0.5), (0.5, 0.45), (0.4, 0.4)],
    ...          min_similarity=0.5, lift=0.3)
    [0, 1]
    >>> on_topic([(0.8, 0.8), (0.7, 0.78), (0.7, 0.77), (0.7, 0.76), (0.6, 0.75), (0.6, 0.74)],
    ...          min_similarity=0.5, lift=0.1)  # a broad topic: nothing stands out but the best
    [0]
    >>> on_topic([(0.45, 0.9), (0.3, 0.85)], min_similarity=0.5, lift=0.3)
    []
    """
    if max((sim for sim, _ in scores), default=0.0) < min_similarity:
        return []
    rels = sorted((rel for _, rel in scores), reverse=True)
    tail = rels[max(1, len(rels) // 3):]
    bar = min(rels[0], float(np.median(tail)) + lift) if tail else rels[0]
    return [i for i, (_, rel) in enumerate(scores) if rel >= bar]


def select_papers(topic: str, retriever: Retriever, judge: EmbeddingJudge, qvec: np.ndarray, s: SummarySettings,
                  *, max_papers: int | None = None) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """(chosen, relevant but over the cap, all retrieved), each best first by relevance: a paper's topic
    similarity plus `s.lexical_weight` times its BM25 share (the two signals hybrid retrieval fuses)."""
    hits = retriever.search(topic, s.pool, query_vec=qvec)
    bm25 = lexical_share(topic, retriever) if s.lexical_weight else {}
    sim = {h.paper.paper_id: topic_similarity(judge, h.paper, qvec) for h in hits}
    score = {pid: v + s.lexical_weight * bm25.get(pid, 0.0) for pid, v in sim.items()}
    ranked = sorted(hits, key=lambda h: -score[h.paper.paper_id])
    keep = on_topic([(sim[h.paper.paper_id], score[h.paper.paper_id]) for h in ranked],
                    min_similarity=s.min_similarity, lift=s.lift)
    relevant = [ranked[i] for i in keep]
    cap = max_papers or s.max_papers
    return relevant[:cap], relevant[cap:], ranked


def key_sentences(hits: list[Hit], judge: EmbeddingJudge, qvec: np.ndarray, *, budget: int,
                  count_tokens: Callable[[str], int], most: int = 2) -> list[list[str]]:
    """Per paper, its abstract sentences closest to the topic, verbatim and in their order: every paper's
    best first, then second ones in paper order while the token budget allows."""
    ranked = []
    for h in hits:
        sents = judge.sentences(h.paper)[1:]
        sims = judge.vectors(h.paper)[1:] @ qvec
        ranked.append([sents[j] for j in np.argsort(-sims)[:most]])
    keep: list[list[str]] = [r[:1] for r in ranked]
    used = sum(count_tokens(h.paper.title) + count_tokens(r[0]) if r else 0 for h, r in zip(hits, ranked, strict=True))
    for i, r in enumerate(ranked):
        if len(r) > 1 and used + (cost := count_tokens(r[1])) <= budget:
            keep[i].append(r[1])
            used += cost
    order = [judge.sentences(h.paper)[1:] for h in hits]
    return [sorted(k, key=o.index) for k, o in zip(keep, order, strict=True)]


def first_sentence(pieces: Iterable[str]) -> str:
    """The text up to its first whole sentence (with the markers that close it): read no further.

    The closing line is asked for one sentence, and the model often writes three or four, mostly saying a theme's
    finding again: each costs generated tokens and a judge read per paper it cites.

    >>> first_sentence(iter(["They differ [1]", "[2]. Both use", " SAEs [3]."]))
    'They differ [1][2].'
    """
    stream = cit.SentenceStream()
    for piece in pieces:
        if done := stream.feed(piece):
            return done[0]
    return stream.flush()


def first_finding(pieces: Iterable[str]) -> str:
    """The "Name:" and "Finding:" lines up to the finding's first whole sentence: read no further.

    The finding is asked for one sentence, and the model often adds a second that says the first again in other
    words; each costs generated tokens and a judge read per paper it cites.

    >>> first_finding(iter(["Name: SAEs\\nFinding: They find", " features [1][2]", ". They also", " probe [3]."]))
    'Name: SAEs\\nFinding: They find features [1][2].'
    """
    text = ""
    for piece in pieces:
        text += piece
        name, finding = parse_theme(text)
        if finding and (done := cit.SentenceStream().feed(finding)):
            return f"Name: {name}\nFinding: {done[0]}"
    return text


def papers_block(sources: list[Source]) -> str:
    return "\n".join(f"[{s.n}] {s.paper.title}: {' '.join(s.evidence)}" for s in sources)


def parse_theme(text: str) -> tuple[str, str]:
    """(name, finding) from the model's "Name: ..." and "Finding: ..." lines; the name is never a claim.

    >>> parse_theme("Name: **Sparse features**\\nFinding: They find features [1][2].")
    ('Sparse features', 'They find features [1][2].')
    >>> parse_theme("**Name:** Scans\\n**Finding:** They scan [3].")
    ('Scans', 'They scan [3].')
    """
    name, finding = "", []
    for line in text.splitlines():
        m = _FIELD.match(line)
        if m and m.group(1).lower() == "name" and not name:
            name = " ".join(m.group(2).strip(" *#\"'.").split()[:8])
        elif m:
            finding.append(m.group(2).strip(" *"))
        elif line.strip() and finding:
            finding.append(line.strip())
    return name, " ".join(finding)


def quote(src: Source, sentence: str | None = None, *, titled: bool = True) -> Claim:
    """A paper's key sentence (the first unless named), verbatim, as a shown claim; titled unless its heading is
    the title."""
    sentence = sentence or src.evidence[0]
    text = f"{src.paper.title}: “{sentence}”" if titled else f"“{sentence}”"
    return Claim(text, [src.n], {src.n: sentence}, {src.n: 1.0}, verbatim=True)


def summarize(topic: str, *, settings: Settings, retriever: Retriever, llm: LLM, judge: EmbeddingJudge,
              verifier: Verifier, threshold: float, max_papers: int | None = None,
              progress: Progress | None = None) -> Summary:
    t0 = time.perf_counter()
    s = settings.summary
    cap = max_papers or s.max_papers
    model = str(llm.describe()["model"])
    step = progress or (lambda i, n, label: None)
    step(1, 2, "Finding the papers on the topic")
    qvec = retriever.embedder.embed([topic])[0]
    chosen, over_cap, ranked = select_papers(topic, retriever, judge, qvec, s, max_papers=cap)
    if not chosen:
        return _nothing(topic, ranked, model, s.min_similarity, t0)
    evidence = key_sentences(chosen, judge, qvec, budget=s.evidence_tokens, count_tokens=llm.count_tokens)
    vecs = np.stack([_paper_vector(judge, h.paper) for h in chosen])
    order = group(vecs, most=s.max_themes)
    sources: list[Source] = []
    groups: list[list[int]] = []
    for members in order:  # numbered theme by theme, so a theme's papers are neighbours
        groups.append([len(sources) + 1 + k for k in range(len(members))])
        sources += [Source(n=len(sources) + 1 + k, hit=chosen[i], evidence=evidence[i]) for k, i in enumerate(members)]
    by_n = {src.n: src for src in sources}
    t_ret = time.perf_counter()

    cache = DraftCache(settings.data_dir / "summary_cache.jsonl")
    blocks = [papers_block([by_n[n] for n in g]) for g in groups]
    keys = [DraftCache.key(PROMPT, topic, b, model) for b in blocks]
    to_write = [k for k, g in zip(keys, groups, strict=True) if len(g) > 1]  # a lone paper's theme is its own words
    written = len(to_write)
    cached = written > 0 and all(cache.get(k) is not None for k in to_write)
    steps = 1 + written + (s.closing and written > 1)
    cold = "" if cached else " (not cached yet: the first summary of a topic takes longest)"
    checker = ClaimChecker(topic, sources, verifier=verifier, threshold=threshold, settings=settings.answer,
                           judge=judge, drop_restatements=False, joint_floor=s.joint_floor,
                           check_against=as_shown(sources))
    flagged: list[Flag] = []

    shown: list[Claim] = []  # the model's sentences shown so far: none is said twice

    def checked(text: str, papers: list[int] | None = None) -> list[Claim]:
        """Shown sentences; a sentence citing nothing is about the papers it was written from; a sentence a
        shown one already says (check.repeats) is not checked or shown."""
        out = []
        for sentence in cit.split_cited(cit.keep_valid(text, len(sources))):
            sentence.cited = sentence.cited or list(papers or [])
            if repeats(sentence.text, sentence.cited, shown, s.repeat_share):
                flagged.append(Flag(Action.REPEATED, sentence.text, reason="a sentence above says it"))
                continue
            result = checker.check(sentence)
            flagged.extend(result.flags)
            if result.claim:
                out.append(result.claim)
                shown.append(result.claim)
        return out

    def write(prompt: str, key: str, cut: Callable[[Iterable[str]], str], **values: str) -> str:
        """The model's text up to where `cut` stops reading (closing the stream stops the model there)."""
        if (text := cache.get(key)) is None:
            messages = [{"role": "user", "content": render(prompt, **values)}]
            with contextlib.closing(llm.stream(messages, max_tokens=s.max_tokens, temperature=0.0)) as pieces:
                text = cut(pieces)
            cache.put(key, text)
        return cut([text])  # drafts cached before the cut was made

    themes: list[Theme] = []
    draft_s = 0.0
    done = 0
    for g, block, key in zip(groups, blocks, keys, strict=True):
        if len(g) == 1:  # Theme.alone: shown in its own words, not paraphrased
            src = by_n[g[0]]
            themes.append(Theme(name=src.paper.title, papers=g, quoted=g,
                                claims=[quote(src, sentence, titled=False) for sentence in src.evidence]))
            continue
        done += 1
        step(1 + done, steps, f"Writing and checking theme {done} of {written}{cold}")
        t = time.perf_counter()
        name, finding = parse_theme(write(PROMPT, key, first_finding, topic=topic, papers=block))
        draft_s += time.perf_counter() - t
        if not name or name.lower() in {t.name.lower() for t in themes}:  # never a lone paper's heading
            name = f"{by_n[g[0]].paper.title} and {len(g) - 1} more"
        themes.append(Theme(name=name, papers=g, claims=checked(finding, g)))
    if not written:
        step(2, 2, "Quoting the papers: each theme is one paper, nothing for the model to write")
    closing: list[Claim] = []
    if s.closing and written > 1:
        step(steps, steps, "Relating the themes")
        said = "\n".join(f"{t.name}: {render_claims(t.claims) or '(papers ' + ', '.join(map(str, t.papers)) + ')'}"
                         for t in themes)
        t = time.perf_counter()
        text = write(CLOSING, DraftCache.key(CLOSING, topic, said, model), first_sentence, topic=topic, themes=said)
        draft_s += time.perf_counter() - t
        closing = checked(text)
    said_n = {n for t in themes for c in t.claims for n in c.cited} | {n for c in closing for n in c.cited}
    for theme in themes:
        if not theme.alone:
            theme.quoted = [n for n in theme.papers if n not in said_n]
            theme.claims += [quote(by_n[n]) for n in theme.quoted]
    claims = [c for t in themes for c in t.claims] + closing
    cites = citations_of(claims, sources)
    quoted = [by_n[n].paper.title for t in themes if not t.alone for n in t.quoted]
    alone = [by_n[t.papers[0]].paper.title for t in themes if t.alone]
    coverage = {"considered": len(chosen) + len(over_cap), "cited": [c.title for c in cites],
                "quoted": quoted, "alone": alone,
                "relevant_not_cited": [{"title": h.paper.title, "why": f"over the --max-papers limit ({cap})"}
                                       for h in over_cap]}
    t_end = time.perf_counter()
    timings = {"retrieve_ms": _ms(t_ret - t0), "draft_ms": _ms(draft_s), "verify_ms": _ms(t_end - t_ret - draft_s),
               "total_ms": _ms(t_end - t0)}
    summary = Summary(topic=topic, text="", citations=cites, sources=sources,
                      considered=[h.paper.title for h in chosen + over_cap], coverage=coverage, model=model,
                      timings=timings, flagged=flagged, themes=themes, closing=closing, cached=cached)
    summary.text = summary_text(summary)
    return summary


def _nothing(topic: str, ranked: list[Hit], model: str, bar: float, t0: float) -> Summary:
    """No paper reaches the relevance bar: say so, and offer the closest papers as related reading."""
    text = (f"No paper in the collection is about {topic!r}: none reaches the relevance bar ({bar:.2f}). "
            "The closest papers are listed as related reading.")
    return Summary(topic=topic, text=text, citations=[], sources=[], considered=[], model=model,
                   coverage={"considered": 0, "cited": [], "quoted": [], "relevant_not_cited": []},
                   timings={"total_ms": _ms(time.perf_counter() - t0)}, related=ranked[:5])


def _paper_vector(judge: EmbeddingJudge, paper: Paper) -> np.ndarray:
    v = judge.vectors(paper).mean(axis=0)
    return np.asarray(v / (np.linalg.norm(v) or 1.0), dtype=np.float32)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def summary_text(summary: Summary) -> str:
    """Themes as '**name**' then their checked sentences; the closing paragraph last."""
    parts = [f"**{t.name}**\n{render_claims(t.claims)}" for t in summary.themes if t.claims]
    if summary.closing:
        parts.append(render_claims(summary.closing))
    return "\n\n".join(parts) if parts else summary.text


def coverage_markdown(summary: Summary) -> str:
    c = summary.coverage
    lines = ["## Coverage", "", f"Papers considered: {c['considered']}. Cited: {len(c['cited'])}."]
    if c.get("quoted"):
        lines += ["", "Quoted verbatim (the synthesis did not state what they found):"]
        lines += [f"- {t}" for t in c["quoted"]]
    if c.get("alone"):
        lines += ["", "Shown in their own words (a theme of one paper):"]
        lines += [f"- {t}" for t in c["alone"]]
    if c["relevant_not_cited"]:
        lines += ["", "Relevant but not cited:"]
        lines += [f"- {x['title']} ({x['why']})" for x in c["relevant_not_cited"]]
    if summary.related:
        lines += ["", "Related reading (under the relevance bar):"]
        lines += [f"- {h.paper.title}" for h in summary.related]
    return "\n".join(lines)


def summary_markdown(summary: Summary) -> str:
    refs = "\n".join(f"{c.n}. {c.title}" for c in summary.citations)
    note = ("*Theme names and sentences are written by the model and checked against the cited papers' "
            "sentences; quoted lines are the papers' own words (under the paper's title where a theme is one "
            "paper).*\n\n" if summary.citations else "")
    return (f"# {summary.topic}\n\n{note}{summary.text}\n\n## References\n\n{refs or '(none)'}\n\n"
            f"{coverage_markdown(summary)}\n")
