"""The registry of checks: mlci.yaml's sections to the checks that read them. CHECKS: the order here is the order of the gates in every report. Adding a
check is adding its folder, one line here and its part of the policy schema.
"""

from __future__ import annotations

from mlci.checks import data, drift, fairness, metrics, reproducible, runtime, serving
from mlci.checks.base import Check

CHECKS: tuple[Check, ...] = (
    metrics.CHECK,
    reproducible.CHECK,
    data.CHECK,
    fairness.CHECK,
    runtime.CHECK,
    serving.CHECK,
    drift.CHECK,
)
