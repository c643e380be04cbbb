"""The drift monitor's markdown: the tracking issue of a dataset, its closing note, the job summary.

Pure: every function takes the drift object of one (reference, current) pair as report.json holds
it (``Report.drift``: dataset_drift, drifted_share, threshold_share, columns) and returns text.
Column names, paths and reasons come from data files and mlci.yaml: they are escaped as every
user string is (:mod:`mlci.render.escape`), so no name can close a table, link a user or hide text.

The issue's body starts with its hidden marker, which names the dataset (``marker``): that is how
the next run finds the issue. A second hidden line records when the last retraining was
dispatched (``retrain_marker``), read back by ``dispatched_at`` for the cool-down.

Layout: the verdict and its reason first, the retraining's state, failed validation, the drifted
columns' table, every column's table folded in <details>, then the run's link. Within GitHub's
65,536 characters: the tables keep the rows that fit and say how many they left out.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from mlci.render.budget import Items, Section, Table, fit
from mlci.render.escape import clean, md_code, md_escape
from mlci.render.fmt import MISSING, format_percent, format_short, plural
from mlci.report import GateResult

BODY_BUDGET = 60_000  # GitHub's limit is 65,536 characters
SUMMARY_BUDGET = 200_000
MARKER = "mlci-drift"
RETRAIN_MARKER = "mlci-drift-retrain"
_RETRAIN_LINE = re.compile(r"^<!-- mlci-drift-retrain: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) -->$", re.M)
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~/%+-]*)?")
_CLIP_NOTE = "\n\n… cut to fit GitHub's size limit; the run's report.json has every column\n"

RetrainState = Literal["dispatched", "cooling-down", "not-needed", "not-configured", "failed", "local",
                       "pull-request-opened", "pull-request-updated", "pull-request-unchanged", "pull-request-current"]
PULL_MARKER = "<!-- mlci-drift-update -->"


@dataclass(frozen=True)
class Retrain:
    """What the monitor did about retraining for a dataset, in this run.

    ``share``: the drifted share that retrains (None: when the dataset drifts). ``at``: when the
    retraining was dispatched (this run's, else the last one known); ``until``: the end of the
    cool-down (state cooling-down)."""

    state: RetrainState
    share: float | None = None
    workflow: str | None = None
    ref: str | None = None
    at: datetime | None = None
    until: datetime | None = None
    reason: str = ""
    mode: Literal["dispatch", "pull-request"] = "dispatch"
    files: tuple[str, ...] = ()  # pull-request mode: the .dvc files the PR updates
    pull_number: int = 0  # pull-request mode: the PR, once there is one
    pull_url: str = ""


def marker(dataset: str) -> str:
    """The hidden first line of a dataset's issue; the path percent-encoded, so that no name can end
    the HTML comment (``-->``) or hold a line break."""
    return f"<!-- {MARKER}: {urllib.parse.quote(dataset, safe='/@')} -->"


def retrain_marker(when: datetime) -> str:
    return f"<!-- {RETRAIN_MARKER}: {_utc(when).strftime('%Y-%m-%dT%H:%M:%SZ')} -->"


def dispatched_at(body: str | None) -> datetime | None:
    """When the issue says the last retraining was dispatched (the latest, should it say several)."""
    found = []
    for text in _RETRAIN_LINE.findall(body or ""):
        try:
            found.append(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc))
        except ValueError:  # a person edited it into no date: as if absent
            continue
    return max(found, default=None)


def dataset_key(pairs: Sequence[Mapping[str, Any]], index: int) -> str:
    """What names pair ``index``'s dataset: its current data, or, when two pairs watch the same
    data, that data against its reference."""
    pair = pairs[index]
    current = str(pair["current"])
    if sum(str(p["current"]) == current for p in pairs) > 1:
        return f"{current} against {pair['reference']}"
    return current


def title(pair: Mapping[str, Any]) -> str:
    """The issue's title (plain text): the same on every run, so an edit notifies no one."""
    return clean(f"mlci: data drift in {pair['current']}", 250)


def drifting_columns(pair: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in pair["columns"] if c.get("drifted")]


def tested_columns(pair: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in pair["columns"] if c.get("method") is not None]


def reason(pair: Mapping[str, Any], *, markdown: bool = True) -> str:
    """``4 of 10 tested columns drifted (40%; dataset drift at 50%), against `data/train.csv```
    (``markdown=False``: plain text for a terminal, the path cleaned)."""
    tested, drifted = len(tested_columns(pair)), len(drifting_columns(pair))
    share = f"{format_percent(pair['drifted_share'])}; dataset drift at {format_percent(pair['threshold_share'])}"
    against = md_code(str(pair["reference"])) if markdown else clean(str(pair["reference"]))
    if not tested:
        return f"no column could be tested ({plural(len(pair['columns']), 'column')}), against {against}"
    return f"{drifted:,} of {tested:,} tested columns drifted ({share}), against {against}"


def headline(pair: Mapping[str, Any], retrain_due: bool = False) -> str:
    where = md_code(str(pair["current"]))
    if pair["dataset_drift"]:
        return f"### 🔴 Data drift in {where}"
    if retrain_due:
        return f"### 🟠 Drift in {where}: below the dataset's threshold, at the retrain share"
    return f"### 🟢 No data drift in {where}"


def retrain_line(retrain: Retrain, cooldown_hours: float) -> str:
    """The retraining's state in words (markdown)."""
    trigger = (f"the drifted share reached the retrain share {format_percent(retrain.share)}"
               if retrain.share is not None else "the dataset drifted")
    workflow = md_code(retrain.workflow or "")
    if retrain.mode == "pull-request":
        return _pull_line(retrain, trigger, cooldown_hours)
    if retrain.state == "dispatched":
        return (f"**Retraining:** started {workflow} on {md_code(retrain.ref or '')} at {format_when(retrain.at)}, "
                f"as {trigger}; the next one no sooner than {format_when(_plus(retrain.at, cooldown_hours))} "
                f"(cool-down {_hours(cooldown_hours)}).")
    if retrain.state == "cooling-down":
        return (f"**Retraining:** cooling down: {trigger}, but {workflow} was started at "
                f"{format_when(retrain.at)}; the next retraining can start after {format_when(retrain.until)} "
                f"(cool-down {_hours(cooldown_hours)}).")
    if retrain.state == "not-configured":
        return (f"**Retraining:** due ({trigger}), but no retraining workflow is set (the drift action's "
                "`retrain-workflow` input, `mlci drift publish --retrain-workflow`).")
    if retrain.state == "failed":
        return (f"**Retraining:** {trigger}, but {workflow} could not be started: "
                f"{md_escape(retrain.reason, 500)}. The next run tries again.")
    if retrain.state == "local":
        return f"**Retraining:** {trigger}: {workflow} would be started (local mode: nothing posted)."
    below = f"below the retrain share {format_percent(retrain.share)}" if retrain.share is not None else "no dataset drift"
    return f"**Retraining:** not needed ({below})."


def _pull_line(retrain: Retrain, trigger: str, cooldown_hours: float) -> str:
    """The retraining's state in pull-request mode: the PR that updates the data."""
    files = ", ".join(md_code(f) for f in retrain.files) or MISSING
    pull = pull_link(retrain.pull_number, retrain.pull_url) if retrain.pull_number else "the pull request"
    cooldown = f"cool-down {_hours(cooldown_hours)}"
    if retrain.state in ("pull-request-opened", "pull-request-updated"):
        did = "opened" if retrain.state == "pull-request-opened" else "updated"
        return (f"**Retraining:** {did} {pull}, which updates the data ({files}), at {format_when(retrain.at)}, "
                f"as {trigger}; the next update no sooner than {format_when(_plus(retrain.at, cooldown_hours))} "
                f"({cooldown}).")
    if retrain.state == "pull-request-unchanged":
        return f"**Retraining:** {trigger}; {pull} already proposes this data ({files}): nothing to update."
    if retrain.state == "pull-request-current":
        return (f"**Retraining:** {trigger}, but the default branch already holds this data ({files}): "
                "no pull request to open.")
    if retrain.state == "cooling-down":
        return (f"**Retraining:** cooling down: {trigger}, but the data's pull request was updated at "
                f"{format_when(retrain.at)}; the next update can be made after {format_when(retrain.until)} "
                f"({cooldown}).")
    if retrain.state == "failed":
        return (f"**Retraining:** {trigger}, but the pull request that updates the data ({files}) could not be "
                f"opened or updated: {md_escape(retrain.reason, 500)}. The next run tries again.")
    if retrain.state == "local":
        return (f"**Retraining:** {trigger}: a pull request would update the data ({files}) (local mode: nothing "
                "posted).")
    below = f"below the retrain share {format_percent(retrain.share)}" if retrain.share is not None else "no dataset drift"
    return f"**Retraining:** not needed ({below})."


def pull_link(number: int, url: str) -> str:
    return f"[#{number}]({url})" if _SAFE_URL.fullmatch(url) else f"#{number}"


def pull_title(reason_text: str) -> str:
    """The data's pull request's title (plain text): ``Update the data: <the drift's reason>``."""
    return clean(f"Update the data: {reason_text}", 250)


def pull_body(pairs: Sequence[Mapping[str, Any]], files: Sequence[str], issues: Sequence[tuple[int, str]], *,
              run_url: str | None, checked_at: datetime, budget: int = BODY_BUDGET) -> str:
    """The body of the pull request that updates the data: the drift of each dataset that reached its
    retrain share (``pairs``), the files it updates, the tracking issues (number, url) it answers."""
    top = [PULL_MARKER + "\n### Update the data",
           "`mlci drift --dvc-update` brought these files up to date, and the drift reached the retrain share: "
           + ", ".join(md_code(f) for f in files) + "."]
    for pair in pairs:
        top.append(f"**{md_code(str(pair['current']))}:** {reason(pair)}.")
    if issues:
        top.append("**Tracking issue:** " + ", ".join(issue_link(n, u) for n, u in issues) + ".")
    sections = [s for pair in pairs if (s := _drifted_section(pair)) is not None]
    run = f"[this run]({run_url})" if run_url and _SAFE_URL.fullmatch(run_url) else "a run"
    footer = (f"<sub>Updated by {run} at {format_when(checked_at)} · mlci's branch: the next update rebuilds it on "
              "the default branch and edits this pull request; merge it to retrain on the new data.</sub>")
    return fit(top, sections, footer, budget, clip_note=_CLIP_NOTE)


def issue_body(pair: Mapping[str, Any], dataset: str, retrain: Retrain, *, cooldown_hours: float,
               run_url: str | None, checked_at: datetime, validation: Sequence[GateResult] = (),
               retrain_due: bool = False, budget: int = BODY_BUDGET) -> str:
    """The tracking issue's body for a drifting run."""
    hidden = marker(dataset)
    if retrain.at is not None:
        hidden += "\n" + retrain_marker(retrain.at)
    top = [f"{hidden}\n{headline(pair, retrain_due)}", f"{reason(pair)}.", retrain_line(retrain, cooldown_hours)]
    failed = _validation(validation)
    sections = [s for s in (failed, _drifted_section(pair), _all_section(pair)) if s is not None]
    return fit(top, sections, _footer(run_url, checked_at), budget, clip_note=_CLIP_NOTE)


def cleared_comment(pair: Mapping[str, Any], *, run_url: str | None, checked_at: datetime) -> str:
    """The comment the issue is closed with."""
    return (f"**Drift cleared** in {md_code(str(pair['current']))}: {reason(pair)}, below the dataset's "
            f"threshold. Closing this issue; a new one opens if the drift returns.\n\n{_footer(run_url, checked_at)}\n")


@dataclass(frozen=True)
class SummaryRow:
    pair: Mapping[str, Any]
    retrain: Retrain
    issue: str  # what happened to the issue, in words (markdown)
    retrain_due: bool = False


def summary(rows: Sequence[SummaryRow], *, cooldown_hours: float, notes: Sequence[str] = ()) -> str:
    """The job summary's monitor part: each dataset's verdict, issue and retraining."""
    parts = ["## mlci drift monitor"]
    for row in rows:
        parts += [headline(row.pair, row.retrain_due), f"{reason(row.pair)}.", f"**Issue:** {row.issue}",
                  retrain_line(row.retrain, cooldown_hours)]
    parts += [f"> {md_escape(note, 1000)}" for note in notes]
    text = "\n\n".join(parts) + "\n"
    return text if len(text) <= SUMMARY_BUDGET else text[:SUMMARY_BUDGET] + _CLIP_NOTE


def issue_link(number: int, url: str) -> str:
    return f"[#{number}]({url})" if _SAFE_URL.fullmatch(url) else f"#{number}"


# -- tables --------------------------------------------------------------------------------------------


def _drifted_section(pair: Mapping[str, Any]) -> Section | None:
    drifted = drifting_columns(pair)  # in the report's order (a p-value and a distance rank differently)
    if not drifted:
        return None
    table = Table(("column", "kind", "method", "score", "threshold", "rows (reference → current)"),
                  ("left", "left", "left", "right", "right", "right"), drifted, _tested_cells)
    return Section(f"**Drifted columns** ({len(drifted):,})", table, "", _more("drifted columns"))


def _all_section(pair: Mapping[str, Any]) -> Section | None:
    columns = list(pair["columns"])
    if not columns:
        return None
    order = {True: 0, False: 1}
    ranked = sorted(columns, key=lambda c: (c.get("method") is None, order[bool(c.get("drifted"))]))
    table = Table(("column", "kind", "method", "score", "threshold", "drifted", "rows (reference → current)", "note"),
                  ("left", "left", "left", "right", "right", "center", "right", "left"), ranked, _all_cells)
    return Section(f"<details><summary>All {plural(len(columns), 'column')}</summary>", table, "</details>",
                   _more("columns"))


def _tested_cells(column: Mapping[str, Any]) -> tuple[str, ...]:
    return (md_code(str(column["column"])), column["kind"], _method(column), _number(column.get("score")),
            _number(column.get("threshold")), _rows(column))


def _all_cells(column: Mapping[str, Any]) -> tuple[str, ...]:
    drifted = "yes" if column.get("drifted") else ("no" if column.get("method") is not None else MISSING)
    return (*_tested_cells(column)[:5], drifted, _rows(column), md_escape(str(column.get("reason") or ""), 300))


def _method(column: Mapping[str, Any]) -> str:
    method = column.get("method")
    return md_code(str(method)) if method else MISSING


def _number(value: Any) -> str:
    return MISSING if value is None else format_short(float(value))


def _rows(column: Mapping[str, Any]) -> str:
    return f"{int(column.get('reference_rows') or 0):,} → {int(column.get('current_rows') or 0):,}"


def _more(what: str) -> Any:
    return lambda hidden: f"… {hidden:,} more {what} in the run's report.json"


def _validation(gates: Sequence[GateResult]) -> Section | None:
    failed = [g for g in gates if g.status == "fail"]
    if not failed:
        return None
    lines = [f"- {md_code(g.subject)}: {md_escape(g.reason, 400)}" for g in failed]
    return Section(f"**Data validation** of the current data: {plural(len(failed), 'check')} failed", Items(lines),
                   "", _more("failed checks"))


def _footer(run_url: str | None, checked_at: datetime) -> str:
    run = f"[this run]({run_url})" if run_url and _SAFE_URL.fullmatch(run_url) else "a run"
    return (f"<sub>Checked by {run} at {format_when(checked_at)} · mlci keeps this issue up to date while the drift "
            "lasts and closes it when a run finds none.</sub>")


def _utc(when: datetime) -> datetime:
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


def format_when(when: datetime | None) -> str:
    """``2026-12-02 16:00 UTC``."""
    return _utc(when).strftime("%Y-%m-%d %H:%M UTC") if when is not None else MISSING


def _plus(when: datetime | None, hours: float) -> datetime | None:
    from datetime import timedelta

    return None if when is None else when + timedelta(hours=hours)


def _hours(hours: float) -> str:
    return f"{format_short(hours)} h"
