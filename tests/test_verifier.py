"""The cross-encoder verifier: its windows, its training data's rules, and the real trained model on real abstracts.

The slow tests use papers at bundled positions i % 3 == 0, which the training data never
contains (eval/verifier_data.py), with claims written by hand.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.corpus import load_papers
from assistant.errors import ModelError
from assistant.types import Paper
from assistant.verify.crossencoder import CrossEncoderJudge, windows


def _load_eval(name: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "eval" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


data = _load_eval("verifier_data")


def test_windows_are_sentences_and_runs_with_the_title():
    w = windows(Paper("p", "T", "A one. B two. C three."))
    assert w == ["T\nA one.", "T\nB two.", "T\nC three.", "T\nA one. B two.", "T\nB two. C three.",
                 "T\nA one. B two. C three."]
    assert windows(Paper("p", "Only a title", "")) == ["Only a title"]


def test_a_missing_model_says_how_to_build_it(tmp_path: Path):
    with pytest.raises(ModelError, match="make verifier"):
        CrossEncoderJudge(tmp_path / "verifier-minilm")


def test_training_data_never_uses_the_held_out_papers():
    papers = load_papers(None).papers
    held = {p.paper_id for i, p in enumerate(papers, 1) if i % 3 == 0}
    held_text = [p.abstract for p in papers if p.paper_id in held]
    rows = [json.loads(line) for line in data.OUT.read_text().splitlines()]
    assert len(rows) > 2000
    assert not {r["paper"] for r in rows} & held
    assert not {r["source"].split(":", 1)[1] for r in rows if r["source"].startswith(("nearest:", "other:"))} & held
    claims = {r["claim"] for r in rows}
    assert not any(s in c for s in (held_text[0][:80], held_text[1][:80]) for c in claims)
    labels = [r["label"] for r in rows]
    assert labels.count(1) == labels.count(0)
    assert {r["split"] for r in rows} == {"train", "val"}


def test_negative_rules():
    flipped = {t for _, t in data.flips("Our model outperforms the baseline and requires no labels.")}
    assert "Our model underperforms the baseline and requires no labels." in flipped
    assert "Our model outperforms the baseline and does not require no labels." not in flipped
    assert "Our model outperforms the baseline and requires labels." in flipped
    assert "Our model fails to outperform the baseline and requires no labels." in flipped
    assert not any("not nowhere" in t for _, t in data.flips("The space is nowhere close to mapped."))
    import random

    changed = data.change_number("It gains 5.6% on ImageNet with 1.3G FLOPs.", "gains 5.6% on ImageNet", random.Random(0))
    assert changed and "5.6%" not in changed and "1.3G" in changed
    assert data.change_number("See (2) Prototypable.", "", random.Random(0)) is None  # an enumerator, not a figure


def test_positive_rewrites():
    assert data.this_paper("We propose a new method for search.", "T") == "This paper proposes a new method for search."
    assert data.this_paper("We also study our losses.", "T") == "This paper also studies its losses."
    assert data.this_paper("We think we can.", "T") is None
    assert data.shorten("We analyse perception and memory, using mathematical models for knowledge graphs and tensors, "
                        "to gain insights into the mind.") == \
        "We analyse perception and memory, using mathematical models for knowledge graphs and tensors."
    assert data.yes("We propose X.") == "Yes, we propose X."
    assert data.yes("LLMs fail.") == "Yes, LLMs fail."


# ------------------------------------------------------------------ the real trained model

def _paper(title_start: str) -> Paper:
    papers = load_papers(None).papers
    i, paper = next((i, p) for i, p in enumerate(papers, 1) if p.title.startswith(title_start))
    assert i % 3 == 0, "test papers must come from the held-out third"
    return paper


CASES = {  # paper: (faithful paraphrase, polarity flip, number swap)
    "LocalMamba": (
        "LocalMamba beats Vim-Ti by 3.1% on ImageNet at the same 1.5G FLOPs.",
        "Our model significantly underperforms Vim-Ti on ImageNet with the same 1.5G FLOPs.",
        "Our model significantly outperforms Vim-Ti by 7.4% on ImageNet with the same 1.5G FLOPs.",
    ),
    "CL2R": (
        "On standard benchmark datasets, the CL2R training procedure beats alternative baselines and state-of-the-art "
        "methods.",
        "Extensive experiments on standard benchmark datasets show that the CL2R training procedure does not "
        "outperform alternative baselines.",
        "Experiments on 14 standard benchmark datasets show that CL2R outperforms alternative baselines.",
    ),
    "UFO": (
        "After multi-task training on five perception datasets, UFO beats the previous best generalist models by "
        "12.3 mAP on COCO instance segmentation.",
        "UFO underperforms the previous state-of-the-art generalist models on COCO instance segmentation.",
        "UFO outperforms the previous state-of-the-art generalist models by 21.3 mAP on COCO instance segmentation.",
    ),
    "Diverse Beam Search": (
        "Diverse Beam Search finds better top-1 solutions than beam search by balancing exploration and exploitation.",
        "Diverse Beam Search finds worse top-1 solutions than beam search.",
        "Diverse Beam Search is evaluated on seven tasks: image captioning, machine translation and visual "
        "question generation.",
    ),
}


@pytest.fixture(scope="module")
def judge() -> CrossEncoderJudge:
    try:
        return CrossEncoderJudge()
    except ModelError as e:
        pytest.fail(str(e))


# Wrong on the committed model (2 epochs, val accuracy 0.91 on synthetic pairs): kept as strict xfails so
# the misses stay visible and a better model that fixes one fails the run until this list is updated.
KNOWN_MISSES = {("LocalMamba", "flip"): 0.97, ("CL2R", "flip"): 0.73, ("UFO", "paraphrase"): 0.28}


def _cases():
    for name, claims in CASES.items():
        for kind, claim in zip(("paraphrase", "flip", "number"), claims, strict=True):
            marks = [pytest.mark.slow]
            if (name, kind) in KNOWN_MISSES:
                marks.append(pytest.mark.xfail(strict=True, reason=f"scores {KNOWN_MISSES[name, kind]}"))
            yield pytest.param(name, kind, claim, marks=marks, id=f"{name}-{kind}")


@pytest.mark.parametrize(("name", "kind", "claim"), list(_cases()))
def test_real_verifier_on_held_out_abstracts(judge, name, kind, claim):
    (score,) = judge.scores([claim], _paper(name))
    if kind == "paraphrase":
        assert score > 0.5, (name, kind, score)
    else:
        assert score < 0.5, (name, kind, score)


@pytest.mark.slow
def test_real_verifier_support_names_its_window(judge):
    paper = _paper("LocalMamba")
    (best,) = judge.support(["Our model outperforms Vim-Ti by 3.1% on ImageNet."], paper)
    assert best.score > 0.5 and "3.1%" in best.evidence
    assert judge.scores([], paper) == []


@pytest.mark.slow
def test_real_verifier_manifest_matches_the_committed_data(judge):
    train = _load_eval("train_verifier")
    assert judge.manifest["data_sha256"] == train.sha256_file(train.DATA), "run `make verifier`"
    assert judge.manifest["weights_sha256"] == train.sha256_file(judge.path / "model.safetensors")
