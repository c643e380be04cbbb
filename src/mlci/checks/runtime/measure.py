"""What the runtime check measures: a model's file size and its inference latency with onnxruntime.

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
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mlci.checks.base import Workspace
from mlci.checks.runtime.spec import Latency, RuntimeSpec, Timings, sample_format
from mlci.checks.tables import first_line, read_table
from mlci.errors import CheckError
from mlci.extras import require

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

TIME_BUDGET_S = 30.0  # wall-clock bound of one latency measurement


class Feeds(Protocol):
    """What the sample's rows are read by: the model, the sample and its columns, the batch size
    (a runtime spec, a serving spec)."""

    @property
    def model(self) -> str: ...
    @property
    def sample(self) -> str | None: ...
    @property
    def columns(self) -> tuple[str, ...] | None: ...
    @property
    def batch_size(self) -> int: ...


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


def measure(spec: RuntimeSpec, workspace: Workspace, *, budget_s: float = TIME_BUDGET_S) -> Timings:
    """The model's size and, with a sample, its latency; CheckError when they cannot be had."""
    size = _model_size(workspace.root / spec.model, spec.model)
    latency = _measure(spec, workspace.root, budget_s) if spec.sample is not None else None
    return Timings(size, latency, budget_s)


def _model_size(path: Path, shown: str) -> int:
    if not path.exists():
        raise CheckError(f"{shown}: file not found")
    if not path.is_file():
        raise CheckError(f"{shown}: not a file")
    return path.stat().st_size


def _measure(spec: RuntimeSpec, root: Path, budget_s: float) -> Latency:
    require("onnx", "the runtime check's latency")  # the model's size needs nothing more
    import numpy as np
    import onnxruntime as ort

    assert spec.sample is not None
    deadline = time.perf_counter() + budget_s
    session = open_session(ort, root / spec.model, spec.model)
    name, element_type, shape = first_input(session, spec.model)
    data = input_rows(read_sample(root / spec.sample, spec), spec, element_type, shape)
    check_shape(data, shape, name, spec)
    durations = _time_runs(lambda batch: session.run(None, {name: batch}), data, spec, deadline)
    ms = np.asarray(durations, dtype=np.float64) / 1e6
    p50, p95 = (round(float(x), 6) for x in np.percentile(ms, [50, 95]))  # to the nanosecond
    rows = len(durations) * spec.batch_size
    throughput = round(rows / (sum(durations) / 1e9), 3) if sum(durations) > 0 else float("inf")
    return Latency(p50, p95, throughput, len(durations), len(durations) < spec.runs)


def open_session(ort: Any, path: Path, shown: str) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # stable, comparable numbers on shared CI runners
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: onnxruntime logs to stderr itself
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime's errors derive from Exception directly
        raise CheckError(f"{shown}: cannot load as an ONNX model: {first_line(exc)}") from None


def first_input(session: Any, shown: str) -> tuple[str, str, tuple[int | None, ...]]:
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


def read_sample(path: Path, spec: Feeds) -> pd.DataFrame | npt.NDArray[Any]:
    """The sample as a DataFrame (CSV, Parquet) or an array (.npy)."""
    import numpy as np

    shown = str(spec.sample)
    if sample_format(shown) != "npy":
        return read_table(path, shown, sample_format(shown) or "csv")
    if not path.is_file():
        raise CheckError(f"{shown}: file not found" if not path.exists() else f"{shown}: not a file")
    try:
        return np.asarray(np.load(path, allow_pickle=False))
    except (ValueError, OSError) as exc:
        raise CheckError(f"{shown}: cannot read: {first_line(exc).replace(str(path), shown)}") from None


def input_rows(
    sample: pd.DataFrame | npt.NDArray[Any], spec: Feeds, dtype: str, shape: tuple[int | None, ...]
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


def _frame_values(frame: pd.DataFrame, spec: Feeds, dtype: str) -> npt.NDArray[Any]:
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


def check_shape(data: npt.NDArray[Any], shape: tuple[int | None, ...], name: str, spec: Feeds) -> None:
    """The sample's rows fit the model input: same rank and fixed dimensions, batch size allowed."""
    shown = str(spec.sample)
    if not shape:
        return  # a scalar or unknown shape: onnxruntime decides
    batch, want = shape[0], shape[1:]
    got = data.shape[1:]
    if len(got) == len(want) == 1:
        if want[0] is not None and got[0] != want[0]:
            hint = "" if spec.columns is not None or sample_format(shown) == "npy" else " (choose them with columns)"
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
        _call(run, batch_at(data, i, spec.batch_size), spec.model)
    durations: list[int] = []
    for i in range(spec.warmup, spec.warmup + spec.runs):
        if durations and time.perf_counter() >= deadline:
            break
        batch = batch_at(data, i, spec.batch_size)
        start = time.perf_counter_ns()
        _call(run, batch, spec.model)
        durations.append(time.perf_counter_ns() - start)
    return durations


def batch_at(data: npt.NDArray[Any], index: int, size: int) -> npt.NDArray[Any]:
    """The ``index``-th batch of ``size`` rows, cycling through the rows in order."""
    import numpy as np

    rows = (np.arange(size) + index * size) % len(data)
    return np.ascontiguousarray(np.take(data, rows, axis=0))


def _call(run: Callable[[npt.NDArray[Any]], object], batch: npt.NDArray[Any], shown: str) -> None:
    try:
        run(batch)
    except Exception as exc:  # noqa: BLE001 - onnxruntime's errors derive from Exception directly
        raise CheckError(f"{shown}: inference failed: {first_line(exc)}") from None


# ---------------------------------------------------------------- formatting


def _dims(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _onnx_type(dtype: str) -> str:
    names = {numpy_name: onnx_name for onnx_name, numpy_name in _ELEMENT_TYPES.items()}
    return f"tensor({names[dtype]})"
