"""The serving check's judgement (pure): the served answers against the offline predictions, and
the measured latency and throughput against the spec's limits; one GateResult with a table.

An answer that differs, or a request refused, fails the gate whatever the speed. A limit is
inclusive, as the runtime check's.
"""

from __future__ import annotations

from mlci.checks.runtime.judge import HEADERS, NO_LIMIT, Measure, ms_measure, rate_measure
from mlci.checks.serving.spec import Served, ServingSpec
from mlci.evidence import Evidence
from mlci.render.fmt import format_exact
from mlci.report import GateResult, Table


def judge(spec: ServingSpec, served: Served, evidence: Evidence) -> list[GateResult]:
    """The served model's answers and speed against the spec (pure)."""
    right = served.answers - served.unequal - served.refused
    answers = Measure("answers", f"{right:,} of {served.answers:,} equal offline", "all equal",
                      right != served.answers or served.answers == 0, _wrong(served), False)
    speed = [ms_measure("p95", served.p95_ms, spec.max_p95_ms), ms_measure("p50", served.p50_ms, spec.max_p50_ms),
             rate_measure(served.throughput, spec.min_throughput)] if served.timed else []
    failed = [m for m in (answers, *speed) if m.failed]
    if failed:
        reason = ", ".join(m.past if m is answers else m.failure for m in failed)
    else:
        reason = ", ".join([f"{served.answers:,} answers equal offline", *(m.summary for m in speed)])
    if served.stopped:
        reason += (f"; stopped after {format_exact(served.budget_s, grouped=True)} s: "
                   f"{served.timed:,} of {spec.requests:,} timed requests")
    rows = [(m.name, m.shown, m.limit or NO_LIMIT) for m in (answers, *sorted(speed, key=lambda m: ("p50", "p95", "throughput").index(m.name)))]
    return [GateResult(
        kind="serving",
        subject=spec.model_name,
        status="fail" if failed else "pass",
        reason=reason,
        rule=f"{spec.rule} ({served.server})",
        informational=spec.informational,
        line=spec.line,
        table=Table(HEADERS, tuple(rows)),
        facts=(("answers", served.answers), ("unequal", served.unequal), ("refused", served.refused),
               ("p50_ms", served.p50_ms), ("p95_ms", served.p95_ms), ("throughput", served.throughput)),
    )]


def _wrong(served: Served) -> str:
    """``3 of 200 answers differ from offline (sample row 4: label is 1, offline 0)``."""
    if served.answers == 0:
        return "no answers"
    parts = []
    if served.unequal:
        parts.append(f"{served.unequal:,} of {served.answers:,} answers differ from offline ({served.difference})")
    if served.refused:
        parts.append(f"{served.refused:,} of {served.answers:,} requests refused ({served.refusal})")
    return "; ".join(parts)
