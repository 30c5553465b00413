"""`assistant serve` without a model: request validation, follow-up resolution, response shape, the queue."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from assistant.serve.app import check_bind, remainder
from assistant.serve.conversation import AnswerMemory, PaperRef, cited_papers, refers_back, resolve, with_papers
from assistant.serve.gate import CancellableLLM, ModelQueue, Pump
from assistant.serve.request import ApiError, Message, parse_chat
from assistant.serve.shape import citations, completion, related_event, source_event, url_annotations
from assistant.types import Answer, Citation, Hit, Paper, Source


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


@pytest.mark.parametrize("body, param", [
    ({}, "messages"),
    ({"messages": "What is BOAT?"}, "messages"),
    ({"messages": ["What is BOAT?"]}, "messages"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
    ({"messages": [user("q"), {"role": "assistant", "content": "a"}]}, "messages"),
    ({"messages": [user("q")], "temperature": 3}, "temperature"),
    ({"messages": [user("q")], "max_tokens": 0}, "max_tokens"),
    ({"messages": [user("q")], "n": 2}, "n"),
    ({"messages": [user("q")], "k": "five"}, "k"),
    ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content"),
    ({"messages": [user("q")] * 9}, "messages"),
])
def test_bad_requests_name_the_field(body, param):
    with pytest.raises(ApiError) as e:
        parse_chat(body, max_messages=8)
    assert e.value.status == 400 and e.value.param == param
    assert set(e.value.body()["error"]) == {"message", "type", "param", "code"}


def test_stop_and_unknown_fields_are_ignored_and_parts_are_read():
    req = parse_chat({"messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": [{"type": "text", "text": "What is"},
                                                                {"type": "text", "text": "BOAT?"}]}],
                      "stop": ["\n"], "user": "me", "top_p": 0.9, "max_completion_tokens": 50, "k": 3,
                      "stream": True, "stream_options": {"include_usage": False}}, max_messages=8)
    assert req.question == "What is\nBOAT?" and [m.role for m in req.messages] == ["user"]
    assert (req.max_tokens, req.k, req.stream, req.include_usage) == (50, 3, True, False)


BOAT = PaperRef("p1", "BOAT: Bilateral Local Attention Vision Transformer")
VMAMBA = PaperRef("p2", "VMamba: Visual State Space Model")


def conversation(answer: str, follow_up: str, **extra) -> list[Message]:
    return [Message("user", "Which paper adds bilateral local attention to ViTs?"),
            Message("assistant", answer, extra), Message("user", follow_up)]


def test_a_follow_up_names_the_paper_the_last_answer_cited():
    memory = AnswerMemory(8)
    answer = "BOAT: Bilateral Local Attention Vision Transformer adds feature-space local attention [1]."
    memory.remember(answer, {1: BOAT, 2: VMAMBA})
    turn = resolve(conversation(answer, "What did they improve?"), memory=memory, search=lambda s: None)
    assert turn.how == "cited-paper" and turn.about == [BOAT] and turn.history is None
    assert turn.question == f"What did the authors of {BOAT.title} improve?"


def test_cited_papers_come_from_the_message_then_memory_then_the_index():
    text = "It adds feature-space local attention [2]. It beats Swin [2][1]."
    sent_back = Message("assistant", text, {"sources": [{"index": 1, "paper_id": "p2", "title": VMAMBA.title},
                                                        {"index": 2, "paper_id": "p1", "title": BOAT.title}]})
    assert cited_papers(sent_back, memory=AnswerMemory(8), search=lambda s: None) == \
        {2: PaperRef("p1", BOAT.title), 1: PaperRef("p2", VMAMBA.title)}
    searched: list[str] = []

    def search(sentence: str) -> PaperRef:
        searched.append(sentence)
        return BOAT

    assert cited_papers(Message("assistant", text), memory=AnswerMemory(8), search=search) == {2: BOAT, 1: BOAT}
    assert searched == ["It adds feature-space local attention.", "It beats Swin."]


def test_questions_that_stand_alone_or_follow_a_refusal():
    memory = AnswerMemory(8)
    standalone = resolve(conversation("BOAT does it [1].", "Which paper proposes VMamba and what does it scan?"
                                      " It must be about state-space models for vision."), memory=memory,
                         search=lambda s: BOAT)
    assert standalone.how == "standalone" and standalone.history is None
    after_refusal = resolve(conversation("I cannot answer this from the given papers.", "What did they improve?"),
                            memory=memory, search=lambda s: BOAT)
    assert after_refusal.how == "rewrite" and after_refusal.question == "What did they improve?"
    assert after_refusal.history and after_refusal.history[-1]["role"] == "assistant"
    assert refers_back("And the datasets?") and refers_back("Does this method work on video?")
    assert not refers_back("What is BOAT?")
    assert with_papers("Do these papers agree?", [BOAT, VMAMBA]) == f"Do {BOAT.title} and {VMAMBA.title} agree?"
    assert with_papers("Which datasets did they use?", [BOAT, VMAMBA]) == \
        f"Which datasets did the authors of {BOAT.title} use?"


def test_memory_is_bounded_and_ignores_whitespace():
    memory = AnswerMemory(2)
    for i in range(3):
        memory.remember(f"answer  {i} [1].", {1: BOAT})
    assert memory.recall("answer 0 [1].") is None and memory.recall("answer\n2 [1].") == {1: BOAT}


def paper(pid: str, url: str | None = None) -> Paper:
    return Paper(pid, f"Title {pid}", "An abstract. It says things.", authors=("A. Author",), year=2024, url=url)


def answer(refused: bool = False) -> Answer:
    srcs = [Source(1, Hit(paper("p1", "https://arxiv.org/abs/1"), 0.03, 1, 2, 0.71), ["It says things."]),
            Source(2, Hit(paper("p2"), 0.02, 3, 1, 0.52), ["Other things."])]
    if refused:
        return Answer("q", "I cannot answer this from the given papers.", True, [], srcs, "m",
                      related=[s.hit for s in srcs], flagged=[{"action": "refused", "reason": "no sentence survived"}])
    return Answer("q", "It says things [1]. More [1].", False, [Citation(1, "p1", "Title p1", 0.8)], srcs, "m",
                  usage={"prompt_tokens": 90, "completion_tokens": 12},
                  flagged=[{"action": "dropped", "n": 2, "sentence": "More."}])


def test_response_shape_keeps_checked_citations():
    a = answer()
    body = completion(a, a.text, id="chatcmpl-1", created=1, model="m")
    message = body["choices"][0]["message"]
    assert message["content"] == a.text and body["usage"] == {"prompt_tokens": 90, "completion_tokens": 12,
                                                               "total_tokens": 102}
    assert [(s["index"], s["paper_id"], s["cited"], s["supported"], s["dropped"]) for s in body["sources"]] == \
        [(1, "p1", True, True, False), (2, "p2", False, False, True)]
    assert body["sources"][0]["evidence"] == ["It says things."] and body["sources"][0]["authors"] == ["A. Author"]
    assert body["citations"] == citations(a) == ["https://arxiv.org/abs/1", "p2"]
    assert [(x["url_citation"]["start_index"], x["url_citation"]["end_index"]) for x in message["annotations"]] == \
        [(15, 18), (25, 28)]
    assert all(a.text[x["url_citation"]["start_index"]:x["url_citation"]["end_index"]] == "[1]"
               for x in url_annotations(a.text, a))


def test_a_refusal_is_an_ordinary_message_with_related_papers_not_cited():
    body = completion(answer(refused=True), "I cannot answer this from the given papers.", id="c", created=1, model="m")
    assert body["choices"][0]["message"]["role"] == "assistant" and body["refused"] is True
    assert body["citations"] == [] and body["choices"][0]["message"]["annotations"] == []
    assert [(s["paper_id"], s["cited"], s["related"]) for s in body["sources"]] == [("p1", False, True),
                                                                                   ("p2", False, True)]
    assert body["refusal_reason"] == "no sentence survived"


def test_a_yes_no_answer_given_as_its_sources_quotes_says_so_beside_the_content():
    a = answer()
    assert "quoted" not in completion(a, a.text, id="c", created=1, model="m")
    a.flagged.append({"action": "quoted", "n": 1, "reason": "No yes or no could be checked ..."})
    body = completion(a, a.text, id="c", created=1, model="m")
    assert body["quoted"] == {"n": 1, "note": "No yes or no could be checked ..."}


def test_source_events_have_the_shape_open_webui_turns_into_citation_cards():
    s = answer().sources[0]
    event = source_event(s)
    assert event["type"] == "source"
    data = event["data"]
    # Open WebUI groups documents into cards by metadata[i].source (else source.id) and names them by metadata.name
    assert data["source"] == {"id": "p1", "name": "Title p1", "url": "https://arxiv.org/abs/1"}
    assert data["document"] == ["It says things."] and len(data["metadata"]) == len(data["document"])
    assert data["metadata"][0]["source"] == "p1" and data["metadata"][0]["name"] == "Title p1"
    assert data["distances"] == [0.71]
    assert related_event(s.hit)["data"]["metadata"][0]["name"].startswith("Related, not cited: ")


def test_the_stream_only_appends():
    assert remainder("It says things [1].", "It says things [1]. More [1].") == " More [1]."
    assert remainder("It says  things", "It says things [1].") == " [1]."
    assert remainder("It said", "It says things.") is None


def test_binding_beyond_loopback_needs_a_key():
    check_bind("localhost", None)
    check_bind("192.168.1.5", "k")
    with pytest.raises(Exception, match="--api-key"):
        check_bind("0.0.0.0", None)


def test_the_queue_is_bounded_and_says_when_to_retry():
    async def run() -> None:
        q = ModelQueue(max_queue=1)
        await q.admit().take()
        waiting = q.admit()  # one may wait
        with pytest.raises(ApiError) as e:
            q.admit()
        assert e.value.status == 429 and int(e.value.headers["Retry-After"]) >= 1
        assert e.value.body()["error"]["code"] == "rate_limit_exceeded"
        waiter = asyncio.ensure_future(waiting.take())
        await asyncio.sleep(0)
        waiter.cancel()  # the waiting client went away: its place is free again
        await asyncio.gather(waiter, return_exceptions=True)
        waiting.leave()  # and leaving after that gives nothing back twice
        assert q.waiting == 0
        q.admit().leave()  # a client that left before its answer began
        assert q.waiting == 0
        q.release(1.0, cancelled=False)
        assert q.status()["running"] == 0 and q.status()["served"] == 1

    asyncio.run(run())


class SlowModel:
    """Holds a lock while it generates, as LlamaCppLLM.stream holds the model."""

    name = "slow"

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def stream(self, messages, **kw):
        with self.lock:
            for i in range(1000):
                time.sleep(0.01)
                yield str(i)


def test_a_cancelled_answer_stops_at_the_next_token_and_frees_the_model():
    model = SlowModel()
    llm = CancellableLLM(lambda: model)

    def answer():  # like an answer that yields only whole checked sentences: one event per 100 tokens
        yield "sources"
        sentence = []
        for piece in llm.stream([{"role": "user", "content": "q"}], max_tokens=1000, temperature=0):
            sentence.append(piece)
            if len(sentence) == 100:
                yield "".join(sentence)
                sentence = []

    async def run() -> float:
        q = ModelQueue(max_queue=1)
        await q.admit().take()
        pump = Pump(answer, q)
        pump.start()
        async for first in pump.events():
            assert first == "sources"
            break
        await asyncio.sleep(0.1)  # the model is generating, the next event is a second away
        t = time.perf_counter()
        pump.cancel()
        while q.running:
            await asyncio.sleep(0.01)
        assert not model.lock.locked() and q.status()["cancelled"] == 1
        return time.perf_counter() - t

    assert asyncio.run(run()) < 0.3


def test_models_are_named_by_registry_name_alias_or_file(tmp_path):
    from assistant import Assistant, Settings
    from assistant.serve.app import Models

    for f in ("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "mine.gguf"):
        (tmp_path / f).write_bytes(b"GGUF")
    models = Models(Assistant(Settings(models_dir=tmp_path, llm={"model": "fast"}), progress=False))
    assert models.ids() == ["qwen2.5-coder-0.5b", "mine.gguf"]
    assert models.name_for(None) == models.name_for("fast") == "qwen2.5-coder-0.5b"
    assert models.name_for("mine.gguf") == "mine.gguf"
    with pytest.raises(ApiError) as e:
        models.name_for("default")  # known to the registry, not installed here
    assert e.value.status == 404 and e.value.code == "model_not_found"
    server = Models(Assistant(Settings(llm={"server_url": "http://gpu:8000/v1", "server_model": "big"}), progress=False))
    assert server.ids() == ["big"]


def open_webui_cards(sse: list[str]) -> tuple[list[dict], str]:
    """What Open WebUI makes of a stream: its middleware passes each chunk's `event` to the chat page, which
    pushes `source` events onto message.sources; Citations.svelte groups their documents into cards by
    metadata.source (else source.id), in arrival order; `[n]` opens card n. Also the text it shows."""
    sources, text = [], ""
    for line in "".join(sse).split("\n"):
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        data = json.loads(line[5:])
        if "event" in data and data["event"]["type"] in ("source", "citation"):
            sources.append(data["event"]["data"])
        for choice in data.get("choices", []):
            text += choice["delta"].get("content") or ""
    cards: list[dict] = []
    for source in sources:
        for i, doc in enumerate(source["document"]):
            meta = source["metadata"][i]
            key = meta.get("source") or source["source"]["id"]
            card = next((c for c in cards if c["id"] == key), None)
            if card is None:
                cards.append({"id": key, "name": meta.get("name") or source["source"]["name"], "documents": [doc]})
            else:
                card["documents"].append(doc)
    return cards, text


def streamed(events: list, memory: AnswerMemory | None = None) -> list[str]:
    """The SSE text of `_stream` over the given answer events (no model: the events are made up)."""
    from assistant.serve.app import _stream

    async def run() -> list[str]:
        q = ModelQueue(max_queue=1)
        req = parse_chat({"messages": [user("q")], "stream": True}, max_messages=8)
        return [s async for s in _stream(req, lambda: (e for e in events), q.admit(), memory or AnswerMemory(8), "c", 1, "m")]

    return asyncio.run(run())


def test_a_stream_becomes_open_webui_citation_cards_in_n_order():
    from assistant.answer.ask import DoneEvent, SourcesEvent, TokenEvent

    a = answer()
    memory = AnswerMemory(8)
    sse = streamed([SourcesEvent(a.sources, "q"), TokenEvent("It says things [1]."), DoneEvent(a)], memory)
    cards, text = open_webui_cards(sse)
    assert [c["id"] for c in cards] == ["p1", "p2"] and cards[0]["name"] == "Title p1"
    assert text == a.text  # the check's last sentence arrives as the final delta; nothing is taken back
    final = json.loads(sse[-2][6:])
    assert final["choices"][0]["finish_reason"] == "stop" and [s["index"] for s in final["sources"]] == [1, 2]
    assert final["usage"]["total_tokens"] == 102 and sse[-1] == "data: [DONE]\n\n"
    assert memory.recall(text) == {1: PaperRef("p1", "Title p1", "https://arxiv.org/abs/1"), 2: PaperRef("p2", "Title p2")}


def test_a_streamed_refusal_offers_related_papers_as_cards_marked_not_cited():
    from assistant.answer.ask import DoneEvent, SourcesEvent

    cards, text = open_webui_cards(streamed([SourcesEvent([], "q"), DoneEvent(answer(refused=True))]))
    assert text == "I cannot answer this from the given papers."
    assert [c["name"] for c in cards] == ["Related, not cited: Title p1", "Related, not cited: Title p2"]


def test_an_error_mid_stream_is_an_openai_error_chunk():
    from assistant.answer.ask import SourcesEvent

    def failing():
        yield SourcesEvent([], "q")
        raise RuntimeError("boom")

    async def run() -> list[str]:
        from assistant.serve.app import _stream

        q = ModelQueue(max_queue=1)
        req = parse_chat({"messages": [user("q")], "stream": True}, max_messages=8)
        return [s async for s in _stream(req, failing, q.admit(), AnswerMemory(8), "c", 1, "m")]

    sse = asyncio.run(run())
    error = json.loads(sse[0][6:])["error"]
    assert error["type"] == "server_error" and "boom" not in error["message"] and sse[-1] == "data: [DONE]\n\n"
