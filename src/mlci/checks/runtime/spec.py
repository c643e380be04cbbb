"""The runtime check's spec: one :class:`RuntimeSpec` per entry of ``checks.runtime`` in
mlci.yaml, its semantic checks (ConfigError naming where) and the rule in words; and the
records its measurement hands its judgement (:class:`Timings`, :class:`Latency`).

Size. The model file's size on disk, compared with ``max_size``. Sizes are
written ``512KB``, ``10MB`` (decimal, 1000^n) or ``1.5MiB`` (binary, 1024^n);
see :func:`parse_size`, and :func:`mlci.render.fmt.format_size` for how they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from mlci.checks.base import Source
from mlci.errors import ConfigError
from mlci.render.fmt import describe, format_exact, format_size

MAX_WARMUP = 10_000
SAMPLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npy": "npy"}
LATENCY_KEYS = ("max_p50_ms", "max_p95_ms", "min_throughput")
SAMPLE_KEYS = ("columns", "batch_size", "runs", "warmup")  # meaningful only with a sample

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:([kmg])(i?)b|b)\s*", re.IGNORECASE)
_POWERS = {"k": 1, "m": 2, "g": 3}


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
        size = self.max_size_bytes
        return describe(
            *latency_limits(self.max_p50_ms, self.max_p95_ms, self.min_throughput),
            f"max size {format_size(size, binary=is_binary(size))}" if size is not None else None,
            empty="measured, no limits",
        )

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
        check_columns(self.columns, self.sample, where)


def latency_limits(max_p50_ms: float | None, max_p95_ms: float | None,
                   min_throughput: float | None) -> tuple[str | None, ...]:
    """The latency limits in words, p95 first (None for each one not set)."""
    return (
        f"max p95 {format_exact(max_p95_ms, grouped=True)} ms" if max_p95_ms is not None else None,
        f"max p50 {format_exact(max_p50_ms, grouped=True)} ms" if max_p50_ms is not None else None,
        f"min {format_exact(min_throughput, grouped=True)} rows/s" if min_throughput is not None else None,
    )


def check_columns(columns: tuple[str, ...] | None, sample: str | None, where: str) -> None:
    """The sample's ``columns`` of a spec: none empty, none twice, none for a .npy sample."""
    if columns is None:
        return
    if not columns:
        raise ConfigError(f"{where}.columns: empty; omit it to use every numeric column")
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        raise ConfigError(f"{where}.columns: listed twice: {', '.join(twice)}")
    if sample is not None and sample_format(sample) == "npy":
        raise ConfigError(f"{where}.columns: a .npy sample has no column names; remove columns or use a CSV")


def _check_paths(data: Mapping[str, Any], where: str) -> None:
    for key in ("model", "sample"):
        path = data.get(key)
        if path is not None and PurePath(str(path)).is_absolute():
            raise ConfigError(f"{where}.{key}: must be relative to the project root, got {path!r}")
    sample = data.get("sample")
    if sample is not None and sample_format(str(sample)) is None:
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


def sample_format(path: str) -> str | None:
    return SAMPLE_FORMATS.get(PurePath(path).suffix.lower())


def parse(section: Any, source: Source) -> tuple[RuntimeSpec, ...]:
    return tuple(RuntimeSpec.from_config(entry, line=source.line(("checks", "runtime", i)),
                                         where=source.where(("checks", "runtime", i)))
                 for i, entry in enumerate(section or ()))


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


def is_binary(size: int) -> bool:
    """Whether a limit reads better in binary units (1.5MiB) than decimal ones."""
    return size % 1024 == 0 and size % 1000 != 0


# ---------------------------------------------------------------- what the measurement hands the judgement


@dataclass(frozen=True)
class Latency:
    """What the timed runs measured."""

    p50_ms: float
    p95_ms: float
    throughput: float  # rows per second
    runs: int  # timed runs done
    stopped: bool  # the time budget ran out before ``spec.runs``


@dataclass(frozen=True)
class Timings:
    """What was measured of one model: its size, and its latency when a sample was given."""

    size: int
    latency: Latency | None
    budget_s: float

