"""Judgement: the policy's gates from the evidence, and nothing else.

Pure: no file, process, network or clock. Every check's judgement runs on what collect
measured; a spec whose measurement failed, or whose judgement raised, fails closed.
"""

from __future__ import annotations

from dataclasses import replace

from mlci.checks.base import spec_key
from mlci.checks.registry import CHECKS
from mlci.config import Policy
from mlci.errors import CheckError
from mlci.evidence import Evidence, Measured
from mlci.report import GateResult, PolicyInfo, Report


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


def unexpected(exc: Exception) -> str:
    """The reason of a gate failed closed by an error no check foresaw (measuring or judging)."""
    return f"could not be evaluated: {type(exc).__name__}: {exc}"


def evaluate(policy: Policy, evidence: Evidence) -> tuple[GateResult, ...]:
    """Every gate, check by check in the registry's order, each check's specs in mlci.yaml's."""
    results: list[GateResult] = []
    for check in CHECKS:
        for index, spec in enumerate(policy.gates(check)):
            measured = evidence.measured.get((check.key, index))
            if check.measure is not None and (measured is None or measured.error is not None):
                reason = measured.error if measured is not None and measured.error else "was not measured"
            else:
                try:
                    results.extend(check.judge(spec, None if measured is None else measured.value, evidence))
                    continue
                except CheckError as exc:
                    reason = str(exc)
                except Exception as exc:  # noqa: BLE001 - a gate that cannot be judged fails, it never passes
                    reason = unexpected(exc)
            results.append(GateResult(kind=check.kind, subject=check.subject(spec), status="fail", reason=reason,
                                      informational=check.informational(spec), line=check.line(spec)))
    return tuple(results)


def judge(report: Report, policy: Policy | None, evidence: Evidence) -> Report:
    """``report`` with its gates: the one ``pipeline`` gate when the pipeline failed, none
    without a policy, else the policy's gates judged on ``evidence``."""
    repro = evidence.repro
    if repro is not None and repro.failure is not None:
        file = report.policy.file if report.policy else None
        return replace(report, gates=(pipeline_failed(repro.failure, policy_file=file),))
    if policy is None:
        return report
    return replace(report, gates=evaluate(policy, evidence))


NOT_MEASURED_FOR_THIS_RULE = (
    "the bundle holds no measurement for this rule: it was made under another copy of the policy "
    "(or by an older mlci), so it is no evidence for this one; run the pull request's workflow again"
)
NO_RECORD = "a bundle does not carry this check's measurement yet, so it cannot be judged again here"


def measured_from(report: Report, policy: Policy) -> dict[tuple[str, int], Measured]:
    """The bundle's measurements of ``policy``'s specs, decoded; where a spec has none that was
    made for it, or one that does not decode, the reason (its gate fails closed)."""
    made = {(m.check, m.spec): m for m in report.measurements}
    out: dict[tuple[str, int], Measured] = {}
    for check in CHECKS:
        if check.measure is None:
            continue
        for index, spec in enumerate(policy.gates(check)):
            found = made.get((check.key, spec_key(spec)))
            if found is None:
                out[check.key, index] = Measured(error=NOT_MEASURED_FOR_THIS_RULE)
            elif found.error is not None:
                out[check.key, index] = Measured(error=found.error)
            elif check.decode is None or found.value is None:
                out[check.key, index] = Measured(error=NO_RECORD)
            else:
                try:
                    out[check.key, index] = Measured(value=check.decode(found.value))
                except (ValueError, TypeError, KeyError) as exc:
                    out[check.key, index] = Measured(error=f"the bundle's measurement is not one: {exc}")
    return out


def rejudge(report: Report, policy: Policy | None, info: PolicyInfo | None) -> Report:
    """``report`` judged again, on its own evidence (metrics, problems, the pipeline run, the
    measurements), with ``policy``: the one a privileged job trusts, never the bundle's.
    Its verdict and gates are not used; ``info`` says which policy judged instead."""
    measured = measured_from(report, policy) if policy is not None else {}
    evidence = Evidence(metrics=report.metrics, problems=report.problems, repro=report.repro, measured=measured)
    project = policy.project if policy is not None and policy.project else report.project
    return judge(replace(report, project=project, policy=info, gates=()), policy, evidence)
