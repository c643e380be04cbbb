"""tools/pin_release.py pins the copy-in workflows to a release, run on a temporary git repository
with a real annotated tag (never on this checkout); and the checkout's pin is a consistent release."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mlci import ACTION_REPOSITORY
from mlci.pins import references
from tests.repo_helpers import sh

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "pin_release.py"
PINNED_LINE = re.compile(rf"uses: {re.escape(ACTION_REPOSITORY)}(/actions/[a-z-]+)?@(?P<sha>[0-9a-f]{{40}}) # v(?P<v>\S+)$")
RELEASE = "0.2.0"  # the version of the temporary repositories: a release's, whatever this checkout's is
README = f"""# a project

Short form, left alone: `uses: {ACTION_REPOSITORY}@v0`.

```yaml
      - uses: {ACTION_REPOSITORY}@{'0' * 40} # v0.0.1
```
"""


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pin_release", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pin_release = _script()


def _repo(path: Path, version: str = RELEASE) -> Path:
    """A git repository with what the script reads: templates, action.yml files, src/mlci/__init__.py, a README."""
    shutil.copytree(ROOT / "workflows-templates", path / "workflows-templates")
    shutil.copy(ROOT / "action.yml", path / "action.yml")
    for action in (ROOT / "actions").glob("*/action.yml"):
        (path / "actions" / action.parent.name).mkdir(parents=True)
        shutil.copy(action, path / "actions" / action.parent.name / "action.yml")
    (path / "src" / "mlci").mkdir(parents=True)
    (path / "src" / "mlci" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (path / "README.md").write_text(README)
    sh(path, "git", "init", "-q", "-b", "main")
    sh(path, "git", "add", "-A")
    sh(path, "git", "commit", "-q", "-m", f"mlci {version}")
    return path


def _tag(repo: Path, version: str) -> str:
    sh(repo, "git", "tag", "-a", f"v{version}", "-m", f"mlci {version}")
    return sh(repo, "git", "rev-parse", "HEAD").stdout.strip()


def _own_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if f"{ACTION_REPOSITORY}" in line and "uses:" in line]


def test_it_pins_every_template_reference_to_the_tags_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    commit = _tag(repo, RELEASE)
    before = {p: p.read_text() for p in repo.glob("workflows-templates/*.yml")}
    assert pin_release.main([RELEASE], root=repo) == 0
    assert "pinned to v" in capsys.readouterr().out
    lines = [line for p in before for line in _own_lines(p)]
    assert len(lines) >= 6
    for line in lines:
        match = PINNED_LINE.search(line)
        assert match and match["sha"] == commit and match["v"] == RELEASE, line
    for path, text in before.items():  # nothing but those references changed
        strip = lambda t: re.sub(rf"{re.escape(ACTION_REPOSITORY)}\S*@\S+( # v\S+)?", "REF", t)  # noqa: E731
        assert strip(path.read_text()) == strip(text)
    readme = (repo / "README.md").read_text()
    assert f"uses: {ACTION_REPOSITORY}@v0`" in readme  # the short form is sync_docs'
    assert f"@{commit} # v{RELEASE}\n" in readme and "0" * 40 not in readme
    assert pin_release.check(repo) == []
    assert pin_release.main([RELEASE], root=repo) == 0  # idempotent
    assert "already pinned" in capsys.readouterr().out


def test_a_commit_given_is_resolved_and_checked_against_the_version(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    commit = sh(repo, "git", "rev-parse", "HEAD").stdout.strip()
    assert pin_release.main([f"v{RELEASE}", commit[:10]], root=repo) == 0  # no tag needed with a commit
    assert all(ref.ref == commit for p in repo.glob("workflows-templates/*.yml") for ref in references(p.read_text()))


@pytest.mark.parametrize(("args", "message"), [
    (["9.9.9"], "no tag v9.9.9 in this repository"),
    (["1.2"], "VERSION: expected X.Y.Z"),
    ([RELEASE, "deadbeef"], "is not a commit of this repository"),
    (["9.9.9", "HEAD"], "is version " + RELEASE + " (src/mlci/__init__.py), not 9.9.9"),
    ([], "give the VERSION"),
])
def test_mistakes_are_one_line_exit_2_and_nothing_is_written(tmp_path: Path, args: list[str], message: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    before = {p: p.read_text() for p in [*repo.glob("workflows-templates/*.yml"), repo / "README.md"]}
    assert pin_release.main(args, root=repo) == 2
    err = capsys.readouterr().err
    assert err.startswith("pin_release.py: ") and message in err and err.count("\n") == 1, err
    assert {p: p.read_text() for p in before} == before


def test_as_a_process_a_mistake_exits_2_with_one_line() -> None:
    """Refused before anything is read or written, so safe to run on the checkout."""
    proc = subprocess.run([sys.executable, str(SCRIPT), "1.2"], capture_output=True, text=True, cwd=ROOT)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "pin_release.py: VERSION: expected X.Y.Z (e.g. 0.2.0), got '1.2'\n"


def test_a_tag_on_another_commit_than_the_one_given_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "repo")
    first = _tag(repo, RELEASE)
    (repo / "README.md").write_text(README + "more\n")
    sh(repo, "git", "commit", "-q", "-am", "after the release")
    assert pin_release.main([RELEASE, "HEAD"], root=repo) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"tag v{RELEASE} is commit {first}" in err


def test_a_template_passing_an_input_the_release_lacks_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A template must work with the release it pins: the release's action.yml is read from git."""
    repo = _repo(tmp_path / "repo")
    _tag(repo, RELEASE)
    template = repo / "workflows-templates" / "mlci-pull-request.yml"
    template.write_text(template.read_text().replace('dvc-pull: "auto"', 'dvc-pull: "auto"\n          turbo: "true"'))
    before = template.read_text()
    assert pin_release.main([RELEASE], root=repo) == 2
    err = capsys.readouterr().err
    assert "mlci-pull-request.yml: passes input 'turbo' to mlci-actions/mlci" in err and err.count("\n") == 1
    assert template.read_text() == before


def test_check_finds_a_template_left_at_another_release(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    _tag(repo, RELEASE)
    assert pin_release.main([RELEASE], root=repo) == 0
    template = repo / "workflows-templates" / "mlci-publish.yml"
    own = rf"({re.escape(ACTION_REPOSITORY)}\S*)@[0-9a-f]{{40}} # v\S+"
    template.write_text(re.sub(own, rf"\1@{'1' * 40} # v0.0.9", template.read_text(), count=1))
    problems = pin_release.check(repo)
    assert problems and "expected one pinned release" in problems[0]


def test_the_checkouts_templates_pin_a_consistent_release() -> None:
    """The pinned commit is in this repository's history, is the version its comment names, its
    tag (when fetched) points at it, and its action.yml files take every input the templates pass.
    Needs the history (a shallow clone lacks the commit: `git fetch --unshallow --tags`)."""
    assert pin_release.check(ROOT) == []
