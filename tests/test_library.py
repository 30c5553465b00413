"""The package behaves like a library: importing it sets no environment and no other library's logging,
and it never prints; only the entry points (the CLI, the UI's launch) configure those."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import assistant

PACKAGE = Path(assistant.__file__).parent
ENTRY_POINTS = {"cli.py", "__main__.py"}

IMPORT_ALL = """
import importlib, json, logging, os, pkgutil, sys
import bm25s, chromadb, gradio, llama_cpp, sentence_transformers  # their own import-time set-up comes first

def state():
    levels = {name: lg.level for name, lg in logging.root.manager.loggerDict.items()
              if isinstance(lg, logging.Logger) and not name.startswith("assistant")}
    return dict(os.environ), levels, logging.root.level, len(logging.root.handlers)

env, levels, root, handlers = state()
import assistant
failed = []
for m in pkgutil.walk_packages(assistant.__path__, "assistant."):
    if m.name == "assistant.__main__":  # runs the CLI
        continue
    try:
        importlib.import_module(m.name)
    except Exception as e:  # a module that does not import is another test's business
        failed.append(f"{m.name}: {e}")
env2, levels2, root2, handlers2 = state()
print(json.dumps({
    "env": sorted(k for k in set(env) | set(env2) if env.get(k) != env2.get(k)),
    "levels": sorted(k for k in levels2 if levels2[k] != levels.get(k, logging.NOTSET)),
    "root": [root, root2, handlers, handlers2], "failed": failed}))
"""


def test_importing_every_module_sets_no_environment_and_no_foreign_log_level():
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    r = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, env=clean, timeout=300,
                       cwd=PACKAGE.parent)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["env"] == [], out  # e.g. HF_HUB_OFFLINE, TOKENIZERS_PARALLELISM, GRADIO_ANALYTICS_ENABLED
    assert out["levels"] == [], out  # e.g. the bm25s logger
    root, root2, handlers, handlers2 = out["root"]
    assert (root2, handlers2) == (root, handlers)  # no basicConfig


def test_the_library_never_prints():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ENTRY_POINTS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []  # log through logging.getLogger(__name__) instead
