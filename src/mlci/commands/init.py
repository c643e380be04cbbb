"""``mlci init``: a starter mlci.yaml and the GitHub workflow for the DVC project in a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.commands import Echo, echo


@dataclass(frozen=True)
class Settings:
    directory: str | Path = "."
    workflow: Literal["pull-request", "fork-safe", "none"] = "pull-request"
    force: bool = False  # overwrite files that exist
    echo: Echo = echo


def run(settings: Settings) -> int:
    """Write what is missing (everything with ``force``) and print what is left to do."""
    from mlci import scaffold

    result = scaffold.init(str(settings.directory), workflow=settings.workflow, force=settings.force)
    settings.echo(scaffold.render(result), nl=False)
    return 0
