"""The data check's judgement (pure): the one GateResult of a file's
:class:`~mlci.checks.data.spec.Validation`, as measured (see :mod:`mlci.checks.data.measure`
for the rules): it fails when any (column, check) failed, with a table of one row per failure.
"""

from __future__ import annotations

from mlci.checks.data.spec import COLUMN_LEVEL, TABLE_SUBJECT, DataSpec, Failure, Validation
from mlci.evidence import Evidence
from mlci.render.fmt import listing, plural
from mlci.report import GateResult, Table

MAX_REASON_ITEMS = 4
HEADERS = ("column", "check", "failures", "examples")


def judge(spec: DataSpec, measured: Validation, evidence: Evidence) -> list[GateResult]:
    """The file's validation as a gate."""
    failures = measured.failures
    table = Table(HEADERS, tuple((f.column, f.check, f.failures, f.examples) for f in failures))
    return [GateResult(
        kind="data",
        subject=spec.path,
        status="fail" if failures else "pass",
        reason=_reason(failures, measured.rows, measured.columns),
        rule=spec.rule,
        informational=spec.informational,
        line=spec.line,
        table=table if failures else None,
        facts=(("rows", measured.rows), ("columns", measured.columns),
               ("violations", sum(f.failures for f in failures))),
    )]


def _reason(failures: tuple[Failure, ...], rows: int, columns: int) -> str:
    """One line: ``2 checks failed in 1 column: age (...)`` or ``7,043 rows, 12 columns, no violations``."""
    if not failures:
        return f"{plural(rows, 'row')}, {plural(columns, 'column')}, no violations"
    failing_columns = {f.column for f in failures if f.column != TABLE_SUBJECT}
    head = f"{plural(len(failures), 'check')} failed"
    if failing_columns:
        head += f" in {plural(len(failing_columns), 'column')}"
    return f"{head}: {listing([_summary(f) for f in failures], MAX_REASON_ITEMS, more='{} more')}"


def _summary(failure: Failure) -> str:
    """``age (in_range 0..120: 2 rows)``, ``id (required: column missing)``, ``min_rows 5 (3 rows)``."""
    if failure.column == TABLE_SUBJECT:
        return f"{failure.check} ({failure.examples})"
    if failure.check in COLUMN_LEVEL:
        return f"{failure.column} ({failure.check}: {failure.examples})"
    return f"{failure.column} ({failure.check}: {plural(failure.failures, 'row')})"
