"""Everything ``mlci init`` will write, decided before anything is written: the project is read
(through ``mlci.dvc`` and ``mlci.git``), each file's content made and each path checked writable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlci import depfiles
from mlci.depfiles import Dependencies
from mlci.errors import MlciError
from mlci.scaffold.gates import MetricsFile, gates_for, metrics_files
from mlci.scaffold.remote import remote_plugin
from mlci.scaffold.starter_policy import policy_text
from mlci.scaffold.workflows import WORKFLOWS, secrets_in, template

POLICY_FILE = "mlci.yaml"
WORKFLOW_DIR = ".github/workflows"


@dataclass(frozen=True)
class PlannedFile:
    path: Path  # where it goes
    shown: str  # how to name it to the user (relative to the current directory)
    content: bytes
    exists: bool
    same: bool  # exists with exactly this content
    is_policy: bool  # mlci.yaml, not a workflow


@dataclass(frozen=True)
class Plan:
    directory: Path
    shown_dir: str
    workflow: str
    force: bool
    files: tuple[PlannedFile, ...]
    metrics: tuple[MetricsFile, ...]
    gate_count: int
    secrets: tuple[str, ...]
    git_root: Path | None
    dependencies: Dependencies | None  # what the workflow installs for the stages; None: no workflow does
    remote: tuple[str, str] | None = None  # the default DVC remote: name, URL
    default_branch: str | None = None  # the repository's, as git knows it


def shown_path(directory: str, *parts: str) -> str:
    """A path under ``directory`` as the user is shown it: joined to the directory as they gave it."""
    return os.path.normpath(os.path.join(directory, *parts))


def plan(directory: str, *, workflow: str = "pull-request", force: bool = False) -> Plan:
    """Everything ``mlci init`` will write, read and checked before anything is written."""
    from mlci import config, dvc, git

    root = Path(directory)
    if not root.is_dir():
        raise MlciError(f"{directory}: no such directory" if not root.exists() else f"{directory}: not a directory")
    if workflow not in WORKFLOWS:
        raise MlciError(f"--workflow: expected one of {', '.join(WORKFLOWS)}, got {workflow!r}")
    pipeline = root / "dvc.yaml"
    if not pipeline.exists():
        raise MlciError(f"no dvc.yaml in {directory}: run `dvc init` and define a pipeline first")
    try:
        pipeline.read_bytes()
    except OSError as exc:
        raise MlciError(f"{shown_path(directory, 'dvc.yaml')}: cannot read it: {exc.strerror or exc}") from None

    side = dvc.workspace_metrics(root)
    files = metrics_files(side.metrics, side.errors)
    text = policy_text(files)
    try:
        config.load_policy(text, file=shown_path(directory, POLICY_FILE))
    except MlciError as exc:  # a bug in this module, not the user's mistake: exit 3, not 2
        raise RuntimeError(f"the policy mlci init wrote does not load: {exc}") from exc
    gate_count = sum(len(gates) for _, gates in gates_for(files))

    try:
        git_root: Path | None = git.toplevel(root).resolve()
    except MlciError:
        git_root = None
    remote = dvc.default_remote_url(root)
    plugin = remote_plugin(remote)
    templates = {name: template(name).decode("utf-8") for name in WORKFLOWS[workflow]}
    installs = [name for name, text in templates.items() if depfiles.TEMPLATE_STEP in text]
    dependencies = depfiles.find(root, git_root) if installs else None
    if dependencies is not None:
        templates = {name: depfiles.with_step(text, dependencies, plugin) for name, text in templates.items()}

    wanted: list[tuple[str, bytes]] = [(POLICY_FILE, text.encode("utf-8"))]
    wanted += [(f"{WORKFLOW_DIR}/{name}", text.encode("utf-8")) for name, text in templates.items()]
    planned = []
    for relative, content in wanted:
        path = root / relative
        shown = shown_path(directory, relative)
        _check_writable(path, shown)
        planned.append(PlannedFile(path, shown, content, exists=path.exists(), same=_holds(path, content),
                                   is_policy=relative == POLICY_FILE))

    return Plan(
        directory=root, shown_dir=directory, workflow=workflow, force=force, files=tuple(planned),
        metrics=tuple(files), gate_count=gate_count,
        secrets=tuple(dict.fromkeys(s for t in templates.values() for s in secrets_in(t))),
        git_root=git_root, dependencies=dependencies, remote=remote,
        default_branch=_default_branch(root) if git_root is not None else None,
    )


def _default_branch(root: Path) -> str | None:
    from mlci import git

    found = git.default_branch(root) or git.current_branch(root)
    return found.removeprefix("origin/") if found else None


def _holds(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except OSError:
        return False


def _check_writable(path: Path, shown: str) -> None:
    """Fail now, before anything is written, when ``path`` cannot be written later."""
    if path.is_dir():
        raise MlciError(f"{shown}: is a directory, not a file")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise MlciError(f"{shown}: cannot create it: {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise MlciError(f"{shown}: cannot write it: permission denied")

