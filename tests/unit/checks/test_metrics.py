"""Metric gates: every rule type, edge cases, and invariants (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlci.checks.metrics.judge import evaluate_metrics
from mlci.checks.metrics.spec import MetricRule, check_patterns
from mlci.config import load_policy
from mlci.errors import ConfigError
from mlci.report import MetricRow, Problem


def row(key: str, base: object, head: object, path: str = "metrics.json") -> MetricRow:
    status = "added" if base is None else "removed" if head is None else "changed"
    change = head - base if isinstance(base, float) and isinstance(head, float) else None  # type: ignore[operator]
    return MetricRow(path=path, key=key, base=base, head=head, status=status, change=change)  # type: ignore[arg-type]


def one(rule: MetricRule, r: MetricRow, problems: tuple[Problem, ...] = ()):  # type: ignore[no-untyped-def]
    [result] = evaluate_metrics([rule], [r], problems)
    return result


def test_min_and_max() -> None:
    rule = MetricRule("accuracy", min=0.92, max=0.99, line=3)
    fail = one(rule, row("accuracy", 0.9, 0.912))
    assert (fail.status, fail.reason, fail.line) == ("fail", "accuracy 0.912 < min 0.92", 3)
    assert one(rule, row("accuracy", 0.9, 0.995)).reason == "accuracy 0.995 > max 0.99"
    ok = one(rule, row("accuracy", 0.9, 0.95))
    assert ok.status == "pass" and ok.rule == "min 0.92, max 0.99"


def test_absolute_and_relative_drop() -> None:
    absolute = MetricRule("f1", max_drop=0.01)
    assert one(absolute, row("f1", 0.9, 0.869)).reason == "f1 dropped by 0.031; the policy allows 0.01"
    assert one(absolute, row("f1", 0.9, 0.895)).status == "pass"
    relative = MetricRule("f1", max_drop=0.02, max_drop_relative=True)
    assert one(relative, row("f1", 0.5, 0.491)).status == "pass"  # 1.8 % < 2 %
    failed = one(relative, row("f1", 0.5, 0.489))
    assert failed.status == "fail" and "allows 0.01 (2% of 0.5)" in failed.reason


def test_lower_is_better() -> None:
    rule = MetricRule("loss", direction="lower", max_drop=0.01)
    assert one(rule, row("loss", 0.2, 0.1)).status == "pass"  # improvement
    failed = one(rule, row("loss", 0.2, 0.25))
    assert failed.status == "fail" and failed.reason == "loss rose by 0.05; the policy allows 0.01"
    assert failed.rule == "max rise 0.01, lower is better"


def test_float_noise_does_not_flip() -> None:
    assert one(MetricRule("a", min=0.9), row("a", 0.9, 0.9 - 1e-12)).status == "pass"
    assert one(MetricRule("a", max_drop=0.01), row("a", 0.9, 0.89 - 1e-12)).status == "pass"
    assert one(MetricRule("a", min=0.9), row("a", 0.9, 0.9 - 1e-6)).status == "fail"


def test_missing_base() -> None:
    r = row("new", None, 0.5)
    assert one(MetricRule("new", max_drop=0.1), r).status == "pass"
    assert one(MetricRule("new", max_drop=0.1, on_missing_base="fail"), r).status == "fail"
    info = one(MetricRule("new", max_drop=0.1, on_missing_base="informational"), r)
    assert info.status == "warn" and info.informational and not info.blocking


def test_required_and_missing_at_head() -> None:
    r = row("acc", 0.9, None)
    assert one(MetricRule("acc", min=0.5), r).status == "skipped"
    req = one(MetricRule("acc", min=0.5, required=True), r)
    assert req.status == "fail" and "requires it" in req.reason


def test_unreadable_metrics_file_fails_closed() -> None:
    r = row("acc", 0.9, None)
    problem = Problem(source="metrics.json", side="head", message="not valid JSON")
    result = one(MetricRule("acc", min=0.5), r, (problem,))
    assert result.status == "fail" and "could not be read" in result.reason


def test_nan_and_strings_fail_thresholds() -> None:
    assert one(MetricRule("a", min=0.5), row("a", 0.9, math.nan)).reason == "a is NaN, not a finite number"
    assert one(MetricRule("a", min=0.5), row("a", 0.9, "high")).status == "fail"
    assert one(MetricRule("a", required=True), row("a", 0.9, "high")).status == "pass"


def test_informational_never_blocks() -> None:
    result = one(MetricRule("a", min=0.99, informational=True), row("a", 0.9, 0.5))
    assert result.status == "fail" and result.informational and not result.blocking


def test_wildcards_and_paths() -> None:
    rows = [row("per_class.cat.f1", 0.9, 0.9), row("per_class.dog.f1", 0.9, 0.7), row("accuracy", 0.9, 0.9, "eval.json")]
    results = evaluate_metrics([MetricRule("per_class.*.f1", min=0.8)], rows, ())
    assert [(r.subject, r.status) for r in results] == [("metrics.json:per_class.cat.f1", "pass"),
                                                         ("metrics.json:per_class.dog.f1", "fail")]
    by_path = evaluate_metrics([MetricRule("eval.json:accuracy", min=0.5)], rows, ())
    assert [r.subject for r in by_path] == ["eval.json:accuracy"]


def test_unknown_metric_is_a_configuration_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"mlci.yaml:4: metrics.f1: no metrics file has this metric \(did you mean 'f1_score'\?\)"):
        check_patterns([MetricRule("f1", min=0.5, line=4)], [row("f1_score", 0.5, 0.6)], "mlci.yaml")
    required = evaluate_metrics([MetricRule("f1", required=True)], [row("f1_score", 0.5, 0.6)], ())
    assert required[0].status == "fail"


def test_rules_from_yaml() -> None:
    policy = load_policy('metrics:\n  loss:\n    direction: lower\n    max_drop: "5%"\n')
    assert one(policy.metrics[0], row("loss", 0.2, 0.215)).status == "fail"
    assert one(policy.metrics[0], row("loss", 0.2, 0.209)).status == "pass"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
maybe = st.one_of(st.none(), finite)


@st.composite
def rules(draw: st.DrawFn) -> MetricRule:
    lo, hi = draw(maybe), draw(maybe)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return MetricRule("m", direction=draw(st.sampled_from(["higher", "lower"])), min=lo, max=hi,
                      max_drop=draw(st.one_of(st.none(), st.floats(0, 1e3))), max_drop_relative=draw(st.booleans()),
                      informational=draw(st.booleans()), on_missing_base=draw(st.sampled_from(["pass", "fail", "informational"])))


@given(rules(), maybe, st.one_of(st.none(), finite, st.just(math.nan)))
def test_informational_gate_never_fails_the_verdict(rule: MetricRule, base: float | None, head: float | None) -> None:
    from dataclasses import replace

    result = one(replace(rule, informational=True), row("m", base, head))
    assert not result.blocking


@given(rules(), finite, finite, st.floats(0, 1e3))
def test_tightening_never_turns_fail_into_pass(rule: MetricRule, base: float, head: float, tighten: float) -> None:
    from dataclasses import replace

    loose = one(rule, row("m", base, head))
    tighter = replace(
        rule,
        min=None if rule.min is None else rule.min + tighten,
        max=None if rule.max is None else rule.max - tighten,
        max_drop=None if rule.max_drop is None else max(0.0, rule.max_drop - tighten),
    )
    if tighter.min is not None and tighter.max is not None and tighter.min > tighter.max:
        return
    if loose.status == "fail":
        assert one(tighter, row("m", base, head)).status == "fail"
