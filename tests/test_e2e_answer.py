"""Cited answers from a real GGUF model (the `fast` one) over the real index."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.answer.ask import REFUSAL, DoneEvent, SourcesEvent, TokenEvent
from assistant.cli import main
from assistant.config import PROJECT_ROOT
from assistant.errors import QuestionError
from assistant.llm.base import Usage
from tests.servers import free_port, running

pytestmark = pytest.mark.slow


def test_lookup_cites_the_right_paper(answering):
    a = answering.ask("What dataset did the authors collect for mapping natural language commands to elements "
                      "on a web page, and how many commands does it have?")
    assert not a.refused, a.draft
    assert "Mapping Natural Language Commands to Web Elements" in [c.title for c in a.citations]
    papers = {s.n: s.paper for s in a.sources}
    shown = {s.n: " ".join(s.evidence) for s in a.sources}
    for claim in a.claims:  # every shown sentence rests on sentences its cited paper showed the model (one per line)
        for n, evidence in claim.evidence.items():
            assert all(part in shown[n] for part in evidence.split("\n")), (claim, evidence, shown[n])
            assert len(evidence) < len(papers[n].abstract), (claim, evidence)
    assert a.timings["ttft_ms"] <= a.timings["first_sentence_ms"] <= a.timings["total_ms"]
    assert a.usage["completion_tokens"] > 0


def test_unanswerable_is_refused_without_citations(answering):
    a = answering.ask("What learning rate and batch size were used to train the Matryoshka Representation "
                      "Learning models?")
    assert a.refused and a.citations == [] and a.text == REFUSAL
    assert a.related  # closest papers offered as related reading


def test_off_topic_question_is_refused_before_the_model_runs(answering):
    a = answering.ask("What is the best recipe for sourdough bread with a rye starter?")
    assert a.refused and a.citations == [] and "prompt_tokens" not in a.usage


def test_a_question_about_what_no_source_mentions_is_refused_before_the_model_runs(answering):
    # the sources found are about Sparse Attention Vectors, and none mentions InternVL: the model used to answer
    # "No, SAVs were not tested on InternVL" and, when that was dropped, quote what the paper does say
    a = answering.ask("Were Sparse Attention Vectors tested on InternVL models?")
    assert a.refused and a.citations == [] and "prompt_tokens" not in a.usage
    assert a.flagged[0].reason == "no source mentions InternVL"
    assert "Sparse Attention Vectors" in " ".join(h.paper.title for h in a.related)


class AddsInvalidCitation:
    """The real model, with a citation to a source that was never given appended to its stream."""

    def __init__(self, llm):
        self.llm, self.name = llm, llm.name

    def describe(self):
        return self.llm.describe()

    def count_tokens(self, text):
        return self.llm.count_tokens(text)

    def stream(self, messages, **kw) -> Iterator[str]:
        yield from self.llm.stream(messages, **kw)
        yield from (" This is also shown in [", "9", "].")


def test_invalid_citation_never_reaches_the_output(settings, indexed, fast_llm):
    a = Assistant(settings, store=indexed.store, embedder=indexed.embedder, llm=AddsInvalidCitation(fast_llm),
                  progress=False)
    events = list(a.ask_stream("How does VMamba scan 2D images with selective state-space models?"))
    assert isinstance(events[0], SourcesEvent) and events[0].sources  # sources come before any token
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    answer = events[-1].answer
    assert isinstance(events[-1], DoneEvent)
    assert "[9]" not in streamed and "[9]" not in answer.text
    assert all(1 <= c.n <= len(answer.sources) for c in answer.citations)


class Scripted(AddsInvalidCitation):
    """The real model's tokenizer and description, answering with a fixed draft."""

    def __init__(self, llm, draft):
        super().__init__(llm)
        self.draft = draft

    def stream(self, messages, **kw) -> Iterator[str]:
        yield from (self.draft[i:i + 7] for i in range(0, len(self.draft), 7))


def scripted(settings, indexed, fast_llm, draft):
    return Assistant(settings, store=indexed.store, embedder=indexed.embedder, llm=Scripted(fast_llm, draft),
                     progress=False)


QUESTION = "Does CaSED need a predefined vocabulary of categories, and does it need training?"
TITLE = "Vocabulary-free Image Classification"


def test_a_polarity_flip_is_never_shown_and_a_faithful_paraphrase_is(settings, indexed, fast_llm):
    flipped = scripted(settings, indexed, fast_llm, "Yes, CaSED needs a predefined vocabulary and is trained on "
                       "labelled images [1].").ask(QUESTION)
    assert flipped.refused and flipped.citations == [], flipped.text
    faithful = scripted(settings, indexed, fast_llm, "No, CaSED classifies images without a known vocabulary, "
                        "in a training-free manner [1].").ask(QUESTION)
    assert not faithful.refused and [c.title for c in faithful.citations] == [TITLE], faithful.flagged
    rests_on = faithful.claims[0].evidence[1]
    assert "training-free" in rests_on and all(p in faithful.sources[0].paper.abstract for p in rests_on.split("\n"))


def test_a_stance_that_only_restates_the_question_is_shown_as_the_stance_and_the_sources_own_sentence(
        settings, indexed, fast_llm):
    """ "No, <the question negated> [1]": the real judge backs the stance, the restatement is not shown (the reader
    would check the asker's words against the paper), and an answer with nothing else quotes what [1] says."""
    question = ("Is stop-word removal or other text preprocessing needed before running the blind-source-separation "
                "topic model S^3?")
    a = scripted(settings, indexed, fast_llm, "No, stop-word removal or other text preprocessing is not needed "
                 "before running the blind-source-separation topic model S^3 [1].").ask(question)
    assert a.text.startswith("No [1]. \u201c"), (a.text, a.flagged)
    assert any(f.action == "stance" for f in a.flagged)
    assert a.citations[0].title == "S^3 -- Semantic Signal Separation"
    abstract = a.sources[0].paper.abstract
    quotes = [c.text.rstrip(".").strip("\u201c\u201d") for c in a.claims[1:]]
    assert quotes and all(q in abstract for q in quotes) and any("no preprocessing" in q for q in quotes), quotes


def test_a_false_premise_the_check_removes_is_answered_with_the_sources_own_words(settings, indexed, fast_llm):
    """ "Yes, <a false premise>" and nothing else: the real judge rejects it, and where it reads source [1] as
    answering the question, the sentences of [1] that answer it are quoted instead of a refusal, with no stance (the
    small model said yes; the paper says no)."""
    question = ("In the Tensor Programs study of infinitely wide networks, do the standard and NTK parametrizations "
                "admit infinite-width limits that can learn features?")
    a = scripted(settings, indexed, fast_llm, "Yes, the standard and NTK parametrizations admit infinite-width limits "
                 "that can learn features [1].").ask(question)
    note = next((f.reason for f in a.flagged if f.action == "quoted"), None)
    assert not a.refused and note and note.startswith("No yes or no could be checked"), a.flagged
    assert not a.text.lower().startswith(("yes", "no")) and "Yes, the standard" not in a.text
    assert [c.title for c in a.citations] == ["Feature Learning in Infinite-Width Neural Networks"]
    shown = a.sources[0].evidence
    assert a.claims and all(c.text.startswith("\u201c") and c.evidence[1] in shown for c in a.claims), a.claims
    assert any("do not admit infinite-width limits that can learn features" in c.evidence[1] for c in a.claims)


def test_a_draft_that_restates_the_question_is_not_an_answer(settings, indexed, fast_llm):
    a = scripted(settings, indexed, fast_llm, "There is a benchmark and toolkit for testing whether ML models "
                 "can grasp the rules that generate sequences of whole numbers. [1]").ask(
        "Which benchmark and toolkit test whether ML models can grasp the rules that generate sequences "
        "of whole numbers?")
    assert a.refused and a.citations == []
    assert any(f.action == "restated" for f in a.flagged), a.flagged


def test_a_source_named_as_the_whole_answer_is_checked_for_what_the_question_asks(settings, indexed, fast_llm):
    # small models answer "Which paper ...?" with the bare marker; that is a name, not an empty draft
    question = "Which paper introduces ColBERTv2?"
    a = scripted(settings, indexed, fast_llm, "[1]").ask(question)
    assert not a.refused, a.flagged
    assert [c.title for c in a.citations] == [a.sources[0].paper.title] and "ColBERTv2" in a.citations[0].title
    assert a.text.startswith(f'"{a.citations[0].title}" introduces ColBERTv2') and \
        any(f.action == "named" for f in a.flagged)
    # the wrong paper named: refused, not attributed elsewhere
    wrong = next(s.n for s in a.sources if "ColBERTv2" not in s.paper.title)
    b = scripted(settings, indexed, fast_llm, f"[{wrong}]").ask(question)
    assert b.refused and b.citations == [], b.text
    # named together with the wrong one: the sentence about the right paper alone is shown
    c = scripted(settings, indexed, fast_llm, f"[1] and [{wrong}] introduce ColBERTv2.").ask(question)
    assert [x.n for x in c.citations] == [1] and c.text.startswith(f'"{a.citations[0].title}" introduces'), c.flagged


@pytest.mark.parametrize(("question", "gold"), [
    ("Which papers study vector symbolic architectures?", ["Capacity Analysis of Vector Symbolic Architectures",
     "Self-Attention Based Semantic Decomposition in Vector Symbolic Architectures"]),
    ("Which papers evaluate HNSW indexes for vector search?", ["Vector Search with OpenAI Embeddings: Lucene Is All "
     "You Need", "The Impacts of Data, Ordering, and Intrinsic Dimensionality on Recall in Hierarchical Navigable "
     "Small Worlds"])])
def test_which_papers_lists_the_sources_the_draft_left_out(settings, indexed, fast_llm, question, gold):
    """ "Which papers ...?" answered with one of them: the real judge finds the predicate in the other's abstract,
    and it is listed after the draft (streamed, never taken back); the sources that are not about it are not."""
    probe = scripted(settings, indexed, fast_llm, REFUSAL).ask(question)
    ns = [s.n for s in probe.sources if s.paper.title in gold]
    assert len(ns) == 2, [s.paper.title for s in probe.sources]
    events = list(scripted(settings, indexed, fast_llm, f"[{ns[0]}]").ask_stream(question))
    a = events[-1].answer
    assert sorted(c.n for c in a.citations) == ns, (a.text, [s.paper.title for s in a.sources], a.flagged)
    assert [f.n for f in a.flagged if f.action == "listed"] == ns[1:]
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == a.text
    assert a.text.startswith(f'"{a.citations[0].title}" ') and all(f'"{t}"' in a.text for t in gold), a.text


def test_a_list_of_papers_is_checked_item_by_item_against_the_paper_each_title_names(settings, indexed, fast_llm):
    """Small models list papers as "[1] <title> does X. [2] <title> does Y.": each marker labels its item. Read as
    the citation of the item before, every item was checked against the next item's paper, and a claim about one
    paper reached the reader cited to another (dev q062, the model's own draft, streamed in pieces)."""
    question = ("What slot-based object-centric learning methods are in the collection, and how do the later ones "
                "change the original slot module?")
    probe = scripted(settings, indexed, fast_llm, REFUSAL).ask(question)
    n = {s.paper.title: s.n for s in probe.sources}
    mixture, attention, grounded = ("Object-Centric Learning with Slot Mixture Module",
                                    "Object-Centric Learning with Slot Attention", "Grounded Object Centric Learning")
    assert {mixture, attention, grounded} <= set(n), list(n)
    same = ("incorporating information about the distance between clusters and assigned vectors, leading to more "
            "expressive slot representations.")
    draft = (f"[{n[mixture]}] {mixture} uses a Gaussian Mixture Model to represent slots, {same} "
             f"[{n[attention]}] {attention} represents slots not only as centers of clusters but also {same[:-1]}. "
             f"[{n[grounded]}] {grounded} uses a Gaussian Mixture Model to represent slots, {same}")
    a = scripted(settings, indexed, fast_llm, draft).ask(question)
    shown = [(c.text[:60], c.cited) for c in a.claims]
    for claim in a.claims:  # a sentence opening with a paper's title cites that paper alone
        assert all(claim.cited == [n[t]] for t in n if claim.text.startswith(t)), (shown, a.flagged)
    assert [c.cited for c in a.claims if c.text.startswith(mixture)] == [[n[mixture]]], (shown, a.flagged)


def test_what_streams_is_never_taken_back(answering):
    events = list(answering.ask_stream("How does VMamba scan 2D images with selective state-space models?"))
    streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
    answer = events[-1].answer
    assert streamed == ("" if answer.refused else answer.text)  # only verified sentences were sent, all kept


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 100_000])
def test_bad_questions_are_clear_errors(answering, question):
    with pytest.raises(QuestionError):
        answering.ask(question)


def test_follow_up_is_rewritten_before_retrieval(answering):
    history = [{"role": "user", "content": "Which paper maps natural language commands to web page elements?"},
               {"role": "assistant", "content": "Mapping Natural Language Commands to Web Elements [1]."}]
    events = list(answering.ask_stream("How many commands did they collect?", history))
    standalone = events[0].question.lower()
    # "they" resolved: the searched question names the paper's topic, which the follow-up does not
    assert "web" in standalone or "natural language" in standalone, standalone


def test_cli_ask_json(settings, indexed):
    r = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "ask", "--model", "fast", "--json",
                                  "Which benchmark tests multimodal models on abstract visual puzzles?"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(out) >= {"question", "answer", "refused", "citations", "sources", "timings", "usage", "model"}
    assert set(out["timings"]) >= {"retrieve_ms", "ttft_ms", "total_ms"}
    assert set(out["usage"]) >= {"prompt_tokens", "completion_tokens"} or out["refused"]
    cited = {c["n"] for c in out["citations"]}
    assert cited <= {s["n"] for s in out["sources"]}


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    port = free_port()
    model = PROJECT_ROOT / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--model_alias", "fast"]
    url = f"http://127.0.0.1:{port}"
    with running(cmd, url + "/v1/models", tmp_path_factory.mktemp("server") / "server.log"):
        yield url + "/v1"


def test_server_backend_answers_through_a_real_local_server(settings, indexed, llama_server):
    s = settings.model_copy(update={"llm": settings.llm.model_copy(update={"server_url": llama_server,
                                                                           "model": "fast"})})
    a = Assistant(s, store=indexed.store, embedder=indexed.embedder, progress=False)
    assert a.llm.describe()["backend"] == "OpenAI-compatible server"
    usage = Usage()
    text = "".join(a.llm.stream([{"role": "user", "content": "Say the word hello."}], max_tokens=8,
                                temperature=0.0, usage=usage))
    assert text.strip() and usage.completion_tokens > 0
    answer = a.ask("What dataset did the authors collect for mapping natural language commands to elements "
                   "on a web page?")
    assert not answer.refused, answer.flagged
    assert "Mapping Natural Language Commands to Web Elements" in [c.title for c in answer.citations]
