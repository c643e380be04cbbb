"""Which release of mlci's actions a workflow calls, and which release this copy of mlci is.

Workflows call mlci's actions pinned by commit, with the version in a comment, the form
zizmor and OpenSSF Scorecard accept and Dependabot bumps::

    uses: mlci-actions/mlci@2932a3e0cb3d28ede492fa4650fe0764d85fd71a # v0.1.0

The templates shipped in the package pin the latest release (tools/pin_release.py keeps
them there). A commit cannot name itself, so a wheel built at a release tag records its
own commit at build time (setup.py writes :data:`BUILD_INFO_FILE` into the wheel) and
``mlci init`` from that wheel pins the release it is (:func:`as_installed`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from mlci import ACTION_REPOSITORY, __version__

BUILD_INFO_FILE = "_build_info.json"  # written by setup.py into the built package, never checked in

# `mlci-actions/mlci@REF # vX.Y.Z` and `mlci-actions/mlci/actions/NAME@REF`, with the comment if any.
REFERENCE = re.compile(
    rf"(?P<action>\b{re.escape(ACTION_REPOSITORY)}(?:/actions/[a-z0-9-]+)?)@(?P<ref>[\w.-]+)"
    r"(?P<comment>[ \t]+#[ \t]*v(?P<version>\d+\.\d+\.\d+)\b)?"
)
COMMIT = re.compile(r"[0-9a-f]{40}")
VERSION = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Pin:
    """A release of mlci's actions: its commit and its version (``0.1.0``, tag ``v0.1.0``)."""

    commit: str
    version: str

    def __post_init__(self) -> None:
        if not COMMIT.fullmatch(self.commit):
            raise ValueError(f"not a full commit SHA: {self.commit!r}")
        if not VERSION.fullmatch(self.version):
            raise ValueError(f"not a release version X.Y.Z: {self.version!r}")

    @property
    def tag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class Reference:
    """One reference to mlci's actions in a text."""

    action: str  # mlci-actions/mlci or mlci-actions/mlci/actions/NAME
    ref: str  # what follows the @
    version: str | None  # the version the comment names, if any

    @property
    def pin(self) -> Pin | None:
        """The release this reference pins, when it is the pinned form."""
        if COMMIT.fullmatch(self.ref) and self.version is not None:
            return Pin(self.ref, self.version)
        return None


def references(text: str) -> list[Reference]:
    return [Reference(m["action"], m["ref"], m["version"]) for m in REFERENCE.finditer(text)]


def pinned(text: str, pin: Pin, *, only_pinned: bool = False) -> str:
    """``text`` with every reference to mlci's actions pinned to ``pin``.

    ``only_pinned``: rewrite only references already in the pinned form (a commit and a
    version comment), leaving short forms such as ``@v0`` in prose alone.
    """
    def one(match: re.Match[str]) -> str:
        if only_pinned and not (COMMIT.fullmatch(match["ref"]) and match["version"]):
            return match[0]
        return f"{match['action']}@{pin.commit} # {pin.tag}"

    return REFERENCE.sub(one, text)


@dataclass(frozen=True)
class BuildInfo:
    """What the build of this package recorded about the checkout it was built from."""

    version: str  # the package's version at build time
    commit: str | None  # HEAD of the git checkout; None when not built from one
    release: bool  # HEAD was exactly the tag v<version>, with no uncommitted changes to tracked files
    dirty: bool = False  # tracked files differed from HEAD

    @property
    def pin(self) -> Pin | None:
        """The release this package is, when it was built exactly at one."""
        if self.release and self.commit and VERSION.fullmatch(self.version):
            return Pin(self.commit, self.version)
        return None

    def describe(self) -> str:
        if self.commit is None:
            return "built outside a git checkout: no commit recorded"
        if self.release:
            return f"release v{self.version}, commit {self.commit}"
        changes = " with uncommitted changes" if self.dirty else ""
        return f"commit {self.commit}{changes}, not a release"


def build_info() -> BuildInfo | None:
    """What the build recorded (setup.py); None for a source checkout or an editable install,
    or when the record is of another version than this code (a stale file)."""
    try:
        data = json.loads(resources.files("mlci").joinpath(BUILD_INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != __version__:
        return None
    commit = data.get("commit")
    return BuildInfo(
        version=__version__,
        commit=commit if isinstance(commit, str) and COMMIT.fullmatch(commit) else None,
        release=data.get("release") is True,
        dirty=data.get("dirty") is True,
    )


def version_text(info: BuildInfo | None = None) -> str:
    """``0.1.0 (release v0.1.0, commit 2932a3e...)``: what ``mlci --version`` prints after "mlci"."""
    info = build_info() if info is None else info
    return __version__ if info is None else f"{__version__} ({info.describe()})"


def as_installed(template: bytes, info: BuildInfo | None = None) -> bytes:
    """A shipped workflow template as ``mlci init`` writes it: pinned to the release this package
    was built from when the build recorded one, else as shipped (pinned to the latest release)."""
    info = build_info() if info is None else info
    pin = info.pin if info is not None else None
    if pin is None:
        return template
    return pinned(template.decode("utf-8"), pin).encode("utf-8")
