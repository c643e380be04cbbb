"""The metric gates' spec: one :class:`MetricRule` per key pattern of ``metrics:`` in mlci.yaml."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlci.checks.base import Source
from mlci.errors import ConfigError
from mlci.report import MetricRow

_PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")


@dataclass(frozen=True)
class MetricRule:
    """The gate for the metrics one key pattern of ``metrics:`` matches."""

    pattern: str  # as written: "accuracy", "per_class.*.f1", "eval/metrics.json:accuracy"
    direction: Literal["higher", "lower"] = "higher"
    min: float | None = None
    max: float | None = None
    max_drop: float | None = None  # absolute, or a fraction of |base| when relative
    max_drop_relative: bool = False
    required: bool = False
    informational: bool = False
    on_missing_base: Literal["pass", "fail", "informational"] = "pass"
    line: int | None = None

    @property
    def path_pattern(self) -> str | None:
        return self.pattern.split(":", 1)[0] if ":" in self.pattern else None

    @property
    def key_pattern(self) -> str:
        return self.pattern.split(":", 1)[1] if ":" in self.pattern else self.pattern

    def matches(self, path: str, key: str) -> bool:
        if self.path_pattern is not None and not fnmatch.fnmatchcase(path, self.path_pattern):
            return False
        return fnmatch.fnmatchcase(key, self.key_pattern)


@dataclass(frozen=True)
class MetricRules:
    """Every rule of ``metrics:``, judged together (several rules may match one metric)."""

    rules: tuple[MetricRule, ...]
    file: str


def parse(section: Any, source: Source) -> tuple[MetricRules, ...]:
    rules = tuple(_metric_rule(pattern, spec or {}, source) for pattern, spec in (section or {}).items())
    return (MetricRules(rules, source.file),) if rules else ()


def check_patterns(rules: Sequence[MetricRule], rows: Sequence[MetricRow], file: str) -> None:
    """ConfigError when a pattern that is not ``required`` matches no metric at all: a typo
    in mlci.yaml, found once the metrics are read and before anything is judged."""
    for rule in rules:
        if rule.required or any(rule.matches(r.path, r.key) for r in rows):
            continue
        where = f"{file}:{rule.line}" if rule.line else file
        raise ConfigError(f"{where}: metrics.{rule.pattern}: no metrics file has this metric{suggestion(rule, rows)}")


def suggestion(rule: MetricRule, rows: Sequence[MetricRow]) -> str:
    """`` (did you mean 'f1_score'?)`` for a pattern that matches nothing, or ''."""
    hint = suggest(rule.key_pattern if rule.path_pattern is None else rule.pattern,
                   sorted({r.key for r in rows} if rule.path_pattern is None else {r.id for r in rows}))
    return f" (did you mean '{hint}'?)" if hint else ""


def suggest(name: str, names: Sequence[str]) -> str | None:
    """The metric the user most likely meant: a close spelling, else one containing the name."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return close[0]
    containing = [n for n in names if name.lower() in n.lower()]
    return min(containing, key=len) if containing else None


def _metric_rule(pattern: str, spec: Mapping[str, Any], source: Source) -> MetricRule:
    where = source.where(("metrics", pattern))
    if not pattern.strip():
        raise ConfigError(f"{where}: a metric key must not be empty")
    lo, hi = spec.get("min"), spec.get("max")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{where}: min {lo} is greater than max {hi}")
    drop = spec.get("max_drop")
    relative = False
    if isinstance(drop, str):
        match = _PERCENT.match(drop)
        assert match is not None  # the schema's pattern guarantees it
        drop, relative = float(match.group(1)) / 100.0, True
    if not any(k in spec for k in ("min", "max", "max_drop", "required")) and not spec.get("informational"):
        raise ConfigError(f"{where}: no rule given; set min, max, max_drop or required (or informational: true to only show it)")
    return MetricRule(
        pattern=pattern,
        direction=spec.get("direction", "higher"),
        min=None if lo is None else float(lo),
        max=None if hi is None else float(hi),
        max_drop=None if drop is None else float(drop),
        max_drop_relative=relative,
        required=bool(spec.get("required", False)),
        informational=bool(spec.get("informational", False)),
        on_missing_base=spec.get("on_missing_base", "pass"),
        line=source.line(("metrics", pattern)),
    )
