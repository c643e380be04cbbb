"""Runtime check: a model's file size and its inference latency with onnxruntime.

One entry of ``checks.runtime`` in mlci.yaml becomes a :class:`RuntimeSpec`;
:func:`evaluate` measures and returns one GateResult.

Size. The model file's size on disk, compared with ``max_size``. Sizes are
written ``512KB``, ``10MB`` (decimal, 1000^n) or ``1.5MiB`` (binary, 1024^n);
see :func:`parse_size`.

Latency. Only for ONNX models (``.onnx``): scikit-learn models are exported
with skl2onnx first. The model runs in an onnxruntime ``InferenceSession`` on
the CPU provider with one intra-op and one inter-op thread: CI runners are
shared, and a single thread gives numbers that are stable from run to run and
comparable between PRs (not the fastest numbers the model can reach).

The input comes from ``sample`` (CSV, Parquet or .npy). From a table the
``columns`` are taken in order, or else every numeric column; values are cast
to the element type of the model's first input (``tensor(float)`` ->
float32, ...) and the row shape is checked against that input's shape.
Batches of ``batch_size`` rows are taken in order, cycling through the sample.
``warmup`` untimed runs come first, then ``runs`` timed runs, each timed with
``time.perf_counter_ns`` around ``session.run`` alone. p50 and p95 are
percentiles of the per-batch time (numpy, linear interpolation); throughput
is the rows of the timed runs over their summed time. The whole measurement
stops after :data:`TIME_BUDGET_S` seconds, with at least one timed run, and
the reason says so.

A limit is inclusive: p95 equal to ``max_p95_ms`` passes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from mlci.checks.base import Workspace
from mlci.errors import CheckError, ConfigError
from mlci.evidence import Evidence
from mlci.extras import require
from mlci.report import GateResult, Table
from mlci.checks.tables import first_line, read_table

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

TIME_BUDGET_S = 30.0  # wall-clock bound of one latency measurement
MAX_WARMUP = 10_000
SAMPLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npy": "npy"}
HEADERS = ("measure", "value", "limit")
NO_LIMIT = "—"
LATENCY_KEYS = ("max_p50_ms", "max_p95_ms", "min_throughput")
SAMPLE_KEYS = ("columns", "batch_size", "runs", "warmup")  # meaningful only with a sample

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:([kmg])(i?)b|b)\s*", re.IGNORECASE)
_POWERS = {"k": 1, "m": 2, "g": 3}
_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")

# ONNX tensor element types to numpy dtype names
_ELEMENT_TYPES = {
    "float": "float32",
    "double": "float64",
    "float16": "float16",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "bool": "bool",
    "string": "object",
}


# ---------------------------------------------------------------- the spec


@dataclass(frozen=True)
class RuntimeSpec:
    """Typed form of one entry of ``checks.runtime`` in mlci.yaml."""

    model: str
    max_size_bytes: int | None = None
    sample: str | None = None
    columns: tuple[str, ...] | None = None
    batch_size: int = 1
    runs: int = 200
    warmup: int = 10
    max_p50_ms: float | None = None
    max_p95_ms: float | None = None
    min_throughput: float | None = None
    informational: bool = False
    line: int | None = None

    @property
    def rule(self) -> str:
        """The policy in words: ``max p95 10 ms, max size 5 MB``."""
        parts = []
        if self.max_p95_ms is not None:
            parts.append(f"max p95 {_exact(self.max_p95_ms)} ms")
        if self.max_p50_ms is not None:
            parts.append(f"max p50 {_exact(self.max_p50_ms)} ms")
        if self.min_throughput is not None:
            parts.append(f"min {_exact(self.min_throughput)} rows/s")
        if self.max_size_bytes is not None:
            parts.append(f"max size {format_size(self.max_size_bytes, binary=_is_binary(self.max_size_bytes))}")
        return ", ".join(parts) or "measured, no limits"

    @classmethod
    def from_config(cls, data: Mapping[str, Any], *, line: int | None, where: str) -> RuntimeSpec:
        """One ``checks.runtime`` entry, already valid against the JSON Schema; semantic checks here."""
        _check_paths(data, where)
        _check_latency(data, where)
        columns = data.get("columns")
        spec = cls(
            model=str(data["model"]),
            max_size_bytes=_max_size(data.get("max_size"), where),
            sample=data.get("sample"),
            columns=tuple(str(c) for c in columns) if columns is not None else None,
            batch_size=int(data.get("batch_size", 1)),
            runs=int(data.get("runs", 200)),
            warmup=int(data.get("warmup", 10)),
            max_p50_ms=_float(data.get("max_p50_ms")),
            max_p95_ms=_float(data.get("max_p95_ms")),
            min_throughput=_float(data.get("min_throughput")),
            informational=bool(data.get("informational", False)),
            line=line,
        )
        spec._check(where)
        return spec

    def _check(self, where: str) -> None:
        if self.warmup > MAX_WARMUP:
            raise ConfigError(f"{where}.warmup: at most {MAX_WARMUP:,} untimed runs, got {self.warmup:,}")
        if self.columns is None:
            return
        if not self.columns:
            raise ConfigError(f"{where}.columns: empty; omit it to use every numeric column")
        if len(set(self.columns)) != len(self.columns):
            twice = sorted({c for c in self.columns if self.columns.count(c) > 1})
            raise ConfigError(f"{where}.columns: listed twice: {', '.join(twice)}")
        if self.sample is not None and _sample_format(self.sample) == "npy":
            raise ConfigError(f"{where}.columns: a .npy sample has no column names; remove columns or use a CSV")


def _check_paths(data: Mapping[str, Any], where: str) -> None:
    for key in ("model", "sample"):
        path = data.get(key)
        if path is not None and PurePath(str(path)).is_absolute():
            raise ConfigError(f"{where}.{key}: must be relative to the project root, got {path!r}")
    sample = data.get("sample")
    if sample is not None and _sample_format(str(sample)) is None:
        raise ConfigError(f"{where}.sample: expected a .csv, .parquet or .npy file, got {sample!r}")


def _check_latency(data: Mapping[str, Any], where: str) -> None:
    model = str(data["model"])
    limits = [key for key in LATENCY_KEYS if data.get(key) is not None]
    has_sample = data.get("sample") is not None
    if (limits or has_sample) and PurePath(model).suffix.lower() != ".onnx":
        raise ConfigError(
            f"{where}: latency needs an ONNX model; {model} is not .onnx (export scikit-learn models with skl2onnx)"
        )
    if has_sample:
        return
    if limits:
        raise ConfigError(f"{where}: {', '.join(limits)} needs a sample: the rows to time the model on")
    extra = [key for key in SAMPLE_KEYS if key in data]
    if extra:
        raise ConfigError(f"{where}: {', '.join(extra)} needs a sample: the rows to time the model on")
    if data.get("max_size") is None:
        raise ConfigError(f"{where}: nothing to check: give max_size, or a sample to time the model on")


def _max_size(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ConfigError(f"{where}.max_size: {exc}") from None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _sample_format(path: str) -> str | None:
    return SAMPLE_FORMATS.get(PurePath(path).suffix.lower())


# ---------------------------------------------------------------- sizes


def parse_size(text: str | int) -> int:
    """Bytes from ``10MB`` (10^7), ``1.5MiB`` (1,572,864), ``512kb``, ``100B`` or an int.

    kB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024; the unit letter's
    case does not matter. A fractional byte count is rounded down, which gives
    the same verdicts for whole-byte file sizes. Raises ValueError.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a size such as 10MB, got {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"a size cannot be negative, got {text}")
        return text
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"expected a size such as 512KB, 10MB or 1.5GiB, got {text!r}")
    number, letter, binary = match.groups()
    base = 1024 if binary else 1000
    power = _POWERS[letter.lower()] if letter else 0
    return int(Decimal(number) * base**power)


def format_size(size: int, *, binary: bool = False) -> str:
    """``1.2 MB`` (or ``1.5 MiB``): one decimal at most, in the largest unit below the size."""
    base, units = (1024, _BINARY_UNITS) if binary else (1000, _DECIMAL_UNITS)
    value, unit = float(size), units[0]
    for unit in units:
        if value < base or unit == units[-1]:
            break
        value /= base
    if unit == units[0]:
        return f"{size:,} B"
    return f"{_strip(f'{value:,.1f}')} {unit}"


def _is_binary(size: int) -> bool:
    """Whether a limit reads better in binary units (1.5MiB) than decimal ones."""
    return size % 1024 == 0 and size % 1000 != 0


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Latency:
    """What the timed runs measured."""

    p50_ms: float
    p95_ms: float
    throughput: float  # rows per second
    runs: int  # timed runs done
    stopped: bool  # the time budget ran out before ``spec.runs``


def evaluate(spec: RuntimeSpec, root: Path, *, budget_s: float = TIME_BUDGET_S) -> list[GateResult]:
    """Measure the spec's model under ``root``; raises CheckError when it cannot.

    ``budget_s`` bounds the latency measurement (warmup and timed runs).
    """
    return judge(spec, measure(spec, Workspace(root), budget_s=budget_s), Evidence())


@dataclass(frozen=True)
class Timings:
    """What was measured of one model: its size, and its latency when a sample was given."""

    size: int
    latency: _Latency | None
    budget_s: float


def measure(spec: RuntimeSpec, workspace: Workspace, *, budget_s: float = TIME_BUDGET_S) -> Timings:
    """The model's size and, with a sample, its latency; CheckError when they cannot be had."""
    size = _model_size(workspace.root / spec.model, spec.model)
    latency = _measure(spec, workspace.root, budget_s) if spec.sample is not None else None
    return Timings(size, latency, budget_s)


def judge(spec: RuntimeSpec, timings: Timings, evidence: Evidence) -> list[GateResult]:
    """The measured size and latency against the spec's limits (pure)."""
    return [_result(spec, timings.size, timings.latency, timings.budget_s)]


def _model_size(path: Path, shown: str) -> int:
    if not path.exists():
        raise CheckError(f"{shown}: file not found")
    if not path.is_file():
        raise CheckError(f"{shown}: not a file")
    return path.stat().st_size


def _measure(spec: RuntimeSpec, root: Path, budget_s: float) -> _Latency:
    require("onnx", "the runtime check's latency")  # the model's size needs nothing more
    import numpy as np
    import onnxruntime as ort

    assert spec.sample is not None
    deadline = time.perf_counter() + budget_s
    session = _session(ort, root / spec.model, spec.model)
    name, element_type, shape = _first_input(session, spec.model)
    data = _rows(_read_sample(root / spec.sample, spec), spec, element_type, shape)
    _check_shape(data, shape, name, spec)
    durations = _time_runs(lambda batch: session.run(None, {name: batch}), data, spec, deadline)
    ms = np.asarray(durations, dtype=np.float64) / 1e6
    p50, p95 = (round(float(x), 6) for x in np.percentile(ms, [50, 95]))  # to the nanosecond
    rows = len(durations) * spec.batch_size
    throughput = round(rows / (sum(durations) / 1e9), 3) if sum(durations) > 0 else float("inf")
    return _Latency(p50, p95, throughput, len(durations), len(durations) < spec.runs)


def _session(ort: Any, path: Path, shown: str) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # stable, comparable numbers on shared CI runners
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: onnxruntime logs to stderr itself
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime's errors derive from Exception directly
        raise CheckError(f"{shown}: cannot load as an ONNX model: {first_line(exc)}") from None


def _first_input(session: Any, shown: str) -> tuple[str, str, tuple[int | None, ...]]:
    """The name, numpy dtype name and shape (None for a free dimension) of the model's only input."""
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = ", ".join(repr(i.name) for i in inputs)
        raise CheckError(f"{shown}: the model has {len(inputs)} inputs ({names}); the runtime check feeds one")
    first = inputs[0]
    match = re.fullmatch(r"tensor\((\w+)\)", str(first.type))
    if match is None or match.group(1) not in _ELEMENT_TYPES:
        raise CheckError(f"{shown}: input {first.name!r} is {first.type}, not a numeric or string tensor")
    shape = tuple(d if isinstance(d, int) else None for d in (first.shape or ()))
    return str(first.name), _ELEMENT_TYPES[match.group(1)], shape


# ---------------------------------------------------------------- the sample


def _read_sample(path: Path, spec: RuntimeSpec) -> pd.DataFrame | npt.NDArray[Any]:
    """The sample as a DataFrame (CSV, Parquet) or an array (.npy)."""
    import numpy as np

    shown = str(spec.sample)
    if _sample_format(shown) != "npy":
        return read_table(path, shown, _sample_format(shown) or "csv")
    if not path.is_file():
        raise CheckError(f"{shown}: file not found" if not path.exists() else f"{shown}: not a file")
    try:
        return np.asarray(np.load(path, allow_pickle=False))
    except (ValueError, OSError) as exc:
        raise CheckError(f"{shown}: cannot read: {first_line(exc).replace(str(path), shown)}") from None


def _rows(
    sample: pd.DataFrame | npt.NDArray[Any], spec: RuntimeSpec, dtype: str, shape: tuple[int | None, ...]
) -> npt.NDArray[Any]:
    """The model's input rows, cast to its element type; at least one row.

    An array one dimension short of the model input is one row (a 1-D .npy for a 2-D input).
    """
    import numpy as np

    shown = str(spec.sample)
    if isinstance(sample, np.ndarray):
        values = _cast(sample, dtype, shown)
        if shape and values.ndim == len(shape) - 1:
            values = values[np.newaxis]
    else:
        values = _frame_values(sample, spec, dtype) if len(sample) else sample.to_numpy()
    if values.ndim == 0 or len(values) == 0:
        raise CheckError(f"{shown}: no rows to time the model on")
    return values


def _frame_values(frame: pd.DataFrame, spec: RuntimeSpec, dtype: str) -> npt.NDArray[Any]:
    from pandas.api import types

    shown = str(spec.sample)
    columns = _columns(frame, spec.columns, shown)
    selected = frame[list(columns)]
    if dtype == "object":
        return _cast(selected.astype(str).to_numpy(dtype=object), dtype, shown)
    for name in columns:
        if not (types.is_numeric_dtype(selected[name].dtype) or types.is_bool_dtype(selected[name].dtype)):
            raise CheckError(f"{shown}: column {name!r} is not numeric; the model takes {_onnx_type(dtype)}")
    return _cast(selected.to_numpy(dtype="float64", na_value=float("nan")), dtype, shown)


def _columns(frame: pd.DataFrame, wanted: tuple[str, ...] | None, shown: str) -> tuple[str, ...]:
    """The columns to feed, in order: ``wanted``, or every numeric column."""
    available = [str(c) for c in frame.columns]
    if wanted is None:
        numeric = tuple(str(c) for c in frame.select_dtypes("number").columns)
        if not numeric:
            raise CheckError(f"{shown}: no numeric columns; choose the model's inputs with columns")
        return numeric
    missing = [c for c in wanted if c not in available]
    if missing:
        raise CheckError(
            f"{shown}: column {', '.join(repr(c) for c in missing)} not found; available: {', '.join(available)}"
        )
    return wanted


def _cast(values: npt.NDArray[Any], dtype: str, shown: str) -> npt.NDArray[Any]:
    """``values`` as ``dtype``, refusing lossy casts (NaN or 1.5 to an integer type, text to a number)."""
    import numpy as np

    target = np.dtype(dtype)
    if target == np.dtype(object):
        return np.ascontiguousarray(values.astype(str).astype(object))
    try:
        if target.kind in "iub" and values.dtype.kind in "fc":
            numbers = values.astype(np.float64)
            if not bool(np.all(np.isfinite(numbers) & (numbers % 1 == 0))):
                raise CheckError(f"{shown}: missing or fractional values; the model takes {_onnx_type(dtype)}")
        return np.ascontiguousarray(values.astype(target))
    except (ValueError, TypeError) as exc:
        raise CheckError(f"{shown}: cannot convert to {_onnx_type(dtype)}: {first_line(exc)}") from None


def _check_shape(data: npt.NDArray[Any], shape: tuple[int | None, ...], name: str, spec: RuntimeSpec) -> None:
    """The sample's rows fit the model input: same rank and fixed dimensions, batch size allowed."""
    shown = str(spec.sample)
    if not shape:
        return  # a scalar or unknown shape: onnxruntime decides
    batch, want = shape[0], shape[1:]
    got = data.shape[1:]
    if len(got) == len(want) == 1:
        if want[0] is not None and got[0] != want[0]:
            hint = "" if spec.columns is not None or _sample_format(shown) == "npy" else " (choose them with columns)"
            raise CheckError(f"{shown}: {got[0]:,} features, but model input {name!r} takes {want[0]:,}{hint}")
    elif len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want, strict=True)):
        raise CheckError(f"{shown}: rows of shape {_dims(got)}, but model input {name!r} takes {_dims(want)}")
    if batch is not None and batch != spec.batch_size:
        raise CheckError(f"{spec.model}: input {name!r} takes batches of {batch:,} rows; set batch_size: {batch}")


# ---------------------------------------------------------------- timing


def _time_runs(
    run: Callable[[npt.NDArray[Any]], object], data: npt.NDArray[Any], spec: RuntimeSpec, deadline: float
) -> list[int]:
    """Nanoseconds of each timed run; warmup runs first; at least one timed run, none past the deadline."""
    for i in range(spec.warmup):
        if time.perf_counter() >= deadline:
            break
        _call(run, _batch(data, i, spec.batch_size), spec.model)
    durations: list[int] = []
    for i in range(spec.warmup, spec.warmup + spec.runs):
        if durations and time.perf_counter() >= deadline:
            break
        batch = _batch(data, i, spec.batch_size)
        start = time.perf_counter_ns()
        _call(run, batch, spec.model)
        durations.append(time.perf_counter_ns() - start)
    return durations


def _batch(data: npt.NDArray[Any], index: int, size: int) -> npt.NDArray[Any]:
    """The ``index``-th batch of ``size`` rows, cycling through the rows in order."""
    import numpy as np

    rows = (np.arange(size) + index * size) % len(data)
    return np.ascontiguousarray(np.take(data, rows, axis=0))


def _call(run: Callable[[npt.NDArray[Any]], object], batch: npt.NDArray[Any], shown: str) -> None:
    try:
        run(batch)
    except Exception as exc:  # noqa: BLE001 - onnxruntime's errors derive from Exception directly
        raise CheckError(f"{shown}: inference failed: {first_line(exc)}") from None


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class _Measure:
    """One measured number against its limit: a row of the table, a part of the reason."""

    name: str  # "p95", "size"
    shown: str  # "2.1 ms"
    limit: str | None  # "max 10 ms"
    failed: bool
    past: str  # the value as shown when it fails: precise enough to be visibly past the limit
    named: bool  # whether a passing reason names the measure ("p95 2.1 ms") or not ("1.2 MB")

    @property
    def summary(self) -> str:
        """``p95 2.1 ms (max 10 ms)``, ``8,120 rows/s``."""
        text = f"{self.name} {self.shown}" if self.named else self.shown
        return f"{text} ({self.limit})" if self.limit else text

    @property
    def failure(self) -> str:
        """``p95 14.2 ms > max 10 ms``."""
        sign = "<" if (self.limit or "").startswith("min") else ">"
        return f"{self.name} {self.past} {sign} {self.limit}"


def _result(spec: RuntimeSpec, size: int, latency: _Latency | None, budget_s: float) -> GateResult:
    size_measure = _size_measure(size, spec.max_size_bytes)
    measures = [size_measure]
    facts: list[tuple[str, Any]] = [("size_bytes", size)]
    if latency is not None:
        p50 = _ms_measure("p50", latency.p50_ms, spec.max_p50_ms)
        p95 = _ms_measure("p95", latency.p95_ms, spec.max_p95_ms)
        rate = _rate_measure(latency.throughput, spec.min_throughput)
        measures = [p95, p50, rate, size_measure]
        facts += [("p50_ms", latency.p50_ms), ("p95_ms", latency.p95_ms), ("throughput", latency.throughput)]
    failed = [m for m in measures if m.failed]
    reason = ", ".join(m.failure for m in failed) if failed else ", ".join(m.summary for m in measures)
    if latency is not None and latency.stopped:
        reason += f"; stopped after {_exact(budget_s)} s: {latency.runs:,} of {spec.runs:,} timed runs"
    order = {"size": 0, "p50": 1, "p95": 2, "throughput": 3}
    rows = tuple((m.name, m.shown, m.limit or NO_LIMIT) for m in sorted(measures, key=lambda m: order[m.name]))
    return GateResult(
        kind="runtime",
        subject=spec.model,
        status="fail" if failed else "pass",
        reason=reason,
        rule=spec.rule,
        informational=spec.informational,
        line=spec.line,
        table=Table(HEADERS, rows),
        facts=tuple(facts),
    )


def _size_measure(size: int, limit: int | None) -> _Measure:
    binary = limit is not None and _is_binary(limit)
    shown = format_size(size, binary=binary)
    if limit is None:
        return _Measure("size", shown, None, False, shown, False)
    limit_shown = format_size(limit, binary=binary)
    past = f"{size:,} B" if shown == limit_shown else shown
    return _Measure("size", shown, f"max {limit_shown}", size > limit, past, False)


def _ms_measure(name: str, value: float, limit: float | None) -> _Measure:
    shown = f"{_ms(value)} ms"
    if limit is None:
        return _Measure(name, shown, None, False, shown, True)
    past = f"{_visible(value, limit, _ms, above=True)} ms"
    return _Measure(name, shown, f"max {_exact(limit)} ms", value > limit, past, True)


def _rate_measure(value: float, limit: float | None) -> _Measure:
    shown = f"{_rate(value)} rows/s"
    if limit is None:
        return _Measure("throughput", shown, None, False, shown, False)
    past = f"{_visible(value, limit, _rate, above=False)} rows/s"
    return _Measure("throughput", shown, f"min {_exact(limit)} rows/s", value < limit, past, False)


# ---------------------------------------------------------------- formatting


def _ms(value: float) -> str:
    """A latency: ``14.2``, ``1,234``, ``0.031``."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _rate(value: float) -> str:
    """A throughput: ``8,120``, ``12.5``."""
    if value == float("inf"):
        return "∞"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _visible(value: float, limit: float, show: Callable[[float], str], *, above: bool) -> str:
    """``show(value)``, or more digits when the shown number would not be past the limit."""
    text = show(value)
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return text
    if (number > limit) if above else (number < limit):
        return text
    return f"{value:,.6g}"


def _exact(value: float) -> str:
    """A limit as written: ``10``, ``0.5``, ``1e-06``, ``10,000``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,}"


def _strip(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def _dims(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _onnx_type(dtype: str) -> str:
    names = {numpy_name: onnx_name for onnx_name, numpy_name in _ELEMENT_TYPES.items()}
    return f"tensor({names[dtype]})"


