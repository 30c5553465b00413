"""Pure functions that turn Answers and Sources into the HTML/Markdown the UI shows.

No Gradio here: these are tested without a browser.

    >>> link_citations("A claim [1].", {1: "Paper T"})
    'A claim <a class="cite" href="#src-1" title="Paper T">[1]</a>.'
"""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.answer.check import render_claims
from assistant.answer.citations import MARKER, parse_numbers
from assistant.render import answer_markdown, bibtex
from assistant.types import Action, Answer, Flag, Source

__all__ = ["answer_html", "bibtex", "conversation_markdown", "link_citations", "sources_html", "speed_line",
           "summary_html"]


def link_citations(text: str, titles: dict[int, str], attributed: frozenset[int] = frozenset(),
                   evidence: dict[int, str] | None = None) -> str:
    """Each [n] becomes a link to source n, with the paper's title (and the sentence it rests on) on hover;
    added ones are marked."""

    def link(m: re.Match[str]) -> str:
        out = []
        for n in parse_numbers(m.group(1)):
            if n not in titles:
                continue  # never show a citation that points at nothing
            cls = "cite attributed" if n in attributed else "cite"
            note = " (added by the support check)" if n in attributed else ""
            if evidence and n in evidence:
                note += f": “{evidence[n]}”"
            out.append(f'<a class="{cls}" href="#src-{n}" title="{html.escape(titles[n] + note)}">[{n}]</a>')
        return (" " if m.group(0).startswith(" ") else "") + "".join(out)

    return MARKER.sub(link, html.escape(text, quote=False))


def answer_html(a: Answer) -> str:
    """The chat message for a finished answer: linked citations (each with the source sentence it rests on),
    support-check notes, or a refusal."""
    if a.refused:
        related = "".join(f"<li>{html.escape(h.paper.title)}</li>" for h in a.related[:5])
        why = next((f.reason for f in a.flagged if f.action == Action.REFUSED), "")
        why = f' <span class="why">({html.escape(why)})</span>' if why else ""
        return (f'<div class="refusal"><strong>Not answered.</strong> {html.escape(a.text)}{why}'
                f'<br>Related reading:<ul>{related}</ul></div>')
    titles = {s.n: s.paper.title for s in a.sources}
    attributed = frozenset(f.n for f in a.flagged if f.action == Action.ATTRIBUTED and f.n)
    if a.claims:
        body = " ".join(link_citations(render_claims([c]), titles, attributed, c.evidence) for c in a.claims)
    else:
        body = link_citations(a.text, titles, attributed)
    notes = []
    # a sentence not shown at all gets one note, naming the sources that did not state it
    gone = {f.sentence for f in a.flagged if f.action == Action.UNSUPPORTED}
    dropped: dict[str, list[Flag]] = {}
    for f in a.flagged:
        if f.action == Action.DROPPED and f.sentence in gone:
            dropped.setdefault(f.sentence, []).append(f)
    for f in a.flagged:
        if f.action == Action.CONTRADICTED:
            notes.append(f"[{f.n}] removed from “{html.escape(f.sentence)}”: {html.escape(f.reason)}")
        elif f.action == Action.DROPPED and f.sentence in gone:
            continue  # said with the sentence's removal below
        elif f.action == Action.DROPPED:
            why = f" ({html.escape(f.reason)})" if f.reason else ""  # a rule's reason, or the stance readings
            notes.append(f"[{f.n}] removed: the source does not state “{html.escape(f.sentence)}”{why}")
        elif f.action == Action.UNANSWERED:
            notes.append(f"removed “{html.escape(f.sentence)}”: [{f.n}] states it but does not answer the question")
        elif f.action == Action.OFF_TOPIC:
            notes.append(f"[{f.n}] removed: “{html.escape(f.sentence)}” is not about the question")
        elif f.action == Action.UNSUPPORTED and (tried := dropped.pop(f.sentence, [])):
            why = "; ".join(f"[{d.n}] does not state it" + (f" ({html.escape(d.reason)})" if d.reason else "")
                            for d in tried)
            own = f" ({html.escape(f.reason)})" if f.reason and f.n is None else ""  # e.g. "no source backs 'yes'"
            notes.append(f"removed “{html.escape(f.sentence)}”{own}: {why}")
        elif f.action == Action.UNSUPPORTED:
            notes.append(f"removed “{html.escape(f.sentence)}”: no source states it")
        elif f.action == Action.RESTATED:
            notes.append(f"removed “{html.escape(f.sentence)}”: it only restates the question")
        elif f.action == Action.RESTANCED:
            notes.append(f"stance corrected in “{html.escape(f.sentence)}”: {html.escape(f.reason)}")
        elif f.action == Action.STANCE:
            notes.append(f"“{html.escape(f.sentence)}” shown as its stance: the rest only restated the question")
        elif f.action == Action.PREMISE:
            notes.append(f"“{html.escape(f.sentence)}” replaced by the words of [{f.n}]: [{f.n}] does not state what "
                         "the sentence took from the question")
        elif f.action == Action.UNANCHORED:
            notes.append(f"“{html.escape(f.sentence)}” replaced by the words of [{f.n}]: it pointed back at a sentence "
                         "that was not shown")
        elif f.action == Action.UNSTANCED:
            notes.append(f"stance removed from “{html.escape(f.sentence)}”: {html.escape(f.reason)}")
        elif f.action == Action.LISTED:
            notes.append(f"[{f.n}] added: {html.escape(f.reason)}")
        elif f.action == Action.NAMED:
            notes.append("the model only named the source(s); the sentence says what the question asked of them")
    if quoted := next((f for f in a.flagged if f.action == Action.QUOTED), None):  # before the quotes it explains
        body = f'<div class="quoted-note">{html.escape(quoted.reason)}</div>' + body
    if notes:
        body += '<div class="flagged">⚠ Support check: ' + "; ".join(notes) + "</div>"
    return body


def summary_html(summary: Any) -> str:
    """A topic summary: one paragraph per theme (its name in bold, written by the model), each sentence's
    citations linked with the paper sentence it rests on; then the coverage section."""
    titles = {src.n: src.paper.title for src in summary.sources}
    attributed = frozenset(f.n for f in summary.flagged if f.action == Action.ATTRIBUTED and f.n)

    def sentences(claims: list[Any]) -> str:
        return " ".join(link_citations(render_claims([c]), titles, attributed, c.evidence) for c in claims)

    body = "".join(f"<p><strong>{html.escape(t.name)}</strong><br>{sentences(t.claims)}</p>"
                   for t in summary.themes if t.claims)
    if summary.closing:
        body += f"<p>{sentences(summary.closing)}</p>"
    if not body:
        related = "".join(f"<li>{html.escape(h.paper.title)}</li>" for h in summary.related)
        body = (f'<div class="refusal">{html.escape(summary.text)}'
                f"{f'<br>Related reading:<ul>{related}</ul>' if related else ''}</div>")
    c = summary.coverage
    left = "".join(f"<li>{html.escape(x['title'])} ({html.escape(x['why'])})</li>" for x in c["relevant_not_cited"])
    quoted = (f"<br>{len(c['quoted'])} quoted verbatim (no checked sentence of the synthesis cites them)."
              if c.get("quoted") else "")
    if c.get("alone"):
        quoted += f"<br>{len(c['alone'])} shown in their own words (a theme of one paper)."
    note = ('<div class="provenance">Theme names and sentences are the model\'s, each checked against the cited '
            "papers; text in quotes is the paper's own, under its title where a theme is one paper.</div>"
            if summary.citations else "")
    return (f'<div class="summary">{body}{note}<div class="coverage"><strong>Coverage.</strong> '
            f"{c['considered']} papers considered, {len(c['cited'])} cited.{quoted}"
            f"{f'<br>Relevant but not cited:<ul>{left}</ul>' if left else ''}</div></div>")


def _highlight(text: str, sentences: list[str]) -> str:
    out = html.escape(text)
    for s in sentences:
        esc = html.escape(s)
        out = out.replace(esc, f"<mark>{esc}</mark>")
    return out


def sources_html(sources: list[Source], cited: set[int] | None = None) -> str:
    """The sources panel: title, score, why it came up, passages with the evidence sentences highlighted, links."""
    if not sources:
        return '<div class="sources-empty">No sources for this question.</div>'
    parts = []
    for s in sources:
        h = s.hit
        why = f"dense #{h.dense_rank or '–'} · lexical #{h.lexical_rank or '–'} · score {h.score:.4f}"
        links = "".join(f'<a href="{html.escape(u)}" target="_blank" rel="noopener">{html.escape(u)}</a> '
                        for u in s.paper.links)
        # the best passage, or the abstract when the model was shown sentences beyond it: every sentence a claim
        # can rest on, or a quote can repeat, is there to read, highlighted
        best = h.passages[0].text if h.passages else s.paper.abstract
        if not all(e in best for e in s.evidence):
            best = s.paper.abstract if all(e in s.paper.abstract for e in s.evidence) else " … ".join(s.evidence)
        passages = f"<p>{_highlight(best, s.evidence)}</p>"
        mark = " cited" if cited and s.n in cited else ""
        parts.append(f'<div class="source{mark}" id="src-{s.n}"><div class="source-title">[{s.n}] '
                     f'{html.escape(s.paper.title)}</div><div class="why">{why}</div>{passages}'
                     f'{f"<div class=links>{links}</div>" if links else ""}</div>')
    return "".join(parts)


def speed_line(a: Answer) -> str:
    t, u = a.timings, a.usage
    gen_s = (t.get("total_ms", 0) - t.get("ttft_ms", 0)) / 1000
    tps = u.get("completion_tokens", 0) / gen_s if gen_s > 0 else 0.0
    verified = f" · first verified sentence {t['first_sentence_ms'] / 1000:.1f} s" if "first_sentence_ms" in t else ""
    check = f" · checking {t['verify_ms'] / 1000:.1f} s" if "verify_ms" in t else ""
    return (f"first token {t.get('ttft_ms', 0) / 1000:.1f} s{verified}{check} · {tps:.1f} tokens/s · "
            f"total {t.get('total_ms', 0) / 1000:.1f} s")


def conversation_markdown(items: list[Any]) -> str:
    """The conversation as Markdown: each answer or summary with its own numbered references."""
    from assistant.answer.summarize import summary_markdown

    return "# Conversation\n\n" + "\n---\n\n".join(
        answer_markdown(x) if isinstance(x, Answer) else summary_markdown(x) for x in items)
