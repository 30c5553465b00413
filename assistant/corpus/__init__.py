"""Papers in: read corpus files of any supported format, merge duplicates, report bad records."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from assistant.corpus.formats import READERS, detect_format
from assistant.corpus.records import merge
from assistant.errors import CorpusError
from assistant.types import BadRecord, Paper

__all__ = ["LoadResult", "bundled_path", "load_papers"]


def bundled_path() -> Path:
    """The bundled default collection (231 papers) shipped inside the package."""
    return Path(str(resources.files("assistant.corpus") / "data" / "papers.txt"))


@dataclass
class LoadResult:
    papers: list[Paper] = field(default_factory=list)
    bad: list[BadRecord] = field(default_factory=list)
    duplicates: int = 0

    def summary(self) -> str:
        return f"{len(self.papers)} papers, {len(self.bad)} bad records skipped, {self.duplicates} duplicates merged"


def load_papers(paths: list[Path] | None = None, fmt: str | None = None) -> LoadResult:
    """Read every file (the bundled collection when none are given) and merge duplicates.

    Raises:
        CorpusError: a file is missing, unreadable, or of an unknown format.
    """
    if fmt is not None and fmt not in READERS:
        raise CorpusError(f"unknown format {fmt!r}; choose one of {', '.join(READERS)}")
    result = LoadResult()
    found: list[Paper] = []
    for path in paths or [bundled_path()]:
        path = Path(path)
        if not path.is_file():
            raise CorpusError(f"{path}: no such file")
        for record in READERS[fmt or detect_format(path)](path):
            if isinstance(record, BadRecord):
                result.bad.append(record)
            else:
                found.append(record)
    result.papers, result.duplicates = merge(found)
    return result
