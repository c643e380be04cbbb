"""Publish a bundle on GitHub: the sticky PR comment, the named check, the job summary, step outputs.

The bundle may come from an unprivileged job (a fork's PR): it is validated
against its schema when read, every string is escaped again by re-rendering
from the data (report.md is never posted as is), nothing in it is executed,
and its head SHA must match the workflow run that produced it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.context import RunContext
from mlci.errors import ConfigError, MlciError
from mlci.github.checks import (
    CheckResult,
    Conclusion,
    comment_posted_before,
    comment_ref,
    publish_check_run,
    publish_status,
)
from mlci.github.client import Connect, GitHubError, open_repository, redact
from mlci.github.comments import CommentMode, CommentResult, upsert_comment
from mlci.github.pulls import commit_pull, open_pull_headed_by, pull_request_issue
from mlci.github.runner_files import write_job_summary, write_step_outputs
from mlci.report import Report

if TYPE_CHECKING:
    from mlci.config import Policy
    from mlci.github.client import Repository

COMMENT_BUDGET = 60_000  # GitHub's limit is 65,536 characters
CHECK_SUMMARY_BUDGET = 65_000
SHORT_BUDGET = 16_000
READ_ONLY = "Resource not accessible by integration"
FORK_HINT = (
    "the token can't write to this repository (a pull request from a fork gets a read-only token): "
    "run `mlci report` in the pull_request workflow, upload the bundle as an artifact, and publish it "
    "from a workflow_run workflow (templates: mlci-pull-request-fork-safe.yml + mlci-publish.yml); "
    "the job summary was written"
)


@dataclass(frozen=True)
class PublishSettings:
    comment: CommentMode = "update"
    take_over_cml: bool = False
    check_name: str = "mlci"
    token: str | None = None


@dataclass
class PublishResult:
    local: bool
    comment: CommentResult | None = None
    check: CheckResult | None = None
    summary_written: bool = False
    pr_number: int | None = None
    head_sha: str | None = None
    messages: list[str] = field(default_factory=list)


def settings_for(report: Report, ctx: RunContext, *, token: str | None, comment: str | None = None,
                 check_name: str | None = None, take_over_cml: bool | None = None,
                 config: str | None = None) -> PublishSettings:
    """How to publish ``report``: each option given, else the policy's, else the default.

    The policy is the one that judged the gates, as the bundle records it (the base's copy
    of mlci.yaml by default), so a PR cannot rename its check or silence its comment by
    editing mlci.yaml. A bundle published under ``workflow_run`` comes from another,
    unprivileged run (a fork's PR) and is untrusted: there only the options (the publish
    action's inputs) and an explicit ``config`` file apply. ``config`` is read as given.
    """
    policy: Any = None
    if config:
        policy = _read_policy(config)
    elif ctx.workflow_run is None:
        policy = report.policy
    return PublishSettings(
        comment=comment or (policy.comment_mode if policy else "update"),  # type: ignore[arg-type]
        take_over_cml=bool(take_over_cml if take_over_cml is not None else (policy.take_over_cml if policy else False)),
        check_name=check_name or (policy.check_name if policy else "mlci"),
        token=token,
    )


def _read_policy(file: str) -> Policy:
    from mlci.config import load_policy

    try:
        text = Path(file).read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    return load_policy(text, file)


def publish(report: Report, ctx: RunContext, settings: PublishSettings, *, env: Mapping[str, str] | None = None,
            connect: Connect | None = None) -> PublishResult:
    """Post ``report``; with no token or no GitHub context, say what would be posted (local mode)."""
    from mlci.render.markdown import render_markdown

    env = os.environ if env is None else env
    body = render_markdown(report, budget=COMMENT_BUDGET)
    result = PublishResult(local=True)
    written = write_job_summary(env, body)
    result.summary_written = bool(written)
    if written is False:
        result.messages.append("the job summary is full (1 MiB): the report was not added to it")

    repository = ctx.repository or report.context.repository
    if not settings.token or not repository:
        why = "no token (--token, GITHUB_TOKEN or GH_TOKEN)" if not settings.token else "no repository (GITHUB_REPOSITORY)"
        result.messages.append(f"local mode, {why}: nothing posted")
        result.messages.append(f"would post: {_describe(report, settings)}")
        _outputs(env, report, result)
        return result

    result.local = False
    try:
        with open_repository(settings.token, ctx.api_url, repository, connect=connect) as repo:
            pr_number, head_sha = _target(report, ctx, repo)
            result.pr_number, result.head_sha = pr_number, head_sha
            if pr_number is not None:
                pr = pull_request_issue(repo, pr_number)
                marker = body.split("\n", 1)[0]
                posted_before = settings.comment == "once" and comment_posted_before(repo, pr_number, settings.check_name)
                try:
                    result.comment = upsert_comment(pr, body, marker, settings.comment,
                                                    take_over_cml=settings.take_over_cml, posted_before=posted_before)
                except GitHubError as exc:
                    if exc.status != 422:
                        raise
                    # GitHub refused the body (its size limit may count differently): post a shorter one.
                    short = render_markdown(report, budget=SHORT_BUDGET)
                    result.comment = upsert_comment(pr, short, marker, settings.comment,
                                                    take_over_cml=settings.take_over_cml, posted_before=posted_before)
                    result.messages.append(f"GitHub refused the comment ({redact(exc.message, settings.token)}); posted a shorter one")
            result.check = _check(repo, report, head_sha, settings, result.comment)
    except GitHubError as exc:
        if exc.status == 403 and READ_ONLY in exc.message:
            raise MlciError(FORK_HINT) from None
        raise
    _outputs(env, report, result)
    return result


def _target(report: Report, ctx: RunContext, repo: Repository) -> tuple[int | None, str]:
    """The PR number and the head SHA to report on, cross-checked against the event."""
    head_sha = report.context.pr_head_sha or report.context.head.sha
    if head_sha is None:
        raise MlciError("the bundle names no head commit")
    run = ctx.workflow_run
    if run is None:
        return report.context.pr_number, head_sha
    run_sha = run.get("head_sha")
    if run_sha != head_sha:
        raise MlciError(f"the bundle's head commit {head_sha[:12]} is not the workflow run's ({str(run_sha)[:12]}): refusing to publish it")
    pulls = [p for p in run.get("pull_requests") or [] if isinstance(p, Mapping)]
    if pulls:
        number = pulls[0].get("number")
        if report.context.pr_number not in (None, number):
            raise MlciError(f"the bundle says PR #{report.context.pr_number}, the workflow run says #{number}: refusing to publish it")
        return int(number) if isinstance(number, int) else None, head_sha
    # A fork's PR: workflow_run lists no pull requests; find it by its head commit.
    number = commit_pull(repo, head_sha)
    if number is not None:
        if report.context.pr_number not in (None, number):
            raise MlciError(f"the bundle says PR #{report.context.pr_number}, but {head_sha[:12]} heads PR #{number}: refusing")
        return number, head_sha
    return open_pull_headed_by(repo, head_sha), head_sha


def _check(repo: Repository, report: Report, sha: str, settings: PublishSettings,
           comment: CommentResult | None) -> CheckResult:
    from mlci.render.markdown import render_markdown
    from mlci.render.view import verdict_summary

    conclusion: Conclusion = {"pass": "success", "fail": "failure"}.get(report.verdict or "", "neutral")  # type: ignore[assignment]
    title = verdict_summary(report) if report.verdict else "no policy: report only"
    summary = render_markdown(report, budget=CHECK_SUMMARY_BUDGET)
    external_id = comment_ref(comment.comment_id) if comment and comment.comment_id else None
    try:
        return publish_check_run(repo, sha, settings.check_name, conclusion, title, summary, gate_annotations(report),
                                 details_url=report.context.run_url, external_id=external_id)
    except GitHubError as exc:
        if exc.status != 403:
            raise
    note = "check runs need `checks: write`; posted a commit status instead"
    result = publish_status(repo, sha, settings.check_name, conclusion, title, report.context.run_url)
    return CheckResult(result.kind, result.url or (comment.url if comment else None), note)


def gate_annotations(report: Report) -> list[dict[str, Any]]:
    """One failure annotation per blocking gate of the policy, at its mlci.yaml line (else the first line).

    A failed pipeline has none: the check's summary says where, and the log has the output."""
    file = report.policy.file if report.policy else "mlci.yaml"
    out = []
    for gate in report.gates:
        if not gate.blocking or gate.kind == "pipeline":
            continue
        line = gate.line or 1
        out.append({"path": file, "start_line": line, "end_line": line, "annotation_level": "failure",
                    "title": f"mlci: {gate.kind} {gate.subject}"[:255], "message": gate.reason[:4000]})
    return out


def _describe(report: Report, settings: PublishSettings) -> str:
    target = f"PR #{report.context.pr_number}" if report.context.pr_number else "the head commit"
    verdict = report.verdict or "no policy"
    return f"comment ({settings.comment}) and check '{settings.check_name}' ({verdict}) on {target}"


def _outputs(env: Mapping[str, str], report: Report, result: PublishResult) -> None:
    write_step_outputs(env, {
        "verdict": report.verdict or "none",
        "comment-url": (result.comment.url if result.comment else None) or "",
        "check-url": (result.check.url if result.check else None) or "",
    })
