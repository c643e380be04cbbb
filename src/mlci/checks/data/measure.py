"""column rules with pandera.

pandera's ``DataFrameSchema`` is built from the spec and validated lazily (every failure is
collected); the one GateResult has a table with one row per failing (column, check).

Types. A column's values must *fit* its declared dtype; fitting values are
converted losslessly before the value rules run, and nothing is ever rounded,
truncated or reinterpreted:

- ``int``: any integer dtype; floats and numeric text only when every value is
  whole (a CSV int column with blanks is read as float and becomes ``Int64``).
  Booleans are not ints.
- ``float``: any number, ints included (``1`` is a valid float).
- ``bool``: booleans, the numbers 0/1, the text true/false/1/0 (any case).
- ``datetime``: a datetime dtype, or ISO 8601 text (``2024-05-01``,
  ``2024-05-01T12:00:00``). Numbers are not dates.
- ``str``: text. In a CSV the column is read as text, so ``007`` stays ``007``.
- ``category``: anything; converted to a pandas categorical.

A rule that needs a type implies it when ``dtype`` is omitted: ``min``/``max``
imply ``float``, ``regex`` implies ``str``. Values that do not fit are reported
row by row as a ``dtype`` failure, and the column's value rules (range,
allowed, regex) are skipped until its type is right; ``nullable`` and
``unique`` still apply. pandera's own dtype check is not used: it is exact
(int32 is not int64, int is not float) and reports a dtype name, not rows.

``regex`` must match the whole value. In a CSV, empty cells and pandas'
default NA markers (``NA``, ``N/A``, ``null``, ``nan``, ...) are nulls. Null
examples are 1-based data rows (row 1 is the first line after the header).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.checks.base import Workspace
from mlci.checks.data.spec import COLUMN_LEVEL, TABLE_SUBJECT, ColumnSpec, DataSpec, Failure, Validation
from mlci.checks.tables import read_table
from mlci.render.fmt import format_exact, plural, quote

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

MAX_EXAMPLES = 3
MAX_EXAMPLE_WIDTH = 40  # characters of an example value; longer ones are cut
TRUE_TEXT = ("true", "1")
FALSE_TEXT = ("false", "0")


def measure(spec: DataSpec, workspace: Workspace) -> Validation:
    """The spec's file validated against its rules (CheckError when it cannot be read)."""
    frame = read_frame(workspace.root / spec.path, spec)
    misfits = _conform(frame, spec.columns)
    schema, labels = _schema(spec, misfits)
    rows, columns = frame.shape
    failures = _summarise(_validate(schema, frame), labels, spec, rows)
    return Validation(rows=rows, columns=columns, failures=tuple(failures))


def read_frame(path: Path, spec: DataSpec) -> pd.DataFrame:
    """The file as a DataFrame (str columns of a CSV as text); unusable files are a CheckError."""
    text_columns = {c.name: "str" for c in spec.columns if c.kind == "str"}
    return read_table(path, spec.path, spec.format, text_columns=text_columns)


# ---------------------------------------------------------------- types


def _conform(frame: pd.DataFrame, columns: tuple[ColumnSpec, ...]) -> dict[str, pd.Series]:
    """Convert, in place, each column whose values all fit its dtype; return the misfit masks of the others."""
    misfits = {}
    for column in columns:
        if column.kind is None or column.name not in frame.columns:
            continue
        converted, misfit = FITTERS[column.kind](frame[column.name])
        if misfit is None:
            frame[column.name] = converted
        else:
            misfits[column.name] = misfit
    return misfits


Fitted = tuple["pd.Series", "pd.Series | None"]  # (converted series, None) or (series, misfit mask)


def _fitted(series: pd.Series, ok: pd.Series, convert: Callable[[], pd.Series]) -> Fitted:
    """Convert when every non-null value is ok; else the mask of the values that are not."""
    misfit = series.notna() & ~ok
    if bool(misfit.any()):
        return series, misfit
    return convert(), None


def _is_text(series: pd.Series) -> bool:
    from pandas.api import types

    return bool(types.is_object_dtype(series.dtype) or types.is_string_dtype(series.dtype))


def _numbers(series: pd.Series) -> pd.Series | None:
    """The values as numbers (NaN where text is not a number), or None for a non-numeric dtype."""
    import pandas as pd
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return None
    if types.is_numeric_dtype(series.dtype):
        return series
    if _is_text(series):
        return pd.to_numeric(series, errors="coerce")
    return None


def _fit_int(series: pd.Series) -> Fitted:
    from pandas.api import types

    if types.is_integer_dtype(series.dtype) and not types.is_bool_dtype(series.dtype):
        return series, None
    numbers = _numbers(series)
    if numbers is None:
        return series, series.notna()
    ok = ((numbers % 1 == 0) & (numbers.abs() < 2**63)).fillna(False).astype(bool)
    nullable = bool(series.isna().any())
    return _fitted(series, ok, lambda: numbers.astype("Int64" if nullable else "int64"))


def _fit_float(series: pd.Series) -> Fitted:
    from pandas.api import types

    numbers = _numbers(series)
    if numbers is None:
        return series, series.notna()
    if types.is_numeric_dtype(series.dtype):
        return series, None
    return _fitted(series, numbers.notna(), lambda: numbers.astype("float64"))


def _fit_bool(series: pd.Series) -> Fitted:
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return series, None
    if types.is_numeric_dtype(series.dtype):
        return _fitted(series, series.isin([0, 1]), lambda: series.astype("boolean"))
    if not _is_text(series):
        return series, series.notna()
    text = series.astype(str).str.lower()
    words = {word: True for word in TRUE_TEXT} | {word: False for word in FALSE_TEXT}
    return _fitted(series, text.isin(list(words)), lambda: text.map(words).astype("boolean"))


def _fit_datetime(series: pd.Series) -> Fitted:
    import pandas as pd
    from pandas.api import types

    if types.is_datetime64_any_dtype(series.dtype):
        return series, None
    if not _is_text(series):
        return series, series.notna()
    try:
        parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # mixed time zones
        parsed = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)
    return _fitted(series, parsed.notna(), lambda: parsed)


def _fit_str(series: pd.Series) -> Fitted:
    import pandas as pd
    from pandas.api import types

    if isinstance(series.dtype, pd.StringDtype):
        return series, None
    if isinstance(series.dtype, pd.CategoricalDtype):
        text = types.infer_dtype(series.cat.categories, skipna=True) in ("string", "empty")
        return series, (None if text else series.notna())
    if not types.is_object_dtype(series.dtype):
        return series, series.notna()
    if types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series, None
    return _fitted(series, series.map(lambda value: isinstance(value, str)).astype(bool), lambda: series)


def _fit_category(series: pd.Series) -> Fitted:
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        return series, None
    return series.astype("category"), None


FITTERS: dict[str, Callable[[pd.Series], Fitted]] = {
    "int": _fit_int,
    "float": _fit_float,
    "bool": _fit_bool,
    "datetime": _fit_datetime,
    "str": _fit_str,
    "category": _fit_category,
}


# ---------------------------------------------------------------- schema


def _schema(spec: DataSpec, misfits: Mapping[str, pd.Series]) -> tuple[pa.DataFrameSchema, dict[tuple[str, int], str]]:
    """The pandera schema, and the label of every custom check by (column, check number)."""
    import pandera.pandas as pa

    labels: dict[tuple[str, int], str] = {}
    columns = {}
    for column in spec.columns:
        checks, names = _column_checks(column, misfits.get(column.name))
        labels.update({(column.name, i): name for i, name in enumerate(names)})
        columns[column.name] = pa.Column(
            None,
            checks,
            nullable=column.nullable,
            unique=column.unique,
            required=column.required,
            name=column.name,
        )
    table_checks = []
    if spec.min_rows is not None:
        table_checks.append(_min_rows_check(spec.min_rows))
        labels[(TABLE_SUBJECT, 0)] = f"min_rows {spec.min_rows:,}"
    schema = pa.DataFrameSchema(columns, checks=table_checks, strict=spec.strict)
    return schema, labels


def _column_checks(column: ColumnSpec, misfit: pd.Series | None) -> tuple[list[pa.Check], list[str]]:
    """The pandera checks of one column, with their labels, in order."""
    import pandera.pandas as pa

    if misfit is not None:
        fits = ~misfit
        check = pa.Check(lambda series: fits.reindex(series.index), name=f"dtype {column.kind}")
        return [check], [f"dtype {column.kind}"]
    checks: list[pa.Check] = []
    names: list[str] = []
    low, high = column.min, column.max
    if low is not None and high is not None:
        checks.append(pa.Check.in_range(low, high))
        names.append(f"in_range {format_exact(low)}..{format_exact(high)}")
    elif low is not None:
        checks.append(pa.Check.ge(low))
        names.append(f"min {format_exact(low)}")
    elif high is not None:
        checks.append(pa.Check.le(high))
        names.append(f"max {format_exact(high)}")
    if column.allowed is not None:
        checks.append(pa.Check.isin(list(column.allowed)))
        names.append("isin")
    if column.regex is not None:
        checks.append(pa.Check.str_matches(f"(?:{column.regex})\\Z"))
        names.append(f"regex {column.regex}")
    return checks, names


def _min_rows_check(min_rows: int) -> pa.Check:
    import pandera.pandas as pa

    return pa.Check(lambda frame: len(frame) >= min_rows, name="min_rows")


def _validate(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    """pandera's failure cases (one row per failing value), or None when all is well."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases: pd.DataFrame = exc.failure_cases
        return cases
    return None

# ---------------------------------------------------------------- failures

# pandera's built-in checks, as named in failure cases, to our labels
BUILTIN_CHECKS = {
    "not_nullable": "not_null",
    "field_uniqueness": "unique",
    "column_in_dataframe": "required",
    "column_in_schema": "strict",
}


def _summarise(
    cases: pd.DataFrame | None, labels: Mapping[tuple[str, int], str], spec: DataSpec, rows: int
) -> list[Failure]:
    """Failure cases aggregated to one Failure per (column, check), in policy order."""
    if cases is None or cases.empty:
        return []
    cases = _label(cases, labels)
    keys = ["column", "label"]
    counts = cases.groupby(keys, sort=False).size()
    examples = _examples(cases, keys)
    failures = [
        _failure(column, label, int(count), examples.get((column, label), []), rows)
        for column, label, count in zip(
            counts.index.get_level_values(0), counts.index.get_level_values(1), counts, strict=True
        )
    ]
    return sorted(failures, key=_order(spec))


def _label(cases: pd.DataFrame, labels: Mapping[tuple[str, int], str]) -> pd.DataFrame:
    """Add ``label`` (our check name); name the column of column- and table-level failures."""
    import pandas as pd

    cases = cases[["column", "check", "check_number", "failure_case", "index"]]
    builtin = cases["check"].map(BUILTIN_CHECKS)
    column = cases["column"].astype(object).where(~builtin.isin(COLUMN_LEVEL), cases["failure_case"])
    number = pd.to_numeric(cases["check_number"], errors="coerce").fillna(-1).astype("int64")
    cases = cases.assign(column=column.fillna(TABLE_SUBJECT).astype(str), number=number, builtin=builtin)
    custom = pd.DataFrame(
        [(name, index, label) for (name, index), label in labels.items()],
        columns=["column", "number", "custom"],
    ).astype({"column": str, "number": "int64", "custom": object})
    cases = cases.merge(custom, on=["column", "number"], how="left")
    label = cases["builtin"].astype(object).fillna(cases["custom"]).fillna(cases["check"])
    return cases.assign(label=label.astype(str))


def _examples(cases: pd.DataFrame, keys: list[str]) -> dict[tuple[str, str], list[str]]:
    """Up to MAX_EXAMPLES distinct failing values per (column, label); row numbers for nulls."""
    nulls = cases["label"] == "not_null"
    picked = cases[~nulls].drop_duplicates(keys + ["failure_case"], ignore_index=True)
    shown: dict[tuple[str, str], list[str]] = {}
    for frame, show in ((picked, _example), (cases[nulls], _row)):
        head = frame.groupby(keys, sort=False).head(MAX_EXAMPLES)
        value_column = "index" if show is _row else "failure_case"
        for column, label, value in zip(head["column"], head["label"], head[value_column], strict=True):
            shown.setdefault((column, label), []).append(show(value))
    return shown


def _failure(column: str, label: str, count: int, examples: list[str], rows: int) -> Failure:
    if label == "required":
        return Failure(column, label, 1, "column missing")
    if label == "strict":
        return Failure(column, label, 1, "column not in the policy")
    if label.startswith("min_rows"):
        return Failure(column, label, 1, plural(rows, "row"))
    return Failure(column, label, count, ", ".join(examples))


def _order(spec: DataSpec) -> Any:
    """Sort key: policy column order, then check order; extra columns and table checks last."""
    position = {column.name: i for i, column in enumerate(spec.columns)}
    kinds = ("required", "dtype", "not_null", "unique", "in_range", "min", "max", "isin", "regex")

    def key(failure: Failure) -> tuple[int, int, str, str]:
        head = failure.check.split(" ")[0]
        rank = kinds.index(head) if head in kinds else len(kinds)
        if failure.column == TABLE_SUBJECT:
            return (len(position) + 2, rank, "", failure.check)
        return (position.get(failure.column, len(position) + 1), rank, failure.column, failure.check)

    return key


# ---------------------------------------------------------------- helpers


def _example(value: Any) -> str:
    """An example value: text quoted, long text cut."""
    return quote(value, MAX_EXAMPLE_WIDTH)


# The data check's own: where pandera says a null is (a position, or the file's index label).
def _row(index: Any) -> str:
    """A 1-based data row number from a 0-based position (or the file's own index label)."""
    if isinstance(index, numbers.Integral):
        return f"row {int(index) + 1:,}"
    return f"index {index}"

