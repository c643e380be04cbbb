"""The sticky PR comment: one per (workflow, project), found again by its hidden marker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from github.IssueComment import IssueComment
    from github.PullRequest import PullRequest

CommentMode = Literal["update", "new", "once", "off"]
COMMENT_MODES: tuple[CommentMode, ...] = ("update", "new", "once", "off")
# CML (iterative/cml) signs its comments with this image; `take_over_cml` lets mlci reuse one.
CML_WATERMARK = re.compile(r"!\[\]\(https://cml\.dev/watermark\.png#[0-9a-f]*[^)]*\)")


@dataclass(frozen=True)
class CommentResult:
    action: Literal["created", "updated", "recreated", "unchanged", "skipped"]
    url: str | None
    comment_id: int | None
    note: str = ""


def find_comment(pr: PullRequest, marker: str, *, take_over_cml: bool = False) -> IssueComment | None:
    """The newest bot comment carrying ``marker`` (or a CML comment, when taking over)."""
    found = None
    for comment in pr.get_issue_comments():
        body = comment.body or ""
        if comment.user is not None and comment.user.type != "Bot":
            continue
        if body.startswith(marker) or (take_over_cml and found is None and CML_WATERMARK.search(body)):
            found = comment
    return found


def upsert_comment(pr: PullRequest, body: str, marker: str, mode: CommentMode, *, take_over_cml: bool = False,
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
        created = pr.create_issue_comment(body)
        return CommentResult("recreated", created.html_url, created.id)
    created = pr.create_issue_comment(body)
    return CommentResult("created", created.html_url, created.id)
