"""The CLI reports failures as one-line errors with exit code 1, never as a traceback or an assert."""

from __future__ import annotations

from click.testing import CliRunner

import assistant.cli
from assistant.cli import main


class NoAnswer:
    """An assistant whose answer stream ends before its answer (a backend that stopped mid-way)."""

    def ask_stream(self, question, k=None):
        return iter(())


def test_ask_without_an_answer_is_an_error_message(monkeypatch):
    monkeypatch.setattr(assistant.cli, "_assistant", lambda settings, **kw: NoAnswer())
    r = CliRunner().invoke(main, ["ask", "What is CaSED?"])
    assert r.exit_code == 1 and not isinstance(r.exception, AssertionError)
    assert "Error: the answer stream ended without an answer" in r.output
