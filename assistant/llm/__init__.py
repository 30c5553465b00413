"""LLM backends behind one interface: llama.cpp in-process, or an OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.llm.base import LLM, Usage, complete
from assistant.llm.registry import resolve, spec_for

__all__ = ["LLM", "Usage", "complete", "load_llm"]


def load_llm(settings: Settings, model: str | None = None) -> LLM:
    """The backend the settings ask for; a local model is checked (sha256) before it loads."""
    name = model or settings.llm.model
    if settings.llm.server_url:
        from assistant.llm.server import OpenAIServerLLM

        return OpenAIServerLLM(settings.llm.model_copy(update={"model": name}))
    from assistant.llm.llamacpp import LlamaCppLLM

    path: Path = resolve(name, settings.models_dir)
    spec = spec_for(name)
    return LlamaCppLLM(path, settings.llm, name=spec.name if spec else path.stem)
