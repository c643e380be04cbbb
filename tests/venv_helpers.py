"""Virtual environments for tests that install or run mlci apart from the test environment.

A venv made with ``--system-site-packages`` from inside the test venv sees the *base*
interpreter's packages, not the test venv's: a test built that way passes only where the
system Python already has mlci's dependencies. These helpers make a venv from the base
interpreter *without* system site-packages, and let it see exactly the test environment's
packages (those the README's test command installed) through a .pth file, so nothing is
downloaded and nothing outside that environment counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest


def base_python() -> Path:
    """The interpreter under the test venv: a plain Python, like a runner's or a new user's."""
    for name in (f"python{sys.version_info.major}.{sys.version_info.minor}", "python3"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.exists():
            return candidate
    pytest.fail(f"no python3 under {sys.base_prefix}")


def purelib(python: Path) -> Path:
    """The site-packages folder of ``python``'s environment."""
    return Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True, timeout=60).stdout.strip())


def test_environment_site_dirs() -> list[str]:
    """The site-packages folders of the test environment itself (not the base interpreter's)."""
    dirs = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    return sorted(d for d in dirs if os.path.isdir(d))


def clean_env(**extra: str) -> dict[str, str]:
    """os.environ without what would leak the test venv into a child process."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


def make_venv(path: Path, *, see_test_packages: bool, pip: bool = False) -> Path:
    """A venv at ``path`` from the base interpreter, without system site-packages; its python.

    ``see_test_packages``: the venv also sees the test environment's packages, after its own
    (a .pth of ``site.addsitedir`` lines, so the .pth files there, editable installs, count too).
    ``pip``: with pip in it (slower to make); else ``--without-pip``.
    """
    args = [str(base_python()), "-m", "venv", str(path)]
    if not pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, timeout=300, env=clean_env())
    python = path / "bin" / "python"
    if see_test_packages:
        lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in test_environment_site_dirs())
        (purelib(python) / "zz-mlci-test-environment.pth").write_text(lines)
    return python
