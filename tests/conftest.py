"""Shared fixtures: a pinned git identity, real git + DVC repositories in temporary directories, and the fake GitHub."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github.fake_github import Contract, FakeGitHub

GIT_ENV = {
    "GIT_AUTHOR_NAME": "mlci tests",
    "GIT_AUTHOR_EMAIL": "tests@mlci.invalid",
    "GIT_COMMITTER_NAME": "mlci tests",
    "GIT_COMMITTER_EMAIL": "tests@mlci.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000",
    "GIT_CONFIG_NOSYSTEM": "1",
    "DVC_NO_ANALYTICS": "1",
    "DVC_NO_VERSION_CHECK": "1",
}
GITHUB_VARS = [k for k in os.environ if k.startswith("GITHUB_")] + ["GITHUB_ACTIONS", "GITHUB_EVENT_PATH", "NO_COLOR"]


@pytest.fixture(autouse=True)
def _pinned_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Reproducible git identity; no GitHub Actions variables leaking in from the host."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(home / ".dvc-global"))
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(home / ".dvc-site"))
    for key in GITHUB_VARS:
        monkeypatch.delenv(key, raising=False)
    # The pipelines' stages run `python`: this test environment's, activated or not (never another on PATH).
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))


@pytest.fixture(scope="session")
def github_contract() -> Contract:
    """The parsed contract subset, shared: parsing it and building validators is the slow part."""
    return Contract()


@pytest.fixture
def fake_github(github_contract: Contract) -> Iterator[FakeGitHub]:
    """A started fake GitHub (``fake.url`` is the API base) on loopback; fails the test on any contract violation.

    Used by tests/github (through PyGithub) and tests/e2e (mlci inside act's runs). A test that
    provokes a violation on purpose clears ``fake.violations`` after checking it.
    """
    fake = FakeGitHub(contract=github_contract).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == [], "the fake GitHub saw contract violations:\n" + "\n".join(fake.violations)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every wheel mlci's install step installs (all extras, uv, PyYAML, the sdist's build backend),
    downloaded once from the package index: the tests then install with ``--no-index``, so what
    they measure and check is the install step, not the network."""
    from tools.wheelhouse import download

    return download(tmp_path_factory.mktemp("wheelhouse"))


def offline_index(wheelhouse: Path) -> dict[str, str]:
    """The environment that points uv and pip at ``wheelhouse`` and nowhere else (uv's
    UV_NO_INDEX is not read by `uv pip install`; UV_OFFLINE keeps it off the network)."""
    return {"UV_OFFLINE": "1", "UV_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
