"""The fairness check's judgement (pure): each sensitive column's
:class:`~mlci.checks.fairness.spec.Feature`, as measured (see :mod:`mlci.checks.fairness.measure`
for what the differences, groups and undefined rates are), held to the spec's limits; one gate
per sensitive column, with a table of per-group size, selection rate, accuracy, TPR and FPR.

A difference over its limit fails the gate. A difference equal to its limit passes (compared
with a 1e-9 tolerance, so that 0.3 - 0.2 counts as 0.1). A group smaller than
``min_group_size`` is kept, marked ``(small)`` in the table and named in the reason, and
turns a passing gate into a warning, because its rates (and so the differences) are noisy; so
does a column with a single group (nothing to compare), and an undefined rate left out of a
limited equalized odds difference. An equalized odds difference that cannot be evaluated
fails a gate with ``max_equalized_odds_difference`` (it cannot be shown to hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlci.checks.fairness.spec import MAX_SHOWN, TOLERANCE, Fairness, FairnessSpec, Feature, Gap
from mlci.evidence import Evidence
from mlci.render.fmt import format_decimals, listing, plural
from mlci.report import GateResult, GateStatus, Table

HEADERS = ("group", "rows", "selection rate", "accuracy", "TPR", "FPR")
SMALL_MARK = " (small)"
RATE_NEEDS = {"TPR": "positive", "FPR": "negative"}


def judge(spec: FairnessSpec, measured: Fairness, evidence: Evidence) -> list[GateResult]:
    """One GateResult per sensitive column (ValueError for a measurement of other columns)."""
    names = tuple(feature.name for feature in measured.features)
    if names != spec.sensitive:
        raise ValueError(f"measured for the columns {listing(names, MAX_SHOWN)}, not the spec's")
    return [_gate(spec, feature) for feature in measured.features]


@dataclass(frozen=True)
class _Findings:
    """What one sensitive column shows: the differences and everything that qualifies them."""

    dpd: float
    dpd_gap: Gap | None
    eod: float | None
    eod_gap: Gap | None
    undefined: dict[str, list[str]]  # rate -> groups where it is undefined
    sizes: dict[str, int]


def _gate(spec: FairnessSpec, feature: Feature) -> GateResult:
    """The GateResult for one sensitive column."""
    found = _findings(feature)
    small = {name: rows for name, rows in found.sizes.items() if rows < spec.min_group_size}
    parts, status = _verdict(spec, found, small)
    return GateResult(
        kind="fairness",
        subject=feature.name,
        status=status,
        reason="; ".join(parts),
        rule=spec.rule,
        informational=spec.informational,
        line=spec.line,
        table=_table(feature, small),
        facts=(
            ("demographic_parity_difference", found.dpd),
            ("equalized_odds_difference", found.eod),
            ("smallest_group", min(found.sizes.values())),
        ),
    )


def _findings(feature: Feature) -> _Findings:
    """The measured differences with their gaps and undefined rates (none for a single group)."""
    if len(feature.groups) < 2:
        return _Findings(feature.dpd, None, feature.eod, None, {}, feature.sizes)
    return _Findings(feature.dpd, feature.gap("selection rate"), feature.eod, feature.odds_gap,
                     feature.undefined, feature.sizes)


def _verdict(spec: FairnessSpec, found: _Findings, small: dict[str, int]) -> tuple[list[str], GateStatus]:
    """The reason's parts (failures first) and the status."""
    failing: list[str] = []
    other: list[str] = []
    dpd_fails = spec.max_dpd is not None and found.dpd > spec.max_dpd + TOLERANCE
    (failing if dpd_fails else other).append(_difference("demographic parity difference", found.dpd,
                                                          spec.max_dpd, found.dpd_gap if dpd_fails else None))
    eod_fails = spec.max_eod is not None and (found.eod is None or found.eod > spec.max_eod + TOLERANCE)
    (failing if eod_fails else other).append(_eod_part(spec, found, eod_fails))
    notes = _undefined_notes(found)
    other += notes
    warn = bool(small) or len(found.sizes) < 2 or (bool(notes) and spec.max_eod is not None)
    other.append(_groups_part(spec, found.sizes, small))
    status: GateStatus = "fail" if failing else "warn" if warn else "pass"
    return failing + other, status


def _difference(name: str, value: float, limit: float | None, gap: Gap | None) -> str:
    """``name 0.031 (max 0.10)``, or on failure ``name 0.142 > max 0.10 (selection rate ...)``."""
    if limit is None:
        return f"{name} {value:.3f}"
    if gap is None:
        return f"{name} {value:.3f} (max {format_decimals(limit)})"
    return f"{name} {value:.3f} > max {format_decimals(limit)} ({_detail(gap)})"


def _eod_part(spec: FairnessSpec, found: _Findings, fails: bool) -> str:
    name = "equalized odds difference"
    if found.eod is None:
        limit = f", max {format_decimals(spec.max_eod)}" if spec.max_eod is not None else ""
        return f"{name} cannot be evaluated{limit}: no rate is defined in two groups"
    return _difference(name, found.eod, spec.max_eod, found.eod_gap if fails else None)


def _undefined_notes(found: _Findings) -> list[str]:
    """``TPR undefined for M (no positive labels), left out of equalized odds``, per rate."""
    notes = []
    for rate, names in found.undefined.items():
        if names:
            notes.append(
                f"{rate} undefined for {listing(names, MAX_SHOWN)} (no {RATE_NEEDS[rate]} labels), left out of equalized odds"
            )
    return notes


def _groups_part(spec: FairnessSpec, sizes: dict[str, int], small: dict[str, int]) -> str:
    """``smallest group 1,212 rows``, or the small groups with their sizes."""
    if len(sizes) < 2:
        [(name, rows)] = sizes.items()
        return f"only one group ({name}, {plural(rows, 'row')}): nothing to compare"
    if small:
        listed = listing([f"{name}: {rows:,}" for name, rows in sorted(small.items(), key=lambda kv: kv[1])], MAX_SHOWN)
        noun = "group" if len(small) == 1 else "groups"
        return f"{len(small)} {noun} under {plural(spec.min_group_size, 'row')} ({listed}), so the differences are noisy"
    return f"smallest group {plural(min(sizes.values()), 'row')}"

def _detail(gap: Gap) -> str:
    """``selection rate 0.42 for F vs 0.28 for M``."""
    (high_name, high), (low_name, low) = gap.high, gap.low
    high_text, low_text = _pair(high, low)
    return f"{gap.rate} {high_text} for {high_name} vs {low_text} for {low_name}"


def _table(feature: Feature, small: dict[str, int]) -> Table:
    """One row per group; small groups marked, undefined rates None."""
    rows = []
    for group in feature.groups:
        label = group.name + (SMALL_MARK if group.name in small else "")
        rates = (group.selection_rate, group.accuracy, group.tpr, group.fpr)
        rows.append((label, group.rows, *(None if math.isnan(rate) else rate for rate in rates)))
    return Table(HEADERS, tuple(rows))


# ---------------------------------------------------------------- helpers


def _pair(high: float, low: float) -> tuple[str, str]:
    """Two rates with 2 decimals, or as many more as it takes to tell them apart."""
    for places in range(2, 7):
        texts = (f"{high:.{places}f}", f"{low:.{places}f}")
        if texts[0] != texts[1]:
            return texts
    return f"{high:g}", f"{low:g}"
