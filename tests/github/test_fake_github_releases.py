"""The fake GitHub's git tags, refs and releases (what `mlci release` publishes), through PyGithub and raw requests.

A tag object's SHA is checked against real git: the same fields given to ``git mktag`` must name the same object.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import requests
from github import GithubException, InputGitAuthor, UnknownObjectException

from tests.github.fake_github import SUBSET_PATH, FakeGitHub, git_object_sha
from tests.github.test_fake_github import BASE, HEAD, READ_ONLY, REPO, TOKEN, _extractor, client

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TAG = "model@v1.0.0"


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY, read_only=True)
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 7, HEAD, BASE)  # makes HEAD and BASE known commits
    return fake_github


def git(cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    return proc.stdout.strip()


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    """A real git repository with one commit."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "first")
    return tmp_path


def api(fake: FakeGitHub, rest: str) -> str:
    return f"{fake.url}/repos/{REPO}/{rest}"


# --- Tag objects -----------------------------------------------------------------------------------------------------

def test_a_tag_objects_sha_is_the_one_git_computes(fake: FakeGitHub, repo_dir: Path) -> None:
    commit = git(repo_dir, "rev-parse", "HEAD")
    fake.add_commit(REPO, commit)
    repo = client(fake).get_repo(REPO)
    message = "Model card: accuracy 0.912 (était 0.905)\n\nmlci release"  # non-ASCII, no final newline
    tagger = InputGitAuthor("Ann Ëxample", "ann@example.com", "2024-05-01T12:00:00+02:00")

    tag = repo.create_git_tag(TAG, message, commit, "commit", tagger)

    # The object as git's documentation describes it, written here independently of the fake.
    text = (f"object {commit}\ntype commit\ntag {TAG}\n"
            f"tagger Ann Ëxample <ann@example.com> 1714557600 +0200\n\n{message}")
    assert git(repo_dir, "mktag", stdin=text) == tag.sha
    assert git(repo_dir, "hash-object", "-t", "tag", "-w", "--stdin", stdin=text) == tag.sha
    assert git_object_sha("tag", text.encode()) == tag.sha
    shown = git(repo_dir, "cat-file", "-p", tag.sha)
    assert "tagger Ann Ëxample <ann@example.com> 1714557600 +0200" in shown.splitlines()
    assert git(repo_dir, "cat-file", "-t", tag.sha) == "tag"

    got = repo.get_git_tag(tag.sha)
    assert (got.tag, got.message, got.object.sha, got.object.type) == (TAG, message, commit, "commit")
    assert (got.tagger.name, got.tagger.email) == ("Ann Ëxample", "ann@example.com")
    assert got.raw_data["tagger"]["date"] == "2024-05-01T10:00:00Z"  # the instant, shown in UTC
    assert got.raw_data["verification"]["reason"] == "unsigned"


def test_the_message_is_stored_as_sent_git_tag_adds_the_newline(fake: FakeGitHub, repo_dir: Path) -> None:
    """`git tag -a -m msg` stores "msg\\n"; the API stores what it is sent, so "msg\\n" matches git tag, "msg" not."""
    commit = git(repo_dir, "rev-parse", "HEAD")
    fake.add_commit(REPO, commit)
    env = {"GIT_COMMITTER_NAME": "Ann Example", "GIT_COMMITTER_EMAIL": "ann@example.com",
           "GIT_COMMITTER_DATE": "1714557600 -0130"}
    git(repo_dir, "tag", "-a", "-m", "release v1", "v1", env=env)
    by_git = git(repo_dir, "rev-parse", "refs/tags/v1")
    assert git(repo_dir, "cat-file", "-p", by_git).endswith("\n\nrelease v1")  # (stripped by .strip())

    repo = client(fake).get_repo(REPO)
    tagger = InputGitAuthor("Ann Example", "ann@example.com", "2024-05-01T08:30:00-01:30")
    with_newline = repo.create_git_tag("v1", "release v1\n", commit, "commit", tagger)
    without = repo.create_git_tag("v1", "release v1", commit, "commit", tagger)
    assert with_newline.sha == by_git
    assert without.sha != by_git and without.message == "release v1"


def test_a_tag_without_tagger_is_the_tokens_user(fake: FakeGitHub) -> None:
    tag = client(fake).get_repo(REPO).create_git_tag(TAG, "card", HEAD, "commit")
    assert tag.tagger.name == "github-actions[bot]"
    assert tag.tagger.email == "41898282+github-actions[bot]@users.noreply.github.com"
    assert fake.tags(REPO) == {}  # a tag object alone is no tag


def test_a_tag_object_on_an_unknown_object_is_422_and_an_unknown_tag_sha_404(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    with pytest.raises(GithubException) as unknown:
        repo.create_git_tag(TAG, "card", "0" * 40, "commit")
    assert unknown.value.status == 422 and unknown.value.data["message"] == "Object does not exist"
    with pytest.raises(UnknownObjectException):
        repo.get_git_tag("1" * 40)


# --- Refs ------------------------------------------------------------------------------------------------------------

def test_an_annotated_tag_is_a_tag_object_and_its_ref(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    tag = repo.create_git_tag(TAG, "card", HEAD, "commit")
    ref = repo.create_git_ref(f"refs/tags/{TAG}", tag.sha)
    assert (ref.ref, ref.object.type, ref.object.sha) == (f"refs/tags/{TAG}", "tag", tag.sha)

    got = repo.get_git_ref(f"tags/{TAG}")  # PyGithub sends /git/ref/tags/model%40v1.0.0: a slash in {ref}
    assert (got.object.type, got.object.sha) == ("tag", tag.sha)
    assert got.object.url == f"{fake.url}/repos/{REPO}/git/tags/{tag.sha}"
    stored = fake.tags(REPO)[TAG]
    assert stored["sha"] == tag.sha and stored["object"] is not None and stored["object"]["object"]["sha"] == HEAD


def test_matching_refs_is_a_prefix_match_and_may_be_empty(fake: FakeGitHub) -> None:
    fake.add_tag(REPO, "model@v1.1.0", BASE)
    fake.add_tag(REPO, "model@v1.0.0", HEAD, message="card")
    fake.add_tag(REPO, "data@v1.0.0", HEAD)
    fake.add_branch(REPO, "main", BASE)
    repo = client(fake).get_repo(REPO)

    matching = list(repo.get_git_matching_refs("tags/model@"))

    assert [r.ref for r in matching] == ["refs/tags/model@v1.0.0", "refs/tags/model@v1.1.0"]
    assert [r.object.type for r in matching] == ["tag", "commit"]
    assert [r.ref for r in repo.get_git_matching_refs("heads/")] == ["refs/heads/main"]
    assert list(repo.get_git_matching_refs("tags/other@")) == []
    raw = requests.get(api(fake, "git/matching-refs/tags/model@v2"), headers=AUTH, timeout=10)
    assert raw.status_code == 200 and raw.json() == []
    assert fake.tags(REPO)["model@v1.1.0"] == {"sha": BASE, "object": None}


def test_creating_an_existing_ref_is_githubs_422(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    repo.create_git_ref(f"refs/tags/{TAG}", HEAD)
    with pytest.raises(GithubException) as again:
        repo.create_git_ref(f"refs/tags/{TAG}", BASE)
    assert again.value.status == 422
    assert again.value.data == {"message": "Reference already exists",
                                "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference",
                                "status": "422"}
    assert fake.tags(REPO)[TAG]["sha"] == HEAD  # unmoved
    with pytest.raises(GithubException) as unknown:
        repo.create_git_ref("refs/tags/other", "0" * 40)
    assert unknown.value.data["message"] == "Object does not exist"
    with pytest.raises(GithubException) as unqualified:  # "refs/" and two slashes, or rejected
        repo.create_git_ref(f"tags/{TAG}", HEAD)
    assert unqualified.value.status == 422


def test_create_ref_answers_201_with_its_location(fake: FakeGitHub) -> None:
    answer = requests.post(api(fake, "git/refs"), json={"ref": f"refs/tags/{TAG}", "sha": HEAD}, headers=AUTH,
                           timeout=10)
    assert answer.status_code == 201
    body = answer.json()
    assert body["ref"] == f"refs/tags/{TAG}" and body["object"] == {
        "sha": HEAD, "type": "commit", "url": f"{fake.url}/repos/{REPO}/git/commits/{HEAD}"}
    assert answer.headers["location"] == body["url"] == f"{fake.url}/repos/{REPO}/git/refs/tags/model%40v1.0.0"


def test_an_absent_ref_is_404(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    with pytest.raises(UnknownObjectException):
        _ = repo.get_git_ref(f"tags/{TAG}").object
    fake.add_tag(REPO, "model@v1.0.0-rc1", HEAD)
    answer = requests.get(api(fake, f"git/ref/tags/{TAG}"), headers=AUTH, timeout=10)  # exact, not a prefix
    assert answer.status_code == 404 and answer.json()["message"] == "Not Found"


def test_deleting_a_ref_then_again_is_422_reference_does_not_exist(fake: FakeGitHub) -> None:
    fake.add_tag(REPO, TAG, HEAD)
    repo = client(fake, retry=None).get_repo(REPO)
    ref = repo.get_git_ref(f"tags/{TAG}")
    ref.delete()
    assert fake.tags(REPO) == {}
    with pytest.raises(GithubException) as again:
        ref.delete()
    assert again.value.status == 422
    answer = requests.delete(api(fake, f"git/refs/tags/{urllib.parse.quote(TAG)}"), headers=AUTH, timeout=10)
    assert answer.status_code == 422
    assert answer.json() == {"message": "Reference does not exist",
                             "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference",
                             "status": "422"}
    fake.add_tag(REPO, TAG, HEAD)
    deleted = requests.delete(api(fake, f"git/refs/tags/{TAG}"), headers=AUTH, timeout=10)
    assert deleted.status_code == 204 and deleted.content == b""


# --- Releases --------------------------------------------------------------------------------------------------------

def test_a_release_creates_its_missing_tag_lightweight_on_target_commitish(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    release = repo.create_git_release(TAG, name="model v1.0.0", message="## Model card", target_commitish=HEAD,
                                      make_latest="true")
    assert fake.tags(REPO) == {TAG: {"sha": HEAD, "object": None}}
    assert (release.tag_name, release.name, release.body, release.target_commitish) == (
        TAG, "model v1.0.0", "## Model card", HEAD)
    assert not release.draft and not release.prerelease and release.published_at is not None
    assert release.html_url == f"https://github.com/{REPO}/releases/tag/model%40v1.0.0"
    assert release.author.login == "github-actions[bot]"

    assert repo.get_release(TAG).id == release.id  # GET /releases/tags/{tag}
    assert repo.get_release(release.id).tag_name == TAG
    [listed] = fake.releases(REPO)
    assert listed["id"] == release.id and listed["assets"] == []


def test_a_release_on_an_existing_tag_leaves_it(fake: FakeGitHub) -> None:
    seeded = fake.add_tag(REPO, TAG, HEAD, message="card")
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=BASE)
    assert fake.tags(REPO)[TAG] == seeded  # target_commitish is unused when the tag exists
    assert release.target_commitish == BASE


def test_a_release_without_target_tags_the_default_branch(fake: FakeGitHub) -> None:
    fake.add_branch(REPO, "main", BASE)
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes")
    assert release.target_commitish == "main"
    assert fake.tags(REPO)[TAG] == {"sha": BASE, "object": None}

    fake.add_repo("acme/no-branch")  # the fake knows no head for its default branch
    with pytest.raises(GithubException) as caught:
        client(fake, retry=None).get_repo("acme/no-branch").create_git_release(TAG, "v1", "notes")
    assert caught.value.status == 422
    assert caught.value.data["errors"] == [{"resource": "Release", "code": "invalid", "field": "target_commitish"}]


def test_a_second_release_of_a_tag_is_422_already_exists(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    repo.create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    with pytest.raises(GithubException) as caught:
        repo.create_git_release(TAG, "v1 again", "notes", target_commitish=HEAD)
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert caught.value.data["errors"] == [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]
    assert len(fake.releases(REPO)) == 1


def test_a_release_by_tag_is_404_when_none_or_only_a_draft(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    with pytest.raises(UnknownObjectException):
        repo.get_release(TAG)
    draft = repo.create_git_release(TAG, "v1", "notes", draft=True, target_commitish=HEAD)
    assert draft.published_at is None and draft.html_url.startswith(f"https://github.com/{REPO}/releases/tag/untagged-")
    assert fake.tags(REPO) == {}  # a draft's tag is made when it is published
    with pytest.raises(UnknownObjectException):
        repo.get_release(TAG)

    published = draft.update_release("v1", "notes", draft=False)
    assert not published.draft and published.published_at is not None
    assert fake.tags(REPO) == {TAG: {"sha": HEAD, "object": None}}
    assert repo.get_release(TAG).id == draft.id


def test_update_then_delete_a_release(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    release = repo.create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    updated = release.update_release("model v1.0.0", "## Card\n\nrevised", prerelease=True, make_latest="false")
    assert (updated.name, updated.body, updated.prerelease) == ("model v1.0.0", "## Card\n\nrevised", True)
    assert fake.releases(REPO)[0]["body"] == "## Card\n\nrevised"
    patched = requests.patch(api(fake, f"releases/{release.id}"), json={"name": "renamed"}, headers=AUTH, timeout=10)
    assert patched.status_code == 200
    assert patched.json()["name"] == "renamed" and patched.json()["body"].endswith("revised")  # the rest kept

    release.delete_release()
    assert fake.releases(REPO) == []
    assert TAG in fake.tags(REPO)  # deleting a release leaves its tag
    with pytest.raises(UnknownObjectException):
        _ = repo.get_release(release.id).tag_name
    with pytest.raises(UnknownObjectException):
        release.delete_release()
    missing = requests.patch(api(fake, f"releases/{release.id}"), json={"name": "x"}, headers=AUTH, timeout=10)
    assert missing.status_code == 404


def test_releases_list_newest_first_paginated(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    for i in range(35):
        repo.create_git_release(f"model@v1.{i}.0", f"v1.{i}", "notes", target_commitish=HEAD)
    names = [r.tag_name for r in repo.get_releases()]
    assert names == [f"model@v1.{i}.0" for i in reversed(range(35))]
    page = requests.get(api(fake, "releases?per_page=10&page=2"), headers=AUTH, timeout=10)
    assert [r["tag_name"] for r in page.json()] == [f"model@v1.{i}.0" for i in range(24, 14, -1)]
    assert 'rel="next"' in page.headers["link"] and 'rel="prev"' in page.headers["link"]
    assert [r["tag_name"] for r in fake.releases(REPO)][:2] == ["model@v1.0.0", "model@v1.1.0"]  # oldest first


def test_a_read_only_token_cannot_publish_and_sees_no_drafts(fake: FakeGitHub) -> None:
    writer = client(fake).get_repo(REPO)
    draft = writer.create_git_release(TAG, "v1", "notes", draft=True, target_commitish=HEAD)
    reader = client(fake, READ_ONLY, retry=None).get_repo(REPO)
    assert list(reader.get_releases()) == []
    with pytest.raises(UnknownObjectException):
        _ = reader.get_release(draft.id).tag_name
    for write in (lambda: reader.create_git_release("model@v2.0.0", "v2", "notes", target_commitish=HEAD),
                  lambda: reader.create_git_tag("model@v2.0.0", "card", HEAD, "commit"),
                  lambda: reader.create_git_ref("refs/tags/model@v2.0.0", HEAD)):
        with pytest.raises(GithubException) as caught:
            write()
        assert caught.value.status == 403 and caught.value.headers is not None
        assert caught.value.headers["x-accepted-github-permissions"] == "contents=write"
    assert len(fake.releases(REPO)) == 1 and fake.tags(REPO) == {}


# --- Release assets --------------------------------------------------------------------------------------------------

def test_an_asset_goes_to_the_upload_url_on_the_fakes_own_uploads_server(fake: FakeGitHub, tmp_path: Path) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    release = repo.create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    assert release.upload_url == (f"{fake.url}/api/uploads/repos/{REPO}/releases/{release.id}/assets"
                                  "{?name,label}")
    model = tmp_path / "model.onnx"
    model.write_bytes(bytes(range(256)) * 4)
    asset = release.upload_asset(str(model), content_type="application/octet-stream")
    assert (asset.name, asset.size, asset.state, asset.content_type) == (
        "model.onnx", 1024, "uploaded", "application/octet-stream")
    assert asset.browser_download_url == f"https://github.com/{REPO}/releases/download/model%40v1.0.0/model.onnx"
    [held] = fake.assets(REPO, TAG)
    assert held["content"] == model.read_bytes()
    assert held["digest"] == "sha256:" + hashlib.sha256(model.read_bytes()).hexdigest()
    assert [a.name for a in repo.get_release(TAG).get_assets()] == ["model.onnx"]  # repos/list-release-assets
    assert [a["name"] for a in fake.releases(REPO)[0]["assets"]] == ["model.onnx"]  # and in the release itself
    assert any(r.method == "POST" and r.path.startswith(f"/api/uploads/repos/{REPO}/releases/") and r.status == 201
               for r in fake.requests)


def test_an_assets_media_type_is_the_one_sent(fake: FakeGitHub) -> None:
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    data = b"\x1f\x8b not really gzip"
    asset = release.upload_asset_from_memory(io.BytesIO(data), len(data), "model-v1.0.0.tar.gz",
                                             content_type="application/gzip")
    assert asset.content_type == "application/gzip"
    assert fake.assets(REPO, TAG)[0]["content"] == data


def test_a_second_asset_of_a_name_is_422_already_exists_and_a_deleted_one_can_come_again(fake: FakeGitHub,
                                                                                         tmp_path: Path) -> None:
    release = client(fake, retry=None).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    first = release.upload_asset(str(model), content_type="application/octet-stream")
    with pytest.raises(GithubException) as caught:
        release.upload_asset(str(model), content_type="application/octet-stream")
    assert caught.value.status == 422
    assert caught.value.data["errors"] == [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}]
    first.delete_asset()  # repos/delete-release-asset
    assert fake.assets(REPO, TAG) == []
    release.upload_asset(str(model), content_type="application/octet-stream")
    assert [a["name"] for a in fake.assets(REPO, TAG)] == ["model.bin"]
    gone = requests.delete(api(fake, f"releases/assets/{first.id}"), headers=AUTH, timeout=10)
    assert gone.status_code == 404


def test_github_renames_an_asset_with_special_characters(fake: FakeGitHub, tmp_path: Path) -> None:
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    odd = tmp_path / ".churn model:v1.onnx"
    odd.write_bytes(b"x")
    assert release.upload_asset(str(odd), content_type="application/octet-stream").name == "churn.model.v1.onnx"


def test_an_unfinished_asset_is_open_and_its_release_deleted_takes_its_assets(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    release = repo.create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    seeded = fake.add_asset(REPO, TAG, "model.bin", b"", state="open")
    [listed] = repo.get_release(TAG).get_assets()
    assert (listed.id, listed.state, listed.size) == (seeded["id"], "open", 0) and seeded["digest"] is None
    release.delete_release()
    assert fake.releases(REPO) == []


def test_an_upload_outside_the_upload_url_or_without_a_media_type_is_caught(fake: FakeGitHub) -> None:
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    on_the_api = requests.post(api(fake, f"releases/{release.id}/assets?name=m.bin"), data=b"x",
                               headers={**AUTH, "Content-Type": "application/octet-stream"}, timeout=10)
    assert on_the_api.status_code == 500
    assert "served by https://uploads.github.com (through the release's upload_url)" in fake.violations[-1]
    upload = release.upload_url.split("{")[0]
    untyped = requests.post(f"{upload}?name=m.bin", data=b"x", headers={**AUTH, "Content-Type": ""}, timeout=10)
    assert untyped.status_code == 500 and "needs the media type of its data as Content-Type" in fake.violations[-1]
    nameless = requests.post(upload, data=b"x", headers={**AUTH, "Content-Type": "text/plain"}, timeout=10)
    assert nameless.status_code == 500 and "query parameter 'name' is required" in fake.violations[-1]
    api_there = requests.get(f"{fake.url}/api/uploads/repos/{REPO}", headers=AUTH, timeout=10)
    assert api_there.status_code == 500 and "served by https://api.github.com" in fake.violations[-1]
    assert len(fake.violations) == 4 and fake.assets(REPO, TAG) == []
    fake.violations.clear()


def test_a_read_only_token_cannot_upload(fake: FakeGitHub) -> None:
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    reader = client(fake, READ_ONLY, retry=None).get_repo(REPO).get_release(TAG)
    with pytest.raises(GithubException) as caught:
        reader.upload_asset_from_memory(io.BytesIO(b"x"), 1, "m.bin")
    assert caught.value.status == 403 and fake.assets(REPO, TAG) == [] and release.id == reader.id


# --- Faults ----------------------------------------------------------------------------------------------------------

def test_a_release_whose_answer_is_lost_is_there_and_a_retry_is_422(fake: FakeGitHub) -> None:
    """``inject(after=True)``: GitHub made the release (and its tag), the client saw a 502; trying again is a 422."""
    repo = client(fake, retry=None).get_repo(REPO)
    fake.inject("POST", r"/releases$", status=502, after=True)
    with pytest.raises(GithubException) as lost:
        repo.create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    assert lost.value.status == 502
    assert [r["tag_name"] for r in fake.releases(REPO)] == [TAG] and TAG in fake.tags(REPO)
    with pytest.raises(GithubException) as again:
        repo.create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    assert again.value.data["errors"][0]["code"] == "already_exists"


def test_faults_on_refs_and_tags(fake: FakeGitHub) -> None:
    fake.add_tag(REPO, TAG, HEAD)
    repo = client(fake).get_repo(REPO)
    fake.inject("GET", r"/git/ref/tags/", status=502)
    fake.reset_requests()
    assert repo.get_git_ref(f"tags/{TAG}").object.sha == HEAD  # GithubRetry retries the 502
    assert [r.status for r in fake.requests] == [502, 200]
    fake.inject("POST", r"/git/tags$", drop=True)
    tag = repo.create_git_tag("model@v2.0.0", "card", HEAD, "commit")  # a dropped POST is retried too
    assert repo.get_git_tag(tag.sha).sha == tag.sha


def test_every_operation_in_the_subset_has_a_handler() -> None:
    """So no request the contract admits falls through to the fake's "the fake failed" answer."""
    operations: list[dict[str, Any]] = json.loads(SUBSET_PATH.read_text())["x-mlci-subset"]["operations"]
    assert len(operations) == len(_extractor().OPERATIONS)
    missing = [op["operationId"] for op in operations
               if not hasattr(FakeGitHub, "_op_" + re.sub(r"\W", "_", op["operationId"]))]
    assert missing == []


def test_an_upload_retried_after_a_502_sends_the_whole_file_again(fake: FakeGitHub, tmp_path: Path) -> None:
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights " * 1000)
    fake.inject("POST", r"/releases/\d+/assets$", status=502)
    fake.reset_requests()
    release.upload_asset(str(model), content_type="application/octet-stream")  # GithubRetry rewinds the file
    assert [r.status for r in fake.requests] == [502, 201]
    assert fake.assets(REPO, TAG)[0]["content"] == model.read_bytes()


def test_an_upload_whose_answer_is_lost_is_there_and_a_retry_is_422(fake: FakeGitHub, tmp_path: Path) -> None:
    release = client(fake).get_repo(REPO).create_git_release(TAG, "v1", "notes", target_commitish=HEAD)
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    fake.inject("POST", r"/releases/\d+/assets$", status=502, after=True)
    with pytest.raises(GithubException) as caught:
        release.upload_asset(str(model), content_type="application/octet-stream")
    assert caught.value.status == 422  # the retry of a POST whose upload GitHub had done
    assert [(a["name"], a["state"], a["content"]) for a in fake.assets(REPO, TAG)] == [
        ("model.bin", "uploaded", b"weights")]
