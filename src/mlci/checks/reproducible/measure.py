"""What the reproducibility check looks at after ``mlci repro``: the files git sees changed,
and each changed dvc.lock as committed and as the run left it."""

from __future__ import annotations

from pathlib import Path

from mlci import git
from mlci.checks.base import Workspace
from mlci.checks.reproducible.spec import LOCK, LockFile, ReproducibleSpec, WorkTree


def measure(spec: ReproducibleSpec, workspace: Workspace) -> WorkTree:
    changed = tuple(git.status_paths(workspace.root))
    root = Path(git.toplevel(workspace.root))
    locks = tuple(LockFile(path, git.show_file(workspace.root, "HEAD", path), (root / path).read_text("utf-8"))
                  for path in changed if Path(path).name == LOCK and (root / path).is_file())
    return WorkTree(changed=changed, locks=locks, ignored=workspace.ignore)
