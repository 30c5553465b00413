"""Could a model judge which papers a summary's topic covers better than the embedding + BM25 relevance?

For each dev topic the collection has, the top candidates by the summary's relevance (topic
similarity plus `summary.lexical_weight` times the BM25 share, as `summarize.select_papers`
ranks them) are scored three ways, and each score's AUC (gold paper against not) is reported:
- relevance: what the summary uses now;
- llm: the local model asked "is this paper about the topic?" on the paper's title, P(yes) from its
  logits (the topic comes first, so the candidates share its tokens in the KV cache);
- crossencoder: the trained claim verifier (models/verifier-minilm) asked whether the abstract states
  "This paper is about <topic>.";
- mpnet (with --mpnet DIR, the unzipped all-mpnet-base-v2 folder of ../shared/MODELS.md's quality option):
  the relevance with all-mpnet-base-v2 as the sentence embedder, same BM25 weight.
Also the AUC of relevance + c * llm for a few c, and the time per paper. Dev topics only: this
chooses whether to build anything, so it must not read the test topics.

    .venv/bin/python eval/compare_topic_signals.py [--topics 20] [--top 15] [--signals llm,crossencoder]
    .venv/bin/python eval/compare_topic_signals.py --signals mpnet --mpnet DIR --out topic_signals_mpnet

Writes eval/reports/<out>.md and <out>_rows.jsonl (out: topic_signals).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from calibrate_summary import auc  # eval/calibrate_summary.py
from topics import load_topics  # eval/topics.py

from assistant import Assistant, Settings
from assistant.answer.summarize import lexical_share, topic_similarity
from assistant.verify.crossencoder import CrossEncoderJudge
from assistant.verify.llm_judge import LLMVerifier

REPORTS = Path(__file__).parent / "reports"
SYSTEM = ("You sort research papers by topic. Given a topic and a paper, reply \"yes\" if the paper is about "
          "the topic, and \"no\" if it is about something else. Reply with one word: yes or no.")
MIX = [0.0, 0.1, 0.2, 0.3, 0.5]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--topics", type=int, default=20, help="first N dev topics that have gold papers")
    ap.add_argument("--top", type=int, default=15, help="candidates per topic, best first by relevance")
    ap.add_argument("--signals", default="llm,crossencoder", help="of llm, crossencoder, mpnet")
    ap.add_argument("--mpnet", type=Path, help="all-mpnet-base-v2 sentence-transformers folder (for --signals mpnet)")
    ap.add_argument("--out", default="topic_signals")
    args = ap.parse_args()
    signals = args.signals.split(",")
    a = Assistant(Settings(), progress=False)
    s = a.settings.summary
    llm = a.verifier if "llm" in signals else None
    if llm is not None and not isinstance(llm, LLMVerifier):
        raise SystemExit("needs the LLM judge (verify.judge = llm, a local model)")
    ce = CrossEncoderJudge(models_dir=a.settings.models_dir) if "crossencoder" in signals else None
    mpnet = None
    if "mpnet" in signals:
        from sentence_transformers import SentenceTransformer

        if not args.mpnet:
            raise SystemExit("--signals mpnet needs --mpnet DIR")
        mpnet = SentenceTransformer(str(args.mpnet), device="cpu")
    vectors: dict[str, np.ndarray] = {}
    rows, ms = [], {k: [] for k in signals}
    for t in [t for t in load_topics("dev") if t["gold"]][: args.topics]:
        qvec = a.embedder.embed([t["topic"]])[0]
        hits = a.retriever.search(t["topic"], s.pool, query_vec=qvec)
        bm25 = lexical_share(t["topic"], a.retriever)
        rel = {h.paper.paper_id: topic_similarity(a.judge, h.paper, qvec) + s.lexical_weight * bm25.get(h.paper.paper_id, 0.0)
               for h in hits}
        qm = mpnet.encode([t["topic"]], normalize_embeddings=True)[0] if mpnet else None
        for h in sorted(hits, key=lambda h: -rel[h.paper.paper_id])[: args.top]:
            p = h.paper
            row = {"id": t["id"], "title": p.title, "gold": p.title in t["gold"], "relevance": rel[p.paper_id]}
            t0 = time.perf_counter()
            if llm is not None:
                user = f"Topic: {t['topic']}\n\nPaper: {p.title}\n\nIs this paper about the topic?"
                row["llm"] = llm.p_yes(llm.tokens([{"role": "system", "content": SYSTEM},
                                                    {"role": "user", "content": user}]))
                ms["llm"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            if ce is not None:
                row["crossencoder"] = ce.scores([f"This paper is about {t['topic'].rstrip('?.')}."], p)[0]
                ms["crossencoder"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            if mpnet is not None:
                if p.paper_id not in vectors:
                    vectors[p.paper_id] = mpnet.encode(a.judge.sentences(p), normalize_embeddings=True)
                sims = np.sort(vectors[p.paper_id] @ qm)[::-1]
                row["mpnet"] = float(sims[:2].mean()) + s.lexical_weight * bm25.get(p.paper_id, 0.0)
                ms["mpnet"].append((time.perf_counter() - t0) * 1000)
            rows.append(row)
        print(t["id"], len(rows), flush=True)
    pairs = {k: round(auc([(r[k], r["gold"]) for r in rows]), 3) for k in ["relevance", *signals]}
    names = {"llm": "LLM judge on the title", "crossencoder": "cross-encoder verifier on the abstract",
             "mpnet": "relevance with all-mpnet-base-v2 sentences (+ BM25)"}
    topics = len({r["id"] for r in rows})
    lines = ["# Topic relevance signals for summaries (dev topics only)", "",
             f"Produced by `.venv/bin/python eval/compare_topic_signals.py --topics {args.topics} --top {args.top} "
             f"--signals {args.signals}`: {topics} dev topics, their top {args.top} candidates by the summary's "
             f"relevance, {len(rows)} (topic, paper) pairs, {sum(r['gold'] for r in rows)} of them gold. AUC: P(a gold "
             "paper outscores one that is not).", "",
             "| signal | AUC | ms per paper (p50, 2 cores) |", "|---|---|---|",
             f"| relevance (MiniLM sentences + BM25, shipped) | {pairs['relevance']} | (computed with retrieval) |"]
    lines += [f"| {names[k]} | {pairs[k]} | {np.median(ms[k]):.0f} |" for k in signals]
    if llm is not None:
        mixed = {c: round(auc([(r["relevance"] + c * r["llm"], r["gold"]) for r in rows]), 3) for c in MIX}
        lines += ["", "relevance + c × LLM P(yes): " + ", ".join(f"c={c}: {v}" for c, v in mixed.items())]
    lines.append("")
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"{args.out}.md").write_text("\n".join(lines))
    (REPORTS / f"{args.out}_rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
