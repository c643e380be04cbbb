"""Pull requests: which one a commit heads, and the PR's conversation (its issue) for comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlci.github.client import door
from mlci.report import ForkChanges

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


MAX_FILES = 300  # what the comment can name; GitHub lists up to 3,000 files of a PR


@door
def pull_changes(repo: Repository, number: int) -> ForkChanges:
    """The paths PR ``number`` changes, as GitHub lists them (the first MAX_FILES)."""
    files: list[str] = []
    for file in repo.get_pull(number).get_files():
        if len(files) == MAX_FILES:
            return ForkChanges(tuple(files), complete=False)
        files.append(file.filename)
    return ForkChanges(tuple(files))
