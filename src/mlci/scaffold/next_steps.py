"""What ``mlci init`` prints: each file's fate, then the steps left to the user."""

from __future__ import annotations

import os
import shlex

from mlci import depfiles
from mlci.depfiles import Dependencies
from mlci.scaffold.planning import POLICY_FILE, WORKFLOW_DIR, shown_path
from mlci.scaffold.remote import WRITE_ENVIRONMENT, remote_plugin, remote_steps
from mlci.scaffold.starter_policy import why_no_gates
from mlci.scaffold.workflows import pushed_branches
from mlci.scaffold.write import Result

CHECK_NAME = "mlci"


def dependency_step(deps: Dependencies, plugin: str | None) -> str:
    """What the next steps say of the workflow's install step."""
    plugin_part = f" and {plugin}, DVC's plugin for your remote" if plugin else ""
    if deps.kind == "none":
        return (f"No dependency file was found ({depfiles.LISTED}), so the workflow installs nothing for your "
                f"stages{' but ' + plugin if plugin else ''}: add requirements.txt with what they import, then run "
                "`mlci init --force` (or edit the step).")
    if deps.kind == "conda":
        return (f"{deps.files[0]} is a conda environment, which the workflow does not set up: add "
                "conda-incubator/setup-miniconda (pinned by commit) with `environment-file: "
                f"{deps.files[0]}` before mlci's setup step, or list the stages' packages in requirements.txt and run "
                "`mlci init --force`.")
    text = f"The workflow installs your pipeline's dependencies from {deps.described}{plugin_part}."
    if deps.others:
        text += f" It does not install {', '.join(deps.others)}: add them to its step if the stages need them."
    return text


def render(result: Result) -> str:
    """What ``mlci init`` prints: each file's fate, then what is left to do."""
    p = result.plan
    lines = []
    for file, outcome in result.outcomes:
        detail = ""
        if file.is_policy and outcome in ("wrote", "overwrote"):
            metrics = sum(len(f.numbers) for f in p.metrics)
            detail = f" ({p.gate_count} gate{'s' * (p.gate_count != 1)} for {metrics} metric{'s' * (metrics != 1)})"
        lines.append({
            "wrote": f"mlci: wrote {file.shown}{detail}",
            "overwrote": f"mlci: overwrote {file.shown}{detail}",
            "unchanged": f"mlci: {file.shown} is up to date, unchanged",
            "kept": f"mlci: {file.shown} exists, kept (use --force to overwrite)",
        }[outcome])
    if any(o in ("wrote", "overwrote") and f.is_policy for f, o in result.outcomes):
        for metrics_file in p.metrics:
            if metrics_file.problem is not None:
                lines.append(f"mlci: {metrics_file.path} {why_no_gates(metrics_file)}, so it has no gates: "
                             "run `dvc repro`, then `mlci init --force`")
    lines += ["", "Next steps:"]
    steps = [f"Read {shown_path(p.shown_dir, POLICY_FILE)}: adjust the limits and check the guessed directions."]
    if p.git_root is None:
        steps.append(f"{p.shown_dir} is not in a git repository: `git init` it and push it to GitHub.")
    paths = " ".join(shlex.quote(f.shown) for f in p.files)
    steps.append(f'Commit the files: git add {paths} && git commit -m "Check pull requests with mlci"')
    workflows = [f for f in p.files if not f.is_policy]
    if not workflows:
        steps.append("Add a workflow that runs mlci on pull requests: `mlci init --workflow pull-request` "
                     "writes one (see the README, \"Use it in your repository\").")
    else:
        if p.git_root is not None and p.git_root != p.directory.resolve():
            where = os.path.relpath(p.directory.resolve(), p.git_root)
            steps.append(f"GitHub reads workflows only from {p.git_root / WORKFLOW_DIR}: move them there and "
                         f"set `working-directory: {where}` on mlci's repro and report steps, and upload "
                         f"`{where}/mlci-report/` as the bundle.")
        if p.dependencies is not None:
            steps.append(dependency_step(p.dependencies, remote_plugin(p.remote)))
        workflow_file = next((f.shown for f in workflows if b"secrets." in f.content), None)
        fills = any(pushed_branches(f.content.decode("utf-8")) for f in workflows)
        steps += remote_steps(p.remote, p.secrets, workflow_file, fills_remote=fills)
        for file in workflows:
            branches = pushed_branches(file.content.decode("utf-8"))
            if p.default_branch and branches and p.default_branch not in branches:
                steps.append(f"Your default branch is '{p.default_branch}': put it in {file.shown} under "
                             f"`push: branches:` (it says {', '.join(branches)}), where it fills the DVC remote.")
        if p.workflow == "fork-safe":
            steps.append("The fork-safe workflow gets no secrets: the DVC remote must be readable without "
                         "credentials, or the stages run again on every pull request. Fill it from the default "
                         f"branch only, with write credentials kept in an environment ({WRITE_ENVIRONMENT}, as "
                         "mlci-pull-request.yml does): never from a pull request.")
            steps.append("mlci-publish.yml runs from the default branch only (workflow_run): it posts the "
                         "comment and the check once it is merged there.")
        steps.append(f'After the first run, make the check "{CHECK_NAME}" required: Settings > Rules > Rulesets '
                     "> Require status checks to pass (or a branch protection rule).")
    lines += [f"  {i}. {step}" for i, step in enumerate(steps, 1)]
    return "\n".join(lines) + "\n"
