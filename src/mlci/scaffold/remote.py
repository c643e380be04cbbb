"""The project's default DVC remote, for ``mlci init``: its kind, the DVC plugin the workflow
installs for it, and what the user has left to do so that pull requests restore unchanged stages."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Storage by URL scheme: what to call it, DVC's plugin for it, the credentials CI passes
# (the templates pass S3's, so the other kinds say what to pass instead).
STORAGE: dict[str, tuple[str, str, str]] = {
    "s3": ("Amazon S3", "dvc-s3", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
    "gs": ("Google Cloud Storage", "dvc-gs", "a service account key from a repository secret "
           "(GOOGLE_APPLICATION_CREDENTIALS names its file), or run google-github-actions/auth before the mlci step"),
    "azure": ("Azure Blob Storage", "dvc-azure", "AZURE_STORAGE_CONNECTION_STRING from a repository secret"),
}
SCHEME_ALIASES = {"https": "http", "webdavs": "webdav"}  # one DVC plugin serves both


def remote_scheme(url: str) -> str | None:
    """``s3`` for ``s3://bucket/path``; None for a local folder (a path, or ``file://``)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    scheme = match[1].lower() if match else None
    return None if scheme in (None, "file") else SCHEME_ALIASES.get(scheme, scheme)


def remote_steps(remote: tuple[str, str] | None, secrets: Sequence[str], workflow_file: str | None,
                 *, fills_remote: bool = False) -> list[str]:
    """What to do about the DVC remote, so that pull requests restore unchanged stages instead of running them.

    Only the remote's kind is named, never its URL (it may hold a user name or a token).
    """
    if remote is None:
        return ["No default DVC remote is set, so every pull request runs every stage again: add one "
                "(`dvc remote add -d storage s3://BUCKET/PATH`), " + (
                    "which the workflow fills from the default branch." if fills_remote else
                    "and fill it from the default branch (`dvc push --run-cache`).")]
    name, url = remote
    scheme = remote_scheme(url)
    if scheme is None:
        return [f"The default DVC remote '{name}' is a local folder, which a GitHub runner cannot reach, so "
                "every pull request runs every stage again: use cloud storage (s3://, gs://, azure://) for CI."]
    label, _, credentials = STORAGE.get(scheme, (f"{scheme}://", f"dvc-{scheme}", "its credentials from repository secrets"))
    if not secrets:  # the fork-safe pair: no secrets at all
        return []
    if scheme == "s3":
        return [f"Add the credentials of the DVC remote '{name}' ({label}) as repository secrets (Settings > "
                f"Secrets and variables > Actions): {', '.join(secrets)}, the names {workflow_file} passes."]
    return [f"The default DVC remote '{name}' is on {label}, but {workflow_file} passes {', '.join(secrets)} "
            f"(for S3): replace them in its env: with {credentials}."]


def remote_plugin(remote: tuple[str, str] | None) -> str | None:
    """The pip package DVC needs for the remote (``dvc-s3``); None when DVC has what it needs
    (no remote, a local folder, HTTP, which DVC itself depends on)."""
    scheme = remote_scheme(remote[1]) if remote else None
    if scheme in (None, "http"):
        return None
    return STORAGE.get(scheme, ("", f"dvc-{scheme}", ""))[1]
