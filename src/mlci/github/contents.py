"""Files of the repository as GitHub holds them: what a privileged job trusts, read without a checkout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlci.github.client import GitHubError, door

if TYPE_CHECKING:
    from github.Repository import Repository

MAX_BYTES = 1024 * 1024  # GitHub's contents API serves files up to 1 MB


@door
def file_text(repo: Repository, path: str, ref: str) -> str | None:
    """The text of ``path`` at ``ref`` (a branch), or None when there is no such file there.

    GitHubError when it is not a file (a folder, a link), is over 1 MB, or is not UTF-8 text.
    """
    from github import UnknownObjectException

    try:
        found = repo.get_contents(path, ref=ref)
    except UnknownObjectException:
        return None
    if isinstance(found, list) or found.type != "file":
        raise GitHubError(422, f"{path} at {ref} is not a file")
    if found.size > MAX_BYTES:
        raise GitHubError(422, f"{path} at {ref} is over {MAX_BYTES:,} bytes")
    try:
        return found.decoded_content.decode("utf-8")
    except UnicodeDecodeError:
        raise GitHubError(422, f"{path} at {ref} is not UTF-8 text") from None


@door
def default_branch(repo: Repository) -> str:
    """The repository's default branch (one request, when the event payload did not say)."""
    return str(repo.default_branch)
