"""Sentence-aware chunking counted in tiktoken tokens.

Sentences are packed into chunks of at most `size_tokens`; each new chunk starts with
the trailing sentences of the previous one, up to `overlap_tokens`. A sentence longer
than a chunk is cut at token boundaries.

    >>> from assistant.types import Paper
    >>> paper = Paper(paper_id="arxiv:2401.00001", title="T",
    ...               abstract="We add one layer to the model. It helps a lot. Results improve on all tasks.")
    >>> for c in chunk_paper(paper, ChunkingSettings(size_tokens=16, overlap_tokens=5)):
    ...     print(c.chunk_id, c.text)
    arxiv:2401.00001#0 We add one layer to the model. It helps a lot.
    arxiv:2401.00001#1 It helps a lot. Results improve on all tasks.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tiktoken

from assistant.config import ChunkingSettings
from assistant.types import Chunk, Paper

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]\*\*))\s+(?=[\"'\u201c\u2018(\[*]*[A-Z0-9])|\n+")


def split_sentences(text: str) -> list[str]:
    """Split on ., ! or ? followed by space and a capital or digit, maybe after an opening quote or bracket
    ('e.g. the' stays whole)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


@lru_cache(maxsize=4)
def encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def _pieces(sentences: list[str], enc: tiktoken.Encoding, size: int) -> list[tuple[str, int]]:
    """(text, tokens) per sentence; sentences over `size` tokens are cut into pieces."""
    out: list[tuple[str, int]] = []
    for s in sentences:
        toks = enc.encode(s, disallowed_special=())
        if len(toks) <= size:
            out.append((s, len(toks)))
            continue
        for i in range(0, len(toks), size):
            part = toks[i : i + size]
            out.append((enc.decode(part).strip(), len(part)))
    return out


def chunk_text(text: str, settings: ChunkingSettings) -> list[str]:
    """The text as chunks of whole sentences within the token budget, with sentence overlap."""
    enc = encoding(settings.encoding)
    pieces = _pieces(split_sentences(text), enc, settings.size_tokens)
    chunks: list[str] = []
    start = 0
    while start < len(pieces):
        end, used = start, 0
        while end < len(pieces) and used + pieces[end][1] <= settings.size_tokens:
            used += pieces[end][1]
            end += 1
        end = max(end, start + 1)
        chunks.append(" ".join(p[0] for p in pieces[start:end]))
        if end >= len(pieces):
            break
        back, overlap = end, 0
        while back - 1 > start and overlap + pieces[back - 1][1] <= settings.overlap_tokens:
            back -= 1
            overlap += pieces[back][1]
        start = back
    return chunks


def chunk_paper(paper: Paper, settings: ChunkingSettings) -> list[Chunk]:
    return [
        Chunk(chunk_id=f"{paper.paper_id}#{i}", paper_id=paper.paper_id, title=paper.title, text=t, position=i)
        for i, t in enumerate(chunk_text(paper.abstract, settings))
    ]


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: the paper's title with the chunk's text."""
    return f"{chunk.title}\n{chunk.text}"
