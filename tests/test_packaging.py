"""The wheel carries everything the package reads, and an installed copy finds it outside a checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

pytestmark = pytest.mark.slow  # builds a wheel

CHECK_INSTALLED = """
import json, sys
sys.path.insert(0, sys.argv[1])
import assistant
from assistant.answer.prompts import PROMPTS_DIR, load
from assistant.config import Settings, USER_DIR
from assistant.corpus import load_papers
print(json.dumps({"package": assistant.__file__, "prompts_dir": str(PROMPTS_DIR),
                  "prompts": {p.stem: len(load(p.stem).template) for p in PROMPTS_DIR.glob("*.md")},
                  "papers": len(load_papers().papers), "models_dir": str(Settings().models_dir),
                  "data_dir": str(Settings().data_dir), "user_dir": str(USER_DIR)}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PROJECT_ROOT / "assistant", src / "assistant", symlinks=True, ignore=ignore)
    shutil.copytree(PROJECT_ROOT / "prompts", src / "prompts", ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    [whl] = out.glob("*.whl")
    return whl


def test_the_wheel_holds_every_module_prompt_and_the_corpus(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    code = {p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "assistant").rglob("*.py")
            if "__pycache__" not in p.parts}
    assert code <= names
    prompts = {f"assistant/prompts/{p.name}" for p in (PROJECT_ROOT / "prompts").glob("*.md")}
    assert prompts and prompts <= names  # one copy each: under the package, not beside it
    assert not [n for n in names if n.startswith("prompts/")]
    assert "assistant/corpus/data/papers.txt" in names
    with zipfile.ZipFile(wheel) as z:  # files, not links, with the text of the one copy in prompts/
        for p in (PROJECT_ROOT / "prompts").glob("*.md"):
            assert z.read(f"assistant/prompts/{p.name}").decode() == p.read_text()
    assert not [n for n in names if n.endswith(".gguf") or n.startswith("models/")]


def test_an_installed_wheel_reads_its_prompts_and_uses_per_user_folders(wheel, tmp_path):
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target",
                        str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([sys.executable, "-c", CHECK_INSTALLED, str(target)], capture_output=True, text=True,
                       cwd=elsewhere, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["package"].startswith(str(target))  # the installed copy, not this checkout
    assert Path(got["prompts_dir"]).is_relative_to(target)
    assert set(got["prompts"]) == {p.stem for p in (PROJECT_ROOT / "prompts").glob("*.md")}
    assert all(got["prompts"].values()) and got["papers"] == 231
    assert got["models_dir"] == str(Path(got["user_dir"]) / "models") and got["data_dir"] == got["user_dir"]
