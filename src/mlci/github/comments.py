"""The sticky PR comment: one per (workflow, project), found again by its hidden marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from mlci.github.client import door

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Repository import Repository

CommentMode = Literal["update", "new", "once", "off"]
# CML (iterative/cml) signs its comments with this image; `take_over_cml` lets mlci reuse one.
CML_WATERMARK = re.compile(r"!\[\]\(https://cml\.dev/watermark\.png#[0-9a-f]*[^)]*\)")


@dataclass(frozen=True)
class CommentResult:
    action: Literal["created", "updated", "recreated", "unchanged", "skipped"]
    url: str | None
    comment_id: int | None
    note: str = ""


@door
def marked_comments(pr: Issue, marker: str, since: datetime | None = None) -> list[IssueComment]:
    """Bot comments whose first line is ``marker``, oldest first (one request per 100 comments;
    ``since`` limits the listing to comments updated since then)."""
    listing = pr.get_comments() if since is None else pr.get_comments(since=since)
    return [c for c in listing if _by_bot(c) and (c.body or "").startswith(marker)]


@door
def find_comment(pr: Issue, marker: str, *, take_over_cml: bool = False) -> IssueComment | None:
    """The oldest bot comment carrying ``marker``; else, when taking over, the newest CML comment."""
    cml = None
    for comment in pr.get_comments():
        if not _by_bot(comment):
            continue
        body = comment.body or ""
        if body.startswith(marker):
            return comment
        if take_over_cml and CML_WATERMARK.search(body):
            cml = comment
    return cml


def _by_bot(comment: IssueComment) -> bool:
    return comment.user is None or comment.user.type == "Bot"


@door
def upsert_comment(pr: Issue, body: str, marker: str, mode: CommentMode, *, take_over_cml: bool = False,
                   posted_before: bool = False) -> CommentResult:
    """Post ``body`` on ``pr`` as ``mode`` says.

    update: edit the marked comment in place, create it when absent.
    new: delete the marked comment and post a new one (it moves to the bottom).
    once: like update, but never recreate a comment a person deleted
          (``posted_before`` tells that one was posted earlier).
    off: post nothing.
    """
    if mode == "off":
        return CommentResult("skipped", None, None, "comments are off in the policy")
    existing = find_comment(pr, marker, take_over_cml=take_over_cml)
    if existing is not None and mode in ("update", "once"):
        if existing.body == body:
            return CommentResult("unchanged", existing.html_url, existing.id)
        existing.edit(body)
        return CommentResult("updated", existing.html_url, existing.id)
    if existing is None and mode == "once" and posted_before:
        return CommentResult("skipped", None, None, "the comment was deleted; `once` does not post it again")
    if existing is not None:  # mode == "new"
        existing.delete()
        created = pr.create_comment(body)
        return _one_left(pr, marker, created, "recreated")
    created = pr.create_comment(body)
    return _one_left(pr, marker, created, "created")


RACE_WINDOW = timedelta(minutes=10)


def _one_left(pr: Issue, marker: str, created: IssueComment, action: Literal["created", "recreated"]) -> CommentResult:
    """Two publishers racing may both create a comment: each keeps the oldest and deletes the rest,
    so the PR ends with one. Only comments from around the creation are listed (one request)."""
    result = CommentResult(action, created.html_url, created.id)
    since = created.created_at - RACE_WINDOW if created.created_at else None
    marked = marked_comments(pr, marker, since=since)
    if len(marked) <= 1:
        return result
    keep, *extra = sorted(marked, key=lambda c: c.id)
    for comment in extra:
        try:
            comment.delete()
        except Exception:  # noqa: BLE001 - the other publisher deleted it first
            pass
    return CommentResult(result.action, keep.html_url, keep.id, "another run posted at the same time; kept one")


# -- mlci comment create: a commit's comments, and CML's comments of one watermark title ------------


@door
def commit_thread(repo: Repository, sha: str) -> CommitThread:
    """The comments of commit ``sha``, as upsert_comment reads a PR's (no request yet: the client is lazy)."""
    return CommitThread(repo.get_commit(sha))


class CommitThread:
    """A commit's comments as upsert_comment reads a PR's: get_comments (``since`` filtered here:
    the commit comments API has no such parameter) and create_comment."""

    def __init__(self, commit: Any) -> None:
        self._commit = commit

    def get_comments(self, since: Any = None) -> list[Any]:
        comments = list(self._commit.get_comments())
        return comments if since is None else [c for c in comments if c.updated_at is None or c.updated_at >= since]

    def create_comment(self, body: str) -> Any:
        return self._commit.create_comment(body)


class TitledThread:
    """A conversation as upsert_comment reads it, where the comments CML signed with another watermark
    title are not seen: taking over CML's comment takes the one of the same title, never another.
    CML comments of that title not by a bot (CML run with a personal token) are named in ``left``."""

    def __init__(self, inner: Any, title: str) -> None:
        from mlci.render.usermd import cml_watermark

        self._inner = inner
        self._watermark = cml_watermark(title)
        self.left: list[str] = []

    def get_comments(self, since: Any = None) -> list[Any]:
        listing = self._inner.get_comments() if since is None else self._inner.get_comments(since=since)
        seen = []
        for comment in listing:
            body = comment.body or ""
            if CML_WATERMARK.search(body):
                if not self._watermark.search(body):
                    continue
                user = comment.user
                if user is not None and user.type != "Bot" and since is None:
                    shown = f"@{user.login}: {comment.html_url}"
                    if shown not in self.left:
                        self.left.append(shown)
            seen.append(comment)
        return seen

    def create_comment(self, body: str) -> Any:
        return self._inner.create_comment(body)
