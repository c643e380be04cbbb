"""Download the wheels mlci's install step needs into a folder: a local package index for
the act tests and the install benchmark, so that the network is not in their figures.

    python tools/wheelhouse.py DIR [EXTRA ...]

Fetches (with pip download, for this machine's Python and platform) mlci's requirements
with the extras given (every extra when none is), plus uv and PyYAML, which the install
step bootstraps, and setuptools and wheel, which build the one sdist among them. Point the installers at it with ``--no-index --find-links DIR``
(``UV_OFFLINE=1 UV_FIND_LINKS=DIR``, ``PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR``; `uv pip install`
does not read UV_NO_INDEX). Nothing is
downloaded again when DIR already has every wheel pip picks.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = ("uv", "pyyaml")  # what actions/setup/install.py installs with pip before anything else
# DVC needs antlr4-python3-runtime 4.9, published only as an sdist: installers build it
# (once; the cached venv keeps it), and offline they need its build backend from here too.
BUILD = ("setuptools", "wheel")


def _install_module() -> object:
    spec = importlib.util.spec_from_file_location("mlci_setup_install", ROOT / "actions" / "setup" / "install.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requirements(extras: Sequence[str]) -> list[str]:
    """mlci's requirements with ``extras``, read from pyproject.toml as the install step reads them."""
    install = _install_module()
    found: list[str] = install.requirements(extras)  # type: ignore[attr-defined]
    return found


def download(folder: Path, extras: Sequence[str] = ("all",)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                    "--find-links", str(folder), "-d", str(folder),
                    *requirements(extras), *BOOTSTRAP, *BUILD], check=True)
    return folder


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(download(Path(sys.argv[1]), sys.argv[2:] or ("all",)))
