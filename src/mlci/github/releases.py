"""A version on GitHub: its annotated tag, its release (the model card) with its assets, and the PR it came from.

Nothing is left half-made. The tag GTO wrote in the local clone is copied through the git data
API as the same annotated tag object (same message, tagger and date, so the same SHA), then
its ref, then the release, then its assets (uploaded to the release's ``upload_url``); when
the release cannot be made, the ref is deleted again, and when an asset cannot be uploaded
to the release just made, the release and the ref go. A ref that already exists is either
this very tag (a run repeated after a fault: go on to the release) or someone else's version
of that number (:class:`TagTaken`: the caller reads the versions again and decides again). A
release that exists for the tag is this one's: it gets only the assets it lacks, by name (an
upload that never finished, which GitHub leaves as an empty asset, is deleted and made again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.github.client import GitHubError, door, github_message
from mlci.github.dispatch import dispatch as dispatch  # moved to github/dispatch.py; `mlci promote --dispatch` imports it here
from mlci.release.plan import Merged
from mlci.release.records import AnnotatedTag

if TYPE_CHECKING:
    from github.GitRelease import GitRelease
    from github.Repository import Repository

# GitHub: "Each file included in a release must be under 2 GiB."
MAX_ASSET_BYTES = 2 * 1024 ** 3


@dataclass(frozen=True)
class Asset:
    """A file to attach to a release: its name there (one GitHub keeps as it is), the file, its media type."""

    name: str
    file: Path
    content_type: str
    size: int


@dataclass(frozen=True)
class Published:
    tag: str
    release_url: str
    created: bool  # False: the release was there already (a repeated run)
    attached: tuple[str, ...] = ()  # the assets this run uploaded (the others were there already)


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
def publish(repo: Repository, tag: AnnotatedTag, title: str, body: str, assets: Sequence[Asset] = ()) -> Published:
    """The tag, its release and the release's ``assets`` on GitHub (see the module's doc); TagTaken
    when the tag is another's."""
    from github import GithubException

    existing = _release(repo, tag.name)
    if existing is not None:
        return Published(tag.name, existing.html_url, created=False, attached=_attach(existing, assets, fresh=False))
    ours = push_tag(repo, tag)
    try:
        release = repo.create_git_release(tag.name, name=title, message=body, draft=False, prerelease=False)
    except GithubException as exc:
        if exc.status == 422 and (found := _release(repo, tag.name)) is not None:
            # made by an attempt whose answer was lost: not known to be this run's, so never deleted
            return Published(tag.name, found.html_url, created=False, attached=_attach(found, assets, fresh=False))
        if ours is not None:
            try:
                ours.delete()  # no tag without its release (the ref as created: its URL is GitHub's own)
            except GithubException:
                pass
        raise
    try:
        attached = _attach(release, assets, fresh=True)
    except BaseException:
        _take_back(release, ours)
        raise
    return Published(tag.name, release.html_url, created=True, attached=attached)


@door
def lacking(repo: Repository, tag: str, names: Sequence[str]) -> tuple[str, ...] | None:
    """Which of ``names`` the release of ``tag`` has no finished asset of (None: there is no release)."""
    release = _release(repo, tag)
    if release is None:
        return None
    done = {asset.name for asset in release.get_assets() if asset.state == "uploaded"}
    return tuple(name for name in names if name not in done)


@door
def attach(repo: Repository, tag: str, assets: Sequence[Asset]) -> tuple[str, ...] | None:
    """The ``assets`` the release of ``tag`` lacks, uploaded; their names (None: there is no release).
    A release made earlier is never taken back when an upload fails: a re-run uploads what is lacking."""
    release = _release(repo, tag)
    return None if release is None else _attach(release, assets, fresh=False)


def _attach(release: GitRelease, assets: Sequence[Asset], *, fresh: bool) -> tuple[str, ...]:
    """Upload to ``release`` each of ``assets`` it lacks (``fresh``: it was just made, so it has none)."""
    if not assets:
        return ()
    present = {} if fresh else {asset.name: asset for asset in release.get_assets()}
    uploaded = []
    for asset in assets:
        there = present.get(asset.name)
        if there is not None and there.state == "uploaded":
            continue  # a repeated run: this one is there
        if there is not None:
            there.delete_asset()  # an upload that never finished: "It can be safely deleted", GitHub says
        _upload(release, asset)
        uploaded.append(asset.name)
    return tuple(uploaded)


def _upload(release: GitRelease, asset: Asset) -> None:
    from github import GithubException

    try:
        release.upload_asset(str(asset.file), content_type=asset.content_type, name=asset.name)
    except GithubException as exc:
        if exc.status == 422 and any(a.name == asset.name and a.state == "uploaded" and a.size == asset.size
                                     for a in release.get_assets()):
            return  # the client's retry of an upload GitHub had done (its answer was lost): done
        if isinstance(exc.status, int) and exc.status < 500:
            raise GitHubError(exc.status, f"{github_message(exc)} (uploading {asset.name} to the release of "
                                          f"{release.tag_name})") from None
        raise


def _take_back(release: GitRelease, ref: Any) -> None:
    """Delete the release just made and, once it is gone, the tag's ref made for it (None: the tag was
    there before): no release without its assets, no tag without its release. Best effort: what failed
    first is what the caller reports."""
    try:
        release.delete_release()
        if ref is not None:
            ref.delete()
    except Exception:  # noqa: BLE001 - the upload's error is the one to report
        pass


def _release(repo: Repository, tag: str) -> GitRelease | None:
    from github import UnknownObjectException

    try:
        return repo.get_release(tag)
    except UnknownObjectException:
        return None
