"""Ask: a question in, a streamed answer out whose every shown sentence a cited source states.

Stages, each a function: rewrite (follow-ups) -> retrieve -> select evidence -> draft (the
model, streamed) -> verify (each sentence as soon as it is complete) -> fall back (a yes/no draft
that lost every sentence: the answering source's own sentences, quoted) -> finalize. The model
does not run when nothing relevant was found, or when the question names a thing or a number
that no source mentions (support.unmentioned).

Events come in order: SourcesEvent (before the model starts), TokenEvent* (verified
sentences only: nothing shown is ever taken back), DoneEvent (the final Answer).
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, citations_of, is_yes_no, render_claims, stance_quotes
from assistant.answer.evidence import as_shown, format_sources, relevant, select_evidence
from assistant.answer.prompts import render
from assistant.answer.support import EmbeddingJudge, content_words, unmentioned
from assistant.config import Settings
from assistant.llm.base import LLM, ContextCopy, Usage, complete
from assistant.retrieve import Retriever
from assistant.types import Action, Answer, Claim, Flag, Hit, Source
from assistant.verify.base import Verifier

REFUSAL = "I cannot answer this from the given papers."
_REFUSAL = re.compile(r"^\W*i (?:cannot|can ?not|can't|am unable to) answer\b", re.I)


@dataclass
class SourcesEvent:
    sources: list[Source]
    question: str  # the standalone question actually searched


@dataclass
class TokenEvent:
    text: str  # a verified sentence (with its citations), ready to show


@dataclass
class DoneEvent:
    answer: Answer


Event = SourcesEvent | TokenEvent | DoneEvent


def is_refusal(text: str) -> bool:
    """The model's fixed refusal phrase opens the text (or there is no text).

    >>> is_refusal("I cannot answer this from the given papers."), is_refusal("VMamba does not use attention [1].")
    (True, False)
    """
    return not text.strip() or bool(_REFUSAL.match(text))


@dataclass
class Question:
    """The question as asked, and as searched: a follow-up carries the earlier topic in `context`."""

    asked: str
    context: str = ""

    @property
    def search(self) -> str:
        return f"{self.asked} {self.context}".strip()


def rewrite(question: str, history: list[dict[str, str]], llm: LLM) -> Question:
    """A standalone version of a follow-up question, from the last few turns."""
    turns = "\n".join(f"{m['role']}: {m['content'][:400]}" for m in history[-4:])
    out = complete(llm, [{"role": "user", "content": render("rewrite", history=turns, question=question)}],
                   max_tokens=60, temperature=0.0)
    out = out.strip().strip('"').splitlines()[0].strip() if out.strip() else ""
    if not out or content_words(out) <= content_words(question):
        # the model added nothing: carry the previous question's topic along instead
        last = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
        return Question(question, last[:300])
    return Question(out)


@dataclass
class Retrieved:
    hits: list[Hit]
    query_vec: np.ndarray
    best: float  # the best dense similarity


def retrieve(q: Question, retriever: Retriever, k: int) -> Retrieved:
    qvec: np.ndarray = retriever.embedder.embed([q.search])[0]
    hits = retriever.search(q.search, k, query_vec=qvec)
    return Retrieved(hits, qvec, max((h.dense_similarity or 0.0 for h in hits), default=0.0))


def evidence(r: Retrieved, judge: EmbeddingJudge, llm: LLM, settings: Settings) -> list[Source]:
    a = settings.answer
    return select_evidence(relevant(r.hits, a.source_margin), r.query_vec, judge, budget=a.context_tokens,
                           count_tokens=llm.count_tokens, top_share=a.top_share, others=a.other_sentences)


def draft_messages(q: Question, sources: list[Source]) -> list[dict[str, str]]:
    form = render("answer_yes_no") if is_yes_no(q.asked) else ""
    return [{"role": "system", "content": render("answer_system")},
            {"role": "user", "content": render("answer_user", sources=format_sources(sources),
                                               question=q.asked if not q.context else q.search, form=form)}]


def draft(q: Question, messages: list[dict[str, str]], llm: LLM, settings: Settings, temperature: float | None,
          usage: Usage, keep: ContextCopy | None = None) -> Generator[str, None, None]:
    """The model's answer, streamed in pieces; closing it stops the model.

    A yes/no answer opens with its stance, and a small model says "Yes" to nearly any question: the
    first token's "No" logit gets `stance_bias`, calibrated on the dev set (eval/calibrate_stance.py)."""
    bias = {"No": settings.answer.stance_bias} if is_yes_no(q.asked) and settings.answer.stance_bias else None
    yield from llm.stream(messages, max_tokens=settings.llm.max_tokens,
                          temperature=settings.llm.temperature if temperature is None else temperature, usage=usage,
                          first_bias=bias, keep=keep)


def judge_in_context(verifier: Verifier, threshold: float, llm: LLM, settings: Settings,
                     messages: list[dict[str, str]], sources: list[Source],
                     yes_no: bool = False) -> tuple[Verifier, float, ContextCopy | None]:
    """The verifier for this answer and its threshold. Where the LLM judge runs on the same weights as the answering
    model, in process, it can start from a copy of the model's cache (verify/llm_judge.py): with `in_context` it
    reads the whole answer prompt for every check; else, with `first_source`, it reads the prompt cut after
    source [1] to accept sentences citing [1] cheaply (not for yes/no questions), and whole abstracts for the rest.
    Any other judge checks against whole abstracts."""
    v = settings.verify
    same = hasattr(verifier, "in_context") and getattr(llm, "path", None) == getattr(verifier, "path", "")
    if same and v.in_context:
        keep = ContextCopy()
        return cast(Any, verifier).in_context(keep, messages, sources), v.llm_context_threshold, keep
    if same and v.first_source and not yes_no:
        keep = ContextCopy()
        judge = cast(Any, verifier).first_source(keep, messages, sources, v.first_source_accept, v.first_source_reject)
        return judge, threshold, keep
    return verifier, threshold, None


@dataclass
class Verified:
    """What the verify stage has found so far."""

    claims: list[Claim] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # the draft, as the model wrote it
    refused: bool = False
    verify_s: float = 0.0
    last_shown: bool = True  # the last draft sentence checked was shown; before the first, the question says
    # what "it" is (see ClaimChecker.alone)


def verify(sentences: list[str], checker: ClaimChecker, sources: list[Source], out: Verified) -> Iterator[str]:
    """Check complete draft sentences; yield each shown one as rendered text. A marker the model used as a name
    ("[1] develops ...") gets its source's title in front (citations.name_sources), and that source must state
    the sentence; bare markers or a source's name alone ("S^3 [1]") answering "Which paper ...?" are such
    names, with the question's predicate (citations.named_answer)."""
    titles = {s.n: s.paper.title for s in sources}
    for raw in sentences:
        out.text.append(raw)
        if not out.claims and is_refusal(raw):
            out.refused = True
            return
        t = time.perf_counter()
        valid = cit.keep_valid(raw, len(sources))  # first: "[1] and [9]" names [1] only
        if (named := cit.named_answer(valid, checker.question, titles)) != valid:
            out.flags.append(Flag(Action.NAMED, named, reason="the draft named the source(s) only; the question "
                                  "says what they do, and each was checked for it"))
        for s in cit.split_cited(named, titles):
            s.asked = named != valid
            checked = checker.alone(checker.check(s), out.last_shown)
            out.last_shown = checked.claim is not None
            out.flags += checked.flags
            if checked.claim:
                out.claims += [checked.claim, *checked.also]
                yield render_claims([checked.claim, *checked.also])
        out.verify_s += time.perf_counter() - t


def fall_back(checker: ClaimChecker, v: Verified, bar: float) -> list[Claim]:
    """Where the check removed every sentence of a yes/no answer's draft, the answering source's sentences, quoted
    (ClaimChecker.passages), instead of a refusal; added to `v` with a QUOTED flag. [] when anything was shown, the
    model refused, or no source answers the question."""
    if v.claims or v.refused:
        return []
    t = time.perf_counter()
    quotes = checker.passages(bar)
    if quotes:
        n = quotes[0].cited[0]
        v.flags.append(Flag(Action.QUOTED, n=n, support=quotes[0].support[n], reason="No yes or no could be checked "
                            f"against the papers (the drafted answer was not stated by its sources). What [{n}] says, "
                            "in its own words:"))  # the reader's note, as the UI, the CLI and the API show it
        v.claims += quotes
    v.verify_s += time.perf_counter() - t
    return quotes


def name_the_rest(checker: ClaimChecker, v: Verified, sources: list[Source], bar: float) -> list[Claim]:
    """To "Which papers <predicate>?", each source the shown answer does not cite is checked as a named answer
    ("<title> <predicate>", read against its whole abstract, as a draft of bare markers is, but at the main bar: on
    the dev sets the named bar admitted papers the model had rightly left out); those that pass are added, flagged
    LISTED. The small model names one or two of the papers it was given: on the dev which-questions the sources it
    left out held half the gold papers (eval/replay_check.py --listed). `bar`: the LLM judge's main bar. [] when the
    question does not ask for papers, the model refused, or the judge is not the LLM judge (no named-answer judge:
    the rule was measured with that one only)."""
    if v.refused or checker.named is None or not cit.lists_papers(checker.question):
        return []
    t = time.perf_counter()
    titles = {s.n: s.paper.title for s in sources}
    cited = {n for c in v.claims for n in c.cited}
    added = []
    for src in sources:
        if src.n in cited:
            continue
        for s in cit.split_cited(cit.named_answer(f"[{src.n}]", checker.question, titles), titles):
            s.asked = True
            # a failed check is of a sentence the model never wrote: no flag
            checked = checker.check(s, named_bar=bar)
            if checked.claim and checked.claim.cited == [src.n]:  # never a fragment attributed to another source
                added.append(checked.claim)
                v.flags.append(Flag(Action.LISTED, checked.claim.text, n=src.n, reason="the draft did not name it; "
                                    "its abstract states what the question asks"))
    v.claims += added
    v.verify_s += time.perf_counter() - t
    return added


def refusal(question: str, hits: list[Hit], model: str, reason: str, **kw: object) -> Answer:
    return Answer(question=question, text=REFUSAL, refused=True, citations=[], sources=[], model=model,
                  related=hits, flagged=[Flag(Action.REFUSED, reason=reason)], **kw)  # type: ignore[arg-type]


def finalize(question: str, q: Question, r: Retrieved, sources: list[Source], v: Verified, model: str,
             usage: dict[str, int]) -> Answer:
    if v.refused:
        answer = refusal(question, r.hits, model, "the model found no answer in the sources", usage=usage)
    elif not v.claims:
        unanswered = any(f.action == Action.UNANSWERED for f in v.flags)
        answer = refusal(question, r.hits, model, "the sources state what the draft said, but none answers the "
                         "question" if unanswered else "no sentence of the draft was stated by a source", usage=usage)
    else:
        answer = Answer(question=question, text=render_claims(v.claims), refused=False,
                        citations=citations_of(v.claims, sources), sources=sources, model=model, usage=usage,
                        claims=v.claims)
    answer.flagged += v.flags
    answer.sources = sources
    answer.draft = " ".join(v.text)
    answer.standalone_question = q.search
    return answer


def ask_stream(question: str, *, settings: Settings, retriever: Retriever, llm: LLM, judge: EmbeddingJudge,
               verifier: Verifier, threshold: float, history: list[dict[str, str]] | None = None,
               k: int | None = None, temperature: float | None = None) -> Generator[Event, None, None]:
    t0 = time.perf_counter()
    model = str(llm.describe()["model"])
    q = rewrite(question, history, llm) if history else Question(question)
    r = retrieve(q, retriever, k or settings.retrieval.k)
    timings = {"retrieve_ms": round((time.perf_counter() - t0) * 1000, 1)}

    def refused_early(reason: str) -> DoneEvent:  # before the model runs: the refusal is the first "sentence"
        timings.update(first_sentence_ms=round((time.perf_counter() - t0) * 1000, 1))
        timings["total_ms"] = timings["first_sentence_ms"]
        return DoneEvent(refusal(question, r.hits, model, reason, timings=timings, standalone_question=q.search))

    if (r.best < settings.answer.refuse_below and not any(h.name_match for h in r.hits)
            and (unknown := retriever.unknown_words(q.search))):
        # far from every abstract and asking about words no paper uses; a short question on the collection's own
        # subject ("Which papers are about Mamba?") embeds as far, but every word of it is in the papers
        yield SourcesEvent([], q.search)
        yield refused_early(f"best retrieval similarity {r.best:.2f} is below {settings.answer.refuse_below} and no "
                            "paper uses " + ", ".join(f"'{w}'" for w in unknown[:3]))
        return
    sources = evidence(r, judge, llm, settings)
    yield SourcesEvent(sources, q.search)
    if settings.answer.refuse_unmentioned and (missing := unmentioned(q.asked, (f"{s.paper.title} {s.paper.abstract}"
                                                                               for s in sources), keep_bounds=False)):
        # "Were SAVs tested on InternVL?" when no source says InternVL: the model would answer from what they do say
        yield refused_early("no source mentions " + ", ".join(sorted(missing)))
        return
    t_gen = time.perf_counter()
    messages = draft_messages(q, sources)
    # named answers: the abstract judge, before judge_in_context puts a shortcut in front of it, and its own bar
    named = (verifier, settings.verify.llm_named_threshold) if verifier.name == "llm" else None
    verifier, threshold, keep = judge_in_context(verifier, threshold, llm, settings, messages, sources,
                                                 yes_no=is_yes_no(q.asked))
    checker = ClaimChecker(q.asked, sources, verifier=verifier, threshold=threshold, settings=settings.answer,
                           judge=judge, question_vec=r.query_vec,
                           stance=(settings.verify.stance_yes, settings.verify.stance_no),
                           answers=settings.verify.answers, named=named,
                           check_against=as_shown(sources) if settings.verify.read_shown else None,
                           whole_named=True, premises=settings.verify.premises,
                           standalone=settings.verify.standalone)
    usage, stream, v = Usage(), cit.SentenceStream({s.n: s.paper.title for s in sources}), Verified()
    first_token = first_sentence = None
    with closing(draft(q, messages, llm, settings, temperature, usage, keep)) as pieces:
        for piece in pieces:
            first_token = first_token or time.perf_counter()
            for shown in verify(stream.feed(piece), checker, sources, v):
                lead = " " if first_sentence else ""  # between shown sentences
                first_sentence = first_sentence or time.perf_counter()
                yield TokenEvent(lead + shown)
            if v.refused:
                break  # the model refused: no need to let it finish
    if not v.refused and (tail := stream.flush()):
        for shown in verify([tail], checker, sources, v):
            lead = " " if first_sentence else ""  # between shown sentences
            first_sentence = first_sentence or time.perf_counter()
            yield TokenEvent(lead + shown)
    if quotes := fall_back(checker, v, settings.verify.quote_answers):  # "Yes, <a false premise>" removed
        first_sentence = first_sentence or time.perf_counter()
        yield TokenEvent(render_claims(quotes))
    if settings.verify.name_every_source and (listed := name_the_rest(checker, v, sources,
                                                                      settings.verify.llm_threshold)):
        first_sentence = first_sentence or time.perf_counter()
        yield TokenEvent((" " if len(v.claims) > len(listed) else "") + render_claims(listed))
    for quote in stance_quotes(v.claims):  # "Yes [1]." and nothing more: what [1] says, in its words
        v.claims.append(quote)
        yield TokenEvent(" " + render_claims([quote]))
    end = time.perf_counter()
    use = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
           "prompt_eval_tokens": usage.prompt_eval_tokens}
    answer = finalize(question, q, r, sources, v, model, use)
    timings.update(ttft_ms=round(((first_token or end) - t0) * 1000, 1),
                   first_sentence_ms=round(((first_sentence or end) - t0) * 1000, 1),
                   generate_ms=round((end - t_gen) * 1000, 1), verify_ms=round(v.verify_s * 1000, 1),
                   llm_prompt_ms=round(usage.prompt_ms, 1), llm_generate_ms=round(usage.generate_ms, 1),
                   total_ms=round((time.perf_counter() - t0) * 1000, 1))
    answer.timings = timings
    yield DoneEvent(answer)
