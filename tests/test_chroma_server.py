"""The same code against a real `chroma run` server on localhost."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant, Settings
from assistant.cli import main
from assistant.errors import StoreUnreachableError
from tests.servers import free_port, running


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with chromadb"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    cmd = [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, url + "/api/v2/heartbeat", data / "server.log"):
        yield url


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(chroma_url, embedder, tmp_path):
    s = Settings(data_dir=tmp_path, store={"chroma_url": chroma_url})
    a = Assistant(s, embedder=embedder, progress=False)
    assert a.store.where == chroma_url
    _, report = a.ingest()
    assert report.embedded_papers == 231
    hits = a.search("a dataset of commands for picking elements on web pages", k=3)
    assert hits[0].paper.title == "Mapping Natural Language Commands to Web Elements"
    assert a.ingest()[1].embedded_chunks == 0  # incremental through the server too
    r = CliRunner().invoke(main, ["--chroma-url", chroma_url, "--data-dir", str(tmp_path), "search", "--json",
                                  "sparse autoencoders", "-k", "2"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["results"]) == 2


def test_unreachable_server_says_so_and_gives_its_url(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    s = Settings(data_dir=tmp_path, store={"chroma_url": url})
    with pytest.raises(StoreUnreachableError, match=f"cannot reach the Chroma server at {url}.*chroma run"):
        Assistant(s, progress=False).store.paper_count()
    r = CliRunner().invoke(main, ["--chroma-url", url, "--data-dir", str(tmp_path), "stats"])
    assert r.exit_code == 1 and f"cannot reach the Chroma server at {url}" in r.output and "corrupt" not in r.output
