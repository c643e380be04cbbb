"""Let mlci's virtual environment see the packages of the runner's Python.

The setup step runs this with the runner's ``python3`` after making the venv with
``--system-site-packages``, which already covers a plain interpreter's packages and its
user site-packages (where ``pip install`` puts them on a runner's system Python). It
skips those of a python3 that is itself a virtual environment (an earlier step made and
activated one): this writes a .pth into the venv that adds them, after mlci's own.
Standard library only: it runs before mlci is installed. Tested by
tests/e2e/test_install_step.py.

Usage: python3 runner_packages.py VENV
"""

from __future__ import annotations

import os
import site
import subprocess
import sys

PTH = "mlci-runner-packages.pth"


def main(venv: str) -> None:
    base = site.getsitepackages([sys.base_prefix])  # --system-site-packages has these already
    extra = [path for path in site.getsitepackages() if path not in base and os.path.isdir(path)]
    purelib = subprocess.run(
        [os.path.join(venv, "bin", "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # addsitedir, not a bare path: the .pth files there (editable installs) count too.
    with open(os.path.join(purelib, PTH), "w", encoding="utf-8") as out:
        out.writelines(f"import site; site.addsitedir({path!r})\n" for path in extra)


if __name__ == "__main__":
    main(sys.argv[1])
