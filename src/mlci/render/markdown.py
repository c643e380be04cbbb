"""The PR comment: GitHub markdown, most important first, never over the budget.

Layout: a hidden marker (to find and edit the comment), the headline, the
revisions, problems, the table of changed metrics, then folded details
(params, pipeline, unchanged metrics) and a footer.

The budget is counted in UTF-8 bytes, which is never less than the character
count GitHub limits. When everything does not fit, each section keeps the rows
that fit, in priority order, and says how many it left out: the fitting is
:mod:`mlci.render.budget`'s, the sections and their wording are here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import tabulate as _tabulate

from mlci.render import plots as plot_view
from mlci.render import view
from mlci.render.budget import Items, Section, Table, fit
from mlci.render.escape import md_code, md_escape, show_controls
from mlci.render.fmt import format_seconds, plural
from mlci.report import ForkChanges, GateResult, MetricRow, ParamRow, Problem, Report, Repro, StageRun

DEFAULT_BUDGET = 60_000
_DETAIL_ROWS = 20
ARTIFACT = "mlci-report"
MARKER = "mlci:report"

_ATTR_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/-]")
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~/%+-]*)?")
_SIDE = {"base": "base", "head": "head", "both": "base and head"}
_CLIP_NOTE = "\n\n… cut to fit the comment size limit\n"


def render_markdown(report: Report, *, budget: int = DEFAULT_BUDGET, fork: ForkChanges | None = None,
                    pictures: plot_view.Pictures | None = None) -> str:
    """The comment body for ``report``, at most ``budget`` characters (and UTF-8 bytes).

    ``fork``: what a fork's PR changes (from GitHub), named under the headline. ``pictures``:
    where the plots' images were hosted (None: nowhere yet, or Mermaid if the policy says so)."""
    revisions = view.describe_revisions(report, md_code, md_escape)
    if policy := view.policy_line(report, md_code):
        revisions += f" · {policy}"
    top = [f"{marker(report)}\n{headline(report)}", revisions]
    if fork is not None:
        top.append(f"> {view.fork_notice(fork, md_code)}")
    return fit(top, _sections(report, pictures), footer(report), budget, clip_note=_CLIP_NOTE)


# -- fixed parts ------------------------------------------------------------------


def marker(report: Report) -> str:
    """The hidden line that identifies this comment, safe inside an HTML comment."""
    workflow = _attr(report.context.workflow or "local")
    return f'<!-- {MARKER} workflow="{workflow}" project="{_attr(report.project)}" -->'


def headline(report: Report) -> str:
    """``### ❌ mlci · churn: 2 of 7 gates failed``; without a policy, what changed (📊)."""
    if report.verdict is None:
        return f"### 📊 mlci · {md_escape(report.project)}: {view.summary(report)}"
    icon = "✅" if report.verdict == "pass" else "❌"
    return f"### {icon} mlci · {md_escape(report.project)}: {view.verdict_summary(report)}"


def footer(report: Report) -> str:
    ctx = report.context
    parts = [f"mlci {md_escape(report.mlci_version)}"]
    url = ctx.run_url
    if url and _SAFE_URL.fullmatch(url):
        parts.append(f"[workflow run {md_escape(ctx.run_id or '')}]({url})")
    if ctx.event == "local":
        parts.append("local run")
    else:
        parts.append(f"full report in the run's artifact `{ARTIFACT}`")
    return f"<sub>{' · '.join(parts)}</sub>"


def _attr(text: str) -> str:
    return _ATTR_UNSAFE.sub("-", text)[:100]


# -- sections -----------------------------------------------------------------------


def _sections(report: Report, pictures: plot_view.Pictures | None) -> list[Section]:
    """The comment's sections, in view.SECTIONS order, those with nothing to show left out; the
    plots with ``pictures`` when given (else as the policy says, before anything is hosted)."""
    makers = _SECTIONS if pictures is None else {**_SECTIONS, "plots": lambda r: _plots(r, pictures)}
    found = (makers[name](report) for name in view.SECTIONS)
    return [section for section in found if section is not None]


def _where(report: Report) -> str:
    """Where the bundle is, after "the bundle's report.json"."""
    return "" if report.context.event == "local" else f" (artifact `{ARTIFACT}`)"


def _rows_note(report: Report) -> Callable[[int], str]:
    return _note("rows", f"the full table is in the bundle's report.json{_where(report)}")


def _problems(report: Report) -> Section | None:
    if not report.problems:
        return None
    problems = Items([_problem_line(p) for p in report.problems])
    return Section("**Problems**", problems, "", _note("problems", f"all are in the bundle's report.json{_where(report)}"))


def _failures(report: Report) -> Section | None:
    if not (failures := view.failure_lines(report, view.policy_file(report))):
        return None
    why = Items([f"- {md_escape(reason, 400)} ({md_escape(place)})" for reason, place in failures])
    return Section("**Why it failed**", why, "", _note("failures", f"all are in the bundle's report.json{_where(report)}"))


def _metrics(report: Report) -> Section | None:
    if skipped := view.metrics_not_compared(report):
        return Section("", Items([md_escape(skipped)]), "", lambda n: "")
    if changes := view.gated_first(report):
        return Section("", _metrics_table(report, changes), "", _rows_note(report))
    return None


def _checks(report: Report) -> Section | None:
    if not (checks := view.check_gates(report)):
        return None
    return _checks_section(checks, _rows_note(report))


def _drift(report: Report) -> Section | None:
    """mlci drift's columns: method, score, threshold, verdict and rows on both sides, drifted first."""
    if not report.drift:
        return None
    rows = view.drift_rows(report)
    several = len(report.drift) > 1
    headers = (("data",) if several else ()) + view.DRIFT_HEADERS
    align = (("left",) if several else ()) + view.DRIFT_ALIGN

    def cells(row: tuple[str, dict[str, object]]) -> tuple[str, ...]:
        pair, column = row
        return ((md_escape(pair),) if several else ()) + view.drift_cells(column, md_escape, drifted="❌ drifted")

    opener = f"<details open><summary>Drift: {md_escape(view.drift_summary(report), 600)}</summary>"
    return Section(opener, Table(headers, align, rows, cells), "</details>", _rows_note(report))


def _params(report: Report) -> Section | None:
    if not (params := report.changed_params):
        return None
    summary = f"Params: {len(params):,} changed"
    return Section(_open(summary), _params_table(report, params), "</details>", _rows_note(report))


def _pipeline(report: Report) -> Section | None:
    if (repro := report.repro) is None:
        return None
    summary = f"Pipeline: {view.stage_summary(repro)}"
    after = f"{md_escape(view.repro_note(repro))}\n\n</details>"
    return Section(_open(summary), _stages_table(repro), after, _rows_note(report))


def _unchanged(report: Report) -> Section | None:
    if not (unchanged := view.unchanged_metrics(report)):
        return None
    summary = f"Unchanged: {plural(len(unchanged), 'metric')}"
    return Section(_open(summary), _unchanged_table(report, unchanged), "</details>", _rows_note(report))


def _plots(report: Report, pictures: plot_view.Pictures) -> Section | None:
    if not report.plots:
        return None
    blocks = plot_view.markdown_blocks(report, pictures, _where(report))
    return Section(_open(plot_view.summary(report)), Items([f"{block}\n" for block in blocks]), "</details>",
                   _note("plots", f"every image is in the bundle's plots/ folder{_where(report)}"))


def _open(summary: str) -> str:
    return f"<details><summary>{summary}</summary>"


def _note(what: str, where: str) -> Callable[[int], str]:
    return lambda hidden: f"… {hidden:,} more {what} not shown: {where}"


def _problem_line(problem: Problem) -> str:
    side = _SIDE.get(problem.side, md_escape(problem.side))
    return f"- ⚠️ {md_code(problem.source)} ({side}): {md_escape(problem.message, 300)}"


def _metrics_table(report: Report, rows: list[MetricRow]) -> Table[MetricRow]:
    with_path = view.many_files(report.metrics)
    headers = ("metric", "base", view.head_name(report), "change")
    align = ("left", "right", "right", "right")
    if not report.gates:
        return Table(headers, align, rows, lambda r: view.metric_cells(r, with_path, md_escape))
    gates = view.metric_gates(report)

    def cells(row: MetricRow) -> tuple[str, ...]:
        found = gates.get((row.path, row.key))
        icon = view.gate_icon(view.worst(found)) if found else ""
        rule = md_escape(view.gate_rule_cell(found), 300) if found else ""
        return (icon, *view.metric_cells(row, with_path, md_escape, view.gate_direction(found)), rule)

    return Table(("", *headers, "gate"), ("center", *align, "left"), rows, cells)


def _checks_section(checks: list[GateResult], rows_note: Callable[[int], str]) -> Section:
    failed = sum(g.status == "fail" for g in checks)
    passed = sum(g.status == "pass" for g in checks)
    others = len(checks) - failed - passed
    words = [f"{failed:,} failed" if failed else "", f"{passed:,} passed" if passed else "", f"{others:,} other" if others else ""]
    summary = f"Checks: {', '.join(w for w in words if w)}"
    opener = f"<details open><summary>{summary}</summary>" if failed or others else _open(summary)

    def cells(gate: GateResult) -> tuple[str, ...]:
        return (view.gate_icon(gate), md_escape(view.check_name(gate)), md_escape(gate.reason, 400))

    table = Table(("", "check", "result"), ("center", "left", "left"), checks, cells)
    details = [_gate_detail(g) for g in checks if g.table is not None and g.status != "pass"]
    after = "\n\n".join(d for d in details if d)
    return Section(opener, table, f"{after}\n\n</details>" if after else "</details>", rows_note)


def _gate_detail(gate: GateResult) -> str:
    """The detail table of a check that did not pass (failing columns, groups), capped."""
    assert gate.table is not None
    rows = [tuple(_cell(v) for v in row) for row in gate.table.rows[:_DETAIL_ROWS]]
    if not rows:
        return ""
    headers = [md_escape(h) for h in gate.table.headers]
    table = _tabulate.tabulate(rows, headers=headers, tablefmt="pipe", disable_numparse=True)
    more = len(gate.table.rows) - len(rows)
    note = f"\n\n… {more:,} more rows in the bundle's report.json" if more > 0 else ""
    return f"**{md_escape(view.check_name(gate))}**\n\n{table}{note}"


def _cell(value: object) -> str:
    """A detail cell; None (an undefined rate) shows as a dash."""
    from mlci.render.fmt import MISSING, format_value

    return MISSING if value is None else format_value(value, md_escape)


def _policy(report: Report) -> Section | None:
    info = report.policy
    if info is None or not info.changed:
        return None
    diff = show_controls(info.diff.rstrip())  # the PR's bytes: hidden characters shown, not obeyed
    fence = "`" * max(3, _longest_backtick_run(diff) + 1)
    body = f"{md_escape(info.note, 600)}"
    if diff:
        body += f"\n\n{fence}diff\n{diff}\n{fence}"
    return Section(_open(f"Policy: this change edits {md_code(info.file)}"), Items([body]), "</details>", lambda n: "")


def _longest_backtick_run(text: str) -> int:
    runs = re.findall(r"`+", text)
    return max((len(r) for r in runs), default=0)


def _params_table(report: Report, rows: list[ParamRow]) -> Table[ParamRow]:
    with_path = view.many_files(report.params)
    headers = ("param", "base", view.head_name(report))
    return Table(headers, ("left", "right", "right"), rows, lambda r: view.param_cells(r, with_path, md_escape))


def _stages_table(repro: Repro) -> Table[StageRun]:
    def cells(stage: StageRun) -> tuple[str, ...]:
        result = view.STAGE_RESULT.get(stage.state, md_escape(stage.state))
        mark = "❌ " if stage.state == "failed" else ""
        return (md_escape(stage.name), mark + result, format_seconds(stage.seconds))

    return Table(("stage", "result", "time"), ("left", "left", "right"), repro.stages, cells)


def _unchanged_table(report: Report, rows: list[MetricRow]) -> Table[MetricRow]:
    with_path = view.many_files(report.metrics)
    return Table(("metric", "value"), ("left", "right"), rows, lambda r: view.unchanged_cells(r, with_path, md_escape))


# What each of view.SECTIONS is in the comment: its section, or None when it has nothing to show.
_SECTIONS: dict[str, Callable[[Report], Section | None]] = {
    "problems": _problems,
    "failures": _failures,
    "metrics": _metrics,
    "checks": _checks,
    "drift": _drift,
    "params": _params,
    "pipeline": _pipeline,
    "policy": _policy,
    "plots": lambda report: _plots(report, plot_view.default_pictures(report)),
    "unchanged": _unchanged,
}
