"""Does the question ask for a number, and does the answer give one?

A question about a metric or setting ("What score does X reach on Y?", "What learning rate
was used?") is answered by a figure; an answer without one only restates what the paper says
around it, so the papers do not state it and the question is refused. Counting questions
("how many ...") also accept number words ("ten features").
"""

from __future__ import annotations

import re

_METRIC = (r"(?:score|accuracy|error(?: rate)?|mrr\S*|recall\S*|precision\S*|f1\S*|bleu|rouge\S*|perplexity|"
           r"latency|throughput|speed-?up|learning rate|batch size|auc|ndcg\S*|map@\S*|top-[15]\S*)")
# the metric word must end the asked-for phrase: "what score does", not "what score function"
_ASKS_METRIC = re.compile(rf"\b(?:what|which)\s+(?:[\w@.-]+\s+){{0,2}}{_METRIC}"
                          r"(?=\s*(?:[?,]|$|\s(?:does|do|did|is|was|were|are|has|have|of|on|for|in|at|and|when)\b))",
                          re.I)
_ASKS_COUNT = re.compile(r"\bhow (?:many|much|few)\b", re.I)
_DIGITS = re.compile(r"(?<![\w-])\d+(?:[.,]\d+)*")
_WORDS = re.compile(r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                    r"forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|twice)\b", re.I)


def expects_number(question: str) -> str | None:
    """'metric' for a question about a figure, 'count' for how many/much/few, else None.

    >>> expects_number("What top-1 ImageNet accuracy does PlainMamba reach?"), expects_number("How many GPUs?")
    ('metric', 'count')
    >>> expects_number("What happens to their accuracy as the label set grows?") is None
    True
    """
    if _ASKS_METRIC.search(question):
        return "metric"
    return "count" if _ASKS_COUNT.search(question) else None


def gives_number(text: str, kind: str, question: str = "") -> bool:
    """Whether `text` (citation markers removed) states a figure: digits, or number words for a count.
    Numbers the question itself holds ("on ImageNet 256x256") are not an answer.

    >>> gives_number("It is on par with models four times its size.", "metric")
    False
    >>> gives_number("It needs only ten features.", "count"), gives_number("It reaches 82.7% top-1.", "metric")
    (True, True)
    >>> gives_number("It is state of the art on ImageNet 256*256.", "metric", "What FID on ImageNet 256x256?")
    False
    """
    asked = set(re.findall(r"\d+(?:[.,]\d+)*", question))
    return bool(set(_DIGITS.findall(text)) - asked or (kind == "count" and _WORDS.search(text)))
