"""workflows-templates/mlci-drift-monitor.yml, run by nektos/act on a small project, against the fake GitHub.

The project is a git repository with the training data (data/train.csv) and an mlci.yaml whose checks.drift
watches data/prod.csv against it. The template runs as shipped but for two steps: the requirements step (as
in test_actions_act.py) and the user's step that fetches the current data, which here copies the file the
test chose for the run (a shifted sample, or one drawn like the training data). Everything else is real:
the setup action installs mlci (and its drift extra) from the action's checkout, `mlci drift` reads the
CSVs, `mlci drift publish` talks to the fake GitHub through PyGithub, every request held to GitHub's OpenAPI
description. A second test keeps the current data as a `dvc import` of another repository and lets the
action's dvc-update bring it up to date; a third does the same in pull-request mode (the PR that updates the data).

The monitor's life: a drifting run opens the tracking issue and starts the retraining; the next drifting run
edits the same issue and, within the cool-down, starts none; a clean run closes the issue with a note; once
the window has passed, drift opens a new issue and starts the retraining again.
"""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from github import Auth, Github

from mlci.render import drift_issue as md
from tests.conftest import GIT_ENV, offline_index
from tests.e2e.act_support import events
from tests.e2e.act_support.act import Act, ActResult
from tests.e2e.act_support.project import ROOT, export_action_source, git
from tests.e2e.test_actions_act import REQUIREMENTS_CHECK, REQUIREMENTS_STEP, TOKEN, assert_clean_log, job_summary
from tests.github.fake_github import FakeGitHub

pytestmark = pytest.mark.slow

REPO = "acme/churn"
WORKFLOW = ".github/workflows/mlci-drift-monitor.yml"
TEMPLATE = ROOT / "workflows-templates" / "mlci-drift-monitor.yml"
FETCH_STEP = '        run: echo "Edit this step to fetch the current data into the path checks.drift names."\n'
FETCH_COPY = '        run: cp "$MLCI_E2E_CURRENT" data/prod.csv # e2e test: the current data this run gets\n'
POLICY = """\
version: 1
checks:
  drift:
    - reference: data/train.csv
      current: data/prod.csv
"""
MARKER = "<!-- mlci-drift: data/prod.csv -->"


def rows(count: int, seed: int, *, shift: bool) -> list[list[str]]:
    """Customers: age, tenure, plan; ``shift``: older, longer-tenured, and mostly on one plan."""
    rng = random.Random(seed)
    plans = ["basic", "pro", "team"]
    out = []
    for _ in range(count):
        age = rng.gauss(55 if shift else 40, 10)
        tenure = rng.expovariate(1 / (45 if shift else 20))
        plan = rng.choices(plans, weights=[1, 1, 8] if shift else [5, 3, 2])[0]
        out.append([f"{age:.2f}", f"{tenure:.2f}", plan])
    return out


def write_csv(path: Path, data: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["age", "tenure", "plan"])
        writer.writerows(data)
    return path


def monitor_template(*, fetch: str = FETCH_COPY, dvc_update: str | None = None) -> str:
    """The template as shipped, with the requirements step and the user's fetching step replaced."""
    text = TEMPLATE.read_text()
    assert text.count(REQUIREMENTS_STEP) == 1 and text.count(FETCH_STEP) == 1, "the steps the test replaces changed"
    text = text.replace(REQUIREMENTS_STEP, REQUIREMENTS_CHECK).replace(FETCH_STEP, fetch)
    if dvc_update is not None:
        assert text.count('dvc-update: ""') == 1
        text = text.replace('dvc-update: ""', f"dvc-update: {dvc_update}")
    return text


@pytest.fixture(scope="module")
def action_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_action_source(tmp_path_factory.mktemp("mlci-actions-mlci"))


@pytest.fixture(scope="module")
def act_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("act-home")


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    return fake_github


@pytest.fixture
def act(github: FakeGitHub, act_home: Path, action_source: Path, tmp_path: Path, wheelhouse: Path) -> Act:
    return Act(home=act_home, work=tmp_path / "act", action_source=action_source, api_url=github.url, repository=REPO,
               package_index=offline_index(wheelhouse))


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The repository the monitor runs in: the training data, mlci.yaml, the workflow, one commit."""
    root = tmp_path / "churn"
    root.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in GIT_ENV.items():
            mp.setenv(key, value)
        git(root, "init", "-q", "-b", "main")
        write_csv(root / "data" / "train.csv", rows(600, 1, shift=False))
        (root / "mlci.yaml").write_text(POLICY)
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / WORKFLOW).write_text(monitor_template())
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "The training data and the drift monitor")
        yield root


def monitor(act: Act, project: Path, current: Path, run_id: int, event: str = "schedule") -> ActResult:
    payload = (events.workflow_dispatch(repository=REPO, workflow_path=WORKFLOW, inputs={}, branch="main",
                                        default_branch="main")
               if event == "workflow_dispatch" else {"schedule": "23 5 * * *"})
    return act.run(event, payload, project, project / WORKFLOW, token=TOKEN, run_id=run_id,
                   env={"MLCI_E2E_CURRENT": str(current)})


def succeeded(result: ActResult) -> None:
    assert result.returncode == 0 and "Job succeeded" in result.log, str(result)
    assert_clean_log(result)


def test_the_monitor_opens_one_issue_updates_it_closes_it_and_retrains_once_per_window(
        github: FakeGitHub, act: Act, project: Path, tmp_path: Path) -> None:
    shifted = write_csv(tmp_path / "shifted.csv", rows(300, 2, shift=True))
    usual = write_csv(tmp_path / "usual.csv", rows(300, 3, shift=False))

    # 1. The data drifted: the issue opens, the retraining starts.
    first = monitor(act, project, shifted, 7101, event="workflow_dispatch")
    succeeded(first)
    [issue] = github.issues(REPO)
    assert issue["state"] == "open" and issue["title"] == "mlci: data drift in data/prod.csv"
    assert [label["name"] for label in issue["labels"]] == ["mlci-drift"] and issue["body"].startswith(MARKER)
    assert "3 of 3 tested columns drifted (100%; dataset drift at 50%), against `data/train.csv`" in issue["body"]
    assert f"https://github.com/{REPO}/actions/runs/7101" in issue["body"]
    assert "**Retraining:** started `retrain.yml` on `main`" in issue["body"]
    [dispatch] = github.dispatches(REPO)
    assert dispatch["workflow"] == "retrain.yml" and dispatch["ref"] == "main"
    assert dispatch["inputs"] == {"reason": "data drift in data/prod.csv: 3 of 3 columns drifted (100%; dataset drift)"}
    outputs = first.set_outputs()
    assert {k: outputs[k] for k in ("verdict", "drifted-share", "issue-url", "retrain")} == {
        "verdict": "fail", "drifted-share": "1", "issue-url": issue["html_url"], "retrain": "dispatched"}
    summary = job_summary(first.log)
    assert "## mlci drift monitor" in summary and f"[#{issue['number']}]({issue['html_url']}) created" in summary
    # `mlci drift` found the drift (its exit 1), and the job went on to post it.
    assert "Success - Main mlci drift [" in first.log and "FAIL mlci" in first.log

    # 2. Still drifting, on the schedule: the same issue, edited; no second retraining within the cool-down.
    second = monitor(act, project, shifted, 7102)
    succeeded(second)
    [again] = github.issues(REPO)
    assert again["number"] == issue["number"] and again["state"] == "open" and "runs/7102" in again["body"]
    assert "**Retraining:** cooling down" in again["body"] and len(github.dispatches(REPO)) == 1
    assert second.set_outputs()["retrain"] == "cooling-down"
    assert github.comments(REPO, issue["number"]) == []

    # 3. The data is back to normal: the issue is closed, with a note.
    third = monitor(act, project, usual, 7103)
    succeeded(third)
    [closed] = github.issues(REPO)
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    [note] = github.comments(REPO, issue["number"])
    assert note["body"].startswith("**Drift cleared** in `data/prod.csv`") and "runs/7103" in note["body"]
    assert third.set_outputs()["verdict"] == "pass" and third.set_outputs()["retrain"] == "not-needed"
    assert len(github.dispatches(REPO)) == 1

    # 4. A day later the drift is back: a new issue, and, the window over, a new retraining. (The day passes in
    #    the closed issue's record of the last dispatch, which the monitor reads when drift returns.)
    day_before = datetime.now(timezone.utc) - timedelta(hours=25)
    body = re.sub(r"<!-- mlci-drift-retrain: \S+ -->", md.retrain_marker(day_before), closed["body"])
    client = Github(base_url=github.url, auth=Auth.Token(TOKEN), seconds_between_requests=None,
                    seconds_between_writes=None)
    client.get_repo(REPO).get_issue(issue["number"]).edit(body=body)
    fourth = monitor(act, project, shifted, 7104)
    succeeded(fourth)
    old, new = github.issues(REPO)
    assert old["state"] == "closed" and new["state"] == "open" and new["body"].startswith(MARKER)
    assert len(github.dispatches(REPO)) == 2 and fourth.set_outputs()["retrain"] == "dispatched"


def import_production_data(project: Path, source: Path) -> Path:
    """The team's data repository (``source``: git + DVC, this week's prod.csv) and ``project``'s
    `dvc import` of it as data/prod.csv. The source, for the test to move on."""
    source.mkdir()
    dvc = [sys.executable, "-m", "dvc"]
    git(source, "init", "-q", "-b", "main")
    subprocess.run([*dvc, "init", "-q"], cwd=source, check=True)
    write_csv(source / "prod.csv", rows(300, 3, shift=False))
    git(source, "add", ".")
    git(source, "commit", "-q", "-m", "This week's production data")
    subprocess.run([*dvc, "init", "-q"], cwd=project, check=True, capture_output=True)
    subprocess.run([*dvc, "config", "core.analytics", "false"], cwd=project, check=True)
    subprocess.run([*dvc, "import", str(source), "prod.csv", "-o", "data/prod.csv"], cwd=project, check=True,
                   capture_output=True)
    return source


def test_the_monitor_brings_a_dvc_import_up_to_date_first(github: FakeGitHub, act: Act, project: Path,
                                                          tmp_path: Path) -> None:
    """dvc-update: the current data is a `dvc import` of the team's data repository; the action updates it to
    that repository's latest commit before `mlci drift` reads it (the copy committed here is the old one)."""
    source = import_production_data(project, tmp_path / "prod-data")
    (project / WORKFLOW).write_text(monitor_template(fetch='        run: "true" # e2e test: dvc-update fetches it\n',
                                                     dvc_update="data/prod.csv.dvc"))
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "The production data as a DVC import")
    write_csv(source / "prod.csv", rows(300, 2, shift=True))  # the data moved since
    git(source, "commit", "-q", "-am", "Next week's production data")
    result = monitor(act, project, tmp_path / "unused.csv", 7201)
    succeeded(result)
    assert f"Importing 'prod.csv ({source})' -> 'data/prod.csv'" in result.log
    assert "mlci: dvc update data/prod.csv.dvc" in result.log  # `mlci drift --dvc-update`, before it reads
    [issue] = github.issues(REPO)  # the data committed here is like the training data: what drifted is the update
    assert "3 of 3 tested columns drifted" in issue["body"], result.tail()
    assert result.set_outputs()["retrain"] == "dispatched"


PR_MODE = ("          # retrain-mode: pull-request\n", "          retrain-mode: pull-request\n")
NO_WORKFLOW = ("          retrain-workflow: retrain.yml\n", '          retrain-workflow: ""\n')


def test_the_monitor_in_pull_request_mode_opens_the_pr_that_updates_the_dvc_import(
        github: FakeGitHub, act: Act, project: Path, tmp_path: Path) -> None:
    """retrain-mode pull-request, as the template's commented lines say: the dvc-import scenario above, and instead
    of a dispatch ONE pull request whose head commit holds the .dvc file `dvc update` rewrote, on the default
    branch's tree as GitHub holds it."""
    import yaml

    source = import_production_data(project, tmp_path / "prod-data")
    text = monitor_template(fetch='        run: "true" # e2e test: dvc-update fetches it\n',
                            dvc_update="data/prod.csv.dvc")
    for old, new in (PR_MODE, NO_WORKFLOW):
        assert text.count(old) == 1, f"the template's line changed: {old!r}"
        text = text.replace(old, new)
    (project / WORKFLOW).write_text(text)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "The production data as a DVC import")
    old = (project / "data" / "prod.csv.dvc").read_bytes()
    # The default branch as GitHub holds it (the fake's git data API): the files the PR's tree is built on.
    github.commit_files(REPO, "main", {"data/prod.csv.dvc": old, "mlci.yaml": POLICY.encode()})
    main = github.ref(REPO, "refs/heads/main")
    write_csv(source / "prod.csv", rows(300, 2, shift=True))  # the data moved since
    git(source, "commit", "-q", "-am", "Next week's production data")
    latest = git(source, "rev-parse", "HEAD").strip()

    result = monitor(act, project, tmp_path / "unused.csv", 7301)
    succeeded(result)
    assert "mlci: dvc update data/prod.csv.dvc" in result.log
    [pull] = github.pulls(REPO)
    assert pull["state"] == "open" and pull["head"]["ref"] == "mlci/drift-update" and pull["base"]["ref"] == "main"
    assert pull["title"].startswith("Update the data: data drift in data/prod.csv: 3 of 3 columns drifted")
    updated = github.file_at(REPO, pull["head"]["sha"], "data/prod.csv.dvc")
    assert updated is not None and updated != old
    assert yaml.safe_load(updated)["deps"][0]["repo"]["rev_lock"] == latest  # the update, as `dvc update` wrote it
    assert github.file_at(REPO, pull["head"]["sha"], "mlci.yaml") == POLICY.encode()
    commit = github.git_commit(REPO, pull["head"]["sha"])
    assert commit is not None and commit.parents == (main,)
    [issue] = github.issues(REPO)
    assert f"[#{pull['number']}]({pull['html_url']})" in issue["body"] and "which updates the data" in issue["body"]
    assert f"[#{issue['number']}]({issue['html_url']})" in pull["body"]
    assert github.dispatches(REPO) == []
    outputs = result.set_outputs()
    assert outputs["retrain"] == "pull-request-opened" and outputs["pull-request-url"] == pull["html_url"]
