"""Publish a bundle on GitHub: the sticky PR comment, the named check, the job summary, step outputs.

The bundle may come from an unprivileged job (a fork's PR): it is validated
against its schema when read, every string is escaped again by re-rendering
from the data (report.md is never posted as is), nothing in it is executed,
and its head SHA must match the workflow run that produced it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.context import PR_EVENTS, RunContext
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
from mlci.github.contents import default_branch, file_text
from mlci.github.pulls import commit_pull, open_pull_headed_by, pull_changes, pull_request_issue
from mlci.github.runner_files import write_job_summary, write_step_outputs
from mlci.plots.model import PlotSettings
from mlci.render.plots import Pictures
from mlci.report import ForkChanges, PolicyInfo, Report

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
    # The policy file annotations point into when the bundle is untrusted (under workflow_run):
    # the one this job names, never the bundle's.
    policy_file: str = "mlci.yaml"
    # The policy that judges an untrusted bundle again: this file when given (--config), else
    # ``policy_file`` on the default branch, read through GitHub's API. ``config_policy``: that
    # file as settings_for loaded it (read once).
    config: str | None = None
    config_policy: Policy | None = None


@dataclass
class PublishResult:
    local: bool
    comment: CommentResult | None = None
    check: CheckResult | None = None
    summary_written: bool = False
    pr_number: int | None = None
    head_sha: str | None = None
    messages: list[str] = field(default_factory=list)
    report: Report | None = None  # the report as posted: judged again when the bundle was untrusted


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
        policy_file=config or "mlci.yaml",
        config=config,
        config_policy=policy if config else None,
    )


def _read_policy(file: str) -> Policy:
    from mlci.config import load_policy

    return load_policy(_read_text(file), file)


def _read_text(file: str) -> str:
    """A policy file this job names, read within the same limits as every mlci.yaml."""
    from mlci.safeload import read_text
    from mlci.yamlfile import POLICY_LIMITS

    try:
        return read_text(file, POLICY_LIMITS.bytes, error=ConfigError)
    except FileNotFoundError:
        raise ConfigError(f"{file}: file not found") from None


def publish(report: Report, ctx: RunContext, settings: PublishSettings, *, env: Mapping[str, str] | None = None,
            connect: Connect | None = None, bundle: str | Path | None = None) -> PublishResult:
    """Post ``report``; with no token or no GitHub context, say what would be posted (local mode).

    Under ``workflow_run`` the bundle comes from another, unprivileged run (a fork's PR): it is
    judged again with the policy this job trusts, and the comment names what the PR changes.
    ``bundle``: the bundle's directory, whose plot images are hosted as the policy says (this
    job's: for a fork's bundle, the one it was judged again with)."""
    from mlci.render.markdown import render_markdown

    env = os.environ if env is None else env
    report = with_trusted_links(report, ctx)
    untrusted = ctx.workflow_run is not None
    result = PublishResult(local=not (settings.token and ctx.repository))
    if result.local:
        why = "no token (--token, GITHUB_TOKEN or GH_TOKEN)" if not settings.token else "no repository (GITHUB_REPOSITORY)"
        if untrusted:
            report = judged_again(report, ctx, settings, None, result.messages)
        _summary(env, render_markdown(report, budget=COMMENT_BUDGET), result)
        result.messages.append(f"local mode, {why}: nothing posted")
        result.messages.append(f"would post: {_describe(report, settings)}")
        _outputs(env, report, result)
        result.report = report
        return result

    assert settings.token and ctx.repository
    try:
        with open_repository(settings.token, ctx.api_url, ctx.repository, connect=connect) as repo:
            pr_number, head_sha = _target(report, ctx, repo, env)
            result.pr_number, result.head_sha = pr_number, head_sha
            fork = None
            if untrusted:
                report = judged_again(report, ctx, settings, repo, result.messages)
                fork = pull_changes(repo, pr_number) if pr_number is not None else None
            pictures = _pictures(report, ctx, repo, bundle, env, pr_number, head_sha, result.messages,
                                 settings.policy_file)
            body = render_markdown(report, budget=COMMENT_BUDGET, fork=fork, pictures=pictures)
            _summary(env, body, result)  # before anything is posted: a read-only token still gets it
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
                    short = render_markdown(report, budget=SHORT_BUDGET, fork=fork, pictures=pictures)
                    result.comment = upsert_comment(pr, short, marker, settings.comment,
                                                    take_over_cml=settings.take_over_cml, posted_before=posted_before)
                    result.messages.append(f"GitHub refused the comment ({redact(exc.message, settings.token)}); posted a shorter one")
            result.check = _check(repo, report, head_sha, settings, result.comment, untrusted=untrusted, fork=fork,
                                  pictures=pictures)
    except GitHubError as exc:
        if exc.status == 403 and READ_ONLY in exc.message:
            raise MlciError(FORK_HINT) from None
        raise
    _outputs(env, report, result)
    result.report = report
    return result


def _pictures(report: Report, ctx: RunContext, repo: Repository, bundle: str | Path | None, env: Mapping[str, str],
              pr_number: int | None, head_sha: str, notes: list[str], policy_file: str = "mlci.yaml") -> Pictures:
    """How the comment shows the plots, as the policy that judged them says (``report.policy``:
    for a fork's bundle, this job's own). ``branch``: the bundle's PNGs are committed to the assets
    branch and linked at that commit; when that cannot be done, the comment shows Mermaid charts
    and says why. Hosting needs ``contents: write``: a fork's PR gets it only in the publish job.

    The bundle was written by a job that ran the PR's code, so which branch is written to, and
    what is pruned there, never comes from it: outside ``workflow_run`` (where the bundle was
    judged again already) they come from the policy file as GitHub holds it at the PR's base
    (at the pushed commit, for a push)."""
    from mlci.bundle import plot_images
    from mlci.github.assets import Asset, AssetRefused, HostSettings, host_assets, run_key

    settings = report.policy.plots if report.policy else PlotSettings()
    if settings.hosting != "branch" or not any(p.drawn for p in report.plots):
        return Pictures(mermaid=settings.hosting == "mermaid", width=settings.width)
    if ctx.workflow_run is None:  # the bundle's policy record is the PR job's: where to write comes from GitHub
        settings = _trusted_plot_settings(repo, ctx, head_sha, policy_file, notes)
        if settings.hosting != "branch":
            return Pictures(mermaid=settings.hosting == "mermaid", width=settings.width)
    fallback = "the plots are shown as Mermaid charts instead"
    if bundle is None:
        return Pictures(mermaid=True, width=settings.width, note=f"no bundle folder to read the images from: {fallback}")
    if settings.branch == (ctx.default_branch or ""):
        note = f"plots.branch is the default branch ({settings.branch}): mlci commits images only to a branch of their own; {fallback}"
        return Pictures(mermaid=True, width=settings.width, note=note)
    images, trouble = plot_images(bundle, report)
    notes.extend(f"plot image left out: {line}" for line in trouble)
    if not images:
        return Pictures(mermaid=True, width=settings.width, note=f"no plot image could be read from the bundle: {fallback}")
    paths = {path.rsplit("/", 1)[-1]: path for path in images}  # plots/roc.png is the asset roc.png
    assets = [Asset(name=name, data=images[path]) for name, path in paths.items()]
    run = f"run-{report.context.run_id or 'local'}-{env.get('GITHUB_RUN_ATTEMPT') or '1'}"
    key = run_key(pr_number, env.get("GITHUB_REF_NAME") or None, head_sha)
    try:
        hosted = host_assets(repo, assets, key=key, run=run, server_url=ctx.server_url or "https://github.com",
                             settings=HostSettings.of(settings))
    except (GitHubError, AssetRefused) as exc:
        hint = ""
        if isinstance(exc, GitHubError) and exc.status == 403:
            hint = (" (hosting needs `contents: write` in the publishing job: the mlci-pull-request.yml template "
                    "publishes from a job of its own, which runs none of the PR's code)")
        note = f"the images could not be hosted: {exc}{hint}; {fallback}"
        notes.append(note)
        return Pictures(mermaid=True, width=settings.width, note=note)
    urls = {path: hosted.urls[name] for name, path in paths.items() if name in hosted.urls}
    notes.append(f"{len(urls)} plot image(s) hosted on {settings.branch} at {hosted.commit[:12]}"
                 + (f"; pruned {len(hosted.pruned)} old run(s)" if hosted.pruned else ""))
    return Pictures(urls=urls, width=settings.width)


def _trusted_plot_settings(repo: Repository, ctx: RunContext, head_sha: str, policy_file: str,
                           notes: list[str]) -> PlotSettings:
    """The plots settings of ``policy_file`` read through GitHub's API at the PR's base commit (the
    event's), else at ``head_sha`` (a push: the commit is the repository's own); the defaults when
    there is no such file, and a note when it does not load."""
    from mlci.config import load_policy

    rev = ctx.pr_base_sha if ctx.event in PR_EVENTS else head_sha
    if not rev:
        return PlotSettings()
    text = file_text(repo, policy_file, rev)
    if text is None:
        return PlotSettings()
    try:
        return load_policy(text, f"{policy_file} (at {rev[:7]})").plots
    except ConfigError as exc:
        notes.append(f"the plots are shown with the default settings: {exc}")
        return PlotSettings()


def _summary(env: Mapping[str, str], body: str, result: PublishResult) -> None:
    written = write_job_summary(env, body)
    result.summary_written = bool(written)
    if written is False:
        result.messages.append("the job summary is full (1 MiB): the report was not added to it")


def judged_again(report: Report, ctx: RunContext, settings: PublishSettings, repo: Repository | None,
                 notes: list[str]) -> Report:
    """An untrusted bundle's evidence judged again with the policy this job trusts: the file
    it names (``--config``), else the default branch's copy read through GitHub's API. The
    bundle's own gates, verdict and policy are not used."""
    from mlci.config import load_policy
    from mlci.evaluate import rejudge

    branch = ctx.default_branch
    if settings.config:
        policy = settings.config_policy or _read_policy(settings.config)
        where, rev = settings.config, "the publish job"
    elif repo is not None:
        branch = branch or default_branch(repo)
        text = file_text(repo, settings.policy_file, branch)
        where, rev = f"{settings.policy_file} (at {branch})", branch
        if text is None:
            notes.append(f"{settings.policy_file} is not on {branch}: the bundle is reported without a policy")
            return rejudge(report, None, None)
        policy = load_policy(text, where)
    else:
        notes.append("no token: the default branch's policy could not be read, so the bundle's gates are not shown")
        return rejudge(report, None, None)
    info = PolicyInfo(file=settings.policy_file, source="base", rev=rev, sha=None,
                      note=f"the publish job judged this fork's evidence again with {where}; the bundle's own verdict is not used",
                      comment_mode=policy.comment_mode, take_over_cml=policy.take_over_cml, check_name=policy.check_name,
                      plots=policy.plots)
    return rejudge(report, policy, info)


def with_trusted_links(report: Report, ctx: RunContext) -> Report:
    """``report`` with every link-making field taken from this job's own context, not the bundle:
    the server, the repository, the workflow and its run. Under ``workflow_run`` they name the
    run that made the bundle, as GitHub's event payload says (its id and name)."""
    run = ctx.workflow_run
    run_id, workflow = ctx.run_id, ctx.workflow
    if run is not None:
        run_id = str(run["id"]) if isinstance(run.get("id"), int) else None
        workflow = run["name"] if isinstance(run.get("name"), str) else None
    context = replace(report.context, server_url=ctx.server_url, repository=ctx.repository, run_id=run_id,
                      workflow=workflow)
    return replace(report, context=context)


def _target(report: Report, ctx: RunContext, repo: Repository, env: Mapping[str, str]) -> tuple[int | None, str]:
    """The PR number and the head SHA to report on, from the event; the bundle's must agree.

    A bundle that names another PR or another commit than the event is refused, whatever
    the event: a comment and a check go only where this run's own event points.
    """
    claimed_pr = report.context.pr_number
    claimed_sha = report.context.pr_head_sha or report.context.head.sha
    if claimed_sha is None:
        raise MlciError("the bundle names no head commit")
    run = ctx.workflow_run
    if run is not None:
        return _workflow_run_target(run, claimed_pr, claimed_sha, repo)
    if ctx.event in PR_EVENTS:
        number, sha = ctx.pr_number, ctx.pr_head_sha
        if number is None or sha is None:
            raise MlciError(f"the {ctx.event} event payload names no pull request (pull_request.number, head.sha)")
        _agree(claimed_pr, claimed_sha, number, sha, f"the {ctx.event} event")
        return number, sha
    if ctx.event == "local":  # not in GitHub Actions: no event to check against
        return claimed_pr, claimed_sha
    # push, workflow_dispatch, schedule, ...: no PR, and the commit is the job's own.
    after = ctx.payload.get("after") if ctx.event == "push" else None
    sha = after if isinstance(after, str) else env.get("GITHUB_SHA") or None
    if sha is None:
        raise MlciError(f"the {ctx.event} run names no commit (GITHUB_SHA): refusing to publish")
    _agree(claimed_pr, claimed_sha, None, sha, f"the {ctx.event} run")
    return None, sha


def _workflow_run_target(run: Mapping[str, Any], claimed_pr: int | None, claimed_sha: str,
                         repo: Repository) -> tuple[int | None, str]:
    run_sha = run.get("head_sha")
    if not isinstance(run_sha, str) or run_sha != claimed_sha:
        raise MlciError(f"the bundle's head commit {claimed_sha[:12]} is not the workflow run's ({str(run_sha)[:12]}): refusing to publish it")
    pulls = [p.get("number") for p in run.get("pull_requests") or [] if isinstance(p, Mapping)]
    numbers = [n for n in pulls if isinstance(n, int)]
    if numbers:
        # A branch can head several PRs (into different bases): the bundle says which; one listed is that one.
        if claimed_pr in numbers:
            return claimed_pr, run_sha
        if claimed_pr is None and len(numbers) == 1:
            return numbers[0], run_sha
        listed = ", ".join(f"#{n}" for n in numbers)
        raise MlciError(f"the bundle says PR #{claimed_pr}, the workflow run lists {listed}: refusing to publish it")
    # A fork's PR: workflow_run lists no pull requests; find it by its head commit.
    number = commit_pull(repo, run_sha)
    if number is not None:
        if claimed_pr not in (None, number):
            raise MlciError(f"the bundle says PR #{claimed_pr}, but {run_sha[:12]} heads PR #{number}: refusing")
        return number, run_sha
    return open_pull_headed_by(repo, run_sha), run_sha


def _agree(claimed_pr: int | None, claimed_sha: str, pr: int | None, sha: str, source: str) -> None:
    if claimed_pr != pr:
        said = f"PR #{claimed_pr}" if claimed_pr is not None else "no PR"
        raise MlciError(f"the bundle says {said}, {source} says {f'PR #{pr}' if pr is not None else 'none'}: refusing to publish it")
    if claimed_sha != sha:
        raise MlciError(f"the bundle's head commit {claimed_sha[:12]} is not {source}'s ({sha[:12]}): refusing to publish it")


def _check(repo: Repository, report: Report, sha: str, settings: PublishSettings,
           comment: CommentResult | None, *, untrusted: bool, fork: ForkChanges | None = None,
           pictures: Pictures | None = None) -> CheckResult:
    from mlci.render.markdown import render_markdown
    from mlci.render.view import verdict_summary

    conclusion: Conclusion = {"pass": "success", "fail": "failure"}.get(report.verdict or "", "neutral")  # type: ignore[assignment]
    title = verdict_summary(report) if report.verdict else "no policy: report only"
    summary = render_markdown(report, budget=CHECK_SUMMARY_BUDGET, fork=fork, pictures=pictures)
    external_id = comment_ref(comment.comment_id) if comment and comment.comment_id else None
    try:
        annotations = gate_annotations(report, file=settings.policy_file if untrusted else None)
        return publish_check_run(repo, sha, settings.check_name, conclusion, title, summary, annotations,
                                 details_url=report.context.run_url, external_id=external_id)
    except GitHubError as exc:
        if exc.status != 403:
            raise
    note = "check runs need `checks: write`; posted a commit status instead"
    result = publish_status(repo, sha, settings.check_name, conclusion, title, report.context.run_url)
    return CheckResult(result.kind, result.url or (comment.url if comment else None), note)


def gate_annotations(report: Report, *, file: str | None = None) -> list[dict[str, Any]]:
    """One failure annotation per blocking gate of the policy, at its mlci.yaml line (else the first line).

    ``file`` (an untrusted bundle, judged again): the policy file this job names, never the
    bundle's; the lines are then the trusted policy's, from its own gates. Titles and messages
    are one line of plain text (controls and bidi characters removed). A failed pipeline has
    none: the check's summary says where, and the log has the output."""
    from mlci.render.escape import clean

    file = file or (report.policy.file if report.policy else "mlci.yaml")
    out = []
    for gate in report.gates:
        if not gate.blocking or gate.kind == "pipeline":
            continue
        line = gate.line or 1
        out.append({"path": file, "start_line": line, "end_line": line, "annotation_level": "failure",
                    "title": clean(f"mlci: {gate.kind} {gate.subject}", 255), "message": clean(gate.reason, 4000)})
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
