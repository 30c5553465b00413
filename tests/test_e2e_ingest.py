"""The ingest pipeline with the real embedder and real Chroma: same result as the sequential path, vectors
in the right order, an interrupted ingest resumable; chunks that fit the embedder's window; the device."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import main
from assistant.corpus import load_papers
from assistant.errors import ModelError
from assistant.index.chunking import chunk_paper, embedding_text
from assistant.index.embedding import check_device, load_embedder
from assistant.index.ingest import ingest, text_length
from assistant.index.store import Store

slow = pytest.mark.slow
PAPERS = load_papers().papers[:48]


def contents(store: Store) -> tuple[dict, dict, dict]:
    chunks = {c.chunk_id: (c.paper_id, c.text, c.position, c.paper_hash) for c in store.all_chunks()}
    return chunks, store.committed(), store.vectors(sorted(chunks))


@slow
def test_pipeline_writes_what_the_sequential_path_writes_with_each_vector_on_its_chunk(tmp_path, embedder):
    stores = {}
    for threads in (True, False):
        s = Settings(data_dir=tmp_path / str(threads))
        stores[threads] = Store(s)
        report = ingest(PAPERS, s, store=stores[threads], embedder=embedder, batch_papers=10, progress=False,
                        threads=threads)
        assert report.embedded_papers == 48 and report.embedded_chunks == stores[threads].chunk_count()
    (chunks, committed, vectors), (chunks_seq, committed_seq, vectors_seq) = (contents(stores[t]) for t in (True, False))
    assert chunks == chunks_seq and committed == committed_seq
    assert all(np.array_equal(vectors[cid], vectors_seq[cid]) for cid in chunks)
    # each vector is its own chunk's, not a neighbour's from the length sort
    by_id = {c.chunk_id: embedding_text(c) for p in PAPERS for c in chunk_paper(p, Settings().chunking)}
    ids = sorted(by_id)
    alone = embedder.embed([by_id[i] for i in ids])
    assert np.allclose(np.stack([vectors[i] for i in ids]), alone, atol=1e-5)


class Fails:
    """The real embedder, failing on the forward passes of the nth batch of papers it is given."""

    def __init__(self, embedder, n: int) -> None:
        self.inner, self.n, self.prepared, self.doomed = embedder, n, 0, set()
        self.name, self.dim, self.device, self.window = embedder.name, embedder.dim, embedder.device, embedder.window

    def prepare(self, texts):
        batches = self.inner.prepare(texts)
        self.prepared += 1
        if self.prepared == self.n:
            self.doomed = {id(b) for b in batches}
        return batches

    def encode(self, batch):
        if id(batch) in self.doomed:
            raise RuntimeError("out of memory")
        return self.inner.encode(batch)

    def embed(self, texts, *, progress=False):
        return self.inner.embed(texts)


@slow
@pytest.mark.parametrize("where", ["embed", "write"])
def test_interrupted_pipeline_leaves_whole_batches_in_order_and_resumes(tmp_path, embedder, where):
    s = Settings(data_dir=tmp_path)
    store = Store(s)
    failing, writes = embedder, []
    if where == "embed":
        failing = Fails(embedder, 3)
    else:
        real = store.write

        def write(*args, **kw):
            writes.append(1)
            if len(writes) == 3:
                raise RuntimeError("disk full")
            return real(*args, **kw)

        store.write = write  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        ingest(PAPERS, s, store=store, embedder=failing, batch_papers=10, progress=False)
    committed = Store(s).committed()
    first = sorted(PAPERS, key=text_length)[:20]  # the shortest papers go first
    assert set(committed) == {p.paper_id for p in first}  # the first two batches, whole
    report = ingest(PAPERS, s, store=Store(s), embedder=embedder, batch_papers=10, progress=False)
    assert (report.unchanged, report.embedded_papers) == (20, 28)
    fresh = Settings(data_dir=tmp_path / "fresh")
    ingest(PAPERS, fresh, store=Store(fresh), embedder=embedder, batch_papers=10, progress=False, threads=False)
    assert contents(Store(s))[:2] == contents(Store(fresh))[:2]


@slow
def test_chunks_fit_the_embedders_window(embedder):
    """The chunk size (tiktoken) was chosen from the window (eval/calibrate_chunking.py); check it still holds."""
    s = Settings()
    chunks = [embedding_text(c) for p in load_papers().papers for c in chunk_paper(p, s.chunking)]
    lengths = [len(x) for x in embedder.model.tokenizer(chunks)["input_ids"]]
    assert sum(n <= embedder.window for n in lengths) / len(lengths) >= 0.99
    assert s.chunking.overlap_tokens == 0


@slow
def test_batches_are_length_sorted_within_the_token_budget_and_cover_every_text(embedder):
    texts = [embedding_text(c) for p in PAPERS for c in chunk_paper(p, Settings().chunking)] + ["a", "b c"]
    batches = embedder.prepare(texts)
    positions = [i for b in batches for i in b.positions]
    assert sorted(positions) == list(range(len(texts)))
    lengths = embedder.lengths(texts)
    assert [lengths[i] for i in positions] == sorted(lengths, reverse=True)
    for b in batches:
        assert len(b.positions) == 1 or len(b.positions) * lengths[b.positions[0]] <= embedder.batch_tokens


@slow
def test_an_index_built_with_the_old_chunking_is_rebuilt_from_its_own_papers(tmp_path, embedder):
    """A store from before the chunking change holds the user's papers; the new index is built from them,
    not from the bundled collection."""
    old = Settings(data_dir=tmp_path, chunking={"size_tokens": 200, "overlap_tokens": 40})
    mine = PAPERS[:5]
    ingest(mine, old, store=Store(old), embedder=embedder, progress=False)
    a = Assistant(Settings(data_dir=tmp_path), embedder=embedder, progress=False)
    assert a.store.name != Store(old).name
    hits = a.search(mine[2].title, k=5)
    assert {h.paper.paper_id for h in hits} == {p.paper_id for p in mine}
    assert hits[0].paper.paper_id == mine[2].paper_id and a.store.paper_count() == 5


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="sees no GPU; use --device cpu"):
        load_embedder(Settings(embedder={"device": "cuda"}).embedder)
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "ingest", "--device", "cuda"])
    assert r.exit_code == 1 and "sees no GPU" in r.output
    assert check_device("cpu") == "cpu"
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "stats"])
    assert r.exit_code == 0 and "device: cpu" in r.output
    r = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "stats"], env={"ASSISTANT_EMBEDDER__DEVICE": "cuda"})
    assert r.exit_code == 0 and "device: cuda (unavailable" in r.output


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a GPU torch can see")
def test_cuda_ingest_gives_the_cpu_vectors_and_stats_says_so(tmp_path, embedder):
    s = Settings(data_dir=tmp_path, embedder={"device": "cuda"})
    gpu = load_embedder(s.embedder)
    texts = [embedding_text(c) for p in PAPERS for c in chunk_paper(p, s.chunking)]
    assert np.allclose(gpu.embed(texts), embedder.embed(texts), atol=1e-4)
    a = Assistant(s, embedder=gpu, progress=False)
    a.ingest()
    assert a.stats()["device"].startswith("cuda (")
