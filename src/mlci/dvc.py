"""Every DVC operation mlci performs.

Reading metrics and params goes through DVC's Python API (``Repo.metrics.show``
and ``Repo.params.show``, what ``dvc metrics diff`` itself calls) so that mlci
sees DVC's per-file errors as data instead of a warning on stderr. Running the
pipeline goes through the ``dvc`` command, whose output streams through.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci import dvcfiles
from mlci.errors import CommandFailed, ConfigError, DvcError
from mlci.proc import run, stream
from mlci.render.fmt import json_kind
from mlci.report import Repro, StageRun

if TYPE_CHECKING:
    from dvc.repo import Repo

WORKSPACE = "workspace"


@dataclass
class SideData:
    """What DVC read at one revision: per file, its content or why it failed."""

    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # path -> message


def open_repo(cwd: str | Path) -> Repo:
    """The DVC project containing ``cwd``; a clear error when there is none, or when a file DVC
    would parse in the work tree is beyond mlci's limits (:mod:`mlci.dvcfiles`)."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        root = Repo.find_root(str(cwd))
    except NotDvcRepoError:
        raise DvcError(f"{Path(cwd).resolve()}: not a DVC project (no .dvc/ here or above); run `dvc init`") from None
    dvcfiles.guard(root, None)
    return Repo(root)


def read_sides(repo: Repo, base_sha: str, head_sha: str | None) -> tuple[SideData, SideData]:
    """Metrics and params at ``base_sha`` and at ``head_sha`` (None: the workspace).

    DVC groups revisions that name the same commit, and returns nothing for a
    diff of a commit with itself; mlci asks for each commit once and gives
    both sides the same data in that case.
    """
    revs = [base_sha] if head_sha in (None, base_sha) else [base_sha, head_sha]
    for rev in revs:  # the work tree was read when the repository was opened
        dvcfiles.guard(repo.root_dir, rev)
    with _capture_dvc_notes() as notes:
        metrics = repo.metrics.show(revs=revs, hide_workspace=False, on_error="return")
        params = repo.params.show(revs=revs, hide_workspace=False, on_error="return")
    head_key = WORKSPACE if head_sha is None else head_sha
    base = _side(metrics.get(base_sha, {}), params.get(base_sha, {}), base_sha)
    head = _side(metrics.get(head_key, {}), params.get(head_key, {}), head_key)
    for path, note in notes:
        # DVC only logs (at debug level) metrics it cannot compare, such as lists.
        head.errors.setdefault(path, note)
    return base, head


def workspace_metrics(cwd: str | Path) -> SideData:
    """The metrics files of the project containing ``cwd``, as they are in the workspace now.

    Stage ``metrics:`` outputs and top-level ``metrics:`` of every dvc.yaml, keyed by
    their path from the project root; a file that was never produced has the error
    "file not found". A dvc.yaml DVC cannot load is a ConfigError naming it.
    """
    repo = open_repo(cwd)
    try:
        with _capture_dvc_notes() as notes:
            shown = repo.metrics.show(on_error="return")
    finally:
        repo.close()
    # One revision: the workspace (DVC's key for it is "" or "workspace").
    result: dict[str, Any] = next(iter(shown.values()), {})
    if "error" in result:
        raise ConfigError(describe_pipeline_error(result["error"]))
    side = _side(result, {}, WORKSPACE)
    for path, note in notes:
        side.errors.setdefault(path, note)
    return side


def describe_pipeline_error(exc: BaseException) -> str:
    """One line for a dvc.yaml DVC could not load, naming the file (relative to the current directory)."""
    name = type(exc).__name__
    path = os.path.normpath(str(getattr(exc, "path", "") or "dvc.yaml"))
    if name == "YAMLValidationError":
        errors = list(getattr(getattr(exc, "exc", None), "errors", None) or [])
        if errors:
            first = errors[0]
            where = ".".join(str(p) for p in (getattr(first, "path", None) or []))
            more = f" (and {len(errors) - 1} more; `dvc stage list` shows them)" if len(errors) > 1 else ""
            return f"{path}: not a valid DVC pipeline: {getattr(first, 'error_message', first)}" + (
                f" at {where}" if where else "") + more
        return f"{path}: not a valid DVC pipeline: {exc}"
    if name == "YAMLSyntaxError" or "corrupted" in str(exc):
        mark = getattr(exc.__cause__, "problem_mark", None)
        problem = getattr(exc.__cause__, "problem", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        return f"{path}{line}: not valid YAML" + (f": {problem}" if problem else "")
    return f"{path}: DVC could not load it: {describe_error(exc)}"


def _side(metrics: dict[str, Any], params: dict[str, Any], rev: str) -> SideData:
    side = SideData()
    for kind, result, target in (("metrics", metrics, side.metrics), ("params", params, side.params)):
        if "error" in result:
            side.errors[f"({kind})"] = f"DVC could not read {kind} at {rev[:7]}: {describe_error(result['error'])}"
            continue
        for path, file_result in (result.get("data") or {}).items():
            path = Path(path).as_posix()
            data = file_result.get("data")
            if "error" in file_result:
                side.errors[path] = describe_error(file_result["error"])
            elif data is None or isinstance(data, Mapping):
                target[path] = data or {}
            else:  # a file of one number, a list, a string: no names to compare by
                side.errors[path] = f"holds {json_kind(data)}, not {kind} by name (an object such as {{\"accuracy\": 0.9}})"
    return side


def describe_error(exc: BaseException) -> str:
    """One line for a DVC read error, without DVC's confusing relative paths."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else name
    if name.endswith("FileCorruptedError") or "corrupted" in text:
        kind = name.removesuffix("FileCorruptedError").upper() or "file"
        return f"not valid {kind}: the file could not be parsed"
    if name == "YAMLFileCorruptedError":
        return "not valid YAML: the file could not be parsed"
    return f"{name}: {text}"


_UNSUPPORTED = re.compile(r"Could not parse '(?P<key>.*)' metric from '(?P<path>.*)' due to its unsupported type: '(?P<type>\w+)'")


@contextmanager
def _capture_dvc_notes() -> Iterator[list[tuple[str, str]]]:
    """Collect DVC's debug notes about metrics it skips (lists, nulls, objects)."""
    notes: list[tuple[str, str]] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            match = _UNSUPPORTED.match(record.getMessage())
            if match:
                path = match["path"].lstrip("/")
                notes.append((path, f"'{match['key']}' is a {match['type']}; DVC compares only numbers and strings, so it is left out"))

    # Lowering the level would make DVC's own handlers print debug lines, so the
    # logger stops propagating while it is captured: its warnings are data here.
    logger = logging.getLogger("dvc.repo.metrics.show")
    handler = Handler(level=logging.DEBUG)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield notes
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def stages(repo: Repo) -> list[Any]:
    """The project's stages; a dvc.yaml DVC cannot load (not YAML, not a pipeline) is a
    ConfigError of one line naming it, not DVC's exception."""
    from dvc.exceptions import DvcException

    try:
        return list(repo.index.stages)
    except DvcException as exc:
        raise ConfigError(describe_pipeline_error(exc)) from None


@dataclass(frozen=True)
class DeclaredArtifact:
    """An entry of a dvc.yaml's ``artifacts:``: the dvc.yaml (from the project root) and its fields."""

    dvcyaml: str
    name: str
    path: str
    type: str | None
    description: str | None
    labels: tuple[str, ...]


def declared_artifacts(repo: Repo) -> list[DeclaredArtifact]:
    """Every artifact the project's dvc.yaml files declare, as DVC reads them. DVC only warns of a
    name GTO would refuse; the caller says so (its warning is kept from the terminal)."""
    from dvc.exceptions import DvcException

    logger = logging.getLogger("dvc.repo.artifacts")
    old = logger.disabled
    logger.disabled = True
    try:
        found = repo.artifacts.read()
    except DvcException as exc:
        raise ConfigError(describe_pipeline_error(exc)) from None
    finally:
        logger.disabled = old
    return [DeclaredArtifact(Path(dvcyaml).as_posix(), name, a.path, a.type, a.desc, tuple(a.labels or ()))
            for dvcyaml, artifacts in sorted(found.items()) for name, a in sorted(artifacts.items())]


def has_pipeline(repo: Repo) -> bool:
    """True when the project has a dvc.yaml anywhere (stages or top-level metrics)."""
    return any(stage.dvcfile.path.endswith("dvc.yaml") for stage in stages(repo)) or os.path.exists(
        os.path.join(repo.root_dir, "dvc.yaml")
    )


def default_remote(repo: Repo) -> str | None:
    remote = repo.config.get("core", {}).get("remote")
    return str(remote) if remote else None


def default_remote_url(cwd: str | Path) -> tuple[str, str] | None:
    """The default remote of the project containing ``cwd`` and its URL, from DVC's merged config."""
    repo = open_repo(cwd)
    try:
        name = default_remote(repo)
        if name is None:
            return None
        return name, str(repo.config.get("remote", {}).get(name, {}).get("url", ""))
    finally:
        repo.close()


# -- running the pipeline ----------------------------------------------------------

_STAGE_LINE = re.compile(
    r"^(?:Running stage '(?P<ran>[^']+)'"
    r"|Stage '(?P<cached>[^']+)' is cached - skipping run"
    r"|Pulling data for stage: '(?P<pulled>[^']+)'"
    r"|Stage '(?P<same>[^']+)' didn't change, skipping"
    r"|'(?P<source>[^']+)' didn't change, skipping)"
)

Echo = Callable[[str], None]


def _stream(cmd: Sequence[str], cwd: Path, echo: Echo,
            env: Mapping[str, str] | None = None) -> tuple[int, list[tuple[float, str]]]:
    """Run the DVC command ``cmd`` through :func:`mlci.proc.stream`; return (code, timed lines)."""
    try:
        return stream(cmd, echo=echo, cwd=cwd, env=env)
    except CommandFailed as exc:
        if exc.code != 127:
            raise
        raise DvcError(f"`{cmd[0]}` not found; install DVC (pip install 'dvc>=3')") from None


def _pull(repo: Repo, echo: Echo) -> str | None:
    """``dvc pull --run-cache --allow-missing`` through DVC's API, on the repository mlci has open:
    a ``dvc pull`` process would start Python and import DVC again, about 0.6 s of every PR run
    on 2 cores. DVC's warnings are echoed as its command would print them. None when it pulled,
    else why not, in one line (DVC's command line, too, turns any exception into its exit code 255)."""
    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            for line in record.getMessage().splitlines():
                echo(f"dvc: {record.levelname.lower()}: {line}")

    # Only this handler while pulling: DVC logs through the root logger (dvc.log), dvc-data and
    # dvc-objects through loggers of their own, and the handlers DVC's logging set-up puts on those
    # would print to standard out and error.
    loggers = [logging.getLogger(name) for name in ("", "dvc", "dvc_data", "dvc_objects")]
    old_handlers = [logger.handlers[:] for logger in loggers]
    for logger in loggers:
        logger.handlers = []
    loggers[0].handlers = [Handler(level=logging.WARNING)]
    try:
        result = repo.pull(run_cache=True, allow_missing=True)
    except Exception as exc:  # noqa: BLE001 - a plugin missing (ImportError), the network, credentials: all "not pulled"
        return " ".join(str(exc).split())[:_FAILURE_MAX] or type(exc).__name__
    finally:
        for logger, handlers in zip(loggers, old_handlers):
            logger.handlers = handlers
    stats = (result or {}).get("stats", {})
    counts = [f"{stats[key]} {key}" for key in ("fetched", "added", "modified", "deleted") if stats.get(key)]
    echo(f"mlci: pulled: {', '.join(counts)}" if counts else "mlci: pulled: everything was up to date")
    return None


def update(cwd: str | Path, targets: Sequence[str], *, echo: Echo = print) -> None:
    """``dvc update TARGETS``: the newest version of ``dvc import``ed data (the monitor's current data),
    its output streamed; DvcError naming the file when DVC fails, or when a target is no .dvc file."""
    for target in targets:
        if not target.endswith(".dvc") or not Path(cwd, target).is_file():
            raise DvcError(f"--dvc-update {target}: expected the .dvc file of `dvc import`ed data")
    echo(f"mlci: dvc update {' '.join(targets)}")
    code, _ = _stream([*dvc_command(), "update", "--", *targets], Path(cwd), echo)
    if code != 0:
        raise DvcError(f"`dvc update {' '.join(targets)}` failed with exit code {code} (see its output above)")


def dvc_command() -> list[str]:
    """``dvc`` from the same environment as mlci."""
    return [sys.executable, "-m", "dvc"]


def command(cwd: str | Path, *args: str) -> None:
    """``dvc ARGS`` in ``cwd`` (init, config, remote add, checkout ...); CommandFailed when DVC fails."""
    run([*dvc_command(), *args], cwd=cwd)


def stage_outputs_present(repo: Repo) -> dict[str, bool]:
    """For each stage, whether all of its outputs exist in the workspace now."""
    present = {}
    for stage in stages(repo):
        if not stage.cmd:
            continue
        present[stage_address(repo, stage)] = all(os.path.exists(out.fs_path) for out in stage.outs)
    return present


def stage_commands(repo: Repo) -> dict[str, str]:
    """For each stage, its (first) command as dvc.yaml gives it."""
    commands = {}
    for stage in stages(repo):
        cmd = stage.cmd[0] if isinstance(stage.cmd, list) and stage.cmd else stage.cmd
        if cmd:
            commands[stage_address(repo, stage)] = str(cmd)
    return commands


def stage_address(repo: Repo, stage: Any) -> str:
    """The stage's name as ``dvc repro`` prints it when run from the project root."""
    dvcfile = os.path.relpath(str(stage.dvcfile.path), str(repo.root_dir))
    name = str(getattr(stage, "name", "") or "")
    if not name:
        return dvcfile
    return name if dvcfile == "dvc.yaml" else f"{Path(dvcfile).as_posix()}:{name}"


def classify_stages(
    lines: Sequence[tuple[float, str]], ended: float, missing_before: set[str]
) -> list[StageRun]:
    """Stage results from ``dvc repro`` output lines, in the order DVC handled them.

    A stage that DVC found unchanged but whose outputs were absent before the
    pull was restored from the remote; ``is cached`` means the run-cache.
    """
    marks: list[tuple[float, str, str]] = []
    for stamp, line in lines:
        match = _STAGE_LINE.match(line.strip())
        if not match:
            continue
        if match["ran"]:
            marks.append((stamp, match["ran"], "ran"))
        elif match["cached"] or match["pulled"]:
            marks.append((stamp, match["cached"] or match["pulled"], "restored"))
        elif match["same"]:
            name = match["same"]
            marks.append((stamp, name, "restored" if name in missing_before else "unchanged"))
    # A stage may be marked twice ("Pulling data for stage" and then, when the
    # remote lacks it, "Running stage"): its last mark decides, its times add up.
    states: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for i, (stamp, name, state) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else ended
        states[name] = state
        seconds[name] = seconds.get(name, 0.0) + max(0.0, end - stamp)
    return [StageRun(name=n, state=s, seconds=round(seconds[n], 1)) for n, s in states.items()]  # type: ignore[arg-type]


# -- a stage that could not import a module: which interpreter ran it ------------------

_IMPORT_ERROR = re.compile(r"^(?:[\w.]+\.)?(?P<kind>ModuleNotFoundError|ImportError): (?P<text>.*)$")
_NO_MODULE = re.compile(r"^No module named '?(?P<module>[\w.]+)'?")
_CANNOT_IMPORT = re.compile(r"^cannot import name '?(?P<name>[\w.]+)'? from '?(?P<module>[\w.]+)'?")
_PYTHON_WORD = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")


@dataclass(frozen=True)
class ImportFailure:
    """The last ``ModuleNotFoundError``/``ImportError`` in a stage's output.

    ``what`` is only ever a dotted module name (``'sklearn'``, ``'foo' from 'bar'``) or a fixed
    phrase, never the error's free text: it goes into the bundle, which keeps no stage output.
    """

    kind: str  # "ModuleNotFoundError" or "ImportError"
    what: str  # "'sklearn'", "'name' from 'module'", or "a module" when the message names none


def import_failure(lines: Iterable[str]) -> ImportFailure | None:
    """The stage's failed import, from its output lines: the last line it printed before DVC's
    ``ERROR:``, as an uncaught exception's traceback ends with it. Any other failure: None."""
    last = ""
    for line in lines:
        if line.startswith("ERROR: "):
            break
        if line.strip():
            last = line.strip()
    match = _IMPORT_ERROR.match(last)
    if not match:
        return None
    text = match["text"].strip()
    if named := _NO_MODULE.match(text):
        what = f"'{named['module']}'"
    elif named := _CANNOT_IMPORT.match(text):
        what = f"'{named['name']}' from '{named['module']}'"
    else:
        what = "a module"
    return ImportFailure(kind=match["kind"], what=what)


def failed_stage_lines(lines: Sequence[str], stage: str) -> list[str]:
    """The output of ``stage``: the lines from DVC's last ``Running stage '<stage>'`` on."""
    start = 0
    for i, line in enumerate(lines):
        if line.strip().startswith(f"Running stage '{stage}'"):
            start = i
    return list(lines[start:])


def stage_interpreter_command(cmd: str) -> str:
    """The interpreter a stage's command starts (``python3``, ``.venv/bin/python``), else ``python``."""
    first = cmd.strip().split(maxsplit=1)[0] if cmd.strip() else ""
    return first if _PYTHON_WORD.match(os.path.basename(first)) else "python"


def install_kind(prefix: str, base_prefix: str) -> str:
    """How an interpreter was installed, from its ``sys.prefix`` and ``sys.base_prefix``."""
    parts = Path(prefix).parts
    pairs = set(zip(parts, parts[1:]))
    if ("pipx", "venvs") in pairs:
        return "a pipx venv"
    if ("uv", "tools") in pairs:
        return "a uv tool venv"
    if os.path.realpath(prefix) != os.path.realpath(base_prefix):
        return "a virtual environment"
    return "a system Python, not a virtual environment"


def import_hint(failure: ImportFailure, *, command: str, stage_python: str | None, same_environment: bool,
                mlci_python: str, mlci_install: str, requirements: str | None) -> str:
    """What to say when a stage could not import: which interpreter ran it, where mlci runs, what to do.

    ``command`` is how the stage named its interpreter (``python``); ``stage_python`` is what that
    resolved to on the stage's PATH (None: not found); ``requirements`` the project's requirements
    file, when it has one.
    """
    where = f"`{command}` on PATH" if "/" not in command else f"`{command}`"
    head = f"could not import {failure.what}" + (" (ImportError)" if failure.kind == "ImportError" else "")
    if stage_python is None:
        return (f"{head}: {where} is not found now; mlci runs on {mlci_python} ({mlci_install}); "
                "install the stage's dependencies into the interpreter that runs it")
    if same_environment:
        ran = f"the stage ran on {stage_python} ({where}), the interpreter mlci runs on ({mlci_install})"
    else:
        ran = f"mlci runs on {mlci_python} ({mlci_install}), but the stage ran on {stage_python} ({where})"
    if requirements:
        todo = f"install the stage's dependencies into it: {stage_python} -m pip install -r {requirements}"
    elif failure.what == "a module":
        todo = f"install the stage's dependencies into it: {stage_python} -m pip install PACKAGE"
    else:
        module = failure.what.split(" from ")[-1]
        todo = f"install the package that provides {module} into it: {stage_python} -m pip install PACKAGE"
    return f"{head}: {ran}; {todo}"


def _resolve_python(command: str, root: Path, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(sys.executable, sys.prefix) of the interpreter ``command`` starts on ``env``'s PATH in ``root``.

    It is run once to ask, so a pyenv or asdf shim names the interpreter it picks, not itself.
    """
    import shutil

    path = str(root / command) if "/" in command and not os.path.isabs(command) else command
    found = shutil.which(path, path=env.get("PATH", os.defpath))
    if found is None:
        return None
    code, out, _ = run([found, "-c", "import sys; print(sys.executable); print(sys.prefix)"],
                       cwd=root, env=env, check=False)
    answer = out.strip().splitlines()
    if code != 0 or len(answer) != 2:
        return found, ""
    return answer[0], answer[1]


def _import_hint(root: Path, stage: str, cmd: str, output: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The hint for a failed stage whose output ends with a failed import; None for any other failure."""
    failure = import_failure(failed_stage_lines(output, stage))
    if failure is None:
        return None
    command = stage_interpreter_command(cmd)
    resolved = _resolve_python(command, root, env)
    same = resolved is not None and bool(resolved[1]) and os.path.realpath(resolved[1]) == os.path.realpath(sys.prefix)
    requirements = "requirements.txt" if (root / "requirements.txt").is_file() else None
    return import_hint(failure, command=command, stage_python=resolved[0] if resolved else None, same_environment=same,
                       mlci_python=sys.executable, mlci_install=install_kind(sys.prefix, sys.base_prefix),
                       requirements=requirements)


_FAILURE_MAX = 1000  # the bundle schema's maxLength of repro.failure


def repro(
    cwd: str | Path,
    *,
    args: Sequence[str] = (),
    pull: bool | None = None,
    push: bool = False,
    echo: Echo = print,
    env: Mapping[str, str] | None = None,
) -> Repro:
    """Pull (when a remote is configured), ``dvc repro ARGS``, push when asked.

    ``pull=None`` pulls exactly when the project has a default remote, and goes on without
    it when that pull fails (``Repro.pull_error`` says so); ``pull=True`` makes it an error.
    A failing stage is a value, not an exception: after the output has streamed through, the
    Repro of what ran up to then (that stage marked failed, ``failure`` saying why); nothing
    is pushed. ``dvc repro``
    failing before any stage ran (an unknown target, ...) raises DvcError.

    DVC, and so every stage, runs in ``env`` (default: os.environ). A stage that failed on an
    import gets one more line after DVC's output, kept in ``Repro.failure`` too: which
    interpreter ran it, which one mlci runs on, and what to install where.
    """
    started = time.monotonic()
    repo = open_repo(cwd)
    root = Path(repo.root_dir)
    remote = default_remote(repo)
    if pull and remote is None:
        raise DvcError("--pull needs a default DVC remote (dvc remote add -d NAME URL)")
    if push and remote is None:
        raise DvcError("--push needs a default DVC remote (dvc remote add -d NAME URL)")
    do_pull = remote is not None if pull is None else pull
    pull_error: str | None = None
    before = stage_outputs_present(repo)
    commands = stage_commands(repo)
    env = dict(os.environ if env is None else env)
    from mlci import git

    dirty_before = tuple(git.status_paths(root))

    try:
        if do_pull:
            echo(f"mlci: pulling outputs and run-cache from remote '{remote}'")
            failed = _pull(repo, echo)
            if failed is not None and pull:
                raise DvcError(f"`dvc pull --run-cache` failed: {failed}")
            if failed is not None:  # pulling was only a shortcut: run the stages without it, and say so
                pull_error = (f"could not pull from the DVC remote '{remote}' (`dvc pull`: {failed}; its "
                              "credentials or plugin?), so every stage ran without it")
                echo(f"mlci: warning: {pull_error}")
                do_pull = False
    finally:
        repo.close()

    echo("mlci: reproducing the pipeline")
    # With a remote, `--pull` lets DVC fetch the outputs of run-cache hits
    # (`dvc pull --run-cache` brings the run-cache entries, not their outputs).
    extra = ["--pull"] if do_pull and "--pull" not in args else []
    code, lines = _stream([*dvc_command(), "repro", *extra, *args], root, echo, env)
    missing = {name for name, ok in before.items() if not ok}
    stages = classify_stages(lines, time.monotonic(), missing)
    if code != 0:
        if not stages or stages[-1].state != "ran":  # before any stage ran: an unknown target, a lock, ...
            raise DvcError(f"`dvc repro` failed with exit code {code} (see its output above)")
        # DVC stops at the first failing stage: the last one it started.
        stages[-1] = replace(stages[-1], state="failed")
        name = stages[-1].name
        failure = f"`dvc repro` failed in stage '{name}' with exit code {code}"
        recorded = failure
        hint = _import_hint(root, name, commands.get(name, ""), [line for _, line in lines], env)
        if hint is not None:
            echo(f"mlci: stage '{name}' {hint}")
            recorded = f"{failure}: {hint}"[:_FAILURE_MAX]
        return Repro(stages=tuple(stages), pulled=do_pull, pushed=False,
                     seconds=round(time.monotonic() - started, 1), dirty_before=dirty_before, failure=recorded,
                     pull_error=pull_error)

    if push:
        echo(f"mlci: pushing outputs and run-cache to remote '{remote}'")
        code, _ = _stream([*dvc_command(), "push", "--run-cache"], root, echo, env)
        if code != 0:
            raise DvcError(f"`dvc push --run-cache` failed with exit code {code} (see its output above)")
    return Repro(stages=tuple(stages), pulled=do_pull, pushed=push, seconds=round(time.monotonic() - started, 1),
                 dirty_before=dirty_before, pull_error=pull_error)


# -- plots ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotFigure:
    """One figure of ``dvc plots diff --json``, as DVC made it.

    A ``vega`` figure is DVC's own Vega-Lite specification (its template filled in), with the
    rows of every revision that has data in ``data.values``, each row's ``rev`` naming it. An
    ``image`` figure is one image file declared as a plot, as its bytes at each revision that
    has it. ``declared`` are the revisions whose dvc.yaml declares it; ``errors`` says, per
    revision, why DVC read no data there (a revision that does not declare it has none).
    """

    id: str
    kind: str  # "vega" | "image"
    title: str
    spec: dict[str, Any] | None
    images: dict[str, bytes]
    revisions: tuple[str, ...]  # the revisions with data in the figure, in the order asked
    declared: tuple[str, ...]
    errors: dict[str, str]
    failure: str | None = None  # why DVC made no specification of a figure it has data for


def plots_diff(repo: Repo, revs: Sequence[str]) -> tuple[list[PlotFigure], dict[str, str]]:
    """Every plot the project declares, for each of ``revs`` (git revisions, or ``workspace``),
    as ``dvc plots diff --json REVS`` gives it; and, per revision, why DVC could not read its
    plot definitions at all (a dvc.yaml it cannot load there).

    It runs what that command runs, in this process (``Repo.plots.show`` with DVC's collecting
    ``onerror``, then ``dvc.render``'s ``match_defs_renderers``) with no output folder, so image
    plots come as their bytes and nothing is written. ``revs`` name the revisions in the
    figures (their legends and facets); each names one commit, or DVC would merge them.
    DVC's line on stderr that some revision failed is kept from the terminal: the failures
    are in what this returns.
    """
    import base64

    from dvc.render.match import PlotsData
    from dvc.ui import ui

    for rev in revs:
        if rev != WORKSPACE:
            dvcfiles.guard(repo.root_dir, rev)
    shown = ui.error_write
    ui.error_write = _quiet
    try:
        data = repo.plots.show(revs=list(revs))
    finally:
        ui.error_write = shown
    definition_errors = {rev: describe_error(error) for rev in revs
                         if isinstance(error := (data.get(rev, {}).get("definitions", {}).get("error")), BaseException)}
    declared: dict[str, list[str]] = {}
    for plot_id, group in PlotsData(data).group_definitions().items():
        for rev, inner_id, _ in group:
            for key in (plot_id, inner_id):
                declared.setdefault(key, [])
                if rev not in declared[key]:
                    declared[key].append(rev)
    figures = []
    for plot_id, matched in _match_plots(data, repo.plots.templates_dir):
        if isinstance(matched, str):  # DVC could not make this plot's renderer at all
            figures.append(PlotFigure(id=plot_id, kind="vega", title=plot_id, spec=None, images={}, revisions=(),
                                      declared=tuple(declared.get(plot_id, ())), errors={}, failure=matched))
            continue
        renderer, source_errors, def_errors = matched
        errors: dict[str, str] = {}
        for rev, per_source in source_errors.items():
            errors[rev] = "; ".join(f"{Path(src).as_posix()}: {describe_error(e)}" for src, e in sorted(per_source.items()))
        for rev, error in def_errors.items():
            errors.setdefault(rev, describe_error(error))
        title = str(renderer.properties.get("title") or renderer.name)
        failure = None
        if renderer.TYPE == "image":
            images = {str(point["rev"]): base64.b64decode(str(point["src"]).split(",", 1)[1])
                      for point in renderer.datapoints}
            with_data = [rev for rev in revs if rev in images]
            spec = None
        else:
            images = {}
            with_data = [rev for rev in revs if rev in set(renderer.get_revs())] if renderer.datapoints else []
            spec = None
            if with_data:
                try:  # a template of the user's own (.dvc/plots) may lack what DVC fills in
                    spec = dict(renderer.get_filled_template())
                except Exception as exc:  # noqa: BLE001 - whatever DVC raises is this plot's reason
                    failure = f"DVC could not fill in its template: {describe_error(exc)}"
        figures.append(PlotFigure(id=str(renderer.name), kind=str(renderer.TYPE), title=title, spec=spec, images=images,
                                  revisions=tuple(with_data), declared=tuple(declared.get(str(renderer.name), ())),
                                  errors=errors, failure=failure))
    return figures, definition_errors


def _match_plots(data: dict[str, Any], templates_dir: Any) -> list[tuple[str, Any]]:
    """DVC's renderers for the plots in ``data``, each as (plot id, (renderer, source errors, definition errors)).

    DVC matches every plot at once and stops at the first it cannot make a renderer for (a template
    that is not found); then each plot definition is matched on its own, and one that still fails
    is (its id, the reason), so one bad plot leaves the others drawn.
    """
    from dvc.render.match import PlotsData, match_defs_renderers

    try:
        return [(str(m.renderer.name), tuple(m)) for m in match_defs_renderers(data=data, templates_dir=templates_dir)]
    except Exception:  # noqa: BLE001 - matched again one plot at a time below
        pass
    keys = list(dict.fromkeys((config, key) for rev_data in data.values()  # in the order dvc.yaml declares them
                              for config, defs in (rev_data.get("definitions", {}).get("data") or {}).items()
                              for key in (defs.get("data") or {})))
    matched: list[tuple[str, Any]] = []
    for config, key in keys:
        alone = {rev: {**rev_data, "definitions": {"data": {config: {"data": {key: defs[config]["data"][key]}}}}}
                 for rev, rev_data in data.items()
                 if key in ((defs := rev_data.get("definitions", {}).get("data") or {}).get(config, {}).get("data") or {})}
        try:
            matched += [(str(m.renderer.name), tuple(m)) for m in match_defs_renderers(data=alone, templates_dir=templates_dir)]
        except Exception as exc:  # noqa: BLE001 - whatever DVC raises is this plot's reason
            for plot_id in PlotsData(alone).group_definitions() or [key]:
                matched.append((str(plot_id), f"DVC could not make its figure: {describe_error(exc)}"))
    return matched


def _quiet(*objects: Any, **options: Any) -> None:
    """DVC's ``ui.error_write`` while plots are read: their errors are data, not a line on stderr."""


def fetch_data(root: str | Path, path: str, rev: str | None, into: str | Path) -> Path:
    """The file or directory ``path`` of the project at ``root`` copied into the folder ``into``,
    through DVC's file system (``dvc.api.DVCFileSystem``): at git revision ``rev`` (None: the
    workspace), from the workspace, DVC's cache, or else the DVC remote, whether git or DVC tracks
    it. Returns the copy's path. DvcError naming the path when there is none, or DVC cannot read it.
    """
    from dvc.api import DVCFileSystem
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    at = f"{path}@{rev}" if rev else path
    root = Path(root).resolve()
    try:
        Repo.find_root(str(root))
    except NotDvcRepoError:
        missing = f"no DVC project here to read it at {rev} from" if rev else "not in DVC's keeping either: no DVC project here"
        raise DvcError(f"{at}: no such file or directory ({missing})") from None
    dvcfiles.guard(root, rev)
    target = Path(into) / (Path(path).name or "data")
    try:
        with _quiet_logs():
            fs = DVCFileSystem(str(root), rev=rev)
            if not fs.exists(path):
                where = f"at {rev}" if rev else "in the workspace"
                raise DvcError(f"{at}: no such file or directory {where}, in git or in DVC")
            fs.get(path, str(target), recursive=fs.isdir(path))
    except DvcError:
        raise
    except FileNotFoundError:
        raise DvcError(f"{at}: DVC tracks it, but it is in neither DVC's cache nor its remote (was it pushed?)") from None
    except Exception as exc:  # noqa: BLE001 - DVC's and scmrepo's errors have no common base
        raise DvcError(f"{at}: DVC cannot read it: {describe_error(exc)}") from None
    if not target.exists():
        raise DvcError(f"{at}: DVC found it but copied nothing (is it pushed to the DVC remote?)")
    return target


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """DVC's own log lines (its progress, its warnings) kept off the terminal: errors come back as DvcError."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
