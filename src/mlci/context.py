"""RunContext: where mlci runs and for which PR or commit, and which base to compare with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci import git
from mlci.errors import MlciError
from mlci.report import Revision
from mlci.safeload import load_json, read_text

PR_EVENTS = ("pull_request", "pull_request_target")
MAX_EVENT = 25_000_000  # bytes: GitHub caps webhook payloads at 25 MB


@dataclass(frozen=True)
class RunContext:
    """The GitHub Actions environment and event payload, or a local run."""

    event: str = "local"
    payload: Mapping[str, Any] = field(default_factory=dict)
    repository: str | None = None
    workflow: str | None = None
    run_id: str | None = None
    server_url: str | None = None
    api_url: str | None = None
    ref_name: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RunContext:
        env = os.environ if env is None else env
        if env.get("GITHUB_ACTIONS") != "true" and not env.get("GITHUB_EVENT_PATH"):
            return cls()
        payload: Mapping[str, Any] = {}
        path = env.get("GITHUB_EVENT_PATH")
        if path:
            try:
                shown = f"GITHUB_EVENT_PATH={path}"
                payload = load_json(read_text(path, MAX_EVENT, error=MlciError, shown=shown), shown)
            except OSError as exc:
                raise MlciError(f"GITHUB_EVENT_PATH={path}: cannot read the event payload: {exc.strerror or exc}") from None
            if not isinstance(payload, Mapping):
                raise MlciError(f"GITHUB_EVENT_PATH={path}: the event payload is not a JSON object")
        return cls(
            event=env.get("GITHUB_EVENT_NAME") or "local",
            payload=payload,
            repository=env.get("GITHUB_REPOSITORY") or None,
            workflow=env.get("GITHUB_WORKFLOW") or None,
            run_id=env.get("GITHUB_RUN_ID") or None,
            server_url=(env.get("GITHUB_SERVER_URL") or "").rstrip("/") or None,
            api_url=(env.get("GITHUB_API_URL") or "").rstrip("/") or None,
            ref_name=env.get("GITHUB_REF_NAME") or None,
        )

    @property
    def pull_request(self) -> Mapping[str, Any] | None:
        pr = self.payload.get("pull_request") if self.event in PR_EVENTS else None
        return pr if isinstance(pr, Mapping) else None

    @property
    def pr_number(self) -> int | None:
        pr = self.pull_request
        number = pr.get("number") if pr else None
        return number if isinstance(number, int) else None

    @property
    def pr_head_sha(self) -> str | None:
        """The PR's head commit, not the merge commit a pull_request run checks out."""
        return self._pr_sha("head")

    @property
    def pr_base_sha(self) -> str | None:
        """The commit the PR's base branch was at, as the event says."""
        return self._pr_sha("base")

    def _pr_sha(self, side: str) -> str | None:
        """``pull_request.<side>.sha`` of the event, when it is a string."""
        pr = self.pull_request
        found = pr.get(side) if pr else None
        sha = found.get("sha") if isinstance(found, Mapping) else None
        return sha if isinstance(sha, str) else None

    @property
    def workflow_run(self) -> Mapping[str, Any] | None:
        run = self.payload.get("workflow_run") if self.event == "workflow_run" else None
        return run if isinstance(run, Mapping) else None

    @property
    def default_branch(self) -> str | None:
        repo = self.payload.get("repository")
        branch = repo.get("default_branch") if isinstance(repo, Mapping) else None
        return branch if isinstance(branch, str) else None


def choose_base(ctx: RunContext, cwd: str | Path, base: str | None, head: Revision) -> tuple[Revision, str]:
    """The revision to compare with, and how it was chosen (in words).

    ``--base`` wins; on a PR event the PR's base SHA from the payload; on a
    push to the default branch the first parent of HEAD; otherwise the
    merge-base of HEAD with the default branch (origin/HEAD, main, master).
    """
    if base:
        return Revision(rev=base, sha=git.rev_parse(cwd, base)), "given with --base"

    pr = ctx.pull_request
    if pr is not None:
        pr_base = pr.get("base")
        if not isinstance(pr_base, Mapping):
            pr_base = {}
        sha, ref = pr_base.get("sha"), pr_base.get("ref")
        if not isinstance(sha, str):
            raise MlciError("the pull_request event payload has no pull_request.base.sha")
        name = ref if isinstance(ref, str) else sha[:7]
        return Revision(rev=name, sha=git.rev_parse(cwd, sha)), f"the base of PR #{ctx.pr_number}"

    if ctx.event == "push" and ctx.default_branch and ctx.ref_name == ctx.default_branch:
        return Revision(rev="HEAD^", sha=git.first_parent(cwd, "HEAD")), "the previous commit on the default branch"

    default = git.default_branch(cwd)
    if default is None:
        raise MlciError("no default branch found (origin/HEAD, main or master); pass --base REV")
    merge_base = git.merge_base(cwd, "HEAD", default)
    head_sha = head.sha
    if merge_base != head_sha:
        return Revision(rev=default, sha=merge_base), f"where HEAD branched from {default}"
    if head.workspace:
        return Revision(rev="HEAD", sha=head_sha), f"HEAD, which is on {default}: comparing uncommitted changes"
    return Revision(rev=f"{default}^", sha=git.first_parent(cwd, "HEAD")), f"the previous commit on {default}"


def choose_head(cwd: str | Path, head: str | None) -> Revision:
    """``--head REV``, or by default the workspace (what ``mlci repro`` just produced)."""
    if head and head != "workspace":
        return Revision(rev=head, sha=git.rev_parse(cwd, head))
    if not git.has_commits(cwd):
        raise MlciError("the repository has no commits yet; commit a baseline first")
    return Revision(rev="workspace", sha=git.rev_parse(cwd, "HEAD"), workspace=True)
