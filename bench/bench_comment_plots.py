"""A PR comment with 6 plots, drawn and hosted: issue 14's goal (under 5 s on 2 cores, with at most 4 git-data
API calls plus 1 per image).

Run:  python bench/bench_comment_plots.py   (needs the test extras: pip install -e '.[test]'; ~2 minutes)
Records: bench/README.md. The demo project as `mlci demo` builds it, its improving PR given six plots
(bench_plots.six_plots: the demo's ROC curve, confusion matrix and feature importance, plus a
precision-recall curve, a training curve and the normalised confusion matrix). Then, as CI runs them, two
fresh processes, each timed whole (Python, DVC, vl-convert and PyGithub started), median of ROUNDS:
- `mlci report --head PR`: the comparison, and the six plots drawn into the bundle (with `--no-plots`
  too, so the plots' own share shows);
- `mlci publish` of that bundle (and of the bundle without plots) on a pull_request event, against the contract-checked fake GitHub of
  the test suite on loopback, with mlci's own client and its pauses between requests (what CI pays on
  GitHub, bar the network): the six PNGs committed to the assets branch, the comment, the check.
The git-data calls of each publish are counted from the fake's request log (the first round makes the
branch, later ones add to it), and the comment is checked to link the six images.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_report  # noqa: E402
from bench_plots import sh, six_plots  # noqa: E402
from bench_report import PY, timed as run  # noqa: E402

from tests.github.fake_github import FakeGitHub  # noqa: E402

ROUNDS = 5
REPO = "acme/churn"
TOKEN = "ghs_benchCommentPlots0123456789ab"
NUMBER = 7


def main() -> None:
    from mlci.demo.runner import create_project
    from mlci.demo.scenarios import BASE_BRANCH, IMPROVE

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = create_project(root, lambda line: None)
        base, head = six_plots(project, sh(project, "git", "rev-parse", BASE_BRANCH),
                               sh(project, "git", "rev-parse", IMPROVE.branch))
        sh(project, "git", "checkout", "-q", "--detach", head)
        event = root / "event.json"
        event.write_text(json.dumps({"number": NUMBER, "pull_request": {
            "number": NUMBER, "head": {"sha": head}, "base": {"sha": base, "ref": "main"}}}))
        github = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": REPO,
                  "GITHUB_RUN_ID": "900", "GITHUB_WORKFLOW": "mlci", "GITHUB_SERVER_URL": "https://github.com"}
        env = {**bench_report.ENV, **github}
        out = root / "bundle"
        report_s = [run([PY, "-m", "mlci", "report", "--base", base, "--head", head, "--out", str(out)], project, env)
                    for _ in range(ROUNDS)]
        bare_s = [run([PY, "-m", "mlci", "report", "--no-plots", "--base", base, "--head", head, "--out",
                       str(root / "bare")], project, env) for _ in range(ROUNDS)]
        drawn = json.loads((out / "report.json").read_text())["plots"]
        assert len(drawn) == 6 and all(p["reason"] is None for p in drawn), drawn

        fake = FakeGitHub().start()
        try:
            fake.add_repo(REPO)
            fake.add_pull(REPO, NUMBER, head, base)
            fake.add_token(TOKEN)
            publish_env = {**env, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.url,
                           "GITHUB_STEP_SUMMARY": str(root / "summary.md")}
            publish_s, git_calls, requests = [], [], []
            for i in range(ROUNDS):
                fake.reset_requests()
                publish_env["GITHUB_RUN_ATTEMPT"] = str(i + 1)
                publish_s.append(run([PY, "-m", "mlci", "publish", str(out)], project, publish_env))
                git_calls.append(sum("/git/" in r.path for r in fake.requests))
                requests.append(len(fake.requests))
            bare_publish_s = []
            for i in range(ROUNDS):  # the same comment and check without plots: what hosting adds
                publish_env["GITHUB_RUN_ATTEMPT"] = str(100 + i)
                bare_publish_s.append(run([PY, "-m", "mlci", "publish", str(root / "bare")], project, publish_env))
                if i == 0:
                    [comment] = fake.comments(REPO, NUMBER)
                    assert "<img" not in comment["body"]
            publish_env["GITHUB_RUN_ATTEMPT"] = "200"
            run([PY, "-m", "mlci", "publish", str(out)], project, publish_env)
            [comment] = fake.comments(REPO, NUMBER)
            links = re.findall(r'<img src="https://github\.com/[^"]+/blob/([0-9a-f]{40})/([^"?]+)\?raw=true"',
                               comment["body"])
            assert len(links) == 6 and all(fake.file_at(REPO, c, p) for c, p in links), links
            assert fake.violations == [], fake.violations
        finally:
            fake.stop()

    report, bare, publish, bare_publish = (statistics.median(x) for x in (report_s, bare_s, publish_s, bare_publish_s))
    print("| step (fresh process, median of 5) | wall |")
    print("|---|--:|")
    print(f"| `mlci report`, 6 plots drawn | {report:.2f} s |")
    print(f"| `mlci report --no-plots` | {bare:.2f} s |")
    print(f"| the 6 plots' share of the report | {report - bare:.2f} s |")
    print(f"| `mlci publish`: 6 images hosted, comment, check | {publish:.2f} s |")
    print(f"| `mlci publish` of the bundle without plots: comment, check | {bare_publish:.2f} s |")
    print(f"| the 6 images' share of the publish | {publish - bare_publish:.2f} s |")
    print(f"| **6 plots drawn and hosted** (their share of report and publish) | **{report - bare + publish - bare_publish:.2f} s** |")
    print(f"\ngit-data calls per publish: {git_calls[0]} on the first (the branch made), {max(git_calls[1:])} later "
          f"(limit 4 + 6 = 10); requests in all per publish: {requests[0]} first, {max(requests[1:])} later.")
    print(f"\n(2 cores, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
