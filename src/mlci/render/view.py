"""What every renderer shows, decided once: row order, labels, counts, wording.

Functions here return raw (unescaped) text or take the renderer's ``code`` and
``esc`` functions, so markdown and terminal output say the same thing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mlci.render.fmt import MISSING, change_cell, format_number, format_param, format_percent, format_seconds, format_value, plural
from mlci.render.fmt import stage_summary as stage_summary  # shown beside repro_note
from mlci.report import ForkChanges, GateResult, MetricRow, ParamRow, Report, Repro, Revision

STAGE_RESULT = {
    "ran": "ran",
    "restored": "restored from the remote",
    "unchanged": "unchanged",
    "failed": "failed",
}
_HEX = re.compile(r"[0-9a-fA-F]{4,64}")

# The report's sections, in the order every renderer shows them, between its header and its
# footer: problems, why it failed, the metrics (or why they were not compared), the checks,
# the columns of each drift (mlci drift),
# changed params, the pipeline, a change to the policy, the unchanged metrics. Each renderer
# maps every name to what it writes there, and leaves a section out when it has nothing.
SECTIONS = ("problems", "failures", "metrics", "checks", "drift", "params", "pipeline", "policy", "plots", "unchanged")


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


def metric_cells(
    row: MetricRow, with_path: bool, esc: Callable[[str], str], direction: str | None = None
) -> tuple[str, str, str, str]:
    """metric, base, head, change: "—" for a missing side, "new"/"removed" as the change;
    with a ``direction`` from the policy the change says better or worse."""
    base = MISSING if row.status == "added" else format_value(row.base, esc)
    head = MISSING if row.status == "removed" else format_value(row.head, esc)
    if row.status in ("added", "removed"):
        change = "new" if row.status == "added" else "removed"
    else:
        change = change_cell(row.change, row.relative_change, direction)
    return (esc(label(row, with_path)), base, head, change)


def param_cells(row: ParamRow, with_path: bool, esc: Callable[[str], str]) -> tuple[str, str, str]:
    base = MISSING if row.status == "added" else format_param(row.base, esc)
    head = MISSING if row.status == "removed" else format_param(row.head, esc)
    return (esc(label(row, with_path)), base, head)


def unchanged_cells(row: MetricRow, with_path: bool, esc: Callable[[str], str]) -> tuple[str, str]:
    return (esc(label(row, with_path)), format_value(row.head, esc))


WORKFLOW_DIRS = (".github/workflows/", ".github/actions/")
PIPELINE_NAMES = ("dvc.yaml", "dvc.lock", "params.yaml", "params.json", "params.toml", "mlci.yaml")
CODE_SUFFIXES = (".py", ".ipynb", ".sh", ".r", ".jl", ".js", ".ts", ".c", ".cc", ".cpp", ".go", ".rs", ".java", ".scala")
CODE_NAMES = ("requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "uv.lock", "poetry.lock", "Pipfile.lock",
              "environment.yml", "Dockerfile", "Makefile")
MAX_NAMED = 8


def fork_notice(changes: ForkChanges, code: Callable[[str], str]) -> str:
    """For a fork's PR: its numbers come from its own code, so say what it changes that decides
    them (workflows, the pipeline, code), for reviewers to read first."""
    def kind(path: str) -> str | None:
        name = path.rsplit("/", 1)[-1]
        if path.startswith(WORKFLOW_DIRS):
            return "workflows"
        if name in PIPELINE_NAMES or name.endswith(".dvc"):
            return "the pipeline"
        if name.lower().endswith(CODE_SUFFIXES) or name in CODE_NAMES or name.startswith("requirements"):
            return "code"
        return None

    groups: dict[str, list[str]] = {}
    for path in changes.files:
        if (found := kind(path)) is not None:
            groups.setdefault(found, []).append(path)
    head = ("⚠️ A pull request from a fork: these numbers come from its own code, run by its own workflow; "
            "this repository's publish job judged them again with its own policy")
    if not groups:
        rest = "" if changes.complete else " (of the files GitHub lists)"
        return f"{head}. It changes no workflow, pipeline or code file{rest}."
    parts = []
    for label in ("workflows", "the pipeline", "code"):
        paths = groups.get(label, [])
        if paths:
            shown = ", ".join(code(p) for p in paths[:MAX_NAMED])
            more = f" and {len(paths) - MAX_NAMED} more" if len(paths) > MAX_NAMED else ""
            parts.append(f"{label} ({shown}{more})")
    cut = "; GitHub listed only its first files" if not changes.complete else ""
    return f"{head}. Read what it changes first: {'; '.join(parts)}{cut}."


def describe_revisions(report: Report, code: Callable[[str], str], esc: Callable[[str], str]) -> str:
    """``4f1c2a9 (feature) against main at 9e0b7d3 · <base reason>``, each name through ``code``."""
    ctx = report.context
    if report.drift:  # mlci drift: data against data, not a commit against another
        return "; ".join(f"{code(str(d['current']))} against {code(str(d['reference']))}" for d in report.drift[:3]) + (
            f"; {len(report.drift) - 3:,} more pairs" if len(report.drift) > 3 else "")
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


def repro_note(repro: Repro) -> str:
    """``total 45.2 s · run-cache pulled · pushed``: how the pipeline ran, in one line."""
    parts = [f"total {format_seconds(repro.seconds)}"]
    if repro.pulled:
        parts.append("pulled from the remote")
    if repro.pushed:
        parts.append("pushed to the remote")
    return " · ".join(parts)


# -- gates and the verdict ------------------------------------------------------------

STATUS_ICON = {"pass": "✅", "fail": "❌", "warn": "⚠️", "skipped": "⏭️"}
INFORMATIONAL_ICON = "➖"
_STATUS_RANK = {"fail": 0, "warn": 1, "skipped": 2, "pass": 3}


def gate_icon(gate: GateResult) -> str:
    """✅ ❌ ⚠️ ⏭️, and ➖ for an informational gate that did not pass."""
    if gate.informational and gate.status != "pass":
        return INFORMATIONAL_ICON
    return STATUS_ICON.get(gate.status, "?")


def worst(gates: Sequence[GateResult]) -> GateResult:
    """The gate that decides a row's icon: blocking failures first."""
    return min(gates, key=lambda g: (not g.blocking, _STATUS_RANK.get(g.status, 9), g.informational))


def verdict_summary(report: Report) -> str:
    """``all 7 gates passed`` or ``2 of 7 gates failed``, with warnings when any."""
    gates = report.gates
    blocking = sum(g.blocking for g in gates)
    warnings = sum(g.status == "warn" or (g.informational and g.status == "fail") for g in gates)
    if not gates:
        text = "no gates in the policy"
    elif any(g.kind == "pipeline" and g.blocking for g in gates):
        text = "the pipeline failed"  # where, in the reason: this line goes unescaped into titles
    elif blocking:
        text = f"{blocking:,} of {plural(len(gates), 'gate')} failed"
    else:
        text = f"all {plural(len(gates), 'gate')} passed" if len(gates) > 1 else "the gate passed"
    if warnings:
        text += f" · {plural(warnings, 'warning')}"
    return text


def metric_gates(report: Report) -> dict[tuple[str, str], list[GateResult]]:
    """Metric gates by (path, key) of the row they judge (subject is the key or path:key)."""
    by_subject: dict[str, list[GateResult]] = {}
    for gate in report.gates:
        if gate.kind == "metric":
            by_subject.setdefault(gate.subject, []).append(gate)
    out: dict[tuple[str, str], list[GateResult]] = {}
    for row in report.metrics:
        found = by_subject.get(row.id) or by_subject.get(row.key)
        if found:
            out[(row.path, row.key)] = found
    return out


def metrics_not_compared(report: Report) -> str | None:
    """Why the metric tables are left out: the pipeline stopped, so the workspace holds an
    earlier run's outputs (or none), not this change's. The rows stay in report.json."""
    if report.repro is None or report.repro.failure is None:
        return None
    return "Metrics not compared: the pipeline did not finish, so they are not this change's results."


def gated_first(report: Report) -> list[MetricRow]:
    """Rows for the main table: gated metrics (failures first), then the other changes."""
    gates = metric_gates(report)
    gated = [r for r in report.metrics if (r.path, r.key) in gates]
    gated.sort(key=lambda r: (not worst(gates[(r.path, r.key)]).blocking,
                              _STATUS_RANK.get(worst(gates[(r.path, r.key)]).status, 9), -_magnitude(r), r.path, r.key))
    seen = {(r.path, r.key) for r in gated}
    return gated + [r for r in ordered_changes(report) if (r.path, r.key) not in seen]


def gate_direction(gates: Sequence[GateResult] | None) -> str | None:
    """The better direction a metric's gates declare, if any."""
    for gate in gates or ():
        for name, value in gate.facts:
            if name == "direction":
                return str(value)
    return None


def gate_rule_cell(gates: Sequence[GateResult]) -> str:
    return "; ".join(g.rule for g in gates if g.rule)


def check_gates(report: Report) -> list[GateResult]:
    """The policy's checks beyond metrics, failures first (a failed pipeline is said under "Why it failed")."""
    others = [g for g in report.gates if g.kind not in ("metric", "pipeline")]
    return sorted(others, key=lambda g: (not g.blocking, _STATUS_RANK.get(g.status, 9)))


def check_name(gate: GateResult) -> str:
    return gate.kind if gate.kind in ("reproducible", "pipeline") else f"{gate.kind}: {gate.subject}"


def unchanged_metrics(report: Report) -> list[MetricRow]:
    """The unchanged metrics no gate shows already; none when the metrics were not compared."""
    if metrics_not_compared(report):
        return []
    gated = metric_gates(report)
    return [r for r in report.metrics_with("unchanged") if (r.path, r.key) not in gated]


def policy_file(report: Report) -> str:
    """The policy file the gates came from, as failure lines name it."""
    return report.policy.file if report.policy else "mlci.yaml"


def failure_lines(report: Report, policy_file: str) -> list[tuple[str, str]]:
    """(reason, where) for every blocking failure; where is ``mlci.yaml line 4`` when known.

    Metric reasons name their metric; other checks are prefixed with their name.
    """
    out = []
    for gate in report.gates:
        if gate.blocking:
            reason = gate.reason if gate.kind == "metric" else f"{check_name(gate)}: {gate.reason}"
            where = "dvc.yaml" if gate.kind == "pipeline" else policy_file
            out.append((reason, f"{where} line {gate.line}" if gate.line else where))
    return out


def policy_line(report: Report, code: Callable[[str], str]) -> str:
    """`` · policy from `main` `` plus a note when the change edits the policy file."""
    info = report.policy
    if info is None:
        return ""
    if report.drift:  # mlci drift: the workspace's rules, or the command line's options
        return "options from the command line" if info.file == "command line" else f"rules from {code(info.file)}"
    text = f"policy from {code(info.rev)}" if info.source == "base" else f"policy from this change ({code(info.rev)})"
    if info.changed:
        text += f" · ⚠️ this change edits {code(info.file)}"
    return text


# -- drift (mlci drift) ---------------------------------------------------------------

DRIFT_HEADERS = ("column", "kind", "method", "score", "threshold", "verdict", "reference rows", "current rows")
DRIFT_ALIGN = ("left", "left", "left", "right", "right", "left", "right", "right")


def drift_rows(report: Report) -> list[tuple[str, dict[str, Any]]]:
    """Every pair's columns, drifted first, then the others tested, then those not tested: (pair, column)."""
    order = {True: 0, False: 1}
    rows = []
    for pair in report.drift:
        columns = sorted(pair.get("columns", ()), key=lambda c: 2 if "reason" in c else order[bool(c.get("drifted"))])
        rows += [(str(pair.get("current", "")), c) for c in columns]
    return rows


def drift_cells(column: dict[str, Any], esc: Callable[[str], str], drifted: str = "drifted") -> tuple[str, ...]:
    """A column's cells: name, kind, method, score, threshold, verdict, rows on each side."""
    def number(value: Any) -> str:
        return format_number(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else MISSING

    if "reason" in column:
        verdict = f"not tested: {column['reason']}"
    else:
        verdict = drifted if column.get("drifted") else "no drift"
    return (esc(str(column.get("column", ""))), esc(str(column.get("kind", ""))), esc(str(column.get("method") or MISSING)),
            number(column.get("score")), number(column.get("threshold")), esc(verdict),
            f"{column.get('reference_rows', 0):,}", f"{column.get('current_rows', 0):,}")


def drift_summary(report: Report) -> str:
    """``Drift: 3 of 4 columns drifted in data/prod.csv (75%; dataset drift at 50%)`` for one pair; per pair for several."""
    parts = []
    for pair in report.drift:
        columns = pair.get("columns", ())
        tested = [c for c in columns if "reason" not in c]
        drifted = sum(bool(c.get("drifted")) for c in tested)
        verdict = "dataset drift" if pair.get("dataset_drift") else "no dataset drift"
        parts.append(f"{pair.get('current')}: {verdict}, {drifted} of {plural(len(tested), 'tested column')} drifted "
                     f"({format_percent(round(float(pair.get('drifted_share', 0.0)), 3))}; "
                     f"dataset drift at {format_percent(float(pair.get('threshold_share', 0.0)))})")
    return "; ".join(parts)
