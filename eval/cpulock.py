"""One file lock for the benchmarks: llama.cpp's and torch's threads spin, so two heavy processes on a
2-core machine slow each other far more than 2x (seen here: 10x). Each bench takes it around each unit
of work, so several can run at once and still time their own work alone."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator


@contextlib.contextmanager
def cpu_lock(path: str | None) -> Iterator[None]:
    """Hold the file lock at `path` for the block; no path, no lock."""
    if not path:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def turn() -> contextlib.AbstractContextManager[None]:
    """The lock named by BENCH_LOCK, if any."""
    return cpu_lock(os.environ.get("BENCH_LOCK"))
