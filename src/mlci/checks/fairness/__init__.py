"""Fairness: group metrics of a predictions file across sensitive features (``checks.fairness``)."""

from __future__ import annotations

from pathlib import Path

from mlci.checks.base import Check, Workspace
from mlci.checks.fairness import judge, measure, spec
from mlci.checks.fairness.spec import FairnessSpec
from mlci.evidence import Evidence
from mlci.report import GateResult

CHECK = Check(kind="fairness", path=("checks", "fairness"), parse=spec.parse, measure=measure.measure,
              judge=judge.judge, subject=lambda spec: spec.predictions, extra=lambda spec: "fairness",
              encode=spec.encode, decode=spec.decode)


def evaluate(spec: FairnessSpec, root: Path) -> list[GateResult]:
    """One GateResult per sensitive column (measure, then judge); raises CheckError if the file cannot be used."""
    return judge.judge(spec, measure.measure(spec, Workspace(root)), Evidence())
