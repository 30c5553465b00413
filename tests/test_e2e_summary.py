"""Topic summaries with the real model: broad retrieval, cached map step, checked citations, coverage, export."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.answer.summarize import trim_partial
from assistant.cli import main

TOPIC = "sparse autoencoders for interpreting language model features"


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


@pytest.mark.slow
def test_summary_cites_only_considered_papers_and_reports_coverage(settings, indexed, fast_llm, tmp_path):
    llm = CountingLLM(fast_llm)
    s = settings.model_copy(update={"data_dir": tmp_path})
    a = Assistant(s, store=indexed.store, embedder=indexed.embedder, llm=llm, progress=False)
    a._retriever = indexed.retriever
    seen: list[tuple[int, int]] = []
    summary = a.summarize(TOPIC, max_papers=4, progress=lambda i, n, t: seen.append((i, n)))
    assert seen and seen[-1][0] == seen[-1][1] <= 4  # progress through the map step
    assert summary.citations, summary.text
    assert set(c.title for c in summary.citations) <= set(summary.considered)
    sae = [t for t in summary.considered if "Sparse Autoencoder" in t]
    assert len(sae) >= 3  # found the papers on the topic, not just one
    cov = summary.coverage
    assert cov["considered"] == len(summary.considered) and cov["cited"] == [c.title for c in summary.citations]
    calls = llm.calls
    a.summarize(TOPIC, max_papers=4)
    assert llm.calls == calls + 1  # the re-run reuses every cached contribution: only the reduce step runs


@pytest.mark.slow
def test_cli_summarize_json_and_markdown_export(settings, indexed, tmp_path):
    out = tmp_path / "sae.md"
    r = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "summarize", TOPIC, "--max-papers", "3",
                                  "--model", "fast", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(obj) >= {"topic", "summary", "citations", "considered", "coverage", "timings"}
    md = out.read_text()
    assert "## References" in md and "## Coverage" in md
    bib = out.with_suffix(".bib").read_text()
    assert bib.count("@article{") == len(obj["citations"])


def test_trim_partial():
    assert trim_partial("One [1]. Two is cut") == "One [1]."
    assert trim_partial("Done [2].") == "Done [2]."
