"""Fast unit tests of pure logic: chunking, fusion, citations, prompts, settings."""

import numpy as np
import pytest

from assistant.answer import citations as cit
from assistant.answer.prompts import PROMPTS_DIR, render, variables
from assistant.config import ChunkingSettings, Settings
from assistant.index.chunking import chunk_text, encoding, split_sentences
from assistant.retrieve.fusion import first_ranks, mmr, rrf


def test_split_sentences_keeps_abbreviations():
    assert split_sentences("We use e.g. the ViT. Results improve! Do they? 3 models.") == [
        "We use e.g. the ViT.", "Results improve!", "Do they?", "3 models."]


def test_chunks_respect_size_and_overlap():
    s = ChunkingSettings(size_tokens=30, overlap_tokens=12)
    text = " ".join(f"Sentence number {i} says something short." for i in range(12))
    chunks = chunk_text(text, s)
    enc = encoding(s.encoding)
    assert len(chunks) > 2 and all(len(enc.encode(c)) <= 30 for c in chunks)
    assert chunks[1].split(". ")[0] in chunks[0]  # the first sentence of a chunk repeats the previous one's tail
    assert "Sentence number 11" in chunks[-1]


def test_overlong_sentence_is_cut():
    chunks = chunk_text("word " * 500, ChunkingSettings(size_tokens=50, overlap_tokens=0))
    assert len(chunks) >= 10


def test_rrf_and_ranks():
    dense, lexical = first_ranks(["a", "a", "b", "c"]), first_ranks(["c", "b"])
    assert dense == {"a": 1, "b": 2, "c": 3}
    fused = rrf(dense, lexical, k=60)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61) and fused["b"] == pytest.approx(1 / 62 + 1 / 62)
    assert max(fused, key=fused.__getitem__) == "c"
    dense_only = rrf(dense, lexical, k=60, weights=(1.0, 0.0))
    assert max(dense_only, key=dense_only.__getitem__) == "a"  # with lexical weight 0, the dense order decides


def test_mmr_prefers_diverse_items():
    vecs = np.array([[1, 0], [1, 0], [0, 1]], dtype=float)
    assert mmr(np.array([1.0, 0.99, 0.5]), vecs, 2, lam=0.5) == [0, 2]
    assert mmr(np.array([1.0, 0.99, 0.5]), vecs, 2, lam=1.0) == [0, 1]


@pytest.mark.parametrize("marker,expected", [
    ("[1]", [1]), ("[1, 2]", [1, 2]), ("[1-3]", [1, 2, 3]), ("[1][2]", [1, 2]), ("[2,2]", [2]), ("[3–4]", [3, 4])])
def test_citation_forms(marker, expected):
    m = cit.MARKER.search("x " + marker)
    assert m and cit.parse_numbers(m.group(1)) == expected


@pytest.mark.parametrize("text,n,expected", [
    ("A [1][2].", 2, "A [1][2]."),
    ("A [1, 9].", 2, "A [1]."),
    ("A [7]. B [0].", 3, "A. B."),
    ("A [1-4].", 2, "A [1][2]."),
    ("No citation.", 2, "No citation."),
])
def test_keep_valid(text, n, expected):
    assert cit.keep_valid(text, n) == expected


def test_split_cited_moves_leading_markers_back():
    s = cit.split_cited("Probes work [1]. [2] They are fast. Plain one.")
    assert [(x.text, x.cited) for x in s] == [("Probes work.", [1, 2]), ("They are fast.", []), ("Plain one.", [])]
    assert cit.render(s) == "Probes work [1][2]. They are fast. Plain one."


def test_stream_filter_never_lets_an_invalid_number_through():
    f = cit.StreamFilter(2)
    pieces = ["Hello [", "1", "] wor", "ld [9", "]. See [a] and [2,", "5]. [12"]
    out = "".join(x for p in pieces for x in f.feed(p)) + f.flush()
    assert "[9]" not in out and "5]" not in out and "[1]" in out and "[2]" in out and "[a]" in out


def _filtered(n: int, pieces: list[str]) -> str:
    f = cit.StreamFilter(n)
    return "".join(x for p in pieces for x in f.feed(p)) + f.flush()


def test_stream_filter_with_markers_split_mid_number():
    assert _filtered(13, ["A [1", "2] B [", "1", "0, 1", "3]. C."]) == "A [12] B [10][13]. C."
    assert _filtered(12, ["A [1", "0, 1", "3]. C."]) == "A [10]. C."  # 13 is split off mid-number, then dropped
    assert _filtered(2, ["A [1", "2]. B [1", "][2", "0]. C."]) == "A. B [1]. C."
    assert _filtered(12, ["End [2", "1"]) == "End"  # cut off before its "]": 21 is no source, nor is "[2"
    assert _filtered(2, ["End [1"]) == "End"


def test_every_prompt_uses_exactly_the_variables_the_code_supplies():
    supplied = {"answer_system": set(), "answer_user": {"sources", "question", "form"}, "answer_yes_no": set(),
                "rewrite": {"history", "question"},
                "baseline_system": set(), "baseline_user": {"sources", "question"},
                "summary_themes": {"topic", "papers"}, "summary_closing": {"topic", "themes"},
                "generate_question": {"title", "abstract", "banned"},
                "verify_system": set(), "verify_user": {"title", "abstract", "claim"},
                "verify_context": {"n", "title", "claim"}, "verify_stance_user": {"title", "abstract", "question"},
                "verify_prefix": {"claim"}}
    on_disk = {p.stem for p in PROMPTS_DIR.glob("*.md")}
    assert on_disk == set(supplied)
    for name, names in supplied.items():
        assert variables(name) == names, name
    with pytest.raises(KeyError):
        render("answer_user", question="q")
    with pytest.raises(ValueError):
        render("answer_system", extra="x")
    out = render("answer_user", sources='[1] T: {"json": [1]} costs $5', question="What is $x?", form="")
    assert out == 'Sources:\n[1] T: {"json": [1]} costs $5\n\nQuestion: What is $x?\n'  # values are inserted as is


def test_index_name_changes_with_vector_settings_only():
    a = Settings()
    assert a.index_name() == Settings(retrieval={"k": 9}).index_name()
    assert a.index_name() != Settings(chunking={"size_tokens": 100}).index_name()
    assert a.index_name() != Settings(embedder={"name": "/some/other/model"}).index_name()
    with pytest.raises(ValueError):
        Settings(retrieval={"nope": 1})


def test_name_index_points_at_papers_with_a_rare_name_only():
    from assistant.retrieve.names import NameIndex, name_tokens

    assert name_tokens("Does S3MA beat ColBERTv2 on ImageNet? Ask Bob about LASI.") == {"S3MA", "ColBERTv2", "ImageNet",
                                                                                  "LASI"}
    assert name_tokens("Who won the F1 title with a 3D GPU and LLMs?") == set()  # short acronyms name common things
    assert "CaSED" in name_tokens("a CaSED-like method")
    idx = NameIndex([("a", "We propose CaSED on ImageNet."), ("b", "ImageNet results."), ("c", "ImageNet again."),
                     ("d", "More ImageNet."), ("e", "Nothing named here.")], max_papers=3)
    assert idx.matches("What is CaSED?") == {"a"}
    assert idx.matches("Which papers use ImageNet?") == set()  # four papers carry it: not a pointer
    assert idx.matches("what is cased?") == set()  # names are case-sensitive


def test_a_word_capitalized_mid_sentence_or_a_quoted_run_is_read_as_a_name():
    from assistant.retrieve.names import capitalized_runs, capitalized_words, in_title, quoted, run_words, written_as_name

    assert capitalized_words("What is the Faiss library and what does its paper describe?") == {"Faiss"}
    assert capitalized_words("Faiss is what? Does it scale?") == set()  # a sentence's first word says nothing
    assert capitalized_words("Compare:\n- Faiss\n- Annoy") == set()  # nor a list item's
    assert capitalized_words("Was CaSED run on the Poincare\u0301 ball?") == {"Poincaré"}  # NFC; CaSED: name_tokens'
    assert capitalized_words("What do Ollivier-Ricci curvatures show?") == {"Ollivier", "Ricci"}
    assert in_title("Ricci", "Alignment through Ollivier-Ricci Curvature")
    assert not in_title("Commands", "Mapping Natural Language commands") and not in_title("Face", "Faces")
    assert written_as_name("Faiss", ["The Faiss library", "Faiss is a toolkit. Code: https://github.com/x/faiss"])
    assert not written_as_name("Commands", ["Mapping Natural Language Commands", "We map natural language commands"])
    assert quoted("How broad was 'From Bricks to Bridges'? And 'Mamba'?") == ["from bricks to bridges"]
    assert capitalized_runs("Is Vision Mamba fast? Diverse Beam Search, Mamba and the HL Dataset") == [
        "is vision mamba", "vision mamba", "diverse beam search", "beam search", "hl dataset"]
    assert quoted("Is \u2018Escaping Plato\u2019s Cave\u2019 right?") == [run_words("Escaping Plato's Cave: Towards")[:19]]
    assert run_words("Large-Scale Plato\u2019s") == run_words("large scale plato's") == "large scale plato"


def test_a_title_short_name_is_a_name_only_when_it_carries_capitals_and_only_as_written():
    from assistant.retrieve.names import title_name, title_name_keys

    assert title_name("HL Dataset: Grounding High-Level Linguistic Concepts in Vision") == "title:hl dataset"
    assert title_name("Computation-Efficient Era: A Survey") is None  # Title Case is not a name
    assert title_name("Representation Learning: A Review and New Perspectives") is None
    assert title_name("A Study of HL Captions") is None  # no colon: no short name
    assert title_name("PubMed 200k RCT: a Dataset") == "title:pubmed 200k rct"
    assert title_name("Far Too Many HL Words: A Title") is None  # a long lead-in is a description
    assert "title:hl dataset" in title_name_keys("What does the HL dataset contain?")
    assert "title:hl dataset" not in title_name_keys("what does the hl dataset contain?")
    assert "title:ufo" in title_name_keys("Does UFO's model beat it?")


def test_control_characters_and_terminal_colour_codes_are_removed_not_turned_into_word_breaks():
    from assistant.app import clean_question

    assert clean_question("sparse\x00 auto\x07encoders\x1b[31m features\x1b[0m", 100) == "sparse autoencoders features"
    assert clean_question("two\nlines\tand  spaces", 100) == "two lines and spaces"


def test_the_judge_starts_from_the_answers_cache_only_on_the_same_weights_and_as_configured():
    from pathlib import Path

    from assistant.answer.ask import judge_in_context

    class Judge:
        name, path = "llm", Path("m.gguf")

        def in_context(self, copy, messages, sources):
            return ("bound", copy)

        def first_source(self, copy, messages, sources, accept, reject):
            return ("first", copy, accept, reject)

    class Model:
        path = Path("m.gguf")

    on = Settings(verify={"in_context": True})
    bound, threshold, keep = judge_in_context(Judge(), 0.6, Model(), on, [], [])
    assert bound == ("bound", keep) and keep is not None and threshold == on.verify.llm_context_threshold
    default = Settings()  # the prefix shortcut for source [1], with the abstract judge's threshold
    bound, threshold, keep = judge_in_context(Judge(), 0.6, Model(), default, [], [])
    v = default.verify
    assert bound == ("first", keep, v.first_source_accept, v.first_source_reject) and keep is not None and threshold == 0.6
    other = Model()
    other.path = Path("other.gguf")
    off = Settings(verify={"first_source": False})
    for settings, model, yes_no in ((on, other, False), (default, other, False), (off, Model(), False),
                                    (default, Model(), True)):  # other weights; both off; a yes/no question
        judge = Judge()
        assert judge_in_context(judge, 0.6, model, settings, [], [], yes_no=yes_no) == (judge, 0.6, None)


def test_words_framing_a_question_to_the_collection_do_not_count_as_content():
    from assistant.retrieve.lexical import LexicalIndex

    index = LexicalIndex.build(["Neural architecture search: insights from 1000 papers", "State space models for vision",
                                "A collection of articles on publication bias"])
    rows = index.search("Which papers in the collection study state space models for vision?", 3)
    assert [r for r, _ in rows] == [1]  # "papers" and "collection" matched the other two titles before
    assert index.search("Which papers?", 3) == []
