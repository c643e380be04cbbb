"""Data drift: the current data against a reference, per column, as a gate (``checks.drift``).

``mlci drift`` runs every entry (with the data validation of the current data) and writes a
bundle; in ``mlci report`` an entry that says ``pr_gate: true`` is one more gate (e.g. the training
data against the previous release's: ``reference_rev: v1.0.0``). The others are the monitor's: a PR's
job has no production data to read.
"""

from __future__ import annotations

from mlci.checks.base import Check
from mlci.checks.drift import judge, measure, spec

CHECK = Check(kind="drift", path=("checks", "drift"), parse=spec.parse, measure=measure.measure, judge=judge.judge,
              subject=lambda spec: spec.current_label, extra=lambda spec: "drift", encode=spec.encode,
              decode=spec.decode, in_report=lambda spec: spec.pr_gate)
