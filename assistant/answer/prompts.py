"""Prompt files, rendered strictly: a missing or unused variable is an error.

Variables are written $name (string.Template), so braces and JSON in a prompt need no escaping.
The prompts ship inside the package (`assistant/prompts/`): in a checkout that folder is a
link to the top-level `prompts/` you edit; in a wheel it holds copies of the same files.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


@cache
def load(name: str) -> string.Template:
    path = PROMPTS_DIR / f"{name}.md"
    return string.Template(path.read_text(encoding="utf-8").strip())


def variables(name: str) -> set[str]:
    return set(load(name).get_identifiers())


def render(name: str, **values: str) -> str:
    """The prompt with every $variable filled; KeyError for missing ones, ValueError for unknown ones."""
    extra = set(values) - variables(name)
    if extra:
        raise ValueError(f"prompt {name!r} has no variable(s) {sorted(extra)}")
    return load(name).substitute(values)
