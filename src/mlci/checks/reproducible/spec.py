"""The reproducibility check's spec (``checks.reproducible`` in mlci.yaml: true, or a mapping), and
the record its measurement hands its judgement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlci.checks.base import Source


@dataclass(frozen=True)
class ReproducibleSpec:
    informational: bool = False
    line: int | None = None


def parse(section: Any, source: Source) -> tuple[ReproducibleSpec, ...]:
    if section is None or section is False:
        return ()
    informational = bool(section.get("informational", False)) if isinstance(section, Mapping) else False
    return (ReproducibleSpec(informational=informational, line=source.line(("checks", "reproducible"))),)


LOCK = "dvc.lock"


# What the measurement gives the judgement: the work tree after `mlci repro`.


@dataclass(frozen=True)
class LockFile:
    path: str
    committed: str | None  # None: not in the HEAD commit
    now: str


@dataclass(frozen=True)
class WorkTree:
    changed: tuple[str, ...]  # `git status` paths, repository-relative
    locks: tuple[LockFile, ...]  # the changed dvc.lock files
    ignored: tuple[str, ...] = ()  # folders left out (the bundle directory)
