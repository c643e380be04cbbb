"""The drift check's judgement (pure): one GateResult per pair, from its
:class:`~mlci.checks.drift.spec.DriftRecord` alone.

The verdict is worked out again from the columns under the spec that judges: each tested
column's verdict from its score and the threshold this spec gives it (its column option, else
the method's default), and the dataset's from the share of drifted columns among the tested
ones (``drifted_share >= threshold_share``, with one column tested at least). A record whose
verdicts do not follow from its scores, or that was measured with another method or threshold
than this spec sets, raises ValueError: the gate fails closed (a fork's bundle is hostile).

The gate fails on dataset drift, warns when no column could be tested, passes otherwise; its
table lists the drifted columns, then those not tested with their reason.
"""

from __future__ import annotations

from typing import Any

from mlci.checks.drift.spec import THRESHOLDS, ColumnResult, DriftRecord, DriftSpec, is_drift
from mlci.evidence import Evidence
from mlci.render.fmt import format_number, format_percent, listing, plural
from mlci.report import GateResult, Table

HEADERS = ("column", "kind", "method", "score", "threshold", "verdict", "reference rows", "current rows")
MAX_REASON_ITEMS = 4


def judge(spec: DriftSpec, measured: DriftRecord, evidence: Evidence) -> list[GateResult]:
    """The pair's drift as a gate."""
    columns = checked(spec, measured)
    tested = [c for c in columns if c.tested]
    drifted = [c for c in tested if c.drifted]
    share = len(drifted) / len(tested) if tested else 0.0
    dataset_drift = bool(tested) and share >= spec.threshold_share
    untested = [c for c in columns if not c.tested]
    rows = [_row(c, "drifted") for c in drifted] + [_row(c, f"not tested: {c.reason}") for c in untested]
    return [GateResult(
        kind="drift",
        subject=measured.current,
        status="fail" if dataset_drift else ("pass" if tested else "warn"),
        reason=_reason(tested, drifted, untested, share, spec.threshold_share),
        rule=spec.rule,
        informational=spec.informational,
        line=spec.line,
        table=Table(HEADERS, tuple(rows)) if rows else None,
        facts=(("columns", len(columns)), ("tested", len(tested)), ("drifted", len(drifted)),
               ("drifted_share", share), ("threshold_share", spec.threshold_share), ("dataset_drift", dataset_drift),
               ("reference_rows", measured.reference_rows), ("current_rows", measured.current_rows)),
    )]


def checked(spec: DriftSpec, measured: DriftRecord) -> tuple[ColumnResult, ...]:
    """The record's columns, each verdict checked against its score under this spec; ValueError when
    one does not follow, or the record is of another pair or was made under other options."""
    if measured.reference != spec.reference_label or measured.current != spec.current_label:
        raise ValueError(f"the measurement compares {measured.reference} with {measured.current}, "
                         f"not {spec.reference_label} with {spec.current_label}")
    ignored = set(spec.ignore)
    for c in measured.columns:
        if c.column in ignored:
            raise ValueError(f"column {c.column!r} is ignored by the policy, yet the measurement tested it")
        rule = spec.rule_of(c.column)
        if rule is not None and rule.kind is not None and c.kind != rule.kind and c.tested:
            raise ValueError(f"column {c.column!r} was tested as {c.kind}, the policy says {rule.kind}")
        if not c.tested:
            continue
        assert c.method is not None and c.score is not None and c.threshold is not None  # decode made sure
        if rule is not None and rule.method is not None and c.method != rule.method:
            raise ValueError(f"column {c.column!r} was tested with {c.method}, the policy says {rule.method}")
        threshold = rule.threshold if rule is not None and rule.threshold is not None else THRESHOLDS[c.method]
        if c.threshold != threshold:
            raise ValueError(f"column {c.column!r} was judged at threshold {c.threshold}, the policy's is {threshold}")
        if c.drifted != is_drift(c.method, c.score, threshold):
            raise ValueError(f"column {c.column!r}: its verdict does not follow from its score")
        if min(c.reference_rows, c.current_rows) < spec.min_rows:
            raise ValueError(f"column {c.column!r} was tested on fewer than the policy's {spec.min_rows} rows")
    return measured.columns


def summary(spec: DriftSpec, measured: DriftRecord) -> dict[str, Any]:
    """The pair as report.json's ``drift`` object (what users script against), judged as :func:`judge` does."""
    columns = checked(spec, measured)
    tested = [c for c in columns if c.tested]
    share = sum(c.drifted for c in tested) / len(tested) if tested else 0.0
    out: dict[str, Any] = {"reference": measured.reference, "current": measured.current,
                           "dataset_drift": bool(tested) and share >= spec.threshold_share, "drifted_share": share,
                           "threshold_share": spec.threshold_share,
                           "columns": [c.to_dict() for c in sorted(columns, key=_drifted_first)]}
    if spec.retrain_share is not None:
        out["retrain_share"] = spec.retrain_share
    return out


def _drifted_first(column: ColumnResult) -> int:
    return 0 if column.drifted else (1 if column.tested else 2)


def _row(c: ColumnResult, verdict: str) -> tuple[Any, ...]:
    return (c.column, c.kind, c.method or "", c.score if c.score is not None else "",
            c.threshold if c.threshold is not None else "", verdict, c.reference_rows, c.current_rows)


def _reason(tested: list[ColumnResult], drifted: list[ColumnResult], untested: list[ColumnResult],
            share: float, threshold_share: float) -> str:
    """``4 of 10 columns drifted (40%; dataset drift at 50%): age, tenure, plan, fee; 1 not tested``."""
    if not tested:
        why = listing([f"{c.column} ({c.reason})" for c in untested], MAX_REASON_ITEMS, more="{:,} more")
        return f"no column could be tested: {why}" if untested else "no columns to test"
    head = (f"{len(drifted)} of {plural(len(tested), 'column')} drifted "
            f"({format_percent(round(share, 3))}; dataset drift at {format_percent(threshold_share)})")
    if drifted:
        head += ": " + listing([f"{c.column} ({c.method} {format_number(c.score or 0.0)})" for c in drifted],
                               MAX_REASON_ITEMS, more="{:,} more")
    if untested:
        head += f"; {len(untested)} not tested"
    return head
