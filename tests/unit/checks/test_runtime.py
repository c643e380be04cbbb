"""checks.runtime: a real ONNX model (skl2onnx) timed with real onnxruntime in tmp_path."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.checks.runtime import evaluate
from mlci.checks.runtime.spec import RuntimeSpec, parse_size
from mlci.errors import CheckError, ConfigError
from mlci.extras import MissingExtra
from mlci.render.fmt import format_size
from mlci.report import GateResult

WHERE = "mlci.yaml:30: checks.runtime[0]"
HEADERS = ("measure", "value", "limit")
FEATURES = ("age", "bmi", "glucose")
FAST = {"runs": 5, "warmup": 1}  # small runs: the file stays fast; no timing is asserted beyond absurd limits


def write_model(path: Path, n_features: int = len(FEATURES)) -> Path:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, n_features))
    y = (x[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    onnx = convert_sklearn(model, initial_types=[("X", FloatTensorType([None, n_features]))])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onnx.SerializeToString())
    return path


def sample_frame(rows: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(rows, len(FEATURES))), columns=list(FEATURES))
    frame["city"] = ["Oslo", "Lima", "Pune"] * (rows // 3)
    return frame


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_model(tmp_path / "models" / "model.onnx")
    sample_frame().to_csv(tmp_path / "sample.csv", index=False)
    return tmp_path


def spec(model: str = "models/model.onnx", *, line: int | None = 30, **data: Any) -> RuntimeSpec:
    return RuntimeSpec.from_config({"model": model, **data}, line=line, where=WHERE)


def run(root: Path, **data: Any) -> GateResult:
    [result] = evaluate(spec(**data), root)
    return result


def timed(root: Path, **data: Any) -> GateResult:
    return run(root, sample="sample.csv", **FAST, **data)


def table(result: GateResult) -> dict[str, tuple[str, str]]:
    assert result.table is not None and result.table.headers == HEADERS
    return {name: (value, limit) for name, value, limit in result.table.rows}


def facts(result: GateResult) -> dict[str, Any]:
    return dict(result.facts)


# ------------------------------------------------------------------ size


def test_size_passes(root: Path) -> None:
    result = run(root, max_size="5MB")
    size = (root / "models" / "model.onnx").stat().st_size
    assert (result.kind, result.subject, result.status) == ("runtime", "models/model.onnx", "pass")
    assert result.reason == f"{format_size(size)} (max 5 MB)"
    assert result.rule == "max size 5 MB"
    assert result.facts == (("size_bytes", size),)
    assert table(result) == {"size": (format_size(size), "max 5 MB")}
    assert (result.line, result.informational) == (30, False)


def test_size_fails(root: Path) -> None:
    size = (root / "models" / "model.onnx").stat().st_size
    result = run(root, max_size=100)
    assert result.status == "fail" and result.blocking
    assert result.reason == f"size {format_size(size)} > max 100 B"


def test_size_equal_to_the_limit_passes(root: Path) -> None:
    size = (root / "models" / "model.onnx").stat().st_size
    assert run(root, max_size=size).status == "pass"
    assert run(root, max_size=size - 1).status == "fail"


def test_size_failure_too_close_to_show_gives_bytes(tmp_path: Path) -> None:
    (tmp_path / "m.bin").write_bytes(b"\0" * 5_000_400)
    result = run(tmp_path, model="m.bin", max_size="5MB")
    assert result.reason == "size 5,000,400 B > max 5 MB"


def test_binary_limit_is_shown_in_binary_units(tmp_path: Path) -> None:
    (tmp_path / "m.bin").write_bytes(b"\0" * 2_000_000)
    result = run(tmp_path, model="m.bin", max_size="1.5MiB")
    assert result.reason == "size 1.9 MiB > max 1.5 MiB"
    assert result.rule == "max size 1.5 MiB"


def test_size_of_any_model_format(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"x" * 1234)
    result = run(tmp_path, model="model.pkl", max_size="1kB")
    assert (result.status, result.reason) == ("fail", "size 1.2 kB > max 1 kB")


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"^models/model\.onnx: file not found$"):
        run(tmp_path, max_size="5MB")


def test_model_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "models" / "model.onnx").mkdir(parents=True)
    with pytest.raises(CheckError, match="not a file"):
        run(tmp_path, max_size="5MB")


def test_informational_and_line_are_copied(root: Path) -> None:
    result = run(root, max_size=1, informational=True, line=7)
    assert (result.status, result.informational, result.line) == ("fail", True, 7)
    assert not result.blocking


# ------------------------------------------------------------------ latency


def test_latency_passes_with_generous_limits(root: Path) -> None:
    result = timed(root, max_p50_ms=60_000, max_p95_ms=60_000, min_throughput=1e-3, max_size="5MB")
    assert result.status == "pass", result.reason
    assert result.rule == "max p95 60,000 ms, max p50 60,000 ms, min 0.001 rows/s, max size 5 MB"
    assert result.reason.startswith("p95 ") and "(max 60,000 ms), p50 " in result.reason
    assert "rows/s (min 0.001 rows/s)" in result.reason and result.reason.endswith("(max 5 MB)")
    found = facts(result)
    assert set(found) == {"size_bytes", "p50_ms", "p95_ms", "throughput"}
    assert 0 < found["p50_ms"] <= found["p95_ms"] and found["throughput"] > 0
    assert all(type(found[k]) is float for k in ("p50_ms", "p95_ms", "throughput"))
    rows = table(result)
    assert list(rows) == ["size", "p50", "p95", "throughput"]
    assert rows["p95"][1] == "max 60,000 ms" and rows["p95"][0].endswith(" ms")
    assert rows["throughput"] == (rows["throughput"][0], "min 0.001 rows/s")


def test_impossible_p95_fails(root: Path) -> None:
    result = timed(root, max_p95_ms=1e-6)
    assert result.status == "fail"
    assert result.reason.startswith("p95 ") and result.reason.endswith(" ms > max 1e-06 ms")
    assert result.rule == "max p95 1e-06 ms"
    assert table(result)["p50"][1] == "—"


def test_impossible_p50_fails(root: Path) -> None:
    result = timed(root, max_p50_ms=1e-6, max_p95_ms=60_000)
    assert result.status == "fail"
    assert result.reason.startswith("p50 ") and "p95" not in result.reason


def test_impossible_throughput_fails(root: Path) -> None:
    result = timed(root, min_throughput=1e12)
    assert result.status == "fail"
    assert result.reason.startswith("throughput ") and result.reason.endswith(" rows/s < min 1,000,000,000,000 rows/s")


def test_throughput_counts_rows_of_every_batch(root: Path) -> None:
    one = facts(timed(root, batch_size=1))
    assert one["throughput"] > 0
    result = timed(root, batch_size=8, min_throughput=1e-3)
    assert result.status == "pass"


def test_sample_without_limits_only_measures(root: Path) -> None:
    result = timed(root)
    assert result.status == "pass"
    assert result.rule == "measured, no limits"
    assert "(max" not in result.reason and result.reason.count(",") >= 3
    assert all(limit == "—" for _, limit in table(result).values())


def test_batches_larger_than_the_sample_cycle(root: Path) -> None:
    assert timed(root, batch_size=50, max_p95_ms=60_000).status == "pass"


def test_time_budget_stops_early_and_says_so(root: Path) -> None:
    [result] = evaluate(spec(sample="sample.csv", runs=500, warmup=3), root, budget_s=0)
    assert result.status == "pass"
    assert result.reason.endswith("; stopped after 0 s: 1 of 500 timed runs")


# ------------------------------------------------------------------ the sample


def test_npy_sample(root: Path) -> None:
    np.save(root / "sample.npy", sample_frame()[list(FEATURES)].to_numpy())  # float64: cast to float32
    result = run(root, sample="sample.npy", **FAST, max_p95_ms=60_000)
    assert result.status == "pass", result.reason


def test_one_dimensional_npy_is_one_row(root: Path) -> None:
    np.save(root / "row.npy", np.array([0.1, 0.2, 0.3]))
    assert run(root, sample="row.npy", **FAST).status == "pass"


def test_parquet_sample(root: Path) -> None:
    sample_frame().to_parquet(root / "sample.parquet")
    assert run(root, sample="sample.parquet", **FAST).status == "pass"


def test_column_selection_in_order(root: Path) -> None:
    frame = sample_frame()
    frame["label"] = 1  # numeric, not a feature: would make four columns
    frame[["label", "glucose", "city", "bmi", "age"]].to_csv(root / "wide.csv", index=False)
    result = run(root, sample="wide.csv", columns=["age", "bmi", "glucose"], **FAST)
    assert result.status == "pass", result.reason


def test_default_columns_are_the_numeric_ones(root: Path) -> None:
    frame = sample_frame()
    frame["label"] = 1
    frame.to_csv(root / "wide.csv", index=False)
    message = r"^wide\.csv: 4 features, but model input 'X' takes 3 \(choose them with columns\)$"
    with pytest.raises(CheckError, match=message):
        run(root, sample="wide.csv", **FAST)


def test_missing_column(root: Path) -> None:
    with pytest.raises(CheckError) as error:
        run(root, sample="sample.csv", columns=["age", "weight", "glucose"], **FAST)
    assert str(error.value) == "sample.csv: column 'weight' not found; available: age, bmi, glucose, city"


def test_text_column(root: Path) -> None:
    with pytest.raises(CheckError, match="column 'city' is not numeric; the model takes tensor\\(float\\)"):
        run(root, sample="sample.csv", columns=["age", "bmi", "city"], **FAST)


def test_wrong_feature_count(root: Path) -> None:
    write_model(root / "models" / "model.onnx", n_features=5)
    with pytest.raises(CheckError) as error:
        run(root, sample="sample.csv", **FAST)
    assert str(error.value) == "sample.csv: 3 features, but model input 'X' takes 5 (choose them with columns)"


def test_wrong_feature_count_npy(root: Path) -> None:
    np.save(root / "sample.npy", np.zeros((4, 2)))
    with pytest.raises(CheckError, match=r"^sample\.npy: 2 features, but model input 'X' takes 3$"):
        run(root, sample="sample.npy", **FAST)


def test_wrong_rank_npy(root: Path) -> None:
    np.save(root / "sample.npy", np.zeros((4, 3, 2)))
    with pytest.raises(CheckError, match=r"rows of shape \(3, 2\), but model input 'X' takes \(3,\)"):
        run(root, sample="sample.npy", **FAST)


def test_missing_sample(root: Path) -> None:
    with pytest.raises(CheckError, match=r"^nope\.csv: file not found$"):
        run(root, sample="nope.csv", **FAST)


def test_header_only_sample(root: Path) -> None:
    (root / "empty.csv").write_text("age,bmi,glucose\n")
    with pytest.raises(CheckError, match="no rows to time the model on"):
        run(root, sample="empty.csv", **FAST)


def test_empty_sample_file(root: Path) -> None:
    (root / "empty.csv").write_text("")
    with pytest.raises(CheckError, match="empty file"):
        run(root, sample="empty.csv", **FAST)


def test_not_an_onnx_file(root: Path) -> None:
    (root / "models" / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(CheckError, match=r"^models/model\.onnx: cannot load as an ONNX model: "):
        run(root, sample="sample.csv", **FAST)


def test_without_onnxruntime(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with pytest.raises(MissingExtra) as error:
        run(root, sample="sample.csv", **FAST)
    assert str(error.value) == "the runtime check's latency needs mlci[onnx]: pip install 'mlci[onnx]'"
    assert run(root, max_size="5MB").status == "pass"  # size alone needs no onnxruntime


def test_module_does_not_import_onnxruntime() -> None:
    import subprocess

    code = "import sys, mlci.checks.runtime; sys.exit('onnxruntime' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ------------------------------------------------------------------ parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MB", 10_000_000),
        ("1.5MiB", 1_572_864),
        ("512kb", 512_000),
        ("512KB", 512_000),
        ("512KiB", 524_288),
        ("100B", 100),
        ("100b", 100),
        ("2GB", 2_000_000_000),
        ("1GiB", 1_073_741_824),
        ("1.1MB", 1_100_000),
        ("0.5kB", 500),
        ("1.5B", 1),
        (" 10 mb ", 10_000_000),
        ("0B", 0),
        (0, 0),
        (123_456, 123_456),
    ],
)
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "10", "10 TB", "1e6B", "-1MB", "ten MB"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected a size"):
        parse_size(text)


def test_parse_size_rejects_negative_and_bool() -> None:
    with pytest.raises(ValueError):
        parse_size(-1)
    with pytest.raises(ValueError):
        parse_size(True)


@pytest.mark.parametrize(
    ("size", "binary", "text"),
    [
        (0, False, "0 B"),
        (999, False, "999 B"),
        (1_234, False, "1.2 kB"),
        (1_200_000, False, "1.2 MB"),
        (5_000_000, False, "5 MB"),
        (12_345_678_901, False, "12.3 GB"),
        (1_572_864, True, "1.5 MiB"),
        (1_024, True, "1 KiB"),
    ],
)
def test_format_size(size: int, binary: bool, text: str) -> None:
    assert format_size(size, binary=binary) == text


# ------------------------------------------------------------------ from_config


def test_from_config_defaults() -> None:
    parsed = spec(sample="s.csv", max_p95_ms=10, max_size="5MB")
    assert parsed == RuntimeSpec(
        model="models/model.onnx", max_size_bytes=5_000_000, sample="s.csv", columns=None, batch_size=1,
        runs=200, warmup=10, max_p50_ms=None, max_p95_ms=10.0, min_throughput=None, informational=False, line=30,
    )
    assert parsed.rule == "max p95 10 ms, max size 5 MB"


def test_from_config_every_key() -> None:
    parsed = spec(sample="s.csv", columns=["a", "b"], batch_size=4, runs=50, warmup=0, max_p50_ms=1.5,
                  max_p95_ms=3, min_throughput=1000, informational=True, max_size=1024)
    assert parsed.columns == ("a", "b") and (parsed.batch_size, parsed.runs, parsed.warmup) == (4, 50, 0)
    assert (parsed.max_p50_ms, parsed.max_p95_ms, parsed.min_throughput) == (1.5, 3.0, 1000.0)
    assert parsed.informational and parsed.max_size_bytes == 1024


def test_non_onnx_model_with_latency() -> None:
    with pytest.raises(ConfigError) as error:
        spec("models/model.pkl", sample="s.csv", max_p95_ms=10)
    assert str(error.value) == (
        f"{WHERE}: latency needs an ONNX model; models/model.pkl is not .onnx "
        "(export scikit-learn models with skl2onnx)"
    )


@pytest.mark.parametrize("data", [{"sample": "s.csv"}, {"max_p50_ms": 1}, {"min_throughput": 5, "max_size": 10}])
def test_non_onnx_model_with_any_latency_key(data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="skl2onnx"):
        spec("model.joblib", **data)


def test_non_onnx_model_with_size_only_is_fine() -> None:
    assert spec("model.pkl", max_size="1GB").max_size_bytes == 1_000_000_000


def test_onnx_extension_any_case() -> None:
    assert spec("MODEL.ONNX", sample="s.csv").sample == "s.csv"


def test_latency_limit_without_sample() -> None:
    with pytest.raises(ConfigError, match=r"^mlci\.yaml:30: checks\.runtime\[0\]: max_p95_ms needs a sample"):
        spec(max_p95_ms=10, max_size="5MB")


def test_sample_settings_without_sample() -> None:
    with pytest.raises(ConfigError, match="runs needs a sample"):
        spec(max_size="5MB", runs=10)


def test_sample_without_limits_is_fine() -> None:
    parsed = spec(sample="s.npy")
    assert parsed.rule == "measured, no limits"


def test_nothing_to_check() -> None:
    with pytest.raises(ConfigError, match=r"^mlci\.yaml:30: checks\.runtime\[0\]: nothing to check"):
        spec(informational=True)


def test_warmup_bound() -> None:
    assert spec(sample="s.csv", warmup=10_000).warmup == 10_000
    with pytest.raises(ConfigError, match=r"checks\.runtime\[0\]\.warmup: at most 10,000 untimed runs, got 10,001"):
        spec(sample="s.csv", warmup=10_001)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sample": "s.json"}, r"\.sample: expected a \.csv, \.parquet or \.npy file, got 's\.json'"),
        ({"sample": "/abs/s.csv"}, r"\.sample: must be relative to the project root"),
        ({"model": "/abs/m.onnx", "max_size": 1}, r"\.model: must be relative to the project root"),
        ({"sample": "s.npy", "columns": ["a"]}, r"\.columns: a \.npy sample has no column names"),
        ({"sample": "s.csv", "columns": []}, r"\.columns: empty"),
        ({"sample": "s.csv", "columns": ["a", "b", "a"]}, r"\.columns: listed twice: a"),
        ({"max_size": "lots"}, r"\.max_size: expected a size"),
    ],
)
def test_from_config_errors(data: dict[str, Any], message: str) -> None:
    data = {"model": "m.onnx", **data}
    with pytest.raises(ConfigError, match=message):
        RuntimeSpec.from_config(data, line=None, where=WHERE)
