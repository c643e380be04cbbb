"""Serving: the model as a server answers it, over the Open Inference Protocol (``checks.serving``).

Its answers must equal the model's offline predictions, and its latency and throughput meet
limits. Used on a pull request like any check, and by ``mlci promote`` for a stage
(``promote.stages.prod.checks.serving``), which the deploy template re-runs.
"""

from __future__ import annotations

from functools import partial

from mlci.checks.base import Check, decode_record, encode_record
from mlci.checks.serving import judge, measure, spec
from mlci.checks.serving.spec import Served

# onnx: the sample and the offline predictions; mlci serve's own extra is required in the measurement.
CHECK = Check(kind="serving", path=("checks", "serving"), parse=spec.parse, measure=measure.measure,
              judge=judge.judge, subject=lambda spec: spec.model_name, extra=lambda spec: "onnx",
              encode=encode_record, decode=partial(decode_record, Served))
