"""The real action.yml files and workflow templates, run by nektos/act on a real git + DVC repository.

The repository is `mlci demo`'s project (built by the demo's own code: ``main`` with the
diabetes-risk pipeline, its outputs pushed to a local DVC remote, and two PR branches, one that
improves the model and one that makes it worse). Each workflow sits in its ``.github/workflows``
and uses mlci as users do (``uses: mlci-actions/mlci@v1``); act resolves that reference to this
checkout (``--local-repository``), runs every step on this machine (host mode) and points
GITHUB_API_URL at the fake GitHub, which checks every request against GitHub's OpenAPI
description. The events are GitHub's own example payloads with the test repository's PR
number, branches and SHAs.

Nothing is faked but GitHub: git, DVC, the pipeline, pip installing mlci from the action's
checkout into a venv, and the mlci commands are real. Third-party actions that would need the
network (setup-python, upload-artifact, download-artifact) are replaced by the stand-ins in
tests/e2e/standins/ (README.md there says what each does and why); actions/checkout is done
by act itself, which copies the prepared checkout into the workspace. act never reaches GitHub:
every remote action is mapped to a local folder and ``--action-offline-mode`` is on.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlci import ACTION_MAJOR, ACTION_REPOSITORY
from mlci.demo.scenarios import BASE_BRANCH, IMPROVE, WORSEN, Scenario
from tests.conftest import GIT_ENV, offline_index
from tests.e2e.act_support import events
from tests.e2e.act_support.act import Act, ActResult, act_binary
from tests.e2e.act_support.project import (
    ROOT,
    Checkout,
    Demo,
    Push,
    build_demo,
    default_branch_checkout,
    export_action_source,
    git,
    merged_checkout,
    pr_checkout,
)
from tests.github.fake_github import FakeGitHub

pytestmark = pytest.mark.slow

REPO = "acme/diabetes-risk"
TOKEN = "ghs_e2eWriteToken4f1c2a9b3d7e0c8a6f5b"  # distinctive: act masks it, and no log may show it
FORK_TOKEN = "ghs_e2eForkReadOnly9d2e4b7c1a3f6e8d0c"  # what a fork's PR gets: read-only
FORK_OWNER = "contributor"
TEMPLATES = ROOT / "workflows-templates"

# The README's "Use it in your repository" workflow, as a user writes it, plus an id on the mlci
# step and a last step that hands the action's outputs (and the bundle) to the test.
USER_WORKFLOW = f"""\
name: ml
on: pull_request
permissions: {{contents: read, pull-requests: write, checks: write, statuses: write}}
jobs:
  mlci:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
        with: {{fetch-depth: 0}}
      # The README's `pip install -r requirements.txt` is left out: the demo project has no
      # requirements.txt, and its dependencies are already in the runner's Python.
      - uses: {ACTION_REPOSITORY}@{ACTION_MAJOR}
        id: mlci
      - name: Hand the outputs to the test
        if: always()
        env:
          VERDICT: ${{{{ steps.mlci.outputs.verdict }}}}
          COMMENT_URL: ${{{{ steps.mlci.outputs.comment-url }}}}
          CHECK_URL: ${{{{ steps.mlci.outputs.check-url }}}}
          REPORT_DIR: ${{{{ steps.mlci.outputs.report-dir }}}}
          OUTCOME: ${{{{ steps.mlci.outcome }}}}
        run: |
          MLCI_BIN=$(command -v mlci)
          MLCI_PYTHON=$(head -n 1 "$MLCI_BIN" | cut -c 3-)
          MLCI_MODULE=$("$MLCI_PYTHON" -c 'import mlci; print(mlci.__file__)')
          MLCI_PREFIX=$("$MLCI_PYTHON" -c 'import sys; print(sys.prefix)')
          RUNNER_PYTHON=$(command -v python3)
          export MLCI_BIN MLCI_MODULE MLCI_PREFIX RUNNER_PYTHON
          mkdir -p "$MLCI_E2E_OUTPUTS"
          cp -R "$REPORT_DIR" "$MLCI_E2E_OUTPUTS/bundle"
          python3 -c 'import json, os; keys = "VERDICT COMMENT_URL CHECK_URL REPORT_DIR OUTCOME MLCI_BIN MLCI_MODULE MLCI_PREFIX RUNNER_PYTHON GITHUB_SHA RUNNER_TEMP GITHUB_WORKSPACE".split(); json.dump({{k: os.environ.get(k, "") for k in keys}}, open(os.path.join(os.environ["MLCI_E2E_OUTPUTS"], "outputs.json"), "w"))'
"""

# The one line of the templates the tests replace: it would pip-install the project's
# requirements.txt into the runner's Python, which here is the test's own interpreter.
# (test_init_act.py runs what `mlci init` writes instead, with a runner Python of its own.)
REQUIREMENTS_STEP = "        run: python -m pip install -r requirements.txt\n"
REQUIREMENTS_CHECK = (
    "        # e2e test: replaces `python -m pip install -r requirements.txt` (the demo project has none, and\n"
    "        # the runner's Python is the test's, which must not change); its dependencies are already there.\n"
    "        run: python -c 'import sklearn, pandas, yaml'\n"
)


# A push after IMPROVE whose training stage crashes (the demo fixture makes its branch).
BROKEN = Scenario(branch="broken-training", title="Refactor the training script", body="", overrides={},
                  expect="worse")


def template(name: str) -> str:
    """A workflow template as shipped, with only the requirements step replaced."""
    text = (TEMPLATES / name).read_text()
    assert text.count(REQUIREMENTS_STEP) == 1, f"{name}: the requirements step the test replaces has changed"
    return text.replace(REQUIREMENTS_STEP, REQUIREMENTS_CHECK)


def workflows() -> dict[str, str]:
    """What the example repository keeps in .github/workflows."""
    return {
        "ml.yml": USER_WORKFLOW,
        "mlci-pull-request.yml": template("mlci-pull-request.yml"),
        "mlci-pull-request-fork-safe.yml": template("mlci-pull-request-fork-safe.yml"),
        "mlci-publish.yml": (TEMPLATES / "mlci-publish.yml").read_text(),  # as shipped
        "mlci-release.yml": template("mlci-release.yml"),
        "mlci-promote.yml": template("mlci-promote.yml"),
        "mlci-deploy.yml": template("mlci-deploy.yml"),
    }


# --- Fixtures ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo repository with the workflows committed on main (PR branches rebased onto it), built once."""
    root = tmp_path_factory.mktemp("demo")
    home = tmp_path_factory.mktemp("demo-home")
    with pytest.MonkeyPatch.context() as mp:  # the pinned identity of tests/conftest.py, for a module fixture
        for key, value in GIT_ENV.items():
            mp.setenv(key, value)
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("DVC_GLOBAL_CONFIG_DIR", str(home / ".dvc-global"))
        mp.setenv("DVC_SITE_CACHE_DIR", str(home / ".dvc-site"))
        built = build_demo(root)
        folder = built.project / ".github" / "workflows"
        folder.mkdir(parents=True)
        for name, text in workflows().items():
            (folder / name).write_text(text)
        git(built.project, "add", ".github")
        git(built.project, "commit", "-q", "-m", "Add the mlci workflows")
        for scenario in (IMPROVE, WORSEN):
            git(built.project, "rebase", "-q", BASE_BRANCH, scenario.branch)
        # BROKEN: the better model's branch, then a push whose training script crashes.
        git(built.project, "checkout", "-q", "-b", BROKEN.branch, IMPROVE.branch)
        train = built.project / "src" / "train.py"
        train.write_text(train.read_text() + "\nraise SystemExit('the training data lost a column')\n")
        git(built.project, "commit", "-q", "-am", BROKEN.title)
        git(built.project, "checkout", "-q", BASE_BRANCH)
        yield built


@pytest.fixture(scope="module")
def action_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as GitHub would check out mlci-actions/mlci@v1 (no .git, .venv or build/)."""
    return export_action_source(tmp_path_factory.mktemp("mlci-actions-mlci"))


@pytest.fixture(scope="module")
def act_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """act's HOME and caches (and pip's), shared by the module's runs."""
    return tmp_path_factory.mktemp("act-home")


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_token(FORK_TOKEN, read_only=True)
    return fake_github


@pytest.fixture
def act(github: FakeGitHub, act_home: Path, action_source: Path, tmp_path: Path, wheelhouse: Path) -> Act:
    return Act(home=act_home, work=tmp_path / "act", action_source=action_source, api_url=github.url, repository=REPO,
               package_index=offline_index(wheelhouse))


# --- Helpers -------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PullRequest:
    number: int
    scenario: Scenario
    checkout: Checkout
    event: dict[str, Any]


def open_pull_request(github: FakeGitHub, demo: Demo, tmp_path: Path, scenario: Scenario, number: int,
                      fork: bool = False, earlier: PullRequest | None = None) -> PullRequest:
    """The PR on the fake GitHub, its checkout as a pull_request run has it, and GitHub's event for it.

    ``earlier``: the same PR before a (force-)push that made its head ``scenario``'s commit: a
    ``synchronize`` event, and the fake's PR moves on (same number, same comments).
    """
    checkout = pr_checkout(demo, scenario, tmp_path / f"pr-{number}-{scenario.branch}", REPO)
    branch = earlier.checkout.branch if earlier else scenario.branch
    github.add_pull(REPO, number, checkout.head_sha, checkout.base_sha, fork=fork, head_ref=branch,
                    author=FORK_OWNER if fork else None, title=scenario.title)
    event = events.pull_request(repository=REPO, number=number, branch=branch, head_sha=checkout.head_sha,
                                base_sha=checkout.base_sha, base_branch=BASE_BRANCH, title=scenario.title,
                                body=scenario.body, fork_owner=FORK_OWNER if fork else None,
                                before=earlier.checkout.head_sha if earlier else None)
    return PullRequest(number, scenario, checkout, event)


def headline(verdict: str) -> str:
    return f"### {'✅' if verdict == 'pass' else '❌'} mlci · diabetes-risk"


def assert_clean_log(result: ActResult) -> None:
    """No token in act's log (act masks secrets, mlci never prints them), no attempt to fetch an action
    from GitHub, and mlci's install step restored its venv from the cache exactly when an earlier run saved it."""
    assert TOKEN not in result.log and FORK_TOKEN not in result.log, "a token appeared in act's log"
    assert "GoGitActionCache" not in result.log, f"act tried to fetch an action from GitHub:\n{result}"
    for key in install_keys(result):
        if key in result.cached_before:
            assert f"Cache restored from key: {key}" in result.log and "from the cache" in result.log, result
            assert "installed mlci's dependencies" not in result.log, result
        else:
            assert "installed mlci's dependencies with uv in" in result.log, result
            assert f"Cache saved with key: {key}" in result.log, result


def install_keys(result: ActResult) -> list[str]:
    """The cache keys of mlci's install steps in the run (one per job that installed mlci)."""
    return re.findall(r"mlci setup: mlci \S+ with extras .*; cache key (mlci-\S+)", result.log)


# --- Tests ----------------------------------------------------------------------------------------------------------------

def test_act_is_installed() -> None:
    proc = subprocess.run([act_binary(), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("act version 0.2."), proc.stdout + proc.stderr


@pytest.mark.parametrize("scenario", [IMPROVE, WORSEN], ids=["passing-pr", "failing-pr"])
def test_the_action_on_a_pull_request(scenario: Scenario, github: FakeGitHub, act: Act, demo: Demo,
                                      tmp_path: Path) -> None:
    """`uses: mlci-actions/mlci@v1` as the README shows it: one comment, one check on the PR head, the outputs,
    and the job fails exactly when a gate failed."""
    verdict = "pass" if scenario.expect == "better" else "fail"
    pr = open_pull_request(github, demo, tmp_path, scenario, number=7 if verdict == "pass" else 8)
    outputs = tmp_path / "outputs"
    result = act.run("pull_request", pr.event, pr.checkout.path, pr.checkout.path / ".github/workflows/ml.yml",
                     token=TOKEN, run_id=5001, env={"MLCI_E2E_OUTPUTS": str(outputs)})

    # fail-on-gate: the job fails with the gate, and only then.
    assert result.returncode == (0 if verdict == "pass" else 1), result
    assert "Job succeeded" in result.log if verdict == "pass" else "Job failed" in result.log, result
    assert_clean_log(result)

    [comment] = github.comments(REPO, pr.number)
    assert comment["body"].startswith('<!-- mlci:report workflow="ml" project="diabetes-risk" -->\n' + headline(verdict))
    [check] = github.check_runs(REPO, pr.checkout.head_sha)
    assert check["name"] == "mlci" and check["status"] == "completed"
    assert check["conclusion"] == ("success" if verdict == "pass" else "failure")
    assert check["head_sha"] == pr.checkout.head_sha
    assert github.check_runs(REPO, pr.checkout.merge_sha) == []  # the PR's head, not the merge commit act ran on

    out = json.loads((outputs / "outputs.json").read_text())
    assert out["VERDICT"] == verdict
    assert out["COMMENT_URL"] == comment["html_url"] == f"https://github.com/{REPO}/pull/{pr.number}#issuecomment-{comment['id']}"
    assert out["CHECK_URL"] == check["html_url"]
    assert out["OUTCOME"] == ("success" if verdict == "pass" else "failure")
    assert out["GITHUB_SHA"] == pr.checkout.merge_sha
    # The mlci that ran is the one the install step put in a venv under RUNNER_TEMP, its code the
    # action's checkout (linked, no wheel built), its dependencies those the policy needs.
    assert out["MLCI_BIN"] == f"{out['RUNNER_TEMP']}/mlci-venv/path/mlci"
    assert out["MLCI_PREFIX"] == f"{out['RUNNER_TEMP']}/mlci-venv"
    assert out["MLCI_MODULE"].endswith("/src/mlci/__init__.py") and not out["MLCI_MODULE"].startswith(str(ROOT)), out
    [key] = install_keys(result)
    assert "-data+fairness-" in key  # the demo policy's data and fairness checks
    # Only the mlci command went on PATH: `python` in the pipeline's stages is still the runner's.
    assert out["RUNNER_PYTHON"] == str(Path(sys.executable).parent / "python3")
    assert out["REPORT_DIR"] == f"{out['GITHUB_WORKSPACE']}/mlci-report"

    report = json.loads((outputs / "bundle" / "report.json").read_text())
    assert report["verdict"] == verdict
    context = report["context"]
    assert (context["pr_number"], context["pr_head_sha"], context["head"]["sha"], context["base"]["sha"]) == (
        pr.number, pr.checkout.head_sha, pr.checkout.merge_sha, pr.checkout.base_sha)
    # prepare comes back from the DVC remote, train runs again (its model was never pushed) and
    # reproduces the committed dvc.lock, so evaluate has nothing to do.
    assert {s["name"]: s["state"] for s in report["repro"]["stages"]} == {
        "prepare": "restored", "train": "ran", "evaluate": "unchanged", "export": "ran"}


def test_the_pull_request_template(github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """workflows-templates/mlci-pull-request.yml as shipped (bar the requirements step). The PR fails its gates,
    then a push makes it pass, then one crashes the training stage: the one sticky comment is edited in place each
    time, each head gets its check."""
    failing = open_pull_request(github, demo, tmp_path, WORSEN, number=11)
    workflow = ".github/workflows/mlci-pull-request.yml"
    first = act.run("pull_request", failing.event, failing.checkout.path, failing.checkout.path / workflow,
                    token=TOKEN, run_id=6001)
    assert first.returncode == 1 and "Job failed" in first.log, first
    [comment] = github.comments(REPO, failing.number)
    assert comment["body"].startswith('<!-- mlci:report workflow="mlci" project="diabetes-risk" -->\n' + headline("fail"))
    assert "**Why it failed**" in comment["body"]
    [check] = github.check_runs(REPO, failing.checkout.head_sha)
    assert check["name"] == "mlci" and check["conclusion"] == "failure"
    outputs = first.set_outputs()
    assert outputs["verdict"] == "fail"
    assert outputs["comment-url"] == comment["html_url"] and outputs["check-url"] == check["html_url"]

    # The author force-pushes the branch with the better model: GitHub sends `synchronize`.
    fixed = open_pull_request(github, demo, tmp_path, IMPROVE, number=11, earlier=failing)
    second = act.run("pull_request", fixed.event, fixed.checkout.path, fixed.checkout.path / workflow,
                     token=TOKEN, run_id=6002)
    assert second.returncode == 0 and "Job succeeded" in second.log, second
    [edited] = github.comments(REPO, fixed.number)
    assert edited["id"] == comment["id"] and edited["body"].splitlines()[1].startswith(headline("pass"))
    [check] = github.check_runs(REPO, fixed.checkout.head_sha)
    assert check["name"] == "mlci" and check["conclusion"] == "success"
    assert github.check_runs(REPO, failing.checkout.head_sha)[0]["conclusion"] == "failure"  # the old head keeps its own
    outputs = second.set_outputs()
    assert outputs["verdict"] == "pass" and outputs["comment-url"] == edited["html_url"]

    # A later push crashes the training stage: the comment is edited to say so (no stale "pass"
    # left standing), the new head's check fails, and so does the job.
    broken = open_pull_request(github, demo, tmp_path, BROKEN, number=11, earlier=fixed)
    third = act.run("pull_request", broken.event, broken.checkout.path, broken.checkout.path / workflow,
                    token=TOKEN, run_id=6003)
    assert third.returncode == 1 and "Job failed" in third.log, third
    assert "the training data lost a column" in third.log  # the stage's own output, in the job's log
    [crashed] = github.comments(REPO, broken.number)
    assert crashed["id"] == comment["id"]
    assert crashed["body"].splitlines()[1] == headline("fail") + ": the pipeline failed"
    assert "failed in stage 'train'" in crashed["body"]
    assert "the training data lost a column" not in crashed["body"]  # output stays in the log, never in the comment
    [check] = github.check_runs(REPO, broken.checkout.head_sha)
    assert check["conclusion"] == "failure" and check["output"]["title"].endswith("the pipeline failed")
    assert third.set_outputs()["verdict"] == "fail"
    for result in (first, second, third):
        assert_clean_log(result)


def test_the_pull_request_template_on_the_default_branch_fills_the_dvc_remote(
        github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """The same template on the push that merges a PR: compared with the previous commit, a check on the
    merged commit, no comment (there is no PR), and the new outputs and run-cache pushed to the DVC remote,
    so the next pull requests restore the merged stages instead of running them."""
    merged = merged_checkout(demo, IMPROVE, tmp_path / "main", REPO)
    github.add_commit(REPO, merged.after)  # pushed to GitHub
    remote_before = {p for p in merged.dvc_remote.rglob("*") if p.is_file()}
    shared_before = {p for p in (demo.root / "remote").rglob("*") if p.is_file()}
    event = events.push(repository=REPO, branch=BASE_BRANCH, before=merged.before, after=merged.after,
                        default_branch=BASE_BRANCH)
    result = act.run("push", event, merged.path, merged.path / ".github/workflows/mlci-pull-request.yml",
                     token=TOKEN, run_id=6101)
    assert result.returncode == 0 and "Job succeeded" in result.log, str(result)
    assert_clean_log(result)
    [check] = github.check_runs(REPO, merged.after)
    assert check["name"] == "mlci" and check["conclusion"] == "success"
    outputs = result.set_outputs()
    assert outputs["verdict"] == "pass" and outputs["comment-url"] == ""
    assert "pushing outputs and run-cache to remote 'storage'" in result.log
    pushed = {p for p in merged.dvc_remote.rglob("*") if p.is_file()} - remote_before
    assert any(p.relative_to(merged.dvc_remote).parts[0] == "runs" for p in pushed), "no run-cache entry pushed"
    assert any(p.relative_to(merged.dvc_remote).parts[0] == "files" for p in pushed), "no output pushed"
    assert {p for p in (demo.root / "remote").rglob("*") if p.is_file()} == shared_before  # the other tests' remote


def test_the_release_template_versions_the_merged_model(github: FakeGitHub, act: Act, demo: Demo,
                                                         tmp_path: Path) -> None:
    """workflows-templates/mlci-release.yml on the push that merges the better model: its gates pass, so the
    model gets its first version, GTO's tag on GitHub, and a release whose body is the model card, naming the
    PR it came from; the step outputs are gto-action's."""
    merged = merged_checkout(demo, IMPROVE, tmp_path / "main", REPO)
    git(merged.path, "commit", "-q", "-am", "Use this run's DVC remote")  # a release needs a clean work tree
    after = git(merged.path, "rev-parse", "HEAD")
    github.add_commit(REPO, after)
    github.add_branch(REPO, BASE_BRANCH, after)
    github.add_pull(REPO, 21, "1" * 40, merged.before, title=IMPROVE.title)
    github.merge_pull(REPO, 21, after, labels=["release:minor"])
    event = events.push(repository=REPO, branch=BASE_BRANCH, before=merged.before, after=after,
                        default_branch=BASE_BRANCH)
    result = act.run("push", event, merged.path, merged.path / ".github/workflows/mlci-release.yml", token=TOKEN,
                     run_id=6201)
    assert result.returncode == 0 and "Job succeeded" in result.log, str(result)
    assert_clean_log(result)
    tag = github.tags(REPO)["diabetes-risk@v0.1.0"]
    assert tag["object"]["object"]["sha"] == after and tag["object"]["message"].startswith("Registering artifact")
    [release] = github.releases(REPO)
    assert release["tag_name"] == "diabetes-risk@v0.1.0" and release["name"] == "diabetes-risk v0.1.0"
    body = release["body"]
    assert body.startswith("## diabetes-risk v0.1.0\n") and f'from #21 "{IMPROVE.title}"' in body
    assert "passed (policy `mlci.yaml`" in body and "| model | `models/model.onnx` |" in body
    outputs = result.set_outputs()
    assert {k: outputs[k] for k in ("event", "name", "version", "stage", "type", "path")} == {
        "event": "registration", "name": "diabetes-risk", "version": "v0.1.0", "stage": "", "type": "model",
        "path": "models/model.onnx"}
    assert outputs["release-url"] == release["html_url"]


def released_main(demo: Demo, github: FakeGitHub, tmp_path: Path, *, dockerfile: bool = False) -> tuple[Push, str]:
    """The default branch with the better model merged, released as diabetes-risk@v0.1.0 (the tag in the
    clone act runs in; GitHub knows the commit and the branch), with this run's DVC remote committed and,
    with ``dockerfile``, the serving image's Dockerfile mlci ships: the checkout and its commit."""
    import shutil

    merged = merged_checkout(demo, IMPROVE, tmp_path / "main", REPO)
    if dockerfile:
        shutil.copy(ROOT / "src" / "mlci" / "serve" / "Dockerfile", merged.path / "Dockerfile")
        git(merged.path, "add", "Dockerfile")
    git(merged.path, "commit", "-q", "-am", "Use this run's DVC remote")
    commit = git(merged.path, "rev-parse", "HEAD")
    github.add_commit(REPO, commit)
    github.add_branch(REPO, BASE_BRANCH, commit)
    git(merged.path, "tag", "-a", "-m", "Registering artifact diabetes-risk version v0.1.0", "diabetes-risk@v0.1.0")
    return merged, commit


def test_the_promote_template_moves_a_version_into_staging_and_starts_the_deployment(
        github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """workflows-templates/mlci-promote.yml, run by hand (workflow_dispatch) for a released version: GTO's
    stage tag on GitHub, pointing at the version's commit, and mlci-deploy.yml started with the version and
    stage, since the tag pushed with the job's own token starts no workflow."""
    merged, after = released_main(demo, github, tmp_path)
    inputs = {"name": "diabetes-risk", "version": "v0.1.0", "stage": "staging", "demote": False}
    event = events.workflow_dispatch(repository=REPO, workflow_path=".github/workflows/mlci-promote.yml",
                                     inputs=inputs, branch=BASE_BRANCH, default_branch=BASE_BRANCH)
    result = act.run("workflow_dispatch", event, merged.path, merged.path / ".github/workflows/mlci-promote.yml",
                     token=TOKEN, run_id=6301)
    assert result.returncode == 0 and "Job succeeded" in result.log, str(result)
    assert_clean_log(result)
    tag = github.tags(REPO)["diabetes-risk#staging#1"]
    assert tag["object"]["object"]["sha"] == after
    assert github.dispatches(REPO) == [{"repo": REPO, "workflow": "mlci-deploy.yml", "ref": BASE_BRANCH,
                                        "inputs": {"name": "diabetes-risk", "version": "v0.1.0", "stage": "staging"}}]
    outputs = result.set_outputs()
    assert {k: outputs[k] for k in ("event", "name", "version", "stage")} == {
        "event": "assignment", "name": "diabetes-risk", "version": "v0.1.0", "stage": "staging"}


def test_the_deploy_template_judges_the_stage_again_in_its_environment_then_builds_the_image(
        github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """workflows-templates/mlci-deploy.yml as mlci-promote.yml starts it (workflow_dispatch with name, version and
    stage). Its deploy job runs in the stage's Environment (whose reviewers approve it on GitHub; act does not
    enforce them): it checks out the version's tag, restores its outputs, judges the stage's gates again with the
    default branch's policy (the demo's staging gate serves the model and compares its answers), then builds the
    serving image from the Dockerfile mlci ships. Once the default branch's policy is stricter than the version can
    meet, the same deployment stops at the gate, before any image."""
    import yaml

    deploy = yaml.safe_load((TEMPLATES / "mlci-deploy.yml").read_text())["jobs"]["deploy"]
    assert deploy["environment"] == "${{ needs.which.outputs.stage }}"
    merged, version = released_main(demo, github, tmp_path, dockerfile=True)
    inputs = {"name": "diabetes-risk", "version": "v0.1.0", "stage": "staging"}
    event = events.workflow_dispatch(repository=REPO, workflow_path=".github/workflows/mlci-deploy.yml",
                                     inputs=inputs, branch=BASE_BRANCH, default_branch=BASE_BRANCH)

    result = act.run("workflow_dispatch", event, merged.path, merged.path / ".github/workflows/mlci-deploy.yml",
                     token=TOKEN, run_id=6401)
    assert result.returncode == 0 and "Job succeeded" in result.log, str(result)
    assert_clean_log(result)
    assert f"checkout stand-in: diabetes-risk@v0.1.0 at {version}" in result.log
    assert "mlci: the staging gates passed for diabetes-risk v0.1.0" in result.log
    assert re.search(r"mlci: serving diabetes-risk: \d+ answers equal offline, p95 ", result.log), result.tail()
    builds = [json.loads(line) for line in act.docker_log.read_text().splitlines()]
    assert builds == [{"tags": [f"ghcr.io/{REPO}:v0.1.0"], "file": "Dockerfile", "context": ".",
                       "args": {"MODEL": "models/model.onnx", "MODEL_NAME": "diabetes-risk"}}]
    assert f"deploy ghcr.io/{REPO}:v0.1.0 to staging here" in result.log
    assert not [t for t in github.tags(REPO) if "#" in t]  # a deployment judges, it writes no stage tag

    policy = (merged.path / "mlci.yaml").read_text().replace("max_p95_ms: 50", "max_p95_ms: 0.001")
    (merged.path / "mlci.yaml").write_text(policy)
    git(merged.path, "commit", "-q", "-am", "A staging gate no served model meets")
    result = act.run("workflow_dispatch", event, merged.path, merged.path / ".github/workflows/mlci-deploy.yml",
                     token=TOKEN, run_id=6402)
    assert result.returncode != 0, str(result)
    assert "mlci: not promoted: 1 of the staging gates failed for diabetes-risk v0.1.0: diabetes-risk: p95 " in result.log
    assert len(act.docker_log.read_text().splitlines()) == 1  # no image for a version that fails the stage
    assert "to staging here" not in result.log


FORGE_BUNDLE = """\
      - name: Make the bundle say every gate passed
        shell: python
        run: |
          import json
          path = "mlci-report/report.json"
          bundle = json.load(open(path))
          bundle["verdict"] = "pass"
          for gate in bundle["gates"]:
              gate.update(status="pass", blocking=False, reason="fine")
          json.dump(bundle, open(path, "w"))

"""

FAKE_METRICS = """\
      - name: Write the metrics this PR would like to have
        shell: python
        run: |
          import json
          metrics = json.load(open("metrics.json"))
          metrics.update(accuracy=0.99, f1=0.99, roc_auc=0.99, log_loss=0.01)
          json.dump(metrics, open("metrics.json", "w"), indent=2)

"""


def hostile_fork(pr: PullRequest, *, before_report: str = "", after_report: str = "", config: str | None = None) -> Path:
    """The fork's own copy of the fork-safe workflow: steps of its own before and after the report
    step, and a policy of its own for that step; the workflow file, as the fork changed it."""
    workflow = pr.checkout.path / ".github/workflows/mlci-pull-request-fork-safe.yml"
    text = workflow.read_text()
    at = text.rindex("      - uses: ", 0, text.index("actions/report@"))
    upload = text.index("      - uses: actions/upload-artifact@")
    report = text[at:upload]
    if config is not None:
        with_at = report.index("        with:\n") + len("        with:\n")
        report = report[:with_at] + f"          config: {config}\n" + report[with_at:]
    workflow.write_text(text[:at] + before_report + report + after_report + text[upload:])
    return workflow


def publish_for_fork(github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path, pr: PullRequest,
                     report_run: int) -> ActResult:
    """mlci-publish.yml on the workflow_run event of the fork's run, from the default branch's checkout."""
    payload = events.workflow_run(repository=REPO, run_id=report_run, workflow_name="mlci (fork-safe)",
                                  workflow_path=".github/workflows/mlci-pull-request-fork-safe.yml",
                                  conclusion="success", head_sha=pr.checkout.head_sha, branch=pr.scenario.branch,
                                  pull_requests=[], fork_owner=FORK_OWNER)
    main = default_branch_checkout(demo, tmp_path / "main", REPO)
    github.add_file(REPO, "mlci.yaml", (main / "mlci.yaml").read_text())
    return act.run("workflow_run", payload, main, main / ".github/workflows/mlci-publish.yml", token=TOKEN,
                   run_id=report_run + 1)


def test_a_fork_that_loosens_its_policy_and_forges_its_bundle_gets_the_default_branchs_verdict(
        github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """A hostile fork: its workflow reports with a policy of its own that gates nothing, then rewrites the
    bundle so that every gate says pass. The publish job takes no verdict or gate from it: it judges the
    evidence with main's mlci.yaml (the check fails), and the comment names the workflow file the fork
    changed, as GitHub lists it."""
    pr = open_pull_request(github, demo, tmp_path, WORSEN, number=13, fork=True)
    workflow = hostile_fork(pr, config="loose.yaml", after_report=FORGE_BUNDLE)
    (pr.checkout.path / "loose.yaml").write_text("version: 1\nmetrics:\n  accuracy:\n    informational: true\n")
    github.set_pull_files(REPO, pr.number, [workflow.relative_to(pr.checkout.path).as_posix(), "loose.yaml",
                                            "params.yaml", "dvc.lock"])
    report_run = 7101
    first = act.run("pull_request", pr.event, pr.checkout.path, workflow, token=FORK_TOKEN, run_id=report_run)
    assert first.returncode == 0 and "Job succeeded" in first.log, first
    bundled = json.loads((act.artifacts / str(report_run) / "mlci-report" / "report.json").read_text())
    assert bundled["verdict"] == "pass" and bundled["policy"]["file"] == "loose.yaml"
    assert {gate["status"] for gate in bundled["gates"]} == {"pass"}

    second = publish_for_fork(github, act, demo, tmp_path, pr, report_run)
    assert second.returncode == 0 and "Job succeeded" in second.log, second
    [check] = github.check_runs(REPO, pr.checkout.head_sha)
    assert check["conclusion"] == "failure" and "accuracy" in check["output"]["summary"]
    [comment] = github.comments(REPO, pr.number)
    assert comment["body"].splitlines()[1].startswith(headline("fail"))
    assert "workflows (`.github/workflows/mlci-pull-request-fork-safe.yml`)" in comment["body"]
    assert "policy from `main`" in comment["body"] and "loose.yaml" not in comment["body"].split("\n", 3)[2]
    assert second.set_outputs()["verdict"] == "fail"


def test_a_fork_that_fakes_its_metrics_is_caught_by_the_default_branchs_reproducibility_check(
        github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """A fork whose workflow writes the metrics it would like after its pipeline ran. The numbers are
    judged as they are (0.99 passes the accuracy gate), but main's policy also checks reproducibility, and
    metrics.json no longer matches what dvc.lock says the pipeline produced: the check fails for that, and
    the comment says the numbers come from the fork's own code and names the workflow file that wrote them."""
    pr = open_pull_request(github, demo, tmp_path, IMPROVE, number=14, fork=True)
    workflow = hostile_fork(pr, before_report=FAKE_METRICS)
    github.set_pull_files(REPO, pr.number, [workflow.relative_to(pr.checkout.path).as_posix(), "params.yaml",
                                            "dvc.lock"])
    report_run = 7201
    first = act.run("pull_request", pr.event, pr.checkout.path, workflow, token=FORK_TOKEN, run_id=report_run)
    assert first.returncode == 0 and "Job succeeded" in first.log, first

    second = publish_for_fork(github, act, demo, tmp_path, pr, report_run)
    assert second.returncode == 0 and "Job succeeded" in second.log, second
    [check] = github.check_runs(REPO, pr.checkout.head_sha)
    summary = check["output"]["summary"]
    assert check["conclusion"] == "failure", summary
    notice = "A pull request from a fork: these numbers come from its own code"
    assert notice in summary
    [comment] = github.comments(REPO, pr.number)
    body = comment["body"]
    assert body.splitlines()[1] == headline("fail") + ": 1 of 10 gates failed", body
    assert "- reproducible: outputs differ from the commit: metrics.json" in body
    assert "| ✅ | accuracy                 | 0.7027 | 0.9900 |" in body  # judged as they are
    assert "Read what it changes first: workflows (`.github/workflows/mlci-pull-request-fork-safe.yml`)" in body


@pytest.mark.parametrize("scenario", [IMPROVE, WORSEN, BROKEN], ids=["passing-gates", "failing-gates", "crashing-stage"])
def test_the_fork_safe_pair(scenario: Scenario, github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """A PR from a fork: mlci-pull-request-fork-safe.yml reports with a read-only token and uploads the bundle;
    mlci-publish.yml, on the workflow_run event of that run, downloads it, judges its evidence again with the
    default branch's mlci.yaml (read through the API) and posts the comment and the check.
    A crashing stage too: the repro step keeps the failure, so the bundle still goes out and says so."""
    pr = open_pull_request(github, demo, tmp_path, scenario, number=12, fork=True)
    verdict = "pass" if scenario is IMPROVE else "fail"
    report_run = 7001
    first = act.run("pull_request", pr.event, pr.checkout.path,
                    pr.checkout.path / ".github/workflows/mlci-pull-request-fork-safe.yml",
                    token=FORK_TOKEN, run_id=report_run)
    # The unprivileged half has no gate step: it succeeds whatever the verdict, and posts nothing.
    assert first.returncode == 0 and "Job succeeded" in first.log, first
    assert github.comments(REPO, pr.number) == [] and github.check_runs(REPO, pr.checkout.head_sha) == []
    artifact = act.artifacts / str(report_run) / "mlci-report"
    bundled = json.loads((artifact / "report.json").read_text())
    assert bundled["verdict"] == verdict
    assert (bundled["repro"]["failure"] is not None) is (scenario is BROKEN)

    # GitHub lists no pull requests in workflow_run for a fork's PR: mlci finds it by the head SHA.
    payload = events.workflow_run(repository=REPO, run_id=report_run, workflow_name="mlci (fork-safe)",
                                  workflow_path=".github/workflows/mlci-pull-request-fork-safe.yml",
                                  conclusion="success" if first.returncode == 0 else "failure",
                                  head_sha=pr.checkout.head_sha, branch=pr.scenario.branch, pull_requests=[],
                                  fork_owner=FORK_OWNER)
    main = default_branch_checkout(demo, tmp_path / "main", REPO)
    github.add_file(REPO, "mlci.yaml", (main / "mlci.yaml").read_text())  # the policy the publish job trusts
    second = act.run("workflow_run", payload, main, main / ".github/workflows/mlci-publish.yml",
                     token=TOKEN, run_id=7002)
    assert second.returncode == 0 and "Job succeeded" in second.log, second
    assert_clean_log(first)
    assert_clean_log(second)
    [comment] = github.comments(REPO, pr.number)
    # The marker names the workflow that made the bundle (its name made safe for an HTML comment).
    assert comment["body"].startswith('<!-- mlci:report workflow="mlci -fork-safe-" project="diabetes-risk" -->\n'
                                      + headline(verdict))
    assert (comment["body"].splitlines()[1] == headline("fail") + ": the pipeline failed") is (scenario is BROKEN)
    assert "A pull request from a fork: these numbers come from its own code" in comment["body"]
    assert "policy from `main`" in comment["body"]
    [check] = github.check_runs(REPO, pr.checkout.head_sha)
    assert check["name"] == "mlci" and check["conclusion"] == ("success" if verdict == "pass" else "failure")
    outputs = second.set_outputs()
    assert outputs["verdict"] == verdict and outputs["comment-url"] == comment["html_url"]
