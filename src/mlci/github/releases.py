"""A version on GitHub: its annotated tag, its release (the model card), and the PR it came from.

Nothing is left half-made. The tag GTO wrote in the local clone is copied through the git data
API as the same annotated tag object (same message, tagger and date, so the same SHA), then
its ref, then the release; when the release cannot be made, the ref is deleted again. A ref
that already exists is either this very tag (a run repeated after a fault: go on to the
release) or someone else's version of that number (:class:`TagTaken`: the caller reads the
versions again and decides again). A release that exists for the tag is this one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from mlci.github.client import GitHubError, door
from mlci.release.plan import Merged
from mlci.release.records import AnnotatedTag

if TYPE_CHECKING:
    from github.Repository import Repository


@dataclass(frozen=True)
class Published:
    tag: str
    release_url: str
    created: bool  # False: the release was there already (a repeated run)


class TagTaken(GitHubError):
    """The tag exists on GitHub for another commit: another run registered that version first."""

    def __init__(self, tag: str, commit: str) -> None:
        super().__init__(422, f"the tag {tag} exists already, for {commit[:7]}")
        self.tag = tag


@door
def merged_pr(repo: Repository, sha: str) -> Merged | None:
    """The merged pull request that made commit ``sha`` (GitHub's list of a commit's PRs)."""
    for pull in repo.get_commit(sha).get_pulls():
        if pull.merged_at is not None or pull.merge_commit_sha == sha:
            return Merged(number=pull.number, title=pull.title, labels=tuple(label.name for label in pull.labels),
                          body=pull.body)
    return None


@door
def remote_versions(repo: Repository, tag_prefix: str) -> dict[str, str]:
    """The tags on GitHub that start with ``tag_prefix`` (``name@v``), each with its commit
    (the repository's tag list gives both, a page of 100 at a time)."""
    return {tag.name: tag.commit.sha for tag in repo.get_tags() if tag.name.startswith(tag_prefix)}


@door
def push_tag(repo: Repository, tag: AnnotatedTag) -> Any:
    """The annotated tag on GitHub: its object, then its ref. The ref made (None: it was there
    already, for this very commit: a run repeated after a fault); TagTaken when it names another."""
    from github import GithubException, InputGitAuthor

    date = datetime.fromtimestamp(tag.timestamp, timezone(timedelta(minutes=tag.offset_minutes))).isoformat()
    made = repo.create_git_tag(tag.name, tag.message, tag.commit, "commit",
                               InputGitAuthor(tag.tagger_name, tag.tagger_email, date))
    try:
        return repo.create_git_ref(f"refs/tags/{tag.name}", made.sha)
    except GithubException as exc:
        if exc.status != 422:
            raise
        ref = repo.get_git_ref(f"tags/{tag.name}")
        commit = repo.get_git_tag(ref.object.sha).object.sha if ref.object.type == "tag" else ref.object.sha
        if commit != tag.commit:
            raise TagTaken(tag.name, commit) from None
        return None


@door
def publish(repo: Repository, tag: AnnotatedTag, title: str, body: str) -> Published:
    """The tag and its release on GitHub (see the module's doc); TagTaken when the tag is another's."""
    from github import GithubException

    existing = _release(repo, tag.name)
    if existing is not None:
        return Published(tag.name, existing, created=False)
    ours = push_tag(repo, tag)
    try:
        release = repo.create_git_release(tag.name, name=title, message=body, draft=False, prerelease=False)
    except GithubException as exc:
        if exc.status == 422 and (found := _release(repo, tag.name)) is not None:
            return Published(tag.name, found, created=False)  # made by an attempt whose answer was lost
        if ours is not None:
            try:
                ours.delete()  # no tag without its release (the ref as created: its URL is GitHub's own)
            except GithubException:
                pass
        raise
    return Published(tag.name, release.html_url, created=True)


@door
def dispatch(repo: Repository, workflow: str, inputs: dict[str, str]) -> None:
    """Start ``workflow`` (its file name or id) on the default branch with ``inputs``
    (workflow_dispatch: the one event the job's own token may start)."""
    from mlci.github.contents import default_branch

    ref = default_branch(repo)
    found = repo.get_workflow(int(workflow) if workflow.isdigit() else workflow)
    if not found.create_dispatch(ref, inputs):
        raise GitHubError(422, f"{workflow} was not started (GitHub refused the dispatch on {ref})")


def _release(repo: Repository, tag: str) -> str | None:
    from github import UnknownObjectException

    try:
        return str(repo.get_release(tag).html_url)
    except UnknownObjectException:
        return None
