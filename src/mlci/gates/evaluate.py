"""Evaluate every gate of a policy. A gate that cannot be evaluated fails (fail closed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.config import Policy
from mlci.extras import MissingExtra, require
from mlci.gates.metrics import evaluate_metrics
from mlci.errors import CheckError
from mlci.report import GateKind, GateResult, Report

if TYPE_CHECKING:
    from mlci.gates.data import DataSpec
    from mlci.gates.fairness import FairnessSpec


def pipeline_failed(failure: str, *, policy_file: str | None) -> GateResult:
    """The one gate of a report whose pipeline failed: it fails, with or without a policy.

    The policy's gates are not evaluated: the workspace holds outputs of an earlier run
    (or none), not this change's, and judging them would pass or fail the wrong thing.
    """
    reason = f"{failure}; the log of `mlci repro` has its output"
    if policy_file:
        reason += f" (the gates of {policy_file} were not evaluated)"
    return GateResult(kind="pipeline", subject="dvc repro", status="fail", reason=reason,
                      rule="the pipeline runs to the end")


def evaluate_policy(policy: Policy, report: Report, root: str | Path, *, ignore: tuple[str, ...] = ()) -> tuple[GateResult, ...]:
    """All gates, in policy order: metrics, reproducibility, data, fairness, runtime.

    ``ignore``: paths (relative to the repository root) the reproducibility
    check leaves out, such as the bundle directory.
    """
    root = Path(root)
    results = evaluate_metrics(policy.metrics, report.metrics, report.problems, file=policy.file)
    if policy.reproducible is not None:
        from mlci.gates.reproducible import evaluate_reproducible

        spec = policy.reproducible
        results += _guarded("reproducible", "pipeline", spec.informational, spec.line,
                            lambda: [evaluate_reproducible(spec, root, report.repro, ignore=ignore)])
    for data_spec in policy.data:
        results += _guarded("data", data_spec.path, data_spec.informational, data_spec.line,
                            lambda s=data_spec: _data(s, root))  # type: ignore[misc]
    for fair_spec in policy.fairness:
        results += _guarded("fairness", fair_spec.predictions, fair_spec.informational, fair_spec.line,
                            lambda s=fair_spec: _fairness(s, root))  # type: ignore[misc]
    for run_spec in policy.runtime:
        from mlci.gates import runtime

        results += _guarded("runtime", run_spec.model, run_spec.informational, run_spec.line,
                            lambda s=run_spec: runtime.evaluate(s, root))  # type: ignore[misc]
    return tuple(results)


def _data(spec: DataSpec, root: Path) -> list[GateResult]:
    require("data", "the data check")
    from mlci.gates import data

    return data.evaluate(spec, root)


def _fairness(spec: FairnessSpec, root: Path) -> list[GateResult]:
    require("fairness", "the fairness check")
    from mlci.gates import fairness

    return fairness.evaluate(spec, root)


def _guarded(kind: GateKind, subject: str, informational: bool, line: int | None,
             run: Callable[[], list[GateResult]]) -> list[GateResult]:
    try:
        return run()
    except (CheckError, MissingExtra) as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure to evaluate fails the gate, never passes it
        reason = f"could not be evaluated: {type(exc).__name__}: {exc}"
    return [GateResult(kind=kind, subject=subject, status="fail", reason=reason, informational=informational, line=line)]
