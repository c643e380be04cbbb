"""The fairness check's judgement (pure): group fairness of a binary classifier, one gate per
sensitive column (fairlearn), from the predictions file's frame as measured.

For each sensitive column the judgement computes the demographic parity difference (DPD: the
largest gap in selection rate between groups) and the equalized odds difference (EOD: the
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
an error rather than a silent all-negative.

Groups. Sensitive values are grouped as written (CSV columns are read as
text; whole floats show as ints); nulls form the group ``(missing)``. Every
group counts in the differences, small ones included: a group smaller than
``min_group_size`` is kept, marked ``(small)`` in the table and named in the
reason, and turns a passing gate into a warning, because its rates (and so the
differences) are noisy. A column with a single group passes nothing to
compare and is a warning too.

Undefined rates. A group with no positive labels has no TPR, one with no
negative labels no FPR; the table shows ``None`` there. fairlearn's own
``equalized_odds_difference`` would count such a rate as 0 (scikit-learn's
confusion matrix turns 0/0 into 0) and report a spurious gap, so when a rate
is undefined somewhere the EOD is computed from the per-group rates over the
groups where each rate is defined, the left-out groups are named, and the gate
is at most a warning. A rate defined in fewer than two groups is not compared;
when neither rate can be compared the EOD is undefined and a gate with
``max_equalized_odds_difference`` fails (it cannot be shown to hold).

A difference equal to its limit passes (compared with a 1e-9 tolerance, so
that 0.3 - 0.2 counts as 0.1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlci.checks.fairness.spec import TOLERANCE, FairnessSpec, Label
from mlci.errors import CheckError
from mlci.evidence import Evidence
from mlci.render.fmt import format_decimals, listing, plural, quote
from mlci.report import GateResult, GateStatus, Table

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    Ints = npt.NDArray[np.int64]

HEADERS = ("group", "rows", "selection rate", "accuracy", "TPR", "FPR")
MISSING_GROUP = "(missing)"
SMALL_MARK = " (small)"
MAX_SHOWN = 5
RATES = ("TPR", "FPR")
RATE_NEEDS = {"TPR": "positive", "FPR": "negative"}


def judge(spec: FairnessSpec, frame: pd.DataFrame, evidence: Evidence) -> list[GateResult]:
    """One GateResult per sensitive column (pure); CheckError when the columns do not fit the spec."""
    _require_columns(frame, spec)
    y_true, y_pred = _outcomes(frame, spec)
    return [_gate(spec, column, y_true, y_pred, _group_names(frame[column])) for column in spec.sensitive]


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


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Gap:
    """The largest gap in one rate: its size and the groups at either end."""

    rate: str
    size: float
    high: tuple[str, float]
    low: tuple[str, float]

    def detail(self) -> str:
        (high_name, high), (low_name, low) = self.high, self.low
        high_text, low_text = _pair(high, low)
        return f"{self.rate} {high_text} for {high_name} vs {low_text} for {low_name}"


@dataclass(frozen=True)
class _Findings:
    """What one sensitive column shows: the differences and everything that qualifies them."""

    dpd: float
    dpd_gap: _Gap | None
    eod: float | None
    eod_gap: _Gap | None
    undefined: dict[str, list[str]]  # rate -> groups where it is undefined
    sizes: dict[str, int]


def _gate(spec: FairnessSpec, column: str, y_true: Ints, y_pred: Ints, groups: pd.Series) -> GateResult:
    """The GateResult for one sensitive column."""
    table = _by_group(y_true, y_pred, groups)
    found = _findings(table, y_true, y_pred, groups)
    small = {name: rows for name, rows in found.sizes.items() if rows < spec.min_group_size}
    parts, status = _verdict(spec, found, small)
    return GateResult(
        kind="fairness",
        subject=column,
        status=status,
        reason="; ".join(parts),
        rule=spec.rule,
        informational=spec.informational,
        line=spec.line,
        table=_table(table, small),
        facts=(
            ("demographic_parity_difference", found.dpd),
            ("equalized_odds_difference", found.eod),
            ("smallest_group", min(found.sizes.values())),
        ),
    )


def _findings(table: pd.DataFrame, y_true: Ints, y_pred: Ints, groups: pd.Series) -> _Findings:
    """DPD and EOD with fairlearn, falling back to per-group rates where a rate is undefined."""
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    sizes = {str(name): int(rows) for name, rows in table["rows"].items()}
    features = groups.to_numpy()
    dpd = float(demographic_parity_difference(y_true, y_pred, sensitive_features=features))
    if len(table) < 2:
        return _Findings(dpd, None, 0.0, None, {}, sizes)
    undefined = {rate: [str(n) for n in table.index[table[rate].isna()]] for rate in RATES}
    gaps = [gap for gap in (_gap(table, rate) for rate in RATES) if gap is not None]
    eod_gap = max(gaps, key=lambda gap: gap.size, default=None)
    if any(undefined.values()):
        eod = eod_gap.size if eod_gap is not None else None
    else:
        eod = float(equalized_odds_difference(y_true, y_pred, sensitive_features=features))
    return _Findings(dpd, _gap(table, "selection rate"), eod, eod_gap, undefined, sizes)


def _gap(table: pd.DataFrame, rate: str) -> _Gap | None:
    """The largest gap in ``rate`` over the groups where it is defined; None if fewer than two are."""
    values = table[rate].dropna()
    if len(values) < 2:
        return None
    high, low = values.idxmax(), values.idxmin()
    top, bottom = float(values[high]), float(values[low])
    return _Gap(rate, top - bottom, (str(high), top), (str(low), bottom))


def _verdict(spec: FairnessSpec, found: _Findings, small: dict[str, int]) -> tuple[list[str], GateStatus]:
    """The reason's parts (failures first) and the status."""
    failing: list[str] = []
    other: list[str] = []
    dpd_fails = spec.max_dpd is not None and found.dpd > spec.max_dpd + TOLERANCE
    (failing if dpd_fails else other).append(_difference("demographic parity difference", found.dpd,
                                                          spec.max_dpd, found.dpd_gap if dpd_fails else None))
    eod_fails = spec.max_eod is not None and (found.eod is None or found.eod > spec.max_eod + TOLERANCE)
    (failing if eod_fails else other).append(_eod_part(spec, found, eod_fails))
    notes = _undefined_notes(found)
    other += notes
    warn = bool(small) or len(found.sizes) < 2 or (bool(notes) and spec.max_eod is not None)
    other.append(_groups_part(spec, found.sizes, small))
    status: GateStatus = "fail" if failing else "warn" if warn else "pass"
    return failing + other, status


def _difference(name: str, value: float, limit: float | None, gap: _Gap | None) -> str:
    """``name 0.031 (max 0.10)``, or on failure ``name 0.142 > max 0.10 (selection rate ...)``."""
    if limit is None:
        return f"{name} {value:.3f}"
    if gap is None:
        return f"{name} {value:.3f} (max {format_decimals(limit)})"
    return f"{name} {value:.3f} > max {format_decimals(limit)} ({gap.detail()})"


def _eod_part(spec: FairnessSpec, found: _Findings, fails: bool) -> str:
    name = "equalized odds difference"
    if found.eod is None:
        limit = f", max {format_decimals(spec.max_eod)}" if spec.max_eod is not None else ""
        return f"{name} cannot be evaluated{limit}: no rate is defined in two groups"
    return _difference(name, found.eod, spec.max_eod, found.eod_gap if fails else None)


def _undefined_notes(found: _Findings) -> list[str]:
    """``TPR undefined for M (no positive labels), left out of equalized odds``, per rate."""
    notes = []
    for rate, names in found.undefined.items():
        if names:
            notes.append(
                f"{rate} undefined for {listing(names, MAX_SHOWN)} (no {RATE_NEEDS[rate]} labels), left out of equalized odds"
            )
    return notes


def _groups_part(spec: FairnessSpec, sizes: dict[str, int], small: dict[str, int]) -> str:
    """``smallest group 1,212 rows``, or the small groups with their sizes."""
    if len(sizes) < 2:
        [(name, rows)] = sizes.items()
        return f"only one group ({name}, {plural(rows, 'row')}): nothing to compare"
    if small:
        listed = listing([f"{name}: {rows:,}" for name, rows in sorted(small.items(), key=lambda kv: kv[1])], MAX_SHOWN)
        noun = "group" if len(small) == 1 else "groups"
        return f"{len(small)} {noun} under {plural(spec.min_group_size, 'row')} ({listed}), so the differences are noisy"
    return f"smallest group {plural(min(sizes.values()), 'row')}"


def _table(table: pd.DataFrame, small: dict[str, int]) -> Table:
    """One row per group; small groups marked, undefined rates None."""
    rows = []
    for name, row in table.iterrows():
        label = str(name) + (SMALL_MARK if str(name) in small else "")
        rows.append((label, int(row["rows"]), *(_rate(row[key]) for key in HEADERS[2:])))
    return Table(HEADERS, tuple(rows))


# ---------------------------------------------------------------- helpers


def _rate(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _pair(high: float, low: float) -> tuple[str, str]:
    """Two rates with 2 decimals, or as many more as it takes to tell them apart."""
    for places in range(2, 7):
        texts = (f"{high:.{places}f}", f"{low:.{places}f}")
        if texts[0] != texts[1]:
            return texts
    return f"{high:g}", f"{low:g}"


def _values(values: Iterable[Any]) -> str:
    """Label values as found, text quoted so that ``'1'`` and ``1`` differ."""
    return listing((quote(value) for value in values), MAX_SHOWN)
