"""The named check on the PR head: a check run, or a commit status where a check run can't be written."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlci.github.client import door

if TYPE_CHECKING:
    from github.CheckRun import CheckRun
    from github.Repository import Repository

ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit
SUMMARY_LIMIT = 65_535
STATUS_DESCRIPTION_LIMIT = 140

Conclusion = Literal["success", "failure", "neutral"]
# A check run's external_id is mlci's: "mlci-comment:<id>;mlci-run:<token>". The comment part remembers the
# PR comment it goes with; the run part is chosen before the create, so a create whose answer was lost
# (a 5xx, a dropped connection, a timeout) is found by it instead of made twice.
COMMENT_REF = "mlci-comment:"
RUN_REF = "mlci-run:"
SUPERSEDED = "mlci-superseded"  # the external_id of a duplicate completed as superseded
REF_SEPARATOR = ";"
CREATE_ATTEMPTS = 3
SUPERSEDED_CONCLUSION: Conclusion = "neutral"
SUPERSEDED_TITLE = "Superseded: a later run of this check holds the result"


@dataclass(frozen=True)
class CheckResult:
    kind: Literal["check_run", "status"]
    url: str | None
    note: str = ""


@door
def publish_check_run(repo: Repository, sha: str, name: str, conclusion: Conclusion, title: str, summary: str,
                      annotations: Sequence[dict[str, Any]], *, details_url: str | None = None,
                      external_id: str | None = None, run_token: str | None = None,
                      pause: Callable[[float], None] = time.sleep) -> CheckResult:
    """Create the check run, or update the one of that name already on ``sha`` (re-runs leave one).

    ``external_id`` (the comment's ref) is kept in the run's external_id beside ``run_token``
    (random by default), which finds the run after a create whose answer was lost, so a fault
    never leaves two. Earlier duplicates of that name (left by older versions, or two jobs
    racing) are completed as superseded, before the current run is updated, without moving
    their completion time: branch protection reads the run of that name completed last, which
    stays the current one. Annotations go in batches of 50: GitHub appends each batch on update.
    """
    output: dict[str, Any] = {"title": title[:255], "summary": _clip_bytes(summary, SUMMARY_LIMIT)}
    batches = [list(annotations[i:i + ANNOTATIONS_PER_REQUEST]) for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)]
    first = {**output, "annotations": batches[0]} if batches else output
    from github.GithubObject import NotSet

    url = details_url or NotSet
    token = run_token or secrets.token_hex(8)
    runs = _ours(repo.get_commit(sha).get_check_runs(check_name=name, filter="all"))
    if not runs:
        run = _create(repo, token, pause, dict(name=name, head_sha=sha, status="completed", conclusion=conclusion,
                                               output=first, details_url=url, external_id=_ref(external_id, token)))
    else:
        run, *stale = runs
        for duplicate in stale:
            _supersede(duplicate, run.html_url)
        # An update replaces the summary; annotations of earlier attempts stay, as on GitHub. Its
        # completion time is set, not left to GitHub (whose docs do not say whether an update moves
        # it): the run mlci updates last is the one completed last, which the next publish keeps.
        kept = external_id or _comment_part(run.external_id)
        run.edit(status="completed", conclusion=conclusion, output=first, details_url=url,
                 external_id=_ref(kept, token), completed_at=datetime.now(timezone.utc))
    for batch in batches[1:]:
        run.edit(output={**output, "annotations": batch})
    return CheckResult("check_run", run.html_url)


def _create(repo: Repository, token: str, pause: Callable[[float], None], fields: dict[str, Any]) -> CheckRun:
    """Create the run; after an answer that may follow the write, find it by ``token`` before trying again."""
    import requests
    from github import GithubException

    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return repo.create_check_run(**fields)
        except (GithubException, requests.ConnectionError, requests.Timeout) as exc:
            if isinstance(exc, GithubException) and exc.status < 500:
                raise
            listed = repo.get_commit(fields["head_sha"]).get_check_runs(check_name=fields["name"], filter="all")
            found = next((r for r in listed
                          if _run_part(r.external_id) == token), None)
            if found is not None:
                return found
            if attempt == CREATE_ATTEMPTS:
                raise
            pause(_backoff(repo, attempt))
    raise AssertionError("unreachable")


def _supersede(run: CheckRun, current_url: str) -> None:
    """Complete a duplicate as superseded, neutral, keeping its completion time (so it never reads as the latest)."""
    from github.GithubObject import NotSet

    summary = f"mlci published this check again on the same commit: the current result is [that run]({current_url})."
    run.edit(status="completed", conclusion=SUPERSEDED_CONCLUSION, completed_at=run.completed_at or NotSet,
             external_id=SUPERSEDED, output={"title": SUPERSEDED_TITLE, "summary": summary})


def _ours(runs: Iterable[CheckRun]) -> list[CheckRun]:
    """mlci's completed runs among ``runs``, not yet superseded, the one completed last first.

    A run of the same name by someone else (a workflow job named like the check, still in progress,
    with its own external_id) is left alone."""
    mine = [r for r in runs if r.status == "completed" and _is_mlci(r.external_id)]
    return sorted(mine, key=lambda r: (r.completed_at is not None, r.completed_at or 0, r.id), reverse=True)


def _is_mlci(external_id: str | None) -> bool:
    """An external_id mlci wrote (or none: older versions wrote none without a comment)."""
    return not external_id or external_id.startswith((COMMENT_REF, RUN_REF))


def _ref(comment: str | None, token: str) -> str:
    return f"{comment}{REF_SEPARATOR}{RUN_REF}{token}" if comment else f"{RUN_REF}{token}"


def _parts(external_id: str | None) -> list[str]:
    return (external_id or "").split(REF_SEPARATOR)


def _comment_part(external_id: str | None) -> str | None:
    return next((p for p in _parts(external_id) if p.startswith(COMMENT_REF)), None)


def _run_part(external_id: str | None) -> str | None:
    return next((p.removeprefix(RUN_REF) for p in _parts(external_id) if p.startswith(RUN_REF)), None)


def _backoff(repo: Repository, attempt: int) -> float:
    """The client's own backoff (its Retry's factor), doubled each attempt."""
    factor = getattr(repo.requester.kwargs.get("retry"), "backoff_factor", 1.0)
    return float(factor) * 2.0 ** (attempt - 1)


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
    """The part of a check run's external_id that says it goes with PR comment ``comment_id``."""
    return f"{COMMENT_REF}{comment_id}"


@door
def comment_posted_before(repo: Repository, pr_number: int, check_name: str) -> bool:
    """Whether an earlier run posted the comment (its check run on an earlier commit remembers)."""
    commits = list(repo.get_pull(pr_number).get_commits())
    for commit in reversed(commits[:-1][-1:]):
        for run in commit.get_check_runs(check_name=check_name):
            if _comment_part(run.external_id):
                return True
    return False


def _clip_bytes(text: str, limit: int) -> str:
    """GitHub limits a check summary to 65,535 characters and as many UTF-8 bytes."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")
