"""Reproducibility: after ``mlci repro``, dvc.lock and the outputs kept in git are as committed."""

from mlci.checks.base import Check
from mlci.checks.reproducible import judge, measure, spec

CHECK = Check(kind="reproducible", path=("checks", "reproducible"), parse=spec.parse, measure=measure.measure,
              judge=judge.judge, subject=lambda s: "pipeline")
