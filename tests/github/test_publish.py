"""`mlci publish` against the fake GitHub (contract-checked), through the real PyGithub client."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlci.context import RunContext
from mlci.errors import ConfigError, MlciError
from mlci.evaluate import pipeline_failed
from mlci.github import client
from mlci.publish import PublishSettings, publish
from mlci.report import GateResult, PolicyInfo, Revision
from tests.render_helpers import pr_context, small_report

REPO = "acme/churn"
BASE = "9e0b7d3" + "a" * 33
HEAD = "4f1c2a9" + "b" * 33
MERGE = "c" * 40
TOKEN = "ghs_mlciTestToken0123456789abcdef"
READ_ONLY_TOKEN = "ghs_mlciReadOnly0123456789abcdef"
TRUSTED_POLICY = "version: 1\nmetrics:\n  accuracy:\n    max_drop: 0.01\n"


def report(verdict: str = "fail", **ctx: Any):  # type: ignore[no-untyped-def]
    gates = (GateResult(kind="metric", subject="accuracy", status="fail" if verdict == "fail" else "pass",
                        reason="accuracy dropped by 0.017; the policy allows 0.01", rule="max drop 0.01", line=4),)
    context = pr_context(base=Revision("main", BASE), head=Revision("workspace", MERGE, True), pr_head_sha=HEAD,
                         pr_number=42, **ctx)
    return replace(small_report(context=context), policy=PolicyInfo("mlci.yaml", "base", "main", BASE), gates=gates)


def ctx_for(fake: Any, event: str = "pull_request", **payload: Any) -> RunContext:
    """This job's context; a pull_request event's payload names PR #42 at HEAD unless given."""
    if event in ("pull_request", "pull_request_target") and not payload:
        payload = {"number": 42, "pull_request": {"number": 42, "head": {"sha": HEAD}, "base": {"sha": BASE}}}
    return RunContext(event=event, payload=payload, repository=REPO, workflow="ml", run_id="118",
                      server_url="https://github.com", api_url=fake.url)


def run(fake: Any, rep: Any = None, settings: PublishSettings | None = None, env: dict[str, str] | None = None,
        ctx: RunContext | None = None, token: str = TOKEN):  # type: ignore[no-untyped-def]
    def connect(tok: str, url: str | None):  # type: ignore[no-untyped-def]
        return client.connect(tok, url, throttle=False, retry_total=4, backoff_factor=0.01, secondary_rate_wait=2)

    settings = settings or PublishSettings(token=token)
    return publish(rep or report(), ctx or ctx_for(fake), replace(settings, token=token), env=env or {}, connect=connect)


@pytest.fixture
def fake(fake_github: Any) -> Any:
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 42, HEAD, BASE)
    fake_github.add_token(TOKEN)
    fake_github.add_token(READ_ONLY_TOKEN, read_only=True)
    # The default branch's policy, which a fork-safe publish job (workflow_run) judges with.
    fake_github.add_file(REPO, "mlci.yaml", TRUSTED_POLICY)
    return fake_github


def test_publish_posts_one_comment_one_check_and_the_summary(fake: Any, tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "out")}
    result = run(fake, env=env)
    [comment] = fake.comments(REPO, 42)
    assert comment["body"].startswith('<!-- mlci:report workflow="ml" project="churn" -->\n### ❌ mlci · churn')
    assert result.comment is not None and result.comment.action == "created" and result.comment.url == comment["html_url"]
    [check] = fake.check_runs(REPO, HEAD)
    assert check["name"] == "mlci" and check["conclusion"] == "failure" and check["head_sha"] == HEAD
    assert check["output"]["annotations"][0]["path"] == "mlci.yaml" and check["output"]["annotations"][0]["start_line"] == 4
    assert fake.check_runs(REPO, MERGE) == []  # the PR head, not the merge commit
    assert (tmp_path / "summary.md").read_text().startswith("<!-- mlci:report")
    outputs = (tmp_path / "out").read_text()
    assert "verdict<<ghadelimiter_" in outputs and "\nfail\n" in outputs and comment["html_url"] in outputs


def test_publishing_twice_edits_in_place(fake: Any) -> None:
    run(fake)
    second = run(fake, rep=report("pass"))
    [comment] = fake.comments(REPO, 42)
    assert "### ✅ mlci · churn" in comment["body"]
    assert second.comment is not None and second.comment.action == "updated"
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "success"



def test_a_failed_pipeline_edits_the_comment_and_fails_the_check_without_annotations(fake: Any) -> None:
    """After a passing run, a push that breaks training: the same comment says so (no stale
    "pass" left), the check fails, and no annotation points into mlci.yaml for it."""
    run(fake, rep=report("pass"))
    failed = report("pass")
    assert failed.repro is not None
    failure = "`dvc repro` failed in stage 'train' with exit code 255"
    stages = (*failed.repro.stages[:1], replace(failed.repro.stages[1], state="failed"))
    failed = replace(failed, repro=replace(failed.repro, stages=stages, failure=failure),
                     gates=(pipeline_failed(failure, policy_file="mlci.yaml"),))
    result = run(fake, rep=failed)
    [comment] = fake.comments(REPO, 42)
    assert result.comment is not None and result.comment.action == "updated"
    assert "### ❌ mlci · churn: the pipeline failed\n" in comment["body"]
    assert "failed in stage 'train' with exit code 255" in comment["body"]
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "failure" and check["output"]["annotations"] == []
    assert check["output"]["title"].endswith("the pipeline failed")


def test_request_budget_under_six(fake: Any) -> None:
    for i in range(30):
        fake.add_comment(REPO, 42, f"earlier comment {i}", user="someone")
    run(fake)
    fake.reset_requests()
    run(fake)
    assert len(fake.requests) <= 6, fake.requests


def test_mode_new_reposts_and_off_posts_nothing(fake: Any) -> None:
    first = run(fake)
    again = run(fake, settings=PublishSettings(comment="new"))
    [comment] = fake.comments(REPO, 42)
    assert again.comment is not None and again.comment.action == "recreated"
    assert first.comment is not None and comment["id"] != first.comment.comment_id
    off = run(fake, settings=PublishSettings(comment="off"))
    assert off.comment is not None and off.comment.action == "skipped"
    assert len(fake.comments(REPO, 42)) == 1


def test_mode_once_does_not_recreate_a_deleted_comment(fake: Any) -> None:
    run(fake, settings=PublishSettings(comment="once"))
    [comment] = fake.comments(REPO, 42)
    fake.delete_comment(REPO, comment["id"])  # a person deletes it
    new_head = "d" * 40
    fake.add_pull(REPO, 42, new_head, BASE, commits=[HEAD, new_head])  # the PR moves on
    rep = report()
    rep = replace(rep, context=replace(rep.context, pr_head_sha=new_head))
    moved = ctx_for(fake, number=42, pull_request={"number": 42, "head": {"sha": new_head}, "base": {"sha": BASE}})
    result = run(fake, rep=rep, settings=PublishSettings(comment="once"), ctx=moved)
    assert result.comment is not None and result.comment.action == "skipped"
    assert fake.comments(REPO, 42) == []
    assert len(fake.check_runs(REPO, new_head)) == 1


def test_takes_over_a_cml_comment(fake: Any) -> None:
    cml = fake.add_comment(REPO, 42, '## Report\n![](https://cml.dev/watermark.png#abc123 "CML watermark ")',
                           user="github-actions[bot]", bot=True)
    result = run(fake, settings=PublishSettings(take_over_cml=True))
    [comment] = fake.comments(REPO, 42)
    assert comment["id"] == cml["id"] and comment["body"].startswith("<!-- mlci:report")
    assert result.comment is not None and result.comment.action == "updated"


def test_read_only_token_explains_the_fork_safe_workflow(fake: Any, tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    with pytest.raises(MlciError) as exc:
        run(fake, token=READ_ONLY_TOKEN, env=env)
    message = str(exc.value)
    assert "read-only token" in message and "workflow_run" in message and "\n" not in message
    assert READ_ONLY_TOKEN not in message
    assert (tmp_path / "summary.md").exists()


def test_no_checks_permission_falls_back_to_a_status(fake: Any) -> None:
    fake.inject("POST", r"/check-runs$", status=403,
                body={"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com"})
    result = run(fake)
    assert result.check is not None and result.check.kind == "status"
    [status] = fake.statuses(REPO, HEAD)
    assert status["context"] == "mlci" and status["state"] == "failure"
    assert len(fake.comments(REPO, 42)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502},
        {"status": 403, "headers": {"retry-after": "1"},
         "body": {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                  "documentation_url": "https://docs.github.com"}},
        {"drop": True},
    ],
    ids=["502", "secondary-rate-limit", "dropped-connection"],
)
def test_faults_still_end_with_one_comment_and_a_correct_check(fake: Any, fault: dict[str, Any]) -> None:
    fake.inject("POST", r"/issues/42/comments$", **fault)
    fake.inject("POST", r"/check-runs$", **fault)
    run(fake)
    assert len(fake.comments(REPO, 42)) == 1
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "failure"


def test_two_publishers_racing_end_with_one_comment(fake: Any) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def go() -> None:
        try:
            barrier.wait()
            run(fake)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(fake.comments(REPO, 42)) == 1


def test_local_mode_without_token(tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    result = publish(report(), RunContext(), PublishSettings(token=None), env=env)
    assert result.local and result.comment is None
    assert any("would post" in m for m in result.messages)
    assert (tmp_path / "s.md").read_text().startswith("<!-- mlci:report")


def test_workflow_run_publishes_a_fork_bundle_after_cross_checks(fake: Any) -> None:
    run_payload = {"workflow_run": {"head_sha": HEAD, "pull_requests": [], "event": "pull_request"}}
    result = run(fake, ctx=ctx_for(fake, "workflow_run", **run_payload))
    assert result.pr_number == 42 and len(fake.comments(REPO, 42)) == 1

    forged = {"workflow_run": {"head_sha": "e" * 40, "pull_requests": []}}
    with pytest.raises(MlciError, match="is not the workflow run's"):
        run(fake, ctx=ctx_for(fake, "workflow_run", **forged))


def test_a_branch_heading_two_prs_publishes_the_bundles_own(fake: Any) -> None:
    """workflow_run lists every PR the branch heads; the bundle of the second one is not refused."""
    fake.add_pull(REPO, 43, HEAD, BASE)
    two = {"workflow_run": {"id": 7, "name": "mlci (fork-safe)", "head_sha": HEAD, "event": "pull_request",
                            "pull_requests": [{"number": 42}, {"number": 43}]}}
    rep = replace(report(), context=replace(report().context, pr_number=43))
    result = run(fake, rep=rep, ctx=ctx_for(fake, "workflow_run", **two))
    assert result.pr_number == 43 and len(fake.comments(REPO, 43)) == 1 and fake.comments(REPO, 42) == []
    with pytest.raises(MlciError, match=r"the bundle says PR #44, the workflow run lists #42, #43"):
        run(fake, rep=replace(rep, context=replace(rep.context, pr_number=44)), ctx=ctx_for(fake, "workflow_run", **two))
    with pytest.raises(MlciError, match=r"the bundle says PR #None, the workflow run lists #42, #43"):
        run(fake, rep=replace(rep, context=replace(rep.context, pr_number=None)), ctx=ctx_for(fake, "workflow_run", **two))


@pytest.mark.parametrize(("event", "payload", "env", "claim", "refusal"), [
    # the bundle names another PR than the pull_request event
    ("pull_request", None, {}, {"pr_number": 7}, "the bundle says PR #7, the pull_request event says PR #42"),
    ("pull_request_target", None, {}, {"pr_head_sha": "e" * 40}, "is not the pull_request_target event's"),
    # a push has no PR: a bundle naming one is refused, and so is another commit
    ("push", {"after": HEAD}, {}, {}, "the bundle says PR #42, the push run says none"),
    ("push", {"after": "e" * 40}, {}, {"pr_number": None}, "is not the push run's"),
    ("workflow_dispatch", {}, {"GITHUB_SHA": "e" * 40}, {"pr_number": None}, "is not the workflow_dispatch run's"),
    ("workflow_dispatch", {}, {}, {"pr_number": None}, "names no commit"),
])
def test_the_pr_and_commit_are_cross_checked_in_every_event(fake: Any, event: str, payload: dict[str, Any] | None,
                                                            env: dict[str, str], claim: dict[str, Any], refusal: str) -> None:
    rep = replace(report(), context=replace(report().context, **claim))
    ctx = ctx_for(fake, event, **(payload or {}))
    with pytest.raises(MlciError, match=refusal):
        run(fake, rep=rep, ctx=ctx, env=env)
    assert fake.comments(REPO, 42) == [] and fake.check_runs(REPO, HEAD) == [] and fake.check_runs(REPO, "e" * 40) == []


def test_a_push_publishes_the_check_on_its_own_commit(fake: Any) -> None:
    rep = replace(report(), context=replace(report().context, event="push", pr_number=None, pr_head_sha=None,
                                             head=Revision("workspace", HEAD, True)))
    result = run(fake, rep=rep, ctx=ctx_for(fake, "push", after=HEAD))
    assert result.pr_number is None and result.comment is None
    assert [c["conclusion"] for c in fake.check_runs(REPO, HEAD)] == ["failure"]


def test_links_and_annotations_come_from_the_trusted_side(fake: Any) -> None:
    """A bundle saying https://evil.example, another run and another file gets none of them:
    the links name this job's server and the workflow run GitHub's event names; under
    workflow_run the annotations go to the policy file this job names, at its first line."""
    rep = report()
    rep = replace(rep, context=replace(rep.context, server_url="https://evil.example", run_id="666", workflow="ml",
                                       repository="evil/repo"))
    run(fake, rep=rep)  # a pull_request job: its own context
    [comment] = fake.comments(REPO, 42)
    [check] = fake.check_runs(REPO, HEAD)
    assert "evil" not in comment["body"] and "666" not in comment["body"]
    assert "https://github.com/acme/churn/actions/runs/118" in comment["body"]
    assert check["details_url"] == "https://github.com/acme/churn/actions/runs/118"

    fork = {"workflow_run": {"id": 119, "name": "ml", "head_sha": HEAD, "event": "pull_request", "pull_requests": []}}
    rep = replace(rep, policy=replace(rep.policy, file=".github/workflows/deploy.yml"))
    run(fake, rep=rep, ctx=ctx_for(fake, "workflow_run", **fork))
    [comment] = fake.comments(REPO, 42)
    [check] = fake.check_runs(REPO, HEAD)
    assert "evil" not in comment["body"] and "https://github.com/acme/churn/actions/runs/119" in comment["body"]
    assert check["details_url"] == "https://github.com/acme/churn/actions/runs/119"
    # GitHub appends the annotations of each update: the first run's (its own bundle), then the fork's,
    # at the line of the trusted policy's own gate (TRUSTED_POLICY's accuracy rule), not the bundle's 4.
    assert [(a["path"], a["start_line"]) for a in check["output"]["annotations"]] == [("mlci.yaml", 4), ("mlci.yaml", 3)]


def test_a_502_on_an_edit_is_retried(fake: Any) -> None:
    run(fake)
    fake.inject("PATCH", r"/issues/comments/\d+$", status=502)
    fake.inject("PATCH", r"/check-runs/\d+$", status=502)
    second = run(fake, rep=report("pass"))
    assert second.comment is not None and second.comment.action == "updated"
    [comment] = fake.comments(REPO, 42)
    assert "### ✅" in comment["body"]
    assert fake.check_runs(REPO, HEAD)[0]["conclusion"] == "success"


def test_a_long_report_fits_both_limits(fake: Any) -> None:
    from tests.render_helpers import big_report

    big = big_report()
    rep = replace(report(), metrics=big.metrics, params=big.params)
    run(fake, rep=rep)
    [comment] = fake.comments(REPO, 42)
    assert len(comment["body"]) <= 65_536
    [check] = fake.check_runs(REPO, HEAD)
    assert len(check["output"]["summary"].encode("utf-8")) <= 65_535


def test_the_token_never_appears_in_errors(fake: Any) -> None:
    fake.inject("POST", r"/issues/42/comments$", status=404, times=10,
                body={"message": f"Not Found {TOKEN}", "documentation_url": "https://docs.github.com"})
    with pytest.raises(MlciError) as exc:
        run(fake)
    assert TOKEN not in str(exc.value) and "***" in str(exc.value)


def test_a_refused_body_is_posted_shorter(fake: Any) -> None:
    fake.inject("POST", r"/issues/42/comments$", status=422, body={
        "message": "Validation Failed", "documentation_url": "https://docs.github.com", "status": "422",
        "errors": [{"resource": "IssueComment", "code": "unprocessable", "field": "data",
                    "message": "Body is too long (maximum is 65536 characters)"}]})
    result = run(fake)
    [comment] = fake.comments(REPO, 42)
    assert comment["body"].startswith("<!-- mlci:report") and len(comment["body"]) <= 16_000
    assert any("posted a shorter one" in m for m in result.messages)
    assert fake.check_runs(REPO, HEAD)[0]["conclusion"] == "failure"


def test_primary_rate_limit_waits_for_the_reset(fake: Any) -> None:
    fake.primary_rate_limit("POST", r"/issues/42/comments$", reset_in=1)
    run(fake)
    assert len(fake.comments(REPO, 42)) == 1


def test_annotations_go_in_batches_of_50(fake: Any) -> None:
    gates = tuple(GateResult(kind="metric", subject=f"m{i}", status="fail", reason=f"m{i} too low", line=i + 1)
                  for i in range(120))
    run(fake, rep=replace(report(), gates=gates))
    [check] = fake.check_runs(REPO, HEAD)
    assert len(check["output"]["annotations"]) == 120
    assert [a["start_line"] for a in check["output"]["annotations"]] == list(range(1, 121))


def test_cli_publish_in_a_pull_request_job(fake: Any, tmp_path: Path) -> None:
    """`mlci publish` as a workflow step runs it: a real process, GitHub's own event payload."""
    import json
    import os
    import subprocess
    import sys

    from mlci.bundle import write_bundle
    from mlci.render.markdown import render_markdown

    rep = report()
    write_bundle(rep, tmp_path / "bundle", render_markdown(rep))
    event = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "events" / "pull_request.opened.json").read_text())
    event["number"] = event["pull_request"]["number"] = 42
    event["pull_request"]["head"]["sha"], event["pull_request"]["base"]["sha"] = HEAD, BASE
    (tmp_path / "event.json").write_text(json.dumps(event))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
                "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN,
                "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output")})
    proc = subprocess.run([sys.executable, "-m", "mlci", "publish", str(tmp_path / "bundle")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "comment created" in proc.stdout and "check run 'mlci'" in proc.stdout
    assert TOKEN not in proc.stdout + proc.stderr
    assert len(fake.comments(REPO, 42)) == 1 and fake.check_runs(REPO, HEAD)[0]["conclusion"] == "failure"

    env["GITHUB_TOKEN"] = READ_ONLY_TOKEN
    proc = subprocess.run([sys.executable, "-m", "mlci", "publish", str(tmp_path / "bundle")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlci: error: the token can't write to this repository") and proc.stderr.count("\n") == 1
    assert READ_ONLY_TOKEN not in proc.stdout + proc.stderr


FORK_RUN = {"workflow_run": {"id": 119, "name": "ml", "head_sha": HEAD, "event": "pull_request", "pull_requests": []}}


def forged_bundle(tmp_path: Path) -> Any:
    """A fork's bundle: accuracy fell from 0.912 to 0.895, but every gate says pass, under a
    loosened policy, with the pipeline's measurement made for it."""
    from mlci.checks.base import encode_record, spec_key
    from mlci.checks.reproducible.spec import ReproducibleSpec, WorkTree
    from mlci.report import Measurement, Repro, StageRun

    rep = report("pass")
    tree = WorkTree(changed=(), locks=())
    loosened = Measurement("checks.reproducible", spec_key(ReproducibleSpec(informational=True)), encode_record(tree))
    honest = Measurement("checks.reproducible", spec_key(ReproducibleSpec()), encode_record(tree))
    forged_gates = tuple(replace(g, status="pass", reason="fine") for g in rep.gates)
    return replace(rep, gates=forged_gates, measurements=(loosened, honest),
                   repro=Repro((StageRun("train", "ran", 1.0),), pulled=True, pushed=False, seconds=1.0),
                   policy=PolicyInfo("loose.yaml", "head", "workspace", None, comment_mode="off", check_name="green"))


def test_a_forks_bundle_is_judged_again_with_the_trusted_policy(fake: Any, tmp_path: Path) -> None:
    """The fork's verdict, gates and policy are not used: the publish job judges the bundle's
    evidence with its own copy of mlci.yaml, and the check fails where the evidence says so."""
    policy = tmp_path / "mlci.yaml"
    policy.write_text("metrics:\n  accuracy:\n    min: 0.9\nchecks:\n  reproducible: true\n")
    rep = forged_bundle(tmp_path)
    assert rep.verdict == "pass"
    result = run(fake, rep=rep, ctx=ctx_for(fake, "workflow_run", **FORK_RUN),
                 settings=PublishSettings(config=str(policy), policy_file=str(policy)))
    [check] = fake.check_runs(REPO, HEAD)
    assert check["name"] == "mlci" and check["conclusion"] == "failure"  # not the bundle's "green", not success
    assert result.report is not None and result.report.verdict == "fail"  # what `mlci publish --gate` exits with
    [comment] = fake.comments(REPO, 42)
    assert "1 of 2 gates failed" in comment["body"] and "accuracy" in comment["body"]
    assert "policy from `the publish job`" in comment["body"]
    assert result.comment is not None
    # The reproducible gate is judged from the measurement made for the trusted rule (it passes);
    # the one made for the loosened rule is ignored.
    assert "dvc.lock matches the commit" in check["output"]["summary"]


def test_evidence_measured_for_another_rule_fails_closed(fake: Any, tmp_path: Path) -> None:
    from mlci.evaluate import NOT_MEASURED_FOR_THIS_RULE

    policy = tmp_path / "mlci.yaml"
    policy.write_text("checks:\n  reproducible: true\n")
    rep = forged_bundle(tmp_path)
    rep = replace(rep, measurements=rep.measurements[:1])  # only the loosened rule's measurement
    run(fake, rep=rep, ctx=ctx_for(fake, "workflow_run", **FORK_RUN), settings=PublishSettings(config=str(policy)))
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "failure"
    assert NOT_MEASURED_FOR_THIS_RULE.split(":")[0] in check["output"]["summary"]

    # A measurement that is not one (a fork's junk) fails closed too.
    junk = replace(rep.measurements[0], spec='{"informational":false}', value={"changed": "everything"})
    run(fake, rep=replace(rep, measurements=(junk,)), ctx=ctx_for(fake, "workflow_run", **FORK_RUN),
        settings=PublishSettings(config=str(policy)))
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "failure" and "the bundle's measurement is not one" in check["output"]["summary"]


def test_the_fork_safe_job_reads_the_policy_from_the_default_branch(fake: Any) -> None:
    """Without --config, the policy that judges a fork's bundle is the default branch's
    mlci.yaml, read through the contents API; the bundle's forged pass is not taken."""
    rep = replace(forged_bundle(Path()), measurements=())
    run(fake, rep=rep, ctx=ctx_for(fake, "workflow_run", **FORK_RUN))
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "failure" and "accuracy dropped by 0.017" in check["output"]["summary"]
    assert "policy from `main`" in fake.comments(REPO, 42)[0]["body"]

    fake.add_file(REPO, "mlci.yaml", "metrics:\n  accuracy:\n    max_drop: lots\n")
    with pytest.raises(ConfigError, match=r"mlci.yaml \(at main\):3"):
        run(fake, rep=rep, ctx=ctx_for(fake, "workflow_run", **FORK_RUN))


def test_without_a_policy_on_the_default_branch_a_forks_gates_are_not_shown(fake: Any) -> None:
    fake._repo(REPO).files.clear()  # the default branch has no mlci.yaml
    result = run(fake, rep=forged_bundle(Path()), ctx=ctx_for(fake, "workflow_run", **FORK_RUN))
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "neutral"
    assert any("mlci.yaml is not on main" in m for m in result.messages)


def test_a_forks_comment_and_check_name_what_it_changes(fake: Any) -> None:
    """The numbers of a fork's PR come from its own code: the comment and the check say so and
    name its workflow, pipeline and code changes, as GitHub lists them (never as the bundle says)."""
    fake.set_pull_files(REPO, 42, [".github/workflows/mlci-pull-request-fork-safe.yml", "dvc.yaml", "src/train.py",
                                   "README.md", "src/`evil`.py"])
    run(fake, rep=forged_bundle(Path()), ctx=ctx_for(fake, "workflow_run", **FORK_RUN))
    [comment] = fake.comments(REPO, 42)
    [check] = fake.check_runs(REPO, HEAD)
    for text in (comment["body"], check["output"]["summary"]):
        assert "⚠️ A pull request from a fork: these numbers come from its own code" in text
        assert "workflows (`.github/workflows/mlci-pull-request-fork-safe.yml`)" in text
        assert "the pipeline (`dvc.yaml`)" in text and "`src/train.py`" in text and "README.md" not in text
        assert "<code>src/\\`evil\\`.py</code>" in text  # a file name is the fork's text: kept inside its code span

    fake.set_pull_files(REPO, 42, ["README.md"])
    run(fake, rep=forged_bundle(Path()), ctx=ctx_for(fake, "workflow_run", **FORK_RUN))
    [comment] = fake.comments(REPO, 42)
    assert "It changes no workflow, pipeline or code file." in comment["body"]
    # A same-repository PR's own job has no such note: its numbers come from the job itself.
    run(fake)
    assert "A pull request from a fork" not in fake.comments(REPO, 42)[0]["body"]


@pytest.mark.parametrize("fault", [{"status": 502}, {"status": 503}, {"drop": True}], ids=["502", "503", "dropped"])
def test_an_outage_that_outlasts_the_retries_is_named_with_its_own_exit_code(fake: Any, fault: dict[str, Any]) -> None:
    from mlci.github.client import STATUS_PAGE, GitHubUnavailable

    fake.inject("POST", r"/issues/42/comments$", times=50, **fault)
    with pytest.raises(GitHubUnavailable) as caught:
        run(fake)
    error = caught.value
    assert error.exit_code == 4 and "\n" not in str(error) and TOKEN not in str(error)
    assert str(error).startswith("GitHub is unavailable: it ")
    assert ("did not answer" in str(error)) is ("drop" in fault)
    assert f"answered {fault['status']}" in str(error) if "status" in fault else True
    assert "to upsert comment (" in str(error) and "/repos/acme/churn/issues/42/comments" in str(error)
    assert str(error).endswith(f"after retries; GitHub's status: {STATUS_PAGE}")


def test_annotations_are_plain_text(fake: Any) -> None:
    rep = report()
    gate = replace(rep.gates[0], subject="acc\u202euracy\x1b[31m", reason="dropped\r\n::error::x\x00")
    run(fake, rep=replace(rep, gates=(gate,)))
    [annotation] = fake.check_runs(REPO, HEAD)[0]["output"]["annotations"]
    for text in (annotation["title"], annotation["message"]):
        assert text.isprintable() and "\u202e" not in text and "\x1b" not in text
    assert annotation["title"] == "mlci: metric accuracy" and annotation["message"].startswith("dropped")


def test_a_config_policy_is_read_once(fake: Any, tmp_path: Path) -> None:
    """settings_for loads --config once; judging the fork's bundle again uses that load (the file
    may be gone by then: it is not read a second time)."""
    from mlci.publish import settings_for

    policy = tmp_path / "trusted.yaml"
    policy.write_text(TRUSTED_POLICY)
    ctx = ctx_for(fake, "workflow_run", **FORK_RUN)
    settings = settings_for(forged_bundle(tmp_path), ctx, token=TOKEN, config=str(policy))
    assert settings.config_policy is not None
    policy.unlink()
    run(fake, rep=forged_bundle(tmp_path), ctx=ctx, settings=settings)
    [check] = fake.check_runs(REPO, HEAD)
    assert check["conclusion"] == "failure" and "accuracy dropped by 0.017" in check["output"]["summary"]
