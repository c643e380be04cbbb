"""`mlci drift publish` against the fake GitHub (contract-checked), through the real PyGithub client: the one
tracking issue per dataset (opened once, edited in place, closed when clean), the retraining's dispatch (once per
cool-down window), and GitHub's faults."""

from __future__ import annotations

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
                                         "retrain": "dispatched"}
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
