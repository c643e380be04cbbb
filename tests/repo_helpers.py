"""Build real git + DVC projects for tests (no mocks)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# A one-stage pipeline: reads params.yaml, writes metrics.json. Cheap to run.
TRAIN_PY = textwrap.dedent(
    """
    import json, yaml
    p = yaml.safe_load(open("params.yaml"))["train"]
    acc = round(0.5 + 0.4 * min(p["C"], 1.0), 4)
    json.dump({"accuracy": acc, "loss": round(1 - acc, 4), "per_class": {"a": {"f1": acc - 0.01}}},
              open("metrics.json", "w"), indent=2, sort_keys=True)
    open("model.bin", "w").write(f"model C={p['C']}\\n")
    """
)

DVC_YAML = {
    "stages": {
        "train": {
            "cmd": "python train.py",
            "deps": ["train.py"],
            "params": ["train.C"],
            "outs": ["model.bin"],
            "metrics": [{"metrics.json": {"cache": False}}],
        }
    }
}


def sh(cwd: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return sh(cwd, sys.executable, "-m", "dvc", *args, check=check)


def write(cwd: Path, name: str, content: Any) -> None:
    path = cwd / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    elif name.endswith((".yaml", ".yml")):
        path.write_text(yaml.safe_dump(content, sort_keys=False))
    else:
        path.write_text(json.dumps(content, indent=2))


def commit(cwd: Path, message: str) -> str:
    sh(cwd, "git", "add", "-A")
    sh(cwd, "git", "commit", "-q", "--allow-empty", "-m", message)
    return sh(cwd, "git", "rev-parse", "HEAD").stdout.strip()


def init_repo(path: Path, *, metrics: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> Path:
    """A git repo on main with DVC initialised, the one-stage pipeline and committed metrics."""
    path.mkdir(parents=True, exist_ok=True)
    sh(path, "git", "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    dvc(path, "config", "core.analytics", "false")
    write(path, "train.py", TRAIN_PY)
    write(path, "dvc.yaml", DVC_YAML)
    write(path, "params.yaml", params or {"train": {"C": 0.5, "tags": ["x", "y"]}})
    write(path, "metrics.json", metrics or {"accuracy": 0.7, "loss": 0.3, "per_class": {"a": {"f1": 0.69}}})
    write(path, ".gitignore", "/model.bin\n/mlci-report/\n")
    commit(path, "base")
    return path


@contextlib.contextmanager
def pinned_git_env() -> Iterator[None]:
    """tests/conftest.py's pinned identity and dates, for a module fixture (which runs before the
    autouse fixture that sets them): the environment as it was, afterwards."""
    from tests.conftest import GIT_ENV

    old = {k: os.environ.get(k) for k in GIT_ENV}
    os.environ.update(GIT_ENV)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def copy_repo(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def working_copy(template: Path, tmp_path: Path, monkeypatch: Any) -> Path:
    """A copy of a module's ``template`` repository under ``tmp_path``, made the current directory
    for the test (``monkeypatch``: pytest's, which changes it back)."""
    path = copy_repo(template, tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


def env_without_github(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(extra)
    return env


def build_report(cwd: str | Path, ctx: Any, **options: Any) -> Any:
    """What ``mlci report`` computes before writing the bundle: collect, then judge."""
    from mlci.collect import collect
    from mlci.evaluate import judge

    found = collect(cwd, ctx, **options)
    return judge(found.report, found.policy, found.evidence)
