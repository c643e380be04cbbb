"""The metric gates' judgement: each rule of ``metrics:`` against the metric rows (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlci.checks.metrics.spec import MetricRule, MetricRules, suggestion
from mlci.compare import is_finite_number
from mlci.evidence import Evidence
from mlci.render.fmt import MINUS, describe, format_percent, format_short
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
        failures.append(f"{subject} {format_short(head)} < min {format_short(rule.min)}")
    if rule.max is not None and beyond(head, rule.max):
        failures.append(f"{subject} {format_short(head)} > max {format_short(rule.max)}")

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
                allowed_text = f"{format_short(allowed)} ({format_percent(rule.max_drop)} of {format_short(base)})" if rule.max_drop_relative else format_short(allowed)
                verb = "dropped" if rule.direction == "higher" else "rose"
                failures.append(f"{subject} {verb} by {format_short(drop)}; the policy allows {allowed_text}")

    if failures:
        return result("fail", "; ".join(failures))
    if missing_base_status == "warn":
        return result("warn", "; ".join(notes), informational=True)
    return result("pass", "; ".join([_pass_reason(rule, row, subject), *notes]))


def _pass_reason(rule: MetricRule, row: MetricRow, subject: str) -> str:
    head = row.head
    parts = []
    if rule.min is not None:
        parts.append(f"{format_short(head)} ≥ min {format_short(rule.min)}")
    if rule.max is not None:
        parts.append(f"{format_short(head)} ≤ max {format_short(rule.max)}")
    if rule.max_drop is not None and row.change is not None:
        parts.append(f"change {_signed(row.change)} within max drop {_max_drop(rule.max_drop, rule)}")
    return f"{subject}: " + ", ".join(parts) if parts else f"{subject} is present ({format_short(head)})"


def describe_rule(rule: MetricRule) -> str:
    """The rule in words, for the gate column: ``min 0.85, max drop 2%``."""
    worse = "drop" if rule.direction == "higher" else "rise"
    return describe(
        f"min {format_short(rule.min)}" if rule.min is not None else None,
        f"max {format_short(rule.max)}" if rule.max is not None else None,
        f"max {worse} {_max_drop(rule.max_drop, rule)}" if rule.max_drop is not None else None,
        "required" if rule.required else None,
        "lower is better" if rule.direction == "lower" else None,
        "informational" if rule.informational else None,
    )


def _max_drop(amount: float, rule: MetricRule) -> str:
    """The allowed drop as written: ``2%`` when relative, else ``0.01``."""
    return format_percent(amount) if rule.max_drop_relative else format_short(amount)


# Not fmt.format_change: a change of zero reads ``+0`` here, as in "change +0 within max drop 2%".
def _signed(x: float) -> str:
    return ("+" if x >= 0 else MINUS) + format_short(abs(x))


# The metric gates' own: a value that is not a finite number, in words (NaN, infinite) or as repr.
def _show(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "infinite"
    return repr(value)
