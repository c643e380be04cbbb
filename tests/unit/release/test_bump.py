"""bump: labels first, then the conventional title (and a BREAKING CHANGE footer), else patch."""

from __future__ import annotations

import pytest

from mlci.release.bump import choose, next_version, parse


@pytest.mark.parametrize(("labels", "title", "body", "part"), [
    (["release:minor"], "fix: a typo", None, "minor"),  # a label wins over the title
    (["release:patch", "release:major", "bug"], None, None, "major"),  # the largest label
    ([], "feat: tenure features", None, "minor"),
    ([], "feat(model): tenure features", None, "minor"),
    ([], "fix(data): drop duplicates", None, "patch"),
    ([], "feat!: a new input schema", None, "major"),
    ([], "refactor(api)!: rename the output", None, "major"),
    ([], "feat: new inputs", "Some text.\n\nBREAKING CHANGE: the model needs s5 now", "major"),
    ([], "chore: bump numpy", None, "patch"),
    ([], "Add tenure features", None, "patch"),  # not conventional
    ([], "feat:no space", None, "patch"),  # not conventional either
    ([], None, None, "patch"),
    (["release"], "docs: readme", None, "patch"),
])
def test_the_bump_a_pr_asks_for(labels: list[str], title: str | None, body: str | None, part: str) -> None:
    assert choose(labels, title, body).part == part


def test_the_reason_says_where_the_bump_came_from() -> None:
    assert choose(["release:minor"]).reason == "label release:minor"
    assert "feat" in choose((), "feat: x").reason
    assert "default" in choose((), "Tweak").reason


@pytest.mark.parametrize(("latest", "part", "expected"), [
    (None, "major", "v0.1.0"),  # the first version is the policy's, whatever the bump
    ("v1.4.2", "patch", "v1.4.3"),
    ("v1.4.2", "minor", "v1.5.0"),
    ("v1.4.2", "major", "v2.0.0"),
    ("v0.9.9", "minor", "v0.10.0"),
])
def test_next_version(latest: str | None, part: str, expected: str) -> None:
    assert next_version(latest, part, "v0.1.0") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["1.2.3", "v1.2", "v01.2.3", "v1.2.3-rc1", "v1.2.3 ", ""])
def test_only_plain_versions_parse(bad: str) -> None:
    with pytest.raises(ValueError):
        parse(bad)
