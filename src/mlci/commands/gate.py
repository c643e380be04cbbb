"""``mlci gate``: the verdict of a bundle as an exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.commands import DEFAULT_OUT, Echo, echo


@dataclass(frozen=True)
class Settings:
    bundle: str | Path = DEFAULT_OUT
    fmt: Literal["text", "md", "json"] = "text"
    color: bool = False
    echo: Echo = echo


def run(settings: Settings) -> int:
    """0 when every non-informational gate passed, 1 when any failed."""
    from mlci.bundle import read_bundle
    from mlci.render.verdict import gate_exit_code, render_verdict

    result = read_bundle(settings.bundle)
    settings.echo(render_verdict(result, settings.fmt, color=settings.color), nl=False)
    return gate_exit_code(result)
