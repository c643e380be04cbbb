"""Runtime: a model's size and inference latency against limits (``checks.runtime``)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from mlci.checks.base import Check, Workspace, decode_record, encode_record
from mlci.checks.runtime import judge, measure, spec
from mlci.checks.runtime.measure import TIME_BUDGET_S
from mlci.checks.runtime.spec import RuntimeSpec, Timings
from mlci.evidence import Evidence
from mlci.report import GateResult

# The onnx extra is required inside the measurement, and only for a latency (a size needs none).
CHECK = Check(kind="runtime", path=("checks", "runtime"), parse=spec.parse, measure=measure.measure,
              judge=judge.judge, subject=lambda spec: spec.model,
              encode=encode_record, decode=partial(decode_record, Timings))


def evaluate(spec: RuntimeSpec, root: Path, *, budget_s: float = TIME_BUDGET_S) -> list[GateResult]:
    """Measure the spec's model under ``root``, then judge it; raises CheckError when it cannot be measured.

    ``budget_s`` bounds the latency measurement (warmup and timed runs).
    """
    return judge.judge(spec, measure.measure(spec, Workspace(root), budget_s=budget_s), Evidence())
