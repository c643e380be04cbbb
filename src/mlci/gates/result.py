"""What a gate found: one row of the verdict table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

GateStatus = Literal["pass", "fail", "warn", "skipped"]
GateKind = Literal["pipeline", "metric", "reproducible", "data", "fairness", "runtime"]


class CheckError(Exception):
    """A check could not be evaluated (file missing, column absent, ...).

    The evaluator turns it into a failed gate whose reason is this message:
    a gate that cannot be evaluated fails closed, it never passes silently.
    """


@dataclass(frozen=True)
class Table:
    """Detail rows for a gate (failing columns, per-group metrics, latencies)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class GateResult:
    """One gate: what it checked, how it came out and why, in words.

    ``subject`` names what was checked (a metric key, a data file, a sensitive
    feature, a model file). ``rule`` is the policy in words ("min 0.85",
    "max drop 0.01"). ``reason`` says why it came out as it did
    ("accuracy 0.912 < min 0.92"). ``line`` is where the rule sits in the
    policy file, for messages and annotations.
    """

    kind: GateKind
    subject: str
    status: GateStatus
    reason: str
    rule: str = ""
    informational: bool = False
    line: int | None = None
    table: Table | None = None
    facts: tuple[tuple[str, Any], ...] = ()  # named numbers for later use (p95_ms, dpd, rows)

    @property
    def blocking(self) -> bool:
        """A failure that fails the verdict (informational gates never do)."""
        return self.status == "fail" and not self.informational
