"""Metric and param comparison: pure functions from two sides' data to rows.

Input for each side is what DVC read, per file: the file's parsed content, or
the error that stopped DVC from reading it. Output rows are sorted by (path,
key) so that the same inputs always give the same report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlci.report import MetricRow, ParamRow, Problem, Value

# Two numbers closer than this (relative to their size) are "unchanged": float
# noise from a re-run must not show as a change or flip a gate.
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12

FileData = Mapping[str, Any]  # path -> parsed content (already read without error)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Value]:
    """Nested mappings to dotted keys, as DVC shows them (``per_class.dog.f1``)."""
    flat: dict[str, Value] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Value) -> bool:
    return is_number(value) and math.isfinite(value)


def same_value(a: Value, b: Value) -> bool:
    """Equality with float tolerance; NaN equals NaN (nothing changed)."""
    if is_number(a) and is_number(b):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return bool(a == b)
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    if is_number(a) or is_number(b):
        return False
    return bool(a == b)


_MISSING = object()


def _status(base: Any, head: Any) -> str:
    if base is _MISSING:
        return "added"
    if head is _MISSING:
        return "removed"
    return "unchanged" if same_value(base, head) else "changed"


def compare_metrics(base: Mapping[str, FileData], head: Mapping[str, FileData]) -> list[MetricRow]:
    """One row per (file, key) found on either side."""
    rows = []
    for path, key, b, h in _pairs(base, head):
        status = _status(b, h)
        change = relative = None
        if status != "unchanged" and is_finite_number(b) and is_finite_number(h):
            change = float(h - b)
            relative = change / abs(b) if b != 0 else None
        elif status == "unchanged" and is_finite_number(b) and is_finite_number(h):
            change, relative = 0.0, 0.0
        rows.append(
            MetricRow(
                path=path,
                key=key,
                base=None if b is _MISSING else b,
                head=None if h is _MISSING else h,
                status=status,  # type: ignore[arg-type]
                change=change,
                relative_change=relative,
            )
        )
    return rows


def compare_params(base: Mapping[str, FileData], head: Mapping[str, FileData]) -> list[ParamRow]:
    return [
        ParamRow(
            path=path,
            key=key,
            base=None if b is _MISSING else b,
            head=None if h is _MISSING else h,
            status=_status(b, h),  # type: ignore[arg-type]
        )
        for path, key, b, h in _pairs(base, head)
    ]


def _pairs(base: Mapping[str, FileData], head: Mapping[str, FileData]) -> list[tuple[str, str, Any, Any]]:
    out = []
    for path in sorted(set(base) | set(head)):
        b = flatten(base.get(path) or {})
        h = flatten(head.get(path) or {})
        for key in sorted(set(b) | set(h)):
            out.append((path, key, b.get(key, _MISSING), h.get(key, _MISSING)))
    return out


def merge_problems(base: Mapping[str, str], head: Mapping[str, str]) -> list[Problem]:
    """Per-file read errors of each side, one Problem per file (``both`` when alike)."""
    problems = []
    for path in sorted(set(base) | set(head)):
        b, h = base.get(path), head.get(path)
        if b is not None and b == h:
            problems.append(Problem(source=path, side="both", message=b))
            continue
        if b is not None:
            problems.append(Problem(source=path, side="base", message=b))
        if h is not None:
            problems.append(Problem(source=path, side="head", message=h))
    return problems
