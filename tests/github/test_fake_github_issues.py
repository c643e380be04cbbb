"""The fake GitHub's issues (issues/list-for-repo, create, get, update), through the real PyGithub client:
the tracking issue of `mlci drift publish` lives there."""

from __future__ import annotations

import datetime as dt

import pytest
from github import GithubException

from tests.github.fake_github import COMMENT_BODY_LIMIT, FakeGitHub
from tests.github.test_fake_github import HEAD, BASE, READ_ONLY, REPO, TOKEN, client


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY, read_only=True)
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 1, HEAD, BASE)  # issues and pull requests share their numbers
    return fake_github


def test_create_get_edit_close_and_reopen(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    made = repo.create_issue("Data drift: data/prod.csv", body="<!-- mlci-drift: data/prod.csv -->\nbody",
                             labels=["mlci-drift"])
    assert made.number == 2 and made.state == "open" and made.state_reason is None
    assert [label.name for label in made.labels] == ["mlci-drift"] and made.user.login == "github-actions[bot]"
    assert made.html_url == f"https://github.com/{REPO}/issues/2"
    assert repo.get_issue(2).body == "<!-- mlci-drift: data/prod.csv -->\nbody"
    made.edit(body="edited")
    assert fake.issues(REPO)[0]["body"] == "edited" and fake.issues(REPO)[0]["state"] == "open"
    made.create_comment("drift cleared")
    made.edit(state="closed", state_reason="completed")
    [shown] = fake.issues(REPO)
    assert shown["state"] == "closed" and shown["state_reason"] == "completed" and shown["closed_at"]
    assert shown["closed_by"]["login"] == "github-actions[bot]" and shown["comments"] == 1
    assert [c["body"] for c in fake.comments(REPO, 2)] == ["drift cleared"]
    made.edit(state_reason="not_planned")  # no change of state: GitHub ignores the reason
    assert fake.issues(REPO)[0]["state_reason"] == "completed"
    made.edit(state="open")
    [shown] = fake.issues(REPO)
    assert shown["state"] == "open" and shown["state_reason"] == "reopened" and shown["closed_at"] is None


def test_the_listing_filters_by_state_and_every_label_and_sorts_newest_first(fake: FakeGitHub) -> None:
    fake.add_issue(REPO, "old drift", "a", labels=["mlci-drift"], state="closed", created_at="2026-01-01T00:00:00Z")
    fake.add_issue(REPO, "other", "b", labels=["bug"])
    fake.add_issue(REPO, "current drift", "c", labels=["mlci-drift", "data"])
    repo = client(fake).get_repo(REPO)
    assert [i.title for i in repo.get_issues(state="open")] == ["current drift", "other", "Change #1"]
    assert repo.get_issues(state="open")[2].pull_request is not None  # GitHub lists pull requests too
    assert [i.title for i in repo.get_issues(state="all", labels=["mlci-drift"])] == ["current drift", "old drift"]
    assert [i.title for i in repo.get_issues(state="all", labels=["mlci-drift", "data"])] == ["current drift"]
    assert [i.title for i in repo.get_issues(state="closed", labels=["mlci-drift"])] == ["old drift"]
    assert [i.title for i in repo.get_issues(state="all", labels=["mlci-drift"], direction="asc")] == [
        "old drift", "current drift"]
    assert [i.title for i in repo.get_issues(state="all", since=dt.datetime(2026, 6, 1))] == [
        "current drift", "other", "Change #1"]


def test_the_listing_pages_with_githubs_link_header(fake: FakeGitHub) -> None:
    for i in range(130):
        fake.add_issue(REPO, f"issue {i}", None, labels=["mlci-drift"])
    fake.reset_requests()
    listed = list(client(fake, per_page=100).get_repo(REPO).get_issues(state="open", labels=["mlci-drift"]))
    assert len(listed) == 130 and listed[0].title == "issue 129" and listed[-1].title == "issue 0"
    assert [r.status for r in fake.requests if "/issues" in r.path] == [200, 200]  # 100 a page, as mlci asks


def test_a_body_over_65536_characters_is_refused(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    with pytest.raises(GithubException) as caught:
        repo.create_issue("t", body="x" * (COMMENT_BODY_LIMIT + 1))
    assert caught.value.status == 422 and "Body is too long" in str(caught.value.data)
    issue = repo.create_issue("t", body="x" * COMMENT_BODY_LIMIT)
    with pytest.raises(GithubException) as caught:
        issue.edit(body="y" * (COMMENT_BODY_LIMIT + 1))
    assert caught.value.status == 422 and fake.issues(REPO)[0]["body"] == "x" * COMMENT_BODY_LIMIT


def test_a_read_only_token_gets_403_naming_the_permission(fake: FakeGitHub) -> None:
    fake.add_issue(REPO, "seeded", "body")
    repo = client(fake, READ_ONLY).get_repo(REPO)
    assert [i.title for i in repo.get_issues()] == ["seeded", "Change #1"]
    with pytest.raises(GithubException) as caught:
        repo.create_issue("t", body="b")
    assert caught.value.status == 403 and caught.value.headers["x-accepted-github-permissions"] == "issues=write"
    with pytest.raises(GithubException) as caught:
        repo.get_issue(2).edit(state="closed")
    assert caught.value.status == 403 and fake.issues(REPO)[0]["state"] == "open"


def test_unknown_issues_are_404(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    with pytest.raises(GithubException) as caught:
        repo.get_issue(99).title  # noqa: B018 - the lazy client reads it here
    assert caught.value.status == 404
    assert repo.get_issue(1).pull_request is not None  # a pull request is an issue too
    with pytest.raises(ValueError, match="share their numbers"):
        fake.add_issue(REPO, "t") and fake.add_pull(REPO, 2, HEAD, BASE)


def test_a_502_after_create_made_the_issue(fake: FakeGitHub) -> None:
    """The fault the tracking issue must survive: GitHub made the issue, the client saw a 502 (and
    GithubRetry, which repeats POSTs mlci allows, would make a second one)."""
    fake.inject("POST", r"/issues$", status=502, after=True)
    repo = client(fake, retry=None).get_repo(REPO)
    with pytest.raises(GithubException) as caught:
        repo.create_issue("t", body="b")
    assert caught.value.status == 502 and [i["title"] for i in fake.issues(REPO)] == ["t"]
