"""The Gradio chat UI: a thin layer over Assistant.ask_stream; formatting lives in ui/format.py.

Offline: no share link, no analytics, system fonts only (no Google Fonts). One model, so
answers queue (concurrency 1) instead of failing; Stop cancels a running answer.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answer.ask import DoneEvent, SourcesEvent, TokenEvent
from assistant.app import Assistant
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm.registry import canonical, installed
from assistant.render import bibtex
from assistant.serve.conversation import AnswerMemory, PaperRef, Resolved, resolve
from assistant.serve.request import Message
from assistant.types import Answer
from assistant.ui.format import (
    answer_html,
    conversation_markdown,
    sources_html,
    speed_line,
    summary_html,
)

CSS = """
.cite { text-decoration: none; font-weight: 600; }
.cite.attributed { border-bottom: 1px dotted; }
.flagged { margin-top: .5em; font-size: .85em; color: #9a5b00; }
.quoted-note { margin-bottom: .4em; font-size: .9em; color: #555; }
.refusal { border-left: 4px solid #b00020; padding-left: .6em; }
.source { border: 1px solid #ddd; border-radius: 6px; padding: .5em; margin-bottom: .5em; }
.source.cited { border-color: #3b82f6; }
.source-title { font-weight: 600; }
.why { font-size: .8em; color: #666; }
mark { background: #fff3a3; }
"""
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
EXPORTS = Path(tempfile.gettempdir()) / "paper-assistant-exports"  # the one folder the app may serve files from
log = logging.getLogger(__name__)


class Sessions:
    """One Assistant per model, sharing the store and the embedder; built on first use and kept.

    Models are keyed by their registry name, so "fast" and "qwen2.5-coder-0.5b" are one model,
    and switching back to a model reuses the one already loaded.
    """

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.base = assistant or Assistant(settings)
        self.by_model: dict[str, Assistant] = {canonical(settings.llm.model): self.base}

    def get(self, model: str) -> Assistant:
        key = canonical(model)
        if key not in self.by_model:
            s = self.base.settings.model_copy(update={"llm": self.base.settings.llm.model_copy(update={"model": model})})
            self.by_model[key] = Assistant(s, store=self.base.store, embedder=self.base.embedder)
        return self.by_model[key]


def model_choices(settings: Settings) -> tuple[list[str], str]:
    """The model dropdown's choices and the model it starts on.

    The starting model is the one the settings name, resolved as the CLI resolves it (an alias
    or a registry file name becomes its registry name); a model that is not installed stays
    listed, so choosing it says how to install it instead of silently running another one.
    """
    if settings.llm.server_url:
        name = settings.llm.server_model or settings.llm.model
        return [name], name
    start = canonical(settings.llm.model)
    choices = installed(settings.models_dir)
    return (choices if start in choices else [start, *choices]), start


def _conversation(items: list[Any], message: str) -> list[Message]:
    """The last three turns and the new question, as the API receives a conversation: each answer with the papers
    behind its [n] markers, so a follow-up is resolved the same way in both (serve.conversation.resolve); a
    summary's turn is its topic."""
    turns: list[Message] = []
    for x in items[-3:]:
        asked = x.question if isinstance(x, Answer) else f"Summarize the papers on {x.topic}"
        sources = [{"index": c.n, "paper_id": c.paper_id, "title": c.title} for c in x.citations]
        turns += [Message("user", asked), Message("assistant", x.text, {"sources": sources})]
    return [*turns, Message("user", message)]


def _follow_up(a: Assistant, items: list[Any], message: str) -> Resolved:
    """What to ask for `message` after the earlier answers: as it stands, with the paper the last answer cited
    written into it ("What did they improve?"), or through the model's rewrite (serve.conversation.resolve)."""

    def top(text: str) -> PaperRef | None:  # as the API's: a sentence that cannot be searched is skipped
        try:
            hits = a.search(text, 1)
        except AssistantError:
            return None
        return PaperRef(hits[0].paper.paper_id, hits[0].paper.title) if hits else None

    return resolve(_conversation(items, message), memory=AnswerMemory(1), search=top)


def build(settings: Settings | None = None, *, assistant: Assistant | None = None) -> gr.Blocks:
    settings = settings or (assistant.settings if assistant else Settings())
    sessions = Sessions(settings, assistant)
    models, default_model = model_choices(settings)

    def describe(model: str) -> str:
        if settings.llm.server_url:
            return f"**Model:** {model} on {settings.llm.server_url}"
        a = sessions.get(model)
        if "llm" in a.__dict__:
            d = a.llm.describe()
            return f"**Model:** {d['model']} · {d['device']}"
        return f"**Model:** {model} (loads on the first question)"

    def summarize(message: str, chat: list[dict[str, Any]], answers: list[Any], model: str
                  ) -> Iterator[tuple[Any, ...]]:
        """Runs the summary in a thread and streams its steps into the chat (saying when the cache is cold)."""
        a = sessions.get(model)
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                events.put(("done", a.summarize(message, progress=lambda i, n, t: events.put(("step", (i, n, t))))))
            except Exception as e:  # noqa: BLE001  (any error reaches the page; a dead thread would hang it)
                events.put(("error", e))

        threading.Thread(target=work, daemon=True).start()
        while True:
            kind, value = events.get()
            if kind == "step":
                i, n, label = value
                chat[-1]["content"] = f"Step {i} of {n}: {label}…"
                yield chat, gr.update(), answers, gr.update(), ""
            elif kind == "error":
                raise value
            else:
                chat[-1]["content"] = summary_html(value)
                speed = (f"{describe(model)}<br>Last summary: {value.timings['total_ms'] / 1000:.1f} s"
                         f"{' (from the cache)' if value.cached else ''}")
                yield chat, sources_html(value.sources, {c.n for c in value.citations}), [*answers, value], speed, ""
                return

    def ask(message: str, chat: list[dict[str, Any]], answers: list[Any], model: str, k: int,
            temperature: float, mode: str = "Ask") -> Iterator[tuple[Any, ...]]:
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield chat, gr.update(), answers, gr.update(), ""
        try:
            if mode == "Summarize a topic":
                yield from summarize(message, chat, answers, model)
                return
            a = sessions.get(model)
            text, sources = "", []
            turn = _follow_up(a, answers, message)
            events = a.ask_stream(turn.question, turn.history, k=int(k), temperature=float(temperature))
            with closing(events):  # Stop closes this generator: the model is released at once
                for event in events:
                    if isinstance(event, SourcesEvent):
                        sources = event.sources
                        chat[-1]["content"] = "Reading the papers…"
                        yield chat, sources_html(sources), answers, gr.update(), ""
                    elif isinstance(event, TokenEvent):
                        text += event.text
                        chat[-1]["content"] = text
                        yield chat, gr.update(), answers, gr.update(), ""
                    elif isinstance(event, DoneEvent):
                        ans = event.answer
                        chat[-1]["content"] = answer_html(ans)
                        answers = [*answers, ans]
                        cited = {c.n for c in ans.citations}
                        panel = sources_html(ans.sources, cited) if ans.sources else sources_html([])
                        yield chat, panel, answers, f"{describe(model)}<br>Last answer: {speed_line(ans)}", ""
        except AssistantError as e:
            chat[-1]["content"] = f'<div class="error">⚠ {e}</div>'
            yield chat, gr.update(), answers, gr.update(), ""
        except Exception as e:  # noqa: BLE001  (a bug: say so on the page and log the traceback)
            log.exception("answering %r failed", message)
            chat[-1]["content"] = f'<div class="error">⚠ Something went wrong ({type(e).__name__}); ' \
                                  'the details are in the log.</div>'
            yield chat, gr.update(), answers, gr.update(), ""

    def export(answers: list[Answer], which: str) -> list[str] | None:
        if not answers:
            gr.Warning("Nothing to export yet: ask a question first.")
            return None
        chosen = answers if which == "conversation" else answers[-1:]
        EXPORTS.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix="export-", dir=EXPORTS))
        md = out / ("conversation.md" if which == "conversation" else "answer.md")
        md.write_text(conversation_markdown(chosen), encoding="utf-8")
        papers = {c.paper_id: s.paper for a in chosen for c in a.citations for s in a.sources if s.n == c.n}
        bib = out / "cited.bib"
        bib.write_text(bibtex(list(papers.values())), encoding="utf-8")
        return [str(md), str(bib)]

    with gr.Blocks(title="Paper assistant", analytics_enabled=False) as demo:
        gr.Markdown("## Paper assistant\nAsk about the papers in your collection; every claim cites a paper.")
        answers = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=480, elem_id="chat", sanitize_html=True)
                # one line that grows: Enter sends, Shift+Enter starts a new line (a box of several lines
                # would send on Shift+Enter instead)
                box = gr.Textbox(label="Question", placeholder="e.g. How do vision Mamba models scan images?",
                                 elem_id="question", lines=1, max_lines=6)
                mode = gr.Radio(["Ask", "Summarize a topic"], value="Ask", label="Mode", elem_id="mode")
                with gr.Row():
                    send = gr.Button("Send", variant="primary", elem_id="send")
                    stop = gr.Button("Stop", elem_id="stop")
                    clear = gr.Button("Clear conversation", elem_id="clear")
                with gr.Row():
                    exp_all = gr.Button("Export conversation (Markdown + BibTeX)", elem_id="export-all")
                    exp_one = gr.Button("Export last answer", elem_id="export-one")
                files = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML(sources_html([]), elem_id="sources")
                with gr.Accordion("Settings", open=False):
                    model = gr.Dropdown(models, value=default_model, label="Model", elem_id="model")
                    k = gr.Slider(1, 10, value=settings.retrieval.k, step=1, label="Papers per question")
                    temperature = gr.Slider(0.0, 1.0, value=settings.llm.temperature, step=0.05, label="Temperature")
                info = gr.Markdown(describe(default_model), elem_id="info")
        inputs = [box, chat, answers, model, k, temperature, mode]
        outputs = [chat, panel, answers, info, box]
        ev1 = send.click(ask, inputs, outputs, concurrency_limit=1, concurrency_id="model")
        ev2 = box.submit(ask, inputs, outputs, concurrency_limit=1, concurrency_id="model")
        stop.click(None, None, None, cancels=[ev1, ev2])
        clear.click(lambda: ([], sources_html([]), []), None, [chat, panel, answers], queue=False)
        exp_all.click(lambda a: export(a, "conversation"), answers, files)
        exp_one.click(lambda a: export(a, "answer"), answers, files)
        model.change(describe, model, info)
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def launch(settings: Settings | None = None, *, port: int = 7860, assistant: Assistant | None = None,
           block: bool = True) -> gr.Blocks:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio reads it at launch; the UI's own setting
    demo = build(settings, assistant=assistant)
    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"])
    EXPORTS.mkdir(parents=True, exist_ok=True)
    demo.launch(server_name="127.0.0.1", server_port=port, share=False, inbrowser=False, theme=theme, css=CSS,
                allowed_paths=[str(EXPORTS)],
                prevent_thread_lock=not block, show_error=False, footer_links=[], quiet=not block)
    return demo
