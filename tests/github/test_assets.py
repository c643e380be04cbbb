"""mlci.github.assets against the contract-checked fake GitHub: plot images committed to an orphan branch
through the git data API, linked at their commit, old runs pruned, other writers and refusals handled."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mlci.github import client
from mlci.github.assets import (
    MAX_IMAGE_BYTES,
    README,
    Asset,
    AssetRefused,
    Hosted,
    HostSettings,
    host_assets,
    open_pull_numbers,
    run_key,
    safe_name,
)
from mlci.github.client import GitHubError, GitHubUnavailable

REPO = "acme/churn"
TOKEN = "ghs_mlciAssetsToken0123456789abcdef"
READ_ONLY = "ghs_mlciAssetsForkToken0123456789ab"
SERVER = "https://github.com"
BRANCH = "refs/heads/mlci-assets"
T0 = datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc)
PLOTS = [Asset("roc.png", b"\x89PNG roc"), Asset("confusion.png", b"\x89PNG confusion"),
         Asset("importance.png", b"\x89PNG importance")]


@pytest.fixture
def fake(fake_github: Any) -> Any:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY, read_only=True)
    return fake_github


def connect(fake: Any, token: str = TOKEN) -> Any:
    return client.connect(token, fake.url, throttle=False, retry_total=2, backoff_factor=0.01, secondary_rate_wait=1)


@pytest.fixture
def repo(fake: Any) -> Iterator[Any]:
    """The repository through mlci's own client (lazy, its retry policy), without pauses."""
    gh = connect(fake)
    try:
        yield gh.get_repo(REPO)
    finally:
        gh.close()


def host(repo: Any, key: str = "pr-12", run: str = "run-1-1", *, now: datetime = T0,
         assets: list[Asset] | None = None, **kwargs: Any) -> Hosted:
    kwargs.setdefault("open_prs", lambda: {12})
    return host_assets(repo, PLOTS if assets is None else assets, key=key, run=run, server_url=SERVER, now=now,
                       **kwargs)


def git_data_calls(fake: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if "/git/" in r.path]


def linked(url: str) -> tuple[str, str]:
    """(commit, path) of a blob link as mlci writes it."""
    found = re.fullmatch(rf"{SERVER}/{REPO}/blob/([0-9a-f]{{40}})/(.+)\?raw=true", url)
    assert found, url
    return found.group(1), urllib.parse.unquote(found.group(2))


def runs_at(fake: Any, commit: str) -> list[str]:
    """The run folders a commit's tree holds."""
    return sorted({"/".join(p.split("/")[:2]) for p in fake.paths_at(REPO, commit) if p.count("/") >= 2})


# --- The first run and its links -------------------------------------------------------------------------------------

def test_the_first_upload_creates_the_orphan_branch_with_its_readme(fake: Any, repo: Any) -> None:
    hosted = host(repo)

    assert fake.ref(REPO, BRANCH) == hosted.commit
    commit = fake.git_commit(REPO, hosted.commit)
    assert commit.parents == ()  # an orphan: nothing in common with the code
    assert hosted.folder == "pr-12/20261202T003000Z-run-1-1" and hosted.pruned == ()
    assert fake.paths_at(REPO, hosted.commit) == ["README.md", *sorted(f"{hosted.folder}/{a.name}" for a in PLOTS)]
    readme = fake.file_at(REPO, hosted.commit, "README.md").decode()
    assert readme == README and "safe to delete" in readme and "comments" in readme
    assert commit.message.startswith("mlci: plots of pr-12")
    # No listing (there is no branch), a blob per image, a tree, a commit, the ref made.
    assert git_data_calls(fake) == [*[("POST", f"/repos/{REPO}/git/blobs")] * 3, ("POST", f"/repos/{REPO}/git/trees"),
                                    ("POST", f"/repos/{REPO}/git/commits"), ("POST", f"/repos/{REPO}/git/refs")]
    assert [r.path.split("?")[0] for r in fake.requests if "/git/" not in r.path] == [
        f"/repos/{REPO}/commits/mlci-assets"]  # the head read: 422, no such branch


def test_the_links_point_at_what_was_uploaded(fake: Any, repo: Any) -> None:
    hosted = host(repo)

    assert set(hosted.urls) == {a.name for a in PLOTS}
    for asset in PLOTS:
        url = hosted.urls[asset.name]
        assert url == f"{SERVER}/{REPO}/blob/{hosted.commit}/{hosted.folder}/{asset.name}?raw=true"
        commit, path = linked(url)
        assert commit == hosted.commit
        assert fake.file_at(REPO, commit, path) == asset.data


def test_a_later_run_builds_on_the_first_and_the_first_links_still_resolve(fake: Any, repo: Any) -> None:
    first = host(repo)
    fake.reset_requests()
    second = host(repo, run="run-2-1", now=T0 + timedelta(hours=1),
                  assets=[Asset("roc.png", b"\x89PNG roc, better"), Asset("extra.png", b"\x89PNG extra")])

    assert fake.git_commit(REPO, second.commit).parents == (first.commit,)
    assert fake.ref(REPO, BRANCH) == second.commit
    assert runs_at(fake, second.commit) == [first.folder, second.folder]
    for asset in PLOTS:  # the first run's links, at the first commit
        assert fake.file_at(REPO, *linked(first.urls[asset.name])) == asset.data
    assert fake.file_at(REPO, *linked(second.urls["roc.png"])) == b"\x89PNG roc, better"
    assert fake.file_at(REPO, second.commit, "README.md") == README.encode()  # kept, not written again
    # One listing, a blob per image, a tree, a commit, the ref moved: 4 + 2.
    calls = git_data_calls(fake)
    assert len(calls) == 4 + 2
    assert [m for m, _ in calls].count("GET") == 1 and calls[-1][0] == "PATCH"
    assert any("recursive=1" in p for _, p in calls)


@pytest.mark.parametrize("images", [1, 6])
def test_git_data_calls_are_at_most_four_plus_one_per_image(fake: Any, repo: Any, images: int) -> None:
    assets = [Asset(f"plot{i}.png", b"\x89PNG %d" % i) for i in range(images)]
    for run in range(5):  # the branch made, then runs that prune
        fake.reset_requests()
        hosted = host(repo, run=f"run-{run}-1", now=T0 + timedelta(days=run), assets=assets,
                      settings=HostSettings(keep_runs=2))
        assert len(git_data_calls(fake)) <= 4 + images
        assert hosted.pruned == ((f"pr-12/{(T0 + timedelta(days=run - 2)).strftime('%Y%m%dT%H%M%SZ')}-run-"
                                  f"{run - 2}-1",) if run >= 2 else ())
    assert len(fake.requests) == 4 + images + 1  # and one read of the head through the commits API


# --- Pruning ---------------------------------------------------------------------------------------------------------

def test_pruning_keeps_the_newest_runs_of_each_key(fake: Any, repo: Any) -> None:
    hosted = [host(repo, run=f"run-{i}-1", now=T0 + timedelta(hours=i)) for i in range(5)]
    other = host(repo, key="pr-7", run="run-9-1", now=T0 + timedelta(hours=6), open_prs=lambda: {7, 12})

    last = host(repo, run="run-5-1", now=T0 + timedelta(hours=7))
    assert last.pruned == (hosted[2].folder,)
    assert runs_at(fake, last.commit) == sorted([other.folder, hosted[3].folder, hosted[4].folder, last.folder])
    assert [h.pruned for h in hosted] == [(), (), (), (hosted[0].folder,), (hosted[1].folder,)]
    assert fake.file_at(REPO, *linked(hosted[0].urls["roc.png"])) == PLOTS[0].data  # at its own commit, still
    assert "Pruned:\n- " + hosted[2].folder in fake.git_commit(REPO, last.commit).message


def test_a_closed_pr_goes_after_the_retention_and_an_open_one_stays(fake: Any, repo: Any) -> None:
    old = {n: host(repo, key=f"pr-{n}", run="run-1-1", now=T0) for n in (3, 4)}
    young = host(repo, key="pr-5", run="run-1-1", now=T0 + timedelta(days=13))
    asked: list[int] = []

    def open_prs() -> set[int]:
        asked.append(1)
        return {4, 12}

    later = host(repo, run="run-2-1", now=T0 + timedelta(days=15), open_prs=open_prs)

    assert later.pruned == (old[3].folder,)  # closed, newest run 15 days old
    assert runs_at(fake, later.commit) == sorted([old[4].folder, young.folder, later.folder])
    assert asked == [1]  # asked once, only because pr-3 and pr-4 were old enough


def test_open_prs_is_not_asked_when_no_run_is_past_the_retention(fake: Any, repo: Any) -> None:
    host(repo, key="pr-3")

    def never() -> set[int]:
        raise AssertionError("open_prs asked")

    host(repo, run="run-2-1", now=T0 + timedelta(days=14), open_prs=never)  # exactly 14 days: not older


def test_open_prs_failing_prunes_no_pr_and_hosts_all_the_same(fake: Any, repo: Any) -> None:
    old = host(repo, key="pr-3")

    def failing() -> set[int]:
        raise GitHubError(403, "Resource not accessible by integration")

    later = host(repo, run="run-2-1", now=T0 + timedelta(days=20), open_prs=failing)
    assert later.pruned == () and runs_at(fake, later.commit) == sorted([old.folder, later.folder])


def test_the_default_open_prs_lists_the_open_pull_requests(fake: Any, repo: Any) -> None:
    fake.add_pull(REPO, 3, "3" * 40, "b" * 40, state="closed")
    fake.add_pull(REPO, 4, "4" * 40, "b" * 40)
    assert open_pull_numbers(repo) == {4}
    runs = {n: host(repo, key=f"pr-{n}", now=T0) for n in (3, 4)}
    fake.reset_requests()

    later = host_assets(repo, PLOTS[:1], key="pr-12", run="run-2-1", server_url=SERVER, now=T0 + timedelta(days=20))

    assert later.pruned == (runs[3].folder,)
    assert [r.path.split("?")[0] for r in fake.requests if r.method == "GET"].count(f"/repos/{REPO}/pulls") == 1


def test_a_branchs_old_runs_go_but_its_newest_stays(fake: Any, repo: Any) -> None:
    key = run_key(None, "main", "a" * 40)
    runs = [host(repo, key=key, run=f"run-{i}-1", now=T0 + timedelta(days=i)) for i in range(2)]

    later = host(repo, key="pr-12", run="run-9-1", now=T0 + timedelta(days=40))
    assert later.pruned == (runs[0].folder,)  # the older, past the retention; the newest stays however old
    assert runs_at(fake, later.commit) == [runs[1].folder, later.folder]

    newer = host(repo, key=key, run="run-3-1", now=T0 + timedelta(days=41))
    assert newer.pruned == (runs[1].folder,)  # its newest is now the new run


def test_what_is_not_a_run_folder_is_never_pruned(fake: Any, repo: Any) -> None:
    fake.commit_files(REPO, "mlci-assets", {"README.md": b"ours", "notes/keep.txt": b"n",
                                            "pr-1/not-a-run/x.png": b"x", "pr-1/20260101T000000Z-run-1/x.png": b"r",
                                            "pr-1/20260101T000000Z-run-1/deeper/y.png": b"y"})
    hosted = host(repo, now=T0, open_prs=set)
    assert hosted.pruned == ("pr-1/20260101T000000Z-run-1",)  # every file of it, deeper ones too
    assert fake.paths_at(REPO, hosted.commit) == [
        "README.md", "notes/keep.txt", "pr-1/not-a-run/x.png", *sorted(f"{hosted.folder}/{a.name}" for a in PLOTS)]


def test_a_truncated_listing_prunes_only_what_it_saw(fake: Any, repo: Any) -> None:
    files = {f"pr-{n}/20260101T000000Z-run-1/a.png": b"a" for n in (1, 2, 3)}
    fake.commit_files(REPO, "mlci-assets", files)
    fake.tree_entry_limit = 5  # pr-1, its run, a.png, pr-2, its run: pr-2's file and pr-3 unseen

    hosted = host(repo, open_prs=set)

    assert hosted.pruned == ("pr-1/20260101T000000Z-run-1",)
    assert [p for p in fake.paths_at(REPO, hosted.commit) if not p.startswith("pr-12/")] == [
        "pr-2/20260101T000000Z-run-1/a.png", "pr-3/20260101T000000Z-run-1/a.png"]


# --- Other writers ---------------------------------------------------------------------------------------------------

def test_a_concurrent_update_is_retried_on_the_new_head_reusing_the_blobs(fake: Any, repo: Any) -> None:
    first = host(repo)
    theirs: list[str] = []
    fake.before("PATCH", r"/git/refs/heads/mlci-assets$", lambda: theirs.append(fake.commit_files(
        REPO, "mlci-assets", {"pr-7/20261202T010000Z-run-8-1/roc.png": b"theirs"})))
    fake.reset_requests()

    mine = host(repo, run="run-2-1", now=T0 + timedelta(hours=1))

    assert fake.git_commit(REPO, mine.commit).parents == (theirs[0],)
    assert fake.git_commit(REPO, theirs[0]).parents == (first.commit,)
    assert runs_at(fake, mine.commit) == ["pr-12/20261202T003000Z-run-1-1", "pr-12/20261202T013000Z-run-2-1",
                                          "pr-7/20261202T010000Z-run-8-1"]
    for asset in PLOTS:
        assert fake.file_at(REPO, *linked(mine.urls[asset.name])) == asset.data
    calls = [m + " " + p.split("?")[0].removeprefix(f"/repos/{REPO}/") for m, p in git_data_calls(fake)]
    assert calls.count("POST git/blobs") == 3  # uploaded once
    assert calls.count("PATCH git/refs/heads/mlci-assets") == 2
    assert [r.status for r in fake.requests if r.method == "PATCH"] == [422, 200]


def test_a_branch_made_meanwhile_by_another_run_is_built_on(fake: Any, repo: Any) -> None:
    theirs: list[str] = []
    fake.before("POST", r"/git/refs$", lambda: theirs.append(fake.commit_files(
        REPO, "mlci-assets", {"README.md": README.encode(), "pr-7/20261202T000000Z-run-8-1/a.png": b"theirs"})))

    mine = host(repo)

    assert fake.git_commit(REPO, mine.commit).parents == (theirs[0],)
    assert runs_at(fake, mine.commit) == ["pr-12/20261202T003000Z-run-1-1", "pr-7/20261202T000000Z-run-8-1"]


def test_a_branch_that_keeps_moving_is_given_up_after_three_attempts(fake: Any, repo: Any) -> None:
    host(repo)
    counter = iter(range(100))
    fake.before("PATCH", r"/git/refs/heads/mlci-assets$", lambda: fake.commit_files(
        REPO, "mlci-assets", {f"pr-7/20261202T01000{next(counter)}Z-run-8-1/a.png": b"theirs"}), times=3)

    with pytest.raises(GitHubError) as refused:
        host(repo, run="run-2-1", now=T0 + timedelta(hours=1))

    assert str(refused.value) == ("the assets branch mlci-assets cannot be written: other runs moved it 3 times while "
                                  "this run wrote to it; the images of this run are not linked")
    assert [r.status for r in fake.requests if r.method == "PATCH"][-3:] == [422, 422, 422]


# --- Refusals --------------------------------------------------------------------------------------------------------

def test_a_protected_branch_is_a_github_error_in_one_readable_line(fake: Any, repo: Any) -> None:
    host(repo)
    fake.protect_branch(REPO, "mlci-assets")

    with pytest.raises(GitHubError) as refused:
        host(repo, run="run-2-1", now=T0 + timedelta(hours=1))

    assert refused.value.status == 422
    assert str(refused.value) == refused.value.message == (
        "the assets branch mlci-assets cannot be written: 422 Changes must be made through a pull request.")


def test_a_protected_branch_name_cannot_be_made(fake: Any, repo: Any) -> None:
    fake.protect_branch(REPO, "mlci-assets")
    with pytest.raises(GitHubError) as refused:
        host(repo)
    assert str(refused.value) == "the assets branch mlci-assets cannot be written: 422 Reference update failed"
    assert fake.ref(REPO, BRANCH) is None


def test_a_token_without_contents_write_is_refused_at_the_first_write(fake: Any) -> None:
    with connect(fake, READ_ONLY) as gh:
        with pytest.raises(GitHubError) as refused:
            host(gh.get_repo(REPO))
    assert refused.value.status == 403
    assert str(refused.value) == ("the assets branch mlci-assets cannot be written: 403 Resource not accessible by "
                                  "integration")
    assert [(r.method, r.status) for r in fake.requests] == [("POST", 403)]


def test_another_422_on_the_head_read_is_a_refusal_not_a_missing_branch(fake: Any, repo: Any) -> None:
    fake.inject("GET", r"/commits/mlci-assets$", status=422, body={"message": "Validation Failed", "status": "422"})
    with pytest.raises(GitHubError) as refused:
        host(repo)
    assert str(refused.value) == "the assets branch mlci-assets cannot be read: 422 Validation Failed"
    assert fake.ref(REPO, BRANCH) is None


def test_github_down_is_an_outage_not_a_refusal(fake: Any, repo: Any) -> None:
    fake.inject("POST", r"/git/trees$", status=502, times=10)
    with pytest.raises(GitHubUnavailable):
        host(repo)


def test_an_oversize_image_is_refused_before_any_request(fake: Any, repo: Any) -> None:
    big = Asset("huge.png", b"\0" * (MAX_IMAGE_BYTES + 1))
    with pytest.raises(AssetRefused) as refused:
        host(repo, assets=[PLOTS[0], big])
    assert not isinstance(refused.value, GitHubError)
    assert str(refused.value) == ("huge.png is 10.0 MB (10,485,761 bytes), over GitHub's 10 MB for an image in a "
                                  "comment")
    host(repo, assets=[Asset("just.png", b"\0" * MAX_IMAGE_BYTES)], run="run-2-1")  # at the limit: fine
    assert fake.requests[0].method == "POST"  # nothing was sent for the refused one


@pytest.mark.parametrize("names", [["a.png", "a.png"], ["../up.png"], ["dir/x.png"], [".hidden.png"], [""],
                                   ["x" * 101 + ".png"], ["spa ce.png"]])
def test_names_are_unique_and_of_the_safe_shape(fake: Any, repo: Any, names: list[str]) -> None:
    with pytest.raises(AssetRefused):
        host(repo, assets=[Asset(name, b"png") for name in names])
    assert fake.requests == []


@pytest.mark.parametrize("key", ["../../etc", "pr-1/../../x", "", ".git", "-pr", "pr 1", "a" * 101])
def test_a_hostile_key_is_refused_before_any_request(fake: Any, repo: Any, key: str) -> None:
    with pytest.raises(AssetRefused):
        host(repo, key=key)
    assert fake.requests == []


@pytest.mark.parametrize("run", ["../../../x", "run/1", "..", "run-1\n", "ünïcode", "-1", "x" * 200])
def test_a_hostile_run_id_stays_inside_its_folder(fake: Any, repo: Any, run: str) -> None:
    hosted = host(repo, run=run)

    key, name = hosted.folder.split("/")
    assert key == "pr-12" and re.fullmatch(r"20261202T003000Z-[A-Za-z0-9][A-Za-z0-9._-]*", name)
    assert all(p == "README.md" or p.startswith(hosted.folder + "/") for p in fake.paths_at(REPO, hosted.commit))
    assert len(hosted.folder) <= 100


def test_settings_out_of_range_are_refused(fake: Any, repo: Any) -> None:
    for settings in (HostSettings(keep_runs=0), HostSettings(retention_days=-1), HostSettings(branch="a..b"),
                     HostSettings(branch="refs/heads/x.lock"), HostSettings(branch="with space")):
        with pytest.raises(AssetRefused):
            host(repo, settings=settings)
    assert fake.requests == []


def test_another_branch_name_is_used(fake: Any, repo: Any) -> None:
    hosted = host(repo, settings=HostSettings(branch="ci/plots"))
    assert fake.ref(REPO, "refs/heads/ci/plots") == hosted.commit
    host(repo, run="run-2-1", settings=HostSettings(branch="ci/plots"))  # the update path: heads/ci/plots


def test_nothing_to_host_sends_nothing(fake: Any, repo: Any) -> None:
    hosted = host(repo, assets=[])
    assert hosted == Hosted("", "pr-12/20261202T003000Z-run-1-1", {}, ()) and fake.requests == []


# --- Keys ------------------------------------------------------------------------------------------------------------

def test_run_key_names_the_pr_else_the_branch_else_the_commit() -> None:
    assert run_key(12, "feature", "a" * 40) == "pr-12"
    assert run_key(None, "main", "a" * 40) == "branch-main"
    assert run_key(None, "refs/heads/release-1.2", "a" * 40) == "branch-release-1.2"
    assert run_key(None, None, "0123456789abcdef" * 2 + "01234567") == "commit-0123456789ab"
    assert run_key(None, "", "ABCDEF0123456789" * 2 + "01234567") == "commit-abcdef012345"
    with pytest.raises(AssetRefused):
        run_key(0, None, "a" * 40)


@pytest.mark.parametrize("branch", ["feature/x", "feature-x", "../../etc/passwd", "ünï/cödé", "-x", "a" * 300, "..",
                                    "x\x00y"])
def test_a_branch_key_is_safe_and_two_names_made_alike_stay_apart(branch: str) -> None:
    key = run_key(None, branch, "a" * 40)
    assert re.fullmatch(r"branch-[A-Za-z0-9][A-Za-z0-9._-]*", key) and len(key) <= 100
    assert run_key(None, "feature/x", "a" * 40) != run_key(None, "feature-x", "a" * 40)


def test_safe_name_keeps_a_safe_name_and_marks_a_changed_one() -> None:
    assert safe_name("run-123-1") == "run-123-1"
    changed = safe_name("run 123/1")
    assert changed.startswith("run-123-1-") and len(changed) == len("run-123-1-") + 8
    assert re.fullmatch(r"[0-9a-f]{8}", safe_name("../"))
