"""Making a decided version real: GTO's tag in the clone, then, with GitHub, the same tag and its release.

Race-free and never half-made. The tag is written by GTO locally; with a repository to publish
to, :func:`mlci.github.releases.publish` copies it and makes the release, deleting the ref
again when the release fails. When GitHub already has that tag for another commit (two runs
at once), the local tag is removed, the versions on GitHub are read again and the next free
number is tried: ATTEMPTS times at most. Whatever fails, the local tag goes too, so a re-run
starts from what GitHub holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import git, gto
from mlci.errors import ReleaseError
from mlci.release.bump import Bump, next_version, parse
from mlci.release.plan import Decision

if TYPE_CHECKING:
    from mlci.github.client import Repository

ATTEMPTS = 3


@dataclass(frozen=True)
class Shipped:
    tag: str
    version: str
    release_url: str | None  # None: no repository to publish to (a local run)
    note: str = ""  # "", or how the version moved: "v1.4.0 was taken; v1.4.1 is free"


def ship(root: str | Path, decision: Decision, commit: str, bump: Bump, first: str,
         card: Callable[[str, str], str], repo: Repository | None) -> Shipped:
    """Register ``decision`` (a ``register`` one) at ``commit``; ``card(version, tag)`` is the
    release's body. Publishes to ``repo`` when given."""
    from mlci.github import releases

    assert decision.version is not None
    name, version, note = decision.artifact.name, decision.version, ""
    tagger = git.identity(root)
    for _ in range(ATTEMPTS):
        tag = gto.register(root, name, commit, version, f"Registering artifact {name} version {version}", tagger)
        if repo is None:
            return Shipped(tag, version, None, note)
        try:
            published = releases.publish(repo, git.annotated_tag(root, tag), f"{name} {version}", card(version, tag))
            return Shipped(tag, version, published.release_url, note)
        except releases.TagTaken:
            git.delete_tag(root, tag)
            remote = releases.remote_versions(repo, gto.tag_name(name, "v"))
            mine = [t for t, c in remote.items() if c == commit]
            if mine:  # another run of this very commit got there first
                return Shipped(mine[0], mine[0].rsplit("@", 1)[1], None, "registered by another run of this commit")
            taken = version
            version = next_version(_greatest([t.rsplit("@", 1)[1] for t in remote] + [version]), bump.part, first)
            note = f"{taken} was taken on GitHub meanwhile; {version} is the next free one"
        except BaseException:
            git.delete_tag(root, tag)
            raise
    raise ReleaseError(f"{name}: no free version after {ATTEMPTS} tries: other runs keep registering versions; run again")


def _greatest(versions: list[str]) -> str:
    valid = [v for v in versions if _valid(v)]
    return max(valid, key=parse)


def _valid(version: str) -> bool:
    try:
        parse(version)
    except ValueError:
        return False
    return True
