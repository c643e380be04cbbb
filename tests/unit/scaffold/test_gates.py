"""mlci.scaffold.gates: guessing a metric's direction from its name, folding keys into wildcard gates."""

from __future__ import annotations

import pytest

from mlci.scaffold.gates import group_keys, guess, pattern_text


@pytest.mark.parametrize(("key", "expected"), [
    ("accuracy", ("higher", "quality")),
    ("loss", ("lower", "quality")),
    ("val_loss", ("lower", "quality")),
    ("valLoss", ("lower", "quality")),
    ("val-loss", ("lower", "quality")),
    ("log_loss", ("lower", "quality")),
    ("logloss", ("lower", "quality")),
    ("test.rmse", ("lower", "quality")),
    ("MSE", ("lower", "quality")),
    ("mean_absolute_error", ("lower", "quality")),
    ("top1_err", ("lower", "quality")),
    ("mape", ("lower", "quality")),
    ("num_errors", ("lower", "quality")),
    ("neg_mean_squared_error", ("higher", "quality")),  # scikit-learn's negated scorer
    ("terror", ("higher", "quality")),  # a whole part, never a substring
    ("interrupted", ("higher", "quality")),
    ("per_class.error.f1", ("higher", "quality")),  # the last part decides: an F1 score of the class "error"
    ("loss.train", ("lower", "quality")),  # the last part says nothing: the one before it decides
    ("inference_time_ms", ("lower", "timing")),
    ("p95_latency", ("lower", "timing")),
    ("train.duration", ("lower", "timing")),
    ("lifetime_value", ("higher", "quality")),
    ("n_test", ("higher", "count")),
    ("per_class.dog.support", ("higher", "count")),
    ("f1Score", ("higher", "quality")),
    ("something", ("higher", "quality")),
])
def test_guess_from_the_parts_of_the_name(key: str, expected: tuple[str, str]) -> None:
    assert guess(key.split(".")) == expected


def test_keys_of_one_shape_fold_into_a_wildcard_in_file_order() -> None:
    keys = ["accuracy", "per_class.cat.f1", "per_class.cat.recall", "per_class.dog.f1", "per_class.dog.recall",
            "fold.0.class.a.err", "fold.0.class.b.err", "fold.1.class.a.err", "fold.1.class.b.err"]
    assert [(pattern_text(p), len(m)) for p, m in group_keys(keys)] == [
        ("accuracy", 1), ("per_class.*.f1", 2), ("per_class.*.recall", 2), ("fold.*.class.*.err", 4)]


def test_a_wildcard_that_would_cover_other_keys_or_mix_directions_is_not_made() -> None:
    # "*.f1" would also match x.y.f1 (mlci's * spans dots); the last part is never a wildcard.
    assert [pattern_text(p) for p, _ in group_keys(["a.f1", "b.f1", "x.y.f1"])] == ["a.f1", "b.f1", "x.y.f1"]
    assert [pattern_text(p) for p, _ in group_keys(["m.f1", "m.recall"])] == ["m.f1", "m.recall"]
    # error.rate is lower-is-better, accuracy.rate higher: one gate cannot say both.
    assert [pattern_text(p) for p, _ in group_keys(["error.rate", "accuracy.rate"])] == ["error.rate", "accuracy.rate"]
