"""The real Gradio app in headless Chromium (Debian's, driven by Playwright), with the real model and index."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from assistant import Assistant
from assistant.config import PROJECT_ROOT
from tests.servers import free_port

pytestmark = pytest.mark.slow
ARTIFACTS = PROJECT_ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
QUESTION = "What dataset did the authors collect for mapping natural language commands to web page elements?"


@pytest.fixture(scope="module")
def app_url(settings, answering):
    from assistant.ui.app import launch

    port = free_port()
    a = Assistant(settings.model_copy(update={"llm": settings.llm.model_copy(update={"model": answering.llm.name})}),
                  store=answering.store, embedder=answering.embedder, llm=answering.llm, progress=False)
    demo = launch(a.settings, port=port, assistant=a, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _ask(page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()


def test_question_streams_an_answer_with_a_citation_and_sources(browser, app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(app_url)
    _ask(page, QUESTION)
    page.locator("#sources .source").first.wait_for(timeout=60_000)  # filled before the answer finishes
    cite = page.locator("#chat a.cite").first
    cite.wait_for(timeout=180_000)
    n = cite.inner_text().strip("[]")
    assert cite.get_attribute("href") == f"#src-{n}"
    assert cite.get_attribute("title")  # the paper's title on hover
    assert page.locator(f"#sources #src-{n}").count() == 1
    assert "Mapping Natural Language Commands to Web Elements" in page.locator("#sources").inner_text()
    assert page.locator("#sources mark").count() > 0  # evidence sentences highlighted
    # once checked, each citation names on hover the source sentence its claim rests on
    page.wait_for_function("() => [...document.querySelectorAll('#chat a.cite')]"
                           ".some(a => (a.title || '').includes('“'))", timeout=180_000)
    assert "first verified sentence" in page.locator("#info").inner_text()
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)
    page.locator("#export-one").click()  # Markdown with references + BibTeX of the cited papers
    page.locator("#downloads td.filename[aria-label='answer.md']").wait_for(timeout=30_000)
    assert page.locator("#downloads td.filename[aria-label='cited.bib']").count() == 1
    href = page.locator("#downloads a.download-link").first.get_attribute("href")
    md = page.request.get(href).text()
    assert "**Q:**" in md and "References" in md
    hosts = {urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, hosts  # nothing outside 127.0.0.1: no fonts, scripts or images from the web
    page.close()


def test_two_sessions_asking_at_once_both_get_answers(browser, app_url):
    pages = [browser.new_page() for _ in range(2)]
    for p in pages:
        p.goto(app_url)
    _ask(pages[0], "Which paper studies whether language models represent space and time linearly?")
    _ask(pages[1], "Which paper proposes a benchmark of abstract visual puzzles for multimodal models?")
    for p in pages:
        p.locator("#chat .message-row, #chat [data-testid='bot']").last.wait_for(timeout=60_000)
        p.wait_for_function("() => { const c = document.querySelector('#chat');"
                            " return c && (c.querySelector('a.cite') || c.querySelector('.refusal')); }",
                            timeout=300_000)
        assert "Error" not in p.locator("#chat").inner_text()
    for p in pages:
        p.close()


def test_empty_question_is_a_readable_message_not_a_traceback(browser, app_url):
    page = browser.new_page()
    page.goto(app_url)
    _ask(page, "   ")
    page.locator("#chat .error").wait_for(timeout=30_000)
    text = page.locator("#chat").inner_text()
    assert "empty" in text and "Traceback" not in text
    page.close()


BOTS = "#chat [data-testid=bot]"
ANSWERED = ("n => { const bots = document.querySelectorAll('" + BOTS + "'); const last = bots[bots.length - 1];"
            " return bots.length > n && (last.querySelector('a.cite') || last.querySelector('.refusal')"
            " || last.querySelector('.error')); }")  # the n+1-th reply is there and finished


def test_enter_sends_and_shift_enter_starts_a_new_line(browser, app_url):
    page = browser.new_page()
    page.goto(app_url)
    box = page.locator("#question textarea")
    box.click()
    box.type("Which paper maps natural language commands")
    box.press("Shift+Enter")
    box.type("to web page elements?")
    assert box.input_value() == "Which paper maps natural language commands\nto web page elements?"
    assert "Which paper" not in page.locator("#chat").inner_text()  # Shift+Enter did not send
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#chat').innerText.includes('to web page elements?')",
                           timeout=30_000)
    page.wait_for_function(ANSWERED, arg=0, timeout=300_000)
    assert box.input_value() == ""
    page.close()


def test_summarize_mode_shows_progress_then_a_cited_summary_and_ask_still_works(browser, app_url, answering):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.get_by_label("Summarize a topic").check()
    _ask(page, "sparse autoencoders for interpreting language model features")
    page.locator("#chat .summary").wait_for(timeout=300_000)
    assert page.locator("#chat .summary a.cite").count() >= 3
    assert "Coverage" in page.locator("#chat .summary").inner_text()
    # the Sources panel holds only the papers' own text: each passage and each highlighted sentence is a
    # paper's verbatim text (the model's words are in the chat, labelled as the model's)
    abstracts = [p.abstract for p, _ in answering.store.papers().values()]
    marks = page.locator("#sources mark").all_inner_texts()
    assert marks and all(any(" ".join(m.split()) in " ".join(a.split()) for a in abstracts) for m in marks), marks
    for passage in page.locator("#sources .source p").all_inner_texts():
        assert all(any(" ".join(part.split()) in " ".join(a.split()) for a in abstracts)
                   for part in passage.split(" … ")), passage
    assert "model's" in page.locator("#chat .summary .provenance").inner_text()
    page.screenshot(path=str(ARTIFACTS / "ui-summary.png"), full_page=True)
    page.get_by_label("Ask", exact=True).check()  # a question after a summary: the summary is in its history
    replies = page.locator(BOTS).count()
    _ask(page, "What do they find about features across different language models?")
    page.wait_for_function(ANSWERED, arg=replies, timeout=300_000)
    chat = page.locator("#chat").inner_text()
    assert "went wrong" not in chat and "Error" not in chat
    assert page.locator("#chat .error").count() == 0
    page.close()
