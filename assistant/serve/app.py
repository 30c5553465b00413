"""The ASGI app: /v1/chat/completions (plain and streamed), /v1/models, /v1/search, /health.

Every answer goes through `Assistant.ask_stream`, the path the CLI and the UI use. Safe by
default: loopback only unless an API key is set, a Bearer token when it is, limits on body,
messages and question, one answer on the model at a time behind a bounded queue, and every
error as OpenAI's JSON error object, never a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.app import Assistant, clean_question
from assistant.config import Settings
from assistant.errors import AssistantError, BackendError, ModelError, QuestionError
from assistant.serve import shape
from assistant.serve.conversation import AnswerMemory, PaperRef, resolve
from assistant.serve.gate import CancellableLLM, ModelQueue, Place, Pump
from assistant.serve.request import ApiError, ChatRequest, parse_chat, parse_search

log = logging.getLogger(__name__)


class UnsafeBindError(AssistantError):
    """The API would listen beyond this machine without an API key."""


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse a non-loopback address without an API key.

    >>> check_bind("127.0.0.1", None); check_bind("::1", None); check_bind("0.0.0.0", "secret")
    >>> check_bind("0.0.0.0", None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assistant.serve.app.UnsafeBindError: refusing to listen on 0.0.0.0 without an API key: ...
    """
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not api_key:
        raise UnsafeBindError(f"refusing to listen on {host} without an API key: anyone who can reach it could use the "
                              "model and read the papers. Pass --api-key KEY (or set ASSISTANT_SERVE__API_KEY), or keep "
                              "the default --host 127.0.0.1.")


class Models:
    """The Assistant behind each model id; the default one plus at most one other is kept loaded."""

    def __init__(self, base: Assistant) -> None:
        from assistant.llm.registry import spec_for

        self.base = base
        s = base.settings.llm
        spec = spec_for(s.model)
        self.default = (s.server_model or s.model) if s.server_url else (spec.name if spec else s.model)
        self._other: tuple[str, Assistant] | None = None

    def ids(self) -> list[str]:
        from assistant.llm.registry import installed

        if self.base.settings.llm.server_url:
            return [self.default]
        return list(dict.fromkeys([self.default, *installed(self.base.settings.models_dir)]))

    def name_for(self, requested: str | None) -> str:
        """The model id a request names (aliases such as `fast` included), or 404."""
        from assistant.llm.registry import spec_for

        if not requested or requested == self.default:
            return self.default
        spec = spec_for(requested)
        name = spec.name if spec else requested
        if name in self.ids():
            return name
        raise ApiError(404, f"The model '{requested}' does not exist here; GET /v1/models lists the installed ones "
                       "(install more with `assistant models install NAME`).", param="model", code="model_not_found")

    def get(self, name: str) -> Assistant:
        """Called by one answer at a time (the queue's turn), so switching needs no lock."""
        if name == self.default:
            return self.base
        if self._other is None or self._other[0] != name:
            s = self.base.settings
            s = s.model_copy(update={"llm": s.llm.model_copy(update={"model": name})})
            self._other = None  # let the previous other model go before the next loads
            self._other = (name, cancellable(s, store=self.base.store, embedder=self.base.embedder))
        return self._other[1]


def cancellable(settings: Settings, *, store: Any = None, embedder: Any = None, llm: Any = None) -> Assistant:
    """An Assistant whose model stops at the next token when the request running it is cancelled."""
    from assistant.llm import load_llm

    wrapped = CancellableLLM(lambda: llm if llm is not None else load_llm(settings))
    return Assistant(settings, store=store, embedder=embedder, llm=wrapped, progress=False)


class BearerAuth:
    """Pure ASGI middleware: every path but /health needs `Authorization: Bearer KEY` (streams pass untouched)."""

    def __init__(self, app: ASGIApp, *, key: str) -> None:
        self.app, self.key = app, key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/health":
            auth = dict(scope["headers"]).get(b"authorization", b"")
            token = auth[7:].strip() if auth[:7].lower() == b"bearer " else b""
            if not hmac.compare_digest(token, self.key):
                e = ApiError(401, "Incorrect or missing API key: send 'Authorization: Bearer KEY' with the key the "
                             "server was started with.", code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
                await _error(e)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error(e: ApiError) -> JSONResponse:
    return JSONResponse(e.body(), status_code=e.status, headers=e.headers)


def _api_error(e: Exception) -> ApiError:
    """An exception from answering, as the API's error."""
    if isinstance(e, ApiError):
        return e
    if isinstance(e, QuestionError):
        return ApiError(400, str(e), param="messages")
    if isinstance(e, ModelError):
        return ApiError(503, str(e), type="server_error", code="model_unavailable")
    if isinstance(e, BackendError):
        return ApiError(502, str(e), type="server_error", code="backend_error")
    if isinstance(e, AssistantError):
        return ApiError(500, str(e), type="server_error")
    log.error("answer failed", exc_info=e)
    return ApiError(500, "The server failed while answering; its log has the details.", type="server_error")


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, refused with 413 past `limit` bytes (by Content-Length or as it arrives)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"The request body has {int(declared):,} bytes; the limit is {limit:,}.",
                       code="request_too_large")
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise ApiError(413, f"The request body is over the limit of {limit:,} bytes.", code="request_too_large")
    if not data.strip():
        raise ApiError(400, "The request body is empty; send a JSON object.")
    try:
        return json.loads(data)
    except ValueError as e:
        raise ApiError(400, f"The request body is not valid JSON: {e}") from e


def remainder(streamed: str, final: str) -> str | None:
    """What to append to the streamed text so that it reads as the final text, ignoring whitespace; None when
    the stream is not a prefix of it.

    >>> remainder("A claim [1].", "A claim [1]. I cannot answer more."), remainder("", "Done."), remainder("X", "Y")
    (' I cannot answer more.', 'Done.', None)
    """
    compact = "".join(streamed.split())
    j = 0
    for i, ch in enumerate(final):
        if j == len(compact):
            return final[i:]
        if ch.isspace():
            continue
        if ch != compact[j]:
            return None
        j += 1
    return "" if j == len(compact) else None


def _sse(obj: Any) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


async def _until_disconnected(request: Request, work: Awaitable[Any]) -> Any:
    """Await `work`, cancelling it when the client goes away (a plain request is not cancelled for us)."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.5)
            if done:
                return task.result()
            if await request.is_disconnected():
                task.cancel()
                raise ApiError(499, "The client closed the request.")
    finally:
        if not task.done():
            task.cancel()


def create_app(settings: Settings | None = None, *, assistant: Assistant | None = None, warm: bool = True) -> FastAPI:
    """The API over `assistant`'s index and model (built from `settings` when not given); `warm` loads index and
    model at start (`app.state.assistant` is the Assistant it answers with)."""
    if assistant is not None:
        base = cancellable(assistant.settings, store=assistant.store, embedder=assistant.embedder,
                           llm=assistant.__dict__.get("llm"))
    else:
        base = cancellable(settings or Settings())
    cfg = base.settings.serve
    models = Models(base)
    memory = AnswerMemory(cfg.remembered_answers)
    state: dict[str, ModelQueue] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["queue"] = ModelQueue(cfg.max_queue)
        if warm:
            await asyncio.to_thread(_warm, base)
        yield

    app = FastAPI(title="Paper assistant", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.assistant = base

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, e: ApiError) -> Response:
        return _error(e)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, e: HTTPException) -> Response:
        what = {404: f"There is no {request.url.path} here; the API is under /v1.",
                405: f"{request.method} is not allowed on {request.url.path}."}.get(e.status_code, str(e.detail))
        return _error(ApiError(e.status_code, what))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, e: RequestValidationError) -> Response:
        return _error(ApiError(400, f"Invalid request: {e.errors()[:3]}"))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, e: Exception) -> Response:
        return _error(_api_error(e))

    if cfg.api_key:
        app.add_middleware(BearerAuth, key=cfg.api_key)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": models.default, **state["queue"].status()}

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [_model(i) for i in models.ids()]}

    @app.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str) -> dict[str, Any]:
        return _model(models.name_for(model_id))

    @app.post("/v1/search")
    async def search(request: Request) -> dict[str, Any]:
        query, k = parse_search(await read_json(request, cfg.max_body_bytes))
        try:
            hits = await asyncio.to_thread(base.search, query, k)
        except AssistantError as e:
            raise _api_error(e) from e
        return {"object": "list", "query": query, "data": [
            {"rank": i, **shape.paper_fields(h.paper), "score": round(h.score, 6), "similarity": shape.similarity(h),
             "snippet": h.snippet, "dense_rank": h.dense_rank, "lexical_rank": h.lexical_rank}
            for i, h in enumerate(hits, 1)]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        req = parse_chat(await read_json(request, cfg.max_body_bytes), max_messages=cfg.max_messages)
        try:
            clean_question(req.question, base.settings.answer.max_question_chars)
        except QuestionError as e:
            raise ApiError(400, str(e), param="messages") from e
        name = models.name_for(req.model)
        place = state["queue"].admit()
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def make() -> Generator[Any, None, None]:
            a = models.get(name)

            def top(text: str) -> PaperRef | None:
                try:
                    hits = a.search(text, 1)
                except AssistantError:
                    return None
                return shape.ref(hits[0].paper) if hits else None

            turn = resolve(req.messages, memory=memory, search=top)
            log.info("question %r asked as %r (%s)", req.question, turn.question, turn.how)
            yield from a.ask_stream(turn.question, turn.history, k=req.k, temperature=req.temperature,
                                    max_tokens=req.max_tokens)

        if req.stream:
            return AnswerStream(_stream(req, make, place, memory, cid, created, name), place)
        try:
            return JSONResponse(await _until_disconnected(request, _complete(make, place, memory, cid, created, name)))
        finally:
            place.leave()

    return app


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "paper-assistant"}


def _warm(a: Assistant) -> None:
    """Index, retriever, model and support judge loaded before the first request."""
    a.ensure_index()
    _ = a.retriever, a.judge
    a.llm.describe()  # the model loads on first use
    if hasattr(type(a), "verifier"):
        _ = a.verifier


class AnswerStream(StreamingResponse):
    """An SSE response that gives its queue place back even when the client leaves before it starts."""

    def __init__(self, content: AsyncIterator[str], place: Place) -> None:
        super().__init__(content, media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.place = place

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.place.leave()


async def _answer_events(make: Callable[[], Generator[Any, None, None]], place: Place
                         ) -> AsyncGenerator[Any, None]:
    """The answer's events once the model is ours; whoever stops iterating early cancels the answer."""
    await place.take()
    pump = Pump(make, place.queue)
    try:
        pump.start()
    except BaseException:
        place.queue.release(0.0, cancelled=True)
        raise
    try:
        async for event in pump.events():
            yield event
    finally:
        pump.cancel()  # a no-op once the answer is done; otherwise its generator is closed at the next token


async def _complete(make: Callable[[], Generator[Any, None, None]], place: Place, memory: AnswerMemory,
                    cid: str, created: int, name: str) -> dict[str, Any]:
    from assistant.answer.ask import DoneEvent

    answer = None
    events = _answer_events(make, place)
    try:
        async for event in events:
            if isinstance(event, DoneEvent):
                answer = event.answer
    except Exception as e:
        raise _api_error(e) from e
    finally:
        await events.aclose()
    if answer is None:
        raise ApiError(500, "The answer ended without a result.", type="server_error")
    memory.remember(answer.text, shape.numbered(answer))
    return shape.completion(answer, answer.text, id=cid, created=created, model=name)


async def _stream(req: ChatRequest, make: Callable[[], Generator[Any, None, None]], place: Place,
                  memory: AnswerMemory, cid: str, created: int, name: str) -> AsyncIterator[str]:
    """Source events, content deltas of checked text, a final chunk with sources and usage, [DONE]."""
    from assistant.answer.ask import DoneEvent, SourcesEvent, TokenEvent

    def chunk(**kw: Any) -> str:
        return _sse(shape.chunk(id=cid, created=created, model=name, **kw))

    streamed, role = "", {"role": "assistant"}
    shown: set[str] = set()
    events = _answer_events(make, place)
    try:
        async for event in events:
            if isinstance(event, SourcesEvent):
                for s in event.sources:
                    shown.add(s.paper.paper_id)
                    yield chunk(event=shape.source_event(s))
            elif isinstance(event, TokenEvent) and event.text:
                yield chunk(delta={**role, "content": event.text})
                streamed, role = streamed + event.text, {}
            elif isinstance(event, DoneEvent):
                answer = event.answer
                if answer.refused:
                    for h in answer.related[:5]:
                        if h.paper.paper_id not in shown:
                            yield chunk(event=shape.related_event(h))
                rest = remainder(streamed, answer.text)
                if rest is None:  # the stream said something the check then changed: append the checked text
                    log.warning("streamed text is not a prefix of the checked answer; appending the checked answer")
                    rest = f"\n\nChecked answer: {answer.text}"
                if rest or role:
                    yield chunk(delta={**role, "content": rest})
                memory.remember(streamed + rest, shape.numbered(answer))
                yield chunk(finish="stop", **({"usage": shape.usage(answer)} if req.include_usage else {}),
                            **shape.extras(answer))
        yield "data: [DONE]\n\n"
    except Exception as e:
        yield _sse(_api_error(e).body())
        yield "data: [DONE]\n\n"
    finally:
        await events.aclose()


def serve(settings: Settings, *, assistant: Assistant | None = None, log_level: str = "warning") -> None:
    """Run the API with uvicorn on settings.serve.host:port until interrupted."""
    import uvicorn

    check_bind(settings.serve.host, settings.serve.api_key)
    app = create_app(settings, assistant=assistant, warm=False)
    _warm(app.state.assistant)  # a missing model or index is a one-line error here, not a failed ASGI startup
    uvicorn.run(app, host=settings.serve.host, port=settings.serve.port, log_level=log_level,
                timeout_graceful_shutdown=5)
