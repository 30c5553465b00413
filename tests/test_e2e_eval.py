"""An end-to-end eval of a small subset with the real model: rows, resume, metrics, report with plots, compare."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.config import PROJECT_ROOT
from assistant.evaluate.generate import copied, generate

pytestmark = pytest.mark.slow


def subset(tmp_path):
    rows = [json.loads(x) for x in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text().splitlines()]
    pick = [next(r for r in rows if r["kind"] == k) for k in ("lookup", "multi", "unanswerable")]
    path = tmp_path / "subset.jsonl"
    path.write_text("".join(json.dumps({**r, "note": "unknown fields are ignored"}) + "\n" for r in pick))
    return path


def test_eval_subset_writes_rows_metrics_report_and_resumes(settings, indexed, tmp_path):
    q = subset(tmp_path)
    run = tmp_path / "run"
    base = ["--data-dir", str(settings.data_dir), "eval", "--questions", str(q), "--model", "fast"]
    r = CliRunner().invoke(main, [*base, "--out", str(run)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    assert [x["kind"] for x in rows] == ["lookup", "multi", "unanswerable"]
    for row in rows:
        assert {"id", "kind", "question", "gold", "retrieved", "answer", "citations", "refused", "timings",
                "usage"} <= set(row)
    metrics = json.loads((run / "metrics.json").read_text())
    overall = metrics["answers"]["overall"]
    assert overall["n"] == 3
    # the metrics say what the rows say
    assert overall["refusal_recall"] == (1.0 if rows[2]["refused"] else 0.0)
    assert overall["false_refusal_rate"] == sum(bool(x["refused"]) for x in rows[:2]) / 2
    assert overall["unanswerable_with_citation"] == (1 if rows[2]["citations"] else 0)
    answered = [x for x in rows[:2] if not x["refused"]]
    assert (overall["claim_citation_precision"] is None) == (not any(x["citations"] for x in answered))
    report = (run / "report.md").read_text()
    for png in ("scores_by_kind.png", "latency.png", "refusal_calibration.png"):
        assert (run / png).stat().st_size > 1000 and png in report
    # resume: a cut-off last line and a missing row are redone, finished rows are kept as they are
    lines = (run / "results.jsonl").read_text().splitlines()
    (run / "results.jsonl").write_text(lines[0] + "\n" + lines[1][:20])
    r = CliRunner().invoke(main, [*base, "--out", str(run)])
    assert r.exit_code == 0, r.output
    again = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    assert len(again) == 3 and again[0] == rows[0]
    # rescore without a model, and compare two runs
    r = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "eval", "--rescore", str(run)])
    assert r.exit_code == 0 and "claim_citation_precision" in r.output
    other = tmp_path / "other"
    shutil.copytree(run, other)
    r = CliRunner().invoke(main, ["eval", "--compare", str(run), str(other)])
    assert r.exit_code == 0 and "retrieval.hit@5" in r.output and "0 question(s) changed" in r.output
    # an outcome that changes shows up, with its question and both outcomes
    flipped = [dict(x) for x in again]
    flipped[2] = {**flipped[2], "refused": not flipped[2]["refused"], "citations": [] if not flipped[2]["refused"]
                  else ["A Concept-Centric Approach to Multi-Modality Learning"]}
    (other / "results.jsonl").write_text("".join(json.dumps(x) + "\n" for x in flipped))
    r = CliRunner().invoke(main, ["eval", "--compare", str(run), str(other)])
    assert r.exit_code == 0 and "1 question(s) changed" in r.output and f"| {flipped[2]['id']} |" in r.output


def test_generate_candidate_questions(indexed, fast_llm):
    papers = [p for p, _ in indexed.retriever.papers.values()]
    rows = list(generate(papers, fast_llm, 2))
    assert len(rows) == 2
    for row in rows:
        assert row["question"] and row["gold"][0] in {p.title for p in papers} and row["needs_review"]
        assert row["copies_title"] == round(copied(row["question"], row["gold"][0]), 2)
