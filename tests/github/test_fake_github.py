"""The fake GitHub, driven through the real PyGithub client, and the vendored contract it is held to."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import time
import urllib.parse
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from github import Auth, BadCredentialsException, Github, GithubException, GithubRetry, RateLimitExceededException
from github import UnknownObjectException

from tests.github.fake_github import FORMATS, SUBSET_PATH, UNCHECKED_FORMATS, FakeGitHub, iter_formats

REPO = "acme/churn"
HEAD = "1f0c1bd1f3ce2f7fc20bd0b2e2a0fd9a2d8fa111"
BASE = "9b2e7c3d6a41f0e5c8d7b6a5f4e3d2c1b0a99222"
FORK_HEAD = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
TOKEN = "ghs_mlciWriteToken000000000000000000001"
READ_ONLY = "ghs_mlciForkReadOnlyToken0000000000002"
EVENTS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def _extractor() -> ModuleType:
    path = SUBSET_PATH.with_name("extract_openapi.py")
    spec = importlib.util.spec_from_file_location("extract_openapi", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def client(fake: FakeGitHub, token: str = TOKEN, *, retry: Any = "default", **kwargs: Any) -> Github:
    """PyGithub as mlci uses it, minus the throttle, with a tiny backoff so retries are fast."""
    if retry == "default":
        retry = GithubRetry(total=3, backoff_factor=0.01)
    return Github(base_url=fake.url, auth=Auth.Token(token), retry=retry, seconds_between_requests=None,
                  seconds_between_writes=None, **kwargs)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY, read_only=True)
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 7, HEAD, BASE)
    return fake_github


def annotation(i: int) -> dict[str, Any]:
    return {"path": f"src/m{i}.py", "start_line": i + 1, "end_line": i + 1, "annotation_level": "warning",
            "message": f"metric {i} regressed"}


# --- The vendored data -----------------------------------------------------------------------------------------------

def test_subset_matches_its_checksum_and_the_extractors_list() -> None:
    text = SUBSET_PATH.read_bytes()
    recorded = SUBSET_PATH.with_name(SUBSET_PATH.name + ".sha256").read_text().split()[0]
    assert hashlib.sha256(text).hexdigest() == recorded, "edited by hand? re-run tests/contract/extract_openapi.py"
    doc = json.loads(text)
    header = doc["x-mlci-subset"]
    extractor = _extractor()
    assert header["source"]["package"] == "@octokit/openapi"
    assert header["source"]["version"] == extractor.OPENAPI_VERSION
    assert [f"{op['method']} {op['path']}" for op in header["operations"]] == extractor.OPERATIONS
    assert doc["openapi"].startswith("3.0.")


def test_subset_is_self_contained_and_its_formats_are_checked(github_contract: Any) -> None:
    doc = github_contract.doc
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    assert refs, "expected references between components"
    for ref in refs:
        github_contract.resolve(ref)  # raises if dangling
    assert set(iter_formats(doc)) <= set(FORMATS.checkers) | UNCHECKED_FORMATS


def test_event_payloads_are_the_shipped_examples() -> None:
    extractor = _extractor()
    readme = (EVENTS_DIR / "README.md").read_text()
    assert extractor.EXAMPLES_VERSION in readme
    for file_name, event, action, _, _ in extractor.EVENTS:
        payload = json.loads((EVENTS_DIR / file_name).read_text())
        assert payload.get("action") == action
        assert f"`{file_name}`" in readme
        assert f"`{payload['repository']['full_name']}`" in readme, event
    pull = json.loads((EVENTS_DIR / "pull_request.synchronize.json").read_text())
    assert pull["pull_request"]["head"]["sha"] == pull["after"]


# --- Comments --------------------------------------------------------------------------------------------------------

def test_create_list_edit_delete_comments(fake: FakeGitHub) -> None:
    pr = client(fake).get_repo(REPO).get_pull(7)
    assert (pr.head.sha, pr.base.sha, pr.head.repo.full_name) == (HEAD, BASE, REPO)

    created = pr.create_issue_comment("<!-- mlci -->\nfirst")
    assert created.user.login == "github-actions[bot]" and created.user.type == "Bot"
    assert created.html_url == f"https://github.com/{REPO}/pull/7#issuecomment-{created.id}"
    second = pr.create_issue_comment("second")
    assert second.id > created.id

    created.edit("<!-- mlci -->\nedited")
    assert [c.body for c in pr.get_issue_comments()] == ["<!-- mlci -->\nedited", "second"]
    stored = fake.comments(REPO, 7)
    assert stored[0]["body"] == "<!-- mlci -->\nedited" and stored[0]["updated_at"] >= stored[0]["created_at"]

    second.delete()
    assert [c["id"] for c in fake.comments(REPO, 7)] == [created.id]
    assert pr.get_issue_comment(created.id).body.endswith("edited")


def test_comments_paginate_with_githubs_link_header(fake: FakeGitHub) -> None:
    for i in range(250):
        fake.add_comment(REPO, 7, f"comment {i}", user="alice" if i % 2 else "github-actions[bot]")
    gh = client(fake, per_page=100)
    pr = gh.get_repo(REPO).get_pull(7)
    fake.reset_requests()

    bodies = [c.body for c in pr.get_issue_comments()]

    assert bodies == [f"comment {i}" for i in range(250)]
    pages = [r for r in fake.requests if r.method == "GET"]
    assert len(pages) == 3, pages
    repo_id = gh.get_repo(REPO).id
    next_page = urllib.parse.urlsplit(pages[1].path)  # PyGithub follows the link header
    assert next_page.path == f"/repositories/{repo_id}/issues/7/comments"
    assert dict(urllib.parse.parse_qsl(next_page.query)) == {"per_page": "100", "page": "2"}

    answer = requests.get(f"{fake.url}/repos/{REPO}/issues/7/comments?per_page=100&page=2",
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    base = f"{fake.url}/repositories/{repo_id}/issues/7/comments?per_page=100"
    assert answer.headers["link"] == (f'<{base}&page=1>; rel="prev", <{base}&page=3>; rel="next", '
                                      f'<{base}&page=3>; rel="last", <{base}&page=1>; rel="first"')
    assert pr.get_issue_comments().totalCount == 250


def test_a_thousand_earlier_comments_cost_ten_requests(fake: FakeGitHub) -> None:
    for i in range(1000):
        fake.add_comment(REPO, 7, f"earlier {i}", user="alice")
    pr = client(fake, per_page=100).get_repo(REPO).get_pull(7)
    fake.reset_requests()
    assert sum(1 for _ in pr.get_issue_comments()) == 1000
    assert len(fake.requests) == 10


def test_comment_over_65536_characters_is_refused_like_github(fake: FakeGitHub) -> None:
    pr = client(fake).get_repo(REPO).get_pull(7)
    pr.create_issue_comment("x" * 65_536)  # the limit itself is fine
    with pytest.raises(GithubException) as caught:
        pr.create_issue_comment("x" * 65_537)
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert caught.value.data["errors"][0]["message"] == "Body is too long (maximum is 65536 characters)"


def test_a_comment_a_person_deleted_is_gone(fake: FakeGitHub) -> None:
    seeded = fake.add_comment(REPO, 7, "<!-- mlci -->\nold report")
    fake.delete_comment(REPO, seeded["id"])
    pr = client(fake).get_repo(REPO).get_pull(7)
    assert list(pr.get_issue_comments()) == []
    with pytest.raises(UnknownObjectException):
        pr.get_issue_comment(seeded["id"])


# --- Check runs and statuses -----------------------------------------------------------------------------------------

def test_check_run_annotations_are_appended_on_update(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    run = repo.create_check_run(name="mlci", head_sha=HEAD, status="completed", conclusion="failure",
                                output={"title": "2 gates failed", "summary": "first",
                                        "annotations": [annotation(i) for i in range(50)]})
    assert run.status == "completed" and run.conclusion == "failure" and run.completed_at is not None
    run.edit(output={"title": "2 gates failed", "summary": "second",
                     "annotations": [annotation(i) for i in range(50, 80)]})

    [stored] = fake.check_runs(REPO, HEAD)
    assert len(stored["output"]["annotations"]) == 80 and stored["output"]["annotations_count"] == 80
    assert stored["output"]["summary"] == "second" and stored["conclusion"] == "failure"
    assert [p["number"] for p in stored["pull_requests"]] == [7]

    again = repo.create_check_run(name="mlci", head_sha=HEAD, status="in_progress")
    latest = list(repo.get_commit(HEAD).get_check_runs(check_name="mlci"))
    assert [r.id for r in latest] == [again.id]  # filter=latest: the newest run of the name
    assert len(list(repo.get_commit(HEAD).get_check_runs(check_name="mlci", filter="all"))) == 2
    assert repo.get_check_run(run.id).output.summary == "second"


def test_more_than_50_annotations_in_one_request_is_a_422(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    with pytest.raises(GithubException) as caught:
        repo.create_check_run(name="mlci", head_sha=HEAD, conclusion="neutral",
                              output={"title": "t", "summary": "s", "annotations": [annotation(i) for i in range(51)]})
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied."
    assert fake.check_runs(REPO, HEAD) == []


def test_summary_limits_in_characters_and_bytes(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    repo.create_check_run(name="ok", head_sha=HEAD, conclusion="success", output={"title": "t", "summary": "s" * 65_535})
    with pytest.raises(GithubException) as chars:
        repo.create_check_run(name="long", head_sha=HEAD, conclusion="success",
                              output={"title": "t", "summary": "s" * 65_536})
    assert chars.value.data["message"] == "Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied."
    with pytest.raises(GithubException) as size:  # 40,000 characters, 80,000 bytes
        repo.create_check_run(name="wide", head_sha=HEAD, conclusion="success",
                              output={"title": "t", "summary": "é" * 40_000})
    assert size.value.status == 422
    assert size.value.data["errors"][0]["message"] == "summary exceeds a maximum bytesize of 65535"


def test_commit_status_and_pulls_for_a_commit(fake: FakeGitHub) -> None:
    gh = client(fake)
    repo = gh.get_repo(REPO)
    commit = repo.get_commit(HEAD)
    status = commit.create_status(state="failure", target_url="https://ci.example/run/1",
                                  description="2 gates failed", context="mlci")
    assert (status.state, status.context, status.creator.login) == ("failure", "mlci", "github-actions[bot]")
    assert [s["state"] for s in fake.statuses(REPO, HEAD)] == ["failure"]

    _, listed = gh.requester.requestJsonAndCheck("GET", f"{repo.url}/commits/{HEAD}/statuses")
    assert [s["context"] for s in listed] == ["mlci"]
    assert [p.number for p in commit.get_pulls()] == [7]
    with pytest.raises(GithubException) as unknown:
        repo.get_commit("0" * 40)
    assert unknown.value.status == 422 and unknown.value.data["message"] == f"No commit found for SHA: {'0' * 40}"


def test_fork_pull_requests(fake: FakeGitHub) -> None:
    fake.add_pull(REPO, 8, FORK_HEAD, BASE, fork=True)
    repo = client(fake, READ_ONLY).get_repo(REPO)
    pr = repo.get_pull(8)
    assert pr.head.repo.full_name == "contributor/churn" and pr.head.repo.fork
    assert pr.head.label == "contributor:feature"
    run = client(fake).get_repo(REPO).create_check_run(name="mlci", head_sha=FORK_HEAD, conclusion="success",
                                                       output={"title": "t", "summary": "s"})
    assert run.pull_requests == []  # GitHub leaves fork pull requests out of a check run


# --- Auth ------------------------------------------------------------------------------------------------------------

def test_read_only_token_reads_but_every_write_is_403(fake: FakeGitHub) -> None:
    repo = client(fake, READ_ONLY).get_repo(REPO)
    pr = repo.get_pull(7)
    assert list(pr.get_issue_comments()) == []
    with pytest.raises(GithubException) as comment:
        pr.create_issue_comment("hello")
    assert comment.value.status == 403
    assert comment.value.data["message"] == "Resource not accessible by integration"
    assert comment.value.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    with pytest.raises(GithubException) as check:
        repo.create_check_run(name="mlci", head_sha=HEAD, conclusion="success", output={"title": "t", "summary": "s"})
    assert check.value.status == 403 and check.value.data["message"] == "Resource not accessible by integration"
    assert fake.comments(REPO, 7) == [] and fake.check_runs(REPO, HEAD) == []


def test_unknown_or_missing_token_is_401(fake: FakeGitHub) -> None:
    with pytest.raises(BadCredentialsException) as caught:
        client(fake, "ghs_nobodyKnowsThisToken").get_repo(REPO)
    assert caught.value.data["message"] == "Bad credentials"
    anonymous = requests.get(f"{fake.url}/repos/{REPO}", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Requires authentication"


def test_an_exhausted_rate_limit_is_githubs_403(fake: FakeGitHub) -> None:
    fake.rate_limit = 2
    gh = client(fake, retry=None)
    repo = gh.get_repo(REPO)
    repo.get_pull(7)
    with pytest.raises(RateLimitExceededException) as caught:
        repo.get_pull(7)
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.data["message"].startswith("API rate limit exceeded")


def test_every_answer_carries_githubs_headers(fake: FakeGitHub) -> None:
    auth = {"Authorization": f"token {TOKEN}"}
    first = requests.get(f"{fake.url}/repos/{REPO}", headers=auth, timeout=10)
    second = requests.get(f"{fake.url}/repos/{REPO}/pulls/404", headers=auth, timeout=10)
    assert first.status_code == 200 and second.status_code == 404
    assert second.json()["message"] == "Not Found"
    for answer in (first, second):
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        assert answer.headers["x-ratelimit-limit"] == "5000" and answer.headers["x-ratelimit-resource"] == "core"
        assert int(answer.headers["x-ratelimit-reset"]) > time.time()
        assert re.fullmatch(r"[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{7}:[0-9A-F]{7}:[0-9A-F]{8}",
                            answer.headers["x-github-request-id"])
    assert int(first.headers["x-ratelimit-remaining"]) - int(second.headers["x-ratelimit-remaining"]) == 1
    assert int(second.headers["x-ratelimit-used"]) == 2
    assert client(fake).get_rate_limit().resources.core.used == 2  # /rate_limit itself is free


# --- Faults ----------------------------------------------------------------------------------------------------------

def test_a_502_is_retried_and_the_call_succeeds(fake: FakeGitHub) -> None:
    pr = client(fake).get_repo(REPO).get_pull(7)
    fake.inject("GET", r"/issues/7/comments$", status=502)
    fake.inject("POST", r"/issues/7/comments$", status=502)
    fake.reset_requests()
    pr.create_issue_comment("once")
    assert list(pr.get_issue_comments())[0].body == "once"
    assert [r.status for r in fake.requests] == [502, 201, 502, 200]
    assert len(fake.comments(REPO, 7)) == 1


def test_a_patch_is_not_retried_by_githubretry(fake: FakeGitHub) -> None:
    """GithubRetry retries urllib3's idempotent methods plus POST, not PATCH: a 502 on an edit surfaces."""
    comment = client(fake).get_repo(REPO).get_pull(7).create_issue_comment("v1")
    fake.inject("PATCH", r"/issues/comments/\d+$", status=502)
    with pytest.raises(GithubException) as caught:
        comment.edit("v2")
    assert caught.value.status == 502
    assert fake.comments(REPO, 7)[0]["body"] == "v1"


def test_secondary_rate_limit_honours_retry_after(fake: FakeGitHub) -> None:
    pr = client(fake).get_repo(REPO).get_pull(7)
    fake.secondary_rate_limit("POST", r"/issues/7/comments$", retry_after=1)
    started = time.monotonic()
    pr.create_issue_comment("after the pause")
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in fake.requests[-2:]] == [403, 201]


def test_primary_rate_limit_without_retry_raises(fake: FakeGitHub) -> None:
    gh = client(fake, retry=None)
    fake.primary_rate_limit("GET", r"^/repos/acme/churn$", reset_in=600)
    with pytest.raises(RateLimitExceededException) as caught:
        gh.get_repo(REPO)
    assert caught.value.data["message"].startswith("API rate limit exceeded")
    assert gh.rate_limiting[0] == 0


def test_a_dropped_connection_is_retried(fake: FakeGitHub) -> None:
    pr = client(fake).get_repo(REPO).get_pull(7)
    fake.inject("GET", r"/issues/7/comments$", drop=True)
    fake.reset_requests()
    assert list(pr.get_issue_comments()) == []
    assert [r.status for r in fake.requests] == [0, 200]



def test_a_fault_after_the_write_loses_only_the_answer(fake: FakeGitHub) -> None:
    """``after=True``: GitHub did the write, the client saw a 502 or a dropped connection."""
    repo = client(fake, retry=None).get_repo(REPO)
    fake.inject("POST", r"/issues/7/comments$", status=502, after=True)
    with pytest.raises(GithubException) as caught:
        repo.get_pull(7).create_issue_comment("written")
    assert caught.value.status == 502
    assert [c["body"] for c in fake.comments(REPO, 7)] == ["written"]
    fake.inject("POST", r"/check-runs$", drop=True, after=True)
    with pytest.raises(requests.ConnectionError):
        repo.create_check_run(name="mlci", head_sha=HEAD, conclusion="success", output={"title": "t", "summary": "s"})
    assert [r["conclusion"] for r in fake.check_runs(REPO, HEAD)] == ["success"]
    assert [r.status for r in fake.requests[-2:]] == [502, 0]


def test_a_fault_after_the_write_still_checks_the_request(fake: FakeGitHub) -> None:
    gh = client(fake, retry=None)
    fake.inject("POST", r"/issues/7/comments$", status=502, after=True)
    with pytest.raises(GithubException) as caught:
        gh.requester.requestJsonAndCheck("POST", f"{fake.url}/repos/{REPO}/issues/7/comments", input={"text": "hi"})
    assert caught.value.status == 502
    assert len(fake.violations) == 1 and "'body' is a required property" in fake.violations[0]
    fake.violations.clear()


def test_a_delayed_answer_after_the_write_is_a_read_timeout(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None, timeout=1).get_repo(REPO)
    fake.inject("POST", r"/issues/7/comments$", after=True, delay=2)
    with pytest.raises(requests.ReadTimeout):
        repo.get_pull(7).create_issue_comment("written")
    assert [c["body"] for c in fake.comments(REPO, 7)] == ["written"]
    assert [c.body for c in client(fake).get_repo(REPO).get_pull(7).get_issue_comments()] == ["written"]

def test_latest_check_runs_are_the_last_completed(fake: FakeGitHub) -> None:
    """GitHub's filter=latest goes by completed_at, not by creation."""
    import datetime as dt

    repo = client(fake).get_repo(REPO)
    first = repo.create_check_run(name="mlci", head_sha=HEAD, conclusion="failure", output={"title": "t", "summary": "1"})
    second = repo.create_check_run(name="mlci", head_sha=HEAD, conclusion="success", output={"title": "t", "summary": "2"})
    assert [r.id for r in repo.get_commit(HEAD).get_check_runs(check_name="mlci")] == [second.id]
    first.edit(completed_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5))
    assert [r.id for r in repo.get_commit(HEAD).get_check_runs(check_name="mlci")] == [first.id]

# --- Contract violations ---------------------------------------------------------------------------------------------

def test_a_response_that_breaks_the_contract_is_caught(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = fake.add_comment(REPO, 7, "hello")
    good = fake._comment_json
    monkeypatch.setattr(fake, "_comment_json", lambda c: {k: v for k, v in good(c).items() if k != "node_id"})
    pr = client(fake, retry=None).get_repo(REPO).get_pull(7)
    with pytest.raises(GithubException) as caught:
        pr.get_issue_comment(seeded["id"])
    assert caught.value.status == 500 and "contract violation" in caught.value.data["message"]
    assert len(fake.violations) == 1
    assert "issues/get-comment" in fake.violations[0] and "'node_id' is a required property" in fake.violations[0]
    fake.violations.clear()


def test_a_request_that_breaks_the_contract_is_caught(fake: FakeGitHub) -> None:
    gh = client(fake, retry=None)
    with pytest.raises(GithubException) as caught:
        gh.requester.requestJsonAndCheck("POST", f"{fake.url}/repos/{REPO}/issues/7/comments", input={"text": "hi"})
    assert caught.value.status == 500
    assert fake.violations == [f"POST /repos/{REPO}/issues/7/comments -> POST /repos/{{owner}}/{{repo}}/issues/"
                               "{issue_number}/comments (issues/create-comment): "
                               "request body at $: 'body' is a required property"]
    fake.violations.clear()
    assert fake.comments(REPO, 7) == []


def test_an_operation_outside_the_subset_is_caught(fake: FakeGitHub) -> None:
    """PyGithub's Commit.get_statuses() uses GET /repos/{o}/{r}/statuses/{sha}, which the description lacks."""
    commit = client(fake, retry=None).get_repo(REPO).get_commit(HEAD)
    with pytest.raises(GithubException):
        list(commit.get_statuses())
    assert len(fake.violations) == 1 and "no operation in the contract subset" in fake.violations[0]
    fake.violations.clear()
