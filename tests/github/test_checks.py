"""mlci.github.checks against the contract-checked fake GitHub: one check run per name and commit, whatever the faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlci.github import client
from mlci.github.checks import (
    CREATE_ATTEMPTS,
    SUPERSEDED,
    SUPERSEDED_TITLE,
    comment_posted_before,
    comment_ref,
    publish_check_run,
)
from mlci.github.client import GitHubError

REPO = "acme/churn"
BASE = "9e0b7d3" + "a" * 33
HEAD = "4f1c2a9" + "b" * 33
TOKEN = "ghs_mlciChecksToken0123456789abcdef"
ACTIONS_JOB_ID = "ca395085-040a-526b-2ce8-bdc85f692774"  # GitHub Actions' external_id of a job's check run


@pytest.fixture
def fake(fake_github: Any) -> Any:
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 42, HEAD, BASE)
    fake_github.add_token(TOKEN)
    return fake_github


@pytest.fixture
def repo(fake: Any) -> Iterator[Any]:
    """The repository through mlci's own client (its retry policy), without pauses."""
    gh = client.connect(TOKEN, fake.url, throttle=False, retry_total=4, backoff_factor=0.01, secondary_rate_wait=2)
    try:
        yield gh.get_repo(REPO)
    finally:
        gh.close()


def publish(repo: Any, conclusion: str = "failure", *, external_id: str | None = None,
            annotations: list[dict[str, Any]] | None = None) -> Any:
    return publish_check_run(repo, HEAD, "mlci", conclusion, f"mlci: {conclusion}", f"the summary ({conclusion})",
                             annotations or [], details_url="https://github.com/acme/churn/actions/runs/118",
                             external_id=external_id, pause=lambda _: None)


def annotation(line: int) -> dict[str, Any]:
    return {"path": "mlci.yaml", "start_line": line, "end_line": line, "annotation_level": "failure",
            "message": f"gate on line {line} failed"}


def latest(fake: Any) -> dict[str, Any]:
    """The run of that name GitHub's filter=latest gives, which is the one branch protection reads."""
    [run] = [r for r in fake.check_runs(REPO, HEAD) if r["id"] == _latest_id(fake)]
    return run


def _latest_id(fake: Any) -> int:
    import requests

    answer = requests.get(f"{fake.url}/repos/{REPO}/commits/{HEAD}/check-runs", params={"check_name": "mlci"},
                          headers={"Authorization": f"token {TOKEN}"}, timeout=10)
    [run] = answer.json()["check_runs"]
    return int(run["id"])


def writes(fake: Any) -> list[tuple[str, int]]:
    return [(r.method, r.status) for r in fake.requests if r.method != "GET"]


# --- The happy path: the requests it always cost --------------------------------------------------------------------

def test_first_publish_creates_and_a_rerun_updates_at_two_requests_each(fake: Any, repo: Any) -> None:
    fake.reset_requests()
    publish(repo, "failure", external_id=comment_ref(7))
    assert [(r.method, r.status) for r in fake.requests] == [("GET", 200), ("POST", 201)]
    fake.reset_requests()
    publish(repo, "success", external_id=comment_ref(7))
    assert [(r.method, r.status) for r in fake.requests] == [("GET", 200), ("PATCH", 200)]
    [run] = fake.check_runs(REPO, HEAD)
    assert run["conclusion"] == "success" and run["output"]["summary"] == "the summary (success)"


def test_the_external_id_keeps_the_comment_ref_beside_the_runs_token(fake: Any, repo: Any) -> None:
    publish(repo, external_id=comment_ref(7))
    [run] = fake.check_runs(REPO, HEAD)
    comment, token = run["external_id"].split(";")
    assert comment == "mlci-comment:7" and token.startswith("mlci-run:") and len(token) > len("mlci-run:") + 8
    publish(repo, "success")  # a re-run without a comment (mode off) keeps the comment's ref
    [run] = fake.check_runs(REPO, HEAD)
    assert run["external_id"].startswith("mlci-comment:7;mlci-run:")


def test_an_earlier_commits_run_still_tells_the_comment_was_posted(fake: Any, repo: Any) -> None:
    publish(repo, external_id=comment_ref(7))
    fake.add_pull(REPO, 42, "d" * 40, BASE, commits=[HEAD, "d" * 40])
    assert comment_posted_before(repo, 42, "mlci")


# --- A fault on create -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [{"status": 502}, {"status": 503}, {"drop": True}], ids=["502", "503", "dropped"])
def test_a_fault_after_the_create_leaves_one_run_the_one_made(fake: Any, repo: Any, fault: dict[str, Any]) -> None:
    """GitHub created the run; its answer was lost. mlci finds the run by its token instead of making another."""
    fake.inject("POST", r"/check-runs$", after=True, **fault)
    annotations = [annotation(i) for i in range(1, 61)]  # two batches: the second goes to the run found
    result = publish(repo, "failure", external_id=comment_ref(7), annotations=annotations)
    [run] = fake.check_runs(REPO, HEAD)
    assert run["conclusion"] == "failure" and run["output"]["summary"] == "the summary (failure)"
    assert run["external_id"].startswith("mlci-comment:7;mlci-run:")
    assert [a["start_line"] for a in run["output"]["annotations"]] == list(range(1, 61))
    assert result.url == run["html_url"]
    assert writes(fake).count(("POST", 201)) == 0  # created once, by the request whose answer was lost


def test_a_timeout_after_the_create_leaves_one_run(fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub created the run but answered after the client stopped waiting (a read timeout)."""
    monkeypatch.setattr(client, "TIMEOUT_S", 1)  # PyGithub takes whole seconds
    gh = client.connect(TOKEN, fake.url, throttle=False, retry_total=4, backoff_factor=0.01)
    fake.inject("POST", r"/check-runs$", after=True, delay=2)
    try:
        publish(gh.get_repo(REPO), "failure")
    finally:
        gh.close()
    [run] = fake.check_runs(REPO, HEAD)
    assert run["conclusion"] == "failure"
    assert [r.method for r in fake.requests].count("POST") == 1

def test_a_fault_after_the_create_then_a_rerun_updates_that_one_run(fake: Any, repo: Any) -> None:
    fake.inject("POST", r"/check-runs$", status=502, after=True)
    publish(repo, "failure")
    publish(repo, "success")
    [run] = fake.check_runs(REPO, HEAD)
    assert run["conclusion"] == "success" and latest(fake)["id"] == run["id"]


@pytest.mark.parametrize("fault", [{"status": 502}, {"drop": True}], ids=["502", "dropped"])
def test_a_fault_before_the_create_creates_it_again_once(fake: Any, repo: Any, fault: dict[str, Any]) -> None:
    fake.inject("POST", r"/check-runs$", **fault)
    publish(repo, "failure")
    [run] = fake.check_runs(REPO, HEAD)
    assert run["conclusion"] == "failure"
    assert [w for w in writes(fake) if w[0] == "POST"] == [("POST", fault.get("status", 0)), ("POST", 201)]


def test_a_lasting_outage_gives_up_after_a_few_creates_with_githubs_status(fake: Any, repo: Any) -> None:
    fake.inject("POST", r"/check-runs$", status=502, times=100)
    with pytest.raises(GitHubError) as caught:
        publish(repo)
    assert caught.value.status == 502
    assert writes(fake) == [("POST", 502)] * CREATE_ATTEMPTS
    assert fake.check_runs(REPO, HEAD) == []


def test_a_refused_create_is_not_tried_again(fake: Any, repo: Any) -> None:
    """A 4xx means GitHub did not write: no listing, no second create (publish falls back on a 403)."""
    fake.inject("POST", r"/check-runs$", status=403,
                body={"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com"})
    fake.reset_requests()
    with pytest.raises(GitHubError) as caught:
        publish(repo)
    assert caught.value.status == 403
    assert [(r.method, r.status) for r in fake.requests] == [("GET", 200), ("POST", 403)]


def test_a_rate_limited_create_is_still_retried_by_the_client(fake: Any, repo: Any) -> None:
    fake.secondary_rate_limit("POST", r"/check-runs$", retry_after=1)
    publish(repo)
    assert len(fake.check_runs(REPO, HEAD)) == 1
    assert writes(fake) == [("POST", 403), ("POST", 201)]


# --- A stale duplicate -----------------------------------------------------------------------------------------------

def seed(repo: Any, conclusion: str, external_id: str | None = "mlci-comment:7", **fields: Any) -> Any:
    """A run as an earlier mlci left it (its external_id, or none: older versions without a comment)."""
    from github.GithubObject import NotSet

    return repo.create_check_run(name="mlci", head_sha=HEAD, conclusion=conclusion, external_id=external_id or NotSet,
                                 output={"title": f"mlci: {conclusion}", "summary": "an earlier run"}, **fields)


def test_a_stale_duplicate_is_superseded_and_the_latest_is_updated(fake: Any, repo: Any) -> None:
    older = seed(repo, "failure")
    newer = seed(repo, "failure", external_id=None)
    publish(repo, "success", external_id=comment_ref(7))
    runs = {r["id"]: r for r in fake.check_runs(REPO, HEAD)}
    assert len(runs) == 2
    current, stale = runs[newer.id], runs[older.id]
    assert current["conclusion"] == "success" and current["output"]["summary"] == "the summary (success)"
    assert current["external_id"].startswith("mlci-comment:7;mlci-run:")
    assert stale["conclusion"] == "neutral" and stale["output"]["title"] == SUPERSEDED_TITLE
    assert stale["external_id"] == SUPERSEDED and current["html_url"] in stale["output"]["summary"]
    assert stale["completed_at"] == older.completed_at.strftime("%Y-%m-%dT%H:%M:%SZ")  # its time is not moved
    assert latest(fake)["id"] == newer.id  # what branch protection reads


def test_the_updated_run_is_completed_now_not_when_it_first_was(fake: Any, repo: Any) -> None:
    """mlci sets the completion time of the run it updates (GitHub's docs do not say an update moves it),
    so the result it publishes last is the one completed last, whichever run it lands on."""
    from datetime import datetime, timezone

    seed(repo, "failure", completed_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    publish(repo, "success")
    [run] = fake.check_runs(REPO, HEAD)
    assert run["conclusion"] == "success" and run["completed_at"] > "2026"


def test_a_superseded_run_is_left_alone_afterwards(fake: Any, repo: Any) -> None:
    seed(repo, "failure")
    seed(repo, "failure")
    publish(repo, "success")
    fake.reset_requests()
    publish(repo, "failure")
    assert [(r.method, r.status) for r in fake.requests] == [("GET", 200), ("PATCH", 200)]
    assert sorted(r["conclusion"] for r in fake.check_runs(REPO, HEAD)) == ["failure", "neutral"]
    assert latest(fake)["conclusion"] == "failure"


def test_a_failing_result_is_what_the_latest_run_says_after_superseding(fake: Any, repo: Any) -> None:
    """The superseded run is neutral, which counts as passing: it must never be the latest of the name."""
    for _ in range(3):
        seed(repo, "success")
    publish(repo, "failure")
    conclusions = sorted(r["conclusion"] for r in fake.check_runs(REPO, HEAD))
    assert conclusions == ["failure", "neutral", "neutral"]
    assert latest(fake)["conclusion"] == "failure"


def test_a_run_of_the_same_name_by_someone_else_is_left_alone(fake: Any, repo: Any) -> None:
    """A workflow job named like the check has a run of that name, in progress, with Actions' external_id."""
    job = repo.create_check_run(name="mlci", head_sha=HEAD, status="in_progress", external_id=ACTIONS_JOB_ID)
    publish(repo, "failure")
    runs = {r["id"]: r for r in fake.check_runs(REPO, HEAD)}
    assert runs[job.id]["status"] == "in_progress" and runs[job.id]["external_id"] == ACTIONS_JOB_ID
    [ours] = [r for r in runs.values() if r["id"] != job.id]
    assert ours["conclusion"] == "failure"
