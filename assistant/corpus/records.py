"""Turn raw fields into a Paper: stable ids, cleaned text, links found in the abstract.

    >>> make_paper({"title": " Attention  is all you need ", "abstract": "See https://x.org/a."}, "f:1").links
    ('https://x.org/a',)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from assistant.types import Paper

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_ARXIV_NEW = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5})(?:v\d+)?$", re.I)
_ARXIV_OLD = re.compile(r"^(?:arxiv:)?([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class RecordError(ValueError):
    """A record is unusable; the message says which field and why."""


def clean_text(value: Any) -> str:
    """Collapse whitespace, drop control characters, normalise unicode."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(_CONTROL.sub(" ", text).split())


def normalize_title(title: str) -> str:
    """Lower-case, letters and digits only: the key that detects duplicates."""
    text = unicodedata.normalize("NFKD", title).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def paper_id_for(raw_id: str | None, title: str) -> str:
    """The source's own id (arXiv ids normalised, versions dropped), else a hash of the title."""
    if raw_id:
        raw = clean_text(raw_id)
        for pattern in (_ARXIV_NEW, _ARXIV_OLD):
            m = pattern.match(raw)
            if m:
                return f"arxiv:{m.group(1)}"
        if raw:
            return raw
    return "t:" + hashlib.sha1(normalize_title(title).encode()).hexdigest()[:12]


def find_links(text: str) -> tuple[str, ...]:
    links = [u.rstrip(".,;:") for u in _URL.findall(text)]
    return tuple(dict.fromkeys(links))


def _authors(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(clean_text(a if not isinstance(a, (list, tuple)) else " ".join(reversed(a))) for a in value if a)
    parts = re.split(r"\s+and\s+|;|,\s*(?=[A-Z][^,]*\s)", clean_text(value))
    return tuple(p.strip() for p in parts if p.strip())


def _year(value: Any) -> int | None:
    if value in (None, ""):
        return None
    m = re.search(r"(1[89]\d\d|20\d\d)", str(value))
    if not m:
        raise RecordError(f"year {value!r} is not a year")
    return int(m.group(1))


def make_paper(fields: Mapping[str, Any], source: str) -> Paper:
    """Build a Paper from raw fields, or raise RecordError naming the problem."""
    title = clean_text(fields.get("title"))
    abstract = clean_text(fields.get("abstract"))
    if not title:
        raise RecordError("missing title")
    if not abstract:
        raise RecordError("missing abstract")
    return Paper(
        paper_id=paper_id_for(fields.get("id"), title),
        title=title,
        abstract=abstract,
        authors=_authors(fields.get("authors")),
        year=_year(fields.get("year")),
        url=clean_text(fields.get("url")) or None,
        venue=clean_text(fields.get("venue")) or None,
        links=find_links(abstract),
        source=source,
    )


def merge(papers: list[Paper]) -> tuple[list[Paper], int]:
    """Merge duplicates (same id or same normalised title); the first keeps its id, gaps filled from later ones."""
    by_key: dict[str, Paper] = {}
    alias: dict[str, str] = {}
    merged = 0
    for p in papers:
        key = alias.get(p.paper_id) or alias.get(normalize_title(p.title))
        if key is None:
            by_key[p.paper_id] = p
            alias[p.paper_id] = alias[normalize_title(p.title)] = p.paper_id
            continue
        merged += 1
        old = by_key[key]
        by_key[key] = Paper(
            paper_id=old.paper_id,
            title=old.title,
            abstract=old.abstract if len(old.abstract) >= len(p.abstract) else p.abstract,
            authors=old.authors or p.authors,
            year=old.year or p.year,
            url=old.url or p.url,
            venue=old.venue or p.venue,
            links=tuple(dict.fromkeys(old.links + p.links)),
            source=old.source,
        )
    return list(by_key.values()), merged
