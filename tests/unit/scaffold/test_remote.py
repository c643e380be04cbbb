"""scaffold/remote.py: what the next steps say of the DVC remote's credentials (pure: no repository)."""

from __future__ import annotations

import pytest

from mlci.scaffold import workflows
from mlci.scaffold.remote import READ_PREFIX, WRITE_PREFIX, remote_plugin, remote_steps

TEMPLATE = workflows.template("mlci-pull-request.yml").decode("utf-8")
SECRETS = tuple(workflows.secrets_in(TEMPLATE))
FILE = ".github/workflows/mlci-pull-request.yml"


def test_the_template_reads_a_read_only_and_a_write_secret_of_each_credential() -> None:
    reads = [s.removeprefix(READ_PREFIX) for s in SECRETS if s.startswith(READ_PREFIX)]
    writes = [s.removeprefix(WRITE_PREFIX) for s in SECRETS if s.startswith(WRITE_PREFIX)]
    assert reads == writes == ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    assert len(SECRETS) == 4


@pytest.mark.parametrize(("url", "reads", "role"), [
    ("s3://b/p", "DVC_READ_AWS_ACCESS_KEY_ID, DVC_READ_AWS_SECRET_ACCESS_KEY", "s3:ListBucket on the bucket and s3:GetObject"),
    ("gs://b/p", "DVC_READ_GCP_CREDENTIALS", "roles/storage.objectViewer"),
    ("azure://c/p", "DVC_READ_AZURE_TENANT_ID, DVC_READ_AZURE_CLIENT_ID, DVC_READ_AZURE_CLIENT_SECRET",
     "Storage Blob Data Reader"),
])
def test_pull_requests_get_read_only_credentials_and_the_default_branch_the_write_ones(
        url: str, reads: str, role: str) -> None:
    steps = remote_steps(("storage", url), SECRETS, FILE, fills_remote=True)
    text = "\n".join(steps)
    assert f"Add them as repository secrets (Settings > Secrets and variables > Actions): {reads}." in text
    assert role in text
    assert "create the environment dvc-write" in text
    assert f"as its secrets: {reads.replace(READ_PREFIX, WRITE_PREFIX)}." in text
    assert ("passes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (for S3)" in text) == (not url.startswith("s3"))


def test_the_step_to_copy_is_a_valid_expression() -> None:
    (how, *_) = remote_steps(("storage", "gs://b/p"), SECRETS, FILE, fills_remote=True)
    assert ("`credentials_json: ${{ github.event_name == 'push' && secrets.DVC_WRITE_GCP_CREDENTIALS || "
            "secrets.DVC_READ_GCP_CREDENTIALS }}`") in how
    (how, *_) = remote_steps(("data", "azure://c/p"), SECRETS, FILE, fills_remote=True)
    assert "`dvc remote modify data account_name ACCOUNT`" in how


def test_no_write_step_when_no_workflow_fills_the_remote_and_none_without_secrets() -> None:
    steps = remote_steps(("storage", "s3://b/p"), SECRETS, FILE, fills_remote=False)
    assert len(steps) == 1 and "dvc-write" not in steps[0]
    assert remote_steps(("storage", "s3://b/p"), (), None) == []  # the fork-safe pair


def test_a_url_is_never_shown() -> None:
    text = "\n".join(remote_steps(("storage", "ssh://user:hunter2@host/dvc"), SECRETS, FILE, fills_remote=True))
    assert "hunter2" not in text and "DVC_READ_<NAME>" in text and "DVC_WRITE_<NAME>" in text


@pytest.mark.parametrize(("url", "plugin"), [
    ("s3://b", "dvc-s3"), ("gs://b", "dvc-gs"), ("azure://c", "dvc-azure"), ("ssh://h/p", "dvc-ssh"),
    ("https://h/p", None), ("../folder", None),
])
def test_the_plugin_of_each_remote(url: str, plugin: str | None) -> None:
    assert remote_plugin(("storage", url)) == plugin
    assert remote_plugin(None) is None
