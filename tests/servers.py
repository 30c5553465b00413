"""Start a real server process on localhost for a test and wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(cmd: list[str], health_url: str, log_path: Path, *, timeout_s: float = 120,
            env: dict[str, str] | None = None) -> Iterator[None]:
    """Run `cmd` (with `env`, default: ours) with its output in `log_path` until `health_url` answers 200; stop it
    afterwards."""
    with log_path.open("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(health_url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"{cmd[0]} did not start: {log.read()[-2000:]}")
                time.sleep(0.5)
            yield
        finally:
            proc.terminate()
            proc.wait(30)
