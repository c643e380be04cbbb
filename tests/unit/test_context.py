"""RunContext from the Actions environment and GitHub's own example event payloads (vendored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.context import RunContext
from mlci.errors import MlciError

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def ctx(event: str, fixture: str, **env: str) -> RunContext:
    return RunContext.from_env({
        "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(EVENTS / f"{fixture}.json"),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World", "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
        "GITHUB_SERVER_URL": "https://ghe.example.com", "GITHUB_RUN_ID": "7", **env})


def test_pull_request_gives_number_head_and_base() -> None:
    c = ctx("pull_request", "pull_request.opened")
    payload = json.loads((EVENTS / "pull_request.opened.json").read_text())
    assert c.pr_number == payload["number"]
    assert c.pr_head_sha == payload["pull_request"]["head"]["sha"]  # the PR head, not a merge commit
    assert c.pull_request is not None and c.pull_request["base"]["sha"] == payload["pull_request"]["base"]["sha"]
    assert c.api_url == "https://ghe.example.com/api/v3"  # Enterprise Server: from GITHUB_API_URL
    assert c.default_branch == payload["repository"]["default_branch"]


def test_pull_request_target_reads_the_same_payload() -> None:
    c = ctx("pull_request_target", "pull_request.synchronize")
    assert c.pr_number is not None and c.pr_head_sha is not None


def test_push_and_other_events_have_no_pr() -> None:
    for event, fixture in [("push", "push"), ("workflow_dispatch", "workflow_dispatch"), ("release", "release.published")]:
        c = ctx(event, fixture)
        assert c.pr_number is None and c.pr_head_sha is None and c.workflow_run is None


def test_workflow_run_exposes_the_run() -> None:
    c = ctx("workflow_run", "workflow_run.completed")
    payload = json.loads((EVENTS / "workflow_run.completed.json").read_text())
    assert c.workflow_run is not None and c.workflow_run["head_sha"] == payload["workflow_run"]["head_sha"]
    assert c.pr_number is None  # the PR comes from the bundle, cross-checked by publish


def test_local_without_actions() -> None:
    c = RunContext.from_env({})
    assert c.event == "local" and c.repository is None and c.api_url is None


def test_unreadable_event_payload(tmp_path: Path) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("[1, 2]")
    with pytest.raises(MlciError, match="is not a JSON object"):
        RunContext.from_env({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(bad)})
    with pytest.raises(MlciError, match="cannot read the event payload"):
        RunContext.from_env({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")})
