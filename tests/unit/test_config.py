"""mlci.yaml: schema validation with file:line: key messages, semantic checks, the typed policy."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mlci.config import load_policy, schema
from mlci.errors import ConfigError

GOOD = """\
# yaml-language-server: $schema=https://example.invalid/policy-v1.schema.json
version: 1
project: churn
metrics:
  accuracy:              # the key as DVC shows it
    min: 0.90
    max_drop: 0.01
  loss:
    direction: lower
    max_drop: "5%"
  "per_class.*.f1":
    min: 0.80
    informational: true
  "eval/metrics.json:auc":
    required: true
    on_missing_base: fail
    max_drop: 0.02
checks:
  reproducible: true
"""


def test_complete_policy() -> None:
    policy = load_policy(GOOD)
    assert policy.project == "churn" and policy.use == "base"
    acc, loss, per_class, auc = policy.metrics
    assert (acc.min, acc.max_drop, acc.max_drop_relative, acc.line) == (0.9, 0.01, False, 5)
    assert (loss.direction, loss.max_drop, loss.max_drop_relative) == ("lower", 0.05, True)
    assert per_class.informational and per_class.matches("metrics.json", "per_class.dog.f1")
    assert not per_class.matches("metrics.json", "per_class.dog.precision")
    assert auc.matches("eval/metrics.json", "auc") and not auc.matches("metrics.json", "auc")
    assert auc.required and auc.on_missing_base == "fail"
    [reproducible] = policy.specs("checks.reproducible")
    assert reproducible.line == 19
    assert policy.gate_count == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics:\n  accuracy:\n    min: high\n", "mlci.yaml:3: metrics.accuracy.min: expected a number, got 'high'"),
        ("metrics:\n  accuracy:\n    mni: 0.9\n", "mlci.yaml:3: metrics.accuracy.mni: unknown key 'mni' (did you mean 'min'?)"),
        ("metrix: {}\n", "mlci.yaml:1: metrix: unknown key 'metrix' (did you mean 'metrics'?)"),
        ("metrics:\n  accuracy:\n    min: 0.9\n    max: 0.5\n", "mlci.yaml:2: metrics.accuracy: min 0.9 is greater than max 0.5"),
        ("metrics:\n  a:\n    max_drop: lots\n", 'mlci.yaml:3: metrics.a.max_drop: expected a number or a percentage like "2%", got \'lots\''),
        ("metrics:\n  a:\n    direction: up\n    min: 1\n", "mlci.yaml:3: metrics.a.direction: expected one of higher, lower, got 'up'"),
        ("metrics:\n  a: [\n", "mlci.yaml:3: invalid YAML:"),
        ("metrics:\n  a: {min: 1}\n  a: {min: 2}\n", "mlci.yaml:3: metrics.a: duplicate key"),
        ("metrics:\n  a: {}\n", "mlci.yaml:2: metrics.a: no rule given"),
        ("- a\n", "mlci.yaml:1: (top level): expected a mapping, got a list"),
        ("version: 2\n", "mlci.yaml:1: version: expected 1, got 2"),
        ("checks:\n  reproducible: maybe\n", "mlci.yaml:2: checks.reproducible: expected true, false or a mapping, got 'maybe'"),
        ("policy: pr\n", "mlci.yaml:1: policy: expected one of base, head, got 'pr'"),
    ],
)
def test_errors_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_policy(text, "mlci.yaml")
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)


def test_empty_file_is_an_empty_policy() -> None:
    assert load_policy("").gate_count == 0
    assert load_policy("# nothing yet\n").gate_count == 0


def test_schema_is_valid_and_matches_example() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    import yaml

    jsonschema.validate(yaml.safe_load(GOOD), schema())


def test_configuration_reference_example_is_valid() -> None:
    """The complete example in docs/configuration.md must load."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = load_policy(block)
    assert policy.metrics and all(policy.specs(key) for key in
                                  ("checks.reproducible", "checks.data", "checks.fairness", "checks.runtime"))


def test_schema_documents_every_metric_rule_key() -> None:
    rule = schema()["$defs"]["metricRule"]["properties"]
    assert set(rule) == {"direction", "min", "max", "max_drop", "required", "informational", "on_missing_base"}
    assert all("description" in v for v in rule.values())
    json.dumps(schema())
