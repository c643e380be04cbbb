"""The fake GitHub's git data API (what github.assets commits plot images with), through PyGithub and raw requests.

Blob, tree and commit SHAs are checked against real git: the same content given to ``git hash-object``,
``git mktree`` and ``git commit-tree`` must name the same objects.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from github import GithubException, InputGitAuthor, InputGitTreeElement

from tests.github.fake_github import FakeGitHub, git_object_sha
from tests.github.test_fake_github import BASE, READ_ONLY, REPO, TOKEN, client
from tests.github.test_fake_github import fake  # noqa: F401 - the fixture: the repository, its PR and both tokens

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, not UTF-8


def git(cwd: Path, *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, input=stdin.encode() if isinstance(stdin, str) else stdin,
                          capture_output=True, check=True, env={**os.environ, **(env or {})})
    return proc.stdout.decode().strip()


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    return tmp_path


def api(fake: FakeGitHub, rest: str) -> str:
    return f"{fake.url}/repos/{REPO}/{rest}"


def blob(repo: Any, data: bytes) -> str:
    return str(repo.create_git_blob(base64.b64encode(data).decode(), "base64").sha)


def file(path: str, sha: str | None) -> InputGitTreeElement:
    return InputGitTreeElement(path, "100644", "blob", sha=sha)


# --- SHAs as git computes them ---------------------------------------------------------------------------------------

def test_blob_tree_and_commit_shas_are_the_ones_git_computes(fake: FakeGitHub, repo_dir: Path) -> None:
    repo = client(fake).get_repo(REPO)
    png, text = blob(repo, PNG), str(repo.create_git_blob("héllo\n", "utf-8").sha)
    assert png == git(repo_dir, "hash-object", "-w", "--stdin", stdin=PNG) == git_object_sha("blob", PNG)
    assert text == git(repo_dir, "hash-object", "-w", "--stdin", stdin="héllo\n")

    tree = repo.create_git_tree([file("plots/b.png", png), file("plots/a.txt", text), file("plots.txt", text),
                                 InputGitTreeElement("README.md", "100644", "blob", content="# assets\n")])
    # The same tree made by git: the folder first (git mktree sorts "plots" as "plots/", after "plots.txt").
    readme = git(repo_dir, "hash-object", "-w", "--stdin", stdin="# assets\n")
    inner = git(repo_dir, "mktree", stdin=f"100644 blob {text}\ta.txt\n100644 blob {png}\tb.png\n")
    outer = git(repo_dir, "mktree", stdin=f"100644 blob {readme}\tREADME.md\n040000 tree {inner}\tplots\n"
                                          f"100644 blob {text}\tplots.txt\n")
    assert tree.sha == outer
    assert [(e.path, e.type, e.mode) for e in tree.tree] == [
        ("README.md", "blob", "100644"), ("plots.txt", "blob", "100644"), ("plots", "tree", "040000")]

    author = InputGitAuthor("Ann Example", "ann@example.com", "2026-12-02T00:30:00+01:00")
    root = repo.create_git_commit("first\n", tree, [], author)
    env = {"GIT_AUTHOR_NAME": "Ann Example", "GIT_AUTHOR_EMAIL": "ann@example.com",
           "GIT_AUTHOR_DATE": "1796167800 +0100", "GIT_COMMITTER_NAME": "Ann Example",
           "GIT_COMMITTER_EMAIL": "ann@example.com", "GIT_COMMITTER_DATE": "1796167800 +0100"}
    by_git = git(repo_dir, "commit-tree", outer, "-m", "first", env=env)  # commit-tree stores "first\n"
    assert root.sha == by_git
    child = repo.create_git_commit("second\n", tree, [root], author)
    assert child.sha == git(repo_dir, "commit-tree", outer, "-p", by_git, "-m", "second", env=env)
    assert [p.sha for p in child.parents] == [root.sha]
    assert child.raw_data["author"]["date"] == "2026-12-01T23:30:00Z"  # the instant, shown in UTC


def test_a_commit_without_author_is_the_tokens_user_now_and_its_message_as_sent(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    tree = repo.create_git_tree([file("a.png", blob(repo, PNG))])
    commit = repo.create_git_commit("no newline", tree, [])
    assert commit.author.name == commit.committer.name == "github-actions[bot]"
    assert commit.author.email == "41898282+github-actions[bot]@users.noreply.github.com"
    assert commit.message == "no newline" and fake.git_commit(REPO, commit.sha) is not None
    assert repo.get_git_commit(commit.sha).tree.sha == tree.sha


# --- Trees -----------------------------------------------------------------------------------------------------------

def test_a_tree_on_a_base_adds_replaces_and_deletes_files_and_an_emptied_folder_goes(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    one, two = blob(repo, b"one"), blob(repo, b"two")
    base = repo.create_git_tree([file("pr-1/r1/a.png", one), file("pr-1/r1/b.png", one), file("pr-2/r1/a.png", one),
                                 file("README.md", one)])
    tree = repo.create_git_tree([file("pr-1/r1/a.png", None), file("pr-1/r1/b.png", None),  # all of pr-1
                                 file("pr-2/r1/a.png", two), file("pr-2/r2/a.png", one)], base)
    commit = repo.create_git_commit("prune", tree, [])
    assert fake.paths_at(REPO, commit.sha) == ["README.md", "pr-2/r1/a.png", "pr-2/r2/a.png"]
    assert fake.file_at(REPO, commit.sha, "pr-2/r1/a.png") == b"two"
    assert fake.file_at(REPO, commit.sha, "pr-1/r1/a.png") is None
    assert fake.file_at(REPO, commit.sha, "pr-2") is None  # a folder is no file
    listed = repo.get_git_tree(tree.sha, recursive=True)
    assert [e.path for e in listed.tree] == ["README.md", "pr-2", "pr-2/r1", "pr-2/r1/a.png", "pr-2/r2",
                                             "pr-2/r2/a.png"]
    assert not listed.truncated


def test_a_tree_without_a_base_holds_only_its_entries(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    one = blob(repo, b"one")
    repo.create_git_tree([file("a/x.png", one), file("b.png", one)])
    alone = repo.create_git_tree([file("c.png", one)])
    assert [e.path for e in repo.get_git_tree(alone.sha, recursive=True).tree] == ["c.png"]


@pytest.mark.parametrize(("entry", "message"), [
    ({"path": "gone.png", "mode": "100644", "type": "blob", "sha": None}, "GitRPC::BadObjectState"),
    ({"path": "pr-1", "mode": "040000", "type": "tree", "sha": None}, "GitRPC::BadObjectState"),  # a folder
    ({"path": "pr-1/r1", "mode": "100644", "type": "blob", "sha": None}, "GitRPC::BadObjectState"),
    ({"path": "x.png", "mode": "100644", "type": "blob", "sha": "ONE", "content": "x"},
     "Must supply either tree.sha or tree.content. Request will be rejected if both are present."),
    ({"path": "x.png", "mode": "100644", "type": "blob"},
     "Must supply either tree.sha or tree.content. Request will be rejected if both are present."),
    ({"path": "../x.png", "mode": "100644", "type": "blob", "sha": "ONE"},
     "tree.path contains a malformed path component"),
    ({"path": "x.png", "mode": "100644", "type": "blob", "sha": "0" * 40}, f"tree.sha {'0' * 40} is not a valid blob"),
    ({"path": "x", "mode": "040000", "type": "blob", "sha": "ONE"}, "GitRPC::BadObjectState"),
])
def test_a_tree_entry_github_refuses_is_422(fake: FakeGitHub, entry: dict[str, Any], message: str) -> None:
    repo = client(fake).get_repo(REPO)
    one = blob(repo, b"one")
    base = repo.create_git_tree([file("pr-1/r1/a.png", one)])
    if entry.get("sha") == "ONE":
        entry = {**entry, "sha": one}
    answer = requests.post(api(fake, "git/trees"), json={"base_tree": base.sha, "tree": [entry]}, headers=AUTH,
                           timeout=10)
    assert answer.status_code == 422 and answer.json()["message"] == message


def test_an_unknown_base_tree_is_422_and_an_unknown_tree_404(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    one = blob(repo, b"one")
    answer = requests.post(api(fake, "git/trees"), json={"base_tree": "1" * 40, "tree": [
        {"path": "a", "mode": "100644", "type": "blob", "sha": one}]}, headers=AUTH, timeout=10)
    assert answer.status_code == 422
    assert requests.get(api(fake, f"git/trees/{'1' * 40}"), headers=AUTH, timeout=10).status_code == 404


def test_a_recursive_listing_stops_at_the_limit_and_says_truncated(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    one = blob(repo, b"one")
    tree = repo.create_git_tree([file(f"k/r{i}/a.png", one) for i in range(5)])
    fake.tree_entry_limit = 4
    listed = repo.get_git_tree(tree.sha, recursive=True)
    assert listed.truncated and [e.path for e in listed.tree] == ["k", "k/r0", "k/r0/a.png", "k/r1"]
    top = repo.get_git_tree(tree.sha)  # not recursive: the top level only
    assert [e.path for e in top.tree] == ["k"] and not top.truncated
    assert listed.tree[2].size == 3


def test_a_tree_is_listed_by_a_commit_or_branch_name_too(fake: FakeGitHub) -> None:
    commit = fake.commit_files(REPO, "mlci-assets", {"pr-1/r/a.png": b"a"})
    by_branch = requests.get(api(fake, "git/trees/mlci-assets?recursive=1"), headers=AUTH, timeout=10).json()
    by_commit = requests.get(api(fake, f"git/trees/{commit}"), headers=AUTH, timeout=10).json()
    assert by_branch["sha"] == by_commit["sha"] == fake.git_commit(REPO, commit).tree  # type: ignore[union-attr]
    assert [e["path"] for e in by_branch["tree"]] == ["pr-1", "pr-1/r", "pr-1/r/a.png"]


# --- The commits API on a branch -------------------------------------------------------------------------------------

def test_the_commit_of_a_branch_name_has_its_real_tree_and_parents(fake: FakeGitHub) -> None:
    first = fake.commit_files(REPO, "mlci-assets", {"a.png": b"a"})
    second = fake.commit_files(REPO, "mlci-assets", {"b.png": b"b"})
    repo = client(fake).get_repo(REPO)
    for ref in ("mlci-assets", "heads/mlci-assets", second):
        head = repo.get_commit(ref)
        assert head.sha == second and [p.sha for p in head.parents] == [first]
        assert head.commit.tree.sha == fake.git_commit(REPO, second).tree  # type: ignore[union-attr]
    assert fake.paths_at(REPO, second) == ["a.png", "b.png"] and fake.paths_at(REPO, first) == ["a.png"]
    answer = requests.get(api(fake, "commits/no-such-branch"), headers=AUTH, timeout=10)
    assert answer.status_code == 422 and answer.json()["message"] == "No commit found for SHA: no-such-branch"


# --- Moving a branch -------------------------------------------------------------------------------------------------

def test_a_branch_moves_by_fast_forward_only_unless_forced(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    tree = repo.create_git_tree([file("a.png", blob(repo, b"a"))])
    root = repo.create_git_commit("root", tree, [])
    ref = repo.create_git_ref("refs/heads/mlci-assets", root.sha)
    child = repo.create_git_commit("child", tree, [root])
    ref.edit(child.sha, force=False)
    assert fake.ref(REPO, "refs/heads/mlci-assets") == child.sha
    ref.edit(child.sha, force=False)  # to where it is: a fast-forward of nothing

    stray = repo.create_git_commit("elsewhere", tree, [root])  # a sibling: not a fast-forward
    with pytest.raises(GithubException) as refused:
        ref.edit(stray.sha, force=False)
    assert refused.value.status == 422 and refused.value.data["message"] == "Update is not a fast forward"
    assert fake.ref(REPO, "refs/heads/mlci-assets") == child.sha
    ref.edit(stray.sha, force=True)
    assert fake.ref(REPO, "refs/heads/mlci-assets") == stray.sha

    answer = requests.patch(api(fake, "git/refs/heads/other"), json={"sha": root.sha}, headers=AUTH, timeout=10)
    assert answer.status_code == 422 and answer.json()["message"] == "Reference does not exist"
    answer = requests.patch(api(fake, "git/refs/heads/mlci-assets"), json={"sha": "2" * 40}, headers=AUTH,
                            timeout=10)
    assert answer.status_code == 422 and answer.json()["message"] == "Object does not exist"


def test_a_protected_branch_refuses_updates_and_creation(fake: FakeGitHub) -> None:
    repo = client(fake, retry=None).get_repo(REPO)
    tree = repo.create_git_tree([file("a.png", blob(repo, b"a"))])
    root = repo.create_git_commit("root", tree, [])
    fake.protect_branch(REPO, "mlci-assets")
    with pytest.raises(GithubException) as made:
        repo.create_git_ref("refs/heads/mlci-assets", root.sha)
    assert made.value.status == 422 and made.value.data["message"] == "Reference update failed"

    fake.commit_files(REPO, "mlci-assets", {"x": b"x"})  # made by a person before the rule
    head = fake.ref(REPO, "refs/heads/mlci-assets")
    answer = requests.patch(api(fake, "git/refs/heads/mlci-assets"), json={"sha": root.sha, "force": True},
                            headers=AUTH, timeout=10)
    assert answer.status_code == 422 and answer.json()["message"] == "Changes must be made through a pull request."
    fake.protect_branch(REPO, "mlci-assets", status=403, message="Resource protected by organization SAML enforcement")
    answer = requests.delete(api(fake, "git/refs/heads/mlci-assets"), headers=AUTH, timeout=10)
    assert answer.status_code == 403
    assert fake.ref(REPO, "refs/heads/mlci-assets") == head


def test_a_read_only_token_cannot_write_git_objects(fake: FakeGitHub) -> None:
    repo = client(fake, READ_ONLY, retry=None).get_repo(REPO)
    with pytest.raises(GithubException) as refused:
        repo.create_git_blob("x", "utf-8")
    assert refused.value.status == 403 and refused.value.data["message"] == "Resource not accessible by integration"
    assert refused.value.headers["x-accepted-github-permissions"] == "contents=write"


# --- Test helpers ----------------------------------------------------------------------------------------------------

def test_another_writer_gets_in_before_a_request(fake: FakeGitHub) -> None:
    fake.commit_files(REPO, "mlci-assets", {"a.png": b"a"})
    moved: list[str] = []
    fake.before("PATCH", r"/git/refs/heads/mlci-assets$",
                lambda: moved.append(fake.commit_files(REPO, "mlci-assets", {"other.png": b"o"})))
    repo = client(fake, retry=None).get_repo(REPO)
    head = repo.get_commit("mlci-assets")
    tree = repo.create_git_tree([file("mine.png", blob(repo, b"m"))], head.commit.tree)
    mine = repo.create_git_commit("mine", tree, [head.commit])
    ref = repo.get_git_ref("heads/mlci-assets")
    with pytest.raises(GithubException) as late:
        ref.edit(mine.sha)
    assert late.value.data["message"] == "Update is not a fast forward"
    assert fake.ref(REPO, "refs/heads/mlci-assets") == moved[0]
    assert fake.paths_at(REPO, moved[0]) == ["a.png", "other.png"]

    again = repo.get_commit("mlci-assets")  # built again on the new head; the action ran once, so it lands
    tree = repo.create_git_tree([file("mine.png", blob(repo, b"m"))], again.commit.tree)
    ref.edit(repo.create_git_commit("mine", tree, [again.commit]).sha)
    assert fake.paths_at(REPO, fake.ref(REPO, "refs/heads/mlci-assets") or "") == ["a.png", "mine.png", "other.png"]


def test_commit_files_deletes_with_none_and_makes_the_branch(fake: FakeGitHub) -> None:
    first = fake.commit_files(REPO, "b", {"k/r/a.png": b"a", "k/r/b.png": b"b"})
    second = fake.commit_files(REPO, "b", {"k/r/a.png": None})
    assert fake.git_commit(REPO, first).parents == ()  # type: ignore[union-attr]
    assert fake.git_commit(REPO, second).parents == (first,)  # type: ignore[union-attr]
    assert fake.paths_at(REPO, second) == ["k/r/b.png"]


# --- Pull requests ---------------------------------------------------------------------------------------------------

def test_the_pull_list_is_the_open_ones_newest_first_paginated(fake: FakeGitHub) -> None:
    for number in range(8, 12):
        fake.add_pull(REPO, number, f"{number:040x}", BASE)
    fake.merge_pull(REPO, 9, "9" * 40)
    fake.add_pull(REPO, 12, "c" * 40, BASE, state="closed")
    repo = client(fake, per_page=2).get_repo(REPO)
    assert [p.number for p in repo.get_pulls(state="open")] == [11, 10, 8, 7]
    assert sorted(p.number for p in repo.get_pulls(state="all")) == [7, 8, 9, 10, 11, 12]
    assert [p.number for p in repo.get_pulls(state="closed", direction="asc")] == [9, 12]
    answer = requests.get(api(fake, "pulls?per_page=2"), headers=AUTH, timeout=10)
    assert len(answer.json()) == 2 and 'rel="next"' in answer.headers["link"]
