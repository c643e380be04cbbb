"""Writing what the plan says: each file atomically, an existing one only with ``force``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.errors import MlciError
from mlci.files import write_atomically
from mlci.scaffold.planning import Plan, PlannedFile, plan

Outcome = Literal["wrote", "overwrote", "unchanged", "kept"]


@dataclass(frozen=True)
class Result:
    plan: Plan
    outcomes: tuple[tuple[PlannedFile, Outcome], ...]


def apply(plan: Plan) -> Result:
    """Write what the plan says: new files, and existing ones only with ``force``."""
    outcomes: list[tuple[PlannedFile, Outcome]] = []
    for file in plan.files:
        if file.exists and not plan.force:
            outcomes.append((file, "kept"))
        elif file.same:
            outcomes.append((file, "unchanged"))
        else:
            try:
                write_atomically(file.path, file.content)
            except OSError as exc:
                raise MlciError(f"{file.shown}: cannot write it: {exc.strerror or exc}") from None
            outcomes.append((file, "overwrote" if file.exists else "wrote"))
    return Result(plan, tuple(outcomes))


def init(directory: str = ".", *, workflow: str = "pull-request", force: bool = False) -> Result:
    """``mlci init``: plan everything, then write."""
    return apply(plan(directory, workflow=workflow, force=force))
