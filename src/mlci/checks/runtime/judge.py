"""The runtime check's judgement (pure): the measured size and latency against the spec's limits,
one GateResult with a table of each measure, its value and its limit.

A limit is inclusive: p95 equal to ``max_p95_ms`` passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlci.checks.runtime.spec import Latency, RuntimeSpec, Timings, is_binary
from mlci.evidence import Evidence
from mlci.render.fmt import format_exact, format_ms, format_rate, format_size
from mlci.report import GateResult, Table

HEADERS = ("measure", "value", "limit")
NO_LIMIT = "—"


def judge(spec: RuntimeSpec, timings: Timings, evidence: Evidence) -> list[GateResult]:
    """The measured size and latency against the spec's limits (pure)."""
    return [_result(spec, timings.size, timings.latency, timings.budget_s)]


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class Measure:
    """One measured number against its limit: a row of the table, a part of the reason."""

    name: str  # "p95", "size"
    shown: str  # "2.1 ms"
    limit: str | None  # "max 10 ms"
    failed: bool
    past: str  # the value as shown when it fails: precise enough to be visibly past the limit
    named: bool  # whether a passing reason names the measure ("p95 2.1 ms") or not ("1.2 MB")

    @property
    def summary(self) -> str:
        """``p95 2.1 ms (max 10 ms)``, ``8,120 rows/s``."""
        text = f"{self.name} {self.shown}" if self.named else self.shown
        return f"{text} ({self.limit})" if self.limit else text

    @property
    def failure(self) -> str:
        """``p95 14.2 ms > max 10 ms``."""
        sign = "<" if (self.limit or "").startswith("min") else ">"
        return f"{self.name} {self.past} {sign} {self.limit}"


def _result(spec: RuntimeSpec, size: int, latency: Latency | None, budget_s: float) -> GateResult:
    size_measure = _size_measure(size, spec.max_size_bytes)
    measures = [size_measure]
    facts: list[tuple[str, Any]] = [("size_bytes", size)]
    if latency is not None:
        p50 = ms_measure("p50", latency.p50_ms, spec.max_p50_ms)
        p95 = ms_measure("p95", latency.p95_ms, spec.max_p95_ms)
        rate = rate_measure(latency.throughput, spec.min_throughput)
        measures = [p95, p50, rate, size_measure]
        facts += [("p50_ms", latency.p50_ms), ("p95_ms", latency.p95_ms), ("throughput", latency.throughput)]
    failed = [m for m in measures if m.failed]
    reason = ", ".join(m.failure for m in failed) if failed else ", ".join(m.summary for m in measures)
    if latency is not None and latency.stopped:
        reason += f"; stopped after {format_exact(budget_s, grouped=True)} s: {latency.runs:,} of {spec.runs:,} timed runs"
    order = {"size": 0, "p50": 1, "p95": 2, "throughput": 3}
    rows = tuple((m.name, m.shown, m.limit or NO_LIMIT) for m in sorted(measures, key=lambda m: order[m.name]))
    return GateResult(
        kind="runtime",
        subject=spec.model,
        status="fail" if failed else "pass",
        reason=reason,
        rule=spec.rule,
        informational=spec.informational,
        line=spec.line,
        table=Table(HEADERS, rows),
        facts=tuple(facts),
    )


def _size_measure(size: int, limit: int | None) -> Measure:
    binary = limit is not None and is_binary(limit)
    shown = format_size(size, binary=binary)
    if limit is None:
        return Measure("size", shown, None, False, shown, False)
    limit_shown = format_size(limit, binary=binary)
    past = f"{size:,} B" if shown == limit_shown else shown
    return Measure("size", shown, f"max {limit_shown}", size > limit, past, False)


def ms_measure(name: str, value: float, limit: float | None) -> Measure:
    shown = f"{format_ms(value)} ms"
    if limit is None:
        return Measure(name, shown, None, False, shown, True)
    past = f"{_visible(value, limit, format_ms, above=True)} ms"
    return Measure(name, shown, f"max {format_exact(limit, grouped=True)} ms", value > limit, past, True)


def rate_measure(value: float, limit: float | None) -> Measure:
    shown = f"{format_rate(value)} rows/s"
    if limit is None:
        return Measure("throughput", shown, None, False, shown, False)
    past = f"{_visible(value, limit, format_rate, above=False)} rows/s"
    return Measure("throughput", shown, f"min {format_exact(limit, grouped=True)} rows/s", value < limit, past, False)


# ---------------------------------------------------------------- formatting


def _visible(value: float, limit: float, show: Callable[[float], str], *, above: bool) -> str:
    """``show(value)``, or more digits when the shown number would not be past the limit."""
    text = show(value)
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return text
    if (number > limit) if above else (number < limit):
        return text
    return f"{value:,.6g}"
