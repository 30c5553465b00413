"""Cited answers from a real GGUF model (the `fast` one) over the real index."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.answer import citations as cit
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
    numbers = {s.n for s in a.sources}
    assert all(c.n in numbers for c in a.citations)
    assert a.timings["ttft_ms"] <= a.timings["total_ms"] and a.usage["completion_tokens"] > 0


def test_unanswerable_is_refused_without_citations(answering):
    a = answering.ask("What learning rate and batch size were used to train the Matryoshka Representation "
                      "Learning models?")
    assert a.refused and a.citations == [] and a.text == REFUSAL
    assert a.related  # closest papers offered as related reading


def test_off_topic_question_is_refused_before_the_model_runs(answering):
    a = answering.ask("What is the best recipe for sourdough bread with a rye starter?")
    assert a.refused and a.citations == [] and "prompt_tokens" not in a.usage


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


class DropsFigures(AddsInvalidCitation):
    """The real model, with every digit outside its [n] citation markers taken out."""

    def stream(self, messages, **kw) -> Iterator[str]:
        inside = False
        for piece in self.llm.stream(messages, **kw):
            out = []
            for ch in piece:
                inside = (ch == "[") or (inside and ch != "]")
                if inside or ch == "]" or not ch.isdigit():
                    out.append(ch)
            yield "".join(out)


def plain(text: str) -> str:
    return " ".join(s.text for s in cit.split_cited(text))


def test_figure_question_answered_without_a_figure_is_refused(settings, indexed, fast_llm):
    question = "What speedup over DeiT does Vim report, and how much GPU memory does it save?"
    no_figures = Assistant(settings, store=indexed.store, embedder=indexed.embedder, llm=DropsFigures(fast_llm),
                           progress=False).ask(question)
    assert no_figures.refused and no_figures.citations == [], no_figures.text
    assert no_figures.draft and not any(ch.isdigit() for ch in plain(no_figures.draft))
    # the check kept a supported citation; only the missing figure refused it...
    assert no_figures.flagged[0]["reason"].startswith("the question asks for a figure"), no_figures.flagged
    a = Assistant(settings, store=indexed.store, embedder=indexed.embedder, llm=fast_llm, progress=False).ask(question)
    assert a.refused or any(ch.isdigit() for ch in plain(a.text)), a.text  # ...while the real answer states one


class RestatesQuestion(AddsInvalidCitation):
    """The real model's prompt and tokenizer, answering with the 1.5B model's typical draft: the question restated."""

    def stream(self, messages, **kw) -> Iterator[str]:
        yield from ("Yes, there is a benchmark and toolkit for testing whether ML models can grasp the rules ",
                    "that generate sequences of whole numbers. [1]")


def test_a_draft_that_restates_the_question_becomes_a_checked_quote(settings, indexed, fast_llm):
    # the real index, embedder and support judge reject the restatement (no source states it) ...
    a = Assistant(settings, store=indexed.store, embedder=indexed.embedder, llm=RestatesQuestion(fast_llm),
                  progress=False).ask("Is there a benchmark and toolkit for testing whether ML models can grasp the "
                                      "rules that generate sequences of whole numbers?")
    title = "FACT: Learning Governing Abstractions Behind Integer Sequences"
    # ... so the answer quotes the top paper verbatim and cites it
    assert not a.refused and [c.title for c in a.citations] == [title] and a.sources[0].paper.title == title
    quote = a.text.split("“", 1)[1].split("”", 1)[0]
    assert a.text.startswith(f"The closest paper is {title} [1].") and quote in a.sources[0].paper.abstract
    assert any(f["action"] == "quoted" for f in a.flagged)


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 100_000])
def test_bad_questions_are_clear_errors(answering, question):
    with pytest.raises(QuestionError):
        answering.ask(question)


def test_follow_up_is_rewritten_before_retrieval(answering):
    history = [{"role": "user", "content": "Which paper maps natural language commands to web page elements?"},
               {"role": "assistant", "content": "Mapping Natural Language Commands to Web Elements [1]."}]
    events = list(answering.ask_stream("How many commands did they collect?", history))
    standalone = events[0].question
    assert standalone != "How many commands did they collect?"
    assert "command" in standalone.lower()


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
    assert answer.sources and (answer.refused or answer.citations)
    assert all(c.n in {x.n for x in answer.sources} for c in answer.citations)
