"""checks.fairness: real CSV and Parquet files in tmp_path, evaluated with real fairlearn.

Predictions are built from per-group confusion counts (tp, fn, fp, tn), so every
rate and difference below is known exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci.checks.base import Workspace
from mlci.checks.fairness import CHECK, evaluate
from mlci.checks.fairness.judge import judge
from mlci.checks.fairness.measure import measure
from mlci.checks.fairness.spec import Fairness, FairnessSpec
from mlci.errors import CheckError, ConfigError
from mlci.evidence import Evidence
from mlci.report import GateResult
from tests.unit.checks import REMOVE, with_item

WHERE = "mlci.yaml:20: checks.fairness[0]"
HEADERS = ("group", "rows", "selection rate", "accuracy", "TPR", "FPR")
LIMITS = {"max_demographic_parity_difference": 0.10, "max_equalized_odds_difference": 0.20}

Counts = tuple[int, int, int, int]  # tp, fn, fp, tn


def frame(groups: dict[str, Counts], column: str = "gender") -> pd.DataFrame:
    """Rows with exactly these confusion counts per group (y_true, y_pred, <column>)."""
    rows = []
    for group, (tp, fn, fp, tn) in groups.items():
        for truth, pred, n in ((1, 1, tp), (1, 0, fn), (0, 1, fp), (0, 0, tn)):
            rows += [(truth, pred, group)] * n
    return pd.DataFrame(rows, columns=["y_true", "y_pred", column])


def spec(name: str = "preds.csv", *, line: int | None = 20, **data: Any) -> FairnessSpec:
    config = {"predictions": name, "sensitive": ["gender"], **LIMITS, **data}
    return FairnessSpec.from_config(config, line=line, where=WHERE)


def write(root: Path, data: pd.DataFrame, name: str = "preds.csv") -> None:
    if name.endswith(".csv"):
        data.to_csv(root / name, index=False)
    else:
        data.to_parquet(root / name, index=False)


def check(root: Path, data: pd.DataFrame, name: str = "preds.csv", **config: Any) -> GateResult:
    write(root, data, name)
    [result] = evaluate(spec(name, **config), root)
    return result


def rows(result: GateResult) -> list[tuple[Any, ...]]:
    assert result.table is not None and result.table.headers == HEADERS
    return list(result.table.rows)


def facts(result: GateResult) -> dict[str, Any]:
    return dict(result.facts)


def fails(root: Path, data: pd.DataFrame | str, name: str = "preds.csv", **config: Any) -> str:
    """The CheckError message for this file."""
    if isinstance(data, str):
        (root / name).write_text(data)
    else:
        write(root, data, name)
    with pytest.raises(CheckError) as info:
        evaluate(spec(name, **config), root)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{name}: ")
    return message


# F: selection 0.375, TPR 0.5, FPR 0.25;  M: selection 0.35, TPR 0.5, FPR 0.2
FAIR = {"F": (20, 20, 10, 30), "M": (20, 20, 8, 32)}


# ------------------------------------------------------------------ passing


def test_pass(tmp_path: Path) -> None:
    result = check(tmp_path, frame(FAIR))
    assert result.status == "pass"
    assert (result.kind, result.subject) == ("fairness", "gender")
    assert result.reason == (
        "demographic parity difference 0.025 (max 0.10); equalized odds difference 0.050 (max 0.20);"
        " smallest group 80 rows"
    )
    assert result.rule == "max DPD 0.10, max EOD 0.20, min group 30"
    assert rows(result) == [("F", 80, 0.375, 0.625, 0.5, 0.25), ("M", 80, 0.35, 0.65, 0.5, 0.2)]
    assert [name for name, _ in result.facts] == ["demographic_parity_difference", "equalized_odds_difference",
                                                  "smallest_group"]
    assert facts(result)["demographic_parity_difference"] == pytest.approx(0.025)
    assert facts(result)["equalized_odds_difference"] == pytest.approx(0.05)
    assert facts(result)["smallest_group"] == 80
    assert (result.line, result.informational, result.blocking) == (20, False, False)


def test_differences_are_fairlearns(tmp_path: Path) -> None:
    data = frame({"F": (13, 7, 9, 31), "M": (22, 3, 5, 20), "X": (8, 8, 8, 8)})
    result = check(tmp_path, data, max_demographic_parity_difference=1.0, max_equalized_odds_difference=1.0)
    y_true, y_pred, groups = data["y_true"], data["y_pred"], data["gender"]
    assert facts(result)["demographic_parity_difference"] == demographic_parity_difference(
        y_true, y_pred, sensitive_features=groups)
    assert facts(result)["equalized_odds_difference"] == equalized_odds_difference(
        y_true, y_pred, sensitive_features=groups)


def test_difference_equal_to_the_limit_passes(tmp_path: Path) -> None:
    # selection rates 0.35 and 0.25: 0.35 - 0.25 is 0.09999999999999998 in floats
    result = check(tmp_path, frame({"F": (20, 20, 8, 32), "M": (10, 10, 10, 50)}),
                   max_demographic_parity_difference=0.1, max_equalized_odds_difference=None)
    assert result.status == "pass", result.reason
    assert result.reason.startswith("demographic parity difference 0.100 (max 0.10); equalized odds difference ")


def test_only_one_limit(tmp_path: Path) -> None:
    result = check(tmp_path, frame(FAIR), max_equalized_odds_difference=None)
    assert result.rule == "max DPD 0.10, min group 30"
    assert result.reason == (
        "demographic parity difference 0.025 (max 0.10); equalized odds difference 0.050; smallest group 80 rows"
    )


def test_informational_and_line_are_copied(tmp_path: Path) -> None:
    write(tmp_path, frame({"F": (30, 10, 10, 30), "M": (12, 4, 16, 48)}))
    [result] = evaluate(spec(informational=True, line=7), tmp_path)
    assert (result.status, result.informational, result.line) == ("fail", True, 7)
    assert not result.blocking


# ------------------------------------------------------------------ failing


def test_fail_on_demographic_parity(tmp_path: Path) -> None:
    # same TPR (0.75) and FPR (0.25), but F has more positive labels: selection 0.5 vs 0.35
    result = check(tmp_path, frame({"F": (30, 10, 10, 30), "M": (12, 4, 16, 48)}))
    assert result.status == "fail" and result.blocking
    assert result.reason == (
        "demographic parity difference 0.150 > max 0.10 (selection rate 0.50 for F vs 0.35 for M);"
        " equalized odds difference 0.000 (max 0.20); smallest group 80 rows"
    )
    assert rows(result) == [("F", 80, 0.5, 0.75, 0.75, 0.25), ("M", 80, 0.35, 0.75, 0.75, 0.25)]


def test_fail_on_equalized_odds_by_tpr(tmp_path: Path) -> None:
    # F: selection 0.5, TPR 0.75, FPR 0.25;  M: selection 0.45, TPR 0.5, FPR 0.4
    result = check(tmp_path, frame({"F": (30, 10, 10, 30), "M": (20, 20, 16, 24)}))
    assert result.status == "fail"
    assert result.reason == (
        "equalized odds difference 0.250 > max 0.20 (TPR 0.75 for F vs 0.50 for M);"
        " demographic parity difference 0.050 (max 0.10); smallest group 80 rows"
    )
    assert facts(result)["equalized_odds_difference"] == pytest.approx(0.25)


def test_fail_on_equalized_odds_by_fpr(tmp_path: Path) -> None:
    # F: TPR 0.5, FPR 0.1;  M: TPR 0.5, FPR 0.4 (selection 0.3 vs 0.45: DPD 0.15 is allowed here)
    result = check(tmp_path, frame({"F": (20, 20, 4, 36), "M": (20, 20, 16, 24)}),
                   max_demographic_parity_difference=0.5)
    assert result.status == "fail"
    assert result.reason.startswith("equalized odds difference 0.300 > max 0.20 (FPR 0.40 for M vs 0.10 for F);")


def test_fail_names_rates_with_enough_decimals(tmp_path: Path) -> None:
    # selection 0.5 vs 0.498: equal at 2 decimals
    result = check(tmp_path, frame({"F": (125, 125, 125, 125), "M": (125, 125, 124, 126)}),
                   max_demographic_parity_difference=0.0)
    assert result.reason.startswith(
        "demographic parity difference 0.002 > max 0.00 (selection rate 0.500 for F vs 0.498 for M);"
    )


# ------------------------------------------------------------------ groups


def test_small_group_warns_and_is_listed(tmp_path: Path) -> None:
    # O: 10 rows, selection 0.4, TPR 0.6, FPR 0.2
    result = check(tmp_path, frame({**FAIR, "O": (3, 2, 1, 4)}))
    assert result.status == "warn"
    assert result.reason == (
        "demographic parity difference 0.050 (max 0.10); equalized odds difference 0.100 (max 0.20);"
        " 1 group under 30 rows (O: 10), so the differences are noisy"
    )
    assert rows(result)[2] == ("O (small)", 10, 0.4, 0.7, 0.6, 0.2)
    assert facts(result)["smallest_group"] == 10


def test_small_groups_count_in_the_differences(tmp_path: Path) -> None:
    # O (10 rows) selects 0.8: it alone makes the DPD 0.45, and the gate fails rather than warns
    result = check(tmp_path, frame({**FAIR, "O": (5, 0, 3, 2)}), min_group_size=11)
    assert result.status == "fail"
    assert result.reason == (
        "demographic parity difference 0.450 > max 0.10 (selection rate 0.80 for O vs 0.35 for M);"
        " equalized odds difference 0.500 > max 0.20 (TPR 1.00 for O vs 0.50 for F);"
        " 1 group under 11 rows (O: 10), so the differences are noisy"
    )


def test_several_small_groups_smallest_first(tmp_path: Path) -> None:
    result = check(tmp_path, frame({"A": (5, 5, 5, 5), "B": (2, 2, 2, 2), "C": (20, 20, 20, 20)}))
    assert result.status == "warn"
    assert result.reason.endswith("; 2 groups under 30 rows (B: 8, A: 20), so the differences are noisy")
    assert [row[0] for row in rows(result)] == ["A (small)", "B (small)", "C"]


def test_missing_sensitive_values_are_a_group(tmp_path: Path) -> None:
    data = frame({**FAIR, "": (2, 2, 2, 2)})
    data["gender"] = data["gender"].replace("", None)
    result = check(tmp_path, data, min_group_size=5)
    assert [row[0] for row in rows(result)] == ["F", "M", "(missing)"]
    assert rows(result)[2] == ("(missing)", 8, 0.5, 0.5, 0.5, 0.5)


def test_single_group_warns(tmp_path: Path) -> None:
    result = check(tmp_path, frame({"F": FAIR["F"]}))
    assert result.status == "warn"
    assert result.reason == (
        "demographic parity difference 0.000 (max 0.10); equalized odds difference 0.000 (max 0.20);"
        " only one group (F, 80 rows): nothing to compare"
    )


def test_two_sensitive_columns_two_results(tmp_path: Path) -> None:
    data = frame({"F": (30, 10, 10, 30), "M": (12, 4, 16, 48)})
    data["age_band"] = ["<40", "40+"] * (len(data) // 2)
    write(tmp_path, data)
    results = evaluate(spec(sensitive=["gender", "age_band"]), tmp_path)
    assert [(r.subject, r.status) for r in results] == [("gender", "fail"), ("age_band", "pass")]
    assert [row[0] for row in rows(results[1])] == ["40+", "<40"]


def test_sensitive_csv_columns_are_text(tmp_path: Path) -> None:
    data = frame({"007": FAIR["F"], "12": FAIR["M"]}, column="zip")
    result = check(tmp_path, data, sensitive=["zip"])
    assert [row[0] for row in rows(result)] == ["007", "12"]


def test_parquet_with_numeric_groups_and_nulls(tmp_path: Path) -> None:
    data = frame({"1": FAIR["F"], "2": FAIR["M"], "": FAIR["F"]}, column="region")
    data["region"] = pd.to_numeric(data["region"].replace("", None)).astype(float)  # 1.0, 2.0, NaN
    result = check(tmp_path, data, "preds.pq", sensitive=["region"])
    assert result.status == "pass"
    assert [row[0] for row in rows(result)] == ["1", "2", "(missing)"]


# ------------------------------------------------------------------ undefined rates


def test_group_without_positive_labels(tmp_path: Path) -> None:
    # O has no positive labels: its TPR is undefined. fairlearn would count it as 0.0 and report a
    # 0.5 gap; here O is left out of the TPR comparison, named, and the gate warns.
    data = frame({**FAIR, "O": (0, 0, 2, 8)})
    result = check(tmp_path, data, min_group_size=10, max_demographic_parity_difference=0.2)
    assert rows(result)[2] == ("O", 10, 0.2, 0.8, None, 0.2)
    assert result.status == "warn"
    assert result.reason == (
        "demographic parity difference 0.175 (max 0.20); equalized odds difference 0.050 (max 0.20);"
        " TPR undefined for O (no positive labels), left out of equalized odds; smallest group 10 rows"
    )
    assert facts(result)["equalized_odds_difference"] == pytest.approx(0.05)
    assert equalized_odds_difference(data["y_true"], data["y_pred"], sensitive_features=data["gender"]) == 0.5


def test_equalized_odds_that_cannot_be_evaluated_fails(tmp_path: Path) -> None:
    # A has only positive labels (no FPR), B only negative ones (no TPR): no rate in two groups
    result = check(tmp_path, frame({"A": (5, 5, 0, 0), "B": (0, 0, 2, 8)}), min_group_size=10,
                   max_demographic_parity_difference=0.5)
    assert result.status == "fail"
    assert result.reason.startswith(
        "equalized odds difference cannot be evaluated, max 0.20: no rate is defined in two groups;"
        " demographic parity difference 0.300 (max 0.50); TPR undefined for B (no positive labels)"
    )
    assert rows(result) == [("A", 10, 0.5, 0.5, 0.5, None), ("B", 10, 0.2, 0.8, None, 0.2)]
    assert facts(result)["equalized_odds_difference"] is None


def test_equalized_odds_not_gated_is_only_reported(tmp_path: Path) -> None:
    result = check(tmp_path, frame({"A": (5, 5, 0, 0), "B": (0, 0, 2, 8)}), min_group_size=10,
                   max_demographic_parity_difference=0.5, max_equalized_odds_difference=None)
    assert result.status == "pass"
    assert "equalized odds difference cannot be evaluated: no rate is defined in two groups" in result.reason


# ------------------------------------------------------------------ labels


def test_string_labels_with_positive_label(tmp_path: Path) -> None:
    data = frame({"F": (30, 10, 10, 30), "M": (12, 4, 16, 48)})
    data = data.assign(y_true=data["y_true"].map({1: "yes", 0: "no"}), y_pred=data["y_pred"].map({1: "yes", 0: "no"}))
    result = check(tmp_path, data, positive_label="yes")
    assert result.reason.startswith("demographic parity difference 0.150 > max 0.10")
    inverted = check(tmp_path, data, positive_label="no")  # the other class as positive: selection 0.5 vs 0.65
    assert rows(inverted)[0][2] == 0.5 and rows(inverted)[1][2] == 0.65


def test_string_labels_without_the_positive_label(tmp_path: Path) -> None:
    data = frame(FAIR).assign(y_true=lambda d: d["y_true"].map({1: "yes", 0: "no"}))
    message = fails(tmp_path, data)
    assert message == "preds.csv: y_true has the values 'yes', 'no', neither of which is positive_label 1"


def test_positive_label_found_nowhere(tmp_path: Path) -> None:
    data = frame({"F": (0, 0, 0, 10), "M": (0, 0, 0, 10)})
    message = fails(tmp_path, data)
    assert message == "preds.csv: positive_label 1 matches no value of y_true (0) or y_pred (0)"


@pytest.mark.parametrize("positive", [1, "1", 1.0, True])
def test_positive_label_across_types(tmp_path: Path, positive: Any) -> None:
    result = check(tmp_path, frame(FAIR), positive_label=positive)
    assert rows(result)[0][2] == 0.375


@pytest.mark.parametrize(("values", "positive"), [
    ({1: True, 0: False}, 1),
    ({1: True, 0: False}, True),
    ({1: "1", 0: "0"}, 1),
    ({1: "1.0", 0: "0.0"}, 1),
    ({1: "True", 0: "False"}, True),
])
def test_label_values_of_other_types(tmp_path: Path, values: dict[int, Any], positive: Any) -> None:
    data = frame(FAIR)
    data = data.assign(y_true=data["y_true"].map(values), y_pred=data["y_pred"].map(values))
    result = check(tmp_path, data, "preds.parquet", positive_label=positive)
    assert rows(result)[0][2:] == (0.375, 0.625, 0.5, 0.25)


def test_non_binary_labels(tmp_path: Path) -> None:
    data = frame(FAIR)
    data.loc[0, "y_true"] = 2
    assert fails(tmp_path, data) == (
        "preds.csv: y_true has 3 distinct values (2, 1, 0);"
        " fairness metrics here are for binary classification, expected at most 2"
    )


def test_scores_instead_of_predictions(tmp_path: Path) -> None:
    data = frame(FAIR).assign(y_pred=lambda d: [i / 1000 for i in range(len(d))])
    message = fails(tmp_path, data)
    assert message.startswith(
        "preds.csv: y_pred has 160 distinct values (0.0, 0.001, 0.002, 0.003, 0.004, … 155 more);"
    )
    assert message.endswith("binary classification, expected at most 2 (class predictions, not scores)")


def test_null_labels(tmp_path: Path) -> None:
    data = frame(FAIR).astype({"y_true": float})
    data.loc[[3, 7], "y_true"] = math.nan
    assert fails(tmp_path, data) == (
        "preds.csv: y_true has 2 null values (data row 4, 8); every row needs a label and a prediction"
    )


# ------------------------------------------------------------------ unusable files


def test_missing_column_lists_available(tmp_path: Path) -> None:
    message = fails(tmp_path, frame(FAIR), sensitive=["sex", "gender", "age"])
    assert message == "preds.csv: missing columns 'sex', 'age' (available: y_true, y_pred, gender)"


def test_missing_label_column(tmp_path: Path) -> None:
    message = fails(tmp_path, frame(FAIR), label="target")
    assert message == "preds.csv: missing column 'target' (available: y_true, y_pred, gender)"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"^eval/preds\.csv: file not found$"):
        evaluate(spec("eval/preds.csv"), tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    assert fails(tmp_path, "") == "preds.csv: empty file, no header"


def test_header_only_file(tmp_path: Path) -> None:
    assert fails(tmp_path, "y_true,y_pred,gender\n") == "preds.csv: no rows, nothing to evaluate"


def test_empty_parquet(tmp_path: Path) -> None:
    assert fails(tmp_path, frame({}), "preds.parquet") == "preds.parquet: no rows, nothing to evaluate"


def test_unreadable_parquet(tmp_path: Path) -> None:
    message = fails(tmp_path, "y_true,y_pred\n1,1\n", "preds.parquet")
    assert message.startswith("preds.parquet: cannot read as Parquet: ")


# ------------------------------------------------------------------ from_config


def test_from_config_defaults() -> None:
    result = FairnessSpec.from_config({"predictions": "p.csv", "sensitive": ["sex"],
                                       "max_demographic_parity_difference": 0.1}, line=3, where=WHERE)
    assert result == FairnessSpec(predictions="p.csv", label="y_true", prediction="y_pred", positive_label=1,
                                  sensitive=("sex",), max_dpd=0.1, max_eod=None, min_group_size=30,
                                  informational=False, line=3)
    assert result.format == "csv"


@pytest.mark.parametrize(("data", "message"), [
    ({"max_demographic_parity_difference": None, "max_equalized_odds_difference": None},
     f"{WHERE}: neither max_demographic_parity_difference nor max_equalized_odds_difference is set,"
     " so this check could never fail; set at least one (add informational: true to only report)"),
    ({"sensitive": ["gender", "age", "gender"]}, f"{WHERE}.sensitive: 'gender' is listed twice"),
    ({"sensitive": ["y_true"]}, f"{WHERE}.sensitive: 'y_true' is the label column, not a sensitive feature"),
    ({"label": "y", "prediction": "y"}, f"{WHERE}: label and prediction are the same column 'y'"),
    ({"predictions": "preds.json"}, f"{WHERE}.predictions: expected a .csv, .parquet or .pq file, got 'preds.json'"),
    ({"predictions": "/abs/preds.csv"},
     f"{WHERE}.predictions: must be relative to the project root, got '/abs/preds.csv'"),
])
def test_from_config_errors(data: dict[str, Any], message: str) -> None:
    config = {"predictions": "preds.csv", "sensitive": ["gender"], **LIMITS, **data}
    config = {key: value for key, value in config.items() if value is not None}
    with pytest.raises(ConfigError) as info:
        FairnessSpec.from_config(config, line=20, where=WHERE)
    assert str(info.value) == message


def test_limit_formatting() -> None:
    assert spec(max_demographic_parity_difference=0.125, max_equalized_odds_difference=1).rule == (
        "max DPD 0.125, max EOD 1.00, min group 30"
    )


# ------------------------------------------------------------------ property

group_counts = st.tuples(*(st.integers(0, 6) for _ in range(4))).filter(lambda c: sum(c) > 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), group_counts, min_size=2, max_size=4))
def test_matches_the_definitions(tmp_path: Path, groups: dict[str, Counts]) -> None:
    data = frame(groups)
    if not (data["y_true"] == 1).any() and not (data["y_pred"] == 1).any():
        return  # positive label found nowhere: an error, tested above
    result = check(tmp_path, data, max_demographic_parity_difference=1.0, max_equalized_odds_difference=1.0,
                   min_group_size=1)
    table = {row[0]: row for row in rows(result)}
    assert sorted(table) == sorted(groups)
    for name, (tp, fn, fp, tn) in groups.items():
        n = tp + fn + fp + tn
        tpr = tp / (tp + fn) if tp + fn else None
        fpr = fp / (fp + tn) if fp + tn else None
        assert table[name][1:] == (n, pytest.approx((tp + fp) / n), pytest.approx((tp + tn) / n), tpr, fpr)
    selection = [row[2] for row in table.values()]
    assert facts(result)["demographic_parity_difference"] == pytest.approx(max(selection) - min(selection))
    gaps = [max(v) - min(v) for v in ([row[i] for row in table.values() if row[i] is not None] for i in (4, 5))
            if len(v) >= 2]
    assert facts(result)["equalized_odds_difference"] == (pytest.approx(max(gaps)) if gaps else None)
    assert result.status in ("pass", "warn") if gaps else result.status == "fail"


# ------------------------------------------------------------------ the measurement and its codec


def through_bundle(value: Fairness) -> Any:
    """The measurement encoded, written as JSON text (NaN as NaN), read back and decoded."""
    assert CHECK.encode is not None and CHECK.decode is not None
    return CHECK.decode(json.loads(json.dumps(CHECK.encode(value))))


def two_columns(data: pd.DataFrame) -> pd.DataFrame:
    data["age_band"] = ["<40", "40+"] * (len(data) // 2) + ["<40"] * (len(data) % 2)
    return data


MISSING = frame({**FAIR, "": (2, 2, 2, 2)})
MISSING["gender"] = MISSING["gender"].replace("", None)
MEASURED = [
    pytest.param(frame(FAIR), {}, id="pass"),
    pytest.param(frame({"F": (30, 10, 10, 30), "M": (12, 4, 16, 48)}), {}, id="fail-dpd"),
    pytest.param(frame({"F": (20, 20, 10, 30), "M": (35, 5, 10, 30)}), {"max_demographic_parity_difference": None}, id="fail-eod"),
    pytest.param(MISSING, {"min_group_size": 10, "max_demographic_parity_difference": 0.2}, id="warn-small-missing-group"),
    pytest.param(frame({"F": FAIR["F"]}), {}, id="single-group"),
    pytest.param(frame({**FAIR, "O": (0, 0, 2, 8)}), {"min_group_size": 10, "max_demographic_parity_difference": 0.2},
                 id="warn-undefined-tpr"),
    pytest.param(frame({"A": (5, 5, 0, 0), "B": (0, 0, 2, 8)}), {"min_group_size": 10}, id="eod-undefined"),
    pytest.param(two_columns(frame({"F": (30, 10, 10, 30), "M": (12, 4, 16, 48)})),
                 {"sensitive": ["gender", "age_band"]}, id="two-columns"),
]


@pytest.mark.parametrize(("data", "config"), MEASURED)
def test_decoded_measurement_judges_the_same(tmp_path: Path, data: pd.DataFrame, config: dict[str, Any]) -> None:
    write(tmp_path, data)
    rule = spec(**config)
    value = measure(rule, Workspace(tmp_path))
    decoded = through_bundle(value)
    assert CHECK.encode is not None
    assert json.dumps(CHECK.encode(decoded)) == json.dumps(CHECK.encode(value))
    assert judge(rule, decoded, Evidence()) == judge(rule, value, Evidence()) == evaluate(rule, tmp_path)


def test_measurement_is_the_per_group_record(tmp_path: Path) -> None:
    write(tmp_path, frame({**FAIR, "O": (0, 0, 2, 8)}))
    value = measure(spec(), Workspace(tmp_path))
    [feature] = value.features
    assert (feature.name, [g.name for g in feature.groups]) == ("gender", ["F", "M", "O"])
    assert feature.groups[2].rows == 10 and math.isnan(feature.groups[2].tpr)
    assert feature.eod == pytest.approx(0.05)
    assert CHECK.encode is not None
    encoded = CHECK.encode(value)
    assert list(encoded) == ["features"]
    assert list(encoded["features"][0]) == ["name", "groups", "dpd", "eod"]
    assert encoded["features"][0]["groups"][0] == {"name": "F", "rows": 80, "selection_rate": 0.375, "accuracy": 0.625,
                                                   "tpr": 0.5, "fpr": 0.25}


def test_measurement_of_other_columns_is_not_judged(tmp_path: Path) -> None:
    write(tmp_path, frame(FAIR))
    value = measure(spec(), Workspace(tmp_path))
    with pytest.raises(ValueError, match="measured for the columns gender, not the spec's"):
        judge(spec(sensitive=["race"]), value, Evidence())


GROUP = {"name": "F", "rows": 80, "selection_rate": 0.375, "accuracy": 0.625, "tpr": 0.5, "fpr": math.nan}
GOOD = {"features": [{"name": "gender", "groups": [GROUP, {**GROUP, "name": "M"}], "dpd": 0.0, "eod": None}]}


def with_(path: tuple[str | int, ...], value: Any) -> Any:
    """GOOD with the item at ``path`` set to ``value`` (or removed, for REMOVE)."""
    return with_item(GOOD, path, value)


FEATURE = ("features", 0)
FIRST = (*FEATURE, "groups", 0)


@pytest.mark.parametrize("data", [
    pytest.param(None, id="null"),
    pytest.param({"features": {}}, id="features-object"),
    pytest.param(with_((*FEATURE, "dpd"), "0.1"), id="dpd-text"),
    pytest.param(with_((*FEATURE, "dpd"), math.nan), id="dpd-nan"),
    pytest.param(with_((*FEATURE, "dpd"), 1.5), id="dpd-over-1"),
    pytest.param(with_((*FEATURE, "eod"), -0.1), id="eod-negative"),
    pytest.param(with_((*FEATURE, "eod"), math.inf), id="eod-inf"),
    pytest.param(with_((*FEATURE, "name"), 7), id="name-number"),
    pytest.param(with_((*FEATURE, "groups"), []), id="no-groups"),
    pytest.param(with_((*FEATURE, "groups", 1, "name"), "F"), id="group-twice"),
    pytest.param(with_(("features",), GOOD["features"] * 2), id="feature-twice"),
    pytest.param(with_((*FIRST, "rows"), 0), id="rows-zero"),
    pytest.param(with_((*FIRST, "rows"), 1.0), id="rows-float"),
    pytest.param(with_((*FIRST, "rows"), True), id="rows-bool"),
    pytest.param(with_((*FIRST, "selection_rate"), math.nan), id="selection-nan"),
    pytest.param(with_((*FIRST, "accuracy"), None), id="accuracy-null"),
    pytest.param(with_((*FIRST, "tpr"), 2.0), id="tpr-over-1"),
    pytest.param(with_((*FIRST, "fpr"), False), id="fpr-bool"),
    pytest.param(with_(("verdict",), "pass"), id="extra-key"),
    pytest.param(with_((*FEATURE, "status"), "pass"), id="extra-feature-key"),
    pytest.param(with_((*FIRST, "small"), True), id="extra-group-key"),
    pytest.param(with_((*FEATURE, "eod"), REMOVE), id="missing-key"),
    pytest.param(with_((*FIRST, "fpr"), REMOVE), id="missing-group-key"),
    pytest.param(with_((*FEATURE, "groups"), [{**GROUP, "name": str(i)} for i in range(10_001)]), id="too-many-groups"),
    pytest.param(with_((*FIRST, "name"), "x" * 100_000), id="name-too-long"),
])
def test_decode_refuses_what_is_not_a_measurement(data: Any) -> None:
    assert CHECK.decode is not None
    with pytest.raises((ValueError, TypeError, KeyError)):
        CHECK.decode(data)
    assert [g.name for g in CHECK.decode(GOOD).features[0].groups] == ["F", "M"]
