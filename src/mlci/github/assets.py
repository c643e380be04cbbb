"""Plot images hosted in the repository itself: one commit per run on an orphan branch, through the git data API.

The job's GITHUB_TOKEN cannot upload comment attachments, and raw.githubusercontent.com links do
not render in private repositories; so each run commits its images to a branch of their own
(``mlci-assets`` by default), in ``<key>/<UTC time>-<run>/<name>``, and links them as
``{server}/{owner}/{repo}/blob/{commit}/{path}?raw=true``, pinned to that commit. Commits keep
their parents, so a link in an old comment stays reachable after its folder is pruned.

One run costs, in the git data API, one recursive tree listing, a blob per image, one tree, one
commit and one ref update (the head itself is read through the commits API, which gives the
head's tree too): at most 4 calls plus 1 per image. A run that makes the branch has no listing
and creates the ref instead. Another run moving the branch meanwhile makes the update fail as
not a fast-forward: the head is read again and the tree and commit made again on it (the blobs
are kept), up to ``ATTEMPTS`` times.

Pruning (``HostSettings``): the new run is always kept; each key keeps its newest ``keep_runs``
runs; a PR that is not open loses all its runs once its newest is older than ``retention_days``;
a branch's or commit's key loses its runs older than that, but never its newest. Folders are
deleted file by file (``sha: null`` entries): deleting a whole folder that way is reported to
fail on GitHub (go-github#2418), and the listing names every file anyway. Only folders of mlci's
own shape are touched; with a truncated listing, only what it listed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from mlci.errors import MlciError
from mlci.github.client import GitHubError, door, github_message

if TYPE_CHECKING:
    from github.GitCommit import GitCommit
    from github.GitTree import GitTree
    from github.InputGitTreeElement import InputGitTreeElement
    from github.Repository import Repository

    from mlci.plots.model import PlotSettings

# GitHub's limit for an image in a comment (attachments: "10MB for images and gifs").
MAX_IMAGE_BYTES = 10 * 1024 * 1024
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
MAX_NAME = 100
MAX_RUN = 60
BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*\Z")
STAMP = "%Y%m%dT%H%M%SZ"
RUN_FOLDER = re.compile(r"(\d{8}T\d{6}Z)-[A-Za-z0-9][A-Za-z0-9._-]*\Z")
PR_KEY = re.compile(r"pr-([1-9][0-9]*)\Z")
ATTEMPTS = 3
FILE_MODE = "100644"

README = """# mlci's plot images

This branch holds the plot images mlci draws for pull request comments and job summaries, one
folder per pull request (or branch) and run: `<key>/<UTC time>-<run>/<image>`. Each comment links
its images at the commit that added them. mlci prunes old runs: the last few of each pull request
are kept, and a closed pull request's go after a while.

Nothing else uses this branch; it has no history in common with the code. It is safe to delete:
the images of old comments then stop showing.
"""


@dataclass(frozen=True)
class Asset:
    """An image to host: its file name in the run's folder (``[A-Za-z0-9][A-Za-z0-9._-]*``) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class HostSettings:
    branch: str = "mlci-assets"
    keep_runs: int = 3  # runs kept per key (per PR, or per branch for non-PR runs), the new one included
    retention_days: int = 14  # runs of closed PRs (and of non-PR keys) older than this are dropped

    @classmethod
    def of(cls, plots: PlotSettings) -> HostSettings:
        """The assets branch and its pruning as mlci.yaml's ``plots:`` says."""
        return cls(branch=plots.branch, keep_runs=plots.keep_runs, retention_days=plots.retention_days)


@dataclass(frozen=True)
class Hosted:
    commit: str  # the asset commit the links are pinned to ("" when there was nothing to host)
    folder: str  # e.g. "pr-12/20261202T003000Z-run-123-1"
    urls: dict[str, str]  # Asset.name -> f"{server_url}/{owner}/{repo}/blob/{commit}/{folder}/{name}?raw=true"
    pruned: tuple[str, ...] = ()  # run folders removed


class AssetRefused(MlciError):
    """Assets, a key, a run or settings mlci will not send: refused before any request (not a GitHubError)."""


class BranchRefused(GitHubError):
    """GitHub refused to let the assets branch be read or written (a protected branch, a token without
    ``contents: write``, a branch that kept moving): GitHub's status, and one line saying so."""

    def __init__(self, status: int, branch: str, reason: str, *, verb: str = "written") -> None:
        line = " ".join(reason.split())  # GitHub's messages may hold blank lines (rule violations)
        super().__init__(status, f"the assets branch {branch} cannot be {verb}: {line}")
        Exception.__init__(self, self.message)
        self.branch = branch


def run_key(pr_number: int | None, branch: str | None, sha: str) -> str:
    """The folder a run's images go under: ``pr-12``, else ``branch-<safe name>``, else ``commit-<sha12>``."""
    if pr_number is not None:
        if pr_number < 1:
            raise AssetRefused(f"a pull request number is positive, not {pr_number}")
        return f"pr-{pr_number}"
    if branch:
        return "branch-" + safe_name(branch.removeprefix("refs/heads/"), MAX_NAME - len("branch-"))
    short = sha.lower()[:12]
    return "commit-" + (short if re.fullmatch(r"[0-9a-f]{7,12}", short) else safe_name(sha, 12 + 9))


def safe_name(text: str, limit: int = MAX_RUN) -> str:
    """``text`` as a file name of ``[A-Za-z0-9][A-Za-z0-9._-]*`` at most ``limit`` long: as it is when it
    already is one, else its other characters as ``-`` and 8 characters of its hash added, so two names
    made alike this way stay apart."""
    if NAME.match(text) and len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    kept = re.sub(r"[^A-Za-z0-9._-]+", "-", text)
    kept = re.sub(r"^[^A-Za-z0-9]+", "", kept)[: max(limit - 9, 0)].rstrip("-.")
    return f"{kept}-{digest}" if kept else digest


@door
def open_pull_numbers(repo: Repository) -> set[int]:
    """The numbers of the repository's open pull requests (``GET pulls?state=open``, every page)."""
    return {pull.number for pull in repo.get_pulls(state="open")}


@door
def host_assets(repo: Repository, assets: Sequence[Asset], *, key: str, run: str, server_url: str,
                settings: HostSettings = HostSettings(), now: datetime | None = None,
                open_prs: Callable[[], set[int]] | None = None) -> Hosted:
    """Commit ``assets`` to ``settings.branch`` in ``<key>/<now>-<run>/`` and prune old runs (see the
    module's doc); the links to each image, pinned to the new commit.

    ``key``: ``run_key``'s; ``run``: the caller's id of the run ("run-123-1"), made safe with
    ``safe_name``. ``now`` (default: the clock) dates the folder and judges the retention.
    ``open_prs`` (default ``open_pull_numbers``) is asked only when a closed PR's runs may go (at most
    once; a GitHubError from it prunes no PR this run).
    No assets: nothing is sent. AssetRefused before any request for an image over 10 MB, names
    twice or not of the safe shape, a key of another shape, or settings out of range;
    BranchRefused (a GitHubError) with GitHub's status when the branch cannot be written.
    """
    when = now or datetime.now(timezone.utc)
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    _check(assets, key, settings)
    if not run:
        raise AssetRefused("a run id is needed to name the run's folder")
    folder = f"{key}/{when.strftime(STAMP)}-{safe_name(run)}"
    if not assets:
        return Hosted("", folder, {})
    branch = settings.branch
    blobs: dict[str, str] = {}
    for asset in assets:
        encoded = base64.b64encode(asset.data).decode("ascii")
        blobs[asset.name] = _write(branch, lambda: repo.create_git_blob(encoded, "base64")).sha
    added = [_element(f"{folder}/{name}", sha) for name, sha in blobs.items()]
    asked: list[set[int] | None] = []

    def is_open(number: int) -> bool:
        """Whether PR ``number`` is open, the open PRs asked once; when they cannot be listed, every PR counts
        as open: pruning waits for a later run, the images are hosted all the same."""
        if not asked:
            try:
                asked.append((open_prs or (lambda: open_pull_numbers(repo)))())
            except GitHubError:
                asked.append(None)
        found = asked[0]
        return found is None or number in found

    for _attempt in range(ATTEMPTS):
        head = _head(repo, branch)
        if head is None:
            made = _commit(repo, branch, [*added, _element("README.md", content=README)], None, [],
                           _message(key, folder, ()))
            if _create_ref(repo, branch, made.sha):
                return _hosted(repo, server_url, made.sha, folder, blobs, ())
            continue  # another run made the branch first: build on its head
        head_sha, tree_sha = head
        listing = _write(branch, lambda: repo.get_git_tree(tree_sha, recursive=True), verb="read")
        files = _run_files(listing)
        pruned = _pruned(files, key, folder, settings, when, is_open)
        gone = [_element(path, None, mode) for run_folder in pruned for path, mode in files[run_folder]]
        made = _commit(repo, branch, [*added, *gone], listing, [_parent(repo, head_sha)],
                       _message(key, folder, pruned))
        if _move_ref(repo, branch, made.sha):
            return _hosted(repo, server_url, made.sha, folder, blobs, tuple(pruned))
    raise BranchRefused(409, branch, f"other runs moved it {ATTEMPTS} times while this run wrote to it; "
                                     "the images of this run are not linked")


# --- Checks before any request -----------------------------------------------------------------------------------

def _check(assets: Sequence[Asset], key: str, settings: HostSettings) -> None:
    if not (NAME.match(key) and len(key) <= MAX_NAME):
        raise AssetRefused(f"{key!r} cannot name a folder of the assets branch: letters, digits, '.', '_' and '-' "
                           f"only, from a letter or digit, at most {MAX_NAME} characters (see run_key)")
    branch = settings.branch
    if not BRANCH.match(branch) or ".." in branch or "//" in branch or branch.endswith(("/", ".", ".lock")):
        raise AssetRefused(f"{branch!r} is not a branch name mlci writes images to")
    if settings.keep_runs < 1 or settings.retention_days < 0:
        raise AssetRefused(f"keep_runs is at least 1 and retention_days at least 0 "
                           f"(got {settings.keep_runs} and {settings.retention_days})")
    seen: set[str] = set()
    for asset in assets:
        if not (NAME.match(asset.name) and len(asset.name) <= MAX_NAME):
            raise AssetRefused(f"{asset.name!r} cannot be an image's file name on the assets branch: letters, "
                               f"digits, '.', '_' and '-' only, from a letter or digit, at most {MAX_NAME} characters")
        if asset.name in seen:
            raise AssetRefused(f"two images are named {asset.name}")
        seen.add(asset.name)
        if len(asset.data) > MAX_IMAGE_BYTES:
            raise AssetRefused(f"{asset.name} is {len(asset.data) / 1024 / 1024:.1f} MB ({len(asset.data):,} bytes), "
                               f"over GitHub's 10 MB for an image in a comment")


# --- Pruning (pure) ----------------------------------------------------------------------------------------------

def _run_files(listing: GitTree) -> dict[str, list[tuple[str, str]]]:
    """Every file of the listing under a run folder of mlci's shape (``<key>/<stamp>-<run>/...``), by folder:
    (path, mode). Anything else (the README, a person's files) is never pruned."""
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in listing.tree:
        if entry.type != "blob":
            continue
        parts = entry.path.split("/")
        if len(parts) >= 3 and NAME.match(parts[0]) and RUN_FOLDER.match(parts[1]):
            found.setdefault(f"{parts[0]}/{parts[1]}", []).append((entry.path, entry.mode))
    return found


def _pruned(files: dict[str, list[tuple[str, str]]], key: str, folder: str, settings: HostSettings,
            now: datetime, is_open: Callable[[int], bool]) -> list[str]:
    """The run folders to delete, sorted (see the module's doc); never ``folder``, the new run."""
    by_key: dict[str, set[str]] = {}
    for run_folder in files:
        owner, name = run_folder.split("/")
        by_key.setdefault(owner, set()).add(name)
    by_key.setdefault(key, set()).add(folder.split("/")[1])
    cutoff = now - timedelta(days=settings.retention_days)
    dropped: list[str] = []
    for owner, names in by_key.items():
        newest_first = sorted(names, key=lambda n: (_stamp(n), n), reverse=True)
        new = folder.split("/")[1] if owner == key else None
        pr = PR_KEY.match(owner)
        if new is None and pr and _stamp(newest_first[0]) < cutoff and not is_open(int(pr.group(1))):
            drop = set(newest_first)  # a closed PR past its retention: all of it
        else:
            others = [n for n in newest_first if n != new]
            kept = others[: settings.keep_runs - (1 if new else 0)]
            drop = set(others) - set(kept)
            if not pr:  # a branch's or a commit's runs: the old ones go, its newest stays
                drop |= {n for n in newest_first[1:] if n != new and _stamp(n) < cutoff}
        dropped += [f"{owner}/{name}" for name in drop if f"{owner}/{name}" in files]
    return sorted(dropped)


def _stamp(name: str) -> datetime:
    return datetime.strptime(name[: len("20260101T000000Z")], STAMP).replace(tzinfo=timezone.utc)


# --- Requests ----------------------------------------------------------------------------------------------------

def _write(branch: str, call: Callable[[], Any], *, verb: str = "written") -> Any:
    """``call()``; GitHub's refusal of it (a 4xx) as BranchRefused. 5xx and lost answers are left to ``door``."""
    from github import GithubException

    try:
        return call()
    except GithubException as exc:
        refused = _refused(exc, branch, verb)
        if refused is not None:
            raise refused from None
        raise


def _refused(exc: Any, branch: str, verb: str = "written") -> BranchRefused | None:
    """PyGithub's exception for a refusal (a 4xx) as BranchRefused: GitHub's status and message in one line."""
    if isinstance(exc.status, int) and exc.status < 500:
        return BranchRefused(exc.status, branch, f"{exc.status} {github_message(exc)}", verb=verb)
    return None


def _head(repo: Repository, branch: str) -> tuple[str, str] | None:
    """The branch head's commit and tree SHAs (one read of the commits API), or None: no such branch. GitHub
    answers a branch that does not exist with 422 "No commit found for SHA: <branch>" (dotnet/arcade#6044,
    zizmorcore/zizmor#972), not 404 (taken too), and an empty repository with 409 (the write then fails)."""
    from github import GithubException

    try:
        data = repo.get_commit(branch).raw_data
    except GithubException as exc:
        if exc.status in (404, 409) or (exc.status == 422 and "No commit found" in github_message(exc)):
            return None
        refused = _refused(exc, branch, "read")
        if refused is not None:
            raise refused from None
        raise
    return str(data["sha"]), str(data["commit"]["tree"]["sha"])


def _element(path: str, sha: str | None = None, mode: str = FILE_MODE, *,
             content: str | None = None) -> InputGitTreeElement:
    from github import InputGitTreeElement

    if content is not None:
        return InputGitTreeElement(path, mode, "blob", content=content)
    return InputGitTreeElement(path, mode, "blob", sha=sha)


def _commit(repo: Repository, branch: str, entries: list[InputGitTreeElement], base: GitTree | None,
            parents: list[GitCommit], message: str) -> GitCommit:
    """One tree (on ``base``) and one commit of it."""
    def tree() -> GitTree:
        return repo.create_git_tree(entries, base) if base is not None else repo.create_git_tree(entries)

    made_tree = _write(branch, tree)
    made: GitCommit = _write(branch, lambda: repo.create_git_commit(message, made_tree, parents))
    return made


def _parent(repo: Repository, sha: str) -> GitCommit:
    """The head as a parent for create_git_commit, which sends only its SHA: no request to read it again."""
    from github.GitCommit import GitCommit

    return GitCommit(repo.requester, {}, {"sha": sha, "url": f"{repo.url}/git/commits/{sha}"}, completed=True)


def _create_ref(repo: Repository, branch: str, sha: str) -> bool:
    """Make the branch at ``sha``; False when another run made it first."""
    return _ref_write(branch, lambda: repo.create_git_ref(f"refs/heads/{branch}", sha), raced="already exists")


def _move_ref(repo: Repository, branch: str, sha: str) -> bool:
    """Move the branch to ``sha``, a fast-forward only; False when it moved meanwhile (not a fast-forward)."""
    from github.GitRef import GitRef

    url = f"{repo.url}/git/refs/heads/{urllib.parse.quote(branch)}"
    ref = GitRef(repo.requester, {}, {"ref": f"refs/heads/{branch}", "url": url}, completed=True)
    return _ref_write(branch, lambda: ref.edit(sha, force=False), raced="fast forward")


def _ref_write(branch: str, call: Callable[[], Any], *, raced: str) -> bool:
    """Make or move the branch's ref with ``call``; False when GitHub's 422 says another run got there
    first (its message holds ``raced``), a refusal of the branch as BranchRefused."""
    from github import GithubException

    try:
        call()
    except GithubException as exc:
        if exc.status == 422 and raced in github_message(exc).lower():
            return False
        refused = _refused(exc, branch)
        if refused is not None:
            raise refused from None
        raise
    return True


def _message(key: str, folder: str, pruned: Sequence[str]) -> str:
    text = f"mlci: plots of {key}, {folder.split('/')[1]}"
    return text + ("\n\nPruned:\n" + "\n".join(f"- {name}" for name in pruned) if pruned else "")


def _hosted(repo: Repository, server_url: str, commit: str, folder: str, blobs: dict[str, str],
            pruned: tuple[str, ...]) -> Hosted:
    base = f"{server_url.rstrip('/')}/{repo.full_name}/blob/{commit}/{folder}"
    return Hosted(commit, folder, {name: f"{base}/{name}?raw=true" for name in blobs}, pruned)
