"""Verify: does a paper state a claim? Judges behind one interface (base.Verifier).

- llm: the answering model asked yes/no, read from its logits (the default: best held-out F0.5);
- crossencoder: MiniLM fine-tuned here on synthetic pairs from the corpus;
- overlap: embedding similarity plus IDF-weighted word overlap.
eval/bench_verifiers.py compares them on hand-labelled pairs.
"""

from __future__ import annotations

from typing import Any

from assistant.config import Settings
from assistant.verify.base import Support, Verifier

__all__ = ["Support", "Verifier", "load_verifier"]


def load_verifier(settings: Settings, *, judge: Any = None, name: str | None = None) -> Verifier:
    """The judge the settings name; `judge` is the EmbeddingJudge the overlap judge wraps."""
    kind = name or settings.verify.judge
    if kind == "overlap":
        from assistant.verify.overlap import OverlapVerifier

        return OverlapVerifier(judge)
    if kind == "llm":
        from assistant.llm.registry import resolve
        from assistant.verify.llm_judge import LLMVerifier

        path = resolve(settings.verify.llm_model or settings.llm.model, settings.models_dir)
        return LLMVerifier(path, n_threads=settings.llm.n_threads, n_gpu_layers=settings.llm.n_gpu_layers)
    from assistant.verify.crossencoder import CrossEncoderJudge

    return CrossEncoderJudge(settings.verify.crossencoder_path, models_dir=settings.models_dir,
                             device=settings.embedder.device)
