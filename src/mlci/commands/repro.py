"""``mlci repro``: pull, ``dvc repro``, push when asked; keep what happened for ``mlci report``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlci.commands import DEFAULT_OUT, Echo, echo


@dataclass(frozen=True)
class Settings:
    out: str | Path = DEFAULT_OUT  # the bundle directory (relative to cwd) where repro.json is kept
    pull: bool | None = None  # None: pull when a default remote is set
    push: bool = False
    record_failure: bool = False  # a failed stage is kept for the report, and the command exits 0
    dvc_args: tuple[str, ...] = ()
    cwd: str | Path = "."
    env: Mapping[str, str] | None = None  # the stages' environment; None: this process's
    echo: Echo = echo  # mlci's own lines
    stream: Echo = echo  # DVC's output, line by line


def run(settings: Settings) -> int:
    """Exit 0 when the pipeline ran to the end (or its failure was recorded), else PipelineFailed."""
    from mlci import dvc, git
    from mlci.bundle import write_repro
    from mlci.errors import PipelineFailed
    from mlci.render.view import repro_note, stage_summary

    head_sha = git.try_rev_parse(settings.cwd, "HEAD")  # None before the first commit
    result = dvc.repro(settings.cwd, args=settings.dvc_args, pull=settings.pull, push=settings.push,
                       echo=settings.stream, env=settings.env)
    write_repro(result, Path(settings.cwd, settings.out), head_sha)  # a failure too: never a stale record
    settings.echo(f"mlci: {stage_summary(result)} ({repro_note(result)})")
    if result.failure is not None:
        # The first clause (which stage, which exit code): the hint after it was just printed.
        failed = PipelineFailed(f"{result.failure.split(': ', 1)[0]} (see its output above)")
        if not settings.record_failure:
            raise failed
        settings.echo(f"mlci: {failed}; kept for `mlci report`")
    return 0
