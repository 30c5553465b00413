"""Shared fixtures: real Chroma, the real embedder, the real bundled collection, a real GGUF model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.config import PROJECT_ROOT
from assistant.index.embedding import load_embedder

FAST_MODEL = "qwen2.5-coder-0.5b"
# what the CLI's entry point sets (the library sets no environment): offline, no tokenizer fork warnings
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def embedder():
    return load_embedder(Settings().embedder)


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("assistant")


@pytest.fixture(scope="session")
def settings(session_dir) -> Settings:
    # answers come from the fast model; they are checked by the default verifier as a user gets it: the LLM
    # judge on the default model, whose threshold was chosen with that model
    return Settings(data_dir=session_dir / "data", models_dir=PROJECT_ROOT / "models",
                    verify={"llm_model": "default"})


@pytest.fixture(scope="session")
def indexed(settings, embedder) -> Assistant:
    """The bundled collection ingested once into a real Chroma store with the real embedder."""
    a = Assistant(settings, embedder=embedder, progress=False)
    a.ingest()
    return a


@pytest.fixture(scope="session")
def fast_llm(settings):
    from assistant.llm import load_llm

    try:
        return load_llm(settings, FAST_MODEL)
    except Exception as e:  # the Makefile installs it; say how when it is missing
        pytest.fail(f"{e} (run `assistant models install fast`)")


@pytest.fixture(scope="session")
def answering(settings, embedder, indexed, fast_llm) -> Assistant:
    return Assistant(settings, store=indexed.store, embedder=embedder, llm=fast_llm, progress=False)
