"""The UI's message formatting, without a browser."""

from assistant.types import Action, Answer, Citation, Claim, Flag, Hit, Paper, Passage, Source
from assistant.ui.format import answer_html, conversation_markdown, link_citations, sources_html, speed_line


def _source(n: int, title: str) -> Source:
    p = Paper(paper_id=f"p{n}", title=title, abstract="First sentence. Key finding here.", links=("https://x.org/c",))
    hit = Hit(paper=p, score=0.03, dense_rank=1, lexical_rank=None, dense_similarity=0.7,
              passages=[Passage("p#0", p.abstract, 0, dense_rank=1)])
    return Source(n=n, hit=hit, evidence=["Key finding here."])


def test_citations_become_links_and_unknown_numbers_vanish():
    out = link_citations("A [1]. B [2][7].", {1: "T1", 2: "T<2>"})
    assert '<a class="cite" href="#src-1" title="T1">[1]</a>' in out
    assert 'title="T&lt;2&gt;"' in out and "[7]" not in out


def test_answer_html_marks_attributed_and_dropped_citations():
    a = Answer(question="q", text="Claim [1].", refused=False, citations=[Citation(1, "p1", "T1")],
               sources=[_source(1, "T1"), _source(2, "T2")], model="m",
               flagged=[Flag(Action.ATTRIBUTED, "Claim.", 1), Flag(Action.DROPPED, "Claim.", 2),
                        Flag(Action.OFF_TOPIC, "Padding.", 2)],
               claims=[Claim("Claim.", [1], {1: "Key finding here."}, {1: 0.9})])
    out = answer_html(a)
    assert "cite attributed" in out and "[2] removed" in out and "“Padding.” is not about the question" in out
    assert "T1 (added by the support check): “Key finding here.”" in out  # the sentence it rests on, on hover


def test_refusal_lists_related_reading_and_says_why():
    a = Answer(question="q", text="I cannot answer this from the given papers.", refused=True, citations=[],
               sources=[], model="m", related=[_source(1, "Near Paper").hit],
               flagged=[Flag(Action.REFUSED, reason="no sentence of the draft was stated by a source")])
    out = answer_html(a)
    assert "refusal" in out and "Near Paper" in out and "(no sentence of the draft was stated by a source)" in out


def test_sources_panel_highlights_evidence_and_shows_why():
    out = sources_html([_source(1, "T1")], cited={1})
    assert 'id="src-1"' in out and "<mark>Key finding here.</mark>" in out and "dense #1" in out
    assert "lexical #–" in out and "https://x.org/c" in out and "source cited" in out
    assert "No sources" in sources_html([])


def test_speed_and_markdown_export():
    a = Answer(question="q?", text="Claim [1].", refused=False, citations=[Citation(1, "p1", "T1")],
               sources=[_source(1, "T1")], model="m", timings={"ttft_ms": 1000, "total_ms": 3000},
               usage={"completion_tokens": 20})
    assert speed_line(a) == "first token 1.0 s · 10.0 tokens/s · total 3.0 s"
    md = conversation_markdown([a])
    assert "**Q:** q?" in md and "1. T1" in md


def test_summary_groups_fit_the_budget():
    from assistant.answer.summarize import _groups, _papers_block

    class Words:
        def count_tokens(self, text):
            return len(text.split())

    sources = [_source(i, f"Title {i}") for i in range(1, 6)]
    for s in sources:
        s.evidence = ["one two three four five six"]
    groups = _groups(sources, Words(), budget=20)
    assert [s.n for g in groups for s in g] == [1, 2, 3, 4, 5] and len(groups) > 1
    assert all(len(_papers_block(g).split()) <= 20 for g in groups)
