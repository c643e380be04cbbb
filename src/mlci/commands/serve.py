"""``mlci serve MODEL_PATH``: an ONNX model behind the Open Inference Protocol's REST API (KServe V2).

It loads the model (a missing file, one that is not ONNX, or one whose tensors V2 cannot carry is
one line and exit code 2), binds the host and port (a port in use: the same), says where it
listens on standard output, and serves until SIGTERM or SIGINT; then it finishes the requests it
has started and exits 0. Logs are JSON lines on standard error. The parts are in ``mlci.serve``,
which needs the extra ``mlci[serve]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlci.commands import Echo, echo

DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024  # 16 MiB, as mlci.serve.app's own default


@dataclass(frozen=True)
class Settings:
    model_path: str | Path
    name: str | None = None  # default: the file's stem (model.onnx -> model)
    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port (the one chosen is printed)
    version: str | None = None  # the model's version in V2's metadata and paths; default: none
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES  # a larger request body is refused with 413
    shutdown_timeout_s: int = 30  # how long a shutdown waits for requests in flight
    log_level: str = "INFO"
    echo: Echo = echo


def run(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT: 0 once the requests in flight are answered."""
    from mlci.extras import MissingExtra, hint, missing_modules

    missing = missing_modules("serve")  # looked for before anything is imported
    if missing:
        raise MissingExtra(f"{hint('serve', 'mlci serve')} (missing: {', '.join(missing)})")
    from mlci.serve import ServeError, model, server
    from mlci.serve.app import Lifecycle, create_app

    if isinstance(settings.max_request_bytes, bool) or not isinstance(settings.max_request_bytes, int) \
            or settings.max_request_bytes < 1:
        raise ServeError(f"max request size {settings.max_request_bytes!r}: expected a positive number of bytes")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ServeError(f"log level {settings.log_level!r}: expected DEBUG, INFO, WARNING or ERROR")
    server.check_port(settings.port)
    served = model.load(settings.model_path, settings.name, settings.version)
    lifecycle = Lifecycle()
    app = create_app(served, max_request_bytes=settings.max_request_bytes, lifecycle=lifecycle)
    sock = server.bind(settings.host, settings.port)
    host, port = server.address(sock)
    shown = f"[{host}]" if ":" in host else host
    settings.echo(f"mlci serve: model {served.name!r} ({settings.model_path}) on http://{shown}:{port}"
                  f"/v2/models/{served.name}")
    server.serve(app, sock, lifecycle, shutdown_timeout_s=settings.shutdown_timeout_s,
                 log_level=settings.log_level.upper())
    return 0
