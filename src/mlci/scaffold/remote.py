"""The project's default DVC remote, for ``mlci init``: its kind, the DVC plugin the workflow
installs for it, and what the user has left to do so that pull requests restore unchanged stages.

Least privilege: a pull request runs the PR's own stage code, so it gets read-only credentials
(repository secrets ``DVC_READ_*``): it restores outputs and run-cache and never pushes. Only the
default branch's run, in the GitHub Environment :data:`WRITE_ENVIRONMENT`, gets the write
credentials (that environment's secrets ``DVC_WRITE_*``) and fills the remote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

READ_PREFIX = "DVC_READ_"  # repository secrets: read-only credentials, for pull requests
WRITE_PREFIX = "DVC_WRITE_"  # secrets of WRITE_ENVIRONMENT: the default branch's, which pushes
WRITE_ENVIRONMENT = "dvc-write"
SECRETS_PAGE = "Settings > Secrets and variables > Actions"
ENVIRONMENTS_PAGE = "Settings > Environments"
README_SECTION = 'the README, "The DVC remote: least privilege"'


@dataclass(frozen=True)
class Storage:
    label: str  # what to call it
    plugin: str  # DVC's plugin for it
    credentials: tuple[str, ...]  # the secrets' names after DVC_READ_ / DVC_WRITE_ (S3's and Azure's: DVC's variables)
    read_only: str  # how to make a credential that can only read
    how: str = ""  # how to change the template's env: for it ({remote}: the remote's name)


# How the template's env: chooses each credential: the write one on the default branch, else the read-only one.
CHOSEN = "${{{{ github.event_name == 'push' && secrets.DVC_WRITE_{name} || secrets.DVC_READ_{name} }}}}"
# Storage by URL scheme. The templates pass S3's credentials, so the other kinds say what to pass instead.
STORAGE: dict[str, Storage] = {
    "s3": Storage("Amazon S3", "dvc-s3", ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
                  "an IAM user whose policy allows only s3:ListBucket on the bucket and s3:GetObject on its objects"),
    "gs": Storage("Google Cloud Storage", "dvc-gs", ("GCP_CREDENTIALS",),
                  "a service account with roles/storage.objectViewer on the bucket",
                  "DVC reads a key file (GOOGLE_APPLICATION_CREDENTIALS): remove the AWS_* lines and add "
                  "google-github-actions/auth (pinned by commit) before mlci's repro step, with `credentials_json: "
                  + CHOSEN.format(name="GCP_CREDENTIALS") + "`"),
    "azure": Storage("Azure Blob Storage", "dvc-azure", ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"),
                     "a service principal with the role Storage Blob Data Reader on the container",
                     "replace the AWS_* lines with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, each "
                     f"`{CHOSEN.format(name='<NAME>')}` (DVC signs in as that service principal), and commit the "
                     "storage account's name: `dvc remote modify {remote} account_name ACCOUNT`"),
}
SCHEME_ALIASES = {"https": "http", "webdavs": "webdav"}  # one DVC plugin serves both


def remote_scheme(url: str) -> str | None:
    """``s3`` for ``s3://bucket/path``; None for a local folder (a path, or ``file://``)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    scheme = match[1].lower() if match else None
    return None if scheme in (None, "file") else SCHEME_ALIASES.get(scheme, scheme)


def secret_names(credentials: Sequence[str], prefix: str) -> str:
    return ", ".join(prefix + c for c in credentials)


def remote_steps(remote: tuple[str, str] | None, secrets: Sequence[str], workflow_file: str | None,
                 *, fills_remote: bool = False) -> list[str]:
    """What to do about the DVC remote, so that pull requests restore unchanged stages instead of running them,
    and only the default branch can write it.

    ``secrets`` are those the workflows read; none (the fork-safe pair) means pull requests get no
    credentials at all. Only the remote's kind is named, never its URL (it may hold a user name or a token).
    """
    if remote is None:
        return ["No default DVC remote is set, so every pull request runs every stage again: add one "
                "(`dvc remote add -d storage s3://BUCKET/PATH`), " + (
                    "which the workflow fills from the default branch, with write credentials that only the "
                    f"default branch gets (see {README_SECTION})." if fills_remote else
                    "and fill it from the default branch only (`dvc push --run-cache`), never from a pull request.")]
    name, url = remote
    scheme = remote_scheme(url)
    if scheme is None:
        return [f"The default DVC remote '{name}' is a local folder, which a GitHub runner cannot reach, so "
                "every pull request runs every stage again: use cloud storage (s3://, gs://, azure://) for CI."]
    if not secrets:  # the fork-safe pair: no secrets at all
        return []
    storage = STORAGE.get(scheme)
    steps = []
    if scheme != "s3":
        label = storage.label if storage else f"{scheme}://"
        passes = ", ".join(s.removeprefix(READ_PREFIX) for s in secrets if s.startswith(READ_PREFIX))
        how = storage.how.replace("{remote}", name) if storage else (
            f"replace the AWS_* lines with its credentials, each `{CHOSEN.format(name='<NAME>')}`")
        steps.append(f"The default DVC remote '{name}' is on {label}, but {workflow_file} passes {passes} (for S3) "
                     f"in the env of mlci's repro and report steps: {how} (see {README_SECTION}).")
    credentials = storage.credentials if storage else ("<NAME>",)
    read_only = f": {storage.read_only}" if storage else ", which can only read it"
    steps.append(f"Pull requests run their own stage code, so they get read-only credentials of the DVC remote "
                 f"'{name}'{read_only}. Add them as repository secrets ({SECRETS_PAGE}): "
                 f"{secret_names(credentials, READ_PREFIX)}.")
    if fills_remote:
        steps.append(f"Only the default branch pushes to the remote: create the environment {WRITE_ENVIRONMENT} "
                     f"({ENVIRONMENTS_PAGE}), set its deployment branches to your default branch only, and add "
                     f"credentials that can write the remote as its secrets: {secret_names(credentials, WRITE_PREFIX)}.")
    return steps


def remote_plugin(remote: tuple[str, str] | None) -> str | None:
    """The pip package DVC needs for the remote (``dvc-s3``); None when DVC has what it needs
    (no remote, a local folder, HTTP, which DVC itself depends on)."""
    scheme = remote_scheme(remote[1]) if remote else None
    if scheme in (None, "http"):
        return None
    storage = STORAGE.get(scheme)
    return storage.plugin if storage else f"dvc-{scheme}"
