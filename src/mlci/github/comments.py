"""The sticky PR comment: one per (workflow, project), found again by its hidden marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from mlci.github.client import door

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment

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
