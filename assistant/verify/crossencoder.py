"""A cross-encoder that reads (abstract window, claim) and says whether the window states the claim.

Fine-tuned here from all-MiniLM-L6-v2 on synthetic pairs made from the bundled corpus
(eval/verifier_data.py, the MiniCheck recipe: faithful rewrites against hard negatives such
as polarity flips, changed numbers, swapped names, sentences of the nearest other paper),
by eval/train_verifier.py; `make verifier` builds it into <models_dir>/verifier-minilm.

A claim is scored against every window of the abstract (each sentence, each run of two and
three adjacent sentences, the title prefixed to each) and keeps its best window's score:
a claim may rest on one sentence, or join two. All (window, claim) pairs of one call go
through the model in one predict call; a paper's windows are cached.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import ModelError
from assistant.index.chunking import split_sentences
from assistant.types import Paper

if TYPE_CHECKING:
    from assistant.verify.base import Support

VERIFIER_DIR = "verifier-minilm"
MANIFEST = "manifest.json"
BUILD_COMMAND = "make verifier"
MAX_LENGTH = 256  # tokens of window + claim; a title and three sentences fit


def window_text(title: str, sentences: list[str]) -> str:
    """What the model reads as the premise: the title, then the window's sentences."""
    body = " ".join(sentences)
    return f"{title}\n{body}" if title else body


def windows(paper: Paper, max_size: int = 3) -> list[str]:
    """Each sentence of the abstract, then each run of 2..max_size adjacent sentences, title prefixed.

    >>> windows(Paper("p", "T", "A one. B two. C three."), 2)
    ['T\\nA one.', 'T\\nB two.', 'T\\nC three.', 'T\\nA one. B two.', 'T\\nB two. C three.']
    """
    sents = split_sentences(paper.abstract)
    if not sents:
        return [paper.title]
    out = []
    for n in range(1, max_size + 1):
        out += [window_text(paper.title, sents[i:i + n]) for i in range(len(sents) - n + 1)]
    return out


def default_path(models_dir: Path | None = None) -> Path:
    if models_dir is None:
        from assistant.config import Settings

        models_dir = Settings().models_dir
    return Path(models_dir) / VERIFIER_DIR


class CrossEncoderJudge:
    """P(the paper's title + abstract states the claim), from the fine-tuned MiniLM cross-encoder."""

    name = "crossencoder"

    def __init__(self, path: Path | None = None, *, models_dir: Path | None = None, device: str = "cpu",
                 batch_size: int = 32, max_window: int = 3) -> None:
        self.path = Path(path) if path is not None else default_path(models_dir)
        manifest = self.path / MANIFEST
        if not manifest.is_file():  # written last by the trainer: no manifest, no finished model
            raise ModelError(f"the verifier model is not built (no {manifest}); run `{BUILD_COMMAND}` "
                             "(trains it on the CPU in a few minutes)")
        from sentence_transformers import CrossEncoder

        self.manifest = json.loads(manifest.read_text())
        try:
            self.model = CrossEncoder(str(self.path), device=device, local_files_only=True, max_length=MAX_LENGTH)
        except Exception as e:  # a half-copied or foreign folder
            raise ModelError(f"cannot load the verifier from {self.path} ({e}); delete it and run `{BUILD_COMMAND}`") from e
        self.batch_size = batch_size
        self.max_window = max_window
        self._windows: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def windows(self, paper: Paper) -> list[str]:
        with self._lock:
            key = f"{paper.paper_id}\x00{paper.title}\x00{paper.abstract}"
            if key not in self._windows:
                self._windows[key] = windows(paper, self.max_window)
            return self._windows[key]

    def best(self, claims: list[str], paper: Paper) -> list[tuple[float, str]]:
        """Per claim: the best window's probability and that window (title line removed)."""
        if not claims:
            return []
        wins = self.windows(paper)
        pairs = [(w, c) for c in claims for w in wins]
        probs = np.asarray(self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False,
                                              convert_to_numpy=True), dtype=np.float64)
        out = []
        for i in range(len(claims)):
            row = probs[i * len(wins):(i + 1) * len(wins)]
            j = int(row.argmax())
            out.append((float(row[j]), wins[j].split("\n", 1)[-1]))
        return out

    def scores(self, claims: list[str], paper: Paper) -> list[float]:
        """Per claim, the probability in [0, 1] that the paper's title and abstract state it."""
        return [s for s, _ in self.best(claims, paper)]

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        """The Verifier seam (assistant.verify.base): score and the window it rests on."""
        from assistant.verify.base import Support

        return [Support(s, w) for s, w in self.best(claims, paper)]
