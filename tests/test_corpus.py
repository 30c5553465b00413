import json
from pathlib import Path

import pytest

from assistant.corpus import bundled_path, load_papers
from assistant.corpus.records import merge, paper_id_for
from assistant.errors import CorpusError


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_bundled_collection_parses_all_231_papers():
    r = load_papers()
    assert len(r.papers) == 231 and not r.bad and r.duplicates == 0
    assert r.papers[0].title == "A Concept-Centric Approach to Multi-Modality Learning"
    assert r.papers[-1].title == "Mapping Natural Language Commands to Web Elements"
    assert bundled_path().is_file()
    assert any("https://github.com/MzeroMiko/VMamba" in p.links for p in r.papers)


def test_pagedump_blank_lines_and_subscribe(tmp_path):
    p = write(tmp_path, "d.txt", "boiler 1\nboiler 2\nSubscribeTitle One\nAbstract one.\n\n\nTitle Two\nAbstract two.\n\n")
    titles = [x.title for x in load_papers([p]).papers]
    assert titles == ["Title One", "Title Two"]


def test_pagedump_odd_line_count_names_the_line(tmp_path):
    p = write(tmp_path, "d.txt", "b\nb\nT1\nA1.\nT2\n")
    with pytest.raises(CorpusError, match=r"d.txt:5"):
        load_papers([p])


def test_pagedump_misaligned_names_the_line(tmp_path):
    long = "x " * 300
    p = write(tmp_path, "d.txt", f"b\nb\nT1\n{long}\n{long}\nT2\n")
    with pytest.raises(CorpusError, match=r"d.txt:5.*missing"):
        load_papers([p])


def test_jsonl_bad_records_are_named_and_the_rest_ingested(tmp_path):
    lines = [json.dumps({"title": "Good", "abstract": "Fine.", "id": "2401.00001v2", "year": 2024}),
             "{not json", json.dumps({"title": "No abstract"}), json.dumps(["a list"]),
             json.dumps({"title": "Bad year", "abstract": "A.", "year": "soon"}),
             json.dumps({"title": "Other", "abstract": "B.", "authors": ["A B", "C D"]})]
    r = load_papers([write(tmp_path, "c.jsonl", "\n".join(lines))])
    assert [p.title for p in r.papers] == ["Good", "Other"]
    assert r.papers[0].paper_id == "arxiv:2401.00001" and r.papers[0].year == 2024
    assert [(b.line, b.reason.split(":")[0]) for b in r.bad] == [
        (2, "invalid JSON"), (3, "missing abstract"), (4, "expected a JSON object"), (5, "year 'soon' is not a year")]
    assert all(str(b).startswith(str(tmp_path / "c.jsonl")) for b in r.bad)


def test_arxiv_snapshot(tmp_path):
    row = {"id": "0704.0001", "title": "Calculation of\n  prompt diphoton", "abstract": "  A fully\n differential.",
           "authors": "C. Balázs, E. L. Berger", "categories": "hep-ph", "update_date": "2008-11-13"}
    [p] = load_papers([write(tmp_path, "arxiv-metadata-oai-snapshot.json", json.dumps(row))]).papers
    assert (p.paper_id, p.title, p.year, p.venue) == ("arxiv:0704.0001", "Calculation of prompt diphoton", 2008, "hep-ph")
    assert p.url == "https://arxiv.org/abs/0704.0001"


def test_csv_and_format_override(tmp_path):
    p = write(tmp_path, "c.data", 'title,abstract,year\n"T, with comma","Abs one.",2020\nT2,,2021\n')
    r = load_papers([p], fmt="csv")
    assert [x.title for x in r.papers] == ["T, with comma"] and r.bad[0].line == 3
    with pytest.raises(CorpusError, match="unknown extension"):
        load_papers([p])


def test_csv_without_header_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="header"):
        load_papers([write(tmp_path, "c.csv", "a,b\n1,2\n")])


def test_bibtex(tmp_path):
    bib = ("@article{k1, title={{Deep} Nets}, abstract={We study {nets}.}, author={Doe, Jane and Roe, Rick},"
           " year={2019}, eprint={1901.00002}}\n@article{k2, title={No abstract here}}\n@article{broken, title={x\n")
    r = load_papers([write(tmp_path, "refs.bib", bib)])
    [p] = r.papers
    assert (p.title, p.abstract, p.paper_id, p.year) == ("Deep Nets", "We study nets.", "arxiv:1901.00002", 2019)
    assert len(r.bad) == 2 and any("missing abstract" in b.reason for b in r.bad)


@pytest.mark.parametrize("content,match", [
    (b"\x00\x01\x02binary\x00", "binary"),
    ("title,abstract\nCaf\xe9,x\n".encode("latin-1"), "not UTF-8"),
])
def test_unreadable_files_are_errors(tmp_path, content, match):
    with pytest.raises(CorpusError, match=match):
        load_papers([write(tmp_path, "x.csv", content)])


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        load_papers([tmp_path / "nope.jsonl"])
    assert load_papers([write(tmp_path, "e.jsonl", "")]).papers == []


def test_duplicates_merge_by_id_and_title(tmp_path):
    rows = [{"title": "Same Paper", "abstract": "Short."}, {"title": "same  paper!", "abstract": "Longer abstract.",
                                                             "year": 2020}, {"id": "x1", "title": "A", "abstract": "a"},
            {"id": "x1", "title": "A again", "abstract": "a", "url": "http://u"}]
    r = load_papers([write(tmp_path, "d.jsonl", "\n".join(json.dumps(x) for x in rows))])
    assert r.duplicates == 2 and len(r.papers) == 2
    same = r.papers[0]
    assert same.abstract == "Longer abstract." and same.year == 2020
    assert r.papers[1].url == "http://u"
    assert merge([])[0] == []


def test_huge_abstract_and_control_characters(tmp_path):
    row = {"title": "Big\x07 one", "abstract": "Word. " * 50_000}
    [p] = load_papers([write(tmp_path, "b.jsonl", json.dumps(row))]).papers
    assert p.title == "Big one" and len(p.abstract) > 200_000


def test_ids_are_stable():
    assert paper_id_for(None, "A Title!") == paper_id_for(None, "a   title")
    assert paper_id_for("hep-th/9901001v3", "x") == "arxiv:hep-th/9901001"


EVAL = Path(__file__).parent.parent / "eval"


@pytest.mark.parametrize("name", sorted(p.name for p in EVAL.glob("questions*.jsonl")))
def test_every_eval_question_names_real_papers_and_quotes_its_evidence_verbatim(name):
    # the claim scores read gold evidence as exact abstract sentences: a paraphrase there would score as a miss
    from assistant.evaluate.questions import load_questions

    own = EVAL / name.replace("questions", "corpus")  # a set over a collection of its own (PubMed style)
    papers = {p.title: p for p in load_papers([own] if own.is_file() else None).papers}
    questions = load_questions(EVAL / name)
    assert questions
    for q in questions:
        assert set(q.gold) <= set(papers), q.id
        for quotes in q.fact_evidence:
            assert all(any(e in papers[g].abstract for g in q.gold) for e in quotes), q.id
