"""Summary parts as pure logic: themes, the model's name/finding lines, the draft cache, quotes (no model)."""

from __future__ import annotations

import numpy as np

from assistant.answer.summarize import DraftCache, first_finding, first_sentence, parse_theme, quote
from assistant.answer.themes import group
from assistant.types import Hit, Paper, Source


def test_papers_group_into_themes_by_their_vectors():
    rng = np.random.default_rng(0)
    centers = np.eye(8)[:3]
    v = np.concatenate([c + 0.05 * rng.standard_normal((3, 8)) for c in centers])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert group(v, most=4) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert group(v[:3]) == [[0, 1, 2]]  # a handful of papers is one theme
    assert group(v[:0]) == []


def test_a_heading_glued_to_its_sentence_is_split_and_never_a_claim():
    assert parse_theme("Name: **Theme 1: Sparse features**\nFinding: SAEs find features [1][2].") == \
        ("Theme 1: Sparse features", "SAEs find features [1][2].")
    assert parse_theme("## Name: Scans\n\nFinding: They scan images in four directions [3].\nMore text [4].") == \
        ("Scans", "They scan images in four directions [3]. More text [4].")
    assert parse_theme("just prose without fields") == ("", "")


def test_the_closing_line_stops_at_its_first_sentence_and_reads_no_further():
    read = []

    def pieces():  # the model's stream: what is never asked for is never generated
        for piece in ["Both themes use SAEs [1]", "[3]. The first", " also probes [2].", " And more [4]."]:
            read.append(piece)
            yield piece

    assert first_sentence(pieces()) == "Both themes use SAEs [1][3]."
    assert len(read) == 2  # the second sentence had begun: the first was whole, and the rest was not generated
    assert first_sentence(["One sentence only [2]."]) == "One sentence only [2]."
    assert first_sentence([]) == ""


def test_a_theme_stops_at_its_findings_first_sentence():
    read = []

    def pieces():
        for piece in ["Name: Sparse", " features\nFinding: SAEs find", " features [1][2]. They", " also [3].", " More."]:
            read.append(piece)
            yield piece

    assert first_finding(pieces()) == "Name: Sparse features\nFinding: SAEs find features [1][2]."
    assert len(read) == 3
    assert first_finding(["Name: X\nFinding: One sentence [2]."]) == "Name: X\nFinding: One sentence [2]."
    assert first_finding(["no fields at all"]) == "no fields at all"  # parse_theme finds nothing: all papers quoted
    assert first_finding(["**Name:** X\n**Finding:** A [1][2]. B [3]."]) == "Name: X\nFinding: A [1][2]."


def test_the_draft_cache_survives_a_restart_and_a_torn_line(tmp_path):
    path = tmp_path / "cache.jsonl"
    key = DraftCache.key("summary_themes", "Topic ", "[1] T: s", "m")
    assert key == DraftCache.key("summary_themes", "topic", "[1] T: s", "m")  # case and spaces of the topic
    assert key != DraftCache.key("summary_themes", "topic", "[1] T: s", "other model")
    assert key != DraftCache.key("summary_closing", "topic", "[1] T: s", "m")
    DraftCache(path).put(key, "Name: X\nFinding: Y [1].")
    path.write_text(path.read_text() + "{not json\n")
    assert DraftCache(path).get(key) == "Name: X\nFinding: Y [1]."


def test_a_quote_is_the_papers_own_sentence_with_its_citation():
    paper = Paper("p1", "Paper One", "Background here. We find that X improves Y.")
    src = Source(n=3, hit=Hit(paper, 0.0, 1, 1, 0.5), evidence=["We find that X improves Y."])
    c = quote(src)
    assert c.cited == [3] and c.evidence[3] in paper.abstract and "“We find that X improves Y.”" in c.text
    assert quote(src, "Background here.", titled=False).text == "“Background here.”"
    assert c.verbatim  # --json and the bench tell it from the model's sentences
