"""checks.data: real CSV and Parquet files in tmp_path, validated with real pandera."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci.checks.base import Workspace
from mlci.checks.data import CHECK, evaluate
from mlci.checks.data.judge import judge
from mlci.checks.data.measure import measure
from mlci.checks.data.spec import ColumnSpec, DataSpec, Failure, Validation
from mlci.errors import CheckError, ConfigError
from mlci.evidence import Evidence
from mlci.report import GateResult
from tests.unit.checks import REMOVE, with_item

WHERE = "mlci.yaml:14: checks.data[0]"
HEADERS = ("column", "check", "failures", "examples")


def spec(path: str = "data.csv", *, line: int | None = 14, **data: Any) -> DataSpec:
    return DataSpec.from_config({"path": path, **data}, line=line, where=WHERE)


def check(root: Path, text: str, name: str = "data.csv", **data: Any) -> GateResult:
    (root / name).write_text(text)
    [result] = evaluate(spec(name, **data), root)
    return result


def rows(result: GateResult) -> list[tuple[Any, ...]]:
    assert result.table is not None and result.table.headers == HEADERS
    return list(result.table.rows)


CSV = "id,age,sex,code\n1,34,m,ABC\n2,51,f,XYZ\n3,29,f,QRS\n"
COLUMNS: dict[str, Any] = {
    "id": {"dtype": "int", "unique": True},
    "age": {"dtype": "int", "min": 0, "max": 120},
    "sex": {"dtype": "str", "allowed": ["m", "f"]},
    "code": {"regex": "[A-Z]{3}"},
}


# ------------------------------------------------------------------ passing


def test_passing_file(tmp_path: Path) -> None:
    result = check(tmp_path, CSV, columns=COLUMNS, min_rows=3, strict=True)
    assert result.status == "pass"
    assert result.kind == "data" and result.subject == "data.csv"
    assert result.reason == "3 rows, 4 columns, no violations"
    assert result.rule == "4 column rules, strict, min 3 rows"
    assert result.facts == (("rows", 3), ("columns", 4), ("violations", 0))
    assert result.table is None
    assert (result.line, result.informational) == (14, False)


def test_success_reason_groups_thousands(tmp_path: Path) -> None:
    text = "a,b\n" + "".join(f"{i},{i % 7}\n" for i in range(7043))
    result = check(tmp_path, text, columns={"a": {"dtype": "int", "unique": True}, "b": {"min": 0, "max": 6}})
    assert result.reason == "7,043 rows, 2 columns, no violations"


def test_informational_and_line_are_copied(tmp_path: Path) -> None:
    result = check(tmp_path, "a\n1\n", informational=True, line=7, min_rows=2)
    assert (result.status, result.informational, result.line) == ("fail", True, 7)
    assert not result.blocking


def test_no_rules_is_just_readable(tmp_path: Path) -> None:
    result = check(tmp_path, "a\n1\n")
    assert (result.status, result.rule) == ("pass", "readable file")


def test_header_only_file_has_zero_rows(tmp_path: Path) -> None:
    result = check(tmp_path, "a,b\n", columns={"a": {"dtype": "int"}})
    assert (result.status, result.reason) == ("pass", "0 rows, 2 columns, no violations")


# ------------------------------------------------------------------ each rule failing


def test_dtype_int_reports_values_that_are_not_whole_numbers(tmp_path: Path) -> None:
    result = check(tmp_path, "n\n1\n2.5\nabc\n4\n2.5\n", columns={"n": {"dtype": "int"}})
    assert result.status == "fail"
    assert rows(result) == [("n", "dtype int", 3, "'2.5', 'abc'")]
    assert result.reason == "1 check failed in 1 column: n (dtype int: 3 rows)"
    assert result.facts == (("rows", 5), ("columns", 1), ("violations", 3))


def test_int_column_with_blanks_is_int_when_nullable(tmp_path: Path) -> None:
    text = "i,n\n1,1\n2,\n3,3\n"
    assert check(tmp_path, text, columns={"n": {"dtype": "int", "nullable": True, "max": 3}}).status == "pass"
    result = check(tmp_path, text, columns={"n": {"dtype": "int"}})
    assert rows(result) == [("n", "not_null", 1, "row 2")]


def test_float_accepts_ints_but_not_text(tmp_path: Path) -> None:
    assert check(tmp_path, "x\n1\n2\n", columns={"x": {"dtype": "float", "max": 2}}).status == "pass"
    result = check(tmp_path, "x\n1.5\nabc\n", columns={"x": {"dtype": "float"}})
    assert rows(result) == [("x", "dtype float", 1, "'abc'")]


def test_bool_accepts_words_and_zero_one(tmp_path: Path) -> None:
    ok = check(tmp_path, "a,b,c\nTrue,true,1\nFalse,FALSE,0\n",
               columns={"a": {"dtype": "bool"}, "b": {"dtype": "bool", "allowed": [True]}, "c": {"dtype": "bool"}})
    assert rows(ok) == [("b", "isin", 1, "False")]
    bad = check(tmp_path, "a\ntrue\nyes\n", columns={"a": {"dtype": "bool"}})
    assert rows(bad) == [("a", "dtype bool", 1, "'yes'")]


def test_datetime_parses_iso_text_only(tmp_path: Path) -> None:
    text = "when\n2024-01-31\n2024-02-30\n2024-03-01T10:00:00\nyesterday\n"
    result = check(tmp_path, text, columns={"when": {"dtype": "datetime"}})
    assert rows(result) == [("when", "dtype datetime", 2, "'2024-02-30', 'yesterday'")]
    assert check(tmp_path, "i,when\n1,2024-01-31\n2,\n", columns={"when": {"dtype": "datetime", "nullable": True}}).status == "pass"


def test_str_column_is_read_as_text(tmp_path: Path) -> None:
    result = check(tmp_path, "zip\n007\n010\n", columns={"zip": {"dtype": "str", "allowed": ["007", "010"]}})
    assert result.status == "pass"


def test_category_keeps_values(tmp_path: Path) -> None:
    result = check(tmp_path, "k\n1\n2\n3\n", columns={"k": {"dtype": "category", "allowed": [1, 2]}})
    assert rows(result) == [("k", "isin", 1, "3")]


def test_nullable_false_reports_row_numbers(tmp_path: Path) -> None:
    result = check(tmp_path, "a,b\n1,x\n2,\n3,\n4,\n5,\n", columns={"b": {"dtype": "str"}})
    assert rows(result) == [("b", "not_null", 4, "row 2, row 3, row 4")]
    assert result.reason == "1 check failed in 1 column: b (not_null: 4 rows)"


def test_unique_counts_every_duplicated_row(tmp_path: Path) -> None:
    result = check(tmp_path, "id\n1\n2\n2\n3\n3\n3\n4\n", columns={"id": {"dtype": "int", "unique": True}})
    assert rows(result) == [("id", "unique", 5, "2, 3")]


def test_unique_ignores_nulls(tmp_path: Path) -> None:
    result = check(tmp_path, "i,a\n1,\n2,\n3,5\n4,5\n", columns={"a": {"dtype": "int", "unique": True, "nullable": True}})
    assert rows(result) == [("a", "unique", 2, "5")]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"min": 0}, ("x", "min 0", 2, "-1, -5")),
        ({"max": 10}, ("x", "max 10", 1, "11")),
        ({"min": 0, "max": 10}, ("x", "in_range 0..10", 3, "-1, 11, -5")),
        ({"min": 0.5, "max": 10}, ("x", "in_range 0.5..10", 4, "-1, 0, 11")),
    ],
)
def test_min_and_max(tmp_path: Path, rules: dict[str, Any], expected: tuple[Any, ...]) -> None:
    result = check(tmp_path, "x\n-1\n0\n11\n5\n-5\n", columns={"x": {"dtype": "int", **rules}})
    assert rows(result) == [expected]


def test_allowed_shows_at_most_three_distinct_examples(tmp_path: Path) -> None:
    text = "sex\nm\nx\nf\nq\nx\nu\nz\n"
    result = check(tmp_path, text, columns={"sex": {"allowed": ["m", "f"]}})
    assert rows(result) == [("sex", "isin", 5, "'x', 'q', 'u'")]


def test_regex_must_match_the_whole_value(tmp_path: Path) -> None:
    result = check(tmp_path, "code\nABC\nABCD\nab\nXYZ\n", columns={"code": {"regex": "[A-Z]{3}"}})
    assert rows(result) == [("code", "regex [A-Z]{3}", 2, "'ABCD', 'ab'")]


def test_strict_reports_extra_columns(tmp_path: Path) -> None:
    text = "id,secret,other\n1,2,3\n"
    assert check(tmp_path, text, columns={"id": {}}).status == "pass"
    result = check(tmp_path, text, columns={"id": {}}, strict=True)
    assert rows(result) == [
        ("other", "strict", 1, "column not in the policy"),
        ("secret", "strict", 1, "column not in the policy"),
    ]
    assert result.reason == (
        "2 checks failed in 2 columns: other (strict: column not in the policy), "
        "secret (strict: column not in the policy)"
    )


def test_missing_required_column(tmp_path: Path) -> None:
    result = check(tmp_path, "id\n1\n", columns={"id": {}, "age": {"dtype": "int", "min": 0}, "opt": {"required": False}})
    assert rows(result) == [("age", "required", 1, "column missing")]
    assert result.reason == "1 check failed in 1 column: age (required: column missing)"


def test_min_rows(tmp_path: Path) -> None:
    result = check(tmp_path, "a\n1\n2\n3\n", min_rows=1000)
    assert rows(result) == [("(table)", "min_rows 1,000", 1, "3 rows")]
    assert result.reason == "1 check failed: min_rows 1,000 (3 rows)"
    assert result.rule == "min 1,000 rows"


def test_wrong_type_skips_value_rules_but_not_nulls(tmp_path: Path) -> None:
    text = "i,age\n1,-5\n2,old\n3,\n"
    result = check(tmp_path, text, columns={"age": {"dtype": "int", "min": 0}})
    assert rows(result) == [("age", "dtype int", 1, "'old'"), ("age", "not_null", 1, "row 3")]


def test_many_failures_exact_reason_and_order(tmp_path: Path) -> None:
    text = "id,age,sex,code,extra\n1,34,m,ABC,1\n1,130,x,ABCD,2\n3,-1,f,QRS,3\n"
    result = check(tmp_path, text, columns=COLUMNS, strict=True, min_rows=5)
    assert rows(result) == [
        ("id", "unique", 2, "1"),
        ("age", "in_range 0..120", 2, "130, -1"),
        ("sex", "isin", 1, "'x'"),
        ("code", "regex [A-Z]{3}", 1, "'ABCD'"),
        ("extra", "strict", 1, "column not in the policy"),
        ("(table)", "min_rows 5", 1, "3 rows"),
    ]
    assert result.reason == (
        "6 checks failed in 5 columns: id (unique: 2 rows), age (in_range 0..120: 2 rows), "
        "sex (isin: 1 row), code (regex [A-Z]{3}: 1 row), 2 more"
    )
    assert result.facts == (("rows", 3), ("columns", 5), ("violations", 8))


def test_large_failure_sets_are_aggregated(tmp_path: Path) -> None:
    n = 20_000
    frame = pd.DataFrame({"x": range(n), "y": ["ok" if i % 4 else f"bad{i % 3}" for i in range(n)]})
    frame.to_csv(tmp_path / "big.csv", index=False)
    [result] = evaluate(spec("big.csv", columns={"x": {"max": 9_999}, "y": {"allowed": ["ok"]}}), tmp_path)
    assert rows(result) == [("x", "max 9999", 10_000, "10000, 10001, 10002"), ("y", "isin", 5_000, "'bad0', 'bad1', 'bad2'")]
    assert result.reason == "2 checks failed in 2 columns: x (max 9999: 10,000 rows), y (isin: 5,000 rows)"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=50), low=st.integers(-500, 0), high=st.integers(0, 500))
def test_range_count_matches_values_out_of_range(tmp_path: Path, values: list[int], low: int, high: int) -> None:
    result = check(tmp_path, "x\n" + "".join(f"{v}\n" for v in values), columns={"x": {"dtype": "int", "min": low, "max": high}})
    outside = [v for v in values if not low <= v <= high]
    assert result.facts[2] == ("violations", len(outside))
    assert result.status == ("fail" if outside else "pass")


# ------------------------------------------------------------------ parquet


def test_parquet_passes_and_fails(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "score": [0.1, 0.9, 1.5], "label": [0, 1, 1]})
    frame.to_parquet(tmp_path / "train.parquet")
    columns = {"id": {"dtype": "int", "unique": True}, "score": {"dtype": "float", "max": 1}, "label": {"dtype": "bool"}}
    [result] = evaluate(spec("train.parquet", columns=columns), tmp_path)
    assert rows(result) == [("score", "max 1", 1, "1.5")]
    [typed] = evaluate(spec("train.parquet", columns={"id": {"dtype": "str"}}), tmp_path)
    assert rows(typed) == [("id", "dtype str", 3, "1, 2, 3")]


def test_pq_extension_and_int32(tmp_path: Path) -> None:
    pd.DataFrame({"n": pd.Series([1, 2], dtype="int32")}).to_parquet(tmp_path / "d.pq")
    [result] = evaluate(spec("d.pq", columns={"n": {"dtype": "int"}}, min_rows=2), tmp_path)
    assert (result.status, result.reason) == ("pass", "2 rows, 1 column, no violations")


# ------------------------------------------------------------------ unreadable files


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"^data/train\.csv: file not found$"):
        evaluate(spec("data/train.csv"), tmp_path)


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text(content)
    with pytest.raises(CheckError, match=r"^data/train\.csv: empty file, no header$"):
        evaluate(spec("data/train.csv"), tmp_path)


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(CheckError, match=r"^bad\.parquet: cannot read as Parquet: ") as info:
        evaluate(spec("bad.parquet"), tmp_path)
    assert str(tmp_path) not in str(info.value) and "\n" not in str(info.value)
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(CheckError, match=r"^ragged\.csv: cannot read as CSV: .*line 3"):
        evaluate(spec("ragged.csv"), tmp_path)
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(CheckError, match=r"^dir\.csv: not a file$"):
        evaluate(spec("dir.csv"), tmp_path)
    (tmp_path / "empty.parquet").write_bytes(b"")
    with pytest.raises(CheckError, match=r"^empty\.parquet: empty file$"):
        evaluate(spec("empty.parquet"), tmp_path)


# ------------------------------------------------------------------ from_config


def test_from_config_types_and_defaults() -> None:
    s = spec("d.csv", min_rows=5, columns={"a": {"dtype": "int", "min": 0}, "b": {}})
    assert (s.path, s.min_rows, s.strict, s.informational, s.line) == ("d.csv", 5, False, False, 14)
    assert s.columns == (ColumnSpec("a", dtype="int", min=0), ColumnSpec("b"))
    assert (s.columns[1].nullable, s.columns[1].required, s.columns[1].unique) == (False, True, False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"path": "d.json"}, "mlci.yaml:14: checks.data[0].path: expected a .csv or .parquet file, got 'd.json'"),
        ({"path": "/abs/d.csv"}, "mlci.yaml:14: checks.data[0].path: must be relative to the project root, got '/abs/d.csv'"),
        ({"columns": {"age": {"min": 5, "max": 3}}}, "mlci.yaml:14: checks.data[0].columns.age: min 5 > max 3"),
        ({"columns": {"c": {"regex": "[a-"}}}, "mlci.yaml:14: checks.data[0].columns.c: invalid regex '[a-': "),
        ({"columns": {"c": {"dtype": "str", "min": 1}}}, "mlci.yaml:14: checks.data[0].columns.c: min/max need dtype int or float, not str"),
        ({"columns": {"c": {"dtype": "int", "regex": "x"}}}, "mlci.yaml:14: checks.data[0].columns.c: regex needs dtype str, not int"),
        ({"columns": {"c": {"dtype": "int", "allowed": [1, "2"]}}}, "mlci.yaml:14: checks.data[0].columns.c: allowed value '2' does not fit dtype int"),
        ({"columns": {"c": {"dtype": "bool", "allowed": [1]}}}, "mlci.yaml:14: checks.data[0].columns.c: allowed value 1 does not fit dtype bool"),
        ({"columns": {"c": {"dtype": "datetime", "allowed": ["2024"]}}}, "mlci.yaml:14: checks.data[0].columns.c: allowed is not supported for dtype datetime"),
    ],
)
def test_from_config_semantic_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        DataSpec.from_config({"path": "d.csv", **data}, line=14, where=WHERE)
    assert str(info.value).startswith(message)


# ------------------------------------------------------------------ the measurement and its codec


def measured(root: Path, text: str, name: str = "data.csv", **data: Any) -> tuple[DataSpec, Validation]:
    (root / name).write_text(text)
    rule = spec(name, **data)
    return rule, measure(rule, Workspace(root))


def through_bundle(value: Validation) -> Any:
    """The measurement encoded, written as JSON text, read back and decoded, as a bundle carries it."""
    assert CHECK.encode is not None and CHECK.decode is not None
    return CHECK.decode(json.loads(json.dumps(CHECK.encode(value))))


CASES = [
    pytest.param(CSV, {"columns": COLUMNS, "min_rows": 3, "strict": True}, id="pass"),
    pytest.param("id,age,sex,code,extra\n1,34,m,ABC,1\n1,130,x,ABCD,2\n3,-1,f,QRS,3\n",
                 {"columns": COLUMNS, "strict": True, "min_rows": 5}, id="every-kind"),
    pytest.param("i,age\n1,-5\n2,old\n3,\n", {"columns": {"age": {"dtype": "int", "min": 0}, "gone": {}}}, id="dtype-null-required"),
    pytest.param("a,b\n", {"columns": {"a": {"dtype": "int"}}}, id="no-rows"),
]


@pytest.mark.parametrize(("text", "config"), CASES)
def test_decoded_measurement_judges_the_same(tmp_path: Path, text: str, config: dict[str, Any]) -> None:
    rule, value = measured(tmp_path, text, **config)
    decoded = through_bundle(value)
    assert decoded == value
    assert judge(rule, decoded, Evidence()) == judge(rule, value, Evidence()) == evaluate(rule, tmp_path)


def test_measurement_is_the_compact_record(tmp_path: Path) -> None:
    _, value = measured(tmp_path, "i,age\n1,-5\n2,old\n3,\n", columns={"age": {"dtype": "int", "min": 0}})
    assert value == Validation(rows=3, columns=2, failures=(
        Failure("age", "dtype int", 1, "'old'"), Failure("age", "not_null", 1, "row 3")))
    assert CHECK.encode is not None
    assert CHECK.encode(value) == {"rows": 3, "columns": 2, "failures": [
        {"column": "age", "check": "dtype int", "failures": 1, "examples": "'old'"},
        {"column": "age", "check": "not_null", "failures": 1, "examples": "row 3"},
    ]}


GOOD = {"rows": 3, "columns": 2, "failures": [{"column": "age", "check": "min 0", "failures": 1, "examples": "-5"}]}


def with_(path: tuple[str | int, ...], value: Any) -> Any:
    """GOOD with the item at ``path`` set to ``value`` (or removed, for REMOVE)."""
    return with_item(GOOD, path, value)


@pytest.mark.parametrize("data", [
    pytest.param(None, id="null"),
    pytest.param([], id="a-list"),
    pytest.param(with_(("rows",), "3"), id="rows-text"),
    pytest.param(with_(("rows",), 3.0), id="rows-float"),
    pytest.param(with_(("rows",), True), id="rows-bool"),
    pytest.param(with_(("rows",), -1), id="rows-negative"),
    pytest.param(with_(("failures", 0, "failures"), -2), id="failures-negative"),
    pytest.param(with_(("failures",), {"age": 1}), id="failures-object"),
    pytest.param(with_(("failures", 0), ["age", "min 0", 1, "-5"]), id="failure-list"),
    pytest.param(with_(("failures", 0, "examples"), None), id="examples-null"),
    pytest.param(with_(("verdict",), "pass"), id="extra-key"),
    pytest.param(with_(("failures", 0, "status"), "pass"), id="extra-failure-key"),
    pytest.param(with_(("columns",), REMOVE), id="missing-key"),
    pytest.param(with_(("failures", 0, "check"), REMOVE), id="missing-failure-key"),
    pytest.param(with_(("failures",), GOOD["failures"] * 10_001), id="too-many-failures"),
    pytest.param(with_(("failures", 0, "examples"), "x" * 100_000), id="text-too-long"),
])
def test_decode_refuses_what_is_not_a_measurement(data: Any) -> None:
    assert CHECK.decode is not None
    with pytest.raises((ValueError, TypeError, KeyError)):
        CHECK.decode(data)
    assert CHECK.decode(GOOD) == Validation(3, 2, (Failure("age", "min 0", 1, "-5"),))


def test_measurement_of_a_large_file_is_small(tmp_path: Path) -> None:
    n = 20_000
    pd.DataFrame({"x": range(n), "y": ["ok" if i % 4 else f"bad{i % 3}" for i in range(n)]}).to_csv(tmp_path / "big.csv", index=False)
    rule = spec("big.csv", columns={"x": {"max": 9_999}, "y": {"allowed": ["ok"]}})
    assert CHECK.encode is not None
    assert len(json.dumps(CHECK.encode(measure(rule, Workspace(tmp_path))))) < 300
