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

import copy
import json
import os
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
from tests.conftest import GIT_ENV, GITHUB_VARS, offline_index
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
from tests.github.fake_github import Contract, FakeGitHub, Request

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
    from GitHub, and each job's install step of mlci restored its venv from the cache exactly when an earlier
    run, or an earlier job of this run, saved it."""
    assert TOKEN not in result.log and FORK_TOKEN not in result.log, "a token appeared in act's log"
    assert "GoGitActionCache" not in result.log, f"act tried to fetch an action from GitHub:\n{result}"
    saved = set(result.cached_before)
    for log in job_logs(result).values():  # in the order the jobs ran
        for key in install_keys(log):
            if key in saved:
                assert f"Cache restored from key: {key}" in log and "from the cache" in log, result
                assert "installed mlci's dependencies" not in log, result
            else:
                assert "installed mlci's dependencies with uv in" in log, result
                assert f"Cache saved with key: {key}" in log, result
                saved.add(key)


def install_keys(log: str) -> list[str]:
    """The cache keys of mlci's install steps in a log (one per job that installed mlci)."""
    return re.findall(r"mlci setup: mlci \S+ with extras .*; cache key (mlci-\S+)", log)


def job_logs(result: ActResult) -> dict[str, str]:
    """act's log, job by job (by the ``[workflow/job name]`` that starts its lines; the lines that follow
    one without it, a multi-line command or summary, go with it), in the order the jobs started."""
    jobs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in result.log.splitlines():
        match = re.match(r"\[[^\]/]*/([^\]]+?) *\] ", line)
        if match:
            current = jobs.setdefault(match[1], [])
        if current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in jobs.items()}


def job_summary(log: str) -> str:
    """The job summary a job's log shows (act prints each step's: ``⚙  Summary - <text>``, the text's later
    lines unprefixed), the first one."""
    match = re.search(r"^\[[^\]]+\]\s+⚙  Summary - (.*?)(?=^\[[^\]/]*/[^\]]+\] )", log + "\n[end/end] ", re.M | re.S)
    assert match, "no job summary in the log"
    return match[1]


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
    [key] = install_keys(result.log)
    assert "-data+fairness+plots-" in key  # the demo policy's data and fairness checks, dvc.yaml's plots
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


# --- The pull request template: one PR, three pushes, shared by the tests below --------------------------------------------

PR_TEMPLATE = ".github/workflows/mlci-pull-request.yml"
PR_NUMBER = 11
GIT_DATA_WRITE = re.compile(r"^(POST|PATCH|DELETE) /repos/[^/]+/[^/]+/git/")
IMAGE = re.compile(rf'<img src="https://github\.com/{re.escape(REPO)}/blob/(?P<commit>[0-9a-f]{{40}})/'
                   r'(?P<path>[^"?]+)\?raw=true"')


@dataclass(frozen=True)
class TemplateRun:
    """One run of mlci-pull-request.yml and what the fake GitHub held right after it."""

    pr: PullRequest
    run_id: int
    result: ActResult
    comments: list[dict[str, Any]]
    checks: list[dict[str, Any]]  # on the PR's head
    # Every request of the run, and whether the mlci job had uploaded the bundle (its last step) when it came.
    requests: list[tuple[Request, bool]]
    bundle: Path  # the artifact the mlci job uploaded (the upload-artifact stand-in's folder)


@dataclass(frozen=True)
class TemplateRuns:
    github: FakeGitHub  # the fake the runs posted to, with the assets branch's git data
    failing: TemplateRun
    fixed: TemplateRun
    broken: TemplateRun


@pytest.fixture(scope="module")
def pr_template_runs(github_contract: Contract, demo: Demo, act_home: Path, action_source: Path, wheelhouse: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateRuns]:
    """workflows-templates/mlci-pull-request.yml as shipped (bar the requirements step) on one PR: it fails its
    gates, then a push makes it pass, then one crashes the training stage. Run once for the tests that read it,
    on a fake GitHub of their own, which records, for each request, whether the bundle was uploaded yet."""
    tmp = tmp_path_factory.mktemp("pr-template")
    home = tmp_path_factory.mktemp("pr-template-home")
    github = FakeGitHub(contract=github_contract).start()
    try:
        with pytest.MonkeyPatch.context() as mp:  # what tests/conftest.py's _pinned_env does, for a module fixture
            for key, value in GIT_ENV.items():
                mp.setenv(key, value)
            for key, value in {"HOME": home, "GIT_CONFIG_GLOBAL": home / ".gitconfig",
                               "DVC_GLOBAL_CONFIG_DIR": home / ".dvc-global", "DVC_SITE_CACHE_DIR": home / ".dvc-site",
                               "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
                               }.items():
                mp.setenv(key, str(value))
            for key in GITHUB_VARS:
                mp.delenv(key, raising=False)
            github.add_repo(REPO)
            github.add_token(TOKEN)
            act = Act(home=act_home, work=tmp / "act", action_source=action_source, api_url=github.url,
                      repository=REPO, package_index=offline_index(wheelhouse))
            uploaded: dict[int, bool] = {}
            running = {"bundle": tmp}

            def note() -> None:  # called under the fake's lock, just before it serves (and logs) a request
                uploaded[len(github.requests)] = (running["bundle"] / "report.json").is_file()

            github.before("*", "", note, times=10**9)
            runs: list[TemplateRun] = []
            earlier = None
            for scenario, run_id in ((WORSEN, 6001), (IMPROVE, 6002), (BROKEN, 6003)):
                # The fixed and broken heads are force-pushes to the PR's branch: GitHub sends `synchronize`.
                pr = open_pull_request(github, demo, tmp, scenario, number=PR_NUMBER, earlier=earlier)
                bundle = running["bundle"] = act.artifacts / str(run_id) / "mlci-report"
                start = len(github.requests)
                result = act.run("pull_request", pr.event, pr.checkout.path, pr.checkout.path / PR_TEMPLATE,
                                 token=TOKEN, run_id=run_id)
                requests = [(request, uploaded[start + i]) for i, request in enumerate(github.requests[start:])]
                runs.append(TemplateRun(pr, run_id, result, copy.deepcopy(github.comments(REPO, PR_NUMBER)),
                                        copy.deepcopy(github.check_runs(REPO, pr.checkout.head_sha)), requests, bundle))
                earlier = pr
            yield TemplateRuns(github, *runs)
    finally:
        github.stop()
    assert github.violations == [], "the fake GitHub saw contract violations:\n" + "\n".join(github.violations)


def assert_jobs(result: ActResult, *, publish: str) -> dict[str, str]:
    """The template's two jobs ran: the pipeline's job succeeded (a crashed stage is kept in the bundle, not
    failed on), and the publish job ended ``publish`` ("succeeded" or "failed": the gate). Their logs."""
    logs = job_logs(result)
    assert list(logs) == ["mlci pipeline", "mlci publish"], list(logs)
    assert "🏁  Job succeeded" in logs["mlci pipeline"], result
    assert f"🏁  Job {publish}" in logs["mlci publish"], result
    return logs


def test_the_pull_request_template(pr_template_runs: TemplateRuns) -> None:
    """workflows-templates/mlci-pull-request.yml on a PR that fails its gates, then passes after a push, then
    crashes its training stage: the one sticky comment is edited in place each time, each head gets its check,
    and the run fails exactly when the verdict does (the publish job's gate step; the outputs are its steps')."""
    first, second, third = pr_template_runs.failing, pr_template_runs.fixed, pr_template_runs.broken
    assert first.result.returncode == 1, first.result
    publish_log = assert_jobs(first.result, publish="failed")["mlci publish"]
    # The publish action installed mlci's core (install: true) and kept it even though its gate failed
    # the step: the next run restores it.
    publish_keys = {key for key in first.result.cached_before if "-publish-" in key}
    if not publish_keys:  # the module's first publish job: this failing run saved it
        assert "✅  Success - Main Save mlci's environment" in publish_log, publish_log
    assert {key for key in second.result.cached_before if "-publish-" in key}, second.result.cached_before
    [comment] = first.comments
    assert comment["body"].startswith('<!-- mlci:report workflow="mlci" project="diabetes-risk" -->\n' + headline("fail"))
    assert "**Why it failed**" in comment["body"]
    [check] = first.checks
    assert check["name"] == "mlci" and check["conclusion"] == "failure"
    outputs = first.result.set_outputs()
    assert outputs["verdict"] == "fail"
    assert outputs["comment-url"] == comment["html_url"] and outputs["check-url"] == check["html_url"]

    assert second.result.returncode == 0, second.result
    assert_jobs(second.result, publish="succeeded")
    [edited] = second.comments
    assert edited["id"] == comment["id"] and edited["body"].splitlines()[1].startswith(headline("pass"))
    [check] = second.checks
    assert check["name"] == "mlci" and check["conclusion"] == "success"
    assert first.checks[0]["conclusion"] == "failure"  # the old head keeps its own
    outputs = second.result.set_outputs()
    assert outputs["verdict"] == "pass" and outputs["comment-url"] == edited["html_url"]

    # A later push crashes the training stage: the comment is edited to say so (no stale "pass"
    # left standing), the new head's check fails, and so does the run.
    assert third.result.returncode == 1, third.result
    logs = assert_jobs(third.result, publish="failed")
    assert "the training data lost a column" in logs["mlci pipeline"]  # the stage's own output, in its job's log
    [crashed] = third.comments
    assert crashed["id"] == comment["id"]
    assert crashed["body"].splitlines()[1] == headline("fail") + ": the pipeline failed"
    assert "failed in stage 'train'" in crashed["body"]
    assert "the training data lost a column" not in crashed["body"]  # output stays in the log, never in the comment
    [check] = third.checks
    assert check["conclusion"] == "failure" and check["output"]["title"].endswith("the pipeline failed")
    assert third.result.set_outputs()["verdict"] == "fail"
    for run in (first, second, third):
        assert_clean_log(run.result)


def hosted_images(github: FakeGitHub, text: str, bundle: Path, key: str) -> tuple[str, dict[str, bytes]]:
    """The plot images ``text`` links: each at one commit of the assets branch, under ``key``'s folder, the
    bytes GitHub holds there equal to the bundle's PNG of that name, and a whole PNG. The commit, and the
    images by name."""
    from tests.integration.test_plots import decode_png

    links = IMAGE.findall(text)
    assert len(links) == 3, text
    [commit] = {c for c, _ in links}
    images = {}
    for _, path in links:
        assert re.fullmatch(rf"{key}/\d{{8}}T\d{{6}}Z-run-\d+-1/[a-z]+\.png", path), path
        name = path.rsplit("/", 1)[1]
        hosted = github.file_at(REPO, commit, path)
        assert hosted is not None, f"{path} is not at {commit}"
        assert hosted == (bundle / "plots" / name).read_bytes(), f"{path}: not the bundle's plots/{name}"
        width, height = decode_png(hosted)
        assert width > 400 and height > 200, (name, width, height)  # drawn at twice the width shown
        images[name] = hosted
    assert set(images) == {"roc.png", "confusion.png", "importance.png"}
    return commit, images


def test_the_pull_request_template_hosts_the_plots(pr_template_runs: TemplateRuns) -> None:
    """The demo declares three plots (ROC, confusion matrix, feature importance): the mlci job draws them into
    the bundle and the publish job commits the PNGs to the assets branch (mlci-assets) through the git data
    API, then links them, pinned to that commit, in the comment, the check and the job summary. The job that
    runs the PR's code can read only (the workflow's permissions), made no request to GitHub at all (every
    request, the git data writes among them, came after it uploaded the bundle), and never showed a token."""
    import yaml

    github = pr_template_runs.github
    jobs = yaml.safe_load((TEMPLATES / "mlci-pull-request.yml").read_text())["jobs"]
    assert jobs["mlci"]["permissions"] == {"contents": "read"} and jobs["publish"]["permissions"]["contents"] == "write"
    commits = []
    for run in (pr_template_runs.failing, pr_template_runs.fixed, pr_template_runs.broken):
        [comment] = run.comments
        commit, images = hosted_images(github, comment["body"], run.bundle, f"pr-{PR_NUMBER}")
        logs = job_logs(run.result)
        assert set(IMAGE.findall(job_summary(logs["mlci publish"]))) == set(IMAGE.findall(comment["body"]))
        assert set(IMAGE.findall(run.checks[0]["output"]["summary"])) == set(IMAGE.findall(comment["body"]))
        assert f"mlci: 3 plot image(s) hosted on mlci-assets at {commit[:12]}" in logs["mlci publish"]
        writes = [request for request, _ in run.requests if GIT_DATA_WRITE.match(f"{request.method} {request.path}")]
        assert len(writes) >= 5, writes  # 3 blobs, a tree, a commit, the ref
        assert all(after for _, after in run.requests), [r for r, after in run.requests if not after]
        assert TOKEN not in logs["mlci pipeline"] and "***" not in logs["mlci pipeline"]  # not even masked
        commits.append(commit)
    # One commit per run on the assets branch (the crashed stage's run draws the plot files it has too),
    # each on top of the one before; each link is pinned to its own commit, so the first run's images still
    # resolve after the later runs moved the branch on.
    for before, after in zip(commits, commits[1:]):
        made = github.git_commit(REPO, after)
        assert made is not None and made.parents == (before,)
    assert github.ref(REPO, "refs/heads/mlci-assets") == commits[-1]
    first = pr_template_runs.failing
    hosted_images(github, first.comments[0]["body"], first.bundle, f"pr-{PR_NUMBER}")


def test_the_pull_request_template_on_the_default_branch_fills_the_dvc_remote(
        github: FakeGitHub, act: Act, demo: Demo, tmp_path: Path) -> None:
    """The same template on the push that merges a PR: compared with the previous commit, a check on the
    merged commit, no comment (there is no PR), and the new outputs and run-cache pushed to the DVC remote
    by the pipeline's job (in the environment dvc-write), so the next pull requests restore the merged stages
    instead of running them; the publish job posts the check and hosts the plots under the branch's key."""
    merged = merged_checkout(demo, IMPROVE, tmp_path / "main", REPO)
    github.add_commit(REPO, merged.after)  # pushed to GitHub
    remote_before = {p for p in merged.dvc_remote.rglob("*") if p.is_file()}
    shared_before = {p for p in (demo.root / "remote").rglob("*") if p.is_file()}
    event = events.push(repository=REPO, branch=BASE_BRANCH, before=merged.before, after=merged.after,
                        default_branch=BASE_BRANCH)
    result = act.run("push", event, merged.path, merged.path / PR_TEMPLATE, token=TOKEN, run_id=6101)
    assert result.returncode == 0, str(result)
    logs = assert_jobs(result, publish="succeeded")
    assert_clean_log(result)
    [check] = github.check_runs(REPO, merged.after)
    assert check["name"] == "mlci" and check["conclusion"] == "success"
    outputs = result.set_outputs()
    assert outputs["verdict"] == "pass" and outputs["comment-url"] == ""
    assert "pushing outputs and run-cache to remote 'storage'" in logs["mlci pipeline"]
    assert f"branch-{BASE_BRANCH}/" in job_summary(logs["mlci publish"])
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
    # The unprivileged half has no gate step: it succeeds whatever the verdict, and posts nothing: it makes
    # no request to GitHub at all.
    assert first.returncode == 0 and "Job succeeded" in first.log, first
    assert github.requests == [], github.requests
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
    # The fork's plots, drawn by its own job into the bundle, are hosted by the publish job (contents: write),
    # the images the comment and the job summary link being the bundle's PNGs, byte for byte.
    commit, _ = hosted_images(github, comment["body"], artifact, f"pr-{pr.number}")
    assert github.ref(REPO, "refs/heads/mlci-assets") == commit
    assert set(IMAGE.findall(job_summary(second.log))) == set(IMAGE.findall(comment["body"]))
