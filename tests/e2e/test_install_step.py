"""The install step's venv sees the runner's packages, wherever the runner's python3 keeps them.

mlci's DVC needs the remote's plugin (dvc-s3, ...) that the workflow installed before the
mlci step. These tests run the step's own lines that make the venv (the text of action.yml,
up to the `pip install` of mlci, which the act tests run in full) with two runner Pythons:
the plain interpreter, whose `pip install` on a runner's system Python lands in the user's
site-packages (a venv made with `--system-site-packages` keeps the user site on), and a
virtual environment, whose packages `--system-site-packages` alone skips (actions/setup/runner_packages.py
adds them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROBE = "mlci_runner_probe"


def venv_lines() -> str:
    """The install step's script up to (not including) the pip install of mlci."""
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    script = next(s["run"] for s in steps if s.get("name") == "Install mlci")
    head, _, _ = script.partition('"$MLCI_VENV/bin/python" -m pip install')
    assert "python3 -m venv" in head and "runner_packages.py" in head
    return head


def base_python() -> Path:
    """The interpreter under any virtualenv this test runs in: a plain Python, like a runner's."""
    for name in (f"python{sys.version_info.major}.{sys.version_info.minor}", "python3"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.exists():
            return candidate
    pytest.fail(f"no python3 under {sys.base_prefix}")


def run_step(runner_bin: Path, tmp_path: Path, env: dict[str, str]) -> Path:
    """Run the lines with ``runner_bin/python3`` first on PATH; return the venv's python."""
    venv = tmp_path / "mlci-venv"
    full_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    full_env.update(env, MLCI_VENV=str(venv), PATH=os.pathsep.join([str(runner_bin), os.environ["PATH"]]),
                    GITHUB_ACTION_PATH=str(ROOT), MLCI_SOURCE=".")  # the root action's values
    proc = subprocess.run(["bash", "-e", "-c", venv_lines()], env=full_env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return venv / "bin" / "python"


def sees_probe(python: Path, env: dict[str, str]) -> tuple[bool, list[str]]:
    code = f"import sys; import {PROBE}; print({PROBE}.__file__); print('\\n'.join(sys.path))"
    full_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    proc = subprocess.run([str(python), "-c", code], env={**full_env, **env}, capture_output=True, text=True,
                          timeout=60)
    return proc.returncode == 0, proc.stdout.splitlines()


def runner_bin_of(python: Path, tmp_path: Path) -> Path:
    """A folder whose python3 is ``python`` (a runner's PATH)."""
    folder = tmp_path / "runner-bin"
    folder.mkdir()
    (folder / "python3").symlink_to(python)
    return folder


def test_packages_in_the_users_site_packages(tmp_path: Path) -> None:
    """A runner's system Python: `pip install -r requirements.txt` puts packages in ~/.local."""
    python = base_python()
    env = {"PYTHONUSERBASE": str(tmp_path / "userbase")}
    user_site = subprocess.run([str(python), "-c", "import site; print(site.getusersitepackages())"],
                               env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout.strip()
    Path(user_site).mkdir(parents=True)
    (Path(user_site) / f"{PROBE}.py").write_text("")
    assert sees_probe(python, env)[0], "the runner's python3 itself sees its user site-packages"

    mlci_python = run_step(runner_bin_of(python, tmp_path), tmp_path, env)
    found, lines = sees_probe(mlci_python, env)
    assert found, lines
    assert lines[0] == str(Path(user_site) / f"{PROBE}.py")
    own = next(i for i, p in enumerate(lines[1:]) if p.startswith(str(tmp_path / "mlci-venv")))
    assert own < lines[1:].index(user_site), "the venv's own packages (mlci's) come first"


def test_packages_of_a_runner_python_that_is_a_virtual_environment(tmp_path: Path) -> None:
    """An earlier step made and activated a virtual environment and installed into it."""
    outer = tmp_path / "outer"
    subprocess.run([str(base_python()), "-m", "venv", "--without-pip", str(outer)], check=True, timeout=300)
    site_packages = subprocess.run([str(outer / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    (Path(site_packages) / f"{PROBE}.py").write_text("")

    mlci_python = run_step(outer / "bin", tmp_path, {"PYTHONUSERBASE": str(tmp_path / "no-userbase")})
    found, lines = sees_probe(mlci_python, {})
    assert found, lines
    assert lines[0] == str(Path(site_packages) / f"{PROBE}.py")

    # Without the .pth, --system-site-packages alone would have missed it.
    plain = tmp_path / "plain"
    subprocess.run([str(outer / "bin" / "python"), "-m", "venv", "--without-pip", "--system-site-packages", str(plain)],
                   check=True, timeout=300)
    assert not sees_probe(plain / "bin" / "python", {})[0]
