"""The metric gates' judgement: each rule of ``metrics:`` against the metric rows (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlci.checks.metrics.spec import MetricRule, MetricRules, suggestion
from mlci.compare import is_finite_number
from mlci.evidence import Evidence
from mlci.report import GateResult, GateStatus, MetricRow, Problem

# Comparisons allow this much float noise: a value 1e-12 past a threshold must
# not flip a verdict, while any difference a person would write down still counts.
ABS_TOL = 1e-9
REL_TOL = 1e-9


def beyond(value: float, limit: float) -> bool:
    """``value > limit`` by more than float noise."""
    return value - limit > ABS_TOL + REL_TOL * max(abs(value), abs(limit))


def judge(spec: MetricRules, measured: None, evidence: Evidence) -> list[GateResult]:
    return evaluate_metrics(spec.rules, evidence.metrics, evidence.problems)


def evaluate_metrics(rules: Sequence[MetricRule], rows: Sequence[MetricRow], problems: Sequence[Problem]) -> list[GateResult]:
    """One GateResult per (rule, matching metric). A required pattern that matches nothing
    fails; any other such pattern was refused before judging (:func:`spec.check_patterns`).

    When several rules match one metric, each gives its own row: the verdict
    needs them all to pass.
    """
    many_files = len({r.path for r in rows}) > 1
    broken_at_head = {p.source for p in problems if p.side in ("head", "both")}
    results = []
    for rule in rules:
        matched = [r for r in rows if rule.matches(r.path, r.key)]
        if not matched:
            results.append(_unmatched(rule, rows))
            continue
        for row in matched:
            subject = row.id if many_files else row.key
            results.append(_evaluate(rule, row, subject, row.path in broken_at_head))
    return results


def _unmatched(rule: MetricRule, rows: Sequence[MetricRow]) -> GateResult:
    return GateResult(kind="metric", subject=rule.pattern, status="fail", rule=describe_rule(rule),
                      reason=f"{rule.pattern} is required but no metrics file has it{suggestion(rule, rows)}",
                      informational=rule.informational, line=rule.line)


def _evaluate(rule: MetricRule, row: MetricRow, subject: str, unreadable: bool) -> GateResult:
    def result(status: GateStatus, reason: str, *, informational: bool = rule.informational) -> GateResult:
        return GateResult(kind="metric", subject=subject, status=status, reason=reason, rule=describe_rule(rule),
                          informational=informational, line=rule.line, facts=(("direction", rule.direction),))

    head, base = row.head, row.base
    if row.status == "removed" or head is None:
        if unreadable:
            return result("fail", f"{subject} could not be read at head: {row.path} did not load")
        if rule.required:
            return result("fail", f"{subject} is missing at head and the policy requires it")
        return result("skipped", f"{subject} is missing at head (not required)")
    if not is_finite_number(head):
        if rule.min is None and rule.max is None and rule.max_drop is None:
            return result("pass", f"{subject} is present ({_show(head)})")
        return result("fail", f"{subject} is {_show(head)}, not a finite number")

    failures: list[str] = []
    notes: list[str] = []
    if rule.min is not None and beyond(rule.min, head):
        failures.append(f"{subject} {_num(head)} < min {_num(rule.min)}")
    if rule.max is not None and beyond(head, rule.max):
        failures.append(f"{subject} {_num(head)} > max {_num(rule.max)}")

    missing_base_status: GateStatus | None = None
    if rule.max_drop is not None:
        if base is None or not is_finite_number(base):
            why = "no base value to compare with" if base is None else f"the base value is {_show(base)}"
            if rule.on_missing_base == "fail":
                failures.append(f"{why}; the policy fails a metric without a baseline")
            else:
                notes.append(f"{why}, so max drop is not applied")
                missing_base_status = "warn" if rule.on_missing_base == "informational" else None
        else:
            drop = (base - head) if rule.direction == "higher" else (head - base)
            allowed = rule.max_drop * abs(base) if rule.max_drop_relative else rule.max_drop
            if beyond(drop, allowed):
                allowed_text = f"{_num(allowed)} ({_pct(rule.max_drop)} of {_num(base)})" if rule.max_drop_relative else _num(allowed)
                verb = "dropped" if rule.direction == "higher" else "rose"
                failures.append(f"{subject} {verb} by {_num(drop)}; the policy allows {allowed_text}")

    if failures:
        return result("fail", "; ".join(failures))
    if missing_base_status == "warn":
        return result("warn", "; ".join(notes), informational=True)
    return result("pass", "; ".join([_pass_reason(rule, row, subject), *notes]))


def _pass_reason(rule: MetricRule, row: MetricRow, subject: str) -> str:
    head = row.head
    parts = []
    if rule.min is not None:
        parts.append(f"{_num(head)} ≥ min {_num(rule.min)}")
    if rule.max is not None:
        parts.append(f"{_num(head)} ≤ max {_num(rule.max)}")
    if rule.max_drop is not None and row.change is not None:
        parts.append(f"change {_signed(row.change)} within max drop {_pct(rule.max_drop) if rule.max_drop_relative else _num(rule.max_drop)}")
    return f"{subject}: " + ", ".join(parts) if parts else f"{subject} is present ({_num(head)})"


def describe_rule(rule: MetricRule) -> str:
    """The rule in words, for the gate column: ``min 0.85, max drop 2%``."""
    parts = []
    if rule.min is not None:
        parts.append(f"min {_num(rule.min)}")
    if rule.max is not None:
        parts.append(f"max {_num(rule.max)}")
    if rule.max_drop is not None:
        amount = _pct(rule.max_drop) if rule.max_drop_relative else _num(rule.max_drop)
        parts.append(f"max {'drop' if rule.direction == 'higher' else 'rise'} {amount}")
    if rule.required:
        parts.append("required")
    if rule.direction == "lower":
        parts.append("lower is better")
    if rule.informational:
        parts.append("informational")
    return ", ".join(parts)


def _num(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}" if abs(x) >= 1e-3 else f"{x:.3g}"


def _signed(x: float) -> str:
    return ("+" if x >= 0 else "−") + _num(abs(x))


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _show(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "infinite"
    return repr(value)
