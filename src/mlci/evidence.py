"""Evidence: everything the policy is judged on, gathered from outside before any judging.

``collect`` builds it (DVC's metrics at both sides, what ``mlci repro`` did, each check's
measurement); ``evaluate`` judges it and touches nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlci.report import MetricRow, Problem, Repro


@dataclass(frozen=True)
class Measured:
    """One spec's measurement, or why it could not be made (its gate then fails closed)."""

    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class Evidence:
    metrics: tuple[MetricRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    repro: Repro | None = None
    # (check key, index of the spec in that check's section) -> its measurement
    measured: Mapping[tuple[str, int], Measured] = field(default_factory=dict)
