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
from mlci.commands import promote as promote_command
from mlci.commands import release as release_command
from mlci.commands import report as report_command
from mlci.commands import repro as repro_command
from mlci.demo.scenarios import BASE_BRANCH, IMPROVE, SCENARIOS, Scenario
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
        echo("  main: mlci repro, mlci report and mlci release, as CI on main does: the baseline's first version")
        _repro(project, lambda text, nl=True: None, env)
        _release(project, echo, labels=(), quiet=True)
        for number, scenario in enumerate(SCENARIOS, start=1):
            echo("")
            echo(f"mlci demo: PR #{number} '{scenario.title}' (branch {scenario.branch}): CI clones, reproduces, reports")
            _run_pull_request(root, project, scenario, echo, env, color=color)
        echo("")
        echo("mlci demo: PR #1 is merged; on main CI releases the improved model, promotes it to staging, serves it")
        _merge_release_promote_serve(project, IMPROVE, 1, echo, env)
        echo("")
        echo("mlci demo: a month later, the drift monitor's scheduled run: production's patients against the training data")
        _monitor_drift(project, echo, color=color)
        echo("")
        echo(f"mlci demo: done in {time.monotonic() - started:.0f} s.")
        if keep:
            echo(f"mlci demo: the example is kept in {root}; each ci-*/mlci-report/ holds a bundle "
                 "(report.json, report.md, and the PR's plots in plots/)")
        else:
            echo("mlci demo: run `mlci demo --keep DIR` to keep the example, its bundles and their plots (PNG)")


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
    (project / ".gitignore").write_text("/mlci-report/\n/mlci-drift/\n/production/\n")
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


ARTIFACT = "diabetes-risk"  # the demo's dvc.yaml declares it (models/model.onnx)


def _release(project: Path, echo: Echo, *, labels: tuple[str, ...], number: int | None = None,
             title: str | None = None, quiet: bool = False) -> None:
    """`mlci report` on main's commit (against its first parent), then `mlci release` from its bundle."""
    first = len(_git(project, "rev-list", "--parents", "-n1", "HEAD").split()) == 1  # the first commit: no parent
    report_command.run(report_command.Settings(cwd=project, base="HEAD" if first else "HEAD^1", actions_env={},
                                               plots=False, echo=lambda text, nl=True: None))
    indented = _indent(echo)
    code = release_command.run(release_command.Settings(
        cwd=project, bundle=project / "mlci-report", labels=labels, pr_number=number, pr_title=title,
        actions_env={}, echo=(lambda text, nl=True: indented(text) if text.startswith("mlci: ") else None)
        if quiet else indented))  # quiet: without the model card
    if code != 0:
        raise MlciError("the demo's release failed: its gates did not pass on main")


def _merge_release_promote_serve(project: Path, scenario: Scenario, number: int, echo: Echo,
                                 env: Mapping[str, str]) -> None:
    """Main after the merge, as the release and promote templates would run: a new version with its
    model card, the staging gate (the model served and asked) and GTO's stage tag, then one request."""
    _git(project, "merge", "-q", "--no-ff", scenario.branch, "-m", f"Merge pull request #{number} from {scenario.branch}")
    echo("  main: mlci repro --push (nothing to retrain: the merged dvc.lock's outputs are in DVC's cache; "
         "they go to the remote)")
    _repro(project, echo, env, push=True)
    echo("  main: mlci report, then mlci release (the PR's label release:minor):")
    _release(project, echo, labels=("release:minor",), number=number, title=scenario.title)
    tags = _git(project, "tag", "--points-at", "HEAD", "--list", f"{ARTIFACT}@v*").split()
    if not tags:
        raise MlciError(f"the demo's release made no version of {ARTIFACT}")
    version = tags[-1].split("@", 1)[1]
    echo(f"  mlci promote {ARTIFACT} {version} staging: the staging gate serves the model first")
    code = promote_command.run(promote_command.Settings(name=ARTIFACT, version=version, stage="staging", cwd=project,
                                                        actions_env={}, echo=_indent(echo)))
    if code != 0:
        raise MlciError(f"the demo's promotion of {ARTIFACT} {version} to staging failed")
    _serve_one(project, echo)


def _serve_one(project: Path, echo: Echo) -> None:
    """`mlci serve models/model.onnx` asked once, over the Open Inference Protocol, and its answer."""
    import csv
    import json

    from mlci.checks.serving.measure import post, running
    from mlci.checks.serving.spec import ServingSpec

    with (project / "models" / "sample.csv").open(newline="", encoding="utf-8") as f:
        header, first = list(csv.reader(f))[:2]
    body = {"inputs": [{"name": "X", "shape": [1, len(header)], "datatype": "FP32", "data": [float(v) for v in first]}]}
    spec = ServingSpec(model="models/model.onnx", sample="models/sample.csv", name=ARTIFACT)
    path = f"/v2/models/{ARTIFACT}/infer"
    echo(f"  mlci serve models/model.onnx --name {ARTIFACT}: one patient ({', '.join(header)}), POST {path}")
    with running(spec, project) as port:
        status, answer = post(port, path, body)
    if status != 200 or not isinstance(answer, dict):
        raise MlciError(f"the demo's request to mlci serve was answered {status}: {answer}")
    echo(f"    -> {json.dumps(body, separators=(',', ':'))}")
    echo(f"    <- {json.dumps(answer, separators=(',', ':'))}")
    outputs = {o["name"]: o["data"] for o in answer.get("outputs", [])}
    label, probabilities = outputs.get("output_label", ["?"])[0], outputs.get("output_probability", [])
    risk = f"{probabilities[1]:.0%} " if len(probabilities) == 2 else ""
    echo(f"  the model says: {'high' if label == 1 else 'low'} risk ({risk}chance of progressing more than the median patient)")


PRODUCTION = "production/2026-02.csv"  # the monitor's current data: a month of production, outside git
RETRAIN_WORKFLOW = "retrain.yml"  # what workflows-templates/mlci-drift-monitor.yml starts


def _monitor_drift(project: Path, echo: Echo, *, color: bool) -> None:
    """What workflows-templates/mlci-drift-monitor.yml runs: `mlci drift` of a month of production data
    against the training data (the drift and the training data's validation rules), then `mlci drift
    publish` in local mode: the tracking issue it would open, shown, and the retraining it would start.
    Nothing is posted: no token and no repository are given to it, whatever this shell holds."""
    from datetime import datetime, timezone

    from mlci.bundle import read_bundle
    from mlci.commands import drift as drift_command
    from mlci.commands import drift_publish
    from mlci.context import RunContext
    from mlci.render import drift_issue

    rows = _production_sample(project / "data" / "train.csv", project / PRODUCTION)
    echo(f"  {PRODUCTION}: {rows} patients, older and heavier than the training data (age +10 years, BMI +10%, "
         "blood pressure +8, triglycerides and blood sugar up)")
    echo(f"  mlci drift --reference data/train.csv --current {PRODUCTION}")
    out = project / drift_command.DEFAULT_DRIFT_OUT
    code = drift_command.run(drift_command.Settings(reference="data/train.csv", current=PRODUCTION, cwd=project,
                                                    out=out, actions_env={}, color=color, echo=_indent(echo),
                                                    echo_err=lambda text, nl=True: None))
    if code != 1:
        raise MlciError(f"the demo's drift check found no drift in {PRODUCTION} (exit code {code})")
    report = read_bundle(out)
    settings = drift_publish.Settings(bundle=out, retrain_workflow=RETRAIN_WORKFLOW)
    outcome = drift_publish.monitor(report, RunContext(), settings, env={})
    echo(f"  mlci drift publish --retrain-workflow {RETRAIN_WORKFLOW} (local mode: nothing is posted)")
    for message in outcome.messages:
        echo(f"    mlci: {message}")
    [row] = outcome.rows  # the one dataset
    body = drift_issue.issue_body(row.pair, drift_issue.dataset_key(report.drift, 0), row.retrain,
                                  cooldown_hours=settings.cooldown_hours, run_url=None,
                                  checked_at=datetime.now(timezone.utc),
                                  validation=[g for g in report.gates if g.kind == "data"], retrain_due=row.retrain_due)
    echo(f"  the tracking issue it would open (label {settings.label}), as markdown:")
    _indent(echo)("\n".join(line for line in body.splitlines() if not line.startswith("<!--")))


def _production_sample(train: Path, dest: Path, rows: int = 400) -> int:
    """``rows`` patients drawn (seeded) from the training data, moved as a population ages: age +10 years
    (its band with it), BMI +10%, blood pressure +8, triglycerides (s5, a log) +0.25 and blood sugar (s6) +8;
    the other columns as they were. Written as CSV."""
    import csv
    import random

    with train.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, patients = list(reader.fieldnames or ()), list(reader)
    chosen = random.Random(2026).choices(patients, k=rows)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for patient in chosen:
            moved = dict(patient)
            age = min(float(patient["age"]) + 10, 95.0)
            moved.update(age=f"{age:.1f}", bmi=f"{float(patient['bmi']) * 1.1:.1f}",
                         bp=f"{float(patient['bp']) + 8:.1f}", s5=f"{float(patient['s5']) + 0.25:.4f}",
                         s6=f"{float(patient['s6']) + 8:.1f}",
                         age_band="<40" if age < 40 else "40-59" if age < 60 else "60+")
            writer.writerow(moved)
    return rows


def _indent(echo: Echo) -> Echo:
    def indented(text: str, nl: bool = True) -> None:
        for line in text.rstrip("\n").split("\n"):
            echo(f"    {line}" if line else "")
    return indented
