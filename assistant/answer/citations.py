"""The citation contract: sources are numbered 1..n and cited inline as [n].

Accepted forms: [1], [1][2], [1, 2], [1-3]. Numbers outside 1..n are dropped; a marker
left with no number disappears. Answers are split into sentences, each with the set of
sources it cites, and rendered back as text with normalised markers.

    >>> parse_numbers("[1-3]")
    [1, 2, 3]
    >>> keep_valid("A [1, 9]. B [7].", 2)
    'A [1]. B.'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.index.chunking import split_sentences

MARKER = re.compile(r"\s*\[(\s*\d+\s*(?:(?:[-–,]|\]\s*\[)\s*\d+\s*)*)\]")
_MAX_RANGE = 20
_LEAD_MARKERS = re.compile(r"^((?:\s*\[[^\]]*\])+)\s*")
_PARTIAL_MARKER = re.compile(r"\s*\[[\d\s,\-–\]\[]*")  # the start of a marker whose "]" has not come yet


def parse_numbers(marker: str) -> list[int]:
    """Numbers in one marker's text, ranges expanded, order kept, duplicates dropped."""
    out: list[int] = []
    for part in re.split(r"[,\]\[]+", marker.strip("[] ")):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part)
        nums = range(int(m.group(1)), int(m.group(2)) + 1) if m and int(m.group(2)) - int(m.group(1)) < _MAX_RANGE \
            else [int(x) for x in re.findall(r"\d+", part)]
        out += [n for n in nums if n not in out]
    return out


def format_marker(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def keep_valid(text: str, n_sources: int) -> str:
    """Text with every marker reduced to the numbers 1..n_sources (a marker with none is removed)."""

    def fix(m: re.Match[str]) -> str:
        nums = [n for n in parse_numbers(m.group(1)) if 1 <= n <= n_sources]
        return " " + format_marker(nums) if nums else ""

    return MARKER.sub(fix, text)


_CITE = re.compile(r"\[(\d+)\]")
# markers standing where a noun belongs: opening the sentence (after a stance, "Both", "Paper(s)", "Source(s)") or
# after "with"/"while"/"whereas", and followed by a lower-case word that does not start a new clause
_NOUN_MARKERS = re.compile(
    r"(^\W*(?:(?:yes|no)\W+)?(?:(?:both|papers?|sources?)\s+)?|\b(?:with|while|whereas)\s+)"
    r"(\[\d+\](?:\s*(?:,\s*and|,|and|or)\s*\[\d+\])*)"
    r"(?=\s+(?!(?:and|or|but|which|where|while|whereas|that|as|to|in|for|on|by|with|from|of|the|a|an)\b)(?-i:[a-z]))",
    re.I)


def name_sources(sentence: str, titles: dict[int, str]) -> tuple[str, set[int]]:
    """One sentence whose markers used as names ("[1] develops ...", "[1] and [3] study ...") get their sources'
    titles in front, and the numbers so named: the sentence then says which paper it is about (what "which
    paper ...?" asks), and each named source has to state it.

    >>> name_sources("[1] and [3] study X [1].", {1: "A", 3: "C"})
    ('"A" [1] and "C" [3] study X [1].', {1, 3})
    >>> name_sources("Yes, [2] uses Y, with [1] using Z.", {1: "A", 2: "B"})
    ('Yes, "B" [2] uses Y, with "A" [1] using Z.', {1, 2})
    >>> name_sources("X holds [1] and Y holds [2].", {1: "A", 2: "B"})
    ('X holds [1] and Y holds [2].', set())
    >>> name_sources("[1] Alpha beats Beta.", {1: "Alpha beats"})  # a title or label after the marker: left alone
    ('[1] Alpha beats Beta.', set())
    """
    named: set[int] = set()

    def title(c: re.Match[str]) -> str:
        n = int(c.group(1))
        if n not in titles:
            return c.group()
        named.add(n)
        return f'"{titles[n]}" {c.group()}'

    text = _NOUN_MARKERS.sub(lambda m: m.group(1) + _CITE.sub(title, m.group(2)), sentence)
    return text, named


@dataclass
class Sentence:
    text: str  # without markers
    cited: list[int] = field(default_factory=list)
    named: list[int] = field(default_factory=list)  # cited sources the sentence names (name_sources): each must state it


def split_cited(text: str, titles: dict[int, str] | None = None) -> list[Sentence]:
    """Sentences with the numbers each cites; markers that open a sentence belong to the one before, unless
    they are its subject ("[2] uses ..."). With `titles`, markers used as names get their titles (name_sources)."""
    out: list[Sentence] = []
    for raw in split_sentences(text):
        lead = _LEAD_MARKERS.match(raw)
        if lead and out and not _NOUN_MARKERS.match(raw):
            out[-1].cited += [n for n in _numbers_in(lead.group(1)) if n not in out[-1].cited]
            raw = raw[lead.end():]
        raw, named = name_sources(raw, titles) if titles else (raw, set())
        nums = _numbers_in(raw)
        plain = " ".join(MARKER.sub("", raw).split())
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        if plain:
            out.append(Sentence(plain, nums, sorted(named)))
    return out


def _numbers_in(text: str) -> list[int]:
    out: list[int] = []
    for m in MARKER.finditer(text):
        out += [n for n in parse_numbers(m.group(1)) if n not in out]
    return out


def render(sentences: list[Sentence]) -> str:
    """Sentences joined, each marker placed before its final punctuation: 'A claim [1][2].'"""
    parts = []
    for s in sentences:
        if not s.cited:
            parts.append(s.text)
            continue
        body, end = (s.text[:-1], s.text[-1]) if s.text[-1:] in ".!?" else (s.text, "")
        parts.append(f"{body} {format_marker(s.cited)}{end}")
    text = ""
    for s, part in zip(sentences, parts, strict=True):
        sep = "\n\n" if text and s.text.startswith("**") else " " if text else ""
        text += sep + part
    return text


class StreamFilter:
    """Passes streamed text on, holding back a possible marker until it closes, then keeping valid numbers only."""

    def __init__(self, n_sources: int) -> None:
        self.n = n_sources
        self.held = ""

    def feed(self, piece: str) -> Iterator[str]:
        self.held += piece
        while self.held:
            start = self.held.find("[")
            if start < 0:
                yield self.held
                self.held = ""
                return
            start = len(self.held[:start].rstrip())  # the space before a marker goes with it if it is dropped
            if start:
                yield self.held[:start]
                self.held = self.held[start:]
            end = self.held.find("]")
            if end < 0:
                if len(self.held) > 40 or not _PARTIAL_MARKER.fullmatch(self.held):
                    yield self.held[0]
                    self.held = self.held[1:]
                    continue
                return
            marker, self.held = self.held[: end + 1], self.held[end + 1 :]
            yield keep_valid(marker, self.n) if MARKER.fullmatch(marker) else marker

    def flush(self) -> str:
        """What is held back at the end; a marker the stream cut off before its "]" is no citation and goes."""
        out, self.held = self.held, ""
        return "" if _PARTIAL_MARKER.fullmatch(out) else out


_ONLY_MARKERS = re.compile(r"(?:\s*\[[^\]]*\]?)*\s*")


class SentenceStream:
    """Collects streamed text and hands out whole sentences, each with the markers that close it.

    A sentence is complete once the next one has begun with something other than markers
    (markers that open a sentence belong to the one before, as in split_cited).

    >>> s = SentenceStream()
    >>> s.feed("A is true. [1")
    []
    >>> s.feed("] B is")
    ['A is true. [1]']
    >>> s.flush()
    'B is'
    """

    def __init__(self) -> None:
        self.buf = ""

    def feed(self, piece: str) -> list[str]:
        self.buf += piece
        parts = split_sentences(self.buf)
        if len(parts) < 2:
            return []
        last = parts[-1]
        if _ONLY_MARKERS.fullmatch(last):
            done, rest = parts[:-2], " ".join(parts[-2:])
        else:
            done, rest = parts[:-1], last
            if lead := _LEAD_MARKERS.match(last):
                if re.fullmatch(r"\w*", last[lead.end():]):
                    return []  # whether the markers are the next sentence's subject shows with its first word
                if not _NOUN_MARKERS.match(last):
                    done[-1] += " " + lead.group(1).strip()
                    rest = last[lead.end():]
        if not done:
            return []
        self.buf = rest + (" " if self.buf[-1:].isspace() else "")
        return done

    def flush(self) -> str:
        out, self.buf = self.buf.strip(), ""
        return out
