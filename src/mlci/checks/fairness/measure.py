"""What the fairness check looks at: the predictions file (CSV or Parquet), and in it the group
fairness of a binary classifier for each sensitive column, measured with fairlearn. The
measurement is a :class:`~mlci.checks.fairness.spec.Fairness` record, one
:class:`~mlci.checks.fairness.spec.Feature` per sensitive column, which
:mod:`mlci.checks.fairness.judge` holds to the spec's limits.

For each sensitive column the measurement computes the demographic parity difference (DPD:
the largest gap in selection rate between groups) and the equalized odds difference (EOD: the
larger of the largest TPR gap and the largest FPR gap), with a table of per-group size,
selection rate, accuracy, TPR and FPR.

Labels. The label and prediction columns must each hold at most two distinct
values and no nulls (the metrics are for binary classification). A value is
positive when it equals ``positive_label``: by value when both are numbers
(booleans count as 0 and 1) or both are text (case-sensitive); when one is
text and the other is not, both are compared as text, numbers written without
a trailing ``.0`` and booleans as ``true``/``false``, case-insensitively. So a
config ``"1"`` matches an int ``1`` column, ``1`` matches a text ``"1"``
column and ``true`` matches ``True``. A column with two values neither of
which is the positive label, or a positive label found in neither column, is
an error (a CheckError, which fails the gate) rather than a silent all-negative.

Groups. Sensitive values are grouped as written (CSV columns are read as
text; whole floats show as ints); nulls form the group ``(missing)``. Every
group counts in the differences, small ones included (the judgement marks
them).

Undefined rates. A group with no positive labels has no TPR, one with no
negative labels no FPR: NaN in the record, ``None`` in the gate's table.
fairlearn's own ``equalized_odds_difference`` would count such a rate as 0
(scikit-learn's confusion matrix turns 0/0 into 0) and report a spurious gap,
so when a rate is undefined somewhere the EOD is computed from the per-group
rates over the groups where each rate is defined. A rate defined in fewer than
two groups is not compared; when neither rate can be compared the EOD is
undefined (None). A column with a single group has an EOD of 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.checks.base import Workspace
from mlci.checks.fairness.spec import MAX_SHOWN, Fairness, FairnessSpec, Feature, Group, Label
from mlci.checks.tables import read_table
from mlci.errors import CheckError
from mlci.render.fmt import listing, plural, quote

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    Ints = npt.NDArray[np.int64]

MISSING_GROUP = "(missing)"


def measure(spec: FairnessSpec, workspace: Workspace) -> Fairness:
    """The file's fairness for each sensitive column; CheckError when the file cannot be read,
    has no rows, or its columns do not fit the spec."""
    frame = _read(workspace.root / spec.predictions, spec)
    _require_columns(frame, spec)
    y_true, y_pred = _outcomes(frame, spec)
    return Fairness(tuple(_feature(column, y_true, y_pred, _group_names(frame[column])) for column in spec.sensitive))


def _read(path: Path, spec: FairnessSpec) -> pd.DataFrame:
    """The file as a DataFrame, sensitive CSV columns as text; unusable files are a CheckError."""
    frame = read_table(path, spec.predictions, spec.format, text_columns={name: "str" for name in spec.sensitive})
    if frame.empty:
        raise CheckError(f"{spec.predictions}: no rows, nothing to evaluate")
    return frame


# ---------------------------------------------------------------- columns


def _require_columns(frame: pd.DataFrame, spec: FairnessSpec) -> None:
    """Every configured column is present, or a CheckError naming the missing and the available ones."""
    available = [str(name) for name in frame.columns]
    missing = [name for name in (spec.label, spec.prediction, *spec.sensitive) if name not in available]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise CheckError(
            f"{spec.predictions}: missing {noun} {', '.join(map(repr, missing))}"
            f" (available: {listing(available, 20)})"
        )


# ---------------------------------------------------------------- labels


def _outcomes(frame: pd.DataFrame, spec: FairnessSpec) -> tuple[Ints, Ints]:
    """The label and prediction columns as 0/1 arrays (1 = ``positive_label``)."""
    import numpy as np
    import pandas as pd

    binary: dict[str, Ints] = {}
    found: dict[str, list[Any]] = {}
    for column in (spec.label, spec.prediction):
        series = frame[column]
        _require_binary(series, column, spec)
        codes, uniques = pd.factorize(series)
        values = [_plain(value) for value in uniques]
        hits = np.array([_same_label(value, spec.positive_label) for value in values], dtype=np.int64)
        if len(values) == 2 and not hits.any():
            raise CheckError(
                f"{spec.predictions}: {column} has the values {_values(values)},"
                f" neither of which is positive_label {quote(spec.positive_label)}"
            )
        binary[column] = hits[codes]
        found[column] = values
    if not any(binary[column].any() for column in binary):
        raise CheckError(
            f"{spec.predictions}: positive_label {quote(spec.positive_label)} matches no value of"
            f" {spec.label} ({_values(found[spec.label])}) or {spec.prediction} ({_values(found[spec.prediction])})"
        )
    return binary[spec.label], binary[spec.prediction]


def _require_binary(series: pd.Series, column: str, spec: FairnessSpec) -> None:
    """No nulls and at most two distinct values, or a CheckError that says why."""
    nulls = series.isna().to_numpy().nonzero()[0]
    if len(nulls):
        rows = listing((str(i + 1) for i in nulls[: MAX_SHOWN + 1]), MAX_SHOWN, more="…")
        raise CheckError(
            f"{spec.predictions}: {column} has {plural(len(nulls), 'null value')}"
            f" (data row {rows}); every row needs a label and a prediction"
        )
    values = [_plain(value) for value in series.unique()]
    if len(values) > 2:
        hint = " (class predictions, not scores)" if column == spec.prediction else ""
        raise CheckError(
            f"{spec.predictions}: {column} has {len(values):,} distinct values ({_values(values)});"
            f" fairness metrics here are for binary classification, expected at most 2{hint}"
        )


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds."""
    item = getattr(value, "item", None)
    return item() if item is not None and not isinstance(value, str) else value


def _same_label(value: Any, positive: Label) -> bool:
    """Whether a label value is the positive label (see the module docstring)."""
    if isinstance(value, str) and isinstance(positive, str):
        return value == positive
    if _is_number(value) and _is_number(positive):
        return bool(value == positive)
    return _as_text(value) == _as_text(positive)


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float))


def _as_text(value: Any) -> str:
    """A value as comparable text: ``true``/``false``, ``1`` for 1.0 and "1.0", lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return str(value).strip().lower()
    if isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value).lower()


# ---------------------------------------------------------------- groups


def _group_names(series: pd.Series) -> pd.Series:
    """Sensitive values as group names; nulls become ``(missing)``."""
    names = series.map(_group_name, na_action="ignore").astype(object)
    return names.where(series.notna(), MISSING_GROUP)


def _group_name(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _by_group(y_true: Ints, y_pred: Ints, groups: pd.Series) -> pd.DataFrame:
    """Per-group rows, selection rate, accuracy, TPR and FPR (NaN where undefined), in display order."""
    from fairlearn.metrics import MetricFrame, count, selection_rate
    from sklearn.metrics import accuracy_score

    metrics = {
        "rows": count,
        "selection rate": selection_rate,
        "accuracy": accuracy_score,
        "TPR": _tpr,
        "FPR": _fpr,
    }
    frame = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=groups.to_numpy()).by_group
    frame = frame.astype({"rows": "int64", "selection rate": float, "accuracy": float, "TPR": float, "FPR": float})
    order = sorted(frame.index, key=lambda name: (name == MISSING_GROUP, str(name)))
    return frame.loc[order]


def _tpr(y_true: Ints, y_pred: Ints) -> float:
    """fairlearn's true positive rate, or NaN for a group without positive labels."""
    from fairlearn.metrics import true_positive_rate

    if not (y_true == 1).any():
        return math.nan
    return float(true_positive_rate(y_true, y_pred, pos_label=1))


def _fpr(y_true: Ints, y_pred: Ints) -> float:
    """fairlearn's false positive rate, or NaN for a group without negative labels."""
    from fairlearn.metrics import false_positive_rate

    if not (y_true == 0).any():
        return math.nan
    return float(false_positive_rate(y_true, y_pred, pos_label=1))


# ---------------------------------------------------------------- differences


def _feature(column: str, y_true: Ints, y_pred: Ints, groups: pd.Series) -> Feature:
    """One sensitive column: the per-group table, DPD and EOD with fairlearn, the EOD falling
    back to the per-group rates where a rate is undefined."""
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    table = _by_group(y_true, y_pred, groups)
    rows = tuple(
        Group(str(name), int(row["rows"]), float(row["selection rate"]), float(row["accuracy"]),
              float(row["TPR"]), float(row["FPR"]))
        for name, row in table.iterrows()
    )
    features = groups.to_numpy()
    dpd = float(demographic_parity_difference(y_true, y_pred, sensitive_features=features))
    feature = Feature(column, rows, dpd, eod=0.0)
    if len(rows) < 2:
        return feature
    if any(feature.undefined.values()):
        gap = feature.odds_gap
        return replace(feature, eod=gap.size if gap is not None else None)
    return replace(feature, eod=float(equalized_odds_difference(y_true, y_pred, sensitive_features=features)))


# ---------------------------------------------------------------- helpers


def _values(values: Iterable[Any]) -> str:
    """Label values as found, text quoted so that ``'1'`` and ``1`` differ."""
    return listing((quote(value) for value in values), MAX_SHOWN)
