"""What the name index adds to loading a retriever: build time beside the BM25 build it sits next to.

The bundled abstracts are repeated (ids made unique) to N papers, so the text has real names in it.
Both indexes are built once each over the same title+abstract texts in this process.

    .venv/bin/python eval/bench_names.py [N]      (default 100000)
"""

from __future__ import annotations

import sys
import time

from assistant.corpus import load_papers
from assistant.retrieve.lexical import LexicalIndex
from assistant.retrieve.names import NameIndex


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    papers = load_papers().papers
    texts = [(f"p{i}", f"{papers[i % len(papers)].title}\n{papers[i % len(papers)].abstract}") for i in range(n)]
    t0 = time.perf_counter()
    LexicalIndex.build([t for _, t in texts])
    t1 = time.perf_counter()
    names = NameIndex(texts)
    t2 = time.perf_counter()
    print(f"{n:,} papers: BM25 build {t1 - t0:.2f} s, name index build {t2 - t1:.2f} s "
          f"(ratio {(t2 - t1) / (t1 - t0):.2f}), {len(names.papers):,} distinct names")


if __name__ == "__main__":
    main()
