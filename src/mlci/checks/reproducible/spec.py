"""The reproducibility check's spec: ``checks.reproducible`` in mlci.yaml (true, or a mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.checks.base import Source


@dataclass(frozen=True)
class ReproducibleSpec:
    informational: bool = False
    line: int | None = None


def parse(section: Any, source: Source) -> tuple[ReproducibleSpec, ...]:
    if section is None or section is False:
        return ()
    informational = bool(section.get("informational", False)) if isinstance(section, Mapping) else False
    return (ReproducibleSpec(informational=informational, line=source.line(("checks", "reproducible"))),)
