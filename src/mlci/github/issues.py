"""The tracking issue of a monitored dataset: one per dataset, found again by its label and hidden marker.

`mlci drift publish` opens the issue when a dataset starts to drift, edits it in place on every
drifting run and closes it, with a comment, when a run finds no drift. An issue is mlci's when a
bot opened it (the job's GITHUB_TOKEN, or a GitHub App's token), it carries the label, and its
body starts with the dataset's marker; a person's issue is never taken over.

Never two open issues for one dataset: the open ones are looked for before one is made, and the
issue is created through a client that does not repeat the POST after an answer that may follow
the write (``NOT_REPEATED`` in :mod:`mlci.github.client`): after a 5xx or a lost answer the issues are looked at again
and the one GitHub made is used. Should two runs race anyway (or an older one have left two),
the oldest is kept and the others are closed as its duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mlci.github.client import GitHubError, door, github_message

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.Repository import Repository

PERMISSION = "issues: write"
CREATE_ATTEMPTS = 3
BODY_LIMIT = 65_536  # GitHub's, in characters, as for comments


@dataclass(frozen=True)
class Tracked:
    """A tracking issue as GitHub listed it (plain data: no PyGithub object leaves mlci.github)."""

    number: int
    url: str
    title: str
    body: str


@dataclass(frozen=True)
class Tracking:
    """A dataset's tracking issues: the open ones, oldest first (one, unless something went wrong),
    and the one closed last (the previous episode of drift), if any."""

    open: tuple[Tracked, ...]
    closed: Tracked | None


@dataclass(frozen=True)
class Posted:
    action: Literal["created", "updated", "unchanged", "closed"]
    number: int
    url: str
    note: str = ""


@door
def tracking(repo: Repository, label: str, marker: str) -> Tracking:
    """The open issues with ``label`` whose body starts with ``marker`` (oldest first), and the newest
    closed one: one request for the open ones (100 a page), and closed ones newest first until one is
    the dataset's."""
    with _needing("issues: read"):
        found = [_tracked(i) for i in repo.get_issues(state="open", labels=[label]) if _ours(i, marker)]
        closed = next((_tracked(i) for i in repo.get_issues(state="closed", labels=[label], sort="created",
                                                            direction="desc") if _ours(i, marker)), None)
    return Tracking(tuple(sorted(found, key=lambda i: i.number)), closed)


@door
def open_or_update(repo: Repository, label: str, marker: str, title: str, body: str, *,
                   found: Tracking | None = None, pause: Callable[[float], None] = time.sleep) -> Posted:
    """The dataset's one open issue with ``title`` and ``body`` (which starts with ``marker``): the open
    one edited in place (``found``: what :func:`tracking` saw, else it is looked for), else a new one."""
    found = found if found is not None else tracking(repo, label, marker)
    with _needing(PERMISSION):
        if found.open:
            keep, *extra = found.open
            _close_duplicates(repo, extra)
            if keep.title == title and keep.body == body:
                return Posted("unchanged", keep.number, keep.url)
            repo.get_issue(keep.number).edit(title=title, body=body)  # lazy: the edit is the one request
            return Posted("updated", keep.number, keep.url)
        made = _create(repo, label, marker, title, body, pause)
        now_open = tracking(repo, label, marker).open  # two runs racing: the oldest stays
        if len(now_open) > 1:
            keep, *extra = now_open
            _close_duplicates(repo, extra)
            note = f"another run opened #{keep.number} at the same time; closed the others as its duplicates"
            return Posted("updated" if keep.number != made.number else "created", keep.number, keep.url, note)
        return Posted("created", made.number, made.url)


@door
def close(repo: Repository, issue: Tracked, comment: str) -> Posted:
    """Comment on ``issue`` (why it is closed), then close it as completed (editing its state is the
    same request again and again; the comment, like mlci's other comments, is retried)."""
    with _needing(PERMISSION):
        target = repo.get_issue(issue.number)  # lazy: no request
        target.create_comment(comment)
        target.edit(state="closed", state_reason="completed")
    return Posted("closed", issue.number, issue.url)


def _tracked(issue: Issue) -> Tracked:
    return Tracked(issue.number, issue.html_url, issue.title, issue.body or "")


def _ours(issue: Issue, marker: str) -> bool:
    """A bot's issue (not a pull request) whose body starts with ``marker``."""
    if issue.pull_request is not None:
        return False
    user = issue.user
    return (user is None or user.type == "Bot") and (issue.body or "").startswith(marker)


def _create(repo: Repository, label: str, marker: str, title: str, body: str,
            pause: Callable[[float], None]) -> Tracked:
    """Create the issue; after an answer that may follow the write, look for it before trying again."""
    import requests
    from github import GithubException

    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return _tracked(repo.create_issue(title, body=body, labels=[label]))
        except (GithubException, requests.ConnectionError, requests.Timeout) as exc:
            if isinstance(exc, GithubException) and exc.status < 500:
                raise
            made = tracking(repo, label, marker).open
            if made:
                return made[0]  # GitHub made it; only its answer was lost
            if attempt == CREATE_ATTEMPTS:
                raise
            pause(_backoff(repo, attempt))
    raise AssertionError("unreachable")


def _close_duplicates(repo: Repository, extra: Sequence[Tracked]) -> None:
    for issue in extra:
        repo.get_issue(issue.number).edit(state="closed", state_reason="duplicate")


def _backoff(repo: Repository, attempt: int) -> float:
    """The client's own backoff (its Retry's factor), doubled each attempt."""
    factor = getattr(repo.requester.kwargs.get("retry"), "backoff_factor", 1.0)
    return float(factor) * 2.0 ** (attempt - 1)


@contextmanager
def _needing(permission: str) -> Iterator[None]:
    """GitHub's refusals of the issues API as what to change: a 403 names the permission the token
    lacks (GitHub's x-accepted-github-permissions when it says), a 410 that issues are off."""
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        if exc.status == 403 and "rate limit" not in github_message(exc).lower():
            accepted = (exc.headers or {}).get("x-accepted-github-permissions")
            raise GitHubError(403, f"{github_message(exc)}: the token needs `{permission}` (the workflow's "
                                   f"`permissions:`){f'; GitHub accepts {accepted}' if accepted else ''}") from None
        if exc.status == 410:
            raise GitHubError(410, f"{github_message(exc)}: turn issues on in the repository's settings "
                                   "(General > Features > Issues) for the tracking issue") from None
        raise
