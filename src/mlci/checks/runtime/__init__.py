"""Runtime: a model's size and inference latency against limits (``checks.runtime``)."""

from __future__ import annotations

from typing import Any

from mlci.checks.base import Check, Source
from mlci.gates import runtime


def parse(section: Any, source: Source) -> tuple[runtime.RuntimeSpec, ...]:
    return tuple(runtime.RuntimeSpec.from_config(entry, line=source.line(("checks", "runtime", i)),
                                                 where=source.where(("checks", "runtime", i)))
                 for i, entry in enumerate(section or ()))


# The onnx extra is required inside the measurement, and only for a latency (a size needs none).
CHECK = Check(kind="runtime", path=("checks", "runtime"), parse=parse, measure=runtime.measure,
              judge=runtime.judge, subject=lambda spec: spec.model)
