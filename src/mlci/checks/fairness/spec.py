"""The fairness check's spec: one :class:`FairnessSpec` per entry of ``checks.fairness`` in
mlci.yaml, its semantic checks (ConfigError naming where) and the rule in words; and the
record its measurement hands its judgement (:class:`Fairness`), with its codec for the bundle.
See :mod:`mlci.checks.fairness.measure` for what is measured and
:mod:`mlci.checks.fairness.judge` for what the limits mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any

from mlci.checks.base import Source, decode_record
from mlci.checks.data.spec import FORMATS, extension, table_format
from mlci.errors import ConfigError
from mlci.render.fmt import describe, format_decimals

Label = str | int | float | bool
TOLERANCE = 1e-9
MAX_SHOWN = 5  # values or groups a message lists before "… n more"


@dataclass(frozen=True)
class FairnessSpec:
    """Typed form of one entry of ``checks.fairness`` in mlci.yaml."""

    predictions: str
    label: str
    prediction: str
    positive_label: Label
    sensitive: tuple[str, ...]
    max_dpd: float | None = None
    max_eod: float | None = None
    min_group_size: int = 30
    informational: bool = False
    line: int | None = None

    @property
    def format(self) -> str:
        """``csv`` or ``parquet``, from the file's extension."""
        return table_format(self.predictions)

    @property
    def rule(self) -> str:
        """The policy in words: ``max DPD 0.10, max EOD 0.20, min group 30``."""
        return describe(
            f"max DPD {format_decimals(self.max_dpd)}" if self.max_dpd is not None else None,
            f"max EOD {format_decimals(self.max_eod)}" if self.max_eod is not None else None,
            f"min group {self.min_group_size:,}",
        )

    @classmethod
    def from_config(cls, data: Mapping[str, Any], *, line: int | None, where: str) -> FairnessSpec:
        """One ``checks.fairness`` entry, already valid against the JSON Schema; semantic checks here."""
        spec = cls(
            predictions=str(data["predictions"]),
            label=str(data.get("label", "y_true")),
            prediction=str(data.get("prediction", "y_pred")),
            positive_label=data.get("positive_label", 1),
            sensitive=tuple(str(name) for name in data["sensitive"]),
            max_dpd=_optional_float(data.get("max_demographic_parity_difference")),
            max_eod=_optional_float(data.get("max_equalized_odds_difference")),
            min_group_size=int(data.get("min_group_size", 30)),
            informational=bool(data.get("informational", False)),
            line=line,
        )
        spec._check(where)
        return spec

    def _check(self, where: str) -> None:
        path = PurePath(self.predictions)
        if extension(self.predictions) not in FORMATS:
            raise ConfigError(f"{where}.predictions: expected a .csv, .parquet or .pq file, got {self.predictions!r}")
        if path.is_absolute():
            raise ConfigError(f"{where}.predictions: must be relative to the project root, got {self.predictions!r}")
        if self.max_dpd is None and self.max_eod is None:
            raise ConfigError(
                f"{where}: neither max_demographic_parity_difference nor max_equalized_odds_difference is set,"
                " so this check could never fail; set at least one (add informational: true to only report)"
            )
        if self.label == self.prediction:
            raise ConfigError(f"{where}: label and prediction are the same column {self.label!r}")
        seen: set[str] = set()
        for name in self.sensitive:
            if name in seen:
                raise ConfigError(f"{where}.sensitive: {name!r} is listed twice")
            if name in (self.label, self.prediction):
                role = "label" if name == self.label else "prediction"
                raise ConfigError(f"{where}.sensitive: {name!r} is the {role} column, not a sensitive feature")
            seen.add(name)


def parse(section: Any, source: Source) -> tuple[FairnessSpec, ...]:
    return tuple(FairnessSpec.from_config(entry, line=source.line(("checks", "fairness", i)),
                                          where=source.where(("checks", "fairness", i)))
                 for i, entry in enumerate(section or ()))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)



# ---------------------------------------------------------------- the measurement

RATES = ("TPR", "FPR")  # the rates of equalized odds


@dataclass(frozen=True)
class Group:
    """One group of a sensitive feature: its size and rates (NaN where undefined: TPR in a
    group without positive labels, FPR in one without negative labels)."""

    name: str
    rows: int
    selection_rate: float
    accuracy: float
    tpr: float
    fpr: float

    def rate(self, name: str) -> float:
        """``selection rate``, ``TPR`` or ``FPR``."""
        return {"selection rate": self.selection_rate, "TPR": self.tpr, "FPR": self.fpr}[name]


@dataclass(frozen=True)
class Gap:
    """The largest gap in one rate: its size and the groups at either end (name, rate)."""

    rate: str
    size: float
    high: tuple[str, float]
    low: tuple[str, float]


@dataclass(frozen=True)
class Feature:
    """One sensitive column, measured: its groups in display order (by name, ``(missing)``
    last), the demographic parity difference and the equalized odds difference (None when no
    rate is defined in two groups; see :mod:`mlci.checks.fairness.measure`)."""

    name: str
    groups: tuple[Group, ...]
    dpd: float
    eod: float | None

    @property
    def sizes(self) -> dict[str, int]:
        return {group.name: group.rows for group in self.groups}

    @property
    def undefined(self) -> dict[str, list[str]]:
        """The groups where each of TPR and FPR is undefined."""
        return {rate: [g.name for g in self.groups if math.isnan(g.rate(rate))] for rate in RATES}

    def gap(self, rate: str) -> Gap | None:
        """The largest gap in ``rate`` over the groups where it is defined; None if fewer than two are."""
        values = [(g.name, g.rate(rate)) for g in self.groups if not math.isnan(g.rate(rate))]
        if len(values) < 2:
            return None
        high = max(values, key=lambda value: value[1])
        low = min(values, key=lambda value: value[1])
        return Gap(rate, high[1] - low[1], high, low)

    @property
    def odds_gap(self) -> Gap | None:
        """The larger of the TPR and FPR gaps (the first on a tie); None when neither has one."""
        gaps = [gap for gap in (self.gap(rate) for rate in RATES) if gap is not None]
        return max(gaps, key=lambda gap: gap.size, default=None)


@dataclass(frozen=True)
class Fairness:
    """The fairness check's measurement: one :class:`Feature` per sensitive column, in the spec's order."""

    features: tuple[Feature, ...]


def encode(measured: Fairness) -> dict[str, Any]:
    """The measurement as JSON: ``{"features": [{"name", "groups": [{"name", "rows",
    "selection_rate", "accuracy", "tpr", "fpr"}, ...], "dpd", "eod"}, ...]}``; NaN rates stay
    NaN floats (the bundle's codec writes them)."""
    return {"features": [{**asdict(feature), "groups": [asdict(group) for group in feature.groups]}
                         for feature in measured.features]}


def decode(data: Any) -> Fairness:
    """A measurement from untrusted JSON, strictly (see :func:`mlci.checks.base.decode_record`);
    ValueError too for a feature without groups, a name given twice, a group without rows, or
    a rate or difference outside 0..1 (TPR and FPR may be NaN, nothing else)."""
    measured = decode_record(Fairness, data)
    _distinct([feature.name for feature in measured.features], "feature")
    for feature in measured.features:
        if not feature.groups:
            raise ValueError(f"feature {feature.name!r}: no groups")
        _distinct([group.name for group in feature.groups], f"feature {feature.name!r}: group")
        _share(feature.dpd, "dpd")
        if feature.eod is not None:
            _share(feature.eod, "eod")
        for group in feature.groups:
            if group.rows < 1:
                raise ValueError(f"group {group.name!r}: {group.rows} rows")
            _share(group.selection_rate, "selection_rate")
            _share(group.accuracy, "accuracy")
            for rate in (group.tpr, group.fpr):
                if not math.isnan(rate):
                    _share(rate, "tpr/fpr")
    return measured


def _distinct(names: list[str], what: str) -> None:
    if len(set(names)) != len(names):
        raise ValueError(f"{what} names repeat")


def _share(value: float, what: str) -> None:
    """A rate or difference: a number from 0 to 1 (NaN fails)."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} {value!r} is not within 0..1")
