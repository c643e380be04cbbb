"""Data validation: a CSV or Parquet file checked against column rules (``checks.data``)."""

from __future__ import annotations

from typing import Any

from mlci.checks.base import Check, Source
from mlci.gates import data


def parse(section: Any, source: Source) -> tuple[data.DataSpec, ...]:
    return tuple(data.DataSpec.from_config(entry, line=source.line(("checks", "data", i)),
                                           where=source.where(("checks", "data", i)))
                 for i, entry in enumerate(section or ()))


CHECK = Check(kind="data", path=("checks", "data"), parse=parse, measure=data.measure, judge=data.judge,
              subject=lambda spec: spec.path, extra=lambda spec: "data")
