"""The package ships what `mlci init` copies: the workflow templates, from workflows-templates/ (one copy)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from setuptools import find_packages

from mlci import depfiles, pins
from tests.repo_helpers import init_repo, sh
from tests.venv_helpers import clean_env, make_venv

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


def _build(source: Path, dist: Path, what: str = "wheel") -> Path:
    """A wheel (or an sdist) of ``source``, offline, with the test environment's setuptools."""
    if what == "sdist":
        code = f"from setuptools import build_meta; print(build_meta.build_sdist({str(dist)!r}))"
        proc = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return dist / proc.stdout.strip().splitlines()[-1]
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source),
                           "-w", str(dist)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return next(dist.glob("mlci-*.whl"))


def _record(wheel: Path) -> dict[str, object]:
    with zipfile.ZipFile(wheel) as archive:
        data = json.loads(archive.read(f"mlci/{pins.BUILD_INFO_FILE}"))
    assert isinstance(data, dict)
    return data


# The version the built sources carry: a release's (X.Y.Z), whatever main's is (0.2.0.dev0 between releases).
RELEASE = "0.2.0"


def _source(path: Path) -> Path:
    """A git checkout of the package's sources (what a build reads) at version RELEASE, committed."""
    path.mkdir()
    for name in ("pyproject.toml", "README.md", "setup.py"):
        shutil.copy(ROOT / name, path / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", pins.BUILD_INFO_FILE)
    shutil.copytree(ROOT / "src", path / "src", ignore=ignore)
    shutil.copytree(ROOT / "workflows-templates", path / "workflows-templates", ignore=ignore)
    init = path / "src" / "mlci" / "__init__.py"
    init.write_text(re.sub(r'^__version__ = "[^"]*"', f'__version__ = "{RELEASE}"', init.read_text(), count=1, flags=re.M))
    sh(path, "git", "init", "-q", "-b", "main")
    (path / ".gitignore").write_text("build/\n*.egg-info/\n")
    sh(path, "git", "add", "-A")
    sh(path, "git", "commit", "-q", "-m", "the sources")
    return path


@pytest.mark.slow
def test_a_wheel_carries_the_templates_and_mlci_init_finds_them_installed(tmp_path: Path) -> None:
    """Build a wheel at a release tag from a git checkout of the sources, install it (not editable)
    into a fresh virtual environment that sees only the test environment's packages, and run
    `mlci --version` and `mlci init` from there: the release's own commit is what they name and pin."""
    source = _source(tmp_path / "source")
    sh(source, "git", "tag", "-a", f"v{RELEASE}", "-m", f"mlci {RELEASE}")
    commit = sh(source, "git", "rev-parse", "HEAD").stdout.strip()
    wheel = _build(source, tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("mlci/workflow_templates/") and n.endswith(".yml")) \
        == TEMPLATES
    assert not [n for n in names if n.endswith(".properties.json")]
    assert _record(wheel) == {"version": RELEASE, "commit": commit, "release": True, "dirty": False}

    venv = tmp_path / "venv"
    python = make_venv(venv, see_test_packages=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    env = clean_env()
    proc = subprocess.run([str(python), "-c", "import mlci, sys; print(mlci.__file__)"], capture_output=True, text=True,
                          env=env, check=True)
    assert proc.stdout.startswith(str(venv))  # the installed copy, not the checkout
    proc = subprocess.run([str(venv / "bin" / "mlci"), "--version"], env=env, capture_output=True, text=True)
    assert proc.stdout == f"mlci {RELEASE} (release v{RELEASE}, commit {commit})\n", proc.stderr

    project = init_repo(tmp_path / "project")
    proc = subprocess.run([str(venv / "bin" / "mlci"), "init", "--workflow", "fork-safe"], cwd=project, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    release = pins.Pin(commit, RELEASE)
    for name in ("mlci-pull-request-fork-safe.yml", "mlci-publish.yml"):
        written = (project / ".github" / "workflows" / name).read_text()
        shipped = (ROOT / "workflows-templates" / name).read_text()
        # The project has no dependency file and no DVC remote: init drops the template's install step.
        expected = depfiles.with_step(shipped, depfiles.Dependencies("none"), None)
        assert written == pins.pinned(expected, release) != shipped
        assert {(r.ref, r.version) for r in pins.references(written)} == {(commit, RELEASE)}


@pytest.mark.slow
def test_a_build_off_the_release_tag_records_its_commit_and_no_release_also_through_an_sdist(tmp_path: Path) -> None:
    source = _source(tmp_path / "source")
    sh(source, "git", "tag", "-a", f"v{RELEASE}", "-m", f"mlci {RELEASE}")
    tagged = sh(source, "git", "rev-parse", "HEAD").stdout.strip()
    (source / "README.md").write_text("changed, not committed\n")  # at the tag, but not what it tagged
    assert _record(_build(source, tmp_path / "dist-dirty")) == {
        "version": RELEASE, "commit": tagged, "release": False, "dirty": True}

    sh(source, "git", "commit", "-q", "-am", "after the release")
    commit = sh(source, "git", "rev-parse", "HEAD").stdout.strip()
    sdist = _build(source, tmp_path / "sdist", "sdist")
    unpacked = tmp_path / "unpacked"
    shutil.unpack_archive(sdist, unpacked, filter="data")
    (tree,) = unpacked.iterdir()  # no .git in it: the record travels in the sdist
    assert not (tree / ".git").exists()
    assert _record(_build(tree, tmp_path / "dist")) == {
        "version": RELEASE, "commit": commit, "release": False, "dirty": False}


@pytest.mark.slow
def test_a_build_outside_a_git_checkout_records_no_commit(tmp_path: Path) -> None:
    source = _source(tmp_path / "source")
    shutil.rmtree(source / ".git")
    assert _record(_build(source, tmp_path / "dist")) == {
        "version": RELEASE, "commit": None, "release": False, "dirty": False}
