"""The PR comment: GitHub markdown, most important first, never over the budget.

Layout: a hidden marker (to find and edit the comment), the headline, the
revisions, problems, the table of changed metrics, then folded details
(params, pipeline, unchanged metrics) and a footer.

The budget is counted in UTF-8 bytes, which is never less than the character
count GitHub limits. When everything does not fit, each section keeps the rows
that fit, in priority order, and says how many it left out; the cut is found in
one pass over the rows, from their measured sizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import tabulate as _tabulate

from mlci.render import view
from mlci.render.escape import md_code, md_escape
from mlci.render.fmt import format_seconds, plural
from mlci.report import GateResult, MetricRow, ParamRow, Problem, Report, Repro, StageRun

DEFAULT_BUDGET = 60_000
_DETAIL_ROWS = 20
ARTIFACT = "mlci-report"
MARKER = "mlci:report"

_ATTR_UNSAFE = re.compile(r"[^A-Za-z0-9 ._/-]")
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~/%+-]*)?")
_SIDE = {"base": "base", "head": "head", "both": "base and head"}
R = TypeVar("R")
_WCWIDTH: Any = getattr(_tabulate, "wcwidth", None)  # what tabulate measures wide characters with
_CLIP_NOTE = "\n\n… cut to fit the comment size limit\n"


def render_markdown(report: Report, *, budget: int = DEFAULT_BUDGET) -> str:
    """The comment body for ``report``, at most ``budget`` characters (and UTF-8 bytes)."""
    revisions = view.describe_revisions(report, md_code, md_escape)
    if policy := view.policy_line(report, md_code):
        revisions += f" · {policy}"
    top = [f"{marker(report)}\n{headline(report)}", revisions]
    sections = _sections(report)
    bottom = footer(report)
    text = _layout(top, sections, bottom, budget)
    over = _size(text) - budget
    if over > 0:  # only if a width estimate missed: retry once with the overshoot taken off
        text = _layout(top, sections, bottom, budget - over - 256)
    return text if _size(text) <= budget else _clip(text, budget)


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


def _sections(report: Report) -> list[_Section]:
    where = "" if report.context.event == "local" else f" (artifact `{ARTIFACT}`)"
    rows_note = _note("rows", f"the full table is in the bundle's report.json{where}")
    sections = []
    if report.problems:
        problems = _Items([_problem_line(p) for p in report.problems])
        problems_note = _note("problems", f"all are in the bundle's report.json{where}")
        sections.append(_Section("**Problems**", problems, "", problems_note))
    if failures := view.failure_lines(report, report.policy.file if report.policy else "mlci.yaml"):
        why = _Items([f"- {md_escape(reason, 400)} ({md_escape(place)})" for reason, place in failures])
        sections.append(_Section("**Why it failed**", why, "", _note("failures", f"all are in the bundle's report.json{where}")))
    if skipped := view.metrics_not_compared(report):
        sections.append(_Section("", _Items([md_escape(skipped)]), "", lambda n: ""))
    elif changes := view.gated_first(report):
        sections.append(_Section("", _metrics_table(report, changes), "", rows_note))
    if checks := view.check_gates(report):
        sections.append(_checks_section(checks, rows_note))
    if params := report.changed_params:
        summary = f"Params: {len(params):,} changed"
        sections.append(_Section(_open(summary), _params_table(report, params), "</details>", rows_note))
    if report.repro is not None:
        repro = report.repro
        summary = f"Pipeline: {view.stage_summary(repro)}"
        after = f"{md_escape(view.repro_note(repro))}\n\n</details>"
        sections.append(_Section(_open(summary), _stages_table(repro), after, rows_note))
    if report.policy is not None and report.policy.changed:
        sections.append(_policy_section(report))
    gated = view.metric_gates(report)
    if not skipped and (unchanged := [r for r in report.metrics_with("unchanged") if (r.path, r.key) not in gated]):
        summary = f"Unchanged: {plural(len(unchanged), 'metric')}"
        sections.append(_Section(_open(summary), _unchanged_table(report, unchanged), "</details>", rows_note))
    return sections


def _open(summary: str) -> str:
    return f"<details><summary>{summary}</summary>"


def _note(what: str, where: str) -> Callable[[int], str]:
    return lambda hidden: f"… {hidden:,} more {what} not shown: {where}"


def _problem_line(problem: Problem) -> str:
    side = _SIDE.get(problem.side, md_escape(problem.side))
    return f"- ⚠️ {md_code(problem.source)} ({side}): {md_escape(problem.message, 300)}"


def _metrics_table(report: Report, rows: list[MetricRow]) -> _Table[MetricRow]:
    with_path = view.many_files(report.metrics)
    headers = ("metric", "base", view.head_name(report), "change")
    align = ("left", "right", "right", "right")
    if not report.gates:
        return _Table(headers, align, rows, lambda r: view.metric_cells(r, with_path, md_escape))
    gates = view.metric_gates(report)

    def cells(row: MetricRow) -> tuple[str, ...]:
        found = gates.get((row.path, row.key))
        icon = view.gate_icon(view.worst(found)) if found else ""
        rule = md_escape(view.gate_rule_cell(found), 300) if found else ""
        return (icon, *view.metric_cells(row, with_path, md_escape, view.gate_direction(found)), rule)

    return _Table(("", *headers, "gate"), ("center", *align, "left"), rows, cells)


def _checks_section(checks: list[GateResult], rows_note: Callable[[int], str]) -> _Section:
    failed = sum(g.status == "fail" for g in checks)
    passed = sum(g.status == "pass" for g in checks)
    others = len(checks) - failed - passed
    words = [f"{failed:,} failed" if failed else "", f"{passed:,} passed" if passed else "", f"{others:,} other" if others else ""]
    summary = f"Checks: {', '.join(w for w in words if w)}"
    opener = f"<details open><summary>{summary}</summary>" if failed or others else _open(summary)

    def cells(gate: GateResult) -> tuple[str, ...]:
        return (view.gate_icon(gate), md_escape(view.check_name(gate)), md_escape(gate.reason, 400))

    table = _Table(("", "check", "result"), ("center", "left", "left"), checks, cells)
    details = [_gate_detail(g) for g in checks if g.table is not None and g.status != "pass"]
    after = "\n\n".join(d for d in details if d)
    return _Section(opener, table, f"{after}\n\n</details>" if after else "</details>", rows_note)


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


def _policy_section(report: Report) -> _Section:
    info = report.policy
    assert info is not None
    fence = "`" * max(3, _longest_backtick_run(info.diff) + 1)
    body = f"{md_escape(info.note, 600)}"
    if info.diff:
        body += f"\n\n{fence}diff\n{info.diff.rstrip()}\n{fence}"
    return _Section(_open(f"Policy: this change edits {md_code(info.file)}"), _Items([body]), "</details>", lambda n: "")


def _longest_backtick_run(text: str) -> int:
    runs = re.findall(r"`+", text)
    return max((len(r) for r in runs), default=0)


def _params_table(report: Report, rows: list[ParamRow]) -> _Table[ParamRow]:
    with_path = view.many_files(report.params)
    headers = ("param", "base", view.head_name(report))
    return _Table(headers, ("left", "right", "right"), rows, lambda r: view.param_cells(r, with_path, md_escape))


def _stages_table(repro: Repro) -> _Table[StageRun]:
    def cells(stage: StageRun) -> tuple[str, ...]:
        result = view.STAGE_RESULT.get(stage.state, md_escape(stage.state))
        mark = "❌ " if stage.state == "failed" else ""
        return (md_escape(stage.name), mark + result, format_seconds(stage.seconds))

    return _Table(("stage", "result", "time"), ("left", "left", "right"), repro.stages, cells)


def _unchanged_table(report: Report, rows: list[MetricRow]) -> _Table[MetricRow]:
    with_path = view.many_files(report.metrics)
    return _Table(("metric", "value"), ("left", "right"), rows, lambda r: view.unchanged_cells(r, with_path, md_escape))


# -- fitting into the budget -----------------------------------------------------------


class _Body(Protocol):
    def __len__(self) -> int: ...

    def sizes(self) -> Iterator[int]:
        """Size of the body with 1, 2, ... rows."""
        ...

    def render(self, shown: int) -> str: ...


@dataclass(frozen=True)
class _Items:
    """A markdown list, one line per item."""

    lines: list[str]

    def __len__(self) -> int:
        return len(self.lines)

    def sizes(self) -> Iterator[int]:
        total = -1
        for line in self.lines:
            total += _size(line) + 1
            yield total

    def render(self, shown: int) -> str:
        return "\n".join(self.lines[:shown])


class _Table(Generic[R]):
    """A tabulate "pipe" table whose size for a row count is known without rendering it.

    Rows are formatted on demand: a 10,000-row table that can show 300 formats
    about 300.
    """

    def __init__(
        self, headers: tuple[str, ...], align: tuple[str, ...], rows: Sequence[R], cells: Callable[[R], tuple[str, ...]]
    ) -> None:
        self.headers = headers
        self.align = align
        self._rows = rows
        self._cells = cells
        self._done: list[tuple[str, ...]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, index: int) -> tuple[str, ...]:
        while len(self._done) <= index:
            self._done.append(self._cells(self._rows[len(self._done)]))
        return self._done[index]

    def sizes(self) -> Iterator[int]:
        # tabulate pads every cell to its column's width (at least header + 2) with
        # one space each side and a pipe between: a line is sum(widths) + 3 * columns + 1
        # characters, plus each cell's bytes beyond its visible width.
        widths = [_width(h) + _tabulate.MIN_PADDING for h in self.headers]
        extra = sum(_size(h) - _width(h) for h in self.headers)
        frame = 3 * len(self.headers) + 1
        for count in range(1, len(self._rows) + 1):
            for j, cell in enumerate(self.row(count - 1)):
                width = _width(cell)
                if width > widths[j]:
                    widths[j] = width
                extra += _size(cell) - width
            yield (count + 2) * (sum(widths) + frame) + extra + count + 1

    def render(self, shown: int) -> str:
        rows = [self.row(i) for i in range(shown)]
        return str(
            _tabulate.tabulate(rows, headers=self.headers, tablefmt="pipe", colalign=self.align, disable_numparse=True)
        )


@dataclass(frozen=True)
class _Section:
    """Text before, a body whose rows can be cut, a note saying how many were, text after."""

    before: str
    body: _Body
    after: str
    more: Callable[[int], str]

    def size(self, shown: int, body_size: int) -> int:
        parts = [_size(self.before), body_size if shown else 0, self._note_size(shown), _size(self.after)]
        present = [p for p in parts if p]
        return sum(present) + 2 * (len(present) - 1)

    def _note_size(self, shown: int) -> int:
        hidden = len(self.body) - shown
        return _size(self.more(hidden)) if hidden else 0

    def fit(self, room: int) -> int:
        """The most rows that keep the section within ``room`` (at least 0)."""
        best = 0
        for shown, body_size in enumerate(self.body.sizes(), start=1):
            if self.size(shown, body_size) <= room:
                best = shown
            elif body_size > room:
                break
        return best

    def render(self, shown: int) -> str:
        hidden = len(self.body) - shown
        parts = [self.before, self.body.render(shown) if shown else "", self.more(hidden) if hidden else "", self.after]
        return "\n\n".join(p for p in parts if p)


def _layout(top: list[str], sections: list[_Section], bottom: str, room: int) -> str:
    """Blocks joined by blank lines; sections filled in order from what is left."""
    fixed = sum(_size(block) for block in top) + _size(bottom) + 2 * (len(top) + len(sections)) + 1
    minimal = [section.size(0, 0) for section in sections]
    left = room - fixed - sum(minimal)
    blocks = list(top)
    for section, least in zip(sections, minimal, strict=True):
        text = section.render(section.fit(least + max(left, 0)))
        left -= _size(text) - least
        blocks.append(text)
    blocks.append(bottom)
    return "\n\n".join(blocks) + "\n"


def _clip(text: str, budget: int) -> str:
    """Last resort for a budget too small for even the fixed parts."""
    room = max(budget - _size(_CLIP_NOTE), 0)
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return (cut + _CLIP_NOTE) if _size(cut + _CLIP_NOTE) <= budget else cut


def _size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _width(text: str) -> int:
    """The visible width tabulate pads to (wide characters count 2 when wcwidth is there)."""
    if text.isascii() or not _tabulate.WIDE_CHARS_MODE or _WCWIDTH is None:
        return len(text)
    return int(_WCWIDTH.wcswidth(text))
