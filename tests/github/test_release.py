"""mlci release against the contract-checked fake GitHub: the tag and its release, never one without
the other, the merged PR's bump, and two runs racing for one version number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlci.commands import release as command
from mlci.errors import MlciError
from tests.cli import run_main
from tests.integration.test_release import released_template
from tests.repo_helpers import commit, dvc, sh, working_copy, write

REPO = "acme/churn"
TOKEN = "ghs_release_token_0123456789"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_template(tmp_path_factory.mktemp("release-gh") / "repo")


@pytest.fixture
def repo(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    path = working_copy(template, tmp_path, monkeypatch)
    assert run_main(["report"], capsys)[0] == 0
    return path


@pytest.fixture
def fake(fake_github: Any, repo: Path) -> Any:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_branch(REPO, "main", head(repo))
    return fake_github


def head(repo: Path) -> str:
    return sh(repo, "git", "rev-parse", "HEAD").stdout.strip()


def release(repo: Path, fake: Any, tmp_path: Path, **fields: Any) -> tuple[int, list[str]]:
    lines: list[str] = []
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN,
           "GITHUB_OUTPUT": str(tmp_path / "output")}
    code = command.run(command.Settings(cwd=repo, bundle=repo / "mlci-report", actions_env=env,
                                        echo=lambda text, nl=True: lines.append(text), **fields))
    return code, lines


def outputs(tmp_path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's heredocs (``name<<delimiter``, the value, the delimiter), as the runner reads them."""
    lines, found = (tmp_path / "output").read_text().splitlines(), {}
    while lines:
        name, delimiter = lines.pop(0).split("<<", 1)
        end = lines.index(delimiter)
        found[name], lines = "\n".join(lines[:end]), lines[end + 1:]
    return found


def test_the_tag_and_its_release_with_the_model_card(repo: Path, fake: Any, tmp_path: Path) -> None:
    code, lines = release(repo, fake, tmp_path)
    assert code == 0, lines
    tag = fake.tags(REPO)["model@v0.1.0"]
    local = sh(repo, "git", "rev-parse", "refs/tags/model@v0.1.0").stdout.strip()
    assert tag["sha"] == local, "GitHub holds the very tag object GTO wrote"
    assert tag["object"]["object"]["sha"] == head(repo)
    [made] = fake.releases(REPO)
    assert made["tag_name"] == "model@v0.1.0" and made["name"] == "model v0.1.0" and not made["draft"]
    assert made["body"].startswith("## model v0.1.0\n") and "### What it was built from" in made["body"]
    assert f"dvc artifacts get https://github.com/{REPO} model@v0.1.0" in made["body"]
    assert lines[-1].endswith(f"; release {made['html_url']}")
    out = outputs(tmp_path)
    assert {k: out[k] for k in ("event", "name", "version", "stage", "type", "path")} == {
        "event": "registration", "name": "model", "version": "v0.1.0", "stage": "", "type": "model",
        "path": "model.bin"}
    assert TOKEN not in "\n".join(lines)


def test_the_merged_prs_labels_choose_the_bump(repo: Path, fake: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert release(repo, fake, tmp_path)[0] == 0
    write(repo, "params.yaml", {"train": {"C": 0.9, "tags": ["x", "y"]}})
    dvc(repo, "repro", "-q")
    merged = commit(repo, "stronger model (#7)")
    fake.add_pull(REPO, 7, "f" * 40, head(repo), title="Stronger regularisation")
    fake.merge_pull(REPO, 7, merged, labels=["release:major"], body="What it changes.")
    assert run_main(["report"], capsys)[0] == 0
    code, lines = release(repo, fake, tmp_path)
    assert code == 0, lines
    assert "model@v1.0.0" in fake.tags(REPO) and "major bump: label release:major" in lines[-1]
    body = {r["tag_name"]: r["body"] for r in fake.releases(REPO)}["model@v1.0.0"]
    assert 'from #7 "Stronger regularisation"' in body and "### Quality, against v0.1.0" in body


def test_a_release_github_refuses_leaves_no_tag_anywhere(repo: Path, fake: Any, tmp_path: Path) -> None:
    fake.inject("POST", r"/releases$", status=422, body={"message": "Validation Failed", "errors": [
        {"resource": "Release", "code": "custom", "message": "body is too long"}]}, times=1)
    with pytest.raises(MlciError, match="GitHub answered 422"):
        release(repo, fake, tmp_path)
    assert fake.tags(REPO) == {} and fake.releases(REPO) == []
    assert sh(repo, "git", "tag", "--list").stdout == ""  # the local tag is gone too: a re-run starts clean
    code, _ = release(repo, fake, tmp_path)  # and that re-run makes both
    assert code == 0 and list(fake.tags(REPO)) == ["model@v0.1.0"] and len(fake.releases(REPO)) == 1


def test_a_version_another_run_took_moves_to_the_next_free_one(repo: Path, fake: Any, tmp_path: Path) -> None:
    other = "e" * 40
    fake.add_tag(REPO, "model@v0.1.0", other, message="Registering artifact model version v0.1.0")
    code, lines = release(repo, fake, tmp_path)
    assert code == 0, lines
    assert set(fake.tags(REPO)) == {"model@v0.1.0", "model@v0.1.1"}
    assert fake.tags(REPO)["model@v0.1.1"]["object"]["object"]["sha"] == head(repo)
    assert "v0.1.0 was taken on GitHub meanwhile; v0.1.1 is the next free one" in lines[-1]
    assert sh(repo, "git", "tag", "--list").stdout.split() == ["model@v0.1.1"]


def test_a_tag_pushed_before_a_crash_gets_its_release(repo: Path, fake: Any, tmp_path: Path) -> None:
    """An earlier run pushed the tag and died before the release: the next run makes the release for it."""
    fake.add_tag(REPO, "model@v0.1.0", head(repo), message="Registering artifact model version v0.1.0")
    code, lines = release(repo, fake, tmp_path)
    assert code == 0, lines
    assert [r["tag_name"] for r in fake.releases(REPO)] == ["model@v0.1.0"]


def test_dry_run_touches_nothing_on_github(repo: Path, fake: Any, tmp_path: Path) -> None:
    fake.reset_requests()
    code, lines = release(repo, fake, tmp_path, dry_run=True)
    assert code == 0 and lines[0].startswith("mlci: would create tag model@v0.1.0")
    assert fake.requests == [] and fake.tags(REPO) == {}


def test_a_promotion_goes_to_github_as_gtos_stage_tag(repo: Path, fake: Any, tmp_path: Path) -> None:
    from mlci.commands import promote

    assert release(repo, fake, tmp_path)[0] == 0
    lines: list[str] = []
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN,
           "GITHUB_OUTPUT": str(tmp_path / "promote-output")}
    code = promote.run(promote.Settings(name="model", version="v0.1.0", stage="staging", cwd=repo, actions_env=env,
                                        echo=lambda text, nl=True: lines.append(text)))
    assert code == 0, lines
    tag = fake.tags(REPO)["model#staging#1"]
    assert tag["object"]["object"]["sha"] == head(repo)
    assert tag["sha"] == sh(repo, "git", "rev-parse", "refs/tags/model#staging#1").stdout.strip()
    (tmp_path / "output").write_text((tmp_path / "promote-output").read_text())
    assert {k: outputs(tmp_path)[k] for k in ("event", "name", "version", "stage")} == {
        "event": "assignment", "name": "model", "version": "v0.1.0", "stage": "staging"}


def test_a_promotion_starts_the_deployment_the_tag_cannot(repo: Path, fake: Any, tmp_path: Path) -> None:
    """Tags pushed with the job's own token start no workflow: --dispatch starts the deploy workflow by name."""
    from mlci.commands import promote

    assert release(repo, fake, tmp_path)[0] == 0
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN}
    lines: list[str] = []
    code = promote.run(promote.Settings(name="model", version="v0.1.0", stage="prod", cwd=repo, actions_env=env,
                                        dispatch="mlci-deploy.yml", echo=lambda text, nl=True: lines.append(text)))
    assert code == 0, lines
    assert fake.dispatches(REPO) == [{"repo": REPO, "workflow": "mlci-deploy.yml", "ref": "main",
                                      "inputs": {"name": "model", "version": "v0.1.0", "stage": "prod"}}]
    assert lines[-1] == "mlci: started mlci-deploy.yml for model v0.1.0 in prod"


def test_a_promotion_github_refuses_leaves_no_stage_tag(repo: Path, fake: Any, tmp_path: Path) -> None:
    from mlci.commands import promote

    assert release(repo, fake, tmp_path)[0] == 0
    fake.inject("POST", r"/git/refs$", status=403, body={"message": "Resource not accessible by integration"})
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN}
    with pytest.raises(MlciError, match="GitHub answered 403"):
        promote.run(promote.Settings(name="model", version="v0.1.0", stage="staging", cwd=repo, actions_env=env,
                                     echo=lambda text, nl=True: None))
    assert "model#staging#1" not in fake.tags(REPO)
    assert sh(repo, "git", "tag", "--list", "model#*").stdout == ""
