"""`mlci drift publish` against the fake GitHub (contract-checked), through the real PyGithub client: the one
tracking issue per dataset (opened once, edited in place, closed when clean), the retraining's dispatch (once per
cool-down window) or its pull request that updates the data (opened once, moved and edited later), and GitHub's
faults."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mlci.bundle import write_bundle
from mlci.commands import drift_publish
from mlci.commands.drift_publish import Settings, monitor
from mlci.context import RunContext
from mlci.errors import MlciError
from mlci.github import client
from mlci.github.client import GitHubError, GitHubUnavailable
from mlci.render import drift_issue as md
from mlci.report import Context, GateResult, Report, Revision
from tests.github.fake_github import FakeGitHub

REPO = "acme/churn"
TOKEN = "ghs_mlciDriftToken0123456789abcdef"
READ_ONLY_TOKEN = "ghs_mlciDriftReadOnly0123456789ab"
SHA = "4f1c2a9" + "b" * 33
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
MARKER = "<!-- mlci-drift: data/prod.csv -->"


def column(name: str, drifted: bool) -> dict[str, Any]:
    return {"column": name, "kind": "numeric", "method": "wasserstein_normed", "score": 0.4 if drifted else 0.01,
            "threshold": 0.1, "drifted": drifted, "reference_rows": 1000, "current_rows": 200}


def drift_report(drifted: int = 3, of: int = 4, *, current: str = "data/prod.csv", **pair: Any) -> Report:
    """A bundle as `mlci drift` writes it: ``drifted`` of ``of`` columns drifted (dataset drift at 50%)."""
    cols = [column(f"c{i}", i < drifted) for i in range(of)]
    share = drifted / of
    obj = {"reference": "data/train.csv", "current": current, "dataset_drift": share >= 0.5, "drifted_share": share,
           "threshold_share": 0.5, "columns": cols, **pair}
    gate = GateResult(kind="drift", subject=current, status="fail" if share >= 0.5 else "pass",
                      reason=f"{drifted} of {of} columns drifted")
    context = Context(event="schedule", base=Revision("reference", SHA), head=Revision("workspace", SHA, True),
                      repository="someone/else", run_id="1", server_url="https://evil.example")
    return Report(project="churn", context=context, gates=(gate,), drift=(obj,))


def ctx(fake: FakeGitHub, run_id: str = "9001") -> RunContext:
    return RunContext(event="schedule", repository=REPO, workflow="mlci drift monitor", run_id=run_id,
                      server_url="https://github.com", api_url=fake.url)


def connect(token: str, url: str | None) -> Any:
    return client.connect(token, url, throttle=False, retry_total=4, backoff_factor=0.01, secondary_rate_wait=2)


def publish(fake: FakeGitHub, report: Report | None = None, *, now: datetime = T0, env: dict[str, str] | None = None,
            run_id: str = "9001", **settings: Any) -> drift_publish.Outcome:
    values: dict[str, Any] = {"token": TOKEN, "retrain_workflow": "retrain.yml"} | settings
    return monitor(report or drift_report(), ctx(fake, run_id), Settings(**values), env=env or {}, connect=connect,
                   now=now)


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY_TOKEN, read_only=True)
    fake_github.add_pull(REPO, 1, SHA, SHA)  # a pull request with the label too: never the tracking issue
    return fake_github


def outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's heredocs, as the runner reads them."""
    lines, found = path.read_text().splitlines(), {}
    i = 0
    while i < len(lines):
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        found[name] = "\n".join(lines[i + 1:end])
        i = end + 1
    return found


def test_drift_opens_one_issue_updates_it_in_place_and_a_clean_run_closes_it(fake: FakeGitHub, tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "out")}
    first = publish(fake, env=env)
    [issue] = fake.issues(REPO)
    assert issue["state"] == "open" and [label["name"] for label in issue["labels"]] == ["mlci-drift"]
    assert issue["title"] == "mlci: data drift in data/prod.csv" and issue["body"].startswith(MARKER + "\n")
    assert "3 of 4 tested columns drifted (75%; dataset drift at 50%)" in issue["body"]
    assert "https://github.com/acme/churn/actions/runs/9001" in issue["body"]  # this job's run, not the bundle's
    assert "evil.example" not in issue["body"] and "someone/else" not in issue["body"]
    assert first.issue_urls == [issue["html_url"]] and any("issue #2 created" in m for m in first.messages)
    assert outputs(tmp_path / "out") == {"verdict": "fail", "drifted-share": "0.75", "issue-url": issue["html_url"],
                                         "retrain": "dispatched", "pull-request-url": ""}
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## mlci drift monitor\n\n### 🔴 Data drift in `data/prod.csv`")
    assert f"**Issue:** [#2]({issue['html_url']}) created" in summary and "### ❌ mlci · churn" in summary

    publish(fake, drift_report(2, 4), now=T0 + timedelta(hours=1), run_id="9002")
    [again] = fake.issues(REPO)
    assert again["number"] == issue["number"] and again["state"] == "open"  # edited in place, no second one
    assert "2 of 4 tested columns drifted (50%" in again["body"] and "runs/9002" in again["body"]
    assert fake.comments(REPO, issue["number"]) == []  # an edit, not a comment per run

    clean = publish(fake, drift_report(0, 4), now=T0 + timedelta(hours=2), run_id="9003")
    [closed] = fake.issues(REPO)
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    [note] = fake.comments(REPO, issue["number"])
    assert note["body"].startswith("**Drift cleared** in `data/prod.csv`: 0 of 4 tested columns drifted")
    assert "runs/9003" in note["body"] and clean.retrain == "not-needed" and clean.issue_urls == [issue["html_url"]]

    publish(fake, drift_report(0, 4), now=T0 + timedelta(hours=3), run_id="9004")  # still clean: nothing to do
    assert len(fake.comments(REPO, issue["number"])) == 1 and len(fake.issues(REPO)) == 1


def test_one_retraining_per_cool_down_window_even_across_a_closed_issue(fake: FakeGitHub) -> None:
    publish(fake)
    assert fake.dispatches(REPO) == [{"repo": REPO, "workflow": "retrain.yml", "ref": "main", "inputs": {
        "reason": "data drift in data/prod.csv: 3 of 4 columns drifted (75%; dataset drift)"}}]
    [issue] = fake.issues(REPO)
    assert md.dispatched_at(issue["body"]) == T0 and "**Retraining:** started `retrain.yml` on `main`" in issue["body"]

    cooling = publish(fake, now=T0 + timedelta(hours=5), run_id="9002")
    assert len(fake.dispatches(REPO)) == 1 and cooling.retrain == "cooling-down"
    [issue] = fake.issues(REPO)
    assert "**Retraining:** cooling down" in issue["body"] and "can start after 2026-12-03 06:00 UTC" in issue["body"]
    assert md.dispatched_at(issue["body"]) == T0  # the record is kept

    publish(fake, drift_report(0, 4), now=T0 + timedelta(hours=6), run_id="9003")  # cleared: closed
    returned = publish(fake, now=T0 + timedelta(hours=7), run_id="9004")  # drift is back within the window
    assert returned.retrain == "cooling-down" and len(fake.dispatches(REPO)) == 1
    old, new = fake.issues(REPO)
    assert old["state"] == "closed" and new["state"] == "open" and new["body"].startswith(MARKER)
    assert md.dispatched_at(new["body"]) == T0  # carried over from the closed issue

    later = publish(fake, now=T0 + timedelta(hours=24, minutes=1), run_id="9005")
    assert later.retrain == "dispatched" and len(fake.dispatches(REPO)) == 2
    assert md.dispatched_at(fake.issues(REPO)[1]["body"]) == T0 + timedelta(hours=24, minutes=1)


def test_the_retrain_share_the_bundle_or_the_option_sets(fake: FakeGitHub) -> None:
    below = publish(fake, drift_report(1, 4, retrain_share=0.5))  # 25% drifted: no dataset drift, below 50%
    assert below.retrain == "not-needed" and fake.dispatches(REPO) == [] and fake.issues(REPO) == []
    at = publish(fake, drift_report(1, 4, retrain_share=0.25), run_id="9002")
    assert at.retrain == "dispatched" and "retrain share 25%" in fake.dispatches(REPO)[0]["inputs"]["reason"]
    [issue] = fake.issues(REPO)  # drifting at the retrain share: tracked too, though below the dataset's threshold
    assert "### 🟠 Drift in `data/prod.csv`: below the dataset's threshold" in issue["body"]
    overridden = publish(fake, drift_report(3, 4, retrain_share=0.25), now=T0 + timedelta(days=2), run_id="9003",
                         retrain_share=0.9)
    assert overridden.retrain == "not-needed" and len(fake.dispatches(REPO)) == 1
    assert "not needed (below the retrain share 90%)" in fake.issues(REPO)[0]["body"]


def test_without_a_retraining_workflow_the_issue_says_so(fake: FakeGitHub) -> None:
    outcome = publish(fake, retrain_workflow=None, retrain_ref=None)
    assert outcome.retrain == "not-configured" and fake.dispatches(REPO) == []
    assert "no retraining workflow is set" in fake.issues(REPO)[0]["body"]


def test_the_retraining_runs_on_the_ref_given(fake: FakeGitHub) -> None:
    fake.add_branch(REPO, "retrain-base", SHA)
    publish(fake, retrain_workflow=".github/workflows/retrain.yml", retrain_ref="retrain-base")
    assert [(d["workflow"], d["ref"]) for d in fake.dispatches(REPO)] == [("retrain.yml", "retrain-base")]
    with pytest.raises(GitHubError, match="No ref found for: nowhere.*declare the inputs reason") as caught:
        publish(fake, now=T0 + timedelta(days=3), retrain_ref="nowhere")
    assert caught.value.exit_code == 2 and len(fake.dispatches(REPO)) == 1
    [issue] = fake.issues(REPO)  # the issue still says what happened, and keeps the last dispatch's time
    assert "but `retrain.yml` could not be started: GitHub answered 422: No ref found for: nowhere" in issue["body"]
    assert md.dispatched_at(issue["body"]) == T0


def test_a_502_after_the_create_leaves_one_issue(fake: FakeGitHub) -> None:
    """GitHub made the issue, its answer was lost: the POST is not repeated, the issue is found instead."""
    fake.inject("POST", rf"/repos/{REPO}/issues$", status=502, after=True)
    outcome = publish(fake)
    [issue] = fake.issues(REPO)
    assert issue["state"] == "open" and outcome.issue_urls == [issue["html_url"]]
    assert [r.status for r in fake.requests if r.method == "POST" and r.path.endswith("/issues")] == [502]


def test_a_dropped_connection_on_create_without_the_write_is_tried_again(fake: FakeGitHub) -> None:
    fake.inject("POST", rf"/repos/{REPO}/issues$", drop=True)  # dropped before GitHub made anything
    publish(fake)
    assert len(fake.issues(REPO)) == 1
    assert [r.status for r in fake.requests if r.method == "POST" and r.path.endswith("/issues")] == [0, 201]


def test_a_lost_answer_to_the_dispatch_is_not_repeated(fake: FakeGitHub) -> None:
    fake.inject("POST", r"/dispatches$", status=502, after=True)
    with pytest.raises(GitHubUnavailable) as caught:
        publish(fake)
    assert caught.value.exit_code == 4 and len(fake.dispatches(REPO)) == 1  # one retraining, never two
    [issue] = fake.issues(REPO)
    assert "could not be started: GitHub is unavailable" in issue["body"]


def test_rate_limits_are_waited_out(fake: FakeGitHub) -> None:
    fake.secondary_rate_limit("POST", rf"/repos/{REPO}/issues$", retry_after=1)
    fake.primary_rate_limit("GET", rf"/repos/{REPO}/issues$", reset_in=1)
    publish(fake)
    assert len(fake.issues(REPO)) == 1 and len(fake.dispatches(REPO)) == 1


def test_github_down_is_exit_4_and_the_summary_says_so(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject("GET", rf"/repos/{REPO}/issues$", status=503, times=10)
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    with pytest.raises(GitHubUnavailable) as caught:
        publish(fake, env=env)
    assert caught.value.exit_code == 4 and fake.issues(REPO) == []
    assert "> GitHub: GitHub is unavailable" in (tmp_path / "summary.md").read_text()


def test_a_read_only_token_names_the_permission_it_lacks(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubError) as caught:
        publish(fake, token=READ_ONLY_TOKEN, retrain_workflow=None)
    assert caught.value.exit_code == 2 and caught.value.status == 403
    assert "Resource not accessible by integration: the token needs `issues: write`" in str(caught.value)
    assert "GitHub accepts issues=write" in str(caught.value) and READ_ONLY_TOKEN not in str(caught.value)
    fake.inject("POST", r"/dispatches$", status=403, headers={"x-accepted-github-permissions": "actions=write"},
                body={"message": "Resource not accessible by integration", "status": "403"})
    with pytest.raises(GitHubError, match="the token needs `actions: write` \\(GitHub accepts actions=write\\)"):
        publish(fake)  # issues: write, but not actions: write
    [issue] = fake.issues(REPO)
    assert "could not be started: GitHub answered 403: Resource not accessible by integration" in issue["body"]


def test_a_persons_issue_with_the_marker_is_never_taken_over(fake: FakeGitHub) -> None:
    fake.add_issue(REPO, "copied", MARKER + "\nI pasted the bot's text", labels=["mlci-drift"], user="octocat")
    fake.add_issue(REPO, "no label", MARKER + "\n", user="github-actions[bot]")
    publish(fake)
    mine = [i for i in fake.issues(REPO) if i["user"]["login"] == "github-actions[bot]" and i["labels"]]
    assert len(mine) == 1 and mine[0]["number"] == 4
    assert fake.issues(REPO)[0]["body"] == MARKER + "\nI pasted the bot's text"


def test_two_open_issues_left_by_a_race_become_one(fake: FakeGitHub) -> None:
    for _ in range(2):
        fake.add_issue(REPO, "mlci: data drift in data/prod.csv", MARKER + "\nold", labels=["mlci-drift"])
    publish(fake)
    first, second = fake.issues(REPO)
    assert first["state"] == "open" and "3 of 4 tested columns" in first["body"]
    assert second["state"] == "closed" and second["state_reason"] == "duplicate"


def test_each_dataset_has_its_own_issue(fake: FakeGitHub) -> None:
    eu = drift_report(current="data/eu.csv").drift[0]
    us = drift_report(0, 4, current="data/us.csv").drift[0]
    report = replace(drift_report(), drift=(eu, us))
    outcome = publish(fake, report)
    [issue] = fake.issues(REPO)
    assert issue["body"].startswith("<!-- mlci-drift: data/eu.csv -->") and outcome.issue_urls == [issue["html_url"], ""]
    publish(fake, replace(report, drift=(eu, {**us, **drift_report(current="data/us.csv").drift[0]})),
            now=T0 + timedelta(hours=1), run_id="9002")
    eu_issue, us_issue = fake.issues(REPO)
    assert us_issue["body"].startswith("<!-- mlci-drift: data/us.csv -->") and eu_issue["number"] == issue["number"]
    assert len(fake.dispatches(REPO)) == 1  # one retraining for the repository, in the window


def test_request_budget_of_a_drifting_run(fake: FakeGitHub) -> None:
    publish(fake)
    fake.reset_requests()
    publish(fake, now=T0 + timedelta(hours=1), run_id="9002")
    assert len(fake.requests) <= 4, fake.requests  # list open, list closed, edit (cooling down: no dispatch)


def test_local_mode_posts_nothing_and_says_what_it_would(fake: FakeGitHub, tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "out")}
    local = monitor(drift_report(), RunContext(), Settings(token=None, retrain_workflow="retrain.yml"), env=env)
    assert local.local and fake.requests == [] and local.retrain == "local"
    assert any("local mode, no token" in m for m in local.messages)
    assert any("would start retrain.yml" in m for m in local.messages)
    assert "would be opened or updated (local mode)" in (tmp_path / "summary.md").read_text()
    assert outputs(tmp_path / "out")["retrain"] == "local"


def test_bad_options_are_one_line(fake: FakeGitHub) -> None:
    with pytest.raises(MlciError, match="--label 'a,b': a GitHub label of 1 to 50 characters, without a comma"):
        publish(fake, label="a,b")
    with pytest.raises(MlciError, match="--retrain-workflow 'ci/retrain': the workflow's file name"):
        publish(fake, retrain_workflow="ci/retrain")
    with pytest.raises(MlciError, match="--cooldown inf: hours, from 0 to 87,840"):
        publish(fake, cooldown_hours=float("inf"))
    with pytest.raises(MlciError, match="--retrain-share nan: a share of the tested columns, from 0 to 1"):
        publish(fake, retrain_share=float("nan"))
    with pytest.raises(MlciError, match="the bundle holds no drift results"):
        publish(fake, replace(drift_report(), drift=()))
    assert fake.requests == []


def test_the_command_reads_the_bundle_and_fails_on_drift_when_asked(fake: FakeGitHub, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`mlci drift publish` as the action runs it: the bundle `mlci drift` wrote, the job's environment."""
    bundle = write_bundle(drift_report(), tmp_path / "mlci-drift", "# report\n")
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url,
                       "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "77", "GITHUB_EVENT_NAME": "schedule",
                       "GITHUB_TOKEN": TOKEN, "GITHUB_OUTPUT": str(tmp_path / "out")}.items():
        monkeypatch.setenv(key, value)
    lines: list[str] = []
    said = lambda text, nl=True: lines.append(text)  # noqa: E731
    assert drift_publish.run(Settings(bundle=bundle, echo=said)) == 0
    assert drift_publish.run(Settings(bundle=bundle, fail_on_drift=True, echo=said)) == 1
    [issue] = fake.issues(REPO)
    assert "runs/77" in issue["body"] and outputs(tmp_path / "out")["issue-url"] == issue["html_url"]
    assert any(line.startswith("mlci: drift in data/prod.csv: 3 of 4 tested columns drifted") for line in lines)
    clean = write_bundle(drift_report(0, 4), tmp_path / "clean", "# report\n")
    assert drift_publish.run(Settings(bundle=clean, fail_on_drift=True, echo=said)) == 0
    assert fake.issues(REPO)[0]["state"] == "closed"


# --- retrain-mode pull-request: ONE pull request that updates the data -----------------------------------------------

DVC_FILE = "data/prod.csv.dvc"
BRANCH = "refs/heads/mlci/drift-update"


def dvc_file(md5: str) -> bytes:
    """A .dvc file of a `dvc import`ed dataset, as `dvc update` leaves it (its data's hash moved)."""
    return (f"md5: {md5}\nfrozen: true\ndeps:\n- path: prod.csv\n  repo:\n    url: ../prod-data\n"
            f"    rev_lock: {md5[:8]}{'0' * 32}\nouts:\n- md5: {md5}\n  size: 1234\n  hash: md5\n"
            "  path: prod.csv\n").encode()


OLD, NEW, NEWER = dvc_file("a" * 32), dvc_file("b" * 32), dvc_file("c" * 32)


@pytest.fixture
def workspace(fake: FakeGitHub, tmp_path: Path) -> Path:
    """The checkout the monitor runs in (a git repository; `dvc update` just rewrote the .dvc file), and the
    default branch on GitHub with the old .dvc file and mlci.yaml."""
    from mlci import git

    root = tmp_path / "churn"
    (root / "data").mkdir(parents=True)
    git.command(root, "init", "-q", "-b", "main")
    (root / DVC_FILE).write_bytes(NEW)
    fake.commit_files(REPO, "main", {DVC_FILE: OLD, "mlci.yaml": b"version: 1\n"}, message="The training data")
    return root


def publish_pr(fake: FakeGitHub, workspace: Path, report: Report | None = None, **settings: Any) -> drift_publish.Outcome:
    values: dict[str, Any] = {"retrain_mode": "pull-request", "update_files": (DVC_FILE,), "cwd": workspace} | settings
    return publish(fake, report, **values)


def pull_posts(fake: FakeGitHub) -> list[int]:
    return [r.status for r in fake.requests if r.method == "POST" and r.path.endswith("/pulls")]


def test_pull_request_mode_opens_one_pr_then_moves_its_branch_and_edits_it(fake: FakeGitHub, workspace: Path,
                                                                            tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "out")}
    main = fake.ref(REPO, "refs/heads/main")
    first = publish_pr(fake, workspace, env=env)
    [pull] = [p for p in fake.pulls(REPO) if p["number"] != 1]
    [issue] = fake.issues(REPO)
    assert pull["state"] == "open" and pull["head"]["ref"] == "mlci/drift-update" and pull["base"]["ref"] == "main"
    assert pull["title"] == "Update the data: data drift in data/prod.csv: 3 of 4 columns drifted (75%; dataset drift)"
    assert "3 of 4 tested columns drifted" in pull["body"] and f"`{DVC_FILE}`" in pull["body"]
    assert f"[#{issue['number']}]({issue['html_url']})" in pull["body"]  # the issue opened after it: linked
    head = fake.ref(REPO, BRANCH)
    assert pull["head"]["sha"] == head and fake.file_at(REPO, head, DVC_FILE) == NEW
    assert fake.file_at(REPO, head, "mlci.yaml") == b"version: 1\n"  # on the default branch's tree
    commit = fake.git_commit(REPO, head)
    assert commit is not None and commit.parents == (main,) and commit.message.startswith("mlci: update the data")
    assert fake.dispatches(REPO) == [] and first.retrain == "pull-request-opened"  # retrain.yml is not started
    assert outputs(tmp_path / "out")["retrain"] == "pull-request-opened"
    assert outputs(tmp_path / "out")["pull-request-url"] == pull["html_url"] == first.pull_request_url
    assert f"**Retraining:** opened [#{pull['number']}]({pull['html_url']}), which updates the data" in issue["body"]
    assert md.dispatched_at(issue["body"]) == T0  # the cool-down's record, as for a dispatch
    assert f"opened [#{pull['number']}]" in (tmp_path / "summary.md").read_text()

    (workspace / DVC_FILE).write_bytes(NEWER)  # the next week's data, within the cool-down: nothing
    cooling = publish_pr(fake, workspace, now=T0 + timedelta(hours=5), run_id="9002")
    assert cooling.retrain == "cooling-down" and fake.ref(REPO, BRANCH) == head
    assert "the data's pull request was updated at 2026-12-02 06:00 UTC" in fake.issues(REPO)[0]["body"]

    fake.commit_files(REPO, "main", {"README.md": b"# churn\n"})  # the default branch moved meanwhile
    later = publish_pr(fake, workspace, now=T0 + timedelta(hours=25), run_id="9003")
    [moved] = [p for p in fake.pulls(REPO) if p["number"] != 1]
    assert later.retrain == "pull-request-updated" and moved["number"] == pull["number"]  # edited, no second PR
    new_head = fake.ref(REPO, BRANCH)
    assert new_head != head and moved["head"]["sha"] == new_head and fake.file_at(REPO, new_head, DVC_FILE) == NEWER
    made = fake.git_commit(REPO, new_head)
    assert made is not None and made.parents == (fake.ref(REPO, "refs/heads/main"),)  # rebuilt on the new head
    assert "runs/9003" in moved["body"] and pull_posts(fake) == [201]
    assert md.dispatched_at(fake.issues(REPO)[0]["body"]) == T0 + timedelta(hours=25)

    fake.reset_requests()  # the files are what the PR proposes: nothing written
    same = publish_pr(fake, workspace, now=T0 + timedelta(hours=50), run_id="9004")
    assert same.retrain == "pull-request-unchanged" and fake.ref(REPO, BRANCH) == new_head
    assert not [r for r in fake.requests if r.method == "POST" or "/pulls/" in r.path and r.method == "PATCH"]
    assert md.dispatched_at(fake.issues(REPO)[0]["body"]) == T0 + timedelta(hours=25)  # nothing was updated
    assert same.pull_request_url == pull["html_url"] and "already proposes this data" in fake.issues(REPO)[0]["body"]


def test_nothing_when_the_default_branch_holds_the_files_already(fake: FakeGitHub, workspace: Path) -> None:
    (workspace / DVC_FILE).write_bytes(OLD)  # `dvc update` found nothing new
    outcome = publish_pr(fake, workspace)
    assert outcome.retrain == "pull-request-current" and outcome.pull_request_url == ""
    assert fake.ref(REPO, BRANCH) is None and [p["number"] for p in fake.pulls(REPO)] == [1]
    assert not [r for r in fake.requests if r.method == "POST" and "/git/" in r.path]
    assert "the default branch already holds this data" in fake.issues(REPO)[0]["body"]
    assert md.dispatched_at(fake.issues(REPO)[0]["body"]) is None  # no update: the cool-down does not start


def test_a_502_after_the_pull_request_is_made_leaves_one(fake: FakeGitHub, workspace: Path) -> None:
    """GitHub opened the PR, its answer was lost: the POST is not repeated, the PR is found instead."""
    fake.inject("POST", rf"/repos/{REPO}/pulls$", status=502, after=True)
    outcome = publish_pr(fake, workspace)
    pulls = [p for p in fake.pulls(REPO) if p["number"] != 1]
    assert len(pulls) == 1 and pull_posts(fake) == [502] and outcome.retrain == "pull-request-opened"
    assert outcome.pull_request_url == pulls[0]["html_url"]


def test_a_pull_request_github_refuses_fails_the_run_after_the_issue(fake: FakeGitHub, workspace: Path) -> None:
    fake.inject("POST", rf"/repos/{REPO}/pulls$", status=403, headers={"x-accepted-github-permissions":
                                                                      "pull_requests=write"},
                body={"message": "Resource not accessible by integration", "status": "403"})
    with pytest.raises(GitHubError, match="the token needs `contents: write` and `pull-requests: write`"):
        publish_pr(fake, workspace)
    [issue] = fake.issues(REPO)  # the issue still says what happened
    assert "could not be opened or updated: GitHub answered 403" in issue["body"]
    assert md.dispatched_at(issue["body"]) is None


def test_pull_request_mode_reads_regular_files_of_the_repository_only(fake: FakeGitHub, workspace: Path,
                                                                      tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.dvc"
    outside.write_bytes(NEW)
    (workspace / "data" / "link.dvc").symlink_to(outside)
    (workspace / "linked").symlink_to(tmp_path)
    cases = {"data/link.dvc": "data/link.dvc is a symbolic link", "linked/elsewhere.dvc": "linked is a symbolic link",
             "../elsewhere.dvc": "relative to the working directory", str(outside): "relative to the working",
             "data/prod.csv": "a .dvc file", "data/none.dvc": "no such file"}
    for name, message in cases.items():
        with pytest.raises(MlciError, match=f"--update-file {re.escape(name)}: .*{re.escape(message)}"):
            publish_pr(fake, workspace, update_files=(name,))
    with pytest.raises(MlciError, match="no --update-file"):
        publish_pr(fake, workspace, update_files=())
    with pytest.raises(MlciError, match="--retrain-mode 'pr': dispatch or pull-request"):
        publish_pr(fake, workspace, retrain_mode="pr")
    assert fake.requests == []  # refused before any request


def test_pull_request_mode_in_a_subfolder_and_in_local_mode(fake: FakeGitHub, workspace: Path) -> None:
    """A working directory below the repository's root: the PR names the file by its path in the repository."""
    sub = workspace / "ml"
    (sub / "data").mkdir(parents=True)
    (sub / DVC_FILE).write_bytes(NEW)
    publish_pr(fake, workspace, cwd=sub)
    assert fake.file_at(REPO, str(fake.ref(REPO, BRANCH)), f"ml/{DVC_FILE}") == NEW
    local = monitor(drift_report(), RunContext(), Settings(token=None, retrain_mode="pull-request",
                                                           update_files=(DVC_FILE,), cwd=workspace), env={})
    assert local.retrain == "local" and any(f"would open or update the pull request of {DVC_FILE}" in m
                                            for m in local.messages)
