"""The vector store: Chroma, embedded (PersistentClient) or a server (HttpClient).

Two collections per index: `<name>` holds chunks with their vectors, `<name>_papers`
holds one record per fully indexed paper (its content hash and metadata). A paper's
record is written after all its chunks, so it is the commit marker: search only shows
chunks whose hash matches a committed paper, and an interrupted ingest never exposes a
half-indexed paper.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings
from assistant.errors import IndexCorruptError, IndexMismatchError, StoreUnreachableError
from assistant.types import Chunk, Paper

log = logging.getLogger(__name__)
_PAGE = 5000


@dataclass
class StoredChunk:
    chunk_id: str
    paper_id: str
    text: str
    position: int
    paper_hash: str
    distance: float = 0.0


def connect(settings: Settings) -> Any:
    """A Chroma client for the settings: a server when `store.chroma_url` is set, else on disk."""
    chroma = ChromaSettings(anonymized_telemetry=False)
    url = settings.store.chroma_url
    if url:
        u = urlparse(url)
        try:
            return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                       ssl=u.scheme == "https", settings=chroma)
        except Exception as e:
            raise unreachable(url, e) from e
    try:
        settings.store_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_path), settings=chroma)
    except Exception as e:
        raise IndexCorruptError(f"cannot open the Chroma store at {settings.store_path}: {e}; "
                                "move the directory aside and run `assistant ingest` to rebuild") from e


def unreachable(url: str, e: Exception) -> StoreUnreachableError:
    return StoreUnreachableError(f"cannot reach the Chroma server at {url} ({e}); start it with "
                                 "`chroma run --path DIR --port PORT`, or check --chroma-url / ASSISTANT_STORE__CHROMA_URL")


def _is_connection_error(e: Exception) -> bool:
    return isinstance(e, httpx.TransportError) or "could not connect" in str(e).lower()


def _paper_meta(paper: Paper, paper_hash: str, n_chunks: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": paper.title, "hash": paper_hash, "n_chunks": n_chunks,
                            "authors": json.dumps(list(paper.authors)), "links": json.dumps(list(paper.links)),
                            "source": paper.source}
    for key in ("year", "url", "venue"):
        if getattr(paper, key) is not None:
            meta[key] = getattr(paper, key)
    return meta


def _paper_from(pid: str, abstract: str, m: dict[str, Any]) -> Paper:
    return Paper(paper_id=pid, title=m["title"], abstract=abstract, authors=tuple(json.loads(m.get("authors", "[]"))),
                 year=m.get("year"), url=m.get("url"), venue=m.get("venue"),
                 links=tuple(json.loads(m.get("links", "[]"))), source=m.get("source", ""))


class Store:
    """One index (chunks + committed papers) in Chroma, checked against the settings that made it."""

    def __init__(self, settings: Settings, *, client: Any = None, create: bool = True) -> None:
        self.settings = settings
        self.client = client or connect(settings)
        self.name = settings.index_name()
        self.where = settings.store.chroma_url or str(settings.store_path)
        wanted = {"embedder": settings.embedder.name, "chunking": json.dumps(settings.chunking.model_dump(), sort_keys=True)}
        try:
            if create:
                self.chunks = self.client.get_or_create_collection(
                    self.name, metadata=wanted, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
                self.papers_col = self.client.get_or_create_collection(self.name + "_papers", embedding_function=None)
            else:
                self.chunks = self.client.get_collection(self.name, embedding_function=None)
                self.papers_col = self.client.get_collection(self.name + "_papers", embedding_function=None)
        except Exception as e:
            if not create and "does not exist" in str(e).lower():
                raise
            if settings.store.chroma_url and _is_connection_error(e):
                raise unreachable(settings.store.chroma_url, e) from e
            raise IndexCorruptError(f"cannot open index {self.name} at {self.where}: {e}; "
                                    "move the store aside and run `assistant ingest` to rebuild") from e
        have = dict(self.chunks.metadata or {})
        for key, value in wanted.items():
            if have.get(key) != value:
                raise IndexMismatchError(
                    f"index {self.name} at {self.where} was built with {key}={have.get(key)!r}, "
                    f"but the settings ask for {value!r}; use the same settings or run `assistant ingest` "
                    "with a new store path")

    # ---- committed papers -------------------------------------------------------------
    def committed(self) -> dict[str, tuple[str, int]]:
        """paper_id -> (content hash, number of chunks) for every fully indexed paper."""
        out = {}
        for ids, _, metas in self._pages(self.papers_col, ["metadatas"]):
            for pid, m in zip(ids, metas, strict=True):
                out[pid] = (m["hash"], int(m["n_chunks"]))
        return out

    def papers(self) -> dict[str, tuple[Paper, str]]:
        """paper_id -> (Paper, content hash) for every fully indexed paper."""
        out = {}
        for ids, docs, metas in self._pages(self.papers_col, ["metadatas", "documents"]):
            for pid, doc, m in zip(ids, docs, metas, strict=True):
                out[pid] = (_paper_from(pid, doc, m), m["hash"])
        return out

    def generation(self) -> str | None:
        """A token that changes before and after every write or delete through this class.

        Whatever was read after reading a generation is still current while the generation is
        unchanged, so derived data (the BM25 snapshot) can be keyed on it without a full scan.
        None for a store last written by code that did not keep one.
        """
        self.papers_col = self.client.get_collection(self.papers_col.name, embedding_function=None)
        return (self.papers_col.metadata or {}).get("generation")

    def _changed(self) -> None:
        self.papers_col.modify(metadata={"generation": uuid.uuid4().hex})

    def get_papers(self, paper_ids: list[str]) -> dict[str, tuple[Paper, str]]:
        """paper_id -> (Paper, content hash) for those of the ids that are committed."""
        if not paper_ids:
            return {}
        r = self.papers_col.get(ids=list(dict.fromkeys(paper_ids)), include=["metadatas", "documents"])
        return {pid: (_paper_from(pid, doc, m), m["hash"])
                for pid, doc, m in zip(r["ids"], r["documents"], r["metadatas"], strict=True)}

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        """chunk_id -> stored chunk for those of the ids that exist."""
        if not chunk_ids:
            return {}
        r = self.chunks.get(ids=list(dict.fromkeys(chunk_ids)), include=["documents", "metadatas"])
        return {cid: StoredChunk(cid, m["paper_id"], doc, int(m["position"]), m["hash"])
                for cid, doc, m in zip(r["ids"], r["documents"], r["metadatas"], strict=True)}

    def paper_count(self) -> int:
        return int(self.papers_col.count())

    def chunk_count(self) -> int:
        return int(self.chunks.count())

    # ---- writing ----------------------------------------------------------------------
    def write(self, papers: list[tuple[Paper, str, list[Chunk]]], vectors: np.ndarray,
              old_counts: dict[str, int]) -> None:
        """Upsert the papers' chunks, drop chunks left over from a longer old version, then commit the papers."""
        chunks = [c for _, h, cs in papers for c in cs]
        hashes = [h for _, h, cs in papers for _ in cs]
        self._changed()
        if chunks:
            self.chunks.upsert(
                ids=[c.chunk_id for c in chunks], embeddings=vectors,
                documents=[c.text for c in chunks],
                metadatas=[{"paper_id": c.paper_id, "position": c.position, "hash": h}
                           for c, h in zip(chunks, hashes, strict=True)])
        stale = [f"{p.paper_id}#{i}" for p, _, cs in papers for i in range(len(cs), old_counts.get(p.paper_id, 0))]
        if stale:
            self.chunks.delete(ids=stale)
        self.papers_col.upsert(
            ids=[p.paper_id for p, _, _ in papers], embeddings=[[1.0]] * len(papers),
            documents=[p.abstract for p, _, _ in papers],
            metadatas=[_paper_meta(p, h, len(cs)) for p, h, cs in papers])
        self._changed()

    def delete_papers(self, counts: dict[str, int]) -> None:
        """Remove papers (record first, so none is left visible half-deleted) and their chunks."""
        if not counts:
            return
        self._changed()
        self.papers_col.delete(ids=list(counts))
        self.chunks.delete(ids=[f"{pid}#{i}" for pid, n in counts.items() for i in range(n)])
        self._changed()

    # ---- reading ----------------------------------------------------------------------
    # Neither query asks for the count first: Chroma returns what it has when n exceeds it, and a count
    # is a full scan in the server (50 ms at 1M chunks, more than the search; eval/reports/bench_million.md).
    def query(self, vector: np.ndarray, n: int) -> list[StoredChunk]:
        if n <= 0:
            return []
        r = self.chunks.query(query_embeddings=[vector], n_results=n, include=["documents", "metadatas", "distances"])
        return [StoredChunk(cid, m["paper_id"], doc, int(m["position"]), m["hash"], float(d))
                for cid, doc, m, d in zip(r["ids"][0], r["documents"][0], r["metadatas"][0], r["distances"][0],
                                          strict=True)]

    def query_ids(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) of the n nearest chunks: no texts or metadata, which cost far more to
        fetch than the search itself in a large collection (eval/reports/bench_million.md)."""
        if n <= 0:
            return []
        r = self.chunks.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(cid, float(d)) for cid, d in zip(r["ids"][0], r["distances"][0], strict=True)]

    def all_chunks(self) -> Iterator[StoredChunk]:
        for ids, docs, metas in self._pages(self.chunks, ["documents", "metadatas"]):
            for cid, doc, m in zip(ids, docs, metas, strict=True):
                yield StoredChunk(cid, m["paper_id"], doc, int(m["position"]), m["hash"])

    def vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        r = self.chunks.get(ids=chunk_ids, include=["embeddings"])
        return {cid: np.asarray(v, dtype=np.float32) for cid, v in zip(r["ids"], r["embeddings"], strict=True)}

    @staticmethod
    def _pages(col: Any, include: list[str]) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
        offset = 0
        while True:
            r = col.get(limit=_PAGE, offset=offset, include=include)
            if not r["ids"]:
                return
            docs = r.get("documents") or [None] * len(r["ids"])
            yield r["ids"], docs, r["metadatas"]
            offset += len(r["ids"])


def other_indexes(client: Any, name: str) -> list[tuple[str, str, list[Paper]]]:
    """(collection name, embedder, committed papers) of the other indexes in the same store.

    An index made with other settings (an older chunking, another embedder) keeps every paper
    whole in its `_papers` collection, so a new index can be built from them without the source files.
    """
    out = []
    names = {getattr(col, "name", col) for col in client.list_collections()}
    for cname in sorted(names):
        if cname.startswith("papers_") and not cname.endswith("_papers") and cname != name:
            meta = client.get_collection(cname, embedding_function=None).metadata or {}
            papers = []
            if cname + "_papers" in names:
                col = client.get_collection(cname + "_papers", embedding_function=None)
                papers = [_paper_from(pid, doc, m) for ids, docs, metas in Store._pages(col, ["metadatas", "documents"])
                          for pid, doc, m in zip(ids, docs, metas, strict=True)]
            out.append((cname, str(meta.get("embedder")), papers))
    return out
