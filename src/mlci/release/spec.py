"""mlci.yaml's ``release:`` section: which artifacts to version, the first version, and whether
their files go on the GitHub release as assets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_FIRST_VERSION = "v0.1.0"


@dataclass(frozen=True)
class ReleaseSpec:
    """``artifacts``: names from dvc.yaml's ``artifacts:`` (None: all of them); ``assets``: attach
    each released artifact's files (from the work tree) to its GitHub release."""

    artifacts: tuple[str, ...] | None = None
    first_version: str = DEFAULT_FIRST_VERSION
    assets: bool = False
    line: int | None = None  # of `release:` in mlci.yaml


def parse(section: Any, line: int | None) -> ReleaseSpec:
    """The spec of a section the schema has already accepted (None: the defaults)."""
    if not isinstance(section, Mapping):
        return ReleaseSpec(line=line)
    names = section.get("artifacts")
    return ReleaseSpec(artifacts=tuple(names) if names is not None else None,
                       first_version=section.get("first_version", DEFAULT_FIRST_VERSION),
                       assets=bool(section.get("assets", False)), line=line)
