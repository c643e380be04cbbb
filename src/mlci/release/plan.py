"""Which artifacts get a new version on a commit, and which version: pure, from what was read.

An artifact gets a new version when the commit's gates passed and its content (the hash DVC
recorded for its path) differs from that at its latest version's commit; its first version
is the policy's ``first_version``. A commit that already has a version of it keeps that one:
running again creates nothing (the tag GTO refuses twice would say so too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mlci.release.records import Artifact, Version
from mlci.release.bump import Bump, next_version

Action = Literal["register", "registered", "unchanged", "missing"]


@dataclass(frozen=True)
class Merged:
    """The pull request a commit came from (what the bump is read from)."""

    number: int | None = None
    title: str | None = None
    labels: tuple[str, ...] = ()
    body: str | None = None


@dataclass(frozen=True)
class Decision:
    """What to do for one artifact: ``register`` ``version`` (after ``previous``), or why not."""

    artifact: Artifact
    action: Action
    reason: str
    version: str | None = None
    previous: Version | None = None
    hash: str | None = None


def decide(artifact: Artifact, existing: Sequence[Version], commit: str, hash_now: str | None,
           hash_previous: str | None, bump: Bump, first: str) -> Decision:
    """The decision for ``artifact`` at ``commit``: ``existing`` are its versions, the greatest
    first; ``hash_previous`` is its hash at the greatest one's commit."""
    here = next((v for v in existing if v.commit == commit), None)
    latest = existing[0] if existing else None
    if here is not None:
        return Decision(artifact, "registered", f"this commit is already {here.version} ({here.tag})", here.version,
                        here, hash_now)
    if hash_now is None:
        return Decision(artifact, "missing", f"no hash recorded for {artifact.path} at this commit (neither a "
                        "stage's output in dvc.lock nor tracked by a .dvc file)")
    if latest is not None and hash_now == hash_previous:
        return Decision(artifact, "unchanged", f"unchanged since {latest.version}: the same content "
                        f"({_short(hash_now)})", previous=latest, hash=hash_now)
    version = next_version(latest.version if latest else None, bump.part, first)
    why = f"{bump.part} bump: {bump.reason}" if latest else "its first version"
    return Decision(artifact, "register", why, version, latest, hash_now)


def _short(value: str) -> str:
    return value if len(value) <= 12 else f"{value[:6]}…{value[-3:]}"
