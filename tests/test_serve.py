"""`assistant serve` end to end: a real uvicorn server on a free loopback port, the `fast` model, the real index,
and the official `openai` package as the client."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import httpx
import openai
import pytest

from tests.servers import free_port, running

pytestmark = pytest.mark.slow

KEY = "test-key-1234"
QUESTION = ("What dataset did the authors collect for mapping natural language commands to elements on a web page, "
            "and how many commands does it have?")
PAPER = "Mapping Natural Language Commands to Web Elements"


@pytest.fixture(scope="module")
def api(indexed, settings, tmp_path_factory):
    """The server, started the way a user starts it: `assistant serve --model fast --api-key ...`."""
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_MODELS_DIR": str(settings.models_dir),
           # the API is under test here, not the support judge: the cheap deterministic one, no second model
           "ASSISTANT_VERIFY__JUDGE": "overlap"}
    cmd = [sys.executable, "-m", "assistant", "serve", "--model", "fast", "--port", str(port), "--api-key", KEY,
           "--max-queue", "2"]
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with running(cmd, f"http://127.0.0.1:{port}/health", log, timeout_s=300, env=env):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def client(api):
    return openai.OpenAI(base_url=f"{api}/v1", api_key=KEY, max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def first(client):
    """One plain answer, reused by the follow-up tests."""
    return client.chat.completions.create(model="fast", messages=[{"role": "user", "content": QUESTION}])


def test_models_are_listed(client):
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "qwen2.5-coder-0.5b"


def test_plain_answer_cites_the_right_paper(first):
    content = first.choices[0].message.content
    extra = first.model_extra
    assert "[1]" in content or "[2]" in content, content
    cited = [s for s in extra["sources"] if s["cited"]]
    assert PAPER in [s["title"] for s in cited], extra["sources"]
    assert [s["index"] for s in extra["sources"]] == list(range(1, len(extra["sources"]) + 1))
    assert len(extra["citations"]) == len(extra["sources"]) and extra["refused"] is False
    assert all(s["evidence"] and s["supported"] == s["cited"] for s in extra["sources"])
    assert first.usage.completion_tokens > 0 and first.choices[0].finish_reason == "stop"
    assert first.choices[0].message.annotations in (None, [])  # the bundled papers carry no URLs


def test_streamed_answer_sends_sources_first_then_checked_text(client):
    chunks = list(client.chat.completions.create(model="fast", stream=True, max_tokens=120,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    events = [c.model_extra.get("event") for c in chunks]
    first_text = next(i for i, c in enumerate(chunks) if c.choices)
    assert first_text > 0 and all(e and e["type"] == "source" for e in events[:first_text])
    cards = [e["data"] for e in events[:first_text]]
    assert all(d["metadata"][0]["source"] == d["source"]["id"] for d in cards)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.usage.completion_tokens > 0
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    sources = last.model_extra["sources"]
    assert [s["paper_id"] for s in sources] == [d["source"]["id"] for d in cards]
    assert PAPER in [s["title"] for s in sources if s["cited"]], (text, sources)
    assert "[" in text and set(last.model_extra) >= {"sources", "citations", "refused"}


def test_follow_up_is_answered_about_the_paper_the_answer_cited(client, first):
    cited = next(s for s in first.model_extra["sources"] if s["cited"])
    follow = client.chat.completions.create(model="fast", max_tokens=80, messages=[
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "What did they use it for?"}])
    assert follow.model_extra["sources"][0]["paper_id"] == cited["paper_id"], follow.model_extra["sources"]


def test_follow_up_to_an_answer_the_server_never_gave_finds_its_paper_in_the_index(client):
    """No memory of this answer and no sources sent back: the cited sentence is searched for."""
    said = ("The authors collected a dataset of over 50,000 natural language commands for web page elements [1].")
    follow = client.chat.completions.create(model="fast", max_tokens=60, messages=[
        {"role": "user", "content": "Which dataset maps commands to web elements?"},
        {"role": "assistant", "content": said},
        {"role": "user", "content": "What did they use it for?"}])
    assert follow.model_extra["sources"][0]["title"] == PAPER, follow.model_extra["sources"]


def error_of(r: httpx.Response) -> dict:
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    assert "Traceback" not in r.text
    return body["error"]


@pytest.mark.parametrize("body, status, param", [
    ({"model": "fast"}, 400, "messages"),
    ({"messages": "hello"}, 400, "messages"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages[0].role"),
    ({"messages": [{"role": "user", "content": "x" * 3000}]}, 400, "messages"),
    ({"messages": [{"role": "user", "content": "hi"}], "model": "gpt-9"}, 404, "model"),
])
def test_bad_requests_get_openai_errors(api, body, status, param):
    r = httpx.post(f"{api}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == status and error_of(r)["param"] == param


def test_huge_body_wrong_key_and_unknown_paths(api):
    auth = {"Authorization": f"Bearer {KEY}"}
    huge = json.dumps({"messages": [{"role": "user", "content": "x" * 2_000_000}]})
    r = httpx.post(f"{api}/v1/chat/completions", content=huge, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 413 and error_of(r)["code"] == "request_too_large"
    r = httpx.post(f"{api}/v1/chat/completions", content=b"{not json", headers=auth)
    assert r.status_code == 400 and "JSON" in error_of(r)["message"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        r = httpx.post(f"{api}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]},
                       headers=headers)
        assert r.status_code == 401 and error_of(r)["code"] == "invalid_api_key"
    assert httpx.get(f"{api}/v1/nothing", headers=auth).status_code == 404
    assert httpx.get(f"{api}/v1/chat/completions", headers=auth).status_code == 405
    assert httpx.get(f"{api}/health").status_code == 200  # no key needed to see that it is up


def test_search_returns_ranked_papers(api):
    r = httpx.post(f"{api}/v1/search", json={"query": "natural language commands to web elements", "k": 3},
                   headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and r.json()["data"][0]["title"] == PAPER and len(r.json()["data"]) == 3


def test_eight_concurrent_clients_are_answered_or_told_to_retry(api, client):
    results: list[object] = [None] * 8

    def ask(i: int) -> None:
        try:
            results[i] = client.chat.completions.create(
                model="fast", max_tokens=24, messages=[{"role": "user", "content": "What does VMamba scan?"}])
        except openai.RateLimitError as e:
            results[i] = e

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    answered = [r for r in results if not isinstance(r, openai.RateLimitError)]
    limited = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert len(answered) + len(limited) == 8 and len(answered) >= 3 and limited  # one running, --max-queue 2 wait
    assert all(r.choices[0].message.content for r in answered)  # type: ignore[union-attr]
    assert all(int(e.response.headers["Retry-After"]) >= 1 for e in limited)
    assert httpx.get(f"{api}/health").json()["running"] == 0


def test_a_client_that_disconnects_mid_stream_does_not_block_the_next(api, client):
    before = httpx.get(f"{api}/health").json()["cancelled"]
    body = {"model": "fast", "stream": True, "max_tokens": 400,
            "messages": [{"role": "user", "content": "Explain in detail how VMamba scans 2D images."}]}
    with httpx.stream("POST", f"{api}/v1/chat/completions", json=body, timeout=300,
                      headers={"Authorization": f"Bearer {KEY}"}) as r:
        for line in r.iter_lines():
            if line.startswith("data: ") and '"event"' in line:
                break  # the sources are out and the model is starting on the answer: hang up
    deadline = time.monotonic() + 20
    while (h := httpx.get(f"{api}/health").json())["running"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert h["running"] == 0 and h["cancelled"] == before + 1, h
    t = time.monotonic()
    nxt = client.chat.completions.create(model="fast", max_tokens=24,
                                         messages=[{"role": "user", "content": "What does VMamba scan?"}])
    assert nxt.choices[0].message.content and time.monotonic() - t < 120
