"""Fairness: group metrics of a predictions file across sensitive features (``checks.fairness``)."""

from __future__ import annotations

from typing import Any

from mlci.checks.base import Check, Source
from mlci.gates import fairness


def parse(section: Any, source: Source) -> tuple[fairness.FairnessSpec, ...]:
    return tuple(fairness.FairnessSpec.from_config(entry, line=source.line(("checks", "fairness", i)),
                                                   where=source.where(("checks", "fairness", i)))
                 for i, entry in enumerate(section or ()))


CHECK = Check(kind="fairness", path=("checks", "fairness"), parse=parse, measure=fairness.measure,
              judge=fairness.judge, subject=lambda spec: spec.predictions, extra=lambda spec: "fairness")
