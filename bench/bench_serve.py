"""Serving, side by side in one run: mlci serve, in-process onnxruntime (the floor), and KServe's
Python ModelServer serving the same ONNX model over the same V2 REST API.

Run:  python bench/bench_serve.py        (needs mlci[serve] and skl2onnx; ~3-5 minutes, the first run
                                          longer: it installs KServe into a venv of its own)
Env:  BENCH_ROUNDS=3  BENCH_KSERVE=kserve==0.21.0  BENCH_KEEP=1 (keep the temporary folder)
      BENCH_KSERVE_VENV=/some/dir (make KServe's venv there, or reuse the one an earlier run made)
Records: bench/README.md.

The model is the demo's (StandardScaler + LogisticRegression on scikit-learn's diabetes data, the
target above its median as the class, all nine numeric features), exported with skl2onnx with
``zipmap=False`` so that both servers return the model's own tensors (label INT64, probabilities
FP32) and neither converts anything. KServe is installed with pip into a virtual environment made
under the temporary folder, never into this project's; it serves the model through a
``kserve.Model`` whose async ``predict`` runs the same onnxruntime session (one thread, as mlci's)
on ``InferRequest`` inputs, with ``ModelServer(workers=1, enable_grpc=False)`` and KServe's other
defaults (its access log and latency log on, as mlci's access log is).

What is measured, in rounds that alternate between the servers (machine noise hits all alike):

- latency: one client, one kept-alive connection (http.client: the lightest client Python has),
  requests one after another; p50 and p95 of the time from sending to the answer's last byte;
- throughput: CLIENTS client processes, each with its own kept-alive connection, sending
  requests as fast as answers come, for a fixed count; answered requests per second;
- in-process onnxruntime: ``session.run`` on the same rows (as numpy), p50/p95 and runs per second
  on one thread: what no server can beat.

Every answer is checked (status 200, the labels in-process onnxruntime gives). Clients and servers
share this machine's cores, so throughput here is lower than with clients elsewhere, for both.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
KSERVE = os.environ.get("BENCH_KSERVE", "kserve==0.21.0")
LATENCY_REQUESTS = {1: 2000, 100: 1000}
THROUGHPUT_REQUESTS = {1: 2500, 100: 1000}  # per client
CLIENTS = 4
PY = sys.executable

KSERVE_SERVER = '''
"""The same model in KServe's Python ModelServer (V2 REST only)."""
import sys

import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer


class OnnxModel(Model):
    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.names = [output.name for output in self.session.get_outputs()]
        self.ready = True

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {tensor.name: tensor.as_numpy() for tensor in payload.inputs}
        outputs = []
        for name, array in zip(self.names, self.session.run(self.names, feeds)):
            output = InferOutput(name=name, shape=list(array.shape), datatype="INT64" if array.dtype.kind == "i" else "FP32")
            output.set_data_from_numpy(array, binary_data=False)
            outputs.append(output)
        return InferResponse(response_id=payload.id or "", model_name=self.name, infer_outputs=outputs)


if __name__ == "__main__":
    ModelServer(http_port=int(sys.argv[3]), workers=1, enable_grpc=False).start([OnnxModel(sys.argv[1], sys.argv[2])])
'''


def build_model(folder: Path) -> tuple[Path, np.ndarray]:
    """The demo's model (scaler + logistic regression, nine features), as ONNX; and rows to send."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_diabetes()
    columns = [data.feature_names.index(c) for c in ("age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")]
    X = data.data[:, columns].astype(np.float32)
    y = (data.target > np.median(data.target)).astype(int)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0)).fit(X, y)
    options = {id(pipeline.steps[-1][1]): {"zipmap": False}}
    onnx = convert_sklearn(pipeline, initial_types=[("X", FloatTensorType([None, X.shape[1]]))], options=options)
    path = folder / "diabetes.onnx"
    path.write_bytes(onnx.SerializeToString())
    return path, X


def kserve_venv(folder: Path) -> Path:
    """A virtual environment of its own with KServe and the same onnxruntime as here."""
    import onnxruntime

    venv = Path(os.environ["BENCH_KSERVE_VENV"]) if os.environ.get("BENCH_KSERVE_VENV") else folder / "kserve-venv"
    if (venv / "bin" / "python").exists():  # one made by an earlier run (BENCH_KSERVE_VENV)
        return venv / "bin" / "python"
    subprocess.run([PY, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", KSERVE, f"onnxruntime=={onnxruntime.__version__}",
                    f"numpy=={np.__version__}"], check=True)
    return python


def wait_ready(port: int, name: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"/v2/models/{name}/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} on port {port} was not ready in {timeout} s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def body(X: np.ndarray) -> bytes:
    return json.dumps({"id": "bench", "inputs": [{"name": "X", "shape": list(X.shape), "datatype": "FP32",
                                   "data": [float(v) for v in X.ravel()]}]}).encode()


def check_answer(raw: bytes, labels: list[int]) -> None:
    outputs = {o["name"]: o for o in json.loads(raw)["outputs"]}
    if outputs["label"]["data"] != labels:
        raise SystemExit(f"wrong answer: {outputs['label']['data'][:5]} != {labels[:5]}")


def latency(port: int, path: str, payload: bytes, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    times = []
    for _ in range(count + 50):
        start = time.perf_counter()
        conn.request("POST", path, payload, headers)
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"status {response.status}")
    conn.close()
    return times[50:]  # the first 50 warm the connection and the server


def _client(port: int, path: str, payload: bytes, count: int, go: Any, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    conn.request("POST", path, payload, headers)
    conn.getresponse().read()
    go.wait()
    ok = 0
    for _ in range(count):
        conn.request("POST", path, payload, headers)
        response = conn.getresponse()
        response.read()
        ok += response.status == 200
    out.put(ok)


def throughput(port: int, path: str, payload: bytes, count: int) -> float:
    ctx = multiprocessing.get_context("fork")
    go, out = ctx.Event(), ctx.Queue()
    clients = [ctx.Process(target=_client, args=(port, path, payload, count, go, out)) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(0.5)
    start = time.perf_counter()
    go.set()
    answered = sum(out.get(timeout=600) for _ in clients)
    elapsed = time.perf_counter() - start
    for client in clients:
        client.join()
    if answered != count * CLIENTS:
        raise SystemExit(f"{count * CLIENTS - answered} requests were not answered with 200")
    return answered / elapsed


def in_process(path: Path, X: np.ndarray, count: int) -> tuple[list[float], float]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    for _ in range(200):
        session.run(names, {"X": X})
    times = []
    for _ in range(count):
        start = time.perf_counter()
        session.run(names, {"X": X})
        times.append(time.perf_counter() - start)
    return times, 1 / statistics.mean(times)


def pct(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1000, q))


def main() -> None:
    import onnxruntime

    folder = Path(tempfile.mkdtemp(prefix="mlci-bench-serve-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        model, X = build_model(folder)
        print(f"installing {KSERVE} into {folder / 'kserve-venv'} ...", file=sys.stderr)
        kserve_python = kserve_venv(folder)
        kserve_version = subprocess.run([str(kserve_python), "-c", "from importlib.metadata import version; print(version('kserve'))"],
                                        capture_output=True, text=True, check=True).stdout.strip()
        (folder / "kserve_server.py").write_text(KSERVE_SERVER)
        ports = {"mlci": free_port(), "kserve": free_port()}
        mlci_log = (folder / "mlci.log").open("wb")
        kserve_log = (folder / "kserve.log").open("wb")
        procs.append(subprocess.Popen([PY, "-m", "mlci", "serve", str(model), "--name", "diabetes", "--port", str(ports["mlci"])],
                                      stdout=subprocess.DEVNULL, stderr=mlci_log))
        procs.append(subprocess.Popen([str(kserve_python), str(folder / "kserve_server.py"), "diabetes", str(model),
                                       str(ports["kserve"])], stdout=kserve_log, stderr=kserve_log, cwd=folder))
        wait_ready(ports["mlci"], "diabetes", procs[0])
        wait_ready(ports["kserve"], "diabetes", procs[1])

        path = "/v2/models/diabetes/infer"
        floor_session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        cases = {rows: X[:rows] for rows in (1, 100)}
        payloads = {rows: body(rows_X) for rows, rows_X in cases.items()}
        for rows, rows_X in cases.items():  # both servers answer what onnxruntime answers in-process
            labels = floor_session.run(["label"], {"X": rows_X})[0].tolist()
            for server, port in ports.items():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", path, payloads[rows], {"Content-Type": "application/json"})
                check_answer(conn.getresponse().read(), labels)

        results: dict[tuple[str, int], dict[str, list[float]]] = {}
        for round_number in range(ROUNDS):
            for rows in (1, 100):
                for server in (("mlci", "kserve") if round_number % 2 == 0 else ("kserve", "mlci")):
                    entry = results.setdefault((server, rows), {"latency": [], "throughput": []})
                    entry["latency"] += latency(ports[server], path, payloads[rows], LATENCY_REQUESTS[rows])
                    entry["throughput"].append(throughput(ports[server], path, payloads[rows], THROUGHPUT_REQUESTS[rows]))
                entry = results.setdefault(("onnxruntime", rows), {"latency": [], "throughput": []})
                times, per_second = in_process(model, cases[rows], LATENCY_REQUESTS[rows] * 2)
                entry["latency"] += times
                entry["throughput"].append(per_second)
            print(f"round {round_number + 1}/{ROUNDS} done", file=sys.stderr)

        print(f"\n{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {platform.python_implementation()} "
              f"{platform.python_version()}, onnxruntime {onnxruntime.__version__}, KServe {kserve_version}; "
              f"{ROUNDS} rounds, {CLIENTS} client processes for throughput\n")
        print("| server | rows | p50 ms | p95 ms | throughput (requests/s) |")
        print("|---|---|---|---|---|")
        labels = {"mlci": "mlci serve", "kserve": "KServe ModelServer", "onnxruntime": "onnxruntime in-process"}
        for rows in (1, 100):
            for server in ("mlci", "kserve", "onnxruntime"):
                entry = results[(server, rows)]
                rate = statistics.median(entry["throughput"])
                shown = f"{rate:,.0f} (runs/s, 1 thread)" if server == "onnxruntime" else f"{rate:,.0f}"
                print(f"| {labels[server]} | {rows} | {pct(entry['latency'], 50):.3f} | {pct(entry['latency'], 95):.3f} | {shown} |")
        for rows in (1, 100):
            mlci, kserve, floor = (results[(s, rows)] for s in ("mlci", "kserve", "onnxruntime"))
            print(f"\n{rows} row(s): throughput mlci/KServe "
                  f"{statistics.median(mlci['throughput']) / statistics.median(kserve['throughput']):.2f}x; "
                  f"p50 over in-process onnxruntime: mlci +{pct(mlci['latency'], 50) - pct(floor['latency'], 50):.3f} ms, "
                  f"KServe +{pct(kserve['latency'], 50) - pct(floor['latency'], 50):.3f} ms")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
