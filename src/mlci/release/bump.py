"""Which part of the version a merged pull request bumps, and the version that makes.

In this order, as release tools do it: a label ``release:major``, ``release:minor`` or
``release:patch`` (the largest, when there are several); else the PR's title read as a
conventional commit (``feat`` → minor, ``fix`` → patch, ``!`` or a ``BREAKING CHANGE:``
footer → major); else patch. Pure.

Written here: the rule is these few lines; the conventional-commit libraries (commitizen,
python-semantic-release) are whole release tools around it, not a dependency for one regex.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Part = Literal["major", "minor", "patch"]
PARTS: tuple[Part, ...] = ("major", "minor", "patch")
LABELS: dict[str, Part] = {f"release:{part}": part for part in PARTS}
_CONVENTIONAL = re.compile(r"^(?P<type>[A-Za-z]+)(?:\([^()\r\n]*\))?(?P<breaking>!)?: \S")
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE: ", re.M)
_VERSION = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass(frozen=True)
class Bump:
    part: Part
    reason: str  # for the card and the log: "label release:minor", "title `feat: …`", "the default"


def choose(labels: Sequence[str] = (), title: str | None = None, body: str | None = None) -> Bump:
    """The bump a PR with these labels, title and description asks for."""
    asked = [LABELS[label] for label in labels if label in LABELS]
    if asked:
        part = min(asked, key=PARTS.index)
        return Bump(part, f"label release:{part}")
    match = _CONVENTIONAL.match(title or "")
    if match:
        kind = match["type"].lower()
        if match["breaking"] or _BREAKING.search(body or ""):
            return Bump("major", "a breaking change in a conventional title" if match["breaking"]
                        else "a BREAKING CHANGE footer")
        if kind == "feat":
            return Bump("minor", "a conventional title of type feat")
        if kind == "fix":
            return Bump("patch", "a conventional title of type fix")
    return Bump("patch", "the default (no release label, no feat or fix title)")


def parse(version: str) -> tuple[int, int, int]:
    """``v1.2.3`` as (1, 2, 3); ValueError for anything else (GTO's own versions are this form)."""
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"not a version of the form vX.Y.Z: {version!r}")
    return int(match[1]), int(match[2]), int(match[3])


def next_version(latest: str | None, part: Part, first: str) -> str:
    """The version after ``latest`` (``first`` when there is none yet)."""
    if latest is None:
        parse(first)
        return first
    major, minor, patch = parse(latest)
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"
