"""One model, one answer at a time: a bounded queue in front of it, and a worker that stops when told.

`ModelQueue.admit` refuses at once (429 with Retry-After, from the recent answer times) when
`max_queue` requests already wait; otherwise the request waits its turn in `acquire`. The turn
is given back only when the worker thread has closed its event generator, so the next answer
never waits on a model lock held by an abandoned one.

`Pump` runs a blocking event generator in its own thread and hands the events to the event
loop. `cancel()` (the client went away) stops the answer at the model's next token: the
`CancellableLLM` the answer runs on raises `Cancelled` there (an answer that streams only checked
sentences yields nothing for many tokens), and the thread closes the generator, which runs its
`finally` blocks and releases the llama.cpp lock.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator
from functools import partial
from typing import Any

from assistant.serve.request import ApiError


class ModelQueue:
    """Admission and turn-taking for the one model (asyncio side; not thread-safe by design)."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self.waiting = 0
        self.running = 0
        self.served = 0
        self.cancelled = 0
        self.mean_s = 10.0  # a first guess for Retry-After until answers have been timed
        self._turn = asyncio.Lock()

    def retry_after(self) -> int:
        return max(1, math.ceil(self.mean_s * (self.waiting + self.running)))

    def admit(self) -> Place:
        """Take a place in the queue, or ApiError(429) when it is full."""
        if self.waiting + self.running >= 1 + self.max_queue:  # one answering, max_queue waiting
            wait = self.retry_after()
            raise ApiError(429, f"The model is busy: {self.running} answer running, {self.waiting} waiting (the "
                           f"limit is {self.max_queue}). Retry in about {wait} s.", type="requests",
                           code="rate_limit_exceeded", headers={"Retry-After": str(wait)})
        self.waiting += 1
        return Place(self)

    async def acquire(self) -> None:
        """Wait for the model; a caller cancelled while waiting gives its place back."""
        try:
            await self._turn.acquire()
        finally:
            self.waiting -= 1
        self.running += 1

    def leave(self) -> None:
        """Give back a place taken by `admit` without ever acquiring the model."""
        self.waiting -= 1

    def release(self, seconds: float, *, cancelled: bool) -> None:
        self.running -= 1
        if cancelled:
            self.cancelled += 1
        else:
            self.served += 1
            self.mean_s = 0.7 * self.mean_s + 0.3 * seconds
        self._turn.release()

    def status(self) -> dict[str, Any]:
        return {"running": self.running, "waiting": self.waiting, "max_queue": self.max_queue, "served": self.served,
                "cancelled": self.cancelled, "mean_answer_s": round(self.mean_s, 2)}


class Place:
    """A request's place in the queue: `take()` waits for the model; `leave()` gives back a place never taken
    (a client that went away before its answer began)."""

    def __init__(self, queue: ModelQueue) -> None:
        self.queue, self.state = queue, "waiting"

    async def take(self) -> None:
        self.state = "taking"  # from here on, acquire() gives the place back itself if it is cancelled
        await self.queue.acquire()
        self.state = "taken"

    def leave(self) -> None:
        if self.state == "waiting":
            self.state = "left"
            self.queue.leave()


_END = object()
_request = threading.local()  # the cancel flag of the answer running on this thread


class Cancelled(Exception):
    """The client of this answer went away."""


class CancellableLLM:
    """An LLM (loaded on first use) whose generation stops at the next token once its request is cancelled."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load, self._llm, self._lock = load, None, threading.Lock()

    @property
    def inner(self) -> Any:
        with self._lock:
            if self._llm is None:
                self._llm = self._load()
            return self._llm

    def __getattr__(self, name: str) -> Any:  # name, describe, count_tokens, ...
        return getattr(self.inner, name)

    def stream(self, messages: list[dict[str, str]], **kw: Any) -> Generator[str, None, None]:
        pieces = self.inner.stream(messages, **kw)
        try:
            for piece in pieces:
                flag = getattr(_request, "cancel", None)
                if flag is not None and flag.is_set():
                    raise Cancelled("the client went away")
                yield piece
        finally:
            if hasattr(pieces, "close"):
                pieces.close()  # the backend's own finally: llama.cpp's lock is released now


class Pump:
    """Events of `make()` from a worker thread; the queue's turn is released when the thread is done."""

    def __init__(self, make: Callable[[], Generator[Any, None, None]], queue: ModelQueue) -> None:
        self.make, self.queue = make, queue
        self._cancel = threading.Event()
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._started = time.perf_counter()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="assistant-answer", daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def _put(self, item: Any) -> None:
        self._loop.call_soon_threadsafe(self._events.put_nowait, item)

    def _run(self) -> None:
        _request.cancel = self._cancel
        gen = None
        try:
            gen = self.make()
            for event in gen:
                if self._cancel.is_set():
                    break
                self._put(event)
        except Cancelled:
            pass
        except BaseException as e:  # handed to the request, which answers with an error
            self._put(e)
        finally:
            if gen is not None:
                gen.close()  # runs the generator's finally blocks now: the model lock is released here
            done = partial(self.queue.release, time.perf_counter() - self._started, cancelled=self._cancel.is_set())
            try:
                self._loop.call_soon_threadsafe(done)
                self._put(_END)
            except RuntimeError:  # the server is shutting down and its loop is closed
                pass

    async def events(self) -> AsyncIterator[Any]:
        """The events in order; an exception from the generator is raised here."""
        while True:
            item = await self._events.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
