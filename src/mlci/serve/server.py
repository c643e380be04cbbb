"""uvicorn on a socket bound first, and a shutdown that finishes every request it has started.

The socket is bound before uvicorn starts (:func:`bind`), so that a port in use, or a host that
does not resolve, is one line and exit code 2, not a traceback from inside the server, and so that
port 0 (any free port) can be told to the user.

uvicorn runs with httptools (its fast HTTP parser) and, where installed, uvloop. On SIGTERM or
SIGINT, uvicorn stops listening at once, lets every request it is answering finish (with
``Connection: close``), and waits for its connections to end, up to ``shutdown_timeout_s``.
One thing is changed, in :class:`DrainingProtocol`: uvicorn closes a kept-alive connection that
is idle at that moment straight away, and a request the client has just sent on it, already on
its way, is lost (the client sees the connection reset). Here such a connection stays open for
one keep-alive timeout more: a request that arrives on it is answered, with ``Connection: close``,
and a connection still idle at the end of it is closed, as any idle connection is. New
connections are refused from the first moment. The readiness probe answers 503 meanwhile.

uvicorn, once it has shut down, sends itself again the signal it caught, so that the process
ends as that signal's default would (143 for SIGTERM). :func:`serve` handles both signals
while it runs, so that a shutdown that went as planned ends ``mlci serve`` with exit code 0.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mlci.serve import ServeError
from mlci.serve.observe import log_config

if TYPE_CHECKING:
    from mlci.serve.app import Lifecycle
    from mlci.serve.observe import ASGIApp

BACKLOG = 2048  # uvicorn's default
KEEP_ALIVE_S = 5  # uvicorn's default
SHUTDOWN_TIMEOUT_S = 30  # Kubernetes' default grace period before it kills a pod


def check_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ServeError(f"port {port!r}: expected a number from 0 to 65535 (0: any free port)")
    return port


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; ServeError for a host or port that cannot be had."""
    check_port(port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def address(sock: socket.socket) -> tuple[str, int]:
    """The host and port ``sock`` listens on (the port chosen, for port 0)."""
    host, port = sock.getsockname()[:2]
    return str(host), int(port)


def serve(app: ASGIApp, sock: socket.socket, lifecycle: Lifecycle, *, keep_alive_s: int = KEEP_ALIVE_S,
          shutdown_timeout_s: int = SHUTDOWN_TIMEOUT_S, log_level: str = "INFO") -> None:
    """Serve ``app`` on ``sock`` until SIGTERM or SIGINT, then shut down as the module says."""
    config = uvicorn.Config(
        app,
        http=DrainingProtocol,
        loop="auto",
        lifespan="off",
        access_log=False,  # observe.Observe writes the access log
        log_config=log_config(log_level),
        server_header=False,
        timeout_keep_alive=keep_alive_s,
        timeout_graceful_shutdown=shutdown_timeout_s,
        backlog=BACKLOG,
    )
    server = _Server(config, lifecycle)
    with _signals_end_quietly():
        server.run(sockets=[sock])


@contextmanager
def _signals_end_quietly() -> Iterator[None]:
    """SIGTERM and SIGINT handled (by doing nothing) for as long as it lasts: see the module."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, _caught) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _caught(sig: int, frame: FrameType | None) -> None:
    """uvicorn's repeat of a signal it has handled already."""


class _Server(uvicorn.Server):
    """uvicorn's server, which also tells the app when it starts to shut down (readiness: 503)."""

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.lifecycle.draining = True
        super().handle_exit(sig, frame)


class DrainingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, but for what it does with an idle connection at shutdown."""

    draining = False

    def shutdown(self) -> None:
        if not hasattr(self, "timeout_keep_alive_handler"):  # a uvicorn this was not written for: its own way
            super().shutdown()
            return
        self.draining = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # the request in flight is answered, then the connection closes
            return
        self._unset_keepalive_if_required()
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False
