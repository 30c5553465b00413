"""The lexical side of the index kept on disk, so start-up does not grow with the collection.

A snapshot holds the BM25 arrays (memory-mapped when opened), the row table (BM25 row ->
paper row and chunk position) and the rare names of each paper (assistant.retrieve.names).
Chunk texts stay in Chroma and are fetched by id for the few rows a query hits.

It is keyed on what it was built from: the format, the tokenizer (lexical.TOKENIZER), the
store's generation token (changed before and after every write, see Store.generation) and its
paper and chunk counts; a store without a generation is keyed on a fingerprint of every
committed (paper id, content hash) instead. A snapshot whose key differs is rebuilt; one whose
files fail their size or CRC check is rebuilt too, with a warning. Writes go to a fresh
directory and a pointer file (CURRENT) is swapped atomically, so a reader never sees half a
snapshot and a process still using the old arrays keeps them.

Not a goal: updating a snapshot in place. An ingest that changes papers costs one rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from assistant.config import Settings
from assistant.errors import IndexCorruptError
from assistant.index.store import Store
from assistant.retrieve.lexical import TOKENIZER, LexicalIndex
from assistant.retrieve.names import MAX_NAME_PAPERS, name_tokens, run_words, title_name, title_name_keys

log = logging.getLogger(__name__)
FORMAT = 3  # 2: title names; 3: title keys (names.run_words, sorted) for quoted titles
_PAGE = 5000
_MAX_NAME = 64
TITLE_KEY_BYTES = 96  # a quoted run is matched on its first 96 bytes: longer ones name one paper all the same
_MAX_CHUNKS = 64  # rows per paper assumed when a word's postings are too many for it to name a few papers


def snapshot_root(settings: Settings) -> Path:
    """Beside the Chroma directory (`<store>-bm25/<index>`), or for a server in the data dir keyed by its URL."""
    name = settings.index_name()
    url = settings.store.chroma_url
    if url:
        return settings.data_dir / "bm25" / hashlib.sha256(url.encode()).hexdigest()[:12] / name
    store = settings.store_path
    return store.with_name(store.name + "-bm25") / name


def content_fingerprint(committed: dict[str, str]) -> str:
    """sha256 over the sorted (paper id, content hash) pairs: equal exactly when the committed papers are."""
    h = hashlib.sha256()
    for pid in sorted(committed):
        h.update(f"{pid}\t{committed[pid]}\n".encode())
    return h.hexdigest()


def current_key(store: Store) -> dict[str, Any]:
    """What a snapshot must have been built from to be used now (cheap unless the store has no generation)."""
    gen = store.generation()
    key: dict[str, Any] = {"format": FORMAT, "tokenizer": TOKENIZER, "index": store.name, "generation": gen,
                           "papers": store.paper_count(), "chunks": store.chunk_count()}
    if gen is None:
        key["content"] = content_fingerprint({pid: h for pid, (h, _) in store.committed().items()})
    return key


@dataclass
class Snapshot:
    """An opened snapshot: BM25, row -> (paper row, position), paper ids and hashes, rare names."""

    lexical: LexicalIndex
    chunk_paper: np.ndarray  # int32, one per BM25 row
    chunk_pos: np.ndarray  # int32
    paper_ids: np.ndarray  # bytes (S), one per paper row
    paper_hashes: np.ndarray  # bytes (S)
    names: np.ndarray  # sorted bytes (S)
    name_papers: np.ndarray  # int32 (len(names), MAX_NAME_PAPERS), -1 padded
    title_keys: np.ndarray  # sorted bytes (S): each title's run_words, cut at TITLE_KEY_BYTES
    title_rows: np.ndarray  # int32: the paper row of each title key
    manifest: dict[str, Any]

    def row(self, row: int) -> tuple[str, int, str]:
        """(paper id, chunk position, paper hash) of a BM25 row."""
        p = int(self.chunk_paper[row])
        return self.paper_ids[p].decode(), int(self.chunk_pos[row]), self.paper_hashes[p].decode()

    def name_matches(self, query: str) -> set[str]:
        """Papers carrying a name of the query that at most MAX_NAME_PAPERS papers carry, or whose title's short
        name the query uses (see assistant.retrieve.names)."""
        out: set[str] = set()
        for n in name_tokens(query) | title_name_keys(query):
            b = n.encode()
            i = int(np.searchsorted(self.names, b))
            if i < len(self.names) and self.names[i] == b:
                out |= {self.paper_ids[p].decode() for p in self.name_papers[i] if p >= 0}
        return out

    def word_papers(self, word: str, most: int) -> set[str] | None:
        """Paper ids whose title or text holds the word (any case), or None when more than `most` papers do (then
        no ids are decoded, and a word with very many rows is not even counted)."""
        rows = self.lexical.rows_with(word)
        if len(rows) > most * _MAX_CHUNKS:
            return None
        papers = np.unique(self.chunk_paper[rows])
        return None if len(papers) > most else {self.paper_ids[p].decode() for p in papers}

    def titles_starting(self, run: str, most: int) -> set[str] | None:
        """Paper ids whose title's words (names.run_words) begin with the run's, or None when more than `most` do."""
        key = run.encode()[:TITLE_KEY_BYTES]
        i = int(np.searchsorted(self.title_keys, key))
        out: set[str] = set()
        while i < len(self.title_keys) and self.title_keys[i].startswith(key):
            t = self.title_keys[i]
            if len(key) == TITLE_KEY_BYTES or len(t) == len(key) or t[len(key): len(key) + 1] == b" ":
                if len(out) == most:
                    return None
                out.add(self.paper_ids[int(self.title_rows[i])].decode())
            i += 1
        return out


# ---- building ---------------------------------------------------------------------------
def build(store: Store, root: Path) -> Snapshot:
    """Read the committed index from the store, write a snapshot under `root`, make it current, open it."""
    t0 = time.perf_counter()
    key = current_key(store)  # read before the content: a write after this point changes the generation
    committed: dict[str, str] = {}
    names: dict[str, set[int]] = {}
    titles: list[str] = []
    for ids, docs, metas in store._pages(store.papers_col, ["metadatas", "documents"]):
        for pid, doc, m in zip(ids, docs, metas, strict=True):
            row = len(committed)
            committed[pid] = m["hash"]
            titles.append(m["title"])
            short = title_name(m["title"])
            for n in name_tokens(f"{m['title']}\n{doc}") | ({short} if short else set()):
                if len(n) <= _MAX_NAME and len(names.setdefault(n, set())) <= MAX_NAME_PAPERS:
                    names[n].add(row)
    prow = {pid: i for i, pid in enumerate(committed)}
    chunk_paper: list[int] = []
    chunk_pos: list[int] = []
    root.mkdir(parents=True, exist_ok=True)
    _clear_stale(root)
    with tempfile.TemporaryDirectory(prefix=".spill-", suffix=".tmp", dir=root) as spill:  # ".tmp": cleanup skips it
        tok = _Tokens(Path(spill))
        try:
            for _ids, docs, metas in store._pages(store.chunks, ["documents", "metadatas"]):
                texts = []
                for doc, m in zip(docs, metas, strict=True):
                    p = prow.get(m["paper_id"])
                    if p is not None and committed[m["paper_id"]] == m["hash"]:
                        chunk_paper.append(p)
                        chunk_pos.append(int(m["position"]))
                        texts.append(f"{titles[p]}\n{doc}")
                tok.add(texts)
            key["content"] = content_fingerprint(committed)
            rare = sorted((n.encode(), sorted(rows)) for n, rows in names.items() if len(rows) <= MAX_NAME_PAPERS)
            keys = sorted((run_words(t).encode()[:TITLE_KEY_BYTES], row) for row, t in enumerate(titles))
            name_papers = np.full((len(rare), MAX_NAME_PAPERS), -1, dtype=np.int32)
            for i, (_, rows) in enumerate(rare):
                name_papers[i, : len(rows)] = rows
            arrays = {
                "chunk_paper": np.asarray(chunk_paper, dtype=np.int32),
                "chunk_pos": np.asarray(chunk_pos, dtype=np.int32),
                "paper_ids": np.asarray([p.encode() for p in committed], dtype=bytes),
                "paper_hashes": np.asarray([h.encode() for h in committed.values()], dtype=bytes),
                "names": np.asarray([n for n, _ in rare], dtype=bytes), "name_papers": name_papers,
                "title_keys": np.asarray([k for k, _ in keys], dtype=bytes),
                "title_rows": np.asarray([r for _, r in keys], dtype=np.int32),
            }
            n_rows, n_papers = len(chunk_paper), len(committed)
            del chunk_paper, chunk_pos, titles, prow, names, rare, committed, keys  # a million of each: freed first
            lexical = tok.index()
        finally:
            tok.close()
    name = f"snap-{uuid.uuid4().hex[:12]}"
    tmp = root / f".{name}.tmp"
    tmp.mkdir()
    try:
        lexical.save(tmp / "bm25")
        del lexical
        for k, a in arrays.items():
            np.save(tmp / f"{k}.npy", a, allow_pickle=False)
        files = {str(p.relative_to(tmp)): _file_check(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {"key": key, "rows": n_rows, "paper_rows": n_papers, "files": files,
                    "build_s": round(time.perf_counter() - t0, 2)}
        _write_atomic(tmp / "manifest.json", json.dumps(manifest, indent=1))
        tmp.rename(root / name)
        _write_atomic(root / "CURRENT", name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:  # opened (mapped) before the others are removed: their readers keep their arrays (POSIX unlink)
        snap = _open(root / name, manifest, check=False)
    except SnapshotError:
        if (root / name).is_dir():
            raise
        # a process that built the same index at the same time removed this one: its own is the current one
        log.info("BM25 snapshot %s was replaced by another process's build; using that", name)
        return open_or_build(store, root, rebuild=False)
    for old in root.iterdir():
        if old.name not in (name, "CURRENT") and not old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)
    log.info("BM25 snapshot of %d chunks built in %.1fs at %s", n_rows, time.perf_counter() - t0, root / name)
    return snap


_STALE_S = 24 * 3600


def _clear_stale(root: Path) -> None:
    """Remove temporary build directories a killed build left behind (a day old: no build takes that long)."""
    for d in root.glob(".*.tmp"):
        try:
            if time.time() - d.stat().st_mtime > _STALE_S:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


class _Tokens:
    """Term counts of many texts under one vocabulary, a page at a time: each page's (term, doc, tf)
    triples are counted when it is added and written to files in `spill` (a million papers' are
    ~0.75 GB), so the collection is never held in memory as one token stream."""

    _KINDS = (("terms", np.int32), ("docs", np.int32), ("tfs", np.uint16))

    def __init__(self, spill: Path) -> None:
        self.vocab: dict[str, int] = {}
        self.lens: list[np.ndarray] = []
        self.sizes: list[int] = []  # pairs per page
        self.n_docs = 0
        self.spill = spill
        self.files = [(spill / name).open("wb") for name, _ in self._KINDS]

    def add(self, texts: list[str]) -> None:
        if not texts:
            return
        t = bm25s.tokenize(texts, stopwords=TOKENIZER["stopwords"], lower=True, show_progress=False)
        local = sorted(t.vocab.items(), key=lambda kv: kv[1])
        remap = np.asarray([self.vocab.setdefault(w, len(self.vocab)) for w, _ in local], dtype=np.int32)
        lens = np.fromiter((len(d) for d in t.ids), dtype=np.int64, count=len(t.ids))
        flat = np.fromiter((i for d in t.ids for i in d), dtype=np.int32, count=int(lens.sum()))
        doc = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
        pairs, tf = np.unique((remap[flat].astype(np.int64) << 32) | doc, return_counts=True)  # sorted by term
        page = ((pairs >> 32).astype(np.int32), ((pairs & 0xFFFFFFFF) + self.n_docs).astype(np.int32),
                np.minimum(tf, 65535).astype(np.uint16))  # a term's count in one chunk
        for f, a in zip(self.files, page, strict=True):
            a.tofile(f)
        self.sizes.append(len(pairs))
        self.lens.append(lens)
        self.n_docs += len(lens)

    def close(self) -> None:
        for f in self.files:
            f.close()

    def _pages(self, kinds: int) -> Iterator[tuple[np.ndarray, ...]]:
        """Each page's first `kinds` arrays (terms; docs; tfs), in the order added."""
        self.close()
        readers = [(self.spill / name).open("rb") for name, _ in self._KINDS[:kinds]]
        try:
            for n in self.sizes:
                page = tuple(np.fromfile(r, dtype=dt, count=n) for r, (_, dt) in zip(readers, self._KINDS, strict=False))
                if any(len(a) != n for a in page):
                    raise SnapshotError(f"the BM25 build's spill files in {self.spill} are shorter than written")
                yield page
        finally:
            for r in readers:
                r.close()

    def index(self) -> LexicalIndex:
        """BM25 (Lucene idf and tf, bm25s's parameters) as bm25s's CSC arrays; checked against bm25s in the tests.

        Two passes over the pages: count each term's pairs, then scatter every page's pairs straight
        into their slots; never a sort of the whole collection."""
        self.vocab.setdefault("", len(self.vocab))
        if not self.lens:
            return LexicalIndex(bm25s.BM25(), 0)
        lens = np.concatenate(self.lens)
        n_docs, n_vocab = len(lens), len(self.vocab)
        df = np.zeros(n_vocab, dtype=np.int64)
        for (t,) in self._pages(1):
            terms, counts = np.unique(t, return_counts=True)
            df[terms] += counts
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        k1, b = TOKENIZER["k1"], TOKENIZER["b"]
        norm = (k1 * ((1 - b) + b * lens / lens.mean())).astype(np.float32)
        indices = np.empty(indptr[-1], dtype=np.int32)
        data = np.empty(indptr[-1], dtype=np.float32)
        cursor = indptr[:-1].copy()  # next free slot of each term; pages come in doc order, so docs stay ascending
        for t, d, tf in self._pages(3):
            terms, counts = np.unique(t, return_counts=True)
            pos = np.repeat(cursor[terms] - (np.cumsum(counts) - counts), counts) + np.arange(len(t))
            indices[pos] = d
            score = norm[d]
            score += tf
            np.divide(tf, score, out=score)  # tf / (k1 * (1 - b + b * len / avg) + tf)
            score *= idf[t]
            data[pos] = score
            cursor[terms] += counts
        bm25 = bm25s.BM25(method=TOKENIZER["method"], k1=k1, b=b)
        bm25.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
        bm25.vocab_dict, bm25.nonoccurrence_array = self.vocab, None
        return LexicalIndex(bm25, n_docs)


def _file_check(path: Path) -> dict[str, int]:
    crc = 0
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            crc = zlib.crc32(block, crc)
    return {"size": path.stat().st_size, "crc32": crc}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    with tmp.open("w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---- opening ----------------------------------------------------------------------------
class SnapshotError(IndexCorruptError):
    """A snapshot's files do not match its manifest."""


def _open(path: Path, manifest: dict[str, Any], *, check: bool) -> Snapshot:
    if check:
        for rel, want in manifest["files"].items():
            f = path / rel
            if not f.is_file() or f.stat().st_size != want["size"]:
                raise SnapshotError(f"{f} is missing or has the wrong size")
            if _file_check(f)["crc32"] != want["crc32"]:
                raise SnapshotError(f"{f} fails its CRC check")
    try:
        a = {k: np.load(path / f"{k}.npy", mmap_mode="r", allow_pickle=False)
             for k in ("chunk_paper", "chunk_pos", "paper_ids", "paper_hashes", "names", "name_papers", "title_keys",
                       "title_rows")}
        lexical = LexicalIndex.load(path / "bm25", manifest["rows"], mmap=True)
    except (OSError, ValueError, KeyError) as e:
        raise SnapshotError(f"cannot read the BM25 snapshot at {path}: {e}") from e
    if len(a["chunk_paper"]) != manifest["rows"] or len(a["paper_ids"]) != manifest["paper_rows"]:
        raise SnapshotError(f"the BM25 snapshot at {path} disagrees with its manifest")
    return Snapshot(lexical=lexical, manifest=manifest, **a)


def open_or_build(store: Store, root: Path, *, rebuild: bool = True, check: bool = True) -> Snapshot:
    """The current snapshot for the store, rebuilt when stale or damaged.

    Args:
        rebuild: when False, a missing, stale or damaged snapshot raises instead of being rebuilt.
        check: verify every file's size and CRC before use (reads the files once; they are then in the page cache).
    Raises:
        SnapshotError: the snapshot is stale or damaged and `rebuild` is False.
    """
    key = current_key(store)
    why = "there is none"
    try:
        name = (root / "CURRENT").read_text().strip()
        manifest = json.loads((root / name / "manifest.json").read_text())
        have = dict(manifest["key"])
        if "content" not in key:
            have.pop("content", None)
        if have == key:
            return _open(root / name, manifest, check=check)
        why = "the index changed since it was built" if have.get("index") == key["index"] else "it is for another index"
    except FileNotFoundError:
        pass
    except (SnapshotError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        why = f"it is damaged ({e})"
        log.warning("BM25 snapshot at %s: %s; rebuilding", root, why)
    if not rebuild:
        raise SnapshotError(f"the BM25 snapshot at {root} cannot be used: {why}; open the index with rebuild "
                            "allowed (the default) or run `assistant ingest` to rebuild it")
    log.info("Building the BM25 snapshot (%s)", why)
    return build(store, root)
