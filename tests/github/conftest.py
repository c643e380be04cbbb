"""The ``fake_github`` fixture: a fake GitHub REST API on loopback, checked against GitHub's OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.github.fake_github import Contract, FakeGitHub


@pytest.fixture(scope="session")
def github_contract() -> Contract:
    """The parsed contract subset, shared: parsing it and building validators is the slow part."""
    return Contract()


@pytest.fixture
def fake_github(github_contract: Contract) -> Iterator[FakeGitHub]:
    """A started fake GitHub (``fake.url`` is the API base); fails the test on any contract violation.

    A test that provokes a violation on purpose clears ``fake.violations`` after checking it.
    """
    fake = FakeGitHub(contract=github_contract).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == [], "the fake GitHub saw contract violations:\n" + "\n".join(fake.violations)
