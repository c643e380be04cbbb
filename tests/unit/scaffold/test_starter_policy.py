"""mlci.scaffold.starter_policy: the starter mlci.yaml's text, its numbers and keys, and that it loads."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.config import load_policy
from mlci.scaffold.gates import MetricsFile
from mlci.scaffold.starter_policy import policy_text, yaml_key, yaml_number


@pytest.mark.parametrize("value", [0.1, 1e-05, 1e22, -3.5e-12, 12, 0, 0.30000000000000004, 1.5e300])
def test_numbers_read_back_as_the_same_number(value: float) -> None:
    assert yaml.safe_load(f"min: {yaml_number(value)}") == {"min": value}


@pytest.mark.parametrize("key", ["accuracy", "per_class.*.f1", "yes", "no", "on", "null", "1", "1.5", "a: b",
                                 "#x", "- x", "'q'", '"dq"', "ünï", "x\ty", "~", "[a]", "{a}", "&a", "*a", "!a",
                                 # what YAML reads as a line break, controls JSON leaves raw, a BOM, bidi
                                 "acc\u2028uracy", "lo\x85ss", "a\u2029b", "c\x9fd", "e\ufefff", "g\u202eh"])
def test_keys_read_back_as_themselves(key: str) -> None:
    assert yaml.safe_load(f"{yaml_key(key)}: 0") == {key: 0}


_part = st.text(alphabet=st.sampled_from("abcxyz_-:*?[]! 0189éL\u2028\x85\x9f\u202e"), min_size=1, max_size=6)
_key = st.one_of(st.sampled_from(["accuracy", "loss", "per_class.a.f1", "per_class.b.f1", "per_class.a.support"]),
                 st.lists(_part, min_size=1, max_size=4).map(".".join))  # keys that files share, and odd ones
_number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6))
_file = st.builds(
    lambda path, numbers, missing: MetricsFile(path, numbers) if not missing else MetricsFile(path, problem="file not found"),
    st.sampled_from(["metrics.json", "eval/metrics.json", "weird [1].json"]),
    st.dictionaries(_key, _number, max_size=12),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_file, max_size=3, unique_by=lambda f: f.path))
def test_every_metric_is_covered_by_exactly_one_gate_and_every_gate_covers_one(files: list[MetricsFile]) -> None:
    """What makes the policy safe to use at once: `mlci report` refuses a gate that matches
    nothing, and a metric under two gates would be judged twice."""
    text = policy_text(files)
    rules = load_policy(text).metrics
    metrics = [(f.path, key) for f in files for key in f.numbers]
    assert len({pattern for pattern in (r.pattern for r in rules)}) == len(rules)
    for path, key in metrics:
        if ":" in path:
            continue
        assert sum(rule.matches(path, key) for rule in rules) == 1, (path, key, text)
    for rule in rules:
        assert any(rule.matches(path, key) for path, key in metrics), (rule.pattern, text)
    for f in files:
        for key, value in f.numbers.items():
            if not (isinstance(value, float) and not math.isfinite(value)):
                continue
            assert all(rule.informational for rule in rules if rule.matches(f.path, key))


def test_names_yaml_would_break_on_stay_inside_their_comment() -> None:
    """A wildcard's comment lists some of its metrics: a U+2028 in one would end the comment, and
    the rest of the name would be read as YAML (mlci init then wrote a file it could not load)."""
    names = {f"per_class.{c}.f1": 0.5 for c in ("a\u2028b: [", "c\x85d", "e\u202ef")}
    text = policy_text([MetricsFile("metrics.json", names)])
    assert "\u2028" not in text and "\x85" not in text and "\u202e" not in text
    assert "\\u2028" in text, text
    assert [rule.pattern for rule in load_policy(text).metrics] == ["per_class.*.f1"]


def test_a_wildcard_hint_shows_the_worst_value() -> None:
    higher = {"per_class.a.f1": 0.9, "per_class.b.f1": 0.6}
    lower = {"fold.1.loss": 0.1, "fold.2.loss": 0.4}
    text = policy_text([MetricsFile("m.json", {**higher, **lower})])
    assert '  "per_class.*.f1":  # 2 metrics: per_class.a.f1, per_class.b.f1\n    max_drop: "2%"\n    # min: 0.6\n' in text
    assert '  "fold.*.loss":  # 2 metrics: fold.1.loss, fold.2.loss\n    direction: lower\n    max_drop: "2%"\n    # max: 0.4\n' in text


def test_no_metrics_file_at_all_still_gives_a_loadable_policy_with_a_hint() -> None:
    text = policy_text([])
    assert load_policy(text).metrics == ()
    assert "no dvc.yaml of this project declares a metrics file" in text
    assert max(len(line) for line in text.splitlines()[1:]) <= 100
