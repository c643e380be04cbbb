"""The HTTP API: the REST subset of the Open Inference Protocol (KServe V2), as an ASGI application.

Routes (``[/versions/{version}]`` only for a model served with that version; another is a 404):

- ``GET /v2/health/live``, ``GET /v2/health/ready``: ``{"live": true}``, ``{"ready": true}``;
  ready answers 503 ``{"ready": false}`` once the server is shutting down, so that a load
  balancer stops sending it requests;
- ``GET /v2``: the server's metadata (name ``mlci``, its version, no extensions);
- ``GET /v2/models/{name}[/versions/{version}]``: the model's metadata (``platform``
  ``onnxruntime_onnx``, its inputs and outputs with their datatypes and shapes);
- ``GET /v2/models/{name}[/versions/{version}]/ready``: ``{"name": ..., "ready": true}``;
- ``POST /v2/models/{name}[/versions/{version}]/infer``: an inference (see ``protocol``);
- ``GET /metrics``: Prometheus' text format (see ``observe``).

Every error is V2's error object ``{"error": "..."}``: 400 for a request the protocol refuses
(malformed JSON, wrong input names, shapes or datatypes), 404 for an unknown model, version or
path, 405 for a wrong method, 413 for a body over the limit (a ``Content-Length`` over it is
refused before the body is read, a body without one is counted as it arrives), and 500, logged
with its traceback, for a fault of the server itself.

Why no web framework. The issue asks for FastAPI and uvicorn, or something lighter and as well
kept. This is uvicorn (Encode's ASGI server, with httptools' parser) running a plain ASGI
application: the lightest thing that is as well kept, since the only code between the two is
ASGI, a stable specification, and this module. FastAPI would check bodies with pydantic and
answer its own mistakes with 422, where V2 wants 400 and the checks that matter are against the
model's own tensors (``protocol`` makes them by hand in any case); and a one-row inference is
about 10 µs of onnxruntime, so a framework's per-request cost is most of the latency. Measured
in-process on this module's first version, written on Starlette (the framework FastAPI is built
on): 228 µs per one-row request, against 18 µs for the model's run, the rest in routing, request
and response objects; the same request through this module takes about 105 µs (bench/README.md
has the breakdown, and bench/bench_serve.py the figures over HTTP against KServe's server). Eight routes need no router.

A request is answered on the event loop when its body is small (up to :data:`INLINE_BYTES`),
since handing it to a thread costs more than the work; a larger one is parsed, run and written
in a worker thread, so that a 16 MB request does not hold up health checks and other requests
(onnxruntime and numpy release the GIL while they compute).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mlci import __version__
from mlci.serve.model import Model
from mlci.serve.observe import Message, Metrics, Observe, Receive, Scope, Send
from mlci.serve.protocol import BadRequest, dumps, error_body, infer_response, parse_infer

DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
INLINE_BYTES = 64 * 1024
JSON = b"application/json"
_MODEL_PATH = re.compile(r"/v2/models/([^/]+)(?:/versions/([^/]+))?(?:/(ready|infer))?/?")
_READ = ("GET", "HEAD")


@dataclass
class Lifecycle:
    """What the server tells the app of its life: ``draining`` once it is shutting down."""

    draining: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    content_type: bytes = JSON


class TooLarge(Exception):
    """The request body is over the limit: HTTP 413."""


class ClientGone(Exception):
    """The client disconnected before its request had arrived."""


def error(status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Answer:
    return Answer(status, error_body(message), headers)


class V2App:
    """The ASGI application (bare, without the access log and metrics that :func:`create_app` adds)."""

    def __init__(self, model: Model, metrics: Metrics, *, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
                 lifecycle: Lifecycle | None = None) -> None:
        self.model = model
        self.metrics = metrics
        self.max_request_bytes = max_request_bytes
        self.lifecycle = lifecycle or Lifecycle()
        self.inference = metrics.inference.labels(model.name)
        self.log = logging.getLogger("mlci.serve.error")
        self.workers = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="mlci-serve")
        self.server_metadata = Answer(200, dumps({"name": "mlci", "version": __version__, "extensions": []}))
        self.model_metadata = Answer(200, dumps(model.metadata()))
        self.model_ready = Answer(200, dumps({"name": model.name, "ready": True}))
        self.fixed: dict[str, Callable[[], Answer]] = {
            "/v2/health/live": lambda: Answer(200, b'{"live":true}'),
            "/v2/health/ready": self.ready,
            "/v2": lambda: self.server_metadata,
            "/v2/": lambda: self.server_metadata,
            "/metrics": self.metrics_page,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - uvicorn runs with websockets off
            return
        try:
            answer = await self.answer(scope, receive)
        except ClientGone:
            scope.setdefault("state", {})["status"] = 499  # for the access log: nobody to answer
            return
        except Exception:
            self.log.exception("error answering %s %s", scope["method"], scope["path"])
            answer = error(500, "internal server error (the server's log has its traceback)")
        headers = [(b"content-type", answer.content_type), (b"content-length", str(len(answer.body)).encode("ascii")),
                   *answer.headers]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    async def answer(self, scope: Scope, receive: Receive) -> Answer:
        method, path = scope["method"], scope["path"]
        fixed = self.fixed.get(path)
        if fixed is not None:
            return fixed() if method in _READ else _not_allowed(method, path, "GET")
        match = _MODEL_PATH.fullmatch(path)
        if match is None:
            return error(404, f"no such path: {path}")
        name, version, action = match.groups()
        if name != self.model.name:
            return error(404, f"unknown model {name!r}: this server serves {self.model.name!r}")
        if version is not None and version != self.model.version:
            versions = f"its version is {self.model.version!r}" if self.model.version else "it has no versions"
            return error(404, f"model {name!r} has no version {version!r}: {versions}")
        if action == "infer":
            return await self.infer(scope, receive) if method == "POST" else _not_allowed(method, path, "POST")
        if method not in _READ:
            return _not_allowed(method, path, "GET")
        return self.model_ready if action == "ready" else self.model_metadata

    def ready(self) -> Answer:
        return Answer(503, b'{"ready":false}') if self.lifecycle.draining else Answer(200, b'{"ready":true}')

    def metrics_page(self) -> Answer:
        text, content_type = self.metrics.render()
        return Answer(200, text, content_type=content_type.encode("ascii"))

    async def infer(self, scope: Scope, receive: Receive) -> Answer:
        length = None
        for key, value in scope["headers"]:
            if key == b"content-length":
                length = value
            elif key == b"inference-header-content-length":
                return error(400, "binary tensor data (Inference-Header-Content-Length) is not supported: send JSON")
        if length is not None:
            if not length.isdigit():
                return error(400, f"Content-Length {length.decode('latin-1')!r} is not a number")
            if int(length) > self.max_request_bytes:
                return self.too_large()
        try:
            body = await _read_body(receive, self.max_request_bytes)
        except TooLarge:
            return self.too_large()
        if len(body) <= INLINE_BYTES:
            return self.infer_body(body)
        return await asyncio.get_running_loop().run_in_executor(self.workers, self.infer_body, body)

    def infer_body(self, body: bytes) -> Answer:
        try:
            request = parse_infer(body, self.model)
            start = time.perf_counter()
            try:
                arrays = self.model.run(request.feeds, request.outputs)
            except ValueError as exc:  # onnxruntime refused the values
                raise BadRequest(f"the model refused the request: {exc}") from None
            self.inference.observe(time.perf_counter() - start)
            return Answer(200, infer_response(self.model, request, arrays))
        except BadRequest as exc:
            return error(400, str(exc))

    def too_large(self) -> Answer:
        return error(413, f"the request body is over this server's limit of {self.max_request_bytes} bytes")


def create_app(model: Model, *, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
               lifecycle: Lifecycle | None = None, metrics: Metrics | None = None) -> Observe:
    """The ASGI application serving ``model``, with its access log and metrics around it."""
    stats = metrics or Metrics()
    return Observe(V2App(model, stats, max_request_bytes=max_request_bytes, lifecycle=lifecycle), stats, model.name)


def _not_allowed(method: str, path: str, allowed: str) -> Answer:
    allow = f"{allowed}, HEAD" if allowed == "GET" else allowed
    return error(405, f"{method} is not allowed on {path} (only {allowed})", ((b"allow", allow.encode("ascii")),))


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request's body, refused (TooLarge) as soon as it is more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    """ASGI's lifespan protocol, for servers that run it: nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
