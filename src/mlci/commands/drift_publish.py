"""``mlci drift publish``: a drift bundle on GitHub, as a monitor posts it.

For each monitored dataset (each pair of the bundle's ``drift``), ONE tracking issue: opened when
the dataset starts to drift, edited in place on every drifting run, closed with a comment when a
run finds no drift (:mod:`mlci.github.issues`; the markdown is :mod:`mlci.render.drift_issue`'s).
When the drifted share reaches the retrain share (``--retrain-share``, else the bundle's
``retrain_share``, else when the dataset drifts) the retraining workflow is started by
workflow_dispatch, at most once per cool-down window: the time of the last dispatch is kept in the
tracking issue (a hidden line), and when the issue was closed and the drift returns, the dataset's
last closed issue is read too. One run starts at most one retraining, whatever the number of
datasets that reached their share; the window is the repository's, not a dataset's.

With ``--retrain-mode pull-request`` the retraining is a pull request instead (same retrain share,
same cool-down, kept the same way): the workspace's ``--update-file`` .dvc files (those ``mlci drift
--dvc-update`` just brought up to date) are committed to mlci's branch (``mlci/drift-update``) on the
default branch's head, and ONE pull request from it proposes them; a later due run moves the branch
and edits that PR (:mod:`mlci.github.data_pull`). The files are read before any request, as regular
files of the repository, never through a symbolic link.

Then the job summary and the step outputs (verdict, drifted-share, issue-url, retrain,
pull-request-url). Links
come from the job's own environment, never from the bundle. Without a token or a repository
(local mode) nothing is posted and the summary says what would be.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.commands import Echo, echo, echo_err
from mlci.errors import MlciError

if TYPE_CHECKING:
    from mlci.context import RunContext
    from mlci.github.client import Connect
    from mlci.render.drift_issue import Retrain, SummaryRow
    from mlci.report import GateResult, Report

DEFAULT_BUNDLE = "mlci-drift"
DEFAULT_LABEL = "mlci-drift"
LABEL_LIMIT = 50  # GitHub's, in characters
RETRAIN_MODES = ("dispatch", "pull-request")
MAX_UPDATE_FILE_BYTES = 1024 * 1024  # the contents API's limit; a .dvc file is a few hundred bytes


@dataclass(frozen=True)
class Settings:
    bundle: str | Path = DEFAULT_BUNDLE
    token: str | None = None  # None: GITHUB_TOKEN, then GH_TOKEN; without one, local mode
    label: str = DEFAULT_LABEL
    retrain_workflow: str | None = None  # its file name (retrain.yml) or id; None: no retraining
    retrain_ref: str | None = None  # None: the repository's default branch
    retrain_share: float | None = None  # None: the bundle's retrain_share, else dataset drift
    cooldown_hours: float = 24.0
    fail_on_drift: bool = False
    retrain_mode: str = "dispatch"  # or "pull-request": a PR that updates the data (update_files)
    update_files: tuple[str, ...] = ()  # pull-request mode: the .dvc files to propose, relative to cwd
    cwd: str | Path = "."  # where update_files are
    echo: Echo = echo
    echo_err: Echo = echo_err


@dataclass
class Outcome:
    """What one run did: per dataset, its summary row; the retraining's state; the step outputs."""

    rows: list[SummaryRow] = field(default_factory=list)
    retrain: str = "not-needed"
    issue_urls: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    local: bool = False
    pull_request_url: str = ""


def run(settings: Settings) -> int:
    """0 after posting; 1 with ``fail_on_drift`` when a dataset drifted or a validation gate failed."""
    from mlci.bundle import read_bundle
    from mlci.context import RunContext

    env = os.environ
    report = read_bundle(settings.bundle)
    token = settings.token or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
    outcome = Outcome()
    try:
        monitor(report, RunContext.from_env(env), replace(settings, token=token), env=env, outcome=outcome)
    finally:  # what was done, also when GitHub refused something on the way
        for message in outcome.messages:
            settings.echo(f"mlci: {message}")
    failed = report.verdict == "fail" or any(pair["dataset_drift"] for pair in report.drift)
    return 1 if settings.fail_on_drift and failed else 0


def monitor(report: Report, ctx: RunContext, settings: Settings, *, env: Mapping[str, str],
            connect: Connect | None = None, now: datetime | None = None, outcome: Outcome | None = None) -> Outcome:
    """Post ``report`` (a drift bundle) as the monitor does; see the module's doc. ``outcome``: filled
    as the work goes (what was done before an error is there when it raises)."""
    from mlci.publish import with_trusted_links

    if not report.drift:
        raise MlciError(f"{settings.bundle}: the bundle holds no drift results (`mlci drift` writes them)")
    label, workflow = _label(settings.label), _workflow(settings.retrain_workflow)
    _numbers(settings)
    files = _update_files(settings)
    report = with_trusted_links(report, ctx)
    now = now or datetime.now(timezone.utc)
    pairs = report.drift
    due = [_retrain_due(pair, settings.retrain_share) for pair in pairs]
    drifting = [bool(pair["dataset_drift"]) or is_due for pair, (is_due, _) in zip(pairs, due)]
    outcome = outcome if outcome is not None else Outcome()
    outcome.local = not (settings.token and ctx.repository)
    if outcome.local:
        _local(report, settings, workflow, due, drifting, outcome, files)
    else:
        try:
            _post(report, ctx, settings, label, workflow, due, drifting, outcome, connect, now, files)
        except MlciError as exc:
            _finish(report, settings, env, outcome, notes=[f"GitHub: {exc}"])
            raise
    _finish(report, settings, env, outcome)
    return outcome


def _post(report: Report, ctx: RunContext, settings: Settings, label: str, workflow: str | None,
          due: list[tuple[bool, float | None]], drifting: list[bool], outcome: Outcome, connect: Connect | None,
          now: datetime, files: dict[str, bytes]) -> None:
    from mlci.github import issues
    from mlci.github.client import GitHubError, open_repository
    from mlci.github.dispatch import dispatch
    from mlci.render import drift_issue as md

    pairs = report.drift
    keys = [md.dataset_key(pairs, i) for i in range(len(pairs))]
    assert settings.token and ctx.repository
    with open_repository(settings.token, ctx.api_url, ctx.repository, connect=connect) as repo:
        found = [issues.tracking(repo, label, md.marker(key)) for key in keys]
        last = max((when for f in found for i in (*f.open, *([f.closed] if f.closed else ()))
                    if (when := md.dispatched_at(i.body)) is not None), default=None)
        retrain = _retrain_decision(pairs, due, workflow, settings, last, now, local=False, files=files)
        refused: GitHubError | None = None
        pull_text: str | None = None  # the PR's body as posted, to link a tracking issue made afterwards
        links = {i: (f.open[0].number, f.open[0].url) for i, f in enumerate(found) if f.open}
        if retrain.state == "dispatched" and retrain.mode == "pull-request":
            try:
                retrain, pull_text = _pull_request(repo, ctx, report, retrain, due, last, links, files, now,
                                                   outcome)
            except GitHubError as exc:
                refused = exc
                retrain = replace(retrain, state="failed", at=last, reason=str(exc))
                outcome.messages.append(f"retraining: the pull request that updates the data could not be opened "
                                        f"or updated: {exc}")
        elif retrain.state == "dispatched":
            assert workflow
            try:
                # A lost answer is not repeated (client.NOT_REPEATED): no second retraining.
                ref = dispatch(repo, workflow, {"reason": retrain.reason}, ref=settings.retrain_ref)
            except GitHubError as exc:  # the issue still goes out, saying so; the run fails afterwards
                refused = exc
                retrain = md.Retrain("failed", retrain.share, workflow, settings.retrain_ref, at=last, reason=str(exc))
                outcome.messages.append(f"retraining: {workflow} could not be started: {exc}")
            else:
                retrain = replace(retrain, ref=ref)
                outcome.messages.append(f"retraining: started {workflow} on {ref} ({retrain.reason})")
        elif retrain.state == "cooling-down":
            what = f"{workflow} was started" if retrain.mode == "dispatch" else "the data's pull request was updated"
            outcome.messages.append(f"retraining: cooling down until {md.format_when(retrain.until)}: {what} "
                                    f"at {md.format_when(retrain.at)}")
        elif retrain.state == "not-configured":
            outcome.messages.append("retraining: drift reached the retrain share, but no --retrain-workflow is set")
        outcome.retrain = retrain.state if any(d for d, _ in due) else "not-needed"
        for i, pair in enumerate(pairs):
            is_due, share = due[i]
            mine = retrain if is_due else md.Retrain("not-needed", share, workflow, at=retrain.at,
                                                     mode=retrain.mode)
            shown = md.reason(pair, markdown=False)
            if drifting[i]:
                body = md.issue_body(pair, keys[i], mine, cooldown_hours=settings.cooldown_hours,
                                     run_url=report.context.run_url, checked_at=now,
                                     validation=_validation_of(pairs, pair, report.gates), retrain_due=is_due)
                posted = issues.open_or_update(repo, label, md.marker(keys[i]), md.title(pair), body, found=found[i])
                outcome.messages.append(f"drift in {_plain(pair['current'])}: {shown}: issue #{posted.number} "
                                        f"{posted.action}: {posted.url}" + (f" ({posted.note})" if posted.note else ""))
                text = f"{md.issue_link(posted.number, posted.url)} {posted.action}"
            elif found[i].open:
                comment = md.cleared_comment(pair, run_url=report.context.run_url, checked_at=now)
                closed = [issues.close(repo, issue, comment) for issue in found[i].open]
                posted = closed[0]
                outcome.messages.append(f"no drift in {_plain(pair['current'])}: {shown}: issue #{posted.number} "
                                        f"closed: {posted.url}")
                text = f"{md.issue_link(posted.number, posted.url)} closed: the drift cleared"
            else:
                outcome.messages.append(f"no drift in {_plain(pair['current'])}: {shown}")
                outcome.issue_urls.append("")
                outcome.rows.append(md.SummaryRow(pair, mine, "none open (no drift)", is_due))
                continue
            outcome.issue_urls.append(posted.url)
            outcome.rows.append(md.SummaryRow(pair, mine, text, is_due))
            if is_due and posted.action == "created" and pull_text is not None and retrain.pull_number:
                links[i] = (posted.number, posted.url)  # the PR links the issue this run opened: one edit
                pull_text = _link_issues(repo, report, retrain, due, links, now, pull_text, files)
        if refused is not None:
            raise refused


def _local(report: Report, settings: Settings, workflow: str | None, due: list[tuple[bool, float | None]],
           drifting: list[bool], outcome: Outcome, files: dict[str, bytes]) -> None:
    """What would be posted, in the summary and the log; nothing is."""
    from mlci.render import drift_issue as md

    why = "no token (--token, GITHUB_TOKEN or GH_TOKEN)" if not settings.token else "no repository (GITHUB_REPOSITORY)"
    retrain = _retrain_decision(report.drift, due, workflow, settings, None, datetime.now(timezone.utc), local=True,
                                files=files)
    outcome.retrain = retrain.state if any(d for d, _ in due) else "not-needed"
    for i, pair in enumerate(report.drift):
        is_due, share = due[i]
        mine = retrain if is_due else md.Retrain("not-needed", share, workflow, mode=retrain.mode)
        text = ("would be opened or updated (local mode)" if drifting[i]
                else "would be closed, if one is open (local mode)")
        outcome.rows.append(md.SummaryRow(pair, mine, text, is_due))
        outcome.issue_urls.append("")
        outcome.messages.append(f"{'drift' if drifting[i] else 'no drift'} in {_plain(pair['current'])}: "
                                f"{md.reason(pair, markdown=False)}: the tracking issue {text}")
    if retrain.state == "local" and retrain.mode == "pull-request":
        outcome.messages.append(f"retraining: would open or update the pull request of {' '.join(files)} "
                                f"({retrain.reason}); the cool-down and the files' change are checked on GitHub")
    elif retrain.state == "local":
        outcome.messages.append(f"retraining: would start {workflow} ({retrain.reason}); the cool-down is checked "
                                "on GitHub")
    outcome.messages.append(f"local mode, {why}: nothing posted")


def _retrain_decision(pairs: Sequence[Mapping[str, Any]], due: list[tuple[bool, float | None]], workflow: str | None,
                      settings: Settings, last: datetime | None, now: datetime, *, local: bool,
                      files: Mapping[str, bytes] | None = None) -> Retrain:
    """One decision for the run: dispatch (or, in pull-request mode, update the data's PR: state
    "dispatched" until it is done) when a dataset is due, unless the last one is within the cool-down;
    ``at`` is this run's or the last one known (kept in every issue's body)."""
    from mlci.render import drift_issue as md

    mode: Any = settings.retrain_mode
    shown = tuple(files or ())
    share = next((s for (d, s) in due if d), None)
    if mode == "pull-request":
        workflow = None
    if not any(d for d, _ in due):
        return md.Retrain("not-needed", share, workflow, at=last, mode=mode, files=shown)
    if workflow is None and mode == "dispatch":
        return md.Retrain("not-configured", share, None, at=last)
    reason = _dispatch_reason(pairs, due)
    if local:
        return md.Retrain("local", share, workflow, reason=reason, mode=mode, files=shown)
    window = timedelta(hours=settings.cooldown_hours)
    if last is not None and now < last + window:
        return md.Retrain("cooling-down", share, workflow, at=last, until=last + window, reason=reason, mode=mode,
                          files=shown)
    return md.Retrain("dispatched", share, workflow, settings.retrain_ref, at=now, reason=reason, mode=mode,
                      files=shown)


def _pull_request(repo: Any, ctx: RunContext, report: Report, retrain: Retrain, due: list[tuple[bool, float | None]],
                  last: datetime | None, links: Mapping[int, tuple[int, str]], files: dict[str, bytes],
                  now: datetime, outcome: Outcome) -> tuple[Retrain, str | None]:
    """The data's PR opened or updated (or left: unchanged, or the data is the default branch's); the
    retraining as it ended, and the PR's body when one was written (to link a new tracking issue)."""
    from mlci.github.data_pull import propose
    from mlci.render import drift_issue as md

    assert ctx.repository
    pairs = [p for p, (d, _) in zip(report.drift, due) if d]
    issues = [links[i] for i, (d, _) in enumerate(due) if d and i in links]
    body = md.pull_body(pairs, list(files), issues, run_url=report.context.run_url, checked_at=now)
    made = propose(repo, ctx.repository.split("/", 1)[0], files, title=md.pull_title(retrain.reason), body=body,
                   message=f"mlci: update the data ({', '.join(files)})\n\n{retrain.reason}")
    outcome.pull_request_url = made.url
    state: Any = f"pull-request-{made.action}"
    at = retrain.at if made.action in ("opened", "updated") else last
    note = f" ({made.note})" if made.note else ""
    if made.action == "current":
        outcome.messages.append(f"retraining: the default branch already holds {' '.join(files)}: no pull request")
    elif made.action == "unchanged":
        outcome.messages.append(f"retraining: pull request #{made.number} already proposes {' '.join(files)}: "
                                f"{made.url}")
    else:
        outcome.messages.append(f"retraining: pull request #{made.number} {made.action}{note}, updating "
                                f"{' '.join(files)} ({retrain.reason}): {made.url}")
    written = body if made.action in ("opened", "updated") else None
    return replace(retrain, state=state, at=at, pull_number=made.number, pull_url=made.url), written


def _link_issues(repo: Any, report: Report, retrain: Retrain, due: list[tuple[bool, float | None]],
                 links: Mapping[int, tuple[int, str]], now: datetime, old: str, files: dict[str, bytes]) -> str:
    """The PR's body again, now that this run opened a tracking issue it should link (one edit)."""
    from mlci.github.data_pull import edit_body
    from mlci.render import drift_issue as md

    pairs = [p for p, (d, _) in zip(report.drift, due) if d]
    issues = [links[i] for i, (d, _) in enumerate(due) if d and i in links]
    body = md.pull_body(pairs, list(files), issues, run_url=report.context.run_url, checked_at=now)
    if body != old:
        edit_body(repo, retrain.pull_number, body)
    return body


def _retrain_due(pair: Mapping[str, Any], override: float | None) -> tuple[bool, float | None]:
    """Whether ``pair``'s drift reaches the retrain share (``override``, else the pair's own, else
    dataset drift), and that share (None: dataset drift). A share is reached only by a column that
    drifted: a share of 0 does not retrain data that did not move."""
    share = override if override is not None else pair.get("retrain_share")
    if share is None:
        return bool(pair["dataset_drift"]), None
    drifted = any(c.get("drifted") for c in pair["columns"])
    return drifted and float(pair["drifted_share"]) >= float(share), float(share)


def _dispatch_reason(pairs: Sequence[Mapping[str, Any]], due: list[tuple[bool, float | None]]) -> str:
    """The ``reason`` input of the retraining: each dataset that reached its share, in plain words."""
    from mlci.render.drift_issue import drifting_columns, tested_columns
    from mlci.render.escape import clean
    from mlci.render.fmt import format_percent

    parts = []
    for pair, (is_due, share) in zip(pairs, due):
        if not is_due:
            continue
        at = f"retrain share {format_percent(share)}" if share is not None else "dataset drift"
        parts.append(f"{pair['current']}: {len(drifting_columns(pair))} of {len(tested_columns(pair))} columns drifted "
                     f"({format_percent(pair['drifted_share'])}; {at})")
    return clean("data drift in " + "; ".join(parts), 1000)


def _validation_of(pairs: Sequence[Mapping[str, Any]], pair: Mapping[str, Any],
                   gates: Sequence[GateResult]) -> list[GateResult]:
    """The data validation gates of ``pair``'s current data (all of them with one pair)."""
    data = [g for g in gates if g.kind == "data"]
    if len(pairs) == 1:
        return data
    current = str(pair["current"]).split("@", 1)[0].rstrip("/")
    return [g for g in data if g.subject == current or g.subject.startswith(current + "/")]


def _finish(report: Report, settings: Settings, env: Mapping[str, str], outcome: Outcome,
            notes: Sequence[str] = ()) -> None:
    """The job summary (the monitor's part, then the bundle's report) and the step outputs."""
    from mlci.github.runner_files import write_job_summary, write_step_outputs
    from mlci.render import drift_issue as md
    from mlci.render.markdown import render_markdown

    text = md.summary(outcome.rows, cooldown_hours=settings.cooldown_hours, notes=notes)
    if write_job_summary(env, text + "\n" + render_markdown(report)) is False:
        outcome.messages.append("the job summary is full (1 MiB): not written")
    first = report.drift[0]
    write_step_outputs(env, {
        "verdict": report.verdict or "none",
        "drifted-share": f"{float(first['drifted_share']):g}",
        "issue-url": outcome.issue_urls[0] if outcome.issue_urls else "",
        "retrain": outcome.retrain,
        "pull-request-url": outcome.pull_request_url,
    })


MAX_COOLDOWN_HOURS = 24 * 366 * 10  # ten years: beyond it a window is a mistake, and timedelta's range ends


def _numbers(settings: Settings) -> None:
    import math

    share, hours = settings.retrain_share, settings.cooldown_hours
    if share is not None and not (math.isfinite(share) and 0 <= share <= 1):
        raise MlciError(f"--retrain-share {share}: a share of the tested columns, from 0 to 1")
    if not (math.isfinite(hours) and 0 <= hours <= MAX_COOLDOWN_HOURS):
        raise MlciError(f"--cooldown {hours}: hours, from 0 to {MAX_COOLDOWN_HOURS:,}")


def _update_files(settings: Settings) -> dict[str, bytes]:
    """Pull-request mode: each ``--update-file`` by its path in the repository, and its bytes; read as a
    regular file below the repository's root, no part of its path a symbolic link, at most 1 MiB. A
    mistake is one line naming the file (exit 2), before any request."""
    import stat

    from mlci import git

    mode = settings.retrain_mode
    if mode not in RETRAIN_MODES:
        raise MlciError(f"--retrain-mode {mode!r}: {' or '.join(RETRAIN_MODES)}")
    if mode != "pull-request":
        return {}
    names = list(dict.fromkeys(n for item in settings.update_files for n in item.split()))
    if not names:
        raise MlciError("--retrain-mode pull-request: no --update-file (MLCI_DVC_UPDATE) names the .dvc files "
                        "the pull request updates")
    cwd = Path(settings.cwd).resolve()
    top = git.toplevel(cwd).resolve()
    files: dict[str, bytes] = {}
    for name in names:
        where = f"--update-file {name}"
        parts = Path(name).parts
        if not name.endswith(".dvc") or Path(name).is_absolute() or ".." in parts:
            raise MlciError(f"{where}: a .dvc file, relative to the working directory, inside the repository")
        path = cwd.joinpath(*parts)
        if top != path and top not in path.parents:
            raise MlciError(f"{where}: outside the repository ({top})")
        step = cwd
        for part in parts:  # no part of it a symbolic link (the working directory is the checkout's)
            step = step / part
            if step.is_symlink():
                raise MlciError(f"{where}: {step.relative_to(cwd)} is a symbolic link; the pull request takes "
                                "regular files only")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise MlciError(f"{where}: no such file") from None
        except OSError as exc:
            raise MlciError(f"{where}: cannot be read: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise MlciError(f"{where}: not a regular file")
            if info.st_size > MAX_UPDATE_FILE_BYTES:
                raise MlciError(f"{where}: {info.st_size:,} bytes, over {MAX_UPDATE_FILE_BYTES:,} (a .dvc file is "
                                "small)")
            files[path.relative_to(top).as_posix()] = handle.read(MAX_UPDATE_FILE_BYTES + 1)
    return files


def _label(label: str) -> str:
    """The issue label as GitHub takes it, and as the listing's comma-separated ``labels`` can name it."""
    name = label.strip()
    if not name or len(name) > LABEL_LIMIT or "," in name:
        raise MlciError(f"--label {label!r}: a GitHub label of 1 to {LABEL_LIMIT} characters, without a comma")
    return name


def _workflow(workflow: str | None) -> str | None:
    """The retraining workflow as GitHub's API names it: its file name (a path under .github/workflows/
    is taken as that name) or its id."""
    if not workflow:
        return None
    name = workflow.strip().removeprefix("./").removeprefix(".github/workflows/")
    if not name or "/" in name or not (name.isdigit() or name.endswith((".yml", ".yaml"))):
        raise MlciError(f"--retrain-workflow {workflow!r}: the workflow's file name (e.g. retrain.yml, in "
                        ".github/workflows/) or its id")
    return name


def _plain(text: Any) -> str:
    from mlci.render.escape import clean

    return clean(str(text))
