"""mlci release on real git + DVC repositories: GTO's tags, read back by `gto show` and DVC's artifact lookup."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.cli import run_main
from tests.repo_helpers import DVC_YAML, commit, dvc, init_repo, pinned_git_env, sh, working_copy, write

WITH_ARTIFACT = {**DVC_YAML, "artifacts": {"model": {"path": "model.bin", "type": "model", "desc": "The model"}}}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_template(tmp_path_factory.mktemp("release") / "repo")


def released_template(path: Path) -> Path:
    """A repository whose dvc.yaml declares its model as an artifact, the pipeline run and committed."""
    with pinned_git_env():
        init_repo(path)
        write(path, "dvc.yaml", WITH_ARTIFACT)
        dvc(path, "repro", "-q")
        commit(path, "the first model")
    return path


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return working_copy(template, tmp_path, monkeypatch)


def release(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`mlci report`, then `mlci release ARGS` on its bundle, as the release workflow runs them
    (the report's own outcome when it fails: a policy mistake stops it first)."""
    reported = run_main(["report"], capsys)
    return reported if reported[0] != 0 else run_main(["release", *args], capsys)


def tags(repo: Path) -> list[str]:
    return sh(repo, "git", "tag", "--list").stdout.split()


def gto_show(repo: Path) -> dict:  # type: ignore[type-arg]
    gto = Path(sys.executable).parent / "gto"  # GTO's own command, from the same environment
    proc = subprocess.run([str(gto), "show", "--json"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def retrain(repo: Path, c: float, message: str) -> str:
    write(repo, "params.yaml", {"train": {"C": c, "tags": ["x", "y"]}})
    dvc(repo, "repro", "-q")
    return commit(repo, message)


def test_the_first_release_is_a_tag_gto_and_dvc_read(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import dvc.api

    head = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    code, out, err = release(capsys)
    assert code == 0, err
    assert out.startswith(f"mlci: created tag model@v0.1.0 at {head[:7]} (its first version)\n## model v0.1.0\n")
    assert tags(repo) == ["model@v0.1.0"]
    assert "Registering artifact model version v0.1.0" in sh(repo, "git", "cat-file", "-p", "model@v0.1.0").stdout
    assert gto_show(repo)["model"]["version"] == "v0.1.0"
    assert dvc.api.artifacts_show("model", repo=str(repo)) == {"rev": head, "path": "model.bin"}


def test_running_again_on_the_same_commit_creates_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(capsys)[0] == 0
    code, out, _ = release(capsys)
    assert code == 0 and out == "mlci: model: no new version: this commit is already v0.1.0 (model@v0.1.0)\n"
    assert tags(repo) == ["model@v0.1.0"]


def test_a_new_model_gets_the_bump_its_pr_asks_for(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import dvc.api

    assert release(capsys)[0] == 0
    second = retrain(repo, 0.9, "stronger model")
    code, out, err = release(capsys, "--pr", "7", "--pr-title", "feat: a stronger model")
    assert code == 0, err
    assert "created tag model@v0.2.0" in out and "minor bump: a conventional title of type feat" in out
    assert '#7 "feat: a stronger model"' in out
    assert "### Quality, against v0.1.0" in out and "| accuracy | 0.7000 | 0.8600 |" in out
    third = retrain(repo, 0.2, "a patch")
    assert release(capsys, "--label", "release:major")[0] == 0
    assert sorted(tags(repo)) == ["model@v0.1.0", "model@v0.2.0", "model@v1.0.0"]
    assert dvc.api.artifacts_show("model", version="v0.2.0", repo=str(repo))["rev"] == second
    assert dvc.api.artifacts_show("model", repo=str(repo))["rev"] == third


def test_a_commit_that_leaves_the_model_alone_gets_no_version(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(capsys)[0] == 0
    write(repo, "README.md", "docs\n")
    commit(repo, "docs only")
    code, out, _ = release(capsys)
    assert code == 0 and "no new version: unchanged since v0.1.0" in out
    assert tags(repo) == ["model@v0.1.0"]


def test_an_untracked_file_is_not_the_commits_and_does_not_stop_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "pip-log.txt", "an installer's leftovers\n")
    assert release(capsys)[0] == 0 and tags(repo) == ["model@v0.1.0"]


def test_dry_run_prints_the_tag_and_card_and_creates_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = release(capsys, "--dry-run")
    assert code == 0 and out.startswith("mlci: would create tag model@v0.1.0")
    assert "## model v0.1.0" in out and "### What it was built from" in out
    assert tags(repo) == []


def test_failed_gates_release_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "mlci.yaml", "version: 1\nmetrics:\n  accuracy: {min: 0.95}\n")
    commit(repo, "a strict policy")
    code, out, _ = release(capsys)
    assert code == 1 and "no release: the gates failed" in out and "accuracy" in out
    assert tags(repo) == []


@pytest.mark.parametrize(("change", "needle"), [
    (lambda repo: write(repo, "train.py", "# edited\n"), "the work tree has changes not in"),
    (lambda repo: (write(repo, "mlci.yaml", "version: 1\nrelease:\n  artifacts: [modle]\n"), commit(repo, "p")),
     "mlci.yaml:2: release.artifacts: 'modle' is not an artifact of dvc.yaml (it declares model)"),
    (lambda repo: (write(repo, "mlci.yaml", "version: 1\nrelease:\n  first_version: 1.0\n"), commit(repo, "p")),
     ":3: release.first_version: expected a string, got 1.0"),
    (lambda repo: (write(repo, "dvc.yaml", {**DVC_YAML, "artifacts": {"-bad": {"path": "model.bin"}}}),
                   commit(repo, "p")), "dvc.yaml: artifacts.-bad: not a name GTO allows"),
])
def test_bad_input_is_one_line_and_exit_2(repo: Path, capsys: pytest.CaptureFixture[str], change, needle: str) -> None:  # type: ignore[no-untyped-def]
    change(repo)
    code, _, err = release(capsys)
    assert code == 2 and err.startswith("mlci: error: ") and len(err.strip().splitlines()) == 1, err
    assert needle in err, err
    assert tags(repo) == []


def test_a_bundle_of_another_commit_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["report"], capsys)[0] == 0
    commit(repo, "later")
    code, _, err = run_main(["release"], capsys)
    assert code == 2 and "its report is of" in err and "run `mlci report` on this commit first" in err


# --- release.assets: the artifacts' files on their GitHub releases (the fake GitHub) ---------------------------------

REPO = "acme/churn"
TOKEN = "ghs_release_assets_token_0123456789"
PACK_PY = """import os
os.makedirs("bundle/sub", exist_ok=True)
open("bundle/weights.bin", "wb").write(bytes(range(256)) * 8 + open("model.bin", "rb").read())
open("bundle/config.json", "w").write('{"layers": 2}\\n')
open("bundle/sub/vocab.txt", "w").write("a\\nb\\n")
"""
WITH_TWO = {"stages": {**DVC_YAML["stages"], "pack": {"cmd": "python pack.py", "deps": ["pack.py", "model.bin"],
                                                      "outs": ["bundle"]}},
            "artifacts": {"model": {"path": "model.bin", "type": "model"},
                          "bundle": {"path": "bundle", "type": "model", "desc": "The model as served"}}}
BUNDLE_FILES = {"bundle/config.json": b'{"layers": 2}\n', "bundle/sub/vocab.txt": b"a\nb\n"}


@pytest.fixture(scope="module")
def assets_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file artifact (model.bin) and a directory artifact (bundle/), with release.assets on."""
    path = tmp_path_factory.mktemp("release-assets") / "repo"
    with pinned_git_env():
        init_repo(path)
        write(path, "pack.py", PACK_PY)
        write(path, "dvc.yaml", WITH_TWO)
        write(path, ".gitignore", "/model.bin\n/bundle/\n/mlci-report/\n")
        write(path, "mlci.yaml", "version: 1\nrelease:\n  assets: true\n")
        dvc(path, "repro", "-q")
        commit(path, "a model and its bundle, released with their files")
    return path


@pytest.fixture
def assets_repo(assets_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return working_copy(assets_template, tmp_path, monkeypatch)


@pytest.fixture
def github(fake_github: Any, assets_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake GitHub with the repository, and the job's variables `mlci release` reads to reach it."""
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_branch(REPO, "main", sh(assets_repo, "git", "rev-parse", "HEAD").stdout.strip())
    for key, value in {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake_github.url, "GITHUB_TOKEN": TOKEN,
                       "GITHUB_OUTPUT": str(tmp_path / "output")}.items():
        monkeypatch.setenv(key, value)
    return fake_github


def untar(data: bytes) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]  # type: ignore[union-attr]


def test_each_release_gets_its_files_a_directory_as_one_tarball(assets_repo: Path, github: Any,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from mlci.release.records import Artifact
    from mlci.release.ship import attachments

    code, out, err = release(capsys)
    assert code == 0, err
    assert "mlci: model@v0.1.0: attached model.bin to its release\n" in out
    assert "mlci: bundle@v0.1.0: attached bundle-v0.1.0.tar.gz to its release\n" in out
    [model] = github.assets(REPO, "model@v0.1.0")
    assert (model["name"], model["content_type"], model["state"]) == ("model.bin", "application/octet-stream",
                                                                      "uploaded")
    assert model["content"] == (assets_repo / "model.bin").read_bytes() and model["size"] == len(model["content"])
    [bundle] = github.assets(REPO, "bundle@v0.1.0")
    assert (bundle["name"], bundle["content_type"]) == ("bundle-v0.1.0.tar.gz", "application/gzip")
    assert bundle["content"][4:8] == b"\0\0\0\0"  # no date in the gzip header
    members = untar(bundle["content"])
    assert [m.name for m, _ in members] == ["bundle", "bundle/config.json", "bundle/sub", "bundle/sub/vocab.txt",
                                            "bundle/weights.bin"]
    assert all((m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "") for m, _ in members)
    files = {m.name: data for m, data in members if data is not None}
    assert files == {**BUNDLE_FILES, "bundle/weights.bin": (assets_repo / "bundle" / "weights.bin").read_bytes()}
    # The same files make the same bytes: a re-run offers the very asset it uploaded.
    with attachments(assets_repo, [Artifact("bundle", "bundle")]) as again:
        assert again["bundle"].file.read_bytes() == bundle["content"]
    assert sorted(tags(assets_repo)) == ["bundle@v0.1.0", "model@v0.1.0"]
    assert sorted(github.tags(REPO)) == ["bundle@v0.1.0", "model@v0.1.0"]


def test_a_missing_file_stops_the_release_before_anything_is_made(assets_repo: Path, github: Any,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["report"], capsys)[0] == 0
    (assets_repo / "model.bin").unlink()  # the pipeline's output, not git's: the commit is still clean
    github.reset_requests()
    code, _, err = run_main(["release"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("mlci: error: release.assets: model.bin (artifact model) is not in the work tree: run the "
                          "pipeline or `dvc pull` first; nothing was tagged"), err
    assert tags(assets_repo) == [] and github.tags(REPO) == {} and github.releases(REPO) == []
    assert [r for r in github.requests if r.method != "GET"] == []  # bundle's release was not made either


def test_an_asset_over_githubs_limit_is_refused_up_front(assets_repo: Path, github: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["report"], capsys)[0] == 0
    with (assets_repo / "model.bin").open("wb") as big:
        big.truncate(2 * 1024 ** 3)  # sparse: 2 GiB that take no room
    code, _, err = run_main(["release"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "release.assets: model.bin is 2 GiB; GitHub takes release assets under 2 GiB" in err
    assert tags(assets_repo) == [] and github.tags(REPO) == {} and github.releases(REPO) == []


def test_an_upload_github_refuses_takes_back_the_release_and_its_tag(assets_repo: Path, github: Any,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    github.inject("POST", r"/releases/\d+/assets$", status=422, body={"message": "Validation Failed", "errors": [
        {"resource": "ReleaseAsset", "code": "custom", "field": "size", "message": "too big"}]})
    code, out, err = release(capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "GitHub answered 422: Validation Failed (uploading bundle-v0.1.0.tar.gz to the release of bundle@v0.1.0)" \
        in err
    assert github.tags(REPO) == {} and github.releases(REPO) == []  # neither the release nor its tag is left
    assert tags(assets_repo) == []  # nor the local tag: a re-run starts clean
    code, out, err = run_main(["release"], capsys)  # and that re-run makes all of it
    assert code == 0, err
    assert [a["name"] for a in github.assets(REPO, "bundle@v0.1.0")] == ["bundle-v0.1.0.tar.gz"]
    assert [a["name"] for a in github.assets(REPO, "model@v0.1.0")] == ["model.bin"]


def test_running_again_uploads_only_what_a_release_lacks(assets_repo: Path, github: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import requests

    assert release(capsys)[0] == 0
    github.reset_requests()
    code, out, _ = run_main(["release"], capsys)  # the same commit: nothing new, nothing uploaded twice
    assert code == 0 and "attached" not in out and "no new version: this commit is already v0.1.0" in out
    assert not any(r.method == "POST" for r in github.requests)
    assert [len(github.assets(REPO, t)) for t in ("bundle@v0.1.0", "model@v0.1.0")] == [1, 1]

    # A run that died mid-upload: the model's release holds only an unfinished, empty asset.
    [asset] = github.assets(REPO, "model@v0.1.0")
    gone = requests.delete(asset["url"], headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert gone.status_code == 204
    github.add_asset(REPO, "model@v0.1.0", "model.bin", b"", state="open")
    code, out, err = run_main(["release"], capsys)
    assert code == 0, err
    assert "mlci: model@v0.1.0: attached model.bin to its release, which lacked it\n" in out
    [model] = github.assets(REPO, "model@v0.1.0")
    assert model["state"] == "uploaded" and model["content"] == (assets_repo / "model.bin").read_bytes()
    assert len(github.assets(REPO, "bundle@v0.1.0")) == 1

    # A clone without the tags: the versions are made again locally, and the releases found have their files.
    sh(assets_repo, "git", "tag", "-d", "model@v0.1.0", "bundle@v0.1.0")
    github.reset_requests()
    code, out, err = run_main(["release"], capsys)
    assert code == 0, err
    assert "attached" not in out and not any(r.method == "POST" and "/assets" in r.path for r in github.requests)
    assert [len(github.assets(REPO, t)) for t in ("bundle@v0.1.0", "model@v0.1.0")] == [1, 1]
    assert len(github.releases(REPO)) == 2


def test_a_version_that_moves_names_its_tarball_after_the_version_it_gets(assets_repo: Path, github: Any,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    github.add_tag(REPO, "bundle@v0.1.0", "e" * 40, message="Registering artifact bundle version v0.1.0")
    code, out, err = release(capsys)
    assert code == 0, err
    assert "v0.1.0 was taken on GitHub meanwhile; v0.1.1 is the next free one" in out
    assert [a["name"] for a in github.assets(REPO, "bundle@v0.1.1")] == ["bundle-v0.1.1.tar.gz"]


def test_dry_run_names_the_assets_and_their_sizes(assets_repo: Path, github: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    size = (assets_repo / "model.bin").stat().st_size
    github.reset_requests()
    code, out, err = release(capsys, "--dry-run")
    assert code == 0, err
    assert f"mlci: would attach model.bin ({size} B) to its release\n" in out
    assert re.search(r"mlci: would attach bundle-v0\.1\.0\.tar\.gz \([\d.,]+ (B|KiB), a tarball of bundle/\) to its "
                     r"release\n", out), out
    assert tags(assets_repo) == [] and github.requests == []


def test_without_github_the_tags_stay_local_and_say_no_assets_went(assets_repo: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = release(capsys)
    assert code == 0, err
    assert "mlci: model@v0.1.0: no GitHub release to attach model.bin to (no token or repository: the tag is local)" \
        in out
    assert sorted(tags(assets_repo)) == ["bundle@v0.1.0", "model@v0.1.0"]
