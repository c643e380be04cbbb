"""``mlci init``: a starter mlci.yaml from the project's metrics, and the workflow templates.

One job per module. The pure ones take data and return data: :mod:`~mlci.scaffold.gates`
guesses which way a metric is better from the parts of its name and folds keys of the same
shape into one wildcard gate; :mod:`~mlci.scaffold.starter_policy` writes the policy's text;
:mod:`~mlci.scaffold.workflows` reads the shipped workflow templates; :mod:`~mlci.scaffold.remote`
says what the DVC remote needs. :func:`plan` (:mod:`~mlci.scaffold.planning`) reads the project
(through ``mlci.dvc`` and ``mlci.git``) and decides every file's content before anything is
written; :func:`apply` (:mod:`~mlci.scaffold.write`) then writes each file atomically. The
caller prints :func:`render` (:mod:`~mlci.scaffold.next_steps`).
"""

from __future__ import annotations

from mlci.scaffold.gates import MetricsFile, group_keys, guess, pattern_text
from mlci.scaffold.next_steps import render
from mlci.scaffold.planning import Plan, PlannedFile, plan
from mlci.scaffold.starter_policy import policy_text, yaml_key, yaml_number
from mlci.scaffold.workflows import WORKFLOWS
from mlci.scaffold.write import Result, apply, init

__all__ = [
    "WORKFLOWS", "MetricsFile", "Plan", "PlannedFile", "Result",
    "apply", "group_keys", "guess", "init", "pattern_text", "plan", "policy_text", "render", "yaml_key", "yaml_number",
]
