"""The records of releasing: an artifact a dvc.yaml declares, a version GTO registered, its tag."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Artifact:
    """An artifact dvc.yaml declares: its GTO name (``dir:name`` below the root) and its path
    from the repository root."""

    name: str
    path: str
    type: str | None = None
    description: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Version:
    """A registered version: its number, the commit it names, its tag."""

    name: str
    version: str
    commit: str
    tag: str


@dataclass(frozen=True)
class AnnotatedTag:
    """An annotated tag as git holds it, field by field: what GitHub must hold too."""

    name: str
    sha: str  # the tag object's
    commit: str
    message: str
    tagger_name: str
    tagger_email: str
    timestamp: int
    offset_minutes: int
