"""How CI installs the pipeline's dependencies: the repository's dependency files, and the
workflow step that installs them (``mlci init`` writes it into the templates).

:func:`find` reads the repository; everything else is pure. The choice, when several
files are there, goes from the most exact to the least: a lock file (uv.lock,
poetry.lock, Pipfile.lock), then requirements files, then pyproject.toml, then a conda
environment.yml, which mlci names but does not set up. The DVC remote's plugin
(dvc-s3, ...) is installed beside them when the remote needs one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from mlci.errors import MlciError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Kind = Literal["uv", "poetry", "pipenv", "requirements", "package", "pyproject", "conda", "none"]

# The template's step that this module's step replaces: the same text in every template
# that installs dependencies (tests/unit/test_depfiles.py checks that they hold it).
TEMPLATE_STEP = """\
      # Your pipeline's dependencies and the DVC plugin of your remote (dvc-s3, dvc-gs, ...);
      # `mlci init` writes the step that fits your repository.
      - name: Install the pipeline's dependencies
        run: python -m pip install -r requirements.txt

"""
STEP_NAME = "Install the pipeline's dependencies"
# Requirements files that name what a pipeline needs, before those of development tools.
PREFERRED_REQUIREMENTS = ("requirements.txt", "requirements/base.txt", "requirements/main.txt",
                          "requirements/prod.txt", "requirements/requirements.txt")
TOOLING = re.compile(r"(^|[-_/.])(dev|develop|test|tests|testing|doc|docs|lint|ci)([-_/.]|$)")
LISTED = "requirements*.txt, requirements/*.txt, pyproject.toml, uv.lock, poetry.lock, Pipfile.lock or environment.yml"


@dataclass(frozen=True)
class Dependencies:
    """What the workflow installs for the stages, and from where."""

    kind: Kind
    files: tuple[str, ...] = ()  # the files it installs from, relative to the git root (posix)
    others: tuple[str, ...] = ()  # dependency files found but not installed
    folder: str = "."  # where the lock or project file is, relative to the git root

    @property
    def described(self) -> str:
        """``requirements.txt`` / ``uv.lock (uv)``: what the install step reads."""
        tool = {"uv": "uv", "poetry": "Poetry", "pipenv": "Pipenv", "conda": "conda"}.get(self.kind)
        listed = " and ".join(self.files)
        return f"{listed} ({tool})" if tool else listed


def _posix(path: Path, root: Path) -> str:
    return PurePosixPath(path.relative_to(root)).as_posix()


def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise MlciError(f"{shown}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise MlciError(f"{shown}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # "Expected '=' after a key in a key/value pair (at line 3, column 5)": the line first.
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{shown}:{match[1]}" if match else shown
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        raise MlciError(f"{where}: invalid TOML: {reason}") from None


def find(project: Path, git_root: Path | None = None) -> Dependencies:
    """The dependency files of the project (its folder first, then the git root's).

    An unreadable pyproject.toml that would decide is a one-line MlciError; one that a
    lock or requirements file outranks is not read.
    """
    root = (git_root or project).resolve()
    folders = list(dict.fromkeys([project.resolve(), root]))
    for folder in folders:
        found = _find_in(folder, root)
        if found is not None:
            return found
    return Dependencies("none")


def _find_in(folder: Path, root: Path) -> Dependencies | None:
    def rel(name: str) -> str:
        return _posix(folder / name, root)

    where = _posix(folder, root) if folder != root else "."
    present = [name for name in ("uv.lock", "poetry.lock", "Pipfile.lock") if (folder / name).is_file()]
    requirements = sorted(
        {_posix(p, folder) for p in [*folder.glob("requirements*.txt"), *folder.glob("requirements/*.txt")]
         if p.is_file()})
    pyproject = folder / "pyproject.toml"
    conda = [name for name in ("environment.yml", "environment.yaml") if (folder / name).is_file()]
    everything = [*present, *requirements, *(["pyproject.toml"] if pyproject.is_file() else []), *conda]

    def others(*used: str) -> tuple[str, ...]:
        return tuple(rel(name) for name in everything if name not in used)

    if present:
        lock = present[0]
        kind: Kind = {"uv.lock": "uv", "poetry.lock": "poetry", "Pipfile.lock": "pipenv"}[lock]  # type: ignore[assignment]
        used = (lock, "pyproject.toml") if kind in ("uv", "poetry") else (lock, "Pipfile")
        return Dependencies(kind, (rel(lock),), others(*used), where)
    if requirements:
        chosen = _choose_requirements(requirements)
        return Dependencies("requirements", (rel(chosen),), others(chosen), where)
    if pyproject.is_file():
        data = _read_toml(pyproject, rel("pyproject.toml"))
        project = data.get("project")
        has_dependencies = isinstance(project, dict) and bool(project.get("dependencies"))
        if isinstance(data.get("build-system"), dict) and isinstance(project, dict):
            return Dependencies("package", (rel("pyproject.toml"),), others("pyproject.toml"), where)
        if has_dependencies:
            return Dependencies("pyproject", (rel("pyproject.toml"),), others("pyproject.toml"), where)
    if conda:
        return Dependencies("conda", (rel(conda[0]),), others(conda[0]), where)
    return None


def _choose_requirements(names: Sequence[str]) -> str:
    for preferred in PREFERRED_REQUIREMENTS:
        if preferred in names:
            return preferred
    for_pipeline = [n for n in names if not TOOLING.search(n.removesuffix(".txt"))]
    return (for_pipeline or list(names))[0]


# -- the step -------------------------------------------------------------------------------


def commands(deps: Dependencies, plugin: str | None) -> list[str]:
    """The shell lines that install ``deps`` and the DVC remote's ``plugin`` into the runner's
    Python (setup-python's), run from ``deps.folder``. Empty: nothing to install."""
    file = PurePosixPath(deps.files[0]).name if deps.files else ""
    path = deps.files[0] if deps.files else ""
    lines: list[str]
    if deps.kind == "requirements":
        return [f"python -m pip install -r {path}" + (f" {plugin}" if plugin else "")]
    if deps.kind == "package":
        return ["python -m pip install ." + (f" {plugin}" if plugin else "")]
    if deps.kind == "pyproject":  # dependencies without a build system: uv reads them, building nothing
        return ["python -m pip install uv",
                f'python -m uv pip install --python "$(command -v python)" -r {file}' + (f" {plugin}" if plugin else "")]
    if deps.kind == "uv":
        lines = ["python -m pip install uv",
                 'python -m uv export --frozen --no-emit-project --output-file "$RUNNER_TEMP/requirements.txt"',
                 'python -m pip install -r "$RUNNER_TEMP/requirements.txt"']
    elif deps.kind == "poetry":
        lines = ["python -m pip install poetry", "poetry config virtualenvs.create false",
                 "poetry install --no-root --no-interaction"]
    elif deps.kind == "pipenv":
        lines = ["python -m pip install pipenv", "pipenv install --system --deploy"]
    else:  # conda, none
        lines = []
    return [*lines, f"python -m pip install {plugin}"] if plugin else lines


def step(deps: Dependencies, plugin: str | None) -> str:
    """The workflow text that replaces :data:`TEMPLATE_STEP` (indented for a job's steps)."""
    lines = commands(deps, plugin)
    if deps.kind == "conda":
        intro = [f"      # {deps.files[0]} is a conda environment, which mlci does not set up: add",
                 "      # conda-incubator/setup-miniconda (pinned by commit) with environment-file here."]
    elif deps.kind == "none":
        intro = [f"      # No dependency file was found ({LISTED}):",
                 "      # add one for your pipeline's stages and run `mlci init --force`, or install them here."]
    else:
        intro = [f"      # Your pipeline's dependencies, from {deps.described} (written by `mlci init`)."]
    if not lines:
        return "\n".join(intro) + "\n\n"
    out = [*intro, f"      - name: {STEP_NAME}"]
    if deps.folder != "." and deps.kind not in ("requirements", "conda", "none"):
        out.append(f"        working-directory: {deps.folder}")
    if len(lines) == 1:
        out.append(f"        run: {lines[0]}")
    else:
        out += ["        run: |", *(f"          {line}" for line in lines)]
    return "\n".join(out) + "\n\n"


def with_step(template: str, deps: Dependencies, plugin: str | None) -> str:
    """The template with its dependency step replaced by the one that fits; templates without it unchanged."""
    if TEMPLATE_STEP not in template:
        return template
    return template.replace(TEMPLATE_STEP, step(deps, plugin), 1)
