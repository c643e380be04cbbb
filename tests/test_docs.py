"""The generated parts of the docs match their sources (tools/sync_docs.py)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mlci import ACTION_MAJOR, ACTION_REPOSITORY

ROOT = Path(__file__).resolve().parents[1]


def _sync_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_docs", ROOT / "tools" / "sync_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_action_reference_and_action_name_are_current() -> None:
    proc = subprocess.run([sys.executable, "tools/sync_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_input_and_output_of_every_action_is_in_the_readme() -> None:
    import yaml

    readme = (ROOT / "README.md").read_text()
    for path in [ROOT / "action.yml", *ROOT.glob("actions/*/action.yml")]:
        action = yaml.safe_load(path.read_text())
        for name in [*(action.get("inputs") or {}), *(action.get("outputs") or {})]:
            assert f"| `{name}` |" in readme, f"{path.relative_to(ROOT)}: {name} not in the README"


@pytest.fixture
def copy_of_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Path]:
    module = _sync_docs()
    for name in ("README.md", "action.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("actions", "docs", "workflows-templates", "src/mlci/demo/project"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "README", tmp_path / "README.md")
    return module, tmp_path


def test_a_changed_action_input_makes_the_readme_stale_until_synced(
        copy_of_the_repository: tuple[ModuleType, Path], capsys: pytest.CaptureFixture[str]) -> None:
    module, root = copy_of_the_repository
    action = root / "actions" / "gate" / "action.yml"
    action.write_text(action.read_text().replace("  report-dir:\n", "  bundle-dir:\n", 1))
    assert module.main(["--check"]) == 1
    assert "README.md: out of date" in capsys.readouterr().out
    assert module.main([]) == 0
    assert "| `bundle-dir` |" in (root / "README.md").read_text()
    assert module.main(["--check"]) == 0


def test_a_stale_action_name_in_the_readme_is_found_and_rewritten(
        copy_of_the_repository: tuple[ModuleType, Path], capsys: pytest.CaptureFixture[str]) -> None:
    module, root = copy_of_the_repository
    readme = root / "README.md"
    current = f"uses: {ACTION_REPOSITORY}@{ACTION_MAJOR}"
    assert current in readme.read_text()
    readme.write_text(readme.read_text().replace(current, "uses: someone-else/mlci@v9"))
    assert module.main(["--check"]) == 1
    assert "README.md: out of date" in capsys.readouterr().out
    module.main([])
    assert current in readme.read_text()


def test_references_pinned_by_commit_are_left_to_pin_release(copy_of_the_repository: tuple[ModuleType, Path]) -> None:
    """The templates pin a release (`@<commit> # vX.Y.Z`, tools/pin_release.py); the major tag
    and a full version are not sync_docs' to rewrite either."""
    module, root = copy_of_the_repository
    template = root / "workflows-templates" / "mlci-pull-request.yml"
    text = template.read_text()
    assert f"uses: {ACTION_REPOSITORY}/actions/publish@" in text and f"@{ACTION_MAJOR}\n" not in text
    template.write_text(text + f"# {ACTION_REPOSITORY}@v9.1.2 stays\n")
    assert module.main(["--check"]) == 0
