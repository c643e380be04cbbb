"""What the server tells its operators: one JSON access-log line per request, and Prometheus metrics.

Logs. Every line the server logs (uvicorn's own included) is one JSON object on standard error,
through :mod:`logging` (a ``StreamHandler``, whose stream is standard error): ``time`` (UTC,
ISO 8601, milliseconds), ``level``, ``logger``, ``message``, and for an access line
(logger ``mlci.serve.access``) ``method``, ``path``, ``status``, ``duration_ms``, ``request_id``,
``model`` and ``client``. The request id is the client's ``X-Request-ID`` when it is a plain
token (letters, digits, ``._-``, at most 128), else a new random one; the answer carries it back
in ``X-Request-ID``.

Metrics (``GET /metrics``, Prometheus' text format, from prometheus-client on a registry of the
server's own):

- ``mlci_serve_requests_total{model,endpoint,status}``: requests answered;
- ``mlci_serve_request_duration_seconds{model,endpoint}``: a histogram of the time from the
  request's arrival (its headers read) to the end of its answer;
- ``mlci_serve_inference_duration_seconds{model}``: a histogram of onnxruntime's run alone;
- ``mlci_serve_requests_in_flight``: requests being answered now.

``endpoint`` is one of ``infer``, ``model_metadata``, ``model_ready``, ``server_live``,
``server_ready``, ``server_metadata``, ``metrics`` and ``other``; ``model`` is the served model's
name, or empty for a request that names no model or another one (so that clients cannot make
labels without end).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timezone
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

ACCESS_LOGGER = "mlci.serve.access"
# Latency buckets, in seconds: from 250 µs (a one-row request) to 10 s (a 16 MB one).
BUCKETS = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")
_MODEL_PATH = re.compile(r"/v2/models/([^/]+)(?:/versions/[^/]+)?(/ready|/infer)?/?")
_ENDPOINTS = {"/v2/health/live": "server_live", "/v2/health/ready": "server_ready", "/v2": "server_metadata",
              "/v2/": "server_metadata", "/metrics": "metrics"}
# What a LogRecord holds of its own, and uvicorn's coloured copy of its message: not written as fields.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, the fields given in ``extra``,
    and the traceback (``exc_info``) as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((key, value) for key, value in record.__dict__.items() if key not in _STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(line, default=str).decode("utf-8")
        except TypeError:  # a field orjson cannot write (a dict with keys that are not strings)
            return json.dumps(line, default=str, ensure_ascii=False)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """The dictConfig for uvicorn's ``log_config``: its loggers and the access log, as JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},  # mlci writes the access log
            "mlci.serve": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


class Metrics:
    """The server's Prometheus metrics, on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("mlci_serve_requests", "Requests answered.", ("model", "endpoint", "status"),
                                registry=self.registry)
        self.duration = Histogram("mlci_serve_request_duration_seconds", "Time to answer a request.",
                                  ("model", "endpoint"), buckets=BUCKETS, registry=self.registry)
        self.inference = Histogram("mlci_serve_inference_duration_seconds", "Time of the model's run alone.",
                                   ("model",), buckets=BUCKETS, registry=self.registry)
        self.in_flight = Gauge("mlci_serve_requests_in_flight", "Requests being answered now.", registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def classify(path: str, model_name: str) -> tuple[str, str]:
    """(endpoint, model) of a request path, as the metrics label it."""
    endpoint = _ENDPOINTS.get(path)
    if endpoint is not None:
        return endpoint, ""
    match = _MODEL_PATH.fullmatch(path)
    if match is None:
        return "other", ""
    endpoint = {None: "model_metadata", "/ready": "model_ready", "/infer": "infer"}[match.group(2)]
    return endpoint, model_name if match.group(1) == model_name else ""


def request_id(scope: Scope) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and _REQUEST_ID.fullmatch(value):
            return str(value.decode("ascii"))
    return os.urandom(16).hex()


class Observe:
    """ASGI middleware: the request id, one access-log line and the metrics of every HTTP request.

    An app that answers nothing (the client left first) may say which status to log in
    ``scope["state"]["status"]`` (499, nginx's "client closed request")."""

    def __init__(self, app: ASGIApp, metrics: Metrics, model_name: str) -> None:
        self.app = app
        self.metrics = metrics
        self.model_name = model_name
        self.log = logging.getLogger(ACCESS_LOGGER)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = request_id(scope)
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid.encode("ascii"))]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - start
            if not status:
                status = scope.get("state", {}).get("status", 500)
            self.record(scope, status, elapsed, rid)

    def record(self, scope: Scope, status: int, elapsed: float, rid: str) -> None:
        """The request's metrics and its access-log line."""
        path = scope.get("path", "")
        endpoint, model = classify(path, self.model_name)
        children = self._children.get((path, endpoint, status))
        if children is None:
            children = (self.metrics.requests.labels(model, endpoint, str(status)),
                        self.metrics.duration.labels(model, endpoint))
            if len(self._children) < 10_000:  # paths are the clients' to choose: the cache has a bound
                self._children[(path, endpoint, status)] = children
        children[0].inc()
        children[1].observe(elapsed)
        if not self.log.isEnabledFor(logging.INFO):
            return
        method = scope.get("method", "")
        client = scope.get("client")
        # A record made here, not by Logger.info: that would look up its caller's frame, which
        # costs as much again as the rest of the line.
        record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 0, "%s %s %s", (method, path, status), None)
        record.__dict__.update(method=method, path=path, status=status, duration_ms=round(elapsed * 1000, 3),
                               request_id=rid, model=model, client=client[0] if client else None)
        self.log.handle(record)
