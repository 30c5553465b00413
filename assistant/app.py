"""The Assistant: one object that builds the pipeline's parts from settings, lazily.

The CLI, the UI and the eval all go through it, so they share one path. Collaborators
can be passed in (tests, benchmarks); by default they are built from the settings.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.corpus import LoadResult, load_papers
from assistant.errors import AssistantError, QuestionError
from assistant.index.embedding import Embedder, describe_device, load_embedder
from assistant.index.ingest import IngestReport, ingest
from assistant.index.store import Store, other_indexes
from assistant.retrieve import Retriever
from assistant.types import Answer, Hit

log = logging.getLogger(__name__)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def clean_question(text: str, max_chars: int) -> str:
    """The question without control characters and extra spaces, or QuestionError."""
    text = _ANSI.sub("", text or "")  # a pasted terminal colour code is not part of the question
    q = " ".join("".join(ch if ch.isprintable() or ch in "\n\t" else "" for ch in text).split())
    if not q:
        raise QuestionError("the question is empty; type a question about the papers")
    if len(q) > max_chars:
        raise QuestionError(f"the question has {len(q):,} characters; the limit is {max_chars:,}. Shorten it.")
    return q


class Assistant:
    """Search, ask and summarize over one indexed collection."""

    def __init__(self, settings: Settings | None = None, *, store: Store | None = None,
                 embedder: Embedder | None = None, llm: Any = None, verifier: Any = None,
                 progress: bool = True) -> None:
        self.settings = settings or Settings()
        self.progress = progress
        self._lock = threading.RLock()
        if store is not None:
            self.__dict__["store"] = store
        if embedder is not None:
            self.__dict__["embedder"] = embedder
        if llm is not None:
            self.__dict__["llm"] = llm
        if verifier is not None:
            self.__dict__["verifier"] = verifier
        self._retriever: Retriever | None = None

    @property
    def embedder(self) -> Embedder:
        return self.__dict__.get("embedder") or self._once("embedder", lambda: load_embedder(self.settings.embedder))

    @property
    def store(self) -> Store:
        return self.__dict__.get("store") or self._once("store", lambda: Store(self.settings))

    def _once(self, name: str, make: Any) -> Any:
        """Build a part once, even when several threads ask for it at the same time."""
        with self._lock:
            if name not in self.__dict__:
                self.__dict__[name] = make()
            return self.__dict__[name]

    @property
    def llm(self) -> Any:
        from assistant.llm import load_llm

        return self.__dict__.get("llm") or self._once("llm", lambda: load_llm(self.settings))

    @property
    def judge(self) -> Any:
        from assistant.answer.support import EmbeddingJudge

        def make() -> EmbeddingJudge:
            papers = [p for p, _ in self.retriever.papers.values()]
            return EmbeddingJudge(self.embedder, corpus=(f"{p.title} {p.abstract}" for p in papers))

        return self.__dict__.get("judge") or self._once("judge", make)

    def threshold(self) -> float:
        """The score the verifier in use needs to keep a citation."""
        return float(getattr(self.settings.verify, f"{self.verifier.name}_threshold", self.settings.verify.threshold()))

    @property
    def verifier(self) -> Any:
        """The judge that decides whether a source states an answer sentence (settings.verify.judge)."""
        from assistant.verify import load_verifier

        if "verifier" in self.__dict__:
            return self.__dict__["verifier"]
        name = self.settings.verify.judge
        if name == "llm" and self.settings.llm.server_url and not self.settings.verify.llm_model:
            log.warning("The LLM judge needs a local model; checking answers with the overlap judge instead.")
            name = "overlap"
        judge = self.judge if name == "overlap" else None
        return self._once("verifier", lambda: load_verifier(self.settings, judge=judge, name=name))

    # ---- index ------------------------------------------------------------------------
    def ingest(self, paths: list[Path] | None = None, *, fmt: str | None = None,
               prune: bool = False) -> tuple[LoadResult, IngestReport]:
        """Read the files (the bundled collection by default) and bring the index up to date."""
        loaded = load_papers(paths, fmt)
        with self._lock:
            report = ingest(loaded.papers, self.settings, store=self.store, embedder=self.embedder,
                            prune=prune, progress=self.progress)
            self._retriever = None
            self.__dict__.pop("judge", None)  # its sentence vectors and IDF describe the old papers
            self.__dict__.pop("verifier", None)  # so do its cached windows
        return loaded, report

    def ensure_index(self) -> None:
        """Build the index when the store holds none: from the papers of an index the store holds under other
        settings (an older chunking or embedder), else from the bundled collection."""
        if self.store.paper_count() > 0:
            return
        others = [o for o in other_indexes(self.store.client, self.store.name) if o[2]]
        if not others:
            log.warning("No index yet: indexing the bundled collection first.")
            self.ingest()
            return
        name, embedder, papers = max(others, key=lambda o: len(o[2]))
        log.warning("The store's index %s was built with other settings (embedder %s, or an older chunking); "
                    "re-indexing its %d papers for these settings (chunking %s, embedder %s) in %s. The old index "
                    "stays until you remove the store.", name, embedder, len(papers),
                    self.settings.chunking.model_dump(exclude={"encoding"}), self.settings.embedder.name,
                    self.store.name)
        with self._lock:
            ingest(papers, self.settings, store=self.store, embedder=self.embedder, progress=self.progress)

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                self.ensure_index()
                self._retriever = Retriever(self.store, self.embedder, self.settings.retrieval)
            return self._retriever

    def search(self, query: str, k: int | None = None, *, mmr: bool | None = None) -> list[Hit]:
        q = clean_question(query, self.settings.answer.max_question_chars)
        return self.retriever.search(q, k, mmr_on=mmr)

    def stats(self) -> dict[str, Any]:
        s = self.settings
        return {
            "papers": self.store.paper_count(),
            "chunks": self.store.chunk_count(),
            "embedder": s.embedder.name,
            "device": describe_device(s.embedder.device),
            "store": self.store.where,
            "index": self.store.name,
            "chunking": s.chunking.model_dump(),
            "retrieval": s.retrieval.model_dump(),
            "llm": self.llm_status(),
        }

    def llm_status(self) -> str:
        """Which model answers and where it runs, without loading it."""
        s = self.settings.llm
        if s.server_url:
            return f"{s.server_model or s.model} on the server at {s.server_url}"
        if "llm" in self.__dict__:
            d = self.llm.describe()
            return f"{d['model']} on {d['device']}"
        import llama_cpp

        from assistant.llm.registry import resolve

        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        where = ("GPU (all layers)" if s.n_gpu_layers < 0 else f"GPU ({s.n_gpu_layers} layers)") \
            if gpu and s.n_gpu_layers != 0 else "CPU"
        try:
            path = resolve(s.model, self.settings.models_dir)
        except AssistantError as e:
            return f"{s.model}: {e}"
        return f"{s.model} ({path.name}) on {where}; llama.cpp GPU offload {'available' if gpu else 'not built in'}"

    # ---- answers ----------------------------------------------------------------------
    def ask_stream(self, question: str, history: list[dict[str, str]] | None = None, *,
                   k: int | None = None, temperature: float | None = None,
                   max_tokens: int | None = None) -> Generator[Any, None, None]:
        """Events: SourcesEvent (before generation), TokenEvent*, DoneEvent with the checked Answer.
        `max_tokens` caps this answer's generation (default: settings.llm.max_tokens).

        Close the generator when you stop reading it early (`contextlib.closing`): that releases the model.
        """
        from assistant.answer.ask import ask_stream

        q = clean_question(question, self.settings.answer.max_question_chars)
        settings = self.settings if max_tokens is None else self.settings.model_copy(
            update={"llm": self.settings.llm.model_copy(update={"max_tokens": max(16, min(4096, max_tokens))})})
        return ask_stream(q, settings=settings, retriever=self.retriever, llm=self.llm, judge=self.judge,
                          verifier=self.verifier, threshold=self.threshold(),
                          history=history, k=k, temperature=temperature)

    def ask(self, question: str, history: list[dict[str, str]] | None = None, **kw: Any) -> Answer:
        """The finished, citation-checked answer."""
        from assistant.answer.ask import DoneEvent

        for event in self.ask_stream(question, history, **kw):
            if isinstance(event, DoneEvent):
                return event.answer
        raise RuntimeError("answer stream ended without an answer")

    def summarize(self, topic: str, *, max_papers: int | None = None, progress: Any = None) -> Any:
        """A cited overview of `topic` with a coverage section (see answer/summarize.py)."""
        from assistant.answer.summarize import summarize

        t = clean_question(topic, self.settings.answer.max_question_chars)
        return summarize(t, settings=self.settings, retriever=self.retriever, llm=self.llm, judge=self.judge,
                         verifier=self.verifier, threshold=self.threshold(),
                         max_papers=max_papers, progress=progress)
