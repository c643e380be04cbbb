"""Collect: from the run context and the DVC project to the evidence the policy is judged on.

``mlci report`` is :func:`collect`, then :func:`mlci.evaluate.judge`, then the bundle written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from mlci import compare, dvc, git
from mlci.checks.base import Workspace, spec_key
from mlci.checks.metrics.spec import check_patterns
from mlci.checks.registry import CHECKS
from mlci.config import Policy
from mlci.context import RunContext, choose_base, choose_head
from mlci.errors import CheckError, DvcError, MlciError
from mlci.evaluate import judge, unexpected
from mlci.evidence import Evidence, Measured
from mlci.extras import MissingExtra, dvc_yaml_declares_plots, require
from mlci.plots.model import FOLDER, Plot, PlotSettings
from mlci.policy import select_policy
from mlci.report import Context, Measurement, Problem, Report, Repro


@dataclass(frozen=True)
class Collected:
    """What collect found: the report without its gates, the policy that applies, the evidence."""

    report: Report
    policy: Policy | None
    evidence: Evidence


def collect(
    cwd: str | Path,
    ctx: RunContext,
    *,
    base: str | None = None,
    head: str | None = None,
    project: str | None = None,
    repro: Repro | None = None,
    config: str | None = None,
    bundle_dir: str | Path | None = None,
    plots: bool = True,
) -> Collected:
    """Everything from outside that the report needs: metrics and params of the DVC project at
    ``cwd`` at base and head, the policy that applies, and each check's measurement.

    With ``bundle_dir``, the plots the project declares are drawn into it (unless ``plots`` is False).
    Configuration mistakes surface here (mlci.yaml when it loads, a metric pattern that
    matches no metric once the metrics are read), never when judging.
    """
    git.toplevel(cwd)  # a clear error when this is not a git repository
    repo = dvc.open_repo(cwd)
    try:
        if not dvc.has_pipeline(repo):
            raise DvcError(f"{repo.root_dir}: no dvc.yaml; mlci compares the metrics and params of a DVC pipeline")
        head_rev = choose_head(cwd, head)
        base_rev, reason = choose_base(ctx, cwd, base, head_rev)
        assert base_rev.sha is not None
        base_side, head_side = dvc.read_sides(repo, base_rev.sha, None if head_rev.workspace else head_rev.sha)
        root = Path(repo.root_dir)
    finally:
        repo.close()
    policy, policy_info = select_policy(cwd, base_rev, head_rev, config)
    name = project or (policy.project if policy and policy.project else None) or root.name
    report = Report(
        project=name,
        context=Context(
            event=ctx.event,
            base=base_rev,
            head=head_rev,
            repository=ctx.repository,
            pr_number=ctx.pr_number,
            workflow=ctx.workflow,
            run_id=ctx.run_id,
            server_url=ctx.server_url,
            default_branch=ctx.default_branch,
            base_reason=reason,
            pr_head_sha=ctx.pr_head_sha,
        ),
        metrics=tuple(compare.compare_metrics(base_side.metrics, head_side.metrics)),
        params=tuple(compare.compare_params(base_side.params, head_side.params)),
        problems=tuple(compare.merge_problems(base_side.errors, head_side.errors))
        + ((Problem(source="dvc pull", side="head", message=repro.pull_error),) if repro and repro.pull_error else ()),
        repro=repro,
        policy=policy_info,
    )
    if bundle_dir is not None and plots:
        drawn, trouble = draw_plots(root, base_rev.sha, None if head_rev.workspace else head_rev.sha, Path(bundle_dir),
                                    policy.plots if policy else PlotSettings(), policy.file if policy else "mlci.yaml")
        report = replace(report, plots=drawn, problems=report.problems + trouble)
    evidence = Evidence(metrics=report.metrics, problems=report.problems, repro=repro)
    if policy is None or (repro is not None and repro.failure is not None):
        return Collected(report, policy, evidence)  # nothing to measure: no policy, or its gates are not judged
    check_patterns(policy.metrics, report.metrics, policy.file)
    measured = measure(policy, DvcWorkspace(Path(cwd), _ignored(cwd, bundle_dir)))
    report = replace(report, measurements=records(policy, measured))
    return Collected(report, policy, replace(evidence, measured=measured))


def draw_plots(root: Path, base_sha: str, head_sha: str | None, bundle_dir: Path, settings: PlotSettings,
               policy_file: str = "mlci.yaml") -> tuple[tuple[Plot, ...], tuple[Problem, ...]]:
    """The plots the project declares, drawn into ``bundle_dir``/plots as ``settings`` say (the
    files of an earlier run there removed first); what kept them from being drawn at all, as a
    problem. Without mlci[plots], that is a problem only when dvc.yaml declares plots."""
    from mlci.plots.collect import collect as collect_plots

    if not settings.enabled:
        return (), ()
    folder = bundle_dir / FOLDER
    for old in (*folder.glob("*.png"), *folder.glob("*.svg")) if folder.is_dir() else ():
        old.unlink()
    declared: list[str] = []

    def wants(plot_id: str) -> bool:
        declared.append(plot_id)
        return settings.wants(plot_id)

    try:
        drawn = tuple(collect_plots(root, base_sha, head_sha, bundle_dir, width=settings.width, wants=wants))
        return drawn, tuple(_unmatched(settings, declared, policy_file))
    except MissingExtra as exc:
        if not dvc_yaml_declares_plots(root, []):
            return (), ()
        message = f"not drawn: {exc} (or `plots: false` in mlci.yaml)"
    except MlciError as exc:
        message = f"not drawn: {exc}"
    return (), (Problem(source="plots", side="both", message=message),)


def _unmatched(settings: PlotSettings, declared: list[str], policy_file: str) -> list[Problem]:
    """A problem for each pattern of ``plots.include``/``exclude`` that names no plot dvc.yaml declares
    (a typo that would otherwise hide every plot, or none)."""
    import fnmatch

    known = ", ".join(declared[:10]) + (", …" if len(declared) > 10 else "") if declared else "none"
    return [Problem(source=policy_file, side="both",
                    message=f"plots.{key}: '{pattern}' matches no plot dvc.yaml declares (it declares: {known})")
            for key, patterns in (("include", settings.include), ("exclude", settings.exclude))
            for pattern in patterns if not any(fnmatch.fnmatchcase(plot_id, pattern) for plot_id in declared)]


@dataclass(frozen=True)
class DvcWorkspace(Workspace):
    """The workspace of a DVC project, whose measurements may also read a path at a git revision, or
    one DVC tracks that is not on disk: ``fetch`` copies it into a folder through DVC (its cache, else
    its remote; the drift check's ``reference_rev``)."""

    def fetch(self, path: str, rev: str | None, into: Path) -> Path:
        return dvc.fetch_data(self.root, path, rev, into)


def measure(policy: Policy, workspace: Workspace) -> dict[tuple[str, int], Measured]:
    """Each check's measurement of each of its specs (files read, git looked at, models timed).

    What cannot be measured is kept as the reason, and its gate fails: a missing file or
    extra, or anything else that goes wrong on the way.
    """
    out: dict[tuple[str, int], Measured] = {}
    for check in CHECKS:
        if check.measure is None:
            continue
        for index, spec in enumerate(policy.gates(check)):
            try:
                extra = check.extra(spec)
                if extra is not None:
                    require(extra, f"the {check.kind} check")
                out[check.key, index] = Measured(value=check.measure(spec, workspace))
            except (CheckError, MissingExtra) as exc:
                out[check.key, index] = Measured(error=str(exc))
            except Exception as exc:  # noqa: BLE001 - a gate that cannot be measured fails, it never passes
                out[check.key, index] = Measured(error=unexpected(exc))
    return out


def records(policy: Policy, measured: Mapping[tuple[str, int], Measured]) -> tuple[Measurement, ...]:
    """The measurements as the bundle keeps them, each with the spec it was made for.

    A check without a codec keeps only that it was measured (no value): a privileged job
    cannot judge it again from the bundle, and says so."""
    out = []
    for check in CHECKS:
        for index, spec in enumerate(policy.gates(check)):
            found = measured.get((check.key, index))
            if found is None:
                continue
            value = check.encode(found.value) if check.encode is not None and found.error is None else None
            out.append(Measurement(check=check.key, spec=spec_key(spec), value=value, error=found.error))
    return tuple(out)


def _ignored(cwd: str | Path, bundle_dir: str | Path | None) -> tuple[str, ...]:
    """The bundle directory, relative to the repository root, when it lies inside it."""
    if bundle_dir is None:
        return ()
    try:
        return (git.relative_to_root(cwd, bundle_dir),)
    except ValueError:
        return ()
