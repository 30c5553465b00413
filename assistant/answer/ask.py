"""Ask: question -> retrieval -> evidence -> streamed answer -> checked citations.

Events come in order: Sources (before generation starts), Token* (already filtered so
an invalid [n] never shows), Done (the final Answer, every citation support-checked).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assistant.answer import citations as cit
from assistant.answer.answer_type import expects_number, gives_number
from assistant.answer.evidence import format_sources, relevant, select_evidence
from assistant.answer.prompts import render
from assistant.answer.support import EmbeddingJudge, SupportJudge, content_words, stem
from assistant.config import Settings
from assistant.llm.base import LLM, Usage, complete
from assistant.retrieve import Retriever
from assistant.types import Answer, Citation, Hit, Source

REFUSAL = "I cannot answer this from the given papers."
CONTEXT = " (context: "  # rewrite()'s fallback appends the previous question after this
_REFUSAL = re.compile(
    r"cannot answer|can't answer|unable to answer|i don't know|i do not know|no information|"
    r"(?:do|does) not (?:contain|provide|mention|state|specify|say|include|discuss|report)|"
    r"not (?:mentioned|specified|provided|stated|reported|discussed)", re.I)


@dataclass
class SourcesEvent:
    sources: list[Source]
    question: str  # the standalone question actually searched


@dataclass
class TokenEvent:
    text: str


@dataclass
class DoneEvent:
    answer: Answer


Event = SourcesEvent | TokenEvent | DoneEvent


def is_refusal(text: str) -> bool:
    first = cit.split_cited(text)[:1]
    return bool(first and _REFUSAL.search(first[0].text)) or not text.strip()


def rewrite(question: str, history: list[dict[str, str]], llm: LLM, settings: Settings) -> str:
    """A standalone version of a follow-up question, from the last few turns."""
    turns = "\n".join(f"{m['role']}: {m['content'][:400]}" for m in history[-4:])
    out = complete(llm, [{"role": "user", "content": render("rewrite", history=turns, question=question)}],
                   max_tokens=60, temperature=0.0)
    out = out.strip().strip('"').splitlines()[0].strip() if out.strip() else ""
    if not out or content_words(out) <= content_words(question):
        # the model added nothing: carry the previous question's topic along instead
        last = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
        return f"{question}{CONTEXT}{last[:300]})" if last else question
    return out


def claim_of(sentence: str, question: str, sources: list[Source]) -> str:
    """What a sentence claims, for the support check: paper titles removed (they match their own source
    trivially); a sentence that only names a paper claims that the paper answers the question."""
    claim = sentence
    for s in sources:
        claim = re.sub(re.escape(s.paper.title), "this paper", claim, flags=re.I)
    return claim if len(content_words(claim)) > 2 else f"{question} {claim}"


def check(text: str, question: str, sources: list[Source], judge: SupportJudge, settings: Settings,
          question_vec: np.ndarray | None = None) -> tuple[str, list[Citation], list[dict[str, object]]]:
    """Keep citations whose source supports the sentence; attribute an uncited sentence to the source that
    clearly supports it, or drop it; report every change in `flagged`.

    With `question_vec` (answers, not summaries), only the top source may back a sentence that is off
    the question: small models pad a lookup answer with on-source but off-topic lines from the others.
    """
    a = settings.answer
    sentences = cit.split_cited(cit.keep_valid(text, len(sources)))
    claims = [claim_of(s.text, question, sources) for s in sentences]
    by_source = {s.n: judge.scores(claims, s.paper) for s in sources}
    rel = judge.relevance(claims, question_vec) if question_vec is not None else [1.0] * len(claims)
    flagged: list[dict[str, object]] = []
    support: dict[int, float] = {}
    for i, s in enumerate(sentences):
        if len(content_words(s.text)) < 3 and not s.cited:
            continue  # a heading or a connective, not a claim
        allowed = [n for n in by_source if n == 1 or rel[i] >= a.relevance_threshold]
        kept = [n for n in s.cited if n in allowed and by_source[n][i] >= a.support_threshold]
        for n in s.cited:
            if n not in kept:
                flagged.append({"sentence": s.text, "n": n, "support": round(by_source[n][i], 3),
                                "relevance": round(rel[i], 3), "action": "dropped" if n in allowed else "off-topic"})
        if not kept and allowed:
            best = max(allowed, key=lambda n: by_source[n][i])
            if by_source[best][i] >= a.attribute_threshold:
                kept = [best]
                flagged.append({"sentence": s.text, "n": best, "support": round(by_source[best][i], 3),
                                "action": "attributed"})
            else:
                flagged.append({"sentence": s.text, "n": None, "support": round(by_source[best][i], 3),
                                "action": "unsupported"})
                s.text = ""  # a claim no source supports is not shown
        s.cited = kept
        for n in kept:
            support[n] = max(support.get(n, 0.0), by_source[n][i])
    sentences = [s for s in sentences if s.text]
    order = list(dict.fromkeys(n for s in sentences for n in s.cited))
    paper = {s.n: s.paper for s in sources}
    cites = [Citation(n, paper[n].paper_id, paper[n].title, round(support[n], 3)) for n in order]
    return cit.render(sentences), cites, flagged


def restates_question(sentence: cit.Sentence, question: str, sources: list[Source]) -> bool:
    """Whether a draft sentence only says that the top paper is what the question asks about: it names
    a paper and nothing else, or most of its content words come from the question (the 1.5B model's
    "Yes, there is a method that ..."). Such a sentence claims no content a source could support."""
    if set(sentence.cited) - {1}:
        return False
    words = {stem(w) for w in content_words(sentence.text)}
    asked = {stem(w) for w in content_words(question)}
    names_only = sentence.cited == [1] and claim_of(sentence.text, question, sources).startswith(f"{question} ")
    return names_only or (len(words) >= 3 and len(words & asked) >= 0.8 * len(words))


def quote_top(question: str, question_vec: np.ndarray, sources: list[Source], judge: EmbeddingJudge,
              settings: Settings) -> tuple[str, Citation] | None:
    """An extractive answer: the top paper and its sentence closest to the question, quoted verbatim,
    when that sentence is close enough to the question to be worth showing."""
    if not sources:
        return None
    top = sources[0]
    sentence = judge.best_sentences(question_vec, top.paper, 1)
    if not sentence or judge.relevance(sentence, question_vec)[0] < settings.answer.quote_threshold:
        return None
    text = f"The closest paper is {top.paper.title} [1]. It says: “{sentence[0]}” [1]"
    return text, Citation(1, top.paper.paper_id, top.paper.title, round(judge.scores(sentence, top.paper)[0], 3))


def refusal(question: str, hits: list[Hit], model: str, reason: str, **kw: object) -> Answer:
    return Answer(question=question, text=REFUSAL, refused=True, citations=[], sources=[], model=model,
                  related=hits, flagged=[{"action": "refused", "reason": reason}], **kw)  # type: ignore[arg-type]


def ask_stream(question: str, *, settings: Settings, retriever: Retriever, llm: LLM, judge: EmbeddingJudge,
               history: list[dict[str, str]] | None = None, k: int | None = None,
               temperature: float | None = None) -> Iterator[Event]:
    t0 = time.perf_counter()
    model = llm.describe()["model"]
    standalone = rewrite(question, history, llm, settings) if history else question
    qvec: np.ndarray = retriever.embedder.embed([standalone])[0]
    hits = retriever.search(standalone, k or settings.retrieval.k, query_vec=qvec)
    t_ret = time.perf_counter()
    timings = {"retrieve_ms": round((t_ret - t0) * 1000, 1)}
    best = max((h.dense_similarity or 0.0 for h in hits), default=0.0)
    if best < settings.answer.refuse_below and not any(h.name_match for h in hits):
        yield SourcesEvent([], standalone)
        timings.update(ttft_ms=timings["retrieve_ms"], total_ms=round((time.perf_counter() - t0) * 1000, 1))
        yield DoneEvent(refusal(question, hits, str(model), f"best retrieval similarity {best:.2f} is below "
                                f"{settings.answer.refuse_below}", timings=timings, standalone_question=standalone))
        return
    sources = select_evidence(relevant(hits, settings.answer.source_margin), qvec, judge,
                              n_sentences=settings.answer.evidence_sentences, budget=settings.answer.context_tokens,
                              count_tokens=llm.count_tokens)
    yield SourcesEvent(sources, standalone)
    messages = [{"role": "system", "content": render("answer_system")},
                {"role": "user", "content": render("answer_user", sources=format_sources(sources), question=standalone)}]
    usage, filt, raw, first = Usage(), cit.StreamFilter(len(sources)), [], None
    for piece in llm.stream(messages, max_tokens=settings.llm.max_tokens,
                            temperature=settings.llm.temperature if temperature is None else temperature, usage=usage):
        raw.append(piece)
        for out in filt.feed(piece):
            if first is None:
                first = time.perf_counter()
            yield TokenEvent(out)
    if tail := filt.flush():
        yield TokenEvent(tail)
    t_gen = time.perf_counter()
    text = "".join(raw).strip()
    timings.update(ttft_ms=round(((first or t_gen) - t0) * 1000, 1), generate_ms=round((t_gen - t_ret) * 1000, 1),
                   llm_prompt_ms=round(usage.prompt_ms, 1), llm_generate_ms=round(usage.generate_ms, 1))
    use = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
           "prompt_eval_tokens": usage.prompt_eval_tokens}
    if is_refusal(text):
        answer = refusal(question, hits, str(model), "the model found no answer in the sources", usage=use)
    else:
        checked, cites, flagged = check(text, standalone, sources, judge, settings, question_vec=qvec)
        asked = standalone.split(CONTEXT, 1)[0]  # the question itself, without a carried-over topic
        drafted = cit.split_cited(cit.keep_valid(text, len(sources)))
        if (not cites and any(restates_question(s, asked, sources) for s in drafted)
                and (quoted := quote_top(standalone, qvec, sources, judge, settings))):
            checked, cites = quoted[0], [quoted[1]]
            flagged.append({"action": "quoted", "n": 1, "sentence": text,
                            "reason": "the draft only restated the question"})
        wanted = expects_number(asked)
        plain = " ".join(s.text for s in cit.split_cited(checked))
        for src in sources:  # a title's digits (Mamba-2, S^2IP-LLM) are not an answer's figure
            plain = re.sub(re.escape(src.paper.title), "", plain, flags=re.I)
        if not cites or (wanted and not gives_number(plain, wanted, asked)):
            reason = ("no sentence of the draft was supported by a source" if not cites else
                      "the question asks for a figure and the supported answer states none")
            answer = refusal(question, hits, str(model), reason, usage=use)
            answer.flagged += flagged
        else:
            answer = Answer(question=question, text=checked, refused=False, citations=cites, sources=sources,
                            model=str(model), usage=use, flagged=flagged)
    answer.sources = sources
    answer.draft = text
    answer.standalone_question = standalone
    timings["total_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    answer.timings = timings
    yield DoneEvent(answer)
