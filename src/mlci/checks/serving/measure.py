"""What the serving check measures: a server started, asked over HTTP, its answers compared with
the model's own predictions, its latency and throughput.

The server. ``command`` (default: ``mlci serve MODEL`` in this interpreter) runs in the project's
root, in a session of its own (``proc.background``), with ``{port}`` a free port on 127.0.0.1
(found by binding port 0 and letting it go: another process could take it in between, which
would show as a server that does not start). It must answer ``GET /v2/health/ready`` with 200 within ``startup_timeout``
seconds, and ``GET /v2/models/NAME`` with metadata naming the model's input. At the end it gets
SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT_S`; what it printed is kept, and its last line is
the reason when it does not start.

The offline predictions. The model runs in-process in an onnxruntime session, on the same batches,
as the runtime check runs it (mlci.checks.runtime.measure reads the sample the same way). A
scikit-learn classifier's ZipMap output (a list of ``{class: probability}``) is compared as the
matrix of its values in the map's order, which is how V2 servers give it (mlci serve, KServe).

The requests. Each batch of ``batch_size`` rows is a V2 inference request (the input's name and
datatype from the model, its shape the batch's, the data flat in row-major order), sent with
http.client on a connection kept alive; ``concurrency`` clients send at once, each on its own
connection and thread. A few untimed requests warm the server up (their answers are compared
too), then ``requests`` timed ones, each timed from sending to having read the whole answer.
Every output the model has must be in each answer, with the offline prediction's shape; labels
(integers, text, booleans) must be equal, floating-point values within ``tolerance`` relative
(or absolute, near zero). The whole measurement stops after :data:`TIME_BUDGET_S` seconds.

http.client, not an HTTP library: the requests are of one kind, to loopback, and mlci's core
(which this check is part of) should not grow a dependency for them.
"""

from __future__ import annotations

import http.client
import json
import math
import shlex
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci import proc
from mlci.checks.base import Workspace
from mlci.checks.runtime.measure import batch_at, check_shape, first_input, input_rows, open_session, read_sample
from mlci.checks.serving.spec import Served, ServingSpec
from mlci.checks.tables import first_line
from mlci.errors import CheckError, CommandFailed
from mlci.extras import require
from mlci.serve.model import ONNX_TO_V2  # a table: the module imports its libraries when it loads a model

if TYPE_CHECKING:
    import numpy.typing as npt

TIME_BUDGET_S = 60.0  # wall-clock bound of the requests, warmup included
WARMUP = 5  # untimed requests first, per client
STOP_TIMEOUT_S = 30.0  # SIGTERM, then SIGKILL after this long
REQUEST_TIMEOUT_S = 30.0
# numpy dtype names (as the runtime check casts the sample) to V2 datatypes, from mlci serve's own table
V2_DATATYPES = {numpy: v2 for v2, numpy in ONNX_TO_V2.values()}


def measure(spec: ServingSpec, workspace: Workspace, *, budget_s: float = TIME_BUDGET_S) -> Served:
    """Start the server, ask it, compare, time; CheckError when it cannot be done."""
    if spec.command is None:
        require("serve", "the serving check's server (mlci serve)")
    import onnxruntime as ort

    root = workspace.root
    model_path = root / spec.model
    if not model_path.is_file():
        raise CheckError(f"{spec.model}: file not found" if not model_path.exists() else f"{spec.model}: not a file")
    session = open_session(ort, model_path, spec.model)
    name, dtype, shape = first_input(session, spec.model)
    rows = input_rows(read_sample(root / spec.sample, spec), spec, dtype, shape)
    check_shape(rows, shape, name, spec)
    outputs = [o.name for o in session.get_outputs()]
    batches = max(1, math.ceil(len(rows) / spec.batch_size))
    expected: dict[int, list[Any]] = {}  # offline predictions of each distinct batch, computed once

    def offline(index: int) -> list[Any]:
        key = index % batches
        if key not in expected:
            expected[key] = list(session.run(outputs, {name: batch_at(rows, key, spec.batch_size)}))
        return expected[key]

    for index in range(min(batches, WARMUP * spec.concurrency + spec.requests)):
        offline(index)  # before the clients start: they only read ``expected``
    with running(spec, root) as port:
        return _ask(spec, port, name, dtype, rows, outputs, offline, budget_s)


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command_line(spec: ServingSpec, port: int) -> list[str]:
    """The server's argv: ``spec.command`` with its placeholders filled, or mlci serve."""
    values = {"{port}": str(port), "{model}": spec.model, "{name}": spec.model_name}
    if spec.command is None:
        return [sys.executable, "-m", "mlci", "serve", spec.model, "--host", "127.0.0.1", "--port", str(port),
                "--name", spec.model_name, "--log-level", "WARNING"]
    argv = []
    for arg in spec.command:
        for placeholder, value in values.items():
            arg = arg.replace(placeholder, value)
        argv.append(arg)
    return argv


@contextmanager
def running(spec: ServingSpec, root: Path) -> Iterator[int]:
    """The spec's server running in ``root``, ready, on the port yielded; stopped afterwards.
    CheckError when it does not start."""
    port = free_port()
    argv = command_line(spec, port)
    try:
        with proc.background(argv, cwd=root, stop_timeout_s=STOP_TIMEOUT_S) as server:
            _wait_ready(spec, port, server)
            yield port
    except CommandFailed as exc:
        raise CheckError(f"cannot start the server ({shlex.join(argv)}): {exc.output}") from None


def _wait_ready(spec: ServingSpec, port: int, server: proc.Background) -> None:
    deadline = time.monotonic() + spec.startup_timeout
    while True:
        code = server.exit_code()
        if code is not None:
            raise CheckError(f"the server exited ({code}) before it was ready: {server.last_line()}")
        try:
            status, _ = _get(port, "/v2/health/ready", timeout=2)
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise CheckError(f"the server was not ready within {spec.startup_timeout:g} s "
                             f"(GET /v2/health/ready on port {port}): {server.last_line()}")
        time.sleep(0.1)
    status, body = _get(port, f"/v2/models/{spec.model_name}", timeout=REQUEST_TIMEOUT_S)
    if status != 200:
        raise CheckError(f"the server has no model {spec.model_name!r}: GET /v2/models/{spec.model_name} answered "
                         f"{status}{_error_text(body)}")


def _get(port: int, path: str, *, timeout: float) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def post(port: int, path: str, body: Any, *, timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, Any]:
    """``body`` as JSON to ``path`` on the server; its status and the answer's JSON (None if none)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(answer)
    except ValueError:
        return response.status, None


def _error_text(body: bytes) -> str:
    """``: <the V2 error>`` of an answer's body, or nothing."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return ""
    return f": {str(error)[:300]}" if error else ""


# ---------------------------------------------------------------- the requests


@dataclass
class _Tally:
    """What the clients saw (under ``lock``)."""

    answers: int = 0
    unequal: int = 0
    difference: str | None = None
    refused: int = 0
    refusal: str | None = None
    durations: list[int] = field(default_factory=list)
    stopped: bool = False


def _ask(spec: ServingSpec, port: int, name: str, dtype: str, rows: npt.NDArray[Any], outputs: Sequence[str],
         offline: Any, budget_s: float) -> Served:
    deadline = time.monotonic() + budget_s
    tally = _Tally()
    lock = threading.Lock()
    # Timed request i goes to client i % concurrency; warmup requests come first on each client.
    plans = [list(range(c, spec.requests, spec.concurrency)) for c in range(spec.concurrency)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(spec.concurrency + 1)
    clock: list[float] = []

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        try:
            for w in range(WARMUP):
                _one(spec, connection, name, dtype, rows, outputs, offline, spec.requests + number * WARMUP + w, tally, lock)
            barrier.wait()
            for index in plans[number]:
                if time.monotonic() > deadline:
                    with lock:
                        tally.stopped = True
                    break
                _one(spec, connection, name, dtype, rows, outputs, offline, index, tally, lock, timed=True)
        except BaseException as exc:  # noqa: BLE001 - handed to the measuring thread, which says what it was
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(spec.concurrency)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait()
        clock.append(time.perf_counter())
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - clock[0] if clock else 0.0
    if errors:
        exc = errors[0]
        if isinstance(exc, CheckError):
            raise exc
        raise CheckError(f"the server stopped answering: {first_line(exc)}") from None
    return _served(spec, tally, wall, budget_s)


def _one(spec: ServingSpec, connection: http.client.HTTPConnection, name: str, dtype: str, rows: npt.NDArray[Any],
         outputs: Sequence[str], offline: Any, index: int, tally: _Tally, lock: threading.Lock,
         *, timed: bool = False) -> None:
    batch = batch_at(rows, index, spec.batch_size)
    body = json.dumps({"inputs": [{"name": name, "shape": list(batch.shape), "datatype": V2_DATATYPES[dtype],
                                   "data": _flat(batch, dtype)}]}).encode()
    path = f"/v2/models/{spec.model_name}/infer"
    start = time.perf_counter_ns()
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise CheckError(f"POST {path}: {first_line(exc) or type(exc).__name__}") from None
    elapsed = time.perf_counter_ns() - start
    first = index * spec.batch_size  # the batch's first row in the sample, cycling
    if response.status != 200:
        problem: str | None = f"{response.status}{_error_text(answer)}"
        difference = None
    else:
        problem, difference = None, compare(answer, outputs, offline(index), spec.tolerance)
    with lock:
        tally.answers += 1
        if problem is not None:
            tally.refused += 1
            tally.refusal = tally.refusal or f"{_rows(first, spec.batch_size, len(rows))}: {problem}"
        elif difference is not None:
            tally.unequal += 1
            row, what = difference
            tally.difference = tally.difference or f"sample row {(first + row) % len(rows) + 1:,}: {what}"
        if timed:
            tally.durations.append(elapsed)


def _rows(first: int, size: int, total: int) -> str:
    """``sample row 4``, ``sample rows 4-6`` (1-based, the sample's data rows)."""
    start = first % total + 1
    return f"sample row {start:,}" if size == 1 else f"sample rows {start:,}-{(first + size - 1) % total + 1:,}"


def _flat(batch: npt.NDArray[Any], dtype: str) -> list[Any]:
    flat = batch.reshape(-1)
    if dtype == "object":
        return [str(v) for v in flat]
    return flat.tolist()


def compare(answer: bytes, outputs: Sequence[str], expected: Sequence[Any], tolerance: float) -> tuple[int, str] | None:
    """None when the V2 answer holds every output with the offline values; else the first
    difference: the row of the batch it is in, and what it is."""
    import numpy as np

    try:
        given = {o["name"]: o for o in json.loads(answer)["outputs"]}
    except (ValueError, KeyError, TypeError):
        return 0, "the answer is not a V2 inference response"
    for output, want in zip(outputs, expected, strict=True):
        if output not in given:
            return 0, f"output {output!r} missing"
        offline = _matrix(want)
        try:
            served = np.asarray(given[output]["data"], dtype=offline.dtype).reshape(offline.shape)
        except (ValueError, TypeError, KeyError):
            return 0, f"output {output!r}: not {offline.size} values of {offline.dtype}"
        if offline.dtype.kind == "f":
            close = np.isclose(served, offline, rtol=tolerance, atol=tolerance, equal_nan=True)
        else:
            close = served == offline
        if not bool(np.all(close)):
            at = tuple(int(i) for i in np.argwhere(~np.asarray(close))[0])
            column = f"[{', '.join(str(i) for i in at[1:])}]" if len(at) > 1 else ""
            return at[0] if at else 0, f"{output}{column} is {_shown(served[at])}, offline {_shown(offline[at])}"
    return None


def _shown(value: Any) -> str:
    item = value.item() if hasattr(value, "item") else value
    return f"{item:.6g}" if isinstance(item, float) else repr(item)


def _matrix(value: Any) -> Any:
    """An offline output as an array: a ZipMap's maps as the matrix of their values."""
    import numpy as np

    if isinstance(value, list) and value and isinstance(value[0], dict):
        return np.asarray([list(row.values()) for row in value], dtype=np.float32)
    array = np.asarray(value)
    if array.dtype.kind in "OUS":
        return array.astype(str).astype(object)
    return array


def _served(spec: ServingSpec, tally: _Tally, wall: float, budget_s: float) -> Served:
    import numpy as np

    durations = tally.durations
    if durations:
        ms = np.asarray(durations, dtype=np.float64) / 1e6
        p50, p95 = (round(float(x), 6) for x in np.percentile(ms, [50, 95]))
    else:
        p50 = p95 = 0.0
    rows = len(durations) * spec.batch_size
    throughput = round(rows / wall, 3) if wall > 0 and rows else 0.0
    return Served(server=spec.server, answers=tally.answers, unequal=tally.unequal, difference=tally.difference,
                  refused=tally.refused, refusal=tally.refusal, timed=len(durations), p50_ms=p50, p95_ms=p95,
                  throughput=throughput, stopped=tally.stopped, budget_s=budget_s)
