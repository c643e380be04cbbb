"""The data check's spec: one :class:`DataSpec` per entry of ``checks.data`` in mlci.yaml, with a
:class:`ColumnSpec` per column; their semantic checks (ConfigError naming where) and the
rule in words; and the record its measurement hands its judgement (:class:`Validation`), with
its codec for the bundle. See :mod:`mlci.checks.data.measure` for what each rule means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any, Literal, cast

from mlci.checks.base import Source, decode_record
from mlci.errors import ConfigError
from mlci.render.fmt import describe, format_exact, plural

# The tabular files the data and fairness checks read, by extension.
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

DType = Literal["int", "float", "str", "bool", "datetime", "category"]
DTYPES: tuple[str, ...] = ("int", "float", "str", "bool", "datetime", "category")

Allowed = str | int | float | bool


@dataclass(frozen=True)
class ColumnSpec:
    """The rules for one column, as written in mlci.yaml."""

    name: str
    dtype: DType | None = None
    nullable: bool = False
    required: bool = True
    unique: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[Allowed, ...] | None = None
    regex: str | None = None

    @property
    def kind(self) -> DType | None:
        """The dtype the values must fit: declared, or implied by the rules."""
        if self.dtype is not None:
            return self.dtype
        if self.min is not None or self.max is not None:
            return "float"
        if self.regex is not None:
            return "str"
        return None

    @property
    def value_checks(self) -> int:
        """How many value rules (range, allowed, regex) the column has."""
        has_range = self.min is not None or self.max is not None
        return int(has_range) + int(self.allowed is not None) + int(self.regex is not None)

    @classmethod
    def from_config(cls, name: str, data: Mapping[str, Any], *, where: str) -> ColumnSpec:
        """A column's rules from mlci.yaml; ``where`` prefixes every error."""
        allowed = data.get("allowed")
        spec = cls(
            name=name,
            dtype=cast("DType | None", data.get("dtype")),
            nullable=bool(data.get("nullable", False)),
            required=bool(data.get("required", True)),
            unique=bool(data.get("unique", False)),
            min=data.get("min"),
            max=data.get("max"),
            allowed=tuple(allowed) if allowed is not None else None,
            regex=data.get("regex"),
        )
        spec._check(where)
        return spec

    def _check(self, where: str) -> None:
        if self.dtype is not None and self.dtype not in DTYPES:
            raise ConfigError(f"{where}: unknown dtype {self.dtype!r}, expected one of {', '.join(DTYPES)}")
        if self.min is not None or self.max is not None:
            if self.dtype not in (None, "int", "float"):
                raise ConfigError(f"{where}: min/max need dtype int or float, not {self.dtype}")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ConfigError(f"{where}: min {format_exact(self.min)} > max {format_exact(self.max)}")
        if self.regex is not None:
            if self.dtype not in (None, "str"):
                raise ConfigError(f"{where}: regex needs dtype str, not {self.dtype}")
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ConfigError(f"{where}: invalid regex {self.regex!r}: {exc}") from None
        if self.allowed is not None:
            self._check_allowed(where)

    def _check_allowed(self, where: str) -> None:
        if self.kind == "datetime":
            raise ConfigError(f"{where}: allowed is not supported for dtype datetime")
        for value in self.allowed or ():
            if not _allowed_fits(value, self.kind):
                raise ConfigError(f"{where}: allowed value {value!r} does not fit dtype {self.kind}")


@dataclass(frozen=True)
class DataSpec:
    """Typed form of one entry of ``checks.data`` in mlci.yaml."""

    path: str
    min_rows: int | None = None
    strict: bool = False
    informational: bool = False
    columns: tuple[ColumnSpec, ...] = ()
    line: int | None = None

    @property
    def format(self) -> str:
        """``csv`` or ``parquet``, from the file's extension."""
        return table_format(self.path)

    @property
    def rule(self) -> str:
        """The policy in words: ``12 column rules, strict, min 100 rows``."""
        return describe(
            plural(len(self.columns), "column rule") if self.columns else None,
            "strict" if self.strict else None,
            f"min {plural(self.min_rows, 'row')}" if self.min_rows is not None else None,
            empty="readable file",
        )

    @classmethod
    def from_config(cls, data: Mapping[str, Any], *, line: int | None, where: str) -> DataSpec:
        """One ``checks.data`` entry, already valid against the JSON Schema; semantic checks here."""
        path = str(data["path"])
        if extension(path) not in FORMATS:
            raise ConfigError(f"{where}.path: expected a .csv or .parquet file, got {path!r}")
        if PurePath(path).is_absolute():
            raise ConfigError(f"{where}.path: must be relative to the project root, got {path!r}")
        columns = data.get("columns") or {}
        return cls(
            path=path,
            min_rows=data.get("min_rows"),
            strict=bool(data.get("strict", False)),
            informational=bool(data.get("informational", False)),
            columns=tuple(
                ColumnSpec.from_config(str(name), rules or {}, where=f"{where}.columns.{name}")
                for name, rules in columns.items()
            ),
            line=line,
        )


def extension(path: str) -> str:
    """A file's extension, lower case: ``.csv``, ``.pq``, ``.onnx``; what the checks tell formats by."""
    return PurePath(path).suffix.lower()


def table_format(path: str) -> str:
    """``csv`` or ``parquet``, from the extension of a path the spec has checked (KeyError for another)."""
    return FORMATS[extension(path)]


def parse(section: Any, source: Source) -> tuple[DataSpec, ...]:
    return tuple(DataSpec.from_config(entry, line=source.line(("checks", "data", i)),
                                      where=source.where(("checks", "data", i)))
                 for i, entry in enumerate(section or ()))


def _allowed_fits(value: Allowed, kind: DType | None) -> bool:
    is_bool = isinstance(value, bool)
    is_number = isinstance(value, (int, float)) and not is_bool
    if kind == "int":
        return is_number and float(value).is_integer()
    if kind == "float":
        return is_number
    if kind == "bool":
        return is_bool
    if kind == "str":
        return isinstance(value, str)
    return True



# ---------------------------------------------------------------- the measurement

TABLE_SUBJECT = "(table)"  # the column of a table-level failure (min_rows)
COLUMN_LEVEL = ("required", "strict")  # the checks of a column's presence, not of its values


@dataclass(frozen=True)
class Failure:
    """One failing (column, check): how many values fail it, and up to three of them (for
    ``required``, ``strict`` and ``min_rows``: what is wrong, in words)."""

    column: str
    check: str
    failures: int
    examples: str


@dataclass(frozen=True)
class Validation:
    """The data check's measurement: the file's size, and its failures in policy order (none
    when the file meets every rule)."""

    rows: int
    columns: int
    failures: tuple[Failure, ...]


def encode(measured: Validation) -> dict[str, Any]:
    """The measurement as JSON: ``{"rows", "columns", "failures": [{"column", "check",
    "failures", "examples"}, ...]}``."""
    return {"rows": measured.rows, "columns": measured.columns,
            "failures": [asdict(failure) for failure in measured.failures]}


def decode(data: Any) -> Validation:
    """A measurement from untrusted JSON, strictly (see :func:`mlci.checks.base.decode_record`);
    ValueError for a negative count too."""
    measured = decode_record(Validation, data)
    if min(measured.rows, measured.columns, *(f.failures for f in measured.failures)) < 0:
        raise ValueError("Validation: a count is negative")
    return measured
