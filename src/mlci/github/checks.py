"""The named check on the PR head: a check run, or a commit status where a check run can't be written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlci.github.client import door

if TYPE_CHECKING:
    from github.Repository import Repository

ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit
SUMMARY_LIMIT = 65_535
STATUS_DESCRIPTION_LIMIT = 140

Conclusion = Literal["success", "failure", "neutral"]
# The check run's external_id remembers the PR comment it goes with: "mlci-comment:<id>".
COMMENT_REF = "mlci-comment:"


@dataclass(frozen=True)
class CheckResult:
    kind: Literal["check_run", "status"]
    url: str | None
    note: str = ""


@door
def publish_check_run(repo: Repository, sha: str, name: str, conclusion: Conclusion, title: str, summary: str,
                      annotations: Sequence[dict[str, Any]], *, details_url: str | None = None,
                      external_id: str | None = None) -> CheckResult:
    """Create the check run, or update the one of that name already on ``sha`` (re-runs leave one).

    Annotations go in batches of 50: GitHub appends each batch on update.
    """
    output: dict[str, Any] = {"title": title[:255], "summary": _clip_bytes(summary, SUMMARY_LIMIT)}
    batches = [list(annotations[i:i + ANNOTATIONS_PER_REQUEST]) for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)]
    first = {**output, "annotations": batches[0]} if batches else output
    from github.GithubObject import NotSet

    url = details_url or NotSet
    ident = external_id or NotSet
    existing = next(iter(repo.get_commit(sha).get_check_runs(check_name=name)), None)
    if existing is None:
        run = repo.create_check_run(name=name, head_sha=sha, status="completed", conclusion=conclusion,
                                    output=first, details_url=url, external_id=ident)
    else:
        run = existing
        # An update replaces the summary; annotations of earlier attempts stay, as on GitHub.
        run.edit(status="completed", conclusion=conclusion, output=first, details_url=url, external_id=ident)
    for batch in batches[1:]:
        run.edit(output={**output, "annotations": batch})
    return CheckResult("check_run", run.html_url)


@door
def publish_status(repo: Repository, sha: str, name: str, conclusion: Conclusion, description: str,
                   target_url: str | None) -> CheckResult:
    """The commit status fallback: same name (context), success/failure, a short description."""
    state = "failure" if conclusion == "failure" else "success"
    text = description if len(description) <= STATUS_DESCRIPTION_LIMIT else description[: STATUS_DESCRIPTION_LIMIT - 1] + "…"
    from github.GithubObject import NotSet

    repo.get_commit(sha).create_status(state=state, description=text, context=name, target_url=target_url or NotSet)
    return CheckResult("status", target_url)


def comment_ref(comment_id: int) -> str:
    """The external_id of a check run that goes with PR comment ``comment_id``."""
    return f"{COMMENT_REF}{comment_id}"


@door
def comment_posted_before(repo: Repository, pr_number: int, check_name: str) -> bool:
    """Whether an earlier run posted the comment (its check run on an earlier commit remembers)."""
    commits = list(repo.get_pull(pr_number).get_commits())
    for commit in reversed(commits[:-1][-1:]):
        for run in commit.get_check_runs(check_name=check_name):
            if (run.external_id or "").startswith(COMMENT_REF):
                return True
    return False


def _clip_bytes(text: str, limit: int) -> str:
    """GitHub limits a check summary to 65,535 characters and as many UTF-8 bytes."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")
