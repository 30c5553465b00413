"""The README's commands and settings table match the code."""

import re

from click.testing import CliRunner

from assistant.cli import main
from assistant.config import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text()


def test_readme_shows_the_two_commands_first():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_every_setting_in_the_readme_exists_with_its_default():
    rows = re.findall(r"^\| `(ASSISTANT_[A-Z_]+)` \| ([^|]+) \|", README, re.M)
    assert len(rows) >= 10
    defaults = Settings()
    for var, default in rows:
        path = var.removeprefix("ASSISTANT_").lower().split("__")
        value = defaults
        for part in path:
            value = getattr(value, part)
        shown = default.strip().strip("`")
        if shown not in ("unset", "per-user data dir", "models/"):
            assert str(value).lower() == shown.lower(), (var, value, shown)
        elif shown == "unset":
            assert value is None, var


def test_every_command_in_the_readme_exists():
    used = set(re.findall(r"\.venv/bin/assistant (\w+)", README))
    assert used
    for name in used:
        r = CliRunner().invoke(main, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
