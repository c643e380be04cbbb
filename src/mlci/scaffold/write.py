"""Writing what the plan says: each file atomically, an existing one only with ``force``."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.errors import MlciError
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
            write_atomically(file.path, file.content, shown=file.shown)
            outcomes.append((file, "overwrote" if file.exists else "wrote"))
    return Result(plan, tuple(outcomes))


def write_atomically(path: Path, content: bytes, *, shown: str) -> None:
    """Write to a temporary file beside ``path``, then rename it over: never a half-written file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            mode = path.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise MlciError(f"{shown}: cannot write it: {exc.strerror or exc}") from None


def init(directory: str = ".", *, workflow: str = "pull-request", force: bool = False) -> Result:
    """``mlci init``: plan everything, then write."""
    return apply(plan(directory, workflow=workflow, force=force))
