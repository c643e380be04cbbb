"""Reproducibility: after ``mlci repro``, dvc.lock and the outputs kept in git are as committed."""

from functools import partial

from mlci.checks.base import Check, decode_record, encode_record
from mlci.checks.reproducible import judge, measure, spec

CHECK = Check(kind="reproducible", path=("checks", "reproducible"), parse=spec.parse, measure=measure.measure,
              judge=judge.judge, subject=lambda s: "pipeline",
              encode=encode_record, decode=partial(decode_record, spec.WorkTree))
