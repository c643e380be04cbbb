"""The serving check's spec: one :class:`ServingSpec` per entry of ``checks.serving`` in mlci.yaml,
its semantic checks (ConfigError naming where) and the rule in words; and the record its
measurement hands its judgement (:class:`Served`).

The server is started by ``command``, split like a shell command line (``shlex``; no shell runs
it), with ``{port}`` and ``{model}`` put in; by default ``mlci serve MODEL`` in mlci's own interpreter.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from mlci.checks.base import Source
from mlci.checks.runtime.spec import check_columns, latency_limits, sample_format
from mlci.errors import ConfigError
from mlci.render.fmt import describe

@dataclass(frozen=True)
class ServingSpec:
    """Typed form of one entry of ``checks.serving`` in mlci.yaml."""

    model: str
    sample: str
    columns: tuple[str, ...] | None = None
    command: tuple[str, ...] | None = None  # None: mlci serve, in this interpreter
    name: str | None = None  # None: the model file's stem
    batch_size: int = 1
    requests: int = 200
    concurrency: int = 1
    startup_timeout: float = 60.0
    tolerance: float = 1e-5
    max_p50_ms: float | None = None
    max_p95_ms: float | None = None
    min_throughput: float | None = None
    informational: bool = False
    line: int | None = None

    @property
    def model_name(self) -> str:
        return self.name or PurePath(self.model).stem

    @property
    def server(self) -> str:
        """The command line in words: ``mlci serve models/model.onnx``, ``docker run … churn:1``."""
        if self.command is None:
            return f"mlci serve {self.model}"
        return shlex.join(self.command)

    @property
    def rule(self) -> str:
        """The policy in words: ``answers equal offline, max p95 10 ms``."""
        return describe("answers equal offline", *latency_limits(self.max_p50_ms, self.max_p95_ms, self.min_throughput),
                        empty="")

    @classmethod
    def from_config(cls, data: Mapping[str, Any], *, line: int | None, where: str) -> ServingSpec:
        """One ``checks.serving`` entry, already valid against the JSON Schema; semantic checks here."""
        for key in ("model", "sample"):
            if PurePath(str(data[key])).is_absolute():
                raise ConfigError(f"{where}.{key}: must be relative to the project root, got {data[key]!r}")
        model, sample = str(data["model"]), str(data["sample"])
        if PurePath(model).suffix.lower() != ".onnx":
            raise ConfigError(f"{where}.model: the served model is ONNX; {model} is not .onnx "
                              "(export scikit-learn models with skl2onnx)")
        if sample_format(sample) is None:
            raise ConfigError(f"{where}.sample: expected a .csv, .parquet or .npy file, got {sample!r}")
        columns = tuple(str(c) for c in data["columns"]) if data.get("columns") is not None else None
        check_columns(columns, sample, where)
        return cls(
            model=model,
            sample=sample,
            columns=columns,
            command=_command(data.get("command"), f"{where}.command"),
            name=data.get("name"),
            batch_size=int(data.get("batch_size", 1)),
            requests=int(data.get("requests", 200)),
            concurrency=int(data.get("concurrency", 1)),
            startup_timeout=float(data.get("startup_timeout", 60)),
            tolerance=float(data.get("tolerance", 1e-5)),
            max_p50_ms=_float(data.get("max_p50_ms")),
            max_p95_ms=_float(data.get("max_p95_ms")),
            min_throughput=_float(data.get("min_throughput")),
            informational=bool(data.get("informational", False)),
            line=line,
        )


def _command(text: str | None, where: str) -> tuple[str, ...] | None:
    if text is None:
        return None
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} in {text!r}") from None
    if not argv:
        raise ConfigError(f"{where}: empty")
    if not any("{port}" in arg for arg in argv):
        raise ConfigError(f"{where}: needs {{port}}, the free port on 127.0.0.1 mlci asks the server on "
                          "(e.g. docker run --rm -p 127.0.0.1:{port}:8080 IMAGE)")
    return argv


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def parse(section: Any, source: Source) -> tuple[ServingSpec, ...]:
    return tuple(ServingSpec.from_config(entry, line=source.line(("checks", "serving", i)),
                                         where=source.where(("checks", "serving", i)))
                 for i, entry in enumerate(section or ()))


# ---------------------------------------------------------------- what the measurement hands the judgement


@dataclass(frozen=True)
class Served:
    """What was seen of the served model: its answers against the offline predictions, and its speed.

    ``answers``: requests answered (untimed warmup included), ``unequal`` of them differing from
    the offline predictions (``difference``: the first, in words), ``refused`` answered with an
    error (``refusal``: the first). Latency is of the timed requests only, each from sending the
    request to reading the whole answer; throughput is their rows over the wall-clock time of all
    clients together.
    """

    server: str
    answers: int
    unequal: int
    difference: str | None
    refused: int
    refusal: str | None
    timed: int
    p50_ms: float
    p95_ms: float
    throughput: float
    stopped: bool  # the time budget ran out before ``spec.requests``
    budget_s: float
