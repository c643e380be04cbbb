"""The drift check's spec: one :class:`DriftSpec` per entry of ``checks.drift`` in mlci.yaml (a
reference and the current data, the dataset's threshold, each column's options), and the record
its measurement hands its judgement (:class:`DriftRecord`, a :class:`ColumnResult` per column),
with the codec the bundle keeps it in.

Pure: the drift engine (:mod:`mlci.drift`, numpy and scipy) is only reached by the measurement,
so a publish job without the drift extra still re-judges a bundle's drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from mlci.checks.base import Source, decode_record
from mlci.errors import ConfigError
from mlci.render.fmt import describe, format_percent, plural

# mlci.drift.stats' tables, here so that judging needs no numpy (tests/unit/checks/drift checks they agree).
THRESHOLDS = {"ks": 0.05, "wasserstein_normed": 0.1, "chisquare": 0.05, "z": 0.05, "jensenshannon": 0.1, "psi": 0.1}
P_VALUES = ("ks", "chisquare", "z")
KINDS = ("numeric", "categorical")
THRESHOLD_SHARE = 0.5
MIN_ROWS = 30
PROFILE_SUFFIX = ".profile"


def is_drift(method: str, score: float, threshold: float) -> bool:
    """Evidently's comparison (as mlci.drift.stats.is_drift): KS p <= threshold; chi-square and z
    p < threshold; the distances >= threshold."""
    if method == "ks":
        return score <= threshold
    if method in P_VALUES:
        return score < threshold
    return score >= threshold


@dataclass(frozen=True)
class ColumnRule:
    """One column's options in mlci.yaml (None: the engine's default)."""

    name: str
    method: str | None = None
    threshold: float | None = None
    kind: str | None = None
    bins: int | None = None


@dataclass(frozen=True)
class DriftSpec:
    """Typed form of one entry of ``checks.drift``."""

    reference: str
    current: str
    reference_rev: str | None = None
    current_rev: str | None = None
    threshold_share: float = THRESHOLD_SHARE
    min_rows: int = MIN_ROWS
    ignore: tuple[str, ...] = ()
    columns: tuple[ColumnRule, ...] = ()
    retrain_share: float | None = None
    informational: bool = False
    pr_gate: bool = False  # also a gate of `mlci report` (a PR's); else only `mlci drift` checks it
    line: int | None = None

    @property
    def is_profile(self) -> bool:
        """The reference is a saved profile (``*.profile``), not data."""
        return self.reference.lower().endswith(PROFILE_SUFFIX)

    @property
    def reference_label(self) -> str:
        """``data/train.csv`` or ``data/train.csv@v1.0.0``."""
        return self.reference + (f"@{self.reference_rev}" if self.reference_rev else "")

    @property
    def current_label(self) -> str:
        return self.current + (f"@{self.current_rev}" if self.current_rev else "")

    @property
    def rule(self) -> str:
        """The policy in words: ``against data/train.csv@v1, dataset drift at 50% of columns``."""
        return describe(f"against {self.reference_label}",
                        f"dataset drift at {format_percent(self.threshold_share)} of columns",
                        f"{plural(len(self.columns), 'column option')}" if self.columns else None,
                        f"{len(self.ignore)} ignored" if self.ignore else None)

    def rule_of(self, column: str) -> ColumnRule | None:
        return next((c for c in self.columns if c.name == column), None)

    @classmethod
    def from_config(cls, data: Any, *, line: int | None, where: str) -> DriftSpec:
        """One ``checks.drift`` entry, already valid against the JSON Schema; semantic checks here."""
        for key in ("reference", "current"):
            if PurePath(str(data[key])).is_absolute() or ".." in PurePath(str(data[key])).parts:
                raise ConfigError(f"{where}.{key}: must be a path inside the project, got {data[key]!r}")
        columns = data.get("columns") or {}
        spec = cls(
            reference=str(data["reference"]), current=str(data["current"]),
            reference_rev=data.get("reference_rev"), current_rev=data.get("current_rev"),
            threshold_share=float(data.get("threshold_share", THRESHOLD_SHARE)),
            min_rows=int(data.get("min_rows", MIN_ROWS)),
            ignore=tuple(str(c) for c in data.get("ignore") or ()),
            columns=tuple(_column(str(name), options or {}, f"{where}.columns.{name}") for name, options in columns.items()),
            retrain_share=None if data.get("retrain_share") is None else float(data["retrain_share"]),
            informational=bool(data.get("informational", False)),
            pr_gate=bool(data.get("pr_gate", False)),
            line=line,
        )
        if spec.is_profile and spec.current.lower().endswith(PROFILE_SUFFIX):
            raise ConfigError(f"{where}.current: the current data must be data, not a profile")
        return spec


def _column(name: str, options: Any, where: str) -> ColumnRule:
    threshold = options.get("threshold")
    if threshold is not None and not math.isfinite(float(threshold)):
        raise ConfigError(f"{where}.threshold: must be a finite number")
    method = options.get("method")
    if method in ("ks", "wasserstein_normed") and options.get("kind") == "categorical":
        raise ConfigError(f"{where}.method: {method} tests numbers, not a categorical column")
    return ColumnRule(name=name, method=method, threshold=None if threshold is None else float(threshold),
                      kind=options.get("kind"), bins=options.get("bins"))


def parse(section: Any, source: Source) -> tuple[DriftSpec, ...]:
    return tuple(DriftSpec.from_config(entry, line=source.line(("checks", "drift", i)),
                                       where=source.where(("checks", "drift", i)))
                 for i, entry in enumerate(section or ()))


# ---------------------------------------------------------------- the measurement


@dataclass(frozen=True)
class ColumnResult:
    """One column's test as the engine made it (mlci.drift's ColumnDrift): ``method``, ``score`` and
    ``threshold`` None, and ``reason`` saying why, when it was not tested; ``error_bound``: how far
    the score may be from the full data's (0: exact)."""

    column: str
    kind: str
    method: str | None
    score: float | None
    threshold: float | None
    drifted: bool
    reference_rows: int
    current_rows: int
    reason: str | None = None
    error_bound: float = 0.0

    @property
    def tested(self) -> bool:
        return self.reason is None and self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """The column as report.json's ``drift.columns`` has it (no error bound; ``reason`` only when untested)."""
        out: dict[str, Any] = {"column": self.column, "kind": self.kind, "method": self.method, "score": self.score,
                               "threshold": self.threshold, "drifted": self.drifted,
                               "reference_rows": self.reference_rows, "current_rows": self.current_rows}
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class DriftRecord:
    """The drift check's measurement: what was compared (rows on each side) and every column's test,
    in the engine's order (the reference's columns, then the current data's new ones)."""

    reference: str
    current: str
    reference_rows: int
    current_rows: int
    columns: tuple[ColumnResult, ...]


def encode(measured: DriftRecord) -> dict[str, Any]:
    """The record as JSON (the score of a column whose test is undefined is None already)."""
    from dataclasses import asdict

    return asdict(measured)


def decode(data: Any) -> DriftRecord:
    """A record from untrusted JSON, strictly (:func:`mlci.checks.base.decode_record`), and only one
    the engine could have made: counts not negative, scores finite, known kinds and methods, a tested
    column with its method, score and threshold, an untested one with none of them and not drifted,
    each column once."""
    record = decode_record(DriftRecord, data)
    if min(record.reference_rows, record.current_rows) < 0:
        raise ValueError("DriftRecord: a row count is negative")
    names = set()
    for i, c in enumerate(record.columns):
        where = f"DriftRecord.columns[{i}]"
        if c.column in names:
            raise ValueError(f"{where}: column {c.column[:80]!r} twice")
        names.add(c.column)
        if min(c.reference_rows, c.current_rows) < 0:
            raise ValueError(f"{where}: a row count is negative")
        if c.kind not in (*KINDS, "unsupported"):
            raise ValueError(f"{where}: unknown kind {c.kind[:40]!r}")
        if c.method is not None and c.method not in THRESHOLDS:
            raise ValueError(f"{where}: unknown method {c.method[:40]!r}")
        if any(x is not None and not math.isfinite(x) for x in (c.score, c.threshold, c.error_bound)):
            raise ValueError(f"{where}: a number is not finite")
        if c.error_bound < 0:
            raise ValueError(f"{where}: a negative error bound")
        if c.reason is None and (c.method is None or c.score is None or c.threshold is None):
            raise ValueError(f"{where}: a tested column needs its method, score and threshold")
        if c.reason is not None and (c.score is not None or c.drifted):
            raise ValueError(f"{where}: a column not tested has no score and does not drift")
    return record
