"""What every renderer shows, decided once: row order, labels, counts, wording.

Functions here return raw (unescaped) text or take the renderer's ``code`` and
``esc`` functions, so markdown and terminal output say the same thing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mlci.render.fmt import MISSING, change_cell, format_param, format_seconds, format_value, plural
from mlci.report import MetricRow, ParamRow, Report, Repro, Revision

STAGE_RESULT = {
    "ran": "ran",
    "restored": "restored from the remote",
    "unchanged": "unchanged",
    "failed": "failed",
}
_HEX = re.compile(r"[0-9a-fA-F]{4,64}")


@dataclass(frozen=True)
class Counts:
    total: int
    changed: int
    added: int
    removed: int
    unchanged: int
    params_changed: int
    problems: int

    @classmethod
    def of(cls, report: Report) -> Counts:
        by_status = {"changed": 0, "added": 0, "removed": 0, "unchanged": 0}
        for row in report.metrics:
            by_status[row.status] += 1
        return cls(
            total=len(report.metrics),
            params_changed=len(report.changed_params),
            problems=len(report.problems),
            **by_status,
        )


def summary(report: Report) -> str:
    """What changed, in a few words: ``3 of 12 metrics changed · 2 params changed``."""
    c = Counts.of(report)
    parts = [_metrics_summary(c)]
    if c.params_changed:
        parts.append(f"{plural(c.params_changed, 'param')} changed")
    if c.problems:
        parts.append(f"⚠️ {plural(c.problems, 'problem')}")
    return " · ".join(parts)


def _metrics_summary(c: Counts) -> str:
    if c.total == 0:
        return "no metrics found"
    words = []
    if c.changed:
        words.append(f"{c.changed:,} of {plural(c.total, 'metric')} changed")
    if c.added:
        words.append(f"{c.added:,} new" if words else f"{plural(c.added, 'new metric')}")
    if c.removed:
        words.append(f"{c.removed:,} removed" if words else f"{plural(c.removed, 'metric')} removed")
    return ", ".join(words) or "no metric changed"


def ordered_changes(report: Report) -> list[MetricRow]:
    """Changed, added and removed metrics, most important first.

    Rows of a file with a problem first, then removed metrics, then changes by
    size (relative when known, else absolute; non-numeric changes first), then
    new metrics; ties by name.
    """
    troubled = {p.source for p in report.problems}

    def key(row: MetricRow) -> tuple[int, float, str, str]:
        group = 0 if row.path in troubled else {"removed": 1, "changed": 2}.get(row.status, 3)
        return (group, -_magnitude(row), row.path, row.key)

    return sorted(report.metrics_with("changed", "added", "removed"), key=key)


def _magnitude(row: MetricRow) -> float:
    size = row.relative_change if row.relative_change is not None else row.change
    if size is None or math.isnan(size):
        return math.inf if row.status == "changed" else 0.0
    return abs(size)


def many_files(rows: Sequence[MetricRow] | Sequence[ParamRow]) -> bool:
    first = rows[0].path if rows else ""
    return any(row.path != first for row in rows)


def label(row: MetricRow | ParamRow, with_path: bool) -> str:
    return f"{row.path}: {row.key}" if with_path else row.key


def head_name(report: Report) -> str:
    """The head column's title: "PR" on a pull request, else "head"."""
    ctx = report.context
    return "PR" if ctx.pr_number is not None or ctx.event.startswith("pull_request") else "head"


def metric_cells(row: MetricRow, with_path: bool, esc: Callable[[str], str]) -> tuple[str, str, str, str]:
    """metric, base, head, change: "—" for a missing side, "new"/"removed" as the change."""
    base = MISSING if row.status == "added" else format_value(row.base, esc)
    head = MISSING if row.status == "removed" else format_value(row.head, esc)
    if row.status in ("added", "removed"):
        change = "new" if row.status == "added" else "removed"
    else:
        change = change_cell(row.change, row.relative_change)
    return (esc(label(row, with_path)), base, head, change)


def param_cells(row: ParamRow, with_path: bool, esc: Callable[[str], str]) -> tuple[str, str, str]:
    base = MISSING if row.status == "added" else format_param(row.base, esc)
    head = MISSING if row.status == "removed" else format_param(row.head, esc)
    return (esc(label(row, with_path)), base, head)


def unchanged_cells(row: MetricRow, with_path: bool, esc: Callable[[str], str]) -> tuple[str, str]:
    return (esc(label(row, with_path)), format_value(row.head, esc))


def describe_revisions(report: Report, code: Callable[[str], str], esc: Callable[[str], str]) -> str:
    """``4f1c2a9 (feature) against main at 9e0b7d3 · <base reason>``, each name through ``code``."""
    ctx = report.context
    text = f"{_head(ctx.head, code)} against {_base(ctx.base, code)}"
    if ctx.base_reason:
        text += f" · {esc(ctx.base_reason)}"
    return text


def _short(sha: str | None, code: Callable[[str], str]) -> str | None:
    if not sha:
        return None
    return code(sha[:7] if _HEX.fullmatch(sha) else sha)


def _names_sha(rev: Revision) -> bool:
    """The rev is the commit's SHA (or a prefix of it): no need to show both."""
    if not rev.sha or _HEX.fullmatch(rev.rev) is None:
        return False
    return rev.sha.lower().startswith(rev.rev.lower())


def _head(rev: Revision, code: Callable[[str], str]) -> str:
    sha = _short(rev.sha, code)
    if rev.workspace:
        return f"workspace on {sha}" if sha else "workspace"
    if sha is None:
        return code(rev.rev)
    return sha if _names_sha(rev) or not rev.rev else f"{sha} ({code(rev.rev)})"


def _base(rev: Revision, code: Callable[[str], str]) -> str:
    if rev.workspace:
        return _head(rev, code)
    sha = _short(rev.sha, code)
    if sha is None:
        return code(rev.rev)
    return sha if _names_sha(rev) or not rev.rev else f"{code(rev.rev)} at {sha}"


def stage_summary(repro: Repro) -> str:
    """``3 stages, 1 ran, 2 restored from the remote, 0 unchanged`` (and failures)."""
    counts = {state: 0 for state in STAGE_RESULT}
    for stage in repro.stages:
        counts[stage.state] += 1
    text = (
        f"{plural(len(repro.stages), 'stage')}, {counts['ran']:,} ran, "
        f"{counts['restored']:,} restored from the remote, {counts['unchanged']:,} unchanged"
    )
    if counts["failed"]:
        text += f", {counts['failed']:,} failed"
    return text


def repro_note(repro: Repro) -> str:
    """``total 45.2 s · run-cache pulled · pushed``: how the pipeline ran, in one line."""
    parts = [f"total {format_seconds(repro.seconds)}"]
    if repro.pulled:
        parts.append("pulled from the remote")
    if repro.pushed:
        parts.append("pushed to the remote")
    return " · ".join(parts)
