"""Synthetic (window, claim, label) pairs for training the cross-encoder verifier: the MiniCheck recipe.

Made from the bundled collection, deterministically (fixed seed, file order), using only the
papers at 1-based positions i with i % 3 != 0: the papers with i % 3 == 0 are kept for a
hand-labelled held-out set and never appear here, not even as a source of negatives.

Premise: a window of the abstract as the verifier sees it at inference (the title, then 1-3
adjacent sentences, assistant.verify.crossencoder.window_text) that holds the sentence the
claim was made from. Claims:

  positive (label 1)                       negative (label 0), all hard
  sentence   the sentence itself           flip      polarity flipped (not/no/fails to,
  short      clauses dropped                         improves/degrades, outperforms/under-
  joined     two adjacent sentences                  performs, better/worse, increases/
  yes        "Yes, " + the sentence                  decreases, requires/does not require …)
  this_paper "We"/the title's name -> this  number    one number changed
             paper                         name      a name/method/dataset swapped for one
                                                     of another paper
                                           nearest   a sentence of the most similar other
                                                     paper (MiniLM), against this paper's
                                                     closest window
                                           yes_other "Yes, " + another paper's sentence
                                           mixed     a true sentence joined with a false one

Negatives are made from the sentence or from its short / this_paper / yes rewrite, so the
style of a claim never gives its label away. Classes are balanced. Papers are split by
position into train and val (every 10th paper of the pool is val), so val measures
papers the model never saw.

    .venv/bin/python eval/verifier_data.py            # writes eval/verifier_synthetic.jsonl
    .venv/bin/python eval/verifier_data.py --check    # regenerate and compare with the file
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from assistant.corpus import load_papers  # noqa: E402
from assistant.index.chunking import split_sentences  # noqa: E402
from assistant.types import Paper  # noqa: E402
from assistant.verify.crossencoder import window_text  # noqa: E402

SEED = 20261126
OUT = ROOT / "eval" / "verifier_synthetic.jsonl"
VAL_EVERY = 10  # pool position % VAL_EVERY == VAL_EVERY - 1 -> val
# How many of each kind are drawn (fewer when a kind has fewer candidates); positives and
# negatives are then cut to the same count.
QUOTA = {
    "sentence": 300, "short": 450, "joined": 350, "yes": 300, "this_paper": 350,
    "flip": 600, "number": 250, "name": 350, "nearest": 300, "yes_other": 150, "mixed": 300,
}
POSITIVE = ("sentence", "short", "joined", "yes", "this_paper")


# ---------------------------------------------------------------- which papers

def pool(papers: list[Paper]) -> list[Paper]:
    """The papers this data may use: 1-based position i in the bundled file with i % 3 != 0."""
    return [p for i, p in enumerate(papers, 1) if i % 3 != 0]


def split_of(pool_index: int) -> str:
    return "val" if pool_index % VAL_EVERY == VAL_EVERY - 1 else "train"


# ---------------------------------------------------------------- positives

_LEAD = re.compile(r"^(?:However|Moreover|Furthermore|In addition|Additionally|Specifically|In particular|Finally|"
                   r"To this end|To address this(?: issue| problem| gap| challenge)?|In this (?:paper|work|study)|"
                   r"Here|Overall|Consequently|Therefore|Thus|As a result|Importantly|Notably|Surprisingly|"
                   r"Empirically|Experimentally|In practice|Crucially|First|Second|Third|Lastly|Then|Next),\s+")
_SUBORDINATE = re.compile(r"^(?:Although|Though|While|Unlike|Despite|Given|To|By|With|Using|Building on|Based on|"
                          r"Inspired by|Motivated by|In contrast to|Compared to|Compared with|As|Since|Because|"
                          r"Through|Leveraging|Following)\b")
_CUT = re.compile(r"[,;:]\s+|\s+(?=(?:which|while|whereas|where|thereby|thus|and thus|resulting in|leading to|"
                  r"allowing|enabling|making|so that|such that)\b)")
_LIST = re.compile(r"^(?:(?:[^,;.]{1,40}, )+(?:and|or|etc)\b|[^,;.\s]+(?: [^,;.\s]+){0,3},? (?:and|or) )")
_DANGLING = {"a", "an", "the", "of", "on", "in", "for", "to", "with", "by", "and", "or", "as", "e.g.", "i.e.", "such"}


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _lower_first(s: str) -> str:
    """Lower-case the first letter unless the first word is a name or acronym (PlainMamba, LLMs)."""
    first = s.split(" ", 1)[0]
    return s if any(c.isupper() for c in first[1:]) or any(c.isdigit() for c in first) else s[:1].lower() + s[1:]


def _finish(s: str) -> str:
    s = s.strip().rstrip(",;:")
    return s if s.endswith((".", "!", "?")) else s + "."


def shorten(s: str) -> str | None:
    """Drop parentheticals, a leading connective, a leading subordinate clause or the trailing clauses."""
    t = re.sub(r"\s*\([^()]*\)", "", s)
    t = _upper_first(_LEAD.sub("", t))
    if _SUBORDINATE.match(t) and ", " in t:
        rest = t.split(", ", 1)[1]
        if len(rest.split()) >= 6:
            t = _upper_first(rest)
    in_list = False
    for m in _CUT.finditer(t):
        if m.group(0).startswith(","):
            if _LIST.match(t[m.end():]):  # "on A, B, and C": a list, not a clause
                in_list = True
                continue
            if in_list:  # the list's last comma
                in_list = not re.match(r"(?:and|or|etc)\b", t[m.end():])
                continue
        if t[:m.start()].split()[-1].lower() in _DANGLING:
            continue
        if len(t[:m.start()].split()) >= 6:
            t = t[:m.start()]
            break
    t = _finish(t)
    if len(t.split()) < 5 or t == s or len(t) > 0.9 * len(s):
        return None
    if t.count("(") != t.count(")") or t.count('"') % 2:
        return None
    return t


VERBS = set("""propose present introduce show find demonstrate evaluate investigate study develop describe conduct use
    explore provide analyze analyse examine achieve apply compare consider design discuss extend focus identify observe
    obtain release report train argue address perform define formulate derive prove establish leverage build construct
    collect curate create offer outline review survey benchmark test measure quantify highlight reveal discover employ
    adopt implement incorporate combine aim seek attempt tackle verify validate assess explain characterize
    characterise model frame cast make take have open-source fine-tune finetune reformulate revisit examine
    systematically empirically further also first then""".split())
_ADVERBS = {"also", "further", "first", "then", "systematically", "empirically"}


def _third_person(verb: str) -> str:
    if verb == "have":
        return "has"
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if len(verb) > 2 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def title_name(title: str) -> str | None:
    """The name a title gives its method: 'PlainMamba: ...' -> 'PlainMamba' (one or two words)."""
    m = re.match(r"^([^:\s]{3,30}):\s", title)
    if m and (any(c.isupper() for c in m.group(1)[1:]) or any(c.isdigit() for c in m.group(1))):
        return m.group(1)
    return None


def this_paper(s: str, title: str) -> str | None:
    """'We propose X' -> 'This paper proposes X'; the title's method name -> 'the method of this paper'."""
    m = re.match(r"^(?:In this (?:paper|work|study|article), )?[Ww]e (\w[\w-]*)(?: (\w[\w-]*))?(.*)$", s)
    if not m or re.search(r"\b(?:we|us)\b", m.group(3) or "", re.I):
        name = title_name(title)
        if name and re.search(rf"\b{re.escape(name)}\b", s):
            return _upper_first(re.sub(rf"\b{re.escape(name)}\b", "the method of this paper", s, count=1))
        return None
    v1, v2, rest = m.group(1), m.group(2) or "", m.group(3)
    if v1 not in VERBS:
        return None
    if v1 in _ADVERBS:  # "we also propose" -> "this paper also proposes"
        if v2 not in VERBS or v2 in _ADVERBS:
            return None
        words = f"{v1} {_third_person(v2)}"
    else:
        words = f"{_third_person(v1)} {v2}".rstrip()
    out = f"This paper {words}{rest}"
    out = re.sub(r"\bour\b", "its", out)
    out = re.sub(r"\bOur\b", "Its", out)
    return out


def yes(s: str) -> str:
    return "Yes, " + _lower_first(s)


# ---------------------------------------------------------------- negatives

def _pairs(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    """Each word pair both ways."""
    return [*pairs, *((b, a) for a, b in pairs)]


SWAPS = _pairs(
    ("outperforms", "underperforms"), ("outperform", "underperform"), ("outperforming", "underperforming"),
    ("outperformed", "underperformed"), ("improves", "degrades"), ("improve", "degrade"), ("improved", "degraded"),
    ("improving", "degrading"), ("improvement", "degradation"), ("improvements", "degradations"),
    ("better", "worse"), ("increases", "decreases"), ("increase", "decrease"), ("increased", "decreased"),
    ("increasing", "decreasing"), ("higher", "lower"), ("faster", "slower"), ("superior", "inferior"),
    ("effective", "ineffective"), ("efficient", "inefficient"), ("accurate", "inaccurate"),
    ("consistent", "inconsistent"), ("consistently", "rarely"), ("always", "never"), ("enables", "prevents"),
    ("enable", "prevent"), ("positive", "negative"),
    ("larger", "smaller"), ("more", "less"), ("robust", "fragile"), ("significantly", "barely"),
    ("state-of-the-art", "below-baseline"), ("success", "failure"), ("successfully", "unsuccessfully"),
    ("requires", "does not require"), ("require", "do not require"), ("reduces", "raises"),
    ("reduce", "raise"), ("reduced", "raised"),
) + [("without", "with"), ("fewer", "more"), ("cannot", "can"), ("unable", "able")]
_AUX = r"\b(is|are|was|were|can|could|will|would|does|do|did|should|may|must|has|have)\b"
_ACTION = re.compile(r"\b(achieves|enables|allows|improves|outperforms|provides|yields|captures|reduces|matches|surpasses|"
                     r"demonstrates|shows|leads|helps|generalizes|generalises|learns|preserves|produces|solves|"
                     r"supports|boosts|exceeds|attains|reaches|identifies|detects|predicts|converges|scales)\b")
_FAILS = re.compile(r"\bfails? to (\w+)")


def _base_form(verb: str) -> str:
    if verb.endswith(("sses", "ches", "shes", "xes", "zes")):
        return verb[:-2]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    return verb[:-1]


def flips(s: str) -> list[tuple[str, str]]:
    """Every single polarity flip of s, as (rule, flipped sentence); the first occurrence is flipped."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(rule: str, t: str) -> None:
        if t != s and t not in seen:
            seen.add(t)
            out.append((rule, t))

    for a, b in SWAPS:
        if " " in a:  # "does not require" -> "requires"
            if a in s:
                add("swap", s.replace(a, b, 1))
            continue
        m = re.search(rf"\b{re.escape(a)}\b", s)
        if m and " not " in b and re.match(r"\s+(?:no|not|none|nothing|never)\b", s[m.end():]):
            continue  # "requires no labels" -> "does not require no labels": a double negative
        if m and not (a in ("require", "requires") and s[max(0, m.start() - 8):m.start()].endswith("not ")):
            add("swap", s[:m.start()] + b + s[m.end():])
    m = re.search(_AUX + r" not\b ?", s)
    if m:
        add("remove_not", s[:m.end(1)] + " " + s[m.end():])
    else:
        m = re.search(_AUX + r" (?!not\b|no\b|nowhere\b|never\b|none\b|nothing\b|neither\b|nor\b|only\b)", s)
        if m:
            add("insert_not", s[:m.end(1)] + (" not " if m.group(1) != "can" else "not ") + s[m.end():])
    m = re.search(r"\bno (?=\w)", s)
    if m:
        add("remove_no", s[:m.start()] + s[m.end():])
    m = _ACTION.search(s)
    if m and "fail" not in s:
        add("fails_to", s[:m.start()] + "fails to " + _base_form(m.group(1)) + s[m.end():])
    m = _FAILS.search(s)
    if m:
        verb = m.group(1)
        add("remove_fails_to", s[:m.start()] + (_third_person(verb) if m.group(0).startswith("fails") else verb)
            + s[m.end():])
    return out


_NUM = re.compile(r"(?<![\w.\-/])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w\-/]|\.\d)")
_NUM_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _other_number(text: str, rng: random.Random) -> str:
    commas = "," in text
    value = float(text.replace(",", ""))
    decimals = len(text.split(".")[1]) if "." in text else 0
    for _ in range(20):
        if decimals == 0 and value <= 12:
            new = float(rng.choice([n for n in range(1, 16) if n != value]))
        else:
            new = value * rng.choice([0.5, 0.6, 0.75, 0.8, 1.25, 1.3, 1.5, 2.0, 3.0])
        if decimals:
            out = f"{new:.{decimals}f}"
        else:
            out = f"{round(new):,}" if commas else str(round(new))
        if out != text and float(out.replace(",", "")) > 0:
            return out
    return str(int(value) + 7)


def change_number(s: str, premise: str, rng: random.Random) -> str | None:
    """One number (or number word) of s replaced by one the premise does not contain."""
    spots = [(m.start(1), m.end(1), m.group(1)) for m in _NUM.finditer(s)
             if not (s[m.start(1) - 1:m.start(1)] == "(" and s[m.end(1):m.end(1) + 1] == ")")]  # (2) enumerates
    spots = [x for x in spots if not (len(x[2]) == 4 and x[2].startswith(("19", "20")))] or spots  # prefer non-years
    words = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"\b(?:" + "|".join(_NUM_WORDS) + r")\b", s)]
    cands = spots or words
    if not cands:
        return None
    start, end, text = rng.choice(cands)
    for _ in range(10):
        new = rng.choice([w for w in _NUM_WORDS if w != text]) if text in _NUM_WORDS else _other_number(text, rng)
        if not re.search(rf"(?<![\w.]){re.escape(new)}(?![\w]|\.\d)", premise):
            return s[:start] + new + s[end:]
    return None


_NAME = re.compile(r"\b(?:[A-Z][\w-]*[A-Z0-9][\w-]*|[A-Z][a-z]{2,}(?:-[A-Z]?[a-z]+)*)\b")
_NOT_NAMES = set("""The This These That Those Our We In On For With By From To As At Its It An And Or But However
    Moreover Furthermore Finally First Second Third Here Our Unlike While Although Specifically Additionally Based
    Using Despite Given Such Existing Recent Current Previous Most Many Both Each Experiments Extensive Results
    Code Finally Overall Moreover Through Building Despite Motivated Inspired Compared Thus Therefore Then Also""".split())


def name_tokens(text: str) -> list[str]:
    """Capitalised or acronym tokens that are not the first word of a sentence (names, methods, datasets)."""
    out = []
    for m in _NAME.finditer(text):
        tok = m.group(0)
        before = text[:m.start()].rstrip()
        if tok in _NOT_NAMES or not before or before.endswith((".", "!", "?", ":", "\n")):
            continue
        out.append(tok)
    return out


def _shape(tok: str) -> str:
    if tok.isupper() or re.fullmatch(r"[A-Z0-9-]+s?", tok):
        return "acronym"
    if any(c.isupper() for c in tok[1:]) or any(c.isdigit() for c in tok):
        return "mixed"
    return "word"


def swap_name(s: str, own_text: str, others: list[str], rng: random.Random) -> str | None:
    """One name of s replaced by a name of the same shape from another paper that this paper never uses."""
    names = name_tokens(s)
    if not names:
        return None
    tok = rng.choice(names)
    lowered = own_text.lower()
    cands = [o for o in others if _shape(o) == _shape(tok) and o.lower() not in lowered and o != tok]
    if not cands:
        return None
    new = rng.choice(cands)
    return re.sub(rf"\b{re.escape(tok)}\b", new, s, count=1)


# ---------------------------------------------------------------- assembling pairs

class Builder:
    def __init__(self, papers: list[Paper], rng: random.Random, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.papers = papers
        self.rng = rng
        self.sents = [split_sentences(p.abstract) for p in papers]
        # Names from abstracts, and from titles only the acronyms and inner-capital ones: every title word is capitalised.
        self.names = sorted({n for p in papers for n in name_tokens(p.abstract)}
                            | {n for p in papers for n in name_tokens("x " + p.title) if _shape(n) != "word"})
        self.by_paper_names = [set(name_tokens(p.abstract)) for p in papers]
        doc = embed([f"{p.title}\n{p.abstract}" for p in papers])
        sim = doc @ doc.T
        np.fill_diagonal(sim, -np.inf)
        self.nearest = [int(np.argmax(row)) for row in sim]
        flat = [s for ss in self.sents for s in ss]
        vecs = embed(flat)
        self.sent_vecs: list[np.ndarray] = []
        k = 0
        for ss in self.sents:
            self.sent_vecs.append(vecs[k:k + len(ss)])
            k += len(ss)
        self.cands: dict[str, list[dict[str, object]]] = {k: [] for k in QUOTA}

    def window(self, pi: int, lo: int, hi: int) -> tuple[str, int, int]:
        """A window of paper pi's sentences covering sentences lo..hi (inclusive), of 1-3 sentences."""
        n = len(self.sents[pi])
        need = hi - lo + 1
        size = max(need, self.rng.choices([1, 2, 3], weights=[0.7, 0.25, 0.05])[0])
        size = min(size, n)
        start = self.rng.randint(max(0, hi - size + 1), min(lo, n - size))
        return window_text(self.papers[pi].title, self.sents[pi][start:start + size]), start, start + size

    def add(self, kind: str, pi: int, premise: str, claim: str, src: str) -> None:
        self.cands[kind].append({"premise": premise, "claim": claim, "label": int(kind in POSITIVE), "kind": kind,
                                 "paper": self.papers[pi].paper_id, "source": src})

    def restyle(self, s: str, pi: int) -> str:
        """The sentence as written, shortened, or in third person: the base a negative is made from."""
        options = [s, s, shorten(s), this_paper(s, self.papers[pi].title)]
        return self.rng.choice([o for o in options if o])

    def build_paper(self, pi: int) -> None:
        rng, sents, paper = self.rng, self.sents[pi], self.papers[pi]
        own = paper.title + " " + paper.abstract
        others = [n for n in self.names if n not in self.by_paper_names[pi]]
        for i, s in enumerate(sents):
            if len(s.split()) < 5:
                continue
            prem = self.window(pi, i, i)[0]
            self.add("sentence", pi, prem, s, s)
            if (t := shorten(s)) is not None:
                self.add("short", pi, self.window(pi, i, i)[0], t, s)
            if i + 1 < len(sents) and len((s + sents[i + 1]).split()) < 70:
                self.add("joined", pi, self.window(pi, i, i + 1)[0], f"{s} {sents[i + 1]}", s)
            self.add("yes", pi, self.window(pi, i, i)[0], yes(rng.choice([s, shorten(s) or s])), s)
            if (t := this_paper(s, paper.title)) is not None:
                self.add("this_paper", pi, self.window(pi, i, i)[0], t, s)
            # negatives
            base = self.restyle(s, pi)
            fl = flips(base)
            if fl:
                semantic = [f for f in fl if f[0] not in ("insert_not",)]
                rule, t = rng.choice(semantic if semantic and rng.random() < 0.7 else fl)
                self.add("flip", pi, self.window(pi, i, i)[0], yes(t) if rng.random() < 0.15 else t, s)
            for _ in range(2):  # few sentences hold numbers: two tries each
                prem = self.window(pi, i, i)[0]
                if (t := change_number(self.restyle(s, pi), prem, rng)) is not None:
                    self.add("number", pi, prem, t, s)
            if (t := swap_name(self.restyle(s, pi), own, others, rng)) is not None:
                self.add("name", pi, self.window(pi, i, i)[0], t, s)
            if i + 1 < len(sents):  # one true sentence and one false one, the window holding both
                j = i + 1
                prem, lo, hi = self.window(pi, i, j)
                false = self._false_version(sents[j], pi, prem)
                if false is not None:
                    self.add("mixed", pi, prem, f"{s} {false}" if rng.random() < 0.5 else f"{false} {s}", s)
        self._borrowed(pi)

    def _false_version(self, s: str, pi: int, premise: str) -> str | None:
        options = [t for _, t in flips(s)]
        if (t := change_number(s, premise, self.rng)) is not None:
            options += [t, t]
        if not options:
            q = self.nearest[pi]
            return self.rng.choice(self.sents[q]) if self.sents[q] else None
        return self.rng.choice(options)

    def _borrowed(self, pi: int) -> None:
        """Negatives whose claim comes from another paper, against this paper's closest window."""
        q = self.nearest[pi]
        mine = self.sent_vecs[pi]
        if len(mine) == 0 or not self.sents[q]:
            return
        order = list(range(len(self.sents[q])))
        self.rng.shuffle(order)
        for j in order[:4]:
            claim = self.sents[q][j]
            sims = mine @ self.sent_vecs[q][j]
            i = int(np.argmax(sims))
            if sims[i] > 0.85 or len(claim.split()) < 5:  # a near-copy may well be true of this paper too
                continue
            self.add("nearest", pi, self.window(pi, i, i)[0], claim, f"nearest:{self.papers[q].paper_id}")
        r = self.rng.randrange(len(self.papers) - 1)
        r = r + 1 if r >= pi else r
        if self.sents[r]:
            claim = self.rng.choice(self.sents[r])
            sims = mine @ self.sent_vecs[r][self.sents[r].index(claim)]
            if float(sims.max()) <= 0.85:
                i = self.rng.randrange(len(self.sents[pi]))
                self.add("yes_other", pi, self.window(pi, i, i)[0], yes(claim), f"other:{self.papers[r].paper_id}")


def generate(embed: Callable[[list[str]], np.ndarray] | None = None) -> list[dict[str, object]]:
    """All pairs, deterministic for the bundled file and the seed."""
    papers = pool(load_papers(None).papers)
    if embed is None:
        from assistant.index.embedding import load_embedder

        embedder = load_embedder(Settings().embedder)
        embed = embedder.embed
    rng = random.Random(SEED)
    b = Builder(papers, rng, embed)
    for pi in range(len(papers)):
        b.build_paper(pi)
    split = {p.paper_id: split_of(i) for i, p in enumerate(papers)}
    rows: list[dict[str, object]] = []
    seen: set[tuple[object, object]] = set()
    for kind, cap in QUOTA.items():
        cands = [c for c in b.cands[kind] if (c["premise"], c["claim"]) not in seen]
        rng.shuffle(cands)
        for c in cands[:cap]:
            seen.add((c["premise"], c["claim"]))
            rows.append({**c, "split": split[str(c["paper"])]})
    pos = [r for r in rows if r["label"] == 1]
    neg = [r for r in rows if r["label"] == 0]
    n = min(len(pos), len(neg))
    rng.shuffle(pos)
    rng.shuffle(neg)
    rows = pos[:n] + neg[:n]
    rng.shuffle(rows)
    return rows


def dumps(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path = OUT) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="regenerate and compare with --out instead of writing")
    args = ap.parse_args()
    rows = generate()
    blob = dumps(rows)
    counts = Counter((r["split"], r["label"]) for r in rows)
    kinds = Counter(str(r["kind"]) for r in rows)
    print(f"{len(rows)} pairs: " + ", ".join(f"{s}/{'pos' if lab else 'neg'} {n}" for (s, lab), n in sorted(counts.items())))
    print("kinds: " + ", ".join(f"{k} {kinds[k]}" for k in QUOTA))
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == blob
        print(f"{args.out}: {'identical' if same else 'DIFFERS'} (sha256 {hashlib.sha256(blob).hexdigest()[:16]}…)")
        sys.exit(0 if same else 1)
    args.out.write_bytes(blob)
    print(f"wrote {args.out} (sha256 {sha256_file(args.out)})")


if __name__ == "__main__":
    main()
