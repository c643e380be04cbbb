"""The example repository the workflows run on: `mlci demo`'s project, built by the demo's own code.

``build_demo`` calls :func:`mlci.demo.runner.create_project`: a git repository whose ``main``
holds the diabetes-risk DVC pipeline and policy (outputs and run-cache pushed to a local DVC
remote) and one branch per :data:`mlci.demo.scenarios.SCENARIOS` entry (one PR improves the
model, one makes it worse). ``pr_checkout`` then makes what actions/checkout leaves on a
``pull_request`` run: a clone with every branch, HEAD detached at the PR's merge commit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mlci.demo import runner
from mlci.demo.scenarios import BASE_BRANCH, Scenario

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Demo:
    root: Path  # project/ (the "GitHub" repository) and remote/ (its DVC remote)
    project: Path


@dataclass(frozen=True)
class Checkout:
    """A PR as actions/checkout leaves it: ``path`` at the merge commit ``merge_sha`` of ``head_sha`` into ``base_sha``."""

    path: Path
    branch: str
    head_sha: str
    base_sha: str
    merge_sha: str


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {cwd} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


def build_demo(root: Path) -> Demo:
    """The demo repository and its DVC remote under ``root`` (about ten seconds: it runs the pipeline three times)."""
    project = runner.create_project(root, lambda line: None)
    return Demo(root, project)


def pr_checkout(demo: Demo, scenario: Scenario, dest: Path, repository: str) -> Checkout:
    """A clone of ``demo`` for the PR of ``scenario``, as a ``pull_request`` run's checkout with ``fetch-depth: 0``.

    GitHub checks out ``refs/pull/N/merge``, a merge commit of the PR's head into its base
    whose SHA is GITHUB_SHA, and fetches every branch as ``origin/*``; ``origin`` is the
    repository on GitHub. act copies this folder as it is into the job's workspace.
    """
    git(dest.parent, "clone", "-q", "--no-checkout", str(demo.project), dest.name)
    head_sha = git(dest, "rev-parse", f"origin/{scenario.branch}")
    base_sha = git(dest, "rev-parse", f"origin/{BASE_BRANCH}")
    git(dest, "checkout", "-q", "--detach", base_sha)
    git(dest, "merge", "-q", "--no-ff", "--no-edit", "-m", f"Merge {head_sha} into {base_sha}", head_sha)
    git(dest, "remote", "set-url", "origin", f"https://github.com/{repository}.git")
    return Checkout(dest, scenario.branch, head_sha, base_sha, git(dest, "rev-parse", "HEAD"))


def default_branch_checkout(demo: Demo, dest: Path, repository: str) -> Path:
    """A clone of the default branch: where a ``workflow_run`` workflow's file is read from."""
    git(dest.parent, "clone", "-q", "--branch", BASE_BRANCH, str(demo.project), dest.name)
    git(dest, "remote", "set-url", "origin", f"https://github.com/{repository}.git")
    return dest


@dataclass(frozen=True)
class Push:
    """The default branch after a PR was merged, as a ``push`` run's checkout has it."""

    path: Path
    before: str
    after: str
    dvc_remote: Path  # this push's own copy of the DVC remote


def merged_checkout(demo: Demo, scenario: Scenario, dest: Path, repository: str) -> Push:
    """A clone of the default branch with ``scenario``'s PR merged (fast-forward), whose DVC remote is a
    copy of the demo's, so that what it pushes stays out of the other tests' remote. The copy is named
    in .dvc/config, left uncommitted: act copies the working tree but not git-ignored files such as
    .dvc/config.local, and mlci's reproducibility check leaves out what was changed before it ran."""
    clone = default_branch_checkout(demo, dest, repository)
    before = git(clone, "rev-parse", "HEAD")
    git(clone, "merge", "-q", "--ff-only", f"origin/{scenario.branch}")
    remote = dest.parent / f"{dest.name}-dvc-remote"
    shutil.copytree(demo.root / "remote", remote)
    subprocess.run([sys.executable, "-m", "dvc", "remote", "modify", "storage", "url", str(remote)],
                   cwd=clone, check=True, capture_output=True)
    return Push(clone, before, git(clone, "rev-parse", "HEAD"), remote)


def export_action_source(dest: Path) -> Path:
    """This checkout's files as GitHub would check out ``mlci-actions/mlci@v1``: tracked and untracked
    files that git does not ignore (uncommitted edits included, so the tests run the working tree),
    without ``.git``, ``.venv``, ``build/`` or caches.
    """
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree, not yet in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest
