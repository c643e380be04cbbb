"""mlci.pins: the pinned form of mlci's action references, and what a build recorded."""

from __future__ import annotations

import pytest

from mlci import ACTION_REPOSITORY, __version__, pins

A, B = "a" * 40, "b" * 40
TEXT = f"""      - uses: {ACTION_REPOSITORY}/actions/setup@v0
      - uses: {ACTION_REPOSITORY}@{A} # v0.1.0
        with: {{x: 1}}
      - uses: actions/checkout@{B} # v6.0.2
"""


def test_references_and_their_pins() -> None:
    refs = pins.references(TEXT)
    assert [(r.action, r.ref, r.version) for r in refs] == [
        (f"{ACTION_REPOSITORY}/actions/setup", "v0", None), (ACTION_REPOSITORY, A, "0.1.0")]
    assert [r.pin for r in refs] == [None, pins.Pin(A, "0.1.0")]


def test_pinned_rewrites_only_mlcis_references() -> None:
    out = pins.pinned(TEXT, pins.Pin(B, "0.2.0"))
    assert out == TEXT.replace(f"setup@v0", f"setup@{B} # v0.2.0").replace(f"@{A} # v0.1.0", f"@{B} # v0.2.0")
    assert pins.pinned(TEXT, pins.Pin(B, "0.2.0"), only_pinned=True).count("@v0\n") == 1


@pytest.mark.parametrize(("commit", "version"), [("abc", "0.1.0"), (A, "v0.1.0"), (A, "0.1")])
def test_a_pin_is_a_full_commit_and_a_release_version(commit: str, version: str) -> None:
    with pytest.raises(ValueError):
        pins.Pin(commit, version)


def test_mlci_init_pins_the_release_it_was_built_from_else_keeps_the_shipped_pin() -> None:
    shipped = TEXT.encode()
    release = pins.BuildInfo("0.2.0", B, release=True)  # a release build is at tag v<version>: X.Y.Z
    assert pins.as_installed(shipped, release) == pins.pinned(TEXT, pins.Pin(B, "0.2.0")).encode()
    for info in (pins.BuildInfo(__version__, B, release=False),  # built off the tag
                 pins.BuildInfo(__version__, None, release=False)):  # built outside git
        assert pins.as_installed(shipped, info) == shipped


def test_version_text() -> None:
    assert pins.version_text(pins.BuildInfo("0.1.0", A, release=True)).endswith(f"(release v0.1.0, commit {A})")
    assert pins.version_text(pins.BuildInfo("0.1.0", A, release=False, dirty=True)).endswith(
        f"(commit {A} with uncommitted changes, not a release)")
    assert pins.version_text(pins.BuildInfo("0.1.0", None, release=False)).endswith("no commit recorded)")


def test_a_source_checkout_has_no_build_record() -> None:
    """The test environment installs mlci editable: nothing recorded, so --version is the bare version."""
    assert pins.build_info() is None
    assert pins.version_text() == __version__
