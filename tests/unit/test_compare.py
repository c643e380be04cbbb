"""compare: pure diff of two sides' metrics and params."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from mlci.compare import compare_metrics, compare_params, flatten, merge_problems, same_value


def by_key(rows):  # type: ignore[no-untyped-def]
    return {r.key: r for r in rows}


def test_flatten_nested_keys_like_dvc() -> None:
    assert flatten({"a": {"b": {"c": 1}}, "d": 2, "e": {}}) == {"a.b.c": 1, "d": 2, "e": {}}


def test_changed_unchanged_added_removed() -> None:
    rows = by_key(compare_metrics(
        {"m.json": {"acc": 0.9, "loss": 0.2, "old": 1}},
        {"m.json": {"acc": 0.95, "loss": 0.2, "new": 3}},
    ))
    assert rows["acc"].status == "changed"
    assert math.isclose(rows["acc"].change, 0.05) and math.isclose(rows["acc"].relative_change, 0.05 / 0.9)
    assert (rows["loss"].status, rows["loss"].change, rows["loss"].relative_change) == ("unchanged", 0.0, 0.0)
    assert (rows["old"].status, rows["old"].head, rows["old"].change) == ("removed", None, None)
    assert (rows["new"].status, rows["new"].base) == ("added", None)


def test_float_noise_is_unchanged() -> None:
    rows = compare_metrics({"m": {"a": 0.1 + 0.2}}, {"m": {"a": 0.3}})
    assert rows[0].status == "unchanged"
    rows = compare_metrics({"m": {"a": 0.3}}, {"m": {"a": 0.3 + 1e-6}})
    assert rows[0].status == "changed"


def test_zero_base_has_no_relative_change() -> None:
    row = compare_metrics({"m": {"a": 0}}, {"m": {"a": 2}})[0]
    assert row.change == 2.0 and row.relative_change is None


def test_non_numeric_and_non_finite_have_no_change() -> None:
    rows = by_key(compare_metrics(
        {"m": {"s": "x", "b": True, "n": math.nan, "i": 1.0, "nn": math.nan}},
        {"m": {"s": "y", "b": True, "n": 0.5, "i": math.inf, "nn": math.nan}},
    ))
    assert rows["s"].status == "changed" and rows["s"].change is None
    assert rows["b"].status == "unchanged"
    assert rows["n"].status == "changed" and rows["n"].change is None
    assert rows["i"].status == "changed" and rows["i"].change is None
    assert rows["nn"].status == "unchanged"


def test_bool_is_not_a_number() -> None:
    # True == 1 in Python; a metric switching from 1 to true is still a change.
    assert not same_value(1, True)


def test_files_and_order() -> None:
    rows = compare_metrics({"b.json": {"z": 1}, "a.json": {"y": 1, "x": 2}}, {"a.json": {"x": 2}})
    assert [(r.path, r.key) for r in rows] == [("a.json", "x"), ("a.json", "y"), ("b.json", "z")]


def test_params_keep_lists() -> None:
    rows = by_key(compare_params({"p.yaml": {"f": ["a", "b"], "c": 1}}, {"p.yaml": {"f": ["a"], "c": 1}}))
    assert rows["f"].status == "changed" and rows["f"].head == ["a"]
    assert rows["c"].status == "unchanged"


def test_problems_merge_sides() -> None:
    problems = merge_problems({"a": "bad", "b": "gone"}, {"a": "bad", "c": "broken"})
    assert [(p.source, p.side) for p in problems] == [("a", "both"), ("b", "base"), ("c", "head")]


numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**6, 10**6)


@given(numbers, numbers)
def test_status_and_change_agree(a: float, b: float) -> None:
    row = compare_metrics({"m": {"k": a}}, {"m": {"k": b}})[0]
    assert (row.status == "unchanged") == same_value(a, b)
    if row.change is not None:
        assert math.isfinite(a) and math.isfinite(b)
        assert math.isclose(row.change, b - a, rel_tol=1e-9, abs_tol=1e-9) or row.status == "unchanged"


@given(numbers)
def test_a_value_is_the_same_as_itself(a: float) -> None:
    assert same_value(a, a)

