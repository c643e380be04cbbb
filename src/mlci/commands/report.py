"""``mlci report``: collect the evidence, judge it by the policy, write the bundle; print the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.commands import DEFAULT_OUT, Echo, echo

Format = Literal["text", "md", "json"]


@dataclass(frozen=True)
class Settings:
    out: str | Path = DEFAULT_OUT  # the bundle directory, relative to cwd
    fmt: Format = "text"  # what is printed
    base: str | None = None  # None: the PR base, the previous commit on the default branch, or the merge-base
    head: str | None = None  # None: the workspace
    project: str | None = None
    config: str | None = None  # the policy file; None: mlci.yaml
    plots: bool = True  # False: no plots drawn, whatever mlci.yaml says
    cwd: str | Path = "."
    actions_env: Mapping[str, str] | None = None  # GITHUB_* variables and the step's files; None: os.environ
    color: bool = False
    echo: Echo = echo


def run(settings: Settings) -> int:
    """Exit 0 whatever the verdict: ``mlci gate`` turns the verdict into an exit code."""
    import os

    from mlci import collect, git
    from mlci.bundle import read_repro, write_bundle
    from mlci.context import RunContext
    from mlci.evaluate import judge
    from mlci.github.runner_files import write_step_outputs
    from mlci.render import render
    from mlci.render.markdown import render_markdown

    env = os.environ if settings.actions_env is None else settings.actions_env
    out = Path(settings.cwd, settings.out).resolve()
    head_sha = git.try_rev_parse(settings.cwd, settings.head or "HEAD")
    repro = read_repro(out, head_sha) if settings.head in (None, "workspace") else None

    found = collect.collect(settings.cwd, RunContext.from_env(env), base=settings.base, head=settings.head,
                            project=settings.project, config=settings.config, bundle_dir=out, repro=repro,
                            plots=settings.plots)
    report = judge(found.report, found.policy, found.evidence)
    write_bundle(report, out, render_markdown(report))

    write_step_outputs(env, {"report-dir": str(out)})  # in a GitHub Actions step: where the bundle is
    settings.echo(render(report, settings.fmt, color=settings.color), nl=False)
    return 0
