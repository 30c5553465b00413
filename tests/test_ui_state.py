"""The UI's state without a browser: which model it starts on, the models it keeps, the history it passes on."""

from __future__ import annotations

from assistant import Assistant, Settings
from assistant.answer.summarize import Summary
from assistant.llm.registry import MODELS
from assistant.types import Answer
from assistant.ui.app import Sessions, _conversation, model_choices

FAST, DEFAULT = "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"


def _settings(tmp_path, model: str, *installed: str) -> Settings:
    for name in installed:
        (tmp_path / MODELS[name].file).write_bytes(b"GGUF")
    return Settings(data_dir=tmp_path / "data", models_dir=tmp_path, llm={"model": model})


def test_the_ui_starts_on_the_model_the_cli_names_alias_or_file(tmp_path):
    s = _settings(tmp_path, "fast", DEFAULT, FAST)
    assert model_choices(s) == ([DEFAULT, FAST], FAST)  # "fast" is not silently the first installed model
    s = _settings(tmp_path, MODELS[FAST].file)
    assert model_choices(s)[1] == FAST
    (tmp_path / "mine.gguf").write_bytes(b"GGUF")
    assert model_choices(_settings(tmp_path, "mine.gguf")) == ([DEFAULT, FAST, "mine.gguf"], "mine.gguf")


def test_a_model_that_is_not_installed_stays_chosen(tmp_path):
    choices, start = model_choices(_settings(tmp_path, "tiny", DEFAULT))
    assert start == "smollm2-135m" and choices == ["smollm2-135m", DEFAULT]  # loading it says how to install it


def test_switching_back_reuses_the_first_models_assistant(tmp_path):
    s = _settings(tmp_path, "fast")
    base = Assistant(s, store=object(), embedder=object(), progress=False)  # type: ignore[arg-type]
    sessions = Sessions(s, base)
    other = sessions.get(DEFAULT)
    assert other is not base and other.store is base.store
    assert sessions.get(FAST) is base  # not a second copy of the same model
    assert sessions.get("fast") is base and sessions.get(DEFAULT) is other


def test_history_after_a_summary_uses_its_topic():
    answer = Answer(question="What is CaSED?", text="A classifier [1].", refused=False, citations=[], sources=[],
                    model="m")
    summary = Summary(topic="sparse autoencoders", text="They find features [1].", citations=[], sources=[],
                      considered=[], coverage={}, model="m")
    turns = _conversation([answer, summary], "What did they find?")
    assert [t.role for t in turns] == ["user", "assistant"] * 2 + ["user"]
    assert turns[0].text == "What is CaSED?" and "sparse autoencoders" in turns[2].text
    assert turns[3].text == "They find features [1]." and turns[4].text == "What did they find?"


def test_a_follow_up_in_the_ui_is_resolved_as_the_api_resolves_it():
    """The papers an answer cited travel with it, so "they" becomes the cited paper's title with no model call,
    and a question that stands alone is asked as it is (the model's rewrite once glued the last question on)."""
    from assistant.serve.conversation import AnswerMemory, resolve
    from assistant.types import Citation

    answer = Answer(question="What is DSIR?", text="DSIR selects data by importance resampling [1].", refused=False,
                    citations=[Citation(1, "p1", "Data Selection for Language Models via Importance Resampling", 0.9)],
                    sources=[], model="m")

    def ask(question: str):
        return resolve(_conversation([answer], question), memory=AnswerMemory(1), search=lambda s: None)

    turn = ask("How does it compare with expert-curated data?")
    assert turn.how == "cited-paper" and turn.history is None
    assert turn.question == ("How does Data Selection for Language Models via Importance Resampling compare with "
                             "expert-curated data?")
    alone = ask("Which other papers in the collection select data for training?")
    assert alone.how == "standalone" and alone.question == "Which other papers in the collection select data for training?"
