"""checks.serving: real servers (mlci serve, and commands of the test's own) asked over real HTTP on
loopback, their answers compared with a real ONNX model run in-process."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.checks.base import Workspace, decode_record, encode_record
from mlci.checks.serving import judge, measure
from mlci.checks.serving.spec import Served, ServingSpec
from mlci.errors import CheckError, ConfigError
from mlci.evidence import Evidence
from mlci.extras import for_policy
from mlci.report import GateResult
from tests.unit.serve.models import FEATURES, classifier

WHERE = "mlci.yaml:40: checks.serving[0]"
FAST = {"requests": 12, "startup_timeout": 60}
PYTHON = shlex.quote(sys.executable)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serving")
    (folder / "models").mkdir()
    iris = classifier(folder / "models", "model")
    classifier(folder / "models", "other", zipmap=False)  # other outputs: label, probabilities
    _weaker(folder / "models" / "weaker.onnx")
    pd.DataFrame(iris.X, columns=[f"f{i}" for i in range(FEATURES)]).to_csv(folder / "sample.csv", index=False)
    return folder


def _weaker(path: Path) -> None:
    """The same interface as the model (input X, outputs output_label and a ZipMap), other weights."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(C=0.001, max_iter=1000).fit(X[::7].astype(np.float32), y[::7])
    path.write_bytes(convert_sklearn(model, initial_types=[("X", FloatTensorType([None, FEATURES]))]).SerializeToString())


def spec(**data: Any) -> ServingSpec:
    return ServingSpec.from_config({"model": "models/model.onnx", "sample": "sample.csv", **FAST, **data},
                                   line=40, where=WHERE)


def run(root: Path, **data: Any) -> tuple[Served, GateResult]:
    made = spec(**data)
    served = measure.measure(made, Workspace(root))
    [result] = judge.judge(made, served, Evidence())
    return served, result


def test_mlci_serve_answers_as_the_model_does_offline(root: Path) -> None:
    served, result = run(root, concurrency=2, batch_size=3)
    assert result.status == "pass", result.reason
    assert served.unequal == 0 and served.refused == 0
    assert served.answers == 12 + 2 * measure.WARMUP and served.timed == 12
    assert 0 < served.p50_ms <= served.p95_ms and served.throughput > 0
    assert result.kind == "serving" and result.subject == "model" and result.line == 40
    assert result.reason.startswith(f"{served.answers} answers equal offline, p95 ")
    assert result.table is not None and [row[0] for row in result.table.rows] == ["answers", "p50", "p95", "throughput"]
    assert result.table.rows[0][1:] == (f"{served.answers} of {served.answers} equal offline", "all equal")
    assert result.rule == "answers equal offline (mlci serve models/model.onnx)"


def test_limits_past_fail_the_gate_and_say_by_how_much(root: Path) -> None:
    _, result = run(root, max_p95_ms=0.001, min_throughput=1e9)
    assert result.status == "fail"
    assert "p95 " in result.reason and "> max 0.001 ms" in result.reason
    assert "< min 1,000,000,000 rows/s" in result.reason


def test_a_server_serving_another_model_is_caught(root: Path) -> None:
    # the same inputs and outputs, other weights: its probabilities differ on every row
    weaker = f"{PYTHON} -m mlci serve models/weaker.onnx --port {{port}} --name model"
    served, result = run(root, command=weaker)
    assert result.status == "fail" and served.unequal == served.answers and served.refused == 0
    assert re.fullmatch(rf"{served.answers} of {served.answers} answers differ from offline \(sample row \d+: "
                        r"output_probability\[\d\] is 0\.\d+, offline 0\.\d+\)", result.reason), result.reason
    assert result.rule.endswith(f"({shlex.join(shlex.split(weaker))})")
    assert result.table is not None and result.table.rows[0][1] == f"0 of {served.answers} equal offline"


def test_a_server_with_other_outputs_is_caught(root: Path) -> None:
    # models/other.onnx was exported without ZipMap: its outputs are label and probabilities
    served, result = run(root, command=f"{PYTHON} -m mlci serve models/other.onnx --port {{port}} --name model")
    assert result.status == "fail" and served.unequal == served.answers
    assert "output 'output_label' missing" in result.reason


def test_answers_refused_by_the_server_fail_the_gate(tmp_path: Path, root: Path) -> None:
    # a model that takes three features where the sample has four: the server answers 400
    (tmp_path / "models").mkdir()
    from tests.unit.checks.test_runtime import write_model

    write_model(tmp_path / "models" / "three.onnx", n_features=3)
    pd.DataFrame(np.ones((4, 3)), columns=["a", "b", "c"]).to_csv(tmp_path / "sample.csv", index=False)
    (tmp_path / "models" / "model.onnx").write_bytes((root / "models" / "model.onnx").read_bytes())
    pd.DataFrame(np.ones((4, FEATURES)), columns=[f"f{i}" for i in range(FEATURES)]).to_csv(tmp_path / "four.csv", index=False)
    command = f"{PYTHON} -m mlci serve models/three.onnx --port {{port}} --name model"
    served, result = run(tmp_path, command=command, sample="four.csv", requests=3)
    assert result.status == "fail" and served.refused == served.answers == 3 + measure.WARMUP
    assert re.fullmatch(rf"{served.answers} of {served.answers} requests refused \(sample row \d: 400: .+\)", result.reason), result.reason


def test_a_server_that_exits_is_named_with_what_it_printed(root: Path) -> None:
    command = f"{PYTHON} -c \"import sys; print('no model here'); sys.exit(3)\" {{port}}"
    with pytest.raises(CheckError, match=r"^the server exited \(3\) before it was ready: no model here$"):
        run(root, command=command)


def test_a_server_that_is_never_ready_times_out(root: Path) -> None:
    command = f"{PYTHON} -c \"import time; print('starting', flush=True); time.sleep(60)\" {{port}}"
    with pytest.raises(CheckError, match=r"^the server was not ready within 0.5 s \(GET /v2/health/ready on port \d+\): starting$"):
        run(root, command=command, startup_timeout=0.5)


def test_a_model_name_the_server_lacks_is_said(root: Path) -> None:
    with pytest.raises(CheckError, match=r"^the server has no model 'churn': GET /v2/models/churn answered 404"):
        run(root, command=f"{PYTHON} -m mlci serve models/model.onnx --port {{port}}", name="churn")


def test_a_missing_model_or_sample_is_a_failed_measurement(root: Path) -> None:
    with pytest.raises(CheckError, match=r"^models/none.onnx: file not found$"):
        run(root, model="models/none.onnx")
    with pytest.raises(CheckError, match=r"^none.csv: file not found$"):
        run(root, sample="none.csv")


def test_the_measurement_survives_the_bundle_and_back(root: Path) -> None:
    served, _ = run(root, requests=3)
    assert decode_record(Served, encode_record(served)) == served
    with pytest.raises((TypeError, ValueError)):
        decode_record(Served, {**encode_record(served), "unequal": "0"})


@pytest.mark.parametrize(("data", "message"), [
    ({"model": "models/model.pkl"}, "checks.serving[0].model: the served model is ONNX; models/model.pkl is not .onnx"),
    ({"model": "/abs/model.onnx"}, "checks.serving[0].model: must be relative to the project root"),
    ({"sample": "rows.txt"}, "checks.serving[0].sample: expected a .csv, .parquet or .npy file"),
    ({"command": "docker run image"}, "checks.serving[0].command: needs {port}"),
    ({"command": "docker run 'image {port}"}, "checks.serving[0].command: No closing quotation"),
    ({"sample": "rows.npy", "columns": ["a"]}, "checks.serving[0].columns: a .npy sample has no column names"),
    ({"columns": ["a", "a"]}, "checks.serving[0].columns: listed twice: a"),
])
def test_mistakes_in_the_spec_are_named(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        spec(**data)
    assert str(caught.value).startswith(f"mlci.yaml:40: {message}"), str(caught.value)


def test_a_command_gets_its_placeholders_filled_and_no_shell() -> None:
    made = spec(command="docker run --rm -p 127.0.0.1:{port}:8080 -e NAME={name} 'my image' {model}")
    assert measure.command_line(made, 5000) == ["docker", "run", "--rm", "-p", "127.0.0.1:5000:8080", "-e",
                                                "NAME=model", "my image", "models/model.onnx"]
    default = measure.command_line(spec(), 5000)
    assert default[:4] == [sys.executable, "-m", "mlci", "serve"] and "5000" in default


def test_the_install_step_gets_the_extras_of_the_serving_check_and_of_a_stage() -> None:
    serving = [{"model": "m.onnx", "sample": "s.csv"}]
    assert for_policy({"checks": {"serving": serving}}) == ["onnx", "serve"]
    staged = {"promote": {"stages": {"prod": {"checks": {"serving": serving, "data": [{"path": "d.parquet"}]}}}}}
    assert for_policy(staged) == []
    assert for_policy(staged, "staging") == []
    assert for_policy(staged, "prod") == ["data", "onnx", "parquet", "serve"]
