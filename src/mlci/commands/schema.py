"""``mlci schema``: print a JSON Schema, the policy's (mlci.yaml) or the bundle's (report.json)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mlci.commands import Echo, echo


@dataclass(frozen=True)
class Settings:
    which: Literal["policy", "report"] = "policy"
    echo: Echo = echo


def run(settings: Settings) -> int:
    from mlci import config, report

    settings.echo(config.schema_text() if settings.which == "policy" else report.schema_text(), nl=False)
    return 0
