"""The UI's message formatting, without a browser."""

from assistant.types import Action, Answer, Citation, Claim, Flag, Hit, Paper, Passage, Source
from assistant.ui.format import answer_html, conversation_markdown, link_citations, sources_html, speed_line, summary_html

NOTE = ("No yes or no could be checked against the papers (the drafted answer was not stated by its sources). "
        "What [1] says, in its own words:")


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


def test_a_sentence_removed_entirely_is_noted_once_with_the_sources_that_did_not_state_it():
    # a list answer whose items the judge rejects: one note per item, not "[3] removed ..." and "removed ..." both
    a = Answer(question="q", text="Claim [1].", refused=False, citations=[Citation(1, "p1", "T1")],
               sources=[_source(1, "T1"), _source(2, "T2"), _source(3, "T3")], model="m",
               flagged=[Flag(Action.DROPPED, "Claim.", 2), Flag(Action.DROPPED, "Item.", 3),
                        Flag(Action.UNSUPPORTED, "Item.", 3, reason="the sentence names a source that does not state it"),
                        Flag(Action.UNSUPPORTED, "Other.")],
               claims=[Claim("Claim.", [1], {1: "Key finding here."}, {1: 0.9})])
    out = answer_html(a)
    assert "removed “Item.”: [3] does not state it;" in out and out.count("Item.") == 1
    assert "[2] removed: the source does not state “Claim.”" in out  # the sentence is shown, with [1]
    assert "removed “Other.”: no source states it" in out


def test_a_stance_dropped_because_its_source_says_the_opposite_shows_that_clause():
    a = Answer(question="Do fluids lower mortality?", text="Mortality was 24% vs 25% [1].", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[_source(1, "T1")], model="m",
               flagged=[Flag(Action.CONTRADICTED, "Yes, fluids lower mortality.", 1, 0.9,
                             reason="the source says “they did not lower mortality”")],
               claims=[Claim("Mortality was 24% vs 25%.", [1], {1: "Key finding here."}, {1: 0.9})])
    assert "[1] removed from “Yes, fluids lower mortality.”: the source says “they did not lower mortality”" \
        in answer_html(a)


def test_a_restated_question_shown_as_its_stance_says_so_and_keeps_its_evidence_on_hover():
    a = Answer(question="Do fluids lower mortality?", text="No [1].", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[_source(1, "T1")], model="m",
               flagged=[Flag(Action.STANCE, "No, fluids do not lower mortality.")],
               claims=[Claim("No.", [1], {1: "Mortality did not differ."}, {1: 0.9})])
    out = answer_html(a)
    assert "“No, fluids do not lower mortality.” shown as its stance" in out and "Mortality did not differ." in out


def test_a_yes_no_answer_given_as_its_sources_quotes_says_no_stance_was_checked():
    a = Answer(question="Do fluids lower mortality?", text="\u201cKey finding here\u201d. [1]", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[_source(1, "T1")], model="m",
               flagged=[Flag(Action.UNSUPPORTED, "Yes, fluids lower mortality."),
                        Flag(Action.QUOTED, n=1, support=0.6, reason=NOTE)],
               claims=[Claim("\u201cKey finding here\u201d.", [1], {1: "Key finding here."}, {1: 0.6})])
    out = answer_html(a)
    assert out.startswith('<div class="quoted-note">No yes or no could be checked against the papers')
    assert "What [1] says, in its own words:</div>" in out and out.index("quoted-note") < out.index("Key finding")
    assert "removed \u201cYes, fluids lower mortality.\u201d: no source states it" in out


def test_an_answer_completed_from_the_question_says_so():
    a = Answer(question="Which paper has the key finding?", text='"T1" has the key finding [1].', refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[_source(1, "T1")], model="m",
               flagged=[Flag(Action.NAMED, "[1] has the key finding.")],
               claims=[Claim('"T1" has the key finding.', [1], {1: "Key finding here."}, {1: 0.9})])
    assert "the model only named the source(s)" in answer_html(a)


def test_a_paper_the_draft_left_out_of_which_papers_says_it_was_added():
    a = Answer(question="Which papers have the key finding?", text='"T2" has the key finding [2].', refused=False,
               citations=[Citation(2, "p2", "T2")], sources=[_source(1, "T1"), _source(2, "T2")], model="m",
               flagged=[Flag(Action.LISTED, '"T2" has the key finding.', 2, reason="the draft did not name it; its "
                             "abstract states what the question asks")],
               claims=[Claim('"T2" has the key finding.', [2], {2: "Key finding here."}, {2: 0.9})])
    assert "[2] added: the draft did not name it; its abstract states what the question asks" in answer_html(a)


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


def test_sources_panel_shows_every_sentence_the_model_was_shown_even_outside_the_best_passage():
    p = Paper(paper_id="p1", title="T1", abstract="Background first. The finding is here. Methods last.")
    hit = Hit(paper=p, score=0.03, dense_rank=1, lexical_rank=None, dense_similarity=0.7,
              passages=[Passage("p#1", "Methods last.", 0, dense_rank=1)])
    out = sources_html([Source(n=1, hit=hit, evidence=["The finding is here.", "Methods last."])])
    assert "Background first. <mark>The finding is here.</mark> <mark>Methods last.</mark>" in out


def test_speed_and_markdown_export():
    a = Answer(question="q?", text="Claim [1].", refused=False, citations=[Citation(1, "p1", "T1")],
               sources=[_source(1, "T1")], model="m", timings={"ttft_ms": 1000, "total_ms": 3000},
               usage={"completion_tokens": 20})
    assert speed_line(a) == "first token 1.0 s · 10.0 tokens/s · total 3.0 s"
    md = conversation_markdown([a])
    assert "**Q:** q?" in md and "1. T1" in md


def test_a_summary_shows_theme_names_as_headings_checked_sentences_and_provenance():
    from assistant.answer.summarize import Summary, Theme, quote

    src1, src2 = _source(1, "T1"), _source(2, "T2")
    theme = Theme("Shared finding", [1, 2], [Claim("Both find it", [1, 2], {1: "Key finding here.", 2: "Key finding here."})])
    theme.quoted, theme.claims = [2], [*theme.claims, quote(src2)]
    s = Summary(topic="t", text="", citations=[Citation(1, "p1", "T1"), Citation(2, "p2", "T2")],
                sources=[src1, src2], considered=["T1", "T2"], model="m", themes=[theme],
                coverage={"considered": 2, "cited": ["T1", "T2"], "quoted": ["T2"], "relevant_not_cited": []})
    out = summary_html(s)
    assert "<strong>Shared finding</strong>" in out and out.count('class="cite"') == 3
    assert "Key finding here." in out and "model's" in out and "1 quoted verbatim" in out
    empty = Summary(topic="t", text="No paper in the collection is about 't'.", citations=[], sources=[],
                    considered=[], model="m", related=[src1.hit],
                    coverage={"considered": 0, "cited": [], "quoted": [], "relevant_not_cited": []})
    out = summary_html(empty)
    assert "No paper in the collection" in out and "Related reading" in out and "T1" in out and "a class" not in out


def test_a_sentence_that_does_not_answer_or_names_what_its_source_lacks_says_why_it_went():
    a = Answer(question="Do SGLT2 inhibitors slow CKD in type 1 diabetes?", text="Claim [1].", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[_source(1, "T1")], model="m",
               flagged=[Flag(Action.UNANSWERED, "They slowed CKD in type 2 diabetes.", 1, 0.2),
                        Flag(Action.DROPPED, "It beat GPT-4.", 1, 0.0, reason="the source does not mention GPT-4")],
               claims=[Claim("Claim.", [1], {1: "Key finding here."}, {1: 0.9})])
    out = answer_html(a)
    assert "removed “They slowed CKD in type 2 diabetes.”: [1] states it but does not answer the question" in out
    assert "the source does not state “It beat GPT-4.” (the source does not mention GPT-4)" in out


def test_a_sentence_that_affirmed_the_questions_premise_says_the_sources_words_replaced_it():
    draft = "T1 grows kiwis by key finding."
    a = Answer(question="How does T1 grow kiwis?", text="\u201cKey finding here\u201d [1].", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[_source(1, "T1")], model="m",
               flagged=[Flag(Action.PREMISE, draft, 1, 0.2, reason="...")],
               claims=[Claim("\u201cKey finding here\u201d.", [1], {1: "Key finding here."}, {1: 0.9})])
    out = answer_html(a)
    assert f"“{draft}” replaced by the words of [1]" in out and "Key finding here" in out
