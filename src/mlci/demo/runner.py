"""Build the demo repository and walk through its two pull requests the way CI would.

Layout of the demo directory::

    project/    the "GitHub" repository: main + one branch per scenario
    remote/     its DVC remote (a local folder standing in for S3 and friends)
    ci-<branch>/  a fresh clone per PR, where `mlci repro` and `mlci report` run

Everything runs offline: the data ships inside scikit-learn. The stages (``python src/...``)
run on the interpreter mlci runs on, whatever ``python`` is on PATH: mlci installed by pipx,
or run as ``.venv/bin/mlci`` without activating the venv, has scikit-learn where PATH's
``python`` may not.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import yaml

from mlci import dvc, git
from mlci.commands import report as report_command
from mlci.commands import repro as repro_command
from mlci.demo.scenarios import BASE_BRANCH, SCENARIOS, Scenario
from mlci.errors import MlciError
from mlci.extras import require

Echo = Callable[..., None]  # as mlci.commands.Echo: echo(text) or echo(text, nl=False)

# A fixed identity and date make the demo's commits the same on every machine.
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mlci demo",
    "GIT_AUTHOR_EMAIL": "demo@mlci.invalid",
    "GIT_COMMITTER_NAME": "mlci demo",
    "GIT_COMMITTER_EMAIL": "demo@mlci.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T12:00:00Z",
}


def run_demo(*, keep: str | None = None, echo: Echo = print, color: bool = False) -> None:
    """Build the demo, then run each scenario's PR as CI would: `mlci repro`, `mlci report`."""
    require("demo", "mlci demo")  # before anything is built: its stages train with scikit-learn
    started = time.monotonic()
    with _workdir(keep) as root, stages_on_this_python() as env:
        echo(f"mlci demo: building an example ML project in {root}")
        project = create_project(root, echo, env=env)
        for number, scenario in enumerate(SCENARIOS, start=1):
            echo("")
            echo(f"mlci demo: PR #{number} '{scenario.title}' (branch {scenario.branch}): CI clones, reproduces, reports")
            _run_pull_request(root, project, scenario, echo, env, color=color)
        echo("")
        echo(f"mlci demo: done in {time.monotonic() - started:.0f} s.")
        if keep:
            echo(f"mlci demo: the example is kept in {root}; each ci-*/mlci-report/ holds a bundle (report.json, report.md)")


@contextmanager
def _workdir(keep: str | None) -> Iterator[Path]:
    if keep:
        path = Path(keep).resolve()
        if path.exists() and any(path.iterdir()):
            raise MlciError(f"--keep {keep}: the directory is not empty; choose a new or empty one")
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="mlci-demo-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def stages_on_this_python(env: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """``env`` (default os.environ) with PATH starting at a temporary folder whose ``python`` and
    ``python3`` run sys.executable, so the demo's stages run on mlci's own interpreter.

    They are two-line shell scripts, not symlinks: a symlink to a venv's python outside the
    venv's bin/ does not find the venv's pyvenv.cfg, so it would run without the venv's packages.
    """
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="mlci-demo-python-") as folder:
        for name in ("python", "python3"):
            script = Path(folder) / name
            script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
            script.chmod(0o755)
        env["PATH"] = os.pathsep.join([folder, env["PATH"]]) if env.get("PATH") else folder
        yield env


def _git(cwd: Path, *args: str) -> str:
    return git.command(cwd, *args, env=_GIT_IDENTITY)


def _dvc(cwd: Path, *args: str) -> None:
    dvc.command(cwd, *args)


def _repro(cwd: Path, echo: Echo, env: Mapping[str, str], *, push: bool = False) -> None:
    """`mlci repro` (`--push` on main), keeping DVC's chatter unless something fails."""
    lines: list[str] = []
    try:
        repro_command.run(repro_command.Settings(cwd=cwd, push=push, env=env, stream=lines.append,
                                                 echo=lambda text, nl=True: echo(f"  {text}")))
    except MlciError:
        for line in lines:
            echo(f"  | {line}")
        raise


def create_project(root: Path, echo: Echo, *, env: Mapping[str, str] | None = None) -> Path:
    """The example repository in ``root/project`` and its DVC remote in ``root/remote``.

    ``main`` holds the baseline (its outputs pushed), and one branch per demo pull request
    commits its params and dvc.lock. The act tests build their GitHub repository with it.
    The stages run in ``env``; by default on this interpreter (:func:`stages_on_this_python`).
    """
    if env is None:
        with stages_on_this_python() as own:
            return create_project(root, echo, env=own)
    project = root / "project"
    source = resources.files("mlci.demo").joinpath("project")
    with resources.as_file(source) as src:
        shutil.copytree(src, project, ignore=shutil.ignore_patterns("__pycache__"))
    _git(project, "init", "-q", "-b", BASE_BRANCH)
    _dvc(project, "init", "-q")
    _dvc(project, "config", "core.analytics", "false")
    _dvc(project, "remote", "add", "-d", "storage", str(root / "remote"))
    (project / ".gitignore").write_text("/mlci-report/\n")
    echo("  main: dvc repro (prepare -> train -> evaluate), push outputs and run-cache to the DVC remote")
    _repro(project, echo, env, push=True)
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "Baseline: age, BMI and blood pressure")
    for scenario in SCENARIOS:
        # The PR's author changes params.yaml, runs the pipeline and commits
        # dvc.lock with it, as a reviewer would ask; the new model is not pushed.
        echo(f"  {scenario.branch}: the author changes params.yaml, runs dvc repro, commits dvc.lock")
        _git(project, "checkout", "-q", "-b", scenario.branch, BASE_BRANCH)
        (project / "params.yaml").write_text(yaml.safe_dump(scenario.params(), sort_keys=False))
        _quiet_repro(project, env)
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", scenario.title)
    _git(project, "checkout", "-q", BASE_BRANCH)
    _dvc(project, "checkout", "-q")
    return project


def _quiet_repro(cwd: Path, env: Mapping[str, str]) -> None:
    lines: list[str] = []
    try:
        result = dvc.repro(cwd, pull=False, echo=lines.append, env=env)
        if result.failure is not None:
            raise MlciError(result.failure)
    except MlciError as exc:
        raise MlciError(f"the demo pipeline failed: {exc}\n" + "\n".join(lines[-20:])) from None


def _run_pull_request(root: Path, project: Path, scenario: Scenario, echo: Echo, env: Mapping[str, str], *,
                      color: bool) -> None:
    """What CI does on the PR: a fresh clone, `mlci repro`, `mlci report` (outside GitHub Actions)."""
    clone = root / f"ci-{scenario.branch}"
    _git(root, "clone", "-q", "--branch", scenario.branch, str(project), str(clone))
    _repro(clone, echo, env)
    echo("")
    report_command.run(report_command.Settings(cwd=clone, actions_env={}, color=color, echo=echo))
