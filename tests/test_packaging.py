"""The package ships what `mlci init` copies: the workflow templates, from workflows-templates/ (one copy)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from setuptools import find_packages

from tests.repo_helpers import init_repo

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(p.name for p in (ROOT / "workflows-templates").glob("*.yml"))


def test_every_package_under_src_is_listed_in_pyproject() -> None:
    """pyproject.toml lists the packages (the price of mapping mlci.workflow_templates to
    workflows-templates/): a new subpackage missing from the list would be missing from the wheel."""
    tomllib = pytest.importorskip("tomllib")
    setuptools_config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert sorted(setuptools_config["packages"]) == sorted([*find_packages(ROOT / "src"), "mlci.workflow_templates"])
    assert setuptools_config["package-dir"]["mlci.workflow_templates"] == "workflows-templates"


def test_the_installed_templates_are_the_repositorys() -> None:
    shipped = resources.files("mlci.workflow_templates")
    for name in TEMPLATES:
        assert shipped.joinpath(name).read_bytes() == (ROOT / "workflows-templates" / name).read_bytes()


@pytest.mark.slow
def test_a_wheel_carries_the_templates_and_mlci_init_finds_them_installed(tmp_path: Path) -> None:
    """Build a wheel from a copy of the sources, install it (not editable) into a fresh
    virtual environment, and run `mlci init` from there."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    shutil.copytree(ROOT / "workflows-templates", source / "workflows-templates", ignore=ignore)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source),
                    "-w", str(dist)], check=True, capture_output=True)
    wheel = next(dist.glob("mlci-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("mlci/workflow_templates/") and n.endswith(".yml")) \
        == TEMPLATES
    assert not [n for n in names if n.endswith(".properties.json")]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    project = init_repo(tmp_path / "project")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(python), "-c", "import mlci, sys; print(mlci.__file__)"], capture_output=True, text=True,
                          env=env, check=True)
    assert proc.stdout.startswith(str(venv))  # the installed copy, not the checkout
    proc = subprocess.run([str(venv / "bin" / "mlci"), "init", "--workflow", "fork-safe"], cwd=project, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("mlci-pull-request-fork-safe.yml", "mlci-publish.yml"):
        written = project / ".github" / "workflows" / name
        assert written.read_bytes() == (ROOT / "workflows-templates" / name).read_bytes()
