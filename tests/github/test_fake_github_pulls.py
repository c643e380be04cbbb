"""The fake GitHub's pull requests made and edited through the API (pulls/create, pulls/update), what the drift
monitor's data pull request uses, through PyGithub: GitHub's refusals, a branch's push moving its PR, the
contents API reading the git data API's commits."""

from __future__ import annotations

import pytest
from github import GithubException

from tests.github.fake_github import FakeGitHub, git_object_sha
from tests.github.test_fake_github import READ_ONLY, REPO, client
from tests.github.test_fake_github import fake  # noqa: F401 - the fixture: the repository, its PR and both tokens


@pytest.fixture
def branches(fake: FakeGitHub) -> tuple[str, str]:  # noqa: F811 - the fixture above
    main = fake.commit_files(REPO, "main", {"data/prod.csv.dvc": b"md5: a\n"})
    head = fake.commit_files(REPO, "update", {"data/prod.csv.dvc": b"md5: b\n"})
    return main, head


def test_a_pull_request_is_made_once_per_head_and_base_and_follows_its_branch(
        fake: FakeGitHub, branches: tuple[str, str]) -> None:  # noqa: F811
    main, head = branches
    repo = client(fake).get_repo(REPO)
    made = repo.create_pull(base="main", head="update", title="Update the data", body="why",
                            maintainer_can_modify=False)
    assert made.number == 8 and made.head.ref == "update" and made.head.sha == head and made.base.ref == "main"
    assert made.user.login == "github-actions[bot]" and made.body == "why" and made.state == "open"
    with pytest.raises(GithubException) as again:
        repo.create_pull(base="main", head="acme:update", title="again")
    assert again.value.status == 422
    assert again.value.data["errors"][0]["message"] == "A pull request already exists for acme:update."
    [listed] = repo.get_pulls(state="open", head="acme:update", base="main")
    assert listed.number == 8

    moved = fake.commit_files(REPO, "scratch", {"data/prod.csv.dvc": b"md5: c\n"})
    repo.get_git_ref("heads/update").edit(moved, force=True)  # a forced push: the PR follows its branch
    assert repo.get_pull(8).head.sha == moved
    repo.get_pull(8).edit(title="Update the data again", body="moved")
    [shown] = [p for p in fake.pulls(REPO) if p["number"] == 8]
    assert shown["title"] == "Update the data again" and shown["body"] == "moved" and shown["head"]["sha"] == moved
    assert [i["number"] for i in fake.issues(REPO)] == []  # a pull request, not an issue


def test_githubs_refusals_of_a_pull_request(fake: FakeGitHub, branches: tuple[str, str]) -> None:  # noqa: F811
    repo = client(fake).get_repo(REPO)
    for head, field in (("nowhere", "head"), ("someone:update", "head")):
        with pytest.raises(GithubException) as refused:
            repo.create_pull(base="main", head=head, title="x")
        assert refused.value.status == 422 and refused.value.data["errors"][0]["field"] == field
    fake.add_branch(REPO, "same", str(fake.ref(REPO, "refs/heads/main")))
    with pytest.raises(GithubException, match="No commits between main and same"):
        repo.create_pull(base="main", head="same", title="x")
    with pytest.raises(GithubException) as read_only:
        client(fake, READ_ONLY).get_repo(REPO).create_pull(base="main", head="update", title="x")
    assert read_only.value.status == 403 and read_only.value.headers["x-accepted-github-permissions"] == \
        "pull_requests=write"


def test_the_contents_api_reads_a_branch_made_through_the_git_data_api(fake: FakeGitHub,  # noqa: F811
                                                                      branches: tuple[str, str]) -> None:
    main, head = branches
    repo = client(fake).get_repo(REPO)
    found = repo.get_contents("data/prod.csv.dvc", ref="update")
    assert not isinstance(found, list)
    assert found.decoded_content == b"md5: b\n" and found.sha == git_object_sha("blob", b"md5: b\n")
    assert repo.get_contents("data/prod.csv.dvc", ref=main).decoded_content == b"md5: a\n"  # type: ignore[union-attr]
    with pytest.raises(GithubException) as missing:
        repo.get_contents("data/none.dvc", ref="update")
    assert missing.value.status == 404
