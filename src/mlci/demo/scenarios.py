"""The story `mlci demo` tells, as data.

The example project (``mlci/demo/project``) is committed on ``main`` with
:data:`BASE_PARAMS`. Each :class:`Scenario` is a pull request: a branch off
``main`` whose only change is to ``params.yaml`` (``apply(BASE_PARAMS,
scenario.overrides)``). Reproducing the pipeline on that branch and comparing
with ``main`` should show the outcome the scenario expects.

The numbers in :attr:`Scenario.measured` were measured with scikit-learn 1.9
(``dvc repro`` in a fresh copy of the project); they document the story and
let tests check the direction of each change, not exact values, since another
scikit-learn version may move the last digits.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Params = dict[str, Any]

BASE_BRANCH = "main"

#: params.yaml as committed on the base branch. Must equal project/params.yaml.
BASE_PARAMS: Params = {
    "prepare": {"test_size": 0.25, "seed": 42},
    "train": {"C": 1.0, "max_iter": 1000, "features": ["age", "bmi", "bp"]},
}

#: Metrics of the base model (test set of 111 patients).
BASE_METRICS: dict[str, float] = {
    "accuracy": 0.7027,
    "f1": 0.7027,
    "precision": 0.6964,
    "recall": 0.7091,
    "roc_auc": 0.7451,
    "log_loss": 0.5969,
}


def apply(params: Mapping[str, Any], overrides: Mapping[str, Any]) -> Params:
    """Deep-merge ``overrides`` into a copy of ``params``.

    Mappings are merged key by key; any other value (lists included) replaces
    the old one. Neither argument is modified.
    """
    merged: Params = copy.deepcopy(dict(params))
    for key, value in overrides.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = apply(old, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class Scenario:
    """One demo pull request."""

    branch: str
    title: str
    body: str
    overrides: Params
    expect: Literal["better", "worse"]
    measured: dict[str, float] = field(default_factory=dict)

    def params(self, base: Mapping[str, Any] | None = None) -> Params:
        """The full params.yaml content of this branch."""
        return apply(BASE_PARAMS if base is None else base, self.overrides)

    @property
    def commit_message(self) -> str:
        return self.title


IMPROVE = Scenario(
    branch="improve-features",
    title="Add blood-serum features s1 and s5 to the model",
    body=(
        "The model only sees age, BMI and blood pressure. This adds two "
        "blood-serum measurements, s1 (total cholesterol) and s5 (log of "
        "serum triglycerides), which carry signal about disease progression."
    ),
    overrides={"train": {"features": ["age", "bmi", "bp", "s1", "s5"]}},
    expect="better",
    measured={
        "accuracy": 0.7477,
        "f1": 0.7455,
        "precision": 0.7455,
        "recall": 0.7455,
        "roc_auc": 0.8185,
        "log_loss": 0.5309,
    },
)

WORSEN = Scenario(
    branch="shrink-model",
    title="Simplify the model: drop the BMI feature",
    body=(
        "A smaller model with one input fewer: drops BMI and keeps age and "
        "blood pressure. It looks like a harmless clean-up, but BMI is the "
        "most informative of the three, so every metric falls."
    ),
    overrides={"train": {"features": ["age", "bp"]}},
    expect="worse",
    measured={
        "accuracy": 0.6216,
        "f1": 0.5714,
        "precision": 0.6512,
        "recall": 0.5091,
        "roc_auc": 0.6739,
        "log_loss": 0.659,
    },
)


SCENARIOS: tuple[Scenario, ...] = (IMPROVE, WORSEN)


def by_branch(branch: str) -> Scenario:
    """The scenario for ``branch``; KeyError if there is none."""
    for scenario in SCENARIOS:
        if scenario.branch == branch:
            return scenario
    raise KeyError(branch)
