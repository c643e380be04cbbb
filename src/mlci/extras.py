"""mlci's optional extras: which check needs which, and the one line that names a missing one.

The core (``pip install mlci``) is what every pull-request check needs: DVC, the
metric and param comparison, the gates on metrics and reproducibility, publishing.
The libraries of the other checks are extras, so a policy that only gates metrics
installs none of them. The install step of the actions asks :func:`for_policy`
which extras a policy needs before it installs anything (``actions/setup``), and a
check run without its extra says which one to install (:func:`require`).

pyproject.toml's ``[project.optional-dependencies]`` lists each extra's packages;
tests/test_packaging.py checks that every module named here comes from them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from typing import Any

from mlci.errors import MlciError

# Each extra, and the modules (import names) it brings.
EXTRAS: dict[str, tuple[str, ...]] = {
    "data": ("pandas", "pandera"),
    "fairness": ("pandas", "fairlearn", "sklearn"),
    "onnx": ("pandas", "onnxruntime", "skl2onnx"),
    "parquet": ("pyarrow",),
    "demo": ("pandas", "pandera", "fairlearn", "sklearn"),
}
# The checks of mlci.yaml (keys under `checks:`) that need an extra.
CHECK_EXTRAS: dict[str, str] = {"data": "data", "fairness": "fairness", "runtime": "onnx"}
PARQUET_SUFFIXES = (".parquet", ".pq")


class MissingExtra(MlciError):
    """An extra is not installed; its text is the one line to show (exit code 2 at the CLI)."""


def hint(extra: str, what: str) -> str:
    """``the data check needs mlci[data]: pip install 'mlci[data]'``."""
    return f"{what} needs mlci[{extra}]: pip install 'mlci[{extra}]'"


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (found without importing them)."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, what: str) -> None:
    """Raise MissingExtra, naming the extra, unless every module of ``extra`` is installed."""
    if missing_modules(extra):
        raise MissingExtra(hint(extra, what))


def for_policy(data: Any) -> list[str]:
    """The extras a parsed mlci.yaml needs, in a stable order.

    ``data`` is the file as YAML gave it, valid or not: a section this cannot make
    sense of needs nothing, and loading the policy later says what is wrong with it.
    Parquet files named anywhere under ``checks:`` add the parquet extra.
    """
    checks = data.get("checks") if isinstance(data, Mapping) else None
    if not isinstance(checks, Mapping):
        return []
    wanted = {CHECK_EXTRAS[key] for key, value in checks.items()
              if key in CHECK_EXTRAS and value not in (None, False, [], {})}
    if any(text.lower().endswith(PARQUET_SUFFIXES) for text in _strings(checks.values())):
        wanted.add("parquet")
    return sorted(wanted)


def _strings(values: Iterable[Any]) -> Iterable[str]:
    """Every string in nested mappings and lists (a stack, not recursion: any depth is fine)."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
