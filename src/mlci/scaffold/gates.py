"""The gates ``mlci init`` drafts: which way a metric is better, from the parts of its name, and
keys of the same shape folded into one wildcard gate. Data in, data out: nothing is read or written."""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["higher", "lower"]
# quality: gated; timing: noisy, shown only; count: sizes of test sets and classes,
# shown only; not_finite: NaN or infinite now, shown only (it would fail every gate).
Kind = Literal["quality", "timing", "count", "not_finite"]

# Words of a metric's name, matched against whole parts of it (`val_loss`, `valLoss` and
# `val-loss` all have the part "loss"; "terror" has none), never against substrings.
LOWER_IS_BETTER = frozenset({
    "loss", "losses", "logloss", "nll", "error", "errors", "err", "rmse", "mse", "mae", "mape", "smape",
    "rmsle", "msle", "wer", "cer", "perplexity", "ppl", "brier", "fpr", "fnr", "eer",
})
TIMING = frozenset({"latency", "time", "times", "duration", "seconds", "secs", "sec", "ms", "runtime", "elapsed"})
HIGHER_IS_BETTER = frozenset({
    "accuracy", "acc", "f1", "fscore", "auc", "roc", "precision", "recall", "r2", "map", "ndcg", "iou", "dice",
    "bleu", "rouge", "tpr", "tnr", "specificity", "sensitivity", "kappa", "mcc", "score",
})
COUNTS = frozenset({"support", "count", "counts", "n", "num", "samples", "rows", "examples", "instances"})
NEGATED = frozenset({"neg"})  # scikit-learn's scorers: neg_mean_squared_error, higher is better

Pattern = tuple[str | None, ...]  # a dotted key's parts; None is a wildcard part


# -- what a metric's name says ------------------------------------------------------


def name_words(part: str) -> list[str]:
    """The words of one part of a key: split at punctuation and at camelCase humps, lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", part)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def guess(parts: Sequence[str | None]) -> tuple[Direction, Kind]:
    """Which way the metric is better, and whether it is a quality, a timing or a count.

    The last part decides when it means something (``per_class.error.f1`` is an F1
    score, whatever the class is called), else the one before it (``loss.train``),
    and so on; a name that says nothing is a quality where higher is better.
    """
    for part in reversed(parts):
        if part is None:
            continue
        words = set(name_words(part))
        if words & NEGATED:
            return "higher", "quality"
        if words & TIMING:
            return "lower", "timing"
        if words & LOWER_IS_BETTER:
            return "lower", "quality"
        if words & HIGHER_IS_BETTER:
            return "higher", "quality"
        if words & COUNTS:
            return "higher", "count"
    return "higher", "quality"


# -- folding keys of one shape into wildcards -------------------------------------------


def escape_glob(text: str) -> str:
    """``text`` as an fnmatch pattern that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def pattern_text(pattern: Pattern) -> str:
    return ".".join("*" if part is None else escape_glob(part) for part in pattern)


def group_keys(keys: Sequence[str], *, min_group: int = 2) -> list[tuple[Pattern, tuple[str, ...]]]:
    """Keys that differ only in parts before the last, folded into one pattern each.

    ``per_class.cat.f1`` and ``per_class.dog.f1`` become ``per_class.*.f1``. A
    wildcard is kept only when it matches (as mlci matches it, where ``*`` also
    spans dots) exactly the keys it stands for, all of which the name guesses the
    same way; so no metric is covered twice. Patterns come in the order of their
    first key.
    """
    groups: dict[Pattern, list[str]] = {tuple(key.split(".")): [key] for key in keys}
    while True:
        wider_of: dict[Pattern, list[Pattern]] = {}
        for pattern in groups:
            for i in range(len(pattern) - 1):  # never the last part: it names the metric
                if pattern[i] is not None:
                    wider_of.setdefault((*pattern[:i], None, *pattern[i + 1:]), []).append(pattern)
        ranked = sorted(wider_of.items(), key=lambda item: -sum(len(groups[p]) for p in item[1]))
        chosen = next(((wider, narrower) for wider, narrower in ranked
                       if len(narrower) >= min_group and _exact(wider, narrower, groups, keys)), None)
        if chosen is None:
            return [(pattern, tuple(members)) for pattern, members in groups.items()]
        wider, narrower = chosen
        merged: dict[Pattern, list[str]] = {}
        for pattern, members in groups.items():
            if pattern in narrower:
                merged.setdefault(wider, []).extend(members)
            else:
                merged[pattern] = members
        groups = merged


def _exact(wider: Pattern, narrower: Sequence[Pattern], groups: Mapping[Pattern, list[str]], keys: Sequence[str]) -> bool:
    members = {key for pattern in narrower for key in groups[pattern]}
    regex = re.compile(fnmatch.translate(pattern_text(wider)))
    if {key for key in keys if regex.match(key)} != members:
        return False
    return {guess(key.split(".")) for key in members} == {guess(wider)}


# -- the gates of each metrics file ---------------------------------------------------------


@dataclass(frozen=True)
class MetricsFile:
    """One metrics file as DVC shows it in the workspace."""

    path: str
    numbers: Mapping[str, float] = field(default_factory=dict)  # flattened keys, in the file's order
    others: tuple[str, ...] = ()  # keys whose values are not numbers: no gate
    problem: str | None = None  # why DVC could not read it ("file not found": never produced)


@dataclass(frozen=True)
class Gate:
    pattern: str  # as written under `metrics:`
    members: tuple[str, ...]  # the keys it covers
    direction: Direction
    kind: Kind
    worst: float | None  # the worst value now: the lowest (higher is better) or the highest


def gates_for(files: Sequence[MetricsFile]) -> list[tuple[MetricsFile, list[Gate]]]:
    """The gates of each readable file. A pattern that would also match a key of another
    file is prefixed with the file's path (``eval/metrics.json:accuracy``)."""
    out = []
    for file in files:
        others = {key for f in files if f.path != file.path for key in f.numbers}
        gates = []
        for parts, members in group_keys(list(file.numbers)):
            key_pattern = pattern_text(parts)
            if None in parts:
                regex = re.compile(fnmatch.translate(key_pattern))
                elsewhere = any(regex.match(key) for key in others)
            else:  # an escaped key matches only itself
                elsewhere = members[0] in others
            if elsewhere or ":" in key_pattern or not key_pattern.strip():  # mlci.yaml refuses " " alone
                if ":" in file.path:
                    continue  # mlci.yaml cannot name this file; better no gate than a wrong one
                key_pattern = f"{escape_glob(file.path)}:{key_pattern}"
            direction, kind = guess(parts)
            values = [file.numbers[k] for k in members]
            if not all(math.isfinite(v) for v in values):
                kind = "not_finite"
            worst = (min(values) if direction == "higher" else max(values)) if kind != "not_finite" else None
            gates.append(Gate(key_pattern, members, direction, kind, worst))
        out.append((file, gates))
    return out


def metrics_files(metrics: Mapping[str, object], errors: Mapping[str, str]) -> list[MetricsFile]:
    """What DVC read (per path: parsed content; per path: error) as MetricsFiles, in DVC's order."""
    from mlci.compare import flatten, is_number

    files = []
    for path, data in metrics.items():
        flat = flatten(data) if isinstance(data, Mapping) else {}
        numbers = {k: v for k, v in flat.items() if is_number(v)}
        others = tuple(k for k, v in flat.items() if not is_number(v))
        files.append(MetricsFile(path, numbers, others))
    for path, error in errors.items():
        if path not in metrics and not path.startswith("("):
            files.append(MetricsFile(path, problem=error))
    return files
