"""``mlci demo``: an example DVC project with two PRs, and mlci's report for each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlci.commands import Echo, echo


@dataclass(frozen=True)
class Settings:
    keep: str | Path | None = None  # build the example here and keep it; None: a temporary directory
    color: bool = False
    echo: Echo = echo


def run(settings: Settings) -> int:
    from mlci.demo.runner import run_demo

    run_demo(keep=None if settings.keep is None else str(settings.keep), echo=settings.echo, color=settings.color)
    return 0
