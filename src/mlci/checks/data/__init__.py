"""Data validation: a CSV or Parquet file checked against column rules (``checks.data``)."""

from __future__ import annotations

from pathlib import Path

from mlci.checks.base import Check, Workspace
from mlci.checks.data import judge, measure, spec
from mlci.checks.data.spec import DataSpec
from mlci.evidence import Evidence
from mlci.report import GateResult

CHECK = Check(kind="data", path=("checks", "data"), parse=spec.parse, measure=measure.measure, judge=judge.judge,
              subject=lambda spec: spec.path, extra=lambda spec: "data", encode=spec.encode, decode=spec.decode)


def evaluate(spec: DataSpec, root: Path) -> list[GateResult]:
    """Validate the spec's file under ``root`` (measure, then judge); raises CheckError if it cannot be read."""
    return judge.judge(spec, measure.measure(spec, Workspace(root)), Evidence())
