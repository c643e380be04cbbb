"""Metric gates: thresholds and regressions on the metrics DVC reads (``metrics:`` in mlci.yaml)."""

from mlci.checks.base import Check
from mlci.checks.metrics import judge, spec

CHECK = Check(kind="metric", path=("metrics",), parse=spec.parse, judge=judge.judge,
              subject=lambda s: "metrics", informational=lambda s: False, line=lambda s: None,
              count=lambda s: len(s.rules))
