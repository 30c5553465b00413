"""One reader per corpus format. Each yields Paper or BadRecord (file and line named).

A file that cannot be read at all (missing, binary, wrong encoding, misaligned page
dump) raises CorpusError. Formats: pagedump (the bundled title/abstract dump), jsonl,
arxiv (the arXiv metadata snapshot, JSON lines), csv, bibtex.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bibtexparser

from assistant.corpus.records import RecordError, clean_text, make_paper
from assistant.errors import CorpusError
from assistant.types import BadRecord, Paper

Record = Paper | BadRecord

EXTENSIONS = {".txt": "pagedump", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "arxiv",
              ".csv": "csv", ".bib": "bibtex", ".bibtex": "bibtex"}
_BOILERPLATE_LINES = 2
_MAX_TITLE_CHARS = 400


def read_text(path: Path) -> str:
    """The file as text, or CorpusError saying why it is not readable text."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"cannot read {path}: {e.strerror or e}") from e
    if b"\x00" in data[:65536]:
        raise CorpusError(f"{path} looks binary (NUL bytes), not a text corpus file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CorpusError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[e.start]:02x}); convert it, e.g. iconv -f latin1 -t utf-8"
        ) from e


def _record(fields: dict[str, Any], path: Path, line: int) -> Record:
    try:
        return make_paper(fields, f"{path.name}:{line}")
    except RecordError as e:
        return BadRecord(str(path), line, str(e))


def read_pagedump(path: Path) -> Iterator[Record]:
    """Two boilerplate lines, then title and abstract lines alternating; blank lines ignored."""
    lines = [(i + 1, s.strip()) for i, s in enumerate(read_text(path).splitlines())][_BOILERPLATE_LINES:]
    lines = [(n, s) for n, s in lines if s]
    if lines and lines[0][1].startswith("Subscribe"):
        lines[0] = (lines[0][0], lines[0][1][len("Subscribe") :])
    for i in range(0, len(lines), 2):
        n, title = lines[i]
        if len(title) > _MAX_TITLE_CHARS:
            raise CorpusError(
                f"{path}:{n}: expected a title but found a {len(title)}-character line; "
                "a title or abstract line is missing just before it"
            )
        if i + 1 == len(lines):
            raise CorpusError(f"{path}:{n}: title {title[:60]!r} has no abstract line after it (odd line count)")
    for i in range(0, len(lines), 2):
        (n, title), (_, abstract) = lines[i], lines[i + 1]
        yield _record({"title": title, "abstract": abstract}, path, n)


def _json_lines(path: Path, normalize: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[Record]:
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield BadRecord(str(path), n, f"invalid JSON: {e.msg}")
            continue
        if not isinstance(obj, dict):
            yield BadRecord(str(path), n, "expected a JSON object")
            continue
        yield _record(normalize(obj), path, n)


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def _arxiv(obj: dict[str, Any]) -> dict[str, Any]:
    aid = clean_text(obj.get("id"))
    return {
        "id": f"arxiv:{aid}" if aid else None,
        "title": obj.get("title"),
        "abstract": obj.get("abstract"),
        "authors": obj.get("authors_parsed") or obj.get("authors"),
        "year": obj.get("year") or (obj.get("update_date") or "")[:4] or None,
        "url": obj.get("url") or (f"https://arxiv.org/abs/{aid}" if aid else None),
        "venue": obj.get("journal-ref") or obj.get("categories"),
    }


def read_jsonl(path: Path) -> Iterator[Record]:
    return _json_lines(path, _plain)


def read_arxiv(path: Path) -> Iterator[Record]:
    return _json_lines(path, _arxiv)


def read_csv(path: Path) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    if not reader.fieldnames or not {"title", "abstract"} <= {f.strip().lower() for f in reader.fieldnames}:
        raise CorpusError(f"{path}: CSV needs a header row with at least 'title' and 'abstract' columns")
    for row in reader:
        fields = {(k or "").strip().lower(): v for k, v in row.items()}
        yield _record(fields, path, reader.line_num)


def read_bibtex(path: Path) -> Iterator[Record]:
    library = bibtexparser.parse_string(read_text(path))
    for block in library.failed_blocks:
        yield BadRecord(str(path), (block.start_line or 0) + 1, f"unparseable BibTeX: {getattr(block, 'error', block)}")
    for entry in library.entries:
        f = {k.lower(): v for k, v in entry.fields_dict.items()}
        fields = {name: f[name].value.replace("{", "").replace("}", "") if name in f else None
                  for name in ("title", "abstract", "author", "year", "url", "journal", "booktitle", "eprint", "doi")}
        fields["id"] = fields["eprint"] or (f"doi:{fields['doi']}" if fields["doi"] else None)
        fields["authors"] = fields.pop("author")
        fields["venue"] = fields["journal"] or fields["booktitle"]
        yield _record(fields, path, (entry.start_line or 0) + 1)


READERS: dict[str, Callable[[Path], Iterator[Record]]] = {
    "pagedump": read_pagedump,
    "jsonl": read_jsonl,
    "arxiv": read_arxiv,
    "csv": read_csv,
    "bibtex": read_bibtex,
}


def detect_format(path: Path) -> str:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise CorpusError(f"{path}: unknown extension; pass --format with one of {', '.join(READERS)}")
    return fmt
