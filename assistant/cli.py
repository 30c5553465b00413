"""The `assistant` command: each subcommand builds Settings and calls one function."""

from __future__ import annotations

import json
import logging
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


@click.group(cls=Group)
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where the index lives.")
@click.option("--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, chroma_url: str | None, verbose: bool) -> None:
    """A local research-paper assistant: search, ask and summarize with citations."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
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
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], fmt: str | None, prune: bool) -> None:
    """Index PATHS (default: the bundled collection). Unchanged papers cost nothing."""
    loaded, report = _assistant(_settings(ctx)).ingest(list(paths) or None, fmt=fmt, prune=prune)
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
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Show what the index holds and how it was built."""
    for key, value in _assistant(_settings(ctx)).stats().items():
        click.echo(f"{key:>10}: {json.dumps(value) if isinstance(value, dict) else value}")


@main.command("eval")
@click.option("--questions", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=Path("eval/questions.jsonl"), show_default=True)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--retrieval-only", is_flag=True, help="Only retrieve; no model needed.")
@click.option("--limit", type=int, help="Only the first N questions.")
@click.pass_context
def eval_cmd(ctx: click.Context, questions: Path, out: Path, retrieval_only: bool, limit: int | None) -> None:
    """Run an eval set; write results.jsonl, metrics.json and report.md to OUT."""
    from assistant.evaluate.questions import load_questions
    from assistant.evaluate.report import retrieval_table
    from assistant.evaluate.runner import run_eval

    qs = load_questions(questions)[:limit]
    metrics = run_eval(_assistant(_settings(ctx)), qs, out, retrieval_only=retrieval_only)
    click.echo(retrieval_table(metrics))
    click.echo(f"Wrote {out / 'results.jsonl'}, metrics.json and report.md")


if __name__ == "__main__":
    main()
