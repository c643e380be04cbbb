"""The report for a terminal: the same information as the comment, in plain tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click
from tabulate import tabulate

from mlci.render import view
from mlci.render.escape import show_controls, term_clean
from mlci.render.fmt import format_seconds, plural
from mlci.report import GateResult, MetricRow, Report

LIST_UNCHANGED_UP_TO = 20


def render_text(report: Report, *, color: bool = False) -> str:
    """Plain text; ANSI colour (headline bold, problems red and yellow) only when ``color``."""
    paint = _Painter(color)
    blocks = [_header(report, paint)]
    for name in view.SECTIONS:
        if (block := _SECTIONS[name](report, paint)) is not None:
            blocks.append(block)
    blocks.append(_footer(report))
    return "\n\n".join(blocks) + "\n"


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *, fg: str | None = None, bold: bool | None = None) -> str:
        return click.style(text, fg=fg, bold=bold) if self.color else text


def _header(report: Report, paint: _Painter) -> str:
    if report.verdict is None:
        title = paint(f"mlci · {term_clean(report.project)}: {view.summary(report)}", bold=True)
    else:
        mark, colour = ("PASS", "green") if report.verdict == "pass" else ("FAIL", "red")
        title = paint(f"{mark} mlci · {term_clean(report.project)}: {view.verdict_summary(report)}", fg=colour, bold=True)
    revisions = view.describe_revisions(report, term_clean, term_clean)
    if policy := view.policy_line(report, term_clean):
        revisions += f" · {policy}"
    return f"{title}\n{revisions}"


def term_lines(text: str) -> str:
    """Lines of user text as written (the policy diff), hidden characters shown as escapes."""
    return show_controls(text.rstrip())


def _failures(report: Report, paint: _Painter) -> str | None:
    if not (failures := view.failure_lines(report, view.policy_file(report))):
        return None
    lines = [paint("Why it failed", fg="red", bold=True)]
    lines += [f"  - {term_clean(reason, 400)} ({term_clean(place)})" for reason, place in failures]
    return "\n".join(lines)


def _metrics_section(report: Report, paint: _Painter) -> str | None:
    if skipped := view.metrics_not_compared(report):
        return skipped
    if changes := view.gated_first(report):
        return _metrics(report, changes, paint)
    return None


def _checks(report: Report, paint: _Painter) -> str | None:
    if not (checks := view.check_gates(report)):
        return None
    cells = [(_status(g, paint), term_clean(view.check_name(g)), term_clean(g.reason, 400)) for g in checks]
    return f"Checks\n{_table(('', 'check', 'result'), ('left', 'left', 'left'), cells)}"


def _status(gate: GateResult, paint: _Painter) -> str:
    word = "info" if gate.informational and gate.status != "pass" else gate.status
    colour = {"pass": "green", "fail": "red", "warn": "yellow"}.get(word)
    return paint(word, fg=colour, bold=word == "fail")


def _problems(report: Report, paint: _Painter) -> str | None:
    if not report.problems:
        return None
    lines = [paint("Problems", fg="red", bold=True)]
    for problem in report.problems:
        side = "base and head" if problem.side == "both" else term_clean(problem.side)
        text = f"  ⚠ {term_clean(problem.source)} ({side}): {term_clean(problem.message, 300)}"
        lines.append(paint(text, fg="yellow"))
    return "\n".join(lines)


def _table(headers: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return str(tabulate(rows, headers=list(headers), tablefmt="simple", colalign=tuple(align), disable_numparse=True))


def _metrics(report: Report, rows: list[MetricRow], paint: _Painter | None = None) -> str:
    with_path = view.many_files(report.metrics)
    headers = ("metric", "base", view.head_name(report), "change")
    align = ("left", "right", "right", "right")
    if not report.gates:
        cells = [view.metric_cells(row, with_path, term_clean) for row in rows]
        return _table(headers, align, cells)
    paint = paint or _Painter(False)
    gates = view.metric_gates(report)
    gated_cells = []
    for row in rows:
        found = gates.get((row.path, row.key))
        status = _status(view.worst(found), paint) if found else ""
        rule = term_clean(view.gate_rule_cell(found), 300) if found else ""
        gated_cells.append((status, *view.metric_cells(row, with_path, term_clean, view.gate_direction(found)), rule))
    return _table(("", *headers, "gate"), ("left", *align, "left"), gated_cells)


def _params(report: Report, paint: _Painter) -> str | None:
    if not report.changed_params:
        return None
    with_path = view.many_files(report.params)
    cells = [view.param_cells(row, with_path, term_clean) for row in report.changed_params]
    table = _table(("param", "base", view.head_name(report)), ("left", "right", "right"), cells)
    return f"Params: {len(cells):,} changed\n{table}"


def _pipeline(report: Report, paint: _Painter) -> str | None:
    if (repro := report.repro) is None:
        return None
    cells = [
        (
            term_clean(stage.name),
            paint("failed", fg="red", bold=True)
            if stage.state == "failed"
            else view.STAGE_RESULT.get(stage.state, term_clean(stage.state)),
            format_seconds(stage.seconds),
        )
        for stage in repro.stages
    ]
    table = _table(("stage", "result", "time"), ("left", "left", "right"), cells)
    return f"Pipeline: {view.stage_summary(repro)}\n{table}\n{view.repro_note(repro)}"


def _policy(report: Report, paint: _Painter) -> str | None:
    if report.policy is None or not report.policy.changed:
        return None
    return f"Policy: {term_clean(report.policy.note, 600)}\n{term_lines(report.policy.diff)}".rstrip()


def _unchanged(report: Report, paint: _Painter) -> str | None:
    if not (rows := view.unchanged_metrics(report)):
        return None
    title = f"Unchanged: {plural(len(rows), 'metric')}"
    if len(rows) > LIST_UNCHANGED_UP_TO:
        return f"{title} (not listed: more than {LIST_UNCHANGED_UP_TO}; the json format has them all)"
    with_path = view.many_files(report.metrics)
    cells = [view.unchanged_cells(row, with_path, term_clean) for row in rows]
    return f"{title}\n{_table(('metric', 'value'), ('left', 'right'), cells)}"


def _footer(report: Report) -> str:
    ctx = report.context
    parts = [f"mlci {term_clean(report.mlci_version)}"]
    if ctx.run_url:
        parts.append(f"workflow run {term_clean(ctx.run_id or '')}: {term_clean(ctx.run_url, 500)}")
    elif ctx.event == "local":
        parts.append("local run")
    return " · ".join(parts)


# What each of view.SECTIONS is in the terminal: its block, or None when it has nothing to show.
def _plots(report: Report, paint: _Painter) -> str | None:
    from mlci.render.plots import text_lines

    return "\n".join(text_lines(report, paint)) if report.plots else None


def _drift(report: Report, paint: _Painter) -> str | None:
    """mlci drift's columns, drifted first (every column: the terminal has no size limit)."""
    if not report.drift:
        return None
    several = len(report.drift) > 1
    rows = [((term_clean(pair),) if several else ()) + view.drift_cells(column, term_clean)
            for pair, column in view.drift_rows(report)]
    headers = (("data",) if several else ()) + view.DRIFT_HEADERS
    align = (("left",) if several else ()) + view.DRIFT_ALIGN
    return f"{paint('Drift', bold=True)}: {term_clean(view.drift_summary(report), 2000)}\n" + _table(headers, align, rows)


_SECTIONS: dict[str, Callable[[Report, _Painter], str | None]] = {
    "problems": _problems,
    "failures": _failures,
    "metrics": _metrics_section,
    "checks": _checks,
    "drift": _drift,
    "params": _params,
    "pipeline": _pipeline,
    "policy": _policy,
    "plots": _plots,
    "unchanged": _unchanged,
}
