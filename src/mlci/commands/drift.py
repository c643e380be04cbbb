"""``mlci drift``: the current data against its reference (data or a saved profile), per column, and
the data validation of the current data; a bundle as ``mlci report`` writes, and its verdict.
``mlci drift profile``: the reference profile, made once so that a monitor never reads the training
set again.

The pairs are mlci.yaml's ``checks.drift`` entries, or the one given with ``--reference`` and
``--current`` (with the options of the entry of the same pair, when there is one). Each pair is
measured and judged by the drift check (:mod:`mlci.checks.drift`); the current data is validated
by the data check's own measure and judge (``checks.data`` entries whose path is the pair's
reference or its current data, applied to each of the current data's files). A path read at a
revision, or tracked by DVC and absent, is fetched through DVC into a temporary folder.

Exit 0: no dataset drift and every validation passed; 1: dataset drift or a failed validation; 2:
bad input (unreadable data, a bad profile, a mistake in mlci.yaml), one line naming the file or key.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlci.commands import Echo, echo, echo_err

if TYPE_CHECKING:
    from mlci.checks.base import Workspace
    from mlci.checks.data.spec import DataSpec
    from mlci.checks.drift.spec import DriftSpec
    from mlci.config import Policy
    from mlci.drift import Progress
    from mlci.report import GateResult, Measurement

DEFAULT_DRIFT_OUT = "mlci-drift"
Format = Literal["text", "md", "json"]
DATA_SUFFIXES = (".csv", ".parquet", ".pq")  # the files the data check reads
COMMAND_LINE = "command line"  # the policy file a bundle names when no mlci.yaml applied


@dataclass(frozen=True)
class Settings:
    reference: str | None = None  # with current: this pair only; None: every checks.drift entry
    current: str | None = None
    reference_rev: str | None = None
    current_rev: str | None = None
    config: str | None = None  # the policy file; None: mlci.yaml (optional with --reference/--current)
    out: str | Path = DEFAULT_DRIFT_OUT
    fmt: Format = "text"
    threshold_share: float | None = None  # None: the policy's, else 0.5
    validate: bool = True
    cwd: str | Path = "."
    actions_env: Mapping[str, str] | None = None  # GITHUB_* variables; None: os.environ
    color: bool = False
    progress: bool = False  # a progress line on a terminal (standard error); else one line per file
    dvc_update: tuple[str, ...] = ()  # .dvc files of imported data to `dvc update` first
    echo: Echo = echo
    echo_err: Echo = echo_err


@dataclass(frozen=True)
class ProfileSettings:
    data: str
    out: str | Path
    rev: str | None = None
    cwd: str | Path = "."
    progress: bool = False
    echo: Echo = echo
    echo_err: Echo = echo_err


def run(settings: Settings) -> int:
    """Measure and judge every pair, validate its current data, write the bundle; 1 when a gate failed."""
    import os

    from mlci.bundle import write_bundle
    from mlci.checks.base import spec_key
    from mlci.checks.drift import judge as drift_judge
    from mlci.checks.drift import measure as drift_measure
    from mlci.checks.drift.spec import encode
    from mlci.collect import DvcWorkspace
    from mlci.context import RunContext
    from mlci.evidence import Evidence
    from mlci.render import render
    from mlci.render.markdown import render_markdown
    from mlci.render.verdict import gate_exit_code
    from mlci.report import Measurement, Report

    env = os.environ if settings.actions_env is None else settings.actions_env
    root = Path(settings.cwd)
    policy, policy_file = _policy(settings, root)
    specs = pairs(settings, policy, policy_file)
    if settings.dvc_update:
        from mlci import dvc

        dvc.update(root, settings.dvc_update, echo=settings.echo_err)
    workspace = DvcWorkspace(root)
    drift_gates: list[GateResult] = []
    data_gates: list[GateResult] = []
    measurements: list[Measurement] = []  # the drift specs' first, then the validations'
    validations: list[Measurement] = []
    summaries = []
    for spec in specs:
        with tempfile.TemporaryDirectory(prefix="mlci-drift-") as scratch:
            reference, _ = _locate(workspace, spec.reference, spec.reference_rev, Path(scratch, "reference"))
            current, current_root = _locate(workspace, spec.current, spec.current_rev, Path(scratch, "current"))
            names = {Path(scratch, "reference"): spec.reference_rev, Path(scratch, "current"): spec.current_rev}
            with _progress(settings, names) as progress:
                record = drift_measure.record(spec, *drift_measure.compare_paths(spec, reference, current,
                                                                                 progress=progress))
            if settings.validate and policy is not None:
                found, made = validate(policy, spec, current, current_root)
                data_gates += found
                validations += made
        drift_gates += drift_judge.judge(spec, record, Evidence())
        summaries.append(drift_judge.summary(spec, record))
        measurements.append(Measurement(check="checks.drift", spec=spec_key(spec), value=encode(record)))
    report = Report(project=(policy.project if policy and policy.project else None) or root.resolve().name,
                    context=_context(RunContext.from_env(env), root), policy=_policy_info(policy, policy_file, root),
                    gates=(*drift_gates, *data_gates), measurements=(*measurements, *validations), drift=tuple(summaries))
    out = Path(settings.cwd, settings.out).resolve()
    _writing(out, lambda: write_bundle(report, out, render_markdown(report)))
    settings.echo(render(report, settings.fmt, color=settings.color), nl=False)
    return gate_exit_code(report)


def run_profile(settings: ProfileSettings) -> int:
    """Profile the data (a file or a directory; at a revision through DVC) and save it to ``out``."""
    from mlci.collect import DvcWorkspace
    from mlci.extras import require
    from mlci.render.fmt import plural

    require("drift", "mlci drift profile")
    from mlci.drift import profile_data, save_profile

    root = Path(settings.cwd)
    with tempfile.TemporaryDirectory(prefix="mlci-drift-") as scratch:
        data, _ = _locate(DvcWorkspace(root), settings.data, settings.rev, Path(scratch, "data"))
        with _progress(settings, {Path(scratch, "data"): settings.rev}) as progress:
            profile = profile_data(data, progress=progress)
    out = Path(settings.cwd, settings.out)
    _writing(out, lambda: save_profile(profile, out))
    shown = settings.data + (f"@{settings.rev}" if settings.rev else "")
    settings.echo(f"mlci: wrote {settings.out}: the profile of {shown} "
                  f"({plural(profile.rows, 'row')}, {plural(len(profile.columns), 'column')})")
    return 0


def _writing(path: Path, write: Callable[[], object]) -> None:
    """``write()``, an OSError (a folder that cannot be made or written) as one line naming ``path``."""
    from mlci.errors import MlciError

    try:
        write()
    except OSError as exc:
        raise MlciError(f"{path}: cannot write it: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- the pairs


def _policy(settings: Settings, root: Path) -> tuple[Policy | None, str]:
    """mlci.yaml (or --config) as the workspace has it; None when there is none and a pair was given."""
    from mlci.config import DEFAULT_CONFIG, load_policy
    from mlci.errors import ConfigError
    from mlci.safeload import read_text
    from mlci.yamlfile import POLICY_LIMITS

    name = settings.config or DEFAULT_CONFIG
    try:
        text = read_text(root / name, POLICY_LIMITS.bytes, error=ConfigError)
    except FileNotFoundError:
        if settings.config is not None:
            raise ConfigError(f"{name}: no such file") from None
        if settings.reference is None and settings.current is None:
            raise ConfigError(f"{name}: no such file; give --reference and --current, or list the pairs "
                              "in mlci.yaml's checks.drift") from None
        return None, name
    return load_policy(text, name), name


def pairs(settings: Settings, policy: Policy | None, policy_file: str) -> tuple[DriftSpec, ...]:
    """The drift specs to run: the pair given on the command line, or every ``checks.drift`` entry."""
    from mlci.checks.drift.spec import DriftSpec
    from mlci.errors import ConfigError, MlciError

    listed: tuple[DriftSpec, ...] = policy.specs("checks.drift") if policy is not None else ()
    if (settings.reference is None) != (settings.current is None):
        raise MlciError("give both --reference and --current (or neither: every entry of checks.drift)")
    if settings.reference is not None and settings.current is not None:
        same = [s for s in listed if _same(s.reference, settings.reference) and _same(s.current, settings.current)]
        spec = same[0] if same else DriftSpec(reference=settings.reference, current=settings.current)
        specs: tuple[DriftSpec, ...] = (replace(spec, reference=settings.reference, current=settings.current),)
    elif not listed:
        raise ConfigError(f"{policy_file}: no checks.drift entries; list the pairs there, or give --reference "
                          "and --current")
    else:
        specs = listed
    revs: dict[str, Any] = {}
    if settings.reference_rev is not None:
        revs["reference_rev"] = settings.reference_rev
    if settings.current_rev is not None:
        revs["current_rev"] = settings.current_rev
    if settings.threshold_share is not None:
        revs["threshold_share"] = settings.threshold_share
    return tuple(replace(s, **revs) for s in specs)


def _same(a: str, b: str) -> bool:
    from posixpath import normpath

    return normpath(a.replace("\\", "/")) == normpath(b.replace("\\", "/"))


def _locate(workspace: Workspace, path: str, rev: str | None, scratch: Path) -> tuple[Path, Path]:
    """Where to read ``path`` and the folder it is relative to: the workspace's, or a copy through
    DVC under ``scratch`` (the same relative path, so that gates name the path as mlci.yaml does)."""
    from mlci.errors import CheckError, MlciError

    local = workspace.root / path
    if rev is None and local.exists():
        return local, workspace.root
    if not Path(path).is_absolute():
        into = scratch / Path(path).parent
        into.mkdir(parents=True, exist_ok=True)
        from mlci.checks.drift.measure import locate

        try:
            return locate(workspace, path, rev, into), scratch
        except CheckError as exc:
            raise MlciError(str(exc)) from None
    raise MlciError(f"{path}: no such file or directory")


# ---------------------------------------------------------------- the validation


def validate(policy: Policy, spec: DriftSpec, current: Path, current_root: Path
             ) -> tuple[list[GateResult], list[Measurement]]:
    """The data check's gates of the current data: the ``checks.data`` entries of the reference (the
    training data's rules) and of the current data itself, applied to each of its files, by the
    data check's own measure and judge."""
    from mlci.checks.base import Workspace, spec_key
    from mlci.checks.data import judge as data_judge
    from mlci.checks.data import measure as data_measure
    from mlci.checks.data.spec import encode
    from mlci.errors import CheckError
    from mlci.evidence import Evidence
    from mlci.extras import require
    from mlci.report import GateResult, Measurement

    rules: list[DataSpec] = [d for d in policy.specs("checks.data")
                             if _same(d.path, spec.reference) or _same(d.path, spec.current)]
    if not rules:
        return [], []
    require("data", "the data validation of mlci drift")
    gates: list[GateResult] = []
    made: list[Measurement] = []
    workspace = Workspace(current_root)
    for file in _files(current):
        shown = _shown(file, current_root)
        for rule in rules:
            one = replace(rule, path=shown)
            if not file.name.lower().endswith(DATA_SUFFIXES):
                gates.append(GateResult(kind="data", subject=shown, status="skipped", rule=one.rule,
                                        reason="the data check reads .csv and .parquet files only",
                                        informational=one.informational, line=one.line))
                continue
            try:
                validation = data_measure.measure(one, workspace)
            except CheckError as exc:
                gates.append(GateResult(kind="data", subject=shown, status="fail", reason=str(exc), rule=one.rule,
                                        informational=one.informational, line=one.line))
                made.append(Measurement(check="checks.data", spec=spec_key(one), error=str(exc)))
                continue
            gates += data_judge.judge(one, validation, Evidence())
            made.append(Measurement(check="checks.data", spec=spec_key(one), value=encode(validation)))
    return gates, made


def _files(current: Path) -> list[Path]:
    from mlci.drift.read import data_files

    return data_files(current)[0]


def _shown(file: Path, root: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return str(file)


# ---------------------------------------------------------------- the report


def _context(ctx: Any, root: Path) -> Any:
    """The run's context as ``mlci report`` records it (repository, commit, event, run), both sides the workspace."""
    from mlci import git
    from mlci.report import Context, Revision

    sha = git.try_rev_parse(root, "HEAD") if _in_git(root) else None
    here = Revision(rev="workspace", sha=sha, workspace=True)
    return Context(event=ctx.event, base=here, head=here, repository=ctx.repository, pr_number=ctx.pr_number,
                   workflow=ctx.workflow, run_id=ctx.run_id, server_url=ctx.server_url,
                   default_branch=ctx.default_branch, base_reason="mlci drift: the reference data",
                   pr_head_sha=ctx.pr_head_sha)


def _in_git(root: Path) -> bool:
    return any((p / ".git").exists() for p in (root.resolve(), *root.resolve().parents))


def _policy_info(policy: Policy | None, file: str, root: Path) -> Any:
    """Which rules judged: the workspace's mlci.yaml, or (a pair given without one) the command line's
    options, recorded as the file ``command line``."""
    from mlci.report import PolicyInfo

    if policy is None:
        return PolicyInfo(file=COMMAND_LINE, source="head", rev="workspace", sha=None,
                          note="mlci drift: the pair and options given on the command line, no mlci.yaml")
    return PolicyInfo(file=file, source="head", rev="workspace", sha=None, note="mlci drift applies the workspace's copy",
                      comment_mode=policy.comment_mode, take_over_cml=policy.take_over_cml,
                      check_name=policy.check_name, plots=policy.plots)


# ---------------------------------------------------------------- progress


@contextmanager
def _progress(settings: Settings | ProfileSettings, copies: Mapping[Path, str | None] | None = None
              ) -> Iterator[Callable[[Progress], None]]:
    """The read's progress on standard error: a line rewritten in place on a terminal (at most ten
    times a second), else one line per file. A file of a copy fetched into a folder of ``copies`` is
    named by its path in the project, and the revision it was read at (``data/train.csv@v1``)."""
    from mlci.render.fmt import plural

    state: dict[str, Any] = {"file": None, "at": 0.0, "drawn": False}

    def name(file: str) -> str:
        for folder, rev in (copies or {}).items():
            try:
                shown = Path(file).relative_to(folder).as_posix()
            except ValueError:
                continue
            return shown + (f"@{rev}" if rev else "")
        return file

    def show(p: Progress) -> None:
        if not settings.progress:
            if p.file != state["file"]:
                state["file"] = p.file
                settings.echo_err(f"mlci: reading {name(p.file)} ({p.files_done + 1} of {plural(p.files, 'file')})")
            return
        now = time.monotonic()
        if now - state["at"] < 0.1:
            return
        state["at"], state["drawn"] = now, True
        total = f" of {p.total_rows:,}" if p.total_rows else ""
        settings.echo_err(f"\r\x1b[Kreading {name(p.file)}: {p.rows:,}{total} rows, file {p.files_done + 1} of {p.files}",
                          nl=False)

    try:
        yield show
    finally:
        if state["drawn"]:
            settings.echo_err("\r\x1b[K", nl=False)
