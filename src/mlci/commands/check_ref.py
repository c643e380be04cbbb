"""``mlci check-ref REF``: what a GTO tag says, as gto-action's outputs (for a workflow a tag starts)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlci.commands import Echo, echo


@dataclass(frozen=True)
class Settings:
    ref: str  # a tag name, or refs/tags/NAME (GITHUB_REF)
    cwd: str | Path = "."
    actions_env: Mapping[str, str] | None = None
    echo: Echo = echo


def run(settings: Settings) -> int:
    """0 for a GTO tag (its event, name, version and stage printed and set as step outputs); 2 otherwise.
    A stage tag names no version: it is the one registered at the commit the tag points to."""
    from mlci import git, gto
    from mlci.errors import ReleaseError
    from mlci.github.runner_files import write_step_outputs

    tag = settings.ref.removeprefix("refs/tags/")
    found = gto.parse_tag(tag)
    if found is None:
        raise ReleaseError(f"{tag!r} is not a GTO tag (name@vX.Y.Z, name#stage#N)")
    if not found["version"] and found["stage"]:
        root = git.toplevel(settings.cwd)
        commit = git.rev_parse(root, f"refs/tags/{tag}")
        here = [v.version for v in gto.versions(root, found["name"]) if v.commit == commit]
        if not here:
            raise ReleaseError(f"{tag}: no version of {found['name']} is registered at {commit[:7]}")
        found["version"] = here[0]
    env = os.environ if settings.actions_env is None else settings.actions_env
    write_step_outputs(env, found)
    settings.echo(" ".join(f"{key}={value}" for key, value in found.items()))
    return 0
