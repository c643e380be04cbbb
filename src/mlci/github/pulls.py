"""Pull requests: which one a commit heads, and the PR's conversation (its issue) for comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlci.github.client import door

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.Repository import Repository


@door
def pull_request_issue(repo: Repository, number: int) -> Issue:
    """PR ``number`` as an issue, where its comments live (no request: the client is lazy)."""
    return repo.get_issue(number)


@door
def commit_pull(repo: Repository, sha: str) -> int | None:
    """The first PR GitHub associates with commit ``sha`` whose head is ``sha``, else None."""
    for pr in repo.get_commit(sha).get_pulls():
        if pr.head.sha == sha:
            return pr.number
    return None


@door
def open_pull_headed_by(repo: Repository, sha: str) -> int | None:
    """The first open PR whose head is ``sha``, else None."""
    for pr in repo.get_pulls(state="open"):
        if pr.head.sha == sha:
            return pr.number
    return None
