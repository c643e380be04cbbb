"""What the reproducibility check looks at after ``mlci repro``: the files git sees changed,
and each changed dvc.lock as committed and as the run left it."""

from __future__ import annotations

from pathlib import Path

from mlci import git
from mlci.checks.base import Workspace
from mlci.checks.reproducible.spec import LOCK, LockFile, ReproducibleSpec, WorkTree
from mlci.errors import CheckError
from mlci.safeload import read_text
from mlci.yamlfile import LOCK_LIMITS


def measure(spec: ReproducibleSpec, workspace: Workspace) -> WorkTree:
    changed = tuple(git.status_paths(workspace.root))
    root = Path(git.toplevel(workspace.root))
    locks = tuple(LockFile(path, _committed(workspace, path), _now(root / path, path))
                  for path in changed if Path(path).name == LOCK and (root / path).is_file())
    return WorkTree(changed=changed, locks=locks, ignored=workspace.ignore)


def _committed(workspace: Workspace, path: str) -> str | None:
    try:
        return git.show_file(workspace.root, "HEAD", path)
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path} (committed): not UTF-8 text: the byte 0x{exc.object[exc.start]:02X}") from None


def _now(file: Path, path: str) -> str:
    """The lock as the run left it: a regular file of at most LOCK_LIMITS.bytes, UTF-8."""
    return read_text(file, LOCK_LIMITS.bytes, error=CheckError)
