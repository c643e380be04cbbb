"""mlci serve through real HTTP on loopback: a real model (LogisticRegression on iris, exported with
skl2onnx) served by `mlci serve` in its own process, on a free port it chooses and prints.

Requests and answers are checked against the Open Inference Protocol's own OpenAPI description,
vendored in tests/fixtures/oip (its README names the source). Then every bad input, a load of
10,000 requests from 8 clients, and SIGTERM: during that load, with a request half sent, and with
a kept-alive connection idle.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator

from mlci.commands.serve import Settings, run
from mlci.errors import MlciError
from tests.unit.serve.models import Classifier, classifier, infer_body

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "tests" / "fixtures" / "oip" / "open_inference_rest.yaml").read_text())
START_TIMEOUT_S = 60
# The command line's names of the Settings the tests give.
OPTIONS = {"name": "--name", "version": "--version", "max_request_bytes": "--max-request-bytes"}


def serve_command(model: Path, **settings: Any) -> list[str]:
    """``mlci serve MODEL --port 0 ...``, as a user types it."""
    options = [item for key, value in settings.items() for item in (OPTIONS[key], str(value))]
    return [sys.executable, "-m", "mlci", "serve", str(model), "--port", "0", *options]


def check(instance: Any, schema: str) -> None:
    """``instance`` is valid against the protocol's ``components.schemas[schema]``."""
    OAS30Validator({"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]}).validate(instance)


def check_error(response: requests.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    check(body, "inference_error_response")
    assert set(body) == {"error"} and isinstance(body["error"], str) and fragment in body["error"], body


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str
    log: Path

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 40) -> int:
        return self.proc.wait(timeout)

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def access(self, path_end: str = "/infer") -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line["logger"] == "mlci.serve.access" and line["path"].endswith(path_end)]


def start(model: Path, folder: Path, **settings: Any) -> Served:
    """``mlci serve`` on ``model`` in its own process, on a free port; ready when this returns."""
    log = folder / f"serve-{time.monotonic_ns()}.log"
    with log.open("w") as stderr:  # a file, not a pipe: 10,000 log lines must never block the server
        proc = subprocess.Popen(serve_command(model, **settings), stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
    line = proc.stdout.readline() if ready else ""
    if "http://" not in line:
        proc.kill()
        raise AssertionError(f"mlci serve did not start: {line!r} {log.read_text()}")
    base = line.split("http://", 1)[1].split("/v2/", 1)[0]
    served = Served(proc, f"http://{base}", log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while requests.get(f"{served.url}/v2/health/ready", timeout=5).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return served


def stop(served: Served) -> int:
    if served.proc.poll() is None:
        served.signal()
    try:
        return served.wait()
    finally:
        if served.proc.poll() is None:
            served.proc.kill()


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return classifier(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def server(iris: Classifier, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start(iris.path, tmp_path_factory.mktemp("server"))
    yield served
    assert stop(served) == 0


@pytest.fixture()
def fresh(iris: Classifier, tmp_path: Path) -> Iterator[Any]:
    """A server of the test's own (to be signalled, or with settings of its own)."""
    started: list[Served] = []

    def make(**settings: Any) -> Served:
        started.append(start(iris.path, tmp_path, **settings))
        return started[-1]

    yield make
    for served in started:
        stop(served)


def post(url: str, body: Any, **kwargs: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=30, **kwargs)


# -- the protocol ---------------------------------------------------------------------------------


def test_the_spec_s_own_request_examples_are_valid_against_it() -> None:
    """The vendored description is read as it should be: its examples pass, a body without inputs fails."""
    for example in SPEC["components"]["schemas"]["inference_request"]["x-examples"].values():
        if "inputs" in example:
            check(example, "inference_request")
    with pytest.raises(Exception, match="'inputs' is a required property"):
        check({"id": "1"}, "inference_request")


def test_health_and_metadata_answer_as_the_protocol_says(server: Served) -> None:
    live = requests.get(f"{server.url}/v2/health/live", timeout=5)
    ready = requests.get(f"{server.url}/v2/health/ready", timeout=5)
    assert (live.status_code, live.json()) == (200, {"live": True})
    assert (ready.status_code, ready.json()) == (200, {"ready": True})
    meta = requests.get(f"{server.url}/v2", timeout=5).json()
    check(meta, "metadata_server_response")
    assert meta["name"] == "mlci" and meta["extensions"] == []
    model = requests.get(f"{server.url}/v2/models/iris", timeout=5)
    assert model.status_code == 200 and model.headers["content-type"] == "application/json"
    check(model.json(), "metadata_model_response")
    assert model.json() == {
        "name": "iris", "versions": [], "platform": "onnxruntime_onnx",
        "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [{"name": "output_label", "datatype": "INT64", "shape": [-1]},
                    {"name": "output_probability", "datatype": "FP32", "shape": [-1, -1]}],
    }
    assert requests.get(f"{server.url}/v2/models/iris/ready", timeout=5).json() == {"name": "iris", "ready": True}


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "flat"])
def test_answers_equal_the_model_s_offline_predictions(server: Served, iris: Classifier, nested: bool) -> None:
    body = infer_body(iris.X, nested=nested, id="batch-1")
    check(body, "inference_request")
    response = post(f"{server.url}/v2/models/iris/infer", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    check(answer, "inference_response")
    assert answer["model_name"] == "iris" and answer["id"] == "batch-1" and "model_version" not in answer
    labels, probabilities = answer["outputs"]
    assert (labels["name"], labels["datatype"], labels["shape"]) == ("output_label", "INT64", [len(iris.X)])
    assert labels["data"] == iris.labels.tolist() == iris.onnx_labels.tolist()
    assert (probabilities["datatype"], probabilities["shape"]) == ("FP32", [len(iris.X), 3])
    served = np.array(probabilities["data"], dtype=np.float32).reshape(-1, 3)
    np.testing.assert_array_equal(served, iris.onnx_probabilities)  # the same float32s as in-process onnxruntime
    np.testing.assert_allclose(served, iris.probabilities, atol=1e-6)  # and scikit-learn's own, to float32


def test_one_row_at_a_time_and_only_the_outputs_asked_for(server: Served, iris: Classifier) -> None:
    with requests.Session() as session:
        for index in range(0, len(iris.X), 5):
            body = infer_body(iris.X[index:index + 1], outputs=[{"name": "output_probability"}])
            check(body, "inference_request")
            answer = session.post(f"{server.url}/v2/models/iris/infer", data=json.dumps(body), timeout=10).json()
            check(answer, "inference_response")
            assert [o["name"] for o in answer["outputs"]] == ["output_probability"] and "id" not in answer
            np.testing.assert_array_equal(np.array(answer["outputs"][0]["data"], dtype=np.float32), iris.row_probabilities[index])


def test_name_version_and_paths_with_the_version(fresh: Any, iris: Classifier) -> None:
    served = fresh(name="flowers", version="1.2.0")
    meta = requests.get(f"{served.url}/v2/models/flowers/versions/1.2.0", timeout=5).json()
    check(meta, "metadata_model_response")
    assert meta["name"] == "flowers" and meta["versions"] == ["1.2.0"]
    for path in ("/v2/models/flowers/infer", "/v2/models/flowers/versions/1.2.0/infer"):
        answer = post(served.url + path, infer_body(iris.X[:2])).json()
        check(answer, "inference_response")
        assert answer["model_name"] == "flowers" and answer["model_version"] == "1.2.0"
    assert requests.get(f"{served.url}/v2/models/flowers/versions/1.2.0/ready", timeout=5).status_code == 200
    check_error(post(f"{served.url}/v2/models/flowers/versions/9/infer", infer_body(iris.X[:1])), 404,
                "model 'flowers' has no version '9': its version is '1.2.0'")
    check_error(requests.get(f"{served.url}/v2/models/iris", timeout=5), 404, "unknown model 'iris': this server serves 'flowers'")


# -- bad input: V2 error bodies, never a 500 ------------------------------------------------------

ROW = {"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}
# Valid against the protocol's inference_request, wrong for this model: the 400 is the model's check.
WRONG_FOR_THE_MODEL = [
    ("unknown input", {"inputs": [{**ROW, "name": "x"}]}, "unknown input 'x': the model takes 'X'"),
    ("another shape", {"inputs": [{**ROW, "shape": [1, 5], "data": [1, 2, 3, 4, 5]}]}, "shape [1, 5] does not fit the model's [-1, 4]"),
    ("another rank", {"inputs": [{**ROW, "shape": [4]}]}, "shape [4] does not fit the model's [-1, 4]"),
    ("another datatype", {"inputs": [{**ROW, "datatype": "FP64"}]}, "datatype FP64, but the model takes FP32"),
    ("unknown datatype", {"inputs": [{**ROW, "datatype": "FLOAT32"}]}, "unknown datatype 'FLOAT32'"),
    ("fewer values", {"inputs": [{**ROW, "data": [1, 2, 3]}]}, "'data' has 3 elements, shape [1, 4] holds 4"),
    ("ragged rows", {"inputs": [{**ROW, "shape": [2, 4], "data": [[1, 2, 3, 4], [1, 2]]}]}, "'data' is not a regular array"),
    ("strings", {"inputs": [{**ROW, "data": ["a", "b", "c", "d"]}]}, "FP32 data must be numbers"),
    ("input twice", {"inputs": [ROW, ROW]}, "input 'X' is given twice"),
    ("no inputs", {"inputs": []}, "'inputs' must be a non-empty list"),
    ("unknown output", {"inputs": [ROW], "outputs": [{"name": "label"}]}, "unknown output 'label'"),
    ("binary output", {"inputs": [ROW], "outputs": [{"name": "output_label", "parameters": {"binary_data": True}}]},
     "binary tensor data (binary_data) is not supported"),
]
# Not even an inference request.
MALFORMED = [
    ("malformed JSON", b'{"inputs": [{"name": "X", ', "malformed JSON: "),
    ("not JSON at all", b"\x00\xff", "malformed JSON: "),
    ("empty body", b"", "the request has no body"),
    ("a list", b"[1, 2]", "the body must be a JSON object"),
    ("no inputs key", b'{"id": "1"}', "'inputs' must be a non-empty list"),
    ("id not a string", json.dumps({"id": 1, "inputs": [ROW]}).encode(), "'id' must be a string, not a number"),
    ("shape of strings", json.dumps({"inputs": [{**ROW, "shape": ["1", "4"]}]}).encode(), "'shape' must be a list of non-negative integers"),
]


@pytest.mark.parametrize("body, fragment", [c[1:] for c in WRONG_FOR_THE_MODEL], ids=[c[0] for c in WRONG_FOR_THE_MODEL])
def test_a_request_wrong_for_the_model_is_a_400(server: Served, body: Any, fragment: str) -> None:
    check(body, "inference_request")
    check_error(post(f"{server.url}/v2/models/iris/infer", body), 400, fragment)


@pytest.mark.parametrize("body, fragment", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_a_malformed_request_is_a_400(server: Served, body: bytes, fragment: str) -> None:
    check_error(post(f"{server.url}/v2/models/iris/infer", body), 400, fragment)


def test_unknown_models_paths_and_methods(server: Served) -> None:
    check_error(post(f"{server.url}/v2/models/wine/infer", {"inputs": [ROW]}), 404, "unknown model 'wine': this server serves 'iris'")
    check_error(requests.get(f"{server.url}/v2/models/wine", timeout=5), 404, "unknown model 'wine'")
    check_error(requests.get(f"{server.url}/v2/models/wine/ready", timeout=5), 404, "unknown model 'wine'")
    check_error(requests.get(f"{server.url}/v2/models/iris/versions/1", timeout=5), 404, "it has no versions")
    check_error(requests.get(f"{server.url}/v1/models/iris", timeout=5), 404, "no such path: /v1/models/iris")
    wrong = requests.get(f"{server.url}/v2/models/iris/infer", timeout=5)
    check_error(wrong, 405, "GET is not allowed on /v2/models/iris/infer (only POST)")
    assert wrong.headers["allow"] == "POST"
    check_error(requests.delete(f"{server.url}/v2/health/live", timeout=5), 405, "DELETE is not allowed")


def test_the_binary_tensor_extension_is_refused_with_a_400(server: Served) -> None:
    response = requests.post(f"{server.url}/v2/models/iris/infer", data=b'{"inputs": []}\x00\x00',
                             headers={"Inference-Header-Content-Length": "14"}, timeout=5)
    check_error(response, 400, "binary tensor data (Inference-Header-Content-Length) is not supported")


def test_a_body_over_16_mib_is_a_413_before_it_is_read(server: Served) -> None:
    body = b'{"inputs": [' + b" " * (16 * 1024 * 1024) + b"]}"
    check_error(post(f"{server.url}/v2/models/iris/infer", body), 413, "over this server's limit of 16777216 bytes")
    assert requests.get(f"{server.url}/v2/health/live", timeout=5).status_code == 200  # and the server goes on


def test_the_limit_is_configurable_and_counts_a_body_sent_in_chunks(fresh: Any, iris: Classifier) -> None:
    served = fresh(max_request_bytes=4096)
    check_error(post(f"{served.url}/v2/models/iris/infer", b"{" + b" " * 5000 + b"}"), 413, "limit of 4096 bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        yield b'{"inputs": ['
        for _ in range(10):
            yield b" " * 1000
        yield b"]}"

    chunked = requests.post(f"{served.url}/v2/models/iris/infer", data=chunks(), timeout=10)
    assert chunked.request.headers.get("Transfer-Encoding") == "chunked"
    check_error(chunked, 413, "limit of 4096 bytes")
    assert post(f"{served.url}/v2/models/iris/infer", infer_body(iris.X[:3])).status_code == 200  # within the limit


# -- logs and metrics -----------------------------------------------------------------------------


def test_one_json_access_line_per_request_and_the_request_id(server: Served, iris: Classifier) -> None:
    response = requests.post(f"{server.url}/v2/models/iris/infer", data=json.dumps(infer_body(iris.X[:1])),
                             headers={"X-Request-ID": "trace-42"}, timeout=5)
    assert response.status_code == 200 and response.headers["x-request-id"] == "trace-42"
    other = requests.get(f"{server.url}/v2/health/live", timeout=5)
    assert len(other.headers["x-request-id"]) == 32
    time.sleep(0.2)
    lines = server.log_lines()
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    mine = [line for line in lines if line.get("request_id") == "trace-42"]
    assert len(mine) == 1
    line = mine[0]
    assert {k: line[k] for k in ("method", "path", "status", "model", "client")} == {
        "method": "POST", "path": "/v2/models/iris/infer", "status": 200, "model": "iris", "client": "127.0.0.1"}
    assert 0 < line["duration_ms"] < 10_000
    assert [x["request_id"] for x in lines if x.get("path") == "/v2/health/live"][-1] == other.headers["x-request-id"]


def test_metrics_count_requests_by_model_and_status_with_a_latency_histogram(server: Served) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    post(f"{server.url}/v2/models/iris/infer", {"inputs": [{**ROW, "name": "nope"}]})
    page = requests.get(f"{server.url}/metrics", timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(page.text)}
    counts = {(s.labels["model"], s.labels["endpoint"], s.labels["status"]): s.value
              for s in families["mlci_serve_requests"].samples if s.name == "mlci_serve_requests_total"}
    assert counts[("iris", "infer", "400")] >= 1 and counts[("iris", "infer", "200")] >= 1
    buckets = [s for s in families["mlci_serve_request_duration_seconds"].samples
               if s.name.endswith("_bucket") and s.labels["endpoint"] == "infer" and s.labels["model"] == "iris"]
    assert buckets and buckets[-1].labels["le"] == "+Inf" and buckets[-1].value >= 2
    assert any(s.name == "mlci_serve_inference_duration_seconds_count" and s.value >= 1
               for s in families["mlci_serve_inference_duration_seconds"].samples)


# -- load and shutdown ----------------------------------------------------------------------------


def _row_bodies(iris: Classifier) -> list[bytes]:
    return [json.dumps(infer_body(iris.X[i:i + 1], id=str(i))).encode() for i in range(len(iris.X))]


def test_10000_requests_from_8_clients_all_answered_right(fresh: Any, iris: Classifier) -> None:
    served = fresh()
    bodies = _row_bodies(iris)
    url = f"{served.url}/v2/models/iris/infer"
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client(number: int) -> None:
        seen: Counter[str] = Counter()
        with requests.Session() as session:
            for n in range(1250):
                index = (number * 1250 + n) % len(bodies)
                try:
                    response = session.post(url, data=bodies[index], timeout=30)
                    answer = response.json()
                    right = (response.status_code == 200 and answer["id"] == str(index)
                             and answer["outputs"][0]["data"] == [int(iris.onnx_labels[index])]
                             and np.array_equal(np.array(answer["outputs"][1]["data"], np.float32), iris.row_probabilities[index]))
                    seen["right" if right else f"wrong {response.status_code}"] += 1
                except Exception as exc:  # counted, so that the assertion below names it
                    seen[f"error {type(exc).__name__}"] += 1
        with lock:
            outcomes.update(seen)

    start_time = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    elapsed = time.monotonic() - start_time
    assert outcomes == Counter({"right": 10_000}), outcomes
    time.sleep(0.3)
    logged = Counter(line["status"] for line in served.access())
    assert logged == Counter({200: 10_000})  # none lost, none twice
    assert elapsed < 60, f"10,000 requests took {elapsed:.1f} s"


def _refused(exc: BaseException) -> bool:
    """A connection the server never accepted: refused (it had stopped listening)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None),
                 *[a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]]
    return False


def test_sigterm_during_load_answers_every_request_the_server_accepted_and_exits_0(fresh: Any, iris: Classifier) -> None:
    served = fresh()
    bodies = _row_bodies(iris)
    url = f"{served.url}/v2/models/iris/infer"
    answered_after_signal = 0
    outcomes: Counter[str] = Counter()
    signalled = threading.Event()
    lock = threading.Lock()

    def client(number: int) -> None:
        nonlocal answered_after_signal
        seen: Counter[str] = Counter()
        late = 0
        with requests.Session() as session:
            for n in range(3000):  # bounded; a refused connection ends it first
                index = (number + n * 8) % len(bodies)
                try:
                    response = session.post(url, data=bodies[index], timeout=30)
                    answer = response.json()
                    right = response.status_code == 200 and answer["outputs"][0]["data"] == [int(iris.onnx_labels[index])]
                    seen["right" if right else f"wrong {response.status_code} {response.text[:80]}"] += 1
                    late += signalled.is_set()
                except requests.ConnectionError as exc:
                    seen["refused" if _refused(exc) else f"lost {exc!r}"[:200]] += 1
                    break
                except Exception as exc:
                    seen[f"error {exc!r}"[:200]] += 1
                    break
        with lock:
            outcomes.update(seen)
            answered_after_signal += late

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(served.access()) < 1500 and time.monotonic() < deadline:
        time.sleep(0.05)
    signalled.set()
    served.signal(signal.SIGTERM)
    for thread in threads:
        thread.join(60)
    code = served.wait(40)
    assert set(outcomes) <= {"right", "refused"}, outcomes  # nothing lost, cut or wrong; failures only refused
    assert outcomes["refused"] == 8  # each client ended on a refused connection, none on anything else
    assert answered_after_signal > 0  # requests were in flight, and were answered
    assert Counter(line["status"] for line in served.access()) == Counter({200: outcomes["right"]})
    assert code == 0


def _raw_request(body: bytes, *, close: bool = False) -> bytes:
    head = (f"POST /v2/models/iris/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}\r\n")
    return head.encode() + body


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read whole (or AssertionError if cut short)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the headers: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the body"
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


def _port(served: Served) -> int:
    return int(served.url.rsplit(":", 1)[1])


def test_a_request_half_sent_at_sigterm_is_answered_whole(fresh: Any, iris: Classifier) -> None:
    served = fresh()
    request = _raw_request(json.dumps(infer_body(iris.X[:10])).encode())
    with socket.create_connection(("127.0.0.1", _port(served)), timeout=10) as sock:
        sock.sendall(request[: len(request) // 2])
        time.sleep(0.3)  # the server has the headers: the request is in flight
        served.signal(signal.SIGTERM)
        time.sleep(0.6)  # uvicorn looks for the signal every 0.1 s, then stops listening
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", _port(served)), timeout=5)
        sock.sendall(request[len(request) // 2:])
        status, headers, body = _read_response(sock)
    assert status == 200 and headers["connection"] == "close"
    assert json.loads(body)["outputs"][0]["data"] == iris.onnx_labels[:10].tolist()
    assert served.wait(40) == 0


def test_a_kept_alive_connection_idle_at_sigterm_still_gets_its_next_request_answered(fresh: Any, iris: Classifier) -> None:
    served = fresh()
    request = _raw_request(json.dumps(infer_body(iris.X[:1])).encode())
    with socket.create_connection(("127.0.0.1", _port(served)), timeout=10) as sock:
        sock.sendall(request)
        status, headers, _ = _read_response(sock)
        assert status == 200 and "connection" not in headers  # kept alive
        served.signal(signal.SIGTERM)
        time.sleep(0.6)  # shutting down now: the listener is closed, this connection idle
        sock.sendall(request)
        status, headers, body = _read_response(sock)
        assert status == 200 and headers["connection"] == "close"
        assert json.loads(body)["outputs"][0]["data"] == [int(iris.onnx_labels[0])]
        assert sock.recv(1) == b""  # and then it is closed
    assert served.wait(40) == 0


def test_readiness_is_503_while_shutting_down(fresh: Any, iris: Classifier) -> None:
    served = fresh()
    with socket.create_connection(("127.0.0.1", _port(served)), timeout=10) as sock:
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200
        served.signal(signal.SIGTERM)
        time.sleep(0.6)
        sock.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = _read_response(sock)
    assert (status, json.loads(body), headers["connection"]) == (503, {"ready": False}, "close")
    assert served.wait(40) == 0


def test_sigint_ends_it_with_0_too(fresh: Any) -> None:
    served = fresh()
    served.signal(signal.SIGINT)
    assert served.wait(40) == 0
    assert any(line["message"] == "Shutting down" for line in served.log_lines())


# -- the command's own errors: one line, exit code 2 ----------------------------------------------


@pytest.mark.parametrize("case, expected", [
    ("missing", "missing.onnx: no such file"),
    ("not onnx", "notes.onnx: not an ONNX model onnxruntime can load: "),
    ("bad port", "port 70000: expected a number from 0 to 65535"),
    ("bad name", "'two words' cannot be a model name"),
    ("bad limit", "max request size 0: expected a positive number of bytes"),
])
def test_the_command_s_mistakes_are_one_line_and_exit_2(tmp_path: Path, iris: Classifier, case: str, expected: str) -> None:
    (tmp_path / "notes.onnx").write_text("not a model\n")
    settings = {
        "missing": Settings(tmp_path / "missing.onnx"),
        "not onnx": Settings(tmp_path / "notes.onnx"),
        "bad port": Settings(iris.path, port=70000),
        "bad name": Settings(iris.path, name="two words"),
        "bad limit": Settings(iris.path, max_request_bytes=0),
    }[case]
    with pytest.raises(MlciError) as error:
        run(settings)
    assert expected in str(error.value) and "\n" not in str(error.value) and error.value.exit_code == 2


def test_a_port_in_use_is_exit_2_from_the_process(server: Served, iris: Classifier, tmp_path: Path) -> None:
    command = [*serve_command(iris.path)[:-2], "--port", str(_port(server))]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == f"mlci: error: cannot listen on 127.0.0.1:{_port(server)}: Address already in use"


def test_serving_imports_nothing_of_the_serve_package_until_it_runs() -> None:
    code = ("import sys, mlci.cli, mlci.commands.serve; "
            "print(sorted(m for m in sys.modules if m.startswith(('mlci.serve', 'uvicorn', 'onnxruntime', 'numpy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ}).stdout
    assert out.strip() == "[]"


# -- the image, built and run with podman from a local base, without network ------------------------
#
# Debian's podman (apt-get install podman runc) builds and runs images here, as root, with three
# settings this machine needs: runc (crun refuses cgroups in hybrid mode), ulimits below the
# current ones (raising them needs CAP_SYS_RESOURCE, which root lacks here) and no network for the
# build (no registry is reachable). The base is made locally from this interpreter's own
# installation (its folder, the shared libraries it and its extension modules link to, a shell),
# imported with `podman import`; the wheels come from a wheelhouse in the build context, as the
# Dockerfile allows (PIP_NO_INDEX=1), downloaded first by pip on the host.

PODMAN_RUN = ["--runtime", "runc"]
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def _podman(*args: str, timeout: float = 600, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    podman = shutil.which("podman")
    assert podman, "podman is not installed: apt-get install podman runc (.ci/run must install them)"
    proc = subprocess.run([podman, *PODMAN_RUN, *args], capture_output=True, text=True, timeout=timeout, input=input)
    if check:
        assert proc.returncode == 0, f"podman {' '.join(args)}: {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _linked(paths: list[Path]) -> set[Path]:
    """The shared libraries ``paths`` load (ldd's answer), and the loader."""
    found: set[Path] = set()
    for path in paths:
        proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            parts = line.split("=>")[-1].split()
            if parts and parts[0].startswith("/"):
                found.add(Path(parts[0]))
    return found


def _local_python_base(folder: Path, tag: str) -> str:
    """An image of this interpreter's installation, made without any registry."""
    prefix = Path(sys.base_prefix).resolve()
    rootfs = folder / "rootfs"
    ignore = shutil.ignore_patterns("test", "tests", "idle_test", "__pycache__", "*.a", "tkinter", "idlelib", "turtledemo")
    shutil.copytree(prefix, rootfs / prefix.relative_to("/"), ignore=ignore, symlinks=True)
    site = rootfs / prefix.relative_to("/") / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    for entry in site.iterdir():  # pip only: what the image installs comes from the wheelhouse
        if not entry.name.startswith("pip"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    elves = [p for p in (rootfs / prefix.relative_to("/")).rglob("*") if p.is_file() and (p.suffix == ".so" or ".so." in p.name or p.parent.name == "bin")]
    shell = Path("/bin/sh").resolve()
    # What manylinux wheels (onnxruntime, numpy) may link to and expect of the system: glibc's parts, libstdc++
    system = ("/libc.so.6", "/libm.so.6", "/libpthread.so.0", "/libdl.so.2", "/librt.so.1", "/libutil.so.1",
              "/libstdc++.so.6", "/libgcc_s.so.1", "/libz.so.1")
    cxx = [Path(p) for p in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.split()
           if p.endswith(system) and "/lib32/" not in p and "/libx32/" not in p]
    for library in {*_linked([*elves, shell, *cxx]), *cxx, shell}:
        target = rootfs / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), target)
    (rootfs / "bin" / "sh").parent.mkdir(exist_ok=True)
    if not (rootfs / "bin" / "sh").exists():
        shutil.copy2(shell, rootfs / "bin" / "sh")
    for name in ("tmp", "etc"):
        (rootfs / name).mkdir(exist_ok=True)
    (rootfs / "tmp").chmod(0o1777)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    archive = folder / "base.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
    shutil.rmtree(rootfs)
    _podman("import", "--change", f"ENV PATH={prefix}/bin:/usr/bin:/bin", str(archive), tag)
    return tag


def _wheelhouse(folder: Path) -> Path:
    """The Dockerfile's pinned packages (pip download) and mlci's own wheel, built from this tree."""
    wheels = folder / "wheels"
    dockerfile = (ROOT / "src" / "mlci" / "serve" / "Dockerfile").read_text()
    pins = sorted(set(re.findall(r'"([A-Za-z0-9_.-]+==[0-9.]+)"', dockerfile)))
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "--dest", str(wheels), *pins],
                   check=True, timeout=600)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
                   check=True, timeout=600)
    return wheels


# Run inside the container (it has no network but its own loopback): one request, the answer printed.
ASK = """
import sys, urllib.request
request = urllib.request.Request("http://127.0.0.1:8080" + sys.argv[1], data=sys.stdin.buffer.read() or None,
                                 headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(request, timeout=10).read().decode())
"""


def test_the_image_builds_from_a_local_base_and_serves_with_podman(iris: Classifier, tmp_path: Path) -> None:
    from mlci import __version__

    base = _local_python_base(tmp_path, f"localhost/mlci-test-python:{time.monotonic_ns()}")
    context = tmp_path / "context"
    context.mkdir()
    _wheelhouse(context)
    shutil.copy(ROOT / "src" / "mlci" / "serve" / "Dockerfile", context / "Dockerfile")
    shutil.copy(iris.path, context / "iris.onnx")
    image = f"localhost/mlci-serve-test:{time.monotonic_ns()}"
    name = f"mlci-serve-test-{time.monotonic_ns()}"
    try:
        # --format docker: OCI images have no HEALTHCHECK (Docker's format does, and podman keeps it)
        _podman("build", "--format", "docker", "--network=none", *ULIMITS, "--build-arg", f"BASE_IMAGE={base}",
                "--build-arg", "PIP_NO_INDEX=1", "--build-arg", f"MLCI_VERSION={__version__}",
                "--build-arg", "MODEL=iris.onnx", "--build-arg", "MODEL_NAME=iris", "-t", image, str(context), timeout=900)
        _podman("run", "-d", "--name", name, "--network=none", *ULIMITS, image)  # as the image says: port 8080, no arguments

        def ask(path: str, body: str = "") -> Any:
            return json.loads(_podman("exec", "-i", name, "python", "-c", ASK, path, input=body).stdout)

        deadline = time.monotonic() + 60
        while _podman("exec", name, "python", "-c", ASK, "/v2/health/ready", check=False).returncode != 0:
            assert time.monotonic() < deadline, _podman("logs", name, check=False).stderr
            time.sleep(0.3)
        metadata = ask("/v2/models/iris")
        check(metadata, "metadata_model_response")
        assert metadata["name"] == "iris"
        answer = ask("/v2/models/iris/infer", json.dumps(infer_body(iris.X)))
        check(answer, "inference_response")
        assert answer["outputs"][0]["data"] == iris.onnx_labels.tolist()
        health = _podman("healthcheck", "run", name, check=False)
        assert health.returncode == 0, f"healthcheck: {health.returncode} {health.stdout} {health.stderr}"
        assert _podman("exec", name, "python", "-c", "import os; print(os.getuid())").stdout.strip() == "10001"
        _podman("stop", "--time", "30", name)
        assert _podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
        logs = _podman("logs", name).stderr.splitlines()
        assert any(json.loads(line).get("path") == "/v2/models/iris/infer" for line in logs if line.startswith("{"))
    finally:
        _podman("rm", "-f", name, check=False)
        _podman("rmi", "-f", image, base, check=False)
