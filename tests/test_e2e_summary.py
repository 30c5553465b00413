"""Topic summaries with the real model, the real verifier and the real index: themes, checked sentences,
coverage, the honest empty answer, the draft cache, export."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.answer.summarize import summarize, summary_markdown
from assistant.cli import main
from assistant.index.chunking import split_sentences
from assistant.render import summary_json
from assistant.types import Action

pytestmark = pytest.mark.slow


class CountingLLM:
    """The real model, counting how often it is called."""

    def __init__(self, llm):
        self.llm, self.name, self.calls = llm, llm.name, 0

    def describe(self):
        return self.llm.describe()

    def count_tokens(self, text):
        return self.llm.count_tokens(text)

    def stream(self, messages, **kw):
        self.calls += 1
        yield from self.llm.stream(messages, **kw)


@pytest.fixture(scope="module")
def summarizer(settings, indexed, fast_llm, tmp_path_factory):
    llm = CountingLLM(fast_llm)
    s = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("summary"),
                                    "store": settings.store.model_copy(update={"path": settings.store_path})})
    a = Assistant(s, store=indexed.store, embedder=indexed.embedder, llm=llm, progress=False)
    a._retriever = indexed.retriever
    return a, llm


def test_a_topic_whose_headings_used_to_cost_every_citation_cites_several_papers(summarizer):
    # before: "**Theme 1: …**" glued to the next sentence made every sentence fail the check, and the summary
    # said the collection had nothing on the topic
    a, llm = summarizer
    steps: list[str] = []
    summary = a.summarize("feature selection methods", progress=lambda i, n, label: steps.append(label))
    assert len(steps) >= 2 and "not cached" in steps[1]
    assert len(summary.citations) >= 4, summary.text
    assert "no paper" not in summary.text.lower()
    abstracts = {src.n: src.paper.abstract for src in summary.sources}
    for claim in summary.claims:
        assert claim.cited
        for n, evidence in claim.evidence.items():
            assert evidence in abstracts[n] or all(part in abstracts[n] for part in evidence.split("\n")), evidence
    for theme in summary.themes:
        assert theme.name and all(not c.text.startswith(("#", "**", "Name:")) for c in theme.claims)
    cited = {c.n for c in summary.citations}
    assert cited == {src.n for src in summary.sources}  # every chosen paper is cited (synthesis or a quote)
    for src in summary.sources:  # the Sources panel's text is the paper's own
        assert src.evidence and all(e in src.paper.abstract for e in src.evidence)
    calls = llm.calls
    again = a.summarize("Feature selection methods ")
    assert llm.calls == calls and again.cached and again.text == summary.text  # the cached drafts are reused


class RepeatingWriter:
    """A writer that says the same finding for every theme and again in the closing line: the first paper's key
    sentence, verbatim, citing that paper (so the real verifier passes it each time). Counts tokens with the real
    model."""

    def __init__(self, llm, titles):
        self.llm, self.titles, self.name, self.finding = llm, titles, "repeating-writer", None

    def describe(self):
        return {"model": self.name}

    def count_tokens(self, text):
        return self.llm.count_tokens(text)

    def stream(self, messages, **kw):
        prompt = messages[-1]["content"]
        if self.finding is None:  # the papers' lines read "[n] <title>: <key sentences>"
            n, line = re.search(r"^\[(\d+)\] (.+)$", prompt, re.M).groups()
            title = next(t for t in self.titles if line.startswith(t + ": "))
            self.finding = f"{split_sentences(line[len(title) + 2:])[0].rstrip('.')} [{n}]."
        yield f"Name: Shared work\nFinding: {self.finding}" if prompt.startswith("Papers on") else self.finding


def test_a_sentence_the_summary_already_shows_is_not_shown_again(summarizer):
    # the closing line (and a later theme) saying a shown finding again: checked and shown once, flagged after
    a, _ = summarizer
    writer = RepeatingWriter(a.llm, {p.title for p, _ in a.retriever.papers.values()})
    settings = a.settings.model_copy(update={"summary": a.settings.summary.model_copy(update={"closing": True})})
    summary = summarize("feature selection methods", settings=settings, retriever=a.retriever, llm=writer,
                        judge=a.judge, verifier=a.verifier, threshold=a.threshold())
    themes = [t for t in summary.themes if not t.alone]
    assert len(themes) >= 2  # so the closing line is written too
    written = [c.text for c in summary.claims if not c.verbatim]
    assert written == [writer.finding.rsplit(" [", 1)[0] + "."], written
    repeated = [f for f in summary.flagged if f.action == Action.REPEATED]
    assert len(repeated) == len(themes)  # every later theme and the closing line


def test_a_paper_alone_in_its_theme_is_shown_in_its_own_words_without_a_model_call(summarizer):
    # dev q069's four papers cluster as three and one: the model writes the three's theme only, and no closing line
    a, llm = summarizer
    calls = llm.calls
    summary = a.summarize("What does this collection contain on classic zero-shot learning that maps images and "
                          "class semantic embeddings (attributes, word vectors) into a shared space?")
    alone = [t for t in summary.themes if t.alone]
    assert alone and len(summary.themes) - len(alone) == 1, [t.papers for t in summary.themes]
    assert llm.calls == calls + 1 and not summary.closing
    by_n = {src.n: src for src in summary.sources}
    for theme in alone:
        src = by_n[theme.papers[0]]
        assert theme.name == src.paper.title and theme.quoted == theme.papers
        assert [c.text for c in theme.claims] == [f"“{e}”" for e in src.evidence]
        assert all(e in src.paper.abstract for c in theme.claims for e in c.evidence.values())
    assert summary.coverage["alone"] == [by_n[t.papers[0]].paper.title for t in alone]
    md = summary_markdown(summary)
    assert "Shown in their own words (a theme of one paper):\n- " + summary.coverage["alone"][0] in md
    obj = summary_json(summary)  # --json marks the paper's own sentences apart from the model's
    lone = [t for t in obj["themes"] if t["alone"]]
    assert lone and all(c["verbatim"] for t in lone for c in t["claims"])
    for t in obj["themes"]:  # in a theme of several papers, one quote per paper the synthesis left out
        assert t["alone"] or sum(c["verbatim"] for c in t["claims"]) == len(t["quoted"]), t
    wrote = any(not c["verbatim"] for t in obj["themes"] for c in t["claims"])
    assert obj["written_by"].startswith("model") == wrote, obj["written_by"]
    # dev dm11 picks one paper: nothing for the model to write, and nothing came from a cache
    one = a.summarize("What does the collection say about spatial relation and orientation understanding in "
                      "vision-language and multimodal models?")
    assert len(one.sources) == 1 and len(one.citations) == 1, one.text
    assert llm.calls == calls + 1 and not one.cached
    assert summary_json(one)["written_by"] == "the papers' own sentences; no model text"


def test_a_truly_absent_topic_gets_an_honest_nothing_with_related_reading(summarizer):
    a, llm = summarizer
    calls = llm.calls
    summary = a.summarize("protein structure prediction with diffusion models")
    assert not summary.citations and not summary.sources
    assert "no paper in the collection" in summary.text.lower() and summary.related
    assert llm.calls == calls  # nothing to write: the model is not called


def test_cli_summarize_json_keeps_model_text_apart_from_paper_text_and_exports(settings, indexed, tmp_path):
    out = tmp_path / "sae.md"
    r = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "summarize",
                                  "sparse autoencoders for interpreting language model features", "--max-papers", "4",
                                  "--model", "fast", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(obj) >= {"topic", "summary", "themes", "sources", "citations", "coverage", "timings", "written_by"}
    assert obj["citations"]
    by_n = {s["n"]: s for s in obj["sources"]}
    for theme in obj["themes"]:
        for claim in theme["claims"]:
            assert all(n in by_n for n in claim["cited"])
    md = out.read_text()
    assert "## References" in md and "## Coverage" in md and "written by the model" in md
    bib = out.with_suffix(".bib").read_text()
    assert bib.count("@article{") == len(obj["citations"])
