"""gto: mlci's copy of GTO's name rule, its tag names, and who tags on a runner git knows nobody on."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci import git, gto
from tests.repo_helpers import sh


def test_the_name_rule_is_gtos_own() -> None:
    from gto.constants import name

    assert gto.NAME.pattern == name


@pytest.mark.parametrize(("name", "ok"), [("model", True), ("m2", True), ("a/b_c-d", True), ("m", True),
                                          ("-m", False), ("m-", False), ("my model", False), ("ok@v1", False)])
def test_names_gto_allows(name: str, ok: bool) -> None:
    from gto.constants import check_string_is_valid, name_re

    assert bool(gto.NAME.fullmatch(name)) is ok is check_string_is_valid(name, regex=name_re)


def test_tag_names_are_gtos() -> None:
    from gto.constants import name_to_tag

    assert gto.tag_name("models/churn:churn", "v1.4.0") == f"{name_to_tag('models/churn:churn')}@v1.4.0"
    assert gto.tag_name("churn", "v1.4.0") == "churn@v1.4.0"


def test_who_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sh(tmp_path, "git", "init", "-q")
    assert git.identity(tmp_path) == ("mlci tests", "tests@mlci.invalid")  # the pinned GIT_COMMITTER_*
    monkeypatch.delenv("GIT_COMMITTER_NAME")
    monkeypatch.delenv("GIT_COMMITTER_EMAIL")
    assert git.identity(tmp_path) == git.BOT  # a runner: git knows nobody
    sh(tmp_path, "git", "config", "user.name", "Ada")
    sh(tmp_path, "git", "config", "user.email", "ada@example.com")
    assert git.identity(tmp_path) == ("Ada", "ada@example.com")
