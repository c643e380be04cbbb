"""The drift monitor's pull request that updates the data: files committed to a branch of mlci's own, ONE PR.

`mlci drift publish --retrain-mode pull-request` proposes the .dvc files `mlci drift --dvc-update`
brought up to date. They are committed through the git data API (a blob per file, one tree on the
default branch's head tree, one commit whose parent is that head) to ``branch`` (``mlci/drift-update``),
made or moved there (forced: the branch is mlci's, rebuilt on the default branch's head at every
update, so the PR shows only the data's change), and ONE pull request from it is opened; a later run
moves the branch and edits that PR instead of opening a second.

Nothing is written when the files are what the default branch already holds, or what the open PR
already proposes (each file's blob, as the contents API names it, against the git SHA of the bytes).

Never two PRs: the open one is looked for first; the PR is created through the client that does not
repeat a POST after an answer that may follow the write (``NOT_REPEATED`` in :mod:`mlci.github.client`), and after a 5xx or a
lost answer the open PRs are looked at again before another try; GitHub's own 422 "A pull request
already exists" is taken the same way.

Cost of an update: the default branch's name and head (2 reads), each file at the base (1 read each),
the open PRs of the branch (1), each file at the branch when there is one (1 each), then a blob per
file, a tree, a commit, the ref (made or moved) and the PR (made or edited): 4 writes plus 1 per file.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from mlci.errors import MlciError
from mlci.github.client import GitHubError, door, github_message

if TYPE_CHECKING:
    from github.PullRequest import PullRequest
    from github.Repository import Repository

PERMISSION = "contents: write` and `pull-requests: write"
DEFAULT_BRANCH = "mlci/drift-update"
CREATE_ATTEMPTS = 3
FILE_MODE = "100644"
BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*\Z")


@dataclass(frozen=True)
class Proposed:
    """What :func:`propose` did: ``opened`` a PR, ``updated`` it (the branch moved, the PR edited),
    ``unchanged`` (the open PR already proposes these files) or ``current`` (the default branch holds
    them: nothing to propose). ``number`` and ``url``: the PR (0 and "" when there is none);
    ``commit``: the branch's new head ("" when nothing was written)."""

    action: Literal["opened", "updated", "unchanged", "current"]
    number: int = 0
    url: str = ""
    commit: str = ""
    note: str = ""


def blob_sha(data: bytes) -> str:
    """The SHA git gives a blob of ``data`` (``git hash-object``), as GitHub names a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def check_branch(branch: str) -> str:
    """``branch`` when it is a branch name mlci writes to; MlciError before any request otherwise."""
    if (not BRANCH.match(branch) or ".." in branch or "//" in branch or "@{" in branch
            or branch.endswith(("/", ".", ".lock"))):
        raise MlciError(f"{branch!r} is not a branch name mlci writes to")
    return branch


@door
def propose(repo: Repository, owner: str, files: Mapping[str, bytes], *, title: str, body: str,
            message: str, branch: str = DEFAULT_BRANCH,
            pause: Callable[[float], None] = time.sleep) -> Proposed:
    """``files`` (their paths in the repository, and bytes) proposed by ONE pull request from ``branch``
    to the default branch (see the module's doc). ``owner``: the repository's owner (the PR's head is
    ``owner:branch``). GitHubError naming the permission when GitHub refuses a write."""
    from mlci.github.contents import default_branch

    check_branch(branch)
    wanted = {path: blob_sha(data) for path, data in files.items()}
    with _needing():
        base = default_branch(repo)
        head_sha, head_tree = _head(repo, base)
        if all(_blob_at(repo, path, base) == sha for path, sha in wanted.items()):
            return Proposed("current")
        pull = _open_pull(repo, owner, branch, base)
        if pull is not None and all(_blob_at(repo, path, branch) == sha for path, sha in wanted.items()):
            return Proposed("unchanged", pull.number, pull.html_url)
        commit = _commit(repo, files, head_sha, head_tree, message)
        if pull is not None:
            _move(repo, branch, commit)
            repo.get_pull(pull.number).edit(title=title, body=body)  # lazy: the edit is the one request
            return Proposed("updated", pull.number, pull.html_url, commit)
        if not _create_ref(repo, branch, commit):
            _move(repo, branch, commit)
        made, note = _create_pull(repo, owner, branch, base, title, body, pause)
        if note:  # another run's PR, or one GitHub made though its answer was lost: keep it up to date
            repo.get_pull(made.number).edit(title=title, body=body)
        return Proposed("opened" if not note.startswith("another") else "updated", made.number, made.html_url,
                        commit, note)


@door
def edit_body(repo: Repository, number: int, body: str) -> None:
    """PR ``number``'s body replaced (one request: the client is lazy)."""
    with _needing():
        repo.get_pull(number).edit(body=body)


def _head(repo: Repository, branch: str) -> tuple[str, str]:
    """The head commit of ``branch`` and its tree (one read of the commits API)."""
    data = repo.get_commit(branch).raw_data
    return str(data["sha"]), str(data["commit"]["tree"]["sha"])


def _blob_at(repo: Repository, path: str, ref: str) -> str | None:
    """The blob SHA of file ``path`` at ``ref``, or None when there is none (or not a file)."""
    from github import UnknownObjectException

    try:
        found = repo.get_contents(path, ref=ref)
    except UnknownObjectException:
        return None
    if isinstance(found, list) or found.type != "file":
        return None
    return str(found.sha)


def _open_pull(repo: Repository, owner: str, branch: str, base: str) -> PullRequest | None:
    """The oldest open PR from ``owner:branch`` to ``base``, if any."""
    found = sorted(repo.get_pulls(state="open", head=f"{owner}:{branch}", base=base), key=lambda p: p.number)
    return found[0] if found else None


def _commit(repo: Repository, files: Mapping[str, bytes], parent: str, tree: str, message: str) -> str:
    """A blob per file, a tree on ``tree``, a commit of it on ``parent``; its SHA."""
    from github import InputGitTreeElement
    from github.GitCommit import GitCommit
    from github.GitTree import GitTree

    entries = []
    for path, data in files.items():
        blob = repo.create_git_blob(base64.b64encode(data).decode("ascii"), "base64")
        entries.append(InputGitTreeElement(path, FILE_MODE, "blob", sha=blob.sha))
    base = GitTree(repo.requester, {}, {"sha": tree, "url": f"{repo.url}/git/trees/{tree}"}, completed=True)
    made = repo.create_git_tree(entries, base)
    head = GitCommit(repo.requester, {}, {"sha": parent, "url": f"{repo.url}/git/commits/{parent}"}, completed=True)
    return str(repo.create_git_commit(message, made, [head]).sha)


def _create_ref(repo: Repository, branch: str, sha: str) -> bool:
    """Make ``branch`` at ``sha``; False when it exists already."""
    from github import GithubException

    try:
        repo.create_git_ref(f"refs/heads/{branch}", sha)
    except GithubException as exc:
        if exc.status == 422 and "already exists" in github_message(exc).lower():
            return False
        raise
    return True


def _move(repo: Repository, branch: str, sha: str) -> None:
    """Move ``branch`` to ``sha``, forced: mlci's branch is rebuilt on the default branch's head."""
    from github.GitRef import GitRef

    url = f"{repo.url}/git/refs/heads/{urllib.parse.quote(branch)}"
    GitRef(repo.requester, {}, {"ref": f"refs/heads/{branch}", "url": url}, completed=True).edit(sha, force=True)


def _create_pull(repo: Repository, owner: str, branch: str, base: str, title: str, body: str,
                 pause: Callable[[float], None]) -> tuple[PullRequest, str]:
    """Open the PR; after an answer that may follow the write, or GitHub's "already exists", look for it
    before trying again. The PR, and a note when it was found rather than made by this request."""
    import requests
    from github import GithubException

    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return repo.create_pull(base=base, head=branch, title=title, body=body,
                                    maintainer_can_modify=False), ""
        except (GithubException, requests.ConnectionError, requests.Timeout) as exc:
            exists = (isinstance(exc, GithubException) and exc.status == 422
                      and "already exists" in str(exc.data).lower())
            if isinstance(exc, GithubException) and exc.status < 500 and not exists:
                raise
            made = _open_pull(repo, owner, branch, base)
            if made is not None:
                return made, ("another run opened it at the same time" if exists
                              else "GitHub made it; its answer was lost")
            if attempt == CREATE_ATTEMPTS:
                raise
            pause(_backoff(repo, attempt))
    raise AssertionError("unreachable")


def _backoff(repo: Repository, attempt: int) -> float:
    factor = getattr(repo.requester.kwargs.get("retry"), "backoff_factor", 1.0)
    return float(factor) * 2.0 ** (attempt - 1)


@contextmanager
def _needing() -> Iterator[None]:
    """A 403 names the permissions the PR needs (GitHub's x-accepted-github-permissions when it says); a
    protected branch or a refused PR, GitHub's message in one line."""
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        if exc.status == 403 and "rate limit" not in github_message(exc).lower():
            accepted = (exc.headers or {}).get("x-accepted-github-permissions")
            raise GitHubError(403, f"{github_message(exc)}: the token needs `{PERMISSION}` (the workflow's "
                                   f"`permissions:`){f'; GitHub accepts {accepted}' if accepted else ''}") from None
        if isinstance(exc.status, int) and 400 <= exc.status < 500:
            raise GitHubError(exc.status, " ".join(f"{github_message(exc)} {_errors(exc)}".split())) from None
        raise


def _errors(exc: object) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, Mapping) and isinstance(data.get("errors"), list):
        return "; ".join(str(e.get("message") or e.get("code") or e) if isinstance(e, Mapping) else str(e)
                         for e in data["errors"])
    return ""
