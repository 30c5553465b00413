"""`assistant serve` under load, beside `python -m llama_cpp.server` with the same model, prompts and client.

For 1, 2, 4 and 8 concurrent clients, each server gets the same questions (eval/questions.jsonl,
lookups, cycled so no two consecutive requests share a prompt) as plain chat completions with the
same max_tokens and temperature 0, from the same httpx client code. Reported per level: requests/s,
p50 and p95 latency, and the ratios assistant/llama.cpp. The assistant's answer is more work than
the bare completion (retrieval, a prompt with evidence, the support check), so the response
`timings` are summarised too: the share of each answer spent outside llama.cpp's own prompt and
generation time is the API's and the pipeline's own overhead.

    .venv/bin/python eval/bench_serve.py [--model fast] [--requests 8] [--max-tokens 48]

Writes eval/reports/bench_serve.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from assistant import Settings
from assistant.evaluate.metrics import percentile
from assistant.llm.registry import resolve, spec_for

ROOT = Path(__file__).resolve().parents[1]
REPORTS = Path(__file__).parent / "reports"
LEVELS = (1, 2, 4, 8)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(cmd: list[str], url: str, log: Path, env: dict[str, str] | None = None, timeout_s: float = 600):
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{cmd[0]} did not start; see {log}")
                time.sleep(0.5)
            yield
        finally:
            proc.terminate()
            proc.wait(30)


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").open()]
    return [r["question"] for r in rows if r.get("kind") == "lookup"][:n]


def level(base: str, model: str, prompts: list[str], clients: int, requests: int, max_tokens: int
          ) -> dict[str, Any]:
    """`requests` chat completions from `clients` threads; latencies, rate and the servers' own timings."""
    def one(i: int) -> tuple[float, dict[str, Any]]:
        body = {"model": model, "max_tokens": max_tokens, "temperature": 0,
                "messages": [{"role": "user", "content": prompts[i % len(prompts)]}]}
        t = time.perf_counter()
        r = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=600)
        r.raise_for_status()
        return time.perf_counter() - t, r.json()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t0
    lat = [d for d, _ in done]
    timings = [b.get("timings") or {} for _, b in done]
    llm_ms = [t.get("llm_prompt_ms", 0) + t.get("llm_generate_ms", 0) for t in timings]
    total_ms = [t.get("total_ms", 0) for t in timings]
    return {"clients": clients, "requests": requests, "rps": requests / wall, "p50_s": percentile(lat, 50),
            "p95_s": percentile(lat, 95), "prompt_tokens": statistics.mean(b["usage"]["prompt_tokens"] for _, b in done),
            "completion_tokens": statistics.mean(b["usage"]["completion_tokens"] for _, b in done),
            "own_ms": statistics.mean(t - m for t, m in zip(total_ms, llm_ms, strict=True)) if any(total_ms) else None,
            "http_ms": statistics.mean(d * 1000 - t for d, t in zip(lat, total_ms, strict=True)) if any(total_ms) else None,
            "refused": sum(bool(b.get("refused")) for _, b in done)}


def run(base: str, model: str, prompts: list[str], requests: int, max_tokens: int) -> list[dict[str, Any]]:
    level(base, model, prompts, 1, 1, max_tokens)  # warm-up: first-request costs are not load
    rows = []
    for c in LEVELS:
        row = level(base, model, prompts, c, max(requests, c), max_tokens)
        print(f"  {c} clients: {row['rps']:.2f} req/s, p50 {row['p50_s']:.2f} s, p95 {row['p95_s']:.2f} s", flush=True)
        rows.append(row)
    return rows


def table(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> str:
    lines = ["| clients | assistant req/s | p50 s | p95 s | llama.cpp req/s | p50 s | p95 s | req/s ratio | p50 ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    for a, b in zip(ours, theirs, strict=True):
        lines.append(f"| {a['clients']} | {a['rps']:.2f} | {a['p50_s']:.2f} | {a['p95_s']:.2f} | {b['rps']:.2f} | "
                     f"{b['p50_s']:.2f} | {b['p95_s']:.2f} | {a['rps'] / b['rps']:.2f}x | {a['p50_s'] / b['p50_s']:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="fast")
    ap.add_argument("--requests", type=int, default=8, help="Requests per level (at least the level's clients).")
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--data-dir", help="Index to answer from (default: the usual one; built if missing).")
    args = ap.parse_args()

    settings = Settings()
    spec = spec_for(args.model)
    name = spec.name if spec else args.model
    path = resolve(args.model, settings.models_dir)
    prompts = questions(8)
    env = {**os.environ, **({"ASSISTANT_DATA_DIR": args.data_dir} if args.data_dir else {})}
    logs = Path(tempfile.mkdtemp(prefix="bench_serve_"))

    port = free_port()
    print(f"assistant serve --model {args.model} (logs in {logs})", flush=True)
    with server([sys.executable, "-m", "assistant", "serve", "--model", args.model, "--port", str(port),
                 "--max-queue", str(max(LEVELS))], f"http://127.0.0.1:{port}/health", logs / "assistant.log", env):
        ours = run(f"http://127.0.0.1:{port}", name, prompts, args.requests, args.max_tokens)

    port = free_port()
    print(f"python -m llama_cpp.server --model {path.name}", flush=True)
    with server([sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", name,
                 "--port", str(port), "--n_ctx", str(settings.llm.n_ctx)],
                f"http://127.0.0.1:{port}/v1/models", logs / "llama_cpp.log"):
        theirs = run(f"http://127.0.0.1:{port}", name, prompts, args.requests, args.max_tokens)

    own = [r["own_ms"] for r in ours if r["own_ms"] is not None]
    verify = getattr(Settings(), "verify", None)
    judge = f", support judge {verify.judge}" if verify is not None else ""
    md = "\n".join([
        f"# `assistant serve` vs `python -m llama_cpp.server` ({name}, {args.requests} requests per level, "
        f"max_tokens {args.max_tokens}, {os.cpu_count()} CPU cores{judge})", "",
        table(ours, theirs), "",
        f"Prompt tokens per request: assistant {statistics.mean(r['prompt_tokens'] for r in ours):.0f} (question, "
        f"evidence sentences, fixed system prompt), llama.cpp {statistics.mean(r['prompt_tokens'] for r in theirs):.0f} "
        "(the question alone); completion tokens "
        f"{statistics.mean(r['completion_tokens'] for r in ours):.0f} vs "
        f"{statistics.mean(r['completion_tokens'] for r in theirs):.0f}.",
        (f"Time per answer outside llama.cpp's own prompt and generation time (retrieval, evidence, support "
         f"check): {statistics.mean(own):.0f} ms; HTTP, queue hand-off and JSON with one client (latency minus the "
         f"answer's own total): {ours[0]['http_ms']:.0f} ms. The rest of the gap is the longer prompt." if own else ""),
        "",
        f"Measured on a shared machine (load average {os.getloadavg()[0]:.1f} at the end); compare the columns "
        "of one run, not runs.", "",
        "Both servers run one generation at a time on the same cores, so requests/s stays flat as clients are "
        "added and latency grows with the queue.",
    ])
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_serve.md").write_text(md + "\n", encoding="utf-8")
    (REPORTS / "bench_serve.json").write_text(json.dumps({"model": name, "max_tokens": args.max_tokens,
                                                          "assistant": ours, "llama_cpp": theirs}, indent=2))
    print(md)


if __name__ == "__main__":
    main()
