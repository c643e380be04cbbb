"""``mlci publish``: post a bundle (the PR comment, the check, the job summary, step outputs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlci.commands import DEFAULT_OUT, Echo, echo


@dataclass(frozen=True)
class Settings:
    bundle: str | Path = DEFAULT_OUT
    token: str | None = None  # None: GITHUB_TOKEN, then GH_TOKEN; without one, local mode
    comment: Literal["update", "new", "once", "off"] | None = None  # None: the policy's, else update
    check_name: str | None = None  # None: the policy's, else mlci
    take_over_cml: bool | None = None  # None: the policy's, else no
    config: str | None = None  # a policy file to take those three from instead of the bundle's policy
    actions_env: Mapping[str, str] | None = None  # GITHUB_* variables and the step's files; None: os.environ
    gate: bool = False  # after posting, the verdict posted as the exit code (as `mlci gate`)
    echo: Echo = echo


def run(settings: Settings) -> int:
    """0 once posted; with ``gate``, 1 when the verdict posted is fail (judged again where the bundle
    was untrusted, so a fork's bundle cannot pass its own job either)."""
    import os

    from mlci.bundle import read_bundle
    from mlci.context import RunContext
    from mlci.publish import publish, settings_for

    env = os.environ if settings.actions_env is None else settings.actions_env
    report = read_bundle(settings.bundle)
    ctx = RunContext.from_env(env)
    how = settings_for(report, ctx, token=settings.token or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None,
                       comment=settings.comment, check_name=settings.check_name,
                       take_over_cml=settings.take_over_cml, config=settings.config)
    outcome = publish(report, ctx, how, env=env, bundle=settings.bundle)
    for message in outcome.messages:
        settings.echo(f"mlci: {message}")
    if outcome.comment is not None:
        settings.echo(f"mlci: comment {outcome.comment.action}: {outcome.comment.url or outcome.comment.note}")
    if outcome.check is not None:
        kind = "check run" if outcome.check.kind == "check_run" else "commit status"
        settings.echo(f"mlci: {kind} '{how.check_name}': {outcome.check.url or ''} {outcome.check.note}".rstrip())
    if not settings.gate:
        return 0
    from mlci.render.verdict import gate_exit_code, render_verdict

    posted = outcome.report or report
    settings.echo(render_verdict(posted, "text"), nl=False)
    return gate_exit_code(posted)
