"""The default verifier, the local model as a yes/no judge, on real hand-labelled pairs."""

from __future__ import annotations

import json

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.corpus import load_papers
from assistant.llm.registry import resolve
from assistant.verify.llm_judge import LLMVerifier

pytestmark = pytest.mark.slow
PAIRS = [json.loads(line) for line in (PROJECT_ROOT / "eval" / "verifier_pairs.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def judge(settings) -> LLMVerifier:
    return LLMVerifier(resolve(settings.verify.llm_model or "default", settings.models_dir))


@pytest.fixture(scope="module")
def papers():
    return {p.title: p for p in load_papers(None).papers}


def first(cls: str) -> dict:
    return next(p for p in PAIRS if p["class"] == cls)


@pytest.mark.parametrize("cls", ["polarity_flip", "yes_on_no", "number_swap", "paraphrase", "join"])
def test_the_judge_on_the_first_labelled_pair_of_each_hard_class(judge, papers, cls):
    pair = first(cls)
    support = judge.support([pair["claim"]], papers[pair["source"]])[0]
    threshold = Settings().verify.llm_threshold
    assert (support.score >= threshold) is pair["supported"], (pair, support.score)


def test_a_second_claim_on_the_same_paper_computes_only_the_claim(judge, papers):
    import llama_cpp

    from assistant.llm.llamacpp import perf_context

    pair = first("paraphrase")
    paper = papers[pair["source"]]
    judge.support([pair["claim"]], paper)
    llama = judge.llama
    prompt_tokens = llama.n_tokens
    llama_cpp.llama_perf_context_reset(perf_context(llama))
    judge.support(["A different claim about this paper."], paper)
    computed = llama_cpp.llama_perf_context(perf_context(llama)).n_p_eval
    assert 0 < computed < 60 < prompt_tokens  # the paper's tokens came from the KV cache


def _sentences_of(evidence: str) -> list[str]:
    return evidence.split("\n")


@pytest.mark.parametrize("cls, n", [("verbatim", 1), ("join", 2)])
def test_a_kept_claim_points_at_the_sentences_it_rests_on(embedder, papers, cls, n):
    """The LLM judge reads the whole abstract and says yes or no; the reader is shown the exact sentence(s):
    a copied sentence rests on itself, a claim joining two sentences on both."""
    from assistant.answer.support import EmbeddingJudge

    pair = next(p for p in PAIRS if p["class"] == cls and p["supported"])
    paper = papers[pair["source"]]
    judge = EmbeddingJudge(embedder, corpus=(f"{p.title} {p.abstract}" for p in papers.values()))  # as the app fits it
    rests_on = _sentences_of(judge.rests_on(pair["claim"], paper))
    assert len(rests_on) == n and all(s in paper.abstract for s in rests_on), rests_on
    if cls == "verbatim":
        assert "maximally separated" in rests_on[0]
    else:
        assert any("eight" in s for s in rests_on) and any("recommend" in s for s in rests_on), rests_on


def answered(judge, settings, paper, question):
    """The sources, messages and copied cache of an answer about `paper`, read by the answering model on the judge's
    weights."""
    from contextlib import closing

    from assistant.answer.ask import Question, draft_messages
    from assistant.llm.base import ContextCopy
    from assistant.llm.llamacpp import LlamaCppLLM
    from assistant.types import Hit, Source

    sources = [Source(1, Hit(paper, 1.0, 1, 1, 1.0), [paper.abstract])]
    messages = draft_messages(Question(question), sources)
    llm = LlamaCppLLM(judge.path, settings.llm)
    keep = ContextCopy()
    with closing(llm.stream(messages, max_tokens=4, temperature=0.0, keep=keep)) as pieces:
        assert list(pieces)
    return sources, messages, keep


def test_a_check_in_an_answer_starts_from_the_answering_models_copied_cache(judge, settings, papers):
    """verify.in_context: the answering model's KV cache, copied once it has read the prompt, goes into the
    judge's context; the check then computes only its own turn, and scores what reading the prompt would."""
    import llama_cpp

    from assistant.llm.base import ContextCopy
    from assistant.llm.llamacpp import perf_context

    pair = first("paraphrase")
    paper = papers[pair["source"]]
    sources, messages, keep = answered(judge, settings, paper, "What does this paper find?")
    assert keep.data and len(keep.tokens) > 200 and keep.model == str(judge.path)

    llama_cpp.llama_perf_context_reset(perf_context(judge.llama))
    copied = judge.in_context(keep, messages, sources).support([pair["claim"]], paper)[0].score
    computed = llama_cpp.llama_perf_context(perf_context(judge.llama)).n_p_eval
    assert 0 < computed < 100 < len(keep.tokens), computed  # the prompt came from the copy

    judge.llama.n_tokens = 0  # forget it all: without a copy the judge reads the whole prompt
    read = judge.in_context(ContextCopy(), messages, sources).support([pair["claim"]], paper)[0].score
    # the same prompt, read in other batches: llama.cpp's quantized kernels sum in another order, and a fresh
    # build here gave 0.672 against 0.693 (0.02 had held on an earlier build)
    assert abs(copied - read) < 0.05, (copied, read)
    with pytest.raises(ValueError, match="not one of this answer's sources"):
        judge.in_context(keep, messages, sources).support(["x"], next(p for p in papers.values() if p != paper))


def test_the_prefix_shortcut_decides_clear_sentences_on_source_1_cheaply_and_leaves_the_rest_to_the_abstract_judge(
        judge, settings, papers):
    """verify.first_source: a sentence citing [1] is read against the answer's own prompt cut after [1], from the
    answering model's copied cache (a few dozen new tokens); it is accepted over one bar, rejected under another,
    and in between the abstract judge decides."""
    import llama_cpp

    from assistant.llm.llamacpp import perf_context

    title = "CoReS: Compatible Representations via Stationarity"  # a dev paper
    paraphrases = [p["claim"] for p in PAIRS if p["source"] == title and p["class"] == "paraphrase"]
    flip = next(p["claim"] for p in PAIRS if p["source"] == title and p["class"] == "polarity_flip")
    paper = papers[title]
    sources, messages, keep = answered(judge, settings, paper, "What does CoReS propose?")
    v = Settings().verify
    shortcut = judge.first_source(keep, messages, sources, v.first_source_accept, v.first_source_reject)

    second = judge.second
    llama_cpp.llama_perf_context_reset(perf_context(second))
    clear = shortcut.support([paraphrases[0]], paper)[0]
    computed = llama_cpp.llama_perf_context(perf_context(second)).n_p_eval
    assert clear.passed is True and clear.score >= v.first_source_accept
    assert 0 < computed < 150 < 300 < len(keep.tokens), computed  # only the question was read: the rest came from the copy

    flipped = shortcut.support([flip], paper)[0]
    assert flipped.passed is False and flipped.score < v.first_source_reject  # rejected without the abstract judge

    unsure = shortcut.support([paraphrases[1]], paper)[0]  # between the bars: the abstract judge keeps it
    assert unsure.passed is None and unsure.score >= v.llm_threshold, unsure.score
    assert v.first_source_reject <= shortcut.shortcut(paraphrases[1]) < v.first_source_accept


def test_the_same_paper_with_other_sentences_gets_its_own_vectors(embedder, papers):
    """A summary checks a paper's key sentences, which differ from topic to topic: the sentence vectors are
    cached by text, not by paper id (a topic's summary once crashed on another topic's cached vectors)."""
    from dataclasses import replace

    from assistant.answer.support import EmbeddingJudge

    paper = papers[first("verbatim")["source"]]
    sentences = EmbeddingJudge(embedder).sentences(paper)[1:]
    judge = EmbeddingJudge(embedder)
    assert len(sentences) >= 4
    for shown in (sentences, sentences[2:3], sentences[:2]):
        key = replace(paper, abstract=" ".join(shown))
        assert judge.rests_on(shown[-1], key) == shown[-1]  # a copied sentence rests on itself alone


def test_a_stance_on_a_restated_question_needs_the_source_to_answer_that_way(judge, papers):
    """To a dev question whose paper's answer is "no", the real judge backs the model's "No, <the question
    negated>" and rejects "Yes, <the question>" with the shipped bars (eval/calibrate_stance_judge.py); to a dev
    near-miss the paper does not answer, it backs no "No"."""
    from assistant.answer import citations as cit
    from assistant.answer.check import ClaimChecker
    from assistant.types import Hit, Source

    question = ("For compatible feature learning with fixed polytope classifiers, does the method have to learn a "
                "mapping from the old model's features to the new ones?")
    paper = papers["CoReS: Compatible Representations via Stationarity"]
    s = Settings()
    sources = [Source(1, Hit(paper, 0.0, 1, 1, 0.7), [])]

    def checked(text: str, asked: str = question) -> str | None:
        checker = ClaimChecker(asked, sources, verifier=judge, threshold=s.verify.llm_threshold, settings=s.answer,
                               stance=(s.verify.stance_yes, s.verify.stance_no))
        claim = checker.check(cit.split_cited(text)[0]).claim
        return claim.text if claim else None

    def shown(text: str, asked: str = question) -> bool:
        return checked(text, asked) is not None

    assert shown("No, the method does not have to learn a mapping from the old model's features to the new ones [1].")
    assert not shown("Yes, the method has to learn a mapping from the old model's features to the new ones [1].")
    # a question the paper does not answer: "not said" is not "no" (the judge reads it as unknown)
    assert not shown("No, CoReS was not tested with Vision Transformer backbones [1].",
                     "Was CoReS tested with Vision Transformer backbones?")
    # a true statement under the wrong stance: the statement is shown, the "Yes" is not
    content = "the fixed classifier keeps classes stationary, so no mapping between representations is learned"
    assert checked(f"Yes, {content} [1].") == content[0].upper() + content[1:] + "."
    assert checked(f"No, {content} [1].") == f"No, {content}."


def test_reading_a_papers_answer_after_a_claim_check_computes_only_the_question(judge, papers):
    import llama_cpp

    from assistant.llm.llamacpp import perf_context

    pair = first("paraphrase")
    paper = papers[pair["source"]]
    judge.support([pair["claim"]], paper)
    llama_cpp.llama_perf_context_reset(perf_context(judge.llama))
    yes, no = judge.stance("Does this paper propose a new method?", paper)
    computed = llama_cpp.llama_perf_context(perf_context(judge.llama)).n_p_eval
    assert 0 < computed < 60 and 0 <= yes + no <= 1  # the paper's tokens came from the KV cache


def test_to_a_yes_no_question_a_true_sentence_that_does_not_answer_it_is_not_shown(judge, papers):
    """A dev near miss (eval/questions_stance.jsonl u021): "Was CoReS tested with Vision Transformer backbones?" drew
    "CoReS was tested with fixed classifiers based on polytopes [1]", which the paper states and the claim judge
    passes. The real judge reads the paper's answer to the question as unknown, so with the shipped bar
    (verify.answers, eval/calibrate_answered.py) the sentence is not shown; a statement answering a question the
    paper does answer still is."""
    from assistant.answer import citations as cit
    from assistant.answer.check import ClaimChecker
    from assistant.types import Action, Hit, Source

    paper = papers["CoReS: Compatible Representations via Stationarity"]
    s = Settings()
    sources = [Source(1, Hit(paper, 0.0, 1, 1, 0.7), [])]

    def check(text: str, asked: str, answers: float = s.verify.answers):
        checker = ClaimChecker(asked, sources, verifier=judge, threshold=s.verify.llm_threshold, settings=s.answer,
                               stance=(s.verify.stance_yes, s.verify.stance_no), answers=answers)
        return checker.check(cit.split_cited(text)[0])

    near = "Was CoReS tested with Vision Transformer backbones?"
    sentence = "CoReS was tested with fixed classifiers based on polytopes [1]."
    assert check(sentence, near, answers=0.0).claim is not None  # true of the paper: the claim judge keeps it
    out = check(sentence, near)
    assert out.claim is None and out.flags[-1].action == Action.UNANSWERED
    # a question the paper answers: the statement that answers it is shown. (The judge reads a paper's "no" less
    # surely: to "does the method have to learn a mapping ...?", which the paper answers "no need to learn any
    # mappings", P(yes) + P(no) is 0.33, under the bar; a sentence opening with a stance its source backs is exempt)
    asked = "Does CoReS outperform the state of the art when the training set is upgraded several times?"
    assert check("CoReS largely outperforms the current state of the art, particularly with multiple upgrades of "
                 "the training set [1].", asked).claim is not None


def test_a_paper_named_as_the_whole_answer_is_kept_at_the_named_bar_and_a_wrong_one_is_not(judge, papers):
    """'[1]' to 'Which paper ...?' is checked as '<title> <the question's predicate>', the asker's words: the judge
    reads the right paper under the main bar (dev which-question w016, 0.58), over the named bar; a near paper named
    instead is not shown."""
    from assistant.answer import citations as cit
    from assistant.answer.ask import Verified, verify
    from assistant.answer.check import ClaimChecker
    from assistant.types import Hit, Source

    s = Settings()
    question = "Which paper analyzes StyleGAN2's channel-wise style space for disentangled editing?"
    right = papers["StyleSpace Analysis: Disentangled Controls for StyleGAN Image Generation"]
    near = papers["DeltaSpace: A Semantic-aligned Feature Space for Flexible Text-guided Image Editing"]

    def shown(paper, named: float | None) -> list[str]:
        sources = [Source(1, Hit(paper, 0.0, 1, 1, 0.7), [])]
        checker = ClaimChecker(question, sources, verifier=judge, threshold=s.verify.llm_threshold, settings=s.answer,
                               named=(judge, named) if named is not None else None)
        return list(verify(["[1]"], checker, sources, Verified()))

    assert shown(right, s.verify.llm_named_threshold) == [
        f'"{right.title}" analyzes StyleGAN2\'s channel-wise style space for disentangled editing [1].']
    assert shown(right, None) == []  # at the main bar the right paper was refused
    assert shown(near, s.verify.llm_named_threshold) == []
    assert cit.named_answer("[1]", question) == "[1] analyzes StyleGAN2's channel-wise style space for disentangled editing."


def test_a_sentence_affirming_a_false_premise_shows_the_sources_words_and_a_true_premise_stands(judge, embedder,
                                                                                               papers):
    """Dev false premise d028: "Why does Break-for-Make learn content and style in one shared parameter space?"
    drew "... learns content and style in one shared parameter space because it ... separates the parameter space
    [1]", which the claim judge passed as a whole. Its opening, what the question assumes, is read on its own as
    the asker's words (named bar, whole abstract): the paper does not state it, so the paper's own sentence is
    shown instead. Dev q030's opening, which its paper does state, keeps the model's sentence."""
    from assistant.answer import citations as cit
    from assistant.answer.check import ClaimChecker
    from assistant.answer.support import EmbeddingJudge
    from assistant.types import Action, Hit, Source

    s = Settings()
    fit = EmbeddingJudge(embedder, corpus=(f"{p.title} {p.abstract}" for p in papers.values()))

    def check(title: str, question: str, text: str, premises: bool = True):
        paper = papers[title]
        sources = [Source(1, Hit(paper, 0.0, 1, 1, 0.7), [])]
        checker = ClaimChecker(question, sources, verifier=judge, threshold=s.verify.llm_threshold, settings=s.answer,
                               judge=fit, named=(judge, s.verify.llm_named_threshold), premises=premises)
        return checker.check(cit.split_cited(text)[0])

    title = "Break-for-Make: Modular Low-Rank Adaptations for Composable Content-Style Customization"
    question = "Why does the Break-for-Make customization method learn content and style in one shared parameter space?"
    draft = ("The Break-for-Make customization method learns content and style in one shared parameter space because "
             "it proposes a learning framework that separates the parameter space to facilitate individual learning "
             "of content and style, thereby enabling disentangled content and style [1].")
    assert check(title, question, draft, premises=False).claim is not None  # the whole sentence passes the judge
    out = check(title, question, draft)
    assert out.claim is not None and out.flags[-1].action == Action.PREMISE, out.flags
    assert out.claim.cited == [1] and out.claim.text.startswith("\u201c")
    assert "one shared parameter space" not in out.claim.text
    for line in out.claim.evidence[1].splitlines():  # a verbatim sentence of the paper, quoted
        assert line in papers[title].abstract and line[:-1] in out.claim.text
    assert any("separat" in line for line in out.claim.evidence[1].splitlines())

    kept = check("SoFar: Language-Grounded Orientation Bridges Spatial Reasoning and Object Manipulation",
                 "How can robots reason about object orientation described in language, like the direction a USB plug "
                 "is inserted or where a knife's handle points?",
                 "Robots can reason about object orientation described in language using semantic orientation, which "
                 "defines object orientations using natural language in a reference-frame-free manner [1].")
    assert kept.claim is not None and kept.claim.text.startswith("Robots can reason"), kept.flags
    assert not any(f.action == Action.PREMISE for f in kept.flags)
