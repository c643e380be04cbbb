"""``mlci promote NAME VERSION STAGE``: judge the stage's gates on the version, then write GTO's stage tag.

The stage's gates are mlci.yaml's ``promote.stages.STAGE`` (the form of the top-level ``metrics``
and ``checks``), judged on the version's commit against the version in that stage now (a
``max_drop`` compares with it; with none there, with the version itself). Checks beyond metrics
measure files, so they need the version's commit checked out (its tracked files as committed).
The policy is the work tree's, or with ``policy_ref`` the one at that revision: the templates
check out the version and judge it with the default branch's policy, today's gates.
``promote.order`` says which stage a version must be in first; ``.gto`` which stages exist. Then
GTO writes ``name#stage#N`` (with ``--demote``, ``name#stage!#N``), and with a token the tag goes
to GitHub too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.commands import Echo, echo
from mlci.errors import MlciError

if TYPE_CHECKING:
    from mlci.config import Policy


@dataclass(frozen=True)
class Settings:
    name: str
    version: str
    stage: str
    cwd: str | Path = "."
    demote: bool = False
    dry_run: bool = False  # judge the stage's gates (even for a version in the stage: the deploy's re-check), write nothing
    dispatch: str | None = None  # a workflow to start once the tag is on GitHub (file name or id), with name/version/stage
    config: str | None = None  # default: mlci.yaml
    policy_ref: str | None = None  # read the policy at this git revision (the default branch's), not the work tree
    token: str | None = None  # None: GITHUB_TOKEN, then GH_TOKEN; without one, the tag stays local
    actions_env: Mapping[str, str] | None = None
    echo: Echo = echo


def run(settings: Settings) -> int:
    """0 when the stage tag is written (or the version is in that stage already); 1 when the stage's gates failed."""
    from mlci import git, gto
    from mlci.errors import ReleaseError

    root = git.toplevel(settings.cwd)
    name, version, stage = settings.name, settings.version, settings.stage
    if not gto.NAME.fullmatch(name.rsplit(":", 1)[-1]):
        raise ReleaseError(f"{name!r}: not an artifact name GTO allows")
    registered = gto.stages_of(root, name)
    if version not in registered:
        known = ", ".join(sorted(registered)) or "none"
        raise ReleaseError(f"{name} {version} is not registered (its versions: {known}); `mlci release` registers them")
    allowed = gto.allowed_stages(root)
    if allowed is not None and stage not in allowed:
        raise ReleaseError(f"{stage!r} is not a stage .gto allows ({', '.join(allowed)})")
    policy = _policy(root, settings.config, settings.policy_ref)
    in_stage = registered[version]
    if settings.demote:
        if stage not in in_stage:
            settings.echo(f"mlci: {name} {version} is not in {stage}: nothing to demote")
            return 0
    else:
        if stage in in_stage and not settings.dry_run:
            settings.echo(f"mlci: {name} {version} is in {stage} already")
            return 0
        order = policy.stage_order if policy else ()
        if stage in order and order.index(stage) > 0:
            before = order[order.index(stage) - 1]
            if before not in in_stage and stage not in in_stage:
                raise ReleaseError(f"{name} {version} must be in {before} before {stage} (promote.order: "
                                   f"{' → '.join(order)}); it is in {', '.join(in_stage) or 'no stage'}")
        verdict = _judge(settings, root, policy, registered)
        if verdict != 0:
            return verdict
    if settings.dry_run:
        settings.echo(f"mlci: would {'demote' if settings.demote else 'promote'} {name} {version} "
                      f"{'from' if settings.demote else 'to'} {stage}")
        _outputs(settings, root, "")  # what a deployment goes on with: the artifact's path, its type
        return 0
    tag = gto.assign(root, name, version, stage, git.identity(root), demote=settings.demote)
    dispatched = _push(settings, root, tag)
    settings.echo(f"mlci: created tag {tag}: {name} {version} {'leaves' if settings.demote else 'enters'} {stage}")
    if dispatched:
        settings.echo(f"mlci: started {settings.dispatch} for {name} {version} in {stage}")
    _outputs(settings, root, tag)
    return 0


def _policy(root: Path, config: str | None, ref: str | None) -> Policy | None:
    """The policy in the work tree, or at git revision ``ref``; None when there is none."""
    from mlci import git
    from mlci.config import load_policy
    from mlci.errors import ReleaseError
    from mlci.safeload import read_text
    from mlci.yamlfile import POLICY_LIMITS

    file = config or "mlci.yaml"
    if ref is not None:
        try:
            sha = git.rev_parse(root, f"{ref}^{{commit}}")
        except MlciError:
            raise ReleaseError(f"--policy-ref {ref}: no such commit here (a clone with fetch-depth 0 has "
                               "every branch)") from None
        try:
            text = git.show_file(root, sha, git.relative_to_root(root, file))
        except UnicodeDecodeError:
            raise ReleaseError(f"{file} at {ref}: not UTF-8") from None
        except ValueError:
            raise ReleaseError(f"--config {file}: with --policy-ref, a file of the repository") from None
        if text is None:
            return None
        if len(text.encode()) > POLICY_LIMITS.bytes:
            raise ReleaseError(f"{file} at {ref}: larger than {POLICY_LIMITS.bytes:,} bytes")
        return load_policy(text, f"{file} (at {ref})")
    try:
        return load_policy(read_text(Path(root, file), POLICY_LIMITS.bytes), file)
    except FileNotFoundError:
        return None


def _judge(settings: Settings, root: Path, policy: Policy | None, registered: dict[str, list[str]]) -> int:
    """The stage's gates on the version: 0 when they pass (or there are none), 1 when any failed."""
    from mlci import compare, dvc, git, gto
    from mlci.checks.base import Workspace
    from mlci.collect import measure
    from mlci.errors import ReleaseError
    from mlci.evaluate import judge
    from mlci.evidence import Evidence
    from mlci.render.text import render_text
    from mlci.report import Context, Report, Revision

    stage_policy = dict(policy.stages).get(settings.stage) if policy else None
    if stage_policy is None:
        return 0
    commits = {v.version: v.commit for v in gto.versions(root, settings.name)}
    head = commits[settings.version]
    current = [v for v, stages in registered.items() if settings.stage in stages]
    base = commits[current[0]] if current else head
    repo = dvc.open_repo(root)
    try:
        before, after = dvc.read_sides(repo, base, head)
    finally:
        repo.close()
    assert policy is not None
    report = Report(project=policy.project or root.name,
                    context=Context(event="promote", base=Revision(current[0] if current else settings.version, base),
                                    head=Revision(settings.version, head)),
                    metrics=tuple(compare.compare_metrics(before.metrics, after.metrics)),
                    problems=tuple(compare.merge_problems(before.errors, after.errors)))
    measured = {}
    others = [key for key, specs in stage_policy.checks if specs and key != "metrics"]
    if others:
        if git.rev_parse(root, "HEAD") != head or git.changed_tracked(root):
            raise ReleaseError(f"promote.stages.{settings.stage}: {', '.join(others)} measure the version's files: "
                               f"check out its commit first (git checkout {head[:7]}), in a clean work tree")
        measured = measure(stage_policy, Workspace(root))
    judged = judge(report, stage_policy, Evidence(metrics=report.metrics, problems=report.problems, measured=measured))
    if judged.verdict == "fail":
        settings.echo(render_text(replace(judged, policy=None)), nl=False)
        failed = [g for g in judged.gates if g.blocking]
        settings.echo(f"mlci: not promoted: {len(failed)} of the {settings.stage} gates failed for "
                      f"{settings.name} {settings.version}: " + "; ".join(f"{g.subject}: {g.reason}" for g in failed[:5]))
        return 1
    settings.echo(f"mlci: the {settings.stage} gates passed for {settings.name} {settings.version} "
                  f"({len(judged.gates)} checked)")
    for gate in judged.gates:
        if gate.kind != "metric":  # what a check measured: the served model's answers and speed
            settings.echo(f"mlci: {gate.kind} {gate.subject}: {gate.reason}")
    return 0


def _push(settings: Settings, root: Path, tag: str) -> bool:
    """The stage tag on GitHub, then (``--dispatch``) the deployment started: True when started.
    Tags pushed with the job's own token start no workflow, so the promotion starts it by name."""
    from mlci import git
    from mlci.errors import ReleaseError

    env = os.environ if settings.actions_env is None else settings.actions_env
    token = settings.token or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
    repository = env.get("GITHUB_REPOSITORY") or None
    if token is None or repository is None:
        if settings.dispatch:
            git.delete_tag(root, tag)
            raise ReleaseError(f"--dispatch {settings.dispatch} needs GitHub: a token (GITHUB_TOKEN) and "
                               "GITHUB_REPOSITORY")
        return False
    from mlci.github.client import open_repository
    from mlci.github.releases import dispatch, push_tag

    try:
        with open_repository(token, env.get("GITHUB_API_URL"), repository) as repo:
            push_tag(repo, git.annotated_tag(root, tag))
            if settings.dispatch:
                dispatch(repo, settings.dispatch, {"name": settings.name, "version": settings.version,
                                                   "stage": settings.stage})
    except BaseException:
        git.delete_tag(root, tag)  # what GitHub does not hold is not kept here either
        raise
    return settings.dispatch is not None


def _outputs(settings: Settings, root: Path, tag: str) -> None:
    """gto-action's outputs for the assignment."""
    from mlci import gto
    from mlci.github.runner_files import write_step_outputs

    env = os.environ if settings.actions_env is None else settings.actions_env
    found = {a.name: a for a in gto.declared(root)}.get(settings.name)
    write_step_outputs(env, {"event": "deassignment" if settings.demote else "assignment", "name": settings.name,
                             "version": settings.version, "stage": settings.stage,
                             "type": (found.type or "") if found else "", "path": found.path if found else "",
                             "description": (found.description or "") if found else "", "tag": tag})
