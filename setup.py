"""The build's one hook: record which commit and release the package is built from.

pyproject.toml holds the whole configuration; this file only adds a build_py step that
writes mlci/_build_info.json into the built package (read by mlci.pins.build_info):

    {"version": "0.1.0", "commit": "<git rev-parse HEAD>", "release": true, "dirty": false}

- commit: HEAD, when the source folder is the top of a git checkout (a copy inside another
  repository records nothing, rather than that repository's commit);
- release: HEAD is exactly the tag v<version> and no tracked file differs from it;
- an sdist made from a checkout carries the record (src/mlci/_build_info.json), so a wheel
  built from that sdist (`python -m build`) records the same thing.
Editable installs record nothing: their code is the working tree, whatever its commit.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
RECORD = Path("mlci") / "_build_info.json"  # inside the package
CARRIED = HERE / "src" / RECORD  # only ever present in an unpacked sdist


def _git(*args: str) -> str | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        proc = subprocess.run(["git", *args], cwd=HERE, env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def build_record(version: str) -> dict[str, Any]:
    top = _git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != HERE:
        if CARRIED.is_file():
            carried = json.loads(CARRIED.read_text(encoding="utf-8"))
            if isinstance(carried, dict) and carried.get("version") == version:
                return carried
        return {"version": version, "commit": None, "release": False, "dirty": False}
    commit = _git("rev-parse", "--verify", "HEAD")
    tagged = _git("rev-parse", "-q", "--verify", f"refs/tags/v{version}^{{commit}}")
    status = _git("status", "--porcelain", "--untracked-files=no")
    dirty = status is None or status != ""
    return {"version": version, "commit": commit, "release": bool(commit) and tagged == commit and not dirty,
            "dirty": dirty}


def _write(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


class BuildPyWithRecord(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        _write(Path(self.build_lib) / RECORD, build_record(self.distribution.get_version()))


class SdistWithRecord(sdist):
    def make_release_tree(self, base_dir: str, files: Any) -> None:
        super().make_release_tree(base_dir, files)
        _write(Path(base_dir) / "src" / RECORD, build_record(self.distribution.get_version()))


setup(cmdclass={"build_py": BuildPyWithRecord, "sdist": SdistWithRecord})
