"""A new user's first run: `mlci init` and one commit, then a pull request, under act.

Three small DVC repositories, one with no dependency file (its stage needs only the standard
library), one with requirements.txt and one with a pyproject.toml that lists dependencies (their
stage imports PyYAML). Each gets what `mlci init` writes, committed as it is, and a PR; the
workflow runs as written: its install step (the one init chose) installs into the runner's own
Python, a fresh virtual environment with nothing in it, from the local wheelhouse (no network);
mlci installs itself; the PR gets one comment and a passing check on its head. The workflow's two
jobs both run: the pipeline's (read-only) uploads the bundle, the publish job downloads and posts it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlci.demo.scenarios import Scenario
from tests.conftest import offline_index
from tests.e2e.act_support import events
from tests.e2e.act_support.act import Act
from tests.e2e.act_support.project import Demo, export_action_source, pr_checkout
from tests.github.fake_github import FakeGitHub
from tests.repo_helpers import commit, dvc, init_repo, write
from tests.venv_helpers import clean_env, make_venv

pytestmark = pytest.mark.slow

REPO = "acme/churn"
TOKEN = "ghs_initWriteToken8c3e1f5a7b9d2c4e6f80"  # distinctive: act masks it, and no log may show it
WORKFLOW = ".github/workflows/mlci-pull-request.yml"
STDLIB_TRAIN = (
    "import json\n"
    "json.dump({'accuracy': 0.7, 'loss': 0.3, 'per_class': {'a': {'f1': 0.69}}}, open('metrics.json', 'w'),\n"
    "          indent=2, sort_keys=True)\n"
    "open('model.bin', 'w').write('model\\n')\n"
)
PYPROJECT = '[project]\nname = "churn"\nversion = "0.1.0"\ndependencies = ["pyyaml>=6"]\n'
KINDS = {
    "no-dependency-file": ({"train.py": STDLIB_TRAIN}, "No dependency file was found", None),
    "requirements": ({"requirements.txt": "pyyaml>=6\n"}, "from requirements.txt.",
                     "run: python -m pip install -r requirements.txt\n"),
    "pyproject": ({"pyproject.toml": PYPROJECT}, "from pyproject.toml.", "-r pyproject.toml\n"),
}


@pytest.fixture(scope="module")
def act_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("act-home")


@pytest.fixture(scope="module")
def action_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_action_source(tmp_path_factory.mktemp("mlci-actions-mlci"))


def mlci(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlci", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("kind", list(KINDS))
def test_mlci_init_and_one_commit_give_a_passing_check(kind: str, fake_github: FakeGitHub, act_home: Path,
                                                       action_source: Path, wheelhouse: Path, tmp_path: Path) -> None:
    files, says, install_line = KINDS[kind]
    project = init_repo(tmp_path / "project")
    for name, text in files.items():
        write(project, name, text)
    dvc(project, "repro", "-q")
    commit(project, "The model and its metrics")

    # The new user: mlci init, read what it says, commit what it wrote.
    init = mlci(project, "init")
    assert init.returncode == 0, init.stderr
    assert says in init.stdout
    workflow = (project / WORKFLOW).read_text()
    assert "requirements.txt" not in workflow if install_line is None else install_line in workflow
    commit(project, "Check pull requests with mlci")

    # A pull request that tunes the model: the author reproduces and commits the new dvc.lock.
    subprocess.run(["git", "checkout", "-q", "-b", "tune"], cwd=project, check=True)
    write(project, "params.yaml", {"train": {"C": 0.6, "tags": ["x", "y"]}})
    dvc(project, "repro", "-q")
    commit(project, "Tune C")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=project, check=True)
    pr = Scenario(branch="tune", title="Tune C", body="", overrides={}, expect="better")
    checkout = pr_checkout(Demo(tmp_path, project), pr, tmp_path / "checkout", REPO)

    fake_github.add_repo(REPO)
    fake_github.add_token(TOKEN)
    fake_github.add_pull(REPO, 3, checkout.head_sha, checkout.base_sha, head_ref="tune", title=pr.title)
    event = events.pull_request(repository=REPO, number=3, branch="tune", head_sha=checkout.head_sha,
                                base_sha=checkout.base_sha, base_branch="main", title=pr.title, body="")

    # The runner's Python has nothing installed: what the stages need comes from the install step.
    runner = make_venv(tmp_path / "runner-python", see_test_packages=False, pip=True)
    assert subprocess.run([str(runner), "-c", "import yaml"], env=clean_env(), capture_output=True).returncode != 0
    act = Act(home=act_home, work=tmp_path / "act", action_source=action_source, api_url=fake_github.url,
              repository=REPO, package_index=offline_index(wheelhouse), runner_bin=runner.parent)
    result = act.run("pull_request", event, checkout.path, checkout.path / WORKFLOW, token=TOKEN, run_id=7001)

    assert result.returncode == 0, result
    finished = re.findall(r"^\[[^\]/]*/([^\]]+?) *\] 🏁  Job (\w+)", result.log, re.M)
    assert finished == [("mlci pipeline", "succeeded"), ("mlci publish", "succeeded")], result
    assert TOKEN not in result.log
    if install_line is None:
        assert "Install the pipeline's dependencies" not in result.log
    else:
        assert "✅  Success - Main Install the pipeline's dependencies" in result.log, result
    # Metric gates only: no extras. A runner's python3 without PyYAML defers reading them to the install.
    [key] = re.findall(r"(?:with extras \(none\) \(none: the policy asks for none\)|extras read from the policy by "
                       r"the install \(python3 has no YAML reader yet\)); cache key (\S+)", result.log)
    assert f"Cache saved with key: {key}" in result.log
    # The publish job installs mlci without DVC (purpose: publish), under a key of its own.
    [publish_key] = re.findall(r"to publish: no DVC, no GTO, extras \(none\); cache key (\S+)", result.log)
    assert publish_key != key and f"Cache saved with key: {publish_key}" in result.log
    [comment] = fake_github.comments(REPO, 3)
    # The project is named after the workspace folder (act's own name for it here; the repository's on GitHub).
    marker, headline = comment["body"].splitlines()[:2]
    assert marker.startswith('<!-- mlci:report workflow="mlci" project="'), marker
    assert headline.startswith("### ✅ mlci · ") and headline.endswith(": all 3 gates passed"), headline
    [check] = fake_github.check_runs(REPO, checkout.head_sha)
    assert check["name"] == "mlci" and check["conclusion"] == "success"
